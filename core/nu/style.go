package nu

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// Notation selects how a value is written.
type Notation uint8

// The notations. A value that [NotationAuto] writes in scientific notation
// has the exponent E of the larger of |n'| and u' (the rounded numbers shown)
// at least [SciHigh] or at most [SciLow], or its last shown digit below
// 10^[FixedMinPlace].
const (
	// NotationAuto writes fixed notation for moderate magnitudes and
	// scientific notation otherwise: "200 ± 21", "1.230e-4 ± 2.0e-6".
	NotationAuto Notation = iota
	// NotationFixed always writes fixed notation, however many zeros that
	// takes: "0.0001230 ± 0.0000020", "602214100000000000000000 ±
	// 1200000000000000000".
	NotationFixed
	// NotationScientific always writes scientific notation, also for
	// moderate magnitudes: "2.00e2 ± 2.1e1", or "(2.00 ± 0.21)×10²".
	NotationScientific
	// NotationConcise writes the uncertainty in parentheses in units of the
	// last digit of n: "5.23(12)", "1.230(20)e-4", "1.230(20)×10⁻⁴". It uses
	// fixed notation where NotationAuto does and the last digit is at or
	// right of the units, scientific otherwise ("1.23(15)e5", never
	// "123000(15000)").
	NotationConcise
)

// The thresholds of [NotationAuto]: scientific notation when E ≥ SciHigh or
// E ≤ SciLow, E the decimal exponent of the larger of |n'| and u', or when
// the last shown digit is below 10^FixedMinPlace. So 123000 ± 15000 and
// 0.001230 ± 0.000020 stay fixed; 1.2345679e6 ± 1.2e0 and 1.230e-4 ± 2.0e-6
// do not.
const (
	SciHigh       = 6
	SciLow        = -4
	FixedMinPlace = -15
)

// maxStyleDigits caps Style.Digits: a float64 is exactly a decimal of at most
// 767 significant digits, so more digits of u would only add zeros.
const maxStyleDigits = 800

// Style says how to write a value.
//
// The zero Style is the default: u to two significant digits, n rounded to
// the same decimal place, [NotationAuto], ASCII exponents ("1.230e-4 ±
// 2.0e-6"). Unicode selects the typeset form "(1.230 ± 0.020)×10⁻⁴", with the
// common exponent factored out, for display: [Parse] reads it too, but the
// ASCII form is the one to store or to copy into other programs. Every style
// writes "±" between n and u (except the concise notation).
type Style struct {
	Digits   int      // significant digits of u (0 or less means 2); ignored when PDG is set
	PDG      bool     // the Particle Data Group's rule: u to one or two significant digits
	Notation Notation // NotationAuto (the zero value) and others
	Unicode  bool     // (1.230 ± 0.020)×10⁻⁴ rather than 1.230e-4 ± 2.0e-6
}

// FormatStyle writes v as a result of mode m in style s.
//
// u is rounded to s.Digits significant digits, or by the PDG rule when s.PDG
// is set: take the three highest-order digits of u (of its shortest decimal
// form, so that 0.355 counts as 355); from 100 to 354 keep two significant
// digits, from 355 to 949 one, and from 950 to 999 round up to 1000 and keep
// two (0.96 → 1.0). (Particle Data Group, Review of Particle Physics,
// Introduction, "Rounding".) n is rounded to the same decimal place.
//
// In interval mode ([ModeInterval]) the rounding is outward, as
// [Value.FormatOutward] describes: read as exact decimals, the shown interval
// [n'-u', n'+u'] contains the computed [n-u, n+u]; n' is n rounded to nearest
// at the place of the last digit of u', and u' = u + |n - n'| rounded up at
// that place. Every other mode rounds both numbers to nearest (ties to even):
// u' has the digits asked for and n' the same last place. In both, when
// rounding carries u' into a new digit (0.996 → 1.00) the place moves one to
// the left, except under the PDG rule, which fixes the place from u (so an
// interval-mode u' may show 1.1 where u was 0.98).
//
// An exact value (u = 0) is written in its shortest round-trip form and an
// infinite u as "n ± inf", in every style. A value whose rounded n' or u'
// would not read back as a finite float64 (near ±1.8e308) is written as
// [Value.FormatFull] writes it.
//
// [Parse] reads every output back, the Unicode forms included, to the
// float64s nearest the decimals shown. Since Parse rounds to nearest, the
// float64 interval it returns can be narrower than the shown decimal interval
// by half a unit in the last place of each float.
func (v Value) FormatStyle(m Mode, s Style) string {
	if v.u == 0 || math.IsInf(v.u, 1) {
		return v.exactOrInf()
	}
	var r roundedNU
	r.round(v, m == ModeInterval, s)
	if r.e >= 308 && !r.finite() {
		return v.FormatFull()
	}
	return string(r.appendStyle(make([]byte, 0, 48), s))
}

