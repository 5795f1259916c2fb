package gum

import (
	"fmt"
	"strconv"

	"github.com/ebios/ebios/core/nu"
)

// Error codes of package gum. Like nu's codes they are stable: clients and
// scripts match on them. Failures that nu already names (overflow, division
// by zero, NaN, negative uncertainty, non-finite nominal or constant) carry
// nu's codes; these are the ones that only exist with correlated inputs.
// Every error this package returns is a *nu.Error, so it marshals to the same
// JSON shape as nu's.
const (
	CodeCorrelation  = "GUM_001" // a correlation coefficient is NaN, outside [-1, 1], or not 1 between an input and itself
	CodeNotPSD       = "GUM_002" // the correlations given are not positive semidefinite: some variance would be negative
	CodeUnknownInput = "GUM_003" // a Value of another context, or a derived Value where an input is needed
	CodeCovariance   = "GUM_004" // a covariance matrix is malformed: shape, non-finite entry, asymmetry, diagonal ≠ u²
	CodeNoDerivative = "GUM_005" // a function has no finite derivative at the nominal of an uncertain argument
	CodeInfiniteU    = "GUM_006" // an input's standard uncertainty is +Inf
)

// label names input i for a message: its name, quoted, or its number.
func (c *Context) label(i int) string {
	if c.name[i] != "" {
		return strconv.Quote(c.name[i])
	}
	return "#" + strconv.Itoa(i+1)
}

func errCorrelation(msg, details string) *nu.Error {
	return &nu.Error{Code: CodeCorrelation, Category: nu.CategoryValidation,
		Message:     msg,
		Details:     details,
		Remediation: "give a correlation coefficient r in [-1, 1] between two different inputs; an input's correlation with itself is always 1"}
}

func errNotPSD(details string) *nu.Error {
	return &nu.Error{Code: CodeNotPSD, Category: nu.CategoryValidation,
		Message: "the correlations are not consistent: they are not positive semidefinite",
		Details: details,
		Remediation: "no set of quantities can have these correlations together (some combination of them would have a negative variance); " +
			"check the coefficients, e.g. r(a,b) = r(b,c) = 0.9 forces r(a,c) ≥ 0.62"}
}

func errOtherContext(op string) *nu.Error {
	return &nu.Error{Code: CodeUnknownInput, Category: nu.CategoryValidation,
		Message:     op + ": the value belongs to another context",
		Details:     "a gum.Value is a linear form over the inputs of the Context that made it",
		Remediation: "compute with values of one Context only; constants from Const (and the zero Value) may be used in any"}
}

func errNotInput(op string, k int) *nu.Error {
	return &nu.Error{Code: CodeUnknownInput, Category: nu.CategoryValidation,
		Message:     op + ": value " + strconv.Itoa(k+1) + " is not an input of this context",
		Details:     "correlations are set between the Values returned by Input, not between computed values or constants",
		Remediation: "pass the Values that Input returned, unchanged"}
}

func errCovariance(msg, details string) *nu.Error {
	return &nu.Error{Code: CodeCovariance, Category: nu.CategoryValidation,
		Message:     msg,
		Details:     details,
		Remediation: "give a symmetric k×k matrix of finite numbers for k distinct inputs, whose diagonal is the inputs' u² (within a relative 1e-12)"}
}

func errNoDerivative(op string) *nu.Error {
	return &nu.Error{Code: CodeNoDerivative, Category: nu.CategoryOperation,
		Message:     op + ": the function has no finite derivative at the nominal",
		Details:     "first-order propagation multiplies the uncertainty by the derivative, which is infinite or NaN here",
		Remediation: "first-order (GUM) propagation does not apply at this point; move the nominal away from it, or use nu or interval mode"}
}

func errInfiniteU(name string) *nu.Error {
	return &nu.Error{Code: CodeInfiniteU, Category: nu.CategoryValidation,
		Message:     "input: standard uncertainty is +Inf",
		Details:     "input " + strconv.Quote(name) + ": a linear form cannot carry an unknown (infinite) uncertainty",
		Remediation: "give a finite standard uncertainty; for a value about which nothing is known use nu mode"}
}

// The following build errors with nu's codes, in nu's wording.

func errOverflow(op string) *nu.Error {
	return &nu.Error{Code: nu.CodeOverflow, Category: nu.CategoryOperation,
		Message:     op + ": the result is too large to represent (beyond ±1.8 × 10^308)",
		Details:     "the nominal, a sensitivity coefficient or the uncertainty of the result exceeds ±1.7976931348623157e308",
		Remediation: "rescale the inputs (change units) so that results stay within range"}
}

func errDivByZero() *nu.Error {
	return &nu.Error{Code: nu.CodeDivByZero, Category: nu.CategoryOperation,
		Message:     "division by zero",
		Details:     "divisor nominal is 0",
		Remediation: "the divisor must be bounded away from zero: its nominal must not be 0"}
}

func errNaN(what string) *nu.Error {
	return &nu.Error{Code: nu.CodeNaN, Category: nu.CategoryValidation,
		Message:     what + " is NaN",
		Remediation: "give a finite number; NaN carries no information that can be propagated"}
}

func errBadConstant(k float64) *nu.Error {
	return &nu.Error{Code: nu.CodeBadConstant, Category: nu.CategoryValidation,
		Message:     "exact constant must be finite",
		Details:     fmt.Sprintf("got %v", k),
		Remediation: "use a finite constant"}
}
