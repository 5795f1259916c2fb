package nu

import (
	"math"
	"strconv"
)

// Scale-safe quadrature. x*x + y*y is exact enough whenever the sum lies in
// [hypotLo, +Inf): no square has overflowed and any square that underflowed
// is negligible against the sum. Outside that range the slower, scaling
// math.Hypot-style path is taken.
const hypotLo = 0x1p-900

func hypot2(x, y float64) float64 {
	s := float64(x*x) + float64(y*y)
	if s >= hypotLo && s <= math.MaxFloat64 {
		return math.Sqrt(s)
	}
	return math.Hypot(x, y)
}

func hypot3(x, y, z float64) float64 {
	s := float64(x*x) + float64(y*y) + float64(z*z)
	if s >= hypotLo && s <= math.MaxFloat64 {
		return math.Sqrt(s)
	}
	return hypot3Slow(x, y, z)
}

// hypot3Slow scales by the largest term so that no square over- or underflows.
func hypot3Slow(x, y, z float64) float64 {
	m := math.Max(x, math.Max(y, z))
	if m == 0 || math.IsInf(m, 1) {
		return m
	}
	x, y, z = x/m, y/m, z/m
	return m * math.Sqrt(x*x+y*y+z*z)
}

// Add returns a + b in the N/U algebra: (n1+n2, √(u1²+u2²)).
func Add(a, b Value) (Value, error) {
	r := Value{a.n + b.n, hypot2(a.u, b.u)}
	if math.IsInf(r.n, 0) || (math.IsInf(r.u, 1) && !math.IsInf(a.u, 1) && !math.IsInf(b.u, 1)) {
		return Value{}, errOverflow("add")
	}
	return r, nil
}

// Sub returns a - b in the N/U algebra: (n1-n2, √(u1²+u2²)).
func Sub(a, b Value) (Value, error) {
	return Add(a, Value{-b.n, b.u})
}

// Mul returns a · b in the N/U algebra with λ = 1:
// (n1·n2, √((n1·u2)² + (n2·u1)² + (u1·u2)²)).
//
// A term 0·Inf (an exact zero times an unknown value) counts as 0: an exactly
// zero factor makes the product exactly zero.
func Mul(a, b Value) (Value, error) {
	n := a.n * b.n
	u := hypot3(math.Abs(float64(a.n*b.u)), math.Abs(float64(b.n*a.u)), float64(a.u*b.u))
	if math.IsInf(n, 0) || math.IsInf(u, 1) || math.IsNaN(u) {
		return mulSlow(a, b)
	}
	return Value{n, u}, nil
}

// MulFirstOrder returns a · b by first-order propagation for independent
// inputs, as the GUM does: (n1·n2, √((n1·u2)² + (n2·u1)²)). It is [Mul]
// without the second-order term u1·u2, so it underestimates the spread of
// a product of values whose relative uncertainties are not small.
func MulFirstOrder(a, b Value) (Value, error) {
	n := a.n * b.n
	u := hypot2(mul0(math.Abs(a.n), b.u), mul0(math.Abs(b.n), a.u))
	if math.IsInf(n, 0) || (math.IsInf(u, 1) && !math.IsInf(a.u, 1) && !math.IsInf(b.u, 1)) {
		return Value{}, errOverflow("multiply")
	}
	return Value{n, u}, nil
}

// mulSlow handles products whose terms overflow or involve an infinite
// uncertainty.
func mulSlow(a, b Value) (Value, error) {
	n := a.n * b.n
	if math.IsInf(n, 0) {
		return Value{}, errOverflow("multiply")
	}
	p, q, r := mul0(math.Abs(a.n), b.u), mul0(math.Abs(b.n), a.u), mul0(a.u, b.u)
	u := hypot3Slow(p, q, r)
	if math.IsInf(u, 1) && !math.IsInf(a.u, 1) && !math.IsInf(b.u, 1) {
		return Value{}, errOverflow("multiply")
	}
	return Value{n, u}, nil
}

// mul0 multiplies with the convention 0·Inf = 0.
func mul0(x, y float64) float64 {
	if x == 0 || y == 0 {
		return 0
	}
	return x * y
}

// Div returns a / b in the N/U algebra. The seed defines no division; eBIOS
// uses first-order propagation for independent inputs:
//
//	n = n1/n2,  u = √((u1/n2)² + (n·u2/n2)²)
//
// which equals |n|·√((u1/n1)² + (u2/n2)²) when n1 ≠ 0. Like every first-order
// formula it is accurate only when u2 ≪ |n2|. b.N() = 0 is an error.
func Div(a, b Value) (Value, error) {
	if b.n == 0 {
		return Value{}, errDivByZero("divisor nominal is 0")
	}
	d := math.Abs(b.n)
	n := a.n / b.n
	u := hypot2(a.u/d, mul0(math.Abs(n), b.u/d))
	if math.IsInf(n, 0) || (math.IsInf(u, 1) && !math.IsInf(a.u, 1) && !math.IsInf(b.u, 1)) {
		return Value{}, errOverflow("divide")
	}
	return Value{n, u}, nil
}

