package policy

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"unicode"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// Limits on the rules of a policy.
const (
	MaxRules       = 256 // rules in a policy, nested ones included
	MaxRuleDepth   = 8   // nesting levels of rules; top-level rules are level 1
	MaxNameLen     = ledger.MaxRuleLen
	MaxDescription = 4096 // bytes of the description
)

// Severity says whether an issue makes a policy invalid.
type Severity string

// Severities of validation issues.
const (
	SeverityError   Severity = "error"   // the policy is refused
	SeverityWarning Severity = "warning" // legal, but probably not what was meant
)

// Issue is one problem found by [Validate]. Path points into the document:
// top-level fields by name, object members after a dot, array elements in
// brackets ("config.rules[2].threshold"); a member name that is not an
// identifier is quoted (config.metadata["a b"]); "" is the whole document.
type Issue struct {
	Severity Severity `json:"severity"`
	Path     string   `json:"path"`
	Message  string   `json:"message"`
}

// String returns "error config.rules[2].threshold: must be > 0, got -1".
func (i Issue) String() string {
	p := i.Path
	if p == "" {
		p = "(document)"
	}
	return string(i.Severity) + " " + p + ": " + i.Message
}

// HasErrors reports whether issues contains an error (not only warnings).
func HasErrors(issues []Issue) bool {
	for _, i := range issues {
		if i.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Validate checks a policy document (signed or a template) and returns every
// error and warning, in document order, or nil when there is nothing to say.
// It does not decide trust: a signature is checked only against the
// document's own public_key, to catch a config edited after signing.
func Validate(doc []byte) []Issue {
	if len(doc) > MaxDocumentSize {
		return []Issue{{SeverityError, "", fmt.Sprintf("document is %d bytes, more than the limit of %d", len(doc), MaxDocumentSize)}}
	}
	root, err := parseJSON(doc)
	if err != nil {
		return []Issue{{SeverityError, "", "not valid JSON: " + err.Error()}}
	}
	d := &decoder{}
	f := d.envelope(root)
	if f.config != nil {
		d.config(f.config, "config")
	}
	d.signatureFields(f)
	return d.issues
}

// decoder turns a parsed document into a Config and collects issues.
type decoder struct {
	issues []Issue
	names  map[string]string // rule name → path of its first rule
	nrules int
	// invariants counts top-level invariant rules; criticals lists the
	// paths of non-invariant top-level rules of level critical.
	invariants int
	criticals  []string
}

func (d *decoder) errorf(path, format string, args ...any) {
	d.issues = append(d.issues, Issue{SeverityError, path, fmt.Sprintf(format, args...)})
}

func (d *decoder) warnf(path, format string, args ...any) {
	d.issues = append(d.issues, Issue{SeverityWarning, path, fmt.Sprintf(format, args...)})
}

func (d *decoder) failed() bool { return HasErrors(d.issues) }

// member returns the path of member k of the object at path.
func member(path, k string) string {
	ident := k != ""
	for i, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			ident = false
			break
		}
	}
	if !ident {
		return path + "[" + strconv.Quote(truncate(k, 64)) + "]"
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// fields is the envelope of a document.
type fields struct {
	config                           *node
	signature, publicKey, policyHash string
}

// envelope checks the top level of a document.
func (d *decoder) envelope(root *node) fields {
	var f fields
	if root.kind != kObject {
		d.errorf("", "a policy document must be a JSON object, got %s", root.kind)
		return f
	}
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "config":
			if v.kind != kObject {
				d.errorf(k, "must be an object, got %s", v.kind)
				continue
			}
			f.config = v
		case "signature", "public_key", "policy_hash":
			var s string
			switch v.kind {
			case kNull:
			case kString:
				s = v.s
			default:
				d.errorf(k, "must be a string or null, got %s", v.kind)
			}
			switch k {
			case "signature":
				f.signature = s
			case "public_key":
				f.publicKey = s
			default:
				f.policyHash = s
			}
		default:
			d.errorf(member("", k), "unknown field (a document has config, signature, public_key and policy_hash)")
		}
	}
	if root.get("config") == nil {
		d.errorf("config", "missing required field")
	}
	return f
}

