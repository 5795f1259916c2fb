package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"

	webapp "github.com/ebios/ebios/app"
	"github.com/ebios/ebios/server/config"
	"github.com/ebios/ebios/server/serve"
)

// buildVersion is the version stamped into the binary by make build
// (-ldflags "-X main.buildVersion=$(git describe --tags --always --dirty)").
var buildVersion string

// version is the binary's version: the stamped one, else the VCS revision
// (12 hex digits) go build records, else the module version.
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
		return bi.Main.Version
	}
	return "(devel)"
}

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			fmt.Fprint(stderr, `Usage: ebios serve [flags]

Serve the JSON API under /api/v1 (and the original eBIOS paths), the
browser app at / (calculator, audit, ledger explorer, policies, users; "/"
answers health JSON to a client that asks for application/json), the
embeddable widget at /widget/ and its iframe pages at /embed/
(docs/embedding.md), health at /healthz and /readyz, and Prometheus metrics
at /metrics. Every executed operation is appended, durably, to the signed ledger
in the data directory. The server needs the ledger's signing key
(--ledger-key, default DATA/ledger.key); --dev creates one if it is missing.
While no admin exists it prints how to create the first one.

Settings come from flags, then EBIOS_* environment variables, then the
ebios.conf file, then defaults; "ebios config check" validates them.

The server runs one Go P more than the CPUs it may use (GOMAXPROCS set in
the environment wins). For performance work, EBIOS_CPUPROFILE=FILE,
EBIOS_MEMPROFILE=FILE and EBIOS_TRACE=FILE write a CPU profile, an
allocation profile and an execution trace of the run (docs/benchmarks.md).

Flags:
`+config.Usage())
			return nil
		}
	}
	// One P more than the runtime's default (the cores, or the container's
	// CPU limit), unless GOMAXPROCS is set: the ledger's syncer spends much
	// of its time in fsync and holds its P there until the runtime hands
	// it off; the spare P keeps the cores busy meanwhile. Measured under
	// make load on 2 cores: about +10 % requests/s (docs/benchmarks.md).
	if os.Getenv("GOMAXPROCS") == "" {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1))
	}
	// EBIOS_CPUPROFILE=FILE writes a CPU profile of the whole run (for
	// performance work; see docs/benchmarks.md).
	if path := os.Getenv("EBIOS_CPUPROFILE"); path != "" {
		f, err := os.Create(path) // #nosec G304 G703 -- the operator's own EBIOS_CPUPROFILE
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// EBIOS_MEMPROFILE=FILE writes an allocation profile when the server
	// stops.
	if path := os.Getenv("EBIOS_MEMPROFILE"); path != "" {
		defer func() {
			f, err := os.Create(path) // #nosec G304 G703 -- the operator's own EBIOS_MEMPROFILE
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintln(stderr, "ebios serve: EBIOS_MEMPROFILE:", err)
			}
		}()
	}
	// EBIOS_TRACE=FILE writes an execution trace (go tool trace): where
	// requests wait, not only where CPU goes.
	if path := os.Getenv("EBIOS_TRACE"); path != "" {
		f, err := os.Create(path) // #nosec G304 G703 -- the operator's own EBIOS_TRACE
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	var ui http.Handler
	if web := webAssets(stderr, "serve", "web"); web != nil {
		// The app's version names the service worker's cache: derive it from
		// the assets themselves so that every new build is picked up as an
		// update and a restart with the same build is not.
		ui = webapp.Handler(version()+"-"+web.Digest(), web)
		ui = withWidget(stderr, "serve", web, ui)
	}
	err := serve.Run(ctx, args, serve.Options{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, ReadFile: os.ReadFile, Version: version(), App: ui})
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	var ps config.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintln(stderr, "ebios serve:", p)
		}
		return exitError{exitUsage}
	}
	return reportErr(stdout, stderr, false, "", err)
}

func runConfig(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return groupUsage(stderr, args, "Usage: ebios config check [serve flags]\n\nLoad the configuration exactly as `ebios serve` would (flags > EBIOS_* env > ebios.conf > defaults)\nand report every problem with where its value came from. Exit 0 when it is valid (warnings allowed).\n")
	}
	cfg, ps := config.Check(args[1:], os.Getenv, os.ReadFile)
	errs := 0
	for _, p := range ps {
		fmt.Fprintln(stdout, p)
		if !p.Warning {
			errs++
		}
	}
	if errs > 0 {
		fmt.Fprintf(stdout, "config check: %d problem(s)\n", errs)
		return exitError{exitFail}
	}
	file := "no config file"
	if cfg != nil && cfg.File != "" {
		file = cfg.File
	}
	fmt.Fprintf(stdout, "config check: OK (%s)\n", file)
	return nil
}
