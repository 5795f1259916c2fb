package ledgerstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/tidwall/buntdb"
	"golang.org/x/mod/sumdb/tlog"
)

func newSigner(t testing.TB, name string) *ledger.Signer {
	t.Helper()
	skey, _, err := ledger.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ledger.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func draft(op string) ledger.Draft {
	v := nu.MustNew(1.5, 0.1)
	return ledger.Draft{OpID: op, Operation: "add", Mode: ledger.ModeNU, Inputs: []nu.Value{v, v}, Output: &v,
		Coverage: nu.Float(v.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true}}
}

func openT(t testing.TB, path string, s *ledger.Signer) *Store {
	t.Helper()
	st, err := Open(path, s, nil)
	if err != nil {
		e, _ := nu.AsError(err)
		t.Fatalf("open %s: %v (%s)", path, err, e.Details)
	}
	return st
}

func code(err error) string {
	if e, ok := nu.AsError(err); ok {
		return e.Code
	}
	return fmt.Sprint(err)
}

func TestAppendReopenVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	sg := newSigner(t, "test.example/log")
	st := openT(t, path, sg)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 50; k++ {
				if _, err := st.Append(context.Background(), draft(fmt.Sprintf("w%d-%d", w, k))); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	e, err := st.Append(context.Background(), ledger.Draft{OpID: "child", ParentOpID: "w3-7", Operation: "flip", Invariant: ledger.Invariant{OK: true}})
	if err != nil || e.Index != 400 {
		t.Fatalf("append child: %v %v", e, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openT(t, path, sg)
	defer st.Close()
	if st.Len() != 401 {
		t.Fatalf("Len = %d after reopen, want 401", st.Len())
	}
	rep, err := st.Verify(nil)
	if err != nil || !rep.OK || rep.Entries != 401 {
		t.Fatalf("verify after reopen: %+v %v", rep, err)
	}
	// The store keeps appending after a reopen, chained to the old tail.
	if _, err := st.Append(context.Background(), draft("after-reopen")); err != nil {
		t.Fatal(err)
	}
	if rep, err := st.Verify(nil); err != nil || !rep.OK {
		t.Fatalf("verify after append: %+v %v", rep, err)
	}
	// Proofs check against the signed checkpoint.
	cp := st.Checkpoint()
	size := int64(st.Len())
	for _, i := range []int64{0, 1, 200, size - 1} {
		p, err := st.InclusionProof(i, size)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := st.Get(uint64(i))
		if _, err := ledger.VerifyInclusion(sg.Verifier(), st.Origin(), cp, e, p); err != nil {
			t.Errorf("inclusion of %d: %v", i, err)
		}
	}
	var old bytes.Buffer
	if err := st.WriteBundle(&old, 100, nil); err != nil {
		t.Fatal(err)
	}
	b, err := ledger.ReadBundle(&old)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := st.ConsistencyProof(100, size)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.VerifyConsistency(sg.Verifier(), st.Origin(), []byte(b.Checkpoint), cp, tp); err != nil {
		t.Errorf("consistency 100 -> %d: %v", size, err)
	}
	if i, ok := st.IndexOfOp("child"); !ok || i != 400 {
		t.Errorf("IndexOfOp(child) = %d, %v", i, ok)
	}
}

func TestRefusedAppendsWriteNothing(t *testing.T) {
	st := openT(t, ":memory:", newSigner(t, "mem.example/log"))
	defer st.Close()
	ctx := context.Background()
	if _, err := st.Append(ctx, draft("a")); err != nil {
		t.Fatal(err)
	}
	bad := draft("b")
	bad.Mode = "fuzzy"
	cases := []struct {
		name string
		d    ledger.Draft
		code string
	}{
		{"duplicate op id", draft("a"), ledger.CodeOpID},
		{"unknown parent", ledger.Draft{OpID: "c", ParentOpID: "nope", Operation: "add"}, ledger.CodeOpID},
		{"invalid draft", bad, ledger.CodeInvalidEntry},
		{"empty op id", ledger.Draft{Operation: "add"}, ledger.CodeInvalidEntry},
	}
	for _, c := range cases {
		if _, err := st.Append(ctx, c.d); code(err) != c.code {
			t.Errorf("%s: err = %v, want %s", c.name, err, c.code)
		}
	}
	if st.Len() != 1 {
		t.Fatalf("refused appends changed the log: Len = %d", st.Len())
	}
	if rep, err := st.Verify(nil); err != nil || !rep.OK {
		t.Fatal(rep, err)
	}
}

func TestWrongKeyRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	st := openT(t, path, newSigner(t, "a.example/log"))
	st.Append(context.Background(), draft("x"))
	st.Close()
	if _, err := Open(path, newSigner(t, "a.example/log"), nil); code(err) != CodeWrongKey {
		t.Fatalf("open with a new key: %v, want %s", err, CodeWrongKey)
	}
}

// rawUpdate edits the BuntDB file behind the store's back, as an attacker
// or a broken disk would.
func rawUpdate(t *testing.T, path string, f func(tx *buntdb.Tx) error) {
	t.Helper()
	db, err := buntdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(f); err != nil {
		t.Fatal(err)
	}
	db.Close()
}

// flipByte flips a bit of byte at of key's value; a negative at counts
// from the end.
func flipByte(t *testing.T, path, key string, at int) {
	rawUpdate(t, path, func(tx *buntdb.Tx) error {
		v, err := tx.Get(key)
		if err != nil {
			return err
		}
		b := []byte(v)
		if at < 0 {
			at += len(b)
		}
		b[at] ^= 1
		_, _, err = tx.Set(key, string(b), nil)
		return err
	})
}

// appendBatchRow appends the batch row holding rows to dst, without a
// checkpoint (as format 2 wrote it), for tests that write rows by hand.
func appendBatchRow(dst []byte, rows [][]byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(rows)))
	end := 0
	for _, r := range rows {
		end += len(r)
		dst = binary.BigEndian.AppendUint32(dst, uint32(end))
	}
	for _, r := range rows {
		dst = append(dst, r...)
	}
	return dst
}

