package ledgerstore

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ebios/ebios/core/ledger"
	"github.com/tidwall/buntdb"
	"golang.org/x/mod/sumdb/tlog"
)

// leaves calls f with the leaf data of entries from … to-1, in order:
// sealed ones read from the entry bundles (outside any BuntDB
// transaction: sealed tiles never change), the others from the batch rows,
// a chunk per transaction.
func (s *Store) leaves(from, to uint64, f func(i uint64, leaf []byte) error) error {
	st := s.seal.Load()
	i := from
	for ; i < to && i < st.Size(); i = (i/ledger.TileWidth + 1) * ledger.TileWidth {
		c, err := s.tiles.read(bundleOf(i))
		if err != nil {
			return tileErr(err)
		}
		end := min(to, (i/ledger.TileWidth+1)*ledger.TileWidth)
		for j := i; j < end; j++ {
			if err := f(j, c.entries[j%ledger.TileWidth]); err != nil {
				return err
			}
		}
	}
	const chunk = 1024
	for ; i < to; i += chunk {
		end := min(i+chunk, to)
		var ls []string
		err := s.view(func(tx *buntdb.Tx) error {
			r := s.reader(tx)
			for j := i; j < end; j++ {
				leaf, err := r.leaf(j)
				if err != nil {
					return err
				}
				ls = append(ls, leaf)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for k, leaf := range ls {
			if err := f(i+uint64(k), []byte(leaf)); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkStored checks what proofs and reads are served from, beyond what
// verifying the export checks: every sealed tile file (each entry bundle
// decodes and gives its level-0 hash tile, and each hash tile of a higher
// level holds the roots of the tiles below it), every entry in the batch
// rows (it decodes, it equals its sealed copy if it has one, and the tree
// hashes stored with it are the ones the entries give) and the checkpoint
// of every batch row. It returns a failed report naming the first bad
// entry and the tile or row, or nil when all is well.
func (s *Store) checkStored() (*ledger.Report, error) {
	return s.checkStoredContext(context.Background(), nil)
}

// checkStoredContext is checkStored, stopped when ctx ends (with ctx's
// error and no report); progress, when not nil, is called with the
// entries checked and the store's size, every tile and every 1,024 rows.
func (s *Store) checkStoredContext(ctx context.Context, progress func(done, total int64)) (*ledger.Report, error) {
	if progress == nil {
		progress = func(int64, int64) {}
	}
	s.mu.RLock()
	size := s.size
	s.mu.RUnlock()
	bad := func(i uint64, check, reason string) (*ledger.Report, error) {
		f := &ledger.Failure{Index: int64(i), Check: check, Code: CodeDamaged, Reason: reason, // #nosec G115 -- i is an entry index of the store, below its size (a tree size, below 2^63)
			Remediation: "the store was altered on disk; restore the data directory (ledger.db and tile/) from a backup"}
		return &ledger.Report{FirstBad: f, Entries: int64(i)}, f.Err() // #nosec G115 -- i is an entry index of the store, below its size (a tree size, below 2^63)
	}

	// The sealed tiles, read from their files (not the cache), then the
	// rows; again when the sealer sealed more meanwhile.
	var roots [][]byte // per level ≥ 1: roots of the tiles below, not yet a full tile
	var checked int64  // tiles checked
	for {
		st := s.seal.Load()
		if rep, err := s.checkTiles(ctx, &roots, &checked, st, bad, progress); rep != nil || err != nil {
			return rep, err
		}
		rep, err, again := s.checkRows(ctx, st, size, bad, progress)
		if !again {
			return rep, err
		}
	}
}

// checkTiles checks the sealed tiles from *checked up to those of st,
// carrying the roots of the tiles of each level (checkStored).
func (s *Store) checkTiles(ctx context.Context, rootsp *[][]byte, checked *int64, st *ledger.TileState, bad func(i uint64, check, reason string) (*ledger.Report, error), progress func(done, total int64)) (*ledger.Report, error) {
	roots := *rootsp
	defer func() { *rootsp = roots }()
	total := int64(s.Len())                      // #nosec G115 -- the store's size is a tree size, below 2^63 (tlog sizes are int64)
	tiles := int64(st.Size() / ledger.TileWidth) // #nosec G115 -- a tree size over TileWidth, below 2^55
	for k := *checked; k < tiles; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		first := uint64(k) * ledger.TileWidth // #nosec G115 -- k counts tiles from 0 up, never negative
		if k%16 == 0 {
			progress(int64(first), total) // #nosec G115 -- first is an entry index of the store, below its size (a tree size, below 2^63)
		}
		bt, ht := ledger.FullTile(ledger.BundleLevel, k), ledger.FullTile(0, k)
		b, err := s.tiles.load(bt)
		if err != nil {
			return bad(first, ledger.CheckIndex, fmt.Sprintf("entries %d to %d: %s", first, first+ledger.TileWidth-1, detailsOf(tileErr(err))))
		}
		for j, leaf := range b.entries {
			if _, err := ledger.ParseLeaf(s.origin, leaf); err != nil {
				return bad(first+uint64(j), ledger.CheckFormat, fmt.Sprintf("entry %d in %s cannot be decoded: %v", first+uint64(j), ledger.TilePath(bt), err))
			}
		}
		hashes, _ := ledger.BundleHashes(b.data)
		h, err := s.tiles.load(ht)
		if err != nil {
			return bad(first, ledger.CheckRoot, detailsOf(tileErr(err)))
		}
		if !bytes.Equal(h.data, hashes) {
			j := 0
			for ; j < ledger.TileWidth && bytes.Equal(h.data[j*tlog.HashSize:(j+1)*tlog.HashSize], hashes[j*tlog.HashSize:(j+1)*tlog.HashSize]); j++ {
			}
			return bad(first+uint64(j), ledger.CheckRoot, fmt.Sprintf("the hash tile %s does not match the entry bundle %s at entry %d", ledger.TilePath(ht), ledger.TilePath(bt), first+uint64(j)))
		}
		data := hashes
		for l := 1; ; l++ {
			root, _ := ledger.TileRoot(data)
			for len(roots) <= l {
				roots = append(roots, nil)
			}
			roots[l] = append(roots[l], root[:]...)
			if len(roots[l]) < ledger.TileWidth*tlog.HashSize {
				break
			}
			n := int64((first+ledger.TileWidth)>>(ledger.TileHeight*(l+1))) - 1 // #nosec G115 -- first is an entry index of the store, below its size (a tree size, below 2^63)
			t := ledger.FullTile(l, n)
			c, err := s.tiles.load(t)
			if err != nil {
				return bad(first, ledger.CheckRoot, detailsOf(tileErr(err)))
			}
			if !bytes.Equal(c.data, roots[l]) {
				return bad(first, ledger.CheckRoot, fmt.Sprintf("the hash tile %s does not match the tiles below it", ledger.TilePath(t)))
			}
			data, roots[l] = c.data, nil
		}
		*checked = k + 1
	}
	for l := 1; l < max(len(roots), st.Levels()); l++ {
		var a []byte
		if l < len(roots) {
			a = roots[l]
		}
		if !bytes.Equal(a, st.Upper(l)) {
			return bad(st.Size(), ledger.CheckRoot, fmt.Sprintf("the tile files of level %d changed after the store opened", l-1))
		}
	}
	return nil, nil
}

// checkRows checks the batch rows, from the first one on, with the tiles
// of st checked (checkStored); again is set when the sealer sealed more
// than st meanwhile.
func (s *Store) checkRows(ctx context.Context, st *ledger.TileState, size uint64, bad func(i uint64, check, reason string) (*ledger.Report, error), progress func(done, total int64)) (rep *ledger.Report, rerr error, again bool) {
	err := s.view(func(tx *buntdb.Tx) error {
		if s.seal.Load().Size() != st.Size() {
			again = true
			return nil
		}
		// Rows wholly below the sealed entries are leftovers of a crash
		// (Open deletes them); the check starts at the first row that is
		// not.
		var from uint64
		found := false
		err := forEachBatch(tx, 0, func(b *batch) bool {
			if b.next() <= st.Size() {
				return true
			}
			from, found = b.first, true
			return false
		})
		if err != nil {
			rep, rerr = bad(st.Size(), ledger.CheckFormat, detailsOf(err))
			return nil
		}
		if !found && size > st.Size() || found && from > st.Size() {
			rep, rerr = bad(st.Size(), ledger.CheckIndex, fmt.Sprintf("entry %d is missing from the store (neither sealed nor in a batch row)", st.Size()))
			return nil
		}
		hr := &verifyHashes{st: st, tf: s.tiles, from: from, computed: map[int64]tlog.Hash{}}
		r := &rows{tx: tx}
		withCP := false // a batch row with a checkpoint was seen (format 3 rows follow format-2 ones)
		for i := from; i < size; i++ {
			if (i-from)%1024 == 0 {
				if rerr = ctx.Err(); rerr != nil {
					return nil
				}
				progress(int64(i), int64(size)) // #nosec G115 -- i < size, the store's size: a tree size, below 2^63
			}
			row, err := r.row(i)
			leaf, stored, ok := splitRow(i, row)
			if err != nil || !ok {
				rep, rerr = bad(i, ledger.CheckIndex, fmt.Sprintf("entry %d is missing from the store", i))
				return nil
			}
			if _, err := ledger.ParseLeaf(s.origin, []byte(leaf)); err != nil {
				rep, rerr = bad(i, ledger.CheckFormat, fmt.Sprintf("entry %d cannot be decoded: %v", i, err))
				return nil
			}
			if i < st.Size() {
				c, err := s.tiles.read(bundleOf(i))
				if err != nil || string(c.entries[i%ledger.TileWidth]) != leaf {
					rep, rerr = bad(i, ledger.CheckIndex, fmt.Sprintf("entry %d in batch row %q differs from its copy in %s", i, batchKey(r.b.first), ledger.TilePath(bundleOf(i))))
					return nil
				}
			}
			hs, err := tlog.StoredHashesForRecordHash(int64(i), tlog.RecordHash([]byte(leaf)), hr)
			if err != nil {
				rep, rerr = bad(i, ledger.CheckRoot, fmt.Sprintf("tree hashes for entry %d cannot be computed: %s", i, detailsOf(tileErr(err))))
				return nil
			}
			x := tlog.StoredHashCount(int64(i))
			for k, h := range hs {
				if stored[k*tlog.HashSize:(k+1)*tlog.HashSize] != string(h[:]) {
					rep, rerr = bad(i, ledger.CheckRoot, fmt.Sprintf("stored tree hash %d (written with entry %d) does not match the entries", x+int64(k), i))
					return nil
				}
				hr.computed[x+int64(k)] = h
			}
			if b := &r.b; i+1 == b.next() { // the batch's last entry: check its checkpoint
				if b.cp == "" && withCP {
					rep, rerr = bad(i, ledger.CheckCheckpoint, fmt.Sprintf("the batch row %q has no checkpoint, but an earlier row has one", batchKey(b.first)))
					return nil
				}
				if b.cp != "" {
					withCP = true
					if reason := s.checkRowCheckpoint(b, hr); reason != "" {
						rep, rerr = bad(i, ledger.CheckCheckpoint, reason)
						return nil
					}
				}
			}
		}
		progress(int64(size), int64(size)) // #nosec G115 -- the store's size is a tree size, below 2^63 (tlog sizes are int64)
		return nil
	})
	if err != nil {
		return &ledger.Report{}, ioErr("read", err), false
	}
	return rep, rerr, again
}

// verifyHashes is the tree hashes checkStored has checked: those of
// subtrees that end before from, read from the (checked) tiles, and those
// it computed from the entries of the batch rows.
type verifyHashes struct {
	st       *ledger.TileState
	tf       *tileFiles
	from     uint64
	computed map[int64]tlog.Hash
}

func (v *verifyHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for k, x := range indexes {
		level, n := tlog.SplitStoredHashIndex(x)
		last := uint64(n+1)<<level - 1 // #nosec G115 -- n is from tlog.SplitStoredHashIndex of a stored hash index, never negative
		if last < v.from {
			h, err := v.st.Hash(x, v.tf.data)
			if err != nil {
				return nil, err
			}
			out[k] = h
			continue
		}
		h, ok := v.computed[x]
		if !ok {
			return nil, fmt.Errorf("tree hash %d not computed", x)
		}
		out[k] = h
	}
	return out, nil
}

// checkRowCheckpoint checks the checkpoint batch row b carries against
// the entries up to its end, whose tree hashes hr holds; it returns what
// is wrong, or "".
func (s *Store) checkRowCheckpoint(b *batch, hr tlog.HashReader) string {
	c, err := ledger.OpenCheckpoint([]byte(b.cp), s.verifier, s.origin)
	if err != nil {
		return fmt.Sprintf("the checkpoint in batch row %q does not verify: %v", batchKey(b.first), err)
	}
	size := treeSize(c.Size)
	if size != b.next() {
		return fmt.Sprintf("the checkpoint in batch row %q is for tree size %d, but the row ends at %d", batchKey(b.first), c.Size, b.next())
	}
	root, err := tlog.TreeHash(c.Size, hr)
	if err != nil || root != c.Root {
		return fmt.Sprintf("the checkpoint in batch row %q says root %s, the entries give %s", batchKey(b.first), c.Root, root)
	}
	return ""
}
