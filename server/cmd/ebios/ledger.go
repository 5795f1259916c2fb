package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/keyfile"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/logstore"
	"github.com/ebios/ebios/server/pgstore"
	"github.com/ebios/ebios/server/serve"
	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/term"
)

const ledgerHelp = `Work with the signed ledger.

  ebios ledger export      --data-dir DIR --out BUNDLE
      write an export bundle of the whole log
  ebios ledger verify      BUNDLE --key VKEY [--origin ORIGIN] [--json]
      verify a bundle against the pinned verifier key
  ebios ledger verify      --data-dir DIR [--json]
      verify the store itself (also its tree hashes)
  ebios ledger checkpoint  --data-dir DIR
      print the latest signed checkpoint
  ebios ledger trace       OPID --data-dir DIR [--json]
      causal chain of an operation: ancestors and children
  ebios ledger proof       INDEX --data-dir DIR [--json]
      inclusion proof of an entry in the latest checkpoint
  ebios ledger consistency OLD_CHECKPOINT --data-dir DIR [--json]
      prove the log grew from an older checkpoint
  ebios ledger fsck        --data-dir DIR [--repair] [--json]
      check the store on disk, also one the server refuses to open;
      --repair repairs what is safe (ebios ledger fsck --help)
  ebios ledger migrate     --data-dir DIR [--key KEYFILE] [--json]
      bring a store of format 2 or 3 to the current format, 4

(--data is the deprecated spelling of --data-dir.)

VKEY is the verifier key printed by "ebios key generate" (or a file holding
it). A bundle's own key proves nothing: verify pins the key you trust.
verify --origin ORIGIN names the log the bundle must come from; by default it
is the pinned key's name (the convention), so give it when the two differ.
verify reads the bundle strictly (docs/ledger-format.md): exact member
names, no duplicate, unknown or missing members, one spelling per field.
Every command on --data-dir DIR also takes --store URL instead, for a log in
PostgreSQL (ebios serve --store URL; fsck --store checks the rows, their tree
hashes and checkpoints, then the entries, and repairs nothing).
verify checks the entry signatures on every core (GOMAXPROCS) while it reads
the bundle; the report is the same as on one core. It exits 0 only when
everything verifies; otherwise it names the first bad entry and why.
Commands on --data-dir DIR need no key, but the server must not
have the store open at the same time.
`

func runLedger(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	subs := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"export": ledgerExport, "verify": ledgerVerify, "checkpoint": ledgerCheckpoint,
		"trace": ledgerTrace, "proof": ledgerProof, "consistency": ledgerConsistency,
		"fsck": ledgerFsck, "migrate": ledgerMigrate,
	}
	if len(args) == 0 || subs[args[0]] == nil {
		return groupUsage(stderr, args, "Usage: ebios ledger <command> ...\n\n"+ledgerHelp)
	}
	return subs[args[0]](ctx, args[1:], stdout, stderr)
}

// storePath is where a data directory keeps the ledger.
func storePath(dataDir string) string { return filepath.Join(dataDir, "ledger.db") }

// openStore opens the ledger in dataDir for appending with the key in keyFile.
//
// It sets the process's umask to 077 for good (the command ends with the
// store): what BuntDB makes when it rewrites the file (a shrink writes a
// new file and renames it) is then private, as the store itself is.
func openStore(dataDir, keyFile string) (*ledgerstore.Store, error) {
	serve.RestrictUmask()
	s, err := keyfile.LoadSigner(keyFile)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, &nu.Error{Code: ledgerstore.CodeIO, Category: ledger.CategoryLedger,
			Message: "cannot create data directory " + dataDir, Details: err.Error(), Remediation: "check permissions"}
	}
	return ledgerstore.Open(storePath(dataDir), s, nil)
}

