package ledgerstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/tidwall/buntdb"
	"golang.org/x/mod/sumdb/tlog"
)

// Torn writes. A crash or a power loss leaves the store file cut, or
// zero-filled, inside its last write; these tests make such files from
// real stores, at every byte of their last commits, and check that each
// opens at the commit before the torn one, with every append acknowledged
// before it, and verifies.

// copyFixture copies testdata/name into a fresh directory and returns its
// path there.
func copyFixture(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeLegacy writes a store in format 2 as the code before format 3 did
// (commit 2945d63): the metadata and the empty tree's checkpoint in one
// transaction, then for each commit one transaction holding its batch row
// (no checkpoint in it) and meta:checkpoint. BuntDB writes the two in
// either order. It returns the op ids written.
func writeLegacy(t testing.TB, path string, sg *ledger.Signer, batches []int) []string {
	t.Helper()
	origin := sg.Name()
	db, err := buntdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sign := func(size int64, root tlog.Hash) string {
		cp, err := ledger.Checkpoint{Origin: origin, Size: size, Root: root}.Sign(sg)
		if err != nil {
			t.Fatal(err)
		}
		return string(cp)
	}
	update := func(kv ...string) { setKeys(t, db, kv...) }
	update(keyFormat, legacyFormat, keyOrigin, origin, keyVerifier, sg.Verifier().String(),
		keyCheckpoint, sign(0, sha256.Sum256(nil)))
	var mem ledger.MemHashes
	var prev tlog.Hash
	var ops []string
	ts := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC).UnixNano()
	for _, n := range batches {
		first := uint64(len(ops))
		var rows [][]byte
		for range n {
			i := uint64(len(ops))
			d := draft(fmt.Sprintf("legacy-%s-%d", origin, i))
			d.Timestamp = ts + int64(i)
			if i > 0 && i%3 == 0 {
				d.ParentOpID = ops[i-1]
			}
			var row []byte
			row, prev = legacyRow(t, sg, origin, i, prev, d, &mem)
			rows = append(rows, row)
			ops = append(ops, d.OpID)
		}
		root, err := tlog.TreeHash(int64(len(ops)), &mem)
		if err != nil {
			t.Fatal(err)
		}
		update(batchKey(first), string(appendBatchRow(nil, rows)), keyCheckpoint, sign(int64(len(ops)), root))
	}
	return ops
}

// command is one command of a BuntDB file.
type command struct {
	start, end int
	verb, key  string
	val        string
}

// parseCommands splits a BuntDB file into its commands (the test's own
// reader, independent of tail.go's).
func parseCommands(t testing.TB, data []byte) []command {
	t.Helper()
	var cmds []command
	line := func(off int, prefix byte) (int, int) {
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 2 || data[off] != prefix || data[off+nl-1] != '\r' {
			t.Fatalf("not a BuntDB file at byte %d", off)
		}
		n, err := strconv.Atoi(string(data[off+1 : off+nl-1]))
		if err != nil {
			t.Fatal(err)
		}
		return n, off + nl + 1
	}
	for off := 0; off < len(data); {
		c := command{start: off}
		n, p := line(off, '*')
		var parts []string
		for range n {
			var l int
			l, p = line(p, '$')
			parts = append(parts, string(data[p:p+l]))
			p += l + 2
		}
		c.end, c.verb, c.key = p, parts[0], parts[1]
		if len(parts) > 2 {
			c.val = parts[2]
		}
		cmds = append(cmds, c)
		off = p
	}
	return cmds
}

// commit is the part of a store file one commit wrote.
type commit struct {
	start, end int
	first      uint64 // index of its first entry: the entries before it were acknowledged
}

