package pmath

import (
	"math"
	"math/rand/v2"
)

// fn is one function under test with math's counterpart. Exactly one of f1
// and f2 is set (one or two arguments).
type fn struct {
	name   string
	f1, m1 func(float64) float64
	f2, m2 func(float64, float64) float64
	// gens are the argument generators: the random and golden tests draw
	// from each in turn. A two-argument function draws x then y.
	gens []gen
}

// gen draws one argument (or a pair) from a PCG stream. Generators use only
// the integer stream, exact bit manipulation and float64 operations whose
// products are explicitly rounded, so they give the same arguments on every
// platform (the golden hashes depend on that).
type gen func(r *rand.Rand) (x, y float64)

// uniform returns a float64 uniformly distributed in [a, b).
func uniform(r *rand.Rand, a, b float64) float64 {
	u := float64(float64(r.Uint64()>>11) * 0x1p-53)
	return a + float64((b-a)*u)
}

// logUniform returns ±m·2^e with e uniform in [emin, emax] and m a random
// 53-bit mantissa in [1, 2): every binade in range is equally likely. With
// emin below -1022 it also gives subnormals (and, at emin ≤ -1075, zeros).
func logUniform(r *rand.Rand, emin, emax int, signed bool) float64 {
	e := emin + int(r.Uint64()%uint64(emax-emin+1))
	m := 1 + float64(float64(r.Uint64()>>12)*0x1p-52)
	x := math.Ldexp(m, e) // exact, or rounded once for subnormals
	if signed && r.Uint64()&1 == 1 {
		x = -x
	}
	return x
}

// anyBits returns a float64 with uniformly random bits: every exponent,
// NaNs, infinities and subnormals.
func anyBits(r *rand.Rand) float64 { return math.Float64frombits(r.Uint64()) }

// specials are the arguments every function is evaluated at exactly.
var specials = []float64{
	0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
	1, -1, 0.5, -0.5, 2, -2, 3, -3, 0.7, -0.7, 0.625, -0.625, 0.66, 21, -21,
	1e-300, -1e-300, 1e300, -1e300, 0x1p-28, -0x1p-28, 0x1p-29, 1e-14, 1e-7,
	math.MaxFloat64, -math.MaxFloat64,
	math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	0x1p-1022, -0x1p-1022, 0x1p-1023,
	math.Pi, -math.Pi, math.Pi / 2, -math.Pi / 2, math.Pi / 4, 3 * math.Pi / 4,
	math.E, math.Ln2, math.Sqrt2, math.Sqrt2 / 2,
	7.09782712893383973096e+02, 7.0978271289338397e+02, 709.79, 710, -745.13321910194110842, -745.14, -746,
	44.014845965556527, 44.0148459655565, 88.7, 1 << 29, 1<<29 - 1, 1 << 30, 1 << 52, 1 << 53, 1<<53 + 2, 1 << 63, 1 << 64, -(1 << 63),
	0.5 + 0x1p-53, 1 - 0x1p-53, 1 + 0x1p-52, -1 - 0x1p-52, 2.414213562373095, 2.4142135623730954,
	1e22, 1e-22, 6381956970095103 * 0x1p797, 5.319372648326541e+255,
}

func pair(f func(r *rand.Rand) float64) gen {
	return func(r *rand.Rand) (float64, float64) { return f(r), 0 }
}

func u(a, b float64) gen {
	return pair(func(r *rand.Rand) float64 { return uniform(r, a, b) })
}

func lu(emin, emax int, signed bool) gen {
	return pair(func(r *rand.Rand) float64 { return logUniform(r, emin, emax, signed) })
}

var bitsGen = pair(anyBits)

