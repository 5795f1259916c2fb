package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/analysis"
	"github.com/ebios/ebios/core/expr"
	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// TestCalcLeadingMinus: an expression may start with "-" without being taken
// for a flag, in one argument or spread over several, before or after the
// flags; "--" works too, and real flags keep working.
func TestCalcLeadingMinus(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"calc", "-5 ± 1"}, "-5.0 ± 1.0  (nu)\n"},
		{[]string{"calc", "-5", "±", "1"}, "-5.0 ± 1.0  (nu)\n"},
		{[]string{"calc", "-5 +- 1"}, "-5.0 ± 1.0  (nu)\n"},
		{[]string{"calc", "-(10 ± 0.5) * (20 ± 1)"}, "-200 ± 14  (nu)\n"},
		{[]string{"calc", "--2"}, "2  (nu)\n"},
		{[]string{"calc", "-.5"}, "-0.5  (nu)\n"},
		{[]string{"calc", "-flip(2 ± 1)"}, "2.0 ± 1.0  (nu)\n"},
		{[]string{"calc", "--mode", "interval", "-5 ± 1"}, "-5.0 ± 1.0  (interval)\n"},
		{[]string{"calc", "-5 ± 1", "--mode", "interval"}, "-5.0 ± 1.0  (interval)\n"},
		{[]string{"calc", "--mode=interval", "-5 ± 1"}, "-5.0 ± 1.0  (interval)\n"},
		{[]string{"calc", "--digits", "3", "-5 ± 0.12345"}, "-5.000 ± 0.123  (nu)\n"},
		{[]string{"calc", "--", "-5 ± 1"}, "-5.0 ± 1.0  (nu)\n"},
		{[]string{"calc", "--full", "-5 ± 1"}, "-5 ± 1  (nu)\n"},
	}
	for _, c := range cases {
		stdout, stderr, code := runCLI(t, "", c.args...)
		if code != 0 || stdout != c.want {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", c.args, code, stdout, stderr, c.want)
		}
	}
	// The JSON of a leading-minus expression, and the expression an error
	// shows, are the expression as typed (no added space).
	stdout, _, code := runCLI(t, "", "calc", "--json", "-5 ± 1")
	var got struct {
		N, U float64
		Text string
	}
	if err := json.Unmarshal([]byte(stdout), &got); code != 0 || err != nil || got.N != -5 || got.U != 1 || got.Text != "-5.0 ± 1.0" {
		t.Errorf("--json -5 ± 1: exit %d, %q", code, stdout)
	}
	_, stderr, code := runCLI(t, "", "calc", "-5 +")
	if code != 1 || !strings.Contains(stderr, "NUCORE_010") || !strings.Contains(stderr, "\n  -5 +\n      ^ column 5") {
		t.Errorf("-5 +: exit %d, stderr %q", code, stderr)
	}
	// A dash word that is neither a flag nor an expression is still an
	// unknown flag.
	_, stderr, code = runCLI(t, "", "calc", "-nope", "1")
	if code != 2 || !strings.Contains(stderr, "flag provided but not defined: -nope") {
		t.Errorf("-nope: exit %d, stderr %q", code, stderr)
	}
}

// TestCalcMissingExpression: no expression is a short usage error that says
// what is missing, not the whole help.
func TestCalcMissingExpression(t *testing.T) {
	cases := []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"calc"}, "no expression given"},
		{"", []string{"calc", "--mode", "interval"}, "no expression given"},
		{"", []string{"calc", ""}, "no expression given"},
		{"", []string{"calc", "  "}, "no expression given"},
		{"", []string{"calc", "--"}, "no expression given"},
		{"", []string{"calc", "-"}, "standard input held no expression"},
		{"  \n", []string{"calc", "-"}, "standard input held no expression"},
	}
	for _, c := range cases {
		stdout, stderr, code := runCLI(t, c.stdin, c.args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 2 || stdout != "" || !strings.Contains(stderr, c.want) || len(lines) != 2 ||
			!strings.HasPrefix(lines[1], "Usage: ebios calc ") || strings.Contains(stderr, "Flags:") {
			t.Errorf("%q (stdin %q): exit %d, stdout %q, stderr %q", c.args, c.stdin, code, stdout, stderr)
		}
	}
}

// TestCalcPlusMinus: "+-" is ± in the CLI; with a space it adds a negative
// number.
func TestCalcPlusMinus(t *testing.T) {
	cases := []struct {
		expr, want string
	}{
		{"5 +- 0.1", "5.00 ± 0.10  (nu)\n"},
		{"5+-0.1", "5.00 ± 0.10  (nu)\n"},
		{"5 + -0.1", "4.9  (nu)\n"},
	}
	for _, c := range cases {
		stdout, stderr, code := runCLI(t, "", "calc", c.expr)
		if code != 0 || stdout != c.want {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", c.expr, code, stdout, stderr, c.want)
		}
	}
	_, stderr, code := runCLI(t, "", "calc", "5 -+ 0.1")
	if code != 1 || !strings.Contains(stderr, "ambiguous") {
		t.Errorf("5 -+ 0.1: exit %d, stderr %q", code, stderr)
	}
}

