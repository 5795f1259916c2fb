package nu

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// String formats v as "n ± u" with u rounded to two significant digits and n
// rounded to the same decimal place, e.g. "200 ± 14". See [Value.Format].
func (v Value) String() string { return v.Format(2) }

// Format writes "n ± u" with u rounded to sig significant digits (at least 1)
// and n to the same decimal place: fixed notation for moderate magnitudes,
// "2.00e20 ± 0.14e20" otherwise. An exact value prints as its shortest round-trip
// form; an infinite u prints as "inf". [Parse] reads every output back.
//
// Both numbers are rounded to nearest, which suits a standard uncertainty (nu
// mode) but can show an interval narrower than the computed one: use
// [Value.FormatOutward] (or [Value.FormatIn]) for an interval-mode result.
func (v Value) Format(sig int) string {
	if sig < 1 {
		sig = 1
	}
	switch {
	case v.u == 0:
		return strconv.FormatFloat(v.n, 'g', -1, 64)
	case math.IsInf(v.u, 1):
		return strconv.FormatFloat(v.n, 'g', -1, 64) + " ± inf"
	}
	es := strconv.FormatFloat(v.u, 'e', sig-1, 64)
	eu, _ := strconv.Atoi(es[strings.IndexByte(es, 'e')+1:])
	decimals := sig - 1 - eu
	big := math.Max(math.Abs(v.n), v.u)
	if big < 1e15 && decimals >= 0 && decimals <= 15 {
		return strconv.FormatFloat(v.n, 'f', decimals, 64) + " ± " + strconv.FormatFloat(v.u, 'f', decimals, 64)
	}
	if big < 1e15 && decimals < 0 {
		p := math.Pow10(-decimals)
		return strconv.FormatFloat(math.Round(v.n/p)*p, 'f', 0, 64) + " ± " + strconv.FormatFloat(math.Round(v.u/p)*p, 'f', 0, 64)
	}
	// Scientific with the exponent of the larger of |n| and u.
	e := eu
	if v.n != 0 {
		en := int(math.Floor(math.Log10(math.Abs(v.n))))
		if en > e {
			e = en
		}
	}
	d := e - eu + sig - 1
	p := math.Pow10(e)
	if p == 0 || math.IsInf(p, 0) { // beyond Pow10's range: scale in two steps
		return v.FormatFull()
	}
	x := "e" + strconv.Itoa(e)
	return strconv.FormatFloat(v.n/p, 'f', d, 64) + x + " ± " + strconv.FormatFloat(v.u/p, 'f', d, 64) + x
}

// FormatFull writes "n ± u" with both numbers in the shortest form that
// parses back to exactly the same float64.
func (v Value) FormatFull() string {
	if math.IsInf(v.u, 1) {
		return strconv.FormatFloat(v.n, 'g', -1, 64) + " ± inf"
	}
	return strconv.FormatFloat(v.n, 'g', -1, 64) + " ± " + strconv.FormatFloat(v.u, 'g', -1, 64)
}

// FormatIn formats v for display as a result of mode m: [Value.FormatOutward]
// in interval mode, where the shown interval must contain the computed one,
// and [Value.Format] in nu mode.
func (v Value) FormatIn(m Mode, sig int) string {
	if m == ModeInterval {
		return v.FormatOutward(sig)
	}
	return v.Format(sig)
}

// FormatOutward writes "n' ± u'" like [Value.Format], in the same layouts, but
// rounded for a rigorous enclosure: read as exact decimal numbers, the shown
// interval [n'-u', n'+u'] contains the computed [n-u, n+u] (the exact values
// of the two float64s). n' is n rounded to nearest at the decimal place of the
// last digit of u', and u' is u + |n - n'| rounded up at that place, so u'
// has sig significant digits (at least 1) and is the smallest such bound for
// that n': "(10 ± 0.5) * (20 ± 1)" in interval mode, 200 ± 20.5, shows as
// "200 ± 21", where Format rounds inward to "200 ± 20".
//
// A float64 is seldom the decimal it was read from: the float nearest 0.1 is
// 0.1000000000000000055…, so 5 ± 0.1 shows as "5.00 ± 0.11". An exact value
// (u = 0) prints as its shortest round-trip form, which reads back to exactly
// the computed float64 but need not equal it as a decimal; an infinite u
// prints as "inf". [Parse] reads every output back.
func (v Value) FormatOutward(sig int) string {
	if sig < 1 {
		sig = 1
	}
	if v.u == 0 || math.IsInf(v.u, 1) {
		return v.Format(sig)
	}
	n, u := new(big.Rat).SetFloat64(v.n), new(big.Rat).SetFloat64(v.u)
	// p is the decimal exponent of the last shown digit: first that of the
	// sig-th digit of u, one higher when rounding u' up carried into a new
	// digit (as 0.0996 → 0.100). A second carry cannot happen, since |n - n'|
	// is at most half a unit of the new place; the loop does not rely on it.
	p := decExp(u) - (sig - 1)
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(sig)), nil)
	var kn, ku *big.Int
	for {
		q := pow10(p)
		kn = roundDiv(n, q)
		d := new(big.Rat).Sub(n, new(big.Rat).Mul(new(big.Rat).SetInt(kn), q))
		d.Abs(d).Add(d, u)
		ku = ceilDiv(d, q)
		if ku.Cmp(limit) < 0 {
			break
		}
		p++
	}
	neg := math.Signbit(v.n)
	if math.Max(math.Abs(v.n), v.u) < 1e15 && p >= -15 {
		return fixed(kn, p, neg) + " ± " + fixed(ku, p, false)
	}
	// Scientific with the exponent of the larger of |n'| and u'.
	e := p + len(ku.String()) - 1
	if kn.Sign() != 0 {
		if en := p + len(new(big.Int).Abs(kn).String()) - 1; en > e {
			e = en
		}
	}
	x := "e" + strconv.Itoa(e)
	return fixed(kn, p-e, neg) + x + " ± " + fixed(ku, p-e, false) + x
}

