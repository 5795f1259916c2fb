package nu

import "math"

// Directed rounding for the interval mode, built from round-to-nearest
// operations and error-free transformations. Every function here returns a
// float that bounds the exact real result in the stated direction (absent
// overflow, which yields ±Inf and is reported by the callers). proofs/ states
// and proves the same definitions in Coq with Flocq.
//
// Products are wrapped in float64() so that the compiler cannot fuse them
// into FMA instructions (the Go spec allows fusion, and an explicit
// conversion forbids it): the error terms below assume each product is
// rounded on its own.

// twoSumErr returns the exact rounding error (a+b) - s of s = RN(a+b) by
// Knuth's TwoSum. It is exact for all finite a, b whose sum does not overflow.
func twoSumErr(a, b, s float64) float64 {
	bb := s - a
	return (a - (s - bb)) + (b - bb)
}

// addUp returns a float ≥ a+b: RN(a+b) when that is already ≥ the exact sum,
// otherwise the next float up.
func addUp(a, b float64) float64 {
	s := a + b
	if twoSumErr(a, b, s) > 0 {
		return math.Nextafter(s, math.Inf(1))
	}
	return s
}

// subDown returns a float ≤ a-b.
func subDown(a, b float64) float64 { return -addUp(-a, b) }

// subUp returns a float ≥ a-b.
func subUp(a, b float64) float64 { return addUp(a, -b) }

// fmaExact is the magnitude above which the product error x·y - RN(x·y) is
// itself a float, so math.FMA computes it exactly (2^(emin + 2·53 - 1) with a
// margin of one binade; see Flocq's mult_error_FLT).
const fmaExact = 0x1p-968

// mulUp returns a float ≥ x·y for x, y ≥ 0.
func mulUp(x, y float64) float64 {
	if x == 0 || y == 0 {
		return 0
	}
	p := float64(x * y)
	if p < fmaExact {
		return math.Nextafter(p, math.Inf(1))
	}
	if math.FMA(x, y, -p) > 0 {
		return math.Nextafter(p, math.Inf(1))
	}
	return p
}

// mulErr returns a float ≥ |x·y - n| where n = RN(x·y).
func mulErr(x, y, n float64) float64 {
	a := math.Abs(n)
	if a >= fmaExact {
		return math.Abs(math.FMA(x, y, -n))
	}
	return math.Nextafter(a, math.Inf(1)) - a // ulp(n): the rounding error is at most half of it
}

// divDown and divUp bound x/y for y > 0. Division has no cheap error-free
// transformation that survives underflow, so they step one float outward
// unless the quotient is exact (checked with FMA where that check is exact).
func divDown(x, y float64) float64 {
	q := x / y
	if r, ok := divResidual(x, y, q); ok && r >= 0 {
		return q
	}
	return math.Nextafter(q, math.Inf(-1))
}

func divUp(x, y float64) float64 {
	q := x / y
	if r, ok := divResidual(x, y, q); ok && r <= 0 {
		return q
	}
	return math.Nextafter(q, math.Inf(1))
}

// divResidual returns x - q·y computed exactly, and whether it could be. For
// y > 0, a residual ≥ 0 means q ≤ x/y.
func divResidual(x, y, q float64) (float64, bool) {
	if q == 0 || math.IsInf(q, 0) || math.Abs(q*y) < fmaExact || math.Abs(x) < fmaExact {
		return 0, false
	}
	return math.FMA(-q, y, x), true
}
