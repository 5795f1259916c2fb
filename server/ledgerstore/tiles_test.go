package ledgerstore

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/tidwall/buntdb"
	"golang.org/x/mod/sumdb/tlog"
)

// appendN appends n entries named prefix-<i>, in batches of batch.
func appendN(t testing.TB, st *Store, prefix string, n, batch int) {
	t.Helper()
	for i := 0; i < n; i += batch {
		var ds []ledger.Draft
		for j := i; j < min(i+batch, n); j++ {
			d := draft(fmt.Sprintf("%s-%d", prefix, j))
			if j%7 == 3 && j > 0 {
				d.ParentOpID = fmt.Sprintf("%s-%d", prefix, j-1)
			}
			ds = append(ds, d)
		}
		if _, err := st.AppendBatch(context.Background(), ds); err != nil {
			t.Fatal(err)
		}
	}
}

// waitSealed waits until the store has sealed want entries and deleted
// the rows they were in (the sealer deletes them after it publishes what
// it sealed).
func waitSealed(t testing.TB, st *Store, want uint64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := st.SealStatus()
		if got == want && !sealedRowsLeft(st, want) {
			return
		}
		if got > want || time.Now().After(deadline) {
			t.Fatalf("sealed %d entries, want %d (%v)", got, want, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// sealedRowsLeft reports whether a batch row holds only entries below
// sealed.
func sealedRowsLeft(st *Store, sealed uint64) bool {
	left := false
	st.view(func(tx *buntdb.Tx) error {
		return forEachBatch(tx, 0, func(b *batch) bool {
			left = b.next() <= sealed
			return false
		})
	})
	return left
}

// rowKeys returns the batch row keys of the store.
func rowKeys(t testing.TB, st *Store) []string {
	t.Helper()
	var ks []string
	st.view(func(tx *buntdb.Tx) error {
		tx.AscendKeys(prefixBatch+"*", func(k, _ string) bool { ks = append(ks, k); return true })
		return nil
	})
	return ks
}

// tileFiles returns the tile files under dir, path → contents.
func tileFilesIn(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.WalkDir(filepath.Join(dir, "tile"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = b
		}
		return nil
	})
	return out
}

func fastSealing(t testing.TB) {
	old := sealPause
	sealPause = 0
	t.Cleanup(func() { sealPause = old })
}

// memTree returns the tree hashes and leaves of the store's entries,
// computed from Get, as a reference.
func memTree(t testing.TB, st *Store) (*ledger.MemHashes, [][]byte) {
	t.Helper()
	var mem ledger.MemHashes
	var leaves [][]byte
	for i := range st.Len() {
		e, err := st.Get(i)
		if err != nil {
			t.Fatal(err)
		}
		leaf := e.Leaf(st.Origin())
		hs, err := tlog.StoredHashes(int64(i), leaf, &mem)
		if err != nil {
			t.Fatal(err)
		}
		mem.AppendHashes(hs)
		leaves = append(leaves, leaf)
	}
	return &mem, leaves
}

// TestSealTiles: full tiles are sealed into C2SP files, their rows leave
// BuntDB (a row straddling a tile boundary stays until the next seal
// passes its end; the last row always stays), reads, proofs and Verify go
// through the tiles, and after a restart the store reads the same and
// every tile file is byte-identical.
func TestSealTiles(t *testing.T) {
	fastSealing(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	sg := newSigner(t, "seal.example/log")
	st := openT(t, path, sg)
	appendN(t, st, "a", 300, 100) // rows 0-99, 100-199, 200-299: the third straddles 256
	waitSealed(t, st, 256)
	if ks := rowKeys(t, st); len(ks) != 1 || ks[0] != batchKey(200) {
		t.Fatalf("rows after sealing 256: %v", ks)
	}
	appendN(t, st, "b", 2*256+13, 37)
	waitSealed(t, st, 3*256)
	for _, k := range rowKeys(t, st) {
		v := ""
		st.view(func(tx *buntdb.Tx) error { v, _ = tx.Get(k); return nil })
		b, _ := parseBatch(k, v)
		if b.next() <= 3*256 {
			t.Fatalf("row %s (entries %d to %d) is sealed but still there", k, b.first, b.next()-1)
		}
	}
	files := tileFilesIn(t, dir)
	for _, p := range []string{"tile/entries/000", "tile/entries/001", "tile/entries/002", "tile/0/000", "tile/0/001", "tile/0/002"} {
		if files[p] == nil {
			t.Fatalf("%s missing; files: %d", p, len(files))
		}
	}
	if len(files) != 6 {
		t.Fatalf("%d tile files, want 6", len(files))
	}
	mem, leaves := memTree(t, st)
	check := func(st *Store) {
		t.Helper()
		size := int64(st.Len())
		for k := range int64(3) {
			hs, _ := tlog.ReadTileData(ledger.FullTile(0, k), mem)
			if !bytes.Equal(files[ledger.TilePath(ledger.FullTile(0, k))], hs) {
				t.Fatalf("tile/0/%03d differs from the tree", k)
			}
			var b []byte
			for _, l := range leaves[k*256 : k*256+256] {
				b, _ = ledger.AppendBundleEntry(b, l)
			}
			if !bytes.Equal(files[ledger.TilePath(ledger.FullTile(-1, k))], b) {
				t.Fatalf("tile/entries/%03d differs", k)
			}
		}
		// Every tile the tree has, full and partial, as ReadTile serves it.
		for _, tl := range tlog.NewTiles(8, 0, size) {
			want, _ := tlog.ReadTileData(tl, mem)
			got, err := st.ReadTile(tl)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("ReadTile(%s): %v", ledger.TilePath(tl), err)
			}
			bt := tl
			bt.L = -1
			if tl.L == 0 {
				var b []byte
				for _, l := range leaves[tl.N*256 : tl.N*256+int64(tl.W)] {
					b, _ = ledger.AppendBundleEntry(b, l)
				}
				got, err := st.ReadTile(bt)
				if err != nil || !bytes.Equal(got, b) {
					t.Fatalf("ReadTile(%s): %v", ledger.TilePath(bt), err)
				}
			}
		}
		for _, tl := range []tlog.Tile{{H: 8, L: 0, N: 3, W: 256}, {H: 8, L: 0, N: 3, W: int(size%256) + 1}, {H: 8, L: 1, N: 0, W: 4}, {H: 8, L: -1, N: 4, W: 1}} {
			if _, err := st.ReadTile(tl); code(err) != ledger.CodeNotFound {
				t.Fatalf("ReadTile(%s) beyond the tree: %v", ledger.TilePath(tl), err)
			}
		}
		// A partial tile of a sealed one.
		if got, err := st.ReadTile(tlog.Tile{H: 8, L: 0, N: 1, W: 5}); err != nil || !bytes.Equal(got, files["tile/0/001"][:5*32]) {
			t.Fatalf("partial of a sealed tile: %v", err)
		}
		for _, i := range []uint64{0, 255, 256, 700, uint64(size) - 1} {
			e, err := st.Get(i)
			if err != nil || !bytes.Equal(e.Leaf(st.Origin()), leaves[i]) {
				t.Fatalf("Get(%d): %v", i, err)
			}
			p, err := st.InclusionProof(int64(i), size)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ledger.VerifyInclusion(sg.Verifier(), st.Origin(), st.Checkpoint(), e, p); err != nil {
				t.Fatalf("inclusion of %d: %v", i, err)
			}
			if j, ok := st.IndexOfOp(e.OpID); !ok || j != i {
				t.Fatalf("IndexOfOp(%s) = %d, %v", e.OpID, j, ok)
			}
		}
		for _, old := range []int64{1, 256, 300, 512, 700} {
			if _, err := st.ConsistencyProof(old, size); err != nil {
				t.Fatal(err)
			}
		}
		if rep, err := st.Verify(nil); err != nil || !rep.OK || rep.Entries != size {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	}
	check(st)
	cp := string(st.Checkpoint())
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openT(t, path, sg)
	if string(st.Checkpoint()) != cp {
		t.Fatal("another checkpoint after a restart")
	}
	check(st)
	// Appending after the restart seals on, chained to the sealed tiles.
	appendN(t, st, "c", 300, 50)
	waitSealed(t, st, 4*256)
	st.Close()
	after := tileFilesIn(t, dir)
	for p, b := range files {
		if !bytes.Equal(after[p], b) {
			t.Fatalf("%s changed after a restart", p)
		}
	}
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if rep, err := ro.Verify(nil); err != nil || !rep.OK {
		t.Fatalf("read-only verify: %+v %v", rep, err)
	}
}

// TestSealUpperTiles: 65,536 entries complete a tile of level 1; the
// partial tiles above level 0 are rebuilt from the files on open.
func TestSealUpperTiles(t *testing.T) {
	if testing.Short() {
		t.Skip("appends 66,000 entries")
	}
	fastSealing(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	sg := newSigner(t, "upper.example/log")
	st := openT(t, path, sg)
	const n = 65536 + 2*256 + 40
	appendN(t, st, "u", n, 4096)
	waitSealed(t, st, 65536+512)
	if _, err := os.Stat(filepath.Join(dir, "tile/1/000")); err != nil {
		t.Fatal(err)
	}
	mem, _ := memTree(t, st)
	for _, tl := range append(tlog.NewTiles(8, 0, n), ledger.FullTile(1, 0)) {
		want, _ := tlog.ReadTileData(tl, mem)
		got, err := st.ReadTile(tl)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("ReadTile(%s): %v", ledger.TilePath(tl), err)
		}
	}
	st.Close()
	st = openT(t, path, sg)
	for _, tl := range tlog.NewTiles(8, 0, n) {
		want, _ := tlog.ReadTileData(tl, mem)
		if got, err := st.ReadTile(tl); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("after reopen, ReadTile(%s): %v", ledger.TilePath(tl), err)
		}
	}
	// Every tile and tree hash (the signatures, checked by Verify, take
	// long on 66,000 entries; TestSealTiles verifies).
	if rep, err := st.checkStored(); rep != nil {
		t.Fatalf("check: %+v %v", rep.FirstBad, err)
	}
	st.Close()
	// A level-0 tile under the full tile of level 1 is not read on open;
	// Verify names it.
	flipFileByte(filepath.Join(dir, "tile/0/005"), 32*9)
	st = openT(t, path, sg)
	defer st.Close()
	rep, err := st.Verify(nil)
	if err == nil || rep.OK || rep.FirstBad.Index != 5*256+9 || !strings.Contains(rep.FirstBad.Reason, "tile/0/005 does not match the entry bundle tile/entries/005") {
		t.Fatalf("verify: %+v %v", rep.FirstBad, err)
	}
}

// sealedStore makes a store of n entries with every tile it can sealed,
// and closes it; with crash set, the sealer stops at that step of its
// last round instead.
func sealedStore(t *testing.T, sg *ledger.Signer, n int, crash string) (dir, path string) {
	t.Helper()
	fastSealing(t)
	dir = t.TempDir()
	path = filepath.Join(dir, "ledger.db")
	st := openT(t, path, sg)
	appendN(t, st, "s", n-20, 40)
	waitSealed(t, st, sealable(uint64(n-20)))
	if crash != "" {
		sealCrash = func(step string) bool { return step == crash }
		t.Cleanup(func() { sealCrash = nil })
	}
	appendN(t, st, "t", 20, 1)
	if crash != "" {
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := st.SealStatus(); err != nil && strings.Contains(err.Error(), "stopped by a test") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the sealer did not reach step " + crash)
			}
			time.Sleep(time.Millisecond)
		}
		sealCrash = nil
	} else {
		waitSealed(t, st, sealable(uint64(n)))
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

func mustVerify(t *testing.T, st *Store, n uint64) {
	t.Helper()
	if st.Len() != n {
		t.Fatalf("Len = %d, want %d", st.Len(), n)
	}
	if rep, err := st.Verify(nil); err != nil || !rep.OK {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// TestSealRecovery: what a crash during sealing, or a lost tile file,
// leaves is recovered on open, or refused naming the tile.
func TestSealRecovery(t *testing.T) {
	sg := newSigner(t, "recover.example/log")
	const n = 3*256 + 12 // the last 20 single appends (from 760) make tile 2 sealable
	t.Run("crash after the files, before meta:sealed", func(t *testing.T) {
		dir, path := sealedStore(t, sg, n, "files")
		files := tileFilesIn(t, dir)
		if files["tile/entries/002"] == nil {
			t.Fatal("the files of the last round were not written")
		}
		st := openT(t, path, sg)
		if sealed, _ := st.SealStatus(); sealed != 512 {
			// The sealer runs again at once: it may have sealed 768.
			waitSealed(t, st, 768)
		}
		waitSealed(t, st, 768)
		mustVerify(t, st, n)
		st.Close()
		after := tileFilesIn(t, dir)
		for p, b := range files {
			if !bytes.Equal(after[p], b) {
				t.Fatalf("%s rewritten differently", p)
			}
		}
	})
	t.Run("crash after meta:sealed, before the rows were deleted", func(t *testing.T) {
		_, path := sealedStore(t, sg, n, "sealed")
		ro, err := OpenReadOnly(path)
		if err != nil {
			t.Fatal(err)
		}
		stale := 0
		for _, k := range rowKeys(t, ro) {
			v := ""
			ro.view(func(tx *buntdb.Tx) error { v, _ = tx.Get(k); return nil })
			if b, _ := parseBatch(k, v); b.next() <= 768 {
				stale++
			}
		}
		mustVerify(t, ro, n)
		ro.Close()
		if stale == 0 {
			t.Fatal("no sealed row left to recover from")
		}
		st := openT(t, path, sg)
		defer st.Close()
		for _, k := range rowKeys(t, st) {
			v := ""
			st.view(func(tx *buntdb.Tx) error { v, _ = tx.Get(k); return nil })
			if b, _ := parseBatch(k, v); b.next() <= 768 {
				t.Fatalf("sealed row %s not deleted on open", k)
			}
		}
		mustVerify(t, st, n)
	})
	t.Run("bundle lost while its rows are still there", func(t *testing.T) {
		dir, path := sealedStore(t, sg, n, "sealed")
		want, _ := os.ReadFile(filepath.Join(dir, "tile/entries/002"))
		os.Remove(filepath.Join(dir, "tile/entries/002"))
		st := openT(t, path, sg)
		defer st.Close()
		if got, _ := os.ReadFile(filepath.Join(dir, "tile/entries/002")); !bytes.Equal(got, want) {
			t.Fatal("the bundle was not rewritten from the rows")
		}
		if fmt.Sprint(st.rebuilt) != "[tile/entries/002]" {
			t.Fatalf("rebuilt %v", st.rebuilt)
		}
		mustVerify(t, st, n)
	})
	t.Run("temporary files", func(t *testing.T) {
		dir, path := sealedStore(t, sg, n, "")
		os.MkdirAll(filepath.Join(dir, tileTmpDir), 0o755)
		os.WriteFile(filepath.Join(dir, tileTmpDir, "tile_0_003-1234"), []byte("half"), 0o644)
		os.WriteFile(path+".compact", []byte("half"), 0o644)
		st := openT(t, path, sg)
		defer st.Close()
		if _, err := os.Stat(filepath.Join(dir, tileTmpDir, "tile_0_003-1234")); err == nil {
			t.Fatal("a temporary tile file was left")
		}
		if _, err := os.Stat(path + ".compact"); err == nil {
			t.Fatal("a temporary compaction file was left")
		}
		mustVerify(t, st, n)
	})
	for _, c := range []struct {
		name, file string
		edit       func(p string)
	}{
		{"hash tile missing", "tile/0/001", func(p string) { os.Remove(p) }},
		{"last hash tile missing", "tile/0/002", func(p string) { os.Remove(p) }},
		{"hash tile cut", "tile/0/000", func(p string) { os.Truncate(p, 100) }},
		// A level-0 hash tile whose bundle gives the checkpoint's root is
		// rewritten from it.
		{"hash tile altered", "tile/0/001", func(p string) { flipFileByte(p, 32*17+3) }},
		{"last hash tile altered", "tile/0/002", func(p string) { flipFileByte(p, 500) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, path := sealedStore(t, sg, n, "")
			want, _ := os.ReadFile(filepath.Join(dir, c.file))
			c.edit(filepath.Join(dir, c.file))
			st := openT(t, path, sg)
			defer st.Close()
			if got, _ := os.ReadFile(filepath.Join(dir, c.file)); !bytes.Equal(got, want) {
				t.Fatalf("%s not rebuilt", c.file)
			}
			mustVerify(t, st, n)
		})
	}
	for _, c := range []struct {
		name, file, want string
		edit             func(p string)
	}{
		{"bundle missing, rows gone", "tile/entries/001", "tile/entries/001 is missing", func(p string) { os.Remove(p) }},
		{"last bundle missing, rows gone", "tile/entries/002", "tile/entries/002 is missing", func(p string) { os.Remove(p) }},
		{"bundle cut, rows gone", "tile/entries/000", "tile/entries/000 cannot be read", func(p string) { os.Truncate(p, 1000) }},
		{"last bundle altered", "tile/entries/002", "tile/entries/002 does not match the hash tile tile/0/002, and its entries do not give the checkpoint's root", func(p string) { flipFileByte(p, 500) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, path := sealedStore(t, sg, n, "")
			c.edit(filepath.Join(dir, c.file))
			_, err := Open(path, sg, nil)
			e, _ := nu.AsError(err)
			if code(err) != CodeDamaged || !strings.Contains(e.Details, c.want) {
				t.Fatalf("open: %v (%v), want %s naming %q", err, e, CodeDamaged, c.want)
			}
			t.Log(e.Details)
		})
	}
	// Damage in the middle of the sealed tiles passes open, and Verify
	// names the entry and the tile.
	for _, c := range []struct {
		name, file string
		at         int
		index      int64
		want       string
	}{
		{"bundle altered", "tile/entries/000", 9000, -1, "tile/entries/000"},
		{"bundle altered in a signature", "tile/entries/001", 2 + 200, 256, "tile/0/001 does not match the entry bundle tile/entries/001 at entry 256"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, path := sealedStore(t, sg, n, "")
			flipFileByte(filepath.Join(dir, c.file), c.at)
			st := openT(t, path, sg)
			defer st.Close()
			rep, err := st.Verify(nil)
			if code(err) != CodeDamaged || rep.OK || !strings.Contains(rep.FirstBad.Reason, c.want) || c.index >= 0 && rep.FirstBad.Index != c.index {
				t.Fatalf("verify: %+v %v, want %q", rep.FirstBad, err, c.want)
			}
			t.Log(rep.FirstBad.Reason)
		})
	}
	t.Run("meta:sealed beyond the checkpoint", func(t *testing.T) {
		_, path := sealedStore(t, sg, n, "")
		rawUpdate(t, path, func(tx *buntdb.Tx) error { _, _, err := tx.Set(keySealed, "1024", nil); return err })
		_, err := Open(path, sg, nil)
		if e, _ := nu.AsError(err); code(err) != CodeDamaged || !strings.Contains(e.Details, "meta:sealed") {
			t.Fatalf("open: %v", err)
		}
	})
	t.Run("unsealed row deleted", func(t *testing.T) {
		_, path := sealedStore(t, sg, n, "")
		rawUpdate(t, path, func(tx *buntdb.Tx) error { _, err := tx.Delete(batchKey(n - 1)); return err })
		_, err := Open(path, sg, nil)
		if e, _ := nu.AsError(err); code(err) != CodeDamaged || !strings.Contains(e.Details, "not sealed") {
			t.Fatalf("open: %v", err)
		}
	})
}

func flipFileByte(p string, at int) {
	b, _ := os.ReadFile(p)
	b[at] ^= 0x40
	os.WriteFile(p, b, 0o644)
}

// TestEntryTooLongForABundle: an entry whose leaf data would not fit in
// an entry bundle (65,535 bytes) is refused, and nothing is written.
func TestEntryTooLongForABundle(t *testing.T) {
	st := openT(t, ":memory:", newSigner(t, "long.example/log"))
	defer st.Close()
	d := draft("long")
	for len(d.Inputs) < 4096 {
		d.Inputs = append(d.Inputs, nu.MustNew(1, 0.5))
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("a draft within the field limits: %v", err)
	}
	_, err := st.AppendBatch(context.Background(), []ledger.Draft{draft("ok"), d})
	if code(err) != ledger.CodeInvalidEntry {
		t.Fatalf("append: %v, want %s", err, ledger.CodeInvalidEntry)
	}
	t.Log(err)
	if st.Len() != 0 {
		t.Fatalf("Len = %d", st.Len())
	}
	if _, err := st.Append(context.Background(), draft("ok")); err != nil {
		t.Fatalf("the op id of the refused batch is not free: %v", err)
	}
}

// TestCompaction: once sealed rows have grown the BuntDB file past the
// threshold, it is rewritten with the live rows only; the store reads,
// appends and reopens the same.
func TestCompaction(t *testing.T) {
	fastSealing(t)
	oldMin := compactMinSize
	compactMinSize = 256 << 10
	t.Cleanup(func() { compactMinSize = oldMin })
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	sg := newSigner(t, "compact.example/log")
	st := openT(t, path, sg)
	appendN(t, st, "k", 4000, 100)
	waitSealed(t, st, sealable(4000))
	// The sealer compacts after it published what it sealed.
	var n int
	for deadline := time.Now().Add(10 * time.Second); n == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		st.dbmu.RLock()
		n = st.compactions
		st.dbmu.RUnlock()
	}
	if n == 0 {
		t.Fatal("no compaction")
	}
	fi, _ := os.Stat(path)
	if fi.Size() > compactMinSize*compactRatio {
		t.Fatalf("ledger.db is %d bytes after %d compactions", fi.Size(), n)
	}
	appendN(t, st, "l", 10, 1)
	mustVerify(t, st, 4010)
	st.Close()
	st = openT(t, path, sg)
	defer st.Close()
	mustVerify(t, st, 4010)
	t.Logf("%d compactions; ledger.db %d bytes", n, fi.Size())
}

// TestMigrationSealsTiles: a store of format 3 (made with the sealer off
// and marked format 3) and a bigger format-2 store are migrated when
// opened with the key: the same checkpoint, format 4, the full tiles
// sealed from the existing rows and those rows deleted; the log verifies,
// and reopens.
func TestMigrationSealsTiles(t *testing.T) {
	fastSealing(t)
	for _, c := range []struct {
		name string
		make func(t *testing.T, sg *ledger.Signer, path string) int
	}{
		{"format 3", func(t *testing.T, sg *ledger.Signer, path string) int {
			old := sealRoundTiles
			sealRoundTiles = 0 // no sealing: what format 3 wrote
			st := openT(t, path, sg)
			appendN(t, st, "f3", 1000, 90)
			st.Close()
			sealRoundTiles = old
			rawUpdate(t, path, func(tx *buntdb.Tx) error { _, _, err := tx.Set(keyFormat, format3, nil); return err })
			return 1000
		}},
		{"format 2", func(t *testing.T, sg *ledger.Signer, path string) int {
			return len(writeLegacy(t, path, sg, []int{100, 1, 300, 200, 7}))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sg := newSigner(t, "migrate-tiles.example/log")
			dir := t.TempDir()
			path := filepath.Join(dir, "ledger.db")
			n := c.make(t, sg, path)
			ro, err := OpenReadOnly(path)
			if err != nil {
				t.Fatal(err)
			}
			cp, rows := string(ro.Checkpoint()), len(rowKeys(t, ro))
			ro.Close()
			if len(tileFilesIn(t, dir)) != 0 {
				t.Fatal("tile files before the migration")
			}
			st := openT(t, path, sg)
			if string(st.Checkpoint()) != cp || st.Len() != uint64(n) {
				t.Fatalf("migration changed the checkpoint:\n%s\nwas\n%s", st.Checkpoint(), cp)
			}
			want := sealable(uint64(n))
			waitSealed(t, st, want)
			if got := len(rowKeys(t, st)); got >= rows {
				t.Fatalf("%d rows after sealing, %d before", got, rows)
			}
			var format string
			st.view(func(tx *buntdb.Tx) error { format, _ = tx.Get(keyFormat); return nil })
			if format != storeFormat {
				t.Fatalf("format %q", format)
			}
			if files := tileFilesIn(t, dir); len(files) != 2*int(want/256) {
				t.Fatalf("%d tile files", len(files))
			}
			mustVerify(t, st, uint64(n))
			st.Close()
			st = openT(t, path, sg)
			defer st.Close()
			if string(st.Checkpoint()) != cp {
				t.Fatal("the checkpoint changed after a reopen")
			}
			mustVerify(t, st, uint64(n))
		})
	}
}

// TestSealedEntryReads: a sealed entry read alone comes from the group of
// 16 entries that holds it (the bundle's marks, made when the store opens
// and when it seals), the second read of a bundle reads and caches it
// whole, and either way the entry is the one in the bundle; a bundle file
// that no longer agrees with its marks is read whole, and its damage
// named.
func TestSealedEntryReads(t *testing.T) {
	sg := newSigner(t, "reads.example/log")
	_, path := sealedStore(t, sg, 6*256+40, "")
	st := openT(t, path, sg)
	defer st.Close()
	sealed := st.seal.Load().Size()
	if sealed != 6*256 {
		t.Fatalf("sealed %d", sealed)
	}
	tiles := int64(sealed / ledger.TileWidth)
	tf := st.tiles
	whole := func(k int64) [][]byte {
		c, err := tf.load(ledger.FullTile(ledger.BundleLevel, k))
		if err != nil {
			t.Fatal(err)
		}
		return c.entries
	}
	cached := func(k int64) bool {
		tf.mu.Lock()
		defer tf.mu.Unlock()
		_, ok := tf.byKey[ledger.FullTile(ledger.BundleLevel, k)]
		return ok
	}
	tests := []struct {
		name       string
		j          int  // the entry in each bundle
		wantCached bool // the bundle is cached after the read
	}{
		{"first read of each bundle: its group only", 37, false},
		{"second read: the whole bundle", 200, true},
		{"then from the cache", 255, true},
	}
	// Forget what the open cached, and what was read lately.
	tf.mu.Lock()
	tf.lru.Init()
	clear(tf.byKey)
	tf.touched = [touchedSize]tlog.Tile{}
	tf.mu.Unlock()
	for _, tc := range tests {
		for k := range tiles {
			i := uint64(k)*ledger.TileWidth + uint64(tc.j)
			e, err := st.Get(i)
			if err != nil {
				t.Fatalf("%s: entry %d: %v", tc.name, i, err)
			}
			want, err := ledger.ParseLeaf(st.Origin(), whole(k)[tc.j])
			if err != nil || e.OpID != want.OpID || e.Signature != want.Signature {
				t.Fatalf("%s: entry %d is not the bundle's", tc.name, i)
			}
			if cached(k) != tc.wantCached {
				t.Fatalf("%s: bundle %d cached: %v", tc.name, k, cached(k))
			}
		}
	}
	// A bundle cut after the store noted its marks: read whole, and named.
	tf.mu.Lock()
	tf.lru.Init()
	clear(tf.byKey)
	tf.touched = [touchedSize]tlog.Tile{}
	tf.mu.Unlock()
	p := tf.path(ledger.FullTile(ledger.BundleLevel, 2))
	if err := os.Truncate(p, 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(2*256 + 100); err == nil || !strings.Contains(detailsOf(err), "tile/entries/002") {
		t.Fatalf("a cut bundle: %v", err)
	}
}
