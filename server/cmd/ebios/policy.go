package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/policy"
	"github.com/ebios/ebios/server/keyfile"
)

const policyHelp = `Validate, sign, verify and show guard policies (docs/policies.md).

  ebios policy validate FILE [--json]             every error and warning, with its path
  ebios policy sign FILE --key SIGNER --out OUT   sign a template or policy (the key from "ebios key generate")
  ebios policy verify FILE --key VKEY [--json]    the check the server makes: signed, by VKEY, valid
  ebios policy show FILE [--key VKEY]             the rules in plain words (verified when --key is given)

Templates to start from: governance/policies/{conservative,permissive,audit_only}.json.
To put a policy in force, add its verifier key to the server's policies.trusted_keys
and POST it to /policies/activate as an admin.
`

func runPolicy(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	subs := map[string]bool{"validate": true, "sign": true, "verify": true, "show": true}
	if len(args) == 0 || !subs[args[0]] {
		return groupUsage(stderr, args, "Usage: ebios policy <command> FILE ...\n\n"+policyHelp)
	}
	sub := args[0]
	fs := newFlags("policy "+sub, "FILE [flags]", policyHelp, stderr)
	key := fs.String("key", "", "sign: signer key file; verify, show: the verifier key you trust (or a file holding it)")
	out := fs.String("out", "", "sign: where to write the signed policy")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "one FILE"); err != nil {
		return err
	}
	doc, err := os.ReadFile(pos[0]) // #nosec G703 -- pos[0] is the policy file the operator names on the command line
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", &nu.Error{Code: policy.CodeSyntax, Category: "policy",
			Message: "cannot read " + pos[0], Details: err.Error(), Remediation: "give the path of a policy JSON file"})
	}
	switch sub {
	case "validate":
		issues := policy.Validate(doc)
		if *asJSON {
			if issues == nil {
				issues = []policy.Issue{}
			}
			if err := writeJSON(stdout, map[string]any{"ok": !policy.HasErrors(issues), "issues": issues}); err != nil {
				return err
			}
		} else {
			for _, i := range issues {
				fmt.Fprintln(stdout, i)
			}
			if !policy.HasErrors(issues) {
				fmt.Fprintf(stdout, "%s: valid (%d warning(s))\n", pos[0], len(issues))
			}
		}
		if policy.HasErrors(issues) {
			return exitError{exitFail}
		}
		return nil
	case "sign":
		if *key == "" || *out == "" {
			fmt.Fprintln(stderr, "ebios policy sign: --key SIGNER and --out OUT are required")
			return exitError{exitUsage}
		}
		s, err := keyfile.LoadSigner(*key)
		if err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
		signed, err := policy.SignTemplate(doc, s)
		if err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
		if err := writeFileAtomic(*out, func(w io.Writer) error { _, err := w.Write(signed); return err }); err != nil {
			return err
		}
		p, err := policy.Parse(signed, []*ledger.Verifier{s.Verifier()})
		if err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
		fmt.Fprintf(stdout, "signed %s %s as %s\npolicy_hash %s\nverifier key %s\n", p.Name(), p.Version(), *out, p.HashHex(), s.Verifier())
		return nil
	}
	// verify, show
	if *key == "" {
		if sub == "verify" {
			fmt.Fprintln(stderr, "ebios policy verify: --key VKEY is required: a policy's own key proves nothing")
			return exitError{exitUsage}
		}
		t, err := policy.LoadTemplate(doc)
		if err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
		fmt.Fprint(stdout, policy.ShowTemplate(t))
		fmt.Fprintln(stdout, "(signature not checked: give --key VKEY to verify it)")
		return nil
	}
	v, err := keyfile.ParseVerifier(*key)
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	p, err := policy.Parse(doc, []*ledger.Verifier{v})
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	if sub == "show" {
		fmt.Fprint(stdout, policy.Show(p))
		return nil
	}
	if *asJSON {
		return writeJSON(stdout, map[string]any{"ok": true, "name": p.Name(), "version": p.Version(), "policy_hash": p.HashHex(),
			"key": p.Signer().String(), "warnings": p.Warnings()})
	}
	fmt.Fprintf(stdout, "OK: %s %s, policy_hash %s, signed by %s\n", p.Name(), p.Version(), p.HashHex(), p.Signer())
	for _, w := range p.Warnings() {
		fmt.Fprintln(stdout, w)
	}
	return nil
}
