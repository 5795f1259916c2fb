//go:build !js

package expr_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ebios/ebios/core/expr"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/internal/pyuncertainties"
)

// The differential test of gum mode: random programs written as eBIOS text
// (inputs in every spelling, intermediate variables used several times,
// corr and cov statements, every operator and the functions Python's
// uncertainties package has) are evaluated by expr.Eval in gum mode and, as
// the same computation in the prefix form scripts/gum_crosscheck.py reads,
// by Debian's python3-uncertainties, in one Python process. n and u must
// agree within a relative 1e-12 (see TestCrossCheckPrograms). Every program
// is also evaluated in nu and interval modes, which must give a valid value
// or a *nu.Error with a column. It does not build under GOOS=js, where there
// is no python3.

const (
	progCases = 1200  // random programs
	progTol   = 1e-12 // relative agreement required of n and u
)

// pnode is a program's expression as a tree. It is written out twice: as
// eBIOS text (render) and as the script's prefix form (MarshalJSON).
type pnode struct {
	// op is "x" (input i), "v" (intermediate variable i), "c" (the exact
	// constant k), "pi", "e", "u" (an uncertain literal k ± ku written in
	// the expression), "add", "sub", "mul", "div", "neg", "pow" (args[0]
	// raised to args[1]) or a function: "sqrt", "exp", "log", "log10",
	// "log2", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
	// "tanh", "abs", "atan2", "hypot", "min", "max".
	op    string
	i     int
	k, ku float64
	// text is how the node is spelled: a constant's or literal's digits,
	// an operator ("+", " × ", "**", "pow", ...), a function's name ("ln"
	// or "log").
	text string
	// exact marks a "pow" whose exponent is an exact constant written with
	// literals only (2, -1, (1/3), pi): the exponent's partial does not
	// enter, and it is rounded alike on both sides.
	exact bool
	paren bool // written in redundant parentheses
	args  []*pnode
}

func (e *pnode) MarshalJSON() ([]byte, error) {
	a := []any{e.op}
	switch e.op {
	case "x", "v":
		a = append(a, e.i)
	case "c":
		a = append(a, e.k)
	case "u":
		a = append(a, e.k, e.ku)
	case "pi", "e":
	case "pow":
		a = []any{"pow2", e.args[0], e.args[1]}
	default:
		for _, x := range e.args {
			a = append(a, x)
		}
	}
	return json.Marshal(a)
}

// progCase is one program: its text and the computation as the script
// reads it.
type progCase struct {
	Inputs [][2]float64 `json:"inputs"`
	Corr   [][]float64  `json:"corr"`
	Vars   []*pnode     `json:"vars,omitempty"`
	Expr   *pnode       `json:"expr"`

	src   string // the program
	plain string // the program without its corr and cov statements
	// nScale and uScale are what rounding differences are relative to
	// (see TestCrossCheckPrograms).
	nScale, uScale float64
	stats          map[string]int // what the program contains, for the log
}

// Kinds of expression the generator draws: any real value, a value with a
// nominal > 0, a value with |nominal| ≤ 0.95 (for asin and acos).
const (
	pkAny = iota
	pkPos
	pkUnit
)

// progNames are variable names: none is a function, a constant or a word a
// literal can be (nan, inf), in any case.
var progNames = []string{"x", "y", "z", "a", "b", "c", "d", "m", "n", "p", "q", "r", "s", "t",
	"w", "k", "g", "h", "L", "T", "mass", "len", "v0", "x1", "x2", "y_1", "rho", "theta",
	"alpha", "beta", "dt", "_k", "Ab", "u", "f", "F2"}

type progGen struct {
	r       *rand.Rand
	in      [][2]float64 // the inputs, n and u
	inName  []string
	vars    []*pnode
	varN    []float64 // the intermediate variables' nominals
	varName []string
	stats   map[string]int
}

