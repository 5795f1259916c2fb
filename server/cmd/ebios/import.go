package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/keyfile"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/pyimport"
)

const importHelp = `Import the ledger of the Python eBIOS (v0.1 to v0.3) into the signed ledger
in DIR, as "import" entries signed with the log's key (docs/migration.md).

Give one source:
  --sqlite FILE         its SQLite file (db_path in its ebios.conf, EBIOS_DB_PATH),
                        opened read-only
  --postgres URL        its PostgreSQL database (postgres://USER@HOST:PORT/DB?sslmode=...;
                        put the password in PGPASSWORD or ~/.pgpass, not in the URL),
                        read in one read-only snapshot
  --json-export FILE    a JSON export ("-" for standard input): an array of row
                        objects whose members are the table's columns, or
                        {"entries": [...]}; NaN and Infinity as Python writes them
--table NAME names the table (default ledger; schema-qualified for PostgreSQL).
The table's columns are those of the Python eBIOS's release plan: op_id,
operation, timestamp, inputs_json, output_json, coverage, invariant_passed,
parent_id, entry_hash, signature.

Each row becomes an entry with operation "import": op id = op_id, parent op
id = parent_id (parents are appended before their children), timestamp from
timestamp (ISO 8601; the v0.1 integer counter is no time: such entries get
the time of the import), inputs and output from inputs_json and output_json
when they are n ± u values ([n, u] or {"n": n, "u": u}; other shapes stay in
the evidence only, with a warning), coverage, invariant from
invariant_passed, and no mode. The whole original row, with entry_hash and
signature, is the entry's expression as canonical JSON (sorted members, no
spaces; at most 4096 bytes): the evidence.

All or nothing: every row is checked first; if any is refused (bad JSON, a
missing column, NaN, a negative uncertainty, a duplicate op_id, an unknown
parent, a cycle, evidence too long ...), nothing is written and the report
lists every refused row with what is wrong and what to do. Then the rows are
appended in atomic, durable batches of --batch entries (0: all in one
commit). Running an import again is safe: rows already imported with
identical evidence are skipped ("already imported"); an op id the log holds
with other content is refused. So if an import is interrupted between
batches, run it again to finish it.

The report counts imported, already imported, refused and unverifiable rows:
the Python eBIOS made a new signing key at every start and published none,
so none of its signatures can be checked (they are kept as evidence). Users
are not imported (the Python eBIOS had default passwords): create them with
"ebios user add". The exit status is 0 when every row is in the log, 1 when
rows were refused or the import stopped, 2 for a usage error. Stop the
server first: one process at a time opens the data directory.
`

func runImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("import", "(--sqlite FILE | --postgres URL | --json-export FILE) [--table NAME] --data-dir DIR --key FILE [--dry-run] [--batch N] [--json]", importHelp, stderr)
	sqlitePath := fs.String("sqlite", "", "the Python eBIOS's SQLite file")
	pgURL := fs.String("postgres", "", "the Python eBIOS's PostgreSQL database (URL or key=value string)")
	jsonPath := fs.String("json-export", "", `a JSON export of the Python eBIOS's ledger ("-" for standard input)`)
	table := fs.String("table", pyimport.DefaultTable, "the ledger table (with --sqlite or --postgres)")
	dataDir := dataDirFlag(fs, "data", "data directory of the ledger to import into")
	keyFile := fs.String("key", "", "signer key file of the ledger (required, except with --dry-run)")
	dryRun := fs.Bool("dry-run", false, "check every row and report, without writing anything")
	batch := fs.Int("batch", pyimport.DefaultBatch, "entries per atomic commit; 0 commits the whole import at once")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		hint := ""
		if *asJSON {
			hint = " (--json prints the report as JSON; a JSON export is given with --json-export FILE)"
		}
		fmt.Fprintf(stderr, "ebios import: unexpected argument %q%s\n", pos[0], hint)
		return exitError{exitUsage}
	}
	n := 0
	for _, s := range []string{*sqlitePath, *pgURL, *jsonPath} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		fmt.Fprintln(stderr, "ebios import: give exactly one source: --sqlite FILE, --postgres URL or --json-export FILE")
		return exitError{exitUsage}
	}
	if *keyFile == "" && !*dryRun {
		fmt.Fprintln(stderr, "ebios import: --key FILE is required (the ledger's signer key, as for `ebios calc --log`; `ebios key generate --out FILE` makes one), or give --dry-run")
		return exitError{exitUsage}
	}
	if *batch < 0 {
		fmt.Fprintln(stderr, "ebios import: --batch must be >= 0")
		return exitError{exitUsage}
	}

	var rows *pyimport.Rows
	switch {
	case *sqlitePath != "":
		rows, err = pyimport.ReadSQLite(ctx, *sqlitePath, *table)
	case *pgURL != "":
		rows, err = pyimport.ReadPostgres(ctx, *pgURL, *table)
	default:
		rows, err = pyimport.ReadJSON(*jsonPath, stdin)
	}
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}

	if err := pyimport.CheckTarget(storePath(*dataDir)); err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	var log pyimport.Log
	if *dryRun {
		l, closeLog, err := dryRunLog(*dataDir, *keyFile)
		if err != nil {
			return reportErr(stdout, stderr, *asJSON, "", err)
		}
		defer closeLog()
		log = l
	} else {
		st, err := openStore(*dataDir, *keyFile)
		if err != nil {
			return reportErr(stdout, stderr, *asJSON, "", err)
		}
		defer st.Close()
		log = st
	}
	opts := pyimport.Options{DryRun: *dryRun, Batch: *batch}
	if *batch == 0 {
		opts.Batch = -1
	}
	if p := progress(stderr, "importing"); p != nil {
		opts.Progress = func(done, total int) { p(int64(done), int64(total)) }
	}
	rep, ierr := pyimport.Import(ctx, rows, log, opts)
	if *asJSON {
		if err := writeJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		rep.Print(stdout)
	}
	if ierr != nil {
		return exitError{exitFail}
	}
	return nil
}

// dryRunLog opens the ledger in dataDir read-only for a dry run (an empty
// log when there is none yet), and checks keyFile against it when given.
func dryRunLog(dataDir, keyFile string) (pyimport.Log, func(), error) {
	var signer *ledger.Signer
	if keyFile != "" {
		s, err := keyfile.LoadSigner(keyFile)
		if err != nil {
			return nil, nil, err
		}
		signer = s
	}
	if _, err := os.Stat(storePath(dataDir)); os.IsNotExist(err) {
		return emptyLog{}, func() {}, nil
	}
	st, err := ledgerstore.OpenReadOnly(storePath(dataDir))
	if err != nil {
		return nil, nil, err
	}
	if signer != nil && signer.VerifierKey() != st.VerifierKey() {
		st.Close() // #nosec G104 -- a store opened read-only for a dry run, on an error path: nothing was written
		return nil, nil, &nu.Error{Code: ledgerstore.CodeWrongKey, Category: ledger.CategoryLedger,
			Message:     "the ledger in " + dataDir + " is signed by " + st.VerifierKey() + ", not by the key in " + keyFile,
			Remediation: "give the key file of this log (the one `ebios serve` uses), or another --data-dir"}
	}
	return st, func() { st.Close() }, nil // #nosec G104 -- a store opened read-only for a dry run: nothing was written
}

// emptyLog is the log of a data directory that has none yet.
type emptyLog struct{}

func (emptyLog) Len() uint64                       { return 0 }
func (emptyLog) IndexOfOp(string) (uint64, bool)   { return 0, false }
func (emptyLog) Get(uint64) (*ledger.Entry, error) { return nil, fmt.Errorf("the log is empty") }
func (emptyLog) AppendBatch(context.Context, []ledger.Draft) ([]*ledger.Entry, error) {
	return nil, fmt.Errorf("a dry run appends nothing")
}