// TestCalcIntervalOutward: the text form of an interval-mode result is
// rounded outward; nu mode keeps round-to-nearest; the JSON numbers stay the
// exact float64s.
func TestCalcIntervalOutward(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"calc", "--mode", "interval", "(10 ± 0.5) * (20 ± 1)"}, "200 ± 21  (interval)\n"},
		{[]string{"calc", "(10 ± 0.5) * (20 ± 1)"}, "200 ± 14  (nu)\n"},
		{[]string{"calc", "--mode", "interval", "1 ± 0.141"}, "1.00 ± 0.15  (interval)\n"},
		{[]string{"calc", "1 ± 0.141"}, "1.00 ± 0.14  (nu)\n"},
		{[]string{"calc", "--mode", "interval", "--digits", "1", "(10 ± 0.5) * (20 ± 1)"}, "200 ± 30  (interval)\n"},
		{[]string{"calc", "--mode", "interval", "--full", "(10 ± 0.5) * (20 ± 1)"}, "200 ± 20.5  (interval)\n"},
	}
	for _, c := range cases {
		stdout, stderr, code := runCLI(t, "", c.args...)
		if code != 0 || stdout != c.want {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", c.args, code, stdout, stderr, c.want)
		}
	}
	stdout, _, _ := runCLI(t, "", "calc", "--json", "--mode", "interval", "(10 ± 0.5) * (20 ± 1)")
	if !strings.HasPrefix(stdout, `{"n":200,"u":20.5,"mode":"interval",`) || !strings.Contains(stdout, `"text":"200 ± 21"`) {
		t.Errorf("--json: %s", stdout)
	}
}

// TestCalcFormulas: functions, powers, relative uncertainties, variables,
// the gum mode with correlations, and the reporting styles, as a user types
// them.
func TestCalcFormulas(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"calc", "sqrt(2 ± 0.1) * sin(pi/6 ± 1%)"}, "0.707 ± 0.019  (nu)\n"},
		{[]string{"calc", "(3 ± 0.1)^2"}, "9.00 ± 0.60  (nu)\n"},
		{[]string{"calc", "-2**2"}, "-4  (nu)\n"},
		{[]string{"calc", "5 ± 10%"}, "5.00 ± 0.50  (nu)\n"},
		{[]string{"calc", "--mode", "gum", "x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = 0.5; x*y - x"}, "3.00 ± 0.66  (gum)\n"},
		{[]string{"calc", "--mode", "gum", "x = 3 ± 0.1; x - x"}, "0  (gum)\n"},
		{[]string{"calc", "--mode", "interval", "x = 3 ± 0.1; x - x"}, "0  (interval)\n"},
		{[]string{"calc", "1.23e-4 ± 2e-6"}, "1.230e-4 ± 2.0e-6  (nu)\n"},
		{[]string{"calc", "--notation", "concise", "1.23e-4 ± 2e-6"}, "1.230(20)e-4  (nu)\n"},
		{[]string{"calc", "--pdg", "10 ± 0.95"}, "10.0 ± 1.0  (nu)\n"},
		{[]string{"calc", "--pdg", "10 ± 0.5"}, "10.0 ± 0.5  (nu)\n"},
		{[]string{"calc", "--notation", "fixed", "1.23e-4 ± 2e-6"}, "0.0001230 ± 0.0000020  (nu)\n"},
	}
	for _, c := range cases {
		stdout, stderr, code := runCLI(t, "", c.args...)
		if code != 0 || stdout != c.want {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", c.args, code, stdout, stderr, c.want)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"calc", "--notation", "roman", "1"}, "unknown notation"},
		{[]string{"calc", "ln(-1 ± 0.1)"}, "NUCORE_009"},
		{[]string{"calc", "x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = 0.5; x + y"}, "only in gum mode"},
	} {
		_, stderr, code := runCLI(t, "", c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want an error with %q", c.args, code, stderr, c.want)
		}
	}
}

