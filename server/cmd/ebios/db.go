package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/config"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/logstore"
	"github.com/ebios/ebios/server/pgstore"
	"github.com/ebios/ebios/server/serve"
)

const dbHelp = `Manage the PostgreSQL database of a fleet of servers (ebios serve --store URL).

  ebios db migrate  --store URL [--json]
      bring the database's schema to this binary's version (ebios serve does
      it at start too); a schema newer than this binary is refused
  ebios db status   --store URL [--json]
      print the schema version and the log's size

URL is a PostgreSQL URL, postgres://user@host:5432/db?sslmode=verify-full;
put the password in PGPASSWORD or ~/.pgpass rather than in the URL.
`

func runDB(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	subs := map[string]func(context.Context, []string, io.Writer, io.Writer) error{"migrate": dbMigrate, "status": dbStatus}
	if len(args) == 0 || subs[args[0]] == nil {
		return groupUsage(stderr, args, "Usage: ebios db <command> ...\n\n"+dbHelp)
	}
	return subs[args[0]](ctx, args[1:], stdout, stderr)
}

// dbArgs parses the flags of `ebios db NAME`: --store URL (required) and --json.
func dbArgs(name string, args []string, stderr io.Writer) (url string, asJSON bool, err error) {
	fs := newFlags("db "+name, "--store URL [--json]", dbHelp, stderr)
	store := fs.String("store", "", "PostgreSQL URL of the database (required)")
	js := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err == nil {
		err = wantArgs(fs, pos, 0, "no arguments")
	}
	if err == nil {
		err = requireFlag(fs, *store, "--store URL")
	}
	return *store, *js, err
}

func dbMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	url, asJSON, err := dbArgs("migrate", args, stderr)
	if err != nil {
		return err
	}
	pool, err := pgstore.Connect(ctx, url, 1)
	if err != nil {
		return reportErr(stdout, stderr, asJSON, "", err)
	}
	defer pool.Close()
	res, err := pgstore.Migrate(ctx, pool)
	if err != nil {
		return reportErr(stdout, stderr, asJSON, "", err)
	}
	if asJSON {
		return writeJSON(stdout, map[string]any{"from": res.From, "to": res.To, "applied": append([]string{}, res.Applied...)})
	}
	if len(res.Applied) == 0 {
		fmt.Fprintf(stdout, "schema version %d: up to date\n", res.To)
		return nil
	}
	fmt.Fprintf(stdout, "schema version %d -> %d: applied %v\n", res.From, res.To, res.Applied)
	return nil
}

func dbStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	url, asJSON, err := dbArgs("status", args, stderr)
	if err != nil {
		return err
	}
	st, err := pgstore.OpenReadOnly(ctx, url)
	if err != nil {
		return reportErr(stdout, stderr, asJSON, "", err)
	}
	defer st.Close()
	if asJSON {
		return writeJSON(stdout, map[string]any{"schema": pgstore.SchemaVersion(), "origin": st.Origin(), "size": st.Len()})
	}
	fmt.Fprintf(stdout, "schema version %d, log %s, %d entries\n", pgstore.SchemaVersion(), st.Origin(), st.Len())
	return nil
}

// logLocation is where a ledger command finds the log: a data directory
// (BuntDB) or, with --store, a PostgreSQL database.
type logLocation struct{ dataDir, store *string }

// logFlags adds --data-dir, --store and --json, the flags of the ledger
// commands that read a log.
func logFlags(fs *flag.FlagSet) (logLocation, *bool) {
	dataDir, asJSON := dataFlags(fs)
	return logLocation{dataDir, fs.String("store", "", "read the log in this PostgreSQL database (postgres://...) instead of --data-dir")}, asJSON
}

// readLog is a log opened read-only.
type readLog interface {
	logstore.Log
	Close() error
}

// openReadOnly opens the log without its key.
func (l logLocation) openReadOnly(ctx context.Context) (readLog, error) {
	if *l.store != "" {
		return pgstore.OpenReadOnly(ctx, *l.store)
	}
	return ledgerstore.OpenReadOnly(storePath(*l.dataDir))
}

// openUsers opens the users store of cfg: users.db in the data directory
// (locked against the server), or the PostgreSQL database of config store,
// which the servers share (no lock: every change is a transaction).
func openUsers(ctx context.Context, cfg *config.Config) (interface {
	auth.Store
	Close() error
}, func(), error) {
	if cfg.Store == "" {
		return serve.OpenUsers(cfg)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Auth.SecretFile), 0o700); err != nil { // the token secret is made there
		return nil, nil, err
	}
	pool, err := pgstore.Connect(ctx, cfg.Store, 2)
	if err != nil {
		return nil, nil, err
	}
	if err := pgstore.CheckSchema(ctx, pool); err != nil {
		pool.Close()
		return nil, nil, err
	}
	return pgstore.NewUsers(pool), pool.Close, nil
}
