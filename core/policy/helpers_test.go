package policy

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/note"
)

// templatesDir holds the shipped templates.
const templatesDir = "../../governance/policies"

var templateNames = []string{"conservative", "permissive", "audit_only"}

// newKey generates a fresh signer for a test.
func newKey(t testing.TB, name string) *ledger.Signer {
	t.Helper()
	skey, _, err := ledger.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ledger.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fixedKey derives a signer from a published seed, SHA-256 of phrase, so
// that signed bytes are reproducible.
func fixedKey(t testing.TB, name, phrase string) *ledger.Signer {
	t.Helper()
	seed := sha256.Sum256([]byte(phrase))
	priv := ed25519.NewKeyFromSeed(seed[:])
	vkey, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	hash := strings.Split(vkey, "+")[1]
	s, err := ledger.ParseSignerKey("PRIVATE+KEY+" + name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed[:]...)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readTemplate(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(templatesDir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantCode fails unless err is a *nu.Error of category policy with code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	e, ok := nu.AsError(err)
	if !ok {
		t.Fatalf("error %v is not a *nu.Error", err)
	}
	if e.Code != code || e.Category != CategoryPolicy || e.Message == "" || e.Remediation == "" {
		t.Fatalf("got %s (%s): %v; want code %s, category policy, message and remediation", e.Code, e.Category, err, code)
	}
	if !errors.Is(err, &nu.Error{Code: code}) {
		t.Fatalf("errors.Is does not match %s", code)
	}
}
