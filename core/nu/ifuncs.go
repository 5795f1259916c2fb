package nu

import (
	"math"
	"math/bits"
)

// Interval mode of the elementary functions. The input n ± u stands for
// the exact real interval [n-u, n+u]; the result's [n-u, n+u] contains f(x)
// for every x in it. The ends are first rounded outward to floats
// (Value.Lo, Value.Hi), which only widens the interval (sin, cos and tan
// instead reduce the nominal exactly and widen the reduced argument by u:
// trigArgs); f is then bounded on monotone pieces, at the ends and at the
// interior extrema (0 for cosh, k·π/2 for sin and cos), and those bounds are
// rounded outward.
//
// Package math does not promise correct rounding. Every result taken from
// it is widened by a stated bound: rel·|y| + absFloor, where rel is given
// in units of 2^-52 (for a normal y, 2^-52·|y| is at least one ulp of y)
// and absFloor covers results in the subnormal range, where a relative
// bound does not hold. The bounds are those the algorithms behind package
// math are documented to meet (FreeBSD msun and Cephes: below one ulp for
// exp, log, sin, cos on |x| ≤ π/4, atan; a few ulps for sinh, cosh, tanh,
// which combine exp), doubled or more for margin. They are not proven here:
// ifuncs_test.go measures the largest error of each function against a
// math/big reference (≥ 240 correct bits) over hundreds of thousands of points,
// including the known hard regions, and fails when any exceeds its bound;
// the test log reports the largest error seen and how many enclosures would
// fail without the widening. Where package math is inaccurate it is not
// used (errors measured against the reference, in units of 2^-52 relative):
// math.Asin forms 1 - x·x and loses up to ~650 units near ±1, math.Acos
// (π/2 - asin) up to ~10^7; math.Log2 cancels near 1 (~10^14); math.Tan
// returns x for |x| ≤ 1e-7 (up to 15); math.Sin and math.Cos reduce
// arguments below 2^29 with a 3-part π/4 and lose up to ~10^9 near multiples
// of π. On amd64 math.Exp overflows from 709.44 on, not 709.78, and
// math.Log misreads subnormal arguments (Go issue 56600). Those are
// computed from the primitives below (see expNom, logNom, asinNom, acosNom,
// log2Nom, reduce).
const (
	ulp52 = 0x1p-52

	// Primitives of package math, on the arguments they are used with.
	relExp     = 2 * ulp52 // math.Exp
	relLog     = 2 * ulp52 // math.Log
	relSinCos  = 2 * ulp52 // math.Sin, math.Cos on |r| ≤ π/4 + 2^-40
	relAtan    = 2 * ulp52 // math.Atan
	relSinhMsk = 6 * ulp52 // math.Sinh for |x| ≤ 709: (e^x - e^-x)/2 cancels by at most 2.2 above 0.5
	relCoshMsk = 4 * ulp52 // math.Cosh for |x| ≤ 709: (e^x + e^-x)/2
	relTanh    = 4 * ulp52 // math.Tanh: 1 - 2/(e^2x + 1) cancels by at most 0.8 above 0.625

	// Derived bounds, from the primitives' and one rounding (2^-53) per
	// further operation, rounded up to whole units.
	//
	// log2, log10: Log(x)·c with c = RN(1/ln 2) or RN(1/ln 10): the
	// constant and the product add 2^-53 each.
	relLog2 = relLog + 2*ulp52
	// exp beyond 709: e^(x/2)·e^(x/2) (math.Exp overflows early on amd64,
	// see expNom) doubles exp's error and adds one rounding.
	relExpBig = 2*relExp + 1*ulp52
	// sinh, cosh beyond 709: e^(x/2)·e^(x/2)/2 doubles exp's error and adds
	// one rounding; e^-x is below 2^-2000 of the result.
	relSinh = max(relSinhMsk, 2*relExp+2*ulp52)
	relCosh = max(relCoshMsk, 2*relExp+2*ulp52)
	// tan(r) = Sin(r)/Cos(r) on the reduced r: both errors and the quotient.
	relTan = 2*relSinCos + 1*ulp52
	// asin(x) = atan(x/√((1-x)(1+x))): the argument carries at most 3.5
	// roundings of 2^-53 (1-x and 1+x, their product, √ and the quotient;
	// 1-x is exact above 0.5), and atan's relative sensitivity to a
	// relative change of its argument is ≤ 1 (t/(1+t²) ≤ atan t).
	relAsin = relAtan + 2*ulp52
	// acos(x) = 2·atan(√((1-x)/(1+x))): 2.5 roundings of 2^-53 likewise.
	relAcos = relAtan + 2*ulp52

	// absFloor is added to every bound: four of the smallest subnormal.
	absFloor = 0x1p-1072
)

