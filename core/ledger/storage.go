package ledger

import (
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// Storage is what the log engine needs from a store: the interface its
// drivers implement (BuntDB and tile files on the server, PostgreSQL for
// a fleet, Cloudflare's stores at the edge, [MemStorage] in memory).
//
// The commit record is the signed checkpoint: [Storage.Commit] stores a
// batch of entries with the checkpoint that commits them, as one atomic
// write that succeeds only if the log still has the size the batch
// follows (compare-and-swap on the commit record). An append is
// acknowledged only after [Storage.Sync] has returned for its commit.
type Storage interface {
	// Head returns the latest committed checkpoint (a signed note) and
	// the tree size it commits: what a sequencer starts from.
	Head() (checkpoint []byte, size int64)
	// Commit stores b after the first b.First entries, with its
	// checkpoint, atomically; it fails with an error wrapping
	// [ErrConflict] when the log's committed size is not b.First (another
	// sequencer committed first) and stores nothing then. A store may
	// answer before b is durable: Sync makes it so.
	Commit(b *Batch) error
	// Sync makes every batch Commit has returned durable.
	Sync() error

	// ReadLeaves calls f with the leaf data (body ‖ signature) of entries
	// from … to-1, in order.
	ReadLeaves(from, to uint64, f func(i uint64, leaf []byte) error) error
	// ReadHashes reads stored tree hashes (tlog.HashReader).
	ReadHashes(indexes []int64) ([]tlog.Hash, error)
	// ReadTile returns a C2SP tlog-tiles tile (a hash tile, or an entry
	// bundle at level [BundleLevel]), partial ones included.
	ReadTile(t tlog.Tile) ([]byte, error)
	// IndexOfOp is the op-id index: the index of the entry with op id
	// op, if it is committed.
	OpIndex
}

// ErrConflict is wrapped by the error of a [Storage.Commit] whose batch
// does not follow the committed log (another sequencer committed).
var ErrConflict = newErr(CodeStore, "the log changed under the sequencer", "another sequencer committed first",
	"take the lease again and restart from the new checkpoint")

// Batch is what one commit stores: consecutive signed entries, the tree
// hashes to store with each, and the checkpoint of the tree they make.
type Batch struct {
	// First is the index of the first entry: the tree size before.
	First uint64
	// Entries are signed, in index order.
	Entries []Pending
	// Hashes[i] are the tree hashes stored with Entries[i]
	// ([Tree.AddHash]).
	Hashes [][]tlog.Hash
	// Checkpoint is the signed checkpoint of the tree of First +
	// len(Entries) records: the commit record.
	Checkpoint []byte
}

// MemStorage is a [Storage] in memory: entries, tree hashes and the op-id
// index in slices and maps. Tiles are made from them when read. It is
// safe for concurrent use.
type MemStorage struct {
	mu      sync.RWMutex
	head    []byte
	entries []*Entry
	leaves  [][]byte
	hashes  MemHashes
	ops     map[string]uint64
}

var _ Storage = (*MemStorage)(nil)

// NewMemStorage returns an empty storage whose head is checkpoint, the
// signed checkpoint of the empty tree.
func NewMemStorage(checkpoint []byte) *MemStorage {
	return &MemStorage{head: checkpoint, ops: map[string]uint64{}}
}

// Head returns the latest checkpoint and its tree size.
func (m *MemStorage) Head() ([]byte, int64) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.head, int64(len(m.entries))
}

// Commit stores b if it follows the stored entries.
func (m *MemStorage) Commit(b *Batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b.First != uint64(len(m.entries)) {
		return fmt.Errorf("batch after %d entries, the log has %d: %w", b.First, len(m.entries), ErrConflict)
	}
	for i, p := range b.Entries {
		m.entries = append(m.entries, p.Entry)
		m.leaves = append(m.leaves, p.Leaf())
		m.hashes.AppendHashes(b.Hashes[i]) // #nosec G104 -- MemHashes.AppendHashes is an append in memory and always returns nil
		m.ops[p.Entry.OpID] = p.Entry.Index
	}
	m.head = b.Checkpoint
	return nil
}

// Sync does nothing: memory is as durable as it gets.
func (m *MemStorage) Sync() error { return nil }

// Entry returns entry i.
func (m *MemStorage) Entry(i uint64) (*Entry, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if i >= uint64(len(m.entries)) {
		return nil, false
	}
	return m.entries[i], true
}

// Entries returns the stored entries (do not change them).
func (m *MemStorage) Entries() []*Entry {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.entries[:len(m.entries):len(m.entries)]
}

// ReadLeaves calls f with the leaf data of entries from … to-1.
func (m *MemStorage) ReadLeaves(from, to uint64, f func(i uint64, leaf []byte) error) error {
	for i := from; i < to; i++ {
		m.mu.RLock()
		n := uint64(len(m.leaves))
		var leaf []byte
		if i < n {
			leaf = m.leaves[i]
		}
		m.mu.RUnlock()
		if i >= n {
			return errNotFound("index " + utoa(i))
		}
		if err := f(i, leaf); err != nil {
			return err
		}
	}
	return nil
}

// ReadHashes reads stored tree hashes.
func (m *MemStorage) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return m.hashes.ReadHashes(indexes)
}

// ReadTile returns tile t of the stored tree, partial tiles included.
func (m *MemStorage) ReadTile(t tlog.Tile) ([]byte, error) {
	if t.L != BundleLevel {
		return tlog.ReadTileData(t, m)
	}
	first := uint64(t.N) * TileWidth // #nosec G115 -- t.N is a tile index, never negative
	end := first + uint64(t.W)       // #nosec G115 -- t.W is a tile width, 1 to TileWidth
	var bundle []byte
	err := m.ReadLeaves(first, end, func(_ uint64, leaf []byte) (err error) {
		bundle, err = AppendBundleEntry(bundle, leaf)
		return err
	})
	return bundle, err
}

// IndexOfOp returns the index of the entry with op id op.
func (m *MemStorage) IndexOfOp(op string) (uint64, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i, ok := m.ops[op]
	return i, ok
}
