//go:build !js

package edge

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/wasm/worker/d1log"
	"github.com/ebios/ebios/wasm/worker/d1log/sqlitedb"
	"golang.org/x/mod/sumdb/tlog"
)

const setupToken = "a-setup-token-for-tests"

type testEnv struct {
	srv    *Server
	signer *ledger.Signer
}

// newTestServer returns the Worker's API over D1 (SQLite here) as one
// instance serving every request.
func newTestServer(t *testing.T) *Server { return newTestEnv(t).srv }

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "d1.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	skey, _, err := ledger.GenerateKey(rand.Reader, "edge.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ledger.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := EmptyCheckpoint(signer)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(setupToken))
	svc, err := auth.New(&d1log.Users{DB: db, SetupHash: h[:]}, auth.Options{Secret: bytes.Repeat([]byte("k"), 32),
		Hasher: auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 1)})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Config{Signer: signer, Auth: svc,
		Open: func(ctx context.Context) (Store, error) { return d1log.Open(ctx, db, signer.Verifier(), empty) }})
	return &testEnv{srv: srv, signer: signer}
}

// call serves one request and returns status and body.
func call(t *testing.T, h http.Handler, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	r := httptest.NewRequest(method, path, rd)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

func login(t *testing.T, h http.Handler) string {
	t.Helper()
	if st, b := call(t, h, "POST", "/api/v1/auth/setup", "", map[string]string{"token": setupToken, "username": "admin", "password": "an edge test passphrase"}); st != 201 {
		t.Fatalf("setup: %d %s", st, b)
	}
	st, b := call(t, h, "POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "an edge test passphrase"})
	if st != 200 {
		t.Fatalf("login: %d %s", st, b)
	}
	var r struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(b, &r)
	return r.AccessToken
}

// decodeHashes decodes a proof's base64 hashes.
func decodeHashes(t *testing.T, bs []string) []tlog.Hash {
	t.Helper()
	out := make([]tlog.Hash, len(bs))
	for i, b := range bs {
		x, err := base64.StdEncoding.DecodeString(b)
		if err != nil || len(x) != tlog.HashSize {
			t.Fatalf("hash %q: %v", b, err)
		}
		copy(out[i][:], x)
	}
	return out
}

func errCode(b []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal(b, &e)
	return e.Error.Code
}

// TestRoutes drives every route the Worker serves, natively, over D1's
// SQL (SQLite): answers are checked against the log itself (proofs
// verify against the signed checkpoint, tiles against the tree).
func TestRoutes(t *testing.T) {
	env := newTestEnv(t)
	h := env.srv.Handler()
	tok := login(t, h)
	v := env.signer.Verifier()

	// Bad input is refused with the API's codes and writes nothing.
	for _, c := range []struct {
		body any
		code string
	}{
		{map[string]any{"operation": "nope", "inputs": [][2]float64{{1, 0}}}, "API_001"},
		{map[string]any{"operation": "add", "inputs": [][2]float64{{1, 0}}}, "API_002"},
		{map[string]any{"operation": "add", "inputs": []any{[]any{1, -1}, []any{1, 0}}}, "NUCORE_001"},
		{map[string]any{"operation": "add", "inputs": [][2]float64{{1, 0}, {1, 0}}, "extra": 1}, "API_005"},
	} {
		st, b := call(t, h, "POST", "/api/v1/operations/execute", tok, c.body)
		if st/100 != 4 || errCode(b) != c.code {
			t.Errorf("%v: %d %s, want %s", c.body, st, b, c.code)
		}
	}
	if st, b := call(t, h, "POST", "/operations/execute", "", map[string]any{"operation": "add", "inputs": [][2]float64{{1, 0}, {1, 0}}}); st != 401 {
		t.Errorf("execute without a token: %d %s", st, b)
	}

	// Appends: single, batch, with parent and proof.
	st, b := call(t, h, "POST", "/api/v1/operations/execute?proof=1", tok, map[string]any{"operation": "add", "inputs": [][2]float64{{1, 0.1}, {2, 0.2}}, "op_id": "first"})
	if st != 200 {
		t.Fatalf("execute: %d %s", st, b)
	}
	var ex struct {
		Entry struct{ Index uint64 } `json:"entry"`
		Proof *proofJSON             `json:"inclusion_proof"`
	}
	json.Unmarshal(b, &ex)
	if ex.Entry.Index != 0 || ex.Proof == nil || ex.Proof.TreeSize != 1 {
		t.Fatalf("execute answered %s", b)
	}
	ops := []map[string]any{}
	for i := range 300 {
		ops = append(ops, map[string]any{"operation": "expr", "expression": "(10 ± 0.5) * 2", "parent_op_id": "first", "op_id": "child-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)})
	}
	if st, b := call(t, h, "POST", "/operations/batch", tok, map[string]any{"operations": ops}); st != 200 {
		t.Fatalf("batch: %d %s", st, b)
	}
	if st, b := call(t, h, "POST", "/api/v1/operations/execute", tok, map[string]any{"operation": "flip", "inputs": [][2]float64{{1, 0}}, "op_id": "first"}); st != 409 || errCode(b) != ledger.CodeOpID {
		t.Errorf("duplicate op id: %d %s", st, b)
	}
	const size = 301

	// The checkpoint, pinned.
	st, cpText := call(t, h, "GET", "/api/v1/checkpoint", tok, nil)
	cp, err := ledger.OpenCheckpoint(cpText, v, v.Name())
	if st != 200 || err != nil || cp.Size != size {
		t.Fatalf("checkpoint: %d %s %v", st, cpText, err)
	}
	// Entries, one by index, by op id (verify), trace.
	var page struct {
		Entries  []ledger.Entry `json:"entries"`
		Next     string         `json:"next"`
		TreeSize uint64         `json:"tree_size"`
	}
	st, b = call(t, h, "GET", "/api/v1/ledger/entries?limit=10&from=5", tok, nil)
	if json.Unmarshal(b, &page); st != 200 || len(page.Entries) != 10 || page.Entries[0].Index != 5 || page.TreeSize != size || page.Next == "" {
		t.Fatalf("entries: %d %s", st, b)
	}
	st, b = call(t, h, "GET", "/ledger/query?operation=add", tok, nil)
	if json.Unmarshal(b, &page); st != 200 || len(page.Entries) != 1 || page.Entries[0].OpID != "first" {
		t.Fatalf("query: %d %s", st, b)
	}
	var e ledger.Entry
	st, b = call(t, h, "GET", "/api/v1/ledger/entries/300", tok, nil)
	if json.Unmarshal(b, &e); st != 200 || e.Index != 300 || e.Verify(v.Name(), v) != nil {
		t.Fatalf("entry 300: %d %s", st, b)
	}
	if st, b := call(t, h, "GET", "/api/v1/ledger/entries/301", tok, nil); st != 404 || errCode(b) != ledger.CodeNotFound {
		t.Errorf("entry beyond the log: %d %s", st, b)
	}
	st, b = call(t, h, "GET", "/ledger/verify/first", tok, nil)
	if st != 200 || !bytes.Contains(b, []byte(`"verified":true`)) {
		t.Errorf("verify first: %d %s", st, b)
	}
	if st, b := call(t, h, "GET", "/api/v1/ledger/verify/nope", tok, nil); st != 404 {
		t.Errorf("verify of an unknown op id: %d %s", st, b)
	}
	var tr struct {
		Entry    ledger.Entry   `json:"entry"`
		Children []ledger.Entry `json:"children"`
	}
	st, b = call(t, h, "GET", "/api/v1/ledger/trace/first", tok, nil)
	if json.Unmarshal(b, &tr); st != 200 || tr.Entry.OpID != "first" || len(tr.Children) != 300 {
		t.Errorf("trace: %d, %d children", st, len(tr.Children))
	}
	// Proofs verify against the pinned checkpoint.
	var pj proofJSON
	st, b = call(t, h, "GET", "/api/v1/proofs/inclusion?index=300", tok, nil)
	json.Unmarshal(b, &pj)
	if _, err := ledger.VerifyInclusion(v, v.Name(), []byte(pj.Checkpoint), &e, decodeHashes(t, pj.Hashes)); st != 200 || err != nil {
		t.Errorf("inclusion proof: %d %v", st, err)
	}
	var cj struct {
		Hashes     []string `json:"hashes"`
		Checkpoint string   `json:"checkpoint"`
	}
	st, b = call(t, h, "GET", "/api/v1/proofs/consistency?old=1", tok, nil)
	json.Unmarshal(b, &cj)
	if _, err := ledger.VerifyConsistency(v, v.Name(), []byte(ex.Proof.Checkpoint), []byte(cj.Checkpoint), decodeHashes(t, cj.Hashes)); st != 200 || err != nil {
		t.Errorf("consistency proof from size 1: %d %v %s", st, err, b)
	}
	if st, b := call(t, h, "GET", "/api/v1/proofs/consistency?old=302", tok, nil); st != 400 {
		t.Errorf("consistency beyond the log: %d %s", st, b)
	}
	// Tiles: the full level-0 tile hashes to the tree's hashes.
	st, tile := call(t, h, "GET", "/api/v1/log/tile/0/000", tok, nil)
	if st != 200 || len(tile) != 256*32 {
		t.Fatalf("tile 0/000: %d, %d bytes", st, len(tile))
	}
	st, bundle := call(t, h, "GET", "/api/v1/log/tile/entries/001.p/45", tok, nil)
	if hs, err := ledger.BundleHashes(bundle); st != 200 || err != nil || len(hs) != 45*32 {
		t.Fatalf("entry bundle 001.p/45: %d %v", st, err)
	}
	if st, _ := call(t, h, "GET", "/api/v1/log/tile/0/002", tok, nil); st != 404 {
		t.Errorf("a tile beyond the log: %d", st)
	}
	if st, _ := call(t, h, "GET", "/api/v1/log/checkpoint", "", nil); st != 401 {
		t.Errorf("log checkpoint without a token (log_public false): %d", st)
	}
	// Export verifies against the pinned key.
	st, b = call(t, h, "GET", "/api/v1/ledger/export", tok, nil)
	if rep, err := ledger.VerifyBundle(bytes.NewReader(b), v, nil); st != 200 || err != nil || !rep.OK {
		t.Fatalf("export: %d %v", st, err)
	}
	// Auth: me, refresh rotation and reuse, logout.
	if st, b := call(t, h, "GET", "/auth/me", tok, nil); st != 200 || !bytes.Contains(b, []byte(`"operations:execute"`)) {
		t.Errorf("me: %d %s", st, b)
	}
	st, b = call(t, h, "POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "an edge test passphrase"})
	if st != 200 {
		t.Fatalf("login: %d %s", st, b)
	}
	var pair struct {
		RefreshToken string `json:"refresh_token"`
		AccessToken  string `json:"access_token"`
	}
	json.Unmarshal(b, &pair)
	if st, b := call(t, h, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": pair.RefreshToken}); st != 200 {
		t.Fatalf("refresh: %d %s", st, b)
	}
	if st, b := call(t, h, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": pair.RefreshToken}); st != 401 || errCode(b) != auth.CodeRefreshReuse {
		t.Errorf("refresh token reused: %d %s", st, b)
	}
	if st, b := call(t, h, "POST", "/auth/logout", tok, nil); st != 200 {
		t.Errorf("logout: %d %s", st, b)
	}
	if st, b := call(t, h, "GET", "/api/v1/auth/me", tok, nil); st != 401 || errCode(b) != auth.CodeRevokedToken {
		t.Errorf("token after logout: %d %s", st, b)
	}
	if st, b := call(t, h, "GET", "/api/v1/ledger/verify/jobs/latest", tok, nil); st != 404 || errCode(b) != codeNotFound {
		t.Errorf("a route the Worker lacks: %d %s", st, b)
	}
}

// TestGroupCommit: concurrent appends to one instance are committed in
// groups; a group member that is refused (a duplicate op id) is refused
// alone, and the log has every other append once, without gaps.
func TestGroupCommit(t *testing.T) {
	env := newTestEnv(t)
	h := env.srv.Handler()
	tok := login(t, h)
	const n = 100
	var wg sync.WaitGroup
	codes := make([]int, n+1)
	for i := range n + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op := "op-" + strconv.Itoa(i%n) // op-0 twice: one is refused
			codes[i], _ = call(t, h, "POST", "/api/v1/operations/execute", tok, map[string]any{"operation": "add", "inputs": [][2]float64{{float64(i), 1}, {1, 1}}, "op_id": op})
		}()
	}
	wg.Wait()
	ok, dup := 0, 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
			dup++
		}
	}
	if ok != n || dup != 1 {
		t.Fatalf("%d appended, %d refused as duplicates; want %d and 1", ok, dup, n)
	}
	st, err := env.srv.cfg.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, size := st.Head(); size != n {
		t.Fatalf("log size %d, want %d", size, n)
	}
	seen := map[string]bool{}
	err = st.ReadLeaves(0, n, func(i uint64, leaf []byte) error {
		e, err := ledger.ParseLeaf(st.Origin(), leaf)
		if err != nil || e.Index != i || seen[e.OpID] {
			t.Errorf("entry %d: %v (op id %s twice: %v)", i, err, e.OpID, seen[e.OpID])
		}
		seen[e.OpID] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCORS: a listed origin gets its preflight answered (before
// authentication) and CORS headers on answers, never credentials; another
// origin gets no CORS header; with no origins the handler is unchanged.
func TestCORS(t *testing.T) {
	h := WithCORS([]string{"https://app.example.org"}, newTestServer(t).Handler())
	pre := func(origin string) http.Header {
		r := httptest.NewRequest("OPTIONS", "/api/v1/operations/execute", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result().Header
	}
	if got := pre("https://app.example.org"); got.Get("Access-Control-Allow-Origin") != "https://app.example.org" ||
		!strings.Contains(strings.ToLower(got.Get("Access-Control-Allow-Headers")), "authorization") || got.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight of a listed origin: %v", got)
	}
	if got := pre("https://evil.example"); got.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of another origin: %v", got)
	}
	r := httptest.NewRequest("GET", "/healthz", nil)
	r.Header.Set("Origin", "https://app.example.org")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.org" {
		t.Errorf("GET from a listed origin: %d %v", w.Code, w.Header())
	}
	plain := newTestServer(t).Handler()
	if WithCORS(nil, plain) != plain {
		t.Error("with no origins the handler was wrapped")
	}
}