// Enclosures of constants: math.Pi < π < piUp, and likewise for π/2.
var (
	piUp   = math.Nextafter(math.Pi, 4)
	pio2Up = math.Nextafter(math.Pi/2, 2)
)

// widen returns [y - e, y + e] rounded outward, e = rel·|y| + absFloor. An
// infinite y (an overflow in package math) gives y and the largest float
// short of it, which the result's overflow check then reports.
func widen(y, rel float64) (lo, hi float64) {
	if math.IsInf(y, 0) {
		big := math.Copysign(math.MaxFloat64*(1-0x1p-40), y)
		if y > 0 {
			return big, y
		}
		return y, big
	}
	e := addUp(mulUp(math.Abs(y), rel), absFloor)
	return subDown(y, e), addUp(y, e)
}

// mulU and mulD return bounds above and below x·y for any signs, with
// 0·anything = 0 (an exact zero factor) and ±Inf for infinite factors.
func mulU(x, y float64) float64 {
	if x == 0 || y == 0 {
		return 0
	}
	p := float64(x * y)
	switch {
	case math.IsInf(p, 1):
		return p
	case math.IsInf(p, -1):
		if math.IsInf(x, 0) || math.IsInf(y, 0) {
			return p
		}
		return -math.MaxFloat64
	case math.Abs(p) < fmaExact:
		return math.Nextafter(p, math.Inf(1))
	case math.FMA(x, y, -p) > 0:
		return math.Nextafter(p, math.Inf(1))
	}
	return p
}

func mulD(x, y float64) float64 { return -mulU(-x, y) }

// recipUp and recipDown bound 1/t for t ≠ 0 (±Inf gives 0).
func recipUp(t float64) float64 {
	if t > 0 {
		return divUp(1, t)
	}
	return -divDown(1, -t)
}

func recipDown(t float64) float64 {
	if t > 0 {
		return divDown(1, t)
	}
	return -divUp(1, -t)
}

// sqrtDown and sqrtUp bound √x for x ≥ 0. math.Sqrt is correctly rounded
// (IEEE 754), and the FMA residual s² - x checks the direction exactly
// where it is exact; below that one float is stepped.
func sqrtDown(x float64) float64 {
	s := math.Sqrt(x) + 0 // -0 → +0
	if s == 0 || math.IsInf(s, 1) {
		return s
	}
	if x < fmaExact || math.FMA(s, s, -x) > 0 {
		return math.Nextafter(s, 0)
	}
	return s
}

func sqrtUp(x float64) float64 {
	s := math.Sqrt(x) + 0
	if math.IsInf(s, 1) {
		return s
	}
	if x < fmaExact {
		if x == 0 {
			return 0
		}
		return math.Nextafter(s, math.Inf(1))
	}
	if math.FMA(s, s, -x) < 0 {
		return math.Nextafter(s, math.Inf(1))
	}
	return s
}

// leExact reports whether the exact n + u ≤ c (c finite), and geExact whether the exact n - u ≥ c.
func leExact(n, u, c float64) bool {
	s := n + u
	if s != c {
		return s < c // RN is monotone, so s < c implies n+u < c, and s > c implies n+u > c
	}
	return twoSumErr(n, u, s) <= 0
}

func geExact(n, u, c float64) bool {
	d := n - u
	if d != c {
		return d > c
	}
	return twoSumErr(n, -u, d) >= 0
}

// Point enclosures [lo, hi] ∋ f(x) for a float x, which may be ±Inf where
// f has a limit there.

func expPoint(x float64) (lo, hi float64) {
	switch {
	case x == 0:
		return 1, 1
	case math.IsInf(x, -1):
		return 0, 0
	}
	rel := relExp
	if x > 709 {
		rel = relExpBig
	}
	lo, hi = widen(expNom(x), rel)
	return math.Max(lo, 0), hi
}

func logPoint(f Func, x float64) (lo, hi float64) {
	if math.IsInf(x, 1) {
		return x, x
	}
	// A subnormal x goes through ln(x·2^54) - 54·ln 2 (logNom): to Log's
	// error on the first term (≥ 690 in magnitude) the constant and the
	// difference add 2^-53 each relative to a result ≥ 708: relLog2.
	sub := x < 0x1p-1022
	switch f {
	case FuncLog:
		if x == 1 {
			return 0, 0
		}
		if sub {
			return widen(logNom(x), relLog2)
		}
		return widen(logNom(x), relLog)
	case FuncLog2:
		if k, ok := exactLog2(x); ok {
			return k, k
		}
		if sub {
			return widen(log2Nom(x), relLog2+2*ulp52)
		}
		return widen(log2Nom(x), relLog2)
	}
	if k, ok := exactLog10(x); ok {
		return k, k
	}
	if sub {
		return widen(log10Nom(x), relLog2+2*ulp52)
	}
	return widen(log10Nom(x), relLog2)
}

