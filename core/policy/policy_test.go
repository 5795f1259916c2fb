package policy

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// TestTemplates signs every shipped template with a key generated here,
// verifies it, and evaluates sample values with the seed's thresholds.
func TestTemplates(t *testing.T) {
	s := newKey(t, "policy.test/signer")
	trusted := []*ledger.Verifier{s.Verifier()}
	type sample struct {
		n, u  float64
		rules []string // rules that fire, in order
		level ledger.Level
		halt  bool
	}
	want := map[string]struct {
		halt    bool
		samples []sample
	}{
		// conservative: coverage > 0.05 is an error, u > 1 a warning, halts on critical.
		"conservative": {true, []sample{
			{100, 1, nil, "", false}, // coverage 0.01, u = 1
			{10, 0.6, []string{"max_coverage"}, ledger.LevelError, false}, // coverage 0.06
			{1000, 2, []string{"max_uncertainty"}, ledger.LevelWarning, false},
			{10, 2, []string{"max_coverage", "max_uncertainty"}, ledger.LevelError, false},
			{1, -1, []string{"invariant"}, ledger.LevelCritical, true},
		}},
		// permissive: coverage > 0.5 is a warning, never halts.
		"permissive": {false, []sample{
			{10, 4, nil, "", false},
			{10, 6, []string{"max_coverage"}, ledger.LevelWarning, false},
			{0, inf, []string{"max_coverage"}, ledger.LevelWarning, false},
			{inf, 0, []string{"invariant"}, ledger.LevelCritical, false},
		}},
		// audit_only: coverage > 0.1 is a warning, never halts.
		"audit_only": {false, []sample{
			{10, 1, nil, "", false},
			{10, 1.5, []string{"max_coverage"}, ledger.LevelWarning, false},
			{1, nanF(), []string{"invariant"}, ledger.LevelCritical, false},
		}},
	}
	for _, name := range templateNames {
		t.Run(name, func(t *testing.T) {
			raw := readTemplate(t, name)
			if issues := Validate(raw); len(issues) != 0 {
				t.Fatalf("template has issues: %v", issues)
			}
			tpl, err := LoadTemplate(raw)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(raw, trusted); err == nil {
				t.Fatal("an unsigned template parsed as a policy")
			}
			doc, err := SignTemplate(raw, s)
			if err != nil {
				t.Fatal(err)
			}
			if issues := Validate(doc); len(issues) != 0 {
				t.Fatalf("signed template has issues: %v", issues)
			}
			p, err := Parse(doc, trusted)
			if err != nil {
				t.Fatal(err)
			}
			if p.Hash() != tpl.Hash() || !bytes.Equal(p.Canonical(), tpl.Canonical()) || len(p.Warnings()) != 0 {
				t.Fatalf("signed policy differs from its template")
			}
			// The canonical config is the template's config, canonicalized.
			var env struct{ Config json.RawMessage }
			json.Unmarshal(raw, &env)
			if c, _ := Canonical(env.Config); !bytes.Equal(c, p.Canonical()) {
				t.Fatalf("canonical config differs")
			}
			w := want[name]
			if p.Config().EffectiveEscalation().HaltOnCritical != w.halt {
				t.Fatalf("halt_on_critical = %v", !w.halt)
			}
			for _, sm := range w.samples {
				evs, d := p.Check(sm.n, sm.u)
				var got []string
				for _, e := range evs {
					got = append(got, e.Rule)
				}
				if strings.Join(got, ",") != strings.Join(sm.rules, ",") || d.Level != sm.level || d.Halt != sm.halt {
					t.Errorf("(%v, %v): rules %v, decision %+v; want %v, level %q, halt %v", sm.n, sm.u, got, d, sm.rules, sm.level, sm.halt)
				}
			}
			// The ledger records the hash as 32 bytes.
			out := nu.MustNew(1, 0)
			draft := ledger.Draft{OpID: "op", Operation: "add", Mode: ledger.ModeNU, Output: &out, PolicyHash: p.Hash(), Guard: p.EvaluateValue(out)}
			if err := draft.Validate(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(Show(p), "VERIFIED") || !strings.Contains(ShowTemplate(tpl), "NONE") {
				t.Error("Show does not say whether the policy is signed")
			}
		})
	}
}

func nanF() float64 { var z float64; return z / z }

// signedConservative returns the conservative template signed by a fresh key.
func signedConservative(t *testing.T) ([]byte, *ledger.Signer) {
	t.Helper()
	s := newKey(t, "policy.test/signer")
	doc, err := SignTemplate(readTemplate(t, "conservative"), s)
	if err != nil {
		t.Fatal(err)
	}
	return doc, s
}

// editDoc decodes a document into a generic map, applies f, and encodes it.
func editDoc(t *testing.T, doc []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRefuseUnsigned(t *testing.T) {
	doc, s := signedConservative(t)
	trusted := []*ledger.Verifier{s.Verifier()}
	// The shipped template as it is: signature null.
	_, err := Parse(readTemplate(t, "conservative"), trusted)
	wantCode(t, err, CodeUnsigned)
	// A signed document with its signature removed or emptied.
	for _, f := range []func(m map[string]any){
		func(m map[string]any) { delete(m, "signature") },
		func(m map[string]any) { m["signature"] = "" },
		func(m map[string]any) { m["signature"] = nil },
		func(m map[string]any) { delete(m, "public_key") },
	} {
		_, err := Parse(editDoc(t, doc, f), trusted)
		wantCode(t, err, CodeUnsigned)
	}
}

func TestRefuseTampered(t *testing.T) {
	doc, s := signedConservative(t)
	trusted := []*ledger.Verifier{s.Verifier()}
	if _, err := Parse(doc, trusted); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(m map[string]any){
		"threshold raised": func(m map[string]any) {
			m["config"].(map[string]any)["rules"].([]any)[1].(map[string]any)["threshold"] = 0.5
		},
		"halt switched off": func(m map[string]any) {
			m["config"].(map[string]any)["escalation"].(map[string]any)["halt_on_critical"] = false
		},
		"rule removed": func(m map[string]any) {
			c := m["config"].(map[string]any)
			c["rules"] = c["rules"].([]any)[:2]
		},
		"metadata added": func(m map[string]any) {
			m["config"].(map[string]any)["metadata"].(map[string]any)["note"] = "x"
		},
		"tampered and policy_hash updated": func(m map[string]any) {
			m["config"].(map[string]any)["name"] = "Other"
			m["policy_hash"] = strings.Repeat("0", 64)
		},
		"signature bit flipped": func(m map[string]any) {
			sig, _ := base64.StdEncoding.DecodeString(m["signature"].(string))
			sig[10] ^= 1
			m["signature"] = base64.StdEncoding.EncodeToString(sig)
		},
		"signature truncated": func(m map[string]any) { m["signature"] = m["signature"].(string)[:40] },
	} {
		_, err := Parse(editDoc(t, doc, f), trusted)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		t.Run(name, func(t *testing.T) { wantCode(t, err, CodeBadSignature) })
	}
	// Formatting changes do not matter: the signature covers the canonical form.
	var compact bytes.Buffer
	json.Compact(&compact, doc)
	reordered := editDoc(t, doc, func(m map[string]any) {})
	for _, d := range [][]byte{compact.Bytes(), reordered} {
		if _, err := Parse(d, trusted); err != nil {
			t.Fatalf("re-encoded document refused: %v", err)
		}
	}
}

func TestRefuseUntrustedKey(t *testing.T) {
	doc, _ := signedConservative(t)
	other := newKey(t, "policy.test/signer") // same name, other key
	third := newKey(t, "policy.test/third")
	_, err := Parse(doc, []*ledger.Verifier{other.Verifier(), third.Verifier()})
	wantCode(t, err, CodeUntrusted)
	_, err = Parse(doc, nil)
	wantCode(t, err, CodeUntrusted)
	// Swapping in a trusted public key does not help: the signature is not its.
	swapped := editDoc(t, doc, func(m map[string]any) { m["public_key"] = other.VerifierKey() })
	_, err = Parse(swapped, []*ledger.Verifier{other.Verifier()})
	wantCode(t, err, CodeBadSignature)
}

func TestRefuseOther(t *testing.T) {
	doc, s := signedConservative(t)
	trusted := []*ledger.Verifier{s.Verifier()}
	// policy_hash edited alone: the signature still verifies, the hash does not.
	_, err := Parse(editDoc(t, doc, func(m map[string]any) { m["policy_hash"] = strings.Repeat("ab", 32) }), trusted)
	wantCode(t, err, CodeHashMismatch)
	// policy_hash may be omitted: it is derived.
	if _, err := Parse(editDoc(t, doc, func(m map[string]any) { delete(m, "policy_hash") }), trusted); err != nil {
		t.Fatal(err)
	}
	_, err = Parse(editDoc(t, doc, func(m map[string]any) { m["public_key"] = "not a key" }), trusted)
	wantCode(t, err, CodeBadKey)
	_, err = Parse(editDoc(t, doc, func(m map[string]any) { m["extra"] = 1 }), trusted)
	wantCode(t, err, CodeInvalid)
	_, err = Parse(append(bytes.Repeat([]byte(" "), MaxDocumentSize), doc...), trusted)
	wantCode(t, err, CodeSyntax)
	_, err = Parse([]byte(`{"config":{},"config":{}}`), trusted)
	wantCode(t, err, CodeSyntax)
	_, err = Parse([]byte(`[]`), trusted)
	wantCode(t, err, CodeInvalid)
	// A signed but invalid config is refused after its signature verifies.
	bad := &Config{Version: "1.0", Name: "Bad", Rules: []Rule{CoverageRule{Threshold: -1, Level: "loud"}}}
	if _, err := Sign(bad, s); err == nil {
		t.Fatal("Sign accepted an invalid config")
	} else {
		wantCode(t, err, CodeInvalid)
	}
	raw := []byte(`{"config":{"version":"1.0","name":"Bad","rules":[{"type":"coverage","threshold":-1,"level":"loud"}]}}`)
	canon, _ := Canonical([]byte(`{"version":"1.0","name":"Bad","rules":[{"type":"coverage","threshold":-1,"level":"loud"}]}`))
	sig, _ := s.Sign(SignedMessage(canon))
	raw = editDoc(t, raw, func(m map[string]any) {
		m["signature"] = base64.StdEncoding.EncodeToString(sig)
		m["public_key"] = s.VerifierKey()
	})
	_, err = Parse(raw, trusted)
	wantCode(t, err, CodeInvalid)
	e, _ := nu.AsError(err)
	for _, w := range []string{"config.version", "config.rules[0].threshold", "config.rules[0].level"} {
		if !strings.Contains(e.Details, w) {
			t.Errorf("details do not name %s:\n%s", w, e.Details)
		}
	}
}

// TestDomainSeparation checks that a policy signature does not verify as
// the same key's signature of the bare canonical bytes, and the reverse.
func TestDomainSeparation(t *testing.T) {
	s := newKey(t, "policy.test/signer")
	tpl, _ := LoadTemplate(readTemplate(t, "audit_only"))
	sig, _ := s.Sign(tpl.Canonical()) // a signature over the bare bytes
	doc := editDoc(t, tpl.Marshal(), func(m map[string]any) {
		m["signature"] = base64.StdEncoding.EncodeToString(sig)
		m["public_key"] = s.VerifierKey()
	})
	_, err := Parse(doc, []*ledger.Verifier{s.Verifier()})
	wantCode(t, err, CodeBadSignature)
	if !bytes.HasPrefix(SignedMessage([]byte("{}")), []byte("ebios-policy\x00\x01{}")) {
		t.Fatal("prefix")
	}
}

// TestSignGo builds a config in Go, signs it, and checks the round trips:
// Parse(Marshal) and re-signing give the same hash.
func TestSignGo(t *testing.T) {
	s := newKey(t, "policy.test/go")
	cfg := &Config{
		Version:     "2.1.0-rc.1+build.5",
		Name:        "Go",
		Description: "built in Go",
		Rules: []Rule{
			InvariantRule{},
			CompositeRule{Name: "both", Op: OpAnd, Level: ledger.LevelError, Rules: []Rule{
				CoverageRule{Threshold: 0.2},
				ThresholdRule{MaxUncertainty: 3},
			}},
		},
		Escalation: &Escalation{HaltOnCritical: true, AutoLog: true},
		Metadata:   map[string]any{"owner": "qa", "rev": 3.0, "tags": []any{"a", "b"}},
	}
	doc, err := Sign(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(doc, []*ledger.Verifier{s.Verifier()})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Marshal(), doc) {
		t.Fatalf("Marshal differs from the signed document:\n%s\n%s", p.Marshal(), doc)
	}
	if p.Signer().String() != s.VerifierKey() || len(p.Signature()) != 64 || p.Name() != "Go" || p.Version() != cfg.Version {
		t.Fatal("accessors")
	}
	if h := p.Hash(); p.HashHex() != hex.EncodeToString(h[:]) {
		t.Fatal("HashHex")
	}
	// Default names are the types.
	c := p.Config().Rules[1].(CompositeRule)
	if p.Config().Rules[0].RuleName() != "invariant" || c.Rules[0].RuleName() != "coverage" || c.Rules[1].RuleName() != "threshold" {
		t.Fatalf("default names: %+v", p.Config().Rules)
	}
	evs, d := p.Check(10, 3.5)
	if len(evs) != 1 || evs[0].Rule != "both" || !strings.Contains(evs[0].Message, "coverage: ") || d.Halt {
		t.Fatalf("%+v %+v", evs, d)
	}
	// The config marshals back to a template with the same hash.
	doc2, err := Sign(p.Config(), s)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Parse(doc2, []*ledger.Verifier{s.Verifier()})
	if err != nil {
		t.Fatal(err)
	}
	// Names were omitted in the first document and written in the second, so
	// the hashes differ; the evaluation does not.
	if evs2, _ := p2.Check(10, 3.5); len(evs2) != 1 || evs2[0] != evs[0] {
		t.Fatalf("re-signed policy evaluates differently")
	}
	if _, err := NewTemplate(&Config{}); err == nil {
		t.Fatal("empty config accepted")
	}
	b, _ := json.Marshal(p)
	if _, err := Parse(b, []*ledger.Verifier{s.Verifier()}); err != nil {
		t.Fatalf("json.Marshal(policy) does not parse: %v", err)
	}
}

// TestSeedFormat parses a document in the seed's own spelling (type names
// such as "CoverageRule", composite "mode", no rule names).
func TestSeedFormat(t *testing.T) {
	s := newKey(t, "policy.test/seed")
	tpl := []byte(`{"config":{"version":"1.0.0","name":"Seed","description":"seed shape",
	  "rules":[{"type":"InvariantRule","level":"critical"},
	           {"type":"CompositeRule","mode":"and","level":"warning","rules":[
	              {"type":"CoverageRule","threshold":0.05},{"type":"ThresholdRule","max_uncertainty":5.0}]}],
	  "escalation":{"halt_on_critical":true,"auto_log":true}},
	  "signature":null,"public_key":null,"policy_hash":null}`)
	doc, err := SignTemplate(tpl, s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(doc, []*ledger.Verifier{s.Verifier()})
	if err != nil {
		t.Fatal(err)
	}
	if evs := p.Evaluate(10, 6); len(evs) != 1 || evs[0].Rule != "composite" || evs[0].Level != ledger.LevelWarning {
		t.Fatalf("%+v", evs)
	}
	if !strings.Contains(string(doc), `"type": "CoverageRule"`) {
		t.Fatal("signing changed the config as written")
	}
}

func TestParseTrustedKeys(t *testing.T) {
	doc, s := signedConservative(t)
	vs, err := ParseTrustedKeys([]string{"", " " + newKey(t, "a/b").VerifierKey(), s.VerifierKey() + "\n"})
	if err != nil || len(vs) != 2 {
		t.Fatalf("%v %v", vs, err)
	}
	if _, err := Parse(doc, vs); err != nil {
		t.Fatal(err)
	}
	_, err = ParseTrustedKeys([]string{s.VerifierKey(), "PRIVATE+KEY+oops"})
	wantCode(t, err, CodeBadKey)
}