// exactOrInf writes an exact value or one with an infinite u, as every format
// writes them.
func (v Value) exactOrInf() string {
	s := strconv.FormatFloat(v.n, 'g', -1, 64)
	if v.u != 0 {
		s += " ± inf"
	}
	return s
}

// roundedNU is a value rounded for display: n' = kn·10^p, u' = ku·10^p.
type roundedNU struct {
	dn, du []byte // the decimal digits of |kn| and of ku (ku ≥ 1)
	neg    bool   // a minus sign before n' (also when it rounds to zero)
	p      int    // the decimal place of the last shown digit
	e      int    // the exponent of the larger of |n'| and u'
	en, eu int    // the exponents of |n'| (eu when n' = 0) and of u'
}

// finite reports whether n' and u' read back as finite float64s.
func (r *roundedNU) finite() bool {
	for _, d := range [][]byte{r.dn, r.du} {
		x, _ := strconv.ParseFloat(string(d)+"e"+strconv.Itoa(r.p), 64)
		if math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// exactFloat is a finite float64 as m·2^k exactly (m = 0 for zero).
type exactFloat struct {
	m uint64
	k int
}

func splitFloat(x float64) exactFloat {
	f, e := math.Frexp(math.Abs(x))
	if f == 0 {
		return exactFloat{}
	}
	m := uint64(f * (1 << 53))
	tz := bits.TrailingZeros64(m)
	return exactFloat{m >> tz, e - 53 + tz}
}

// pow10Int returns 10^k for k ≥ 0, a shared value for small k: callers must
// not modify it.
func pow10Int(k int) *big.Int {
	if k < len(smallPow10) {
		return smallPow10[k]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil)
}

var smallPow10 = func() []*big.Int {
	t := make([]*big.Int, 40)
	t[0] = big.NewInt(1)
	for i := 1; i < len(t); i++ {
		t[i] = new(big.Int).Mul(t[i-1], big.NewInt(10))
	}
	return t
}()

// floatExp10 returns floor(log10 x) exactly for a finite x > 0.
func floatExp10(x float64) int {
	// math.Log10 is not accurate for subnormals (on amd64 it returns about
	// -308 for 5e-324): work on the normalized fraction.
	f, be := math.Frexp(x)
	l := math.Log10(f) + float64(be)*math.Log10(2)
	e := int(math.Floor(l))
	if f := l - float64(e); f > 1e-9 && f < 1-1e-9 {
		return e // far from a power of ten: the float estimate is right
	}
	xf := splitFloat(x)
	for cmpPow10(xf, e) < 0 {
		e--
	}
	for cmpPow10(xf, e+1) >= 0 {
		e++
	}
	return e
}

// cmpPow10 compares x with 10^e exactly.
func cmpPow10(x exactFloat, e int) int {
	l := new(big.Int).SetUint64(x.m)
	r := big.NewInt(1)
	if x.k > 0 {
		l.Lsh(l, uint(x.k))
	} else {
		r.Lsh(r, uint(-x.k))
	}
	if e < 0 {
		l.Mul(l, pow10Int(-e))
	} else {
		r.Mul(r, pow10Int(e))
	}
	return l.Cmp(r)
}

// pdgPlace returns the decimal place of the last digit the PDG rule keeps for
// u > 0: one below the leading digit when the three highest-order digits of
// u's shortest decimal form are 100 to 354, the leading digit's place
// otherwise (355 to 949 keep one digit; 950 to 999 round up to 1000 at that
// place and so show two, "1.0", which up reports).
func pdgPlace(u float64) (p int, up bool) {
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], u, 'e', -1, 64) // d[.ddd]e±XX
	i := 0
	for i < len(b) && b[i] != 'e' {
		i++
	}
	exp, _ := strconv.Atoi(string(b[i+1:]))
	three := 0
	for j, n := 0, 0; n < 3; j++ {
		d := 0
		if j < i && b[j] == '.' {
			continue
		}
		if j < i {
			d = int(b[j] - '0')
		}
		three = three*10 + d
		n++
	}
	if three <= 354 {
		return exp - 1, false
	}
	return exp, three >= 950
}

