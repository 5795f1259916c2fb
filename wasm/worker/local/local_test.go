//go:build !js

package local

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// built is the Worker built once for the package's tests.
var built struct {
	once sync.Once
	dir  string
	err  error
}

// buildOnce installs the npm packages (npm ci) and builds the Worker; it
// fails the test, never skips it, when it cannot.
func buildOnce(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the Worker's tests start workerd through wrangler dev (run make worker-test)")
	}
	built.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		var log bytes.Buffer
		if built.dir, built.err = BuildTemp(ctx, &log); built.err != nil {
			built.err = fmt.Errorf("%v\n%s", built.err, log.String())
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// start migrates and starts the Worker with its state in persist.
func start(t *testing.T, persist string, s *Secrets) *Worker {
	t.Helper()
	dir := buildOnce(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Migrate(ctx, dir, persist); err != nil {
		t.Fatal(err)
	}
	w, err := Start(ctx, dir, persist, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.Stop()
		if t.Failed() {
			t.Logf("wrangler dev's output:\n%s", w.Output())
		}
	})
	return w
}

// ebiosBinary builds the ebios command, for `ebios ledger verify`.
func ebiosBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ebios")
	cmd := exec.Command("go", "build", "-o", bin, "./server/cmd/ebios")
	cmd.Dir = Root()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building ebios: %v\n%s", err, out)
	}
	return bin
}

type execResult struct {
	Entry struct {
		Index uint64 `json:"index"`
		OpID  string `json:"op_id"`
	} `json:"entry"`
}

// executeAll sends n executes at once, each with its own op id, and
// returns the indexes the log gave them by op id.
func executeAll(t *testing.T, c *Client, prefix string, n int) map[string]uint64 {
	t.Helper()
	var mu sync.Mutex
	got := map[string]uint64{}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op := fmt.Sprintf("%s-%03d", prefix, i)
			var r execResult
			err := c.JSON("POST", "/api/v1/operations/execute", map[string]any{
				"operation": "mul", "inputs": [][2]float64{{float64(i), 0.5}, {2, 0.1}}, "op_id": op}, &r)
			if err == nil && r.Entry.OpID != op {
				err = fmt.Errorf("execute %s answered the entry of %s", op, r.Entry.OpID)
			}
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			got[op] = r.Entry.Index
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return got
}

