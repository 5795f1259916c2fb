package expr

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/mc"
	"github.com/ebios/ebios/core/nu"
)

var update = flag.Bool("update", false, "rewrite testdata/mc-golden.json")

func TestDistributionSyntax(t *testing.T) {
	inf := math.Inf(1)
	s3, s6 := math.Sqrt(3), math.Sqrt(6)
	for _, tc := range []struct {
		src  string
		want []mc.Input
	}{
		{"5 ± 0.1", []mc.Input{{Name: "5 ± 0.1", Dist: mc.NewNormal(5, 0.1)}}},
		{"x = 5 ± 0.1 normal; x", []mc.Input{{Name: "x", Dist: mc.NewNormal(5, 0.1)}}},
		{"x = 5 ± 0.1 uniform; x", []mc.Input{{Name: "x", Dist: mc.Dist{Kind: mc.Uniform, N: 5, U: 0.1, Lo: 5 - 0.1*s3, Hi: 5 + 0.1*s3, DoF: inf}}}},
		{"x = 5 +- 1 Triangular; 2*x", []mc.Input{{Name: "x", Dist: mc.Dist{Kind: mc.Triangular, N: 5, U: 1, Lo: 5 - s6, Hi: 5 + s6, DoF: inf}}}},
		{"x = 5 ± 0.1 t(9); x", []mc.Input{{Name: "x", Dist: mc.NewStudentT(5, 0.1, 9)}}},
		{"x = 5 ± 2% t(4.5); x", []mc.Input{{Name: "x", Dist: mc.NewStudentT(5, 0.1, 4.5)}}},
		{"uniform(1, 3) + u(-2, 2)", []mc.Input{{Name: "uniform(1, 3)", Dist: mc.NewUniform(1, 3)}, {Name: "u(-2, 2)", Dist: mc.NewUniform(-2, 2)}}},
		{"-triangular(1, 3)", []mc.Input{{Name: "triangular(1, 3)", Dist: mc.Dist{Kind: mc.Triangular, N: -2, U: 2.0 / 2 / s6, Lo: -3, Hi: -1, DoF: inf}}}},
		{"u = 2 ± 1; u(0, 1) * u", []mc.Input{{Name: "u", Dist: mc.NewNormal(2, 1)}, {Name: "u(0, 1)", Dist: mc.NewUniform(0, 1)}}},
		{"x = 1 ± 0; 3 * uniform(2, 2) + x", nil},
	} {
		e, err := Parse(tc.src)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		got, _, err := e.Distributions()
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: inputs %+v, want %+v", tc.src, got, tc.want)
			continue
		}
		for i := range got {
			g, w := got[i], tc.want[i]
			close := func(a, b float64) bool { return a == b || math.Abs(a-b) <= 1e-15*math.Abs(b) }
			if g.Name != w.Name || g.Dist.Kind != w.Dist.Kind || !close(g.Dist.N, w.Dist.N) || !close(g.Dist.U, w.Dist.U) ||
				!close(g.Dist.Lo, w.Dist.Lo) || !close(g.Dist.Hi, w.Dist.Hi) || g.Dist.DoF != w.Dist.DoF {
				t.Errorf("%s: input %d is %+v, want %+v", tc.src, i, g, w)
			}
		}
	}
}

func TestDistributionErrors(t *testing.T) {
	for _, tc := range []struct {
		src  string
		code string
		col  int
	}{
		{"5 uniform", nu.CodeSyntax, 3},
		{"5 ± 1 gaussian", nu.CodeSyntax, 7},
		{"5 ± 1 t", nu.CodeSyntax, 8},
		{"5 ± 1 t(0.5)", nu.CodeSyntax, 9},
		{"uniform(3, 1)", nu.CodeSyntax, 12},
		{"uniform(1)", nu.CodeSyntax, 10},
		{"uniform(1, x)", nu.CodeSyntax, 12},
		{"compose(1 ± 1, 2 ± 1)", mc.CodeUnsupported, 1},
		{"x = 1 ± 1; 2 * catch(x)", mc.CodeUnsupported, 16},
		{"x = 1 ± 1 uniform; y = 2 ± 1; corr(x, y) = 0.5; x + y", mc.CodeCorrelation, 0},
		{"x = 0.1 ± 1; sqrt(x)", mc.CodeUndefined, 0},
		{"x = 1 ± 1; y = 1 ± 1; z = 1 ± 1; corr(x, y) = 0.9; corr(y, z) = 0.9; corr(x, z) = -0.9; x+y+z", "GUM_002", 0},
	} {
		e, err := Parse(tc.src)
		if err == nil {
			_, err = e.MonteCarlo(mc.Options{Draws: 10_000})
		}
		ne, ok := nu.AsError(err)
		if !ok || ne.Code != tc.code || (tc.col != 0 && ne.Column != tc.col) {
			t.Errorf("%s: got %v (column %d), want %s at %d", tc.src, err, ne.Column, tc.code, tc.col)
		}
	}
}