// keyfileVerifier reads a verifier key given as a key or a file and returns
// it as a key string.
func keyfileVerifier(arg string) (string, error) {
	v, err := keyfile.ParseVerifier(arg)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// dataFlags adds --data-dir (alias --data) and --json, the flags every store command has.
func dataFlags(fs *flag.FlagSet) (dataDir *string, asJSON *bool) {
	return dataDirFlag(fs, "data", "data directory of the ledger"), fs.Bool("json", false, "print JSON")
}

func ledgerExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ledger export", "--data-dir DIR --out BUNDLE", ledgerHelp, stderr)
	loc, _ := logFlags(fs)
	out := fs.String("out", "", "bundle file to write (required; - for standard output)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, "no arguments"); err != nil {
		return err
	}
	if err := requireFlag(fs, *out, "--out BUNDLE"); err != nil {
		return err
	}
	st, err := loc.openReadOnly(ctx)
	if err != nil {
		return reportErr(stdout, stderr, false, "", err)
	}
	defer st.Close()
	if *out == "-" {
		if err := st.WriteBundle(stdout, -1, progress(stderr, "exporting")); err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
		return nil
	}
	err = writeFileAtomic(*out, func(w io.Writer) error { return st.WriteBundle(w, -1, progress(stderr, "exporting")) })
	if err != nil {
		return reportErr(stdout, stderr, false, "", err)
	}
	fmt.Fprintf(stderr, "exported %d entries of log %s to %s\n", st.Len(), st.Origin(), *out)
	return nil
}

func ledgerVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ledger verify", "BUNDLE --key VKEY [--origin ORIGIN] [--json]  |  --data-dir DIR [--json]", ledgerHelp, stderr)
	dataDir := dataDirFlag(fs, "", "verify the store in this data directory instead of a bundle")
	storeURL := fs.String("store", "", "verify the log in this PostgreSQL database (postgres://...) instead of a bundle")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	key := fs.String("key", "", "the verifier key you trust (or a file holding it); required for a bundle")
	origin := fs.String("origin", "", "the origin the log must have (default: the name of the pinned key)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	var rep *ledger.Report
	switch {
	case *dataDir != "" || *storeURL != "":
		if err := wantArgs(fs, pos, 0, "no BUNDLE with --data-dir or --store"); err != nil {
			return err
		}
		st, err := logLocation{dataDir, storeURL}.openReadOnly(ctx)
		if err != nil {
			return reportErr(stdout, stderr, *asJSON, "", err)
		}
		defer st.Close()
		if *key != "" {
			v, err := keyfile.ParseVerifier(*key)
			if err != nil {
				return reportErr(stdout, stderr, *asJSON, "", err)
			}
			if v.String() != st.VerifierKey() {
				return reportErr(stdout, stderr, *asJSON, "", &nu.Error{Code: ledger.CodeKeyMismatch, Category: ledger.CategoryLedger,
					Message: "the store is signed by " + st.VerifierKey() + ", not by the pinned key", Remediation: "pin the key of this log"})
			}
		}
		if *origin != "" && *origin != st.Origin() {
			return reportErr(stdout, stderr, *asJSON, "", &nu.Error{Code: ledger.CodeOrigin, Category: ledger.CategoryLedger,
				Message: "the store holds log " + strconv.Quote(st.Origin()) + ", not " + strconv.Quote(*origin), Remediation: "verify the data directory of the log you meant, or drop --origin"})
		}
		p := progress(stderr, "verifying")
		rep, _ = st.VerifyContext(ctx, func(ph logstore.VerifyPhase, done, total int64) {
			if ph == logstore.PhaseEntries && p != nil {
				p(done, total)
			}
		})
	default:
		if err := wantArgs(fs, pos, 1, "one BUNDLE"); err != nil {
			return err
		}
		if *key == "" {
			fmt.Fprintln(stderr, "ebios ledger verify: --key VKEY is required: a bundle's own key proves nothing")
			return exitError{exitUsage}
		}
		v, err := keyfile.ParseVerifier(*key)
		if err != nil {
			return reportErr(stdout, stderr, *asJSON, "", err)
		}
		f, err := os.Open(pos[0]) // #nosec G703 -- pos[0] is the bundle the operator names on the command line
		if err != nil {
			return reportErr(stdout, stderr, *asJSON, "", &nu.Error{Code: ledger.CodeBundle, Category: ledger.CategoryLedger,
				Message: "cannot open bundle " + pos[0], Details: err.Error(), Remediation: "give the path of an exported bundle"})
		}
		defer f.Close()
		rep, _ = ledger.VerifyBundle(f, v, &ledger.VerifyOptions{Origin: *origin, Progress: progress(stderr, "verifying")})
	}
	return verdict(stdout, rep, *asJSON)
}

