package ledgerstore

import (
	"hash/maphash"
	"sync"

	"github.com/ebios/ebios/core/ledger"
	"github.com/tidwall/buntdb"
)

// opIndex maps op ids to entry indexes. It lives in memory: built from the
// entries when the store opens and kept up to date by the sequencer, so an
// append costs no B-tree insert at a random place in a large tree. It
// holds 64-bit hashes of op ids, not the op ids (about 24 bytes an entry
// and no pointers for the garbage collector to scan); a hit is confirmed
// against the entry's own op id. The rare op id whose hash another op id
// already has is kept whole in a side map.
type opIndex struct {
	mu     sync.RWMutex
	seed   maphash.Seed
	byHash map[uint64]uint64
	whole  map[string]uint64
}

func newOpIndex() *opIndex {
	return &opIndex{seed: maphash.MakeSeed(), byHash: map[uint64]uint64{}, whole: map[string]uint64{}}
}

// add records that op is the op id of entry i. op must not be in the
// index.
func (x *opIndex) add(op string, i uint64) {
	h := maphash.String(x.seed, op)
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, taken := x.byHash[h]; taken {
		x.whole[op] = i
		return
	}
	x.byHash[h] = i
}

// lookup returns the index of the entry with op id op; opAt returns the op
// id of entry i, or false when it cannot be read.
func (x *opIndex) lookup(op string, opAt func(i uint64) (string, bool)) (uint64, bool) {
	h := maphash.String(x.seed, op)
	x.mu.RLock()
	i, ok := x.byHash[h]
	j, whole := x.whole[op]
	x.mu.RUnlock()
	if whole {
		return j, true
	}
	if ok {
		if got, read := opAt(i); read && got == op {
			return i, true
		}
	}
	return 0, false
}

// loadOpIndex indexes the op ids of the first size entries. An entry whose
// op id cannot be read is left out: verification reports it.
func loadOpIndex(tx *buntdb.Tx, size uint64) (*opIndex, error) {
	x := newOpIndex()
	err := forEachBatch(tx, 0, func(b *batch) bool {
		for k := range b.n {
			i := b.first + uint64(k)
			if i >= size {
				return false
			}
			if leaf, _, ok := splitRow(i, b.row(i)); ok {
				if op, ok := ledger.LeafOpID([]byte(leaf)); ok {
					x.add(op, i)
				}
			}
		}
		return true
	})
	return x, err
}
