//go:build !js

package d1log_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/wasm/worker/d1log"
	"github.com/ebios/ebios/wasm/worker/d1log/sqlitedb"
	"github.com/ebios/ebios/wasm/worker/edge"
	"golang.org/x/mod/sumdb/tlog"
)

func signer(t testing.TB) *ledger.Signer {
	t.Helper()
	skey, _, err := ledger.GenerateKey(rand.Reader, "test.ebios.example/worker")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ledger.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func draft(i int) ledger.Draft {
	v := nu.MustNew(float64(i), 0.5)
	return ledger.Draft{OpID: fmt.Sprintf("op-%d", i), Operation: "add", Mode: "nu", Inputs: []nu.Value{v, v}, Output: &v,
		Invariant: ledger.Invariant{OK: true}}
}

type fixture struct {
	db    *sqlitedb.DB
	s     *ledger.Signer
	empty []byte
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "d1.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := signer(t)
	empty, err := edge.EmptyCheckpoint(s)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db, s, empty}
}

func (f *fixture) open(t *testing.T) *d1log.Store {
	t.Helper()
	st, err := d1log.Open(context.Background(), f.db, f.s.Verifier(), f.empty)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestMatchesMemory: appends through the engine to D1 (SQLite here) and to
// ledger.Log in memory give the same checkpoints' trees, tiles and proofs;
// every append reopens the store, as every Worker request does.
func TestMatchesMemory(t *testing.T) {
	f := newFixture(t)
	mem, err := ledger.NewLog(f.s.Name(), f.s, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, batch := range []int{1, 2, 3, 255, 1, 256, 7} {
		ds := make([]ledger.Draft, batch)
		for i := range ds {
			ds[i] = draft(n)
			ds[i].Timestamp = int64(n + 1)
			n++
		}
		if _, err := edge.Append(f.open(t), f.s, ds, 1); err != nil {
			t.Fatalf("append of %d: %v", batch, err)
		}
		if _, err := mem.AppendBatch(ds); err != nil {
			t.Fatal(err)
		}
	}
	st := f.open(t)
	cp, size := st.Head()
	if size != int64(n) {
		t.Fatalf("size %d, want %d", size, n)
	}
	c, err := ledger.OpenCheckpoint(cp, f.s.Verifier(), f.s.Name())
	if err != nil {
		t.Fatal(err)
	}
	root, err := mem.TreeHash(size)
	if err != nil {
		t.Fatal(err)
	}
	if c.Root != root {
		t.Fatalf("D1 root %x, memory root %x", c.Root, root)
	}
	memStore := mem.Storage()
	for _, tile := range []tlog.Tile{ledger.FullTile(0, 0), ledger.FullTile(0, 1), {H: 8, L: 0, N: 2, W: int(size % 256)},
		ledger.FullTile(ledger.BundleLevel, 1), {H: 8, L: 1, N: 0, W: 2}} {
		got, err := st.ReadTile(tile)
		if err != nil {
			t.Fatalf("%s: %v", ledger.TilePath(tile), err)
		}
		want, err := memStore.ReadTile(tile)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from memory's", ledger.TilePath(tile))
		}
	}
	for _, i := range []int64{0, 300, size - 1} {
		p, err := tlog.ProveRecord(size, i, st)
		if err != nil {
			t.Fatal(err)
		}
		e, err := st.Entry(uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ledger.VerifyInclusion(f.s.Verifier(), f.s.Name(), cp, e, p); err != nil {
			t.Errorf("entry %d: %v", i, err)
		}
	}
	if i, ok := st.IndexOfOp("op-300"); !ok || i != 300 {
		t.Errorf("IndexOfOp(op-300) = %d, %v", i, ok)
	}
	if _, err := st.ReadTile(ledger.FullTile(0, 3)); err == nil {
		t.Error("a tile beyond the log was read")
	}
	bundle, err := edge.WriteBundle(st, cp, size, f.s.Verifier().String())
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := ledger.VerifyBundle(bytes.NewReader(bundle), f.s.Verifier(), nil); err != nil || !rep.OK {
		t.Fatalf("export does not verify: %v %+v", err, rep)
	}
}

// TestCommitConflict: two sequencers that start from the same head: the
// second commit is refused with ErrConflict and stores nothing; so is a
// batch that would leave a gap. Duplicate op ids are refused by the UNIQUE
// index even when the sequencer did not see them.
func TestCommitConflict(t *testing.T) {
	f := newFixture(t)
	a, b := f.open(t), f.open(t)
	if _, err := edge.Append(a, f.s, []ledger.Draft{draft(1)}, 1); err != nil {
		t.Fatal(err)
	}
	_, err := edge.Append(b, f.s, []ledger.Draft{draft(2), draft(3)}, 1)
	if !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("second sequencer: %v, want ErrConflict", err)
	}
	st := f.open(t)
	if _, size := st.Head(); size != 1 {
		t.Fatalf("size %d after the refused commit, want 1", size)
	}
	if _, ok := st.IndexOfOp("op-2"); ok {
		t.Fatal("the refused batch left op-2")
	}
	// A batch after a gap.
	gap := &ledger.Batch{First: 5, Entries: []ledger.Pending{}, Checkpoint: []byte("x")}
	if err := st.Commit(gap); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("gap: %v, want ErrConflict", err)
	}
	// The same op id again, as a stale sequencer would send it.
	if _, err := edge.Append(f.open(t), f.s, []ledger.Draft{draft(1)}, 1); err == nil {
		t.Fatal("a duplicate op id was appended")
	}
	if _, size := f.open(t).Head(); size != 1 {
		t.Fatalf("size %d, want 1", size)
	}
}

