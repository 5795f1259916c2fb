package nu

import (
	"math"
	"strconv"
)

// Elementary functions in both modes. The nu mode propagates to first order
// for independent inputs: f(a) = (f(n), |f'(n)|·u), and for two arguments
// u = √((∂f/∂x·u1)² + (∂f/∂y·u2)²). The interval mode (ifuncs.go) returns an
// enclosure of the exact range. docs/algebra.md ("Functions") states the
// rules; the nominal of a result is f(n) in both modes.

// Func is an elementary function of one argument.
type Func uint8

// The functions of one argument.
const (
	FuncSqrt Func = iota + 1
	FuncExp
	FuncLog // natural logarithm; named "ln" (also read as "log")
	FuncLog10
	FuncLog2
	FuncSin
	FuncCos
	FuncTan
	FuncAsin
	FuncAcos
	FuncAtan
	FuncSinh
	FuncCosh
	FuncTanh
	FuncAbs
)

var funcNames = [...]string{"", "sqrt", "exp", "ln", "log10", "log2", "sin", "cos", "tan",
	"asin", "acos", "atan", "sinh", "cosh", "tanh", "abs"}

// String returns the canonical name: "sqrt", "exp", "ln", "log10", "log2",
// "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "abs".
func (f Func) String() string {
	if f == 0 || int(f) >= len(funcNames) {
		return "Func(" + strconv.Itoa(int(f)) + ")"
	}
	return funcNames[f]
}

// FuncByName returns the function of a lower-case name (case-sensitive);
// "log" and "ln" both give FuncLog.
func FuncByName(name string) (Func, bool) {
	if name == "log" {
		return FuncLog, true
	}
	for i := 1; i < len(funcNames); i++ {
		if funcNames[i] == name {
			return Func(i), true
		}
	}
	return 0, false
}

// ValueDeriv returns f(x) and f'(x) in float64 (for first-order propagation
// by callers). f(x) is the nominal both modes return. Outside the domain
// both are NaN, as in package math; where the derivative is infinite
// (sqrt at 0, asin and acos at ±1) it is ±Inf. For abs at 0 the derivative
// is 0.
func (f Func) ValueDeriv(x float64) (fx, dfx float64) {
	nan := math.NaN()
	switch f {
	case FuncSqrt:
		if x < 0 {
			return nan, nan
		}
		s := math.Sqrt(x)
		return s, 0.5 / s
	case FuncExp:
		e := expNom(x)
		return e, e
	case FuncLog, FuncLog10, FuncLog2:
		if !(x > 0) {
			if x == 0 {
				return math.Inf(-1), math.Inf(1)
			}
			return nan, nan
		}
		switch f {
		case FuncLog:
			return logNom(x), 1 / x
		case FuncLog10:
			return log10Nom(x), (1 / math.Ln10) / x
		}
		return log2Nom(x), (1 / math.Ln2) / x
	case FuncSin:
		return sinNom(x), cosNom(x)
	case FuncCos:
		return cosNom(x), -sinNom(x)
	case FuncTan:
		t := tanNom(x)
		return t, 1 + t*t
	case FuncAsin, FuncAcos:
		if !(math.Abs(x) <= 1) {
			return nan, nan
		}
		d := 1 / math.Sqrt((1-x)*(1+x))
		if f == FuncAsin {
			return asinNom(x), d
		}
		return acosNom(x), -d
	case FuncAtan:
		if math.Abs(x) > 1e150 {
			return math.Atan(x), 1 / x / x
		}
		return math.Atan(x), 1 / (1 + x*x)
	case FuncSinh:
		return sinhNom(x), coshNom(x)
	case FuncCosh:
		return coshNom(x), sinhNom(x)
	case FuncTanh:
		c := coshNom(x)
		return math.Tanh(x), 1 / c / c
	case FuncAbs:
		switch {
		case x > 0:
			return x, 1
		case x < 0:
			return -x, -1
		}
		return 0, 0
	}
	return nan, nan
}

// Func2 is an elementary function of two arguments.
type Func2 uint8