// flipEntryByte flips a bit of byte at of entry i's row inside its batch
// row; a negative at counts from the end of the entry's row.
func flipEntryByte(t *testing.T, path string, i uint64, at int) {
	t.Helper()
	rawUpdate(t, path, func(tx *buntdb.Tx) error {
		r := &rows{tx: tx}
		row, err := r.row(i)
		if err != nil {
			return err
		}
		start := 4 + 4*r.b.n + r.b.end(int(i-r.b.first)-1)
		if at < 0 {
			at += len(row)
		}
		b := []byte(r.b.data)
		b[start+at] ^= 1
		_, _, err = tx.Set(batchKey(r.b.first), string(b), nil)
		return err
	})
}

// setEntryRow replaces entry i's row (the batch row holding it keeps its
// other entries).
func setEntryRow(t *testing.T, path string, i uint64, row string) {
	t.Helper()
	rawUpdate(t, path, func(tx *buntdb.Tx) error {
		r := &rows{tx: tx}
		if _, err := r.row(i); err != nil {
			return err
		}
		var all [][]byte
		for j := range r.b.n {
			all = append(all, []byte(r.b.row(r.b.first+uint64(j))))
		}
		all[i-r.b.first] = []byte(row)
		v := appendBatchRow(nil, all)
		if r.b.cp != "" { // keep the row's checkpoint
			v[0] |= 0x80
			v = append(v, r.b.cp...)
		}
		_, _, err := tx.Set(batchKey(r.b.first), string(v), nil)
		return err
	})
}

