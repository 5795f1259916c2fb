package nu

import (
	"encoding/json"
	"math"
	"strconv"
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

// Coverage returns the relative uncertainty u/|n|: 0 for an exact value and
// +Inf when n = 0 < u.
func (v Value) Coverage() float64 {
	if v.u == 0 {
		return 0
	}
	return v.u / math.Abs(v.n)
}

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

// UnmarshalJSON accepts a JSON number or the string "+Inf".
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

func parseJSONFloat(b []byte) (float64, error) {
	if string(b) == `"`+InfString+`"` {
		return math.Inf(1), nil
	}
	var x float64
	if err := json.Unmarshal(b, &x); err != nil {
		return 0, &Error{Code: CodeSyntax, Category: CategorySyntax,
			Message:     "expected a JSON number or \"" + InfString + "\"",
			Details:     "got " + truncate(string(b), 40),
			Remediation: "write numbers as JSON numbers; only an infinite uncertainty is written as the string \"+Inf\""}
	}
	return x, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// valueJSON is the wire shape of a Value.
type valueJSON struct {
	N Float `json:"n"`
	U Float `json:"u"`
}

// MarshalJSON writes {"n":…,"u":…}; an infinite u is written "+Inf".
func (v Value) MarshalJSON() ([]byte, error) {
	b := append([]byte(nil), `{"n":`...)
	b, _ = appendFloat(b, v.n)
	b = append(b, `,"u":`...)
	b, _ = appendFloat(b, v.u)
	return append(b, '}'), nil
}

// UnmarshalJSON reads {"n":…,"u":…} and validates it like [New]. Unknown
// fields and a missing n or u are errors.
func (v *Value) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return &Error{Code: CodeSyntax, Category: CategorySyntax,
			Message: "expected a JSON object {\"n\": number, \"u\": number}", Details: err.Error(),
			Remediation: "send the value as an object with the fields n and u"}
	}
	for k := range raw {
		if k != "n" && k != "u" {
			return &Error{Code: CodeSyntax, Category: CategorySyntax,
				Message: "unknown field " + strconv.Quote(k) + " in value", Remediation: "a value has exactly the fields n and u"}
		}
	}
	var w [2]float64
	for i, k := range [2]string{"n", "u"} {
		r, ok := raw[k]
		if !ok {
			return &Error{Code: CodeSyntax, Category: CategorySyntax,
				Message: "missing field " + strconv.Quote(k) + " in value", Remediation: "a value has exactly the fields n and u"}
		}
		x, err := parseJSONFloat(r)
		if err != nil {
			return err
		}
		w[i] = x
	}
	nv, err := New(w[0], w[1])
	if err != nil {
		return err
	}
	*v = nv
	return nil
}