// verdict prints a verification report (JSON, or for a person) and exits
// 1 when it did not pass.
func verdict(stdout io.Writer, rep *ledger.Report, asJSON bool) error {
	if asJSON {
		if err := writeJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		printReport(stdout, rep)
	}
	if !rep.OK {
		return exitError{exitFail}
	}
	return nil
}

func printReport(w io.Writer, rep *ledger.Report) {
	if rep.OK {
		fmt.Fprintf(w, "OK: %d entries of log %q verified\n", rep.Entries, rep.Origin)
		fmt.Fprintf(w, "  checked: checkpoint signature by the pinned key %s; every entry's signature, index,\n", rep.Key)
		fmt.Fprintf(w, "  chain link (prev_hash), op id and parent op id; Merkle root %s of tree size %d\n", rep.Root, rep.TreeSize)
		return
	}
	f := rep.FirstBad
	if f == nil {
		fmt.Fprintln(w, "FAILED")
		return
	}
	where := "the bundle"
	if f.Index >= 0 {
		where = "entry " + strconv.FormatInt(f.Index, 10)
	}
	fmt.Fprintf(w, "FAILED at %s, check %q: %s %s\n", where, f.Check, f.Code, f.Reason)
	if f.Remediation != "" {
		fmt.Fprintf(w, "  fix: %s\n", f.Remediation)
	}
	fmt.Fprintf(w, "  %d entries before it verified\n", rep.Entries)
}

func ledgerCheckpoint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ledger checkpoint", "--data-dir DIR", ledgerHelp, stderr)
	loc, _ := logFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, "no arguments"); err != nil {
		return err
	}
	st, err := loc.openReadOnly(ctx)
	if err != nil {
		return reportErr(stdout, stderr, false, "", err)
	}
	defer st.Close()
	_, err = stdout.Write(st.Checkpoint())
	return err
}

func ledgerTrace(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ledger trace", "OPID --data-dir DIR [--json]", ledgerHelp, stderr)
	loc, asJSON := logFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "one OPID"); err != nil {
		return err
	}
	st, err := loc.openReadOnly(ctx)
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	defer st.Close()
	t, err := ledger.Trace(st, pos[0], 0)
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	if *asJSON {
		return writeJSON(stdout, map[string]any{"entry": t.Entry, "ancestors": t.Ancestors, "children": t.Children})
	}
	line := func(prefix string, e *ledger.Entry) {
		out := ""
		if e.Output != nil {
			m, _ := nu.ParseMode(e.Mode) // an unknown mode shows like nu
			out = " = " + e.Output.FormatIn(m, 2)
		}
		what := e.Operation
		if e.Expression != "" {
			what += " " + e.Expression
		}
		fmt.Fprintf(stdout, "%s#%d %s %s%s  [%s]\n", prefix, e.Index, e.OpID, what, out, time.Unix(0, e.Timestamp).UTC().Format(time.RFC3339))
	}
	for i := len(t.Ancestors) - 1; i >= 0; i-- {
		line("ancestor ", t.Ancestors[i])
	}
	line("entry    ", t.Entry)
	for _, c := range t.Children {
		line("child    ", c)
	}
	return nil
}