func TestDamageDetected(t *testing.T) {
	sg := newSigner(t, "d.example/log")
	setup := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "ledger.db")
		st := openT(t, path, sg)
		for i := 0; i < 20; i++ {
			st.Append(context.Background(), draft(fmt.Sprint("op", i)))
		}
		st.Close()
		return path
	}
	// Damage at the tail is refused at open.
	for _, c := range []struct {
		name string
		edit func(t *testing.T, path string)
	}{
		{"last entry edited", func(t *testing.T, p string) { flipEntryByte(t, p, 19, 120) }},
		// Entry 19's row ends with 3 stored hashes (19 = 0b10011).
		{"last entry signature edited", func(t *testing.T, p string) { flipEntryByte(t, p, 19, -3*32-1) }},
		{"checkpoint edited", func(t *testing.T, p string) { flipByte(t, p, keyCheckpoint, 25) }},
		{"last leaf hash edited", func(t *testing.T, p string) { flipEntryByte(t, p, 19, -3*32) }},
		{"last entry's level-2 hash edited", func(t *testing.T, p string) { flipEntryByte(t, p, 19, -1) }},
		{"last entry's hashes cut off", func(t *testing.T, p string) { setEntryRow(t, p, 19, "x") }},
		{"last batch row unparsable", func(t *testing.T, p string) {
			rawUpdate(t, p, func(tx *buntdb.Tx) error {
				r := &rows{tx: tx}
				if _, err := r.row(19); err != nil {
					return err
				}
				_, _, err := tx.Set(batchKey(r.b.first), "\x00\x00\x00\x07", nil)
				return err
			})
		}},
		{"last entry deleted", func(t *testing.T, p string) {
			rawUpdate(t, p, func(tx *buntdb.Tx) error { _, err := tx.Delete(batchKey(19)); return err })
		}},
		{"last row's checkpoint edited", func(t *testing.T, p string) { flipByte(t, p, batchKey(19), -10) }},
		{"last row's checkpoint cut off", func(t *testing.T, p string) { setRowCheckpoint(t, p, 19, "") }},
		{"last row's checkpoint for another tree", func(t *testing.T, p string) { setRowCheckpoint(t, p, 19, rowCheckpoint(t, p, 18)) }},
		{"stored checkpoint ahead of the rows", func(t *testing.T, p string) {
			cp, err := ledger.Checkpoint{Origin: sg.Name(), Size: 21, Root: tlog.Hash{1}}.Sign(sg)
			if err != nil {
				t.Fatal(err)
			}
			rawUpdate(t, p, func(tx *buntdb.Tx) error { _, _, err := tx.Set(keyCheckpoint, string(cp), nil); return err })
		}},
		{"origin edited", func(t *testing.T, p string) {
			rawUpdate(t, p, func(tx *buntdb.Tx) error { _, _, err := tx.Set(keyOrigin, "evil", nil); return err })
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := setup(t)
			c.edit(t, path)
			_, err := Open(path, sg, nil)
			if code(err) != CodeDamaged {
				t.Fatalf("open: %v, want %s", err, CodeDamaged)
			}
			if e, _ := nu.AsError(err); e.Details == "" {
				t.Fatal("the error does not say what is wrong")
			} else {
				t.Log(e.Details)
			}
		})
	}
	// Damage in the middle passes the open-time tail check, but never
	// verification: the damaged entry is named, for every byte of it.
	for _, c := range []struct {
		name  string
		edit  func(t *testing.T, path string)
		check string
	}{
		{"middle row's checkpoint edited", func(t *testing.T, p string) { flipByte(t, p, batchKey(7), -10) }, ledger.CheckCheckpoint},
		{"middle row's checkpoint for another tree", func(t *testing.T, p string) { setRowCheckpoint(t, p, 7, rowCheckpoint(t, p, 6)) }, ledger.CheckCheckpoint},
		{"middle row's checkpoint cut off", func(t *testing.T, p string) { setRowCheckpoint(t, p, 7, "") }, ledger.CheckCheckpoint},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := setup(t)
			c.edit(t, path)
			st, err := Open(path, sg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			rep, err := st.Verify(nil)
			if code(err) != CodeDamaged || rep.OK || rep.FirstBad == nil || rep.FirstBad.Index != 7 || rep.FirstBad.Check != c.check {
				t.Fatalf("verify: %+v, %v; want entry 7's %s named", rep.FirstBad, err, c.check)
			}
			t.Log(rep.FirstBad.Reason)
		})
	}
	for _, c := range []struct {
		name string
		i    uint64
		at   []int
	}{
		{"middle entry edited", 7, []int{30, 60, 100, 150, 200, 250}},
		// Entry 7's row ends with 4 stored hashes (levels 0-3); its level-1
		// hash is tree hash (1, 3).
		{"middle tree hash edited", 7, []int{-4 * 32, -3*32 - 1, -3 * 32, -1}},
	} {
		for _, at := range c.at {
			t.Run(fmt.Sprintf("%s at byte %d", c.name, at), func(t *testing.T) {
				path := setup(t)
				flipEntryByte(t, path, c.i, at)
				st, err := Open(path, sg, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				rep, err := st.Verify(nil)
				if err == nil || rep.OK || rep.FirstBad == nil || rep.FirstBad.Index != 7 {
					t.Fatalf("verify: %+v, %v; want entry 7 named", rep.FirstBad, err)
				}
			})
		}
	}
}