// signatureFields checks the formats of signature, public_key and
// policy_hash, and their consistency with the config.
func (d *decoder) signatureFields(f fields) {
	var canon []byte
	if f.config != nil {
		canon = appendCanonical(nil, f.config)
	}
	var sig []byte
	if f.signature != "" {
		if s, ok := decodeSignature(f.signature); ok {
			sig = s
		} else {
			d.errorf("signature", "must be the standard base64 of a 64-byte Ed25519 signature")
		}
		if f.publicKey == "" {
			d.errorf("public_key", "missing: a signature needs the public key that made it")
		}
	}
	var v *ledger.Verifier
	if f.publicKey != "" {
		var err error
		if v, err = ledger.ParseVerifierKey(f.publicKey); err != nil {
			d.errorf("public_key", "not a note verifier key (name+hash+base64): %s", errText(err))
		}
		if f.signature == "" {
			d.errorf("signature", "missing: the document has a public_key but no signature")
		}
	}
	if sig != nil && v != nil && canon != nil && !v.Verify(SignedMessage(canon), sig) {
		d.errorf("signature", "does not verify under public_key: the config was changed after signing, or the signature belongs to another config")
	}
	if f.policyHash != "" {
		if b, err := hex.DecodeString(f.policyHash); err != nil || len(b) != sha256.Size || hex.EncodeToString(b) != f.policyHash {
			d.errorf("policy_hash", "must be 64 lower-case hex digits (SHA-256)")
		} else if canon != nil {
			if h := sha256.Sum256(canon); hex.EncodeToString(h[:]) != f.policyHash {
				d.errorf("policy_hash", "does not match the config, which hashes to %x", h)
			}
		}
	}
}

func errText(err error) string {
	if e, ok := nu.AsError(err); ok && e.Details != "" {
		return e.Details
	}
	return err.Error()
}

// decodeSignature decodes strict standard base64 of exactly 64 bytes.
func decodeSignature(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != ledger.SignatureSize {
		return nil, false
	}
	return b, true
}

// config decodes and checks a config object; it returns nil when there is
// an error.
func (d *decoder) config(n *node, path string) *Config {
	c := &Config{}
	d.names = map[string]string{}
	var escalation *node
	for i, k := range n.keys {
		v, p := n.vals[i], member(path, k)
		switch k {
		case "version":
			if s, ok := d.str(v, p); ok {
				if !isSemver(s) {
					d.errorf(p, "%q is not a semantic version MAJOR.MINOR.PATCH (semver.org 2.0.0, no leading \"v\")", truncate(s, 64))
				}
				c.Version = s
			}
		case "name":
			if s, ok := d.str(v, p); ok {
				d.checkName(p, s)
				c.Name = s
			}
		case "description":
			if s, ok := d.str(v, p); ok {
				if len(s) > MaxDescription {
					d.errorf(p, "longer than %d bytes", MaxDescription)
				}
				c.Description = s
			}
		case "rules":
			if v.kind != kArray {
				d.errorf(p, "must be an array of rules, got %s", v.kind)
				continue
			}
			for j, e := range v.elems {
				if r := d.rule(e, index(p, j), 1); r != nil {
					c.Rules = append(c.Rules, r)
				}
			}
		case "escalation":
			escalation = v
			c.Escalation = d.escalation(v, p)
		case "metadata":
			if v.kind != kObject {
				d.errorf(p, "must be an object, got %s", v.kind)
				continue
			}
			c.Metadata = toAny(v).(map[string]any)
		default:
			d.errorf(p, "unknown field (a config has version, name, description, rules, escalation and metadata)")
		}
	}
	for _, k := range []string{"version", "name", "rules"} {
		if n.get(k) == nil {
			d.errorf(member(path, k), "missing required field")
		}
	}
	// Warnings about legal but odd choices.
	if v := n.get("description"); v == nil || v.kind == kString && v.s == "" {
		d.warnf(member(path, "description"), "missing or empty: say what the policy is for and where it applies")
	}
	if r := n.get("rules"); r != nil && r.kind == kArray {
		if len(r.elems) == 0 {
			d.warnf(member(path, "rules"), "no rules: only the built-in invariant check applies")
		} else if d.invariants == 0 {
			d.warnf(member(path, "rules"), "no invariant rule: invalid values are still reported as critical under the name \"invariant\"; list {\"type\":\"invariant\"} to make that explicit")
		}
	}
	if escalation == nil {
		d.warnf(member(path, "escalation"), "missing: the defaults halt_on_critical=false, auto_log=true apply")
	}
	if !c.EffectiveEscalation().HaltOnCritical {
		for _, p := range d.criticals {
			d.warnf(p, "level critical never halts anything: escalation.halt_on_critical is false (events are logged all the same)")
		}
	}
	if d.failed() {
		return nil
	}
	return c
}