// commits finds the commits of a store file: after the store's creation
// (4 commands), a format-2 commit is two commands (its row and
// meta:checkpoint, in either order), a format-3 commit one (its row). A
// migration (a set of meta:format) is no commit: it is swept with the
// commit after it.
func commits(t testing.TB, data []byte) []commit {
	t.Helper()
	cmds := parseCommands(t, data)
	legacy := false
	for _, c := range cmds[:4] {
		if c.key == keyFormat {
			legacy = c.val == legacyFormat
		}
	}
	var out []commit
	start := -1
	for i := 4; i < len(cmds); {
		c := cmds[i]
		if start < 0 {
			start = c.start
		}
		if c.key == keyFormat {
			legacy = c.val == legacyFormat
			i++
			continue
		}
		if c.key == keySealed || c.verb == "del" {
			// The sealer's commands (format 4): swept with the commit
			// after them.
			i++
			continue
		}
		n := 1
		if legacy {
			n = 2
		}
		row := c
		if c.key == keyCheckpoint {
			row = cmds[i+1]
		}
		if !strings.HasPrefix(row.key, prefixBatch) || (legacy && cmds[i].key == cmds[i+1].key) {
			t.Fatalf("command %d (%s %s) does not start a commit", i, c.verb, c.key)
		}
		first, _ := strconv.ParseUint(row.key[len(prefixBatch):], 10, 64)
		out = append(out, commit{start: start, end: cmds[i+n-1].end, first: first})
		i += n
		start = -1
	}
	return out
}

// reference is what the whole store holds: its op ids, and the root of the
// tree of each size.
type reference struct {
	ops   []string
	roots []tlog.Hash
}

func referenceOf(t testing.TB, data []byte, tiles map[string][]byte) *reference {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	os.WriteFile(path, data, 0o644)
	writeTiles(t, filepath.Dir(path), tiles)
	st, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ref := &reference{}
	for i := range st.Len() + 1 {
		root, err := st.TreeHash(int64(i))
		if err != nil {
			t.Fatal(err)
		}
		ref.roots = append(ref.roots, root)
		if i < st.Len() {
			e, err := st.Get(i)
			if err != nil {
				t.Fatal(err)
			}
			ref.ops = append(ref.ops, e.OpID)
		}
	}
	return ref
}

