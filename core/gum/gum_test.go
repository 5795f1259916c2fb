package gum

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
)

// ck fails its test on an error and returns the value otherwise.
type ck struct{ t testing.TB }

func (k ck) V(v Value, err error) Value {
	k.t.Helper()
	k.ok(err)
	return v
}

func (k ck) F(x float64, err error) float64 {
	k.t.Helper()
	k.ok(err)
	return x
}

func (k ck) B(b []Term, err error) []Term {
	k.t.Helper()
	k.ok(err)
	return b
}

func (k ck) ok(err error) {
	k.t.Helper()
	if err != nil {
		k.t.Fatal(err)
	}
}

// code returns the code of err, which must be a *nu.Error, or "" for nil.
func code(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	e, ok := err.(*nu.Error)
	if !ok {
		t.Fatalf("error %v (%T) is not a *nu.Error", err, err)
	}
	if e.Code == "" || e.Category == "" || e.Message == "" || e.Remediation == "" {
		t.Fatalf("error %+v lacks a code, category, message or remediation", e)
	}
	b, err := json.Marshal(e)
	if err != nil || !strings.Contains(string(b), `"code":"`+e.Code+`"`) {
		t.Fatalf("error %+v marshals to %s, %v", e, b, err)
	}
	return e.Code
}

// isZero reports whether every coefficient of g is 0.
func isZero(g []float64) bool {
	for _, x := range g {
		if x != 0 {
			return false
		}
	}
	return true
}

// first returns the first non-nil error.
func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// relDiff is |a-b|/max(|a|,|b|), 0 when a == b.
func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

// TestExact: dependence is tracked exactly. Each case builds a value from
// inputs x = 3 ± 0.2 and y = -5 ± 0.7 (correlated with r = 0.4) and
// states its exact nominal and u.
func TestExact(t *testing.T) {
	k := ck{t}
	cases := []struct {
		name string
		f    func(c *Context, x, y Value) (Value, error)
		n, u float64 // u = 0: exactly; u < 0: U equals uRef
		uRef func(c *Context, x, y Value) float64
	}{
		{"x-x", func(c *Context, x, _ Value) (Value, error) { return c.Sub(x, x) }, 0, 0, nil},
		{"x+(-x)", func(c *Context, x, _ Value) (Value, error) { return c.Add(x, c.Neg(x)) }, 0, 0, nil},
		{"x/x", func(c *Context, x, _ Value) (Value, error) { return c.Div(x, x) }, 1, 0, nil},
		{"(x+y)-y-x", func(c *Context, x, y Value) (Value, error) {
			s := k.V(c.Add(x, y))
			s = k.V(c.Sub(s, y))
			return c.Sub(s, x)
		}, 0, 0, nil},
		{"x+x", func(c *Context, x, _ Value) (Value, error) { return c.Add(x, x) }, 6, 0.4, nil},
		{"x*x", func(c *Context, x, _ Value) (Value, error) { return c.Mul(x, x) }, 9, 2 * 3 * 0.2, nil},
		{"x^2 by Apply", func(c *Context, x, _ Value) (Value, error) { return c.Apply(x, 9, 6) }, 9, 2 * 3 * 0.2, nil},
		{"x*3", func(c *Context, x, _ Value) (Value, error) { return c.Mul(x, c.Const(3)) }, 9, 0.6000000000000001, nil},
		{"y-3", func(c *Context, _, y Value) (Value, error) { return c.Sub(y, c.Const(3)) }, -8, 0.7, nil},
		{"3/y", func(c *Context, _, y Value) (Value, error) { return c.Div(c.Const(3), y) }, -0.6, 3 * 0.7 / 25, nil},
		{"const", func(c *Context, _, _ Value) (Value, error) { return c.Add(c.Const(2), c.Const(0.5)) }, 2.5, 0, nil},
		{"zero Value", func(c *Context, x, _ Value) (Value, error) { return c.Mul(x, Value{}) }, 0, 0, nil},
		{"f'(n) = 0", func(c *Context, x, _ Value) (Value, error) { return c.Apply(x, 1, 0) }, 1, 0, nil},
		{"Apply2 with zero partials", func(c *Context, x, y Value) (Value, error) { return c.Apply2(x, y, 7, 0, 0) }, 7, 0, nil},
		{"x*y", func(c *Context, x, y Value) (Value, error) { return c.Mul(x, y) }, -15, -1, func(c *Context, x, y Value) float64 {
			// g = (y, x) = (-5, 3): u² = (5·0.2)² + (3·0.7)² + 2·0.4·(-5·0.2)·(3·0.7)
			return math.Sqrt(1 + 2.1*2.1 - 2*0.4*2.1)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k = ck{t}
			c := NewContext()
			x := k.V(c.Input("x", 3, 0.2))
			y := k.V(c.Input("y", -5, 0.7))
			if err := c.Correlate(x, y, 0.4); err != nil {
				t.Fatal(err)
			}
			v := k.V(tc.f(c, x, y))
			u := k.F(c.U(v))
			if v.N() != tc.n {
				t.Errorf("n = %v, want %v", v.N(), tc.n)
			}
			if tc.u == 0 && u != 0 {
				t.Errorf("u = %v, want exactly 0", u)
			} else if tc.u > 0 && relDiff(u, tc.u) > 1e-15 {
				t.Errorf("u = %v, want %v", u, tc.u)
			} else if tc.u < 0 && relDiff(u, tc.uRef(c, x, y)) > 1e-15 {
				t.Errorf("u = %v, want %v", u, tc.uRef(c, x, y))
			}
			r, err := c.Result(v)
			k.ok(err)
			if r.N() != v.N() || r.U() != u {
				t.Errorf("Result = %v, want (%v, %v)", r, v.N(), u)
			}
			if tc.u == 0 && !isZero(v.g) {
				t.Errorf("gradient %v is not exactly 0", v.g)
			}
		})
	}
}