func pickOf[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func pmk(op string, args ...*pnode) *pnode { return &pnode{op: op, args: args} }

func pconst(k float64) *pnode {
	return &pnode{op: "c", k: k, text: strconv.FormatFloat(k, 'g', -1, 64)}
}

// psigned is the exact constant k, written with a unary minus when k < 0.
func psigned(k float64) *pnode {
	if k < 0 {
		return pmk("neg", pconst(-k))
	}
	return pconst(k)
}

// input draws input variable i: its nominal, its uncertainty, and how they
// are written. It returns the statement's right-hand side.
func (g *progGen) input() string {
	r := g.r
	mant := math.Pow(10, r.Float64()*7-3) // 1e-3 … 1e4
	neg := r.IntN(4) == 0
	rel := math.Pow(10, r.Float64()*4.5-5) // u/|n|: 1e-5 … 0.3
	var n, u float64
	var text string
	switch s := r.IntN(10); {
	case s == 0: // exact: an input with u = 0
		n, _ = strconv.ParseFloat(strconv.FormatFloat(mant, 'g', 1+r.IntN(4), 64), 64)
		text = strconv.FormatFloat(n, 'g', -1, 64)
		g.stats["spelling exact"]++
	case s <= 2: // relative: 5 ± 10%
		n, _ = strconv.ParseFloat(strconv.FormatFloat(mant, 'g', 1+r.IntN(5), 64), 64)
		pct := pickOf(r, 0.5, 1, 2, 2.5, 5, 10, 12.5, 30, 0.01)
		// |n|·pct/100 rounded once, as the parser does.
		x := new(big.Rat).SetFloat64(n)
		x.Mul(x, new(big.Rat).SetFloat64(pct))
		x.Quo(x, big.NewRat(100, 1))
		u, _ = x.Float64()
		text = strconv.FormatFloat(n, 'g', -1, 64) + pickOf(r, " ± ", " +/- ", "±", " +- ") +
			strconv.FormatFloat(pct, 'g', -1, 64) + "%"
		g.stats["spelling percent"]++
	case s <= 4: // concise: 5.23(12), 1.5(2)e3
		exp := 0
		if r.IntN(3) == 0 {
			exp = r.IntN(7) - 3
		}
		dec := r.IntN(5)
		m := mant / math.Pow(10, float64(exp))
		ms := strconv.FormatFloat(m, 'f', dec, 64)
		if v, _ := strconv.ParseFloat(ms, 64); v == 0 {
			ms = "1." + strings.Repeat("0", dec)
			if dec == 0 {
				ms = "1"
			}
		}
		digits := 1 + r.IntN(99)
		text = ms + "(" + strconv.Itoa(digits) + ")"
		es := ""
		if exp != 0 || r.IntN(8) == 0 {
			es = "e" + strconv.Itoa(exp)
			text += es
		}
		n, _ = strconv.ParseFloat(ms+"e"+strconv.Itoa(exp), 64)
		u, _ = strconv.ParseFloat(strconv.Itoa(digits)+"e"+strconv.Itoa(exp-dec), 64)
		g.stats["spelling concise"]++
	default: // n ± u
		n, _ = strconv.ParseFloat(strconv.FormatFloat(mant, 'g', 1+r.IntN(6), 64), 64)
		u, _ = strconv.ParseFloat(strconv.FormatFloat(n*rel, 'g', 1+r.IntN(3), 64), 64)
		text = strconv.FormatFloat(n, 'g', -1, 64) + pickOf(r, " ± ", " ± ", " +/- ", " +- ", "+-", "±") +
			strconv.FormatFloat(u, 'g', -1, 64)
		g.stats["spelling n ± u"]++
	}
	if neg {
		n, text = -n, pickOf(r, "-", "−")+text
		g.stats["negative input"]++
	}
	g.in = append(g.in, [2]float64{n, u})
	return text
}

// leaf draws a variable, a constant or an uncertain literal of the kind.
func (g *progGen) leaf(kind int) *pnode {
	r := g.r
	if kind == pkUnit {
		return pconst(pickOf(r, 0.5, 0.25, 0.75, 0.125, 0.9))
	}
	switch c := r.IntN(24); {
	case c == 0:
		if r.IntN(2) == 0 {
			return &pnode{op: "pi", text: pickOf(r, "pi", "pi", "π")}
		}
		return &pnode{op: "e"}
	case c <= 3:
		return pconst(float64(1+r.IntN(64)) / pickOf(r, 1.0, 4, 8, 100))
	case c == 4:
		n := float64(1+r.IntN(999)) / 100
		u := n * float64(1+r.IntN(20)) / 200
		u, _ = strconv.ParseFloat(strconv.FormatFloat(u, 'g', 2, 64), 64)
		return &pnode{op: "u", k: n, ku: u, text: strconv.FormatFloat(n, 'g', -1, 64) + pickOf(r, " ± ", "±", " +/- ") +
			strconv.FormatFloat(u, 'g', -1, 64)}
	}
	// A variable: an intermediate one half of the time when there are any.
	var cands []*pnode
	for i, x := range g.in {
		if kind != pkPos || x[0] > 0 {
			cands = append(cands, &pnode{op: "x", i: i})
		}
	}
	var vs []*pnode
	for i, n := range g.varN {
		if kind != pkPos || n > 0 {
			vs = append(vs, &pnode{op: "v", i: i})
		}
	}
	if len(vs) > 0 && (r.IntN(2) == 0 || len(cands) == 0) {
		return vs[r.IntN(len(vs))]
	}
	if len(cands) > 0 {
		return cands[r.IntN(len(cands))]
	}
	return pmk("exp", &pnode{op: "x", i: r.IntN(len(g.in))})
}

// exponent draws an exact exponent: integers (any base) or not (a base > 0).
func (g *progGen) exponent(integer bool) *pnode {
	r := g.r
	if integer {
		return psigned(pickOf(r, 2.0, 2, 3, 4, -1, -2, -3, 1, 0, 5))
	}
	switch r.IntN(8) {
	case 0:
		return pmk("div", pconst(1), pconst(3)) // (1/3)
	case 1:
		return pmk("neg", pmk("div", pconst(2), pconst(3)))
	case 2:
		return &pnode{op: "pi", text: "pi"}
	}
	return psigned(pickOf(r, 0.5, 1.5, 2.5, -0.5, -1.5, 0.25, -0.75, 1.25))
}

var (
	pfnAny  = []string{"sin", "cos", "atan", "tanh", "tan", "sinh", "exp", "cosh"}
	pfnPos  = []string{"sqrt", "log", "log10", "log2"}
	pfnPow  = []string{"^", "^", "**", "pow"}
	pfnMul  = []string{" * ", " * ", "*", " × ", "·"}
	pfnDiv  = []string{" / ", " / ", "/", " ÷ "}
	pfnSub  = []string{" - ", " - ", " - ", " − "}
	pfnNeg  = []string{"-", "-", "-", "−"}
	pfnTwo  = []string{"atan2", "hypot", "min", "max"}
	pfnUnit = []string{"asin", "acos"}
)

// expr draws an expression of depth ≤ d of the kind. Its nominal is in the
// kind's range by construction or checked afterwards (check).
func (g *progGen) expr(d, kind int) *pnode {
	e := g.expr1(d, kind)
	if e.op != "x" && e.op != "v" && e.op != "c" && g.r.IntN(12) == 0 {
		e.paren = true
	}
	return e
}

func (g *progGen) expr1(d, kind int) *pnode {
	r := g.r
	if d == 0 || r.IntN(5) == 0 {
		if kind == pkUnit {
			return pmk("mul", pconst(0.5), pmk("sin", g.leaf(pkAny)))
		}
		return g.leaf(kind)
	}
	d--
	pow := func(base, ex *pnode, exact bool) *pnode {
		p := pmk("pow", base, ex)
		p.text, p.exact = pickOf(r, pfnPow...), exact
		return p
	}
	named := func(op string, args ...*pnode) *pnode {
		e := pmk(op, args...)
		if op == "log" {
			e.text = pickOf(r, "ln", "log")
		}
		return e
	}
	binop := func(op string, a, b *pnode) *pnode {
		e := pmk(op, a, b)
		switch op {
		case "add":
			e.text = " + "
		case "sub":
			e.text = pickOf(r, pfnSub...)
		case "mul":
			e.text = pickOf(r, pfnMul...)
		case "div":
			e.text = pickOf(r, pfnDiv...)
		}
		return e
	}
	same := func(kind int) *pnode {
		// One subexpression twice: x - x, x + x, x·x, x/x.
		var e *pnode
		if r.IntN(2) == 0 {
			e = g.leaf(kind)
		} else {
			e = g.expr(d, kind)
		}
		if kind == pkPos {
			return binop(pickOf(r, "add", "mul", "div"), e, e)
		}
		return binop(pickOf(r, "sub", "add", "mul", "div"), e, e)
	}
	switch kind {
	case pkUnit:
		switch r.IntN(5) {
		case 0:
			return binop("mul", pconst(0.9), named("tanh", g.expr(d, pkAny)))
		case 1:
			return binop("mul", named("sin", g.expr(d, pkAny)), pconst(0.9))
		case 2:
			return binop("div", named("cos", g.expr(d, pkAny)), pconst(2))
		case 3:
			return binop("div", named("atan", g.expr(d, pkAny)), pconst(2))
		default:
			a := g.expr(d, pkPos)
			return binop("div", a, binop("add", a, g.expr(d, pkPos))) // a/(a+b), checked ≤ 0.95
		}
	case pkPos:
		switch r.IntN(14) {
		case 0:
			return named(pickOf(r, "exp", "cosh"), g.expr(d, pkAny))
		case 1:
			return named("sqrt", g.expr(d, pkPos))
		case 2:
			return binop("add", g.expr(d, pkPos), g.expr(d, pkPos))
		case 3:
			return binop("mul", g.expr(d, pkPos), g.expr(d, pkPos))
		case 4:
			return binop("div", g.expr(d, pkPos), g.expr(d, pkPos))
		case 5:
			return pow(g.expr(d, pkPos), g.exponent(r.IntN(2) == 0), true)
		case 6:
			return pow(g.expr(d, pkAny), psigned(pickOf(r, 2.0, 4, -2)), true)
		case 7:
			return named("hypot", g.expr(d, pkAny), g.expr(d, pkAny))
		case 8:
			return named("abs", g.expr(d, pkAny))
		case 9:
			return named("acos", g.expr(d, pkUnit))
		case 10:
			// sqrt(x^2 + 1), log(exp(x) + c)
			x := g.expr(d, pkAny)
			if r.IntN(2) == 0 {
				return named("sqrt", binop("add", pow(x, pconst(2), true), pconst(1)))
			}
			return named("log", binop("add", named("exp", x), pconst(float64(1+r.IntN(4)))))
		case 11:
			return same(pkPos)
		case 12:
			// An uncertain exponent: b^y for a base > 0.
			base := g.expr(d, pkPos)
			if r.IntN(3) == 0 {
				base = pickOf(r, pconst(2), pconst(10), &pnode{op: "e"}, pconst(1.5))
			}
			return pow(base, g.expr(d, pkAny), false)
		}
		return g.leaf(pkPos)
	}
	switch r.IntN(20) {
	case 0, 1:
		return binop("add", g.expr(d, pkAny), g.expr(d, pkAny))
	case 2, 3:
		return binop("sub", g.expr(d, pkAny), g.expr(d, pkAny))
	case 4:
		return binop("mul", g.expr(d, pkAny), g.expr(d, pkAny))
	case 5:
		den := g.expr(d, pkPos)
		if r.IntN(2) == 0 {
			den = &pnode{op: "neg", text: pickOf(r, pfnNeg...), args: []*pnode{den}}
		}
		return binop("div", g.expr(d, pkAny), den)
	case 6:
		return &pnode{op: "neg", text: pickOf(r, pfnNeg...), args: []*pnode{g.expr(d, pkAny)}}
	case 7, 8:
		return named(pickOf(r, pfnAny...), g.expr(d, pkAny))
	case 9:
		return named(pickOf(r, pfnPos...), g.expr(d, pkPos))
	case 10:
		return named(pickOf(r, pfnUnit...), g.expr(d, pkUnit))
	case 11:
		return pow(g.expr(d, pkAny), g.exponent(true), true)
	case 12:
		return pow(g.expr(d, pkPos), g.exponent(r.IntN(3) == 0), true)
	case 13:
		return pow(g.expr(d, pkPos), g.expr(d, pkAny), false)
	case 14:
		return named(pickOf(r, pfnTwo...), g.expr(d, pkAny), g.expr(d, pkAny))
	case 15:
		return named("abs", g.expr(d, pkAny))
	case 16:
		return same(pkAny)
	case 17:
		return g.expr(d, pkPos)
	}
	// A subexpression combined with a variable, which shares the variable
	// between branches.
	return binop(pickOf(r, "add", "sub", "mul"), g.expr(d, pkAny), g.leaf(pkAny))
}

// render writes e as eBIOS text with the fewest parentheses the grammar
// needs (and the redundant ones e asks for). Levels: 1 sum, 2 product,
// 3 unary minus, 4 power, 5 primary.
func (g *progGen) render(e *pnode) string {
	s, _ := g.rend(e)
	return s
}

func (g *progGen) rend(e *pnode) (string, int) {
	sub := func(x *pnode, min int) string {
		s, l := g.rend(x)
		if l < min {
			return "(" + s + ")"
		}
		return s
	}
	var s string
	lvl := 5
	op := e.text
	if op == "" {
		op = map[string]string{"add": " + ", "sub": " - ", "mul": " * ", "div": " / ", "neg": "-", "pow": "^"}[e.op]
	}
	switch e.op {
	case "x":
		s = g.inName[e.i]
	case "v":
		s = g.varName[e.i]
	case "c", "pi":
		s = e.text
	case "e":
		s = "e"
	case "u":
		s = "(" + e.text + ")"
	case "add", "sub":
		s, lvl = sub(e.args[0], 1)+op+sub(e.args[1], 2), 1
	case "mul", "div":
		s, lvl = sub(e.args[0], 2)+op+sub(e.args[1], 3), 2
	case "neg":
		s, lvl = op+sub(e.args[0], 3), 3
	case "pow":
		if op == "pow" {
			s = "pow(" + g.render(e.args[0]) + ", " + g.render(e.args[1]) + ")"
		} else {
			s, lvl = sub(e.args[0], 5)+op+sub(e.args[1], 3), 4
		}
	default:
		name := e.op
		if e.text != "" {
			name = e.text
		}
		var args []string
		for _, a := range e.args {
			args = append(args, g.render(a))
		}
		s = name + "(" + strings.Join(args, pickOf(g.r, ", ", ",")) + ")"
	}
	if e.paren {
		return "(" + s + ")", 5
	}
	return s, lvl
}

// pval is an expression evaluated in float64 with the scales of n and u:
// mag is the nominal computed with every sum of magnitudes, ag the gradient
// computed from magnitudes (indexed like pevaluator.us).
type pval struct {
	n, mag float64
	ag     []float64
}

// pevaluator evaluates a program's expressions; us holds the u of every
// input, then of every uncertain literal in the order they are met.
type pevaluator struct {
	in   [][2]float64
	vars []pval
	us   []float64
}

func newProgEvaluator(in [][2]float64) *pevaluator {
	ev := &pevaluator{in: in}
	for _, x := range in {
		ev.us = append(ev.us, x[1])
	}
	return ev
}

// progAxpy returns y + |s|·x, growing y as needed.
func progAxpy(y []float64, s float64, x []float64) []float64 {
	for len(y) < len(x) {
		y = append(y, 0)
	}
	for i, v := range x {
		y[i] += math.Abs(s) * v
	}
	return y
}

func progUnit(i int) []float64 {
	g := make([]float64, i+1)
	g[i] = 1
	return g
}

// progFunc is a function of one argument with its derivative as
// uncertainties computes it, its second derivative (for the scale only) and
// the domain the generator keeps to: away from poles, branch points and
// kinks, and where Python's own formula for f' (1 - tanh², 1/√(1 - x²))
// keeps its precision.
type progFunc struct {
	f, d1, d2 func(float64) float64
	ok        func(x float64) bool
}

var progFuncs = map[string]progFunc{
	"sqrt": {math.Sqrt, func(x float64) float64 { return 0.5 / math.Sqrt(x) },
		func(x float64) float64 { return -0.25 / (x * math.Sqrt(x)) }, func(x float64) bool { return x >= 1e-6 }},
	"exp": {math.Exp, math.Exp, math.Exp, func(x float64) bool { return math.Abs(x) <= 30 }},
	"log": {math.Log, func(x float64) float64 { return 1 / x }, func(x float64) float64 { return -1 / (x * x) },
		func(x float64) bool { return x >= 1e-6 }},
	"log10": {math.Log10, func(x float64) float64 { return 1 / x / math.Ln10 },
		func(x float64) float64 { return -1 / (x * x) / math.Ln10 }, func(x float64) bool { return x >= 1e-6 }},
	"log2": {math.Log2, func(x float64) float64 { return 1 / x / math.Ln2 },
		func(x float64) float64 { return -1 / (x * x) / math.Ln2 }, func(x float64) bool { return x >= 1e-6 }},
	"sin": {math.Sin, math.Cos, func(x float64) float64 { return -math.Sin(x) },
		func(x float64) bool { return math.Abs(x) <= 100 }},
	"cos": {math.Cos, func(x float64) float64 { return -math.Sin(x) }, func(x float64) float64 { return -math.Cos(x) },
		func(x float64) bool { return math.Abs(x) <= 100 }},
	"tan": {math.Tan, func(x float64) float64 { t := math.Tan(x); return 1 + t*t },
		func(x float64) float64 { t := math.Tan(x); return 2 * t * (1 + t*t) },
		func(x float64) bool { return math.Abs(x) <= 50 && math.Abs(math.Cos(x)) >= 1e-2 }},
	"asin": {math.Asin, func(x float64) float64 { return 1 / math.Sqrt(1-x*x) },
		func(x float64) float64 { return x / math.Pow(1-x*x, 1.5) }, func(x float64) bool { return math.Abs(x) <= 0.95 }},
	"acos": {math.Acos, func(x float64) float64 { return -1 / math.Sqrt(1-x*x) },
		func(x float64) float64 { return -x / math.Pow(1-x*x, 1.5) }, func(x float64) bool { return math.Abs(x) <= 0.95 }},
	"atan": {math.Atan, func(x float64) float64 { return 1 / (1 + x*x) },
		func(x float64) float64 { return -2 * x / ((1 + x*x) * (1 + x*x)) }, func(x float64) bool { return math.Abs(x) <= 1e6 }},
	"sinh": {math.Sinh, math.Cosh, math.Sinh, func(x float64) bool { return math.Abs(x) <= 30 }},
	"cosh": {math.Cosh, math.Sinh, math.Cosh, func(x float64) bool { return math.Abs(x) <= 30 }},
	"tanh": {math.Tanh, func(x float64) float64 { t := math.Tanh(x); return 1 - t*t },
		func(x float64) float64 { t := math.Tanh(x); return -2 * t * (1 - t*t) }, func(x float64) bool { return math.Abs(x) <= 4 }},
	"abs": {math.Abs, func(x float64) float64 { return math.Copysign(1, x) }, func(float64) float64 { return 0 },
		func(x float64) bool { return math.Abs(x) >= 1e-6 }},
}

func progFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// eval evaluates e; ok is false when a step leaves the comfortable range:
// a function argument outside its domain margin, a divisor near 0, a value
// beyond 1e12 or below 1e-100 in magnitude (but 0), a near-tie of min or
// max, a near-0 argument of abs, atan2 near its branch cut.
func (ev *pevaluator) eval(e *pnode) (pval, bool) {
	var a []pval
	for _, x := range e.args {
		v, ok := ev.eval(x)
		if !ok {
			return pval{}, false
		}
		a = append(a, v)
	}
	var r pval
	add := func(s float64, x pval) { r.ag = progAxpy(r.ag, s, x.ag) }
	// two sets r for f(a0, a1) with partials fa, fb and second partials.
	two := func(f, fa, fb, faa, fab, fbb float64) {
		r.n = f
		r.mag = math.Abs(f) + math.Abs(fa)*a[0].mag + math.Abs(fb)*a[1].mag
		add(math.Abs(fa)+math.Abs(faa)*a[0].mag+math.Abs(fab)*a[1].mag, a[0])
		add(math.Abs(fb)+math.Abs(fab)*a[0].mag+math.Abs(fbb)*a[1].mag, a[1])
	}
	switch e.op {
	case "x":
		r = pval{n: ev.in[e.i][0], mag: math.Abs(ev.in[e.i][0]), ag: progUnit(e.i)}
	case "v":
		return ev.vars[e.i], true
	case "c":
		r = pval{n: e.k, mag: math.Abs(e.k)}
	case "pi":
		r = pval{n: math.Pi, mag: math.Pi}
	case "e":
		r = pval{n: math.E, mag: math.E}
	case "u":
		ev.us = append(ev.us, e.ku)
		r = pval{n: e.k, mag: math.Abs(e.k), ag: progUnit(len(ev.us) - 1)}
	case "add", "sub":
		r.n = a[0].n + a[1].n
		if e.op == "sub" {
			r.n = a[0].n - a[1].n
		}
		r.mag = a[0].mag + a[1].mag
		add(1, a[0])
		add(1, a[1])
	case "mul":
		r.n = a[0].n * a[1].n
		r.mag = a[0].mag*math.Abs(a[1].n) + math.Abs(a[0].n)*a[1].mag
		add(a[1].mag, a[0])
		add(a[0].mag, a[1])
	case "div":
		d := math.Abs(a[1].n)
		if d < 1e-6 {
			return pval{}, false
		}
		r.n = a[0].n / a[1].n
		r.mag = a[0].mag/d + math.Abs(r.n)*a[1].mag/d
		// The coefficients 1/b and a/b², and the error they inherit from
		// the rounding of a and b.
		add(1/d+a[1].mag/(d*d), a[0])
		add(a[0].mag/(d*d)+2*math.Abs(a[0].n)*a[1].mag/(d*d*d), a[1])
	case "neg":
		r = pval{n: -a[0].n, mag: a[0].mag}
		add(1, a[0])
	case "pow":
		x, y := a[0].n, a[1].n
		integer := e.exact && y == math.Trunc(y)
		if math.Abs(x) < 1e-6 || !integer && x <= 0 || math.Abs(y) > 10 {
			return pval{}, false
		}
		f := math.Pow(x, y)
		fa, faa := 0.0, 0.0
		if y != 0 {
			fa, faa = y*math.Pow(x, y-1), y*(y-1)*math.Pow(x, y-2)
		}
		if e.exact {
			r.n, r.mag = f, math.Abs(f)+math.Abs(fa)*a[0].mag
			add(math.Abs(fa)+math.Abs(faa)*a[0].mag, a[0])
			break
		}
		l := math.Log(x)
		two(f, fa, f*l, faa, math.Pow(x, y-1)*(1+y*l), f*l*l)
	case "atan2":
		y, x := a[0].n, a[1].n
		r2 := x*x + y*y
		if r2 < 1e-12 || x <= 0 && (math.Abs(y) < 1e-9*a[0].mag || math.Abs(y) < 1e-9) {
			return pval{}, false
		}
		two(math.Atan2(y, x), x/r2, -y/r2, 2*x*y/(r2*r2), (y*y-x*x)/(r2*r2), 2*x*y/(r2*r2))
	case "hypot":
		x, y := a[0].n, a[1].n
		h := math.Hypot(x, y)
		if h < 1e-6 {
			return pval{}, false
		}
		two(h, x/h, y/h, y*y/(h*h*h), x*y/(h*h*h), x*x/(h*h*h))
	case "min", "max":
		x, y := a[0].n, a[1].n
		if math.Abs(x-y) < 1e-9*(a[0].mag+a[1].mag) || math.Abs(x-y) < 1e-9 {
			return pval{}, false
		}
		if (y < x) == (e.op == "min") {
			two(y, 0, 1, 0, 0, 0)
		} else {
			two(x, 1, 0, 0, 0, 0)
		}
	default:
		f, ok := progFuncs[e.op]
		if !ok {
			panic("unknown operation " + e.op)
		}
		x := a[0].n
		if !f.ok(x) || e.op == "abs" && math.Abs(x) < 1e-9*a[0].mag {
			return pval{}, false
		}
		fx, d1 := f.f(x), f.d1(x)
		r.n, r.mag = fx, math.Abs(fx)+math.Abs(d1)*a[0].mag
		// The coefficient f'(a), and the error it inherits from the
		// rounding of a.
		add(math.Abs(d1)+math.Abs(f.d2(x))*a[0].mag, a[0])
	}
	ok := progFinite(r.n) && progFinite(r.mag) && math.Abs(r.n) <= 1e12 && (r.n == 0 || math.Abs(r.n) >= 1e-100)
	for _, x := range r.ag {
		ok = ok && progFinite(x)
	}
	return r, ok
}

// progCorrelation returns a correlation matrix B·Bᵀ (plus a ridge, rows
// normalized) with coefficients rounded to 1e-3, |r| ≤ 0.95 and some set to
// 0; inputs with u = 0 have 0 off the diagonal. Its Cholesky pivots are ≥
// 0.01, so that Python's eigendecomposition, which it takes square roots of
// eigenvalues of, keeps the precision the test asks for.
func progCorrelation(r *rand.Rand, in [][2]float64) [][]float64 {
	k := len(in)
	for {
		b := make([][]float64, k)
		for i := range b {
			b[i] = make([]float64, k)
			for j := range b[i] {
				b[i][j] = r.NormFloat64()
			}
		}
		ridge := (0.05 + r.Float64()*0.5) * float64(k)
		m := make([][]float64, k)
		for i := range m {
			m[i] = make([]float64, k)
			for j := range k {
				for l := range k {
					m[i][j] += b[i][l] * b[j][l]
				}
			}
			m[i][i] += ridge
		}
		c := make([][]float64, k)
		ok := true
		for i := range c {
			c[i] = make([]float64, k)
			c[i][i] = 1
			for j := range i {
				x := math.Round(m[i][j]/math.Sqrt(m[i][i]*m[j][j])*1e3) / 1e3
				if r.IntN(4) == 0 || in[i][1] == 0 || in[j][1] == 0 {
					x = 0
				}
				ok = ok && math.Abs(x) <= 0.95
				c[i][j], c[j][i] = x, x
			}
		}
		if ok && progMinPivot(c) >= 0.01 {
			return c
		}
	}
}

// progMinPivot returns the least pivot of the Cholesky factorization of the
// symmetric matrix c (negative or 0 when c is not positive definite).
func progMinPivot(c [][]float64) float64 {
	k := len(c)
	l := make([][]float64, k)
	least := math.Inf(1)
	for i := range k {
		l[i] = make([]float64, k)
		for j := 0; j <= i; j++ {
			s := c[i][j]
			for p := range j {
				s -= l[i][p] * l[j][p]
			}
			if i == j {
				least = math.Min(least, s)
				if s <= 0 {
					return s
				}
				l[i][i] = math.Sqrt(s)
			} else {
				l[i][j] = s / l[j][j]
			}
		}
	}
	return least
}

// correlations draws the correlation statements of the inputs: corr
// statements, one cov matrix, or a cov matrix of some inputs and corr
// statements for the other pairs; now and then a coefficient set first to
// something else (a later statement replaces it). It returns the statements
// and the correlation matrix they give, as gum computes it from them.
func (g *progGen) correlations() ([]string, [][]float64) {
	r := g.r
	k := len(g.in)
	want := progCorrelation(r, g.in)
	got := make([][]float64, k)
	for i := range got {
		got[i] = make([]float64, k)
		got[i][i] = 1
	}
	set := func(i, j int, x float64) { got[i][j], got[j][i] = x, x }
	var stmts []string
	corr := func(i, j int, x float64) {
		if r.IntN(2) == 0 {
			i, j = j, i
		}
		stmts = append(stmts, fmt.Sprintf("corr(%s,%s%s) = %s", g.inName[i], pickOf(r, " ", ""), g.inName[j],
			strconv.FormatFloat(x, 'g', -1, 64)))
		set(i, j, x)
		g.stats["corr statements"]++
	}
	// Coefficients set first to another value.
	for i := range k {
		for j := range i {
			if g.in[i][1] > 0 && g.in[j][1] > 0 && r.IntN(8) == 0 {
				corr(i, j, math.Round((r.Float64()*1.8-0.9)*100)/100)
				g.stats["corr replaced later"]++
			}
		}
	}
	inCov := make([]bool, k)
	if style := r.IntN(3); style > 0 { // a cov matrix
		var sub []int
		for i := range k {
			if style == 1 || r.IntN(3) > 0 {
				sub = append(sub, i)
			}
		}
		if len(sub) < 2 {
			sub = []int{0, 1}
		}
		r.Shuffle(len(sub), func(a, b int) { sub[a], sub[b] = sub[b], sub[a] })
		round := r.IntN(3) == 0 // covariances written with 6 digits
		var names, rows []string
		for posI, i := range sub {
			inCov[i] = true
			names = append(names, g.inName[i])
			var row []string
			for posJ, j := range sub {
				ui, uj := g.in[i][1], g.in[j][1]
				var x float64
				switch {
				case i == j:
					x = ui * ui
				case want[i][j] != 0:
					a, b := min(i, j), max(i, j) // one product for both entries
					x = want[a][b] * g.in[a][1] * g.in[b][1]
					if round {
						x, _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 6, 64), 64)
					}
					if posI < posJ {
						// The coefficient gum takes from it (and
						// gives Python): m/u_a/u_b, a before b.
						set(i, j, x/ui/uj)
					}
				default:
					set(i, j, 0)
				}
				row = append(row, strconv.FormatFloat(x, 'g', -1, 64))
			}
			rows = append(rows, "["+strings.Join(row, ", ")+"]")
		}
		stmts = append(stmts, "cov("+strings.Join(names, ", ")+") = ["+strings.Join(rows, pickOf(r, ", ", ",", ",\n  "))+"]")
		g.stats["cov statements"]++
	}
	for i := range k {
		for j := range i {
			if inCov[i] && inCov[j] {
				continue
			}
			if want[i][j] != 0 || got[i][j] != 0 {
				corr(i, j, want[i][j])
			}
		}
	}
	return stmts, got
}

