package nu

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Enclosure tests of the interval functions against the math/big
// reference (below): for every function, 100,000 random cases natively
// (a tenth under GOOS=js, see wasmDivisor), each checked at the ends of the
// exact input interval, its nominal, a random interior point and the
// critical points inside; zero violations are allowed. The reference value
// must lie inside the result with a margin of 2^-200 of itself unless it is
// known exactly.

// encCases is the number of random cases per function.
func encCases() int { return 100_000 / wasmDivisor }

// exactEnds returns n - u and n + u exactly (±Inf for u = +Inf).
func exactEnds(v Value) (lo, hi *big.Float) {
	if math.IsInf(v.u, 1) {
		return new(big.Float).SetInf(true), new(big.Float).SetInf(false)
	}
	n, u := big.NewFloat(v.n), big.NewFloat(v.u)
	return new(big.Float).SetPrec(exactPrec).Sub(n, u), new(big.Float).SetPrec(exactPrec).Add(n, u)
}

// refWithin reports whether [v - eps, v + eps] lies in [lo, hi].
func refWithin(lo, hi, v, eps *big.Float) bool {
	var a, b big.Float
	return withinScratch(lo, hi, v, eps, &a, &b)
}

// within is refWithin with the context's scratch space.
func (c *refCtx) within(lo, hi, v, eps *big.Float) bool {
	return withinScratch(lo, hi, v, eps, &c.wa, &c.wb)
}

func withinScratch(lo, hi, v, eps, a, b *big.Float) bool {
	if eps.Sign() == 0 {
		return lo.Cmp(v) <= 0 && v.Cmp(hi) <= 0
	}
	p := max(v.Prec(), refPrec) + 16
	a.SetPrec(p).Sub(v, eps)
	b.SetPrec(p).Add(v, eps)
	return lo.Cmp(a) <= 0 && b.Cmp(hi) <= 0
}

// sqrtWithin reports exactly whether √s lies in [lo, hi] (s ≥ 0, lo, hi
// finite or infinite), comparing squares.
func sqrtWithin(lo, hi, s *big.Float) bool {
	sq := func(x *big.Float) *big.Float { return new(big.Float).SetPrec(2*exactPrec+64).Mul(x, x) }
	okLo := lo.Sign() <= 0 || !lo.IsInf() && sq(lo).Cmp(s) <= 0
	okHi := hi.IsInf() && hi.Sign() > 0 || hi.Sign() >= 0 && !hi.IsInf() && s.Cmp(sq(hi)) <= 0
	return okLo && okHi
}

// point is an argument at which the result is checked, or (for a
// critical point whose value is known exactly) just the value.
type point struct {
	x     *big.Float
	v     *big.Float // a known value (x unused)
	label string
}

// interior returns a point of [lo, hi] (finite) at fraction t ∈ [1/64, 63/64].
func interior(lo, hi *big.Float, t float64) *big.Float {
	w := new(big.Float).SetPrec(exactPrec+64).Sub(hi, lo)
	w.Mul(w, big.NewFloat(t))
	return w.Add(w, lo)
}

// argPoints returns the points of a's interval to check: both ends, the
// nominal and an interior point, or for u = +Inf finite points far out.
func argPoints(a Value, r *rand.Rand) []*big.Float {
	n := new(big.Float).SetFloat64(a.n)
	if a.u == 0 {
		return []*big.Float{n}
	}
	if math.IsInf(a.u, 1) {
		far := new(big.Float).SetMantExp(big.NewFloat(1), 900+r.IntN(100))
		near := new(big.Float).SetMantExp(big.NewFloat(1), r.IntN(60)-20)
		return []*big.Float{n,
			new(big.Float).SetPrec(exactPrec).Sub(n, far), new(big.Float).SetPrec(exactPrec).Add(n, far),
			new(big.Float).SetPrec(exactPrec).Sub(n, near), new(big.Float).SetPrec(exactPrec).Add(n, near)}
	}
	lo, hi := exactEnds(a)
	return []*big.Float{lo, hi, n, interior(lo, hi, (1+62*r.Float64())/64)}
}

// encStats gathers the results of one function's cases.
type encStats struct {
	cases, points, domainErrs, overflows int
	conservative                         int // domain errors for a pole within one float of an end
	rawMiss, ulpMiss                     int // cases the unwidened hull (exactly, and one ulp out) would miss
	fails                                []string
	nFails                               int
}

func (s *encStats) fail(format string, args ...any) {
	s.nFails++
	if len(s.fails) < 8 {
		s.fails = append(s.fails, fmt.Sprintf(format, args...))
	}
}

// halfPiMultiples returns the integers k with k·π/2 in [lo, hi] (lo, hi
// finite), at most max of them, and whether there are more.
func halfPiMultiples(lo, hi *big.Float, max int) (ks []*big.Int, more bool) {
	p := uint(refPrec)
	if e := lo.MantExp(nil); e > 0 {
		p += uint(e)
	}
	if e := hi.MantExp(nil); e > 0 && uint(e)+refPrec > p {
		p = uint(e) + refPrec
	}
	tp := new(big.Float).SetPrec(p).Set(refK.twoOverPi)
	a := new(big.Float).SetPrec(p).Mul(lo, tp)
	b := new(big.Float).SetPrec(p).Mul(hi, tp)
	ka := ceilInt(a)
	kb := floorInt(b)
	for k := new(big.Int).Set(ka); k.Cmp(kb) <= 0; k.Add(k, big.NewInt(1)) {
		if len(ks) == max {
			return ks, true
		}
		ks = append(ks, new(big.Int).Set(k))
	}
	return ks, false
}

func floorInt(x *big.Float) *big.Int {
	i, acc := x.Int(nil)
	if x.Sign() < 0 && acc != big.Exact {
		i.Sub(i, big.NewInt(1))
	}
	return i
}

func ceilInt(x *big.Float) *big.Int {
	i, acc := x.Int(nil)
	if x.Sign() > 0 && acc != big.Exact {
		i.Add(i, big.NewInt(1))
	}
	return i
}

// checkApply checks one case of a one-argument function.
func (c *refCtx) checkApply(f Func, a Value, r *rand.Rand, st *encStats) {
	st.cases++
	got, err := intervalApply(f, a)
	lo, hi := exactEnds(a)
	// Does the exact interval leave the domain?
	var outside, nearPole bool
	one := big.NewFloat(1)
	switch f {
	case FuncSqrt:
		outside = lo.Sign() < 0
	case FuncLog, FuncLog2, FuncLog10:
		outside = lo.Sign() <= 0
	case FuncAsin, FuncAcos:
		outside = lo.Cmp(new(big.Float).Neg(one)) < 0 || hi.Cmp(one) > 0
	case FuncTan:
		if lo.IsInf() || hi.IsInf() {
			outside = true
			break
		}
		ks, more := halfPiMultiples(lo, hi, 8)
		outside = more
		for _, k := range ks {
			outside = outside || k.Bit(0) == 1
		}
		if L, H := ends(a); !outside && !math.IsInf(L, 0) && !math.IsInf(H, 0) { // a pole within one float of an end may be refused
			L, H = math.Max(math.Nextafter(L, math.Inf(-1)), -math.MaxFloat64), math.Min(math.Nextafter(H, math.Inf(1)), math.MaxFloat64)
			ks, _ := halfPiMultiples(big.NewFloat(L), big.NewFloat(H), 8)
			for _, k := range ks {
				nearPole = nearPole || k.Bit(0) == 1
			}
		}
	}
	desc := func() string { return fmt.Sprintf("%v(%s)", f, a.FormatFull()) }
	if err != nil {
		e, ok := AsError(err)
		switch {
		case !ok:
			st.fail("%s: non-structured error %v", desc(), err)
		case e.Code == CodeDomain && (outside || nearPole):
			st.domainErrs++
			if !outside {
				st.conservative++
			}
		case e.Code == CodeOverflow && !outside:
			// Allowed only when the exact result is at the edge of the
			// float range: some value, or the spread from f(n), ≥ 2^1023·(2 - 2^-30).
			if c.overflowJustified(f, a, r) {
				st.overflows++
			} else {
				st.fail("%s: overflow error, but the results are within range", desc())
			}
		default:
			st.fail("%s: unexpected error %v", desc(), err)
		}
		return
	}
	if outside {
		st.fail("%s = %s: expected a domain error", desc(), got.FormatFull())
		return
	}
	if math.IsNaN(got.n) || math.IsNaN(got.u) || math.IsInf(got.n, 0) || got.u < 0 {
		st.fail("%s: invalid result (%v, %v)", desc(), got.n, got.u)
		return
	}
	if math.IsInf(got.u, 1) && !math.IsInf(a.u, 1) {
		st.fail("%s: infinite u from a finite input", desc())
		return
	}
	rlo, rhi := exactEnds(got)
	// The points: the argument's, plus the critical points inside.
	var pts []point
	for _, x := range argPoints(a, r) {
		pts = append(pts, point{x: x})
	}
	switch f {
	case FuncSin, FuncCos:
		if lo.IsInf() || hi.IsInf() {
			pts = append(pts, point{v: one, label: "max"}, point{v: big.NewFloat(-1), label: "min"})
			break
		}
		ks, more := halfPiMultiples(lo, hi, 8)
		if more {
			pts = append(pts, point{v: one, label: "max"}, point{v: big.NewFloat(-1), label: "min"})
		}
		for _, k := range ks {
			q := new(big.Int).And(k, big.NewInt(3)).Int64()
			if f == FuncCos {
				q = (q + 1) & 3
			}
			v := [4]float64{0, 1, 0, -1}[q]
			pts = append(pts, point{v: big.NewFloat(v), label: "k·π/2, k=" + k.String()})
		}
	case FuncCosh, FuncAbs:
		if lo.Sign() <= 0 && hi.Sign() >= 0 {
			v := 1.0
			if f == FuncAbs {
				v = 0
			}
			pts = append(pts, point{v: big.NewFloat(v), label: "0"})
		}
	}
	// The hull package math would give without widening: f at the float
	// ends (and the critical values), to count what the widening catches.
	L, H := ends(a)
	raw := !math.IsInf(L, 0) && !math.IsInf(H, 0)
	var rawLo, rawHi float64
	if raw {
		y1, y2 := nominal(f, L), nominal(f, H)
		if f == FuncAsin || f == FuncAcos {
			y1, y2 = nominal(f, math.Max(L, -1)), nominal(f, math.Min(H, 1))
		}
		rawLo, rawHi = math.Min(y1, y2), math.Max(y1, y2)
		raw = !math.IsNaN(rawLo) && !math.IsNaN(rawHi)
	}
	rawMiss, ulpMiss := false, false
	if raw {
		for _, p := range pts {
			if p.v != nil {
				fv, _ := p.v.Float64()
				rawLo, rawHi = math.Min(rawLo, fv), math.Max(rawHi, fv)
			}
		}
	}
	rb1, rb2, rb3, rb4 := c.rawBounds(rawLo, rawHi)
	zero := new(big.Float)
	for _, p := range pts {
		v, eps := p.v, zero
		where := func() string { return p.label }
		var in func(lo, hi *big.Float) bool
		switch {
		case p.v != nil:
		case f == FuncSqrt: // checked exactly, by squares
			v, where = p.x, func() string { return "x = " + p.x.Text('g', 25) }
			in = func(lo, hi *big.Float) bool { return sqrtWithin(lo, hi, p.x) }
		default:
			var ok bool
			v, eps, ok = c.eval(f, p.x)
			if !ok {
				st.fail("%s: reference undefined at %s", desc(), p.x.Text('g', 20))
				return
			}
			where = func() string { return p.x.Text('g', 25) }
		}
		if in == nil {
			in = func(lo, hi *big.Float) bool { return c.within(lo, hi, v, eps) }
		}
		st.points++
		if !in(rlo, rhi) {
			st.fail("%s = %s misses %v(%s) = %s", desc(), got.FormatFull(), f, where(), v.Text('g', 30))
			return
		}
		if raw {
			rawMiss = rawMiss || !in(rb1, rb2)
			ulpMiss = ulpMiss || !in(rb3, rb4)
		}
	}
	if rawMiss {
		st.rawMiss++
	}
	if ulpMiss {
		st.ulpMiss++
	}
}

