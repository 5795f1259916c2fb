package expr

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ebios/ebios/core/mc"
	"github.com/ebios/ebios/core/nu"
)

// node is a parsed expression: *lit, *ref, *konst, *neg, *bin or *call.
type node interface{}

type lit struct {
	n, u      float64
	col, ucol int // byte offset + 1 of the nominal and of the uncertainty
	// The distribution Monte Carlo draws it from (mc.Normal by default),
	// with the bounds of a uniform or triangular one and the degrees of
	// freedom of a t one (0 when not given: infinite).
	dist   mc.Kind
	lo, hi float64
	dof    float64
	text   string // as written, for budgets and messages
}

// bounded reports whether l has a uniform or triangular distribution.
func (l *lit) bounded() bool { return l.dist == mc.Uniform || l.dist == mc.Triangular }

// exact reports whether l has no uncertainty.
func (l *lit) exact() bool { return l.u == 0 && (!l.bounded() || l.lo == l.hi) }

// dofs returns l's degrees of freedom, +Inf when none were given.
func (l *lit) dofs() float64 {
	if l.dof == 0 {
		return math.Inf(1)
	}
	return l.dof
}

// negate folds a unary minus into l.
func (l *lit) negate() {
	l.n = -l.n
	l.lo, l.hi = -l.hi, -l.lo
}

// distribution returns l's distribution for Monte Carlo.
func (l *lit) distribution() mc.Dist {
	switch l.dist {
	case mc.Uniform, mc.Triangular:
		return mc.Dist{Kind: l.dist, N: l.n, U: l.u, Lo: l.lo, Hi: l.hi, DoF: math.Inf(1)}
	case mc.StudentT:
		return mc.NewStudentT(l.n, l.u, l.dof)
	}
	return mc.NewNormal(l.n, l.u)
}

// ref is a use of a variable.
type ref struct {
	slot int
	col  int
}

// konst is the constant pi or e.
type konst struct{ e bool }

type neg struct{ x node }

type bin struct {
	op   byte // + - * / ^
	l, r node
	col  int // byte offset + 1 of the operator
}

// builtin names eBIOS's own functions.
type builtin uint8

const (
	notBuiltin builtin = iota
	bCompose
	bFlip
	bCatch
	bUniform    // uniform(a, b), also u(a, b): a literal, made by the parser
	bTriangular // triangular(a, b)
)

type call struct {
	fn      nu.Func
	fn2     nu.Func2
	builtin builtin
	args    []node
	def     float64 // catch default
	col     int     // byte offset + 1 of the name
}

// stmt is an assignment (x set) or a correlation statement (pairs set).
type stmt struct {
	slot int
	x    node
	// Correlations: each pair of slots with its coefficient, or with the
	// covariance matrix entry when cov is set.
	names []int
	corr  float64
	cov   [][]float64
	col   int
}

// FuncInfo describes a function of the expression language, for help texts.
type FuncInfo struct {
	Name string // as written
	Args string // the argument list, as in "(x)" or "(y, x)"
	Help string // one line
}

// Functions lists the functions and constants of the language, for help
// texts (the browser's function list, ebios calc --help).
var Functions = []FuncInfo{
	{"sqrt", "(x)", "square root"},
	{"exp", "(x)", "e to the power x"},
	{"ln", "(x)", "natural logarithm (also log)"},
	{"log10", "(x)", "base-10 logarithm"},
	{"log2", "(x)", "base-2 logarithm"},
	{"sin", "(x)", "sine, x in radians"},
	{"cos", "(x)", "cosine, x in radians"},
	{"tan", "(x)", "tangent, x in radians"},
	{"asin", "(x)", "arcsine, in radians"},
	{"acos", "(x)", "arccosine, in radians"},
	{"atan", "(x)", "arctangent, in radians"},
	{"atan2", "(y, x)", "angle of the point (x, y), in radians"},
	{"sinh", "(x)", "hyperbolic sine"},
	{"cosh", "(x)", "hyperbolic cosine"},
	{"tanh", "(x)", "hyperbolic tangent"},
	{"abs", "(x)", "absolute value"},
	{"pow", "(x, y)", "x to the power y, as x^y or x**y"},
	{"hypot", "(x, y)", "√(x² + y²)"},
	{"min", "(x, y)", "the smaller (by nominal; in interval mode, of the intervals)"},
	{"max", "(x, y)", "the larger"},
	{"compose", "(a, b)", "combine two estimates of one quantity"},
	{"flip", "(a)", "negate the nominal, keep u"},
	{"catch", "(a[, d])", "an invalid result becomes d ± inf (d = 0 by default)"},
	{"uniform", "(a, b)", "a value uniformly distributed between a and b (also u(a, b)); n ± u uniform is the same with half-width u√3"},
	{"triangular", "(a, b)", "a value with a symmetric triangular distribution on [a, b]; n ± u triangular has half-width u√6"},
	{"pi", "", "the constant π"},
	{"e", "", "the constant e"},
}