// round rounds v (u finite and > 0) for style s, outward when outward is
// set and to nearest otherwise.
func (r *roundedNU) round(v Value, outward bool, s Style) {
	sig := s.Digits
	if sig <= 0 {
		sig = 2
	}
	sig = min(sig, maxStyleDigits)
	if !outward && !s.PDG && r.roundNearestFast(v, sig) {
		return
	}
	var p int
	var limit *big.Int // a u' of limit units needs the place one to the left
	pdgUp := false     // the PDG rule rounds u up to 1.0 at place p
	if s.PDG {
		p, pdgUp = pdgPlace(v.u)
		limit = pow10Int(2) // cannot be reached; kept as a guard
	} else {
		p = floatExp10(v.u) - (sig - 1)
		limit = pow10Int(sig)
	}
	n, u := splitFloat(v.n), splitFloat(v.u)
	// With a = max(0, -k_n, -k_u), |n|·2^a and u·2^a are integers N0, U0;
	// at place p, |n|/10^p = N/D and u/10^p = U/D.
	a := max(0, -n.k, -u.k)
	if n.m == 0 {
		a = max(0, -u.k)
	}
	N0 := new(big.Int).SetUint64(n.m)
	if n.m != 0 {
		N0.Lsh(N0, uint(n.k+a))
	}
	U0 := new(big.Int).Lsh(new(big.Int).SetUint64(u.m), uint(u.k+a))
	neg := math.Signbit(v.n)
	var N, U, D, kn, ku, t big.Int
	for {
		D.Lsh(big.NewInt(1), uint(a))
		if p < 0 {
			N.Mul(N0, pow10Int(-p))
			U.Mul(U0, pow10Int(-p))
		} else {
			N.Set(N0)
			U.Set(U0)
			D.Mul(&D, pow10Int(p))
		}
		if outward {
			// kn = floor(n/q + 1/2) for the signed n (ties upward), then
			// ku = ceil((|n - kn·q| + u)/q). Work with |n|: for a negative
			// n, |kn| = ceil(|n|/q - 1/2).
			t.Lsh(&N, 1)
			if neg {
				t.Sub(&t, &D)
				ceilQuo(&kn, &t, new(big.Int).Lsh(&D, 1))
			} else {
				t.Add(&t, &D)
				kn.Div(&t, new(big.Int).Lsh(&D, 1))
			}
			t.Mul(&kn, &D)
			t.Sub(&N, &t)
			t.Abs(&t)
			t.Add(&t, &U)
			ceilQuo(&ku, &t, &D)
			if ku.Cmp(limit) < 0 {
				break
			}
		} else {
			roundHalfEven(&ku, &U, &D)
			if pdgUp {
				ku.SetInt64(10) // u/q is above 9.4: round up to 10
			}
			if ku.Cmp(limit) < 0 {
				roundHalfEven(&kn, &N, &D)
				break
			}
		}
		p++
	}
	r.dn = kn.Append(r.dn[:0], 10)
	r.du = ku.Append(r.du[:0], 10)
	r.finish(p, neg)
}

// finish sets the place, the sign and the exponents once dn and du are set.
func (r *roundedNU) finish(p int, neg bool) {
	r.neg = neg
	r.p = p
	r.eu = p + len(r.du) - 1
	r.en, r.e = r.eu, r.eu
	if len(r.dn) != 1 || r.dn[0] != '0' {
		r.en = p + len(r.dn) - 1
		r.e = max(r.en, r.eu)
	}
}

// roundNearestFast rounds to nearest with strconv, which rounds the exact
// binary value correctly, ties to even, as round does with big.Int: u to sig
// digits, and n at that place when it is at or right of the units. It
// reports false, having done nothing, when the place is left of the units.
func (r *roundedNU) roundNearestFast(v Value, sig int) bool {
	var buf [40]byte
	b := strconv.AppendFloat(buf[:0], v.u, 'e', sig-1, 64) // d.ddde±XX, carry included
	i := len(b) - 1
	for b[i] != 'e' {
		i--
	}
	eu, _ := strconv.Atoi(string(b[i+1:]))
	p := eu - (sig - 1)
	if p > 0 {
		return false
	}
	r.du = append(r.du[:0], b[0])
	if i > 1 {
		r.du = append(r.du, b[2:i]...)
	}
	d := strconv.AppendFloat(r.dn[:0], math.Abs(v.n), 'f', -p, 64)
	k := 0 // d without its point and leading zeros, at least one digit
	for _, c := range d {
		if c != '.' && (c != '0' || k > 0) {
			d[k] = c
			k++
		}
	}
	if k == 0 {
		d[0], k = '0', 1
	}
	r.dn = d[:k]
	r.finish(p, math.Signbit(v.n))
	return true
}

// ceilQuo sets z = ceil(x/y) for y > 0.
func ceilQuo(z, x, y *big.Int) {
	z.Neg(x)
	z.Div(z, y) // Euclidean: floor for a positive divisor
	z.Neg(z)
}

// roundHalfEven sets z = x/y rounded to nearest, ties to even, for x ≥ 0 and
// y > 0.
func roundHalfEven(z, x, y *big.Int) {
	var m big.Int
	z.QuoRem(x, y, &m)
	m.Lsh(&m, 1)
	if c := m.Cmp(y); c > 0 || c == 0 && z.Bit(0) == 1 {
		z.Add(z, big.NewInt(1))
	}
}