// rawBounds returns the unwidened hull [lo, hi] and the hull one float
// out, in the context's scratch space (valid until the next call).
func (c *refCtx) rawBounds(lo, hi float64) (l, h, l1, h1 *big.Float) {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		lo, hi = 0, 0
	}
	return c.r1.SetFloat64(lo), c.r2.SetFloat64(hi),
		c.r3.SetFloat64(math.Nextafter(lo, math.Inf(-1))), c.r4.SetFloat64(math.Nextafter(hi, math.Inf(1)))
}

// overflowJustified reports whether f reaches ≥ 2^1023·(2 - 2^-30) in
// magnitude, or that far from f(n), somewhere in a's interval (checked at
// the ends, where every function here is largest in magnitude).
func (c *refCtx) overflowJustified(f Func, a Value, r *rand.Rand) bool {
	limit := new(big.Float).SetFloat64(math.MaxFloat64 * (1 - 0x1p-30))
	vn, _, _ := c.eval(f, big.NewFloat(a.n))
	for _, x := range argPoints(a, r) {
		v, _, ok := c.eval(f, x)
		if !ok {
			continue
		}
		if new(big.Float).Abs(v).Cmp(limit) >= 0 { // (tested first: v may be 2^100000)
			return true
		}
		if e := v.MantExp(nil); e < -1100 || e > 1100 {
			continue // (a subtraction would shift by the exponent gap)
		}
		if d := new(big.Float).SetPrec(refPrec).Sub(v, vn); d.Abs(d).Cmp(limit) >= 0 {
			return true
		}
	}
	return false
}

// ---- generators ----

// nearHalfPi returns a float within a few ulps of k·π/2.
func nearHalfPi(k float64, r *rand.Rand) float64 {
	h := float64(k * pio2Hi)
	l := math.FMA(k, pio2Hi, -h) + k*pio2Lo
	x := h + l
	for j := r.IntN(7) - 3; j != 0; {
		if j > 0 {
			x, j = math.Nextafter(x, math.Inf(1)), j-1
		} else {
			x, j = math.Nextafter(x, math.Inf(-1)), j+1
		}
	}
	return x
}

func sign(r *rand.Rand, x float64) float64 {
	if r.IntN(2) == 0 {
		return -x
	}
	return x
}

// anyFloat draws from the whole float range, weighted to the awkward parts.
func anyFloat(r *rand.Rand) float64 {
	switch r.IntN(6) {
	case 0:
		return sign(r, math.Float64frombits(r.Uint64N(1<<53))) // subnormal or tiny
	case 1:
		return sign(r, math.Ldexp(1+r.Float64(), r.IntN(2046)-1074))
	case 2:
		return float64(r.IntN(41) - 20)
	}
	return sign(r, math.Ldexp(1+r.Float64(), r.IntN(60)-30))
}

// genArg draws a nominal for f: its everyday range, the edges of its
// domain, near-singular and near-critical points, tiny and huge values.
func genArg(f Func, r *rand.Rand) float64 {
	k := r.IntN(10)
	switch f {
	case FuncSqrt:
		switch k {
		case 0:
			return -anyFloat(r) * 1e-3
		case 1:
			return 0
		}
		return math.Abs(anyFloat(r))
	case FuncExp:
		switch k {
		case 0:
			return -745.2 + r.Float64()*40 // subnormal results
		case 1:
			return 709.78 - r.Float64()*2 // near overflow
		case 2:
			return anyFloat(r)
		}
		return r.Float64()*1450 - 740
	case FuncLog, FuncLog2, FuncLog10:
		switch k {
		case 0:
			return 1 + float64(r.IntN(200)-100)*0x1p-52 // near 1
		case 1:
			return math.Ldexp(1, r.IntN(2098)-1074) // powers of 2
		case 2:
			return pow10[r.IntN(len(pow10))]
		case 3:
			return -math.Abs(anyFloat(r))
		case 4:
			return 1 + sign(r, math.Ldexp(r.Float64(), -r.IntN(50)))
		}
		return math.Abs(anyFloat(r))
	case FuncSin, FuncCos, FuncTan:
		switch k {
		case 0, 1:
			return nearHalfPi(float64(r.IntN(2001)-1000), r)
		case 2:
			return nearHalfPi(math.Ldexp(float64(r.Int64N(1<<52)), r.IntN(8)), r)
		case 3:
			return sign(r, math.Ldexp(1+r.Float64(), r.IntN(1024))) // huge
		case 4:
			hard := [...]float64{6381956970095103 * 0x1p797, 5.319372648326541e255, 1e22, 0x1p1023, 355, 103993, 1.5707963267948966, 3.141592653589793, 0x1.921fb54442d18p+0, math.MaxFloat64}
			return sign(r, hard[r.IntN(len(hard))])
		case 5:
			return anyFloat(r)
		}
		return r.Float64()*20 - 10
	case FuncAsin, FuncAcos:
		switch k {
		case 0:
			return sign(r, 1-float64(r.IntN(100))*0x1p-53) // near ±1
		case 1:
			return sign(r, 1-math.Ldexp(r.Float64(), -r.IntN(52)))
		case 2:
			return anyFloat(r) * 1e-3
		case 3:
			return sign(r, 1+math.Ldexp(r.Float64(), -r.IntN(52))) // outside
		}
		return r.Float64()*2 - 1
	case FuncSinh, FuncCosh, FuncTanh:
		switch k {
		case 0:
			return sign(r, 709+r.Float64()*2) // around the edge of exp
		case 1, 2:
			return anyFloat(r)
		case 3:
			return sign(r, math.Ldexp(r.Float64(), -r.IntN(60)))
		}
		return r.Float64()*100 - 50
	}
	return anyFloat(r) // atan, abs
}

// genU draws an uncertainty for nominal n: zero, relative, wide (crossing
// zero or a domain edge), tiny absolute, a few ulps, any, huge, infinite.
func genU(n float64, r *rand.Rand) float64 {
	an := math.Abs(n)
	var u float64
	switch r.IntN(20) {
	case 0, 1, 2, 3:
		u = 0
	case 4, 5, 6, 7, 8:
		u = an * math.Ldexp(r.Float64(), -r.IntN(60))
	case 9, 10:
		u = an * r.Float64() * 2
	case 11, 12:
		u = math.Float64frombits(r.Uint64N(1 << 60))
	case 13, 14:
		u = float64(1+r.IntN(8)) * (math.Nextafter(an, math.Inf(1)) - an)
	case 15, 16:
		u = math.Ldexp(r.Float64(), r.IntN(120)-60)
	case 17:
		u = math.Ldexp(r.Float64(), r.IntN(1024))
	case 18:
		u = r.Float64() * 7 // around 2π wide
	default:
		if r.IntN(4) == 0 {
			u = math.Inf(1)
		} else {
			u = an * r.Float64() * 1e-3
		}
	}
	if math.IsNaN(u) || u < 0 {
		u = 0
	}
	return u
}

var allFuncs = []Func{FuncSqrt, FuncExp, FuncLog, FuncLog10, FuncLog2, FuncSin, FuncCos, FuncTan,
	FuncAsin, FuncAcos, FuncAtan, FuncSinh, FuncCosh, FuncTanh, FuncAbs}

var allFuncs2 = []Func2{Func2Pow, Func2Atan2, Func2Hypot, Func2Min, Func2Max}

