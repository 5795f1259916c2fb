package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// SignaturePrefix starts the message that a policy signature covers:
// an ASCII tag, a 0x00 byte and the format version 1. Ledger entry bodies
// start with "ebios-ledger-entry" 0x00 and checkpoints are note texts,
// which cannot contain 0x00, so a signature made for one of them never
// verifies as another.
const SignaturePrefix = "ebios-policy\x00\x01"

// SignedMessage returns the bytes a policy signature covers:
// SignaturePrefix ‖ canonical config.
func SignedMessage(canonical []byte) []byte {
	return append([]byte(SignaturePrefix), canonical...)
}

// Policy is a verified, valid policy: its signature verifies under one of
// the trusted keys it was parsed with. Only [Parse] makes one. It is
// immutable and safe for concurrent use.
type Policy struct {
	cfg       *Config
	canonical []byte
	hash      [32]byte
	sig       []byte
	key       *ledger.Verifier
	warnings  []Issue
}

// Parse decodes a signed policy document and checks it, in this order:
//
//  1. at most MaxDocumentSize bytes of strict JSON (CodeSyntax);
//  2. the envelope has only config, signature, public_key and policy_hash
//     (CodeInvalid);
//  3. signature and public_key are present (CodeUnsigned);
//  4. public_key parses (CodeBadKey) and is one of trusted (CodeUntrusted);
//  5. the signature verifies over SignedMessage(canonical config) with the
//     trusted key (CodeBadSignature);
//  6. policy_hash, when present, is the hash of the config (CodeHashMismatch);
//  7. the config is valid (CodeInvalid, every error in the details).
//
// Warnings do not stop a policy; they are kept in [Policy.Warnings].
func Parse(data []byte, trusted []*ledger.Verifier) (*Policy, error) {
	d, f, err := readEnvelope(data)
	if err != nil {
		return nil, err
	}
	switch {
	case f.signature == "" && f.publicKey == "":
		return nil, errUnsigned("no signature and no public_key")
	case f.signature == "":
		return nil, errUnsigned("no signature")
	case f.publicKey == "":
		return nil, errUnsigned("no public_key")
	}
	v, err := ledger.ParseVerifierKey(f.publicKey)
	if err != nil {
		return nil, errBadKey("public_key", err)
	}
	var tv *ledger.Verifier
	for _, t := range trusted {
		if t != nil && t.String() == v.String() {
			tv = t
			break
		}
	}
	if tv == nil {
		if len(trusted) == 0 {
			return nil, errUntrusted(f.publicKey, ": no trusted policy keys are configured")
		}
		return nil, errUntrusted(f.publicKey, fmt.Sprintf(" is not one of the %d trusted keys", len(trusted)))
	}
	sig, ok := decodeSignature(f.signature)
	if !ok {
		return nil, errBadSignature("signature is not the standard base64 of 64 bytes")
	}
	canon := appendCanonical(nil, f.config)
	if !tv.Verify(SignedMessage(canon), sig) {
		return nil, errBadSignature("key " + tv.Name() + " did not sign this config")
	}
	hash := sha256.Sum256(canon)
	if f.policyHash != "" && f.policyHash != hex.EncodeToString(hash[:]) {
		return nil, errHashMismatch(truncate(f.policyHash, 80), hex.EncodeToString(hash[:]))
	}
	cfg := d.config(f.config, "config")
	if d.failed() {
		return nil, errInvalid(d.issues)
	}
	return &Policy{cfg: cfg, canonical: canon, hash: hash, sig: sig, key: tv, warnings: d.issues}, nil
}

// Config returns the decoded config. Do not modify it.
func (p *Policy) Config() *Config { return p.cfg }

// Name returns config.name.
func (p *Policy) Name() string { return p.cfg.Name }

// Version returns config.version.
func (p *Policy) Version() string { return p.cfg.Version }

// Hash returns the policy hash, SHA-256 of the canonical config. It is what
// ledger entries record as Draft.PolicyHash.
func (p *Policy) Hash() [32]byte { return p.hash }

// HashHex returns the policy hash in lower-case hex, as in policy_hash.
func (p *Policy) HashHex() string { return hex.EncodeToString(p.hash[:]) }

// Canonical returns a copy of the canonical config bytes.
func (p *Policy) Canonical() []byte { return bytes.Clone(p.canonical) }

// Signer returns the trusted key that signed the policy.
func (p *Policy) Signer() *ledger.Verifier { return p.key }

// Signature returns a copy of the 64-byte signature.
func (p *Policy) Signature() []byte { return bytes.Clone(p.sig) }

// Warnings returns the validator's warnings about the config.
func (p *Policy) Warnings() []Issue { return append([]Issue(nil), p.warnings...) }

// Marshal returns the signed document in its normal form: the canonical
// config (indented), the signature, the public key and the policy hash.
// Parse(p.Marshal()) gives the same policy.
func (p *Policy) Marshal() []byte { return marshalDoc(p.canonical, p.sig, p.key.String(), &p.hash) }

