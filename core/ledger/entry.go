package ledger

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"math"
	"unicode"
	"unicode/utf8"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

// Limits on entry fields. They bound the size of one entry (under 2.5 MiB
// besides the origin, about half of it for a full [Analysis]) so that
// readers can bound their memory; entries beyond them are invalid
// everywhere: they cannot be appended and they fail verification. A [Log]
// also refuses entries longer than [MaxBundleEntry].
const (
	MaxOpIDLen       = 256  // bytes of an op id or parent op id
	MaxOperationLen  = 128  // bytes of an operation name
	MaxMessageLen    = 4096 // bytes of an invariant or guard message
	MaxRuleLen       = 128  // bytes of a guard rule name
	MaxExpressionLen = 4096 // bytes of an expression
	MaxInputs        = 4096 // inputs of one entry
	MaxGuardEvents   = 256  // guard events of one entry
)

// Modes an entry may name. An empty mode is for entries that compute
// nothing (for example "policy.activate").
const (
	ModeNU       = "nu"
	ModeInterval = "interval"
	// ModeGUM is first-order propagation with correlations. Entries in
	// this mode appear from format version 2 on: a bundle of version 1
	// holding one fails verification.
	ModeGUM = "gum"
)

// Level is the severity of a guard event.
type Level string

// Guard event levels, from least to most severe.
const (
	LevelInfo     Level = "info"
	LevelWarning  Level = "warning"
	LevelError    Level = "error"
	LevelCritical Level = "critical"
)

// Valid reports whether l is one of the four levels.
func (l Level) Valid() bool {
	switch l {
	case LevelInfo, LevelWarning, LevelError, LevelCritical:
		return true
	}
	return false
}

// GuardEvent is what a guard rule reported about a result: the rule that
// fired, its level, a message, the observed value and the threshold it was
// compared with. Value and Threshold may be +Inf, never NaN or -Inf.
type GuardEvent struct {
	Rule      string   `json:"rule"`
	Level     Level    `json:"level"`
	Message   string   `json:"message,omitempty"`
	Value     nu.Float `json:"value"`
	Threshold nu.Float `json:"threshold"`
}

// Invariant is the result of checking the invariants of a result (u ≥ 0,
// finite n, ...): OK, and a message when it is not OK.
type Invariant struct {
	OK      bool   `json:"ok"`
	Message string `json:"message,omitempty"`
}

// Draft is what a caller supplies to log one computation. The log adds the
// index, the previous hash, the key id and the signature to make an [Entry].
type Draft struct {
	// Timestamp is the time of the computation in Unix nanoseconds (UTC).
	// It is informational: the order of entries is their index. [Log.Append]
	// fills a zero Timestamp from its clock.
	Timestamp int64
	// OpID identifies the operation; it is unique in a log.
	OpID string
	// ParentOpID is the op id of the operation this one derives from (the
	// causal chain), or empty. It must name an earlier entry.
	ParentOpID string
	// Operation is the operation name, such as "add", "expr" or
	// "policy.activate".
	Operation string
	// Mode is "nu", "interval", or empty for entries that compute nothing.
	Mode string
	// Expression is the source text of an evaluated expression (operation
	// "expr" from the API, "calc" from the CLI), so that an auditor can
	// recompute the output; a description for "policy.*" entries and the
	// manifest root for "proofs.attest"; empty otherwise.
	Expression string
	// Inputs are the input values.
	Inputs []nu.Value
	// Output is the result, or nil for entries without one.
	Output *nu.Value
	// Coverage is the relative uncertainty u/|n| of the output (≥ 0, may be
	// +Inf).
	Coverage nu.Float
	// Invariant is the invariant check of the result.
	Invariant Invariant
	// Guard lists the guard events raised for this result.
	Guard []GuardEvent
	// PolicyHash is the SHA-256 of the active policy, or all zero when no
	// policy was active.
	PolicyHash tlog.Hash
	// Analysis records how the output's uncertainty was analysed (input
	// distributions, Monte Carlo run, expanded uncertainty), or is nil.
	// Entries with one need bundle format version 3; they must have an
	// Output.
	Analysis *Analysis
}

// Entry is one signed ledger entry. The signature covers the canonical body
// (see [Entry.AppendBody] and docs/ledger-format.md); an Entry that was
// changed after signing fails verification.
type Entry struct {
	// Index is the 0-based position of the entry in its log.
	Index uint64
	// PrevHash is the link hash ([Entry.LinkHash]) of entry Index-1, or all
	// zero for entry 0.
	PrevHash tlog.Hash
	// KeyID is the note key hash of the key that signed the entry.
	KeyID KeyID
	Draft
	// Signature is the Ed25519 signature of the canonical body.
	Signature Signature
}

// Signature is an Ed25519 signature. In JSON it is standard base64.
type Signature [64]byte

// MarshalText writes standard base64.
func (s Signature) MarshalText() ([]byte, error) {
	return base64.StdEncoding.AppendEncode(nil, s[:]), nil
}

