package nu

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestFuncNames(t *testing.T) {
	for _, f := range allFuncs {
		g, ok := FuncByName(f.String())
		if !ok || g != f {
			t.Errorf("FuncByName(%q) = %v, %v", f.String(), g, ok)
		}
	}
	for _, f := range allFuncs2 {
		g, ok := Func2ByName(f.String())
		if !ok || g != f {
			t.Errorf("Func2ByName(%q) = %v, %v", f.String(), g, ok)
		}
	}
	if f, ok := FuncByName("log"); !ok || f != FuncLog || f.String() != "ln" {
		t.Errorf(`FuncByName("log") = %v, %v; want ln`, f, ok)
	}
	for _, bad := range []string{"", "Sin", "LOG", "log1p", "pow", "sqrt "} {
		if _, ok := FuncByName(bad); ok {
			t.Errorf("FuncByName(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "Pow", "sin", "atan"} {
		if _, ok := Func2ByName(bad); ok {
			t.Errorf("Func2ByName(%q) accepted", bad)
		}
	}
	want := "sqrt exp ln log10 log2 sin cos tan asin acos atan sinh cosh tanh abs"
	var got []string
	for _, f := range allFuncs {
		got = append(got, f.String())
	}
	if strings.Join(got, " ") != want || Func(0).String() != "Func(0)" || Func2(9).String() != "Func2(9)" {
		t.Errorf("names: %q", strings.Join(got, " "))
	}
}

// near reports whether x is within rel (relative) of want.
func near(x, want, rel float64) bool {
	return x == want || math.Abs(x-want) <= rel*math.Abs(want)
}

func TestNUFuncValues(t *testing.T) {
	cases := []struct {
		f        Func
		a        Value
		n, u     float64
		exactOut bool // n and u bit for bit
	}{
		{FuncSqrt, Value{4, 0.1}, 2, 0.025, true},
		{FuncExp, Value{0, 0.1}, 1, 0.1, true},
		{FuncLog, Value{1, 0.01}, 0, 0.01, true},
		{FuncLog10, Value{100, 1}, 2, 1 / (100 * math.Ln10), false},
		{FuncLog2, Value{8, 0}, 3, 0, true},
		{FuncLog2, Value{8, 0.5}, 3, 0.5 / (8 * math.Ln2), false},
		{FuncSin, Value{0, 0.1}, 0, 0.1, true},
		{FuncCos, Value{0, 0.1}, 1, 0, true}, // first order vanishes at an extremum
		{FuncTan, Value{0, 0.1}, 0, 0.1, true},
		{FuncSin, Value{math.Pi / 6, 0.01}, 0.5, 0.01 * math.Sqrt(3) / 2, false},
		{FuncAsin, Value{0.5, 0.01}, math.Pi / 6, 0.01 / math.Sqrt(0.75), false},
		{FuncAcos, Value{0, 0.1}, math.Pi / 2, 0.1, true},
		{FuncAtan, Value{1, 0.2}, math.Pi / 4, 0.1, true},
		{FuncSinh, Value{0, 0.1}, 0, 0.1, true},
		{FuncCosh, Value{0, 0.1}, 1, 0, true},
		{FuncTanh, Value{0, 0.1}, 0, 0.1, true},
		{FuncAbs, Value{-3, 0.5}, 3, 0.5, true},
		{FuncAbs, Value{0, 1}, 0, 1, true}, // |x| has slope ±1 on both sides of 0
		{FuncExp, Value{1, 0}, math.E, 0, true},
		{FuncSqrt, Value{0, 0}, 0, 0, true},
		{FuncAsin, Value{1, 0}, math.Pi / 2, 0, true},
	}
	for _, c := range cases {
		v, err := ModeNU.Apply(c.f, c.a)
		if err != nil {
			t.Errorf("%v(%v): %v", c.f, c.a.FormatFull(), err)
			continue
		}
		ok := v.n == c.n && v.u == c.u
		if !c.exactOut {
			ok = near(v.n, c.n, 1e-15) && near(v.u, c.u, 1e-14)
		}
		if !ok {
			t.Errorf("nu %v(%s) = %s, want %v ± %v", c.f, c.a.FormatFull(), v.FormatFull(), c.n, c.u)
		}
	}
}

func TestNUFunc2Values(t *testing.T) {
	cases := []struct {
		f    Func2
		a, b Value
		n, u float64
	}{
		{Func2Pow, Value{2, 0.1}, Value{3, 0}, 8, 1.2000000000000002},
		{Func2Pow, Value{-2, 0.1}, Value{2, 0}, 4, 0.4},
		{Func2Pow, Value{-2, 0}, Value{3, 0}, -8, 0},
		{Func2Pow, Value{4, 0}, Value{0.5, 0.1}, 2, 2 * math.Log(4) * 0.1},
		{Func2Pow, Value{0, 0.1}, Value{2, 0}, 0, 0},
		{Func2Pow, Value{0, 0.1}, Value{1, 0}, 0, 0.1},
		{Func2Pow, Value{7, math.Inf(1)}, Value{0, 0}, 1, 0}, // x^0 = 1 for every x
		{Func2Pow, Value{1, 0}, Value{3, math.Inf(1)}, 1, 0}, // 1^y = 1 for every y
		{Func2Atan2, Value{1, 0.1}, Value{1, 0}, math.Pi / 4, 0.05},
		{Func2Atan2, Value{0, 0}, Value{-1, 0.5}, math.Pi, 0},
		{Func2Hypot, Value{3, 0.1}, Value{4, 0.2}, 5, math.Sqrt(0.06*0.06 + 0.16*0.16)},
		{Func2Hypot, Value{0, 1}, Value{0, 1}, 0, 0},
		{Func2Min, Value{1, 0.5}, Value{2, 0.1}, 1, 0.5},
		{Func2Min, Value{1, 0.1}, Value{1, 0.3}, 1, 0.3}, // a tie keeps the larger u
		{Func2Max, Value{1, 0.5}, Value{2, 0.1}, 2, 0.1},
		{Func2Max, Value{2, 0.3}, Value{2, 0.1}, 2, 0.3},
		{Func2Min, Value{1, 0}, Value{5, math.Inf(1)}, 1, 0},
	}
	for _, c := range cases {
		v, err := ModeNU.Apply2(c.f, c.a, c.b)
		if err != nil {
			t.Errorf("%v(%v, %v): %v", c.f, c.a.FormatFull(), c.b.FormatFull(), err)
			continue
		}
		if !near(v.n, c.n, 1e-15) || !near(v.u, c.u, 1e-14) {
			t.Errorf("nu %v(%s, %s) = %s, want %v ± %v", c.f, c.a.FormatFull(), c.b.FormatFull(), v.FormatFull(), c.n, c.u)
		}
	}
}

// TestIntervalFuncValues: exact results where the answer is exact, and
// the shape of the others.
func TestIntervalFuncValues(t *testing.T) {
	exact := []struct {
		f    Func
		a    Value
		n, u float64
	}{
		{FuncSqrt, Value{4, 0}, 2, 0},
		{FuncExp, Value{0, 0}, 1, 0},
		{FuncLog, Value{1, 0}, 0, 0},
		{FuncLog2, Value{0x1p-1074, 0}, -1074, 0},
		{FuncLog10, Value{1000, 0}, 3, 0},
		{FuncSin, Value{0, 0}, 0, 0},
		{FuncCos, Value{0, 0}, 1, 0},
		{FuncTan, Value{0, 0}, 0, 0},
		{FuncAsin, Value{0, 0}, 0, 0},
		{FuncAcos, Value{1, 0}, 0, 0},
		{FuncAtan, Value{0, 0}, 0, 0},
		{FuncSinh, Value{0, 0}, 0, 0},
		{FuncCosh, Value{0, 0}, 1, 0},
		{FuncTanh, Value{0, 0}, 0, 0},
		{FuncAbs, Value{-3, 1}, 3, 1},
		{FuncAbs, Value{0.5, 1}, 0.5, 1},
	}
	for _, c := range exact {
		v, err := ModeInterval.Apply(c.f, c.a)
		if err != nil || v.n != c.n || v.u != c.u {
			t.Errorf("interval %v(%s) = %s, %v; want exactly %v ± %v", c.f, c.a.FormatFull(), v.FormatFull(), err, c.n, c.u)
		}
	}
	// The others: n = f(n) and u covers the range [lo, hi] tightly:
	// u = max(hi - n, n - lo) within a few ulps.
	shape := []struct {
		f      Func
		a      Value
		lo, hi float64
	}{
		{FuncSqrt, Value{1, 1}, 0, math.Sqrt2},
		{FuncSin, Value{1.5, 0.2}, math.Sin(1.3), 1},
		{FuncSin, Value{0, 10}, -1, 1},
		{FuncCos, Value{0, 0.1}, math.Cos(0.1), 1},
		{FuncCos, Value{math.Pi, 0.5}, -1, math.Cos(math.Pi - 0.5)},
		{FuncTan, Value{1, 0.5}, math.Tan(0.5), math.Tan(1.5)},
		{FuncCosh, Value{0.5, 1}, 1, math.Cosh(1.5)},
		{FuncExp, Value{0, 1}, 1 / math.E, math.E},
		{FuncLog, Value{2, 1}, 0, math.Log(3)},
		{FuncAsin, Value{0, 1}, -math.Pi / 2, math.Pi / 2},
		{FuncAcos, Value{0, 1}, 0, math.Pi},
		{FuncAtan, Value{0, math.Inf(1)}, -math.Pi / 2, math.Pi / 2},
		{FuncTanh, Value{3, math.Inf(1)}, -1, 1},
		{FuncSin, Value{2, math.Inf(1)}, -1, 1},
	}
	for _, c := range shape {
		v, err := ModeInterval.Apply(c.f, c.a)
		if err != nil {
			t.Errorf("interval %v(%s): %v", c.f, c.a.FormatFull(), err)
			continue
		}
		need := math.Max(c.hi-v.n, v.n-c.lo)
		if v.n != nominal(c.f, c.a.n) || v.n-v.u > c.lo || v.n+v.u < c.hi || v.u > need*(1+1e-14)+1e-15 {
			t.Errorf("interval %v(%s) = %s, want n = %v and u just above %v (to cover [%v, %v])",
				c.f, c.a.FormatFull(), v.FormatFull(), nominal(c.f, c.a.n), need, c.lo, c.hi)
		}
	}
	exact2 := []struct {
		f    Func2
		a, b Value
		n, u float64
	}{
		{Func2Pow, Value{3, 0}, Value{2, 0}, 9, 0},
		{Func2Pow, Value{-2, 0}, Value{3, 0}, -8, 0},
		{Func2Pow, Value{2, 0}, Value{-1, 0}, 0.5, 0},
		{Func2Pow, Value{0, 5}, Value{0, 0}, 1, 0},
		{Func2Hypot, Value{3, 0}, Value{4, 0}, 5, 0},
		{Func2Min, Value{1, 0.5}, Value{3, 1}, 1, 0.5},
		{Func2Max, Value{1, 0.5}, Value{3, 1}, 3, 1},
		{Func2Atan2, Value{0, 0}, Value{2, 1}, 0, 0},
	}
	for _, c := range exact2 {
		v, err := ModeInterval.Apply2(c.f, c.a, c.b)
		if err != nil || v.n != c.n || v.u != c.u {
			t.Errorf("interval %v(%s, %s) = %s, %v; want exactly %v ± %v", c.f, c.a.FormatFull(), c.b.FormatFull(), v.FormatFull(), err, c.n, c.u)
		}
	}
	// An even power of an interval that contains 0 starts at 0.
	v, err := ModeInterval.Apply2(Func2Pow, Value{-2, 1}, Value{2, 0})
	if err != nil || v.n != 4 || v.n-v.u > 0 || v.n+v.u < 9 {
		t.Errorf("interval (-2 ± 1)^2 = %s, %v; want n = 4 covering [0, 9]", v.FormatFull(), err)
	}
	// atan2 across the negative x axis covers [-π, π].
	v, err = ModeInterval.Apply2(Func2Atan2, Value{0, 1}, Value{-2, 1})
	if err != nil || v.n != math.Pi || v.n-v.u > -math.Pi || v.n+v.u < math.Pi {
		t.Errorf("interval atan2(0 ± 1, -2 ± 1) = %s, %v; want n = π covering [-π, π]", v.FormatFull(), err)
	}
}

func TestPiE(t *testing.T) {
	if Pi(ModeNU) != (Value{math.Pi, 0}) || E(ModeNU) != (Value{math.E, 0}) {
		t.Errorf("nu constants: %v %v", Pi(ModeNU), E(ModeNU))
	}
	if p, e := Pi(ModeInterval), E(ModeInterval); p.n != math.Pi || p.u != piU || e.n != math.E || e.u != eU {
		t.Errorf("interval constants: %v %v", p.FormatFull(), e.FormatFull())
	}
	// (TestReferenceConstants checks that the u are the smallest that enclose.)
}

func TestFuncDomainErrors(t *testing.T) {
	cases := []struct {
		m    Mode
		f    Func
		a    Value
		want string // in the details
	}{
		{ModeNU, FuncSqrt, Value{-1, 0}, "n >= 0"},
		{ModeNU, FuncSqrt, Value{0, 1}, "derivative"},
		{ModeNU, FuncLog, Value{0, 0}, "n > 0"},
		{ModeNU, FuncLog10, Value{-1, 0.5}, "n > 0"},
		{ModeNU, FuncLog2, Value{-1, 0}, "n > 0"},
		{ModeNU, FuncAsin, Value{1.5, 0}, "-1 <= n <= 1"},
		{ModeNU, FuncAcos, Value{-1.5, 0}, "-1 <= n <= 1"},
		{ModeNU, FuncAsin, Value{1, 0.1}, "derivative"},
		{ModeNU, FuncAcos, Value{-1, 0.1}, "derivative"},
		{ModeInterval, FuncSqrt, Value{0, 1}, "below 0"},
		{ModeInterval, FuncSqrt, Value{1, 1 + 0x1p-52}, "below 0"},
		{ModeInterval, FuncLog, Value{1, 1}, "n-u > 0"},
		{ModeInterval, FuncLog2, Value{2, math.Inf(1)}, "n-u > 0"},
		{ModeInterval, FuncLog10, Value{-5, 1}, "n-u > 0"},
		{ModeInterval, FuncAsin, Value{0.5, 0.6}, "[-1, 1]"},
		{ModeInterval, FuncAcos, Value{-0.5, 0.5 + 0x1p-53}, "[-1, 1]"},
		{ModeInterval, FuncTan, Value{math.Pi / 2, 0.01}, "pole"},
		{ModeInterval, FuncTan, Value{0, 2}, "pole"},
		{ModeInterval, FuncTan, Value{1e300, 1}, "pole"},
		{ModeInterval, FuncTan, Value{0, math.Inf(1)}, "pole"},
	}
	for _, c := range cases {
		_, err := c.m.Apply(c.f, c.a)
		checkDomainErr(t, err, c.f.String(), c.want, c.m.String()+" "+c.f.String()+"("+c.a.FormatFull()+")")
	}
	cases2 := []struct {
		m    Mode
		f    Func2
		a, b Value
		want string
	}{
		{ModeNU, Func2Pow, Value{-2, 0}, Value{0.5, 0}, "base n > 0"},
		{ModeNU, Func2Pow, Value{-2, 0}, Value{2, 0.1}, "base n > 0"},
		{ModeNU, Func2Pow, Value{0, 0}, Value{-1, 0}, "negative power"},
		{ModeNU, Func2Atan2, Value{0, 1}, Value{0, 1}, "origin"},
		{ModeInterval, Func2Pow, Value{1, 1}, Value{0.5, 0}, "n-u > 0"},
		{ModeInterval, Func2Pow, Value{0, 1}, Value{-2, 0}, "contains 0"},
		{ModeInterval, Func2Atan2, Value{1, 1}, Value{-1, 2}, "origin"},
	}
	for _, c := range cases2 {
		_, err := c.m.Apply2(c.f, c.a, c.b)
		checkDomainErr(t, err, c.f.String(), c.want, c.m.String()+" "+c.f.String()+"("+c.a.FormatFull()+", "+c.b.FormatFull()+")")
	}
	// The edges that are inside the domain.
	for _, c := range []struct {
		f Func
		a Value
	}{{FuncSqrt, Value{1, 1}}, {FuncLog, Value{1, 1 - 0x1p-53}}, {FuncAsin, Value{0, 1}}, {FuncAcos, Value{0.5, 0.5}}, {FuncTan, Value{0, 1.5}}} {
		if _, err := ModeInterval.Apply(c.f, c.a); err != nil {
			t.Errorf("interval %v(%s): %v", c.f, c.a.FormatFull(), err)
		}
	}
}

func checkDomainErr(t *testing.T, err error, name, want, desc string) {
	t.Helper()
	e, ok := AsError(err)
	switch {
	case !ok:
		t.Errorf("%s: err = %v, want a *Error %s", desc, err, CodeDomain)
	case e.Code != CodeDomain || e.Category != CategoryOperation:
		t.Errorf("%s: %s/%s, want %s/%s", desc, e.Code, e.Category, CodeDomain, CategoryOperation)
	case !strings.HasPrefix(e.Message, name+":") || !strings.Contains(e.Details, want) || e.Remediation == "":
		t.Errorf("%s: message %q, details %q; want the name %q and %q", desc, e.Message, e.Details, name, want)
	}
}

func TestFuncOverflow(t *testing.T) {
	for _, m := range []Mode{ModeNU, ModeInterval} {
		for _, c := range []struct {
			f Func
			a Value
		}{{FuncExp, Value{710, 0}}, {FuncSinh, Value{-711, 0}}, {FuncCosh, Value{1000, 1}}, {FuncExp, Value{709, 1}}} {
			if m == ModeNU && c.a.n == 709 {
				continue // nu: e^709 ± e^709 is representable
			}
			_, err := m.Apply(c.f, c.a)
			if e, ok := AsError(err); !ok || e.Code != CodeOverflow || !strings.HasPrefix(e.Message, c.f.String()+":") {
				t.Errorf("%v %v(%s): err = %v, want %s naming the function", m, c.f, c.a.FormatFull(), err, CodeOverflow)
			}
		}
		if _, err := m.Apply2(Func2Pow, Value{10, 0}, Value{400, 0}); !isCode(err, CodeOverflow) {
			t.Errorf("%v 10^400: err = %v", m, err)
		}
		if _, err := m.Apply2(Func2Hypot, Value{1.5e308, 0}, Value{1.5e308, 0}); !isCode(err, CodeOverflow) {
			t.Errorf("%v hypot(1.5e308, 1.5e308): err = %v", m, err)
		}
	}
	// Values near the edge that do not overflow: e^709.78 and sinh(710).
	for _, m := range []Mode{ModeNU, ModeInterval} {
		if v, err := m.Apply(FuncExp, Value{709.78, 0}); err != nil || v.n < 1.7e308 {
			t.Errorf("%v exp(709.78) = %v, %v", m, v.FormatFull(), err)
		}
		if v, err := m.Apply(FuncSinh, Value{710, 0}); err != nil || v.n < 1.1e308 {
			t.Errorf("%v sinh(710) = %v, %v", m, v.FormatFull(), err)
		}
	}
}

// funcArgs are in-domain arguments for each function (for exactness,
// infinite-u and sweep tests).
var funcArgs = []float64{0.25, 0.5, 0.7, 1, 2, 3, 10, 1e-300, 5e-324, 700, -0.3, -1, 1e300}

func inDomainNU(f Func, x float64) bool {
	switch f {
	case FuncSqrt:
		return x > 0
	case FuncLog, FuncLog10, FuncLog2:
		return x > 0
	case FuncAsin, FuncAcos:
		return math.Abs(x) < 1
	case FuncExp, FuncSinh, FuncCosh:
		return math.Abs(x) < 700
	}
	return true
}

func TestFuncExactAndInfiniteU(t *testing.T) {
	for _, f := range allFuncs {
		for _, x := range funcArgs {
			if !inDomainNU(f, x) {
				continue
			}
			v, err := ModeNU.Apply(f, Value{x, 0})
			if err != nil || v.u != 0 {
				t.Errorf("nu %v(%v ± 0) = %s, %v; want u = 0", f, x, v.FormatFull(), err)
			}
			v, err = ModeNU.Apply(f, Value{x, math.Inf(1)})
			if err != nil || !math.IsInf(v.u, 1) || math.IsNaN(v.n) {
				t.Errorf("nu %v(%v ± inf) = %s, %v; want u = +Inf", f, x, v.FormatFull(), err)
			}
			v, err = ModeInterval.Apply(f, Value{x, math.Inf(1)})
			switch f {
			case FuncSin, FuncCos, FuncTanh, FuncAtan:
				if err != nil || v.u > 4 {
					t.Errorf("interval %v(%v ± inf) = %s, %v; want a bounded result", f, x, v.FormatFull(), err)
				}
			case FuncSqrt, FuncLog, FuncLog10, FuncLog2, FuncAsin, FuncAcos, FuncTan:
				if !isCode(err, CodeDomain) {
					t.Errorf("interval %v(%v ± inf): err = %v, want %s", f, x, err, CodeDomain)
				}
			default:
				if err != nil || !math.IsInf(v.u, 1) {
					t.Errorf("interval %v(%v ± inf) = %s, %v; want u = +Inf", f, x, v.FormatFull(), err)
				}
			}
		}
	}
	for _, f := range allFuncs2 {
		a, b := Value{2, 0}, Value{3, 0}
		if v, err := ModeNU.Apply2(f, a, b); err != nil || v.u != 0 {
			t.Errorf("nu %v(2, 3) = %s, %v; want u = 0", f, v.FormatFull(), err)
		}
		if v, err := ModeNU.Apply2(f, Value{2, math.Inf(1)}, b); err != nil || !math.IsInf(v.u, 1) && f != Func2Min && f != Func2Max {
			t.Errorf("nu %v(2 ± inf, 3) = %s, %v; want u = +Inf", f, v.FormatFull(), err)
		}
		if v, err := ModeInterval.Apply2(f, Value{2, math.Inf(1)}, b); err != nil && !isCode(err, CodeDomain) || err == nil && math.IsNaN(v.u) {
			t.Errorf("interval %v(2 ± inf, 3) = %s, %v", f, v.FormatFull(), err)
		}
	}
}

// TestFuncNoNaN sweeps awkward inputs through every function in both
// modes: results are valid values, errors are *Error.
func TestFuncNoNaN(t *testing.T) {
	vals := []float64{0, 1, -1, 0.5, -0.5, 2, -2, 1e-320, -1e-320, 1e-300, 1e300, -1e300, math.MaxFloat64, -math.MaxFloat64,
		math.Pi / 2, -math.Pi / 2, 710, -710, 709.9, 1 + 0x1p-52, 1 - 0x1p-53, 0x1p-1022}
	us := []float64{0, 1e-320, 1e-10, 0.5, 1, 3.2, 1e300, math.MaxFloat64, math.Inf(1)}
	var all []Value
	for _, n := range vals {
		for _, u := range us {
			all = append(all, Value{n, u})
		}
	}
	check := func(desc string, v Value, err error) {
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Errorf("%s: error %T %v is not a *Error", desc, err, err)
			}
			return
		}
		if !valid(v.n, v.u) {
			t.Errorf("%s = (%v, %v): not a valid value", desc, v.n, v.u)
		}
	}
	for _, m := range []Mode{ModeNU, ModeInterval} {
		for _, f := range allFuncs {
			for _, a := range all {
				v, err := m.Apply(f, a)
				check(m.String()+" "+f.String()+"("+a.FormatFull()+")", v, err)
			}
		}
		r := rand.New(rand.NewPCG(5, 5))
		for _, f := range allFuncs2 {
			for i := 0; i < 20000; i++ {
				a, b := all[r.IntN(len(all))], all[r.IntN(len(all))]
				if r.IntN(3) == 0 {
					b = Value{float64(r.IntN(9) - 4), 0}
				}
				v, err := m.Apply2(f, a, b)
				check(m.String()+" "+f.String()+"("+a.FormatFull()+", "+b.FormatFull()+")", v, err)
			}
		}
		if _, err := m.Apply(Func(0), Value{}); !isCode(err, CodeDomain) {
			t.Errorf("%v: unknown Func: %v", m, err)
		}
		if _, err := m.Apply2(Func2(99), Value{}, Value{}); !isCode(err, CodeDomain) {
			t.Errorf("%v: unknown Func2: %v", m, err)
		}
	}
}