func (d *decoder) escalation(n *node, path string) *Escalation {
	if n.kind != kObject {
		d.errorf(path, "must be an object, got %s", n.kind)
		return nil
	}
	e := DefaultEscalation
	for i, k := range n.keys {
		v, p := n.vals[i], member(path, k)
		switch k {
		case "halt_on_critical":
			if b, ok := d.boolean(v, p); ok {
				e.HaltOnCritical = b
			}
		case "auto_log":
			if b, ok := d.boolean(v, p); ok {
				e.AutoLog = b
				if !b {
					d.warnf(p, "false has no effect: eBIOS logs every operation with all its guard events, halted or not")
				}
			}
		default:
			d.errorf(p, "unknown field (escalation has halt_on_critical and auto_log)")
		}
	}
	for _, k := range []string{"halt_on_critical", "auto_log"} {
		if n.get(k) == nil {
			d.errorf(member(path, k), "missing required field")
		}
	}
	return &e
}

// ruleTypes maps the accepted type names, the seed's included, to types.
var ruleTypes = map[string]string{
	TypeInvariant: TypeInvariant, "InvariantRule": TypeInvariant,
	TypeCoverage: TypeCoverage, "CoverageRule": TypeCoverage,
	TypeThreshold: TypeThreshold, "ThresholdRule": TypeThreshold,
	TypeComposite: TypeComposite, "CompositeRule": TypeComposite,
}

// ruleFields lists the fields each rule type accepts.
var ruleFields = map[string][]string{
	TypeInvariant: {"type", "name", "level"},
	TypeCoverage:  {"type", "name", "threshold", "level"},
	TypeThreshold: {"type", "name", "max_uncertainty", "level"},
	TypeComposite: {"type", "name", "op", "mode", "rules", "level"},
}

