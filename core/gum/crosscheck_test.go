//go:build !js

package gum

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/internal/pyuncertainties"
)

// The differential test: random expressions over shared, partly correlated
// inputs, evaluated here and by Python's uncertainties package (Debian's
// python3-uncertainties) through scripts/gum_crosscheck.py, in one Python
// process. Both must agree on n and u within a relative 1e-12 (see
// agree). It does not build under GOOS=js, where there is no python3.

// crossCases is the number of random expressions.
const crossCases = 1500

// crossTol is the relative agreement required of n and u.
const crossTol = 1e-12

// node is an expression tree; it marshals to the prefix form that
// scripts/gum_crosscheck.py reads.
type node struct {
	op   string  // "x", "c", "add", "sub", "mul", "div", "neg", "pow" or a function name
	i    int     // input index for "x"
	k    float64 // the constant for "c", the exponent for "pow"
	args []*node
}

func (e *node) MarshalJSON() ([]byte, error) {
	a := []any{e.op}
	switch e.op {
	case "x":
		a = append(a, e.i)
	case "c":
		a = append(a, e.k)
	case "pow":
		a = append(a, e.args[0], e.k)
	default:
		for _, x := range e.args {
			a = append(a, x)
		}
	}
	return json.Marshal(a)
}

func (e *node) String() string {
	switch e.op {
	case "x":
		return fmt.Sprintf("x%d", e.i)
	case "c":
		return fmt.Sprint(e.k)
	case "pow":
		return fmt.Sprintf("(%v)**%v", e.args[0], e.k)
	case "add", "sub", "mul", "div":
		return fmt.Sprintf("(%v %s %v)", e.args[0], map[string]string{"add": "+", "sub": "-", "mul": "*", "div": "/"}[e.op], e.args[1])
	case "neg":
		return fmt.Sprintf("-(%v)", e.args[0])
	}
	return fmt.Sprintf("%s(%v)", e.op, e.args[0])
}

// fn is the test's own table of functions and derivatives: the formulas
// uncertainties 3.1.6 uses (umath_core.py), not core/nu's.
// d2 is the second derivative, for the error scale only.
var fn = map[string]struct{ f, df, d2 func(float64) float64 }{
	"sqrt": {math.Sqrt, func(x float64) float64 { return 0.5 / math.Sqrt(x) }, func(x float64) float64 { return -0.25 / (x * math.Sqrt(x)) }},
	"exp":  {math.Exp, math.Exp, math.Exp},
	"log":  {math.Log, func(x float64) float64 { return 1 / x }, func(x float64) float64 { return -1 / (x * x) }},
	"sin":  {math.Sin, math.Cos, func(x float64) float64 { return -math.Sin(x) }},
	"cos":  {math.Cos, func(x float64) float64 { return -math.Sin(x) }, func(x float64) float64 { return -math.Cos(x) }},
	"tan": {math.Tan, func(x float64) float64 { t := math.Tan(x); return 1 + t*t },
		func(x float64) float64 { t := math.Tan(x); return 2 * t * (1 + t*t) }},
	"atan": {math.Atan, func(x float64) float64 { return 1 / (1 + x*x) },
		func(x float64) float64 { return -2 * x / ((1 + x*x) * (1 + x*x)) }},
	"sinh": {math.Sinh, math.Cosh, math.Sinh},
	"cosh": {math.Cosh, math.Sinh, math.Cosh},
	"tanh": {math.Tanh, func(x float64) float64 { t := math.Tanh(x); return 1 - t*t },
		func(x float64) float64 { t := math.Tanh(x); return -2 * t * (1 - t*t) }},
}

// powDeriv is d(x**k)/dx as uncertainties computes it.
func powDeriv(x, k float64) float64 {
	if k == 0 {
		return 0
	}
	return k * math.Pow(x, k-1)
}

// powDeriv2 is d²(x**k)/dx², for the error scale only.
func powDeriv2(x, k float64) float64 { return k * (k - 1) * math.Pow(x, k-2) }

// crossCase is one case as the script reads it.
type crossCase struct {
	Inputs [][2]float64 `json:"inputs"`
	Corr   [][]float64  `json:"corr"`
	Expr   *node        `json:"expr"`
	// useCov makes the Go side set the correlations with SetCovariance
	// instead of Correlate.
	useCov bool
}

