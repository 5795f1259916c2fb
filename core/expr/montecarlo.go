package expr

import (
	"math"

	"github.com/ebios/ebios/core/gum"
	"github.com/ebios/ebios/core/mc"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/pmath"
)

// Distributions returns the program's uncertain inputs as Monte Carlo
// draws them, in the order they are evaluated (the order of their
// generators), and their correlation matrix (nil when none are
// correlated). Each variable defined by a value is one input, and so is
// each other value written with an uncertainty; exact numbers are not
// inputs.
func (e *Expr) Distributions() ([]mc.Input, [][]float64, error) {
	if n := e.walk(func(n node) bool {
		c, ok := n.(*call)
		return ok && (c.builtin == bCompose || c.builtin == bCatch)
	}); n != nil {
		c := n.(*call)
		err := mc.ErrUnsupported("compose", "compose combines first-order estimates: compute in gum or nu mode")
		if c.builtin == bCatch {
			err = mc.ErrUnsupported("catch", "remove catch: Monte Carlo stops at the first draw where the model is undefined")
		}
		return nil, nil, e.columns(at(err, c.col))
	}
	alg := &collectAlg{gumAlg: gumAlg{c: gum.NewContext(), inputs: map[int]gum.Value{}, corrCol: 1}}
	if _, err := run[gum.Value](e, alg); err != nil {
		return nil, nil, e.columns(err)
	}
	var in []mc.Input
	var vals []gum.Value
	for k, l := range alg.lits {
		if l.exact() {
			continue
		}
		in = append(in, mc.Input{Name: alg.names[k], Dist: l.distribution()})
		vals = append(vals, alg.vals[k])
	}
	if !alg.correlated {
		return in, nil, nil
	}
	if err := alg.c.Validate(); err != nil {
		return nil, nil, e.columns(at(err, alg.corrCol))
	}
	corr := make([][]float64, len(in))
	for i := range corr {
		corr[i] = make([]float64, len(in))
		corr[i][i] = 1
		for j := range i {
			r, err := alg.c.Correlation(vals[i], vals[j])
			if err != nil {
				return nil, nil, e.columns(at(err, alg.corrCol))
			}
			corr[i][j], corr[j][i] = r, r
		}
	}
	return in, corr, nil
}

// MonteCarlo propagates the distributions of the program's inputs (see
// Distributions) by package mc. Values written n ± u are normal by
// default; "n ± u uniform", "n ± u triangular", "n ± u t(ν)",
// uniform(a, b) and triangular(a, b) choose another distribution, and
// corr/cov statements correlate normal inputs. compose and catch cannot be
// evaluated this way (CodeUnsupported).
func (e *Expr) MonteCarlo(opt mc.Options) (mc.Result, error) {
	in, corr, err := e.Distributions()
	if err != nil {
		return mc.Result{}, err
	}
	alg := &mcAlg{}
	model := func(x [][]float64, out []float64) error {
		alg.in, alg.next, alg.used, alg.n = x, 0, 0, len(out)
		v, err := run[col](e, alg)
		if err != nil {
			return e.columns(err)
		}
		if v.x == nil {
			for j := range out {
				out[j] = v.k
			}
		} else {
			copy(out, v.x)
		}
		return nil
	}
	return mc.Run(in, corr, model, opt)
}

// collectAlg finds the program's inputs and correlations without
// computing anything: it is gumAlg's inputs and correlate, and constant 0
// for the rest.
type collectAlg struct {
	gumAlg
	names      []string    // by gum input index
	vals       []gum.Value // by gum input index
	correlated bool
}

func (a *collectAlg) literal(l *lit) (gum.Value, error) { return a.input(-1, l.text, l) }

func (a *collectAlg) input(slot int, name string, l *lit) (gum.Value, error) {
	v, err := a.gumAlg.input(slot, name, l)
	if err == nil {
		a.names = append(a.names, name)
		a.vals = append(a.vals, v)
	}
	return v, err
}

func (a *collectAlg) correlate(s *stmt, env []gum.Value) error {
	a.correlated = true
	return a.gumAlg.correlate(s, env)
}

func (a *collectAlg) arith(byte, gum.Value, gum.Value) (gum.Value, error) { return gum.Value{}, nil }
func (a *collectAlg) neg(gum.Value) gum.Value                             { return gum.Value{} }
func (a *collectAlg) apply(nu.Func, gum.Value) (gum.Value, error)         { return gum.Value{}, nil }
func (a *collectAlg) apply2(nu.Func2, gum.Value, gum.Value) (gum.Value, error) {
	return gum.Value{}, nil
}
func (a *collectAlg) nonzero(gum.Value) bool { return false }

// col is one batch of a quantity's draws, or the constant k when x is nil.
type col struct {
	x []float64
	k float64
}

// mcAlg evaluates a program over a batch of draws, one operation over
// the whole batch at a time. Its buffers are reused from batch to batch:
// the program makes the same operations, in the same order, every time.
type mcAlg struct {
	in   [][]float64 // this batch's draws, by input
	next int         // the next input to hand out
	n    int         // the batch's length
	bufs [][]float64
	used int
}