// checkpoint reads and opens the latest checkpoint with the pinned key.
func checkpoint(t *testing.T, c *Client, s *Secrets) (ledger.Checkpoint, []byte) {
	t.Helper()
	st, b, err := c.Do("GET", "/api/v1/checkpoint", nil)
	if err != nil || st != 200 {
		t.Fatalf("checkpoint: %d %s %v", st, b, err)
	}
	v, err := ledger.ParseVerifierKey(s.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := ledger.OpenCheckpoint(b, v, v.Name())
	if err != nil {
		t.Fatalf("checkpoint does not verify against the pinned key: %v", err)
	}
	return cp, b
}

// verifyExport exports the log to a file and runs `ebios ledger verify`
// on it and on a tampered copy.
func verifyExport(t *testing.T, c *Client, s *Secrets, ebios string, want int) {
	t.Helper()
	st, bundle, err := c.Do("GET", "/api/v1/ledger/export", nil)
	if err != nil || st != 200 {
		t.Fatalf("export: %d %v", st, err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "worker-export.json")
	if err := os.WriteFile(good, bundle, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ebios, "ledger", "verify", good, "--key", s.VerifierKey).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK: "+strconv.Itoa(want)+" entries") {
		t.Fatalf("ebios ledger verify of the export: %v\n%s", err, out)
	}
	// One changed output value in entry 7: the verifier must name it.
	i := bytes.Index(bundle, []byte(`{"index":7,`))
	j := bytes.Index(bundle[i:], []byte(`"output":{"n":`))
	if i < 0 || j < 0 {
		t.Fatal("entry 7's output not found in the export")
	}
	k := i + j + len(`"output":{"n":`)
	tampered := append(append(append([]byte{}, bundle[:k]...), '9'), bundle[k:]...)
	bad := filepath.Join(dir, "tampered.json")
	if err := os.WriteFile(bad, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(ebios, "ledger", "verify", bad, "--key", s.VerifierKey).CombinedOutput()
	if err == nil {
		t.Fatalf("ebios ledger verify accepted a tampered export:\n%s", out)
	}
	if !strings.Contains(string(out), "entry 7") && !strings.Contains(string(out), "index 7") {
		t.Errorf("the refusal does not name entry 7:\n%s", out)
	}
	// Another key than the log's is refused too.
	other, err := NewSecrets(strings.SplitN(s.VerifierKey, "+", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(ebios, "ledger", "verify", good, "--key", other.VerifierKey).CombinedOutput(); err == nil {
		t.Fatalf("the export verified against another key:\n%s", out)
	}
}

// TestConcurrentExecutes: 200 executes at once through the Worker's
// sequencer (the Durable Object) make one log of 200 entries with no gap
// and no duplicate: each op id got its own index, the indexes are 0…199,
// the signed checkpoint covers them, and the export verifies with
// `ebios ledger verify` against the pinned key while a tampered copy is
// refused. Then the runtime is stopped and started again on the same
// state (--persist-to): the log is the same, and appends continue after it
// (past 256 entries, so that tiles are sealed into R2 and read back).
func TestConcurrentExecutes(t *testing.T) {
	s, err := NewSecrets("worker.test.example/log")
	if err != nil {
		t.Fatal(err)
	}
	persist := t.TempDir()
	w := start(t, persist, s)
	c, err := Admin(w.URL, s)
	if err != nil {
		t.Fatal(err)
	}
	n := 200
	if v := os.Getenv("WORKER_TEST_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	t0 := time.Now()
	got := executeAll(t, c, "op", n)
	took := time.Since(t0)
	t.Logf("%d concurrent executes in %v: %.1f appends/s through the sequencer", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
	if len(got) != n {
		t.Fatalf("%d of %d executes answered", len(got), n)
	}
	idx := make([]int, 0, n)
	for _, i := range got {
		idx = append(idx, int(i))
	}
	sort.Ints(idx)
	for k, i := range idx {
		if i != k {
			t.Fatalf("indexes are not 0…%d without gaps or duplicates: position %d holds %d", n-1, k, i)
		}
	}
	cp, cpText := checkpoint(t, c, s)
	if cp.Size != int64(n) {
		t.Fatalf("checkpoint size %d, want %d", cp.Size, n)
	}
	// Every entry is where the execute said, under its op id.
	var page struct {
		Entries []ledger.Entry `json:"entries"`
	}
	if err := c.JSON("GET", "/api/v1/ledger/entries?limit=1000", nil, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != n {
		t.Fatalf("entries lists %d, want %d", len(page.Entries), n)
	}
	for _, e := range page.Entries {
		if got[e.OpID] != e.Index {
			t.Errorf("entry %d has op id %s, which execute placed at %d", e.Index, e.OpID, got[e.OpID])
		}
	}
	ebios := ebiosBinary(t)
	verifyExport(t, c, s, ebios, n)
	checkRoutes(t, c, s, n)

	// Restart on the same state.
	w.Stop()
	w2 := start(t, persist, s)
	c.URL = w2.URL
	cp2, cpText2 := checkpoint(t, c, s)
	if cp2.Size != int64(n) || !bytes.Equal(cpText, cpText2) {
		t.Fatalf("after a restart the checkpoint is\n%s\nwas\n%s", cpText2, cpText)
	}
	// 60 more: past 256 entries, so the first full tiles are sealed into R2
	// and read from there.
	const more = 60
	got2 := executeAll(t, c, "after", more)
	for op, i := range got2 {
		if int(i) < n || int(i) >= n+more {
			t.Errorf("%s got index %d after the restart, want %d…%d", op, i, n, n+more-1)
		}
	}
	if len(got2) != more {
		t.Fatalf("%d of %d executes answered after the restart", len(got2), more)
	}
	verifyExport(t, c, s, ebios, n+more)
	checkRoutes(t, c, s, n+more)
}

// checkRoutes reads the log of n entries through the other routes, in
// workerd with D1: what they answer is checked against the pinned key and
// the tree (the native tests of wasm/worker/edge check the same routes
// over SQLite).
func checkRoutes(t *testing.T, c *Client, s *Secrets, n int) {
	t.Helper()
	v, err := ledger.ParseVerifierKey(s.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := checkpoint(t, c, s)
	// The C2SP hash tiles, checked against the checkpoint's root as they
	// are read (tlog.TileHashReader).
	tiles := tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: cp.Root}, tileReader{c})
	if root, err := tlog.TreeHash(cp.Size, tiles); err != nil || root != cp.Root {
		t.Fatalf("the tiles give root %x (%v), the checkpoint %x", root, err, cp.Root)
	}
	var e ledger.Entry
	if err := c.JSON("GET", "/api/v1/ledger/entries/"+strconv.Itoa(n-1), nil, &e); err != nil || e.Verify(v.Name(), v) != nil {
		t.Fatalf("entry %d: %v %v", n-1, err, e.Verify(v.Name(), v))
	}
	var p struct {
		TreeSize   int64    `json:"tree_size"`
		Hashes     []string `json:"hashes"`
		Checkpoint string   `json:"checkpoint"`
	}
	if err := c.JSON("GET", "/api/v1/proofs/inclusion?index="+strconv.Itoa(n-1), nil, &p); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.VerifyInclusion(v, v.Name(), []byte(p.Checkpoint), &e, hashes(t, p.Hashes)); err != nil {
		t.Errorf("inclusion proof of entry %d: %v", n-1, err)
	}
	if err := c.JSON("GET", "/api/v1/proofs/consistency?old=7", nil, &p); err != nil {
		t.Fatal(err)
	}
	old, err := tlog.TreeHash(7, tiles)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(tlog.TreeProof(hashes(t, p.Hashes)), cp.Size, cp.Root, 7, old); err != nil {
		t.Errorf("consistency proof from 7: %v", err)
	}
	var verified struct {
		Verified bool `json:"verified"`
	}
	if err := c.JSON("GET", "/ledger/verify/"+e.OpID, nil, &verified); err != nil || !verified.Verified {
		t.Errorf("verify %s: %v %+v", e.OpID, err, verified)
	}
	var tr struct {
		Entry ledger.Entry `json:"entry"`
	}
	if err := c.JSON("GET", "/api/v1/ledger/trace/"+e.OpID, nil, &tr); err != nil || tr.Entry.Index != e.Index {
		t.Errorf("trace %s: %v", e.OpID, err)
	}
	bundlePath := "/api/v1/log/tile/entries/000"
	if n < 256 {
		bundlePath += ".p/" + strconv.Itoa(n)
	}
	st, b, err := c.Do("GET", bundlePath, nil)
	if err != nil || st != 200 {
		t.Fatalf("entry bundle: %d %v", st, err)
	}
	leaves, err := ledger.SplitBundle(b)
	if err != nil || len(leaves) != min(n, 256) {
		t.Fatalf("entry bundle: %d leaves, %v", len(leaves), err)
	}
	if st, b, _ := c.Do("GET", "/api/v1/ledger/verify/jobs/latest", nil); st != 404 || !strings.Contains(string(b), "API_007") {
		t.Errorf("a route the Worker lacks: %d %s", st, b)
	}
	// Sessions: refresh rotates, logout revokes.
	var me struct {
		User struct {
			Name string `json:"name"`
		} `json:"user"`
	}
	if err := c.JSON("GET", "/auth/me", nil, &me); err != nil || me.User.Name != "admin" {
		t.Errorf("me: %v %+v", err, me)
	}
	var login struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := c.JSON("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "a worker test passphrase"}, &login); err != nil {
		t.Fatal(err)
	}
	if err := c.JSON("POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": login.RefreshToken}, nil); err != nil {
		t.Errorf("refresh: %v", err)
	}
	if st, b, _ := c.Do("POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": login.RefreshToken}); st != 401 || !strings.Contains(string(b), "AUTH_010") {
		t.Errorf("a refresh token used twice: %d %s", st, b)
	}
	// The reuse revoked that session; a new one is ended by logout.
	if st, _, _ := (&Client{URL: c.URL, Token: login.AccessToken}).Do("GET", "/auth/me", nil); st != 401 {
		t.Errorf("an access token of a session whose refresh token was reused: %d", st)
	}
	if err := c.JSON("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "a worker test passphrase"}, &login); err != nil {
		t.Fatal(err)
	}
	other := &Client{URL: c.URL, Token: login.AccessToken}
	if err := other.JSON("POST", "/auth/logout", nil, nil); err != nil {
		t.Errorf("logout: %v", err)
	}
	if st, b, _ := other.Do("GET", "/api/v1/auth/me", nil); st != 401 {
		t.Errorf("a token after logout: %d %s", st, b)
	}
}

// hashes decodes base64 hashes.
func hashes(t *testing.T, bs []string) []tlog.Hash {
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

// tileReader reads the Worker's C2SP hash tiles (tlog.TileReader).
type tileReader struct{ c *Client }

func (r tileReader) Height() int { return ledger.TileHeight }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tl := range tiles {
		st, b, err := r.c.Do("GET", "/api/v1/log/"+ledger.TilePath(tl), nil)
		if err != nil || st != 200 {
			return nil, fmt.Errorf("%s: %d %v", ledger.TilePath(tl), st, err)
		}
		out[i] = b
	}
	return out, nil
}

func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}
