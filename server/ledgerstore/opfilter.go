package ledgerstore

import (
	"hash/maphash"

	"github.com/tidwall/buntdb"
)

// opFilter is a set of 64-bit hashes of op ids. It answers "certainly not
// in the log" without touching BuntDB, whose B-tree lookup of a string key
// in a large log costs microseconds of cache misses; a hit (which can be a
// hash collision) is confirmed by a lookup. It holds no pointers, so the
// garbage collector does not scan it.
type opFilter struct {
	seed maphash.Seed
	set  map[uint64]struct{}
}

func newOpFilter() opFilter {
	return opFilter{seed: maphash.MakeSeed(), set: map[uint64]struct{}{}}
}

func (f opFilter) add(op string) { f.set[maphash.String(f.seed, op)] = struct{}{} }

func (f opFilter) mayHave(op string) bool {
	_, ok := f.set[maphash.String(f.seed, op)]
	return ok
}

// loadOpFilter fills a filter with every op id in the store.
func loadOpFilter(tx *buntdb.Tx) opFilter {
	f := newOpFilter()
	tx.AscendGreaterOrEqual("", prefixOp, func(k, _ string) bool {
		if len(k) < len(prefixOp) || k[:len(prefixOp)] != prefixOp {
			return false
		}
		f.add(k[len(prefixOp):])
		return true
	})
	return f
}