// rowCheckpoint returns the checkpoint the batch row of entry i carries.
func rowCheckpoint(t *testing.T, path string, i uint64) string {
	t.Helper()
	var cp string
	rawUpdate(t, path, func(tx *buntdb.Tx) error {
		r := &rows{tx: tx}
		_, err := r.row(i)
		cp = r.b.cp
		return err
	})
	return cp
}

// setRowCheckpoint replaces the checkpoint the batch row of entry i
// carries; "" leaves the row without one.
func setRowCheckpoint(t *testing.T, path string, i uint64, cp string) {
	t.Helper()
	rawUpdate(t, path, func(tx *buntdb.Tx) error {
		r := &rows{tx: tx}
		if _, err := r.row(i); err != nil {
			return err
		}
		v := []byte(r.b.data[:len(r.b.data)-len(r.b.cp)])
		v[0] &^= 0x80
		if cp != "" {
			v[0] |= 0x80
			v = append(v, cp...)
		}
		_, _, err := tx.Set(batchKey(r.b.first), string(v), nil)
		return err
	})
}

// draftLeaf is the row of an unsigned entry i with op id op, as a torn
// write could leave it.
func draftLeaf(t *testing.T, origin string, i uint64, op string) []byte {
	t.Helper()
	e := &ledger.Entry{Index: i, Draft: draft(op)}
	row := e.Leaf(origin)
	for range hashesOf(i) {
		row = append(row, make([]byte, 32)...)
	}
	return row
}

// TestUncommittedBatchDropped: in a format-2 store, rows written after the
// last checkpoint (a batch whose commit never completed, so was never
// acknowledged) are removed on open and the log stays valid. (A format-3
// row carries its own checkpoint.)
func TestUncommittedBatchDropped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	sg := newSigner(t, "u.example/log")
	writeLegacy(t, path, sg, []int{1, 1, 1, 1, 1})
	rawUpdate(t, path, func(tx *buntdb.Tx) error {
		leaf := draftLeaf(t, "u.example/log", 5, "op5")
		tx.Set(batchKey(5), string(appendBatchRow(nil, [][]byte{leaf})), nil)
		_, _, err := tx.Set(batchKey(6), "torn", nil)
		return err
	})
	st := openT(t, path, sg)
	defer st.Close()
	if st.Len() != 5 {
		t.Fatalf("Len = %d", st.Len())
	}
	if _, ok := st.IndexOfOp("op5"); ok {
		t.Fatal("stale op id kept")
	}
	if _, err := st.Append(context.Background(), draft("op5")); err != nil {
		t.Fatalf("op5 after recovery: %v", err)
	}
	if rep, err := st.Verify(nil); err != nil || !rep.OK {
		t.Fatal(rep, err)
	}
}

// TestOldFormatRefused: a store without the current format mark (format 1
// kept each tree hash in its own row) is refused with a clear error, not
// reported as damaged.
func TestOldFormatRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	sg := newSigner(t, "f.example/log")
	st := openT(t, path, sg)
	st.Append(context.Background(), draft("a"))
	st.Close()
	rawUpdate(t, path, func(tx *buntdb.Tx) error { _, err := tx.Delete(keyFormat); return err })
	_, err := Open(path, sg, nil)
	if code(err) != CodeFormat || !strings.Contains(err.Error(), "store format 1") {
		t.Fatalf("open: %v, want %s naming format 1", err, CodeFormat)
	}
	if _, err := OpenReadOnly(path); code(err) != CodeFormat {
		t.Fatalf("read-only open: %v, want %s", err, CodeFormat)
	}
}

