package attest

import (
	"math"
	"math/big"
	"testing"

	"github.com/ebios/ebios/core/nu"
	"pgregory.net/rapid"
)

// Go-side tests of theorems that no core/nu test covers directly (see
// docs/traceability.md). They run the float64 code of core/nu and compare
// in exact rational arithmetic; the theorems themselves are over ℝ.

// genNU draws multiples of 2^-10 up to about 1e6, so that no product
// underflows: in float64 an underflowed product would make u smaller than
// the real formula (nu mode is a point estimate in floats; the theorems are
// over ℝ).
func genNU(t *rapid.T, label string) nu.Value {
	n := float64(rapid.Int64Range(-1<<30, 1<<30).Draw(t, label+".n")) / 1024
	u := float64(rapid.Int64Range(0, 1<<30).Draw(t, label+".u")) / 1024
	return nu.MustNew(n, u)
}

func rat(x float64) *big.Rat { return new(big.Rat).SetFloat64(x) }

// point returns n + s·u exactly, for s drawn in [-1, 1] (often a corner).
func point(t *rapid.T, v nu.Value, label string) *big.Rat {
	var s float64
	switch rapid.IntRange(0, 2).Draw(t, label+".kind") {
	case 0:
		s = -1
	case 1:
		s = 1
	default:
		s = rapid.Float64Range(-1, 1).Draw(t, label+".s")
	}
	return new(big.Rat).Add(rat(v.N()), new(big.Rat).Mul(rat(s), rat(v.U())))
}

// sq returns x².
func sq(x *big.Rat) *big.Rat { return new(big.Rat).Mul(x, x) }

// slack is 1 + 2^-40: the float64 u has a few roundings.
var slack = new(big.Rat).Add(big.NewRat(1, 1), new(big.Rat).SetFrac64(1, 1<<40))

// withinFactor reports whether dev² ≤ k·u²·slack.
func withinFactor(dev *big.Rat, k int64, u float64) bool {
	bound := new(big.Rat).Mul(sq(rat(u)), big.NewRat(k, 1))
	return sq(dev).Cmp(bound.Mul(bound, slack)) <= 0
}

// TestNUQuadratureEnclosure: Enclosure.v nu_{add,sub}_encloses_sqrt2 and
// nu_mul_encloses_sqrt3, run on nu.Add, nu.Sub and nu.Mul: for x, y in the
// input intervals, |x+y − n| ≤ √2·u, |x−y − n| ≤ √2·u, |xy − n| ≤ √3·u.
func TestNUQuadratureEnclosure(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genNU(t, "a"), genNU(t, "b")
		x, y := point(t, a, "x"), point(t, b, "y")
		sum, err1 := nu.Add(a, b)
		diff, err2 := nu.Sub(a, b)
		prod, err3 := nu.Mul(a, b)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatal(err1, err2, err3)
		}
		n1n2 := new(big.Rat).Mul(rat(a.N()), rat(b.N()))
		devAdd := new(big.Rat).Sub(new(big.Rat).Add(x, y), new(big.Rat).Add(rat(a.N()), rat(b.N())))
		devSub := new(big.Rat).Sub(new(big.Rat).Sub(x, y), new(big.Rat).Sub(rat(a.N()), rat(b.N())))
		devMul := new(big.Rat).Sub(new(big.Rat).Mul(x, y), n1n2)
		if !withinFactor(devAdd, 2, sum.U()) {
			t.Fatalf("add: deviation %s > √2·%v", devAdd.FloatString(6), sum.U())
		}
		if !withinFactor(devSub, 2, diff.U()) {
			t.Fatalf("sub: deviation %s > √2·%v", devSub.FloatString(6), diff.U())
		}
		if !withinFactor(devMul, 3, prod.U()) {
			t.Fatalf("mul: deviation %s > √3·%v", devMul.FloatString(6), prod.U())
		}
	})
}