func TestIntervalFuncEnclosure(t *testing.T) {
	t.Parallel()
	refInit()
	t.Logf("%d random cases per function (the native count is 100,000; under GOOS=js it is divided by %d)", encCases(), wasmDivisor)
	for _, f := range allFuncs {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			c := newRef()
			r := rand.New(rand.NewPCG(11, uint64(f)))
			var st encStats
			for i := 0; i < encCases(); i++ {
				n := genArg(f, r)
				c.checkApply(f, Value{n, genU(n, r)}, r, &st)
			}
			reportEnc(t, &st, time.Since(start))
		})
	}
}

func reportEnc(t *testing.T, st *encStats, d time.Duration) {
	t.Helper()
	t.Logf("%s: %d cases, %d points checked, %d domain errors (%d for a pole within a float of an end), %d overflows (justified), %d violations, in %v",
		t.Name(), st.cases, st.points, st.domainErrs, st.conservative, st.overflows, st.nFails, d.Round(time.Millisecond))
	t.Logf("without widening %d cases (%.1f%%) would miss the reference; with one ulp out %d (%.1f%%)",
		st.rawMiss, 100*float64(st.rawMiss)/float64(st.cases), st.ulpMiss, 100*float64(st.ulpMiss)/float64(st.cases))
	if st.nFails > 0 {
		t.Errorf("%d violations:\n%s", st.nFails, strings.Join(st.fails, "\n"))
	}
}

// checkApply2 checks one case of a two-argument function.
func (c *refCtx) checkApply2(f Func2, a, b Value, r *rand.Rand, st *encStats) {
	st.cases++
	got, err := intervalApply2(f, a, b)
	alo, ahi := exactEnds(a)
	blo, bhi := exactEnds(b)
	intExp := f == Func2Pow && isIntExp(b)
	containsZero := func(lo, hi *big.Float) bool { return lo.Sign() <= 0 && hi.Sign() >= 0 }
	var outside bool
	switch f {
	case Func2Pow:
		switch {
		case b.u == 0 && b.n == 0 || a.u == 0 && a.n == 1:
		case intExp:
			outside = b.n < 0 && containsZero(alo, ahi)
		default:
			outside = alo.Sign() <= 0
		}
	case Func2Atan2:
		outside = containsZero(alo, ahi) && containsZero(blo, bhi)
	}
	desc := func() string { return fmt.Sprintf("%v(%s, %s)", f, a.FormatFull(), b.FormatFull()) }
	if err != nil {
		e, ok := AsError(err)
		switch {
		case !ok:
			st.fail("%s: non-structured error %v", desc(), err)
		case e.Code == CodeDomain && outside:
			st.domainErrs++
		case e.Code == CodeOverflow && !outside:
			if c.overflowJustified2(f, a, b, intExp, r) {
				st.overflows++
			} else {
				st.fail("%s: overflow error, but the results are within range", desc())
			}
		default:
			st.fail("%s: unexpected error %v", desc(), err)
		}
		return
	}
	if outside {
		st.fail("%s = %s: expected a domain error", desc(), got.FormatFull())
		return
	}
	if math.IsNaN(got.n) || math.IsNaN(got.u) || math.IsInf(got.n, 0) || got.u < 0 {
		st.fail("%s: invalid result (%v, %v)", desc(), got.n, got.u)
		return
	}
	if math.IsInf(got.u, 1) && !math.IsInf(a.u, 1) && !math.IsInf(b.u, 1) {
		st.fail("%s: infinite u from finite inputs", desc())
		return
	}
	rlo, rhi := exactEnds(got)
	xs, ys := argPoints(a, r), argPoints(b, r)
	type pair struct{ x, y *big.Float }
	var pts []pair
	// The corners (the ends are the first two points when u is finite),
	// the nominal, an interior point.
	nx, ny := min(len(xs), 2), min(len(ys), 2)
	if len(xs) > 4 { // u = +Inf: the far points are 1 and 2
		nx = 3
	}
	if len(ys) > 4 {
		ny = 3
	}
	for i := 0; i < nx; i++ {
		for j := 0; j < ny; j++ {
			pts = append(pts, pair{xs[i], ys[j]})
		}
	}
	pts = append(pts, pair{big.NewFloat(a.n), big.NewFloat(b.n)}, pair{xs[len(xs)-1], ys[len(ys)-1]})
	zero := new(big.Float)
	var known []*big.Float // values attained inside, known exactly or by the reference
	switch f {
	case Func2Pow:
		if intExp && math.Mod(b.n, 2) == 0 && b.n > 0 && containsZero(alo, ahi) {
			known = append(known, zero)
		}
	case Func2Atan2: // across the negative x axis the angle π is attained at y = 0
		if containsZero(alo, ahi) && blo.Sign() < 0 {
			pts = append(pts, pair{zero, blo})
		}
	case Func2Hypot:
		if containsZero(alo, ahi) {
			for j := 0; j < ny; j++ {
				pts = append(pts, pair{zero, ys[j]})
			}
		}
		if containsZero(blo, bhi) {
			for i := 0; i < nx; i++ {
				pts = append(pts, pair{xs[i], zero})
			}
		}
	}
	// The hull of package math's values at the float corners, unwidened.
	aL, aH := ends(a)
	bL, bH := ends(b)
	raw := !math.IsInf(aL, 0) && !math.IsInf(aH, 0) && !math.IsInf(bL, 0) && !math.IsInf(bH, 0) &&
		!(f == Func2Atan2 && containsZero(alo, ahi) && blo.Sign() < 0)
	rawLo, rawHi := math.Inf(1), math.Inf(-1)
	if raw {
		for _, x := range [2]float64{aL, aH} {
			for _, y := range [2]float64{bL, bH} {
				v, _, _ := f.ValueDeriv(x, y)
				rawLo, rawHi = math.Min(rawLo, v), math.Max(rawHi, v)
			}
		}
		for _, v := range known {
			fv, _ := v.Float64()
			rawLo, rawHi = math.Min(rawLo, fv), math.Max(rawHi, fv)
		}
		if f == Func2Hypot { // the nearest point may lie on an axis
			xl, xh := absRange(a)
			yl, yh := absRange(b)
			rawLo, rawHi = math.Hypot(xl, yl), math.Hypot(xh, yh)
		}
		raw = !math.IsNaN(rawLo) && !math.IsNaN(rawHi)
	}
	rawMiss, ulpMiss := false, false
	rb1, rb2, rb3, rb4 := c.rawBounds(rawLo, rawHi)
	for _, v := range known {
		st.points++
		if !refWithin(rlo, rhi, v, zero) {
			st.fail("%s = %s misses the value %s attained inside", desc(), got.FormatFull(), v.Text('g', 20))
			return
		}
	}
	for _, p := range pts {
		st.points++
		var in func(lo, hi *big.Float) bool
		var v *big.Float
		if f == Func2Hypot {
			s := c.sumSquares(p.x, p.y)
			in, v = func(lo, hi *big.Float) bool { return sqrtWithin(lo, hi, s) }, s
		} else {
			var eps *big.Float
			var ok bool
			v, eps, ok = c.eval2(f, p.x, p.y, intExp)
			if !ok {
				st.fail("%s: reference undefined at (%s, %s)", desc(), p.x.Text('g', 20), p.y.Text('g', 20))
				return
			}
			in = func(lo, hi *big.Float) bool { return c.within(lo, hi, v, eps) }
		}
		if !in(rlo, rhi) {
			st.fail("%s = %s misses %v(%s, %s) = %s", desc(), got.FormatFull(), f, p.x.Text('g', 25), p.y.Text('g', 25), v.Text('g', 30))
			return
		}
		if raw {
			rawMiss = rawMiss || !in(rb1, rb2)
			ulpMiss = ulpMiss || !in(rb3, rb4)
		}
	}
	if rawMiss {
		st.rawMiss++
	}
	if ulpMiss {
		st.ulpMiss++
	}
}

// overflowJustified2 is overflowJustified for two arguments (at the
// corners and the nominal).
func (c *refCtx) overflowJustified2(f Func2, a, b Value, intExp bool, r *rand.Rand) bool {
	limit := new(big.Float).SetFloat64(math.MaxFloat64 * (1 - 0x1p-30))
	vn, _, _ := c.eval2(f, big.NewFloat(a.n), big.NewFloat(b.n), intExp)
	if f == Func2Hypot {
		s := c.sumSquares(big.NewFloat(a.n), big.NewFloat(b.n))
		if s.Cmp(new(big.Float).Mul(limit, limit)) >= 0 {
			return true
		}
	}
	for _, x := range argPoints(a, r) {
		for _, y := range argPoints(b, r) {
			var v *big.Float
			if f == Func2Hypot {
				s := c.sumSquares(x, y)
				if s.Cmp(new(big.Float).SetPrec(200).Mul(limit, limit)) >= 0 {
					return true
				}
				continue
			}
			v, _, ok := c.eval2(f, x, y, intExp)
			if !ok {
				continue
			}
			if new(big.Float).Abs(v).Cmp(limit) >= 0 {
				return true
			}
			if vn == nil {
				continue
			}
			if e := v.MantExp(nil); e < -1100 || e > 1100 {
				continue
			}
			if d := new(big.Float).SetPrec(refPrec).Sub(v, vn); d.Abs(d).Cmp(limit) >= 0 {
				return true
			}
		}
	}
	return false
}

