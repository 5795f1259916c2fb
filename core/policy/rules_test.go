package policy

import (
	"math"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

var inf = math.Inf(1)

var levels = []ledger.Level{ledger.LevelInfo, ledger.LevelWarning, ledger.LevelError, ledger.LevelCritical}

// TestLeafRules checks each leaf rule at each level on values on both sides
// of its threshold.
func TestLeafRules(t *testing.T) {
	type tc struct {
		n, u       float64
		fire       bool
		value, thr float64
	}
	for _, lv := range levels {
		cov := CoverageRule{Name: "cov", Threshold: 0.1, Level: lv}
		thr := ThresholdRule{Name: "thr", MaxUncertainty: 1, Level: lv}
		for _, c := range []struct {
			rule  Rule
			cases []tc
		}{
			{cov, []tc{
				{10, 0.5, false, 0, 0},     // 0.05
				{10, 1, false, 0, 0},       // exactly 0.1: not above
				{10, 1.5, true, 0.15, 0.1}, // above
				{-10, 1.5, true, 0.15, 0.1},
				{0, 0, false, 0, 0},       // exact zero has coverage 0
				{0, 1e-9, true, inf, 0.1}, // n = 0 < u: coverage +Inf
				{5, inf, true, inf, 0.1},  // catch result
				{1e308, 1e307, false, 0, 0},
			}},
			{thr, []tc{
				{10, 0.5, false, 0, 0},
				{10, 1, false, 0, 0}, // not above
				{10, 1.25, true, 1.25, 1},
				{0, 2, true, 2, 1},
				{3, inf, true, inf, 1},
			}},
		} {
			for _, x := range c.cases {
				cfg := &Config{Rules: []Rule{c.rule}}
				evs := cfg.Evaluate(x.n, x.u)
				if !x.fire {
					if len(evs) != 0 {
						t.Errorf("%s/%s (%v, %v): unexpected events %+v", c.rule.RuleName(), lv, x.n, x.u, evs)
					}
					continue
				}
				if len(evs) != 1 {
					t.Fatalf("%s/%s (%v, %v): got %d events, want 1", c.rule.RuleName(), lv, x.n, x.u, len(evs))
				}
				e := evs[0]
				if e.Rule != c.rule.RuleName() || e.Level != lv || float64(e.Value) != x.value || float64(e.Threshold) != x.thr || e.Message == "" {
					t.Errorf("%s/%s (%v, %v): got %+v, want value %v threshold %v", c.rule.RuleName(), lv, x.n, x.u, e, x.value, x.thr)
				}
				checkEvents(t, evs)
			}
		}
	}
}

// checkEvents requires events a ledger accepts.
func checkEvents(t *testing.T, evs []ledger.GuardEvent) {
	t.Helper()
	out := nu.MustNew(1, 0)
	d := ledger.Draft{OpID: "op", Operation: "add", Mode: ledger.ModeNU, Output: &out, Guard: evs}
	if err := d.Validate(); err != nil {
		t.Fatalf("events not accepted by the ledger: %v", err)
	}
}

// TestInvariant checks that invalid pairs raise one critical event from the
// invariant rule, named after the policy's rule or "invariant", and that no
// other rule runs on them.
func TestInvariant(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name  string
		n, u  float64
		value float64
		msg   string
	}{
		{"negative u", 1, -0.5, -0.5, "negative"},
		{"-Inf u", 1, math.Inf(-1), 0, "-Inf"},
		{"NaN u", 1, nan, 0, "u is NaN"},
		{"NaN n", nan, 1, 0, "n is NaN"},
		{"NaN both", nan, nan, 0, "n is NaN"},
		{"+Inf n", inf, 1, inf, "+Inf"},
		{"-Inf n", math.Inf(-1), 0, 0, "-Inf"},
	} {
		for _, cfg := range []*Config{
			{Rules: []Rule{InvariantRule{Name: "inv"}, CoverageRule{Name: "c", Threshold: 0.1, Level: ledger.LevelInfo}}},
			{Rules: []Rule{ThresholdRule{Name: "t", MaxUncertainty: 0, Level: ledger.LevelInfo}}}, // no invariant listed
			{},
		} {
			evs := cfg.Evaluate(tc.n, tc.u)
			want := "invariant"
			if len(cfg.Rules) == 2 {
				want = "inv"
			}
			if len(evs) != 1 {
				t.Fatalf("%s: got %d events %+v, want 1", tc.name, len(evs), evs)
			}
			e := evs[0]
			if e.Rule != want || e.Level != ledger.LevelCritical || float64(e.Value) != tc.value || e.Threshold != 0 || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("%s: got %+v, want rule %s, critical, value %v, message with %q", tc.name, e, want, tc.value, tc.msg)
			}
			checkEvents(t, evs)
		}
	}
	// A valid value never trips the invariant rule.
	cfg := &Config{Rules: []Rule{InvariantRule{Name: "invariant"}}}
	for _, v := range []nu.Value{nu.MustNew(0, 0), nu.MustNew(-3, inf), nu.MustNew(math.MaxFloat64, math.MaxFloat64)} {
		if evs := cfg.EvaluateValue(v); len(evs) != 0 {
			t.Errorf("%v: %+v", v, evs)
		}
	}
}