type gen struct {
	r *rand.Rand
	k int // number of inputs
	n []float64
}

func (g *gen) leaf(pos bool) *node {
	if g.r.IntN(5) == 0 { // a constant
		k := float64(g.r.IntN(64)+1) / 8
		if !pos && g.r.IntN(2) == 0 {
			k = -k
		}
		return &node{op: "c", k: k}
	}
	if pos {
		var p []int
		for i, n := range g.n {
			if n > 0 {
				p = append(p, i)
			}
		}
		if len(p) > 0 {
			return &node{op: "x", i: p[g.r.IntN(len(p))]}
		}
		return &node{op: "exp", args: []*node{{op: "x", i: g.r.IntN(g.k)}}}
	}
	return &node{op: "x", i: g.r.IntN(g.k)}
}

func un(op string, a *node) *node         { return &node{op: op, args: []*node{a}} }
func bin(op string, a, b *node) *node     { return &node{op: op, args: []*node{a, b}} }
func pow(a *node, k float64) *node        { return &node{op: "pow", k: k, args: []*node{a}} }
func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// expr returns a random expression of depth ≤ d; when pos is set its
// nominal is > 0 by construction (barring underflow, which check rejects).
func (g *gen) expr(d int, pos bool) *node {
	if d == 0 || g.r.IntN(4) == 0 {
		return g.leaf(pos)
	}
	d--
	if pos {
		switch g.r.IntN(8) {
		case 0:
			return un("exp", g.expr(d, false))
		case 1:
			return un("cosh", g.expr(d, false))
		case 2:
			return un("sqrt", g.expr(d, true))
		case 3:
			return bin("add", g.expr(d, true), g.expr(d, true))
		case 4:
			return bin("mul", g.expr(d, true), g.expr(d, true))
		case 5:
			return bin("div", g.expr(d, true), g.expr(d, true))
		case 6:
			return pow(g.expr(d, true), pick(g.r, 0.5, 1.5, -0.5, 2.5, -1.5, 1.0/3, 3, -1, -2))
		default:
			e := g.expr(d, true) // e·e and e/e·e of one subtree
			return bin(pick(g.r, "mul", "add"), e, e)
		}
	}
	switch g.r.IntN(16) {
	case 0:
		return bin("add", g.expr(d, false), g.expr(d, false))
	case 1:
		return bin("sub", g.expr(d, false), g.expr(d, false))
	case 2:
		return bin("mul", g.expr(d, false), g.expr(d, false))
	case 3:
		den := g.expr(d, true)
		if g.r.IntN(2) == 0 {
			den = un("neg", den)
		}
		return bin("div", g.expr(d, false), den)
	case 4:
		return un("neg", g.expr(d, false))
	case 5:
		return un(pick(g.r, "sin", "cos", "atan", "tanh"), g.expr(d, false))
	case 6:
		return un(pick(g.r, "tan", "sinh", "exp", "cosh"), g.expr(d, false))
	case 7:
		return un(pick(g.r, "sqrt", "log"), g.expr(d, true))
	case 8:
		return pow(g.expr(d, false), pick(g.r, 2.0, 3, 4))
	case 9:
		return pow(g.expr(d, true), pick(g.r, 0.5, -1, -2, 1.5, -0.75))
	case 10:
		// The same subtree twice: x - x, x + x, x·x, x/x.
		e := g.expr(d, false)
		op := pick(g.r, "sub", "add", "mul", "div")
		if op == "div" {
			e = g.expr(d, true)
		}
		return bin(op, e, e)
	default:
		// A combination of a subexpression with an input, which shares
		// inputs between the branches.
		return bin(pick(g.r, "add", "sub", "mul"), g.expr(d, false), g.leaf(false))
	}
}

