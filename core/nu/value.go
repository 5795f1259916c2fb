package nu

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/ebios/ebios/core/strictjson"
	"github.com/go-json-experiment/json/jsontext"
)

// Value is a nominal/uncertainty pair n ± u. The zero Value is the exact 0.
//
// A Value is always valid: n is finite and u is ≥ 0 (u may be +Inf). Values
// are built with [New], [Exact] or [Catch], or by parsing, never by setting
// fields, so every operation may rely on that invariant.
type Value struct {
	n, u float64
}

// New returns n ± u, or a structured *Error when n is NaN or infinite, or u is
// NaN or negative. u = +Inf is allowed: it marks a value about which nothing is
// known.
func New(n, u float64) (Value, error) {
	if err := check(n, u); err != nil {
		return Value{}, err
	}
	return Value{n, u}, nil
}

// MustNew is like [New] but panics on invalid input. Use it for constants.
func MustNew(n, u float64) Value {
	v, err := New(n, u)
	if err != nil {
		panic(err)
	}
	return v
}

// Exact returns the certain value k ± 0. It returns an error when k is not
// finite.
func Exact(k float64) (Value, error) {
	if math.IsNaN(k) || math.IsInf(k, 0) {
		return Value{}, errBadConstant(k)
	}
	return Value{k, 0}, nil
}

// valid reports whether (n, u) is a valid value, without building an error.
func valid(n, u float64) bool {
	return !math.IsNaN(n) && !math.IsInf(n, 0) && u >= 0 // u >= 0 is false for NaN
}

func check(n, u float64) *Error {
	if valid(n, u) {
		return nil
	}
	switch {
	case math.IsNaN(n):
		return errNaN("nominal")
	case math.IsInf(n, 0):
		return errInfiniteN(n)
	case math.IsNaN(u):
		return errNaN("uncertainty")
	case u < 0:
		return errNegativeU(u)
	}
	return nil
}

// N returns the nominal.
func (v Value) N() float64 { return v.n }

// U returns the uncertainty (≥ 0, possibly +Inf).
func (v Value) U() float64 { return v.u }

// IsExact reports whether u = 0.
func (v Value) IsExact() bool { return v.u == 0 }

// RelativeUncertainty returns the relative uncertainty u/|n|: 0 for an
// exact value and +Inf when n = 0 < u. (The ledger records it in the
// signed field "coverage", which keeps its name.)
func (v Value) RelativeUncertainty() float64 {
	if v.u == 0 {
		return 0
	}
	return v.u / math.Abs(v.n)
}

// Coverage is RelativeUncertainty, its name before it was called so.
//
// Deprecated: "coverage" means a coverage factor or probability in
// metrology; use RelativeUncertainty.
func (v Value) Coverage() float64 { return v.RelativeUncertainty() }

// Lo returns n - u rounded toward -Inf, so that the exact lower end of the
// interval is ≥ Lo.
func (v Value) Lo() float64 { return subDown(v.n, v.u) }

// Hi returns n + u rounded toward +Inf, so that the exact upper end of the
// interval is ≤ Hi.
func (v Value) Hi() float64 { return addUp(v.n, v.u) }

// InfString is how +Inf is written in JSON, where numbers cannot be infinite:
// an uncertainty or coverage of +Inf is the JSON string "+Inf". It is the only
// non-number accepted when decoding.
const InfString = "+Inf"

// Float is a float64 that may be +Inf and marshals +Inf as the JSON string
// [InfString]. NaN and -Inf are refused.
type Float float64

// MarshalJSON writes a finite number in the shortest form that round-trips, or
// "+Inf".
func (f Float) MarshalJSON() ([]byte, error) {
	return appendFloat(nil, float64(f))
}

// UnmarshalJSON accepts a JSON number (any spelling: 1, 1.0 and 10e-1 are
// the same binary64) or the string "+Inf", spelled exactly so. JSON white
// space around it is allowed; anything else is an error, as is a number
// outside the binary64 range.
func (f *Float) UnmarshalJSON(b []byte) error {
	x, err := parseJSONFloat(b)
	if err != nil {
		return err
	}
	*f = Float(x)
	return nil
}