// TestSquare: x·x and x² through Apply are the same value, bit for bit,
// with u = 2|n|·u, for inputs of either sign and correlated ones.
func TestSquare(t *testing.T) {
	k := ck{t}
	for _, tc := range []struct{ n, u float64 }{{3, 0.2}, {-7.25, 0.5}, {1e-3, 1e-5}, {0, 0.1}, {2.5, 0}} {
		c := NewContext()
		x := k.V(c.Input("x", tc.n, tc.u))
		y := k.V(c.Input("y", 1, 1))
		k.ok(c.Correlate(x, y, -0.7))
		m := k.V(c.Mul(x, x))
		a := k.V(c.Apply(x, tc.n*tc.n, 2*tc.n))
		um, ua := k.F(c.U(m)), k.F(c.U(a))
		if m.N() != a.N() || um != ua || um != 2*math.Abs(tc.n)*tc.u {
			t.Errorf("%v ± %v: x·x = %v ± %v, x² = %v ± %v, want u = %v", tc.n, tc.u, m.N(), um, a.N(), ua, 2*math.Abs(tc.n)*tc.u)
		}
		if r := k.F(c.Correlation(m, a)); um > 0 && r != 1 {
			t.Errorf("r(x·x, x²) = %v, want 1", r)
		}
		if d := k.V(c.Sub(m, a)); k.F(c.U(d)) != 0 || d.N() != 0 {
			t.Errorf("x·x - x² is not exactly 0 ± 0")
		}
	}
}

// TestCorrelatedSums: u(x ± y)² = u1² + u2² ± 2·r·u1·u2, including r = ±1,
// where the difference (r = 1) or the sum (r = -1) of equal uncertainties
// is exactly 0.
func TestCorrelatedSums(t *testing.T) {
	k := ck{t}
	cases := []struct{ u1, u2, r float64 }{
		{0.3, 0.4, 0}, {0.3, 0.4, 0.5}, {0.3, 0.4, -0.5}, {0.3, 0.4, 1}, {0.3, 0.4, -1},
		{0.5, 0.5, 1}, {0.5, 0.5, -1}, {2, 0, 0.7}, {0, 0, 1}, {1e-200, 3e-200, 0.25}, {1e160, 2e160, -0.75},
	}
	for _, tc := range cases {
		c := NewContext()
		x := k.V(c.Input("x", 1, tc.u1))
		y := k.V(c.Input("y", 2, tc.u2))
		if err := c.Correlate(x, y, tc.r); err != nil {
			t.Fatal(err)
		}
		for _, sign := range []float64{1, -1} {
			var v Value
			if sign > 0 {
				v = k.V(c.Add(x, y))
			} else {
				v = k.V(c.Sub(x, y))
			}
			u := k.F(c.U(v))
			// Scaled by the larger u so that the reference does not overflow.
			// Scaled by the larger u so that the reference does not overflow;
			// the variance is compared, to within rounding of the sum of the
			// magnitudes of its terms.
			m := math.Max(math.Max(tc.u1, tc.u2), 1e-300)
			a, b, um := tc.u1/m, tc.u2/m, u/m
			want := a*a + b*b + sign*2*tc.r*a*b
			exact := tc.u1 == tc.u2 && sign*tc.r == -1
			switch {
			case exact && u != 0:
				t.Errorf("u1 = u2 = %v, r = %v, sign %v: u = %v, want exactly 0", tc.u1, tc.r, sign, u)
			case math.Abs(um*um-want) > 1e-15*(a+b)*(a+b):
				t.Errorf("u1 = %v, u2 = %v, r = %v, sign %v: u = %v, want √%v·%v", tc.u1, tc.u2, tc.r, sign, u, want, m)
			}
			cov, err := c.Covariance(x, y)
			if wantCov := tc.r * tc.u1 * tc.u2; math.IsInf(wantCov, 0) {
				if code(t, err) != nu.CodeOverflow {
					t.Errorf("Covariance(x, y) = %v, %v; want an overflow error", cov, err)
				}
			} else if k.ok(err); relDiff(cov, wantCov) > 1e-15 {
				t.Errorf("Covariance(x, y) = %v, want %v", cov, wantCov)
			}
			if tc.u1 > 0 && tc.u2 > 0 {
				if r := k.F(c.Correlation(x, y)); relDiff(r, tc.r) > 1e-15 {
					t.Errorf("Correlation(x, y) = %v, want %v", r, tc.r)
				}
			}
		}
	}
}