// nominal evaluates e's nominal in float64 and reports whether every step
// is in a comfortable range: finite, |n| ≤ 1e12, function arguments in the
// domain and away from poles, divisors away from 0.
func (g *gen) nominal(e *node) (float64, bool) {
	var a []float64
	for _, x := range e.args {
		v, ok := g.nominal(x)
		if !ok {
			return 0, false
		}
		a = append(a, v)
	}
	var v float64
	switch e.op {
	case "x":
		v = g.n[e.i]
	case "c":
		v = e.k
	case "add":
		v = a[0] + a[1]
	case "sub":
		v = a[0] - a[1]
	case "mul":
		v = a[0] * a[1]
	case "div":
		if math.Abs(a[1]) < 1e-6 {
			return 0, false
		}
		v = a[0] / a[1]
	case "neg":
		v = -a[0]
	case "pow":
		if a[0] == 0 || a[0] < 0 && e.k != math.Trunc(e.k) || math.Abs(a[0]) < 1e-6 {
			return 0, false
		}
		v = math.Pow(a[0], e.k)
	case "sqrt", "log":
		if a[0] < 1e-6 {
			return 0, false
		}
		v = fn[e.op].f(a[0])
	case "tan":
		if math.Abs(math.Cos(a[0])) < 1e-3 || math.Abs(a[0]) > 50 {
			return 0, false
		}
		v = math.Tan(a[0])
	default:
		if math.Abs(a[0]) > 50 {
			return 0, false
		}
		v = fn[e.op].f(a[0])
	}
	return v, finite(v) && math.Abs(v) <= 1e12
}

// newCase draws the inputs, their correlations and an expression.
func newCase(r *rand.Rand) crossCase {
	k := 2 + r.IntN(5)
	g := &gen{r: r, k: k}
	var c crossCase
	for range k {
		n := math.Pow(10, r.Float64()*3-1) * pick(r, 1.0, 1, -1)
		n = math.Round(n*1e6) / 1e6
		u := math.Abs(n) * math.Pow(10, r.Float64()*3.5-4)
		if r.IntN(12) == 0 && len(g.n) > 0 { // the first input is uncertain
			u = 0
		}
		g.n = append(g.n, n)
		c.Inputs = append(c.Inputs, [2]float64{n, u})
	}
	if r.IntN(3) > 0 { // two cases in three are correlated
		c.Corr = randomCorrelation(r, c.Inputs)
		c.useCov = r.IntN(2) == 0
	}
	for {
		e := g.expr(2+r.IntN(4), false)
		if _, ok := g.nominal(e); ok && uncertainIn(e, c.Inputs) {
			c.Expr = e
			return c
		}
	}
}

// uncertainIn reports whether e refers to an input with u > 0.
func uncertainIn(e *node, in [][2]float64) bool {
	if e.op == "x" {
		return in[e.i][1] > 0
	}
	for _, a := range e.args {
		if uncertainIn(a, in) {
			return true
		}
	}
	return false
}

// randomCorrelation returns a correlation matrix B·Bᵀ (+ a ridge, rows
// normalized) with coefficients rounded to 1e-3 and |r| ≤ 0.95, some set
// to 0; inputs with u = 0 have 0 off the diagonal.
func randomCorrelation(r *rand.Rand, in [][2]float64) [][]float64 {
	k := len(in)
	for {
		b := make([][]float64, k)
		for i := range b {
			b[i] = make([]float64, k)
			for j := range b[i] {
				b[i][j] = r.NormFloat64()
			}
		}
		m := make([][]float64, k)
		ok := true
		for i := range m {
			m[i] = make([]float64, k)
		}
		for i := range k {
			for j := range k {
				var s float64
				for l := range k {
					s += b[i][l] * b[j][l]
				}
				if i == j {
					s += 0.2 * float64(k)
				}
				m[i][j] = s
			}
		}
		for i := range k {
			for j := range k {
				if i != j {
					x := m[i][j] / math.Sqrt(m[i][i]*m[j][j])
					x = math.Round(x*1e3) / 1e3
					if r.IntN(4) == 0 || in[i][1] == 0 || in[j][1] == 0 {
						x = 0
					}
					if j < i {
						x = m[j][i] // symmetric, already rounded
					}
					ok = ok && math.Abs(x) <= 0.95
					m[i][j] = x
				}
			}
		}
		for i := range k {
			m[i][i] = 1
		}
		if ok && checkPSD(k, flat(m)) == "" {
			return m
		}
	}
}

func flat(m [][]float64) []float64 {
	var f []float64
	for _, row := range m {
		f = append(f, row...)
	}
	return f
}

// evaluated is a node evaluated in gum, with the scales that rounding
// differences between two correct implementations are relative to: mag
// for the nominal (the nominal computed with every sum of magnitudes) and
// ag for the gradient (every coefficient computed from magnitudes).
type evaluated struct {
	v   Value
	mag float64
	ag  []float64
}

