package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/backup"
	"github.com/ebios/ebios/server/keyfile"
)

const restoreHelp = `Restore a backup (ebios backup) into an empty data directory.

  ebios restore BACKUP --data-dir EMPTYDIR [--key KEYFILE] [--pin-checkpoint FILE] [--json]

restore refuses a data directory that holds anything. It checks the backup
(manifest, every file's SHA-256, every signature and the Merkle root of the
log against the key), rebuilds the ledger from its bundle with the log's
signing key (--key; the ledger.key in the backup when it holds one, which is
then written into EMPTYDIR) and checks that every entry and the checkpoint
come out as in the backup, then restores users and policies. It builds
everything next to EMPTYDIR and moves it into place at the end: on any
failure nothing is left. Start the server on it as before
(ebios serve --data-dir EMPTYDIR --ledger-key KEYFILE); everybody logs in
again (the token key, jwt.secret, is made anew).

--pin-checkpoint FILE detects a rollback: FILE is a checkpoint of the log
you trust (ebios ledger checkpoint, GET /api/v1/checkpoint, an auditor's).
If it is no newer than the backup, the backup's log must contain it. If it
is newer, the backup is older than what was published: FILE must then be
the JSON answer of GET /api/v1/proofs/consistency?old=BACKUP_SIZE (or of
"ebios ledger consistency BACKUP/checkpoint --data-dir OLD --json"), which
proves the backup's log is a prefix of the pinned one; restore reports
how many entries are lost. Anything else is refused, naming both sizes.
`

func runRestore(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("restore", "BACKUP --data-dir EMPTYDIR [--key KEYFILE] [--pin-checkpoint FILE] [--json]", restoreHelp, stderr)
	dataDir := dataDirFlag(fs, "", "the empty (or new) data directory to restore into (required)")
	key := fs.String("key", "", "the log's signing key file (default: the one in the backup, if it holds one)")
	pinFile := fs.String("pin-checkpoint", "", "a newer checkpoint of the log (or a consistency proof's JSON) the backup must be consistent with")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "one BACKUP directory"); err != nil {
		return err
	}
	if err := requireFlag(fs, *dataDir, "--data-dir EMPTYDIR"); err != nil {
		return err
	}
	opts := backup.RestoreOptions{Progress: phaseProgress(stderr)}
	if *key != "" {
		if opts.Signer, err = keyfile.LoadSigner(*key); err != nil {
			return reportErr(stdout, stderr, *asJSON, "", err)
		}
	}
	if *pinFile != "" {
		if opts.Pin, err = os.ReadFile(*pinFile); err != nil { // #nosec G304 G703 -- the operator's own --pin-checkpoint flag
			return reportErr(stdout, stderr, *asJSON, "", &nu.Error{Code: ledger.CodeCheckpoint, Category: ledger.CategoryLedger,
				Message: "cannot read the pinned checkpoint " + *pinFile, Details: err.Error(), Remediation: "give a file saved with `ebios ledger checkpoint` or from GET /api/v1/proofs/consistency"})
		}
	}
	res, err := backup.Restore(ctx, pos[0], *dataDir, opts)
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	m := res.Manifest
	fmt.Fprintf(stdout, "restored %d entries of log %q, users and policies into %s\n", m.TreeSize, m.Origin, *dataDir)
	switch {
	case res.PinnedSize == 0:
		fmt.Fprintln(stdout, "  no checkpoint pinned: nothing shows whether newer entries existed (--pin-checkpoint)")
	case res.Lost > 0:
		fmt.Fprintf(stdout, "  ROLLBACK: the pinned checkpoint has %d entries, the backup %d: %d entries are lost (proven a prefix: no fork). Tell the auditors.\n",
			res.PinnedSize, m.TreeSize, res.Lost)
	default:
		fmt.Fprintf(stdout, "  consistent with the pinned checkpoint of size %d\n", res.PinnedSize)
	}
	fmt.Fprintf(stdout, "checkpoint:\n%s", res.Checkpoint)
	return nil
}
