package nu

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Literal is one number as written in text: a plain number (5, -0.1, 2.5e3),
// a number in concise notation with its uncertainty in parentheses (5.23(12)
// is 5.23 ± 0.12; 1.5(2)e3 is 1500 ± 200), or one of the words nan, inf and
// infinity (any case), which scan so that validation can reject them with the
// right error.
type Literal struct {
	N    float64 // the number
	U    float64 // the concise uncertainty, when HasU
	HasU bool    // written in concise notation
}

// ScanLiteral scans an unsigned literal at the start of s and returns it with
// the number of bytes it used. It returns a NUCORE_010 *Error, with Column
// counted in bytes from the start of s plus one, when s does not start with a
// well-formed literal.
func ScanLiteral(s string) (Literal, int, error) { return scanLiteral(s, 0) }

// scanLiteral is ScanLiteral for the literal times 10^shift, read exactly (as
// the decimal with its exponent raised by shift).
func scanLiteral(s string, shift int) (Literal, int, error) {
	if w := scanWord(s); w > 0 {
		switch strings.ToLower(s[:w]) {
		case "nan":
			return Literal{N: math.NaN()}, w, nil
		case "inf", "infinity":
			return Literal{N: math.Inf(1)}, w, nil
		}
		return Literal{}, 0, syntaxErr(1, "expected a number, found "+strconv.Quote(s[:w]))
	}
	i := 0
	intStart := i
	i += scanDigits(s[i:])
	intDigits := i - intStart
	frac := 0
	if i < len(s) && s[i] == '.' {
		i++
		frac = scanDigits(s[i:])
		i += frac
	}
	if intDigits+frac == 0 {
		if i < len(s) {
			r, _ := utf8.DecodeRuneInString(s[i:])
			return Literal{}, 0, syntaxErr(1, "expected a number, found "+strconv.QuoteRune(r))
		}
		return Literal{}, 0, syntaxErr(1, "expected a number, found the end of the input")
	}
	mant := s[:i]
	var paren string
	if i < len(s) && s[i] == '(' {
		j := i + 1
		d := scanDigits(s[j:])
		if j+d < len(s) && s[j+d] == '.' {
			d++
			d += scanDigits(s[j+d:])
		}
		if d == 0 || j+d >= len(s) || s[j+d] != ')' {
			return Literal{}, 0, syntaxErr(j+d+1, "concise uncertainty must be digits in parentheses, as in 5.23(12)")
		}
		paren = s[j : j+d]
		i = j + d + 1
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		d := scanDigits(s[j:])
		if d == 0 {
			return Literal{}, 0, syntaxErr(j+1, "exponent needs digits, as in 1.5e3")
		}
		if d > 6 {
			return Literal{}, 0, syntaxErr(i+1, "exponent out of range")
		}
		exp, _ = strconv.Atoi(s[i+1 : j+d])
		i = j + d
	}
	exp += shift
	lit := Literal{}
	var err error
	lit.N, err = strconv.ParseFloat(mant+"e"+strconv.Itoa(exp), 64)
	if err != nil && !math.IsInf(lit.N, 0) {
		return Literal{}, 0, syntaxErr(1, "malformed number "+strconv.Quote(s[:i]))
	}
	if paren != "" {
		lit.HasU = true
		scale := exp
		if !strings.Contains(paren, ".") {
			scale -= frac // the digits count in units of the nominal's last place
		}
		lit.U, _ = strconv.ParseFloat(paren+"e"+strconv.Itoa(scale), 64)
	}
	return lit, i, nil
}

func scanDigits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// scanWord returns the length of the ASCII identifier at the start of s.
func scanWord(s string) int {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] == '_' || i > 0 && s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return i
}

// ScanPlusMinus reports the length of a ± sign at the start of s, or 0 when
// there is none. A ± is written "±", "+/-" or "+-" (also "+−" with U+2212):
// the ASCII spellings count only when their characters are adjacent, so
// "5+-0.1" and "5 +- 0.1" are both 5 ± 0.1. An expression parser that wants
// 5 + (-0.1) needs a space, "5 + -0.1", or parentheses.
func ScanPlusMinus(s string) int {
	switch {
	case strings.HasPrefix(s, "±"):
		return len("±")
	case strings.HasPrefix(s, "+/-"):
		return 3
	case strings.HasPrefix(s, "+-"):
		return 2
	case strings.HasPrefix(s, "+−"):
		return len("+−")
	}
	return 0
}

func syntaxErr(col int, msg string) *Error {
	return &Error{Code: CodeSyntax, Category: CategorySyntax, Message: msg, Column: col,
		Remediation: `write a value as "5 ± 0.1", "5 +- 0.1", "5 +/- 0.1" or "5.0(1)"`}
}