// genArgs2 draws the two arguments of f.
func genArgs2(f Func2, r *rand.Rand) (a, b Value) {
	switch f {
	case Func2Pow:
		var x, y float64
		switch r.IntN(10) {
		case 0, 1, 2, 3:
			x = math.Exp(r.Float64()*14 - 7)
		case 4:
			x = 1 + sign(r, math.Ldexp(r.Float64(), -r.IntN(50)))
		case 5:
			x = anyFloat(r)
		case 6:
			x = -math.Exp(r.Float64()*6 - 3)
		case 7:
			x = 0
		case 8:
			x = math.Float64frombits(r.Uint64N(1 << 62))
		default:
			x = math.Ldexp(1+r.Float64(), 900+r.IntN(120))
		}
		a = Value{x, genU(x, r)}
		switch r.IntN(10) {
		case 0, 1, 2:
			y = float64(r.IntN(21) - 10)
		case 3:
			y = sign(r, float64(65+r.IntN(1000)))
		case 4:
			y = sign(r, float64(r.Int64N(1<<53)))
		case 5, 6, 7:
			y = r.Float64()*10 - 5
			b = Value{y, genU(y, r)}
			return a, b
		case 8:
			y = sign(r, math.Ldexp(r.Float64(), r.IntN(20)-10))
			b = Value{y, genU(y, r)}
			return a, b
		default:
			y = r.Float64()*4 - 2
		}
		return a, Value{y, 0}
	case Func2Atan2, Func2Hypot:
		g := func() float64 {
			switch r.IntN(5) {
			case 0:
				return 0
			case 1:
				return anyFloat(r)
			}
			return sign(r, math.Ldexp(1+r.Float64(), r.IntN(20)-10))
		}
		x, y := g(), g()
		return Value{x, genU(x, r)}, Value{y, genU(y, r)}
	}
	x := anyFloat(r)
	a = Value{x, genU(x, r)}
	y := anyFloat(r)
	if r.IntN(2) == 0 {
		y = x + (r.Float64()-0.5)*3*math.Min(a.u, 1e300)
	}
	return a, Value{y, genU(y, r)}
}

func TestIntervalFunc2Enclosure(t *testing.T) {
	t.Parallel()
	refInit()
	for _, f := range allFuncs2 {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			c := newRef()
			r := rand.New(rand.NewPCG(13, uint64(f)))
			var st encStats
			for i := 0; i < encCases(); i++ {
				a, b := genArgs2(f, r)
				c.checkApply2(f, a, b, r, &st)
			}
			reportEnc(t, &st, time.Since(start))
		})
	}
}

// ---- the stated error bounds of package math, measured ----

// boundCase is a float computation whose error the code states as rel·|y|
// + absFloor.
type boundCase struct {
	name string
	f    Func
	fn   func(float64) float64
	rel  float64
	gen  func(r *rand.Rand) float64
}

func quarterPi(r *rand.Rand) float64 {
	const q = math.Pi/4 + 0x1p-40
	switch r.IntN(4) {
	case 0:
		return sign(r, math.Ldexp(1+r.Float64(), -r.IntN(1000)))
	case 1:
		return sign(r, q-math.Ldexp(r.Float64(), -r.IntN(50)))
	}
	return (r.Float64()*2 - 1) * q
}

var boundCases = []boundCase{
	{"math.Exp", FuncExp, math.Exp, relExp, func(r *rand.Rand) float64 {
		switch r.IntN(4) {
		case 0:
			return -745.13 + r.Float64()*37 // subnormal results
		case 1:
			return sign(r, math.Ldexp(1+r.Float64(), -r.IntN(80)))
		}
		return r.Float64()*1450 - 745
	}},
	{"e^(x/2)·e^(x/2) beyond 709", FuncExp, expNom, relExpBig, func(r *rand.Rand) float64 { return 709 + r.Float64()*0.7827 }},
	{"math.Log", FuncLog, math.Log, relLog, func(r *rand.Rand) float64 {
		if r.IntN(3) == 0 {
			return 1 + sign(r, math.Ldexp(1+r.Float64(), -r.IntN(53)-1))
		}
		return math.Ldexp(1+r.Float64(), r.IntN(2046)-1022)
	}},
	{"ln of a subnormal (logNom)", FuncLog, logNom, relLog2, func(r *rand.Rand) float64 {
		return math.Float64frombits(1 + r.Uint64N(1<<52-1))
	}},
	{"log2 = Log·RN(1/ln 2)", FuncLog2, log2Nom, relLog2, func(r *rand.Rand) float64 {
		if r.IntN(3) == 0 {
			return 1 + sign(r, math.Ldexp(1+r.Float64(), -r.IntN(53)-1))
		}
		return math.Ldexp(1+r.Float64(), r.IntN(2046)-1022)
	}},
	{"log10 = Log·RN(1/ln 10)", FuncLog10, log10Nom, relLog2, func(r *rand.Rand) float64 {
		if r.IntN(3) == 0 {
			return 1 + sign(r, math.Ldexp(1+r.Float64(), -r.IntN(53)-1))
		}
		return math.Ldexp(1+r.Float64(), r.IntN(2046)-1022)
	}},
	{"math.Sin on |r| ≤ π/4", FuncSin, math.Sin, relSinCos, quarterPi},
	{"math.Cos on |r| ≤ π/4", FuncCos, math.Cos, relSinCos, quarterPi},
	{"Sin/Cos on |r| ≤ π/4", FuncTan, func(x float64) float64 { return math.Sin(x) / math.Cos(x) }, relTan, quarterPi},
	{"math.Atan", FuncAtan, math.Atan, relAtan, anyFloat},
	{"asin = atan(x/√((1-x)(1+x)))", FuncAsin, asinNom, relAsin, func(r *rand.Rand) float64 {
		if r.IntN(3) == 0 {
			return sign(r, 1-math.Ldexp(1+r.Float64(), -r.IntN(52)-2))
		}
		return r.Float64()*2 - 1
	}},
	{"acos = 2·atan(√((1-x)/(1+x)))", FuncAcos, acosNom, relAcos, func(r *rand.Rand) float64 {
		if r.IntN(3) == 0 {
			return sign(r, 1-math.Ldexp(1+r.Float64(), -r.IntN(52)-2))
		}
		return r.Float64()*2 - 1
	}},
	{"sinh (math.Sinh; e^(x/2)² beyond 709)", FuncSinh, sinhNom, relSinh, func(r *rand.Rand) float64 {
		switch r.IntN(3) {
		case 0:
			return sign(r, math.Ldexp(1+r.Float64(), -r.IntN(60)))
		case 1:
			return sign(r, 0.4+r.Float64()*2)
		}
		return r.Float64()*1420 - 710
	}},
	{"cosh (math.Cosh; e^(x/2)² beyond 709)", FuncCosh, coshNom, relCosh, func(r *rand.Rand) float64 {
		if r.IntN(3) == 0 {
			return sign(r, math.Ldexp(1+r.Float64(), -r.IntN(60)))
		}
		return r.Float64()*1420 - 710
	}},
	{"math.Tanh", FuncTanh, math.Tanh, relTanh, func(r *rand.Rand) float64 {
		if r.IntN(3) == 0 {
			return sign(r, math.Ldexp(1+r.Float64(), -r.IntN(60)))
		}
		return r.Float64()*60 - 30
	}},
}

// TestMathErrorBounds measures each stated bound: the largest error seen
// over 30,000 points (a tenth under GOOS=js) must stay within it. The log
// gives the largest relative error in units of 2^-52.
func TestMathErrorBounds(t *testing.T) {
	t.Parallel()
	refInit()
	for i, bc := range boundCases {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			c := newRef()
			r := rand.New(rand.NewPCG(17, uint64(i)))
			worst, worstX := 0.0, 0.0
			n := 30_000 / wasmDivisor
			for i := 0; i < n; i++ {
				x := bc.gen(r)
				y := bc.fn(x)
				v, eps, ok := c.eval(bc.f, big.NewFloat(x))
				if !ok || math.IsInf(y, 0) {
					continue
				}
				// |y - v| + eps ≤ rel·|y| + absFloor?
				d := new(big.Float).SetPrec(refPrec).Sub(big.NewFloat(y), v)
				d.Abs(d).Add(d, eps)
				allowed := new(big.Float).SetPrec(refPrec).Mul(big.NewFloat(math.Abs(y)), big.NewFloat(bc.rel))
				allowed.Add(allowed, big.NewFloat(absFloor))
				if d.Cmp(allowed) > 0 {
					t.Errorf("%s(%v) = %v, reference %s: error %s exceeds the stated bound", bc.name, x, y, v.Text('g', 25), d.Text('g', 5))
				}
				if y != 0 && math.Abs(y) >= 0x1p-1022 {
					e, _ := new(big.Float).Quo(d, big.NewFloat(math.Abs(y)*ulp52)).Float64()
					if e > worst {
						worst, worstX = e, x
					}
				}
			}
			t.Logf("%s: %d points, largest error %.3f units of 2^-52·|y| (at x = %v); stated bound %.0f units + 2^-1072",
				bc.name, n, worst, worstX, bc.rel/ulp52)
		})
	}
}

// TestReduce checks the argument reduction against the reference: the
// same k mod 8, and the exact r within [r0 - rerr, r0 + rerr].
func TestReduce(t *testing.T) {
	t.Parallel()
	c := newRef()
	r := rand.New(rand.NewPCG(19, 1))
	hard := []float64{6381956970095103 * 0x1p797, 5.319372648326541e255, 0x1.921fb54442d18p+0, math.Pi, 2 * math.Pi,
		1e22, math.MaxFloat64, 0.78, 0.7853981633974483, 0.7853981633974484, 2.356194490192345, 1e300, 0x1p1023}
	n := 30_000 / wasmDivisor
	worst := 0.0
	for i := 0; i < n+len(hard); i++ {
		var x float64
		if i < len(hard) {
			x = hard[i]
		} else {
			switch r.IntN(4) {
			case 0:
				x = nearHalfPi(float64(r.IntN(2_000_001)-1_000_000), r)
			case 1:
				x = math.Ldexp(1+r.Float64(), r.IntN(1024))
			default:
				x = r.Float64() * 100
			}
			x = sign(r, x)
		}
		k, r0, rerr := reduce(x)
		kr, rr := c.reduceRef(new(big.Float).Abs(big.NewFloat(x)))
		if x < 0 {
			kr = (8 - kr) & 7
			rr.Neg(rr)
		}
		if math.Abs(x) < 0.78 {
			kr, rr = 0, big.NewFloat(x)
		}
		if uint(k) != kr {
			t.Errorf("reduce(%v): k = %d, reference %d (r0 = %v, r = %s)", x, k, kr, r0, rr.Text('g', 20))
			continue
		}
		d := new(big.Float).SetPrec(refPrec).Sub(rr, big.NewFloat(r0))
		d.Abs(d)
		if d.Cmp(big.NewFloat(rerr)) > 0 {
			t.Errorf("reduce(%v): r = %s is not within %v ± %v", x, rr.Text('g', 30), r0, rerr)
		}
		if r0 != 0 {
			e, _ := new(big.Float).Quo(d, big.NewFloat(math.Abs(r0)*ulp52)).Float64()
			worst = math.Max(worst, e)
		}
	}
	t.Logf("%d arguments: largest |r - r0| = %.3f units of 2^-52·|r0| (rerr allows 0.5 + 2^-44)", n+len(hard), worst)
}