func ledgerProof(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ledger proof", "INDEX --data-dir DIR [--json]", ledgerHelp, stderr)
	loc, asJSON := logFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "one INDEX"); err != nil {
		return err
	}
	index, err := strconv.ParseUint(pos[0], 10, 63)
	if err != nil {
		fmt.Fprintf(stderr, "ebios ledger proof: INDEX must be a non-negative integer, got %q\n", pos[0])
		return exitError{exitUsage}
	}
	st, err := loc.openReadOnly(ctx)
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	defer st.Close()
	cp := st.Checkpoint()
	size := int64(st.Len()) // #nosec G115 -- the log's length is a tree size, below 2^63 (tlog sizes are int64)
	e, err := st.Get(index)
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	p, err := st.InclusionProof(int64(index), size)
	if err == nil {
		// Check the proof before handing it out.
		v, _ := ledger.ParseVerifierKey(st.VerifierKey())
		_, err = ledger.VerifyInclusion(v, st.Origin(), cp, e, p)
	}
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	if *asJSON {
		return writeJSON(stdout, map[string]any{"index": index, "tree_size": size, "leaf_hash": e.Hash(st.Origin()),
			"proof": hashes(p), "checkpoint": string(cp), "entry": e})
	}
	fmt.Fprintf(stdout, "entry %d (op id %s), leaf hash %s\ninclusion proof in tree size %d (%d hashes):\n", index, e.OpID, e.Hash(st.Origin()), size, len(p))
	for _, h := range p {
		fmt.Fprintf(stdout, "  %s\n", h)
	}
	fmt.Fprintf(stdout, "checkpoint:\n%s", cp)
	return nil
}

func ledgerConsistency(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ledger consistency", "OLD_CHECKPOINT --data-dir DIR [--json]", ledgerHelp, stderr)
	loc, asJSON := logFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "one OLD_CHECKPOINT file"); err != nil {
		return err
	}
	old, err := os.ReadFile(pos[0]) // #nosec G703 -- pos[0] is the checkpoint file the operator names on the command line
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", &nu.Error{Code: ledger.CodeCheckpoint, Category: ledger.CategoryLedger,
			Message: "cannot read " + pos[0], Details: err.Error(), Remediation: "give a file holding a checkpoint saved with `ebios ledger checkpoint`"})
	}
	st, err := loc.openReadOnly(ctx)
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	defer st.Close()
	v, _ := ledger.ParseVerifierKey(st.VerifierKey())
	oc, err := ledger.OpenCheckpoint(old, v, st.Origin())
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	cur := st.Checkpoint()
	nc, err := ledger.OpenCheckpoint(cur, v, st.Origin())
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	var p tlog.TreeProof
	if oc.Size <= nc.Size {
		p, err = st.ConsistencyProof(oc.Size, nc.Size)
	}
	if err == nil {
		_, err = ledger.VerifyConsistency(v, st.Origin(), old, cur, p)
	}
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	if *asJSON {
		return writeJSON(stdout, map[string]any{"old_size": oc.Size, "new_size": nc.Size, "proof": hashes(p), "checkpoint": string(cur)})
	}
	fmt.Fprintf(stdout, "OK: the log of size %d extends the checkpoint of size %d (%d proof hashes)\n", nc.Size, oc.Size, len(p))
	for _, h := range p {
		fmt.Fprintf(stdout, "  %s\n", h)
	}
	fmt.Fprintf(stdout, "current checkpoint:\n%s", cur)
	return nil
}

