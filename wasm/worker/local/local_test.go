//go:build !js

package local

import (
	"bytes"
	"context"
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
		if built.err = NpmCI(ctx, &log); built.err != nil {
			return
		}
		built.dir, built.err = os.MkdirTemp("", "ebios-worker-")
		if built.err == nil {
			built.err = Build(ctx, built.dir, &log)
		}
		if built.err != nil {
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
// state (--persist-to): the log is the same, and appends continue after it.
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

	// Restart on the same state.
	w.Stop()
	w2 := start(t, persist, s)
	c.URL = w2.URL
	cp2, cpText2 := checkpoint(t, c, s)
	if cp2.Size != int64(n) || !bytes.Equal(cpText, cpText2) {
		t.Fatalf("after a restart the checkpoint is\n%s\nwas\n%s", cpText2, cpText)
	}
	more := executeAll(t, c, "after", 3)
	for op, i := range more {
		if int(i) < n || int(i) >= n+3 {
			t.Errorf("%s got index %d after the restart, want %d…%d", op, i, n, n+2)
		}
	}
	verifyExport(t, c, s, ebios, n+3)
}