// FormatBounds writes the ends of the interval [n-u, n+u] each with sig
// significant digits (at least 1), rounded outward: read as exact decimals,
// lo ≤ n-u and hi ≥ n+u (exact real arithmetic on the two float64s). An exact
// value gives its shortest round-trip form twice, and an infinite u "-inf"
// and "inf". The numbers are written as strconv's 'g' format writes them
// ("179.5", "1.23457e+20").
func (v Value) FormatBounds(sig int) (lo, hi string) {
	if sig < 1 {
		sig = 1
	}
	switch {
	case v.u == 0:
		s := strconv.FormatFloat(v.n, 'g', -1, 64)
		return s, s
	case math.IsInf(v.u, 1):
		return "-inf", "inf"
	}
	n, u := new(big.Rat).SetFloat64(v.n), new(big.Rat).SetFloat64(v.u)
	return gDigits(new(big.Rat).Sub(n, u), sig, false), gDigits(new(big.Rat).Add(n, u), sig, true)
}

// gDigits writes x rounded down (or up) to sig significant digits in the
// layout of strconv's 'g' format with that precision.
func gDigits(x *big.Rat, sig int, up bool) string {
	if x.Sign() == 0 {
		return "0"
	}
	p := decExp(x) - (sig - 1)
	k := floorDiv(x, pow10(p))
	if up {
		k = ceilDiv(x, pow10(p))
	}
	digits := new(big.Int).Abs(k).String()
	if len(digits) > sig { // rounding carried into a new digit: 10…0
		digits = digits[:sig]
		p++
	}
	digits = strings.TrimRight(digits, "0")
	e := p + sig - 1 // exponent of the first digit
	sign := ""
	if k.Sign() < 0 {
		sign = "-"
	}
	if e < -4 || e >= sig {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := strconv.Itoa(abs(e))
		if len(es) < 2 {
			es = "0" + es
		}
		if e < 0 {
			return sign + m + "e-" + es
		}
		return sign + m + "e+" + es
	}
	k.SetString(digits, 10)
	return sign + fixed(k, e-len(digits)+1, false)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// pow10 returns 10^p exactly.
func pow10(p int) *big.Rat {
	t := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(p))), nil)
	if p < 0 {
		return new(big.Rat).SetFrac(big.NewInt(1), t)
	}
	return new(big.Rat).SetInt(t)
}

// decExp returns floor(log10 |x|) for x ≠ 0, exactly.
func decExp(x *big.Rat) int {
	a := new(big.Rat).Abs(x)
	f, _ := a.Float64()
	e := int(math.Floor(math.Log10(f))) // a guess, off by one near powers of 10
	if f == 0 || math.IsInf(f, 0) {
		e = 0
	}
	for a.Cmp(pow10(e)) < 0 {
		e--
	}
	for a.Cmp(pow10(e+1)) >= 0 {
		e++
	}
	return e
}

// floorDiv returns floor(x/q) for q > 0.
func floorDiv(x, q *big.Rat) *big.Int {
	r := new(big.Rat).Quo(x, q)
	return new(big.Int).Div(r.Num(), r.Denom()) // Euclidean: floor for a positive divisor
}

// ceilDiv returns ceil(x/q) for q > 0.
func ceilDiv(x, q *big.Rat) *big.Int {
	k := floorDiv(new(big.Rat).Neg(x), q)
	return k.Neg(k)
}

// roundDiv returns x/q rounded to the nearest integer (ties upward), q > 0.
func roundDiv(x, q *big.Rat) *big.Int {
	h := new(big.Rat).Quo(x, q)
	h.Add(h, big.NewRat(1, 2))
	return new(big.Int).Div(h.Num(), h.Denom())
}

// fixed writes k·10^p in fixed notation with max(0, -p) decimals; neg puts a
// minus sign before a zero (as strconv does for a negative number that rounds
// to zero).
func fixed(k *big.Int, p int, neg bool) string {
	digits := new(big.Int).Abs(k).String()
	sign := ""
	if k.Sign() < 0 || k.Sign() == 0 && neg {
		sign = "-"
	}
	if p >= 0 {
		if k.Sign() == 0 {
			return sign + "0"
		}
		return sign + digits + strings.Repeat("0", p)
	}
	if len(digits) <= -p {
		digits = strings.Repeat("0", -p-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)+p] + "." + digits[len(digits)+p:]
}