// rule decodes one rule at nesting level depth (1 for top-level rules).
func (d *decoder) rule(n *node, path string, depth int) Rule {
	if n.kind != kObject {
		d.errorf(path, "a rule must be an object, got %s", n.kind)
		return nil
	}
	d.nrules++
	if d.nrules == MaxRules+1 {
		d.errorf(path, "too many rules: a policy has at most %d, nested ones included", MaxRules)
	}
	if depth > MaxRuleDepth {
		d.errorf(path, "nesting too deep: rules nest at most %d levels", MaxRuleDepth)
		return nil
	}
	nested := depth > 1
	tn := n.get("type")
	if tn == nil {
		d.errorf(member(path, "type"), "missing required field")
		return nil
	}
	typ, ok := ruleTypes[tn.s]
	if tn.kind != kString || !ok {
		if tn.kind != kString {
			d.errorf(member(path, "type"), "must be a string, got %s", tn.kind)
		} else {
			d.errorf(member(path, "type"), "unknown rule type %q (want invariant, coverage, threshold or composite)", truncate(tn.s, 64))
		}
		return nil
	}
	if typ == TypeInvariant && nested {
		d.errorf(path, "the invariant rule cannot be nested: it is checked before every other rule")
		return nil
	}
	errs := len(d.issues)
	for _, k := range n.keys {
		if !contains(ruleFields[typ], k) {
			d.errorf(member(path, k), "unknown field for a %s rule (it has %s)", typ, joinFields(ruleFields[typ]))
		}
	}
	// name
	name := typ
	if v := n.get("name"); v != nil {
		p := member(path, "name")
		if s, ok := d.str(v, p); ok {
			d.checkName(p, s)
			name = s
		}
	}
	namePath := path
	if n.get("name") != nil {
		namePath = member(path, "name")
	}
	if first, dup := d.names[name]; dup {
		if n.get("name") == nil {
			d.errorf(namePath, "duplicate rule name %q (the default for a %s rule; also at %s): give each rule a distinct name", name, typ, first)
		} else {
			d.errorf(namePath, "duplicate rule name %q (also at %s): rule names must be unique, nested rules included", name, first)
		}
	} else {
		d.names[name] = path
	}
	// level
	var level ledger.Level
	if v := n.get("level"); v != nil {
		p := member(path, "level")
		if s, ok := d.str(v, p); ok {
			level = ledger.Level(s)
			switch {
			case !level.Valid():
				d.errorf(p, "unknown level %q (want info, warning, error or critical)", truncate(s, 64))
			case typ == TypeInvariant && level != ledger.LevelCritical:
				d.errorf(p, "the invariant rule is always critical, got %q", s)
			case nested:
				d.warnf(p, "ignored: a nested rule raises no event of its own; the level of the enclosing composite rule applies")
			case typ != TypeInvariant && level == ledger.LevelCritical:
				d.criticals = append(d.criticals, p)
			}
		}
	} else if !nested && typ != TypeInvariant {
		d.errorf(member(path, "level"), "missing required field (info, warning, error or critical)")
	}
	var r Rule
	switch typ {
	case TypeInvariant:
		d.invariants++
		if d.invariants > 1 {
			d.warnf(path, "the invariant rule is listed more than once; its event is named after the first one")
		}
		r = InvariantRule{Name: name}
	case TypeCoverage:
		t, ok := d.number(n, path, "threshold")
		if ok {
			if t <= 0 {
				d.errorf(member(path, "threshold"), "must be > 0, got %s (the relative uncertainty u/|n| is never below 0)", fmtF(t))
			} else if t >= 1 {
				d.warnf(member(path, "threshold"), "%s >= 1: the rule fires only when the uncertainty is at least as large as |n|", fmtF(t))
			}
		}
		r = CoverageRule{Name: name, Threshold: t, Level: level}
	case TypeThreshold:
		m, ok := d.number(n, path, "max_uncertainty")
		if ok {
			if m < 0 {
				d.errorf(member(path, "max_uncertainty"), "must be >= 0, got %s", fmtF(m))
			} else if m == 0 {
				d.warnf(member(path, "max_uncertainty"), "0: the rule fires on every value that is not exact")
			}
		}
		r = ThresholdRule{Name: name, MaxUncertainty: m, Level: level}
	case TypeComposite:
		c := CompositeRule{Name: name, Level: level}
		opN, opKey := n.get("op"), "op"
		if m := n.get("mode"); m != nil {
			if opN != nil {
				d.errorf(member(path, "mode"), "give op or its seed alias mode, not both")
			} else {
				opN, opKey = m, "mode"
			}
		}
		if opN == nil {
			d.errorf(member(path, "op"), "missing required field (\"and\" or \"or\")")
		} else if s, ok := d.str(opN, member(path, opKey)); ok {
			if s != OpAnd && s != OpOr {
				d.errorf(member(path, opKey), "unknown operator %q (want \"and\" or \"or\")", truncate(s, 64))
			}
			c.Op = s
		}
		rn := n.get("rules")
		rp := member(path, "rules")
		switch {
		case rn == nil:
			d.errorf(rp, "missing required field (the nested rules)")
		case rn.kind != kArray:
			d.errorf(rp, "must be an array of rules, got %s", rn.kind)
		case len(rn.elems) == 0:
			d.errorf(rp, "empty: a composite rule needs at least one nested rule")
		default:
			if len(rn.elems) == 1 {
				d.warnf(rp, "only one nested rule: the composite is the same as that rule")
			}
			for j, e := range rn.elems {
				if sub := d.rule(e, index(rp, j), depth+1); sub != nil {
					c.Rules = append(c.Rules, sub)
				}
			}
		}
		r = c
	}
	if HasErrors(d.issues[errs:]) {
		return nil
	}
	return r
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func joinFields(list []string) string {
	s := ""
	for i, f := range list {
		if f == "mode" {
			continue
		}
		if i > 0 {
			s += ", "
		}
		s += f
	}
	return s
}

// number returns the required number member k of the rule at path.
func (d *decoder) number(n *node, path, k string) (float64, bool) {
	v := n.get(k)
	p := member(path, k)
	if v == nil {
		d.errorf(p, "missing required field")
		return 0, false
	}
	if v.kind != kNumber {
		d.errorf(p, "must be a finite number, got %s", v.kind)
		return 0, false
	}
	return v.f, true
}

func (d *decoder) str(v *node, path string) (string, bool) {
	if v.kind != kString {
		d.errorf(path, "must be a string, got %s", v.kind)
		return "", false
	}
	return v.s, true
}

func (d *decoder) boolean(v *node, path string) (bool, bool) {
	if v.kind != kBool {
		d.errorf(path, "must be true or false, got %s", v.kind)
		return false, false
	}
	return v.b, true
}

// checkName requires 1 to MaxNameLen bytes without control characters, so
// that a name fits a ledger guard event.
func (d *decoder) checkName(path, s string) {
	if s == "" || len(s) > MaxNameLen {
		d.errorf(path, "must be 1 to %d bytes long", MaxNameLen)
		return
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			d.errorf(path, "contains a control character")
			return
		}
	}
}

