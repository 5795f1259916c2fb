package mc

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
)

// sumModel is y = Σ c_i x_i.
func sumModel(c []float64) Model {
	return func(in [][]float64, out []float64) error {
		clear(out)
		for i, x := range in {
			for j, v := range x {
				out[j] += c[i] * v
			}
		}
		return nil
	}
}

// TestLinearClosedForms: for y = Σ c_i x_i the Monte Carlo mean and
// standard deviation at 10⁶ draws agree with the exact ones, Σ c_i μ_i and
// √(Σ c_i² σ_i² + 2 Σ r c_i c_j σ_i σ_j) with σ_i the distribution's own
// standard deviation, within 5 standard errors of the estimators.
func TestLinearClosedForms(t *testing.T) {
	if testing.Short() {
		t.Skip("10⁶ draws per case; run without -short")
	}
	tsd := func(u, dof float64) float64 { return u * math.Sqrt(dof/(dof-2)) }
	for _, tc := range []struct {
		name   string
		inputs []Dist
		c      []float64
		corr   [][]float64
		sd     float64 // exact standard deviation of y
		kurt   float64 // kurtosis of y, for the standard error of its sd
	}{
		{"normal", []Dist{NewNormal(1, 0.5), NewNormal(-2, 2)}, []float64{3, 1}, nil, math.Hypot(1.5, 2), 3},
		{"uniform", []Dist{NewUniform(0, 1), NewUniform(-3, 3)}, []float64{1, 1}, nil, math.Sqrt(1.0/12 + 36.0/12), 3},
		{"triangular", []Dist{NewTriangular(4, 6), NewTriangular(-1, 1)}, []float64{2, -1}, nil, math.Sqrt(4*4.0/24 + 4.0/24), 3},
		{"t", []Dist{NewStudentT(10, 0.3, 10)}, []float64{1}, nil, tsd(0.3, 10), 4},
		{"t and normal", []Dist{NewStudentT(0, 1, 8), NewNormal(0, 1)}, []float64{1, 1}, nil, math.Sqrt(8.0/6 + 1), 3.5},
		{"correlated", []Dist{NewNormal(1, 1), NewNormal(2, 2)}, []float64{1, 1},
			[][]float64{{1, 0.6}, {0.6, 1}}, math.Sqrt(1 + 4 + 2*0.6*2), 3},
		{"anticorrelated", []Dist{NewNormal(1, 1), NewNormal(2, 1), NewNormal(0, 1)}, []float64{1, 1, 1},
			[][]float64{{1, -1, 0}, {-1, 1, 0}, {0, 0, 1}}, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := make([]Input, len(tc.inputs))
			var mean float64
			for i, d := range tc.inputs {
				in[i] = Input{Name: string(rune('a' + i)), Dist: d}
				mean += tc.c[i] * d.N
			}
			const m = 1_000_000
			r, err := Run(in, tc.corr, sumModel(tc.c), Options{Draws: m, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			seMean := tc.sd / math.Sqrt(m)
			seSD := tc.sd * math.Sqrt((tc.kurt-1)/(4*m))
			if math.Abs(r.Mean-mean) > 5*seMean {
				t.Errorf("mean %v, want %v ± %v", r.Mean, mean, 5*seMean)
			}
			if math.Abs(r.U-tc.sd) > 5*seSD {
				t.Errorf("sd %v, want %v ± %v", r.U, tc.sd, 5*seSD)
			}
			if r.Draws != m || !(r.Lo < r.Mean && r.Mean < r.Hi) {
				t.Errorf("draws %d, interval [%v, %v] around %v", r.Draws, r.Lo, r.Hi, r.Mean)
			}
		})
	}
}

// TestStreamsIndependentOfLength: an input's draws do not depend on the
// number of draws or on the other inputs, so the first n outputs of a
// longer run are those of a run of n.
func TestStreamsIndependentOfLength(t *testing.T) {
	in := []Input{{Name: "x", Dist: NewNormal(0, 1)}, {Name: "y", Dist: NewUniform(0, 1)}, {Name: "z", Dist: NewStudentT(0, 1, 3)}, {Name: "w", Dist: NewTriangular(-1, 1)}}
	capture := func(n int, ins []Input, col int) []float64 {
		var got []float64
		_, err := Run(ins, nil, func(x [][]float64, out []float64) error {
			got = append(got, x[col]...)
			copy(out, x[col])
			return nil
		}, Options{Draws: n, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for col := range in {
		short, long := capture(20_000, in, col), capture(50_001, in, col)
		if !slices.Equal(short, long[:len(short)]) {
			t.Errorf("input %d: the first 20000 draws differ between runs of 20000 and 50001", col)
		}
	}
	// Dropping input w does not change x's draws.
	if a, b := capture(10_000, in, 0), capture(10_000, in[:1], 0); !slices.Equal(a, b) {
		t.Error("x's draws depend on the other inputs")
	}
	// Another seed gives other draws.
	var other []float64
	Run(in[:1], nil, func(x [][]float64, out []float64) error {
		other = append(other, x[0]...)
		copy(out, x[0])
		return nil
	}, Options{Draws: 10_000, Seed: 43})
	if slices.Equal(other, capture(10_000, in[:1], 0)) {
		t.Error("seeds 42 and 43 gave the same draws")
	}
}

func TestBounds(t *testing.T) {
	in := []Input{{Name: "u", Dist: NewUniform(2, 3)}, {Name: "t", Dist: NewTriangular(-1, 5)}}
	_, err := Run(in, nil, func(x [][]float64, out []float64) error {
		for j := range out {
			if x[0][j] < 2 || x[0][j] > 3 || x[1][j] < -1 || x[1][j] > 5 {
				return errors.New("a draw outside its bounds")
			}
			out[j] = x[0][j]
		}
		return nil
	}, Options{Draws: 200_000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
}

func TestInterval(t *testing.T) {
	ys := make([]float64, 1000)
	for i := range ys {
		ys[i] = float64(i + 1) // y_(r) = r
	}
	for _, tc := range []struct {
		p        float64
		shortest bool
		lo, hi   float64
	}{
		{0.95, false, 25, 975},
		{0.5, false, 250, 750},
		{0.9, false, 50, 950},
		{0.95, true, 1, 951}, // equal spacing: the first of the ties
	} {
		lo, hi := Interval(ys, tc.p, tc.shortest)
		if lo != tc.lo || hi != tc.hi {
			t.Errorf("Interval(1..1000, %v, %v) = [%v, %v], want [%v, %v]", tc.p, tc.shortest, lo, hi, tc.lo, tc.hi)
		}
	}
	// A skewed sample: the shortest interval sits where the values crowd.
	sk := make([]float64, 1000)
	for i := range sk {
		sk[i] = float64(i*i) / 1000
	}
	lo, hi := Interval(sk, 0.9, true)
	if lo != 0 || hi != sk[900] {
		t.Errorf("shortest of a skewed sample = [%v, %v], want [0, %v]", lo, hi, sk[900])
	}
}

func TestTolerance(t *testing.T) {
	for _, tc := range []struct {
		u      float64
		digits int
		want   float64
	}{
		{0.0539, 2, 0.0005}, {0.0754, 2, 0.0005}, {2.0, 2, 0.05}, {1.996, 2, 0.05}, {0.0999, 2, 0.005},
		{35, 1, 5}, {123456, 3, 500}, {1e-300, 2, 5e-302}, {0, 2, 0}, {math.Inf(1), 2, 0},
	} {
		if got := Tolerance(tc.u, tc.digits); got != tc.want {
			t.Errorf("Tolerance(%v, %d) = %v, want %v", tc.u, tc.digits, got, tc.want)
		}
	}
}

func TestCompare(t *testing.T) {
	c := Compare(1.234, 0.0539, 1.96*0.0539, 1.0846, 1.3840, 2)
	if c.Agree || c.Tolerance != 0.0005 {
		t.Errorf("the mass calibration's first-order interval validated: %+v", c)
	}
	c = Compare(0, 2, 3.92, -3.9198, 3.9203, 2)
	if !c.Agree {
		t.Errorf("the additive model's intervals disagree: %+v", c)
	}
}

func TestErrors(t *testing.T) {
	one := []Input{{Name: "x", Dist: NewNormal(1, 1)}}
	id := func(x [][]float64, out []float64) error { copy(out, x[0]); return nil }
	for _, tc := range []struct {
		name   string
		inputs []Input
		corr   [][]float64
		model  Model
		opt    Options
		code   string
		detail string
	}{
		{"p", one, nil, id, Options{P: 1}, CodeOption, ""},
		{"draws", one, nil, id, Options{Draws: MaxDraws + 1}, CodeOption, ""},
		{"too few", one, nil, id, Options{Draws: 10}, CodeOption, ""},
		{"digits", one, nil, id, Options{Adaptive: true, Digits: 9}, CodeOption, ""},
		{"adaptive below two rounds", one, nil, id, Options{Adaptive: true, Draws: 5000}, CodeOption, ""},
		{"negative u", []Input{{Name: "x", Dist: NewNormal(1, -1)}}, nil, id, Options{Draws: 100}, CodeInput, ""},
		{"bounds", []Input{{Name: "x", Dist: NewUniform(2, 1)}}, nil, id, Options{Draws: 100}, CodeInput, ""},
		{"dof", []Input{{Name: "x", Dist: NewStudentT(0, 1, 0.5)}}, nil, id, Options{Draws: 100}, CodeInput, ""},
		{"corr uniform", []Input{{Name: "x", Dist: NewUniform(0, 1)}, {Name: "y", Dist: NewNormal(0, 1)}}, [][]float64{{1, 0.5}, {0.5, 1}}, id, Options{Draws: 100}, CodeCorrelation, ""},
		{"not psd", []Input{{Name: "x", Dist: NewNormal(0, 1)}, {Name: "y", Dist: NewNormal(0, 1)}, {Name: "z", Dist: NewNormal(0, 1)}},
			[][]float64{{1, 0.9, -0.9}, {0.9, 1, 0.9}, {-0.9, 0.9, 1}}, id, Options{Draws: 100}, CodeCorrelation, ""},
		{"undefined", one, nil, func(x [][]float64, out []float64) error {
			for j, v := range x[0] {
				out[j] = math.Sqrt(v)
			}
			return nil
		}, Options{Draws: 100_000}, CodeUndefined, `"x" = -`},
		{"canceled", one, nil, id, Options{Draws: 100_000, Progress: func(done, _ int) bool { return done < 10_000 }}, CodeCanceled, ""},
	} {
		_, err := Run(tc.inputs, tc.corr, tc.model, tc.opt)
		e, ok := nu.AsError(err)
		if !ok || e.Code != tc.code || !strings.Contains(e.Details, tc.detail) {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
}

func TestAdaptive(t *testing.T) {
	in := []Input{{Name: "x", Dist: NewNormal(0, 1)}, {Name: "y", Dist: NewUniform(-1, 1)}}
	var calls int
	r, err := Run(in, nil, sumModel([]float64{1, 1}), Options{Adaptive: true, Seed: 3, Draws: MaxDraws,
		Progress: func(done, planned int) bool { calls++; return true }})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Converged || r.Draws%10_000 != 0 || r.Rounds != r.Draws/10_000 || r.Rounds < 2 || calls == 0 {
		t.Fatalf("adaptive run: %+v", r)
	}
	if r.Tolerance != Tolerance(r.U, 2) {
		t.Errorf("tolerance %v for u %v", r.Tolerance, r.U)
	}
	// The adaptive run's draws are the first draws of a fixed run.
	f, err := Run(in, nil, sumModel([]float64{1, 1}), Options{Seed: 3, Draws: r.Draws})
	if err != nil || f.Mean != r.Mean || f.U != r.U || f.Lo != r.Lo || f.Hi != r.Hi {
		t.Errorf("adaptive %+v\nfixed %+v", r, f)
	}
	// A cap below convergence stops early, not converged.
	c, err := Run(in, nil, sumModel([]float64{1, 1}), Options{Adaptive: true, Seed: 3, Draws: 20_000, Digits: 4})
	if err != nil || c.Converged || c.Draws != 20_000 {
		t.Errorf("capped run: %+v, %v", c, err)
	}
}

func TestSortFloats(t *testing.T) {
	for _, n := range []int{0, 1, 5, 1 << 14, 100_003} {
		s := newStream(9, n)
		ys := make([]float64, n)
		for i := range ys {
			switch i % 7 {
			case 0:
				ys[i] = s.normal() * 1e300
			case 1:
				ys[i] = -s.uniform() * 1e-300
			case 2:
				ys[i] = 0
			case 3:
				ys[i] = math.Copysign(0, -1)
			default:
				ys[i] = s.normal()
			}
		}
		want := slices.Clone(ys)
		slices.Sort(want)
		sortFloats(ys)
		for i := range ys {
			if ys[i] != want[i] {
				t.Fatalf("n = %d: index %d is %v, want %v", n, i, ys[i], want[i])
			}
		}
	}
}

// TestSummaryHugeValues: outputs near the float64 range give finite
// figures (a fuzz case: 100 draws of 9.7e172 made the variance overflow).
func TestSummaryHugeValues(t *testing.T) {
	for _, ys := range [][]float64{
		slices.Repeat([]float64{9.7009181709198e+172}, 100),
		{math.MaxFloat64, -math.MaxFloat64, math.MaxFloat64, -math.MaxFloat64, 0},
		{1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308},
		{5e-324, 0, -5e-324, 1e-320, 0},
		{0, 0, 0, 5e-324, 0, 0, 1e-322},
		append(slices.Repeat([]float64{0}, 99), 5e-324), // a fuzz case: u(0,1)^557000
	} {
		r := summarise(slices.Clone(ys), Options{P: 0.5, Bins: 10})
		for _, x := range []float64{r.Mean, r.U, r.Lo, r.Hi, r.Histogram.Lo, r.Histogram.Hi} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("%v: %+v", ys[:3], r)
			}
		}
		n := r.Histogram.Below + r.Histogram.Above
		for _, c := range r.Histogram.Counts {
			n += c
		}
		if n != len(ys) || r.U < 0 {
			t.Errorf("%v: %+v", ys[:3], r)
		}
	}
	if _, u := meanSD(slices.Repeat([]float64{3}, 10)); u != 0 {
		t.Errorf("equal values: sd %v", u)
	}
}