// TestComposite checks and/or and nesting three levels deep.
func TestComposite(t *testing.T) {
	cov := func(name string, x float64) Rule { return CoverageRule{Name: name, Threshold: x} }
	thr := func(name string, x float64) Rule { return ThresholdRule{Name: name, MaxUncertainty: x} }
	// level 1: or( level 2: and(cov>0.1, level 3: or(u>5, cov>0.5)), u>100 )
	inner := CompositeRule{Name: "inner", Op: OpOr, Rules: []Rule{thr("u5", 5), cov("c50", 0.5)}}
	mid := CompositeRule{Name: "mid", Op: OpAnd, Rules: []Rule{cov("c10", 0.1), inner}}
	top := CompositeRule{Name: "top", Op: OpOr, Rules: []Rule{mid, thr("u100", 100)}, Level: ledger.LevelError}
	cfg := &Config{Rules: []Rule{top}}
	cases := []struct {
		n, u       float64
		fire       bool
		value, thr float64
		msgPrefix  string
	}{
		{100, 1, false, 0, 0, ""},
		{10, 2, false, 0, 0, ""},
		{10, 6, true, 0.6, 0.1, "or(mid: and(c10: relative uncertainty u/|n| = 0.6 exceeds 0.1; inner: or(u5: uncertainty u = 6 exceeds max_uncertainty 5; c50: relative uncertainty u/|n| = 0.6 exceeds 0.5)))"},
		{100, 20, true, 0.2, 0.1, "or(mid: and(c10: relative uncertainty u/|n| = 0.2 exceeds 0.1; inner: or(u5: uncertainty u = 20 exceeds max_uncertainty 5)))"},
		{1e4, 200, true, 200, 100, "or(u100: uncertainty u = 200 exceeds max_uncertainty 100)"},
		{1, 0.6, true, 0.6, 0.1, "or(mid: and(c10: relative uncertainty u/|n| = 0.6 exceeds 0.1; inner: or(c50: relative uncertainty u/|n| = 0.6 exceeds 0.5)))"},
		{1, 0.3, false, 0, 0, ""}, // c10 fires but inner does not
	}
	for _, tc := range cases {
		evs := cfg.Evaluate(tc.n, tc.u)
		if !tc.fire {
			if len(evs) != 0 {
				t.Errorf("(%v, %v): unexpected %+v", tc.n, tc.u, evs)
			}
			continue
		}
		if len(evs) != 1 {
			t.Fatalf("(%v, %v): got %d events", tc.n, tc.u, len(evs))
		}
		e := evs[0]
		if e.Rule != "top" || e.Level != ledger.LevelError || float64(e.Value) != tc.value || float64(e.Threshold) != tc.thr || e.Message != tc.msgPrefix {
			t.Errorf("(%v, %v):\n got %+v\nwant value %v threshold %v message %s", tc.n, tc.u, e, tc.value, tc.thr, tc.msgPrefix)
		}
		checkEvents(t, evs)
	}
	// and needs every nested rule; or needs one.
	and := &Config{Rules: []Rule{CompositeRule{Name: "a", Op: OpAnd, Rules: []Rule{cov("x", 0.1), thr("y", 1)}, Level: ledger.LevelWarning}}}
	or := &Config{Rules: []Rule{CompositeRule{Name: "o", Op: OpOr, Rules: []Rule{cov("x", 0.1), thr("y", 1)}, Level: ledger.LevelWarning}}}
	for _, tc := range []struct {
		n, u      float64
		andF, orF bool
	}{
		{100, 0.5, false, false}, // neither
		{1, 0.5, false, true},    // coverage only
		{1000, 2, false, true},   // threshold only
		{10, 2, true, true},      // both
	} {
		if got := len(and.Evaluate(tc.n, tc.u)) == 1; got != tc.andF {
			t.Errorf("and(%v, %v) = %v", tc.n, tc.u, got)
		}
		if got := len(or.Evaluate(tc.n, tc.u)) == 1; got != tc.orF {
			t.Errorf("or(%v, %v) = %v", tc.n, tc.u, got)
		}
	}
}

// TestEventOrder checks one event per firing top-level rule, in rule order.
func TestEventOrder(t *testing.T) {
	cfg := &Config{Rules: []Rule{
		InvariantRule{Name: "invariant"},
		ThresholdRule{Name: "t", MaxUncertainty: 1, Level: ledger.LevelInfo},
		CoverageRule{Name: "c", Threshold: 0.05, Level: ledger.LevelError},
		CoverageRule{Name: "never", Threshold: 100, Level: ledger.LevelCritical},
	}}
	evs := cfg.Evaluate(10, 2)
	if len(evs) != 2 || evs[0].Rule != "t" || evs[1].Rule != "c" {
		t.Fatalf("got %+v", evs)
	}
	if MaxLevel(evs) != ledger.LevelError {
		t.Errorf("MaxLevel = %s", MaxLevel(evs))
	}
}

