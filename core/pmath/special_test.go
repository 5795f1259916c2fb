package pmath

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

var named = map[string]float64{
	"Pi": math.Pi, "-Pi": -math.Pi,
	"Pi/2": math.Pi / 2, "-Pi/2": -math.Pi / 2,
	"Pi/4": math.Pi / 4, "-Pi/4": -math.Pi / 4,
	"3Pi/4": 3 * math.Pi / 4, "-3Pi/4": -3 * math.Pi / 4,
	"MaxFloat64": math.MaxFloat64, "-MaxFloat64": -math.MaxFloat64,
	"SmallestNonzero": math.SmallestNonzeroFloat64, "-SmallestNonzero": -math.SmallestNonzeroFloat64,
}

func parseValue(s string) (float64, error) {
	if v, ok := named[s]; ok {
		return v, nil
	}
	return strconv.ParseFloat(s, 64)
}

func lookup(name string) *fn {
	for i := range functions {
		if functions[i].name == name {
			return &functions[i]
		}
	}
	return nil
}

// TestSpecialValues checks the table in testdata/special.txt (the special
// cases documented by Go's math package, overflow, underflow and domain
// errors) against pmath and, where math is a reference (mathComparable),
// math: the two must give exactly the listed bits, so pmath's special-value
// behaviour is math's. (math's s390x assembly, for one, gives
// Atan2(-5e-324, MaxFloat64) = +0 instead of -0.)
func TestSpecialValues(t *testing.T) {
	f, err := os.Open("testdata/special.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, seen := 0, map[string]bool{}
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		call, wantText, ok := strings.Cut(text, " = ")
		open := strings.IndexByte(call, '(')
		if !ok || open < 0 || !strings.HasSuffix(call, ")") {
			t.Fatalf("special.txt:%d: cannot parse %q", line, text)
		}
		name := call[:open]
		f := lookup(name)
		if f == nil {
			t.Fatalf("special.txt:%d: unknown function %q", line, name)
		}
		var args []float64
		for _, a := range strings.Split(call[open+1:len(call)-1], ",") {
			v, err := parseValue(strings.TrimSpace(a))
			if err != nil {
				t.Fatalf("special.txt:%d: %v", line, err)
			}
			args = append(args, v)
		}
		want, err := parseValue(wantText)
		if err != nil {
			t.Fatalf("special.txt:%d: %v", line, err)
		}
		if (f.f1 != nil) != (len(args) == 1) || len(args) > 2 {
			t.Fatalf("special.txt:%d: %s takes a different number of arguments", line, name)
		}
		args = append(args, 0)
		got, mathGot := f.call(args[0], args[1])
		if !same(got, want) {
			t.Errorf("special.txt:%d: pmath.%s = %v (%#x), want %v", line, call, got, math.Float64bits(got), want)
		}
		if !same(mathGot, want) && mathComparable() && !mathWrong(name, args[0], args[1]) {
			t.Errorf("special.txt:%d: math.%s = %v, want %v (the table is wrong)", line, call, mathGot, want)
		}
		n++
		seen[name] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, f := range functions {
		if !seen[f.name] {
			t.Errorf("special.txt has no line for %s", f.name)
		}
	}
	t.Logf("%d special values", n)
}

// TestSpecialGrid evaluates every function at every value in specials (every
// pair for two-argument functions) and requires math's results: the same
// bits where either result is NaN, ±Inf or ±0, and otherwise within the
// function's tolerance (see maxULP).
func TestSpecialGrid(t *testing.T) {
	skipUnlessMathComparable(t)
	for _, f := range functions {
		t.Run(f.name, func(t *testing.T) {
			ys := []float64{0}
			if f.f2 != nil {
				ys = specials
			}
			for _, x := range specials {
				for _, y := range ys {
					got, want := f.call(x, y)
					checkOne(t, &f, x, y, got, want)
				}
			}
		})
	}
}

// checkOne fails t unless got (pmath) agrees with want (math) at (x, y).
func checkOne(t testing.TB, f *fn, x, y, got, want float64) {
	t.Helper()
	if mathWrong(f.name, x, y) {
		v, ok := exact(f.name, x, y)
		if !ok {
			t.Fatalf("%s: no exact reference", f.show(x, y))
		}
		vf, _ := v.Float64()
		if special(vf) {
			if !same(got, vf) {
				t.Errorf("%s: got %v, exact value rounds to %v (math gives %v, which is known to be wrong here)", f.show(x, y), got, vf, want)
			}
			return
		}
		if e := ulpError(got, v); math.IsNaN(e) || math.Abs(e) > exactTolerance(f.name) {
			t.Errorf("%s: got %v, exact %v: %.3g ulps off, allowed %g (math gives %v, which is known to be wrong here)", f.show(x, y), got, vf, e, exactTolerance(f.name), want)
		}
		return
	}
	if special(got) || special(want) {
		if !same(got, want) {
			t.Errorf("%s: got %v (%#x), math gives %v (%#x)", f.show(x, y), got, math.Float64bits(got), want, math.Float64bits(want))
		}
		return
	}
	tol := maxULP(f.name)
	if exactOnThisPlatform(f.name) {
		tol = 0
	}
	if d := ulps(got, want); d > tol {
		t.Errorf("%s: got %v (%#x), math gives %v (%#x): %d ulps apart, allowed %d", f.show(x, y), got, math.Float64bits(got), want, math.Float64bits(want), d, tol)
	}
}

func (f *fn) show(x, y float64) string {
	if f.f1 != nil {
		return f.name + "(" + strconv.FormatFloat(x, 'g', -1, 64) + ")"
	}
	return f.name + "(" + strconv.FormatFloat(x, 'g', -1, 64) + ", " + strconv.FormatFloat(y, 'g', -1, 64) + ")"
}