func (cc *crossCase) eval(c *Context, in []Value, e *node) (evaluated, error) {
	var a []evaluated
	for _, x := range e.args {
		v, err := cc.eval(c, in, x)
		if err != nil {
			return evaluated{}, err
		}
		a = append(a, v)
	}
	k := len(in)
	r := evaluated{ag: make([]float64, k)}
	// axpy adds |s|·ag of x to r.ag.
	axpy := func(s float64, x evaluated) {
		for i := range r.ag {
			r.ag[i] += math.Abs(s) * x.ag[i]
		}
	}
	var err error
	switch e.op {
	case "x":
		r.v, r.mag, r.ag[e.i] = in[e.i], math.Abs(in[e.i].N()), 1
	case "c":
		r.v, r.mag = c.Const(e.k), math.Abs(e.k)
	case "add", "sub":
		if e.op == "add" {
			r.v, err = c.Add(a[0].v, a[1].v)
		} else {
			r.v, err = c.Sub(a[0].v, a[1].v)
		}
		r.mag = a[0].mag + a[1].mag
		axpy(1, a[0])
		axpy(1, a[1])
	case "mul":
		r.v, err = c.Mul(a[0].v, a[1].v)
		r.mag = a[0].mag*math.Abs(a[1].v.N()) + math.Abs(a[0].v.N())*a[1].mag
		axpy(a[1].mag, a[0])
		axpy(a[0].mag, a[1])
	case "div":
		r.v, err = c.Div(a[0].v, a[1].v)
		d := math.Abs(a[1].v.N())
		r.mag = a[0].mag/d + math.Abs(r.v.N())*a[1].mag/d
		// The coefficients 1/b and a/b², and the error they inherit from
		// the rounding of a and b.
		axpy(1/d+a[1].mag/(d*d), a[0])
		axpy(a[0].mag/(d*d)+2*math.Abs(a[0].v.N())*a[1].mag/(d*d*d), a[1])
	case "neg":
		r.v, r.mag = c.Neg(a[0].v), a[0].mag
		axpy(1, a[0])
	case "pow":
		x := a[0].v.N()
		fx, dfx := math.Pow(x, e.k), powDeriv(x, e.k)
		r.v, err = c.Apply(a[0].v, fx, dfx)
		r.mag = math.Abs(fx) + math.Abs(dfx)*a[0].mag
		axpy(math.Abs(dfx)+math.Abs(powDeriv2(x, e.k))*a[0].mag, a[0])
	default:
		x := a[0].v.N()
		fx, dfx := fn[e.op].f(x), fn[e.op].df(x)
		r.v, err = c.Apply(a[0].v, fx, dfx)
		r.mag = math.Abs(fx) + math.Abs(dfx)*a[0].mag
		// The coefficient f'(a), and the error it inherits from the
		// rounding of a.
		axpy(math.Abs(dfx)+math.Abs(fn[e.op].d2(x))*a[0].mag, a[0])
	}
	return r, err
}

// run evaluates the case in gum: n, u, and the scales of n and u.
func (cc *crossCase) run() (n, u, nScale, uScale float64, err error) {
	c := NewContext()
	var in []Value
	for i, x := range cc.Inputs {
		v, err := c.Input(fmt.Sprintf("x%d", i), x[0], x[1])
		if err != nil {
			return 0, 0, 0, 0, err
		}
		in = append(in, v)
	}
	if cc.Corr != nil {
		if cc.useCov {
			cov := make([][]float64, len(in))
			for i := range cov {
				cov[i] = make([]float64, len(in))
				for j := range cov[i] {
					cov[i][j] = cc.Corr[i][j] * cc.Inputs[i][1] * cc.Inputs[j][1]
				}
			}
			err = c.SetCovariance(in, cov)
		} else {
			for i := range in {
				for j := range i {
					if err = c.Correlate(in[i], in[j], cc.Corr[i][j]); err != nil {
						break
					}
				}
			}
		}
		if err != nil {
			return 0, 0, 0, 0, err
		}
	}
	r, err := cc.eval(c, in, cc.Expr)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	u, err = c.U(r.v)
	for i, x := range r.ag {
		uScale += x * cc.Inputs[i][1]
	}
	return r.v.N(), u, r.mag, uScale, err
}

// relDiffScaled is |a-b| / max(|a|, |b|, scale), 0 when a == b.
func relDiffScaled(a, b, scale float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Max(math.Abs(a), math.Abs(b)), scale)
}