// TestCalcAnalysis: --budget, --k, --p and --mc print the analysis, and a
// seed repeats a Monte Carlo run bit for bit.
func TestCalcAnalysis(t *testing.T) {
	const h1 = "ls = 50000 ± 25 t(18); d = 215 ± 9.7 t(25.6); da = 0 ± 2.9 t(50); dt = 0 ± 16.6 t(2); ls + d + da + dt"
	cases := []struct {
		args []string
		code int
		want []string // substrings of stdout (code 0) or stderr
	}{
		{[]string{"calc", "--mode", "gum", "--budget", "--p", "0.99", h1}, 0,
			[]string{"50215 ± 32  (gum)", "u_c = 31.67, ν_eff = 16", "dt      0  16.6  1  16.6     2   27.5 %", "k = t_99(16) = 2.921"}},
		{[]string{"calc", "--k", "2", "(10 ± 0.5) * (20 ± 1)"}, 0, []string{"k = 2 given"}},
		{[]string{"calc", "--mc", "20000", "--seed", "3", "--shortest", "x = 1 ± 0.1 triangular; exp(x)"}, 0,
			[]string{"monte carlo: 20000 draws, seed 3:", "(shortest)", "inputs: x (triangular)", "first order:"}},
		{[]string{"calc", "--mc", "0", "--adaptive", "--seed", "9", "x = 2 ± 0.1; x^2"}, 0, []string{"adaptive:", "stable to 2 significant digits"}},
		{[]string{"calc", "--k", "2", "--p", "0.95", "1 ± 0.1"}, 2, []string{"give --k or --p, not both"}},
		{[]string{"calc", "--seed", "4", "1 ± 0.1"}, 2, []string{"need --mc N"}},
		{[]string{"calc", "--p", "1.5", "1 ± 0.1"}, 1, []string{"COVER_001"}},
		{[]string{"calc", "--mode", "interval", "--budget", "1 ± 0.1"}, 1, []string{"ANALYSIS_001"}},
		{[]string{"calc", "--mc", "1000", "x = 0.1 ± 1; sqrt(x)"}, 1, []string{"MC_004", "undefined at draw"}},
		{[]string{"calc", "--mc", "1000", "compose(1 ± 1, 2 ± 1)"}, 1, []string{"MC_006", "^ column 1"}},
	}
	for _, c := range cases {
		stdout, stderr, code := runCLI(t, "", c.args...)
		out := stdout
		if c.code != 0 {
			out = stderr
		}
		if code != c.code {
			t.Errorf("%q: exit %d, want %d; stdout %q, stderr %q", c.args, code, c.code, stdout, stderr)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%q: output lacks %q:\n%s", c.args, w, out)
			}
		}
	}
	run := func(seed string) string {
		stdout, stderr, code := runCLI(t, "", "calc", "--json", "--mc", "50000", "--seed", seed, "x = 1 ± 0.1 uniform; y = 2 ± 0.3 t(5); x / y")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var out struct{ Analysis json.RawMessage }
		if err := json.Unmarshal([]byte(stdout), &out); err != nil || len(out.Analysis) == 0 {
			t.Fatalf("%v: %s", err, stdout)
		}
		return string(out.Analysis)
	}
	a, b, other := run("18446744073709551615"), run("18446744073709551615"), run("1")
	if a != b || a == other || !strings.Contains(a, `"seed":"18446744073709551615"`) {
		t.Errorf("seeded runs: %s\n%s\n%s", a, b, other)
	}
}

// TestCalcLogAnalysis: a logged Monte Carlo analysis is in the signed
// entry, the exported bundle verifies, the record repeats the run bit for
// bit, and a changed bit of it fails verification.
func TestCalcLogAnalysis(t *testing.T) {
	dir := t.TempDir()
	key, data, bundle := filepath.Join(dir, "k"), filepath.Join(dir, "data"), filepath.Join(dir, "b.json")
	vkey, stderr, code := runCLI(t, "", "key", "generate", "--out", key, "--name", "test.example/log")
	if code != 0 {
		t.Fatal(stderr)
	}
	const src = "x = 1 ± 0.1 uniform; y = 2 ± 0.3 t(5); x / y"
	if _, stderr, code := runCLI(t, "", "calc", "--log", "--data-dir", data, "--key", key, "--mode", "gum",
		"--mc", "20000", "--seed", "5", "--p", "0.95", src); code != 0 {
		t.Fatal(stderr)
	}
	if _, stderr, code := runCLI(t, "", "ledger", "export", "--data", data, "--out", bundle); code != 0 {
		t.Fatal(stderr)
	}
	if out, _, code := runCLI(t, "", "ledger", "verify", bundle, "--key", strings.TrimSpace(vkey)); code != 0 {
		t.Fatalf("verify: %s", out)
	}
	b, _ := os.ReadFile(bundle)
	bd, err := ledger.ReadBundle(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	e := bd.Entries[0]
	if e.Analysis == nil || e.Analysis.MonteCarlo == nil || e.Analysis.MonteCarlo.Seed != 5 || e.Analysis.Expanded == nil ||
		len(e.Analysis.Inputs) != 2 || e.Analysis.Inputs[1].Dist != "t" {
		t.Fatalf("entry's analysis: %+v", e.Analysis)
	}
	parsed, _ := expr.Parse(e.Expression)
	mode, _ := nu.ParseMode(e.Mode)
	rep, err := analysis.Run(parsed, mode, *e.Output, analysis.Replay(e.Analysis), nil)
	if err != nil || !analysis.Matches(rep, e.Analysis) {
		t.Fatalf("the replay does not match the record: %v", err)
	}
	mean := strconv.FormatFloat(float64(e.Analysis.MonteCarlo.Mean), 'g', -1, 64)
	bad := strings.Replace(string(b), `"mean":`+mean, `"mean":`+strconv.FormatFloat(float64(e.Analysis.MonteCarlo.Mean)+1e-9, 'g', -1, 64), 1)
	if bad == string(b) {
		t.Fatalf("mean %s not found in the bundle", mean)
	}
	os.WriteFile(bundle, []byte(bad), 0o644)
	if out, _, code := runCLI(t, "", "ledger", "verify", bundle, "--key", strings.TrimSpace(vkey)); code != 1 {
		t.Fatalf("a changed mean verified: %s", out)
	}
}
