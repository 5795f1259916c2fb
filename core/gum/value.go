package gum

import "math"

// Value is a quantity computed to first order: a nominal n and a linear form
// Σ g_i·(x_i − n_i) over the inputs x_i of its Context, whose coefficients
// g_i = ∂v/∂x_i are the sensitivity coefficients. A Value is immutable; the
// zero Value is the exact constant 0 and, like every constant, belongs to no
// context.
type Value struct {
	n float64
	// g holds ∂v/∂x_i for the first len(g) inputs of c; the others are 0.
	// It is nil for a constant and is never written after it is made, so
	// Values may share it.
	g []float64
	// c is the context of the inputs, or nil for a constant.
	c *Context
	// in is 1 + the index of the input this Value is, or 0.
	in int32
}

// N returns the nominal.
func (v Value) N() float64 { return v.n }

// finite reports whether x is neither NaN nor ±Inf.
func finite(x float64) bool { return x-x == 0 }

// ok reports whether v may be used in c: it is of c or a constant, and
// valid (only Const can make a Value with a non-finite nominal). It is the
// inlined fast path of own.
func (c *Context) ok(v Value) bool { return (v.c == c || v.c == nil) && finite(v.n) }

// own returns the error for a v that c may not use, or nil.
func (c *Context) own(op string, v Value) error {
	switch {
	case v.c != c && v.c != nil:
		return errOtherContext(op)
	case !finite(v.n):
		return errBadConstant(v.n)
	}
	return nil
}

// own2 is own for two values.
func (c *Context) own2(op string, a, b Value) error {
	if err := c.own(op, a); err != nil {
		return err
	}
	return c.own(op, b)
}

// alloc returns a zeroed vector of n float64s cut from the current slab.
// (Only an int is stored per call, so no GC write barrier is taken.)
func (c *Context) alloc(n int) []float64 {
	if n > len(c.slab)-c.used {
		c.slab = make([]float64, max(slabFloats, 32*n))
		c.used = 0
	}
	k := c.used
	c.used += n
	return c.slab[k : k+n : k+n]
}

// lin returns α·ga + β·gb (the shorter one padded with zeros). It reports
// false when a coefficient overflows (or is NaN, from a non-finite α or β
// times 0). An empty result is nil, and α·ga with β·gb empty and α = 1 is ga
// itself, shared.
func (c *Context) lin(alpha float64, ga []float64, beta float64, gb []float64) ([]float64, bool) {
	if len(ga) < len(gb) {
		alpha, ga, beta, gb = beta, gb, alpha, ga
	}
	switch {
	case len(ga) == 0:
		return nil, true
	case len(gb) == 0 && alpha == 1:
		return ga, true
	case alpha == 0 && beta == 0:
		return nil, true
	}
	r := c.alloc(len(ga))
	ga2 := ga[:len(gb)]
	r2 := r[:len(gb)]
	// bad stays 0 while every coefficient is finite: x·0 is NaN for ±Inf and NaN.
	var bad float64
	for i, y := range gb {
		x := alpha*ga2[i] + beta*y
		r2[i] = x
		bad += x * 0
	}
	if alpha == 1 {
		copy(r[len(gb):], ga[len(gb):])
	} else {
		tail := r[len(gb):]
		for i, x := range ga[len(gb):] {
			x *= alpha
			tail[i] = x
			bad += x * 0
		}
	}
	return r, bad == 0
}

// uncertain reports whether g has a nonzero coefficient for an input with
// u > 0.
func (c *Context) uncertain(g []float64) bool {
	for i, x := range g {
		if x != 0 && c.u[i] != 0 {
			return true
		}
	}
	return false
}

// Const and the zero Value have no context; results of operations belong to
// c, the context of their operands.

// Add returns a + b. Sensitivities add: the result of x - x (see Sub) is
// exactly 0 with u exactly 0.
func (c *Context) Add(a, b Value) (Value, error) {
	if !c.ok(a) || !c.ok(b) {
		return Value{}, c.own2("add", a, b)
	}
	n := a.n + b.n
	g, ok := c.lin(1, a.g, 1, b.g)
	if !ok || !finite(n) {
		return Value{}, errOverflow("add")
	}
	return Value{n: n, g: g, c: c}, nil
}

// Sub returns a - b. Sub(x, x) is exactly 0 ± 0.
func (c *Context) Sub(a, b Value) (Value, error) {
	if !c.ok(a) || !c.ok(b) {
		return Value{}, c.own2("subtract", a, b)
	}
	n := a.n - b.n
	g, ok := c.lin(1, a.g, -1, b.g)
	if !ok || !finite(n) {
		return Value{}, errOverflow("subtract")
	}
	return Value{n: n, g: g, c: c}, nil
}