// TestCrossCheckUncertainties is the differential test against Python's
// uncertainties package.
//
// Agreement is relative: |a − b| ≤ 1e-12 · max(|a|, |b|, scale). The scale
// is what rounding differences between two correct implementations are
// relative to when a result cancels: for n, the nominal recomputed with
// magnitudes (|a|+|b| for a ± b, |f(a)| + |f'(a)|·mag(a) for f(a), …); for
// u, Σ_i ag_i·u_i with ag the gradient recomputed from magnitudes. Where
// nothing cancels, the scale is about |n| or u and the test is a plain
// relative one; both maxima are logged. Go's math library and glibc's
// libm differ by an ulp or so, and uncertainties models correlated inputs
// through an eigendecomposition of the correlation matrix (numpy), so exact
// equality is not expected.
func TestCrossCheckUncertainties(t *testing.T) {
	start := time.Now()
	r := rand.New(rand.NewPCG(20261101, 7))
	cases := make([]crossCase, crossCases)
	for i := range cases {
		cases[i] = newCase(r)
	}
	res := pyuncertainties.Run(t, cases, len(cases))
	goStart := time.Now()
	var maxN, maxU, maxPlainN, maxPlainU, maxPlainUNoCancel float64
	ops := map[string]int{}
	var plainOverN, plainOverU, correlated, exactU, exactGumOnly, fails int
	var inputs, nodes int
	for i, cc := range cases {
		p := res.Results[i]
		if p.Error != "" || p.N == nil || p.U == nil {
			t.Errorf("case %d: python: %s\n  %v", i, p.Error, cc.Expr)
			fails++
			continue
		}
		n, u, nScale, uScale, err := cc.run()
		if err != nil {
			t.Errorf("case %d: gum: %v\n  %v", i, err, cc.Expr)
			fails++
			continue
		}
		inputs += len(cc.Inputs)
		nodes += strings.Count(string(mustJSON(t, cc.Expr)), "[")
		if cc.Corr != nil {
			correlated++
		}
		if u == 0 {
			exactU++
		}
		dn, du := relDiffScaled(n, *p.N, nScale), relDiffScaled(u, *p.U, uScale)
		pn, pu := relDiffScaled(n, *p.N, 0), relDiffScaled(u, *p.U, 0)
		if math.Max(u, *p.U) > 1e-9*uScale {
			maxPlainUNoCancel = math.Max(maxPlainUNoCancel, pu)
		}
		countOps(cc.Expr, ops)
		maxN, maxU = math.Max(maxN, dn), math.Max(maxU, du)
		maxPlainN, maxPlainU = math.Max(maxPlainN, pn), math.Max(maxPlainU, pu)
		if pn > crossTol {
			plainOverN++
		}
		if pu > crossTol {
			plainOverU++
		}
		if u == 0 && *p.U != 0 {
			exactGumOnly++
		}
		if dn > crossTol || du > crossTol {
			fails++
			if fails <= 20 {
				t.Errorf("case %d: gum %v ± %v, python %v ± %v (relative differences %.3g and %.3g; scales %v, %v)\n  inputs %v corr %v\n  %v",
					i, n, u, *p.N, *p.U, dn, du, nScale, uScale, cc.Inputs, cc.Corr, cc.Expr)
			}
		}
	}
	t.Logf("%d expressions (%d correlated; %d inputs and %d nodes in all), uncertainties %s: "+
		"max relative difference n %.3g, u %.3g; plain |a-b|/max(|a|,|b|): n %.3g, u %.3g (%.3g where u > 1e-9·scale), "+
		"over 1e-12 plainly: n %d, u %d; u exactly 0 in gum %d times, where python's is not %d times; %d failed",
		len(cases), correlated, inputs, nodes, res.Version, maxN, maxU, maxPlainN, maxPlainU, maxPlainUNoCancel, plainOverN, plainOverU,
		exactU, exactGumOnly, fails)
	t.Logf("operations: %v", ops)
	t.Logf("time: python %v, gum %v, whole test %v", res.Took.Round(time.Millisecond), time.Since(goStart).Round(time.Millisecond),
		time.Since(start).Round(time.Millisecond))
}

// countOps adds the operations of e to ops.
func countOps(e *node, ops map[string]int) {
	ops[e.op]++
	for _, a := range e.args {
		countOps(a, ops)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