// TestRoundingNegative: a variance that is negative by rounding only (here
// (u1 − u2)² with r = 1 and u2 one ulp above u1, computed as
// u1² + u2² − 2·u1·u2) counts as 0.
func TestRoundingNegative(t *testing.T) {
	k := ck{t}
	c := NewContext()
	x := k.V(c.Input("x", 1, 0.1026))
	y := k.V(c.Input("y", 1, math.Nextafter(0.1026, 1)))
	k.ok(c.Correlate(x, y, 1))
	d := k.V(c.Sub(x, y))
	if v, _ := c.quad(c.scaled(d.g, 2, &c.s1)); v >= 0 {
		t.Fatalf("the computed variance %v is not negative: the test needs other numbers", v)
	}
	if u := k.F(c.U(d)); u != 0 {
		t.Errorf("u = %v, want 0", u)
	}
	if r := k.F(c.Correlation(d, x)); r != 0 {
		t.Errorf("r = %v, want 0", r)
	}
	if b := k.B(c.Budget(d)); len(b) != 3 || b[0].Share != 0 || b[2].Share != 0 {
		t.Errorf("budget %+v, want 3 terms with shares 0", b)
	}
}

// TestCorrelationOfResults: correlations of computed values.
func TestCorrelationOfResults(t *testing.T) {
	k := ck{t}
	c := NewContext()
	x := k.V(c.Input("x", 2, 0.1))
	y := k.V(c.Input("y", 3, 0.2))
	a := k.V(c.Add(x, y))
	b := k.V(c.Sub(x, y))
	// cov(x+y, x-y) = u_x² - u_y²; u(x±y)² = u_x² + u_y².
	cov := k.F(c.Covariance(a, b))
	if relDiff(cov, 0.01-0.04) > 1e-15 {
		t.Errorf("cov = %v, want -0.03", cov)
	}
	if r := k.F(c.Correlation(a, b)); relDiff(r, -0.03/0.05) > 1e-15 {
		t.Errorf("r = %v, want -0.6", r)
	}
	if r := k.F(c.Correlation(a, a)); r != 1 {
		t.Errorf("r(a, a) = %v, want 1", r)
	}
	n := c.Neg(a)
	if r := k.F(c.Correlation(a, n)); r != -1 {
		t.Errorf("r(a, -a) = %v, want -1", r)
	}
	four := c.Const(4)
	if r := k.F(c.Correlation(a, four)); r != 0 {
		t.Errorf("r(a, constant) = %v, want 0", r)
	}
	if cov := k.F(c.Covariance(a, four)); cov != 0 {
		t.Errorf("cov(a, constant) = %v, want 0", cov)
	}
}

// TestLateInputs: values made before an input was added work with values
// made after it.
func TestLateInputs(t *testing.T) {
	k := ck{t}
	c := NewContext()
	x := k.V(c.Input("x", 1, 0.3))
	x2 := k.V(c.Mul(x, x))
	y := k.V(c.Input("y", 2, 0.4))
	if err := c.Correlate(x, y, -0.5); err != nil {
		t.Fatal(err)
	}
	v := k.V(c.Sub(y, x2)) // g = (-2, 1)
	want := math.Sqrt(0.36 + 0.16 + 2*(-0.5)*(-0.6)*0.4)
	if u := k.F(c.U(v)); relDiff(u, want) > 1e-15 {
		t.Errorf("u = %v, want %v", u, want)
	}
	if u := k.F(c.U(x2)); relDiff(u, 0.6) > 1e-15 {
		t.Errorf("u(x²) = %v, want 0.6", u)
	}
	if cov := k.F(c.Covariance(x2, y)); relDiff(cov, 2*-0.5*0.3*0.4) > 1e-15 {
		t.Errorf("cov(x², y) = %v", cov)
	}
}

// TestScaling: U neither overflows nor underflows in its squares.
func TestScaling(t *testing.T) {
	k := ck{t}
	cases := []struct{ n, u, k float64 }{
		{1, 1e160, 1}, {1, 1e-200, 1}, {1, 1e-300, 1e-10}, {1e300, 1e150, 1e5}, {1, 5e-324, 1},
	}
	for _, tc := range cases {
		c := NewContext()
		x := k.V(c.Input("", tc.n, tc.u))
		v := k.V(c.Mul(x, c.Const(tc.k)))
		if u := k.F(c.U(v)); relDiff(u, tc.u*tc.k) > 1e-15 {
			t.Errorf("%v·(%v ± %v): u = %v, want %v", tc.k, tc.n, tc.u, u, tc.u*tc.k)
		}
	}
}