// uncertainIn reports whether e depends on something uncertain.
func (g *progGen) uncertainIn(e *pnode) bool {
	switch e.op {
	case "x":
		return g.in[e.i][1] > 0
	case "v":
		return g.uncertainIn(g.vars[e.i])
	case "u":
		return true
	}
	for _, a := range e.args {
		if g.uncertainIn(a) {
			return true
		}
	}
	return false
}

// progRefers reports whether e has a node of the operation.
func progRefers(e *pnode, op string) bool {
	if e.op == op {
		return true
	}
	for _, a := range e.args {
		if progRefers(a, op) {
			return true
		}
	}
	return false
}

// progCount adds the operations of e to stats.
func progCount(e *pnode, stats map[string]int) {
	switch e.op {
	case "x":
		stats["input reference"]++
	case "v":
		stats["variable reference"]++
	case "c":
	case "u":
		stats["uncertain literal"]++
	case "pow":
		switch {
		case !e.exact:
			stats["^ uncertain exponent"]++
		case e.args[1].op == "c" || e.args[1].op == "neg" && e.args[1].args[0].op == "c":
			k := e.args[1].k
			if e.args[1].op == "neg" {
				k = -e.args[1].args[0].k
			}
			if k == math.Trunc(k) {
				stats["^ integer"]++
			} else {
				stats["^ non-integer"]++
			}
		default:
			stats["^ non-integer"]++
		}
		stats["pow spelled "+e.text]++
	case "log":
		stats[e.text]++
	default:
		stats[e.op]++
	}
	if len(e.args) == 2 && e.args[0] == e.args[1] {
		stats["same subexpression twice"]++
	}
	for _, a := range e.args {
		progCount(a, stats)
	}
}

