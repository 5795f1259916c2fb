package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/governance/certify"
)

const certifyHelp = `Attest and verify the certification evidence bundle that make certify
writes (build/certify/ebios-evidence-VERSION; docs/certification.md).

  ebios certify attest --data-dir DIR --key FILE --bundle BUNDLE-DIR [--json]
      checks every file of the bundle against its manifest.json and appends
      a signed "certify.attest" entry carrying the manifest's Merkle root to
      the ledger
  ebios certify verify --bundle BUNDLE-DIR [--ledger LEDGER.json --key VKEY] [--json]
      recomputes every file's SHA-256 and the root, and fails naming each
      file that changed, was added or is missing; given an exported ledger
      (ebios ledger export) and the verifier key you trust, it also checks
      that the ledger verifies and holds an attestation of exactly this root

Exit status: 0 when every check passed, 1 when one failed, 2 for a wrong
command line.
`

func runCertify(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "attest" && args[0] != "verify") {
		return groupUsage(stderr, args, "Usage: ebios certify attest|verify ...\n\n"+certifyHelp)
	}
	sub := args[0]
	synopsis := "--bundle BUNDLE-DIR [--ledger LEDGER.json --key VKEY] [--json]"
	if sub == "attest" {
		synopsis = "--data-dir DIR --key FILE --bundle BUNDLE-DIR [--json]"
	}
	fs := newFlags("certify "+sub, synopsis, certifyHelp, stderr)
	bundleDir := fs.String("bundle", "", "the evidence bundle directory (required)")
	asJSON := fs.Bool("json", false, "print JSON")
	var dataDir, key, ledgerFile *string
	if sub == "attest" {
		dataDir = dataDirFlag(fs, "data", "data directory of the ledger")
		key = fs.String("key", "", "signer key file of the ledger (required)")
	} else {
		ledgerFile = fs.String("ledger", "", "an exported ledger bundle (ebios ledger export) to look for the attestation in")
		key = fs.String("key", "", "with --ledger: the ledger's verifier key you trust (or a file holding it)")
	}
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, "no arguments"); err != nil {
		return err
	}
	if err := requireFlag(fs, *bundleDir, "--bundle BUNDLE-DIR"); err != nil {
		return err
	}
	if sub == "attest" {
		if err := requireFlag(fs, *key, "--key FILE"); err != nil {
			return err
		}
		return certifyAttest(ctx, *bundleDir, *dataDir, *key, *asJSON, stdout, stderr)
	}
	var r io.Reader
	if *ledgerFile != "" {
		if *key == "" {
			fmt.Fprintln(stderr, "ebios certify verify: --ledger needs --key VKEY, the ledger's verifier key you trust")
			return exitError{exitUsage}
		}
		f, err := os.Open(*ledgerFile) // #nosec G304 G703 -- the operator's own --ledger argument
		if err != nil {
			return reportErr(stdout, stderr, *asJSON, "", &nu.Error{Code: certify.CodeLedger, Category: certify.CategoryCertify,
				Message: "cannot open the ledger bundle " + *ledgerFile, Details: err.Error(),
				Remediation: "give the path of a bundle written by `ebios ledger export`"})
		}
		defer f.Close()
		r = f
		if v, err := keyfileVerifier(*key); err == nil {
			*key = v
		}
	} else if *key != "" {
		fmt.Fprintln(stderr, "ebios certify verify: --key is the ledger's verifier key: give it with --ledger LEDGER.json")
		return exitError{exitUsage}
	}
	rep, verr := certify.Verify(*bundleDir, r, *key)
	if *asJSON {
		out := struct {
			*certify.Report
			Error *nu.Error `json:"error,omitempty"`
		}{Report: rep}
		if e, ok := nu.AsError(verr); ok {
			out.Error = e
		}
		if err := writeJSON(stdout, out); err != nil {
			return err // a report that cannot be written must not pass for one
		}
	} else {
		fmt.Fprint(stdout, rep.String())
		if e, ok := nu.AsError(verr); ok {
			printError(stderr, "", e)
		}
	}
	if !rep.OK {
		return exitError{exitFail}
	}
	return nil
}

func certifyAttest(ctx context.Context, bundleDir, dataDir, keyFile string, asJSON bool, stdout, stderr io.Writer) error {
	m, err := certify.Load(bundleDir)
	if err != nil {
		return reportErr(stdout, stderr, asJSON, "", err)
	}
	d, m, err := certify.Attest(bundleDir, certify.OpID(m, time.Now()))
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
		return writeJSON(stdout, map[string]any{"index": e.Index, "op_id": e.OpID, "bundle": m.Bundle, "root": m.RootHex(), "expression": e.Expression})
	}
	fmt.Fprintf(stdout, "attested evidence bundle %s (%d files, root %s) as entry %d (op id %s)\n",
		m.Bundle, len(m.Files), m.RootHex(), e.Index, e.OpID)
	return nil
}
