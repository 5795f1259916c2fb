package pmath

import (
	"math"
	"math/big"
	"sync"
)

// A high-precision reference for the exponential and the logarithm (and so
// for Log10, Log2, Sinh, Cosh, Tanh and Pow), in math/big at exactPrec bits.
// It is slow and simple: exp by reduction modulo ln 2 and a Taylor series,
// log by a series of atanh. It checks pmath where math on amd64 is wrong or
// less accurate than pmath, and measures both against the exact value.

const exactPrec = 320

func newF() *big.Float { return new(big.Float).SetPrec(exactPrec) }

var (
	ln2Once sync.Once
	ln2Big  *big.Float
)

// ln2 returns ln 2 = 2·atanh(1/3) to exactPrec bits.
func ln2() *big.Float {
	ln2Once.Do(func() {
		third := newF().Quo(newF().SetInt64(1), newF().SetInt64(3))
		ln2Big = atanhSeries(third)
		ln2Big.Mul(ln2Big, newF().SetInt64(2))
	})
	return ln2Big
}

// atanhSeries returns atanh(s) = s + s³/3 + s⁵/5 + … for |s| ≤ 1/3.
func atanhSeries(s *big.Float) *big.Float {
	s2 := newF().Mul(s, s)
	term := newF().Set(s)
	sum := newF().Set(s)
	eps := newF().SetMantExp(newF().SetInt64(1), -exactPrec-8)
	for k := int64(3); ; k += 2 {
		term.Mul(term, s2)
		t := newF().Quo(term, newF().SetInt64(k))
		sum.Add(sum, t)
		if t.Sign() == 0 || newF().Abs(t).Cmp(eps) < 0 {
			return sum
		}
	}
}

// bigLog returns ln x for finite x > 0.
func bigLog(x float64) *big.Float {
	m, e := math.Frexp(x) // x = m·2^e, m in [0.5, 1)
	if m < math.Sqrt2/2 {
		m *= 2
		e--
	}
	mb := newF().SetFloat64(m)
	s := newF().Quo(newF().Sub(mb, newF().SetInt64(1)), newF().Add(mb, newF().SetInt64(1)))
	r := atanhSeries(s)
	r.Mul(r, newF().SetInt64(2))
	return r.Add(r, newF().Mul(newF().SetInt64(int64(e)), ln2()))
}

// bigExp returns e^x for |x| < 2000.
func bigExp(x *big.Float) *big.Float {
	xf, _ := x.Float64()
	n := int64(math.Round(xf / math.Ln2))
	r := newF().Sub(x, newF().Mul(newF().SetInt64(n), ln2())) // |r| ≲ 0.35
	// e^r = (e^(r/2^16))^(2^16); the Taylor series of the small argument
	// converges in a few terms.
	const halvings = 16
	r.SetMantExp(r, -halvings)
	sum := newF().SetInt64(1)
	term := newF().SetInt64(1)
	eps := newF().SetMantExp(newF().SetInt64(1), -exactPrec-8)
	for k := int64(1); ; k++ {
		term.Mul(term, r)
		term.Quo(term, newF().SetInt64(k))
		sum.Add(sum, term)
		if term.Sign() == 0 || newF().Abs(term).Cmp(eps) < 0 {
			break
		}
	}
	for i := 0; i < halvings; i++ {
		sum.Mul(sum, sum)
	}
	return sum.SetMantExp(sum, int(n))
}

func bigF(x float64) *big.Float { return newF().SetFloat64(x) }

// exact returns the exact value of the named function at (x, y), for the
// functions this reference covers and finite arguments where the value is
// finite and non-zero, and ok = false elsewhere.
func exact(name string, x, y float64) (v *big.Float, ok bool) {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
		return nil, false
	}
	switch name {
	case "Exp":
		if x < -746 || x > 710 {
			return nil, false
		}
		return bigExp(bigF(x)), true
	case "Log", "Log10", "Log2":
		if x <= 0 || x == 1 {
			return nil, false
		}
		l := bigLog(x)
		switch name {
		case "Log10":
			l.Quo(l, bigLog(10))
		case "Log2":
			l.Quo(l, ln2())
		}
		return l, true
	case "Sinh", "Cosh", "Tanh":
		// Cancellation in e^x - e^-x costs about log2(1/|x|) bits.
		if x == 0 || math.Abs(x) < 1e-60 || math.Abs(x) > 710 {
			return nil, false
		}
		ep := bigExp(bigF(x))
		em := bigExp(bigF(-x))
		switch name {
		case "Sinh":
			v = newF().Sub(ep, em)
		case "Cosh":
			v = newF().Add(ep, em)
		case "Tanh":
			return newF().Quo(newF().Sub(ep, em), newF().Add(ep, em)), true
		}
		return v.SetMantExp(v, -1), true
	case "Pow":
		if x <= 0 || y == 0 || x == 1 {
			return nil, false // negative bases: |x|^y with a sign; not needed here
		}
		l := bigLog(x)
		l.Mul(l, bigF(y))
		if lf, _ := l.Float64(); lf < -746 || lf > 710 {
			// Beyond the range: a value that rounds to 0 or +Inf.
			return newF().SetMantExp(newF().SetInt64(1), int(math.Copysign(1200, lf))), true
		}
		return bigExp(l), true
	}
	return nil, false
}

// ulpError returns (got - v) / ulp(v rounded to float64) as a float64: the
// signed error of got in units in the last place of the correctly rounded
// result. For subnormal results the ulp is 2^-1074.
func ulpError(got float64, v *big.Float) float64 {
	r, _ := v.Float64()
	ulp := math.SmallestNonzeroFloat64
	if r != 0 && !math.IsInf(r, 0) {
		_, e := math.Frexp(r) // |r| in [2^(e-1), 2^e)
		if e-53 > -1074 {
			ulp = math.Ldexp(1, e-53)
		}
	}
	d := newF().Sub(bigF(got), v)
	d.Quo(d, bigF(ulp))
	f, _ := d.Float64()
	return f
}
