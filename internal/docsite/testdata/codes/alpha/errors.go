// Package alpha is a fixture of the error-code scanner.
package alpha

import (
	"fmt"

	b "example.org/codes/beta"
)

// Error codes of alpha.
const (
	CodeOne = "ALPHA_001" // the first thing went wrong
	CodeTwo = "ALPHA_002"
)

// CodeSolo is the code of a lone failure.
const CodeSolo = "ALPHA_003"

// Error is the fixture's error.
type Error struct{ Code, Category, Message, Remediation string }

func newErr(code, msg, details, remedy string) *Error {
	_ = details
	return &Error{Code: code, Category: "alpha", Message: msg, Remediation: remedy}
}

func one(n int) *Error { return newErr(CodeOne, fmt.Sprintf("bad n %d", n), "", "give a good n") }

func solo(x string) *Error {
	return &Error{Code: CodeSolo, Category: "solo", Message: "alone", Remediation: "try " + x + " again"}
}

func fromBeta(ok bool) *Error {
	return &Error{Code: b.CodeB, Message: "from beta", Remediation: map[bool]string{true: "the fix when ok", false: "the fix otherwise"}[ok]}
}

var literal = "ALPHA_009"

var _, _, _, _ = one, solo, fromBeta, literal
