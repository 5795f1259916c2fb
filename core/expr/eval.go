package expr

import (
	"math"

	"github.com/ebios/ebios/core/gum"
	"github.com/ebios/ebios/core/nu"
)

// algebra computes the values of one mode: nu.Value in nu and interval
// modes, gum.Value (a linear form over the inputs) in gum mode.
type algebra[V any] interface {
	literal(l *lit) (V, error)
	// input is the value of a variable defined by a literal.
	input(slot int, name string, l *lit) (V, error)
	constant(e bool) V
	exact(k float64) V
	arith(op byte, a, b V) (V, error) // + - * /
	neg(a V) V
	apply(f nu.Func, a V) (V, error)
	apply2(f nu.Func2, a, b V) (V, error)
	compose(a, b V) (V, error)
	catch(def float64) (V, error)
	// nonzero reports whether a cannot be 0 (so that a / a is 1).
	nonzero(a V) bool
	correlate(s *stmt, env []V) error
}

// run evaluates the program's statements, then its expression.
func run[V any, A algebra[V]](e *Expr, alg A) (V, error) {
	ev := evaluator[V, A]{alg: alg, env: make([]V, len(e.vars))}
	for i := range e.stmts {
		s := &e.stmts[i]
		if s.x == nil {
			if err := alg.correlate(s, ev.env); err != nil {
				var zero V
				return zero, at(err, s.col)
			}
			continue
		}
		var v V
		var err error
		if l, ok := s.x.(*lit); ok {
			v, err = alg.input(s.slot, e.vars[s.slot], l)
		} else {
			v, err = ev.eval(s.x)
		}
		if err != nil {
			return v, err
		}
		ev.env[s.slot] = v
	}
	return ev.eval(e.root)
}

type evaluator[V any, A algebra[V]] struct {
	alg A
	env []V
}

func (ev *evaluator[V, A]) eval(n node) (V, error) {
	var zero V
	alg := ev.alg
	switch x := n.(type) {
	case *lit:
		return alg.literal(x)
	case *ref:
		return ev.env[x.slot], nil
	case *konst:
		return alg.constant(x.e), nil
	case *neg:
		v, err := ev.eval(x.x)
		if err != nil {
			return zero, err
		}
		return alg.neg(v), nil
	case *bin:
		a, err := ev.eval(x.l)
		if err != nil {
			return zero, err
		}
		if x.op != '^' && same(x.l, x.r) {
			// One quantity against itself: a - a, a / a, a · a.
			switch {
			case x.op == '-':
				return alg.exact(0), nil
			case x.op == '/' && alg.nonzero(a):
				return alg.exact(1), nil
			case x.op == '*':
				v, err := alg.apply2(nu.Func2Pow, a, alg.exact(2))
				return v, at(err, x.col)
			}
		}
		b, err := ev.eval(x.r)
		if err != nil {
			return zero, err
		}
		var v V
		if x.op == '^' {
			v, err = alg.apply2(nu.Func2Pow, a, b)
		} else {
			v, err = alg.arith(x.op, a, b)
		}
		return v, at(err, x.col)
	case *call:
		a, err := ev.eval(x.args[0])
		switch x.builtin {
		case bCatch:
			if e, ok := nu.AsError(err); ok && e.Category != nu.CategorySyntax {
				v, err := alg.catch(x.def)
				return v, at(err, x.col)
			}
			return a, err
		case bFlip:
			if err != nil {
				return zero, err
			}
			return alg.neg(a), nil
		}
		if err != nil {
			return zero, err
		}
		if x.fn != 0 {
			v, err := alg.apply(x.fn, a)
			return v, at(err, x.col)
		}
		b, err := ev.eval(x.args[1])
		if err != nil {
			return zero, err
		}
		var v V
		if x.builtin == bCompose {
			v, err = alg.compose(a, b)
		} else {
			v, err = alg.apply2(x.fn2, a, b)
		}
		return v, at(err, x.col)
	}
	panic("expr: unknown node")
}