func atanPoint(x float64) (lo, hi float64) {
	switch {
	case x == 0:
		return x, x
	case math.IsInf(x, 0):
		lo, hi = math.Pi/2, pio2Up
	default:
		lo, hi = widen(math.Atan(x), relAtan)
		lo, hi = math.Max(lo, -pio2Up), math.Min(hi, pio2Up)
	}
	if x < 0 && math.IsInf(x, 0) {
		lo, hi = -hi, -lo
	}
	return lo, hi
}

// asinPoint and acosPoint take x ∈ [-1, 1].
func asinPoint(x float64) (lo, hi float64) {
	switch {
	case x == 0:
		return 0, 0
	case x == 1:
		return math.Pi / 2, pio2Up
	case x == -1:
		return -pio2Up, -math.Pi / 2
	}
	lo, hi = widen(asinNom(x), relAsin)
	return math.Max(lo, -pio2Up), math.Min(hi, pio2Up)
}

func acosPoint(x float64) (lo, hi float64) {
	switch {
	case x == 1:
		return 0, 0
	case x == -1:
		return math.Pi, piUp
	}
	lo, hi = widen(acosNom(x), relAcos)
	return math.Max(lo, 0), math.Min(hi, piUp)
}

func sinhPoint(x float64) (lo, hi float64) {
	if x == 0 || math.IsInf(x, 0) {
		return x, x
	}
	return widen(sinhNom(x), relSinh)
}

func coshPoint(x float64) (lo, hi float64) {
	switch {
	case x == 0:
		return 1, 1
	case math.IsInf(x, 0):
		return math.Inf(1), math.Inf(1)
	}
	lo, hi = widen(coshNom(x), relCosh)
	return math.Max(lo, 1), hi
}

func tanhPoint(x float64) (lo, hi float64) {
	switch {
	case x == 0:
		return 0, 0
	case math.IsInf(x, 0):
		return math.Copysign(1, x), math.Copysign(1, x)
	}
	lo, hi = widen(math.Tanh(x), relTanh)
	return math.Max(lo, -1), math.Min(hi, 1)
}

// twoOverPi holds the first 1280 bits of 2/π after the binary point, most
// significant first (ifuncs_test.go recomputes them in math/big).
var twoOverPi = [20]uint64{
	0xa2f9836e4e441529, 0xfc2757d1f534ddc0, 0xdb6295993c439041, 0xfe5163abdebbc561,
	0xb7246e3a424dd2e0, 0x06492eea09d1921c, 0xfe1deb1cb129a73e, 0xe88235f52ebb4484,
	0xe99c7026b45f7e41, 0x3991d639835339f4, 0x9c845f8bbdf9283b, 0x1ff897ffde05980f,
	0xef2f118b5a0a6d1f, 0x6d367ecf27cb09b7, 0x4f463f669e5fea2d, 0x7527bac7ebe5f17b,
	0x3d0739f78a5292ea, 0x6bfb5fb11f8d5d08, 0x56033046fc7b6bab, 0xf0cfbc209af4361d,
}

// π/2 = pio2Hi + pio2Lo + δ with |δ| < 2^-109.
const (
	pio2Hi = 1.5707963267948966
	pio2Lo = 6.123233995736766e-17
)