// The functions of two arguments.
const (
	Func2Pow   Func2 = iota + 1
	Func2Atan2       // atan2(y, x): the angle of the point (x, y); the first argument is y
	Func2Hypot
	Func2Min
	Func2Max
)

var func2Names = [...]string{"", "pow", "atan2", "hypot", "min", "max"}

// String returns the canonical name: "pow", "atan2", "hypot", "min", "max".
func (f Func2) String() string {
	if f == 0 || int(f) >= len(func2Names) {
		return "Func2(" + strconv.Itoa(int(f)) + ")"
	}
	return func2Names[f]
}

// Func2ByName returns the function of a lower-case name (case-sensitive).
func Func2ByName(name string) (Func2, bool) {
	for i := 1; i < len(func2Names); i++ {
		if func2Names[i] == name {
			return Func2(i), true
		}
	}
	return 0, false
}

// ValueDeriv returns f(x, y) and its partial derivatives, x and y being the
// first and the second argument (for Func2Atan2, x is the ordinate: the
// result is atan2(x, y)). Where the function is undefined the results are
// NaN as in package math; pow's ∂/∂y is NaN for x < 0 (x^y is real there
// only at integer y), and 0 for x = 0 < y. At a tie of min and max, and at
// the origin for hypot, the derivatives are those of the first argument's
// side: (1, 0) and (0, 0).
func (f Func2) ValueDeriv(x, y float64) (fxy, dfdx, dfdy float64) {
	nan := math.NaN()
	switch f {
	case Func2Pow:
		p := powNom(x, y)
		switch {
		case y == 0 && x > 0: // x^0 = 1 for every x, but not for every y
			return p, 0, logNom(x)
		case y == 0:
			return p, 0, 0
		case x == 0:
			dx := 0.0
			switch {
			case y == 1:
				dx = 1
			case y < 1:
				dx = math.Inf(1)
			}
			dy := 0.0
			if y < 0 {
				dy = nan
			}
			return p, dx, dy
		case x < 0:
			return p, y * math.Pow(x, y-1), nan
		}
		return p, y * powNom(x, y-1), p * logNom(x)
	case Func2Atan2:
		if x == 0 && y == 0 {
			return nan, nan, nan
		}
		r := math.Hypot(x, y)
		return math.Atan2(x, y), y / r / r, -x / r / r
	case Func2Hypot:
		r := math.Hypot(x, y)
		if r == 0 {
			return 0, 0, 0
		}
		if math.IsInf(r, 1) {
			return r, nan, nan
		}
		return r, x / r, y / r
	case Func2Min:
		if y < x {
			return y, 0, 1
		}
		return x, 1, 0
	case Func2Max:
		if y > x {
			return y, 0, 1
		}
		return x, 1, 0
	}
	return nan, nan, nan
}

// Apply returns f(a) in mode m. Every mode but the interval mode propagates
// to first order (for one argument the nu and the GUM rule agree).
func (m Mode) Apply(f Func, a Value) (Value, error) {
	if m == ModeInterval {
		return intervalApply(f, a)
	}
	return applyNU(f, a)
}

// Apply2 returns f(a, b) in mode m. For Func2Pow with an exact integer
// exponent b (u = 0, |n| ≤ 2^53) the integer-power rules apply: negative
// bases are allowed, and an even power of an interval containing 0 starts
// at 0; any other exponent needs a base > 0.
func (m Mode) Apply2(f Func2, a, b Value) (Value, error) {
	if m == ModeInterval {
		return intervalApply2(f, a, b)
	}
	return apply2NU(f, a, b)
}

// piU and eU are the smallest float64 u with π ∈ [math.Pi - u, math.Pi + u]
// and e ∈ [math.E - u, math.E + u] (math.Pi and math.E lie below the
// constants; the tests check both claims in math/big).
const (
	piU = 1.2246467991473532e-16
	eU  = 1.4456468917292502e-16
)

// Pi returns π in mode m: the nearest float64 with u = 0 in nu mode, and
// with the smallest u that encloses π in interval mode.
func Pi(m Mode) Value {
	if m == ModeInterval {
		return Value{math.Pi, piU}
	}
	return Value{math.Pi, 0}
}

