package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/ebios/ebios/server/keyfile"
)

const keyHelp = `Generate the Ed25519 key that signs the log's entries and checkpoints.

  ebios key generate --out FILE [--name NAME] [--force]

writes the signer key to FILE (mode 0600) and prints the verifier key on
standard output. Give the verifier key to auditors: it is what they pin when
they verify an exported ledger (ebios ledger verify BUNDLE --key VKEY). NAME
is the log's origin, written into every checkpoint. Never lose FILE: old
entries can only be checked against the key that signed them.
`

func runKey(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "generate" {
		return groupUsage(stderr, args, "Usage: ebios key generate --out FILE [--name NAME] [--force]\n\n"+keyHelp)
	}
	fs := newFlags("key generate", "--out FILE [--name NAME] [--force]", keyHelp, stderr)
	out := fs.String("out", "", "file to write the signer key to (required)")
	name := fs.String("name", "ebios.local/log", "key name, used as the log origin (no spaces or '+')")
	force := fs.Bool("force", false, "overwrite an existing key file")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, "no arguments"); err != nil {
		return err
	}
	if err := requireFlag(fs, *out, "--out FILE"); err != nil {
		return err
	}
	vkey, err := keyfile.Generate(rand.Reader, *out, *name, *force)
	if err != nil {
		return reportErr(stdout, stderr, false, "", err)
	}
	fmt.Fprintln(stdout, vkey)
	fmt.Fprintf(stderr, "wrote the signer key to %s (keep it secret); the verifier key above is public\n", *out)
	return nil
}