// Parse parses src into a program without evaluating it.
func Parse(src string) (*Expr, error) {
	if len(src) > MaxLen {
		return nil, synErr(1, "expression is longer than "+strconv.Itoa(MaxLen)+" bytes")
	}
	if !utf8.ValidString(src) {
		return nil, synErr(1, "expression is not valid UTF-8")
	}
	p := &parser{src: src, slots: map[string]int{}}
	p.next()
	e := &Expr{src: src}
	for {
		s, x, err := p.statement()
		if err != nil {
			return nil, err
		}
		if x != nil { // the expression to compute
			if p.isOp(';') {
				p.next()
			}
			if p.tok.kind != tEOF {
				if p.err != nil {
					return nil, p.err
				}
				return nil, p.unexpected(`an operator or the end of the expression ("; " separates statements, and the expression to compute comes last)`)
			}
			e.root = x
			break
		}
		e.stmts = append(e.stmts, *s)
		if !p.isOp(';') {
			return nil, p.unexpected(`";" after the statement`)
		}
		p.next()
		if p.tok.kind == tEOF && p.err == nil {
			return nil, synErr(p.col(p.tok.pos), "the program ends with a statement: write the expression to compute after it, as in x = 3 ± 0.1; x^2")
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	e.vars = p.names
	return e, nil
}

type kind uint8

const (
	tEOF kind = iota
	tNum
	tName
	tOp // + - * / ^ ( ) , ; = [ ] % ±
)

type token struct {
	kind kind
	op   byte // for tOp; '~' stands for ±, '^' for ^ and **
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
	slots map[string]int // variable name → slot
	names []string       // slot → name
}

func (p *parser) col(pos int) int { return utf8.RuneCountInString(p.src[:pos]) + 1 }

func synErr(col int, msg string) *nu.Error {
	return &nu.Error{Code: nu.CodeSyntax, Category: nu.CategorySyntax, Message: msg, Column: col,
		Remediation: "write an expression such as (10 ± 0.5) * (20 ± 1) + 3 ± 0.2, or x = 3 ± 0.1; sqrt(x); see `ebios calc --help`"}
}

// ops maps operator spellings to their canonical byte. The spellings of ±
// are recognised first, by nu.ScanPlusMinus; "**" comes before "*".
var ops = []struct {
	s  string
	op byte
}{
	{"**", '^'}, {"^", '^'}, {"+", '+'}, {"-", '-'}, {"−", '-'}, {"*", '*'}, {"×", '*'}, {"·", '*'},
	{"/", '/'}, {"÷", '/'}, {"(", '('}, {")", ')'}, {",", ','}, {";", ';'}, {"=", '='},
	{"[", '['}, {"]", ']'}, {"%", '%'},
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
	case strings.HasPrefix(rest, "π"):
		t.kind, t.text = tName, "pi"
		p.i += len("π")
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

// peek returns the token after the current one without consuming it.
func (p *parser) peek() token {
	i, tok, err := p.i, p.tok, p.err
	p.next()
	t := p.tok
	p.i, p.tok, p.err = i, tok, err
	return t
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

// reserved are the names that cannot be variables.
func reserved(name string) bool {
	if _, ok := nu.FuncByName(name); ok {
		return true
	}
	if _, ok := nu.Func2ByName(name); ok {
		return true
	}
	switch name {
	case "compose", "flip", "catch", "corr", "cov", "pi", "e":
		return true
	}
	return false
}

// statement parses one statement, or the final expression (returned as x).
func (p *parser) statement() (*stmt, node, error) {
	if p.tok.kind == tName {
		name, pos := p.tok.text, p.tok.pos
		switch next := p.peek(); {
		case (name == "corr" || name == "cov") && next.kind == tOp && next.op == '(':
			s, err := p.correlation()
			return s, nil, err
		case next.kind == tOp && next.op == '=':
			if reserved(strings.ToLower(name)) {
				return nil, nil, synErr(p.col(pos), strconv.Quote(name)+" is the name of a function or constant: choose another variable name")
			}
			if _, dup := p.slots[name]; dup {
				return nil, nil, synErr(p.col(pos), "variable "+name+" is already defined: a variable is set once")
			}
			if len(p.names) == MaxVariables {
				return nil, nil, synErr(p.col(pos), "more than "+strconv.Itoa(MaxVariables)+" variables")
			}
			p.next()
			p.next()
			x, err := p.expr()
			if err != nil {
				return nil, nil, err
			}
			// Defined after its value, so that x = x + 1 refers to no x.
			p.slots[name] = len(p.names)
			p.names = append(p.names, name)
			return &stmt{slot: len(p.names) - 1, x: x, col: pos + 1}, nil, nil
		}
	}
	x, err := p.expr()
	return nil, x, err
}

// correlation parses corr(x, y) = r or cov(x, y, ...) = [[...], ...].
func (p *parser) correlation() (*stmt, error) {
	isCov, pos := p.tok.text == "cov", p.tok.pos
	p.next() // the name
	p.next() // "("
	s := &stmt{slot: -1, col: pos + 1}
	for {
		if p.tok.kind != tName {
			return nil, p.unexpected("a variable name")
		}
		slot, ok := p.slots[p.tok.text]
		if !ok {
			return nil, synErr(p.col(p.tok.pos), "unknown variable "+strconv.Quote(p.tok.text)+": define it first, as in x = 3 ± 0.1")
		}
		for _, o := range s.names {
			if o == slot {
				return nil, synErr(p.col(p.tok.pos), "variable "+p.tok.text+" is listed twice")
			}
		}
		s.names = append(s.names, slot)
		p.next()
		if !p.isOp(',') {
			break
		}
		p.next()
	}
	if !p.isOp(')') {
		return nil, p.unexpected(`"," or ")"`)
	}
	p.next()
	if !isCov && len(s.names) != 2 {
		return nil, synErr(p.col(pos), "corr takes two variables, as in corr(x, y) = 0.5")
	}
	if !p.isOp('=') {
		return nil, p.unexpected(`"="`)
	}
	p.next()
	if !isCov {
		r, _, err := p.number()
		if err != nil {
			return nil, err
		}
		s.corr = r
		return s, nil
	}
	// [[a, b], [c, d]]
	open := func() error {
		if !p.isOp('[') {
			return p.unexpected(`"["`)
		}
		p.next()
		return nil
	}
	if err := open(); err != nil {
		return nil, err
	}
	for i := range s.names {
		if i > 0 {
			if !p.isOp(',') {
				return nil, p.unexpected(`"," and the next row`)
			}
			p.next()
		}
		if err := open(); err != nil {
			return nil, err
		}
		row := make([]float64, len(s.names))
		for j := range row {
			if j > 0 {
				if !p.isOp(',') {
					return nil, p.unexpected(`"," (the matrix has a row and a column per variable)`)
				}
				p.next()
			}
			x, _, err := p.number()
			if err != nil {
				return nil, err
			}
			row[j] = x
		}
		if !p.isOp(']') {
			return nil, p.unexpected(`"]" (the matrix has a row and a column per variable)`)
		}
		p.next()
		s.cov = append(s.cov, row)
	}
	if !p.isOp(']') {
		return nil, p.unexpected(`"]" (the matrix has a row and a column per variable)`)
	}
	p.next()
	return s, nil
}

// number parses an optionally signed exact finite number.
func (p *parser) number() (float64, int, error) {
	sign, pos := 1.0, p.tok.pos
	for p.isOp('-') || p.isOp('+') {
		if p.isOp('-') {
			sign = -sign
		}
		p.next()
	}
	if p.tok.kind != tNum || p.tok.lit.HasU || math.IsNaN(p.tok.lit.N) || math.IsInf(p.tok.lit.N, 0) {
		return 0, 0, p.unexpected("a finite number")
	}
	x := sign * p.tok.lit.N
	p.next()
	return x, pos + 1, nil
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
			l.negate()
			return l, nil
		}
		return &neg{x}, nil
	}
	return p.power()
}

func (p *parser) power() (node, error) {
	x, err := p.primary()
	if err != nil || !p.isOp('^') {
		return x, err
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	col := p.tok.pos + 1
	p.next()
	y, err := p.unary() // right-associative; 2^-1 allowed
	if err != nil {
		return nil, err
	}
	return &bin{op: '^', l: x, r: y, col: col}, nil
}

func (p *parser) primary() (node, error) {
	switch p.tok.kind {
	case tNum:
		return p.literal()
	case tName:
		return p.name()
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
	return nil, p.unexpected("a number, a value, a variable, \"(\" or a function")
}

func (p *parser) literal() (node, error) {
	start := p.tok.pos
	l := &lit{n: p.tok.lit.N, u: p.tok.lit.U, col: p.tok.pos + 1}
	hasU := p.tok.lit.HasU
	p.next()
	if !p.isOp('~') {
		if p.tok.kind == tName && isDist(p.tok.text) && !hasU {
			return nil, synErr(p.col(p.tok.pos), "a distribution needs an uncertainty, as in 5 ± 0.1 "+p.tok.text)
		}
		return l, p.distribution(l, start, hasU)
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
	if p.isOp('%') { // relative: 5 ± 10% is 5 ± 0.5
		l.u = percentOf(l.n, l.u)
		p.next()
	}
	return l, p.distribution(l, start, true)
}

// isDist reports whether name is a distribution written after a value.
func isDist(name string) bool {
	k, ok := mc.KindByName(strings.ToLower(name))
	return ok && (k != mc.StudentT || name == "t" || name == "T")
}

// distribution parses the optional distribution after a value n ± u:
// normal, uniform, triangular or t(ν). A uniform or triangular value has
// standard uncertainty u, so its half-width is u√3 or u√6. It sets l.text
// to the literal as written.
func (p *parser) distribution(l *lit, start int, hasU bool) error {
	defer func() { l.text = strings.TrimSpace(p.src[start:p.tok.pos]) }()
	if p.tok.kind != tName || !hasU {
		return nil
	}
	name := strings.ToLower(p.tok.text)
	k, ok := mc.KindByName(name)
	if !ok {
		return synErr(p.col(p.tok.pos), "unknown distribution "+strconv.Quote(p.tok.text)+" after a value: write normal, uniform, triangular or t(ν), or an operator")
	}
	l.dist = k
	p.next()
	switch k {
	case mc.Uniform, mc.Triangular:
		w := l.u * mc.Sqrt3
		if k == mc.Triangular {
			w = l.u * mc.Sqrt6
		}
		l.lo, l.hi = l.n-w, l.n+w
	case mc.StudentT:
		if !p.isOp('(') {
			return p.unexpected(`"(" and the degrees of freedom, as in 5 ± 0.1 t(9)`)
		}
		p.next()
		dof, col, err := p.number()
		if err != nil {
			return err
		}
		if !(dof >= 1) {
			return synErr(p.col(col-1), "a t distribution needs at least 1 degree of freedom, as in 5 ± 0.1 t(9)")
		}
		l.dof = dof
		if !p.isOp(')') {
			return p.unexpected(`")"`)
		}
		p.next()
	}
	return nil
}

// bounds parses the arguments of uniform(a, b) or triangular(a, b) after
// the name, up to and including ")", into a literal.
func (p *parser) bounds(k mc.Kind, start, col int) (node, error) {
	p.next() // "("
	a, _, err := p.number()
	if err != nil {
		return nil, err
	}
	if !p.isOp(',') {
		return nil, p.unexpected(`"," and the upper bound`)
	}
	p.next()
	b, bcol, err := p.number()
	if err != nil {
		return nil, err
	}
	if !p.isOp(')') {
		return nil, p.unexpected(`")"`)
	}
	if !(a <= b) || math.IsInf(b/2-a/2, 0) {
		return nil, synErr(p.col(bcol-1), "the upper bound must not be below the lower one, and their distance must be finite")
	}
	p.next()
	d := mc.NewUniform(a, b)
	if k == mc.Triangular {
		d = mc.NewTriangular(a, b)
	}
	return &lit{n: d.N, u: d.U, col: col, dist: k, lo: a, hi: b, text: strings.TrimSpace(p.src[start:p.tok.pos])}, nil
}

// percentOf returns |n|·p/100 rounded once to the nearest float64 (NaN and
// infinities pass through, so the literal's check reports them).
func percentOf(n, pct float64) float64 {
	if math.IsNaN(n) || math.IsNaN(pct) || math.IsInf(n, 0) || math.IsInf(pct, 0) {
		return math.Abs(n) * pct / 100
	}
	x := new(big.Float).SetPrec(256).SetFloat64(math.Abs(n))
	x.Mul(x, new(big.Float).SetFloat64(pct))
	x.Quo(x, big.NewFloat(100))
	f, _ := x.Float64()
	return f
}

// name parses a constant, a variable or a function call.
func (p *parser) name() (node, error) {
	name, pos := p.tok.text, p.tok.pos
	if next := p.peek(); !(next.kind == tOp && next.op == '(') {
		switch {
		case name == "pi":
			p.next()
			return &konst{}, nil
		case name == "e":
			p.next()
			return &konst{e: true}, nil
		}
		if slot, ok := p.slots[name]; ok {
			p.next()
			return &ref{slot: slot, col: pos + 1}, nil
		}
		if isFunc(strings.ToLower(name)) {
			p.next()
			return nil, p.unexpected(`"(" after ` + strings.ToLower(name))
		}
		return nil, synErr(p.col(pos), "unknown name "+strconv.Quote(name)+": define a variable first, as in x = 3 ± 0.1; x^2, or use a function such as sqrt(x)")
	}
	return p.call()
}

func isFunc(name string) bool {
	_, ok1 := nu.FuncByName(name)
	_, ok2 := nu.Func2ByName(name)
	return ok1 || ok2 || name == "compose" || name == "flip" || name == "catch" || name == "uniform" || name == "triangular"
}

func (p *parser) call() (node, error) {
	name, pos := strings.ToLower(p.tok.text), p.tok.pos
	c := &call{col: pos + 1}
	var arity [2]int
	if f, ok := nu.FuncByName(name); ok {
		c.fn, arity = f, [2]int{1, 1}
	} else if f, ok := nu.Func2ByName(name); ok {
		c.fn2, arity = f, [2]int{2, 2}
	} else {
		switch name {
		case "compose":
			c.builtin, arity = bCompose, [2]int{2, 2}
		case "flip":
			c.builtin, arity = bFlip, [2]int{1, 1}
		case "catch":
			c.builtin, arity = bCatch, [2]int{1, 2}
		case "uniform", "u", "triangular":
			k := mc.Uniform
			if name == "triangular" {
				k = mc.Triangular
			}
			p.next() // the name
			return p.bounds(k, pos, pos+1)
		}
	}
	if arity[0] == 0 {
		return nil, synErr(p.col(pos), "unknown function "+strconv.Quote(p.tok.text)+"; see the function list (ebios calc --help)")
	}
	p.next()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.next() // "("
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
	if c.builtin == bCatch && len(c.args) == 2 {
		d, ok := c.args[1].(*lit)
		if !ok || d.u != 0 || d.n != d.n || d.n-d.n != 0 {
			return nil, synErr(p.col(pos), "the default of catch must be a finite exact number, as in catch(x, 0)")
		}
		c.def = d.n
	}
	p.next()
	return c, nil
}