// E returns Euler's number e in mode m, like [Pi].
func E(m Mode) Value {
	if m == ModeInterval {
		return Value{math.E, eU}
	}
	return Value{math.E, 0}
}

// applyNU is f(a) = (f(n), |f'(n)|·u). An exact input gives an exact
// result, an input with u = +Inf a result with u = +Inf.
func applyNU(f Func, a Value) (Value, error) {
	if f == 0 || int(f) >= len(funcNames) {
		return Value{}, errDomain(f.String(), "unknown function")
	}
	if err := nuDomain(f, a); err != nil {
		return Value{}, err
	}
	fx, d := f.ValueDeriv(a.n)
	if math.IsInf(fx, 0) || math.IsNaN(fx) {
		return Value{}, errOverflow(f.String())
	}
	var u float64
	switch {
	case a.u == 0:
		u = 0
	case math.IsInf(a.u, 1):
		u = a.u
	case f == FuncAbs:
		// |x| has |slope| 1 on both sides of 0: the sided derivatives
		// agree in magnitude, so u is kept (0 ± u stays 0 ± u).
		u = a.u
	case f == FuncTan:
		// (1 + t²)·u written so that it overflows only when the product does.
		t := math.Abs(fx)
		u = a.u + t*(t*a.u)
	default:
		u = math.Abs(d) * a.u
	}
	if math.IsInf(u, 1) && !math.IsInf(a.u, 1) {
		return Value{}, errOverflow(f.String())
	}
	return Value{fx, u}, nil
}

// nuDomain checks the nominal against f's domain, and refuses u > 0 where
// the derivative is infinite.
func nuDomain(f Func, a Value) *Error {
	n := a.n
	name := f.String()
	switch f {
	case FuncSqrt:
		if n < 0 {
			return errDomain(name, "sqrt needs n >= 0; got n = "+fmtF(n))
		}
		if n == 0 && a.u > 0 {
			return errDomain(name, "the derivative of sqrt is infinite at n = 0, so first-order propagation of u > 0 is undefined there; use interval mode")
		}
	case FuncLog, FuncLog10, FuncLog2:
		if !(n > 0) {
			return errDomain(name, name+" needs n > 0; got n = "+fmtF(n))
		}
	case FuncAsin, FuncAcos:
		if math.Abs(n) > 1 {
			return errDomain(name, name+" needs -1 <= n <= 1; got n = "+fmtF(n))
		}
		if math.Abs(n) == 1 && a.u > 0 {
			return errDomain(name, "the derivative of "+name+" is infinite at n = ±1, so first-order propagation of u > 0 is undefined there; use interval mode")
		}
	}
	return nil
}

