package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/ledger"
)

const (
	exampleKeyName   = "example.com/policy-signer"
	exampleKeyPhrase = "ebios policy example key"
	exampleGolden    = "testdata/example.md"
	exampleDoc       = "../../docs/policies.md"
	exampleBegin     = "<!-- BEGIN GENERATED EXAMPLE (go test ./core/policy -run TestWorkedExample -update) -->\n"
	exampleEnd       = "<!-- END GENERATED EXAMPLE -->\n"
)

// TestWorkedExample generates the worked example of docs/policies.md from
// the conservative template and a key derived from a published phrase, and
// checks that the golden file and the document contain it unchanged, so
// that the canonical hash of the template cannot drift silently.
func TestWorkedExample(t *testing.T) {
	s := fixedKey(t, exampleKeyName, exampleKeyPhrase)
	raw := readTemplate(t, "conservative")
	tpl, err := LoadTemplate(raw)
	if err != nil {
		t.Fatal(err)
	}
	canon := tpl.Canonical()
	hash := sha256.Sum256(canon)
	if hash != tpl.Hash() {
		t.Fatal("hash")
	}
	msg := SignedMessage(canon)
	doc, err := tpl.Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(doc, []*ledger.Verifier{s.Verifier()})
	if err != nil {
		t.Fatal(err)
	}
	sig := p.Signature()
	seed := sha256.Sum256([]byte(exampleKeyPhrase))

	var w strings.Builder
	pf := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	pf("Input: `governance/policies/conservative.json`. Its `config`, canonicalized\n")
	pf("(RFC 8785), is these %d bytes:\n\n```\n%s\n```\n\n", len(canon), canon)
	pf("policy_hash = SHA-256 of those bytes =\n`%x`\n(base64 `%s`, as `policy_hash` appears in ledger entries).\n\n", hash, base64.StdEncoding.EncodeToString(hash[:]))
	pf("Signing key (public example key, never use it): Ed25519 seed = SHA-256(%q) =\n`%x`, named `%s`; its verifier key is\n\n```\n%s\n```\n\n", exampleKeyPhrase, seed, exampleKeyName, s.VerifierKey())
	pf("Signed message = `ebios-policy` 0x00 0x01 ‖ canonical config (%d bytes), starting\n`%s…`.\n", len(msg), hex.EncodeToString(msg[:24]))
	pf("Its Ed25519 signature (deterministic) in standard base64:\n\n```\n%s\n```\n\n", base64.StdEncoding.EncodeToString(sig))
	pf("The signed document, as `ebios policy sign` writes it:\n\n```json\n%s```\n\n", doc)
	pf("`ebios policy show` of it:\n\n```\n%s```\n", Show(p))
	got := w.String()

	// Restate the steps independently of the package's helpers.
	if !bytes.Equal(msg, append([]byte("ebios-policy\x00\x01"), canon...)) || !s.Verifier().Verify(msg, sig) {
		t.Fatal("signed message or signature")
	}
	if !bytes.Contains(doc, []byte(`"policy_hash": "`+hex.EncodeToString(hash[:])+`"`)) {
		t.Fatal("policy_hash not in the document")
	}
	if *update {
		if err := os.WriteFile(exampleGolden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := os.ReadFile(exampleDoc)
		if err != nil {
			t.Fatal(err)
		}
		i, j := bytes.Index(d, []byte(exampleBegin)), bytes.Index(d, []byte(exampleEnd))
		if i < 0 || j < i {
			t.Fatalf("%s lacks the example markers", exampleDoc)
		}
		d = append(append(append([]byte{}, d[:i+len(exampleBegin)]...), got...), d[j:]...)
		if err := os.WriteFile(exampleDoc, d, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(exampleGolden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Fatalf("%s is stale (the canonical form or hash changed?); run go test ./core/policy -run TestWorkedExample -update and review the diff", exampleGolden)
	}
	d, err := os.ReadFile(exampleDoc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(d, []byte(exampleBegin+got+exampleEnd)) {
		t.Fatalf("the worked example in %s is stale; run go test ./core/policy -run TestWorkedExample -update", exampleDoc)
	}
}

// The guard in three steps: evaluate a result, decide, record.
func ExampleConfig_Evaluate() {
	cfg := &Config{
		Rules: []Rule{
			InvariantRule{Name: "invariant"},
			CoverageRule{Name: "max_coverage", Threshold: 0.05, Level: ledger.LevelError},
			ThresholdRule{Name: "max_uncertainty", MaxUncertainty: 1, Level: ledger.LevelWarning},
		},
		Escalation: &Escalation{HaltOnCritical: true, AutoLog: true},
	}
	for _, v := range [][2]float64{{100, 0.5}, {10, 2}, {1, -1}} {
		evs := cfg.Evaluate(v[0], v[1])
		d := cfg.Decide(evs)
		fmt.Printf("%v ± %v: level %q halt %v\n", v[0], v[1], d.Level, d.Halt)
		for _, e := range evs {
			fmt.Printf("  %s %s: %s\n", e.Level, e.Rule, e.Message)
		}
	}
	// Output:
	// 100 ± 0.5: level "" halt false
	// 10 ± 2: level "error" halt false
	//   error max_coverage: relative uncertainty u/|n| = 0.2 exceeds 0.05
	//   warning max_uncertainty: uncertainty u = 2 exceeds max_uncertainty 1
	// 1 ± -1: level "critical" halt true
	//   critical invariant: invariant violated: uncertainty u = -1 is negative (must be >= 0)
}