func appendFloat(dst []byte, x float64) ([]byte, error) {
	switch {
	case math.IsInf(x, 1):
		return append(dst, `"`+InfString+`"`...), nil
	case math.IsNaN(x) || math.IsInf(x, -1):
		return nil, errNaN("number to encode")
	}
	return strconv.AppendFloat(dst, x, 'g', -1, 64), nil
}

// parseJSONFloat reads one JSON number or the string "+Inf", with JSON white
// space around it.
func parseJSONFloat(b []byte) (float64, error) {
	b = b[skipWS(b, 0):]
	for len(b) > 0 && isWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	if x, ok := floatToken(b); ok {
		return x, nil
	}
	if len(b) > 0 && numberLen(b) == len(b) {
		return 0, &Error{Code: CodeSyntax, Category: CategorySyntax,
			Message: "number outside the binary64 range", Details: "got " + truncate(string(b), 40),
			Remediation: "use numbers within ±1.8e308"}
	}
	return 0, &Error{Code: CodeSyntax, Category: CategorySyntax,
		Message:     "expected a JSON number or \"" + InfString + "\"",
		Details:     "got " + truncate(string(b), 40),
		Remediation: "write numbers as JSON numbers; only an infinite uncertainty is written as the string \"+Inf\""}
}

// floatToken reads b when it is exactly one JSON number within the binary64
// range or the string "+Inf" (no escapes, no white space).
func floatToken(b []byte) (float64, bool) {
	if len(b) == len(InfString)+2 && string(b) == `"`+InfString+`"` {
		return math.Inf(1), true
	}
	if len(b) == 0 || numberLen(b) != len(b) {
		return 0, false
	}
	// The JSON grammar is a subset of ParseFloat's; ParseFloat rounds
	// correctly, so every spelling of a binary64 gives that binary64.
	x, err := strconv.ParseFloat(string(b), 64)
	return x, err == nil
}

