package attest

import (
	"math"
	"math/big"
	"testing"

	"github.com/ebios/ebios/core/nu"
	"pgregory.net/rapid"
)

// Go-side tests of the compose theorems (see docs/traceability.md). As in
// algebra_test.go, inputs are multiples of 2^-10 up to about 1e6, so that
// n ± u and the interval-mode midpoints are exact in float64.

// widen returns v with its u increased by a non-negative multiple of 2^-10.
func widen(t *rapid.T, v nu.Value, label string) nu.Value {
	d := float64(rapid.Int64Range(0, 1<<30).Draw(t, label)) / 1024
	return nu.MustNew(v.N(), v.U()+d)
}

// shift returns v with its n increased by a non-negative multiple of 2^-10.
func shift(t *rapid.T, v nu.Value, label string) nu.Value {
	d := float64(rapid.Int64Range(0, 1<<30).Draw(t, label)) / 1024
	return nu.MustNew(v.N()+d, v.U())
}

// TestNUComposeMonotone: NUReal.v nu_compose_unc_mono and
// nu_compose_nom_mono, run on nu.Compose: larger input uncertainties give a
// larger (or equal) composed u, larger input nominals a larger (or equal)
// composed n, whenever both composes succeed. The theorems are over ℝ; the
// float64 results may differ from the real ones by a few roundings, so a
// relative slack of 2^-40 is allowed.
func TestNUComposeMonotone(t *testing.T) {
	const rel = 0x1p-40
	rapid.Check(t, func(t *rapid.T) {
		a, b := genNU(t, "a"), genNU(t, "b")
		if rapid.Bool().Draw(t, "certain") { // exercise the u = 0 cases
			a = nu.MustNew(a.N(), 0)
		}
		a2, b2 := widen(t, a, "du1"), widen(t, b, "du2")
		r, err1 := nu.Compose(a, b)
		r2, err2 := nu.Compose(a2, b2)
		if err1 == nil && err2 == nil && r.U() > r2.U()*(1+rel) {
			t.Fatalf("u not monotone: compose(%v, %v).u = %v > compose(%v, %v).u = %v",
				a.FormatFull(), b.FormatFull(), r.U(), a2.FormatFull(), b2.FormatFull(), r2.U())
		}
		a3, b3 := shift(t, a, "dn1"), shift(t, b, "dn2")
		r3, err3 := nu.Compose(a3, b3)
		scale := math.Abs(a3.N()) + math.Abs(b3.N()) + math.Abs(a.N()) + math.Abs(b.N())
		if err1 == nil && err3 == nil && r.N() > r3.N()+rel*scale {
			t.Fatalf("n not monotone: compose(%v, %v).n = %v > compose(%v, %v).n = %v",
				a.FormatFull(), b.FormatFull(), r.N(), a3.FormatFull(), b3.FormatFull(), r3.N())
		}
	})
}

// ends returns the exact interval [n-u, n+u] of v.
func ends(v nu.Value) (lo, hi *big.Rat) {
	return new(big.Rat).Sub(rat(v.N()), rat(v.U())), new(big.Rat).Add(rat(v.N()), rat(v.U()))
}

func ratMax(x, y *big.Rat) *big.Rat {
	if x.Cmp(y) >= 0 {
		return x
	}
	return y
}

func ratMin(x, y *big.Rat) *big.Rat {
	if x.Cmp(y) <= 0 {
		return x
	}
	return y
}

// TestIntervalComposeIntersection: IntervalReal.v iv_compose_exact,
// iv_compose_encloses, iv_compose_none, iv_compose_comm,
// iv_compose_unc_le_min and iv_compose_mono, run on nu.IntervalCompose.
// On these inputs float64 is exact, so the properties are checked exactly:
// the result is the intersection (computed in big.Rat), the error
// NUCORE_006 occurs exactly when the intersection is empty, the order of
// the arguments does not matter (bit for bit), u ≤ min(u1, u2), and wider
// inputs give a result that contains the first one.
func TestIntervalComposeIntersection(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genNU(t, "a"), genNU(t, "b")
		if rapid.Bool().Draw(t, "overlap") { // make overlapping inputs common
			b = nu.MustNew(a.N()+float64(rapid.Int64Range(-1<<20, 1<<20).Draw(t, "d"))/1024, b.U())
		}
		alo, ahi := ends(a)
		blo, bhi := ends(b)
		lo, hi := ratMax(alo, blo), ratMin(ahi, bhi)
		r, err := nu.IntervalCompose(a, b)
		rc, errc := nu.IntervalCompose(b, a)
		if r != rc || (err == nil) != (errc == nil) {
			t.Fatalf("compose(a, b) = %v, %v; compose(b, a) = %v, %v", r, err, rc, errc)
		}
		if lo.Cmp(hi) > 0 {
			if err == nil {
				t.Fatalf("disjoint %v and %v composed to %v", a.FormatFull(), b.FormatFull(), r.FormatFull())
			}
			return
		}
		if err != nil {
			t.Fatalf("overlapping %v and %v: %v", a.FormatFull(), b.FormatFull(), err)
		}
		rlo, rhi := ends(r)
		if rlo.Cmp(lo) != 0 || rhi.Cmp(hi) != 0 {
			t.Fatalf("compose(%v, %v) = [%s, %s], intersection [%s, %s]", a.FormatFull(), b.FormatFull(),
				rlo.FloatString(6), rhi.FloatString(6), lo.FloatString(6), hi.FloatString(6))
		}
		if r.U() > math.Min(a.U(), b.U()) {
			t.Fatalf("compose(%v, %v).u = %v > min(u1, u2)", a.FormatFull(), b.FormatFull(), r.U())
		}
		a2, b2 := widen(t, a, "du1"), widen(t, b, "du2")
		r2, err2 := nu.IntervalCompose(a2, b2)
		if err2 != nil {
			t.Fatalf("wider inputs %v, %v: %v", a2.FormatFull(), b2.FormatFull(), err2)
		}
		r2lo, r2hi := ends(r2)
		if r2lo.Cmp(rlo) > 0 || r2hi.Cmp(rhi) < 0 {
			t.Fatalf("compose(%v, %v) = %v does not contain compose(%v, %v) = %v",
				a2.FormatFull(), b2.FormatFull(), r2.FormatFull(), a.FormatFull(), b.FormatFull(), r.FormatFull())
		}
	})
}