func hashes(p []tlog.Hash) []string {
	out := make([]string, len(p))
	for i, h := range p {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// progress returns a progress callback that draws a bar on stderr when it
// is a terminal, and nil (no output) otherwise.
func progress(stderr io.Writer, what string) func(done, total int64) {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	var last time.Time
	return func(done, total int64) {
		if done < total && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		const width = 30
		fill := width
		if total > 0 {
			fill = int(done * width / total)
		}
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = ' '
			if i < fill {
				bar[i] = '='
			}
		}
		fmt.Fprintf(f, "\r%s [%s] %d/%d", what, bar, done, total)
		if done >= total {
			fmt.Fprintln(f)
		}
	}
}

const ledgerFsckHelp = `Check the ledger store in DIR (ledger.db and the tile/ directory next to
it) without opening it, so also a store the server refuses to open: the end
of ledger.db (an unfinished last write), the metadata, the batch rows (none
missing, none overlapping), the checkpoint (it verifies against the store's
key, meta:verifier, and is not ahead of the data), every sealed tile file
(entry bundles and hash tiles), the Merkle root against the checkpoint, the
last entry, and the op ids (none twice; every parent op id that of an
earlier entry). It prints one line per damaged thing: where it is (a byte of
ledger.db, a batch row, a key, a tile file, an entry), what is wrong,
whether it is recoverable, and what --repair does about it or what to do
instead. Each entry's signature is checked by "ebios ledger verify
--data-dir DIR", not here.

Without --repair nothing is changed: fsck examines a copy of ledger.db (in
$TMPDIR, which needs room for it). --repair does only what opening the store
does anyway, and only with data the checkpoint proves: it cuts an unfinished
last write off ledger.db, finishes a crash between sealing tiles and
deleting their rows, removes temporary files, and writes a missing or
altered tile file again from what it was made of (a hash tile from its
entry bundle, an entry bundle from the batch rows still in ledger.db). It
never deletes an acknowledged entry and never writes a checkpoint. It then
checks again and reports what remains. For damage it cannot repair, restore
ledger.db and tile/ together from a backup.

The exit status is 0 when no damage remains, 1 otherwise. --json prints
  {"ok": false, "path": "DIR/ledger.db", "format": "4", "size": 3000,
   "sealed": 2816, "findings": [{"kind": "tile-missing",
   "where": "tile/0/004", "index": 1024, "what": "...", "recoverable": true,
   "action": "..."}], "repaired": ["..."], "skipped": ["..."]}
size is the tree size of the checkpoint (0 when none verifies), sealed the
entries in tile files; index (the first entry concerned) is left out when a
finding concerns no entry; repaired lists what --repair did, skipped the
checks earlier damage prevented. The kinds are tail-torn, tail-damaged,
file, metadata, unfinished-commit, checkpoint, sealed, row, rows-missing,
rows-leftover, tile-missing, tile-damaged, tile-mismatch, root, last-entry,
op-id, parent-op-id and temp-files. The server must not have the store open
(fsck takes its lock).
`

func ledgerFsck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ledger fsck", "--data-dir DIR [--repair] [--json]", ledgerFsckHelp, stderr)
	dataDir, asJSON := dataFlags(fs)
	repair := fs.Bool("repair", false, "repair what is safe (what opening the store does), then check again")
	storeURL := fs.String("store", "", "check the log in this PostgreSQL database (postgres://...): the rows, tree hashes and checkpoints, then the entries")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, "no arguments"); err != nil {
		return err
	}
	if *storeURL != "" {
		return fsckPostgres(ctx, *storeURL, *repair, *asJSON, stdout, stderr)
	}
	rep, err := ledgerstore.Fsck(storePath(*dataDir), &ledgerstore.FsckOptions{Repair: *repair, Progress: progress(stderr, "checking tiles")})
	if rep == nil { // it could not check: no store, in use, I/O
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	if *asJSON {
		if err := writeJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		printFsck(stdout, rep)
	}
	if err != nil { // a repair failed: the report is the check before it
		return reportErr(stdout, stderr, false, "", err)
	}
	if !rep.OK {
		return exitError{exitFail}
	}
	return nil
}

// fsckPostgres checks a log in PostgreSQL: what verify --store does, as
// fsck's answer (there is nothing to repair in place: a damaged database
// is restored from a backup).
func fsckPostgres(ctx context.Context, url string, repair, asJSON bool, stdout, stderr io.Writer) error {
	if repair {
		return reportErr(stdout, stderr, asJSON, "", &nu.Error{Code: ledgerstore.CodeDamaged, Category: ledger.CategoryLedger,
			Message: "fsck --repair does not change a PostgreSQL store", Remediation: "drop --repair; restore a damaged database from a backup (pg_dump or PITR), then verify it"})
	}
	st, err := pgstore.OpenReadOnly(ctx, url)
	if err != nil {
		return reportErr(stdout, stderr, asJSON, "", err)
	}
	defer st.Close()
	p := progress(stderr, "checking")
	rep, err := st.VerifyContext(ctx, func(_ logstore.VerifyPhase, done, total int64) {
		if p != nil {
			p(done, total)
		}
	})
	if rep == nil {
		return reportErr(stdout, stderr, asJSON, "", err)
	}
	return verdict(stdout, rep, asJSON)
}