// toAny converts a node to what encoding/json would decode into an any.
func toAny(n *node) any {
	switch n.kind {
	case kBool:
		return n.b
	case kNumber:
		return n.f
	case kString:
		return n.s
	case kArray:
		a := make([]any, len(n.elems))
		for i, e := range n.elems {
			a[i] = toAny(e)
		}
		return a
	case kObject:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k] = toAny(n.vals[i])
		}
		return m
	}
	return nil
}

// isSemver reports whether s is a semantic version 2.0.0:
// MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], numbers without leading zeros.
func isSemver(s string) bool {
	core, build, hasBuild := cut(s, '+')
	if hasBuild && !idents(build, false) {
		return false
	}
	core, pre, hasPre := cut(core, '-')
	if hasPre && !idents(pre, true) {
		return false
	}
	parts := 0
	for {
		p, rest, more := cut(core, '.')
		if !numeric(p) {
			return false
		}
		parts++
		if !more {
			break
		}
		core = rest
	}
	return parts == 3
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// numeric reports whether s is a number without leading zeros.
func numeric(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// idents checks dot-separated identifiers of [0-9A-Za-z-]; in a pre-release
// numeric identifiers must not have leading zeros.
func idents(s string, pre bool) bool {
	for {
		id, rest, more := cut(s, '.')
		if id == "" {
			return false
		}
		digits := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				digits = false
			default:
				return false
			}
		}
		if pre && digits && !numeric(id) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}
