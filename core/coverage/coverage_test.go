package coverage

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestGUMTableG2 checks Factor against every entry of the GUM's table of
// t_p(ν), rounded as the GUM prints it.
func TestGUMTableG2(t *testing.T) {
	f, err := os.Open("testdata/gum-table-g2.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// 68.27 %, 95.45 % and 99.73 % are the normal's one, two and three
	// standard deviations, as the GUM's table heads say.
	ps := []float64{math.Erf(1 / math.Sqrt2), 0.90, 0.95, math.Erf(2 / math.Sqrt2), 0.99, math.Erf(3 / math.Sqrt2)}
	rows := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 1+len(ps) {
			t.Fatalf("malformed row %q", line)
		}
		dof := math.Inf(1)
		if fields[0] != "inf" {
			dof, _ = strconv.ParseFloat(fields[0], 64)
		}
		for i, p := range ps {
			want := fields[1+i]
			k, err := Factor(p, dof)
			if err != nil {
				t.Fatal(err)
			}
			decimals := len(want) - strings.IndexByte(want, '.') - 1
			if got := strconv.FormatFloat(k, 'f', decimals, 64); got != want {
				t.Errorf("t_%v(%v) = %v, rounds to %s; the GUM prints %s", p, dof, k, got, want)
			}
		}
		rows++
	}
	if rows != 20 {
		t.Fatalf("read %d rows, want 20", rows)
	}
}

// TestFactorAgainstGonum compares Factor with gonum's Student t quantile
// over a grid of ν and p.
func TestFactorAgainstGonum(t *testing.T) {
	for _, dof := range []float64{1, 2, 3, 4, 7, 12, 16, 25, 60, 99, 250, 1000, 5000, 40000} {
		for _, p := range []float64{0.5, 0.6827, 0.9, 0.95, 0.9545, 0.99, 0.9973, 0.9999} {
			k, err := Factor(p, dof)
			if err != nil {
				t.Fatal(err)
			}
			want := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: dof}.Quantile((1 + p) / 2)
			if math.Abs(k-want) > 1e-9*want {
				t.Errorf("Factor(%v, %v) = %.15g, gonum says %.15g", p, dof, k, want)
			}
		}
	}
	for _, p := range []float64{0.5, 0.6827, 0.95, 0.99, 0.9999} {
		k, _ := Factor(p, math.Inf(1))
		want := distuv.UnitNormal.Quantile((1 + p) / 2)
		if math.Abs(k-want) > 1e-12*want {
			t.Errorf("Factor(%v, inf) = %.15g, gonum says %.15g", p, k, want)
		}
	}
}

func TestFactorErrors(t *testing.T) {
	for _, tc := range []struct {
		p, dof float64
		code   string
	}{
		{0, 5, CodeProbability}, {1, 5, CodeProbability}, {-0.5, 5, CodeProbability},
		{math.NaN(), 5, CodeProbability}, {0.95, 0.5, CodeDoF}, {0.95, math.NaN(), CodeDoF},
		{0.95, 0, CodeDoF}, {0.95, math.Inf(-1), CodeDoF},
	} {
		_, err := Factor(tc.p, tc.dof)
		if err == nil || !strings.Contains(err.Error(), tc.code) {
			t.Errorf("Factor(%v, %v) = %v, want %s", tc.p, tc.dof, err, tc.code)
		}
	}
	for _, k := range []float64{0, -1, math.Inf(1), math.NaN()} {
		if CheckFactor(k) == nil {
			t.Errorf("CheckFactor(%v) accepted it", k)
		}
	}
	if CheckFactor(2) != nil {
		t.Error("CheckFactor(2) refused it")
	}
}

// TestGUMH1 is the GUM's worked example H.1 (calibration of an end gauge):
// contributions c_i·u_i of 25, 9.7, 2.9 and 16.6 nm with 18, 25.6, 50 and
// 2 degrees of freedom (and two inputs with c_i = 0) give u_c = 32 nm,
// ν_eff = 16.7 truncated to 16, t_99(16) = 2.92 and U_99 = 93 nm (H.1.6).
func TestGUMH1(t *testing.T) {
	contrib := []float64{25, 9.7, 0, 0, 2.9, 16.6}
	dofs := []float64{18, 25.6, math.Inf(1), math.Inf(1), 50, 2}
	var s float64
	for _, c := range contrib {
		s += c * c
	}
	uc := math.Sqrt(s)
	if r := math.Round(uc); r != 32 {
		t.Fatalf("u_c = %v, want 32 nm", uc)
	}
	dof, err := EffectiveDoF(uc, contrib, dofs)
	if err != nil {
		t.Fatal(err)
	}
	if dof != 16 {
		t.Fatalf("ν_eff = %v, want 16", dof)
	}
	k, err := Factor(0.99, dof)
	if err != nil {
		t.Fatal(err)
	}
	if got := strconv.FormatFloat(k, 'f', 2, 64); got != "2.92" {
		t.Errorf("t_99(16) = %v, want 2.92", k)
	}
	if got := math.Round(k * uc); got != 93 {
		t.Errorf("U_99 = %v nm, want 93", k*uc)
	}
}

func TestEffectiveDoF(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		name    string
		uc      float64
		contrib []float64
		dofs    []float64
		want    float64
	}{
		{"all type B", 5, []float64{3, 4}, []float64{inf, inf}, inf},
		{"one input", 3, []float64{3}, []float64{9}, 9},
		{"two equal", math.Sqrt(2), []float64{1, 1}, []float64{4, 4}, 8},
		{"truncated", math.Sqrt(2), []float64{1, 1}, []float64{3, 4}, 6}, // 4/(1/3+1/4) = 6.86
		{"at least 1", 1, []float64{1}, []float64{1}, 1},
		{"exact", 0, []float64{0}, []float64{4}, inf},
		{"tiny scale", 3e-300, []float64{3e-300}, []float64{9}, 9},
		{"huge scale", 3e300, []float64{3e300}, []float64{9}, 9},
	} {
		got, err := EffectiveDoF(tc.uc, tc.contrib, tc.dofs)
		if err != nil || got != tc.want {
			t.Errorf("%s: EffectiveDoF = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := EffectiveDoF(1, []float64{1}, []float64{0.5}); err == nil {
		t.Error("ν = 0.5 accepted")
	}
}

func TestTwoSided(t *testing.T) {
	for _, dof := range []float64{1, 2, 3, 8, 31, math.Inf(1)} {
		prev := -1.0
		for k := 0.0; k < 50; k += 0.25 {
			p, err := TwoSided(k, dof)
			if err != nil {
				t.Fatal(err)
			}
			if p < prev-1e-15 || p < 0 || p > 1 { // monotone up to rounding
				t.Fatalf("TwoSided(%v, %v) = %v after %v: not a distribution", k, dof, p, prev)
			}
			prev = p
		}
	}
	if p, _ := TwoSided(math.Inf(1), 3); p != 1 {
		t.Errorf("TwoSided(inf, 3) = %v", p)
	}
}
