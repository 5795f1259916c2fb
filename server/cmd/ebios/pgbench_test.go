package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebios/ebios/internal/debpkg"
	"github.com/ebios/ebios/internal/pgtest"
)

// benchDuration is how long each configuration of BenchmarkDurableAppends
// is loaded in each round (EBIOS_BENCH_SECONDS, default 10).
func benchDuration() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("EBIOS_BENCH_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 10 * time.Second
}

// BenchmarkDurableAppends measures durable appends per second through
// POST /operations/execute at 64 connections (wrk, as make load), in one
// run: the BuntDB store (one server), then PostgreSQL (fsync on,
// synchronous_commit on) through one server and through three servers on
// one database, the connections spread over them. Each configuration is
// loaded for benchDuration after a warm-up, in benchRounds rounds; the
// medians are reported as metrics (make pgbench; docs/benchmarks.md).
func BenchmarkDurableAppends(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "ebios")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	pg := pgtest.Start(b, pgtest.Durable())
	key, pw := filepath.Join(dir, "ledger.key"), filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("correct horse battery staple drill\n"), 0o600)
	runBin(b, bin, "key", "generate", "--out", key, "--name", "bench.example/log")
	bunt := filepath.Join(dir, "bunt")
	runBin(b, bin, "user", "add", "--data-dir", bunt, "--role", "admin", "--password-file", pw, "admin")
	common := filepath.Join(dir, "common")
	runBin(b, bin, "db", "migrate", "--store", pg.URL)
	runBin(b, bin, "user", "add", "--store", pg.URL, "--data-dir", common, "--role", "admin", "--password-file", pw, "admin")
	serve := func(extra ...string) []string {
		return append([]string{"serve", "--ledger-key", key, "--listen", "127.0.0.1:0", "--rate-limit=false", "--backup-interval", "0", "--log-level", "warn"}, extra...)
	}
	pgServe := func(i int) []string {
		return serve("--store", pg.URL, "--data-dir", filepath.Join(dir, fmt.Sprint("pg", i)), "--auth-secret-file", filepath.Join(common, "jwt.secret"))
	}
	_, buURL := startServer(b, bin, serve("--data-dir", bunt))
	var pgURLs []string
	for i := range 3 {
		_, u := startServer(b, bin, pgServe(i))
		pgURLs = append(pgURLs, u)
	}
	buTok, pgTok := login(b, buURL), login(b, pgURLs[0])
	// One server: the one holding the sequencer lease (the others would
	// send it their appends).
	var seqURL string
	for start := time.Now(); seqURL == ""; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			b.Fatal("no server holds the sequencer lease")
		}
		seqURL = strings.TrimSpace(pg.Query(b, "SELECT coalesce((SELECT url FROM ebios_sequencer), '')"))
	}
	b.ResetTimer()
	// Rounds of the three configurations in turn, so that a change of the
	// machine's speed (a shared VM) weighs on each alike; the medians are
	// reported.
	configs := []struct {
		name  string
		urls  []string
		token string
		rates []float64
	}{{"BuntDB, 1 server", []string{buURL}, buTok, nil}, {"PostgreSQL, 1 server", []string{seqURL}, pgTok, nil}, {"PostgreSQL, 3 servers", pgURLs, pgTok, nil}}
	for round := range benchRounds {
		for i := range configs {
			c := &configs[i]
			r, p99 := appendRate(b, c.urls, c.token, benchDuration())
			c.rates = append(c.rates, r)
			fmt.Printf("round %d, %s: %.0f durable appends/s, p99 %.1f ms\n", round+1, c.name, r, p99) // b.Log output of a benchmark is cut short
		}
	}
	median := func(xs []float64) float64 {
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	// The ratios within each round (the same minute of the machine), and
	// their medians.
	var r1, r3 []float64
	for i := range benchRounds {
		r1 = append(r1, configs[1].rates[i]/configs[0].rates[i])
		r3 = append(r3, configs[2].rates[i]/configs[0].rates[i])
	}
	fmt.Printf("per-round ratios to BuntDB: PostgreSQL 1 server %.2f, 3 servers %.2f\n", r1, r3)
	b.ReportMetric(median(configs[0].rates), "buntdb-appends/s")
	b.ReportMetric(median(configs[1].rates), "pg1-appends/s")
	b.ReportMetric(median(configs[2].rates), "pg3-appends/s")
	b.ReportMetric(median(r1), "pg1/buntdb")
	b.ReportMetric(median(r3), "pg3/buntdb")
}

// benchRounds is how many times each configuration is measured.
const benchRounds = 3

