// Package expr parses and evaluates eBIOS expressions over n ± u values:
//
//	(10 ± 0.5) * (20 ± 1) + 3 ± 0.2
//
// Grammar (± binds tightest, then unary minus, then * and /, then + and -):
//
//	expr    = term { ("+" | "-") term }
//	term    = unary { ("*" | "/") unary }
//	unary   = { "-" | "+" } primary
//	primary = literal [ "±" ["-"] literal ] | "(" expr ")" | name "(" args ")"
//	literal = 5 | 2.5e-3 | 5.23(12) | nan | inf
//
// "±" may be written "+/-" or "+-" ("+−" with U+2212 too); "×" and "·" mean
// "*", "÷" means "/", "−" means "-". The ASCII spellings of ± are one token
// only when their characters touch: "5 +- 0.1" and "5+-0.1" are both 5 ± 0.1,
// while "5 + -0.1" (a space between + and -) adds the negative number -0.1,
// as does "5 + (-0.1)". So that no input silently means something else, "-+"
// written together (which could be ∓) is a syntax error, and so is a "+-"
// where ± cannot stand, as in "(5) +- 1" or "+-5". A bare number is an exact
// constant (u = 0). Functions:
// compose(a, b) combines two estimates of one quantity, flip(a) negates the
// nominal, catch(a) and catch(a, d) turn an invalid result into (d ± inf)
// with d = 0 by default.
//
// Errors are *nu.Error values whose Column points at the offending character
// (counted in characters, from 1).
package expr

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ebios/ebios/core/nu"
)