// newProgram draws one program.
func newProgram(r *rand.Rand) *progCase {
	g := &progGen{r: r, stats: map[string]int{}}
	k := 2 + r.IntN(5)
	nv := 0
	if r.IntN(5) >= 2 {
		nv = 1 + r.IntN(3)
	}
	names := slices.Clone(progNames)
	r.Shuffle(len(names), func(a, b int) { names[a], names[b] = names[b], names[a] })
	g.inName, g.varName = names[:k], names[k:k+nv]
	var inStmts []string
	for i := range k {
		inStmts = append(inStmts, g.inName[i]+pickOf(r, " = ", "=", " = ")+g.input())
	}
	// Intermediate variables, each from the inputs and the ones before.
	ev := newProgEvaluator(g.in)
	var varStmts []string
	for i := range nv {
		for {
			e := g.expr(1+r.IntN(3), pickOf(r, pkAny, pkPos))
			if e.op == "x" || e.op == "v" || e.op == "c" || e.op == "u" || e.op == "pi" || e.op == "e" {
				continue // a computed variable, not another name for a leaf
			}
			v, ok := ev.eval(e)
			if !ok {
				continue
			}
			ev.vars = append(ev.vars, v)
			g.vars = append(g.vars, e)
			g.varN = append(g.varN, v.n)
			varStmts = append(varStmts, g.varName[i]+" = "+g.render(e))
			break
		}
	}
	// The final expression: not a bare name or constant, depending on
	// something uncertain and, when there are variables, on one of them
	// (mostly).
	var final *pnode
	for try := 0; ; try++ {
		e := g.expr(2+r.IntN(4), pkAny)
		if len(e.args) == 0 || nv > 0 && try < 100 && !progRefers(e, "v") {
			continue
		}
		if _, ok := ev.eval(e); ok && g.uncertainIn(e) {
			final = e
			break
		}
	}
	c := &progCase{Vars: g.vars, Expr: final}
	c.Inputs = append(c.Inputs, g.in...)
	var corrStmts []string
	if r.IntN(2) == 0 {
		var m [][]float64
		corrStmts, m = g.correlations()
		if progMinPivot(m) < 1e-3 { // replaced coefficients and a rounded cov can perturb it
			return newProgram(r)
		}
		if len(corrStmts) > 0 {
			c.Corr = m
		}
	}
	// The statements: the inputs, then the variables and correlations
	// interleaved (each in its order).
	sep := pickOf(r, "; ", ";", ";\n", " ; ")
	all, plain := slices.Clone(inStmts), slices.Clone(inStmts)
	vi, ci := 0, 0
	for vi < len(varStmts) || ci < len(corrStmts) {
		if ci == len(corrStmts) || vi < len(varStmts) && r.IntN(2) == 0 {
			all, plain = append(all, varStmts[vi]), append(plain, varStmts[vi])
			vi++
		} else {
			all = append(all, corrStmts[ci])
			ci++
		}
	}
	fin := g.render(final)
	tail := pickOf(r, "", "", ";")
	c.src = strings.Join(append(all, fin), sep) + tail
	c.plain = strings.Join(append(plain, fin), sep) + tail
	// The scales, from a fresh evaluation (uncertain literals are numbered
	// in the order of evaluation).
	sc := newProgEvaluator(g.in)
	for _, v := range g.vars {
		x, _ := sc.eval(v)
		sc.vars = append(sc.vars, x)
	}
	res, _ := sc.eval(final)
	c.nScale = res.mag
	for i, x := range res.ag {
		c.uScale += x * sc.us[i]
	}
	for _, v := range g.vars {
		progCount(v, g.stats)
	}
	progCount(final, g.stats)
	if nv > 0 {
		g.stats["programs with variables"]++
	}
	if len(corrStmts) > 0 {
		g.stats["correlated programs"]++
	}
	c.stats = g.stats
	return c
}