func TestMaxLevel(t *testing.T) {
	ev := func(ls ...ledger.Level) []ledger.GuardEvent {
		var evs []ledger.GuardEvent
		for _, l := range ls {
			evs = append(evs, ledger.GuardEvent{Rule: "r", Level: l})
		}
		return evs
	}
	for _, tc := range []struct {
		evs  []ledger.GuardEvent
		want ledger.Level
	}{
		{nil, ""},
		{ev(ledger.LevelInfo), ledger.LevelInfo},
		{ev(ledger.LevelWarning, ledger.LevelInfo), ledger.LevelWarning},
		{ev(ledger.LevelInfo, ledger.LevelError, ledger.LevelWarning), ledger.LevelError},
		{ev(ledger.LevelWarning, ledger.LevelCritical, ledger.LevelError), ledger.LevelCritical},
	} {
		if got := MaxLevel(tc.evs); got != tc.want {
			t.Errorf("MaxLevel(%v) = %q, want %q", tc.evs, got, tc.want)
		}
	}
	for i := 1; i < len(levels); i++ {
		if Rank(levels[i-1]) >= Rank(levels[i]) || Rank(levels[i-1]) == 0 {
			t.Errorf("Rank(%s) >= Rank(%s)", levels[i-1], levels[i])
		}
	}
	if Rank("fatal") != 0 || Rank("") != 0 {
		t.Error("unknown levels must rank 0")
	}
}

// TestDecide checks halt versus log-only: only halt_on_critical with a
// critical event halts; every other combination logs only.
func TestDecide(t *testing.T) {
	rules := []Rule{
		InvariantRule{Name: "invariant"},
		CoverageRule{Name: "cov", Threshold: 0.1, Level: ledger.LevelError},
		ThresholdRule{Name: "crit_u", MaxUncertainty: 100, Level: ledger.LevelCritical},
	}
	halt := &Config{Rules: rules, Escalation: &Escalation{HaltOnCritical: true, AutoLog: true}}
	logOnly := &Config{Rules: rules, Escalation: &Escalation{HaltOnCritical: false, AutoLog: true}}
	dflt := &Config{Rules: rules} // defaults: no halt
	for _, tc := range []struct {
		name     string
		n, u     float64
		level    ledger.Level
		haltWant bool
		cause    string
	}{
		{"clean", 100, 1, "", false, ""},
		{"error only", 1, 0.5, ledger.LevelError, false, ""},
		{"critical rule", 1000, 500, ledger.LevelCritical, true, "crit_u"},
		{"invariant", 1, -1, ledger.LevelCritical, true, "invariant"},
		{"NaN", math.NaN(), 0, ledger.LevelCritical, true, "invariant"},
	} {
		for _, c := range []struct {
			cfg    *Config
			halts  bool
			config string
		}{{halt, true, "halt"}, {logOnly, false, "log-only"}, {dflt, false, "default"}} {
			evs := c.cfg.Evaluate(tc.n, tc.u)
			d := c.cfg.Decide(evs)
			wantHalt := tc.haltWant && c.halts
			if d.Level != tc.level || d.Halt != wantHalt {
				t.Errorf("%s/%s: got %+v, want level %q halt %v", tc.name, c.config, d, tc.level, wantHalt)
			}
			if wantHalt && (d.Cause == nil || d.Cause.Rule != tc.cause || d.Cause.Level != ledger.LevelCritical) {
				t.Errorf("%s/%s: cause %+v, want %s", tc.name, c.config, d.Cause, tc.cause)
			}
			if !wantHalt && d.Cause != nil {
				t.Errorf("%s/%s: cause without halt", tc.name, c.config)
			}
		}
	}
}

// TestLongMessage checks that a composite message is cut to the ledger's
// limit and stays valid UTF-8.
func TestLongMessage(t *testing.T) {
	var rules []Rule
	for i := range 200 {
		rules = append(rules, ThresholdRule{Name: strings.Repeat("é", 60) + string(rune('a'+i%26)) + strings.Repeat("x", i), MaxUncertainty: 0})
	}
	cfg := &Config{Rules: []Rule{CompositeRule{Name: "big", Op: OpOr, Rules: rules, Level: ledger.LevelInfo}}}
	evs := cfg.Evaluate(1, 1)
	if len(evs) != 1 || len(evs[0].Message) > ledger.MaxMessageLen {
		t.Fatalf("message of %d bytes", len(evs[0].Message))
	}
	checkEvents(t, evs)
}
