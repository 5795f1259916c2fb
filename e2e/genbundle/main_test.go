package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/ledger"
)

// TestGenbundle: the bundle verifies against the key genbundle prints and
// holds the entries asked for; a missing -out is a usage error.
func TestGenbundle(t *testing.T) {
	out := filepath.Join(t.TempDir(), "b.json")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-n", "7", "-out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (%s)", err, stderr.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := ledger.VerifyBundleKey(f, strings.TrimSpace(stdout.String()), nil)
	if err != nil || !rep.OK || rep.Entries != 7 {
		t.Fatalf("bundle: %+v, %v", rep, err)
	}
	if err := run(context.Background(), []string{"-n", "3"}, &stdout, &stderr); err == nil {
		t.Fatal("run without -out succeeded")
	}
}
