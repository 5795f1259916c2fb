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
// and n to the same decimal place, both to nearest: fixed notation for
// moderate magnitudes ("200 ± 14", "0.00123 ± 0.00045"), scientific with each
// number's own exponent otherwise ("2.00e20 ± 1.4e19", "1.230e-4 ± 2.0e-6");
// see [NotationAuto] for the thresholds. An exact value prints as its
// shortest round-trip form; an infinite u prints as "inf". [Parse] reads
// every output back. It is [Value.FormatStyle] in nu mode with Digits sig.
//
// Rounding to nearest suits a standard uncertainty (nu mode) but can show an
// interval narrower than the computed one: use [Value.FormatOutward] (or
// [Value.FormatIn]) for an interval-mode result.
func (v Value) Format(sig int) string {
	return v.FormatStyle(ModeNU, Style{Digits: max(sig, 1)})
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
// and [Value.Format] in every other mode.
func (v Value) FormatIn(m Mode, sig int) string {
	return v.FormatStyle(m, Style{Digits: max(sig, 1)})
}

// FormatOutward writes "n' ± u'" like [Value.Format], in the same layouts, but
// rounded for a rigorous enclosure: read as exact decimal numbers, the shown
// interval [n'-u', n'+u'] contains the computed [n-u, n+u] (the exact values
// of the two float64s). n' is n rounded to nearest at the decimal place of the
// last digit of u', and u' is u + |n - n'| rounded up at that place, so u'
// has sig significant digits (at least 1) and is the smallest such bound for
// that n': "(10 ± 0.5) * (20 ± 1)" in interval mode, 200 ± 20.5, shows as
// "200 ± 21", where Format rounds inward to "200 ± 20". The place is first
// that of the sig-th digit of u, one higher when rounding u' up carried into
// a new digit (as 0.0996 → 0.100).
//
// A float64 is seldom the decimal it was read from: the float nearest 0.1 is
// 0.1000000000000000055…, so 5 ± 0.1 shows as "5.00 ± 0.11". An exact value
// (u = 0) prints as its shortest round-trip form, which reads back to exactly
// the computed float64 but need not equal it as a decimal; an infinite u
// prints as "inf". [Parse] reads every output back. It is
// [Value.FormatStyle] in interval mode with Digits sig.
func (v Value) FormatOutward(sig int) string {
	return v.FormatStyle(ModeInterval, Style{Digits: max(sig, 1)})
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
	k := floorDiv(x, ratPow10(p))
	if up {
		k = ceilDiv(x, ratPow10(p))
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

// ratPow10 returns 10^p exactly.
func ratPow10(p int) *big.Rat {
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
	// A guess, off by one near powers of 10. Log10 is taken of the
	// normalized fraction: math.Log10 is far off for subnormals on amd64.
	fr, be := math.Frexp(f)
	e := int(math.Floor(math.Log10(fr) + float64(be)*math.Log10(2)))
	if f == 0 || math.IsInf(f, 0) {
		e = 0
	}
	for a.Cmp(ratPow10(e)) < 0 {
		e--
	}
	for a.Cmp(ratPow10(e+1)) >= 0 {
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
