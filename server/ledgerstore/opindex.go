package ledgerstore

import (
	"hash/maphash"
	"math/bits"
	"slices"
	"sync"

	"github.com/ebios/ebios/core/ledger"
)

// opIndex maps op ids to entry indexes. It lives in memory: built from the
// entries when the store opens and kept up to date by the sequencer, so an
// append costs no B-tree insert at a random place in a large tree. It
// holds 64-bit hashes of op ids, not the op ids, and a hit is confirmed
// against the entry's own op id.
//
// Most of it is one sorted array, base, of packed 8-byte keys: the top
// 64-shift bits of an op id's hash, then the entry's index in the low
// shift bits (shift ≥ 24, and one more than the bits of the largest
// index when it is rebuilt). A lookup finds the keys with the hash's top
// bits through a directory of the first 16 bits (dir) and a binary search,
// and confirms each candidate; with n entries, a candidate that is not the
// op id comes up about n/2^(64-shift) times per lookup, which is rare up to
// billions of entries. Newer entries go to a map (tail) of full hashes;
// when it holds a quarter as many entries as base (and at least 65,536), a
// goroutine merges it into a new base while lookups go on (frozen is the
// map being merged). About 8 bytes an entry in base, and at most 40 bytes
// for each of the newest n/4 entries in the maps; no pointers for the
// garbage collector to scan. The rare op id whose full hash another op id
// in the maps already has is kept whole in a side map.
type opIndex struct {
	mu     sync.RWMutex
	hash   func(string) uint64
	base   []uint64
	shift  uint
	dir    []int // dir[p]: the first key of base whose top dirBits bits are ≥ p; 1<<dirBits + 1 of them
	frozen map[uint64]uint64
	tail   map[uint64]uint64
	whole  map[string]uint64
	merges int // merges started (tests)
	wg     sync.WaitGroup
}

const (
	dirBits      = 16
	minShift     = 24
	minMergeSize = 1 << 16
)

func newOpIndex() *opIndex {
	seed := maphash.MakeSeed()
	x := &opIndex{hash: func(s string) uint64 { return maphash.String(seed, s) }, shift: minShift,
		tail: map[uint64]uint64{}, whole: map[string]uint64{}}
	x.dir = buildDir(nil, x.shift)
	return x
}

// shiftFor returns the index bits for entries below n.
func shiftFor(n uint64) uint {
	return max(minShift, uint(bits.Len64(n))+1)
}

func pack(h, i uint64, shift uint) uint64 { return h>>shift<<shift | i }

// buildDir returns the directory of a sorted base.
func buildDir(base []uint64, shift uint) []int {
	dir := make([]int, 1<<dirBits+1)
	p := 0
	for k, key := range base {
		for top := int(key >> (64 - dirBits)); p <= top; p++ {
			dir[p] = k
		}
	}
	for ; p < len(dir); p++ {
		dir[p] = len(base)
	}
	return dir
}

// add records that op is the op id of entry i. op must not be in the
// index.
func (x *opIndex) add(op string, i uint64) {
	h := x.hash(op)
	x.mu.Lock()
	defer x.mu.Unlock()
	_, inTail := x.tail[h]
	_, inFrozen := x.frozen[h]
	if inTail || inFrozen {
		x.whole[op] = i
		return
	}
	x.tail[h] = i
	if x.frozen == nil && len(x.tail) >= max(minMergeSize, len(x.base)/4) {
		x.frozen, x.tail = x.tail, make(map[uint64]uint64, len(x.tail))
		x.merges++
		x.wg.Add(1)
		go x.merge(x.base, x.shift, x.frozen)
	}
}