// reduce returns k (mod 8) and r with x = k·π/2 + r exactly for some real
// r ∈ [r0 - rerr, r0 + rerr], |r0| ≤ π/4·(1 + 2^-50), for a finite x.
//
// Below 0.78 (< π/4) r = x. Otherwise x = m·2^e is multiplied by 192 bits
// of 2/π in integer arithmetic (Payne–Hanek): the bits of 2/π that would
// only add multiples of 8 are skipped and those past the window add less
// than m·2^-189 ≤ 2^-136 to the product, so its fraction f (taken to 128
// bits, then to the nearest integer k) is known within 2^-127. f is
// converted to fh + fl (106 bits, truncated: relative error < 2^-105) and
// multiplied by pio2Hi + pio2Lo in double-double; rounding that to one
// float r0 costs 2^-53·|r0| and every other error is below 2^-98·|r0| +
// 2^-126 (π/2 · 2^-127 from f). Hence rerr = |r0|·(2^-53 + 2^-96) + 2^-124.
func reduce(x float64) (k uint8, r0, rerr float64) {
	ax := math.Abs(x)
	if ax < 0.78 {
		return 0, x, 0
	}
	b := math.Float64bits(ax)
	e := int(b>>52&0x7ff) - 1075 // ax = m·2^e
	m := b&(1<<52-1) | 1<<52
	i0 := max(e-2, 1) // first bit of 2/π (bit 1 is 2^-1) whose product with m is not a multiple of 8
	s := uint(i0 + 191 - e)
	off := i0 - 1
	d, sh := off/64, uint(off%64)
	w0 := twoOverPi[d]<<sh | twoOverPi[d+1]>>(64-sh)
	w1 := twoOverPi[d+1]<<sh | twoOverPi[d+2]>>(64-sh)
	w2 := twoOverPi[d+2]<<sh | twoOverPi[d+3]>>(64-sh)
	// P = m·(w0 w1 w2), 256 bits; x·2/π ≡ P·2^-s (mod 8).
	h2, p0 := bits.Mul64(m, w2)
	h1, l1 := bits.Mul64(m, w1)
	h0, l0 := bits.Mul64(m, w0)
	p1, c := bits.Add64(l1, h2, 0)
	p2, c := bits.Add64(l0, h1, c)
	p3 := h0 + c
	// Q = P >> (s - 128): the fraction's first 128 bits in (q1, q0), the
	// integer part's last bits in q2.
	t := s - 128 // 61..117
	if t >= 64 {
		p0, p1, p2, p3 = p1, p2, p3, 0
		t -= 64
	}
	q0 := p0>>t | p1<<(64-t)
	q1 := p1>>t | p2<<(64-t)
	q2 := p2>>t | p3<<(64-t)
	k = uint8(q2 & 7)
	neg := q1>>63 == 1
	if neg { // f ≥ 1/2: round k up and take the magnitude 1 - f
		k++
		var borrow uint64
		q0, borrow = bits.Sub64(0, q0, 0)
		q1, _ = bits.Sub64(0, q1, borrow)
	}
	var fh, fl float64
	if q1|q0 != 0 {
		lz := bits.LeadingZeros64(q1)
		if q1 == 0 {
			lz = 64 + bits.LeadingZeros64(q0)
		}
		var n1, n0 uint64
		if lz >= 64 {
			n1, n0 = q0<<(lz-64), 0
		} else {
			n1, n0 = q1<<lz|q0>>(64-lz), q0<<lz
		}
		fh = math.Ldexp(float64(n1>>11), -53-lz)
		fl = math.Ldexp(float64((n1&(1<<11-1))<<42|n0>>22), -106-lz)
	}
	rh := float64(fh * pio2Hi)
	rl := math.FMA(fh, pio2Hi, -rh) + (float64(fh*pio2Lo) + float64(fl*pio2Hi))
	r0 = rh + rl
	if neg {
		r0 = -r0
	}
	rerr = addUp(mulUp(math.Abs(r0), 0x1p-53+0x1p-96), 0x1p-124)
	if x < 0 {
		k, r0 = -k, -r0
	}
	return k & 7, r0, rerr
}

// trigPoint encloses sin(k·π/2 + r) for r ∈ [r0 - rerr, r0 + rerr]: sin and
// cos are 1-Lipschitz, so rerr adds to math's error.
func trigPoint(k uint8, r0, rerr float64) (lo, hi float64) {
	if r0 == 0 && rerr == 0 {
		v := [4]float64{0, 1, 0, -1}[k&3]
		return v, v
	}
	y := quadrantSin(k, r0)
	e := addUp(addUp(mulUp(math.Abs(y), relSinCos), absFloor), rerr)
	return math.Max(subDown(y, e), -1), math.Min(addUp(y, e), 1)
}

// tanPoint encloses tan(k·π/2 + r), r ∈ [r0 - rerr, r0 + rerr]; ok is false
// when the enclosure of tan(r) reaches 0 for an odd k (a pole may be
// inside). tan is (1 + tan²)-Lipschitz, ≤ 2 + 2^-7 on |r| ≤ π/4 + 2^-40.
func tanPoint(k uint8, r0, rerr float64) (lo, hi float64, ok bool) {
	if r0 == 0 && rerr == 0 {
		if k&1 == 1 {
			return 0, 0, false
		}
		return 0, 0, true
	}
	t := math.Sin(r0) / math.Cos(r0)
	e := addUp(addUp(mulUp(math.Abs(t), relTan), absFloor), mulUp(rerr, 2+0x1p-7))
	lo, hi = subDown(t, e), addUp(t, e)
	if k&1 == 0 {
		return lo, hi, true
	}
	if lo <= 0 && hi >= 0 {
		return 0, 0, false
	}
	// tan = -1/tan(r), increasing in tan(r) on each side of 0.
	return -recipUp(lo), -recipDown(hi), true
}

