package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/proofs/attest"
)

const proofsHelp = `Attest and verify the machine-checked proofs of the algebra.

  ebios proofs attest --data-dir DIR --key FILE [--dir proofs] [--manifest FILE]
      checks the proof files against the manifest and appends a signed
      "proofs.attest" entry carrying the manifest's Merkle root to the ledger
  ebios proofs verify [--dir proofs] [--manifest FILE] [--bundle BUNDLE --key VKEY] [--json]
      checks the proof files against the manifest and, given an exported
      ledger bundle and the verifier key you trust, that the ledger verifies
      and holds an attestation of exactly this manifest

The proofs themselves are checked by Coq: make proofs.
`

func runProofs(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "attest" && args[0] != "verify") {
		return groupUsage(stderr, args, "Usage: ebios proofs attest|verify ...\n\n"+proofsHelp)
	}
	fs := newFlags("proofs "+args[0], "[flags]", proofsHelp, stderr)
	dir := fs.String("dir", "proofs", "directory of the Coq proofs")
	manifest := fs.String("manifest", "", "manifest file (default DIR/manifest.json)")
	dataDir := dataDirFlag(fs, "data", "data directory of the ledger (attest)")
	key := fs.String("key", "", "attest: signer key file; verify: the verifier key you trust (or a file holding it)")
	bundle := fs.String("bundle", "", "verify: an exported ledger bundle to look for the attestation in")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, "no arguments"); err != nil {
		return err
	}
	if *manifest == "" {
		*manifest = *dir + "/manifest.json"
	}
	if args[0] == "attest" {
		if err := requireFlag(fs, *key, "--key FILE"); err != nil {
			return err
		}
		return proofsAttest(ctx, *dir, *manifest, *dataDir, *key, *asJSON, stdout, stderr)
	}
	var r io.Reader
	if *bundle != "" {
		if *key == "" {
			fmt.Fprintln(stderr, "ebios proofs verify: --bundle needs --key VKEY, the verifier key you trust")
			return exitError{exitUsage}
		}
		f, err := os.Open(*bundle) // #nosec G703 -- the operator's own --bundle flag
		if err != nil {
			return reportErr(stdout, stderr, *asJSON, "", &nu.Error{Code: "PROOFS_005", Category: "proofs",
				Message: "cannot open bundle " + *bundle, Details: err.Error(), Remediation: "give the path of a bundle from `ebios ledger export`"})
		}
		defer f.Close()
		r = f
		if v, err := keyfileVerifier(*key); err == nil {
			*key = v
		}
	}
	rep, _ := attest.Verify(*dir, *manifest, r, *key)
	if *asJSON {
		if err := writeJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprint(stdout, rep.String())
	}
	if !rep.OK {
		return exitError{exitFail}
	}
	return nil
}

func proofsAttest(ctx context.Context, dir, manifest, dataDir, keyFile string, asJSON bool, stdout, stderr io.Writer) error {
	m, err := attest.Load(manifest)
	if err != nil {
		return reportErr(stdout, stderr, asJSON, "", err)
	}
	d, m, err := attest.Attest(dir, manifest, attest.OpID(m, time.Now()))
	if err != nil {
		return reportErr(stdout, stderr, asJSON, "", err)
	}
	st, err := openStore(dataDir, keyFile)
	if err != nil {
		return reportErr(stdout, stderr, asJSON, "", err)
	}
	defer st.Close()
	e, err := st.Append(ctx, d)
	if err != nil {
		return reportErr(stdout, stderr, asJSON, "", err)
	}
	if asJSON {
		return writeJSON(stdout, map[string]any{"index": e.Index, "op_id": e.OpID, "root": m.RootHex(), "expression": e.Expression})
	}
	fmt.Fprintf(stdout, "attested proofs manifest root %s as entry %d (op id %s)\n", m.RootHex(), e.Index, e.OpID)
	return nil
}
