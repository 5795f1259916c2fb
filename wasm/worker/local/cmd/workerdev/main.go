//go:build !js

// Command workerdev runs the Cloudflare Worker edition locally, in workerd
// through `wrangler dev --local` (npm wrangler from wasm/worker's lock
// file), for browser tests and for trying it by hand: it builds the
// Worker, creates its D1 tables, makes fresh secrets and an admin, and
// prints what a client needs, one NAME=value per line:
//
//	EBIOS_WORKER_URL=http://127.0.0.1:PORT
//	EBIOS_WORKER_KEY=the log's verifier key (what an auditor pins)
//
// then serves until it gets SIGINT or SIGTERM, and removes its state
// unless --state was given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ebios/ebios/wasm/worker/local"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "workerdev:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("workerdev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./wasm/worker/local/cmd/workerdev [flags]

Run the eBIOS Worker locally in workerd (wrangler dev --local) with fresh
secrets and an admin, print EBIOS_WORKER_URL=... and EBIOS_WORKER_KEY=...,
and serve until SIGINT or SIGTERM.

Flags:
`)
		fs.PrintDefaults()
	}
	origin := fs.String("origin", "dev.ebios.example/log", "the log's origin (its name in checkpoints)")
	cors := fs.String("cors-origins", "", "origins allowed to call the API from a browser, comma-separated (EBIOS_API_CORS_ORIGINS)")
	user := fs.String("user", "admin", "the admin to create")
	password := fs.String("password", "", "the admin's password (required)")
	state := fs.String("state", "", "directory of the Worker's local state (D1, R2, the Durable Object), kept; default: a temporary one, removed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if len(*password) < 12 {
		return errors.New("--password is required, at least 12 characters: the admin's password")
	}
	dir, err := local.BuildTemp(ctx, stderr)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	persist := *state
	if persist == "" {
		if persist, err = os.MkdirTemp("", "ebios-workerdev-state-"); err != nil {
			return err
		}
		defer os.RemoveAll(persist)
	}
	if err := local.Migrate(ctx, dir, persist); err != nil {
		return err
	}
	s, err := local.NewSecrets(*origin)
	if err != nil {
		return err
	}
	if *cors != "" {
		s.Vars = map[string]string{"EBIOS_API_CORS_ORIGINS": strings.TrimSpace(*cors)}
	}
	w, err := local.Start(ctx, dir, persist, s)
	if err != nil {
		return err
	}
	defer w.Stop()
	if _, err := local.AdminAs(w.URL, s, *user, *password); err != nil {
		return fmt.Errorf("making the admin: %w\n%s", err, w.Output())
	}
	fmt.Fprintf(stdout, "EBIOS_WORKER_URL=%s\nEBIOS_WORKER_KEY=%s\n", w.URL, s.VerifierKey)
	<-ctx.Done()
	return nil
}
