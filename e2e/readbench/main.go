// Command readbench measures reads on a large log (make readbench).
//
//	readbench gen -n 1000000 -data DIR    # DIR/ledger.db and DIR/ledger.key
//	readbench gen -n N -data DIR -store postgres://...  # the log in PostgreSQL
//	readbench run -url URL -token T -n N  # p50/p99 of trace, guard events, query
//
// gen writes a real store through ledgerstore.AppendBatch (batches of 4096,
// signed and fsynced as the server would): N entries with deterministic op
// ids (OpID(i)), about 30 % with a parent (a recent entry, or one of a few
// "hub" entries that collect many children), about 5 % with guard events
// (rules r0..r9, every level) and timestamps 10 ms apart with ±2 s of jitter
// (timestamps are informational and not monotonic).
//
// run sends a few hundred requests of each kind, one at a time, and prints
// their latency percentiles; with -verify it then starts a whole-log
// verify job, and while it runs, measures the same reads again and prints the
// job's progress as it goes.
package main

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/keyfile"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/pgstore"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "readbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: readbench gen -n N -data DIR | readbench run -url URL -token TOKEN -n N [-verify]")
	os.Exit(2)
}

// OpID is the op id of entry i of a generated log.
func OpID(i int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "readbench %d", i))
	return hex.EncodeToString(h[:16])
}

// Shape of the generated log.
const (
	hubs      = 16     // entries 0..15 are hubs
	hubEvery  = 50     // every 50th entry is a child of a hub
	t0        = 1.8e18 // Unix ns (2027-01-15)
	step      = 10e6   // 10 ms between entries
	jitter    = 2e9    // ± 2 s
	guardRate = 20     // 1 in 20 entries has guard events
)

// Level of guard rule k of entry i, and the rules.
var levels = []ledger.Level{ledger.LevelInfo, ledger.LevelWarning, ledger.LevelError, ledger.LevelCritical}