// MarshalJSON writes the signed document.
func (p *Policy) MarshalJSON() ([]byte, error) { return p.Marshal(), nil }

// Evaluate is [Config.Evaluate] with the policy's rules.
func (p *Policy) Evaluate(n, u float64) []ledger.GuardEvent { return p.cfg.Evaluate(n, u) }

// EvaluateValue is [Config.EvaluateValue] with the policy's rules.
func (p *Policy) EvaluateValue(v nu.Value) []ledger.GuardEvent { return p.cfg.EvaluateValue(v) }

// Decide is [Config.Decide] with the policy's escalation settings.
func (p *Policy) Decide(events []ledger.GuardEvent) Decision { return p.cfg.Decide(events) }

// Check evaluates (n, u) and decides: the guard in one call.
func (p *Policy) Check(n, u float64) ([]ledger.GuardEvent, Decision) {
	evs := p.cfg.Evaluate(n, u)
	return evs, p.cfg.Decide(evs)
}

// Template is a valid config that is not (yet) signed: a file of
// governance/policies/, or a Config built in Go.
type Template struct {
	cfg       *Config
	canonical []byte
	hash      [32]byte
	warnings  []Issue
}

// readEnvelope parses a policy document (size limit, strict JSON) and
// decodes its envelope, refusing it when the envelope or config is invalid.
func readEnvelope(data []byte) (*decoder, fields, error) {
	if len(data) > MaxDocumentSize {
		return nil, fields{}, errSyntax("%d bytes, more than the limit of %d", len(data), MaxDocumentSize)
	}
	root, err := parseJSON(data)
	if err != nil {
		return nil, fields{}, errSyntax("%v", err)
	}
	d := &decoder{}
	f := d.envelope(root)
	if d.failed() {
		return nil, fields{}, errInvalid(d.issues)
	}
	return d, f, nil
}

// LoadTemplate reads a policy document to be signed. Its signature,
// public_key and policy_hash may be null, empty or anything well-formed:
// signing replaces them. The config must be valid (CodeInvalid otherwise,
// with every error in the details; [Validate] lists them with paths).
func LoadTemplate(data []byte) (*Template, error) {
	d, f, err := readEnvelope(data)
	if err != nil {
		return nil, err
	}
	return newTemplate(d, f.config)
}

// NewTemplate makes a template of a Config built in Go. Rules without a
// name get the default name (their type).
func NewTemplate(cfg *Config) (*Template, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, errInvalid([]Issue{{SeverityError, "config", err.Error()}})
	}
	root, err := parseJSON(b)
	if err != nil {
		return nil, errSyntax("%v", err)
	}
	return newTemplate(&decoder{}, root)
}

func newTemplate(d *decoder, cfgNode *node) (*Template, error) {
	cfg := d.config(cfgNode, "config")
	if d.failed() {
		return nil, errInvalid(d.issues)
	}
	canon := appendCanonical(nil, cfgNode)
	return &Template{cfg: cfg, canonical: canon, hash: sha256.Sum256(canon), warnings: d.issues}, nil
}

// Config returns the decoded config. Do not modify it.
func (t *Template) Config() *Config { return t.cfg }

// Hash returns the hash the policy will have once signed.
func (t *Template) Hash() [32]byte { return t.hash }

// Canonical returns a copy of the canonical config bytes.
func (t *Template) Canonical() []byte { return bytes.Clone(t.canonical) }

// Warnings returns the validator's warnings about the config.
func (t *Template) Warnings() []Issue { return append([]Issue(nil), t.warnings...) }

// Marshal returns the unsigned document: the canonical config (indented)
// and null signature, public_key and policy_hash.
func (t *Template) Marshal() []byte { return marshalDoc(t.canonical, nil, "", nil) }

// Sign signs the template with s and returns the signed document, which
// [Parse] accepts when s's verifier key is trusted.
func (t *Template) Sign(s *ledger.Signer) ([]byte, error) {
	if s == nil {
		return nil, errBadKey("signer key", fmt.Errorf("no signer"))
	}
	sig, err := s.Sign(SignedMessage(t.canonical))
	if err != nil {
		return nil, errBadKey("signer key", err)
	}
	return marshalDoc(t.canonical, sig, s.VerifierKey(), &t.hash), nil
}

// SignTemplate loads a template document and signs it: the whole of
// `ebios policy sign`.
func SignTemplate(template []byte, s *ledger.Signer) ([]byte, error) {
	t, err := LoadTemplate(template)
	if err != nil {
		return nil, err
	}
	return t.Sign(s)
}

// Sign validates cfg and returns the document signed with s.
func Sign(cfg *Config, s *ledger.Signer) ([]byte, error) {
	t, err := NewTemplate(cfg)
	if err != nil {
		return nil, err
	}
	return t.Sign(s)
}