// UnmarshalText reads the standard base64 of exactly 64 bytes.
func (s *Signature) UnmarshalText(b []byte) error {
	var tmp [66]byte
	if len(b) != 88 {
		return errMalformed("signature must be the base64 of 64 bytes")
	}
	n, err := strictB64.Decode(tmp[:], b)
	if err != nil || n != len(s) {
		return errMalformed("signature must be the base64 of 64 bytes")
	}
	copy(s[:], tmp[:n])
	return nil
}

// Validate checks the field rules of a draft (the limits above, valid UTF-8,
// known mode and levels, coverage ≥ 0, op id not its own parent, and those
// of the [Analysis], naming fields such as "analysis.inputs[2].dist"). It returns
// a *nu.Error with code [CodeInvalidEntry] naming the first bad field.
func (d *Draft) Validate() error {
	if f := d.validate(); f != nil {
		return errInvalid("%s: %s", f.field, f.reason)
	}
	return nil
}

func (d *Draft) validate() *invalidField {
	if f := checkID("op_id", d.OpID, false); f != nil {
		return f
	}
	if f := checkID("parent_op_id", d.ParentOpID, true); f != nil {
		return f
	}
	if d.ParentOpID != "" && d.ParentOpID == d.OpID {
		return &invalidField{"parent_op_id", "an operation cannot be its own parent"}
	}
	if f := checkText("operation", d.Operation, 1, MaxOperationLen); f != nil {
		return f
	}
	switch d.Mode {
	case "", ModeNU, ModeInterval, ModeGUM:
	default:
		return &invalidField{"mode", "unknown mode " + quote(d.Mode) + ` (want "nu", "interval", "gum" or empty)`}
	}
	if len(d.Expression) > MaxExpressionLen || !utf8.ValidString(d.Expression) {
		return &invalidField{"expression", "expression must be valid UTF-8 of at most " + itoa(MaxExpressionLen) + " bytes"}
	}
	if len(d.Inputs) > MaxInputs {
		return &invalidField{"inputs", "too many inputs"}
	}
	if c := float64(d.Coverage); math.IsNaN(c) || c < 0 {
		return &invalidField{"coverage", "coverage must be >= 0 (or +Inf)"}
	}
	if f := checkMessage("invariant.message", d.Invariant.Message); f != nil {
		return f
	}
	if len(d.Guard) > MaxGuardEvents {
		return &invalidField{"guard", "too many guard events"}
	}
	for i := range d.Guard {
		g := &d.Guard[i]
		if f := checkText("guard.rule", g.Rule, 1, MaxRuleLen); f != nil {
			return f
		}
		if !g.Level.Valid() {
			return &invalidField{"guard.level", "unknown level " + quote(string(g.Level))}
		}
		if f := checkMessage("guard.message", g.Message); f != nil {
			return f
		}
		if !okFloat(float64(g.Value)) || !okFloat(float64(g.Threshold)) {
			return &invalidField{"guard.value", "guard value and threshold must not be NaN or -Inf"}
		}
	}
	if d.Analysis != nil {
		return d.Analysis.validate(d.Output != nil)
	}
	return nil
}

// invalidField names a field that breaks a rule.
type invalidField struct{ field, reason string }

func (f *invalidField) Error() string { return f.field + ": " + f.reason }

func okFloat(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, -1) }

func checkID(field, s string, empty bool) *invalidField {
	if s == "" {
		if empty {
			return nil
		}
		return &invalidField{field, "must not be empty"}
	}
	return checkText(field, s, 1, MaxOpIDLen)
}

// checkText requires valid UTF-8 without control characters.
func checkText(field, s string, min, max int) *invalidField {
	if len(s) < min || len(s) > max {
		return &invalidField{field, "length must be between " + itoa(min) + " and " + itoa(max) + " bytes"}
	}
	if !utf8.ValidString(s) {
		return &invalidField{field, "not valid UTF-8"}
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return &invalidField{field, "contains a control character"}
		}
	}
	return nil
}

// checkMessage allows control characters such as newlines.
func checkMessage(field, s string) *invalidField {
	if len(s) > MaxMessageLen {
		return &invalidField{field, "longer than " + itoa(MaxMessageLen) + " bytes"}
	}
	if !utf8.ValidString(s) {
		return &invalidField{field, "not valid UTF-8"}
	}
	return nil
}

// strictB64 is standard base64 that rejects non-zero padding bits, so that
// every byte string has exactly one accepted encoding.
var strictB64 = base64.StdEncoding.Strict()

// NewOpID returns a fresh random op id (128 bits, hex) for an entry whose
// caller gave none.
func NewOpID() string {
	var b [16]byte
	rand.Read(b[:]) // #nosec G104 -- crypto/rand.Read never fails (Go 1.24+): it crashes the program instead
	return hex.EncodeToString(b[:])
}