// Limits that keep hostile input cheap.
const (
	MaxLen   = 64 << 10 // bytes of expression text
	MaxDepth = 200      // nesting of parentheses, calls and unary signs
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

// Expr is a parsed expression. It can be evaluated any number of times, in
// either mode.
type Expr struct {
	root node
	src  string
}

// String returns the source text.
func (e *Expr) String() string { return e.src }

// Inputs returns the values written in the expression (every literal, exact
// constants included) in source order, for the record of a computation. A
// literal that is not a valid value (5 ± -1) is skipped: it can only be part
// of a result through catch().
func (e *Expr) Inputs() []nu.Value {
	var out []nu.Value
	var walk func(n node)
	walk = func(n node) {
		switch x := n.(type) {
		case *lit:
			if v, err := nu.New(x.n, x.u); err == nil {
				out = append(out, v)
			}
		case *neg:
			walk(x.x)
		case *bin:
			walk(x.l)
			walk(x.r)
		case *call:
			for _, a := range x.args {
				walk(a)
			}
		}
	}
	walk(e.root)
	return out
}

// Eval evaluates the expression in mode m.
func (e *Expr) Eval(m nu.Mode) (nu.Value, error) {
	v, err := e.root.eval(m)
	if ne, ok := err.(*nu.Error); ok && ne.Column > 0 {
		// Nodes record byte offsets (+1); report characters.
		c := *ne
		c.Column = utf8.RuneCountInString(e.src[:ne.Column-1]) + 1
		return v, &c
	}
	return v, err
}

type node interface {
	eval(m nu.Mode) (nu.Value, error)
}

type lit struct {
	n, u      float64
	col, ucol int // columns of the nominal and of the uncertainty
}

func (l *lit) eval(nu.Mode) (nu.Value, error) {
	v, err := nu.New(l.n, l.u)
	if err != nil && l.ucol > 0 && (l.u < 0 || l.u != l.u) {
		return v, at(err, l.ucol)
	}
	return v, at(err, l.col)
}

type neg struct{ x node }

func (n *neg) eval(m nu.Mode) (nu.Value, error) {
	v, err := n.x.eval(m)
	return nu.Flip(v), err
}

type bin struct {
	op   byte
	l, r node
	col  int // byte offset + 1 of the operator or name
}

func (b *bin) eval(m nu.Mode) (nu.Value, error) {
	x, err := b.l.eval(m)
	if err != nil {
		return nu.Value{}, err
	}
	y, err := b.r.eval(m)
	if err != nil {
		return nu.Value{}, err
	}
	var v nu.Value
	switch b.op {
	case '+':
		v, err = m.Add(x, y)
	case '-':
		v, err = m.Sub(x, y)
	case '*':
		switch {
		case y.IsExact():
			v, err = m.Scale(y.N(), x)
		case x.IsExact():
			v, err = m.Scale(x.N(), y)
		default:
			v, err = m.Mul(x, y)
		}
	case '/':
		v, err = m.Div(x, y)
	}
	return v, at(err, b.col)
}

type call struct {
	name string
	args []node
	def  float64 // catch default
	col  int     // byte offset + 1 of the operator or name
}

func (c *call) eval(m nu.Mode) (nu.Value, error) {
	a, err := c.args[0].eval(m)
	if c.name == "catch" {
		if e, ok := nu.AsError(err); ok && e.Category != nu.CategorySyntax {
			return nu.Catch(0, -1, c.def), nil
		}
		return a, err
	}
	if err != nil {
		return nu.Value{}, err
	}
	switch c.name {
	case "flip":
		return nu.Flip(a), nil
	default: // compose
		b, err := c.args[1].eval(m)
		if err != nil {
			return nu.Value{}, err
		}
		v, err := m.Compose(a, b)
		return v, at(err, c.col)
	}
}

func at(err error, col int) error {
	if e, ok := err.(*nu.Error); ok {
		return e.AtColumn(col)
	}
	return err
}

// Parse parses src into an expression without evaluating it.
func Parse(src string) (*Expr, error) {
	if len(src) > MaxLen {
		return nil, synErr(1, "expression is longer than "+strconv.Itoa(MaxLen)+" bytes")
	}
	if !utf8.ValidString(src) {
		return nil, synErr(1, "expression is not valid UTF-8")
	}
	p := &parser{src: src}
	p.next()
	root, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.err != nil {
		return nil, p.err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("an operator or the end of the expression")
	}
	return &Expr{root: root, src: src}, nil
}

type kind uint8

const (
	tEOF kind = iota
	tNum
	tName
	tOp // + - * / ( ) , ±
)

type token struct {
	kind kind
	op   byte // for tOp; '~' stands for ±
	text string
	lit  nu.Literal
	pos  int // byte offset
}

type parser struct {
	src   string
	i     int
	tok   token
	depth int
	err   error
}

func (p *parser) col(pos int) int { return utf8.RuneCountInString(p.src[:pos]) + 1 }

func synErr(col int, msg string) *nu.Error {
	return &nu.Error{Code: nu.CodeSyntax, Category: nu.CategorySyntax, Message: msg, Column: col,
		Remediation: "write an expression such as (10 ± 0.5) * (20 ± 1) + 3 ± 0.2; see `ebios calc --help`"}
}

// ops maps operator spellings to their canonical byte. The spellings of ±
// are recognised first, by nu.ScanPlusMinus.
var ops = []struct {
	s  string
	op byte
}{
	{"+", '+'}, {"-", '-'}, {"−", '-'}, {"*", '*'}, {"×", '*'}, {"·", '*'},
	{"/", '/'}, {"÷", '/'}, {"(", '('}, {")", ')'}, {",", ','},
}

// next advances to the next token; a lexical error is kept in p.err and
// reported by the parser at that token.
func (p *parser) next() {
	for p.i < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.i]) >= 0 {
		p.i++
	}
	t := token{pos: p.i}
	rest := p.src[p.i:]
	switch {
	case rest == "":
		t.kind = tEOF
	case rest[0] >= '0' && rest[0] <= '9' || rest[0] == '.':
		l, w, err := nu.ScanLiteral(rest)
		if err != nil {
			e := err.(*nu.Error)
			p.err = synErr(p.col(p.i+e.Column-1), e.Message)
			t.kind = tEOF
			break
		}
		t.kind, t.lit, t.text = tNum, l, rest[:w]
		p.i += w
	case isLetter(rest[0]):
		w := 1
		for w < len(rest) && (isLetter(rest[w]) || rest[w] >= '0' && rest[w] <= '9') {
			w++
		}
		t.text = rest[:w]
		p.i += w
		if l, _, err := nu.ScanLiteral(t.text); err == nil {
			t.kind, t.lit = tNum, l // nan, inf
		} else {
			t.kind = tName
		}
	case nu.ScanPlusMinus(rest) > 0:
		w := nu.ScanPlusMinus(rest)
		t.kind, t.op, t.text = tOp, '~', rest[:w]
		p.i += w
	case strings.HasPrefix(rest, "-+") || strings.HasPrefix(rest, "−+"):
		p.err = &nu.Error{Code: nu.CodeSyntax, Category: nu.CategorySyntax, Column: p.col(p.i),
			Message:     strconv.Quote(rest[:strings.IndexByte(rest, '+')+1]) + " is ambiguous: it could mean ∓ or a minus followed by a plus",
			Remediation: `write "±" (or "+-", "+/-") for an uncertainty, as in 5 ± 0.1; for a minus and a plus, put a space between them: 5 - +0.1`}
		t.kind = tEOF
	default:
		for _, o := range ops {
			if strings.HasPrefix(rest, o.s) {
				t.kind, t.op, t.text = tOp, o.op, o.s
				p.i += len(o.s)
				p.tok = t
				return
			}
		}
		r, _ := utf8.DecodeRuneInString(rest)
		p.err = synErr(p.col(p.i), "unexpected character "+strconv.QuoteRune(r))
		t.kind = tEOF
	}
	p.tok = t
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

