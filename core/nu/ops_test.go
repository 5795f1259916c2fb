package nu

import (
	"math"
	"testing"
)

func TestNUWorkedValues(t *testing.T) {
	v := func(n, u float64) Value { return MustNew(n, u) }
	inf := math.Inf(1)
	cases := []struct {
		name string
		got  func() (Value, error)
		n, u float64
		ulps float64 // tolerance on u in ulps (0 = bit exact)
	}{
		{"add", func() (Value, error) { return Add(v(5, 0.1), v(3, 0.2)) }, 8, math.Sqrt(0.05), 1},
		{"add 3-4-5", func() (Value, error) { return Add(v(1, 3), v(2, 4)) }, 3, 5, 0},
		{"sub", func() (Value, error) { return Sub(v(5, 3), v(3, 4)) }, 2, 5, 0},
		{"mul seed example", func() (Value, error) { return Mul(v(10, 0.5), v(20, 1)) }, 200, 14.150971698084906, 1},
		{"mul by exact", func() (Value, error) { return Mul(v(10, 0.5), v(3, 0)) }, 30, 1.5, 0},
		{"mul exact zero times unknown", func() (Value, error) { return Mul(v(0, 0), v(7, inf)) }, 0, 0, 0},
		{"mul unknown", func() (Value, error) { return Mul(v(2, 1), v(7, inf)) }, 14, inf, 0},
		{"div", func() (Value, error) { return Div(v(10, 0.3), v(2, 0.04)) }, 5, math.Hypot(0.15, 5*0.02), 1},
		{"div zero numerator", func() (Value, error) { return Div(v(0, 1), v(4, 1)) }, 0, 0.25, 0},
		{"scale", func() (Value, error) { return Scale(-3, v(2, 0.5)) }, -6, 1.5, 0},
		{"compose equal u", func() (Value, error) { return Compose(v(10, 2), v(12, 2)) }, 11, math.Sqrt2, 1},
		{"compose weights", func() (Value, error) { return Compose(v(10, 1), v(20, 3)) }, 11, 3 / math.Sqrt(10), 1},
		{"compose certain left", func() (Value, error) { return Compose(v(4, 0), v(5, 1)) }, 4, 0, 0},
		{"compose certain right", func() (Value, error) { return Compose(v(5, 1), v(4, 0)) }, 4, 0, 0},
		{"compose equal certain", func() (Value, error) { return Compose(v(4, 0), v(4, 0)) }, 4, 0, 0},
		{"compose with unknown", func() (Value, error) { return Compose(v(9, inf), v(4, 1)) }, 4, 1, 0},
		{"compose both unknown", func() (Value, error) { return Compose(v(2, inf), v(4, inf)) }, 3, inf, 0},
		// Scaling: no spurious overflow or underflow.
		{"add near 1e200", func() (Value, error) { return Add(v(1e200, 1e199), v(1e200, 1e199)) }, 2e200, math.Sqrt2 * 1e199, 2},
		{"add 1e300 u", func() (Value, error) { return Add(v(0, 1e300), v(0, 1e300)) }, 0, math.Sqrt2 * 1e300, 2},
		{"add tiny", func() (Value, error) { return Add(v(1e-200, 1e-201), v(1e-200, 1e-201)) }, 2e-200, math.Sqrt2 * 1e-201, 2},
		{"add subnormal u", func() (Value, error) { return Add(v(0, 3e-320), v(0, 4e-320)) }, 0, 5e-320, 1},
		{"mul huge", func() (Value, error) { return Mul(v(1e154, 1e153), v(1e154, 1e153)) }, 1e308, math.Sqrt(2.01) * 1e307, 4},
		{"mul tiny", func() (Value, error) { return Mul(v(1e-100, 1e-101), v(1e-100, 1e-101)) }, 1e-200, math.Sqrt(2.01) * 1e-201, 4},
		{"compose huge u", func() (Value, error) { return Compose(v(1, 1e300), v(2, 1e300)) }, 1.5, 1e300 / math.Sqrt2, 2},
		{"compose tiny u", func() (Value, error) { return Compose(v(1, 1e-300), v(1, 1e-300)) }, 1, 1e-300 / math.Sqrt2, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.got()
			if err != nil {
				t.Fatal(err)
			}
			if got.N() != c.n && math.Abs(got.N()-c.n) > 4*ulp(c.n) {
				t.Errorf("n = %v, want %v", got.N(), c.n)
			}
			if !within(got.U(), c.u, c.ulps) {
				t.Errorf("u = %v, want %v (±%v ulp)", got.U(), c.u, c.ulps)
			}
		})
	}
}

func ulp(x float64) float64 {
	x = math.Abs(x)
	return math.Nextafter(x, math.Inf(1)) - x
}

