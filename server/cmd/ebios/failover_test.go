package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ebios/ebios/internal/pgtest"
	"github.com/ebios/ebios/server/pgstore"
)

// TestPostgresFailover is the failover drill of the PostgreSQL store, with
// the real binary: three `ebios serve --store` on one database, 64 writers
// sending appends round-robin over them (the servers send them on to the
// holder of the sequencer lease), and the current sequencer (the lease
// holder, named in ebios_sequencer) killed with SIGKILL ten times during
// the load, then started again. Afterwards every
// acknowledged op id is in the log exactly once at its acknowledged
// index, `ebios ledger verify --store` passes, the checkpoints the
// instances served never differ for one size, and the takeover time (from
// the SIGKILL to the next commit by another instance) is measured.
func TestPostgresFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ebios binary and runs PostgreSQL and three servers; runs in make unit")
	}
	f := newPGFleet(t, "failover.example/log")
	bin, pg := f.bin, f.pg
	args := func(i int) []string { return f.serveArgs(i, "--rate-limit=false") }
	type instance struct {
		cmd *exec.Cmd
		url string
	}
	var mu sync.Mutex
	insts := make([]instance, 3)
	for i := range insts {
		cmd, url := startServer(t, bin, args(i))
		insts[i] = instance{cmd, url}
	}
	urlOf := func(i int) string {
		mu.Lock()
		defer mu.Unlock()
		return insts[i].url
	}
	token := login(t, insts[0].url)

	// The load: 64 writers, each sending its appends to the instances in
	// turn; an append is acknowledged when it answers 200 with its entry.
	var (
		acksMu  sync.Mutex
		acks    []ack
		refused atomic.Int64 // appends not acknowledged (the instance died, or answered 503)
	)
	client := &http.Client{Timeout: 20 * time.Second}
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				var r struct {
					Entry struct {
						Index uint64 `json:"index"`
						OpID  string `json:"op_id"`
					} `json:"entry"`
				}
				body := fmt.Sprintf(`{"operation":"add","inputs":[[%d,0.5],[%d.25,0.125]]}`, w, i)
				if status := callWith(ctx, client, "POST", urlOf((w+i)%3)+"/api/v1/operations/execute", token, body, &r); status != http.StatusOK {
					refused.Add(1)
					time.Sleep(20 * time.Millisecond)
					continue
				}
				acksMu.Lock()
				acks = append(acks, ack{r.Entry.OpID, r.Entry.Index})
				acksMu.Unlock()
			}
		}()
	}
	// Readers: the checkpoint every instance serves, recorded by size.
	seen := map[int64]string{}
	var seenMu sync.Mutex
	var forks []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			req, _ := http.NewRequestWithContext(ctx, "GET", urlOf(i%3)+"/api/v1/checkpoint", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			lines := strings.SplitN(string(b), "\n", 3)
			if resp.StatusCode != http.StatusOK || len(lines) < 3 {
				continue
			}
			size, _ := strconv.ParseInt(lines[1], 10, 64)
			seenMu.Lock()
			if old, ok := seen[size]; ok && old != string(b) {
				forks = append(forks, fmt.Sprintf("size %d:\n%s\n%s", size, old, b))
			}
			seen[size] = string(b)
			seenMu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}()

	pool, err := pgstore.Connect(context.Background(), pg.URL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	head := func() (writer string, size int64) {
		if err := pool.QueryRow(context.Background(), "SELECT writer, size FROM ebios_log").Scan(&writer, &size); err != nil {
			t.Fatal(err)
		}
		return writer, size
	}
	// The sequencer: the server holding the lease, which the others send
	// their appends to.
	sequencer := func() string {
		var inst string
		for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
			err := pool.QueryRow(context.Background(), "SELECT instance FROM ebios_sequencer").Scan(&inst)
			if err == nil {
				return inst
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("no server holds the sequencer lease: %v", err)
			}
		}
	}
	var takeovers []time.Duration
	for kill := range 10 {
		time.Sleep(1500 * time.Millisecond)
		writer := sequencer()
		_, pidText, _ := strings.Cut(writer, ":")
		pid, _ := strconv.Atoi(pidText)
		victim := -1
		mu.Lock()
		for i, in := range insts {
			if in.cmd.Process.Pid == pid {
				victim = i
			}
		}
		mu.Unlock()
		if victim < 0 {
			t.Fatalf("the sequencer lease is held by %q, none of the instances", writer)
		}
		_, sizeAtKill := head()
		killed := time.Now()
		if err := insts[victim].cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		insts[victim].cmd.Wait() // #nosec G104 -- killed: its exit status is the signal
		// Takeover: the next commit, by another instance.
		for {
			w, size := head()
			if w != writer && size > sizeAtKill {
				takeovers = append(takeovers, time.Since(killed))
				break
			}
			if time.Since(killed) > 30*time.Second {
				t.Fatalf("kill %d: no other instance committed within 30 s of the SIGKILL", kill+1)
			}
			time.Sleep(2 * time.Millisecond)
		}
		cmd, url := startServer(t, bin, args(victim))
		mu.Lock()
		insts[victim] = instance{cmd, url}
		mu.Unlock()
	}
	time.Sleep(500 * time.Millisecond)
	stopLoad()
	wg.Wait()

	// Every acknowledged op id is in the log once, at its index. (Appends
	// already queued when the load stopped may still commit: the log is
	// read up to the size of its head now.)
	_, size := head()
	rows, err := pool.Query(context.Background(), "SELECT op_id, idx FROM ebios_entries WHERE idx < $1", size)
	if err != nil {
		t.Fatal(err)
	}
	inLog := map[string]uint64{}
	for rows.Next() {
		var op string
		var idx int64
		if err := rows.Scan(&op, &idx); err != nil {
			t.Fatal(err)
		}
		if _, dup := inLog[op]; dup {
			t.Errorf("op id %s is in the log twice", op)
		}
		inLog[op] = uint64(idx)
	}
	rows.Close()
	if int64(len(inLog)) != size {
		t.Errorf("%d rows for a log of %d entries", len(inLog), size)
	}
	lost := 0
	for _, a := range acks {
		if i, ok := inLog[a.op]; !ok || i != a.index {
			lost++
			if lost < 5 {
				t.Errorf("acknowledged op %s (index %d) is not in the log at that index", a.op, a.index)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged appends lost", lost, len(acks))
	}
	if len(forks) > 0 {
		t.Errorf("%d forks: two checkpoints of one size differ:\n%s", len(forks), forks[0])
	}
	// The log verifies: rows, tree hashes, every recorded checkpoint, and
	// the entries against the latest checkpoint.
	out := runBin(t, bin, "ledger", "verify", "--store", pg.URL, "--json")
	var rep struct {
		OK       bool  `json:"ok"`
		TreeSize int64 `json:"tree_size"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || !rep.OK || rep.TreeSize < size {
		t.Errorf("ledger verify --store: %s", out)
	}
	// The checkpoints served are the ones recorded for their sizes.
	for n, cp := range seen {
		var rec []byte
		if err := pool.QueryRow(context.Background(), "SELECT checkpoint FROM ebios_checkpoints WHERE size = $1", n).Scan(&rec); err != nil || string(rec) != cp {
			t.Errorf("the checkpoint served for size %d is not the one recorded (%v)", n, err)
		}
	}
	checkReadsAndVerify(t, bin, pg.URL, token, []string{insts[0].url, insts[1].url, insts[2].url}, size, acks[len(acks)-20:])

	slices.Sort(takeovers)
	t.Logf("%d appends acknowledged, %d not (sent to a dead instance), log of %d entries, %d checkpoints observed; takeover after SIGKILL: min %v, median %v, max %v",
		len(acks), refused.Load(), size, len(seen), takeovers[0], takeovers[len(takeovers)/2], takeovers[len(takeovers)-1])
	if takeovers[len(takeovers)-1] > 5*time.Second {
		t.Errorf("a takeover took %v, more than 5 s", takeovers[len(takeovers)-1])
	}
}

// checkReadsAndVerify checks, after the failover drill, that every
// instance serves the whole log (query, per-entry verify, a whole-log
// verify job) and that ledger export, verify of the bundle and fsck work
// on the PostgreSQL store.
func checkReadsAndVerify(t *testing.T, bin, store, token string, urls []string, size int64, acks []ack) {
	t.Helper()
	ctx := context.Background()
	for i, url := range urls {
		var q struct {
			TreeSize int64 `json:"tree_size"`
		}
		if s := call(ctx, "GET", url+"/api/v1/ledger/query?limit=5", token, "", &q); s != http.StatusOK || q.TreeSize < size {
			t.Errorf("instance %d: /ledger/query answered %d, tree size %d, want at least %d", i, s, q.TreeSize, size)
		}
	}
	for k, a := range acks {
		var v struct {
			Verified bool   `json:"verified"`
			Index    uint64 `json:"index"`
		}
		if s := call(ctx, "GET", urls[k%3]+"/api/v1/ledger/verify/"+a.op, token, "", &v); s != http.StatusOK || !v.Verified || v.Index != a.index {
			t.Errorf("GET /ledger/verify/%s on instance %d: %d %+v", a.op, k%3, s, v)
		}
	}
	var job struct {
		ID    string `json:"id"`
		State string `json:"state"`
		OK    *bool  `json:"ok"`
	}
	if s := call(ctx, "POST", urls[1]+"/api/v1/ledger/verify/jobs", token, "", nil); s != http.StatusAccepted {
		t.Fatalf("starting a verify job: %d", s)
	}
	for start := time.Now(); job.OK == nil; time.Sleep(100 * time.Millisecond) {
		if call(ctx, "GET", urls[1]+"/api/v1/ledger/verify/jobs/latest", token, "", &job); time.Since(start) > time.Minute {
			t.Fatalf("the verify job did not finish within a minute: %+v", job)
		}
	}
	if !*job.OK {
		t.Errorf("the whole-log verify job failed: %+v", job)
	}
	dir := t.TempDir()
	bundle, vkey := filepath.Join(dir, "log.bundle"), filepath.Join(dir, "log.vkey")
	os.WriteFile(vkey, get(t, urls[2]+"/api/v1/ledger/key", token), 0o600)
	runBin(t, bin, "ledger", "export", "--store", store, "--out", bundle)
	runBin(t, bin, "ledger", "verify", bundle, "--key", vkey)
	runBin(t, bin, "ledger", "fsck", "--store", store)
	var st struct {
		Schema int    `json:"schema"`
		Size   int64  `json:"size"`
		Origin string `json:"origin"`
	}
	if out := runBin(t, bin, "db", "status", "--store", store, "--json"); json.Unmarshal(out, &st) != nil || st.Size < size || st.Origin != "failover.example/log" {
		t.Errorf("ebios db status: %s", out)
	}
}

// ack is an acknowledged append: its op id and index.
type ack struct {
	op    string
	index uint64
}

// callWith is call with a client of its own.
func callWith(ctx context.Context, c *http.Client, method, url, token, body string, out any) int {
	req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && out != nil {
		if json.NewDecoder(resp.Body).Decode(out) != nil {
			return -1
		}
	}
	return resp.StatusCode
}

// pgFleet is what the servers of a fleet on one PostgreSQL database share:
// the binary, the database (migrated, with the admin of login), the
// ledger key and the token secret, which every server is given (tokens
// must pass on all of them).
type pgFleet struct {
	bin, dir, key, secret string
	pg                    *pgtest.Postgres
}

// newPGFleet builds the binary and starts and prepares the database, for
// a log called origin.
func newPGFleet(t *testing.T, origin string) *pgFleet {
	t.Helper()
	f := &pgFleet{pg: pgtest.Start(t), dir: t.TempDir()}
	f.bin = filepath.Join(f.dir, "ebios")
	if out, err := exec.Command("go", "build", "-o", f.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	common, pw := filepath.Join(f.dir, "common"), filepath.Join(f.dir, "pw")
	f.key, f.secret = filepath.Join(common, "ledger.key"), filepath.Join(common, "jwt.secret")
	os.MkdirAll(common, 0o700)
	os.WriteFile(pw, []byte("correct horse battery staple drill\n"), 0o600)
	runBin(t, f.bin, "key", "generate", "--out", f.key, "--name", origin)
	runBin(t, f.bin, "db", "migrate", "--store", f.pg.URL)
	runBin(t, f.bin, "user", "add", "--store", f.pg.URL, "--data-dir", common, "--role", "admin", "--password-file", pw, "admin")
	return f
}

// serveArgs are the arguments of server i of the fleet, then extra.
func (f *pgFleet) serveArgs(i int, extra ...string) []string {
	return append([]string{"serve", "--store", f.pg.URL, "--data-dir", filepath.Join(f.dir, fmt.Sprint("data", i)), "--ledger-key", f.key,
		"--auth-secret-file", f.secret, "--listen", "127.0.0.1:0", "--backup-interval", "0"}, extra...)
}