func (p *parser) unexpected(want string) error {
	if p.err != nil {
		return p.err
	}
	found := "the end of the expression"
	if p.tok.kind != tEOF {
		found = strconv.Quote(p.tok.text)
	}
	e := synErr(p.col(p.tok.pos), "expected "+want+", found "+found)
	if p.isOp('~') && p.tok.text != "±" && p.tok.text != "+/-" {
		e.Message += " (read as ±)"
		e.Remediation = "± can only follow a number, as in 5 ± 0.1 or 5 +- 0.1; to add a negative number put a space between the signs: 5 + -0.1"
	}
	return e
}

func (p *parser) isOp(op byte) bool { return p.tok.kind == tOp && p.tok.op == op }

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return synErr(p.col(p.tok.pos), "expression is nested more than "+strconv.Itoa(MaxDepth)+" levels deep")
	}
	return nil
}

func (p *parser) expr() (node, error) {
	l, err := p.term()
	for err == nil && (p.isOp('+') || p.isOp('-')) {
		op, col := p.tok.op, p.tok.pos+1
		p.next()
		var r node
		if r, err = p.term(); err == nil {
			l = &bin{op: op, l: l, r: r, col: col}
		}
	}
	return l, err
}

func (p *parser) term() (node, error) {
	l, err := p.unary()
	for err == nil && (p.isOp('*') || p.isOp('/')) {
		op, col := p.tok.op, p.tok.pos+1
		p.next()
		var r node
		if r, err = p.unary(); err == nil {
			l = &bin{op: op, l: l, r: r, col: col}
		}
	}
	return l, err
}

func (p *parser) unary() (node, error) {
	if p.isOp('-') || p.isOp('+') {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		minus := p.isOp('-')
		p.next()
		x, err := p.unary()
		if err != nil || !minus {
			return x, err
		}
		if l, ok := x.(*lit); ok { // fold -5 into the literal
			l.n = -l.n
			return l, nil
		}
		return &neg{x}, nil
	}
	return p.primary()
}

func (p *parser) primary() (node, error) {
	switch p.tok.kind {
	case tNum:
		return p.literal()
	case tName:
		return p.call()
	}
	if p.isOp('(') {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		p.next()
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		if !p.isOp(')') {
			return nil, p.unexpected(`")"`)
		}
		p.next()
		return x, nil
	}
	return nil, p.unexpected("a number, a value, \"(\" or a function")
}

func (p *parser) literal() (node, error) {
	l := &lit{n: p.tok.lit.N, u: p.tok.lit.U, col: p.tok.pos + 1}
	hasU := p.tok.lit.HasU
	p.next()
	if !p.isOp('~') {
		return l, nil
	}
	if hasU {
		return nil, synErr(p.col(p.tok.pos), "a value in concise notation such as 5.0(1) already has its uncertainty")
	}
	p.next()
	sign := 1.0
	l.ucol = p.tok.pos + 1
	for p.isOp('-') || p.isOp('+') {
		if p.isOp('-') {
			sign = -sign
		}
		p.next()
	}
	if p.tok.kind != tNum {
		return nil, p.unexpected("an uncertainty after ±")
	}
	if p.tok.lit.HasU {
		return nil, synErr(p.col(p.tok.pos), "the uncertainty cannot itself have an uncertainty")
	}
	l.u = sign * p.tok.lit.N
	p.next()
	return l, nil
}

func (p *parser) call() (node, error) {
	name, pos := strings.ToLower(p.tok.text), p.tok.pos
	arity := map[string][2]int{"compose": {2, 2}, "flip": {1, 1}, "catch": {1, 2}}[name]
	if arity[0] == 0 {
		return nil, synErr(p.col(pos), "unknown function "+strconv.Quote(p.tok.text)+"; known: compose, flip, catch")
	}
	p.next()
	if !p.isOp('(') {
		return nil, p.unexpected(`"(" after ` + name)
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.next()
	c := &call{name: name, col: pos + 1}
	for {
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		c.args = append(c.args, a)
		if !p.isOp(',') {
			break
		}
		p.next()
	}
	if !p.isOp(')') {
		return nil, p.unexpected(`"," or ")"`)
	}
	if len(c.args) < arity[0] || len(c.args) > arity[1] {
		want := strconv.Itoa(arity[0])
		if arity[1] != arity[0] {
			want += " or " + strconv.Itoa(arity[1])
		}
		return nil, synErr(p.col(pos), name+" takes "+want+" arguments, got "+strconv.Itoa(len(c.args)))
	}
	if name == "catch" && len(c.args) == 2 {
		d, ok := c.args[1].(*lit)
		if !ok || d.u != 0 || d.n != d.n || d.n-d.n != 0 {
			return nil, synErr(p.col(pos), "the default of catch must be a finite exact number, as in catch(x, 0)")
		}
		c.def = d.n
	}
	p.next()
	return c, nil
}