// TestReferenceConstants checks the reference against digits known
// independently, and the package's constants against the reference.
func TestReferenceConstants(t *testing.T) {
	c := newRef()
	// check compares v with a decimal string correct to sig significant
	// digits (the reference must agree to 10^-sig relative).
	check := func(name string, v *big.Float, digits string, sig int) {
		t.Helper()
		want, _, err := big.ParseFloat(digits, 10, refPrec, big.ToNearestEven)
		if err != nil {
			t.Fatal(err)
		}
		d := new(big.Float).SetPrec(refPrec).Sub(v, want)
		d.Quo(d.Abs(d), new(big.Float).Abs(want))
		tol, _, _ := big.ParseFloat("1e-"+strconv.Itoa(sig), 10, 64, big.ToNearestEven)
		if d.Cmp(tol) > 0 {
			t.Errorf("%s = %s, want %s", name, v.Text('g', 60), digits)
		}
	}
	const piDigits = "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798"
	check("π", refK.pi, piDigits, 90)
	e, _ := c.refExp(big.NewFloat(1))
	a, _, _ := c.eval(FuncAtan, big.NewFloat(1))
	check("4·atan 1", a.SetMantExp(a, 2), piDigits, 70)
	data, err := os.ReadFile("testdata/funcs_known.txt")
	if err != nil {
		t.Fatal(err)
	}
	known := 0
	defer func() {
		if known < 10 {
			t.Errorf("testdata/funcs_known.txt: %d values checked, want 10", known)
		}
	}()
	for _, line := range strings.Split(string(data), "\n") {
		fs := strings.Fields(line)
		if len(fs) == 0 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		f, ok := FuncByName(fs[0])
		x, err := strconv.ParseFloat(fs[1], 64)
		if !ok || err != nil || len(fs) != 3 {
			t.Fatalf("testdata: bad line %q", line)
		}
		v, _, _ := c.eval(f, big.NewFloat(x))
		check(fs[0]+" "+fs[1], v, fs[2], len(strings.TrimLeft(fs[2], "-0."))-2)
		known++
	}

	// twoOverPi holds the bits of 2/π.
	tp := new(big.Float).SetPrec(refPiBits).Set(refK.twoOverPi)
	for i, w := range twoOverPi {
		tp.SetMantExp(tp, 64)
		wi, _ := tp.Int(nil)
		if wi.Uint64() != w {
			t.Fatalf("twoOverPi[%d] = %#x, want %#x", i, w, wi.Uint64())
		}
		tp.Sub(tp, new(big.Float).SetInt(wi))
	}
	// pio2Hi + pio2Lo is π/2 within 2^-107.
	d := new(big.Float).SetPrec(refPiBits).Sub(refK.pio2, big.NewFloat(pio2Hi))
	d.Sub(d, big.NewFloat(pio2Lo)).Abs(d)
	if d.Cmp(new(big.Float).SetMantExp(big.NewFloat(1), -107)) > 0 {
		t.Errorf("|π/2 - pio2Hi - pio2Lo| = %s", d.Text('g', 5))
	}
	// Pi and E in interval mode: the smallest u that encloses the constant.
	for _, k := range []struct {
		name string
		v    Value
		real *big.Float
	}{{"Pi", Pi(ModeInterval), refK.pi}, {"E", E(ModeInterval), e}} {
		lo, hi := exactEnds(k.v)
		if lo.Cmp(k.real) > 0 || hi.Cmp(k.real) < 0 {
			t.Errorf("%s(interval) = %s does not enclose the constant", k.name, k.v.FormatFull())
		}
		smaller := Value{k.v.n, math.Nextafter(k.v.u, 0)}
		lo, hi = exactEnds(smaller)
		if lo.Cmp(k.real) <= 0 && hi.Cmp(k.real) >= 0 {
			t.Errorf("%s(interval): a smaller u %v still encloses the constant", k.name, smaller.u)
		}
	}
	// The reference agrees with itself: identities at random points, to 2^-200.
	r := rand.New(rand.NewPCG(23, 1))
	tol := new(big.Float).SetMantExp(big.NewFloat(1), -200)
	for i := 0; i < 200; i++ {
		x := big.NewFloat(math.Ldexp(1+r.Float64(), r.IntN(40)-20))
		l, _, _ := c.eval(FuncLog, x)
		ex, _, _ := c.eval(FuncExp, l)
		rel := new(big.Float).SetPrec(refPrec).Sub(ex, x)
		rel.Quo(rel.Abs(rel), x)
		sn, _, _ := c.eval(FuncSin, x)
		cs, _, _ := c.eval(FuncCos, x)
		one := new(big.Float).SetPrec(refPrec).Mul(sn, sn)
		one.Add(one, new(big.Float).SetPrec(refPrec).Mul(cs, cs)).Sub(one, big.NewFloat(1)).Abs(one)
		if rel.Cmp(tol) > 0 || one.Cmp(tol) > 0 {
			t.Fatalf("reference identities fail at %s: exp(ln x)/x - 1 = %s, sin² + cos² - 1 = %s", x.Text('g', 20), rel.Text('g', 5), one.Text('g', 5))
		}
	}
}

// ---- the reference ----

// A high-precision reference for the elementary functions, in math/big, for
// the enclosure and error-bound tests (ifuncs_test.go). Arguments are exact
// (any big.Float); results carry at least 240 correct bits (the tests allow
// them 2^-200 relative), and are flagged exact where the value is known
// exactly (exp(0) = 1, ln(1) = 0, 2^3 = 8, ...).
//
// Arguments are reduced in big.Float (exactly where it matters: x - k·π/2
// with π to 2600 bits, 1 - x for asin near 1, m - 1 for ln near 1) and the
// power series run in 256-bit fixed point (big.Int), which is several times
// faster than big.Float: every series is base·P(t) with P(t) ≈ 1, so fixed
// point keeps relative precision even for tiny arguments.

const (
	refFix    = 248  // fraction bits of the fixed-point series (four words)
	refPrec   = 320  // big.Float working precision
	refPiBits = 2600 // bits of π, 2/π: reduction of |x| up to 2^1100
	exactPrec = 2400 // holds n ± u exactly for any float64 n, u
)

var (
	refOnce sync.Once
	refK    struct {
		pi, pio2, twoOverPi    *big.Float // refPiBits
		ln2, invLn2, invLn10   *big.Float // refPrec + 64
		expTab                 [25]*big.Float
		atanTab                [65]*big.Float
		lnTab, invCTab         [113]*big.Float // c_j = 1 + (j-40)/128
		cExp, cSin, cCos, cSh  refSeries
		cAtan, cAtanh          refSeries
		huge, tiny, half, one_ *big.Float
		two, three, q3         *big.Float
	}
)

// refSeries holds fixed-point coefficients c_n and -log2|c_n|.
type refSeries struct {
	c  []*big.Int
	lb []float64
}

func newSeries(n int, coef func(k int) *big.Float) refSeries {
	s := refSeries{c: make([]*big.Int, n), lb: make([]float64, n)}
	for k := 0; k < n; k++ {
		v := coef(k)
		z := new(big.Float).SetPrec(refFix+64).SetMantExp(v, refFix)
		s.c[k], _ = z.Int(nil)
		f, _ := new(big.Float).Abs(v).Float64()
		s.lb[k] = -math.Log2(f)
	}
	return s
}

func bf(prec uint) *big.Float { return new(big.Float).SetPrec(prec) }

// slowAtanh returns atanh(z) = Σ z^(2k+1)/(2k+1) in big.Float (for the
// constants only).
func slowAtanh(z *big.Float, prec uint) *big.Float {
	z2 := bf(prec).Mul(z, z)
	term := bf(prec).Set(z)
	sum := bf(prec)
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -int(prec)-20)
	for k := int64(0); term.Sign() != 0 && new(big.Float).Abs(term).Cmp(eps) > 0; k++ {
		sum.Add(sum, bf(prec).Quo(term, new(big.Float).SetInt64(2*k+1)))
		term.Mul(term, z2)
	}
	return sum
}

// slowAtan returns atan(x) for 0 ≤ x ≤ 1 by two argument halvings and the
// Taylor series (for the constants only).
func slowAtan(x *big.Float, prec uint) *big.Float {
	t := bf(prec).Set(x)
	for i := 0; i < 2; i++ { // atan t = 2·atan(t/(1 + √(1 + t²)))
		s := bf(prec).Mul(t, t)
		s.Add(s, big.NewFloat(1)).Sqrt(s).Add(s, big.NewFloat(1))
		t.Quo(t, s)
	}
	t2 := bf(prec).Mul(t, t)
	term := bf(prec).Set(t)
	sum := bf(prec)
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -int(prec)-20)
	for k := int64(0); term.Sign() != 0 && new(big.Float).Abs(term).Cmp(eps) > 0; k++ {
		q := bf(prec).Quo(term, new(big.Float).SetInt64(2*k+1))
		if k%2 == 0 {
			sum.Add(sum, q)
		} else {
			sum.Sub(sum, q)
		}
		term.Mul(term, t2)
	}
	return sum.SetMantExp(sum, 2)
}

