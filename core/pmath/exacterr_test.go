package pmath

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// exactBound is the largest error, in ulps of the correctly rounded result,
// that TestExactError allows pmath for the functions the big reference
// covers: the error of Go's algorithms, which pmath keeps (measured with
// go test -run TestExactError -v; see docs/benchmarks.md). Log2 near 1
// (Log(frac)/Ln2 + exp cancels) and Pow with a large |y| (repeated squaring
// doubles the relative error at each step) have errors of many ulps in Go's
// math too; for them, 0 means that pmath's error may not exceed math's by
// more than maxULP at any argument (math.Exp on amd64 rounds differently).
var exactBound = map[string]float64{
	"Exp": 1, "Log": 1, "Log10": 2, "Sinh": 2.5, "Cosh": 1.5, "Tanh": 1.5, "Log2": 0, "Pow": 0,
}

// TestExactError measures pmath and math against the exact value (the
// math/big reference in exact_test.go) at random arguments, and requires
// pmath's error to stay within exactBound. It shows that where pmath and
// math on amd64 differ by more than one ulp, it is math's assembly that is
// off (and, for subnormal arguments of Log, Log10 and Pow, wrong: Go issue
// 56600).
func TestExactError(t *testing.T) {
	n := 20_000
	if testing.Short() || runtime.GOOS == "js" {
		n = 2_000
	}
	for i := range functions {
		f := &functions[i]
		if _, ok := exactBound[f.name]; !ok {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(0xe4ac7, uint64(i)))
			var worstP, worstM float64
			var atP, atM string
			checked := 0
			for k := 0; k < n; k++ {
				x, y := f.draw(r, k)
				v, ok := exact(f.name, x, y)
				if !ok {
					continue
				}
				got, want := f.call(x, y)
				if mathWrong(f.name, x, y) {
					want = math.NaN() // not counted for math
				}
				if special(got) || special(want) {
					continue // overflow and underflow edges: TestAgainstMath
				}
				checked++
				eP, eM := math.Abs(ulpError(got, v)), math.Abs(ulpError(want, v))
				if eP > worstP {
					worstP, atP = eP, f.show(x, y)
				}
				if eM > worstM {
					worstM, atM = eM, f.show(x, y)
				}
				if exactBound[f.name] == 0 && mathComparable() && eP > eM+float64(maxULP(f.name)) {
					t.Errorf("%s: pmath error %.3f ulp, math's %.3f ulp", f.show(x, y), eP, eM)
				}
			}
			t.Logf("%s: %d arguments: pmath max error %.3f ulp (at %s); math %.3g ulp (at %s)", f.name, checked, worstP, atP, worstM, atM)
			if b := exactBound[f.name]; b > 0 && worstP > b {
				t.Errorf("%s: pmath error %.3f ulp at %s, allowed %g", f.name, worstP, atP, exactBound[f.name])
			}
		})
	}
}