// Parse reads one value written as "5 ± 0.1", "5+/-0.1", "5 +- 0.1",
// "-5.23(12)", "1.5(2)e3" or "5" (an exact value); see [ScanPlusMinus] for
// the spellings of ±. It also reads the typeset forms [Value.FormatStyle]
// writes with Unicode set: a number may be followed by "×10" and a
// superscript exponent ("1.230(20)×10⁻⁴", "1.2×10⁻⁴ ± 2×10⁻⁶"), and a value
// may be written "(1.230 ± 0.020)×10⁻⁴", the factor applying to both numbers.
// Every such number is read exactly as the decimal it spells, rounded once to
// the nearest float64. Spaces around the parts are ignored. It returns a
// NUCORE_010 *Error pointing at the column of a syntax error, and the
// validation errors of [New] (NUCORE_001 for "5 ± -1").
func Parse(s string) (Value, error) {
	p := parser{s: s}
	p.space()
	var n, u float64
	var err error
	if p.i < len(p.s) && p.s[p.i] == '(' {
		n, u, err = p.grouped()
	} else {
		n, u, err = p.value(0)
	}
	if err != nil {
		return Value{}, err
	}
	p.space()
	if p.i < len(p.s) {
		return Value{}, syntaxErr(p.col(), "unexpected "+strconv.Quote(truncate(p.s[p.i:], 20))+" after the value")
	}
	return New(n, u)
}

// value reads "n", "n(u)" or "n ± u", each number times 10^shift.
func (p *parser) value(shift int) (n, u float64, err error) {
	n, hasU, u, err := p.signed(shift)
	if err != nil {
		return 0, 0, err
	}
	p.space()
	if pm := ScanPlusMinus(p.s[p.i:]); pm > 0 {
		if hasU {
			return 0, 0, syntaxErr(p.col(), "a value in concise notation already has its uncertainty")
		}
		p.i += pm
		p.space()
		uCol := p.col()
		var uHasU bool
		u, uHasU, _, err = p.signed(shift)
		if err != nil {
			return 0, 0, err
		}
		if uHasU {
			return 0, 0, syntaxErr(uCol, "the uncertainty cannot itself have an uncertainty")
		}
	}
	return n, u, nil
}

// grouped reads "(n ± u)" with an optional "×10⁻⁴" after it.
func (p *parser) grouped() (n, u float64, err error) {
	open := p.i
	p.i++
	p.space()
	inner := p.i
	if n, u, err = p.value(0); err != nil {
		return 0, 0, err
	}
	if !containsPlusMinus(p.s[inner:p.i]) {
		return 0, 0, syntaxErr(p.col(), `a value in parentheses is written "(n ± u)", as in (1.230 ± 0.020)×10⁻⁴`)
	}
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != ')' {
		return 0, 0, syntaxErr(p.col(), `expected ")" to close the "(" at column `+strconv.Itoa(utf8.RuneCountInString(p.s[:open])+1))
	}
	p.i++
	end := p.i
	e, w, ok := scanTimesTen(p.s[p.i:])
	if !ok {
		return n, u, nil
	}
	p.i = inner // read the numbers again, scaled
	n, u, err = p.value(e)
	p.i = end + w
	return n, u, err
}

// containsPlusMinus reports whether s contains a spelling of ±.
func containsPlusMinus(s string) bool {
	for i := range len(s) {
		if ScanPlusMinus(s[i:]) > 0 {
			return true
		}
	}
	return false
}

type parser struct {
	s string
	i int
}

func (p *parser) col() int { return utf8.RuneCountInString(p.s[:p.i]) + 1 }

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// signed scans an optionally signed literal times 10^shift, and a "×10⁻⁴"
// after it: nominal, whether it had a concise uncertainty, and that
// uncertainty.
func (p *parser) signed(shift int) (float64, bool, float64, error) {
	neg := false
	if p.i < len(p.s) && (p.s[p.i] == '-' || p.s[p.i] == '+') {
		neg = p.s[p.i] == '-'
		p.i++
	}
	col := p.col()
	lit, w, err := scanLiteral(p.s[p.i:], shift)
	if err != nil {
		e := err.(*Error)
		c := *e
		c.Column += col - 1
		return 0, false, 0, &c
	}
	if c := p.s[p.i]; c >= '0' && c <= '9' || c == '.' { // a number, not nan or inf
		if e, ew, ok := scanTimesTen(p.s[p.i+w:]); ok {
			lit, _, _ = scanLiteral(p.s[p.i:], shift+e)
			w += ew
		}
	}
	p.i += w
	if neg {
		lit.N = -lit.N
	}
	return lit.N, lit.HasU, lit.U, nil
}