func TestClosedStore(t *testing.T) {
	st := openT(t, ":memory:", newSigner(t, "c.example/log"))
	st.Close()
	if _, err := st.Append(context.Background(), draft("x")); code(err) != CodeClosed {
		t.Fatalf("append after close: %v", err)
	}
}

func TestOneProcessAtATime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	sg := newSigner(t, "l.example/log")
	st := openT(t, path, sg)
	if _, err := Open(path, sg, nil); code(err) != CodeInUse {
		t.Fatalf("second open: %v, want %s", err, CodeInUse)
	}
	st.Close()
	st = openT(t, path, sg) // released on close
	st.Close()
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	if _, err := OpenReadOnly(path); code(err) != ledger.CodeNotFound {
		t.Fatalf("missing store: %v", err)
	}
	sg := newSigner(t, "ro.example/log")
	st := openT(t, path, sg)
	st.Append(context.Background(), draft("a"))
	st.Close()
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if ro.Len() != 1 || ro.Origin() != "ro.example/log" || ro.VerifierKey() != sg.Verifier().String() {
		t.Fatalf("read-only view: %d %s", ro.Len(), ro.Origin())
	}
	if _, err := ro.Append(context.Background(), draft("b")); code(err) != CodeClosed {
		t.Fatalf("append read-only: %v", err)
	}
	// The op-id index of a read-only store is built when first asked.
	if i, ok := ro.IndexOfOp("a"); !ok || i != 0 {
		t.Fatalf("IndexOfOp(a) on the read-only store = %d, %v", i, ok)
	}
	if _, ok := ro.IndexOfOp("b"); ok {
		t.Fatal("IndexOfOp found an op id that was never logged")
	}
	var buf bytes.Buffer
	if err := ro.WriteBundle(&buf, -1, nil); err != nil {
		t.Fatal(err)
	}
	if rep, err := ledger.VerifyBundle(&buf, sg.Verifier(), nil); err != nil || !rep.OK {
		t.Fatal(rep, err)
	}
}

func TestAppendBatchAtomic(t *testing.T) {
	st := openT(t, ":memory:", newSigner(t, "b.example/log"))
	defer st.Close()
	ctx := context.Background()
	child := draft("b2")
	child.ParentOpID = "b1"
	es, err := st.AppendBatch(ctx, []ledger.Draft{draft("b1"), child, draft("b3")})
	if err != nil || len(es) != 3 || es[0].Index != 0 || es[2].Index != 2 {
		t.Fatalf("batch: %v %v", es, err)
	}
	// One bad draft refuses the whole batch; nothing of it is written, and
	// its op ids stay free.
	for _, bad := range [][]ledger.Draft{
		{draft("c1"), draft("b2")},                                      // duplicate of a logged op
		{draft("c1"), draft("c1")},                                      // duplicate within the batch
		{draft("c1"), {OpID: "c2", Operation: "x", ParentOpID: "nope"}}, // orphan
	} {
		if _, err := st.AppendBatch(ctx, bad); code(err) != ledger.CodeOpID {
			t.Fatalf("bad batch: %v", err)
		}
	}
	if st.Len() != 3 {
		t.Fatalf("Len = %d after refused batches", st.Len())
	}
	if e, err := st.Append(ctx, draft("c1")); err != nil || e.Index != 3 {
		t.Fatalf("c1 after refused batches: %v %v", e, err)
	}
	if rep, err := st.Verify(nil); err != nil || !rep.OK {
		t.Fatal(rep, err)
	}
}