func slowExp(x *big.Float, prec uint) *big.Float {
	sum := bf(prec).SetInt64(1)
	term := bf(prec).SetInt64(1)
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -int(prec)-20)
	for k := int64(1); new(big.Float).Abs(term).Cmp(eps) > 0; k++ {
		term.Mul(term, x).Quo(term, new(big.Float).SetInt64(k))
		sum.Add(sum, term)
	}
	return sum
}

func refInit() {
	refOnce.Do(func() {
		const p = refPiBits + 64
		// Machin: π = 16·atan(1/5) - 4·atan(1/239).
		pi := bf(p).Mul(big.NewFloat(16), atanInv(5, p))
		pi.Sub(pi, bf(p).Mul(big.NewFloat(4), atanInv(239, p)))
		refK.pi = bf(refPiBits).Set(pi)
		refK.pio2 = bf(refPiBits).Quo(pi, big.NewFloat(2))
		refK.twoOverPi = bf(refPiBits).Quo(big.NewFloat(2), pi)

		const q = refPrec + 64
		ln2 := slowAtanh(bf(q).Quo(big.NewFloat(1), big.NewFloat(3)), q)
		ln2.SetMantExp(ln2, 1) // 2·atanh(1/3)
		refK.ln2 = ln2
		refK.invLn2 = bf(q).Quo(big.NewFloat(1), ln2)
		ln10 := slowAtanh(bf(q).Quo(big.NewFloat(1), big.NewFloat(9)), q)
		ln10.SetMantExp(ln10, 1).Add(ln10, bf(q).Mul(big.NewFloat(3), ln2)) // ln 10 = 3 ln 2 + ln 1.25
		refK.invLn10 = bf(q).Quo(big.NewFloat(1), ln10)
		for j := range refK.expTab {
			refK.expTab[j] = slowExp(bf(q).SetFloat64(float64(j-12)/32), q)
		}
		for j := range refK.atanTab {
			refK.atanTab[j] = slowAtan(bf(q).SetFloat64(float64(j)/64), q)
		}
		for j := range refK.lnTab {
			c := bf(q).SetFloat64(1 + float64(j-40)/128)
			refK.invCTab[j] = bf(q).Quo(big.NewFloat(1), c)
			z := bf(q).Quo(bf(q).Sub(c, big.NewFloat(1)), bf(q).Add(c, big.NewFloat(1)))
			l := slowAtanh(z, q)
			refK.lnTab[j] = l.SetMantExp(l, 1)
		}
		fact := func(n int) *big.Float {
			f := new(big.Int).MulRange(1, int64(n))
			if n == 0 {
				f.SetInt64(1)
			}
			return bf(q).SetInt(f)
		}
		inv := func(d *big.Float, neg bool) *big.Float {
			v := bf(q).Quo(big.NewFloat(1), d)
			if neg {
				v.Neg(v)
			}
			return v
		}
		refK.cExp = newSeries(60, func(k int) *big.Float { return inv(fact(k+1), false) })
		refK.cSin = newSeries(40, func(k int) *big.Float { return inv(fact(2*k+1), k%2 == 1) })
		refK.cCos = newSeries(40, func(k int) *big.Float { return inv(fact(2*k), k%2 == 1) })
		refK.cSh = newSeries(40, func(k int) *big.Float { return inv(fact(2*k+1), false) })
		refK.cAtan = newSeries(60, func(k int) *big.Float { return inv(bf(q).SetInt64(int64(2*k+1)), k%2 == 1) })
		refK.cAtanh = newSeries(60, func(k int) *big.Float { return inv(bf(q).SetInt64(int64(2*k+1)), false) })
		refK.huge = new(big.Float).SetMantExp(big.NewFloat(1), 100000)
		refK.tiny = new(big.Float).SetMantExp(big.NewFloat(1), -100000)
		refK.half = big.NewFloat(0.5)
		refK.one_ = big.NewFloat(1)
		refK.two = big.NewFloat(2)
		refK.three = big.NewFloat(3)
		refK.q3 = big.NewFloat(0.75)
	})
}

// atanInv returns atan(1/n) = Σ (-1)^k / ((2k+1) n^(2k+1)).
func atanInv(n int64, prec uint) *big.Float {
	x := bf(prec).Quo(big.NewFloat(1), bf(prec).SetInt64(n))
	x2 := bf(prec).Mul(x, x)
	sum := bf(prec)
	term := bf(prec).Set(x)
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -int(prec)-20)
	for k := int64(0); term.Cmp(eps) > 0; k++ {
		t := bf(prec).Quo(term, bf(prec).SetInt64(2*k+1))
		if k%2 == 0 {
			sum.Add(sum, t)
		} else {
			sum.Sub(sum, t)
		}
		term.Mul(term, x2)
	}
	return sum
}

// refCtx holds scratch space; one per goroutine. eps, when a function
// sets it, is a tighter absolute error bound than the default.
type refCtx struct {
	fs  []*big.Float
	is  []*big.Int
	ft  int
	it  int
	acc *big.Int
	eps *big.Float
	// scratch of within and of the raw-hull checks
	wa, wb, r1, r2, r3, r4 big.Float
}

// eval returns f(x) with an absolute error bound eps (0 when exact; by
// default 2^-200·|v|, which the reference beats by 2^40), and ok = false
// outside the domain. x is exact.
func (c *refCtx) eval(f Func, x *big.Float) (v, eps *big.Float, ok bool) {
	c.eps = nil
	v, exact, ok := c.evalRaw(f, x)
	return v, c.bound(v, exact), ok
}

// eval2 is eval for functions of two arguments.
func (c *refCtx) eval2(f Func2, x, y *big.Float, intExp bool) (v, eps *big.Float, ok bool) {
	c.eps = nil
	v, exact, ok := c.eval2Raw(f, x, y, intExp)
	return v, c.bound(v, exact), ok
}

func (c *refCtx) bound(v *big.Float, exact bool) *big.Float {
	switch {
	case v == nil || exact:
		return new(big.Float)
	case c.eps != nil:
		return c.eps
	}
	m := new(big.Float).SetPrec(refPrec).Abs(v)
	return m.SetMantExp(m, -200)
}

// nearOne returns s·(1 + d) (s = ±1) exactly, and sets the error bound to
// |d|·2^-200, for a d known to relative precision: cos and sin near ±1,
// cosh near 1, tanh near ±1.
func (c *refCtx) nearOne(sgn int, d *big.Float) *big.Float {
	p := uint(refPrec)
	if e := d.MantExp(nil); e < 0 {
		p += uint(-e)
	}
	v := new(big.Float).SetPrec(p).Add(refK.one_, d)
	if sgn < 0 {
		v.Neg(v)
	}
	m := new(big.Float).SetPrec(refPrec).Abs(d)
	c.eps = m.SetMantExp(m, -200)
	return v
}

func newRef() *refCtx {
	refInit()
	return &refCtx{acc: new(big.Int)}
}

func (c *refCtx) mark() (int, int) { return c.ft, c.it }
func (c *refCtx) reset(f, i int)   { c.ft, c.it = f, i }

func (c *refCtx) f(prec uint) *big.Float {
	if c.ft == len(c.fs) {
		c.fs = append(c.fs, new(big.Float))
	}
	z := c.fs[c.ft]
	c.ft++
	z.SetPrec(0) // drop the old value without rounding work
	return z.SetPrec(prec).SetMode(big.ToNearestEven)
}

func (c *refCtx) i() *big.Int {
	if c.it == len(c.is) {
		c.is = append(c.is, new(big.Int))
	}
	z := c.is[c.it]
	c.it++
	return z
}

// fix returns trunc(x·2^refFix) for |x| < 2.
func (c *refCtx) fix(x *big.Float) *big.Int {
	t := c.f(refPrec+64).SetMantExp(x, refFix)
	z, _ := t.Int(c.i())
	return z
}

// unfix returns z·2^-refFix as a big.Float of prec refPrec (not from the pool).
func unfix(z *big.Int) *big.Float {
	f := bf(refPrec).SetInt(z)
	return f.SetMantExp(f, -refFix)
}

// series evaluates Σ c_n t^n in fixed point for a fixed-point t, taking
// terms until |t|^n·|c_n| < 2^-(refFix+8); each has a ratio below 1/2 to
// the previous one in every use here, so the tail is below 2^-(refFix+7).
func (c *refCtx) series(s refSeries, t *big.Int) *big.Int {
	tb := float64(t.BitLen() - refFix) // |t| < 2^tb
	if t.Sign() == 0 {
		tb = -1e9
	}
	n := 0
	for n < len(s.c)-1 && float64(n)*tb-s.lb[n] > -(refFix+8) {
		n++
	}
	if n == len(s.c)-1 {
		panic("reference series too short")
	}
	acc, tmp := c.i().Set(s.c[n]), c.i()
	for k := n - 1; k >= 0; k-- {
		tmp.Mul(acc, t) // not in place: an aliased Mul allocates
		acc.Rsh(tmp, refFix)
		acc.Add(acc, s.c[k])
	}
	return acc
}

// mulSeries returns base·P(t) where P is a series and t = base² (odd) or
// t = base.
func (c *refCtx) mulSeries(s refSeries, base *big.Float, square bool) *big.Float {
	fm, im := c.mark()
	defer c.reset(fm, im)
	t := base
	if square {
		t = c.f(refPrec).Mul(base, base)
	}
	p := unfix(c.series(s, c.fix(t)))
	return p.Mul(p, base)
}

// ---- the functions ----

