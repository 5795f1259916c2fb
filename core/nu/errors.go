package nu

import (
	"errors"
	"fmt"
)

// Category groups error codes by what went wrong.
type Category string

// Error categories. They are part of the JSON shape and stable.
const (
	CategoryValidation Category = "validation" // an input is not a valid value
	CategoryInvariant  Category = "invariant"  // a value would violate u ≥ 0
	CategoryOperation  Category = "operation"  // the operation has no valid result
	CategorySyntax     Category = "syntax"     // text could not be parsed
)

// Error codes. Codes are stable: clients and scripts match on them.
const (
	CodeNegativeU     = "NUCORE_001" // uncertainty below zero
	CodeNaN           = "NUCORE_002" // NaN nominal or uncertainty
	CodeInfiniteN     = "NUCORE_003" // ±Inf nominal
	CodeOverflow      = "NUCORE_004" // result outside the float64 range
	CodeDivByZero     = "NUCORE_005" // divisor is zero or its interval contains zero
	CodeContradiction = "NUCORE_006" // compose of incompatible certain values / disjoint intervals
	CodeBadMode       = "NUCORE_007" // unknown mode name
	CodeBadConstant   = "NUCORE_008" // non-finite exact constant
	CodeDomain        = "NUCORE_009" // argument outside the function's domain
	CodeSyntax        = "NUCORE_010" // malformed text
)

// Error is the structured error of eBIOS. The same JSON shape is used by the
// API, by the CLI with --json and in the browser:
//
//	{"code":"NUCORE_001","category":"invariant","message":"...",
//	 "details":"...","remediation":"...","column":5}
//
// Column is the 1-based character column in the parsed text, or 0 when the
// error does not come from text.
type Error struct {
	Code        string   `json:"code"`
	Category    Category `json:"category"`
	Message     string   `json:"message"`
	Details     string   `json:"details,omitempty"`
	Remediation string   `json:"remediation,omitempty"`
	Column      int      `json:"column,omitempty"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Column > 0 {
		s += fmt.Sprintf(" (column %d)", e.Column)
	}
	return s
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &nu.Error{Code: nu.CodeOverflow}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// AsError returns err as an *Error if it is one (or wraps one).
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// AtColumn returns a copy of e that points at the given column, unless e
// already points somewhere.
func (e *Error) AtColumn(col int) *Error {
	if e.Column != 0 {
		return e
	}
	c := *e
	c.Column = col
	return &c
}

func errNegativeU(u float64) *Error {
	return &Error{Code: CodeNegativeU, Category: CategoryInvariant,
		Message:     "uncertainty must be >= 0",
		Details:     fmt.Sprintf("got u = %v", u),
		Remediation: "give the uncertainty as a non-negative number; the sign of a value belongs to its nominal"}
}

func errNaN(what string) *Error {
	return &Error{Code: CodeNaN, Category: CategoryValidation,
		Message:     what + " is NaN",
		Remediation: "give a finite number; NaN carries no information that can be propagated"}
}

func errInfiniteN(n float64) *Error {
	return &Error{Code: CodeInfiniteN, Category: CategoryValidation,
		Message:     "nominal must be finite",
		Details:     fmt.Sprintf("got n = %v", n),
		Remediation: "give a finite nominal; to mark a value as unknown use catch(), which yields (default ± inf)"}
}

func errOverflow(op string) *Error {
	return &Error{Code: CodeOverflow, Category: CategoryOperation,
		Message:     op + ": the result is too large to represent (beyond ±1.8 × 10^308)",
		Details:     "the nominal or uncertainty of the result exceeds ±1.7976931348623157e308",
		Remediation: "rescale the inputs (change units) so that results stay within range"}
}

func errDivByZero(details string) *Error {
	return &Error{Code: CodeDivByZero, Category: CategoryOperation,
		Message:     "division by zero",
		Details:     details,
		Remediation: "the divisor must be bounded away from zero: |n| > u in interval mode, n ≠ 0 in nu mode"}
}

func errContradiction(details string) *Error {
	return &Error{Code: CodeContradiction, Category: CategoryOperation,
		Message:     "compose: the two values contradict each other",
		Details:     details,
		Remediation: "check the measurements: certain values (u = 0) must agree, and in interval mode the intervals must overlap"}
}

func errBadConstant(k float64) *Error {
	return &Error{Code: CodeBadConstant, Category: CategoryValidation,
		Message:     "exact constant must be finite",
		Details:     fmt.Sprintf("got %v", k),
		Remediation: "use a finite constant"}
}

// errDomain reports an argument outside the domain of the function fn (its
// name, such as "ln"); details says which rule was broken.
func errDomain(fn, details string) *Error {
	return &Error{Code: CodeDomain, Category: CategoryOperation,
		Message:     fn + ": argument outside the function's domain",
		Details:     details,
		Remediation: "keep the argument inside the domain: in interval mode the whole interval [n-u, n+u] must lie in it (ln needs n-u > 0, sqrt n-u >= 0), in nu mode the nominal must, with a finite derivative when u > 0"}
}
