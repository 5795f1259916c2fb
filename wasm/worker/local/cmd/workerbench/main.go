//go:build !js

// Command workerbench reports the figures of the Cloudflare Worker edition
// in workerd (wrangler dev --local on loopback, wasm/worker/local): the
// upload size and its gzip size from `wrangler deploy --dry-run`, the
// latency of the first (cold) request and of warm requests, and appends
// per second through the log's sequencer (the Durable Object) under
// concurrent executes. It reports figures; it asserts nothing
// (docs/benchmarks.md, "Cloudflare Worker").
//
//	go run ./wasm/worker/local/cmd/workerbench [-n 200] [-rounds 3] [-warm 50]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"sync"
	"time"

	"github.com/ebios/ebios/wasm/worker/local"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "workerbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("workerbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 200, "concurrent executes per round")
	rounds := fs.Int("rounds", 1, "rounds of concurrent executes")
	warm := fs.Int("warm", 50, "warm requests timed per route")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *rounds < 1 || *warm < 1 {
		return errors.New("-n, -rounds and -warm must be at least 1")
	}
	dir, err := local.BuildTemp(ctx, stderr)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	total, gz, err := local.DryRunSize(ctx, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrangler deploy --dry-run: Total Upload %s, gzip %s\n", total, gz)

	// The state outside the Worker's directory: wrangler dev restarts the
	// Worker when files there change.
	persist, err := os.MkdirTemp("", "ebios-workerbench-state-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(persist)
	if err := local.Migrate(ctx, dir, persist); err != nil {
		return err
	}
	s, err := local.NewSecrets("bench.ebios.example/log")
	if err != nil {
		return err
	}
	w, err := local.Start(ctx, dir, persist, s)
	if err != nil {
		return err
	}
	defer w.Stop()
	if err := measure(stdout, w, s, *n, *rounds, *warm); err != nil {
		return fmt.Errorf("%w\nwrangler dev's output:\n%s", err, w.Output())
	}
	return nil
}

// measure times requests to the running Worker w.
func measure(stdout io.Writer, w *local.Worker, s *local.Secrets, n, rounds, warm int) error {
	c := &local.Client{URL: w.URL}
	t0 := time.Now()
	if err := c.JSON("GET", "/healthz", nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cold: first request to a fresh runtime (GET /healthz): %v\n", time.Since(t0).Round(time.Millisecond))
	c, err := local.Admin(w.URL, s)
	if err != nil {
		return err
	}
	t0 = time.Now()
	if err := c.JSON("POST", "/api/v1/operations/execute", map[string]any{"operation": "add", "inputs": [][2]float64{{1, 0.1}, {2, 0.2}}}, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cold: first execute (starts the Durable Object's Go instance): %v\n", time.Since(t0).Round(time.Millisecond))
	for _, r := range []struct{ name, method, path string }{
		{"GET /healthz (no store)", "GET", "/healthz"},
		{"GET /api/v1/checkpoint (token check + D1 read)", "GET", "/api/v1/checkpoint"},
		{"POST /api/v1/operations/execute (one at a time)", "POST", "/api/v1/operations/execute"},
	} {
		ds := make([]time.Duration, warm)
		for i := range ds {
			var body any
			if r.method == "POST" {
				body = map[string]any{"operation": "add", "inputs": [][2]float64{{float64(i), 0.1}, {2, 0.2}}}
			}
			t0 := time.Now()
			if err := c.JSON(r.method, r.path, body, nil); err != nil {
				return err
			}
			ds[i] = time.Since(t0)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Fprintf(stdout, "warm: %s: median %v, p90 %v (%d requests)\n", r.name,
			ds[len(ds)/2].Round(100*time.Microsecond), ds[len(ds)*9/10].Round(100*time.Microsecond), len(ds))
	}
	for round := 1; round <= rounds; round++ {
		var wg sync.WaitGroup
		errs := make(chan error, n)
		t0 := time.Now()
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- c.JSON("POST", "/api/v1/operations/execute", map[string]any{"operation": "mul", "inputs": [][2]float64{{float64(i), 0.5}, {2, 0.1}}}, nil)
			}()
		}
		wg.Wait()
		took := time.Since(t0)
		close(errs)
		for err := range errs {
			if err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "appends: round %d: %d concurrent executes in %v: %.0f appends/s through the sequencer\n",
			round, n, took.Round(time.Millisecond), float64(n)/took.Seconds())
	}
	return nil
}