// TestOpenChecksKey: a log signed by another key is refused.
func TestOpenChecksKey(t *testing.T) {
	f := newFixture(t)
	if _, err := edge.Append(f.open(t), f.s, []ledger.Draft{draft(1)}, 1); err != nil {
		t.Fatal(err)
	}
	other := signer(t)
	if _, err := d1log.Open(context.Background(), f.db, other.Verifier(), f.empty); err == nil {
		t.Fatal("a log of another key was opened")
	}
}

// memTiles is a TileStore in memory.
type memTiles map[string][]byte

func (m memTiles) Get(_ context.Context, k string) ([]byte, error) { return m[k], nil }
func (m memTiles) Put(_ context.Context, k string, d []byte) error { m[k] = d; return nil }

// TestSealedTiles: the full tiles a commit completes are sealed into the
// tile store, equal to the in-memory log's; full tiles are read from it;
// a missing one is made from the rows and sealed again; partial tiles
// are never sealed.
func TestSealedTiles(t *testing.T) {
	f := newFixture(t)
	mem, err := ledger.NewLog(f.s.Name(), f.s, nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed := memTiles{}
	n := 0
	for _, batch := range []int{200, 100, 300} { // crosses 256 and 512
		ds := make([]ledger.Draft, batch)
		for i := range ds {
			ds[i] = draft(n)
			ds[i].Timestamp = int64(n + 1)
			n++
		}
		st := f.open(t)
		st.Sealed = sealed
		if _, err := edge.Append(st, f.s, ds, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := mem.AppendBatch(ds); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"tile/0/000", "tile/0/001", "tile/entries/000", "tile/entries/001"}
	if len(sealed) != len(want) {
		t.Fatalf("sealed %d tiles, want %v", len(sealed), want)
	}
	for _, p := range want {
		tile, err := ledger.ParseTilePath(p)
		if err != nil {
			t.Fatal(err)
		}
		w, err := mem.Storage().ReadTile(tile)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sealed[p], w) {
			t.Errorf("%s sealed differs from the in-memory log's", p)
		}
	}
	st := f.open(t)
	st.Sealed = sealed
	sealed["tile/0/000"] = []byte("from the store")
	if got, _ := st.ReadTile(ledger.FullTile(0, 0)); string(got) != "from the store" {
		t.Error("a full tile was not read from the tile store")
	}
	delete(sealed, "tile/entries/001")
	got, err := st.ReadTile(ledger.FullTile(ledger.BundleLevel, 1))
	if err != nil || !bytes.Equal(got, sealed["tile/entries/001"]) || got == nil {
		t.Errorf("a missing tile was not made and sealed again: %v", err)
	}
	if _, err := st.ReadTile(tlog.Tile{H: 8, L: 0, N: 2, W: 600 - 512}); err != nil {
		t.Fatal(err)
	}
	if len(sealed) != len(want) {
		t.Errorf("a partial tile was sealed: %d objects", len(sealed))
	}
}

// countingDB counts the queries run.
type countingDB struct {
	d1log.DB
	queries int
}

func (c *countingDB) Query(ctx context.Context, q string, args ...any) ([][]any, error) {
	c.queries++
	return c.DB.Query(ctx, q, args...)
}

// TestQueryReadsAhead: a query reads through the read indexes (one query
// when nothing matches) and reads rows 256 at a time, not one query per
// entry.
func TestQueryReadsAhead(t *testing.T) {
	f := newFixture(t)
	ds := make([]ledger.Draft, 600)
	for i := range ds {
		ds[i] = draft(i)
		if i%3 == 0 {
			ds[i].Operation = "mul"
		}
	}
	if _, err := edge.Append(f.open(t), f.s, ds, 1); err != nil {
		t.Fatal(err)
	}
	c := &countingDB{DB: f.db}
	st, err := d1log.Open(context.Background(), c, f.s.Verifier(), f.empty)
	if err != nil {
		t.Fatal(err)
	}
	c.queries = 0
	page, err := ledger.Query(st, ledger.Filter{Operation: "mul"}, 1000, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 200 || page.Entries[1].Index != 3 {
		t.Fatalf("query found %d entries", len(page.Entries))
	}
	// Through the read index: one Seek query per match, and the matches'
	// rows 256 at a time.
	if c.queries > 2*200+3 {
		t.Errorf("a query of 200 matches in 600 entries ran %d queries", c.queries)
	}
	c.queries = 0
	if page, err = ledger.Query(st, ledger.Filter{Operation: "flip"}, 1000, ""); err != nil || len(page.Entries) != 0 {
		t.Fatalf("query of an operation no entry has: %v, %d", err, len(page.Entries))
	}
	if c.queries != 1 {
		t.Errorf("a query with no match ran %d queries, want 1 (the index)", c.queries)
	}
	c.queries = 0
	if page, err = ledger.Query(st, ledger.Filter{}, 1000, ""); err != nil || len(page.Entries) != 600 {
		t.Fatalf("query of every entry: %v, %d", err, len(page.Entries))
	}
	if c.queries > 3 {
		t.Errorf("a query of 600 entries ran %d queries, want 3 (256 rows each)", c.queries)
	}
	if _, err := st.Get(600); err == nil {
		t.Error("entry 600 of a log of 600 was read")
	}
}

// TestConcurrentLogins: logins of one user at once all succeed (each sets
// the last login: a conditional write that is retried, never lost).
func TestConcurrentLogins(t *testing.T) {
	f := newFixture(t)
	users := &d1log.Users{DB: f.db}
	svc, err := auth.New(users, auth.Options{Secret: bytes.Repeat([]byte("k"), 32),
		Hasher: auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 4)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddUser(context.Background(), "ops", "a long enough passphrase", auth.RoleOperator); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := svc.Login(context.Background(), "ops", "a long enough passphrase")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestSeekTimes: time filters through the index (microseconds) find the
// same entries as a scan, at nanosecond bounds either side of an entry.
func TestSeekTimes(t *testing.T) {
	f := newFixture(t)
	ds := make([]ledger.Draft, 50)
	for i := range ds {
		ds[i] = draft(i)
		ds[i].Timestamp = 1_796_000_000_000_000_000 + int64(i)*700 // several entries per microsecond
	}
	if _, err := edge.Append(f.open(t), f.s, ds, 1); err != nil {
		t.Fatal(err)
	}
	st := f.open(t)
	var all ledger.Entries
	for i := range uint64(50) {
		e, err := st.Get(i)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
	}
	for _, b := range []struct{ since, until int64 }{
		{ds[10].Timestamp, ds[20].Timestamp}, {ds[10].Timestamp + 1, ds[20].Timestamp + 1}, {ds[10].Timestamp - 1, 0}, {0, ds[3].Timestamp},
	} {
		flt := ledger.Filter{Since: b.since, Until: b.until}
		got, err := ledger.Query(st, flt, 1000, "")
		if err != nil {
			t.Fatal(err)
		}
		want, _ := ledger.Query(all, flt, 1000, "")
		if len(got.Entries) != len(want.Entries) || len(got.Entries) > 0 && got.Entries[0].Index != want.Entries[0].Index {
			t.Errorf("since %d until %d: %d entries through the index, %d by a scan", b.since, b.until, len(got.Entries), len(want.Entries))
		}
	}
}