// TestValueDerivFiniteDifference: f' agrees with a central difference,
// and so do the partial derivatives.
func TestValueDerivFiniteDifference(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 1))
	fd := func(g func(float64) float64, x float64) float64 {
		h := 1e-6 * math.Max(1, math.Abs(x))
		return (g(x+h) - g(x-h)) / (2 * h)
	}
	for _, f := range allFuncs {
		for i := 0; i < 2000; i++ {
			x := r.Float64()*6 - 3
			switch f {
			case FuncSqrt, FuncLog, FuncLog10, FuncLog2:
				x = 0.05 + r.Float64()*10
			case FuncAsin, FuncAcos:
				x = r.Float64()*1.8 - 0.9
			case FuncTan:
				x = r.Float64()*2.8 - 1.4
			case FuncAbs:
				if math.Abs(x) < 1e-3 {
					continue
				}
			}
			fx, d := f.ValueDeriv(x)
			want := fd(func(y float64) float64 { v, _ := f.ValueDeriv(y); return v }, x)
			if math.Abs(fx-nominal(f, x)) > 0 || math.Abs(d-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Fatalf("%v.ValueDeriv(%v) = %v, %v; finite difference %v", f, x, fx, d, want)
			}
		}
	}
	if _, d := FuncAbs.ValueDeriv(0); d != 0 {
		t.Errorf("abs'(0) = %v, want 0", d)
	}
	if _, d := FuncSqrt.ValueDeriv(0); !math.IsInf(d, 1) {
		t.Errorf("sqrt'(0) = %v, want +Inf", d)
	}
	if v, d := FuncLog.ValueDeriv(-1); !math.IsNaN(v) || !math.IsNaN(d) {
		t.Errorf("ln(-1) = %v, %v; want NaN outside the domain", v, d)
	}
	for _, f := range allFuncs2 {
		for i := 0; i < 2000; i++ {
			x, y := r.Float64()*4+0.5, r.Float64()*4-2
			if f == Func2Min || f == Func2Max {
				if math.Abs(x-y) < 1e-3 {
					continue
				}
			}
			fxy, dx, dy := f.ValueDeriv(x, y)
			wx := fd(func(s float64) float64 { v, _, _ := f.ValueDeriv(s, y); return v }, x)
			wy := fd(func(s float64) float64 { v, _, _ := f.ValueDeriv(x, s); return v }, y)
			if math.IsNaN(fxy) || math.Abs(dx-wx) > 1e-5*math.Max(1, math.Abs(wx)) || math.Abs(dy-wy) > 1e-5*math.Max(1, math.Abs(wy)) {
				t.Fatalf("%v.ValueDeriv(%v, %v) = %v, %v, %v; finite differences %v, %v", f, x, y, fxy, dx, dy, wx, wy)
			}
		}
	}
	// The nu rule is (f(n), |f'(n)|·u): check it against ValueDeriv.
	for _, f := range allFuncs {
		x := 0.3
		fx, d := f.ValueDeriv(x)
		v, err := ModeNU.Apply(f, Value{x, 1e-3})
		if err != nil || v.n != fx || !near(v.u, math.Abs(d)*1e-3, 1e-15) {
			t.Errorf("nu %v(0.3 ± 0.001) = %s, %v; ValueDeriv gives %v, %v", f, v.FormatFull(), err, fx, d)
		}
	}
}

