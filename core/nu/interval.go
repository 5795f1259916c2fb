package nu

import "math"

// Interval mode. A value n ± u stands for the real interval [n-u, n+u]
// (evaluated exactly, in ℝ). Each operation returns n = the rounded-to-nearest
// point result and the smallest u this package can cheaply guarantee such
// that the exact result set lies inside [n-u, n+u]. Error-free
// transformations keep u tight: an exact computation gets no widening at all.

// IntervalAdd returns a + b: (n1+n2, u1+u2) widened outward by the rounding
// error of both sums.
func IntervalAdd(a, b Value) (Value, error) {
	n := a.n + b.n
	u := addUp(addUp(a.u, b.u), math.Abs(twoSumErr(a.n, b.n, n)))
	return intervalResult("add", n, u, a, b)
}

// IntervalSub returns a - b.
func IntervalSub(a, b Value) (Value, error) {
	return IntervalAdd(a, Value{-b.n, b.u})
}

// IntervalMul returns a · b: (n1·n2, |n1|·u2 + |n2|·u1 + u1·u2) widened
// outward by every rounding error.
func IntervalMul(a, b Value) (Value, error) {
	n := float64(a.n * b.n)
	s := addUp(mulUp(math.Abs(a.n), b.u), mulUp(math.Abs(b.n), a.u))
	u := addUp(addUp(s, mulUp(a.u, b.u)), mulErr(a.n, b.n, n))
	return intervalResult("multiply", n, u, a, b)
}

// IntervalScale returns k · a for an exact constant k: (k·n, |k|·u) widened
// outward.
func IntervalScale(k float64, a Value) (Value, error) {
	if math.IsNaN(k) || math.IsInf(k, 0) {
		return Value{}, errBadConstant(k)
	}
	n := float64(k * a.n)
	u := addUp(mulUp(math.Abs(k), a.u), mulErr(k, a.n, n))
	return intervalResult("scale", n, u, a, Value{})
}

// IntervalDiv returns a / b. The divisor's interval must exclude zero
// (|n2| > u2); otherwise the quotient is unbounded and the result is a
// NUCORE_005 error. The nominal is n1/n2 rounded to nearest; u covers the
// exact quotient set {x/y}.
func IntervalDiv(a, b Value) (Value, error) {
	if !(math.Abs(b.n) > b.u) {
		return Value{}, errDivByZero("the divisor interval [n-u, n+u] contains 0; interval division needs |n| > u")
	}
	if b.n < 0 {
		a, b = Value{-a.n, a.u}, Value{-b.n, b.u}
	}
	// Divisor interval [dlo, dhi] with 0 < dlo, widened outward.
	dlo, dhi := subDown(b.n, b.u), addUp(b.n, b.u)
	if dlo <= 0 {
		return Value{}, errDivByZero("the divisor interval comes too close to 0 to be bounded in float64")
	}
	xlo, xhi := subDown(a.n, a.u), addUp(a.n, a.u)
	if math.IsInf(xlo, 0) || math.IsInf(xhi, 0) {
		// The dividend's ends overflow although its value need not: divide
		// half of it (an exact enclosure) and double the result (exact).
		half, err := IntervalScale(0.5, a)
		if err != nil {
			return Value{}, err
		}
		q, err := IntervalDiv(half, b)
		if err != nil {
			return Value{}, err
		}
		return IntervalScale(2, q)
	}
	// x/y is monotone in each argument on y > 0: the extremes are at corners.
	var lo, hi float64
	if xlo >= 0 {
		lo = divDown(xlo, dhi)
	} else {
		lo = divDown(xlo, dlo)
	}
	if xhi >= 0 {
		hi = divUp(xhi, dlo)
	} else {
		hi = divUp(xhi, dhi)
	}
	n := a.n / b.n
	u := math.Max(subUp(hi, n), subUp(n, lo))
	return intervalResult("divide", n, u, a, b)
}

// IntervalCompose intersects two enclosures of the same quantity. Disjoint
// intervals are contradictory evidence: a NUCORE_006 error. The intersection
// is widened outward, so two intervals that touch within rounding are kept.
func IntervalCompose(a, b Value) (Value, error) {
	if math.IsInf(a.u, 1) || math.IsInf(b.u, 1) {
		return tighter(a, b), nil // an unbounded input says nothing
	}
	lo := math.Max(a.Lo(), b.Lo())
	hi := math.Min(a.Hi(), b.Hi())
	if lo > hi {
		return Value{}, errContradiction("the intervals [n-u, n+u] do not overlap")
	}
	n := lo/2 + hi/2
	if lo == hi {
		n = lo
	}
	u := math.Max(subUp(hi, n), subUp(n, lo))
	// The intersection is never wider than the tighter input.
	if best := tighter(a, b); u > best.u {
		return best, nil
	}
	return Value{n, u}, nil
}

// tighter is the narrower of a and b; between values as wide, the one with
// the smaller n (then the negative zero), so that IntervalCompose commutes
// exactly, as IntervalReal.v's iv_compose_comm says it does.
func tighter(a, b Value) Value {
	if b.u < a.u || b.u == a.u && (b.n < a.n || b.n == a.n && math.Signbit(b.n) && !math.Signbit(a.n)) {
		return b
	}
	return a
}

// intervalResult turns an overflow into an error. An infinite u is allowed
// only when an input's u was already infinite.
func intervalResult(op string, n, u float64, a, b Value) (Value, error) {
	if math.IsInf(n, 0) || math.IsNaN(u) || (math.IsInf(u, 1) && !math.IsInf(a.u, 1) && !math.IsInf(b.u, 1)) {
		if math.IsNaN(u) && (math.IsInf(a.u, 1) || math.IsInf(b.u, 1)) && !math.IsInf(n, 0) {
			return Value{n, math.Inf(1)}, nil
		}
		return Value{}, errOverflow(op)
	}
	return Value{n, u}, nil
}