func within(got, want, ulps float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= ulps*ulp(want)
}

func TestNUErrors(t *testing.T) {
	v := func(n, u float64) Value { return MustNew(n, u) }
	max := math.MaxFloat64
	cases := []struct {
		name string
		err  func() error
		code string
	}{
		{"add overflow", func() error { _, err := Add(v(max, 0), v(max, 0)); return err }, CodeOverflow},
		{"add u overflow", func() error { _, err := Add(v(0, max), v(0, max)); return err }, CodeOverflow},
		{"mul overflow", func() error { _, err := Mul(v(1e200, 0), v(1e200, 0)); return err }, CodeOverflow},
		{"mul u overflow", func() error { _, err := Mul(v(1, 1e200), v(1, 1e200)); return err }, CodeOverflow},
		{"div by zero", func() error { _, err := Div(v(1, 0), v(0, 1)); return err }, CodeDivByZero},
		{"div overflow", func() error { _, err := Div(v(1e300, 0), v(1e-300, 0)); return err }, CodeOverflow},
		{"scale NaN", func() error { _, err := Scale(math.NaN(), v(1, 0)); return err }, CodeBadConstant},
		{"scale overflow", func() error { _, err := Scale(1e300, v(1e300, 0)); return err }, CodeOverflow},
		{"compose contradiction", func() error { _, err := Compose(v(1, 0), v(2, 0)); return err }, CodeContradiction},
		{"interval compose disjoint", func() error { _, err := IntervalCompose(v(1, 0.1), v(2, 0.1)); return err }, CodeContradiction},
		{"interval div zero crossing", func() error { _, err := IntervalDiv(v(1, 0), v(0.5, 1)); return err }, CodeDivByZero},
		{"interval add overflow", func() error { _, err := IntervalAdd(v(max, 0), v(max, 0)); return err }, CodeOverflow},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.err()
			e, ok := AsError(err)
			if !ok || e.Code != c.code {
				t.Fatalf("err = %v, want code %s", err, c.code)
			}
			if e.Category == "" || e.Message == "" || e.Remediation == "" {
				t.Fatalf("incomplete structured error: %+v", e)
			}
		})
	}
}

func TestCatchAndFlip(t *testing.T) {
	for _, c := range []struct {
		n, u, def float64
		want      Value
	}{
		{1, 2, 9, Value{1, 2}},
		{math.NaN(), 1, 9, Value{9, math.Inf(1)}},
		{math.Inf(-1), 1, 9, Value{9, math.Inf(1)}},
		{1, -1, 9, Value{9, math.Inf(1)}},
		{1, math.NaN(), math.NaN(), Value{0, math.Inf(1)}},
	} {
		if got := Catch(c.n, c.u, c.def); got != c.want {
			t.Errorf("Catch(%v, %v, %v) = %v, want %v", c.n, c.u, c.def, got, c.want)
		}
	}
	if got := Flip(MustNew(3, 0.5)); got != (Value{-3, 0.5}) {
		t.Errorf("Flip = %v", got)
	}
}

func TestModeDispatch(t *testing.T) {
	a, b := MustNew(10, 0.5), MustNew(20, 1)
	for _, m := range []Mode{ModeNU, ModeInterval} {
		ops := map[string][2]func() (Value, error){
			"add":     {func() (Value, error) { return m.Add(a, b) }, func() (Value, error) { return pick(m, Add, IntervalAdd)(a, b) }},
			"sub":     {func() (Value, error) { return m.Sub(a, b) }, func() (Value, error) { return pick(m, Sub, IntervalSub)(a, b) }},
			"mul":     {func() (Value, error) { return m.Mul(a, b) }, func() (Value, error) { return pick(m, Mul, IntervalMul)(a, b) }},
			"div":     {func() (Value, error) { return m.Div(a, b) }, func() (Value, error) { return pick(m, Div, IntervalDiv)(a, b) }},
			"compose": {func() (Value, error) { return m.Compose(a, a) }, func() (Value, error) { return pick(m, Compose, IntervalCompose)(a, a) }},
		}
		for name, f := range ops {
			x, err1 := f[0]()
			y, err2 := f[1]()
			if x != y || err1 != nil || err2 != nil {
				t.Errorf("%s %s: dispatch gave %v, direct %v", m, name, x, y)
			}
		}
	}
	if m, err := ParseMode("interval"); err != nil || m != ModeInterval {
		t.Fatal("ParseMode(interval)")
	}
	if _, err := ParseMode("fuzzy"); !isCode(err, CodeBadMode) {
		t.Fatalf("ParseMode(fuzzy) err = %v", err)
	}
}

func pick(m Mode, f, g func(a, b Value) (Value, error)) func(a, b Value) (Value, error) {
	if m == ModeInterval {
		return g
	}
	return f
}