// TestIntervalModeBounded: in interval mode a bounded distribution is its
// whole support.
func TestIntervalModeBounded(t *testing.T) {
	for _, tc := range []struct {
		src    string
		lo, hi float64
	}{
		{"uniform(1, 3)", 1, 3},
		{"2 ± 1 uniform", 2 - math.Sqrt(3), 2 + math.Sqrt(3)},
		{"triangular(-1, 1)", -1, 1},
	} {
		r, err := Eval(tc.src, nu.ModeInterval)
		if err != nil {
			t.Fatal(err)
		}
		if r.Value.Lo() > tc.lo || r.Value.Hi() < tc.hi || r.Value.Hi()-r.Value.Lo() > (tc.hi-tc.lo)*(1+1e-12) {
			t.Errorf("%s in interval mode = [%v, %v], want an enclosure of [%v, %v]", tc.src, r.Value.Lo(), r.Value.Hi(), tc.lo, tc.hi)
		}
	}
	// In nu and gum modes the uncertainty is the standard uncertainty.
	r, _ := Eval("uniform(1, 3)", nu.ModeGUM)
	if math.Abs(r.Value.U()-1/math.Sqrt(3)) > 1e-15 || r.Value.N() != 2 {
		t.Errorf("uniform(1, 3) in gum mode = %v", r.Value)
	}
}

// TestMonteCarloAgainstFirstOrder: for linear programs the Monte Carlo
// standard deviation at 10⁶ draws agrees with gum mode's u (for t inputs,
// with u·√(ν/(ν−2)), the t distribution's own standard deviation) within 5
// standard errors.
func TestMonteCarloAgainstFirstOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("10⁶ draws per case")
	}
	for _, tc := range []struct {
		src   string
		scale float64 // MC sd / first-order u
		kurt  float64
	}{
		{"x = 3 ± 0.2; y = -1 ± 0.5; 2*x - 3*y + 7", 1, 3},
		{"x = 3 ± 0.2 uniform; y = 10 ± 1 uniform; x + y/4", 1, 3},
		{"a = 1 ± 0.5 triangular; b = 2 ± 0.5 triangular; a - b", 1, 3},
		{"x = 5 ± 0.1 t(12); 3*x", math.Sqrt(12.0 / 10), 4},
		{"x = 1 ± 0.3; y = 2 ± 0.4; corr(x, y) = -0.4; 2*x + y", 1, 3},
		{"x = 1 ± 0.3; y = 2 ± 0.4; z = uniform(0, 1); cov(x, y) = [[0.09, 0.06], [0.06, 0.16]]; x - y + z", 1, 3},
	} {
		e, err := Parse(tc.src)
		if err != nil {
			t.Fatal(err)
		}
		fo, err := e.Eval(nu.ModeGUM)
		if err != nil {
			t.Fatal(err)
		}
		const m = 1_000_000
		r, err := e.MonteCarlo(mc.Options{Draws: m, Seed: 11})
		if err != nil {
			t.Fatal(err)
		}
		sd := fo.U() * tc.scale
		if se := sd * math.Sqrt((tc.kurt-1)/(4*m)); math.Abs(r.U-sd) > 5*se {
			t.Errorf("%s: MC sd %v, first order %v (×%v), 5 SE = %v", tc.src, r.U, fo.U(), tc.scale, 5*se)
		}
		if se := sd / math.Sqrt(m); math.Abs(r.Mean-fo.N()) > 5*se {
			t.Errorf("%s: MC mean %v, first order %v", tc.src, r.Mean, fo.N())
		}
	}
}

