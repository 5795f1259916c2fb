package ledgerstore

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/ebios/ebios/core/ledger"
	"github.com/tidwall/buntdb"
	"golang.org/x/mod/sumdb/tlog"
)

// driver is the BuntDB and tile-files implementation of ledger.Storage,
// which the store's append pipeline (the log engine, pipelined: store.go)
// commits through and reads its tree edge from. A commit is one batch
// row: the entries with their tree hashes and, last, the checkpoint that
// commits them (rows.go), one command in the file; Sync fsyncs the file.
type driver struct {
	s *Store
	// written is the tree size after the last row written (durable or
	// not): the size the next batch must follow. Only the committer
	// writes, so it needs no lock.
	written uint64
}

var _ ledger.Storage = (*driver)(nil)

// maxRowLen is the longest batch row: its entry count and end offsets are
// uint32s (rows.go). A variable, so that a test can lower it.
var maxRowLen = math.MaxUint32

// Head returns the latest durable checkpoint and its tree size.
func (d *driver) Head() ([]byte, int64) { return d.s.Latest() }

// Commit writes b as one batch row, if it follows the rows written.
func (d *driver) Commit(b *ledger.Batch) error {
	if b.First != d.written {
		return fmt.Errorf("batch after %d entries, the store has written %d: %w", b.First, d.written, ledger.ErrConflict)
	}
	// The row is built in place, sized for its checkpoint too: entry
	// rows are body ‖ signature ‖ stored hashes.
	total := 4 + 4*len(b.Entries)
	ends := make([]int, len(b.Entries))
	for i, p := range b.Entries {
		total += len(p.Body) + ed25519.SignatureSize + len(b.Hashes[i])*tlog.HashSize
		ends[i] = total - 4 - 4*len(b.Entries)
	}
	// A batch that does not fit the row's uint32 count and offsets is
	// refused before anything is written (ebios import --batch 0 makes one
	// batch of a whole import).
	if len(b.Entries) >= rowHasCheckpoint || total+len(b.Checkpoint) > maxRowLen {
		return fmt.Errorf("a batch of %d entries (%d bytes) does not fit in one batch row (at most %d bytes): append in smaller batches",
			len(b.Entries), total+len(b.Checkpoint), maxRowLen)
	}
	row := make([]byte, 0, total+len(b.Checkpoint))
	row = binary.BigEndian.AppendUint32(row, rowHasCheckpoint|uint32(len(b.Entries))) // #nosec G115 -- range checked above: fewer than 2^31 entries
	for _, end := range ends {
		row = binary.BigEndian.AppendUint32(row, uint32(end)) // #nosec G115 -- range checked above: end <= total <= maxRowLen (MaxUint32)
	}
	for i, p := range b.Entries {
		if len(b.Hashes[i]) != hashesOf(b.First+uint64(i)) {
			return fmt.Errorf("entry %d comes with %d tree hashes, not %d", b.First+uint64(i), len(b.Hashes[i]), hashesOf(b.First+uint64(i)))
		}
		row = append(row, p.Body...)
		row = append(row, p.Entry.Signature[:]...)
		for _, h := range b.Hashes[i] {
			row = append(row, h[:]...)
		}
	}
	// The row ends with the checkpoint that commits it: one command in
	// the file, whole or cut off with its batch.
	row = append(row, b.Checkpoint...)
	err := d.s.update(func(tx *buntdb.Tx) error {
		// #nosec G103 -- row is not changed after this: the string shares its bytes, read only.
		_, _, err := tx.Set(batchKey(b.First), unsafe.String(&row[0], len(row)), nil)
		return err
	})
	if err != nil {
		return err
	}
	d.written = b.First + uint64(len(b.Entries))
	return nil
}

// Sync fsyncs the BuntDB file.
func (d *driver) Sync() error { return d.s.sync() }

// ReadLeaves reads leaf data: sealed entries from their bundles, others
// from the batch rows.
func (d *driver) ReadLeaves(from, to uint64, f func(i uint64, leaf []byte) error) error {
	return d.s.leaves(from, to, f)
}

// ReadHashes reads stored tree hashes, from the tiles or the batch rows.
func (d *driver) ReadHashes(indexes []int64) (hs []tlog.Hash, err error) {
	err = d.s.readHashes(func(r tlog.HashReader) error {
		hs, err = r.ReadHashes(indexes)
		return err
	})
	return hs, err
}

// ReadTile reads a tile, sealed or partial.
func (d *driver) ReadTile(t tlog.Tile) ([]byte, error) { return d.s.ReadTile(t) }

// IndexOfOp is the store's op-id index (committed entries).
func (d *driver) IndexOfOp(op string) (uint64, bool) { return d.s.IndexOfOp(op) }
