// Command ebios is the one eBIOS binary: it computes with n ± u values and,
// as later subcommands land, serves the API, manages the ledger, policies,
// users and keys.
//
// Usage:
//
//	ebios <command> [flags] [args]
//
// Run `ebios help` for the list of commands and `ebios <command> --help` for
// the flags of one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGINT (Ctrl-C) and SIGTERM (systemd, containers) both shut the
	// server down gracefully: requests drain and the ledger is flushed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// exitError carries an exit status; its message has already been printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed (bad value, failed verification ...)
	exitUsage = 2 // the command line was wrong
)

func exitCode(err error) int {
	var e exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &e):
		return e.code
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	return exitFail
}

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"calc", "evaluate an expression over n ± u values (--log: record it in the ledger)", runCalc},
		{"serve", "serve the API, the dashboard and metrics", runServe},
		{"health", "ask a running server whether it is healthy (/healthz, or /readyz with --ready)", runHealth},
		{"user", "manage users: add, list, set-role, disable, enable, reset-password", runUser},
		{"config", "check the server configuration", runConfig},
		{"key", "generate the log's signing key", runKey},
		{"ledger", "export, verify, trace and prove entries of the signed ledger", runLedger},
		{"db", "migrate the PostgreSQL database of a fleet of servers (serve --store URL)", runDB},
		{"backup", "take an online backup through the server, or of a stopped data directory; verify one", runBackup},
		{"restore", "restore a backup into an empty data directory, verified, with rollback detection", runRestore},
		{"import", "import the Python eBIOS's ledger (SQLite, PostgreSQL or JSON export)", runImport},
		{"policy", "validate, sign, verify and show guard policies", runPolicy},
		{"proofs", "attest and verify the machine-checked proofs", runProofs},
		{"certify", "attest and verify the certification evidence bundle (make certify)", runCertify},
		{"static", "write the browser app as a static website (--out DIR [--api URL])", runStatic},
		{"version", "print the version", runVersion},
	}
}

// run dispatches to a subcommand. Errors that were already reported to the
// user come back as exitError; others are printed by run.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run(ctx, []string{args[1], "--help"}, stdin, stdout, stderr)
		}
		usage(stdout)
		if len(args) == 0 {
			return exitError{exitUsage}
		}
		return nil
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdin, stdout, stderr)
			var e exitError
			if err != nil && !errors.As(err, &e) && !errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(stderr, "ebios %s: %v\n", c.name, err)
			}
			return err
		}
	}
	fmt.Fprintf(stderr, "ebios: unknown command %q; run `ebios help` for the list\n", args[0])
	return exitError{exitUsage}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `ebios computes with nominal/uncertainty values n ± u.

Usage:
  ebios <command> [flags] [args]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "ebios <command> --help" for the flags of a command, "ebios --version"
for the version.
`)
}