// fromBounds returns the value with nominal n whose interval covers
// [lo, hi]. An infinite u is an overflow unless an input was unbounded.
func fromBounds(name string, n, lo, hi float64, unbounded bool) (Value, error) {
	if math.IsInf(n, 0) || math.IsNaN(n) {
		return Value{}, errOverflow(name)
	}
	u := math.Max(subUp(hi, n), subUp(n, lo))
	if math.IsNaN(u) || math.IsInf(u, 1) {
		if !unbounded {
			return Value{}, errOverflow(name)
		}
		u = math.Inf(1)
	}
	return Value{n, u}, nil
}

// ends returns the value's interval rounded outward to floats, with -0
// read as 0.
func ends(a Value) (lo, hi float64) { return a.Lo() + 0, a.Hi() + 0 }

// intervalApply returns an enclosure of f over a's interval.
func intervalApply(f Func, a Value) (Value, error) {
	name := f.String()
	inf := math.IsInf(a.u, 1)
	L, H := ends(a)
	var lo, hi float64
	switch f {
	case FuncAbs:
		// [|n| - u, |n| + u] contains |x| for every x in [n - u, n + u].
		return Value{math.Abs(a.n), a.u}, nil
	case FuncSqrt:
		if !geExact(a.n, a.u, 0) {
			return Value{}, errDomain(name, "the interval [n-u, n+u] reaches below 0; interval sqrt needs n-u >= 0 (it may touch 0)")
		}
		lo = sqrtDown(L)
		if hi = sqrtUp(H); math.IsInf(H, 1) && !inf {
			hi = 0x1p513 // n + u < 2^1025
		}
	case FuncExp:
		lo, _ = expPoint(L)
		_, hi = expPoint(H)
	case FuncLog, FuncLog10, FuncLog2:
		if !geExact(a.n, a.u, 0) || a.n == a.u {
			return Value{}, errDomain(name, "the interval [n-u, n+u] reaches 0 or below; interval "+name+" needs n-u > 0")
		}
		lo, _ = logPoint(f, L)
		_, hi = logPoint(f, H)
		if math.IsInf(H, 1) && !inf { // n + u < 2^1025
			hi = [...]float64{FuncLog: 710.5, FuncLog10: 308.6, FuncLog2: 1025}[f]
		}
	case FuncSin, FuncCos:
		lo, hi = sinCosRange(f, a)
	case FuncTan:
		var ok bool
		if lo, hi, ok = tanRange(a); !ok {
			return Value{}, errDomain(name, "the interval [n-u, n+u] contains a pole of tan (an odd multiple of π/2)")
		}
	case FuncAsin, FuncAcos:
		if !geExact(a.n, a.u, -1) || !leExact(a.n, a.u, 1) {
			return Value{}, errDomain(name, "the interval [n-u, n+u] leaves [-1, 1]")
		}
		L, H = math.Max(L, -1), math.Min(H, 1)
		if f == FuncAsin {
			lo, _ = asinPoint(L)
			_, hi = asinPoint(H)
		} else {
			lo, _ = acosPoint(H)
			_, hi = acosPoint(L)
		}
	case FuncAtan:
		lo, _ = atanPoint(L)
		_, hi = atanPoint(H)
	case FuncSinh:
		lo, _ = sinhPoint(L)
		_, hi = sinhPoint(H)
	case FuncTanh:
		lo, _ = tanhPoint(L)
		_, hi = tanhPoint(H)
	case FuncCosh:
		switch {
		case H < 0:
			lo, _ = coshPoint(H)
			_, hi = coshPoint(L)
		case L > 0:
			lo, _ = coshPoint(L)
			_, hi = coshPoint(H)
		default: // the minimum cosh(0) = 1 is inside
			_, h1 := coshPoint(L)
			_, h2 := coshPoint(H)
			lo, hi = 1, math.Max(h1, h2)
		}
	default:
		return Value{}, errDomain(name, "unknown function")
	}
	return fromBounds(name, nominal(f, a.n), lo, hi, inf)
}

// trigArgs reduces the nominal, n = k·π/2 + r0 (± rerr), so that the input
// interval lies in k·π/2 + [ra, rb] with ra = r0 - rerr - u and rb = r0 +
// rerr + u rounded outward: the ends n ± u need not be rounded, nor be
// representable. wide reports u ≥ 3.14 (a width of 2π or more).
func trigArgs(a Value) (k uint8, ra, rb float64, wide bool) {
	if !(a.u < 3.14) {
		return 0, 0, 0, true
	}
	k, r0, rerr := reduce(a.n)
	d := addUp(rerr, a.u)
	return k, subDown(r0, d), addUp(r0, d), false
}