// TestNUQuadratureNotEnclosure: Enclosure.v nu_*_counterexample,
// nu_*_not_enclosure and the optimality of √2 and √3: a corner of the input
// box deviates by more than the nu-mode u, and for u1 = u2 (add) or
// n = u (mul) by exactly √2·u and √3·u.
func TestNUQuadratureNotEnclosure(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n1 := rapid.Float64Range(-1e6, 1e6).Draw(t, "n1")
		n2 := rapid.Float64Range(-1e6, 1e6).Draw(t, "n2")
		u := rapid.Float64Range(1e-3, 1e3).Draw(t, "u")
		a, b := nu.MustNew(n1, u), nu.MustNew(n2, u)
		sum, _ := nu.Add(a, b)
		diff, _ := nu.Sub(a, b)
		// Corners x = n1+u, y = n2±u deviate by 2u = √2·u_result.
		dev := rat(2 * u)
		if withinFactor(dev, 1, sum.U()) || withinFactor(dev, 1, diff.U()) {
			t.Fatalf("add/sub: corner deviation 2u = %v within u = %v", 2*u, sum.U())
		}
		if !withinFactor(dev, 2, sum.U()) || withinFactor(dev, 2, sum.U()*(1-1e-9)) {
			t.Fatalf("add: corner deviation 2u = %v is not √2·u = √2·%v", 2*u, sum.U())
		}
		// mul with n = u > 0: the corner (2n, 2n) deviates by 3n² = √3·u_result.
		p, err := nu.Mul(nu.MustNew(u, u), nu.MustNew(u, u))
		if err != nil {
			t.Fatal(err)
		}
		devMul := new(big.Rat).Mul(big.NewRat(3, 1), sq(rat(u)))
		if withinFactor(devMul, 1, p.U()) {
			t.Fatalf("mul: corner deviation within u")
		}
		if !withinFactor(devMul, 3, p.U()) || withinFactor(devMul, 3, p.U()*(1-1e-9)) {
			t.Fatalf("mul: corner deviation %s is not √3·u = √3·%v", devMul.FloatString(6), p.U())
		}
	})
}

// TestNUSubIsAddOfFlip: NUReal.v nu_sub_as_add, bit for bit in float64.
func TestNUSubIsAddOfFlip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genNU(t, "a"), genNU(t, "b")
		x, err1 := nu.Sub(a, b)
		y, err2 := nu.Add(a, nu.Flip(b))
		if x != y || (err1 == nil) != (err2 == nil) {
			t.Fatalf("Sub(a, b) = %v, %v; Add(a, Flip(b)) = %v, %v", x, err1, y, err2)
		}
	})
}

// TestIntervalTightOnExactInputs: IntervalReal.v iv_add_tight and
// iv_mul_tight. On inputs where float64 arithmetic is exact (small dyadic
// numbers) the interval u is the real bound exactly, and a corner of the
// input box attains it: no smaller u is correct.
func TestIntervalTightOnExactInputs(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		dy := func(label string, lo int) float64 {
			return float64(rapid.IntRange(lo, 1<<10).Draw(t, label)) / 8
		}
		a := nu.MustNew(dy("n1", -1<<10), dy("u1", 0))
		b := nu.MustNew(dy("n2", -1<<10), dy("u2", 0))
		for _, c := range []struct {
			name string
			op   func(a, b nu.Value) (nu.Value, error)
			f    func(x, y *big.Rat) *big.Rat
		}{
			{"add", nu.IntervalAdd, func(x, y *big.Rat) *big.Rat { return new(big.Rat).Add(x, y) }},
			{"mul", nu.IntervalMul, func(x, y *big.Rat) *big.Rat { return new(big.Rat).Mul(x, y) }},
		} {
			v, err := c.op(a, b)
			if err != nil {
				t.Fatal(err)
			}
			n := c.f(rat(a.N()), rat(b.N()))
			if rat(v.N()).Cmp(n) != 0 {
				t.Fatalf("%s: n = %v is not exact", c.name, v.N())
			}
			worst := new(big.Rat)
			for _, sx := range []float64{-1, 1} {
				for _, sy := range []float64{-1, 1} {
					x := new(big.Rat).Add(rat(a.N()), rat(sx*a.U()))
					y := new(big.Rat).Add(rat(b.N()), rat(sy*b.U()))
					d := new(big.Rat).Abs(new(big.Rat).Sub(c.f(x, y), n))
					if d.Cmp(worst) > 0 {
						worst = d
					}
				}
			}
			if c.name == "mul" && v.N() == 0 {
				// Below 2^-968, here 0, the float code cannot compute the
				// product's rounding error and adds one subnormal ulp,
				// which can round u up by one ulp: tight up to that ulp.
				w, _ := worst.Float64()
				if worst.Cmp(rat(v.U())) > 0 || v.U() > math.Nextafter(w, math.Inf(1)) {
					t.Fatalf("mul(%v, %v): u = %v, largest deviation %s", a, b, v.U(), worst.FloatString(6))
				}
				continue
			}
			if worst.Cmp(rat(v.U())) != 0 {
				t.Fatalf("%s(%v, %v): u = %v, but the largest deviation is %s", c.name, a, b, v.U(), worst.FloatString(6))
			}
		}
	})
}