// progRelDiff is |a-b| / max(|a|, |b|, scale), 0 when a == b.
func progRelDiff(a, b, scale float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Max(math.Abs(a), math.Abs(b)), scale)
}

// progEval is expr.Eval with a panic turned into a message.
func progEval(src string, m nu.Mode) (r expr.Result, panicked string, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = fmt.Sprint(p)
		}
	}()
	r, err = expr.Eval(src, m)
	return r, "", err
}

// progFirstCorr returns the column of the first corr or cov statement.
func progFirstCorr(src string) int {
	i := len(src)
	for _, w := range []string{"corr(", "cov("} {
		if j := strings.Index(src, w); j >= 0 && j < i {
			i = j
		}
	}
	return utf8.RuneCountInString(src[:i]) + 1
}

// progOtherModes evaluates a program in nu and interval modes: each must
// give a valid value or a *nu.Error with a column in the text; with
// correlation statements, the error says they need gum mode. It returns a
// description of each outcome, for the log.
func progOtherModes(t *testing.T, i int, src string, correlated bool) []string {
	t.Helper()
	var out []string
	for _, m := range []nu.Mode{nu.ModeNU, nu.ModeInterval} {
		r, p, err := progEval(src, m)
		switch {
		case p != "":
			t.Errorf("program %d, %v mode: panic: %s\n  %s", i, m, p, src)
			out = append(out, fmt.Sprintf("%v panic", m))
		case err != nil:
			e, ok := nu.AsError(err)
			if !ok || e.Column < 1 || e.Column > utf8.RuneCountInString(src)+1 {
				t.Errorf("program %d, %v mode: error %v (%T) is not a *nu.Error with a column in the text\n  %s", i, m, err, err, src)
			} else if correlated && e.Code != nu.CodeBadMode && e.Column >= progFirstCorr(src) {
				// An error before the first correlation statement (a
				// domain error of a wider interval) may come first.
				t.Errorf("program %d, %v mode: error %v, want %s (correlations need gum mode)\n  %s", i, m, err, nu.CodeBadMode, src)
			}
			code := "?"
			if ok {
				code = string(e.Code)
			}
			out = append(out, fmt.Sprintf("%v error %s", m, code))
		default:
			if correlated {
				t.Errorf("program %d, %v mode: %v ± %v, want the error that correlations need gum mode\n  %s", i, m, r.Value.N(), r.Value.U(), src)
			}
			if _, err := nu.New(r.Value.N(), r.Value.U()); err != nil {
				t.Errorf("program %d, %v mode: invalid value %v ± %v\n  %s", i, m, r.Value.N(), r.Value.U(), src)
			}
			out = append(out, fmt.Sprintf("%v value", m))
		}
	}
	return out
}