// quadrantPoints calls fn(j) for each j ∈ [-3, 3] whose j·π/2 may lie in
// [ra, rb] (|ra|, |rb| < 4); π/2 is enclosed by [pio2Hi, pio2Up].
func quadrantPoints(ra, rb float64, fn func(j int)) {
	for j := -3; j <= 3; j++ {
		jf := float64(j)
		lo, hi := mulD(jf, math.Pi/2), mulU(jf, pio2Up)
		if j < 0 {
			lo, hi = mulD(jf, pio2Up), mulU(jf, math.Pi/2)
		}
		if ra <= hi && lo <= rb {
			fn(j)
		}
	}
}

// sinCosRange encloses sin or cos over a's interval: the ends k·π/2 + ra
// and k·π/2 + rb (each reduced again, exactly) and the extrema at the
// quadrant points inside.
func sinCosRange(f Func, a Value) (lo, hi float64) {
	k, ra, rb, wide := trigArgs(a)
	if wide {
		return -1, 1
	}
	if f == FuncCos { // cos(x) = sin(x + π/2)
		k++
	}
	if a.u == 0 {
		_, r0, rerr := reduce(a.n)
		return trigPoint(k, r0, rerr)
	}
	ka, r1, e1 := reduce(ra)
	kb, r2, e2 := reduce(rb)
	lo, hi = trigPoint(k+ka, r1, e1)
	l2, h2 := trigPoint(k+kb, r2, e2)
	lo, hi = math.Min(lo, l2), math.Max(hi, h2)
	quadrantPoints(ra, rb, func(j int) {
		switch (int(k) + j) & 3 {
		case 1:
			hi = 1
		case 3:
			lo = -1
		}
	})
	return lo, hi
}

// tanRange encloses tan over a's interval, or reports false when a pole
// (an odd multiple of π/2) may lie in it.
func tanRange(a Value) (lo, hi float64, ok bool) {
	k, ra, rb, wide := trigArgs(a)
	if wide {
		return 0, 0, false
	}
	if a.u == 0 {
		_, r0, rerr := reduce(a.n)
		return tanPoint(k, r0, rerr)
	}
	pole := false
	quadrantPoints(ra, rb, func(j int) { pole = pole || (int(k)+j)&1 == 1 })
	if pole {
		return 0, 0, false
	}
	ka, r1, e1 := reduce(ra)
	kb, r2, e2 := reduce(rb)
	lo, _, ok1 := tanPoint(k+ka, r1, e1)
	_, hi, ok2 := tanPoint(k+kb, r2, e2)
	return lo, hi, ok1 && ok2
}

// intervalApply2 returns an enclosure of f over the box of a's and b's
// intervals.
func intervalApply2(f Func2, a, b Value) (Value, error) {
	name := f.String()
	inf := math.IsInf(a.u, 1) || math.IsInf(b.u, 1)
	switch f {
	case Func2Pow:
		return intervalPow(a, b)
	case Func2Atan2:
		return intervalAtan2(a, b)
	case Func2Hypot:
		xl, xh := absRange(a)
		yl, yh := absRange(b)
		lo, hi := hypotDown(xl, yl), hypotUp(xh, yh)
		return fromBounds(name, math.Hypot(a.n, b.n), lo, hi, inf)
	case Func2Min, Func2Max:
		return intervalMinMax(f, a, b)
	}
	return Value{}, errDomain(name, "unknown function")
}

// absRange returns the range of |x| over a's interval, rounded outward.
func absRange(a Value) (lo, hi float64) {
	L, H := ends(a)
	switch {
	case L >= 0:
		return L, H
	case H <= 0:
		return -H, -L
	}
	return 0, math.Max(-L, H)
}

// hypotUp and hypotDown bound √(x² + y²) for x, y ≥ 0. Both are scaled by
// the power of two of the larger so that no square over- or underflows;
// the smaller, when its scaled square would be below 2^-2000, adds less
// than one float to the sum, and one float up (or nothing, down) covers it.
func hypotUp(x, y float64) float64 {
	m, s := math.Max(x, y), math.Min(x, y)
	if s == 0 || math.IsInf(m, 1) {
		return m
	}
	_, e := math.Frexp(m)
	m, s = math.Ldexp(m, -e), math.Ldexp(s, -e)
	var sum float64
	if s < 0x1p-1000 {
		sum = math.Nextafter(mulUp(m, m), 2)
	} else {
		sum = addUp(mulUp(m, m), mulUp(s, s))
	}
	r := math.Ldexp(sqrtUp(sum), e)
	if r < 0x1p-1022 { // Ldexp rounded to a subnormal
		r = math.Nextafter(r, 1)
	}
	return r
}

func hypotDown(x, y float64) float64 {
	m, s := math.Max(x, y), math.Min(x, y)
	if s == 0 || math.IsInf(m, 1) {
		return m
	}
	_, e := math.Frexp(m)
	ms, ss := math.Ldexp(m, -e), math.Ldexp(s, -e)
	if ss < 0x1p-1000 {
		return m
	}
	sum := subDown(mulD(ms, ms), -mulD(ss, ss))
	r := math.Ldexp(sqrtDown(sum), e)
	switch {
	case math.IsInf(r, 1):
		r = math.MaxFloat64
	case r < 0x1p-1022:
		r = math.Nextafter(r, 0)
	}
	return math.Max(r, m)
}