// writeTiles writes tile files (path relative to the data directory →
// contents) into dir.
func writeTiles(t testing.TB, dir string, tiles map[string][]byte) {
	t.Helper()
	for p, b := range tiles {
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkRecoveredV is checkRecovered, verifying the whole log only when
// verify is set (verification costs a signature check per entry).
func checkRecoveredV(t testing.TB, path string, sg *ledger.Signer, ref *reference, want uint64, appendOne, verify bool, what string) {
	t.Helper()
	var st *Store
	var err error
	if sg != nil {
		st, err = Open(path, sg, nil)
	} else {
		st, err = OpenReadOnly(path)
	}
	if err != nil {
		e, _ := nu.AsError(err)
		t.Fatalf("%s: open: %v (%s)", what, err, e.Details)
	}
	defer st.Close()
	if st.Len() != want {
		t.Fatalf("%s: Len = %d, want %d (the commits before the torn one)", what, st.Len(), want)
	}
	if root, err := st.TreeHash(int64(want)); err != nil || root != ref.roots[want] {
		t.Fatalf("%s: root %v (%v), not the one the log had at size %d", what, root, err, want)
	}
	for _, op := range ref.ops[:want] {
		if _, ok := st.IndexOfOp(op); !ok {
			t.Fatalf("%s: acknowledged append %s is missing", what, op)
		}
	}
	check := func(after string) {
		t.Helper()
		if !verify {
			if _, err := st.checkStored(); err != nil {
				t.Fatalf("%s: the stored tiles and rows do not check%s: %v", what, after, err)
			}
			return
		}
		if rep, err := st.Verify(nil); err != nil || !rep.OK {
			t.Fatalf("%s: does not verify%s: %+v %v", what, after, rep.FirstBad, err)
		}
	}
	check("")
	if appendOne {
		if _, err := st.Append(context.Background(), draft("after-recovery")); err != nil {
			t.Fatalf("%s: append after recovery: %v", what, err)
		}
		check(" after an append")
	}
}

// sweep cuts a copy of data inside each of its last k commits, and
// zero-fills it from there to its end, and checks each recovers: at every
// byte of the last dense commits, and of the first and last 64 bytes of
// the others (their command headers and ends), and at every 5th (cut) and
// 17th (zeros) byte in between, to keep the test short. sg is nil for a
// read-only sweep.
func sweep(t *testing.T, data []byte, sg *ledger.Signer, k, dense int) {
	sweepWith(t, data, nil, sg, k, dense, 1)
}

// sweepWith is sweep for a store with tile files (the final ones: the
// files a sealer wrote before a crash are on disk whatever the BuntDB
// file lost) and verifying the whole log at every verifyEvery-th file
// only (the other files get checkStored).
func sweepWith(t *testing.T, data []byte, tiles map[string][]byte, sg *ledger.Signer, k, dense, verifyEvery int) {
	cs := commits(t, data)
	if len(cs) < k {
		t.Fatalf("only %d commits", len(cs))
	}
	ref := referenceOf(t, data, tiles)
	path := filepath.Join(t.TempDir(), "ledger.db")
	writeTiles(t, filepath.Dir(path), tiles)
	count := 0
	checkRecovered := func(t testing.TB, path string, sg *ledger.Signer, ref *reference, want uint64, appendOne bool, what string) {
		t.Helper()
		count++
		checkRecoveredV(t, path, sg, ref, want, appendOne, count%verifyEvery == 0, what)
	}
	n := 0
	for j, c := range cs[len(cs)-k:] {
		for off := c.start + 1; off < c.end; off++ {
			edge := j >= k-dense || off-c.start <= 64 || c.end-off <= 64
			cut, zero := edge || (off-c.start)%5 == 0, edge || (off-c.start)%17 == 0
			// Opening with the key recovers and migrates; read-only
			// recovers only. Both are tried.
			key := sg
			if off%2 == 1 {
				key = nil
			}
			if cut {
				if err := os.WriteFile(path, data[:off], 0o644); err != nil {
					t.Fatal(err)
				}
				checkRecovered(t, path, key, ref, c.first, key != nil && off%16 == 0, fmt.Sprintf("cut at byte %d of %d", off, len(data)))
				n++
			}
			if zero {
				z := append([]byte(nil), data...)
				clear(z[off:])
				if err := os.WriteFile(path, z, 0o644); err != nil {
					t.Fatal(err)
				}
				checkRecovered(t, path, key, ref, c.first, false, fmt.Sprintf("zeros from byte %d of %d", off, len(data)))
				n++
			}
		}
	}
	// The last 4 KiB page zero-filled, for files ending at each commit:
	// every commit that had a byte in that page is lost, and no other.
	for j := len(cs) - 2*k; j < len(cs); j++ {
		end := cs[j].end
		page := (end - 1) / 4096 * 4096
		z := append([]byte(nil), data[:end]...)
		clear(z[page:])
		if err := os.WriteFile(path, z, 0o644); err != nil {
			t.Fatal(err)
		}
		// want is the first entry of the first commit the page touches.
		var want uint64
		for _, c := range cs[:j+1] {
			if c.end > page {
				want = c.first
				break
			}
		}
		checkRecovered(t, path, sg, ref, want, false, fmt.Sprintf("last page (from byte %d) of a %d-byte file zero-filled", page, end))
		n++
	}
	t.Logf("%d torn files of %d commits recovered", n, k)
}

// storeFile makes a store with the current code: single appends and
// batches, each its own commit.
func storeFile(t testing.TB, sg *ledger.Signer, path string) {
	st := openT(t, path, sg)
	ctx := context.Background()
	for i := range 12 {
		if i%5 == 3 {
			var ds []ledger.Draft
			for j := range 3 {
				ds = append(ds, draft(fmt.Sprintf("b%d-%d", i, j)))
			}
			if _, err := st.AppendBatch(ctx, ds); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := st.Append(ctx, draft(fmt.Sprint("s", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTornWriteSweep: for each of the last commits of a real store, the
// file cut at every byte inside the commit, and zero-filled from every such
// byte to its end, opens at the commit before, with every acknowledged
// append, and verifies; so does the file whose last 4 KiB page is zeroed.
func TestTornWriteSweep(t *testing.T) {
	t.Run("format 3", func(t *testing.T) {
		sg := newSigner(t, "sweep.example/log")
		path := filepath.Join(t.TempDir(), "ledger.db")
		storeFile(t, sg, path)
		data, _ := os.ReadFile(path)
		sweep(t, data, sg, 5, 2)
	})
	t.Run("format 4 sealing", func(t *testing.T) {
		// 510 entries in one commit, then single appends: after the
		// commit of entry 512 the sealer seals tile 1 and deletes the
		// rows of entries 0 to 511; its commands are swept with the
		// commit after them.
		fastSealing(t)
		sg := newSigner(t, "sealsweep.example/log")
		dir := t.TempDir()
		path := filepath.Join(dir, "ledger.db")
		st := openT(t, path, sg)
		appendN(t, st, "big", 510, 510)
		waitSealed(t, st, 256)
		for i := range 5 {
			if _, err := st.Append(context.Background(), draft(fmt.Sprint("one-", i))); err != nil {
				t.Fatal(err)
			}
			waitSealed(t, st, sealable(st.Len()))
		}
		st.Close()
		data, _ := os.ReadFile(path)
		if !bytes.Contains(data, []byte("$3\r\ndel\r\n")) {
			t.Fatal("no sealed row deleted in the file")
		}
		sweepWith(t, data, tileFilesIn(t, dir), sg, 2, 1, 32)
	})
	t.Run("format 2 fixture", func(t *testing.T) {
		// Made by the code of commit 2945d63; its last commits wrote
		// their checkpoint before their row and after it.
		sweep(t, []byte(readFixture(t, "format2.db")), nil, 5, 1)
	})
	t.Run("format 2 migrated", func(t *testing.T) {
		// Format-2 commits, a migration, format-3 commits: the sweep
		// crosses the migration.
		sg := newSigner(t, "migrated.example/log")
		path := filepath.Join(t.TempDir(), "ledger.db")
		writeLegacy(t, path, sg, []int{1, 1, 2, 1, 1, 1})
		st := openT(t, path, sg)
		for i := range 2 {
			if _, err := st.Append(context.Background(), draft(fmt.Sprint("new", i))); err != nil {
				t.Fatal(err)
			}
		}
		st.Close()
		data, _ := os.ReadFile(path)
		sweep(t, data, sg, 4, 1)
	})
}

// TestTornCheckpointBeforeRow is the torn write of issue 11: BuntDB wrote
// the last commit's checkpoint before its batch row (format 2), and the
// write was cut inside the row. The store must open at the commit before.
func TestTornCheckpointBeforeRow(t *testing.T) {
	t.Run("fixture", func(t *testing.T) {
		path := copyFixture(t, "format2.db")
		data, _ := os.ReadFile(path)
		cp := bytes.LastIndex(data, []byte("meta:checkpoint"))
		row := bytes.LastIndex(data, []byte("\r\nb:"))
		if cp > row {
			t.Fatal("the fixture's last commit should have its checkpoint first")
		}
		if err := os.Truncate(path, int64(row+(len(data)-row)/2)); err != nil {
			t.Fatal(err)
		}
		st, err := OpenReadOnly(path)
		if err != nil {
			t.Fatalf("open after a torn write: %v", err)
		}
		defer st.Close()
		if st.Len() != 27 {
			t.Fatalf("Len = %d, want 27 (the torn commit held entry 27)", st.Len())
		}
		if rep, err := st.Verify(nil); err != nil || !rep.OK {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
	t.Run("with the key", func(t *testing.T) {
		// 3 entries, separate commits; the last commit's two commands are
		// put in the order BuntDB writes when it takes the checkpoint
		// first (it writes a transaction's keys in map order).
		sg := newSigner(t, "torn.example/log")
		path := filepath.Join(t.TempDir(), "ledger.db")
		ops := writeLegacy(t, path, sg, []int{1, 1, 1})
		data, _ := os.ReadFile(path)
		cmds := parseCommands(t, data)
		a, b := cmds[len(cmds)-2], cmds[len(cmds)-1]
		if a.key == keyCheckpoint {
			a, b = b, a
		}
		if a.key != batchKey(2) || b.key != keyCheckpoint {
			t.Fatalf("the last commit wrote %s and %s", a.key, b.key)
		}
		lo := min(a.start, b.start)
		torn := append(append(append([]byte(nil), data[:lo]...), data[b.start:b.end]...), data[a.start:a.end]...)
		row := len(torn) - (a.end - a.start)
		os.WriteFile(path, torn[:row+(len(torn)-row)/2], 0o644)
		st, err := Open(path, sg, nil)
		if err != nil {
			t.Fatalf("open after a torn write: %v", err)
		}
		defer st.Close()
		if st.Len() != 2 {
			t.Fatalf("Len = %d, want 2", st.Len())
		}
		for _, op := range ops[:2] {
			if _, ok := st.IndexOfOp(op); !ok {
				t.Fatalf("%s missing", op)
			}
		}
		if _, err := st.Append(context.Background(), draft(ops[2])); err != nil {
			t.Fatalf("the lost entry's op id is free again: %v", err)
		}
		if rep, err := st.Verify(nil); err != nil || !rep.OK {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
}

// TestFormat2Fixture: a store written by the code of commit 2945d63 (store
// format 2) opens read-only with its checkpoint, verifies, and is not
// changed.
func TestFormat2Fixture(t *testing.T) {
	path := copyFixture(t, "format2.db")
	before, _ := os.ReadFile(path)
	st, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Len() != 28 || string(st.Checkpoint()) != readFixture(t, "format2.checkpoint") ||
		st.VerifierKey()+"\n" != readFixture(t, "format2.vkey") {
		t.Fatalf("read-only open: %d entries, checkpoint\n%s", st.Len(), st.Checkpoint())
	}
	for i := range 28 {
		if j, ok := st.IndexOfOp(fmt.Sprintf("fx-%d", i)); !ok || j != uint64(i) {
			t.Fatalf("fx-%d at %d, %v", i, j, ok)
		}
	}
	if rep, err := st.Verify(nil); err != nil || !rep.OK || rep.Entries != 28 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	st.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a read-only open changed a consistent format-2 store")
	}
}

// TestFormat2Migrated: a format-2 store opened with its key is marked
// format 3 with the same checkpoint, keeps its rows, appends rows that
// carry their checkpoint, and verifies, reopened and read-only.
func TestFormat2Migrated(t *testing.T) {
	sg := newSigner(t, "migrate.example/log")
	path := filepath.Join(t.TempDir(), "ledger.db")
	ops := writeLegacy(t, path, sg, []int{1, 3, 1, 2})
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := string(ro.Checkpoint())
	ro.Close()

	st := openT(t, path, sg)
	if string(st.Checkpoint()) != cp || st.Len() != 7 {
		t.Fatalf("after migration: %d entries, checkpoint\n%s\nwas\n%s", st.Len(), st.Checkpoint(), cp)
	}
	if _, err := st.Append(context.Background(), draft(ops[6])); code(err) != ledger.CodeOpID {
		t.Fatalf("an op id of a format-2 row is not known: %v", err)
	}
	child := draft("new-0")
	child.ParentOpID = ops[6]
	if _, err := st.AppendBatch(context.Background(), []ledger.Draft{child, draft("new-1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(context.Background(), draft("new-2")); err != nil {
		t.Fatal(err)
	}
	st.Close()
	var format string
	var legacyRow, newRow batch
	rawUpdate(t, path, func(tx *buntdb.Tx) error {
		format, _ = tx.Get(keyFormat)
		v, _ := tx.Get(batchKey(5))
		legacyRow, _ = parseBatch(batchKey(5), v)
		v, _ = tx.Get(batchKey(7))
		newRow, _ = parseBatch(batchKey(7), v)
		return nil
	})
	if format != storeFormat || legacyRow.n != 2 || legacyRow.cp != "" || newRow.n != 2 || newRow.cp == "" {
		t.Fatalf("format %q; the last format-2 row has %d entries and checkpoint %q; the first format-3 row %d and %q", format, legacyRow.n, legacyRow.cp, newRow.n, newRow.cp)
	}
	st = openT(t, path, sg)
	if rep, err := st.Verify(nil); err != nil || !rep.OK || rep.Entries != 10 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	st.Close()
	ro, err = OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if rep, err := ro.Verify(nil); err != nil || !rep.OK || rep.Entries != 10 {
		t.Fatalf("read-only verify: %+v %v", rep, err)
	}
}

// TestMigratedWithoutNewRows: a migrated store with no row of format 3 yet
// opens from meta:checkpoint.
func TestMigratedWithoutNewRows(t *testing.T) {
	sg := newSigner(t, "idle.example/log")
	path := filepath.Join(t.TempDir(), "ledger.db")
	writeLegacy(t, path, sg, []int{2, 1})
	openT(t, path, sg).Close() // migrates
	st := openT(t, path, sg)
	defer st.Close()
	if st.Len() != 3 {
		t.Fatalf("Len = %d", st.Len())
	}
	if rep, err := st.Verify(nil); err != nil || !rep.OK {
		t.Fatal(rep, err)
	}
}

// TestFormat2CheckpointAhead: a format-2 checkpoint ahead of its rows is a
// torn write only when it is the file's last command; then it is rolled
// back to the checkpoint before it. When more was written after it, the
// store is refused.
func TestFormat2CheckpointAhead(t *testing.T) {
	sg := newSigner(t, "ahead.example/log")
	ahead, err := ledger.Checkpoint{Origin: sg.Name(), Size: 9, Root: tlog.Hash{7}}.Sign(sg)
	if err != nil {
		t.Fatal(err)
	}
	setAhead := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "ledger.db")
		writeLegacy(t, path, sg, []int{1, 2, 1})
		rawUpdate(t, path, func(tx *buntdb.Tx) error { _, _, err := tx.Set(keyCheckpoint, string(ahead), nil); return err })
		return path
	}
	t.Run("last command", func(t *testing.T) {
		path := setAhead(t)
		st := openT(t, path, sg)
		defer st.Close()
		if st.Len() != 4 {
			t.Fatalf("Len = %d, want 4", st.Len())
		}
	})
	t.Run("more written after it", func(t *testing.T) {
		path := setAhead(t)
		rawUpdate(t, path, func(tx *buntdb.Tx) error { _, _, err := tx.Set(keyOrigin, sg.Name(), nil); return err })
		_, err := Open(path, sg, nil)
		e, _ := nu.AsError(err)
		if code(err) != CodeDamaged || !strings.Contains(e.Details, "ahead of the stored entries") {
			t.Fatalf("open: %v (%v), want %s naming the checkpoint ahead of its data", err, e, CodeDamaged)
		}
		t.Log(e.Details)
	})
}

// TestTornTailRefused: bytes after the last complete command that are not
// the cut or zero-filled tail of a write are damage: the store is refused
// with the byte offset, and the file is left as it is.
func TestTornTailRefused(t *testing.T) {
	sg := newSigner(t, "garbage.example/log")
	base := filepath.Join(t.TempDir(), "base.db")
	storeFile(t, sg, base)
	data, _ := os.ReadFile(base)
	cs := commits(t, data)
	last := cs[len(cs)-1]
	for _, c := range []struct {
		name string
		edit func(d []byte) []byte
		at   int
	}{
		{"garbage at the end", func(d []byte) []byte {
			for i := len(d) - 100; i < len(d); i++ {
				d[i] = 'x'
			}
			return d
		}, last.start},
		{"garbage after the last command", func(d []byte) []byte { return append(d, "*3\r\n$3\r\nset\r\nxx\r\n"...) }, last.end},
		{"zero bytes between commands", func(d []byte) []byte {
			return append(append(d[:last.start:last.start], make([]byte, 10)...), d[last.start:]...)
		}, last.start},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := c.edit(append([]byte(nil), data...))
			path := filepath.Join(t.TempDir(), "ledger.db")
			os.WriteFile(path, d, 0o644)
			_, err := Open(path, sg, nil)
			e, _ := nu.AsError(err)
			if code(err) != CodeDamaged || !strings.Contains(e.Details, fmt.Sprintf("at byte %d", c.at)) && !strings.Contains(e.Details, fmt.Sprintf("from byte %d", c.at)) {
				t.Fatalf("open: %v (%v), want %s naming byte %d", err, e, CodeDamaged, c.at)
			}
			t.Log(e.Details, " / ", e.Remediation)
			if after, _ := os.ReadFile(path); !bytes.Equal(after, d) {
				t.Fatal("a refused file was changed")
			}
		})
	}
}

// TestTornInit: a store whose creation was cut short (some of its four
// metadata keys written) is created again.
func TestTornInit(t *testing.T) {
	sg := newSigner(t, "init.example/log")
	path := filepath.Join(t.TempDir(), "ledger.db")
	openT(t, path, sg).Close()
	data, _ := os.ReadFile(path)
	for off := 1; off < len(data); off += 7 {
		os.WriteFile(path, data[:off], 0o644)
		if _, err := OpenReadOnly(path); code(err) != ledger.CodeNotFound {
			t.Fatalf("cut at %d, read-only: %v, want %s", off, err, ledger.CodeNotFound)
		}
		st, err := Open(path, sg, nil)
		if err != nil {
			t.Fatalf("cut at %d: %v", off, err)
		}
		if _, err := st.Append(context.Background(), draft("first")); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
}

// FuzzRepairTail: whatever follows the last complete command, repairTail
// either refuses the file unchanged or leaves a file BuntDB loads in full.
func FuzzRepairTail(f *testing.F) {
	f.Add([]byte("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$2\r\nv"), 0)
	f.Add([]byte("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$2\r\nvv\r\n\x00\x00"), 5)
	f.Add([]byte("*2\r\n$3\r\ndel\r\n$1\r\nk\r\n*1\r\n$7\r\nflush"), 0)
	f.Fuzz(func(t *testing.T, tail []byte, zeros int) {
		head := []byte("*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\nb\r\n")
		d := append(append(head, tail...), make([]byte, uint(zeros)%5000)...)
		path := filepath.Join(t.TempDir(), "x.db")
		os.WriteFile(path, d, 0o644)
		_, err := repairTail(path)
		after, _ := os.ReadFile(path)
		if err != nil {
			if !bytes.Equal(after, d) {
				t.Fatal("refused, but changed")
			}
			return
		}
		if !bytes.HasPrefix(d, after) || len(after) < len(head) {
			t.Fatalf("cut %d bytes into the complete commands", len(head)-len(after))
		}
		// BuntDB must now load every byte: appending a command and
		// reloading finds it.
		db, err := buntdb.Open(path)
		if err != nil {
			t.Fatalf("BuntDB refuses the repaired file: %v", err)
		}
		db.Update(func(tx *buntdb.Tx) error { _, _, err := tx.Set("z", "z", nil); return err })
		db.Close()
		db, err = buntdb.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.View(func(tx *buntdb.Tx) error {
			if v, err := tx.Get("z"); err != nil || v != "z" {
				t.Fatalf("a command written after the repair is lost: %q %v", v, err)
			}
			return nil
		})
	})
}

// setKeys sets the keys and values kv (key, value, key, value...) in one
// BuntDB transaction.
func setKeys(t testing.TB, db *buntdb.DB, kv ...string) {
	t.Helper()
	err := db.Update(func(tx *buntdb.Tx) error {
		for i := 0; i < len(kv); i += 2 {
			if _, _, err := tx.Set(kv[i], kv[i+1], nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// legacyRow builds the row of draft d as entry i of the log origin after
// the entry whose link hash is prev (its leaf data and the tree hashes
// stored with it, which it adds to mem), and returns it with the entry's
// own link hash.
func legacyRow(t testing.TB, sg *ledger.Signer, origin string, i uint64, prev tlog.Hash, d ledger.Draft, mem *ledger.MemHashes) ([]byte, tlog.Hash) {
	t.Helper()
	e := &ledger.Entry{Index: i, PrevHash: prev, KeyID: ledger.KeyID(sg.KeyHash()), Draft: d}
	body := e.AppendBody(nil, origin)
	sig, _ := sg.Sign(body)
	row := append(body, sig...)
	hs, err := tlog.StoredHashesForRecordHash(int64(i), tlog.RecordHash(row), mem)
	if err != nil {
		t.Fatal(err)
	}
	mem.AppendHashes(hs)
	for _, h := range hs {
		row = append(row, h[:]...)
	}
	return row, sha256.Sum256(body)
}