func (a *mcAlg) buf() []float64 {
	if a.used == len(a.bufs) {
		a.bufs = append(a.bufs, make([]float64, 0, a.n))
	}
	b := a.bufs[a.used]
	a.used++
	if cap(b) < a.n {
		b = make([]float64, a.n)
		a.bufs[a.used-1] = b
	}
	return b[:a.n]
}

func (a *mcAlg) literal(l *lit) (col, error) {
	if l.exact() {
		return col{k: l.n}, nil
	}
	x := a.in[a.next]
	a.next++
	return col{x: x}, nil
}

func (a *mcAlg) input(_ int, _ string, l *lit) (col, error) { return a.literal(l) }

func (a *mcAlg) constant(e bool) col {
	if e {
		return col{k: math.E}
	}
	return col{k: math.Pi}
}

func (a *mcAlg) exact(k float64) col { return col{k: k} }

// map1 applies f to every draw of x.
func (a *mcAlg) map1(x col, f func(float64) float64) col {
	if x.x == nil {
		return col{k: f(x.k)}
	}
	out := a.buf()
	for j, v := range x.x {
		out[j] = f(v)
	}
	return col{x: out}
}

// map2 applies f to every pair of draws of x and y.
func (a *mcAlg) map2(x, y col, f func(a, b float64) float64) col {
	switch {
	case x.x == nil && y.x == nil:
		return col{k: f(x.k, y.k)}
	case x.x == nil:
		out := a.buf()
		for j, v := range y.x {
			out[j] = f(x.k, v)
		}
		return col{x: out}
	case y.x == nil:
		out := a.buf()
		for j, v := range x.x {
			out[j] = f(v, y.k)
		}
		return col{x: out}
	}
	out := a.buf()
	yx := y.x[:len(x.x)]
	for j, v := range x.x {
		out[j] = f(v, yx[j])
	}
	return col{x: out}
}

func (a *mcAlg) arith(op byte, x, y col) (col, error) {
	// The common cases without a call per draw.
	if x.x != nil && y.x != nil {
		out := a.buf()
		yx := y.x[:len(x.x)]
		switch op {
		case '+':
			for j, v := range x.x {
				out[j] = v + yx[j]
			}
		case '-':
			for j, v := range x.x {
				out[j] = v - yx[j]
			}
		case '*':
			for j, v := range x.x {
				out[j] = v * yx[j]
			}
		default:
			for j, v := range x.x {
				out[j] = v / yx[j]
			}
		}
		return col{x: out}, nil
	}
	switch op {
	case '+':
		return a.map2(x, y, func(p, q float64) float64 { return p + q }), nil
	case '-':
		return a.map2(x, y, func(p, q float64) float64 { return p - q }), nil
	case '*':
		return a.map2(x, y, func(p, q float64) float64 { return p * q }), nil
	}
	return a.map2(x, y, func(p, q float64) float64 { return p / q }), nil
}

func (a *mcAlg) neg(x col) col { return a.map1(x, func(v float64) float64 { return -v }) }

// funcs are the functions of one argument, from core/pmath so that every
// platform gives the same bits.
var funcs = [...]func(float64) float64{
	nu.FuncSqrt: math.Sqrt, nu.FuncExp: pmath.Exp, nu.FuncLog: pmath.Log,
	nu.FuncLog10: pmath.Log10, nu.FuncLog2: pmath.Log2, nu.FuncSin: pmath.Sin,
	nu.FuncCos: pmath.Cos, nu.FuncTan: pmath.Tan, nu.FuncAsin: pmath.Asin,
	nu.FuncAcos: pmath.Acos, nu.FuncAtan: pmath.Atan, nu.FuncSinh: pmath.Sinh,
	nu.FuncCosh: pmath.Cosh, nu.FuncTanh: pmath.Tanh, nu.FuncAbs: math.Abs,
}

var funcs2 = [...]func(float64, float64) float64{
	nu.Func2Pow: pmath.Pow, nu.Func2Atan2: pmath.Atan2, nu.Func2Hypot: pmath.Hypot,
	nu.Func2Min: math.Min, nu.Func2Max: math.Max,
}

func (a *mcAlg) apply(f nu.Func, x col) (col, error) { return a.map1(x, funcs[f]), nil }

func (a *mcAlg) apply2(f nu.Func2, x, y col) (col, error) {
	if f == nu.Func2Pow && y.x == nil && y.k == 2 {
		return a.map1(x, func(v float64) float64 { return v * v }), nil
	}
	return a.map2(x, y, funcs2[f]), nil
}

func (a *mcAlg) compose(col, col) (col, error) { panic("expr: compose reached Monte Carlo") }
func (a *mcAlg) catch(float64) (col, error)    { panic("expr: catch reached Monte Carlo") }

// nonzero reports whether no draw of x is 0, so that x / x is 1.
func (a *mcAlg) nonzero(x col) bool {
	if x.x == nil {
		return x.k != 0
	}
	for _, v := range x.x {
		if v == 0 {
			return false
		}
	}
	return true
}

// correlate does nothing: the draws are already correlated.
func (a *mcAlg) correlate(*stmt, []col) error { return nil }
