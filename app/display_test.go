//go:build !wasm

package app

import (
	"math"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// TestResultDisplay: the calculator shows an interval-mode result rounded
// outward (its shown interval contains the computed one) and a nu-mode
// result rounded to nearest, on the page and in the history.
func TestResultDisplay(t *testing.T) {
	cases := []struct {
		src      string
		mode     nu.Mode
		result   string
		interval string
	}{
		{"(10 ± 0.5) * (20 ± 1)", nu.ModeInterval, "200 ± 21", "[179.5, 220.5]"},
		{"(10 ± 0.5) * (20 ± 1)", nu.ModeNU, "200 ± 14", "[185.849, 214.151]"},
		{"1 ± 0.141", nu.ModeInterval, "1.00 ± 0.15", "[0.859, 1.141]"},
		{"1 ± 0.141", nu.ModeNU, "1.00 ± 0.14", "[0.859, 1.141]"},
		{"5 +- 0.1", nu.ModeInterval, "5.00 ± 0.11", "[4.89999, 5.10001]"}, // the float 0.1 is above 0.1
		{"5 +- 0.1", nu.ModeNU, "5.00 ± 0.10", "[4.9, 5.1]"},
		{"(10 ± 0.5) + (20 ± 1)", nu.ModeInterval, "30.0 ± 1.5", "[28.5, 31.5]"},
		{"catch(1/0, 7)", nu.ModeInterval, "7 ± inf", "[−∞, +∞]"},
	}
	for _, c := range cases {
		o := Compute(c.src, c.mode)
		if !o.OK() {
			t.Fatalf("%s: %v", c.src, o.Err)
		}
		if h := o.historyItem(); h.Result != c.result {
			t.Errorf("%s (%s): history shows %q, want %q", c.src, c.mode, h.Result, c.result)
		}
		page := app.HTMLString(renderValue(o))
		for _, want := range []string{">" + c.result + "<", ">" + c.interval + "<"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s (%s): result lacks %q:\n%s", c.src, c.mode, want, page)
			}
		}
	}
}

// TestCoverageDisplay: an infinite coverage says why it is infinite: n = 0,
// or u = ∞ (as catch produces, whatever its default n).
func TestCoverageDisplay(t *testing.T) {
	seven, zero := nu.Catch(0, -1, 7), nu.MustNew(0, 1)
	cases := []struct {
		c    float64
		v    *nu.Value
		want string
	}{
		{math.Inf(1), &seven, "∞ (u = ∞)"},
		{math.Inf(1), &zero, "∞ (n = 0)"},
		{math.Inf(1), nil, "∞"},
		{0, nil, "0 (exact)"},
		{0.1025, nil, "10.2 %"},
	}
	for _, c := range cases {
		if got := formatCoverage(c.c, c.v); got != c.want {
			t.Errorf("formatCoverage(%v, %v) = %q, want %q", c.c, c.v, got, c.want)
		}
	}
	for _, c := range []struct{ src, want string }{
		{"catch(1/(0±1), 7)", "∞ (u = ∞)"},
		{"catch(1/(0±1))", "∞ (u = ∞)"},
		{"0 ± 1", "∞ (n = 0)"},
	} {
		o := Compute(c.src, nu.ModeNU)
		page := app.HTMLString(renderValue(o))
		if !strings.Contains(page, `class="coverage">`+c.want+"<") {
			t.Errorf("%s: coverage is not %q:\n%s", c.src, c.want, page)
		}
	}
}

// TestExplorerValueDisplay: the explorer's Output and inputs are rounded
// outward for interval-mode entries, and its Coverage column explains ∞.
func TestExplorerValueDisplay(t *testing.T) {
	out := nu.MustNew(200, 20.5)
	caught := nu.Catch(0, -1, 7)
	cases := []struct {
		d              ledger.Draft
		output, inputs string
		coverage       string
	}{
		{ledger.Draft{Mode: "interval", Output: &out, Inputs: []nu.Value{nu.MustNew(1, 0.141)}}, "200 ± 21", "1.00 ± 0.15", "10.2 %"},
		{ledger.Draft{Mode: "nu", Output: &out, Inputs: []nu.Value{nu.MustNew(1, 0.141)}}, "200 ± 20", "1.00 ± 0.14", "10.2 %"},
		{ledger.Draft{Mode: "", Output: &caught}, "7 ± inf", "", "∞ (u = ∞)"},
		{ledger.Draft{Mode: "interval"}, "—", "", "0 (exact)"},
	}
	for _, c := range cases {
		e := ledger.Entry{Draft: c.d}
		if e.Output != nil {
			e.Coverage = nu.Float(e.Output.RelativeUncertainty())
		}
		if got := entryOutput(&e); got != c.output {
			t.Errorf("%s entry: output %q, want %q", e.Mode, got, c.output)
		}
		if got := entryInputs(&e); got != c.inputs {
			t.Errorf("%s entry: inputs %q, want %q", e.Mode, got, c.inputs)
		}
		if got := formatCoverage(float64(e.Coverage), e.Output); got != c.coverage {
			t.Errorf("%s entry: coverage %q, want %q", e.Mode, got, c.coverage)
		}
	}
}