// Scale returns k · a for an exact constant k: (k·n, |k|·u).
func Scale(k float64, a Value) (Value, error) {
	if math.IsNaN(k) || math.IsInf(k, 0) {
		return Value{}, errBadConstant(k)
	}
	r := Value{k * a.n, mul0(math.Abs(k), a.u)}
	if math.IsInf(r.n, 0) || (math.IsInf(r.u, 1) && !math.IsInf(a.u, 1)) {
		return Value{}, errOverflow("scale")
	}
	return r, nil
}

// Flip returns (-n, u).
func Flip(a Value) Value { return Value{-a.n, a.u} }

// Catch turns an invalid pair into (def ± +Inf): a value about which nothing
// is known. A valid pair is returned unchanged. def must be finite; a
// non-finite def is replaced by 0.
func Catch(n, u, def float64) Value {
	if valid(n, u) {
		return Value{n, u}
	}
	if math.IsNaN(def) || math.IsInf(def, 0) {
		def = 0
	}
	return Value{def, math.Inf(1)}
}

// Compose combines two independent estimates of the same quantity by
// inverse-variance weighting:
//
//	n = (n1·u2² + n2·u1²)/(u1² + u2²),  u = √(u1²·u2²/(u1² + u2²))
//
// The cases the formula leaves open are defined explicitly: a certain value
// (u = 0) wins over an uncertain one; two certain values must be equal, or the
// result is a NUCORE_006 error (contradictory evidence is never averaged); an
// estimate with u = +Inf carries no information and yields the other one. The
// result's u never exceeds min(u1, u2), and n lies between n1 and n2.
func Compose(a, b Value) (Value, error) {
	switch {
	case a.u == 0 && b.u == 0:
		if a.n != b.n {
			return Value{}, errContradiction("two certain values differ: " +
				strconv.FormatFloat(a.n, 'g', -1, 64) + " ≠ " + strconv.FormatFloat(b.n, 'g', -1, 64))
		}
		return a, nil
	case a.u == 0:
		return a, nil
	case b.u == 0:
		return b, nil
	case math.IsInf(a.u, 1) && math.IsInf(b.u, 1):
		return Value{a.n/2 + b.n/2, a.u}, nil
	case math.IsInf(a.u, 1):
		return b, nil
	case math.IsInf(b.u, 1):
		return a, nil
	}
	// The seed formula, when the squares are normal floats and nothing
	// overflows; it is symmetric bit for bit.
	as, bs := float64(a.u*a.u), float64(b.u*b.u)
	n := (float64(a.n*bs) + float64(b.n*as)) / (as + bs)
	if as < 0x1p-1022 || bs < 0x1p-1022 || math.IsInf(as+bs, 0) || math.IsInf(n, 0) || math.IsNaN(n) {
		n = composeScaled(a, b)
	}
	lo, hi := math.Min(a.n, b.n), math.Max(a.n, b.n)
	n = math.Max(lo, math.Min(hi, n))
	// u = u1·u2/√(u1² + u2²), written as min·(max/h) so that it cannot
	// overflow, and kept ≤ min(u1, u2) since max/h ≤ 1.
	small, large := math.Min(a.u, b.u), math.Max(a.u, b.u)
	h := hypot2(a.u, b.u)
	u := math.Min(small*math.Min(large/h, 1), small)
	return Value{n, u}, nil
}

// composeScaled is the compose nominal for uncertainties whose squares
// would under- or overflow. With s the value of smaller u and l the other,
// r = u_s/u_l ≤ 1 and n = (n_s + n_l·r²)/(1 + r²), the seed formula divided
// by u_l². Taking the smaller-u value first keeps it independent of the
// argument order, bit for bit.
func composeScaled(a, b Value) float64 {
	sv, lv := a, b
	if b.u < a.u || b.u == a.u && b.n < a.n {
		sv, lv = b, a
	}
	r := sv.u / lv.u
	r2 := float64(r * r)
	n := (sv.n + float64(lv.n*r2)) / (1 + r2)
	if math.IsInf(n, 0) { // the sum overflowed; the mean cannot
		n = sv.n/(1+r2) + float64(lv.n*r2)/(1+r2)
	}
	return n
}