// merge builds a new base from base and frozen and puts it in place.
func (x *opIndex) merge(base []uint64, shift uint, frozen map[uint64]uint64) {
	defer x.wg.Done()
	var top uint64
	for _, i := range frozen {
		top = max(top, i)
	}
	newShift := shift
	if top >= 1<<shift {
		newShift = shiftFor(top + 1)
	}
	keys := make([]uint64, 0, len(frozen))
	for h, i := range frozen {
		keys = append(keys, pack(h, i, newShift))
	}
	slices.Sort(keys)
	if newShift != shift {
		// Fewer hash bits: the keys keep their order of top bits.
		re := make([]uint64, len(base))
		mask := uint64(1)<<shift - 1
		for k, key := range base {
			re[k] = pack(key, key&mask, newShift)
		}
		base = re
	}
	merged := make([]uint64, 0, len(base)+len(keys))
	a, b := base, keys
	for len(a) > 0 && len(b) > 0 {
		if a[0]>>newShift <= b[0]>>newShift {
			merged, a = append(merged, a[0]), a[1:]
		} else {
			merged, b = append(merged, b[0]), b[1:]
		}
	}
	merged = append(append(merged, a...), b...)
	dir := buildDir(merged, newShift)
	x.mu.Lock()
	x.base, x.shift, x.dir, x.frozen = merged, newShift, dir, nil
	x.mu.Unlock()
}

// wait waits for a merge in progress (tests).
func (x *opIndex) wait() { x.wg.Wait() }

// lookup returns the index of the entry with op id op; opAt returns the op
// id of entry i, or false when it cannot be read.
func (x *opIndex) lookup(op string, opAt func(i uint64) (string, bool)) (uint64, bool) {
	h := x.hash(op)
	var cands [4]uint64
	c := cands[:0]
	x.mu.RLock()
	if j, ok := x.whole[op]; ok {
		x.mu.RUnlock()
		return j, true
	}
	if i, ok := x.tail[h]; ok {
		c = append(c, i)
	}
	if i, ok := x.frozen[h]; ok {
		c = append(c, i)
	}
	shift, base := x.shift, x.base
	if len(base) > 0 {
		p := h >> (64 - dirBits)
		lo, hi := x.dir[p], x.dir[p+1]
		want := h >> shift
		k := lo + sortSearch(hi-lo, func(k int) bool { return base[lo+k]>>shift >= want })
		mask := uint64(1)<<shift - 1
		for ; k < hi && base[k]>>shift == want; k++ {
			c = append(c, base[k]&mask)
		}
	}
	x.mu.RUnlock()
	for _, i := range c {
		if got, read := opAt(i); read && got == op {
			return i, true
		}
	}
	return 0, false
}

// sortSearch is sort.Search, inlined here to keep lookups cheap.
func sortSearch(n int, f func(int) bool) int {
	i, j := 0, n
	for i < j {
		h := int(uint(i+j) >> 1)
		if !f(h) {
			i = h + 1
		} else {
			j = h
		}
	}
	return i
}

// size returns the number of op ids indexed, and the bytes the index
// holds beyond its maps' overhead (for the memory benchmark).
func (x *opIndex) size() (n int, baseBytes int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.base) + len(x.tail) + len(x.frozen) + len(x.whole), 8*cap(x.base) + 8*len(x.dir)
}

// loadOpIndex indexes the op ids of the first size entries. An entry whose
// op id cannot be read is left out: verification reports it; on an error
// the index of what was read comes back with it. With check,
// it also checks that every sealed tile file is there and rebuilds those
// it can (checkSealedFiles), as the store opens.
func (s *Store) loadOpIndex(size uint64, check bool) (*opIndex, error) {
	x := newOpIndex()
	x.shift = shiftFor(size)
	keys := make([]uint64, 0, size)
	addLeaf := func(i uint64, leaf []byte) {
		if op, ok := ledger.LeafOpID(leaf); ok {
			keys = append(keys, pack(x.hash(op), i, x.shift))
		}
	}
	st := s.seal.Load()
	var err error
	if check && st.Size() > 0 {
		err = s.checkSealedFiles(st, addLeaf)
	} else {
		err = s.leaves(0, st.Size(), func(i uint64, leaf []byte) error { addLeaf(i, leaf); return nil })
	}
	if err == nil {
		err = s.leaves(st.Size(), size, func(i uint64, leaf []byte) error { addLeaf(i, leaf); return nil })
	}
	slices.Sort(keys)
	x.base = slices.Clip(keys)
	x.dir = buildDir(x.base, x.shift)
	return x, err
}