// functions lists every exported function with its generators.
var functions = []fn{
	{name: "Exp", f1: Exp, m1: math.Exp, gens: []gen{u(-745.2, 709.8), u(-1, 1), u(-40, 40), lu(-60, 10, true), bitsGen}},
	{name: "Log", f1: Log, m1: math.Log, gens: []gen{lu(-1074, 1023, false), u(0.5, 2), u(0, 1e3), bitsGen}},
	{name: "Log10", f1: Log10, m1: math.Log10, gens: []gen{lu(-1074, 1023, false), u(0.5, 2), u(0, 1e3), bitsGen}},
	{name: "Log2", f1: Log2, m1: math.Log2, gens: []gen{lu(-1074, 1023, false), u(0.5, 2), u(0, 1e3), bitsGen}},
	{name: "Sqrt", f1: Sqrt, m1: math.Sqrt, gens: []gen{lu(-1074, 1023, false), u(0, 100), bitsGen}},
	{name: "Sin", f1: Sin, m1: math.Sin, gens: trigGens},
	{name: "Cos", f1: Cos, m1: math.Cos, gens: trigGens},
	{name: "Tan", f1: Tan, m1: math.Tan, gens: trigGens},
	{name: "Asin", f1: Asin, m1: math.Asin, gens: []gen{u(-1, 1), u(0.69, 1), lu(-60, 0, true), bitsGen}},
	{name: "Acos", f1: Acos, m1: math.Acos, gens: []gen{u(-1, 1), u(0.69, 1), lu(-60, 0, true), bitsGen}},
	{name: "Atan", f1: Atan, m1: math.Atan, gens: []gen{u(-3, 3), lu(-60, 60, true), u(0.6, 2.5), bitsGen}},
	{name: "Sinh", f1: Sinh, m1: math.Sinh, gens: hypGens},
	{name: "Cosh", f1: Cosh, m1: math.Cosh, gens: hypGens},
	{name: "Tanh", f1: Tanh, m1: math.Tanh, gens: []gen{u(-1, 1), u(-25, 25), u(-50, 50), lu(-60, 6, true), bitsGen}},
	{name: "Pow", f2: Pow, m2: math.Pow, gens: powGens},
	{name: "Atan2", f2: Atan2, m2: math.Atan2, gens: []gen{
		func(r *rand.Rand) (float64, float64) { return uniform(r, -10, 10), uniform(r, -10, 10) },
		func(r *rand.Rand) (float64, float64) {
			return logUniform(r, -1074, 1023, true), logUniform(r, -1074, 1023, true)
		},
		func(r *rand.Rand) (float64, float64) { return anyBits(r), anyBits(r) },
	}},
	{name: "Hypot", f2: Hypot, m2: math.Hypot, gens: []gen{
		func(r *rand.Rand) (float64, float64) { return uniform(r, -10, 10), uniform(r, -10, 10) },
		func(r *rand.Rand) (float64, float64) {
			return logUniform(r, -1074, 1023, true), logUniform(r, -1074, 1023, true)
		},
		func(r *rand.Rand) (float64, float64) {
			x := logUniform(r, -100, 100, true)
			return x, float64(math.Ldexp(x, int(r.Uint64()%80)-40) * uniform(r, 0.5, 2))
		},
		func(r *rand.Rand) (float64, float64) { return anyBits(r), anyBits(r) },
	}},
}

var trigGens = []gen{
	u(-2*math.Pi, 2*math.Pi), u(-1e3, 1e3), u(-(1 << 29), 1<<29),
	lu(-60, 28, true), lu(29, 1023, true), lu(28, 60, true), bitsGen,
}

var hypGens = []gen{u(-1, 1), u(-25, 25), u(-711, 711), lu(-60, 10, true), bitsGen}

var powGens = []gen{
	// Positive x, moderate y.
	func(r *rand.Rand) (float64, float64) { return uniform(r, 0, 10), uniform(r, -10, 10) },
	// Any positive x, y small enough to stay mostly finite.
	func(r *rand.Rand) (float64, float64) {
		return logUniform(r, -1074, 1023, false), uniform(r, -1, 1)
	},
	// x near 1, large y.
	func(r *rand.Rand) (float64, float64) {
		return uniform(r, 0.99, 1.01), logUniform(r, 0, 20, true)
	},
	// Negative x, integer y (exact squaring path only).
	func(r *rand.Rand) (float64, float64) {
		return -uniform(r, 0, 4), float64(int64(r.Uint64()%200) - 100)
	},
	// Integer and half-integer y across the range.
	func(r *rand.Rand) (float64, float64) {
		return logUniform(r, -30, 30, true), float64(int64(r.Uint64()%2000)-1000) / 2
	},
	func(r *rand.Rand) (float64, float64) { return anyBits(r), anyBits(r) },
}

// ulps returns the distance between a and b in units in the last place,
// counting the representable float64 values between them (+0 and -0 are
// the same point here; same reports sign differences of zeros). Two NaNs
// are 0 apart; a NaN and a number are infinitely far (MaxUint64).
func ulps(a, b float64) uint64 {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an || bn:
		return math.MaxUint64
	}
	ia, ib := ordered(a), ordered(b)
	if ia > ib {
		ia, ib = ib, ia
	}
	return uint64(ib) - uint64(ia)
}

func ordered(x float64) int64 {
	b := int64(math.Float64bits(x))
	if b < 0 {
		b = math.MinInt64 - b
	}
	return b
}

// same reports whether a and b are the same result: both NaN, or equal bits
// (so +0 and -0 differ).
func same(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Float64bits(a) == math.Float64bits(b)
}

// special reports whether v is one of the values whose kind must agree
// exactly with math's: NaN, ±Inf or ±0.
func special(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) || v == 0 }

// call evaluates f (pmath) and math's function at (x, y).
func (f *fn) call(x, y float64) (got, want float64) {
	if f.f1 != nil {
		return f.f1(x), f.m1(x)
	}
	return f.f2(x, y), f.m2(x, y)
}

// draw returns the i-th argument for f from r, taking the generators in turn.
func (f *fn) draw(r *rand.Rand, i int) (x, y float64) {
	return f.gens[i%len(f.gens)](r)
}
