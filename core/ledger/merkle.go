package ledger

import (
	"crypto/sha256"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// HashReader reads stored Merkle hashes by their tlog storage index
// (tlog.StoredHashIndex). It is tlog.HashReader; a durable store (BuntDB on
// the server, D1 on the edge) implements it over its own storage.
type HashReader = tlog.HashReader

// HashStore is a HashReader that can also append the hashes returned by
// [StoredHashes]. [MemHashes] is the in-memory implementation.
type HashStore interface {
	HashReader
	// AppendHashes stores hs at storage indexes Count(), Count()+1, ...
	AppendHashes(hs []tlog.Hash) error
	// Count returns the number of stored hashes.
	Count() int64
}

// MemHashes is an in-memory [HashStore]. It is safe for concurrent use.
type MemHashes struct {
	mu sync.RWMutex
	h  []tlog.Hash
}

var _ HashStore = (*MemHashes)(nil)

// ReadHashes returns the hashes at the given storage indexes.
func (m *MemHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.h)) {
			return nil, fmt.Errorf("ledger: hash %d not stored (have %d)", x, len(m.h))
		}
		out[i] = m.h[x]
	}
	return out, nil
}

// AppendHashes appends hs.
func (m *MemHashes) AppendHashes(hs []tlog.Hash) error {
	m.mu.Lock()
	m.h = append(m.h, hs...)
	m.mu.Unlock()
	return nil
}

// Count returns the number of stored hashes.
func (m *MemHashes) Count() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return int64(len(m.h))
}

// emptyRoot is the RFC 6962 hash of the empty tree, SHA-256("").
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// frontier computes the RFC 6962 root of a growing list of leaves in
// O(log n) memory: it keeps the roots of the perfect subtrees that make up
// the tree (the "compact range" from 0), largest first.
type frontier struct {
	n     int64
	stack []tlog.Hash // stack[i] covers 2^k leaves, k decreasing
	buf   [1 + 2*tlog.HashSize]byte
}

// push adds the next leaf hash.
func (f *frontier) push(h tlog.Hash) {
	f.stack = append(f.stack, h)
	// Merge while the lowest bits of n are 1: each 1 bit is a full subtree
	// of equal size waiting for its right sibling.
	for n := f.n; n&1 == 1; n >>= 1 {
		k := len(f.stack)
		f.stack[k-2] = f.node(f.stack[k-2], f.stack[k-1])
		f.stack = f.stack[:k-1]
	}
	f.n++
}

func (f *frontier) node(l, r tlog.Hash) tlog.Hash {
	f.buf[0] = 1
	copy(f.buf[1:], l[:])
	copy(f.buf[1+tlog.HashSize:], r[:])
	return sha256.Sum256(f.buf[:])
}

// root returns the tree hash of the leaves pushed so far.
func (f *frontier) root() tlog.Hash {
	if len(f.stack) == 0 {
		return emptyRoot
	}
	h := f.stack[len(f.stack)-1]
	for i := len(f.stack) - 2; i >= 0; i-- {
		h = f.node(f.stack[i], h)
	}
	return h
}