func fmtF(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// isIntExp reports whether b is an exact integer exponent for pow's
// integer rules.
func isIntExp(b Value) bool {
	return b.u == 0 && b.n == math.Trunc(b.n) && math.Abs(b.n) <= 1<<53
}

// mulDiv returns |p·q·r/d| (d ≠ 0) without intermediate over- or
// underflow: the mantissas and the exponents are combined separately.
func mulDiv(p, q, r, d float64) float64 {
	if p == 0 || q == 0 || r == 0 {
		return 0
	}
	if math.IsInf(p, 0) || math.IsInf(q, 0) || math.IsInf(r, 0) {
		return math.Inf(1)
	}
	mp, ep := math.Frexp(math.Abs(p))
	mq, eq := math.Frexp(math.Abs(q))
	mr, er := math.Frexp(math.Abs(r))
	md, ed := math.Frexp(math.Abs(d))
	return math.Ldexp(mp*mq*mr/md, ep+eq+er-ed)
}

// term is one first-order contribution |d|·u; an unknown input (u = +Inf)
// contributes +Inf and an exact one 0.
func term(d, u float64) float64 {
	switch {
	case u == 0:
		return 0
	case math.IsInf(u, 1):
		return u
	}
	return math.Abs(d) * u
}

// apply2NU is (f(n1, n2), √((∂f/∂x·u1)² + (∂f/∂y·u2)²)).
func apply2NU(f Func2, a, b Value) (Value, error) {
	name := f.String()
	var fx, tx, ty float64
	switch f {
	case Func2Pow:
		if b.u == 0 && b.n == 0 || a.u == 0 && a.n == 1 {
			return Value{1, 0}, nil // x^0 = 1 and 1^y = 1 whatever the other argument
		}
		x, y := a.n, b.n
		if isIntExp(b) {
			if x == 0 && y < 0 {
				return Value{}, errDomain(name, "0 to a negative power is undefined (a division by zero)")
			}
			fx = math.Pow(x, y)
			switch {
			case a.u == 0 || math.IsInf(a.u, 1):
				tx = a.u
			case x == 0: // y ≥ 1: the derivative y·x^(y-1) is 1 for y = 1, else 0
				if y == 1 {
					tx = a.u
				}
			default:
				tx = mulDiv(y, fx, a.u, x)
			}
		} else {
			if !(x > 0) {
				return Value{}, errDomain(name, "pow needs a base n > 0 unless the exponent is an exact integer; got base n = "+fmtF(x))
			}
			fx = powNom(x, y)
			tx = a.u
			if a.u != 0 && !math.IsInf(a.u, 1) {
				tx = mulDiv(y, fx, a.u, x)
			}
			ty = b.u
			if b.u != 0 && !math.IsInf(b.u, 1) {
				ty = mulDiv(fx, logNom(x), b.u, 1)
			}
		}
	case Func2Atan2:
		y, x := a.n, b.n
		if x == 0 && y == 0 {
			return Value{}, errDomain(name, "atan2(0, 0) is undefined: the nominal point is the origin")
		}
		fx = math.Atan2(y, x)
		// ∂/∂y = x/r² (for a's u) and ∂/∂x = -y/r² (for b's), each
		// written (|x|/r)·u/r so that neither over- nor underflows early.
		r := math.Hypot(x, y)
		tx, ty = scaleTerm(term(x/r, a.u), r), scaleTerm(term(y/r, b.u), r)
	case Func2Hypot:
		var dx, dy float64
		fx, dx, dy = f.ValueDeriv(a.n, b.n)
		tx, ty = term(dx, a.u), term(dy, b.u)
	case Func2Min, Func2Max:
		pick := a
		if f == Func2Min && (b.n < a.n || b.n == a.n && b.u > a.u) ||
			f == Func2Max && (b.n > a.n || b.n == a.n && b.u > a.u) {
			pick = b
		}
		return pick, nil
	default:
		return Value{}, errDomain(name, "unknown function")
	}
	if math.IsInf(fx, 0) || math.IsNaN(fx) {
		return Value{}, errOverflow(name)
	}
	u := hypot2(tx, ty)
	if math.IsInf(u, 1) && !math.IsInf(a.u, 1) && !math.IsInf(b.u, 1) || math.IsNaN(u) {
		return Value{}, errOverflow(name)
	}
	return Value{fx, u}, nil
}

// scaleTerm divides a term by r > 0 (the second 1/r of atan2's partial
// derivatives x/r² and y/r²).
func scaleTerm(t, r float64) float64 {
	if t == 0 || math.IsInf(t, 1) {
		return t
	}
	return t / r
}

// Nominal functions: the f(n) both modes return. Where package math is
// inaccurate they are computed otherwise (ifuncs.go states the bounds):
// log2 and log10 keep their relative accuracy near 1 and are exact at
// powers of 2 and of 10; sin, cos and tan reduce their argument exactly;
// asin and acos go through atan, which stays accurate near ±1.

// pow10 holds the powers of ten that are exact in float64.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// exactLog10 returns k when x = 10^k exactly.
func exactLog10(x float64) (float64, bool) {
	if x >= 1 && x <= 1e22 && x == math.Trunc(x) {
		k := int(math.Log10(x) + 0.5)
		if k >= 0 && k < len(pow10) && pow10[k] == x {
			return float64(k), true
		}
	}
	return 0, false
}

// exactLog2 returns k when x = 2^k exactly.
func exactLog2(x float64) (float64, bool) {
	frac, e := math.Frexp(x)
	if frac == 0.5 {
		return float64(e - 1), true
	}
	return 0, false
}

// logNom is ln x for x > 0. On amd64 math.Log reads the exponent of a
// subnormal x as that of 2^-1022 and is wrong by up to 35 (Go issue
// 56600); a subnormal x is scaled by 2^54 first: ln(x·2^54) - 54·ln 2.
func logNom(x float64) float64 {
	if x < 0x1p-1022 {
		return math.Log(x*0x1p54) - 54*math.Ln2
	}
	return math.Log(x)
}

func log10Nom(x float64) float64 {
	if k, ok := exactLog10(x); ok {
		return k
	}
	return logNom(x) * (1 / math.Ln10)
}

func log2Nom(x float64) float64 {
	if k, ok := exactLog2(x); ok {
		return k
	}
	return logNom(x) * (1 / math.Ln2)
}

// powNom is x^y. math.Pow takes the fractional part of y through
// math.Log, so a subnormal x is scaled by 2^54 first (see logNom).
func powNom(x, y float64) float64 {
	if x > 0 && x < 0x1p-1022 && y != math.Trunc(y) {
		return math.Pow(x*0x1p54, y) * math.Pow(2, -54*y)
	}
	return math.Pow(x, y)
}

// sinNom, cosNom and tanNom evaluate on the exactly reduced argument.
func sinNom(x float64) float64 {
	if x == 0 {
		return x
	}
	k, r, _ := reduce(x)
	return quadrantSin(k, r)
}

func cosNom(x float64) float64 {
	if x == 0 {
		return 1
	}
	k, r, _ := reduce(x)
	return quadrantSin(k+1, r)
}

func tanNom(x float64) float64 {
	if x == 0 {
		return x
	}
	k, r, _ := reduce(x)
	t := math.Sin(r) / math.Cos(r)
	if k&1 == 1 {
		return -1 / t
	}
	return t
}

// quadrantSin returns sin(k·π/2 + r).
func quadrantSin(k uint8, r float64) float64 {
	switch k & 3 {
	case 0:
		return math.Sin(r)
	case 1:
		return math.Cos(r)
	case 2:
		return -math.Sin(r)
	}
	return -math.Cos(r)
}

// asinNom is atan(x/√((1-x)(1+x))), accurate up to ±1 where math.Asin is
// not (it forms 1 - x·x).
func asinNom(x float64) float64 {
	switch {
	case x == 0:
		return x
	case x == 1:
		return math.Pi / 2
	case x == -1:
		return -math.Pi / 2
	}
	return math.Atan(x / math.Sqrt((1-x)*(1+x)))
}

// acosNom is 2·atan(√((1-x)/(1+x))), accurate near 1 where math.Acos
// (π/2 - asin) cancels.
func acosNom(x float64) float64 {
	switch {
	case x == 1:
		return 0
	case x == -1:
		return math.Pi
	}
	return 2 * math.Atan(math.Sqrt((1-x)/(1+x)))
}

// expNom is e^x. On amd64 math.Exp returns +Inf from about 709.44 on
// although e^x stays below MaxFloat64 up to 709.78 (the assembly cannot
// form 2^1024·r for r < 1); beyond 709 it is taken as e^(x/2)·e^(x/2).
func expNom(x float64) float64 {
	if x > 709 {
		e := math.Exp(x / 2)
		return e * e
	}
	return math.Exp(x)
}

// sinhNom and coshNom take e^|x|/2 as e^(|x|/2)·e^(|x|/2)/2 beyond 709,
// where math.Exp overflows before the result does.
func sinhNom(x float64) float64 {
	if math.Abs(x) > 709 {
		e := math.Exp(math.Abs(x) / 2)
		return math.Copysign(float64(0.5*e)*e, x)
	}
	return math.Sinh(x)
}

func coshNom(x float64) float64 {
	if math.Abs(x) > 709 {
		e := math.Exp(math.Abs(x) / 2)
		return float64(0.5*e) * e
	}
	return math.Cosh(x)
}

// nominal returns f(x) for a finite x in f's domain.
func nominal(f Func, x float64) float64 {
	fx, _ := f.ValueDeriv(x)
	return fx
}
