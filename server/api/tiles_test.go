package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/torchwood"
	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ledgerstore"
	"golang.org/x/mod/sumdb/tlog"
)

// tileEnv is an API server over a store on disk (so that tiles are sealed
// into files), reached through HTTP.
type tileEnv struct {
	t     *testing.T
	path  string
	sg    *ledger.Signer
	store *ledgerstore.Store
	as    *auth.Service
	srv   *httptest.Server
	token string // an auditor's access token
	n     int    // entries appended so far
}

func newTileEnv(t *testing.T, public bool) *tileEnv {
	t.Helper()
	skey, _, _ := ledger.GenerateKey(rand.Reader, "tiles.example/log")
	sg, _ := ledger.ParseSignerKey(skey)
	e := &tileEnv{t: t, path: filepath.Join(t.TempDir(), "ledger.db"), sg: sg}
	us, err := auth.OpenBuntStore(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	e.as, err = auth.New(us, auth.Options{Secret: secret,
		Hasher: auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.as.AddUser(context.Background(), "auditor1", password, auth.RoleAuditor); err != nil {
		t.Fatal(err)
	}
	pair, _, err := e.as.Login(context.Background(), "auditor1", password)
	if err != nil {
		t.Fatal(err)
	}
	e.token = pair.AccessToken
	e.start(public)
	t.Cleanup(e.stop)
	return e
}

// start opens the store and serves the API.
func (e *tileEnv) start(public bool) {
	st, err := ledgerstore.Open(e.path, e.sg, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.store = st
	e.srv = httptest.NewServer(New(Config{Store: st, Auth: e.as, LogPublic: public}).Handler())
}

func (e *tileEnv) stop() {
	if e.srv != nil {
		e.srv.Close()
		e.store.Close()
		e.srv = nil
	}
}

// appendN appends n entries in batches and waits until every tile that
// can be is sealed.
func (e *tileEnv) appendN(n int) {
	e.t.Helper()
	for i := 0; i < n; i += 100 {
		var ds []ledger.Draft
		for j := i; j < min(i+100, n); j++ {
			v := nu.MustNew(float64(e.n+j), 0.5)
			ds = append(ds, ledger.Draft{OpID: fmt.Sprint("tile-op-", e.n+j), Operation: "flip", Mode: ledger.ModeNU,
				Inputs: []nu.Value{v}, Output: &v, Coverage: nu.Float(v.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true}})
		}
		if _, err := e.store.AppendBatch(context.Background(), ds); err != nil {
			e.t.Fatal(err)
		}
	}
	e.n += n
	want := uint64(0)
	if e.n > 0 {
		want = uint64(e.n-1) / 256 * 256
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		sealed, err := e.store.SealStatus()
		if sealed == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("sealed %d, want %d (%v)", sealed, want, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// bearer adds a token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b.token != "" {
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (e *tileEnv) fetcher(token string) *torchwood.TileFetcher {
	e.t.Helper()
	f, err := torchwood.NewTileFetcher(e.srv.URL+"/api/v1/log/", torchwood.WithHTTPClient(&http.Client{Transport: bearer{token}, Timeout: 10 * time.Second}))
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// tree fetches and verifies the signed checkpoint against the log's key.
func (e *tileEnv) tree(f *torchwood.TileFetcher) (tlog.Tree, ledger.Checkpoint) {
	e.t.Helper()
	cp, err := f.ReadEndpoint(context.Background(), "checkpoint")
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := ledger.OpenCheckpoint(cp, e.sg.Verifier(), e.sg.Name())
	if err != nil {
		e.t.Fatal(err)
	}
	return tlog.Tree{N: c.Size, Hash: c.Root}, c
}

// TestTilesWithAStandardClient: filippo.io/torchwood, a C2SP tlog-tiles
// client, reads the log over HTTP — the checkpoint, hash tiles and entry
// bundles, full and partial — and proves inclusion and consistency from
// the tiles alone against the signed checkpoint.
func TestTilesWithAStandardClient(t *testing.T) {
	e := newTileEnv(t, false)
	e.appendN(700) // two sealed tiles, a partial one
	ctx := context.Background()
	f := e.fetcher(e.token)
	tree1, c1 := e.tree(f)
	if tree1.N != 700 {
		t.Fatalf("tree size %d", tree1.N)
	}
	client, err := torchwood.NewClient(f)
	if err != nil {
		t.Fatal(err)
	}
	check := func(tree tlog.Tree, i int64) {
		t.Helper()
		leaf, proof, err := client.Entry(ctx, tree, i)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		ent, err := ledger.ParseLeaf(e.sg.Name(), leaf)
		if err != nil || ent.Index != uint64(i) || ent.Verify(e.sg.Name(), e.sg.Verifier()) != nil {
			t.Fatalf("entry %d from the bundle: %v", i, err)
		}
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, i, tlog.RecordHash(leaf)); err != nil {
			t.Fatalf("inclusion of %d: %v", i, err)
		}
		want, _ := e.store.Get(uint64(i))
		if !bytes.Equal(leaf, want.Leaf(e.sg.Name())) {
			t.Fatalf("entry %d differs from the store's", i)
		}
	}
	for _, i := range []int64{0, 1, 255, 256, 511, 512, 600, 699} {
		check(tree1, i)
	}
	// Every entry, in order, through the client's iterator.
	n := int64(0)
	for i, leaf := range client.Entries(ctx, tree1, 0) {
		if i != n {
			t.Fatalf("entry %d came as %d", n, i)
		}
		if _, err := ledger.ParseLeaf(e.sg.Name(), leaf); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := client.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 512 {
		t.Fatalf("the iterator read %d entries", n)
	}

	// The log grows (past a level-0 tile boundary); the client proves the
	// new tree extends the old one, from tiles only.
	e.appendN(300)
	tree2, c2 := e.tree(f)
	hr := torchwood.TileHashReaderWithContext(ctx, tree2, f)
	proof, err := tlog.ProveTree(tree2.N, tree1.N, hr)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(proof, tree2.N, tree2.Hash, tree1.N, tree1.Hash); err != nil {
		t.Fatalf("consistency %d → %d: %v", tree1.N, tree2.N, err)
	}
	if err := ledger.CheckConsistency(c1, c2, proof); err != nil {
		t.Fatal(err)
	}
	rp, err := tlog.ProveRecord(tree2.N, 650, hr)
	if err != nil {
		t.Fatal(err)
	}
	e650, _ := e.store.Get(650)
	if err := tlog.CheckRecord(rp, tree2.N, tree2.Hash, 650, e650.Hash(e.sg.Name())); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int64{300, 767, 768, 999} {
		check(tree2, i)
	}
	// The server's own proofs agree with the ones built from tiles.
	sp, err := e.store.ConsistencyProof(tree1.N, tree2.N)
	if err != nil || fmt.Sprint(sp) != fmt.Sprint(proof) {
		t.Fatalf("the store's consistency proof differs: %v", err)
	}
}

func get(t *testing.T, url, token string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, r.Header, b
}

// TestTileRoutes: cache headers, content types, not-found tiles, the
// permission (ledger:read by default, none with LogPublic), and full tiles
// byte-identical after a restart.
func TestTileRoutes(t *testing.T) {
	e := newTileEnv(t, false)
	e.appendN(600)
	base := e.srv.URL + "/api/v1/log/"
	for _, c := range []struct {
		path, cache, ctype string
		size               int
	}{
		{"checkpoint", "private, max-age=5", "text/plain; charset=utf-8", -1},
		{"tile/0/000", "private, max-age=31536000, immutable", "application/octet-stream", 256 * 32},
		{"tile/0/001.p/7", "private, max-age=60", "application/octet-stream", 7 * 32},
		{"tile/0/002.p/88", "private, max-age=60", "application/octet-stream", 88 * 32},
		{"tile/1/000.p/2", "private, max-age=60", "application/octet-stream", 2 * 32},
		{"tile/entries/001", "private, max-age=31536000, immutable", "application/octet-stream", -1},
		{"tile/entries/002.p/88", "private, max-age=60", "application/octet-stream", -1},
	} {
		code, h, body := get(t, base+c.path, e.token)
		if code != 200 || h.Get("Cache-Control") != c.cache || h.Get("Content-Type") != c.ctype || c.size >= 0 && len(body) != c.size {
			t.Errorf("%s: %d, Cache-Control %q, Content-Type %q, %d bytes", c.path, code, h.Get("Cache-Control"), h.Get("Content-Type"), len(body))
		}
		if code, _, _ := get(t, base+c.path, ""); code != 401 {
			t.Errorf("%s without a token: %d, want 401", c.path, code)
		}
	}
	for _, p := range []string{"tile/0/002", "tile/0/002.p/89", "tile/entries/003.p/1", "tile/1/000", "tile/0/2", "tile/0/x000/002",
		"tile/entries/002.p/256", "tile/9/000", "tile/data/000", "tile/0/000.p/0"} {
		code, _, body := get(t, base+p, e.token)
		if code != 404 || !bytes.Contains(body, []byte(`"code"`)) {
			t.Errorf("%s: %d %s, want 404 with a structured error", p, code, body)
		}
	}
	// Every full tile is byte-identical after a restart.
	full := map[string][]byte{}
	for _, tl := range tlog.NewTiles(8, 0, 600) {
		for _, l := range []int{tl.L, -1} {
			if tl.W != 256 || l == -1 && tl.L != 0 {
				continue
			}
			tl.L = l
			p := ledger.TilePath(tl)
			_, _, full[p] = get(t, base+p, e.token)
		}
	}
	if len(full) != 4 {
		t.Fatalf("%d full tiles", len(full))
	}
	e.stop()
	e.start(true) // and now public
	base = e.srv.URL + "/api/v1/log/"
	for p, b := range full {
		code, h, got := get(t, base+p, "")
		if code != 200 || !bytes.Equal(got, b) || h.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Fatalf("%s after a restart (public): %d, %q, same bytes: %v", p, code, h.Get("Cache-Control"), bytes.Equal(got, b))
		}
	}
	if code, h, _ := get(t, base+"checkpoint", ""); code != 200 || h.Get("Cache-Control") != "public, max-age=5" {
		t.Fatalf("public checkpoint: %d %q", code, h.Get("Cache-Control"))
	}
	if code, _, body := get(t, e.srv.URL+"/api/v1/ledger/entries", ""); code != 401 {
		t.Fatalf("a public log opens only the log's routes: /ledger/entries answered %d %s", code, body)
	}
	if !strings.Contains(string(full["tile/entries/000"][2:200]), "ebios-ledger-entry") {
		t.Fatal("an entry bundle does not hold leaf data")
	}
}