// TestErrors: every failure is a *nu.Error with the expected code, and a
// failed operation changes nothing.
func TestErrors(t *testing.T) {
	k := ck{t}
	type env struct {
		c, other *Context
		x, y, z  Value // x = 2 ± 0.5, y = 3 ± 0.25, z = 1 ± 0 (an exact input)
		w        Value // an input of other
	}
	cases := []struct {
		name string
		code string
		f    func(e env) error
	}{
		{"input NaN n", nu.CodeNaN, func(e env) error { _, err := e.c.Input("a", math.NaN(), 1); return err }},
		{"input Inf n", nu.CodeInfiniteN, func(e env) error { _, err := e.c.Input("a", math.Inf(-1), 1); return err }},
		{"input NaN u", nu.CodeNaN, func(e env) error { _, err := e.c.Input("a", 1, math.NaN()); return err }},
		{"input negative u", nu.CodeNegativeU, func(e env) error { _, err := e.c.Input("a", 1, -0.1); return err }},
		{"input Inf u", CodeInfiniteU, func(e env) error { _, err := e.c.Input("a", 1, math.Inf(1)); return err }},
		{"r > 1", CodeCorrelation, func(e env) error { return e.c.Correlate(e.x, e.y, 1.5) }},
		{"r < -1", CodeCorrelation, func(e env) error { return e.c.Correlate(e.x, e.y, -1.0000001) }},
		{"r NaN", CodeCorrelation, func(e env) error { return e.c.Correlate(e.x, e.y, math.NaN()) }},
		{"r > 1 between unnamed inputs", CodeCorrelation, func(e env) error {
			a := k.V(e.c.Input("", 1, 1))
			err := e.c.Correlate(a, e.x, 2)
			if err != nil && !strings.Contains(err.(*nu.Error).Details, "#4") {
				t.Errorf("details %q do not name the input #4", err.(*nu.Error).Details)
			}
			return err
		}},
		{"r Inf", CodeCorrelation, func(e env) error { return e.c.Correlate(e.x, e.y, math.Inf(1)) }},
		{"self r = 0.5", CodeCorrelation, func(e env) error { return e.c.Correlate(e.x, e.x, 0.5) }},
		{"self r = 0", CodeCorrelation, func(e env) error { return e.c.Correlate(e.y, e.y, 0) }},
		{"self r = 1", "", func(e env) error { return e.c.Correlate(e.x, e.x, 1) }},
		{"r = ±1", "", func(e env) error { return first(e.c.Correlate(e.x, e.y, 1), e.c.Correlate(e.x, e.y, -1)) }},
		{"correlate a derived value", CodeUnknownInput, func(e env) error { return e.c.Correlate(e.x, e.c.Neg(e.y), 0.5) }},
		{"correlate x+0", CodeUnknownInput, func(e env) error {
			return e.c.Correlate(k.V(e.c.Add(e.x, e.c.Const(0))), e.y, 0.5)
		}},
		{"correlate a constant", CodeUnknownInput, func(e env) error { return e.c.Correlate(e.x, e.c.Const(1), 0.5) }},
		{"correlate the zero Value", CodeUnknownInput, func(e env) error { return e.c.Correlate(Value{}, e.x, 0.5) }},
		{"correlate another context's input", CodeUnknownInput, func(e env) error { return e.c.Correlate(e.x, e.w, 0.5) }},
		{"add another context's input", CodeUnknownInput, func(e env) error { _, err := e.c.Add(e.x, e.w); return err }},
		{"mul another context's value", CodeUnknownInput, func(e env) error { _, err := e.c.Mul(e.other.Neg(e.w), e.x); return err }},
		{"U of another context's input", CodeUnknownInput, func(e env) error { _, err := e.c.U(e.w); return err }},
		{"Budget of another context's input", CodeUnknownInput, func(e env) error { _, err := e.c.Budget(e.w); return err }},
		{"Apply to another context's input", CodeUnknownInput, func(e env) error { _, err := e.c.Apply(e.w, 1, 1); return err }},
		{"correlation with another context's input", CodeUnknownInput, func(e env) error { _, err := e.c.Correlation(e.x, e.w); return err }},
		{"covariance with another context's input", CodeUnknownInput, func(e env) error { _, err := e.c.Covariance(e.w, e.x); return err }},
		{"apply2 to another context's input", CodeUnknownInput, func(e env) error { _, err := e.c.Apply2(e.x, e.w, 1, 1, 1); return err }},
		{"Result of an invalid constant", nu.CodeBadConstant, func(e env) error { _, err := e.c.Result(e.c.Const(math.NaN())); return err }},
		{"subtract overflow", nu.CodeOverflow, func(e env) error {
			_, err := e.c.Sub(e.c.Const(math.MaxFloat64), e.c.Const(-math.MaxFloat64))
			return err
		}},
		{"covariance overflow", nu.CodeOverflow, func(e env) error {
			a := k.V(e.c.Input("a", 1, 1e200))
			b := k.V(e.c.Input("b", 1, 1e200))
			k.ok(e.c.Correlate(a, b, 0.5))
			_, err := e.c.Covariance(a, b) // 0.5e400
			return err
		}},
		{"covariance overflow of the sensitivities", nu.CodeOverflow, func(e env) error {
			a := k.V(e.c.Input("a", 1e-300, 1e300))
			v := k.V(e.c.Mul(a, e.c.Const(1e10))) // g·u = 1e310
			_, err := e.c.Covariance(v, e.x)
			return err
		}},
		{"correlation not PSD", CodeNotPSD, func(e env) error {
			a := k.V(e.c.Input("a", 1, 1))
			b := k.V(e.c.Input("b", 1, 1))
			d := k.V(e.c.Input("d", 1, 1))
			if err := first(e.c.Correlate(a, b, 0.9), e.c.Correlate(b, d, 0.9), e.c.Correlate(a, d, -0.9)); err != nil {
				return err
			}
			v := k.V(e.c.Add(k.V(e.c.Sub(a, b)), d))
			_, err := e.c.Correlation(a, v)
			return err
		}},
		{"divide by 0", nu.CodeDivByZero, func(e env) error { _, err := e.c.Div(e.x, e.c.Const(0)); return err }},
		{"divide by x-x", nu.CodeDivByZero, func(e env) error { _, err := e.c.Div(e.y, k.V(e.c.Sub(e.x, e.x))); return err }},
		{"add overflow", nu.CodeOverflow, func(e env) error {
			_, err := e.c.Add(e.c.Const(math.MaxFloat64), e.c.Const(math.MaxFloat64))
			return err
		}},
		{"mul overflow of n", nu.CodeOverflow, func(e env) error { _, err := e.c.Mul(e.x, e.c.Const(1e308)); return err }},
		{"gradient overflow", nu.CodeOverflow, func(e env) error {
			a := k.V(e.c.Input("a", 1e-300, 1))
			v := k.V(e.c.Mul(a, e.c.Const(1e300))) // n = 1, g = 1e300
			_, err := e.c.Mul(v, e.c.Const(1e10))  // n = 1e10, g = 1e310
			return err
		}},
		{"division gradient overflow", nu.CodeOverflow, func(e env) error {
			a := k.V(e.c.Input("a", 1e-200, 1))
			_, err := e.c.Div(e.c.Const(1), a) // n = 1e200, g = -1e400
			return err
		}},
		{"U overflow", nu.CodeOverflow, func(e env) error {
			a := k.V(e.c.Input("a", 1e-300, 1e300))
			v := k.V(e.c.Mul(a, e.c.Const(1e10))) // u = 1e310
			_, err := e.c.U(v)
			return err
		}},
		{"Budget overflow", nu.CodeOverflow, func(e env) error {
			a := k.V(e.c.Input("a", 1, 1e200)) // u² = 1e400
			_, err := e.c.Budget(a)
			return err
		}},
		{"apply NaN", nu.CodeNaN, func(e env) error { _, err := e.c.Apply(e.x, math.NaN(), 1); return err }},
		{"apply Inf", nu.CodeOverflow, func(e env) error { _, err := e.c.Apply(e.x, math.Inf(1), 1); return err }},
		{"apply Inf derivative", CodeNoDerivative, func(e env) error { _, err := e.c.Apply(e.x, 0, math.Inf(1)); return err }},
		{"apply NaN derivative", CodeNoDerivative, func(e env) error { _, err := e.c.Apply(e.x, 0, math.NaN()); return err }},
		{"apply Inf derivative to an exact input", "", func(e env) error { _, err := e.c.Apply(e.z, 0, math.Inf(1)); return err }},
		{"apply Inf derivative to x - x", "", func(e env) error { _, err := e.c.Apply(k.V(e.c.Sub(e.x, e.x)), 0, math.Inf(1)); return err }},
		{"apply2 Inf derivative", CodeNoDerivative, func(e env) error { _, err := e.c.Apply2(e.c.Const(1), e.y, 0, 1, math.Inf(-1)); return err }},
		{"apply2 Inf derivative of a constant", "", func(e env) error { _, err := e.c.Apply2(e.c.Const(1), e.y, 0, math.Inf(-1), 1); return err }},
		{"apply2 Inf", nu.CodeOverflow, func(e env) error { _, err := e.c.Apply2(e.x, e.y, math.Inf(-1), 1, 1); return err }},
		{"NaN constant", nu.CodeBadConstant, func(e env) error { _, err := e.c.Add(e.x, e.c.Const(math.NaN())); return err }},
		{"Inf constant", nu.CodeBadConstant, func(e env) error { _, err := e.c.Sub(e.c.Neg(e.c.Const(math.Inf(1))), e.x); return err }},
		{"U of an Inf constant", nu.CodeBadConstant, func(e env) error { _, err := e.c.U(e.c.Const(math.Inf(1))); return err }},
		{"not PSD in U", CodeNotPSD, func(e env) error {
			// r = 0.9, 0.9 and -0.9: the direction (1, -1, 1) has variance -2.4·u².
			a := k.V(e.c.Input("a", 1, 1))
			b := k.V(e.c.Input("b", 1, 1))
			d := k.V(e.c.Input("d", 1, 1))
			if err := first(e.c.Correlate(a, b, 0.9), e.c.Correlate(b, d, 0.9), e.c.Correlate(a, d, -0.9)); err != nil {
				return err
			}
			v := k.V(e.c.Add(k.V(e.c.Sub(a, b)), d))
			if _, err := e.c.U(a); err != nil { // PSD in the direction of a
				return err
			}
			_, err := e.c.U(v)
			return err
		}},
		{"not PSD in Validate", CodeNotPSD, func(e env) error {
			a := k.V(e.c.Input("a", 1, 1))
			b := k.V(e.c.Input("b", 1, 2))
			d := k.V(e.c.Input("d", 1, 3))
			return first(e.c.Correlate(a, b, 0.9), e.c.Correlate(b, d, 0.9), e.c.Correlate(a, d, 0), e.c.Validate())
		}},
		{"PSD at the edge in Validate", "", func(e env) error {
			// r = -0.5 three times: singular but PSD (the sum has variance 0).
			a := k.V(e.c.Input("a", 1, 1))
			b := k.V(e.c.Input("b", 1, 1))
			d := k.V(e.c.Input("d", 1, 1))
			return first(e.c.Correlate(a, b, -0.5), e.c.Correlate(b, d, -0.5), e.c.Correlate(a, d, -0.5), e.c.Validate())
		}},
		{"not PSD in SetCovariance", CodeNotPSD, func(e env) error {
			a := k.V(e.c.Input("a", 1, 1))
			b := k.V(e.c.Input("b", 1, 1))
			d := k.V(e.c.Input("d", 1, 1))
			return e.c.SetCovariance([]Value{a, b, d}, [][]float64{{1, 0.9, -0.9}, {0.9, 1, 0.9}, {-0.9, 0.9, 1}})
		}},
		{"covariance |r| > 1", CodeNotPSD, func(e env) error {
			return e.c.SetCovariance([]Value{e.x, e.y}, [][]float64{{0.25, 0.2}, {0.2, 0.0625}})
		}},
		{"covariance with an exact input", CodeNotPSD, func(e env) error {
			return e.c.SetCovariance([]Value{e.x, e.z}, [][]float64{{0.25, 1e-20}, {1e-20, 0}})
		}},
		{"covariance diagonal mismatch", CodeCovariance, func(e env) error {
			return e.c.SetCovariance([]Value{e.x, e.y}, [][]float64{{0.25, 0}, {0, 0.0625 * (1 + 1e-11)}})
		}},
		{"covariance diagonal within 1e-12", "", func(e env) error {
			return e.c.SetCovariance([]Value{e.x, e.y}, [][]float64{{0.25 * (1 - 5e-13), 0.1}, {0.1, 0.0625}})
		}},
		{"covariance not symmetric", CodeCovariance, func(e env) error {
			return e.c.SetCovariance([]Value{e.x, e.y}, [][]float64{{0.25, 0.05}, {0.06, 0.0625}})
		}},
		{"covariance wrong size", CodeCovariance, func(e env) error {
			return e.c.SetCovariance([]Value{e.x, e.y}, [][]float64{{0.25}})
		}},
		{"covariance ragged", CodeCovariance, func(e env) error {
			return e.c.SetCovariance([]Value{e.x, e.y}, [][]float64{{0.25, 0}, {0}})
		}},
		{"covariance NaN", CodeCovariance, func(e env) error {
			return e.c.SetCovariance([]Value{e.x, e.y}, [][]float64{{0.25, math.NaN()}, {math.NaN(), 0.0625}})
		}},
		{"covariance duplicate input", CodeCovariance, func(e env) error {
			return e.c.SetCovariance([]Value{e.x, e.x}, [][]float64{{0.25, 0.25}, {0.25, 0.25}})
		}},
		{"covariance of a derived value", CodeUnknownInput, func(e env) error {
			return e.c.SetCovariance([]Value{e.x, e.c.Neg(e.y)}, [][]float64{{0.25, 0}, {0, 0.0625}})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k = ck{t}
			var e env
			e.c, e.other = NewContext(), NewContext()
			e.x = k.V(e.c.Input("x", 2, 0.5))
			e.y = k.V(e.c.Input("y", 3, 0.25))
			e.z = k.V(e.c.Input("z", 1, 0))
			e.w = k.V(e.other.Input("w", 1, 1))
			pairs := len(e.c.pairs)
			err := tc.f(e)
			if got := code(t, err); got != tc.code {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			if tc.code == CodeCovariance || tc.code == CodeNotPSD && strings.HasPrefix(tc.name, "cov") {
				if len(e.c.pairs) != pairs {
					t.Errorf("a failed SetCovariance changed the correlations")
				}
			}
			if tc.name == "covariance diagonal mismatch" && !strings.Contains(err.Error(), "within a relative 1e-12") {
				t.Errorf("message %q does not say the tolerance", err)
			}
			if e.c.Inputs() < 3 {
				t.Errorf("Inputs() = %d", e.c.Inputs())
			}
		})
	}
}

// TestCorrelateReplaces: setting a correlation again replaces it, 0 removes
// it, and SetCovariance replaces the pairs among its inputs only.
func TestCorrelateReplaces(t *testing.T) {
	k := ck{t}
	c := NewContext()
	x := k.V(c.Input("x", 1, 0.1))
	y := k.V(c.Input("y", 1, 0.2))
	z := k.V(c.Input("z", 1, 0.3))
	corr := func(a, b Value) float64 { return k.F(c.Correlation(a, b)) }
	steps := []struct {
		do         func() error
		xy, xz, yz float64
	}{
		{func() error { return c.Correlate(x, y, 0.5) }, 0.5, 0, 0},
		{func() error { return c.Correlate(y, x, -0.25) }, -0.25, 0, 0},
		{func() error { return c.Correlate(x, z, 0.125) }, -0.25, 0.125, 0},
		{func() error { return c.Correlate(y, x, 0) }, 0, 0.125, 0},
		{func() error { return c.Correlate(y, z, 0.5) }, 0, 0.125, 0.5},
		{func() error {
			return c.SetCovariance([]Value{y, x}, [][]float64{{0.04, 0.1 * 0.2 * 0.75}, {0.1 * 0.2 * 0.75, 0.01}})
		}, 0.75, 0.125, 0.5},
		{func() error { return c.SetCovariance([]Value{z, y}, [][]float64{{0.09, 0}, {0, 0.04}}) }, 0.75, 0.125, 0},
	}
	for k, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d: %v", k, err)
		}
		if xy, xz, yz := corr(x, y), corr(x, z), corr(y, z); relDiff(xy, s.xy) > 1e-15 || relDiff(xz, s.xz) > 1e-15 || relDiff(yz, s.yz) > 1e-15 {
			t.Errorf("step %d: r = (%v, %v, %v), want (%v, %v, %v)", k, xy, xz, yz, s.xy, s.xz, s.yz)
		}
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

// TestBudget: shares follow GUM 5.2.2 and sum to 1 with the correlation
// terms.
func TestBudget(t *testing.T) {
	k := ck{t}
	c := NewContext()
	x := k.V(c.Input("x", 2, 0.1))
	y := k.V(c.Input("y", 4, 0.2))
	z := k.V(c.Input("z", 1, 0.3))
	e := k.V(c.Input("e", 5, 0)) // exact input: share 0
	k.ok(c.Correlate(x, y, 0.5))
	k.ok(c.Correlate(x, z, 0.9)) // z is not in v: no pair term
	v := k.V(c.Mul(x, y))        // g = (4, 2): s = (0.4, 0.4)
	v = k.V(c.Add(v, e))
	b := k.B(c.Budget(v))
	u := k.F(c.U(v))
	// u² = 0.16 + 0.16 + 2·0.5·0.16 = 0.48
	if relDiff(u*u, 0.48) > 1e-15 {
		t.Fatalf("u² = %v, want 0.48", u*u)
	}
	want := []Term{
		{Input: 0, Name: "x", N: 2, U: 0.1, Sensitivity: 4, Contribution: 0.4, Variance: 0.16, Share: 1.0 / 3},
		{Input: 1, Name: "y", N: 4, U: 0.2, Sensitivity: 2, Contribution: 0.4, Variance: 0.16, Share: 1.0 / 3},
		{Input: 3, Name: "e", N: 5, U: 0, Sensitivity: 1},
		{Input: 0, Name: "x", Pair: true, With: 1, WithName: "y", R: 0.5, Variance: 0.16, Share: 1.0 / 3},
	}
	if len(b) != len(want) {
		t.Fatalf("budget %+v, want %+v", b, want)
	}
	var sum float64
	for k := range b {
		g, w := b[k], want[k]
		sum += g.Share
		ok := g.Input == w.Input && g.Name == w.Name && g.Pair == w.Pair && g.With == w.With && g.WithName == w.WithName &&
			g.R == w.R && g.N == w.N && g.U == w.U && g.Sensitivity == w.Sensitivity
		for _, p := range [][2]float64{{g.Contribution, w.Contribution}, {g.Variance, w.Variance}, {g.Share, w.Share}} {
			ok = ok && relDiff(p[0], p[1]) < 1e-15
		}
		if !ok {
			t.Errorf("term %d = %+v, want %+v", k, g, w)
		}
	}
	if math.Abs(sum-1) > 1e-15 {
		t.Errorf("shares sum to %v", sum)
	}

	// A negative correlation term: x - y with r = 0.5.
	d := k.V(c.Sub(x, y))
	b = k.B(c.Budget(d))
	sum = 0
	for _, tm := range b {
		sum += tm.Share
	}
	if len(b) != 3 || !b[2].Pair || b[2].Share >= 0 || math.Abs(sum-1) > 1e-15 {
		t.Errorf("budget of x - y: %+v (shares sum to %v)", b, sum)
	}
	// x - x: no terms; a constant: no terms.
	if b := k.B(c.Budget(k.V(c.Sub(x, x)))); len(b) != 0 {
		t.Errorf("budget of x - x: %+v", b)
	}
	if b := k.B(c.Budget(c.Const(3))); len(b) != 0 {
		t.Errorf("budget of a constant: %+v", b)
	}
	// Only an exact input: its term, share 0.
	if b := k.B(c.Budget(e)); len(b) != 1 || b[0].Share != 0 || b[0].Sensitivity != 1 {
		t.Errorf("budget of an exact input: %+v", b)
	}
	// Tiny and huge contributions give the same shares.
	for _, scale := range []float64{1e-170, 1e150} {
		w := k.V(c.Mul(v, c.Const(scale)))
		b := k.B(c.Budget(w))
		for i := range b {
			if relDiff(b[i].Share, want[i].Share) > 1e-15 {
				t.Errorf("scale %v: share %d = %v, want %v", scale, i, b[i].Share, want[i].Share)
			}
		}
	}
}

// h2Case is testdata/gum_h2.json: the simultaneous measurement of
// resistance and reactance of GUM (JCGM 100:2008) example H.2, with the
// results of python3-uncertainties 3.1.6 on the same inputs.
type h2Case struct {
	Inputs []struct {
		Name string  `json:"name"`
		N    float64 `json:"n"`
		U    float64 `json:"u"`
	} `json:"inputs"`
	Correlation [][]float64 `json:"correlation"`
	Outputs     map[string]struct {
		N float64 `json:"n"`
		U float64 `json:"u"`
	} `json:"outputs"`
	OutputCorrelation map[string]float64 `json:"output_correlation"`
}

func TestGUMExampleH2(t *testing.T) {
	k := ck{t}
	raw, err := os.ReadFile("testdata/gum_h2.json")
	if err != nil {
		t.Fatal(err)
	}
	var h h2Case
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	c := NewContext()
	var in []Value
	for _, x := range h.Inputs {
		in = append(in, k.V(c.Input(x.Name, x.N, x.U)))
	}
	cov := make([][]float64, len(in))
	for i := range cov {
		cov[i] = make([]float64, len(in))
		for j := range cov[i] {
			cov[i][j] = h.Correlation[i][j] * h.Inputs[i].U * h.Inputs[j].U
		}
	}
	if err := c.SetCovariance(in, cov); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	V, I, phi := in[0], in[1], in[2]
	z := k.V(c.Div(V, I))
	out := map[string]Value{
		"R": k.V(c.Mul(z, k.V(c.Apply(phi, math.Cos(phi.N()), -math.Sin(phi.N()))))),
		"X": k.V(c.Mul(z, k.V(c.Apply(phi, math.Sin(phi.N()), math.Cos(phi.N()))))),
		"Z": z,
	}
	for name, want := range h.Outputs {
		v := out[name]
		u := k.F(c.U(v))
		if relDiff(v.N(), want.N) > 1e-12 || relDiff(u, want.U) > 1e-12 {
			t.Errorf("%s = %v ± %v, want %v ± %v", name, v.N(), u, want.N, want.U)
		}
	}
	for pair, want := range h.OutputCorrelation {
		r := k.F(c.Correlation(out[pair[:1]], out[pair[1:]]))
		if relDiff(r, want) > 1e-12 {
			t.Errorf("r(%s) = %v, want %v", pair, r, want)
		}
	}
	// The budget of Z = V/I: two inputs and their correlation term, no φ.
	// V and I are anticorrelated and Z grows with V and falls with I, so the
	// correlation adds to the variance.
	b := k.B(c.Budget(z))
	if len(b) != 3 || b[0].Name != "V" || b[1].Name != "I" || !b[2].Pair || b[2].Share <= 0 ||
		math.Abs(b[0].Share+b[1].Share+b[2].Share-1) > 1e-15 {
		t.Errorf("budget of Z: %+v", b)
	}
}

// TestCertain: a value is certain when no input with an uncertainty enters
// it, whatever the correlations.
func TestCertain(t *testing.T) {
	c := NewContext()
	x, _ := c.Input("x", 3, 0.1)
	k, _ := c.Input("k", 2, 0)
	d, _ := c.Sub(x, x)
	xk, _ := c.Mul(x, k)
	for _, tc := range []struct {
		name string
		v    Value
		want bool
	}{{"constant", c.Const(5), true}, {"exact input", k, true}, {"x - x", d, true},
		{"input", x, false}, {"x·k", xk, false}} {
		if got := c.Certain(tc.v); got != tc.want {
			t.Errorf("%s: Certain = %v, want %v", tc.name, got, tc.want)
		}
		if u, _ := c.U(tc.v); (u == 0) != tc.want {
			t.Errorf("%s: U = %v, but Certain = %v", tc.name, u, tc.want)
		}
	}
}