// refExp returns e^x. Beyond ±2^12 it returns 2^(±100000): far outside
// float64 either way.
func (c *refCtx) refExp(x *big.Float) (*big.Float, bool) {
	if x.Sign() == 0 {
		return big.NewFloat(1), true
	}
	if x.IsInf() || x.MantExp(nil) > 12 {
		if x.Sign() > 0 {
			return bf(refPrec).Set(refK.huge), false
		}
		return bf(refPrec).Set(refK.tiny), false
	}
	fm, im := c.mark()
	defer c.reset(fm, im)
	// x = k·ln2 + j/32 + r, |r| ≤ 1/64 + tiny.
	kf := c.f(refPrec).Mul(x, refK.invLn2)
	k, _ := kf.Float64()
	kk := math.Round(k)
	r := c.f(refPrec+64).Mul(c.f(refPrec+64).SetFloat64(kk), refK.ln2)
	r.Sub(x, r)
	rf, _ := r.Float64()
	j := int(math.Round(rf * 32))
	r.Sub(r, c.f(64).SetFloat64(float64(j)/32))
	a := c.mulSeries(refK.cExp, r, false) // e^r - 1
	v := bf(refPrec).Set(refK.expTab[j+12])
	v.Add(v, a.Mul(a, refK.expTab[j+12]))
	return v.SetMantExp(v, int(kk)), false
}

// refLog returns ln x for x > 0.
func (c *refCtx) refLog(x *big.Float) (*big.Float, bool) {
	if x.IsInf() {
		return bf(refPrec).Set(refK.huge), false
	}
	fm, im := c.mark()
	defer c.reset(fm, im)
	m := c.f(exactPrec + 64)
	e := x.MantExp(m) // x = m·2^e, m ∈ [0.5, 1)
	if m.Cmp(refK.q3) < 0 {
		m.SetMantExp(m, 1)
		e--
	} // m ∈ [0.75, 1.5)
	if e == 0 && m.Cmp(refK.one_) == 0 {
		return bf(refPrec), true
	}
	mf, _ := m.Float64()
	j := int(math.Round((mf - 1) * 128))
	var d *big.Float
	if j == 0 {
		d = c.f(exactPrec+64).Sub(m, refK.one_) // exact
	} else {
		d = c.f(refPrec+64).Mul(m, refK.invCTab[j+40])
		d.Sub(d, refK.one_)
	}
	// ln(1 + d) = 2·atanh(d/(2 + d)), |d| ≤ 2^-8.
	z := c.f(refPrec).Quo(d, c.f(refPrec).Add(d, refK.two))
	v := c.mulSeries(refK.cAtanh, z, true)
	v.SetMantExp(v, 1)
	v.Add(v, refK.lnTab[j+40])
	if e != 0 {
		v.Add(v, c.f(refPrec+64).Mul(c.f(64).SetInt64(int64(e)), refK.ln2))
	}
	return v, false
}

// reduceRef returns k mod 8 and r with |x| = k·π/2 + r, |r| ≤ π/4.
func (c *refCtx) reduceRef(ax *big.Float) (uint, *big.Float) {
	fm, im := c.mark()
	defer c.reset(fm, im)
	e := ax.MantExp(nil)
	if e < 0 {
		e = 0
	}
	p := uint(e) + 360
	y := c.f(p).Mul(c.f(p).Set(ax), c.f(p).Set(refK.twoOverPi))
	kf := c.f(p).Add(y, refK.half)
	ki, _ := kf.Int(c.i())
	f := c.f(p).Sub(y, c.f(p).SetInt(ki))
	r := bf(refPrec).Mul(f, c.f(refPrec+64).Set(refK.pio2))
	var k uint
	if w := ki.Bits(); len(w) > 0 {
		k = uint(w[0] & 7)
	}
	return k, r
}

// refSinCos returns sin x (cos: shift 1).
func (c *refCtx) refSinCos(x *big.Float, shift uint) (*big.Float, bool) {
	if x.Sign() == 0 {
		if shift == 1 {
			return big.NewFloat(1), true
		}
		return bf(refPrec), true
	}
	ax := new(big.Float).Abs(x)
	k, r := c.reduceRef(ax)
	neg := x.Sign() < 0 && shift == 0 // sin is odd, cos even
	k = (k + shift) & 3
	var v *big.Float
	if k >= 2 {
		neg = !neg
	}
	if k&1 == 0 {
		v = c.mulSeries(refK.cSin, r, true)
	} else if r.MantExp(nil) < -8 { // cos r = 1 - 2·sin²(r/2), near 1
		h := new(big.Float).SetMantExp(r, -1)
		s := c.mulSeries(refK.cSin, h, true)
		s.Mul(s, s)
		s.SetMantExp(s, 1).Neg(s)
		sg := 1
		if neg {
			sg = -1
		}
		return c.nearOne(sg, s), false
	} else {
		v = c.cosR(r)
	}
	if neg {
		v.Neg(v)
	}
	return v, false
}

func (c *refCtx) cosR(r *big.Float) *big.Float {
	fm, im := c.mark()
	defer c.reset(fm, im)
	t := c.f(refPrec).Mul(r, r)
	return unfix(c.series(refK.cCos, c.fix(t)))
}

func (c *refCtx) refTan(x *big.Float) (*big.Float, bool) {
	if x.Sign() == 0 {
		return bf(refPrec), true
	}
	ax := new(big.Float).Abs(x)
	k, r := c.reduceRef(ax)
	s := c.mulSeries(refK.cSin, r, true)
	co := c.cosR(r)
	var v *big.Float
	if k&1 == 0 {
		v = s.Quo(s, co)
	} else {
		v = co.Quo(co, s)
		v.Neg(v)
	}
	if x.Sign() < 0 {
		v.Neg(v)
	}
	return v, false
}

// refAtan returns atan x.
func (c *refCtx) refAtan(x *big.Float) (*big.Float, bool) {
	if x.Sign() == 0 {
		return bf(refPrec), true
	}
	if x.IsInf() {
		v := bf(refPrec).Set(refK.pio2)
		if x.Sign() < 0 {
			v.Neg(v)
		}
		return v, false
	}
	fm, im := c.mark()
	defer c.reset(fm, im)
	t := c.f(refPrec + 64).Abs(x)
	inv := t.Cmp(refK.one_) > 0
	if inv {
		t.Quo(refK.one_, t)
	}
	tf, _ := t.Float64()
	j := int(math.Round(tf * 64))
	// atan t = atan c + atan((t - c)/(1 + t·c)), c = j/64.
	cj := c.f(64).SetFloat64(float64(j) / 64)
	num := c.f(refPrec+64).Sub(t, cj)
	den := c.f(refPrec+64).Mul(t, cj)
	den.Add(den, refK.one_)
	d := c.f(refPrec+64).Quo(num, den)
	v := bf(refPrec + 64)
	if d.Sign() != 0 {
		v = c.mulSeries(refK.cAtan, d, true)
		v.SetPrec(refPrec + 64)
	}
	v.Add(v, refK.atanTab[j])
	if inv {
		v.Sub(c.f(refPrec+64).Set(refK.pio2), v)
	}
	if x.Sign() < 0 {
		v.Neg(v)
	}
	return v.SetPrec(refPrec), false
}

// rsqrt returns 1/√a for a > 0 by Newton's iteration from the float64
// estimate (quadratic: 53 → 106 → 212 → 424 bits).
func (c *refCtx) rsqrt(a *big.Float) *big.Float {
	fm, im := c.mark()
	defer c.reset(fm, im)
	m := c.f(refPrec + 64)
	e := a.MantExp(m)
	if e%2 != 0 {
		m.SetMantExp(m, 1)
		e--
	} // a = m·2^e, e even, m ∈ [0.5, 2)
	mf, _ := m.Float64()
	y := bf(refPrec + 64).SetFloat64(1 / math.Sqrt(mf))
	t, t2 := c.f(refPrec+64), c.f(refPrec+64)
	for i := 0; i < 3; i++ { // y ← y·(3 - m·y²)/2
		t.Mul(y, y)
		t2.Mul(t, m)
		t.Sub(refK.three, t2)
		t2.Mul(y, t)
		y.SetMantExp(t2, -1)
	}
	return y.SetMantExp(y, -e/2)
}

func (c *refCtx) refAsin(x *big.Float) (*big.Float, bool) {
	if x.Sign() == 0 {
		return bf(refPrec), true
	}
	fm, im := c.mark()
	defer c.reset(fm, im)
	om := c.f(exactPrec+64).Sub(refK.one_, x) // exact
	op := c.f(exactPrec+64).Add(refK.one_, x)
	if om.Sign() == 0 || op.Sign() == 0 {
		v := bf(refPrec).Set(refK.pio2)
		if x.Sign() < 0 {
			v.Neg(v)
		}
		return v, false
	}
	p := c.f(refPrec+64).Mul(om, op)
	t := c.rsqrt(p)
	t.Mul(t, x)
	return c.refAtan(t)
}

func (c *refCtx) refAcos(x *big.Float) (*big.Float, bool) {
	fm, im := c.mark()
	defer c.reset(fm, im)
	om := c.f(exactPrec+64).Sub(refK.one_, x)
	op := c.f(exactPrec+64).Add(refK.one_, x)
	if om.Sign() == 0 {
		return bf(refPrec), true
	}
	if op.Sign() == 0 {
		return bf(refPrec).Set(refK.pi), false
	}
	// acos x = 2·atan((1-x)/√((1-x)(1+x)))
	p := c.f(refPrec+64).Mul(om, op)
	t := c.rsqrt(p)
	t.Mul(t, om)
	v, _ := c.refAtan(t)
	return v.SetMantExp(v, 1), false
}

func (c *refCtx) refSinh(x *big.Float) (*big.Float, bool) {
	if x.Sign() == 0 {
		return bf(refPrec), true
	}
	if x.MantExp(nil) <= -6 {
		return c.mulSeries(refK.cSh, x, true), false
	}
	ax := new(big.Float).Abs(x)
	e, _ := c.refExp(ax)
	if ax.MantExp(nil) > 8 { // |x| ≥ 256: e^-x is below 2^-700 of the result
		e.SetMantExp(e, -1)
		if x.Sign() < 0 {
			e.Neg(e)
		}
		return e, false
	}
	v := bf(refPrec).Quo(refK.one_, e)
	v.Sub(e, v)
	v.SetMantExp(v, -1)
	if x.Sign() < 0 {
		v.Neg(v)
	}
	return v, false
}