// TestGUMS1Examples runs JCGM 101:2008's worked examples of clause 9 and
// compares with the figures it publishes (docs/analysis.md has the table).
// The published Monte Carlo figures come from other draws, so ours may
// differ by the statistical spread of M = 10⁶ draws: the ends of a 95 %
// interval by a few 10⁻³ of u.
func TestGUMS1Examples(t *testing.T) {
	if testing.Short() {
		t.Skip("10⁶ draws per case")
	}
	for _, tc := range []struct {
		name, src    string
		u, lo, hi    float64 // published MCM figures
		tolU, tolEnd float64
		gufU         float64 // published first-order u
	}{
		{"9.2.2 additive, normal inputs", "(0 ± 1) + (0 ± 1) + (0 ± 1) + (0 ± 1)", 2.00, -3.92, 3.92, 0.005, 0.01, 2.00},
		{"9.2.3 additive, rectangular inputs", "(0 ± 1 uniform) + (0 ± 1 uniform) + (0 ± 1 uniform) + (0 ± 1 uniform)", 2.00, -3.88, 3.88, 0.005, 0.01, 2.00},
		{"9.3 mass calibration", "mRc = 100000 ± 0.050; dmRc = 1.234 ± 0.020; ra = uniform(1.10, 1.30); " +
			"rw = uniform(7000, 9000); rr = uniform(7950, 8050); (mRc + dmRc) * (1 + (ra - 1.2) * (1/rw - 1/rr)) - 100000",
			0.0754, math.NaN(), math.NaN(), 0.0001, 0, 0.0539},
	} {
		e, err := Parse(tc.src)
		if err != nil {
			t.Fatal(err)
		}
		fo, err := e.Eval(nu.ModeGUM)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(fo.U()-tc.gufU) > 0.00005*tc.gufU/0.0539 && math.Abs(fo.U()-tc.gufU) > 0.005 {
			t.Errorf("%s: first-order u %v, published %v", tc.name, fo.U(), tc.gufU)
		}
		r, err := e.MonteCarlo(mc.Options{Seed: 2008})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: mean %.5g, u %.5g, 95 %% [%.5g, %.5g]", tc.name, r.Mean, r.U, r.Lo, r.Hi)
		if math.Abs(r.U-tc.u) > tc.tolU {
			t.Errorf("%s: u %v, published %v", tc.name, r.U, tc.u)
		}
		if !math.IsNaN(tc.lo) && (math.Abs(r.Lo-tc.lo) > tc.tolEnd || math.Abs(r.Hi-tc.hi) > tc.tolEnd) {
			t.Errorf("%s: [%v, %v], published [%v, %v]", tc.name, r.Lo, r.Hi, tc.lo, tc.hi)
		}
	}
}

// TestMonteCarloGolden pins the bits of a run that uses every distribution,
// a correlation and every function. It runs natively and under
// GOOS=js GOARCH=wasm (make wasm-test), so it shows that both give the same
// bits. Regenerate with go test -run TestMonteCarloGolden -update.
func TestMonteCarloGolden(t *testing.T) {
	const src = "a = 1 ± 0.1; b = 2 ± 0.2; corr(a, b) = 0.3; c = 0.5 ± 0.05 uniform; d = 3 ± 0.1 triangular; " +
		"f = 1.5 ± 0.02 t(5); g = uniform(0.2, 0.4); " +
		"sqrt(a) + exp(c) + ln(b) + log10(d) + log2(f) + sin(a) + cos(b) + tan(c) + asin(g) + acos(g) + atan(d) + " +
		"sinh(c) + cosh(c) + tanh(d) + abs(a - b) + pow(b, f) + atan2(a, b) + hypot(c, d) + min(a, g) + max(b, d) + a^2.5 + pi*e/f"
	e, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, seed := range []uint64{0, 1, 1 << 63} {
		r, err := e.MonteCarlo(mc.Options{Draws: 50_000, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(r)
		sum := sha256.Sum256(b)
		got[string(rune('0'+len(got)))] = hex.EncodeToString(sum[:])
	}
	const path = "testdata/mc-golden.json"
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("run %s: sha256 of the result %s, golden %s: the draws or the arithmetic changed on this platform", k, got[k], w)
		}
	}
	if len(want) != 3 {
		t.Fatalf("golden file has %d runs", len(want))
	}
}

