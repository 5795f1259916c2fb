package keyfile

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
)

func code(err error) string {
	if e, ok := nu.AsError(err); ok {
		return e.Code
	}
	return ""
}

func TestGenerateLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "signer.key")
	vkey, err := Generate(rand.Reader, path, "example.com/log", false)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", fi.Mode().Perm())
	}
	s, err := LoadSigner(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Verifier().String() != vkey || s.Name() != "example.com/log" {
		t.Fatalf("loaded %s, printed %s", s.Verifier(), vkey)
	}
	if _, err := Generate(rand.Reader, path, "example.com/log", false); code(err) != CodeExists {
		t.Fatalf("overwrite: %v", err)
	}
	v2, err := Generate(rand.Reader, path, "example.com/log", true)
	if err != nil || v2 == vkey {
		t.Fatalf("--force: %v", err)
	}
	// Verifier keys parse from the string or from a file.
	if v, err := ParseVerifier(vkey); err != nil || v.String() != vkey {
		t.Fatal(err)
	}
	vf := filepath.Join(dir, "v.pub")
	os.WriteFile(vf, []byte(vkey+"\n"), 0o644)
	if v, err := ParseVerifier(vf); err != nil || v.String() != vkey {
		t.Fatal(err)
	}
	if _, err := ParseVerifier("nonsense"); code(err) != CodeBadKey {
		t.Fatalf("bad verifier: %v", err)
	}
	// A missing directory is made, private.
	nested := filepath.Join(dir, "data", "keys", "ledger.key")
	if _, err := Generate(rand.Reader, nested, "example.com/log", false); err != nil {
		t.Fatalf("into a missing directory: %v", err)
	}
	if fi, _ := os.Stat(filepath.Dir(nested)); fi.Mode().Perm() != 0o700 {
		t.Errorf("made directory mode %o", fi.Mode().Perm())
	}
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o600)
	if _, err := Generate(rand.Reader, filepath.Join(blocker, "k"), "example.com/log", false); code(err) != CodeWriteKey {
		t.Errorf("under a file: %v", err)
	}
}

func TestLoadRefusals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "signer.key")
	if _, err := LoadSigner(path); code(err) != CodeMissing {
		t.Fatalf("missing: %v", err)
	}
	Generate(rand.Reader, path, "example.com/log", false)
	os.Chmod(path, 0o644)
	if _, err := LoadSigner(path); code(err) != CodeExposed {
		t.Fatalf("exposed: %v", err)
	}
	os.WriteFile(path, []byte("not a key"), 0o600)
	os.Chmod(path, 0o600)
	if _, err := LoadSigner(path); code(err) != CodeBadKey {
		t.Fatalf("garbage: %v", err)
	}
}

func TestDevSigner(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	s1, err := DevSigner(rand.Reader, filepath.Join(dir, "ledger.key"), &out)
	if err != nil || !strings.Contains(out.String(), "created a development ledger key") {
		t.Fatalf("%v %q", err, out.String())
	}
	out.Reset()
	s2, err := DevSigner(rand.Reader, filepath.Join(dir, "ledger.key"), &out)
	if err != nil || out.Len() != 0 || s1.Verifier().String() != s2.Verifier().String() {
		t.Fatal("dev key must be created once and reused")
	}
}