// marshalDoc writes a document with the canonical config; sig == nil and
// hash == nil write nulls.
func marshalDoc(canon, sig []byte, key string, hash *[32]byte) []byte {
	b := append([]byte(`{"config":`), canon...)
	b = append(b, `,"signature":`...)
	if sig == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, base64.StdEncoding.EncodeToString(sig))
	}
	b = append(b, `,"public_key":`...)
	if key == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, key)
	}
	b = append(b, `,"policy_hash":`...)
	if hash == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, hex.EncodeToString(hash[:]))
	}
	b = append(b, '}')
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		panic("policy: marshalDoc: " + err.Error()) // canonical JSON always indents
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// Show returns a human-readable summary of a verified policy, for
// `ebios policy show` and `ebios policy verify`.
func Show(p *Policy) string {
	var w strings.Builder
	showConfig(&w, p.cfg, p.hash)
	fmt.Fprintf(&w, "Signature:   VERIFIED, key %s (key id %08x)\n", p.key.Name(), p.key.KeyHash())
	fmt.Fprintf(&w, "Public key:  %s\n", p.key)
	showWarnings(&w, p.warnings)
	return w.String()
}

// ShowTemplate returns a human-readable summary of an unsigned template.
func ShowTemplate(t *Template) string {
	var w strings.Builder
	showConfig(&w, t.cfg, t.hash)
	w.WriteString("Signature:   NONE (template: sign it with `ebios policy sign`)\n")
	showWarnings(&w, t.warnings)
	return w.String()
}

func showConfig(w *strings.Builder, c *Config, hash [32]byte) {
	fmt.Fprintf(w, "Policy:      %s\n", c.Name)
	fmt.Fprintf(w, "Version:     %s\n", c.Version)
	if c.Description != "" {
		fmt.Fprintf(w, "Description: %s\n", c.Description)
	}
	fmt.Fprintf(w, "Hash:        %x\n", hash)
	fmt.Fprintf(w, "             (base64 %s, as in ledger entries)\n", base64.StdEncoding.EncodeToString(hash[:]))
	w.WriteString("Rules:\n")
	if len(c.Rules) == 0 {
		w.WriteString("  (none; the invariant check still applies)\n")
	}
	for i, r := range c.Rules {
		showRule(w, r, fmt.Sprintf("  %d. ", i+1), "     ")
	}
	e := c.EffectiveEscalation()
	def := ""
	if c.Escalation == nil {
		def = " (defaults)"
	}
	fmt.Fprintf(w, "Escalation:  halt_on_critical=%t auto_log=%t%s\n", e.HaltOnCritical, e.AutoLog, def)
	if len(c.Metadata) > 0 {
		w.WriteString("Metadata:\n")
		keys := make([]string, 0, len(c.Metadata))
		for k := range c.Metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, _ := json.Marshal(c.Metadata[k])
			fmt.Fprintf(w, "  %s: %s\n", k, v)
		}
	}
}

func showRule(w *strings.Builder, r Rule, first, indent string) {
	lv := ""
	if l := r.RuleLevel(); l != "" {
		lv = ", " + string(l)
	}
	switch r := r.(type) {
	case InvariantRule:
		fmt.Fprintf(w, "%s%s (invariant%s): fires when u < 0, u or n is NaN, or n is infinite\n", first, r.Name, lv)
	case CoverageRule:
		fmt.Fprintf(w, "%s%s (coverage%s): fires when u/|n| > %s\n", first, r.Name, lv, fmtF(r.Threshold))
	case ThresholdRule:
		fmt.Fprintf(w, "%s%s (threshold%s): fires when u > %s\n", first, r.Name, lv, fmtF(r.MaxUncertainty))
	case CompositeRule:
		fmt.Fprintf(w, "%s%s (composite %s%s): fires when %s of:\n", first, r.Name, r.Op, lv, map[string]string{OpAnd: "all", OpOr: "any"}[r.Op])
		for _, c := range r.Rules {
			showRule(w, c, indent+"- ", indent+"  ")
		}
	}
}

func showWarnings(w *strings.Builder, issues []Issue) {
	for _, is := range issues {
		fmt.Fprintf(w, "Warning:     %s: %s\n", is.Path, is.Message)
	}
}

// ParseTrustedKeys parses the trusted policy keys of a configuration
// (note verifier keys, as policies.trusted_keys lists them). Empty entries
// are skipped; a bad key is a CodeBadKey error naming its position.
func ParseTrustedKeys(keys []string) ([]*ledger.Verifier, error) {
	var vs []*ledger.Verifier
	for i, k := range keys {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		v, err := ledger.ParseVerifierKey(k)
		if err != nil {
			return nil, errBadKey(fmt.Sprintf("trusted policy key %d (%s)", i+1, truncate(k, 40)), err)
		}
		vs = append(vs, v)
	}
	return vs, nil
}
