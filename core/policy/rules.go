package policy

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// Rule types as written in the "type" field of a rule. The seed's names
// ("InvariantRule", "CoverageRule", "ThresholdRule", "CompositeRule") are
// accepted as aliases when parsing.
const (
	TypeInvariant = "invariant"
	TypeCoverage  = "coverage"
	TypeThreshold = "threshold"
	TypeComposite = "composite"
)

// Composite operators.
const (
	OpAnd = "and" // fires when every nested rule fires
	OpOr  = "or"  // fires when at least one nested rule fires
)

// Rule is one guard rule of a policy. The set of rules is closed: it is
// [InvariantRule], [CoverageRule], [ThresholdRule] and [CompositeRule].
type Rule interface {
	// RuleName is the name that guard events carry.
	RuleName() string
	// RuleType is one of the Type constants.
	RuleType() string
	// RuleLevel is the level of the events the rule raises (always
	// critical for the invariant rule; empty for a nested rule without
	// one).
	RuleLevel() ledger.Level
	// eval reports whether the rule fires for the valid value (n, u).
	eval(n, u float64) (hit, bool)
}

// hit is what a firing rule observed.
type hit struct {
	value, threshold float64
	msg              string
}

// InvariantRule fires when (n, u) is not a valid value: u negative or NaN,
// n NaN or infinite. Its level is always critical. It is applied even when
// a policy does not list it (under the name "invariant"), and when it
// fires no other rule is evaluated: the numbers mean nothing.
type InvariantRule struct {
	Name string
}

// CoverageRule fires when the relative uncertainty u/|n| (the ledger's
// "coverage") is above Threshold (> 0). It is 0 for an exact value, and
// +Inf when n = 0 < u.
type CoverageRule struct {
	Name      string
	Threshold float64
	Level     ledger.Level
}

// ThresholdRule fires when the uncertainty u is above MaxUncertainty (≥ 0).
type ThresholdRule struct {
	Name           string
	MaxUncertainty float64
	Level          ledger.Level
}

// CompositeRule combines nested rules with "and" or "or" and raises one
// event of its own Level. The levels of nested rules are ignored. Its event
// carries the value and threshold of the first nested leaf rule that fired
// (depth first, in document order); the message names every nested rule
// that fired.
type CompositeRule struct {
	Name  string
	Op    string
	Rules []Rule
	Level ledger.Level
}

func (r InvariantRule) RuleName() string        { return r.Name }
func (r InvariantRule) RuleType() string        { return TypeInvariant }
func (r InvariantRule) RuleLevel() ledger.Level { return ledger.LevelCritical }
func (r CoverageRule) RuleName() string         { return r.Name }
func (r CoverageRule) RuleType() string         { return TypeCoverage }
func (r CoverageRule) RuleLevel() ledger.Level  { return r.Level }
func (r ThresholdRule) RuleName() string        { return r.Name }
func (r ThresholdRule) RuleType() string        { return TypeThreshold }
func (r ThresholdRule) RuleLevel() ledger.Level { return r.Level }
func (r CompositeRule) RuleName() string        { return r.Name }
func (r CompositeRule) RuleType() string        { return TypeComposite }
func (r CompositeRule) RuleLevel() ledger.Level { return r.Level }

// eval of the invariant rule never fires on a valid value; [Config.Evaluate]
// checks the invariant before any rule.
func (r InvariantRule) eval(n, u float64) (hit, bool) { return hit{}, false }

func (r CoverageRule) eval(n, u float64) (hit, bool) {
	c := coverage(n, u)
	if c > r.Threshold {
		return hit{c, r.Threshold, "relative uncertainty u/|n| = " + fmtF(c) + " exceeds " + fmtF(r.Threshold)}, true
	}
	return hit{}, false
}

func (r ThresholdRule) eval(n, u float64) (hit, bool) {
	if u > r.MaxUncertainty {
		return hit{u, r.MaxUncertainty, "uncertainty u = " + fmtF(u) + " exceeds max_uncertainty " + fmtF(r.MaxUncertainty)}, true
	}
	return hit{}, false
}