// TestBatchRowTooLong: a batch too long for one batch row (whose entry
// count and end offsets are uint32s) is refused, and nothing of it is
// written; the store stops appending, and a reopen finds the entries
// before it. maxRowLen is lowered from 4 GiB to make one.
func TestBatchRowTooLong(t *testing.T) {
	defer func(n int) { maxRowLen = n }(maxRowLen)
	path := filepath.Join(t.TempDir(), "ledger.db")
	sg := newSigner(t, "long.example/log")
	ctx := context.Background()
	st := openT(t, path, sg)
	if _, err := st.Append(ctx, draft("first")); err != nil {
		t.Fatal(err)
	}
	maxRowLen = 4096
	ds := make([]ledger.Draft, 20)
	for i := range ds {
		ds[i] = draft(fmt.Sprintf("long-%d", i))
	}
	_, err := st.AppendBatch(ctx, ds)
	if e, _ := nu.AsError(err); code(err) != CodeIO || !strings.Contains(e.Details, "does not fit in one batch row") {
		t.Fatalf("a batch over maxRowLen: err = %v (%+v)", err, e)
	}
	if st.Len() != 1 {
		t.Fatalf("Len = %d after the refused batch, want 1", st.Len())
	}
	st.Close()
	maxRowLen = math.MaxUint32
	st = openT(t, path, sg)
	defer st.Close()
	if rep, err := st.Verify(nil); err != nil || !rep.OK || rep.Entries != 1 {
		t.Fatalf("verify after reopen: %+v %v", rep, err)
	}
	if _, err := st.AppendBatch(ctx, ds); err != nil {
		t.Fatalf("the same batch within the limit: %v", err)
	}
}

func TestKeysSortByIndex(t *testing.T) {
	for _, c := range []struct {
		i    uint64
		want string
	}{{0, "b:00000000000000000000"}, {42, "b:00000000000000000042"}, {18446744073709551615, "b:18446744073709551615"}} {
		if got := batchKey(c.i); got != c.want {
			t.Errorf("batchKey(%d) = %q", c.i, got)
		}
	}
	if !(batchKey(9) < batchKey(10)) {
		t.Error("keys must sort in index order")
	}
}

// TestOpIDsKnownAfterReopen: the op ids on disk are refused as duplicates
// and accepted as parents after a reopen (they come from the filter built
// at open, confirmed in BuntDB), and an op id that is not there passes.
func TestOpIDsKnownAfterReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	sg := newSigner(t, "reopen.example/log")
	ctx := context.Background()
	st := openT(t, path, sg)
	for _, op := range []string{"a", "b", "c"} {
		if _, err := st.Append(ctx, draft(op)); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	st = openT(t, path, sg)
	defer st.Close()
	for _, op := range []string{"a", "b", "c"} {
		if _, err := st.Append(ctx, draft(op)); code(err) != ledger.CodeOpID {
			t.Errorf("duplicate %q after reopen: err = %v, want %s", op, err, ledger.CodeOpID)
		}
	}
	child := draft("d")
	child.ParentOpID = "b"
	if _, err := st.Append(ctx, child); err != nil {
		t.Fatalf("parent logged before the reopen refused: %v", err)
	}
	if _, err := st.Append(ctx, draft("e")); err != nil {
		t.Fatalf("new op id refused: %v", err)
	}
	if st.Len() != 5 {
		t.Fatalf("Len = %d, want 5", st.Len())
	}
}