// intervalMinMax: min (max) of two intervals is [min, min] ([max, max]) of
// their ends. When one interval lies entirely on the chosen side it is the
// result as it is. Otherwise the nominal is the one nu mode picks, and u
// bounds the distance from it to each end of the result without forming
// the ends (which may lie beyond the float range): n - min(lo1, lo2) =
// max(n - n1 + u1, n - n2 + u2), and min(hi1, hi2) - n is at most either
// n_i - n + u_i.
func intervalMinMax(f Func2, a, b Value) (Value, error) {
	if f == Func2Max {
		r, err := intervalMinMax(Func2Min, Flip(a), Flip(b))
		if e, ok := err.(*Error); ok && e.Code == CodeOverflow {
			return Value{}, errOverflow("max")
		}
		return Flip(r), err
	}
	switch {
	case a.Hi() <= b.Lo():
		return a, nil
	case b.Hi() <= a.Lo():
		return b, nil
	case a.n == b.n && a.u == b.u:
		return a, nil
	}
	p, _ := apply2NU(Func2Min, a, b)
	n := p.n
	if math.IsInf(a.u, 1) || math.IsInf(b.u, 1) {
		return Value{n, math.Inf(1)}, nil // an end of the result is unbounded
	}
	below := math.Max(addUp(subUp(n, a.n), a.u), addUp(subUp(n, b.n), b.u))
	above := math.Min(addUp(subUp(a.n, n), a.u), addUp(subUp(b.n, n), b.u))
	u := math.Max(below, above)
	if math.IsInf(u, 1) && !math.IsInf(a.u, 1) && !math.IsInf(b.u, 1) {
		return Value{}, errOverflow("min")
	}
	return Value{n, u}, nil
}

// intervalPow encloses x^y over the box.
func intervalPow(a, b Value) (Value, error) {
	const name = "pow"
	if b.u == 0 && b.n == 0 || a.u == 0 && a.n == 1 {
		return Value{1, 0}, nil
	}
	inf := math.IsInf(a.u, 1) || math.IsInf(b.u, 1)
	L, H := ends(a)
	if isIntExp(b) {
		k := b.n
		zero := math.Abs(a.n) <= a.u // the interval contains 0
		if k < 0 && zero {
			return Value{}, errDomain(name, "a negative integer power of an interval that contains 0 is unbounded")
		}
		var lo, hi float64
		odd := math.Mod(k, 2) != 0
		switch {
		case odd && k > 0 || !odd && k > 0 && L >= 0 || !odd && k < 0 && H < 0:
			// increasing over the interval
			lo, _ = powPoint(L, k)
			_, hi = powPoint(H, k)
		case !odd && k > 0 && zero:
			_, h1 := powPoint(L, k)
			_, h2 := powPoint(H, k)
			lo, hi = 0, math.Max(h1, h2)
		default: // decreasing: even k > 0 on x ≤ 0, odd k < 0, even k < 0 on x > 0
			lo, _ = powPoint(H, k)
			_, hi = powPoint(L, k)
		}
		return fromBounds(name, math.Pow(a.n, k), lo, hi, inf)
	}
	if !geExact(a.n, a.u, 0) || a.n == a.u {
		return Value{}, errDomain(name, "the base interval [n-u, n+u] reaches 0 or below; pow with an exponent that is not an exact integer needs n-u > 0")
	}
	// x^y = exp(y·ln x): ln x over [L, H], times the exponent interval.
	lnL, _ := logPoint(FuncLog, L)
	_, lnH := logPoint(FuncLog, H)
	if math.IsInf(H, 1) && !math.IsInf(a.u, 1) {
		lnH = 710.5
	}
	yl, yh := ends(b)
	plo := math.Min(math.Min(mulD(lnL, yl), mulD(lnL, yh)), math.Min(mulD(lnH, yl), mulD(lnH, yh)))
	phi := math.Max(math.Max(mulU(lnL, yl), mulU(lnL, yh)), math.Max(mulU(lnH, yl), mulU(lnH, yh)))
	lo, _ := expPoint(plo)
	_, hi := expPoint(phi)
	return fromBounds(name, powNom(a.n, b.n), lo, hi, inf)
}