// TestFuncsDoNotAllocate: every function, both modes, 0 allocations.
func TestFuncsDoNotAllocate(t *testing.T) {
	for _, m := range []Mode{ModeNU, ModeInterval} {
		for _, f := range allFuncs {
			a := Value{0.5, 0.01}
			if n := testing.AllocsPerRun(100, func() { sinkV, _ = m.Apply(f, a) }); n != 0 {
				t.Errorf("%v %v allocates %v times per call", m, f, n)
			}
		}
		for _, f := range allFuncs2 {
			a, b := Value{1.5, 0.01}, Value{2.5, 0.1}
			if n := testing.AllocsPerRun(100, func() { sinkV, _ = m.Apply2(f, a, b) }); n != 0 {
				t.Errorf("%v %v allocates %v times per call", m, f, n)
			}
			b = Value{3, 0} // the integer-power path
			if n := testing.AllocsPerRun(100, func() { sinkV, _ = m.Apply2(f, a, b) }); n != 0 {
				t.Errorf("%v %v (integer exponent) allocates %v times per call", m, f, n)
			}
		}
		for _, x := range []float64{1e300, -1e22} { // the long argument reduction
			if n := testing.AllocsPerRun(100, func() { sinkV, _ = m.Apply(FuncSin, Value{x, 1}) }); n != 0 {
				t.Errorf("%v sin(%v) allocates %v times per call", m, x, n)
			}
		}
	}
}

