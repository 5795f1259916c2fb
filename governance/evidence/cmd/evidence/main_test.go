package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebios/ebios/proofs/attest"
)

// fixtureRoot copies governance/evidence's fixture repository and writes
// its proof manifest.
func fixtureRoot(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "repo")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := attest.Build(filepath.Join(dst, "proofs"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dst, "proofs", "manifest.json"), m.Marshal(), 0o644)
	return dst
}

// TestRun runs the command as make certify does: check, then build from a
// test run, with its exit status taken from a file.
func TestRun(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"check", "--root", filepath.Join("..", "..", "..", "..")}, &out, &errb); err != nil {
		t.Fatalf("check of the repository: %v\n%s", err, errb.String())
	}
	root := fixtureRoot(t)
	run1 := filepath.Join("..", "..", "testdata", "run")
	exit := filepath.Join(t.TempDir(), "exit-status")
	os.WriteFile(exit, []byte("0\n"), 0o644)
	args := []string{"build", "--root", root, "--out", filepath.Join(root, "out"), "--version", "t1",
		"--test-json", filepath.Join(run1, "go-test.json"), "--cover", filepath.Join(run1, "cover.out"), "--test-exit-file", exit}
	out.Reset()
	if err := run(args, &out, &errb); err != nil {
		t.Fatalf("build: %v\n%s", err, errb.String())
	}
	for _, w := range []string{"wrote " + filepath.Join(root, "out", "ebios-evidence-t1") + ": 22 files, root ", "tests: 2 passed, 0 failed, 1 skipped", "ebios certify verify --bundle"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	info, _ := os.ReadFile(filepath.Join(root, "out", "ebios-evidence-t1", "build-info.json"))
	if !bytes.Contains(info, []byte(`"commit": "unknown"`)) {
		t.Errorf("outside a git tree the commit is unknown:\n%s", info)
	}

	// A failed run: the bundle is written, the command fails.
	os.WriteFile(exit, []byte("1\n"), 0o644)
	err := run(args, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "the test run failed") {
		t.Fatalf("failed run: %v", err)
	}
	// Stale sources fail the check.
	os.WriteFile(filepath.Join(root, "core", "fake", "fake_test.go"), []byte("package fake\n"), 0o644)
	if err := run([]string{"check", "--root", root}, &out, &errb); err == nil || !strings.Contains(err.Error(), "TestAdd") {
		t.Fatalf("check of stale sources: %v", err)
	}
	// Usage errors.
	for _, a := range [][]string{nil, {"frob"}, {"build"}, {"check", "extra"}, {"build", "--nope"}} {
		if err := run(a, &out, &errb); !errors.As(err, new(usageError)) {
			t.Errorf("%q: %v, want a usage error", a, err)
		}
	}
	if err := run([]string{"--help"}, &out, &errb); err != nil {
		t.Errorf("--help: %v", err)
	}
}