func (c *refCtx) refCosh(x *big.Float) (*big.Float, bool) {
	if x.Sign() == 0 {
		return big.NewFloat(1), true
	}
	if x.MantExp(nil) < -8 { // cosh x = 1 + 2·sinh²(x/2), near 1
		h := new(big.Float).SetMantExp(x, -1)
		s := c.mulSeries(refK.cSh, h, true)
		s.Mul(s, s)
		return c.nearOne(1, s.SetMantExp(s, 1)), false
	}
	ax := new(big.Float).Abs(x)
	e, _ := c.refExp(ax)
	if ax.MantExp(nil) > 8 {
		return e.SetMantExp(e, -1), false
	}
	v := bf(refPrec).Quo(refK.one_, e)
	v.Add(e, v)
	return v.SetMantExp(v, -1), false
}

func (c *refCtx) refTanh(x *big.Float) (*big.Float, bool) {
	if x.Sign() == 0 {
		return bf(refPrec), true
	}
	if x.MantExp(nil) <= -6 {
		s := c.mulSeries(refK.cSh, x, true)
		ch, _ := c.refCosh(x)
		c.eps = nil // cosh's bound is not tanh's
		return s.Quo(s, ch), false
	}
	ax := new(big.Float).Abs(x)
	if ax.MantExp(nil) > 9 { // |x| ≥ 512: 1 - |tanh x| < 2^-1400; the value is 1 - 2^-1401 ± 2^-1401
		d := new(big.Float).SetMantExp(big.NewFloat(-1), -1401)
		v := c.nearOne(x.Sign(), d)
		c.eps = new(big.Float).Neg(d)
		return v, false
	}
	if ax.MantExp(nil) > 3 { // |x| ≥ 8: 1 - tanh|x| = 2/(e^2|x| + 1)
		t := bf(refPrec).SetMantExp(ax, 1)
		e, _ := c.refExp(t)
		d := bf(refPrec).Add(e, refK.one_)
		d.Quo(refK.two, d).Neg(d)
		return c.nearOne(x.Sign(), d), false
	}
	t := bf(refPrec).SetMantExp(ax, 1)
	e, _ := c.refExp(t) // e^2|x|
	num := bf(refPrec).Sub(e, refK.one_)
	den := bf(refPrec).Add(e, refK.one_)
	v := num.Quo(num, den)
	if x.Sign() < 0 {
		v.Neg(v)
	}
	return v, false
}

// isPow2 and isPow10 report exact powers (k ≥ 0 for 10).
func refLog2Exact(x *big.Float) (int, bool) {
	m := new(big.Float)
	e := x.MantExp(m)
	if m.Cmp(big.NewFloat(0.5)) == 0 {
		return e - 1, true
	}
	return 0, false
}

func refLog10Exact(x *big.Float) (int, bool) {
	if !x.IsInt() || x.Sign() <= 0 {
		return 0, false
	}
	i, _ := x.Int(nil)
	ten := big.NewInt(10)
	k := 0
	for i.Cmp(big.NewInt(1)) > 0 {
		q, r := new(big.Int).QuoRem(i, ten, new(big.Int))
		if r.Sign() != 0 {
			return 0, false
		}
		i = q
		k++
	}
	return k, true
}

// eval returns f(x) and whether it is exact; ok is false outside the
// domain. x is exact.
func (c *refCtx) evalRaw(f Func, x *big.Float) (v *big.Float, exact, ok bool) {
	switch f {
	case FuncSqrt:
		if x.Sign() < 0 {
			return nil, false, false
		}
		if x.IsInf() {
			return bf(refPrec).Set(x), false, true
		}
		if x.Sign() == 0 {
			return bf(refPrec), true, true
		}
		s := c.rsqrt(x)
		s.Mul(s, x)
		// exact when a float squares to x
		if sf, _ := s.Float64(); new(big.Float).SetPrec(200).Mul(big.NewFloat(sf), big.NewFloat(sf)).Cmp(x) == 0 {
			return big.NewFloat(sf), true, true
		}
		return s, false, true
	case FuncExp:
		v, ex := c.refExp(x)
		return v, ex, true
	case FuncLog, FuncLog2, FuncLog10:
		if x.Sign() <= 0 {
			return nil, false, false
		}
		if f == FuncLog2 {
			if k, ok := refLog2Exact(x); ok {
				return big.NewFloat(float64(k)), true, true
			}
		}
		if f == FuncLog10 {
			if k, ok := refLog10Exact(x); ok {
				return big.NewFloat(float64(k)), true, true
			}
		}
		v, ex := c.refLog(x)
		switch f {
		case FuncLog2:
			v.Mul(v, refK.invLn2)
		case FuncLog10:
			v.Mul(v, refK.invLn10)
		}
		return v, ex, true
	case FuncSin:
		v, ex := c.refSinCos(x, 0)
		return v, ex, true
	case FuncCos:
		v, ex := c.refSinCos(x, 1)
		return v, ex, true
	case FuncTan:
		v, ex := c.refTan(x)
		return v, ex, true
	case FuncAsin, FuncAcos:
		if x.Cmp(big.NewFloat(1)) > 0 || x.Cmp(big.NewFloat(-1)) < 0 {
			return nil, false, false
		}
		if f == FuncAsin {
			v, ex := c.refAsin(x)
			return v, ex, true
		}
		v, ex := c.refAcos(x)
		return v, ex, true
	case FuncAtan:
		v, ex := c.refAtan(x)
		return v, ex, true
	case FuncSinh:
		v, ex := c.refSinh(x)
		return v, ex, true
	case FuncCosh:
		v, ex := c.refCosh(x)
		return v, ex, true
	case FuncTanh:
		v, ex := c.refTanh(x)
		return v, ex, true
	case FuncAbs:
		return new(big.Float).Abs(x), true, true
	}
	panic("eval: unknown function")
}

// eval2 returns f(x, y) (x, y the first and second argument), exact and ok
// as eval.
func (c *refCtx) eval2Raw(f Func2, x, y *big.Float, intExp bool) (v *big.Float, exact, ok bool) {
	switch f {
	case Func2Pow:
		return c.refPow(x, y, intExp)
	case Func2Atan2: // atan2(x, y): x is the ordinate
		if x.Sign() == 0 && y.Sign() == 0 {
			return nil, false, false
		}
		if x.Sign() == 0 {
			if y.Sign() > 0 {
				return bf(refPrec), true, true
			}
			return bf(refPrec).Set(refK.pi), false, true
		}
		if y.Sign() == 0 {
			v := bf(refPrec).Set(refK.pio2)
			if x.Sign() < 0 {
				v.Neg(v)
			}
			return v, false, true
		}
		q := bf(refPrec+64).Quo(x, y)
		v, _ := c.refAtan(q)
		if y.Sign() < 0 {
			if x.Sign() > 0 {
				v.Add(v, refK.pi)
			} else {
				v.Sub(v, refK.pi)
			}
		}
		return v, false, true
	case Func2Hypot:
		s := c.sumSquares(x, y)
		if s.Sign() == 0 {
			return bf(refPrec), true, true
		}
		r := c.rsqrt(s)
		return r.Mul(r, s), false, true
	case Func2Min:
		if x.Cmp(y) <= 0 {
			return new(big.Float).Set(x), true, true
		}
		return new(big.Float).Set(y), true, true
	case Func2Max:
		if x.Cmp(y) >= 0 {
			return new(big.Float).Set(x), true, true
		}
		return new(big.Float).Set(y), true, true
	}
	panic("eval2: unknown function")
}

func (c *refCtx) sumSquares(x, y *big.Float) *big.Float {
	x2 := new(big.Float).SetPrec(2*exactPrec+64).Mul(x, x)
	y2 := new(big.Float).SetPrec(2*exactPrec+64).Mul(y, y)
	return new(big.Float).SetPrec(4*exactPrec+128).Add(x2, y2)
}

// refPow returns x^y. With intExp, y is an integer and negative x is
// allowed.
func (c *refCtx) refPow(x, y *big.Float, intExp bool) (*big.Float, bool, bool) {
	if y.Sign() == 0 || x.Cmp(refK.one_) == 0 {
		return big.NewFloat(1), true, true
	}
	if intExp {
		k, _ := y.Int64()
		if x.Sign() == 0 {
			if k < 0 {
				return nil, false, false
			}
			return bf(refPrec), true, true
		}
		if ax := new(big.Float).Abs(x); ax.Cmp(refK.one_) == 0 { // (-1)^k
			if absI(k)%2 == 1 {
				ax.Neg(ax) // x = -1, odd k
			}
			return ax, true, true
		}
		if x.MinPrec()*uint(absI(k)) <= 4096 { // exactly, in big.Float
			p := new(big.Float).SetPrec(4200).SetInt64(1)
			b := new(big.Float).SetPrec(4200).Set(x)
			for n := absI(k); n > 0; n >>= 1 {
				if n&1 == 1 {
					p.Mul(p, b)
				}
				if n > 1 {
					b.Mul(b, b)
				}
			}
			if k > 0 {
				return p, true, true
			}
			q := new(big.Float).SetPrec(refPrec)
			q.Quo(big.NewFloat(1), p)
			return q, q.Acc() == big.Exact, true
		}
		ax := new(big.Float).Abs(x)
		l, _ := c.refLog(ax)
		l.Mul(l, y)
		v, _ := c.refExp(l)
		if x.Sign() < 0 && k%2 != 0 {
			v.Neg(v)
		}
		return v, false, true
	}
	if x.Sign() <= 0 {
		return nil, false, false
	}
	if x.IsInf() {
		if y.Sign() > 0 {
			return bf(refPrec).Set(refK.huge), false, true
		}
		return bf(refPrec).Set(refK.tiny), false, true
	}
	l, _ := c.refLog(x)
	l.SetPrec(refPrec+128).Mul(l, y)
	v, _ := c.refExp(l)
	return v, false, true
}

func absI(k int64) int64 {
	if k < 0 {
		return -k
	}
	return k
}
