package ledgerstore

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/tidwall/buntdb"
	"golang.org/x/mod/sumdb/tlog"
)

// Entries are kept in batch rows, one BuntDB row per committed batch:
//
//	key:   b:<20-digit index of the batch's first entry>
//	value: u32 flag|count ‖ count × u32 end of each entry's row ‖ the entry rows
//	       [‖ the signed checkpoint of the tree the batch ends, when flag is set]
//
// (ends are offsets from the start of the entry rows, so any entry's row is
// found without reading the others'),
// and entry i's row is its leaf data (body ‖ signature) followed by the
// tree hashes its append stored (RFC 6962 hashes in
// golang.org/x/mod/sumdb/tlog's numbering: 1 + the number of trailing 1
// bits of i, level 0 first). One B-tree insert per batch instead of one per
// entry and per hash keeps appends cheap when the log is large, and the
// keys stay few.
//
// flag is rowHasCheckpoint, the top bit of the first word. Store format 3
// writes every row with it: the row carries its own commit record, so one
// BuntDB command holds a batch and the checkpoint that commits it, and a
// torn write can only lose them together. Rows written in format 2 have no
// checkpoint; a store migrated from format 2 keeps them as they are.

// rowHasCheckpoint marks a batch row that ends with its checkpoint.
const rowHasCheckpoint = 1 << 31

func batchKey(first uint64) string { return key(prefixBatch, first) }

// hashesOf returns how many tree hashes appending entry i stores.
func hashesOf(i uint64) int { return 1 + bits.TrailingZeros64(^i) }

// splitRow splits entry i's row into its leaf data and its stored hashes.
func splitRow(i uint64, row string) (leaf, hashes string, ok bool) {
	n := len(row) - hashesOf(i)*tlog.HashSize
	if n <= 0 {
		return "", "", false
	}
	return row[:n], row[n:], true
}

// batch is a batch row whose header has been checked.
type batch struct {
	first uint64 // index of its first entry
	n     int    // entries in it
	data  string // the whole row
	cp    string // the signed checkpoint at its end; "" in a format-2 row
}

// next returns the index after the batch's last entry: the size of the tree
// it ends.
func (b *batch) next() uint64 { return b.first + uint64(b.n) } // #nosec G115 -- n is a row's entry count (parseBatch), never negative

// has reports whether entry i is in the batch.
func (b *batch) has(i uint64) bool { return b.n > 0 && i >= b.first && i-b.first < uint64(b.n) }

// end returns where entry k's row ends, from the start of the rows.
func (b *batch) end(k int) int {
	if k < 0 {
		return 0
	}
	return int(binary.BigEndian.Uint32([]byte(b.data[4+4*k : 8+4*k])))
}

// row returns entry i's row; b.has(i) must hold. A row whose offsets are
// out of order or out of the batch (only an edited file has them) comes
// back empty, which every reader reports as damage.
func (b *batch) row(i uint64) string {
	k := int(i - b.first) // #nosec G115 -- b.has(i) holds: 0 <= i-first < n
	hdr := 4 + 4*b.n
	start, end := b.end(k-1), b.end(k)
	if start > end || hdr+end > len(b.data)-len(b.cp) {
		return ""
	}
	return b.data[hdr+start : hdr+end]
}

// parseBatch checks the header of the batch row v stored under key k.
func parseBatch(k, v string) (batch, error) {
	bad := damaged("the batch row " + strconv.Quote(k) + " cannot be parsed")
	if !strings.HasPrefix(k, prefixBatch) {
		return batch{}, bad
	}
	first, err := strconv.ParseUint(k[len(prefixBatch):], 10, 64)
	if err != nil || len(v) < 4 {
		return batch{}, bad
	}
	word := binary.BigEndian.Uint32([]byte(v[:4]))
	n := int(word &^ rowHasCheckpoint)
	if n == 0 || n > (len(v)-4)/4 {
		return batch{}, bad
	}
	b := batch{first: first, n: n, data: v}
	end := 4 + 4*n + b.end(n-1)
	switch {
	case word&rowHasCheckpoint == 0 && end == len(v):
	case word&rowHasCheckpoint != 0 && end < len(v):
		b.cp = v[end:]
	default:
		return batch{}, bad
	}
	return b, nil
}

// forEachBatch calls f with every batch row from the one starting at first
// on, in order, until f returns false.
func forEachBatch(tx *buntdb.Tx, first uint64, f func(b *batch) bool) error {
	var err error
	scan := tx.AscendGreaterOrEqual("", batchKey(first), func(k, v string) bool {
		if !strings.HasPrefix(k, prefixBatch) {
			return false
		}
		var b batch
		if b, err = parseBatch(k, v); err != nil {
			return false
		}
		return f(&b)
	})
	if scan != nil {
		return scan
	}
	return err
}

// rows reads entry rows in a BuntDB transaction. It keeps the batch row it
// read last, so reading in index order costs one lookup per batch.
type rows struct {
	tx *buntdb.Tx
	b  batch
}

// row returns entry i's row.
func (r *rows) row(i uint64) (string, error) {
	if !r.b.has(i) {
		var k, v string
		err := r.tx.DescendLessOrEqual("", batchKey(i), func(key, val string) bool {
			k, v = key, val
			return false
		})
		if err != nil {
			return "", err
		}
		missing := damaged(fmt.Sprintf("entry %d is missing from the store", i))
		if !strings.HasPrefix(k, prefixBatch) {
			return "", missing
		}
		b, err := parseBatch(k, v)
		if err != nil {
			return "", err
		}
		if !b.has(i) {
			return "", missing
		}
		r.b = b
	}
	return r.b.row(i), nil
}

// leaf returns entry i's leaf data.
func (r *rows) leaf(i uint64) (string, error) {
	row, err := r.row(i)
	if err != nil {
		return "", err
	}
	leaf, _, ok := splitRow(i, row)
	if !ok {
		return "", damaged(fmt.Sprintf("entry %d's row is too short", i))
	}
	return leaf, nil
}

// ReadHashes reads stored tree hashes (tlog.HashReader).
func (r *rows) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, err := r.hash(x)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// hash reads stored hash x from the row of the entry whose append stored
// it: the last entry of the subtree it is the hash of.
func (r *rows) hash(x int64) (tlog.Hash, error) {
	level, n := tlog.SplitStoredHashIndex(x)
	i := uint64(n+1)<<level - 1 // #nosec G115 -- n is from tlog.SplitStoredHashIndex of a stored hash index, never negative
	row, err := r.row(i)
	_, hs, ok := splitRow(i, row)
	if err != nil || !ok {
		return tlog.Hash{}, fmt.Errorf("stored hash %d (in entry %d's row) missing", x, i)
	}
	var h tlog.Hash
	copy(h[:], hs[level*tlog.HashSize:])
	return h, nil
}
