// Package expr parses and evaluates eBIOS expressions over n ± u values:
//
//	(10 ± 0.5) * (20 ± 1) + 3 ± 0.2
//	x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = 0.5; x*y - sqrt(x)
//
// Grammar (± binds tightest, then ^, then unary minus, then * and /, then
// + and -):
//
//	program   = { statement ";" } expr [ ";" ]
//	statement = name "=" expr
//	          | "corr" "(" name "," name ")" "=" number
//	          | "cov" "(" name { "," name } ")" "=" matrix
//	matrix    = "[" row { "," row } "]",  row = "[" number { "," number } "]"
//	expr      = term { ("+" | "-") term }
//	term      = unary { ("*" | "/") unary }
//	unary     = { "-" | "+" } power
//	power     = primary [ ("^" | "**") unary ]
//	primary   = literal [ "±" ["-"] literal [ "%" ] ] | "(" expr ")"
//	          | name "(" expr { "," expr } ")" | name
//	literal   = 5 | 2.5e-3 | 5.23(12) | nan | inf
//
// "±" may be written "+/-" or "+-" ("+−" with U+2212 too); "×" and "·" mean
// "*", "÷" means "/", "−" means "-", "π" means pi. The ASCII spellings of ±
// are one token only when their characters touch: "5 +- 0.1" and "5+-0.1"
// are both 5 ± 0.1, while "5 + -0.1" (a space between + and -) adds the
// negative number -0.1, as does "5 + (-0.1)". So that no input silently
// means something else, "-+" written together (which could be ∓) is a
// syntax error, and so is a "+-" where ± cannot stand, as in "(5) +- 1" or
// "+-5". A bare number is an exact constant (u = 0); "5 ± 10%" is 5 ± 0.5.
// "^" is right-associative and binds tighter than a unary minus: -2^2 is -4,
// 2^-1 is 0.5, 2^3^2 is 2^9.
//
// Functions: sqrt, exp, ln (also log), log10, log2, sin, cos, tan, asin,
// acos, atan, sinh, cosh, tanh, abs of one argument; pow, atan2, hypot, min,
// max of two; and eBIOS's own: compose(a, b) combines two estimates of one
// quantity, flip(a) negates the nominal, catch(a) and catch(a, d) turn an
// invalid result into (d ± inf) with d = 0 by default. The constants pi and e
// are the real numbers: exact in nu and gum modes (to float64), enclosed in
// interval mode. See [Functions].
//
// Variables name a value once and use it many times; a variable is one
// quantity, so every use of it is the same value. In gum mode this is exact
// first-order propagation with correlations (package core/gum): x - x is 0
// and x*x is x^2, and corr(x, y) or cov(...) correlate input variables
// (those defined by a value, as in x = 3 ± 0.1). nu and interval modes treat
// distinct subexpressions as independent, which overstates the spread of an
// expression that uses a variable more than once (the dependency problem);
// there, two identical subexpressions built from variables and exact
// constants are recognised: a - a is exactly 0, a / a is exactly 1 (when a
// cannot be 0) and a * a is a^2. Correlations need gum mode.
//
// Errors are *nu.Error values whose Column points at the offending character
// (counted in characters, from 1).
package expr

import (
	"unicode/utf8"

	"github.com/ebios/ebios/core/nu"
)

// Limits that keep hostile input cheap.
const (
	MaxLen       = 64 << 10 // bytes of expression text
	MaxDepth     = 200      // nesting of parentheses, calls, powers and unary signs
	MaxVariables = 1000     // variables in one program
)

// Result is the value of an expression and the mode it was computed in.
type Result struct {
	Value nu.Value
	Mode  nu.Mode
}

// Eval parses and evaluates src in mode m.
func Eval(src string, m nu.Mode) (Result, error) {
	e, err := Parse(src)
	if err != nil {
		return Result{}, err
	}
	v, err := e.Eval(m)
	if err != nil {
		return Result{}, err
	}
	return Result{Value: v, Mode: m}, nil
}

// Expr is a parsed program: its statements and the expression it computes.
// It can be evaluated any number of times, in any mode.
type Expr struct {
	stmts []stmt
	root  node
	src   string
	vars  []string // variable names, by slot
}

// String returns the source text.
func (e *Expr) String() string { return e.src }

// Variables returns the names of the program's variables in the order they
// are defined.
func (e *Expr) Variables() []string { return append([]string(nil), e.vars...) }

// Inputs returns the values written in the expression (every literal, exact
// constants included) in source order, for the record of a computation. A
// literal that is not a valid value (5 ± -1) is skipped: it can only be part
// of a result through catch().
func (e *Expr) Inputs() []nu.Value {
	var out []nu.Value
	e.walk(func(n node) bool {
		if x, ok := n.(*lit); ok {
			if v, err := nu.New(x.n, x.u); err == nil {
				out = append(out, v)
			}
		}
		return false
	})
	return out
}

// walk calls f on every node of the program in source order until f
// returns true, and returns that node (nil if none).
func (e *Expr) walk(f func(node) bool) node {
	var visit func(n node) node
	visit = func(n node) node {
		if f(n) {
			return n
		}
		var kids []node
		switch x := n.(type) {
		case *neg:
			kids = []node{x.x}
		case *bin:
			kids = []node{x.l, x.r}
		case *call:
			kids = x.args
		}
		for _, k := range kids {
			if m := visit(k); m != nil {
				return m
			}
		}
		return nil
	}
	for _, s := range e.stmts {
		if s.x != nil {
			if m := visit(s.x); m != nil {
				return m
			}
		}
	}
	return visit(e.root)
}

// Eval evaluates the program in mode m.
func (e *Expr) Eval(m nu.Mode) (nu.Value, error) {
	var v nu.Value
	var err error
	if m == nu.ModeGUM {
		v, err = e.evalGUM()
	} else {
		v, err = run[nu.Value](e, valueAlg{m})
	}
	return v, e.columns(err)
}

// columns turns the byte offset in an error's Column (nodes record offset
// + 1) into a character column.
func (e *Expr) columns(err error) error {
	if ne, ok := err.(*nu.Error); ok && ne.Column > 0 {
		c := *ne
		c.Column = utf8.RuneCountInString(e.src[:min(ne.Column-1, len(e.src))]) + 1
		return &c
	}
	return err
}