// powPoint encloses x^k for a float x (possibly ±Inf) and an integer k ≠ 0
// (x ≠ 0 when k < 0).
func powPoint(x, k float64) (lo, hi float64) {
	m := math.Abs(x)
	var plo, phi float64
	switch {
	case m == 0:
		plo, phi = 0, 0
	case math.IsInf(m, 1):
		if k > 0 {
			plo, phi = math.MaxFloat64, m
		}
	case m == 1:
		plo, phi = 1, 1
	case math.Abs(k) <= 64:
		// Binary powering with products rounded down and up: every
		// factor is ≥ 0, so products of bounds bound the product.
		n := uint64(math.Abs(k))
		dn, up := powDown(m, n), powUpInt(m, n)
		if k > 0 {
			plo, phi = dn, up
		} else {
			plo, phi = recipDown(up), recipUp(dn)
		}
	default:
		// exp(k·ln m), with ln m enclosed and the product rounded outward.
		l1, l2 := logPoint(FuncLog, m)
		if k < 0 {
			l1, l2 = l2, l1
		}
		plo, _ = expPoint(mulD(k, l1))
		_, phi = expPoint(mulU(k, l2))
	}
	if x < 0 && math.Mod(k, 2) != 0 {
		return -phi, -plo
	}
	return plo, phi
}

func powUpInt(m float64, n uint64) float64 {
	r := 1.0
	for {
		if n&1 == 1 {
			r = mulUp(r, m)
		}
		n >>= 1
		if n == 0 {
			return r
		}
		m = mulUp(m, m)
	}
}

func powDown(m float64, n uint64) float64 {
	r := 1.0
	for {
		if n&1 == 1 {
			r = math.Max(mulD(r, m), 0)
		}
		n >>= 1
		if n == 0 {
			return r
		}
		m = math.Max(mulD(m, m), 0)
	}
}

// intervalAtan2 encloses atan2(y, x) for y in a's interval and x in b's.
// The box must not contain the origin. A box that crosses the negative x
// axis (x < 0 with y from below 0 to 0 or above) takes the values near -π
// and π: the result is [-π, π]. Otherwise the angle over the box (convex,
// without the origin, not across the cut) takes its extremes at corners.
func intervalAtan2(a, b Value) (Value, error) {
	const name = "atan2"
	if math.Abs(a.n) <= a.u && math.Abs(b.n) <= b.u {
		return Value{}, errDomain(name, "both intervals [n-u, n+u] contain 0: the box contains the origin, where atan2 is undefined")
	}
	inf := math.IsInf(a.u, 1) || math.IsInf(b.u, 1)
	n := math.Atan2(a.n, b.n)
	yl, yh := ends(a)
	xl, xh := ends(b)
	if xl < 0 && yl < 0 && yh >= 0 {
		return fromBounds(name, n, -piUp, piUp, inf)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, y := range [2]float64{yl, yh} {
		for _, x := range [2]float64{xl, xh} {
			l, h := atan2Point(y, x)
			lo, hi = math.Min(lo, l), math.Max(hi, h)
		}
	}
	return fromBounds(name, n, lo, hi, inf)
}

// atan2Point encloses atan2(y, x) at a corner, or the limits of the angle
// toward it when a coordinate is infinite. y = 0 with x < 0 gives π. The
// origin is not a corner of a box that reaches here unless the box is a
// segment on an axis; then it gives the angle of that axis.
func atan2Point(y, x float64) (lo, hi float64) {
	if math.IsInf(x, 0) && math.IsInf(y, 0) {
		// The quadrant's whole range of angles.
		switch {
		case x > 0 && y > 0:
			return 0, pio2Up
		case x < 0 && y > 0:
			return math.Pi / 2, piUp
		case x > 0:
			return -pio2Up, 0
		}
		return -piUp, -math.Pi / 2
	}
	switch {
	case y == 0 && x > 0:
		return 0, 0
	case y == 0 && x < 0:
		return math.Pi, piUp
	case x == 0 || math.IsInf(y, 0): // y ≠ 0: the origin is no corner of an allowed box
		if y > 0 {
			return math.Pi / 2, pio2Up
		}
		return -pio2Up, -math.Pi / 2
	case math.IsInf(x, 1):
		return 0, 0
	case math.IsInf(x, -1):
		if y >= 0 {
			return math.Pi, piUp
		}
		return -piUp, -math.Pi
	case x > 0:
		lo, _ = atanPoint(divDown(y, x))
		_, hi = atanPoint(divUp(y, x))
		return lo, hi
	}
	// x < 0: atan(y/x) ± π, y/x = (-y)/(-x).
	lo, _ = atanPoint(divDown(-y, -x))
	_, hi = atanPoint(divUp(-y, -x))
	if y >= 0 {
		return addDown(lo, math.Pi), addUp(hi, piUp)
	}
	return addDown(lo, -piUp), addUp(hi, -math.Pi)
}

func addDown(a, b float64) float64 { return -addUp(-a, -b) }