// numberLen returns the length of the JSON number (RFC 8259 §6) at the start
// of b, or 0 when b does not start with one.
func numberLen(b []byte) int {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return 0
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return 0
		}
		i = j
	}
	return i
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipWS returns the index of the first byte at or after i that is not JSON
// white space.
func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// tokenEnd returns the end of the number or "+Inf" that starts at b[i]: the
// bytes a number may hold, or the 6 bytes of "+Inf"; floatToken judges them.
func tokenEnd(b []byte, i int) int {
	if i < len(b) && b[i] == '"' {
		if len(b)-i >= len(InfString)+2 && string(b[i:i+len(InfString)+2]) == `"`+InfString+`"` {
			return i + len(InfString) + 2
		}
		return i
	}
	for i < len(b) {
		switch c := b[i]; {
		case '0' <= c && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			i++
		default:
			return i
		}
	}
	return i
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// MarshalJSON writes {"n":…,"u":…}; an infinite u is written "+Inf".
func (v Value) MarshalJSON() ([]byte, error) {
	b := append([]byte(nil), `{"n":`...)
	b, _ = appendFloat(b, v.n)
	b = append(b, `,"u":`...)
	b, _ = appendFloat(b, v.u)
	return append(b, '}'), nil
}

// UnmarshalJSON reads {"n":…,"u":…} by the rules of [UnmarshalNU] and
// validates it like [New].
func (v *Value) UnmarshalJSON(b []byte) error {
	n, u, err := UnmarshalNU(b)
	if err != nil {
		return err
	}
	nv, err := New(n, u)
	if err != nil {
		return err
	}
	*v = nv
	return nil
}

// UnmarshalNU reads the JSON object {"n": n, "u": u} strictly and returns
// its two numbers without judging them (see [New]; the API's catch takes
// invalid pairs). The object has exactly the members n and u, once each, in
// either order, with those exact (case-sensitive) names; each is a JSON
// number or the string "+Inf" (see [Float.UnmarshalJSON]). The whole of b is
// the one object (white space aside), in valid UTF-8 without lone surrogate
// escapes. Every error is a *Error of code CodeSyntax.
func UnmarshalNU(b []byte) (n, u float64, err error) {
	if n, u, ok := scanNU(b); ok {
		return n, u, nil
	}
	return readNU(b)
}

// scanNU is the fast path of UnmarshalNU: the plain spelling, with names
// unescaped, read without a decoder. It reports false on anything else,
// which readNU then reads or explains.
func scanNU(b []byte) (n, u float64, ok bool) {
	i := skipWS(b, 0)
	if i == len(b) || b[i] != '{' {
		return 0, 0, false
	}
	var w [2]float64
	seen := -1
	for k := range 2 {
		i = skipWS(b, i+1) // after '{' or ','
		if len(b)-i < 3 || b[i] != '"' || b[i+2] != '"' {
			return 0, 0, false
		}
		var m int
		switch b[i+1] {
		case 'n':
			m = 0
		case 'u':
			m = 1
		default:
			return 0, 0, false
		}
		if m == seen {
			return 0, 0, false
		}
		seen = m
		i = skipWS(b, i+3)
		if i == len(b) || b[i] != ':' {
			return 0, 0, false
		}
		i = skipWS(b, i+1)
		j := tokenEnd(b, i)
		x, ok := floatToken(b[i:j])
		if !ok {
			return 0, 0, false
		}
		w[m] = x
		i = skipWS(b, j)
		if i == len(b) || b[i] != ",}"[k] {
			return 0, 0, false
		}
	}
	if skipWS(b, i+1) != len(b) {
		return 0, 0, false
	}
	return w[0], w[1], true
}

// readNU reads with the strict tokenizer what scanNU does not take: escaped
// names, or an error to explain.
func readNU(b []byte) (n, u float64, err error) {
	bad := func(msg, details string) (float64, float64, error) {
		return 0, 0, &Error{Code: CodeSyntax, Category: CategorySyntax, Message: msg, Details: details,
			Remediation: `a value is the JSON object {"n": number, "u": number}: each member once, names in lower case, no other members`}
	}
	syntax := func(err error) (float64, float64, error) {
		msg := "expected a JSON object {\"n\": number, \"u\": number}"
		if errors.Is(err, jsontext.ErrDuplicateName) {
			msg = "duplicate field in value"
		}
		return bad(msg, strings.TrimPrefix(err.Error(), "jsontext: "))
	}
	d := jsontext.NewDecoder(bytes.NewReader(b), strictjson.DecoderOptions)
	tok, err := d.ReadToken()
	if err != nil {
		return syntax(err)
	}
	if tok.Kind() != '{' {
		return bad("expected a JSON object {\"n\": number, \"u\": number}", "got "+tok.Kind().String())
	}
	var w [2]float64
	var have [2]bool
	for d.PeekKind() != '}' {
		name, err := d.ReadToken()
		if err != nil {
			return syntax(err)
		}
		k := name.String()
		m := strings.Index("nu", k)
		if len(k) != 1 || m < 0 {
			return bad("unknown field "+strconv.Quote(truncate(k, 40))+" in value", "field names are case-sensitive")
		}
		raw, err := d.ReadValue()
		if err != nil {
			return syntax(err)
		}
		if w[m], err = parseJSONFloat(raw); err != nil {
			return 0, 0, err
		}
		have[m] = true
	}
	if _, err := d.ReadToken(); err != nil {
		return syntax(err)
	}
	if _, err := d.ReadToken(); err != io.EOF {
		if err == nil {
			return bad("data after the value", "")
		}
		return syntax(err)
	}
	for m, k := range [2]string{"n", "u"} {
		if !have[m] {
			return bad("missing field "+strconv.Quote(k)+" in value", "")
		}
	}
	return w[0], w[1], nil
}