func (r CompositeRule) eval(n, u float64) (hit, bool) {
	var first *hit
	var msgs []string
	for _, c := range r.Rules {
		h, ok := c.eval(n, u)
		if !ok {
			if r.Op == OpAnd {
				return hit{}, false
			}
			continue
		}
		if first == nil {
			first = &h
		}
		msgs = append(msgs, c.RuleName()+": "+h.msg)
	}
	if first == nil {
		return hit{}, false
	}
	return hit{first.value, first.threshold, r.Op + "(" + strings.Join(msgs, "; ") + ")"}, true
}

// coverage is u/|n|: 0 when u = 0, +Inf when n = 0 < u.
func coverage(n, u float64) float64 {
	if u == 0 {
		return 0
	}
	return u / math.Abs(n)
}

func fmtF(x float64) string {
	if math.IsInf(x, 1) {
		return nu.InfString
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// invariantViolation describes why (n, u) is not a valid value. value is
// the offending number when a guard event can carry it (not NaN, not -Inf),
// otherwise 0.
func invariantViolation(n, u float64) (msg string, value float64, bad bool) {
	switch {
	case math.IsNaN(n):
		return "invariant violated: nominal n is NaN", 0, true
	case math.IsInf(n, 1):
		return "invariant violated: nominal n is +Inf", n, true
	case math.IsInf(n, -1):
		return "invariant violated: nominal n is -Inf", 0, true
	case math.IsNaN(u):
		return "invariant violated: uncertainty u is NaN", 0, true
	case math.IsInf(u, -1):
		return "invariant violated: uncertainty u is -Inf (must be >= 0)", 0, true
	case u < 0:
		return "invariant violated: uncertainty u = " + fmtF(u) + " is negative (must be >= 0)", u, true
	}
	return "", 0, false
}

// Evaluate checks the pair (n, u), which may be invalid (NaN, negative u,
// infinite n), against the rules of c and returns the events raised, in rule
// order; nil when no rule fires. An invalid pair raises exactly one critical
// event from the invariant rule and nothing else. Each top-level rule raises
// at most one event. Events are valid ledger guard events (the message is
// cut to [ledger.MaxMessageLen] bytes).
func (c *Config) Evaluate(n, u float64) []ledger.GuardEvent {
	if msg, v, bad := invariantViolation(n, u); bad {
		return []ledger.GuardEvent{{Rule: c.invariantName(), Level: ledger.LevelCritical,
			Message: msg, Value: nu.Float(v), Threshold: 0}}
	}
	var evs []ledger.GuardEvent
	for _, r := range c.Rules {
		h, ok := r.eval(n, u)
		if !ok {
			continue
		}
		evs = append(evs, ledger.GuardEvent{Rule: r.RuleName(), Level: r.RuleLevel(),
			Message: truncate(h.msg, ledger.MaxMessageLen-len("…")), Value: nu.Float(h.value), Threshold: nu.Float(h.threshold)})
	}
	return evs
}

// EvaluateValue is Evaluate for a value, which is always valid, so the
// invariant rule never fires.
func (c *Config) EvaluateValue(v nu.Value) []ledger.GuardEvent { return c.Evaluate(v.N(), v.U()) }

// invariantName is the name of the policy's invariant rule, or "invariant".
func (c *Config) invariantName() string {
	for _, r := range c.Rules {
		if r.RuleType() == TypeInvariant && r.RuleName() != "" {
			return r.RuleName()
		}
	}
	return TypeInvariant
}

// Rank orders levels: info 1, warning 2, error 3, critical 4; 0 for
// anything else (including the empty level).
func Rank(l ledger.Level) int {
	switch l {
	case ledger.LevelInfo:
		return 1
	case ledger.LevelWarning:
		return 2
	case ledger.LevelError:
		return 3
	case ledger.LevelCritical:
		return 4
	}
	return 0
}

// MaxLevel returns the most severe level among events, or "" when there
// are none.
func MaxLevel(events []ledger.GuardEvent) ledger.Level {
	var m ledger.Level
	for _, e := range events {
		if Rank(e.Level) > Rank(m) {
			m = e.Level
		}
	}
	return m
}

// Decision is what the escalation settings make of a result's events.
//
// Whatever the decision, the operation and all its events are written to
// the ledger: a halted result is refused to the caller, not hidden from the
// log ("failure is allowed, lying about failure is not").
type Decision struct {
	// Level is the most severe event level, or "" when no rule fired.
	Level ledger.Level `json:"level,omitempty"`
	// Halt is true when halt_on_critical is set and an event is critical:
	// the result must be refused (the attempt is still logged).
	Halt bool `json:"halt"`
	// Cause is the first critical event when Halt is true.
	Cause *ledger.GuardEvent `json:"cause,omitempty"`
}

// Decide applies the escalation settings of c to events.
func (c *Config) Decide(events []ledger.GuardEvent) Decision {
	d := Decision{Level: MaxLevel(events)}
	if c.EffectiveEscalation().HaltOnCritical && d.Level == ledger.LevelCritical {
		for i := range events {
			if events[i].Level == ledger.LevelCritical {
				e := events[i]
				d.Halt, d.Cause = true, &e
				break
			}
		}
	}
	return d
}

// Config is the signed part of a policy document. Build one in Go and sign
// it with [Sign], or load one with [LoadTemplate] or [Parse]. A Config from
// this package is valid; do not modify it.
type Config struct {
	Version     string
	Name        string
	Description string
	Rules       []Rule
	// Escalation is nil when the document has no escalation object; then
	// [DefaultEscalation] applies.
	Escalation *Escalation
	// Metadata is free-form, as decoded by encoding/json (string, float64,
	// bool, nil, []any, map[string]any).
	Metadata map[string]any
}

// Escalation says what happens to critical events. The defaults (no
// escalation object) are halt_on_critical false, auto_log true.
type Escalation struct {
	// HaltOnCritical refuses a result with a critical event.
	HaltOnCritical bool `json:"halt_on_critical"`
	// AutoLog is kept for the seed's format. eBIOS always logs every
	// operation with all its events, so false changes nothing (and the
	// validator warns about it).
	AutoLog bool `json:"auto_log"`
}

// DefaultEscalation applies when a config has no escalation object.
var DefaultEscalation = Escalation{HaltOnCritical: false, AutoLog: true}

// EffectiveEscalation returns c.Escalation, or DefaultEscalation when it is
// nil.
func (c *Config) EffectiveEscalation() Escalation {
	if c.Escalation == nil {
		return DefaultEscalation
	}
	return *c.Escalation
}

// MarshalJSON writes the config in the document shape, with the canonical
// rule type names.
func (c *Config) MarshalJSON() ([]byte, error) {
	type out struct {
		Version     string         `json:"version"`
		Name        string         `json:"name"`
		Description string         `json:"description,omitempty"`
		Rules       []Rule         `json:"rules"`
		Escalation  *Escalation    `json:"escalation,omitempty"`
		Metadata    map[string]any `json:"metadata,omitempty"`
	}
	o := out{c.Version, c.Name, c.Description, c.Rules, c.Escalation, c.Metadata}
	if o.Rules == nil {
		o.Rules = []Rule{}
	}
	return json.Marshal(o)
}

// MarshalJSON writes {"type":"invariant","name":...}.
func (r InvariantRule) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type string `json:"type"`
		Name string `json:"name,omitempty"`
	}{TypeInvariant, r.Name})
}

