package analysis

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/coverage"
	"github.com/ebios/ebios/core/expr"
	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/mc"
	"github.com/ebios/ebios/core/nu"
)

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		mode      nu.Mode
		req       Request
		check     func(t *testing.T, r *Report)
		code      string
	}{
		{"nothing", "1 ± 0.1", nu.ModeNU, Request{}, func(t *testing.T, r *Report) {
			if r.Budget != nil || r.Expanded != nil || r.MonteCarlo != nil {
				t.Errorf("%+v", r)
			}
		}, ""},
		{"budget and k from p", "x = 2 ± 0.1 t(4); y = 3 ± 0.2; x * y", nu.ModeGUM, Request{Budget: true, P: 0.95}, func(t *testing.T, r *Report) {
			if len(r.Budget.Terms) != 2 || r.Budget.Terms[0].DoF != 4 || !math.IsInf(float64(r.Budget.Terms[1].DoF), 1) {
				t.Errorf("budget %+v", r.Budget)
			}
			if r.Expanded == nil || r.Expanded.P != 0.95 || r.Expanded.K <= 1.96 || float64(r.Expanded.DoF) < 4 ||
				math.Abs(r.Expanded.U-r.Expanded.K*float64(r.Budget.U)) > 1e-12 {
				t.Errorf("expanded %+v", r.Expanded)
			}
		}, ""},
		{"k given, nu mode", "(2 ± 0.1) * (3 ± 0.2)", nu.ModeNU, Request{K: 2}, func(t *testing.T, r *Report) {
			v, _ := expr.Eval("(2 ± 0.1) * (3 ± 0.2)", nu.ModeNU)
			if r.Expanded.K != 2 || r.Expanded.U != 2*v.Value.U() || r.Expanded.P != 0 || r.Budget != nil {
				t.Errorf("expanded %+v", r.Expanded)
			}
		}, ""},
		{"monte carlo with validation", "x = 1 ± 0.1; y = 2 ± 0.1 t(50); x + y", nu.ModeGUM,
			Request{MonteCarlo: &MonteCarlo{Draws: 200_000, Seed: 5}}, func(t *testing.T, r *Report) {
				if r.MonteCarlo == nil || r.MonteCarlo.Draws != 200_000 || r.Validation == nil || len(r.Inputs) != 2 ||
					r.Inputs[1].Dist != "t" || r.Inputs[1].DoF != 50 || r.Expanded != nil {
					t.Fatalf("%+v", r)
				}
				k, _ := coverage.Factor(0.95, 200) // ν_eff = 0.02² / (0.1⁴/50)
				if !r.Validation.Agree || math.Abs(r.Validation.Lo-(3-k*math.Sqrt(0.02))) > 1e-12 {
					t.Errorf("validation %+v", r.Validation)
				}
			}, ""},
		{"validation fails for a curved model", "x = 1 ± 0.5 uniform; x^3", nu.ModeGUM,
			Request{MonteCarlo: &MonteCarlo{Draws: 200_000}}, func(t *testing.T, r *Report) {
				if r.Validation == nil || r.Validation.Agree {
					t.Errorf("validation %+v", r.Validation)
				}
			}, ""},
		{"interval mode, budget", "1 ± 0.1", nu.ModeInterval, Request{Budget: true}, nil, CodeMode},
		{"interval mode, monte carlo", "(1 ± 0.1) * (2 ± 0.1)", nu.ModeInterval,
			Request{P: 0.9, MonteCarlo: &MonteCarlo{Draws: 10_000}}, func(t *testing.T, r *Report) {
				if r.MonteCarlo.P != 0.9 || r.Expanded != nil {
					t.Errorf("%+v", r)
				}
			}, ""},
		{"bad k", "1 ± 0.1", nu.ModeNU, Request{K: -1}, nil, "COVER_003"},
		{"bad p", "1 ± 0.1", nu.ModeNU, Request{P: 1.5}, nil, "COVER_001"},
		{"bad draws", "1 ± 0.1", nu.ModeNU, Request{MonteCarlo: &MonteCarlo{Draws: -1}}, nil, mc.CodeOption},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := expr.Parse(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			v, err := e.Eval(tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Run(e, tc.mode, v, tc.req, nil)
			if tc.code != "" {
				if ne, ok := nu.AsError(err); !ok || ne.Code != tc.code {
					t.Fatalf("got %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, r)
			if _, err := json.Marshal(r); err != nil {
				t.Errorf("the report does not marshal: %v", err)
			}
		})
	}
}

// TestRequestJSON: the seed travels as a string, so JavaScript clients keep
// all 64 bits.
func TestRequestJSON(t *testing.T) {
	var r Request
	if err := json.Unmarshal([]byte(`{"p":0.95,"monte_carlo":{"draws":1000,"seed":"18446744073709551615"}}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.MonteCarlo.Seed != math.MaxUint64 {
		t.Errorf("seed %d", r.MonteCarlo.Seed)
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"seed":"18446744073709551615"`) {
		t.Errorf("%s", b)
	}
}

// TestRecordReplay: what the ledger records of an analysis repeats it bit
// for bit, and the record passes the ledger's own checks.
func TestRecordReplay(t *testing.T) {
	for _, tc := range []struct {
		src  string
		mode nu.Mode
		req  Request
	}{
		{"x = 1 ± 0.1 uniform; y = 2 ± 0.3 t(5); corr_free = 3 ± 0.1 triangular; x / y + corr_free", nu.ModeGUM,
			Request{P: 0.99, MonteCarlo: &MonteCarlo{Draws: 30_000, Seed: math.MaxUint64, Shortest: true}}},
		{"a = 1 ± 0.1; b = 2 ± 0.2; corr(a, b) = -0.5; a * b", nu.ModeGUM, Request{K: 2, MonteCarlo: &MonteCarlo{Adaptive: true, Draws: 50_000, Seed: 7, Digits: 3}}},
		{"(2 ± 0.1) * (3 ± 0.2)", nu.ModeNU, Request{P: 0.95}},
	} {
		e, _ := expr.Parse(tc.src)
		v, err := e.Eval(tc.mode)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Run(e, tc.mode, v, tc.req, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec := r.Record()
		d := ledger.Draft{OpID: "x", Operation: "calc", Mode: tc.mode.String(), Expression: tc.src, Output: &v, Analysis: rec}
		if err := d.Validate(); err != nil {
			t.Fatalf("%s: the record is refused: %v", tc.src, err)
		}
		again, err := Run(e, tc.mode, v, Replay(rec), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !Matches(again, rec) {
			t.Errorf("%s: the replay differs:\n%+v\n%+v", tc.src, again.Record(), rec)
		}
		// A changed bit is noticed.
		if rec.MonteCarlo != nil {
			rec.MonteCarlo.Mean = nu.Float(math.Nextafter(float64(rec.MonteCarlo.Mean), 10))
			if Matches(again, rec) {
				t.Errorf("%s: a changed mean still matches", tc.src)
			}
		}
	}
	if (&Report{Budget: &Budget{}}).Record() != nil {
		t.Error("a budget alone is recorded")
	}
	if got := clip(strings.Repeat("é", 200), 256); len(got) > 256 || !strings.HasSuffix(got, "…") {
		t.Errorf("clip: %d bytes %q", len(got), got[len(got)-8:])
	}
}
