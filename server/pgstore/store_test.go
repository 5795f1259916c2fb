package pgstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/internal/pgtest"
	"github.com/ebios/ebios/server/ledgerstore"
	"golang.org/x/mod/sumdb/tlog"
)

// startDB starts a private PostgreSQL for the test, or skips under -short.
func startDB(t *testing.T) *pgtest.Postgres {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the PostgreSQL store tests run a PostgreSQL server (make unit runs them)")
	}
	return pgtest.Start(t)
}

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

func draft(op string, ts int64) ledger.Draft {
	v := nu.MustNew(1.5, 0.1)
	return ledger.Draft{OpID: op, Timestamp: ts, Operation: "add", Mode: ledger.ModeNU, Inputs: []nu.Value{v, v}, Output: &v,
		Coverage: nu.Float(v.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true},
		Guard: []ledger.GuardEvent{{Rule: "coverage", Level: "warning", Value: 0.1, Threshold: 0.05}}}
}

func openT(t testing.TB, url string, s *ledger.Signer, o *Options) *Store {
	t.Helper()
	st, err := Open(context.Background(), url, s, o)
	if err != nil {
		e, _ := nu.AsError(err)
		t.Fatalf("open: %v (%+v)", err, e)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestSameAsBuntDB: the same drafts appended to PostgreSQL and to the
// BuntDB store give byte-identical checkpoints, tiles, bundles and proofs
// (both run the log engine of core/ledger; only the storage differs).
func TestSameAsBuntDB(t *testing.T) {
	pg := startDB(t)
	ctx := context.Background()
	signer := newSigner(t, "example.org/log")
	ps := openT(t, pg.URL, signer, nil)
	bs, err := ledgerstore.Open(":memory:", signer, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	// 600 entries: two full tiles and a partial one, in batches of
	// several sizes, some with parents.
	n := 0
	for _, k := range []int{1, 7, 256, 3, 200, 133} {
		var ds []ledger.Draft
		for range k {
			d := draft(fmt.Sprintf("op-%04d", n), int64(1e18)+int64(n))
			if n%5 == 4 {
				d.ParentOpID = fmt.Sprintf("op-%04d", n-1)
			}
			ds = append(ds, d)
			n++
		}
		for _, st := range []interface {
			AppendBatch(context.Context, []ledger.Draft) ([]*ledger.Entry, error)
		}{ps, bs} {
			if _, err := st.AppendBatch(ctx, ds); err != nil {
				t.Fatal(err)
			}
		}
	}
	cpP, sizeP := ps.Latest()
	cpB, sizeB := bs.Latest()
	if sizeP != 600 || sizeB != 600 {
		t.Fatalf("sizes %d and %d, want 600", sizeP, sizeB)
	}
	// Checkpoints are signed notes over the same text; Ed25519 is
	// deterministic, so they are equal.
	if !bytes.Equal(cpP, cpB) {
		t.Fatalf("checkpoints differ:\n%s\n%s", cpP, cpB)
	}
	for _, tile := range []tlog.Tile{
		ledger.FullTile(0, 0), ledger.FullTile(0, 1), {H: 8, L: 0, N: 2, W: 88}, {H: 8, L: 1, N: 0, W: 2},
		ledger.FullTile(ledger.BundleLevel, 1), {H: 8, L: ledger.BundleLevel, N: 2, W: 88},
	} {
		a, errA := ps.ReadTile(tile)
		b, errB := bs.ReadTile(tile)
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("tile %s: PostgreSQL (%d bytes, %v) and BuntDB (%d bytes, %v) differ", ledger.TilePath(tile), len(a), errA, len(b), errB)
		}
	}
	if _, err := ps.ReadTile(tlog.Tile{H: 8, L: 0, N: 2, W: 89}); err == nil {
		t.Error("a tile beyond the log was read")
	}
	var bufP, bufB bytes.Buffer
	if err := ps.WriteBundle(&bufP, -1, nil); err != nil {
		t.Fatal(err)
	}
	if err := bs.WriteBundle(&bufB, -1, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bufP.Bytes(), bufB.Bytes()) {
		t.Error("export bundles differ")
	}
	for _, c := range [][2]int64{{1, 600}, {299, 600}, {599, 600}, {5, 6}} {
		a, err := ps.InclusionProof(c[0], c[1])
		b, _ := bs.InclusionProof(c[0], c[1])
		if err != nil || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("inclusion proof %v differs: %v", c, err)
		}
		x, err := ps.ConsistencyProof(c[0], c[1])
		y, _ := bs.ConsistencyProof(c[0], c[1])
		if err != nil || fmt.Sprint(x) != fmt.Sprint(y) {
			t.Errorf("consistency proof %v differs: %v", c, err)
		}
	}
	for _, i := range []uint64{0, 255, 256, 599} {
		a, err := ps.Get(i)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := bs.Get(i)
		if a.OpID != b.OpID || a.Signature != b.Signature || a.Index != i {
			t.Errorf("entry %d differs", i)
		}
	}
	if _, err := ps.Get(600); err == nil {
		t.Error("Get beyond the log answered")
	}
	if i, ok := ps.IndexOfOp("op-0300"); !ok || i != 300 {
		t.Errorf("IndexOfOp(op-0300) = %d, %v", i, ok)
	}
	rep, err := ps.VerifyContext(ctx, nil)
	if err != nil || !rep.OK || rep.TreeSize != 600 {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
}

// TestRefusals: bad appends are refused whole and write nothing.
func TestRefusals(t *testing.T) {
	pg := startDB(t)
	ctx := context.Background()
	st := openT(t, pg.URL, newSigner(t, "example.org/log"), nil)
	if _, err := st.Append(ctx, draft("a", 0)); err != nil {
		t.Fatal(err)
	}
	child := draft("c", 0)
	child.ParentOpID = "nope"
	for _, c := range []struct {
		name string
		ds   []ledger.Draft
		code string
	}{
		{"duplicate op id", []ledger.Draft{draft("a", 0)}, ledger.CodeOpID},
		{"duplicate within the batch", []ledger.Draft{draft("b", 0), draft("b", 0)}, ledger.CodeOpID},
		{"unknown parent", []ledger.Draft{draft("x", 0), child}, ledger.CodeOpID},
		{"invalid draft", []ledger.Draft{{Operation: "add"}}, ledger.CodeInvalidEntry},
		{"nothing", nil, ledger.CodeInvalidEntry},
	} {
		_, err := st.AppendBatch(ctx, c.ds)
		if e, ok := nu.AsError(err); !ok || e.Code != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if n := st.Len(); n != 1 {
		t.Fatalf("the log has %d entries after refusals, want 1", n)
	}
	if _, ok := st.IndexOfOp("x"); ok {
		t.Error("the first draft of a refused batch was written")
	}
}

// TestInstancesShareTheLog: two stores on one database (two servers)
// append concurrently; each sees the other's entries, and the log
// verifies.
func TestInstancesShareTheLog(t *testing.T) {
	pg := startDB(t)
	ctx := context.Background()
	signer := newSigner(t, "example.org/log")
	a := openT(t, pg.URL, signer, &Options{Instance: "a"})
	b := openT(t, pg.URL, signer, &Options{Instance: "b"})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		st := a
		if w%2 == 1 {
			st = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				if _, err := st.Append(ctx, draft(fmt.Sprintf("w%d-%d", w, i), 0)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if a.Len() != 400 || b.Len() != 400 {
		t.Fatalf("sizes %d and %d, want 400", a.Len(), b.Len())
	}
	i, ok := a.IndexOfOp("w1-24") // written through b
	if !ok {
		t.Fatal("a does not find b's entry")
	}
	e, err := a.Get(i)
	if err != nil || e.OpID != "w1-24" {
		t.Fatalf("a.Get(%d) = %v, %v", i, e, err)
	}
	for _, st := range []*Store{a, b} {
		if rep, err := st.VerifyContext(ctx, nil); err != nil || !rep.OK {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	}
	// Reopened with the same key: the log goes on.
	c := openT(t, pg.URL, signer, nil)
	if _, err := c.Append(ctx, draft("after", 0)); err != nil || c.Len() != 401 {
		t.Fatalf("append after reopening: %v, size %d", err, c.Len())
	}
}

// TestOpenRefuses: another key, and a schema newer than the binary.
func TestOpenRefuses(t *testing.T) {
	pg := startDB(t)
	ctx := context.Background()
	empty := openT(t, pg.URL, newSigner(t, "example.org/log"), nil)
	if rep, err := empty.VerifyContext(ctx, nil); err != nil || !rep.OK || rep.TreeSize != 0 {
		t.Fatalf("verify of the empty log: %+v %v", rep, err)
	}
	_, err := Open(ctx, pg.URL, newSigner(t, "example.org/log"), nil)
	if e, ok := nu.AsError(err); !ok || e.Code != ledgerstore.CodeWrongKey {
		t.Errorf("another key: %v", err)
	}
	ro, err := OpenReadOnly(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Append(ctx, draft("x", 0)); err == nil {
		t.Error("a read-only store appended")
	}
	ro.Close()
	pg.SQL(t, "INSERT INTO ebios_schema (version, name) VALUES (9999, 'future')")
	for name, open := range map[string]func() error{
		"Open":         func() error { _, err := Open(ctx, pg.URL, newSigner(t, "example.org/log"), nil); return err },
		"OpenReadOnly": func() error { _, err := OpenReadOnly(ctx, pg.URL); return err },
		"Migrate": func() error {
			pool, err := Connect(ctx, pg.URL, 0)
			if err != nil {
				return nil
			}
			defer pool.Close()
			_, err = Migrate(ctx, pool)
			return err
		},
	} {
		err := open()
		if e, ok := nu.AsError(err); !ok || e.Code != CodeSchema {
			t.Errorf("%s on a newer schema: %v, want %s", name, err, CodeSchema)
		}
	}
}

// TestMigrateOnce: migrations apply once, in order, and again is a no-op.
func TestMigrateOnce(t *testing.T) {
	pg := startDB(t)
	ctx := context.Background()
	pool, err := Connect(ctx, pg.URL, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	res, err := Migrate(ctx, pool)
	if err != nil || res.From != 0 || res.To != SchemaVersion() || len(res.Applied) != len(Migrations()) {
		t.Fatalf("first migration: %+v, %v", res, err)
	}
	res, err = Migrate(ctx, pool)
	if err != nil || res.From != SchemaVersion() || len(res.Applied) != 0 {
		t.Fatalf("second migration: %+v, %v", res, err)
	}
	// Connect's connections plan every query afresh (setCustomPlans).
	var mode string
	if err := pool.QueryRow(ctx, "SHOW plan_cache_mode").Scan(&mode); err != nil || mode != "force_custom_plan" {
		t.Errorf("plan_cache_mode on a connection of Connect = %q, %v; want force_custom_plan", mode, err)
	}
}

// TestDatabaseOutage: while the database is down, appends fail with a
// structured error and are not acknowledged, readiness says why, and
// reads answer the last size read; once it is back, appends go on and the
// log verifies.
func TestDatabaseOutage(t *testing.T) {
	pg := startDB(t)
	ctx := context.Background()
	st := openT(t, pg.URL, newSigner(t, "example.org/log"), nil)
	for i := range 10 {
		if _, err := st.Append(ctx, draft(fmt.Sprint("before-", i), 0)); err != nil {
			t.Fatal(err)
		}
	}
	pg.Stop(t)
	_, err := st.Append(ctx, draft("during", 0))
	if e, ok := nu.AsError(err); !ok || e.Code != ledgerstore.CodeIO {
		t.Errorf("an append while the database is down: %v, want %s", err, ledgerstore.CodeIO)
	}
	if err := st.Ready(); err == nil {
		t.Error("Ready while the database is down")
	}
	if n := st.Len(); n != 10 {
		t.Errorf("Len while the database is down: %d, want the last size read, 10", n)
	}
	pg.Restart(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := st.Append(ctx, draft("after", 0))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("appends do not resume after the database is back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, ok := st.IndexOfOp("during"); ok {
		t.Error("the append refused during the outage is in the log")
	}
	if rep, err := st.VerifyContext(ctx, nil); err != nil || !rep.OK || rep.TreeSize != 11 {
		t.Fatalf("verify after the outage: %+v %v", rep, err)
	}
}

// TestCloseAnswersEveryAppend: appends racing with Close each get an
// answer (their entry, or LEDGER_022), and what was answered with an entry
// is in the log.
func TestCloseAnswersEveryAppend(t *testing.T) {
	pg := startDB(t)
	ctx := context.Background()
	signer := newSigner(t, "example.org/log")
	st, err := Open(ctx, pg.URL, signer, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	acked := make(chan string, 100000)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				e, err := st.Append(ctx, draft(fmt.Sprintf("w%d-%d", w, i), 0))
				if err != nil {
					if e, ok := nu.AsError(err); !ok || e.Code != ledgerstore.CodeClosed {
						t.Errorf("append during Close: %v", err)
					}
					return
				}
				acked <- e.OpID
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	st.Close()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("appends racing with Close were left without an answer")
	}
	close(acked)
	ro, err := OpenReadOnly(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	n := 0
	for op := range acked {
		if _, ok := ro.IndexOfOp(op); !ok {
			t.Errorf("acknowledged %s is not in the log", op)
		}
		n++
	}
	if n == 0 || uint64(n) != ro.Len() {
		t.Errorf("%d appends acknowledged, the log has %d entries", n, ro.Len())
	}
}