// Mul returns a · b to first order: n = n_a·n_b, g = n_b·g_a + n_a·g_b. Mul(x,
// x) has u = 2|n|·u_x, like x², not the √2·|n|·u_x of two independent
// factors. There is no second-order term u_a·u_b (see the package
// documentation).
func (c *Context) Mul(a, b Value) (Value, error) {
	if !c.ok(a) || !c.ok(b) {
		return Value{}, c.own2("multiply", a, b)
	}
	n := a.n * b.n
	g, ok := c.lin(b.n, a.g, a.n, b.g)
	if !ok || !finite(n) {
		return Value{}, errOverflow("multiply")
	}
	return Value{n: n, g: g, c: c}, nil
}

// Div returns a / b to first order: n = n_a/n_b, g = g_a/n_b − (n_a/n_b²)·g_b.
// A divisor of nominal 0 is an error of code nu.CodeDivByZero (NUCORE_005),
// whatever its uncertainty: first order looks at the nominal only, so a
// divisor whose nominal is close to 0 relative to its uncertainty gives a
// result that first-order propagation describes badly. Div(x, x) is exactly
// 1 ± 0.
func (c *Context) Div(a, b Value) (Value, error) {
	if !c.ok(a) || !c.ok(b) {
		return Value{}, c.own2("divide", a, b)
	}
	if b.n == 0 {
		return Value{}, errDivByZero()
	}
	n := a.n / b.n
	if !finite(n) {
		return Value{}, errOverflow("divide")
	}
	g, ok := c.lin(1/b.n, a.g, -n/b.n, b.g)
	if !ok {
		return Value{}, errOverflow("divide")
	}
	return Value{n: n, g: g, c: c}, nil
}

// Neg returns -a. It cannot fail: a Value it is not allowed to take (of
// another context, or an invalid constant) stays so, and the next operation
// reports it.
func (c *Context) Neg(a Value) Value {
	r := Value{n: -a.n, c: a.c}
	if len(a.g) > 0 {
		g := c.alloc(len(a.g))
		for i, x := range a.g {
			g[i] = -x
		}
		r.g = g
	}
	return r
}

// Apply returns f(a) to first order by the chain rule, for the caller's
// f(n_a) = fx and derivative f'(n_a) = dfx: n = fx, g = dfx·g_a. (The
// expression evaluator takes both from nu.Func.ValueDeriv.)
//
// fx must be finite: NaN is an error of code nu.CodeNaN and ±Inf one of
// code nu.CodeOverflow. When a depends on an input with u > 0, dfx must be
// finite too, or the error is CodeNoDerivative. When it does not (a is a
// constant, or depends only on inputs with u = 0), a non-finite dfx gives an
// exact result, without sensitivity to any input: √(0 ± 0) is 0 ± 0.
func (c *Context) Apply(a Value, fx, dfx float64) (Value, error) {
	if !c.ok(a) {
		return Value{}, c.own("apply", a)
	}
	if err := checkF("apply", fx); err != nil {
		return Value{}, err
	}
	if !finite(dfx) {
		if c.uncertain(a.g) {
			return Value{}, errNoDerivative("apply")
		}
		dfx = 0
	}
	g, ok := c.lin(dfx, a.g, 0, nil)
	if !ok {
		return Value{}, errOverflow("apply")
	}
	return Value{n: fx, g: g, c: c}, nil
}

// Apply2 returns f(a, b) to first order by the chain rule, for the caller's
// f(n_a, n_b) = f and partial derivatives dfa = ∂f/∂a and dfb = ∂f/∂b at the
// nominals: n = f, g = dfa·g_a + dfb·g_b. The rules for non-finite f, dfa and
// dfb are those of Apply, for each argument.
func (c *Context) Apply2(a, b Value, f, dfa, dfb float64) (Value, error) {
	if !c.ok(a) || !c.ok(b) {
		return Value{}, c.own2("apply", a, b)
	}
	if err := checkF("apply", f); err != nil {
		return Value{}, err
	}
	if !finite(dfa) {
		if c.uncertain(a.g) {
			return Value{}, errNoDerivative("apply")
		}
		dfa = 0
	}
	if !finite(dfb) {
		if c.uncertain(b.g) {
			return Value{}, errNoDerivative("apply")
		}
		dfb = 0
	}
	g, ok := c.lin(dfa, a.g, dfb, b.g)
	if !ok {
		return Value{}, errOverflow("apply")
	}
	return Value{n: f, g: g, c: c}, nil
}

// checkF checks a function value given to Apply or Apply2.
func checkF(op string, f float64) error {
	switch {
	case math.IsNaN(f):
		return errNaN(op + ": the function value")
	case math.IsInf(f, 0):
		return errOverflow(op)
	}
	return nil
}

// Certain reports whether v is known exactly: it depends on no input whose
// standard uncertainty is above 0, so U(v) is 0 whatever the correlations.
// It costs one pass over v's gradient, where U costs a pass over the
// correlated pairs too.
func (c *Context) Certain(v Value) bool {
	for i, g := range v.g {
		if g != 0 && c.u[i] != 0 {
			return false
		}
	}
	return true
}
