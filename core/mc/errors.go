package mc

import (
	"strconv"
	"strings"

	"github.com/ebios/ebios/core/nu"
)

// Error codes of package mc, as *nu.Error values. They are stable.
const (
	CodeOption      = "MC_001" // an option out of range: draws, probability, digits, bins
	CodeInput       = "MC_002" // an input's distribution cannot be sampled
	CodeCorrelation = "MC_003" // correlations that are malformed, inconsistent, or on a non-normal input
	CodeUndefined   = "MC_004" // the model gave NaN or an infinity for a draw
	CodeCanceled    = "MC_005" // the run was cancelled
	CodeUnsupported = "MC_006" // a model feature Monte Carlo cannot evaluate
)

func errOption(msg string) *nu.Error {
	return &nu.Error{Code: CodeOption, Category: nu.CategoryValidation, Message: msg,
		Remediation: "adjust the Monte Carlo options (ebios calc --help lists them)"}
}

func errInput(name, msg string) *nu.Error {
	who := "an input"
	if name != "" {
		who = "input " + strconv.Quote(name)
	}
	return &nu.Error{Code: CodeInput, Category: nu.CategoryValidation,
		Message:     who + " cannot be sampled: " + msg,
		Remediation: "give the input a finite value, a finite non-negative uncertainty and valid distribution parameters"}
}

func errCorrelation(msg string) *nu.Error {
	return &nu.Error{Code: CodeCorrelation, Category: nu.CategoryValidation, Message: msg,
		Remediation: "correlate normal inputs only, with coefficients in [-1, 1] that are consistent together"}
}

// errUndefined names the draw (from 1) whose output y is not finite, and
// the inputs' values in it.
func errUndefined(draw int, y float64, inputs []Input, in [][]float64, j int) *nu.Error {
	var b strings.Builder
	for i, x := range in {
		if inputs[i].Dist.Exact() {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		if b.Len() > 400 {
			b.WriteString("…")
			break
		}
		b.WriteString(label(inputs, i) + " = " + strconv.FormatFloat(x[j], 'g', 6, 64))
	}
	return &nu.Error{Code: CodeUndefined, Category: nu.CategoryOperation,
		Message: "the model is undefined at draw " + strconv.Itoa(draw) + ": it gave " + strconv.FormatFloat(y, 'g', -1, 64),
		Details: b.String(),
		Remediation: "Monte Carlo needs a model defined wherever the inputs can fall: narrow an input's distribution (a uniform or triangular one is bounded), " +
			"or keep the model away from its poles and domain edges (a division by a value that can be 0, the square root of a value that can be negative)"}
}

func errCanceled(done int) *nu.Error {
	return &nu.Error{Code: CodeCanceled, Category: nu.CategoryOperation,
		Message:     "the Monte Carlo run was cancelled after " + strconv.Itoa(done) + " draws",
		Remediation: "run it again; with the same seed it gives the same result"}
}

// ErrUnsupported returns the error for a model feature that Monte Carlo
// cannot evaluate, such as a function whose result is not a function of
// the draws alone.
func ErrUnsupported(what, remediation string) *nu.Error {
	return &nu.Error{Code: CodeUnsupported, Category: nu.CategoryValidation,
		Message: what + " cannot be evaluated by Monte Carlo", Remediation: remediation}
}