func TestBudget(t *testing.T) {
	// The GUM's end-gauge example (H.1) in contributions: l = ls + d − …,
	// with the sensitivity-weighted inputs of Table H.1.
	e, err := Parse("ls = 0 ± 25 t(18); d = 0 ± 9.7 t(25.6); da = 0 ± 2.9 t(50); dt = 0 ± 16.6 t(2); " +
		"as = 11.5 ± 1.2; th = -0.1 ± 0.41; ls + d + da + dt + 0*as*th")
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Budget()
	if err != nil {
		t.Fatal(err)
	}
	if math.Round(b.Value.U()) != 32 || b.DoF != 16 || b.Correlated {
		t.Fatalf("u_c %v, ν_eff %v", b.Value.U(), b.DoF)
	}
	var share float64
	names := []string{}
	for _, term := range b.Terms {
		share += term.Share
		names = append(names, term.Name)
	}
	if math.Abs(share-1) > 1e-12 || strings.Join(names, ",") != "ls,d,da,dt" {
		t.Errorf("shares sum to %v; terms %v", share, names)
	}
	if b.Terms[3].DoF != 2 || b.Terms[0].Sensitivity != 1 {
		t.Errorf("term dt: %+v", b.Terms[3])
	}
	u, k, err := b.Expanded(0, 0.99)
	if err != nil || math.Round(k*100) != 292 || math.Round(u) != 93 {
		t.Errorf("U_99 = %v with k = %v (%v), want 93 with 2.92", u, k, err)
	}
	if u, k, _ := b.Expanded(2, 0); k != 2 || u != 2*b.Value.U() {
		t.Errorf("k = 2 gave U = %v, k = %v", u, k)
	}
	// A literal used directly is named by its text; a correlation is a term.
	e, _ = Parse("x = 2 ± 0.1; y = 3 ± 0.2; corr(x, y) = 0.5; x * y + (1 ± 0.5)")
	b, err = e.Budget()
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Terms) != 4 || b.Terms[2].Name != "1 ± 0.5" || !b.Terms[3].Pair || !b.Correlated || !math.IsInf(b.DoF, 1) {
		t.Errorf("budget %+v", b)
	}
}

// FuzzMonteCarlo: whatever the program, a short Monte Carlo run either
// succeeds with finite figures or fails with a structured error that points
// into the text or names the run.
func FuzzMonteCarlo(f *testing.F) {
	for _, s := range []string{"x = 1 ± 0.1 uniform; y = 2 ± 0.3 t(5); x / y", "uniform(1, 2) * triangular(-1, 1)",
		"a = 1 ± 0.1; b = 2 ± 0.2; corr(a, b) = 0.5; a * b", "5 ± 1 t(1)", "-u(3, 4) ^ 2", "x = 0.1 ± 1; sqrt(x)",
		"5 ± 10% triangular", "x = 1 ± 0.1 normal; x - x"} {
		f.Add(s, uint64(1))
	}
	f.Fuzz(func(t *testing.T, s string, seed uint64) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		r, err := e.MonteCarlo(mc.Options{Draws: 100, Seed: seed, P: 0.9})
		if err != nil {
			if ne, ok := nu.AsError(err); !ok || ne.Column < 0 || ne.Column > len([]rune(s))+1 {
				t.Fatalf("MonteCarlo(%q): %#v: want a structured error", s, err)
			}
			return
		}
		for _, x := range []float64{r.Mean, r.U, r.Lo, r.Hi} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("MonteCarlo(%q) = %+v: not finite", s, r)
			}
		}
		if r.Draws != 100 || !(r.Lo <= r.Hi) || !(r.U >= 0) {
			t.Fatalf("MonteCarlo(%q) = %+v", s, r)
		}
	})
}