func draftOf(i int, rng *rand.Rand) ledger.Draft {
	v := nu.MustNew(float64(i%1000)+0.5, 0.1)
	ops := []string{"add", "mul", "sub", "compose", "expr"}
	d := ledger.Draft{OpID: OpID(i), Operation: ops[i%len(ops)], Mode: ledger.ModeNU, Inputs: []nu.Value{v, v}, Output: &v,
		Coverage: nu.Float(v.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true},
		Timestamp: int64(t0 + float64(i)*step + (rng.Float64()*2-1)*jitter)}
	if d.Operation == "expr" {
		d.Expression = "1.5 ± 0.1 + 1.5 ± 0.1"
	}
	switch {
	case i >= hubs && i%hubEvery == 0:
		d.ParentOpID = OpID(i / hubEvery % hubs)
	case i > 10 && rng.IntN(10) < 3:
		d.ParentOpID = OpID(i - 1 - rng.IntN(min(i, 1000)))
	}
	if rng.IntN(guardRate) == 0 {
		for k := range 1 + rng.IntN(2) {
			d.Guard = append(d.Guard, ledger.GuardEvent{Rule: fmt.Sprintf("r%d", rng.IntN(10)), Level: levels[rng.IntN(4)],
				Message: "coverage above threshold", Value: nu.Float(0.2 + float64(k)), Threshold: 0.1})
		}
	}
	return d
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	n := fs.Int("n", 1000000, "entries")
	dir := fs.String("data", "", "data directory (created)")
	store := fs.String("store", "", "write the log into this PostgreSQL database (postgres://...) instead of DIR/ledger.db; the key stays in DIR")
	fs.Parse(args) // #nosec G104 -- ExitOnError: Parse exits on a bad flag instead of returning
	if *dir == "" {
		return errors.New("-data is required")
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	keyPath := filepath.Join(*dir, "ledger.key")
	if _, err := os.Stat(keyPath); err != nil {
		if _, err := keyfile.Generate(crand.Reader, keyPath, "readbench.example/log", false); err != nil {
			return err
		}
	}
	sg, err := keyfile.LoadSigner(keyPath)
	if err != nil {
		return err
	}
	var st interface {
		AppendBatch(context.Context, []ledger.Draft) ([]*ledger.Entry, error)
		Len() uint64
		Close() error
	}
	if *store != "" {
		st, err = pgstore.Open(context.Background(), *store, sg, nil)
	} else {
		st, err = ledgerstore.Open(filepath.Join(*dir, "ledger.db"), sg, nil)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	rng := rand.New(rand.NewPCG(1, 2)) // #nosec G404 -- reproducible benchmark data, not secrets
	const batch = 4096
	ds := make([]ledger.Draft, 0, batch)
	have := int(st.Len()) // #nosec G115 -- a benchmark log of at most -n entries
	for i := have; i < *n; {
		ds = ds[:0]
		for ; i < *n && len(ds) < batch; i++ {
			ds = append(ds, draftOf(i, rng))
		}
		if _, err := st.AppendBatch(context.Background(), ds); err != nil {
			return err
		}
		if i%(64*batch) < batch {
			fmt.Fprintf(os.Stderr, "gen: %d entries, %.0f/s\n", i, float64(i)/time.Since(start).Seconds())
		}
	}
	fmt.Printf("gen: %d entries in %s\n", st.Len(), time.Since(start).Round(time.Millisecond))
	return st.Close()
}

type client struct {
	url, token string
	hc         *http.Client
}

func (c *client) do(method, path string) (int, []byte, time.Duration, error) {
	req, err := http.NewRequest(method, c.url+path, nil)
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	t := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close() // #nosec G104 -- a body read to its end; the read's error is returned
	return resp.StatusCode, body, time.Since(t), err
}

type stats struct {
	name string
	ds   []time.Duration
	errs int
	rows int
}

func (s *stats) pct(p float64) time.Duration {
	if len(s.ds) == 0 {
		return 0
	}
	d := slices.Clone(s.ds)
	slices.Sort(d)
	return d[min(len(d)-1, int(p*float64(len(d))))]
}

func (s *stats) String() string {
	return fmt.Sprintf("%-44s n=%4d  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  rows/req %5.1f  errors %d", s.name, len(s.ds),
		ms(s.pct(0.50)), ms(s.pct(0.99)), ms(s.pct(1)), float64(s.rows)/float64(max(1, len(s.ds))), s.errs)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// kind is one kind of read: a name and how to make its i-th path.
type kind struct {
	name string
	path func(i int) string
	rows string // member of the answer to count
}

func kinds(n int, rng *rand.Rand) []kind {
	mid := time.Unix(0, int64(t0+float64(n/2)*step)).UTC()
	return []kind{
		{"trace (random entry)", func(int) string { return "/api/v1/ledger/trace/" + OpID(rng.IntN(n)) }, "children"},
		{"trace (hub, " + fmt.Sprint(n/hubEvery/hubs) + " children; 1000 listed)", func(int) string { return "/api/v1/ledger/trace/" + OpID(rng.IntN(hubs)) }, "children"},
		{"guard events limit=100", func(int) string { return "/api/v1/guard/events?limit=100" }, "events"},
		{"guard events limit=100 from a random cursor", func(int) string { return fmt.Sprintf("/api/v1/guard/events?limit=100&cursor=%d", rng.IntN(n)) }, "events"},
		{"guard events level=critical rule=r3", func(int) string { return "/api/v1/guard/events?limit=100&level=critical&rule=r3" }, "events"},
		{"guard events level=error since=mid-log", func(int) string {
			return "/api/v1/guard/events?limit=100&level=error&since=" + mid.Format(time.RFC3339)
		}, "events"},
		{"query limit=100 from a random index", func(int) string { return fmt.Sprintf("/api/v1/ledger/query?limit=100&from=%d", rng.IntN(n)) }, "entries"},
		{"query parent_op_id=hub (100 x limit budget)", func(int) string {
			return "/api/v1/ledger/query?limit=100&parent_op_id=" + OpID(rng.IntN(hubs))
		}, "entries"},
		{"query since/until 1 min mid-log, from=mid-3000", func(int) string {
			return fmt.Sprintf("/api/v1/ledger/query?limit=100&from=%d&since=%s&until=%s", n/2-3000, mid.Format(time.RFC3339),
				mid.Add(time.Minute).Format(time.RFC3339))
		}, "entries"},
		{"query operation=mul", func(int) string { return "/api/v1/ledger/query?limit=100&operation=mul" }, "entries"},
	}
}

func measure(c *client, k kind, reqs int) (*stats, error) {
	s := &stats{name: k.name}
	for i := range reqs {
		code, body, d, err := c.do("GET", k.path(i))
		if err != nil {
			return nil, err
		}
		if code != 200 {
			s.errs++
			if s.errs == 1 {
				fmt.Fprintf(os.Stderr, "%s: %d %s\n", k.name, code, truncate(body))
			}
			continue
		}
		var m map[string]json.RawMessage
		var rows []json.RawMessage
		if json.Unmarshal(body, &m) != nil || json.Unmarshal(m[k.rows], &rows) != nil {
			s.errs++
			if s.errs == 1 {
				fmt.Fprintf(os.Stderr, "%s: not the JSON expected: %s\n", k.name, truncate(body))
			}
			continue
		}
		s.rows += len(rows)
		s.ds = append(s.ds, d)
	}
	return s, nil
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	url := fs.String("url", "http://127.0.0.1:18444", "server")
	token := fs.String("token", os.Getenv("EBIOS_TOKEN"), "access token (operator or admin)")
	n := fs.Int("n", 1000000, "entries in the log (as generated)")
	reqs := fs.Int("reqs", 300, "requests of each kind")
	verify := fs.Bool("verify", false, "then start a verify job and measure reads while it runs")
	fs.Parse(args) // #nosec G104 -- ExitOnError: Parse exits on a bad flag instead of returning
	c := &client{url: strings.TrimRight(*url, "/"), token: *token, hc: &http.Client{Timeout: 60 * time.Second}}
	rng := rand.New(rand.NewPCG(3, 4)) // #nosec G404 -- reproducible benchmark requests, not secrets
	ks := kinds(*n, rng)
	for _, k := range ks { // warm up
		c.do("GET", k.path(0)) // #nosec G104 -- warm-up requests, not measured; measure reports failures
	}
	fmt.Printf("reads on a %d-entry log, %d requests of each kind, one at a time:\n", *n, *reqs)
	for _, k := range ks {
		s, err := measure(c, k, *reqs)
		if err != nil {
			return err
		}
		fmt.Println(" ", s)
	}
	if !*verify {
		return nil
	}
	code, body, _, err := c.do("POST", "/api/v1/ledger/verify/jobs")
	if err != nil {
		return err
	}
	if code != http.StatusAccepted {
		return fmt.Errorf("start verify job: %d %s", code, truncate(body))
	}
	var job struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &job); err != nil || job.ID == "" {
		return fmt.Errorf("start verify job: no job id in %s (%v)", truncate(body), err)
	}
	start := time.Now()
	fmt.Printf("verify job %s started; reads while it runs:\n", job.ID)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			time.Sleep(5 * time.Second)
			_, body, d, err := c.do("GET", "/api/v1/ledger/verify/jobs/"+job.ID)
			if err != nil {
				return
			}
			var st struct {
				State    string `json:"state"`
				Phase    string `json:"phase"`
				Progress struct{ Done, Total int64 }
			}
			if err := json.Unmarshal(body, &st); err != nil {
				fmt.Printf("  job status not understood: %v: %s\n", err, truncate(body))
				return
			}
			fmt.Printf("  job at %5.1f s: %s %s %d/%d (status answered in %.2f ms)\n", time.Since(start).Seconds(), st.State, st.Phase,
				st.Progress.Done, st.Progress.Total, ms(d))
			if st.State != "running" {
				return
			}
		}
	}()
	during := map[string]*stats{}
	for round := 0; ; round++ {
		select {
		case <-done:
			fmt.Printf("verify job finished in %.1f s; reads measured while it ran:\n", time.Since(start).Seconds())
			for _, k := range ks {
				if s := during[k.name]; s != nil {
					fmt.Println(" ", s)
				}
			}
			_, body, _, err := c.do("GET", "/api/v1/ledger/verify/jobs/"+job.ID+"/report")
			if err == nil {
				fmt.Println("  report:", truncate(body))
			}
			return nil
		default:
		}
		for _, k := range ks {
			s, err := measure(c, k, 10)
			if err != nil {
				return err
			}
			if during[k.name] == nil {
				during[k.name] = &stats{name: k.name}
			}
			d := during[k.name]
			d.ds, d.errs, d.rows = append(d.ds, s.ds...), d.errs+s.errs, d.rows+s.rows
		}
	}
}