// TestCrossCheckPrograms is the differential test of gum mode against
// Python's uncertainties package, on random programs.
//
// Agreement is relative: |a − b| ≤ 1e-12 · max(|a|, |b|, scale). The scale
// is what the rounding differences of two correct implementations are
// relative to when a result cancels (x - y with x ≈ y, or x/x, which gum
// makes exactly 1 ± 0 while Python's 1/x − x/x² leaves an ulp): for n, the
// nominal recomputed with magnitudes (|a| + |b| for a ± b, |f(a)| +
// |f'(a)|·mag(a) for f(a), ...); for u, Σ_i ag_i·u_i over the inputs and
// the uncertain literals, with ag the gradient recomputed from magnitudes,
// each coefficient also carrying the error it inherits from the rounding
// of its argument (|f″(a)|·mag(a)). Where nothing cancels the scale is
// about |n| or u and the test is a plain relative one; the plain maxima are
// logged too. Go's math library and glibc's libm differ by an ulp or so,
// and uncertainties models correlated inputs through an eigendecomposition
// of the correlation matrix (numpy), so exact equality is not expected.
func TestCrossCheckPrograms(t *testing.T) {
	start := time.Now()
	r := rand.New(rand.NewPCG(20261102, 11))
	cases := make([]*progCase, progCases)
	for i := range cases {
		cases[i] = newProgram(r)
	}
	genTime := time.Since(start)
	res := pyuncertainties.Run(t, cases, len(cases))

	goStart := time.Now()
	type bad struct {
		i      int
		worst  float64
		report string
	}
	var bads []bad
	var maxN, maxU, plainN, plainU float64
	var worstU int
	stats := map[string]int{}
	outcomes := map[string]int{}
	var chars, exactU, fails int
	for i, c := range cases {
		for k, v := range c.stats {
			stats[k] += v
		}
		chars += utf8.RuneCountInString(c.src)
		for _, o := range progOtherModes(t, i, c.src, c.Corr != nil) {
			outcomes[o]++
		}
		if c.Corr != nil {
			for _, o := range progOtherModes(t, i, c.plain, false) {
				outcomes[o+" (without corr/cov)"]++
			}
		}
		p := res.Results[i]
		if p.Error != "" || p.N == nil || p.U == nil {
			t.Errorf("program %d: python: %s\n  %s", i, p.Error, c.src)
			fails++
			continue
		}
		g, pan, err := progEval(c.src, nu.ModeGUM)
		if pan != "" || err != nil {
			t.Errorf("program %d: gum: %v%s\n  %s", i, err, pan, c.src)
			fails++
			continue
		}
		n, u := g.Value.N(), g.Value.U()
		if u == 0 {
			exactU++
		}
		dn, du := progRelDiff(n, *p.N, c.nScale), progRelDiff(u, *p.U, c.uScale)
		maxN = math.Max(maxN, dn)
		if du > maxU {
			maxU, worstU = du, i
		}
		plainN, plainU = math.Max(plainN, progRelDiff(n, *p.N, 0)), math.Max(plainU, progRelDiff(u, *p.U, 0))
		if dn > progTol || du > progTol {
			fails++
			bads = append(bads, bad{i, math.Max(dn, du), fmt.Sprintf(
				"program %d: gum %v ± %v, python %v ± %v (relative differences n %.3g, u %.3g; scales %.6g, %.6g)\n  %s\n  python: %s",
				i, n, u, *p.N, *p.U, dn, du, c.nScale, c.uScale, c.src, progJSON(c))})
		}
	}
	sort.Slice(bads, func(a, b int) bool { return bads[a].worst > bads[b].worst })
	for _, b := range bads[:min(len(bads), 10)] {
		t.Error(b.report)
	}
	t.Logf("%d programs (%d characters), uncertainties %s: max relative difference n %.3g, u %.3g "+
		"(plain |a-b|/max(|a|,|b|): n %.3g, u %.3g); u exactly 0 in gum %d times; %d failed",
		len(cases), chars, res.Version, maxN, maxU, plainN, plainU, exactU, fails)
	t.Logf("largest u difference: program %d: %s", worstU, cases[worstU].src)
	t.Logf("contents: %s", progCounts(stats))
	t.Logf("nu and interval modes: %s", progCounts(outcomes))
	t.Logf("time: generation %v, python %v, Go (3 modes) %v, whole test %v", genTime.Round(time.Millisecond),
		res.Took.Round(time.Millisecond), time.Since(goStart).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

func progCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return b.String()
}

func progJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