// same reports whether a and b are the same quantity: the same expression
// of variables and exact constants (a literal with an uncertainty is a
// measurement of its own, so two of them are never the same).
func same(a, b node) bool {
	switch x := a.(type) {
	case *lit:
		y, ok := b.(*lit)
		return ok && x.u == 0 && y.u == 0 && x.n == y.n
	case *ref:
		y, ok := b.(*ref)
		return ok && x.slot == y.slot
	case *konst:
		y, ok := b.(*konst)
		return ok && x.e == y.e
	case *neg:
		y, ok := b.(*neg)
		return ok && same(x.x, y.x)
	case *bin:
		y, ok := b.(*bin)
		return ok && x.op == y.op && same(x.l, y.l) && same(x.r, y.r)
	case *call:
		y, ok := b.(*call)
		if !ok || x.fn != y.fn || x.fn2 != y.fn2 || x.builtin != y.builtin || x.def != y.def || len(x.args) != len(y.args) {
			return false
		}
		for i := range x.args {
			if !same(x.args[i], y.args[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func at(err error, col int) error {
	if e, ok := err.(*nu.Error); ok {
		return e.AtColumn(col)
	}
	return err
}

// valueAlg computes with nu.Value in nu or interval mode.
type valueAlg struct{ m nu.Mode }

func (a valueAlg) literal(l *lit) (nu.Value, error) {
	u := l.u
	if a.m == nu.ModeInterval && l.bounded() {
		// An interval encloses the whole support: half-width u√3 or u√6,
		// rounded up so that [lo, hi] is inside.
		u = math.Nextafter(math.Max(l.n-l.lo, l.hi-l.n), math.Inf(1))
	}
	v, err := nu.New(l.n, u)
	if err != nil && l.ucol > 0 && (l.u < 0 || l.u != l.u) {
		return v, at(err, l.ucol)
	}
	return v, at(err, l.col)
}

func (a valueAlg) input(_ int, _ string, l *lit) (nu.Value, error) { return a.literal(l) }

func (a valueAlg) constant(e bool) nu.Value {
	if e {
		return nu.E(a.m)
	}
	return nu.Pi(a.m)
}

func (a valueAlg) exact(k float64) nu.Value { return nu.MustNew(k, 0) }

func (a valueAlg) arith(op byte, x, y nu.Value) (nu.Value, error) {
	switch op {
	case '+':
		return a.m.Add(x, y)
	case '-':
		return a.m.Sub(x, y)
	case '*':
		switch {
		case y.IsExact():
			return a.m.Scale(y.N(), x)
		case x.IsExact():
			return a.m.Scale(x.N(), y)
		}
		return a.m.Mul(x, y)
	}
	return a.m.Div(x, y)
}

func (a valueAlg) neg(x nu.Value) nu.Value                       { return nu.Flip(x) }
func (a valueAlg) apply(f nu.Func, x nu.Value) (nu.Value, error) { return a.m.Apply(f, x) }
func (a valueAlg) apply2(f nu.Func2, x, y nu.Value) (nu.Value, error) {
	return a.m.Apply2(f, x, y)
}
func (a valueAlg) compose(x, y nu.Value) (nu.Value, error) { return a.m.Compose(x, y) }
func (a valueAlg) catch(def float64) (nu.Value, error)     { return nu.Catch(0, -1, def), nil }

func (a valueAlg) nonzero(x nu.Value) bool {
	if a.m == nu.ModeInterval {
		return x.Lo() > 0 || x.Hi() < 0
	}
	return x.N() != 0
}

func (a valueAlg) correlate(s *stmt, _ []nu.Value) error {
	return &nu.Error{Code: nu.CodeBadMode, Category: nu.CategoryValidation,
		Message:     "correlations are taken into account only in gum mode",
		Remediation: "compute in gum mode (ebios calc --mode gum), or remove the corr/cov statement"}
}

// evalGUM evaluates the program by first-order propagation with
// correlations.
func (e *Expr) evalGUM() (nu.Value, error) {
	alg := &gumAlg{c: gum.NewContext(), inputs: map[int]gum.Value{}, corrCol: 1}
	v, err := run[gum.Value](e, alg)
	if err != nil {
		return nu.Value{}, err
	}
	r, err := alg.c.Result(v)
	// What fails here is the correlations taken together (a matrix that
	// is not positive semidefinite): point at the last statement.
	return r, at(err, alg.corrCol)
}

// gumAlg computes with gum.Value: linear forms over the inputs.
type gumAlg struct {
	c       *gum.Context
	inputs  map[int]gum.Value // variables defined by a literal, by slot
	lits    []*lit            // the literal of each input of c, by index
	corrCol int               // column of the last correlation statement
}

func (a *gumAlg) literal(l *lit) (gum.Value, error) { return a.input(-1, l.text, l) }

func (a *gumAlg) input(slot int, name string, l *lit) (gum.Value, error) {
	if _, err := (valueAlg{nu.ModeGUM}).literal(l); err != nil {
		return gum.Value{}, err
	}
	if math.IsInf(l.u, 1) {
		return gum.Value{}, at(&nu.Error{Code: nu.CodeBadMode, Category: nu.CategoryValidation,
			Message:     "an infinite uncertainty cannot be propagated to first order",
			Remediation: "compute in nu or interval mode"}, l.ucol)
	}
	v, err := a.c.Input(name, l.n, l.u)
	if err == nil {
		a.lits = append(a.lits, l)
		if slot >= 0 {
			a.inputs[slot] = v
		}
	}
	return v, at(err, l.col)
}

func (a *gumAlg) constant(e bool) gum.Value {
	if e {
		return a.c.Const(math.E)
	}
	return a.c.Const(math.Pi)
}

func (a *gumAlg) exact(k float64) gum.Value { return a.c.Const(k) }

func (a *gumAlg) arith(op byte, x, y gum.Value) (gum.Value, error) {
	switch op {
	case '+':
		return a.c.Add(x, y)
	case '-':
		return a.c.Sub(x, y)
	case '*':
		return a.c.Mul(x, y)
	}
	return a.c.Div(x, y)
}

func (a *gumAlg) neg(x gum.Value) gum.Value { return a.c.Neg(x) }

// isConst reports whether x is certain (depends on no uncertain input).
func (a *gumAlg) isConst(x gum.Value) bool { return a.c.Certain(x) }

// firstOrder checks what first-order propagation needs: f defined at the
// nominals (else the mode's own error, as nu mode gives it), and finite
// derivatives where the value depends on an input.
func firstOrder(fn string, err error, derivs ...float64) error {
	if err != nil {
		return err
	}
	for _, d := range derivs {
		if math.IsNaN(d) || math.IsInf(d, 0) {
			return &nu.Error{Code: nu.CodeDomain, Category: nu.CategoryOperation,
				Message:     fn + " has no finite derivative at this nominal, so first-order propagation is undefined there",
				Remediation: "compute in interval mode, or move the nominal away from the singular point"}
		}
	}
	return nil
}

func (a *gumAlg) apply(f nu.Func, x gum.Value) (gum.Value, error) {
	n := x.N()
	_, err := nu.ModeNU.Apply(f, nu.MustNew(n, 0))
	fx, d := f.ValueDeriv(n)
	if a.isConst(x) {
		return a.c.Const(fx), err
	}
	if err := firstOrder(f.String(), err, d); err != nil {
		return gum.Value{}, err
	}
	return a.c.Apply(x, fx, d)
}

func (a *gumAlg) apply2(f nu.Func2, x, y gum.Value) (gum.Value, error) {
	nx, ny := x.N(), y.N()
	_, err := nu.ModeNU.Apply2(f, nu.MustNew(nx, 0), nu.MustNew(ny, 0))
	cx, cy := a.isConst(x), a.isConst(y)
	if f == nu.Func2Pow && cy && !cx { // x^k: the exponent's partial does not enter
		fx, dx, _ := f.ValueDeriv(nx, ny)
		if err := firstOrder(f.String(), err, dx); err != nil {
			return gum.Value{}, err
		}
		return a.c.Apply(x, fx, dx)
	}
	fxy, dx, dy := f.ValueDeriv(nx, ny)
	if cx && cy {
		return a.c.Const(fxy), err
	}
	if err := firstOrder(f.String(), err, dx, dy); err != nil {
		return gum.Value{}, err
	}
	return a.c.Apply2(x, y, fxy, dx, dy)
}

// compose is nu's inverse-variance weighting, as a linear combination with
// fixed weights, so correlations carry through.
func (a *gumAlg) compose(x, y gum.Value) (gum.Value, error) {
	ux, err := a.c.U(x)
	if err != nil {
		return gum.Value{}, err
	}
	uy, err := a.c.U(y)
	if err != nil {
		return gum.Value{}, err
	}
	r, err := nu.Compose(nu.MustNew(x.N(), ux), nu.MustNew(y.N(), uy))
	switch {
	case err != nil:
		return gum.Value{}, err
	case ux == 0:
		return x, nil
	case uy == 0:
		return y, nil
	}
	wx := uy * uy / (ux*ux + uy*uy)
	return a.c.Apply2(x, y, r.N(), wx, 1-wx)
}

func (a *gumAlg) catch(float64) (gum.Value, error) {
	return gum.Value{}, &nu.Error{Code: nu.CodeBadMode, Category: nu.CategoryValidation,
		Message:     "catch gives an infinite uncertainty, which gum mode cannot propagate",
		Remediation: "compute in nu or interval mode"}
}

func (a *gumAlg) nonzero(x gum.Value) bool { return x.N() != 0 }

func (a *gumAlg) correlate(s *stmt, _ []gum.Value) error {
	a.corrCol = s.col
	in := make([]gum.Value, len(s.names))
	for i, slot := range s.names {
		v, ok := a.inputs[slot]
		if !ok {
			return &nu.Error{Code: nu.CodeSyntax, Category: nu.CategorySyntax,
				Message:     "only input variables can be correlated: those defined by a value, as in x = 3 ± 0.1",
				Remediation: "correlate the inputs a computed variable comes from"}
		}
		in[i] = v
	}
	if s.cov != nil {
		return a.c.SetCovariance(in, s.cov)
	}
	return a.c.Correlate(in[0], in[1], s.corr)
}