// printFsck prints an fsck report for a person: one line per finding.
func printFsck(w io.Writer, rep *ledgerstore.FsckReport) {
	if rep.Format != "" {
		fmt.Fprintf(w, "fsck %s: store format %s, tree size %d, %d entries sealed in tile files\n", rep.Path, rep.Format, rep.Size, rep.Sealed)
	} else {
		fmt.Fprintf(w, "fsck %s\n", rep.Path)
	}
	for _, r := range rep.Repaired {
		fmt.Fprintf(w, "repaired: %s\n", r)
	}
	recoverable := 0
	for _, f := range rep.Findings {
		where := f.Where
		if f.Index != nil {
			where += fmt.Sprintf(" (entry %d)", *f.Index)
		}
		how := "NOT recoverable"
		if f.Recoverable {
			how = "recoverable"
			recoverable++
		}
		fmt.Fprintf(w, "DAMAGED %s: %s; %s: %s\n", where, f.What, how, f.Action)
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "not checked: %s\n", s)
	}
	switch {
	case rep.OK:
		fmt.Fprintln(w, "OK: no damage found")
	case recoverable == len(rep.Findings):
		fmt.Fprintf(w, "FAILED: %d finding(s), all recoverable: run again with --repair\n", len(rep.Findings))
	case recoverable > 0:
		fmt.Fprintf(w, "FAILED: %d finding(s), %d recoverable with --repair; for the others, see their lines\n", len(rep.Findings), recoverable)
	default:
		fmt.Fprintf(w, "FAILED: %d finding(s), none recoverable by fsck: see their lines\n", len(rep.Findings))
	}
}

const ledgerMigrateHelp = `Bring the ledger store in DIR from store format 2 or 3 to the current
format, 4 (the server does the same when it opens such a store with its
key): the store is marked format 4, its full tiles of 256 entries are sealed
into tile files, and their batch rows leave ledger.db. The checkpoint is
kept: migrate prints the store format, and the checkpoint's tree size and
root (base64), before and after, and fails if they differ. Migrating signs
nothing, so --key is optional; given (the signer key file, as for serve),
the store must have been written with that key. A store that does not
verify is not migrated (see ebios ledger fsck); one in format 4 already is
left as it is (exit 0). The server must not have the store open.
`

func ledgerMigrate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ledger migrate", "--data-dir DIR [--key KEYFILE] [--json]", ledgerMigrateHelp, stderr)
	dataDir, asJSON := dataFlags(fs)
	keyFile := fs.String("key", "", "the log's signer key file (optional: the store must have been written with it)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, "no arguments"); err != nil {
		return err
	}
	var signer *ledger.Signer
	if *keyFile != "" {
		if signer, err = keyfile.LoadSigner(*keyFile); err != nil {
			return reportErr(stdout, stderr, *asJSON, "", err)
		}
	}
	res, err := ledgerstore.Migrate(storePath(*dataDir), signer)
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	head := func(h ledgerstore.TreeHead) string {
		return fmt.Sprintf("tree size %d, root %s", h.Size, h.Root)
	}
	if !res.Migrated {
		fmt.Fprintf(stdout, "the store is in store format %s already: nothing to migrate\ncheckpoint: %s\n", res.FormatAfter, head(res.After))
		return nil
	}
	fmt.Fprintf(stdout, "store format %s -> %s\n", res.FormatBefore, res.FormatAfter)
	fmt.Fprintf(stdout, "checkpoint before: %s\n", head(res.Before))
	fmt.Fprintf(stdout, "checkpoint after:  %s (unchanged)\n", head(res.After))
	fmt.Fprintf(stdout, "%d entries sealed into tile files\n", res.Sealed)
	if res.SealStopped != "" {
		fmt.Fprintf(stdout, "sealing stopped early: %s\n", res.SealStopped)
	}
	return nil
}