// appendRate loads the servers with 64 connections of wrk (scripts/load.lua:
// POST /operations/execute), one wrk process per server with its share of
// the connections, for d after a 2 s warm-up, and returns the appends
// acknowledged per second, summed over the servers, and the worst p99.
func appendRate(b *testing.B, urls []string, token string, d time.Duration) (rate, p99 float64) {
	wrk := debpkg.Program(b, "wrk", "the append benchmark loads the servers with wrk", "wrk")
	run := func(d time.Duration) (rate, p99 float64) {
		outs := make([][]byte, len(urls))
		var wg sync.WaitGroup
		for i, url := range urls {
			conns := 64 / len(urls)
			if i < 64%len(urls) {
				conns++
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command(wrk, "-t", "1", "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())), "--latency",
					"-s", "../../../scripts/load.lua", url+"/operations/execute") // #nosec G204 -- benchmark: Debian's wrk on the benchmark's own servers
				cmd.Env = append(os.Environ(), "EBIOS_TOKEN="+token)
				outs[i], _ = cmd.CombinedOutput()
			}()
		}
		wg.Wait()
		for _, out := range outs {
			var n, errs int
			var secs, rps, p50, p90, q99, maxMS float64
			at := strings.Index(string(out), "RESULT ")
			if at < 0 {
				b.Fatalf("wrk printed no RESULT line:\n%s", out)
			}
			line := out[at:]
			if _, err := fmt.Sscanf(string(line), "RESULT requests=%d duration_s=%f rps=%f p50_ms=%f p90_ms=%f p99_ms=%f max_ms=%f non2xx_or_errors=%d",
				&n, &secs, &rps, &p50, &p90, &q99, &maxMS, &errs); err != nil || errs > 0 {
				b.Fatalf("wrk: %v, %d errors:\n%s", err, errs, out)
			}
			rate += rps
			p99 = max(p99, q99)
		}
		return rate, p99
	}
	run(2 * time.Second)
	return run(d)
}

// BenchmarkReadsPostgres measures the reads of e2e/readbench (trace, guard
// events and /ledger/query, p50 and p99 over 300 requests each, one at a
// time) on a log of EBIOS_READBENCH_N entries (default 1,000,000) in
// PostgreSQL, served by one `ebios serve --store`: readbench gen writes
// the log through pgstore (batches of 4096), the server builds its read
// index from the database, and readbench run measures. It prints
// readbench's report and the time the server took to answer reads (make
// pgbench; docs/benchmarks.md).
func BenchmarkReadsPostgres(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("EBIOS_READBENCH_N")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	bin, rb := filepath.Join(dir, "ebios"), filepath.Join(dir, "readbench")
	for _, c := range [][]string{{"build", "-o", bin, "."}, {"build", "-o", rb, "../../../e2e/readbench"}} {
		if out, err := exec.Command("go", c...).CombinedOutput(); err != nil {
			b.Fatalf("go %v: %v\n%s", c, err, out)
		}
	}
	pg := pgtest.Start(b)
	data, pw := filepath.Join(dir, "data"), filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("operator passphrase for readbench\n"), 0o600)
	start := time.Now()
	if out, err := exec.Command(rb, "gen", "-n", strconv.Itoa(n), "-data", data, "-store", pg.URL).CombinedOutput(); err != nil {
		b.Fatalf("readbench gen: %v\n%s", err, out)
	}
	b.Logf("generated a %d-entry log in PostgreSQL in %v", n, time.Since(start).Round(time.Second))
	b.Logf("database size: %s", strings.TrimSpace(pg.Query(b, `SELECT string_agg(format('%s %s (%s B/entry)', c, pg_size_pretty(pg_total_relation_size(c)),
		pg_total_relation_size(c) / (SELECT greatest(size, 1) FROM ebios_log)), ', ') FROM unnest(array['ebios_entries', 'ebios_checkpoints']::regclass[]) c`)))
	runBin(b, bin, "user", "add", "--store", pg.URL, "--data-dir", data, "--role", "operator", "--password-file", pw, "reader")
	b.ResetTimer()
	start = time.Now()
	_, url := startServer(b, bin, []string{"serve", "--store", pg.URL, "--data-dir", data, "--ledger-key", filepath.Join(data, "ledger.key"),
		"--listen", "127.0.0.1:0", "--rate-limit-allowlist", "127.0.0.1", "--backup-interval", "0", "--log-level", "warn"})
	up := time.Since(start)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if s := call(context.Background(), "POST", url+"/api/v1/auth/login", "", `{"username":"reader","password":"operator passphrase for readbench"}`, &tok); s != http.StatusOK {
		b.Fatalf("login: %d", s)
	}
	for call(context.Background(), "GET", url+"/api/v1/guard/events?limit=1", tok.AccessToken, "", nil) != http.StatusOK {
		time.Sleep(50 * time.Millisecond)
	}
	ready := time.Since(start)
	b.Logf("server up after %v; trace and guard events answered (read index near the end) after %v", up.Round(10*time.Millisecond), ready.Round(10*time.Millisecond))
	b.ReportMetric(ready.Seconds(), "index-ready-s")
	out, err := exec.Command(rb, "run", "-url", url, "-token", tok.AccessToken, "-n", strconv.Itoa(n), "-reqs", "300").CombinedOutput()
	if err != nil {
		b.Fatalf("readbench run: %v\n%s", err, out)
	}
	fmt.Printf("%s", out) // the whole report (b.Log output of a benchmark is cut short)
}