// TestOpIndex: lookups are confirmed against the entry's own op id, and
// op ids whose hash collides with another's are found, in the tail map
// and after it was merged into the sorted base. Collisions are forced
// with a hash that keeps only a few bits.
func TestOpIndex(t *testing.T) {
	for _, c := range []struct {
		name string
		hash func(x *opIndex) func(string) uint64
	}{
		{"maphash", func(x *opIndex) func(string) uint64 { return x.hash }},
		// 64 values of the top bits that base keeps: every lookup in
		// base has many candidates; and 2^26 full hashes, so that some
		// collide in the maps too.
		{"colliding", func(x *opIndex) func(string) uint64 {
			h := x.hash
			return func(s string) uint64 { return h(s) & (0x3f<<58 | 0xfffff) }
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := newOpIndex()
			x.hash = c.hash(x)
			ops := map[uint64]string{}
			opAt := func(i uint64) (string, bool) { op, ok := ops[i]; return op, ok }
			const n = 3*minMergeSize + 1234
			for i := range uint64(n) {
				ops[i] = fmt.Sprint("op-", i)
				x.add(ops[i], i)
				if i%(minMergeSize/2) == 0 {
					x.wait()
				}
			}
			x.wait()
			if x.merges < 2 {
				t.Fatalf("%d merges", x.merges)
			}
			check := func(i uint64) {
				if got, ok := x.lookup(ops[i], opAt); !ok || got != i {
					t.Fatalf("lookup(%s) = %d, %v", ops[i], got, ok)
				}
			}
			step := uint64(1)
			if c.name == "colliding" {
				step = 997 // each lookup scans about n/64 candidates
			}
			for i := uint64(0); i < n; i += step {
				check(i)
			}
			check(n - 1)
			for i := range 2000 {
				if got, ok := x.lookup(fmt.Sprint("other-", i), opAt); ok {
					t.Fatalf("op id never added found at %d", got)
				}
			}
			total, _ := x.size()
			if total != n {
				t.Fatalf("%d op ids indexed, want %d", total, n)
			}
		})
	}
	t.Run("shift grows", func(t *testing.T) {
		x := newOpIndex()
		ops := map[uint64]string{}
		opAt := func(i uint64) (string, bool) { op, ok := ops[i]; return op, ok }
		big := uint64(1) << 30 // indexes beyond 2^24 force a wider index field
		for k := range uint64(minMergeSize + 10) {
			i := k
			if k%2 == 1 {
				i = big + k
			}
			ops[i] = fmt.Sprint("w-", i)
			x.add(ops[i], i)
		}
		x.wait()
		if x.shift <= minShift {
			t.Fatalf("shift %d", x.shift)
		}
		for i, op := range ops {
			if got, ok := x.lookup(op, opAt); !ok || got != i {
				t.Fatalf("lookup(%s) = %d, %v", op, got, ok)
			}
		}
	})
}

// FuzzBatchRow: any bytes under a batch key parse or are refused, and
// reading any entry of a parsed batch never panics.
func FuzzBatchRow(f *testing.F) {
	f.Add(appendBatchRow(nil, [][]byte{[]byte("one"), []byte("three")}))
	f.Add([]byte("\x00\x00\x00\x02\x00\x00\x00\x05\x00\x00\x00\x03abcde"))
	f.Add([]byte("\x80\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x05abcdecheckpoint"))
	f.Fuzz(func(t *testing.T, v []byte) {
		b, err := parseBatch(batchKey(7), string(v))
		if err != nil {
			return
		}
		for i := b.first; i < b.first+uint64(b.n); i++ {
			splitRow(i, b.row(i))
		}
		if len(b.data)-len(b.cp) != 4+4*b.n+b.end(b.n-1) || (b.cp != "") != (v[0]&0x80 != 0) {
			t.Fatalf("checkpoint %q of a row of %d entries, %d bytes", b.cp, b.n, len(v))
		}
	})
}

// TestLatencyHooks checks that OnWrite sees every committed entry once, in
// batch rows, and that OnSync runs for the fsyncs that made them durable.
func TestLatencyHooks(t *testing.T) {
	var mu sync.Mutex
	var writes, entries, syncs int
	var total time.Duration
	opts := &Options{
		OnWrite: func(n int, d time.Duration) {
			mu.Lock()
			writes, entries, total = writes+1, entries+n, total+d
			mu.Unlock()
		},
		OnSync: func(d time.Duration) {
			mu.Lock()
			syncs, total = syncs+1, total+d
			mu.Unlock()
		},
	}
	st, err := Open(filepath.Join(t.TempDir(), "ledger.db"), newSigner(t, "hooks.example/log"), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.AppendBatch(ctx, []ledger.Draft{draft("h1"), draft("h2"), draft("h3")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, draft("h4")); err != nil {
		t.Fatal(err)
	}
	// A refused append writes nothing and so reports nothing.
	if _, err := st.Append(ctx, draft("h4")); err == nil {
		t.Fatal("duplicate op id accepted")
	}
	mu.Lock()
	defer mu.Unlock()
	if entries != 4 || writes < 1 || writes > 2 {
		t.Errorf("OnWrite saw %d entries in %d rows, want 4 entries in 1 or 2 rows", entries, writes)
	}
	if syncs < 1 || syncs > writes {
		t.Errorf("OnSync ran %d times for %d rows written, want 1 to %d", syncs, writes, writes)
	}
	if total <= 0 {
		t.Errorf("the hooks measured no time at all (%v)", total)
	}
}