// fixedLayout reports whether notation nt writes r in fixed notation.
func (r *roundedNU) fixedLayout(nt Notation) bool {
	auto := r.e > SciLow && r.e < SciHigh && r.p >= FixedMinPlace
	switch nt {
	case NotationFixed:
		return true
	case NotationScientific:
		return false
	case NotationConcise:
		return auto && r.p <= 0
	}
	return auto
}

// appendStyle appends r written in style s.
func (r *roundedNU) appendStyle(b []byte, s Style) []byte {
	fixed := r.fixedLayout(s.Notation)
	switch {
	case s.Notation == NotationConcise && fixed:
		b = appendDecimal(b, r.dn, r.p, r.neg)
		return appendParen(b, r.du)
	case s.Notation == NotationConcise:
		b = appendDecimal(b, r.dn, r.p-r.e, r.neg)
		b = appendParen(b, r.du)
		return appendExp(b, r.e, s.Unicode)
	case fixed:
		b = appendDecimal(b, r.dn, r.p, r.neg)
		b = append(b, " ± "...)
		return appendDecimal(b, r.du, r.p, false)
	case s.Unicode:
		b = append(b, '(')
		b = appendDecimal(b, r.dn, r.p-r.e, r.neg)
		b = append(b, " ± "...)
		b = appendDecimal(b, r.du, r.p-r.e, false)
		b = append(b, ')')
		return appendExp(b, r.e, true)
	}
	b = appendDecimal(b, r.dn, r.p-r.en, r.neg)
	b = appendExp(b, r.en, false)
	b = append(b, " ± "...)
	b = appendDecimal(b, r.du, r.p-r.eu, false)
	return appendExp(b, r.eu, false)
}

func appendParen(b, d []byte) []byte {
	b = append(b, '(')
	b = append(b, d...)
	return append(b, ')')
}

// appendDecimal appends k·10^p in fixed notation with max(0, -p) decimals, k
// given by its decimal digits d; neg writes a minus sign (also before zero).
func appendDecimal(b, d []byte, p int, neg bool) []byte {
	if neg {
		b = append(b, '-')
	}
	if p >= 0 {
		b = append(b, d...)
		if len(d) == 1 && d[0] == '0' {
			return b
		}
		for ; p > 0; p-- {
			b = append(b, '0')
		}
		return b
	}
	dec := -p
	if len(d) <= dec {
		b = append(b, '0', '.')
		for i := len(d); i < dec; i++ {
			b = append(b, '0')
		}
		return append(b, d...)
	}
	b = append(b, d[:len(d)-dec]...)
	b = append(b, '.')
	return append(b, d[len(d)-dec:]...)
}

// superscripts are the superscript digits ⁰ to ⁹.
var superscripts = [10]rune{'⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'}

// appendExp appends "e-4", or "×10⁻⁴" when unicode is set.
func appendExp(b []byte, e int, unicode bool) []byte {
	if !unicode {
		b = append(b, 'e')
		return strconv.AppendInt(b, int64(e), 10)
	}
	b = append(b, "×10"...)
	if e < 0 {
		b = utf8.AppendRune(b, '⁻')
		e = -e
	}
	var d [8]byte
	ds := strconv.AppendInt(d[:0], int64(e), 10)
	for _, c := range ds {
		b = utf8.AppendRune(b, superscripts[c-'0'])
	}
	return b
}

// scanTimesTen scans "×10" and a superscript exponent ("×10⁻⁴", also with
// spaces around the ×) at the start of s. It returns the exponent and the
// bytes used, or ok = false when s does not start so.
func scanTimesTen(s string) (e, w int, ok bool) {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if len(s) < i+len("×") || s[i:i+len("×")] != "×" {
		return 0, 0, false
	}
	i += len("×")
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if len(s) < i+2 || s[i:i+2] != "10" {
		return 0, 0, false
	}
	i += 2
	neg := false
	if r, n := utf8.DecodeRuneInString(s[i:]); r == '⁻' || r == '⁺' {
		neg = r == '⁻'
		i += n
	}
	digits := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		d := superDigit(r)
		if d < 0 {
			break
		}
		if digits == 6 {
			return 0, 0, false // out of range, like an "e" exponent of more than six digits
		}
		e = e*10 + d
		digits++
		i += n
	}
	if digits == 0 {
		return 0, 0, false
	}
	if neg {
		e = -e
	}
	return e, i, true
}

func superDigit(r rune) int {
	for d, s := range superscripts {
		if r == s {
			return d
		}
	}
	return -1
}