// MarshalJSON writes {"type":"coverage","name":...,"threshold":...,"level":...}.
func (r CoverageRule) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type      string       `json:"type"`
		Name      string       `json:"name,omitempty"`
		Threshold float64      `json:"threshold"`
		Level     ledger.Level `json:"level,omitempty"`
	}{TypeCoverage, r.Name, r.Threshold, r.Level})
}

// MarshalJSON writes {"type":"threshold","name":...,"max_uncertainty":...,"level":...}.
func (r ThresholdRule) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type           string       `json:"type"`
		Name           string       `json:"name,omitempty"`
		MaxUncertainty float64      `json:"max_uncertainty"`
		Level          ledger.Level `json:"level,omitempty"`
	}{TypeThreshold, r.Name, r.MaxUncertainty, r.Level})
}

// MarshalJSON writes {"type":"composite","name":...,"op":...,"rules":[...],"level":...}.
func (r CompositeRule) MarshalJSON() ([]byte, error) {
	rules := r.Rules
	if rules == nil {
		rules = []Rule{}
	}
	return json.Marshal(struct {
		Type  string       `json:"type"`
		Name  string       `json:"name,omitempty"`
		Op    string       `json:"op"`
		Rules []Rule       `json:"rules"`
		Level ledger.Level `json:"level,omitempty"`
	}{TypeComposite, r.Name, r.Op, rules, r.Level})
}