func FuzzApply(f *testing.F) {
	f.Add(uint8(1), 4.0, 0.1, 2.0, 0.0, false)
	f.Add(uint8(8), math.Pi/2, 0.01, 1.0, 0.0, true)
	f.Add(uint8(3), 0.0, 0.0, -1.0, 0.5, true)
	f.Add(uint8(16), -2.0, 1.0, 2.0, 0.0, true)
	f.Add(uint8(17), 0.0, 1.0, -1.0, 1.0, false)
	f.Add(uint8(6), 1e300, 1e299, 5e-324, math.Inf(1), true)
	f.Fuzz(func(t *testing.T, fi uint8, n, u, n2, u2 float64, interval bool) {
		a, err := New(n, u)
		if err != nil {
			return
		}
		b, err := New(n2, u2)
		if err != nil {
			return
		}
		m := ModeNU
		if interval {
			m = ModeInterval
		}
		var v Value
		if fi%32 < 16 {
			v, err = m.Apply(Func(fi%16), a)
		} else {
			v, err = m.Apply2(Func2(fi%8), a, b)
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T %v is not a *Error", err, err)
			}
			return
		}
		if !valid(v.n, v.u) {
			t.Fatalf("result (%v, %v) is not a valid value", v.n, v.u)
		}
	})
}
