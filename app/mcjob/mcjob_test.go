package mcjob

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/ebios/ebios/core/analysis"
	"github.com/ebios/ebios/core/expr"
	"github.com/ebios/ebios/core/mc"
	"github.com/ebios/ebios/core/nu"
)

// TestDoIsRun: the worker's report is, byte for byte, what analysis.Run
// gives for the same expression, mode and request (the CLI and the API
// marshal the same value), and the first-order result is the budget's.
func TestDoIsRun(t *testing.T) {
	src := "x = 1.2 ± 0.1 uniform; y = 3 ± 0.2 t(8); x * y^2"
	req := analysis.Request{Budget: true, P: 0.95, MonteCarlo: &analysis.MonteCarlo{Draws: 20_000, Seed: 7}}
	text, err := json.Marshal(Job{Expression: src, Mode: "gum", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	j, bad := Decode(string(text))
	if bad != nil {
		t.Fatal(bad)
	}
	calls, last := 0, 0
	o := Do(j, func(done, planned int) bool {
		calls++
		if planned != 20_000 || done < last {
			t.Errorf("progress %d of %d after %d", done, planned, last)
		}
		last = done
		return true
	})
	if o.Err != nil {
		t.Fatal(o.Err)
	}
	if calls == 0 || last != 20_000 {
		t.Errorf("progress called %d times, last %d", calls, last)
	}
	e, _ := expr.Parse(src)
	v, _ := e.Eval(nu.ModeGUM)
	rep, err := analysis.Run(e, nu.ModeGUM, v, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(rep)
	if string(o.Report) != string(want) {
		t.Errorf("worker report\n%s\ndiffers from analysis.Run's\n%s", o.Report, want)
	}
	if o.FirstOrder == nil || o.FirstOrder.N != float64(rep.Budget.N) || o.FirstOrder.U != float64(rep.Budget.U) {
		t.Errorf("first order %+v, budget %v ± %v", o.FirstOrder, rep.Budget.N, rep.Budget.U)
	}
}

// TestDoFirstOrderWithoutBudget: a Monte Carlo run without a budget still
// gives the first-order result for the histogram's curve; a budget-only
// job has no Monte Carlo.
func TestDoFirstOrderWithoutBudget(t *testing.T) {
	o := Do(Job{Expression: "(2 ± 0.1) * (3 ± 0.2)", Request: analysis.Request{MonteCarlo: &analysis.MonteCarlo{Draws: 1000, Seed: 1}}}, nil)
	if o.Err != nil || o.FirstOrder == nil || o.FirstOrder.N != 6 || math.Abs(o.FirstOrder.U-0.5) > 1e-12 {
		t.Fatalf("%+v", o)
	}
	o = Do(Job{Expression: "(2 ± 0.1) * (3 ± 0.2)", Mode: "nu", Request: analysis.Request{K: 2}}, nil)
	if o.Err != nil || o.FirstOrder != nil {
		t.Fatalf("%+v", o)
	}
	var rep analysis.Report
	if err := json.Unmarshal(o.Report, &rep); err != nil || rep.Expanded == nil || rep.Expanded.K != 2 || rep.MonteCarlo != nil {
		t.Fatalf("%s %v", o.Report, err)
	}
}

// TestDoErrors: every failure is a structured error, never a panic.
func TestDoErrors(t *testing.T) {
	mcq := &analysis.MonteCarlo{Draws: 10_000, Seed: 3}
	for _, tc := range []struct {
		name string
		job  Job
		code string
	}{
		{"bad mode", Job{Expression: "1 ± 0.1", Mode: "fuzzy", Request: analysis.Request{Budget: true}}, nu.CodeBadMode},
		{"syntax", Job{Expression: "1 ±", Request: analysis.Request{Budget: true}}, nu.CodeSyntax},
		{"empty", Job{Expression: "", Request: analysis.Request{Budget: true}}, nu.CodeSyntax},
		{"undefined for some draws", Job{Expression: "x = 0.1 ± 1; sqrt(x)", Mode: "gum", Request: analysis.Request{MonteCarlo: mcq}}, mc.CodeUndefined},
		{"interval budget", Job{Expression: "1 ± 0.1", Mode: "interval", Request: analysis.Request{Budget: true}}, analysis.CodeMode},
		{"too many draws", Job{Expression: "1 ± 0.1", Request: analysis.Request{MonteCarlo: &analysis.MonteCarlo{Draws: mc.MaxDraws + 1}}}, mc.CodeOption},
		{"cancelled", Job{Expression: "1 ± 0.1", Request: analysis.Request{MonteCarlo: mcq}}, mc.CodeCanceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Do(tc.job, func(int, int) bool { return tc.name != "cancelled" })
			if o.Err == nil || o.Err.Code != tc.code || o.Report != nil {
				t.Fatalf("got %+v, want %s", o, tc.code)
			}
			var back nu.Error
			if err := json.Unmarshal(ErrorJSON(o.Err), &back); err != nil || back.Code != tc.code || back.Message == "" {
				t.Errorf("error JSON %s: %v", ErrorJSON(o.Err), err)
			}
		})
	}
	if _, bad := Decode(`{"expression": 1}`); bad == nil || bad.Code != CodeBadJob {
		t.Errorf("a bad job decoded: %v", bad)
	}
}
