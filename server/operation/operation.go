// Package operation is what the API's operations are: the request of POST
// /operations/execute (and of each element of a batch), its strict
// decoding, and its computation into a draft for the log, without touching
// the log. Both API servers use it: `ebios serve` (server/api) and the
// Cloudflare Worker (wasm/worker/edge), so it builds for GOOS=js and does
// no I/O.
package operation

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/ebios/ebios/core/analysis"
	"github.com/ebios/ebios/core/expr"
	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/mc"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/strictjson"
	"github.com/go-json-experiment/json/jsontext"
)

// CategoryAPI is the category of the request errors of this package, as
// of the API's own (server/api).
const CategoryAPI nu.Category = "api"

// Error codes of requests that cannot be computed; the API's other codes
// are server/api's.
const (
	CodeUnknownOp   = "API_001" // unknown operation name
	CodeArity       = "API_002" // wrong number of inputs
	CodeBadField    = "API_003" // a field that does not fit the operation
	CodeTooMuchWork = "API_014" // an analysis asks for more Monte Carlo draws than the server allows
)

// Request is one operation to execute, as POST /operations/execute takes
// it (and each element of POST /operations/batch):
//
//	{"operation": "add", "inputs": [[5.0, 0.1], [3.0, 0.2]], "mode": "nu"}
//
// Inputs are [n, u] pairs or {"n": …, "u": …} objects; u may be "+Inf".
type Request struct {
	Operation string `json:"operation"`
	// Inputs are the operands. add and mul take two or more (folded left),
	// sub, div and compose exactly two, flip, catch and scale one.
	Inputs []Input `json:"inputs,omitempty"`
	// Mode is "nu" (default), "interval" or "gum".
	Mode string `json:"mode,omitempty"`
	// Factor is the exact constant of "scale".
	Factor *float64 `json:"factor,omitempty"`
	// Default is the nominal "catch" gives an invalid input (default 0).
	Default *float64 `json:"default,omitempty"`
	// Expression is the source of operation "expr", e.g. "(10 ± 0.5) * 2".
	Expression string `json:"expression,omitempty"`
	// OpID optionally names the operation (unique in the log); a random one
	// is made when empty.
	OpID string `json:"op_id,omitempty"`
	// ParentOpID names the operation this one derives from.
	ParentOpID string `json:"parent_op_id,omitempty"`
	// Proof asks for the inclusion proof of the new entry.
	Proof bool `json:"proof,omitempty"`
	// Analysis asks, for operation expr, for the uncertainty budget, an
	// expanded uncertainty and a Monte Carlo run (core/analysis).
	Analysis *analysis.Request `json:"analysis,omitempty"`
}

// Input is one operand: [n, u] or {"n": n, "u": u}. It is kept raw until the
// operation decides how to validate it (catch accepts invalid pairs).
type Input struct{ N, U float64 }

// UnmarshalJSON reads [n, u] or {"n": n, "u": u}, strictly: numbers are
// JSON numbers (any spelling of a binary64 is that binary64; outside the
// binary64 range is an error) and either may be the string "+Inf"; the
// object has exactly the members n and u, once each, with those exact names
// (see nu.UnmarshalNU). This is the hot path of every request: the plain
// spellings are scanned directly, without a decoder, and only what the scan
// does not take goes through the strict tokenizer, which reads it or says
// what is wrong.
func (in *Input) UnmarshalJSON(b []byte) error {
	i := skipWS(b, 0)
	if i < len(b) && b[i] == '{' {
		n, u, err := nu.UnmarshalNU(b)
		if err != nil {
			return err
		}
		in.N, in.U = n, u
		return nil
	}
	n, u, ok := scanPair(b, i)
	if !ok {
		var err error
		if n, u, err = readPair(b); err != nil {
			return err
		}
	}
	in.N, in.U = n, u
	return nil
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// scanPair reads b[i:] when it is [n, u] with two numbers or "+Inf", and
// reports false for anything else.
func scanPair(b []byte, i int) (n, u float64, ok bool) {
	if i == len(b) || b[i] != '[' {
		return 0, 0, false
	}
	var w [2]float64
	for k := range 2 {
		i = skipWS(b, i+1) // after '[' or ','
		j := i
		if j < len(b) && b[j] == '"' {
			j += len(nu.InfString) + 2 // the only string is "+Inf"; Float checks it
		} else {
			for j < len(b) && numberByte(b[j]) {
				j++
			}
		}
		var f nu.Float
		if j == i || j > len(b) || f.UnmarshalJSON(b[i:j]) != nil {
			return 0, 0, false
		}
		w[k] = float64(f)
		i = skipWS(b, j)
		if i == len(b) || b[i] != ",]"[k] {
			return 0, 0, false
		}
	}
	if skipWS(b, i+1) != len(b) {
		return 0, 0, false
	}
	return w[0], w[1], true
}

// numberByte reports the bytes a JSON number is made of.
func numberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// readPair reads with the strict tokenizer what scanPair did not take,
// and says what is wrong with it.
func readPair(b []byte) (n, u float64, err error) {
	const shape = "an input must be a pair [n, u] or an object {\"n\": n, \"u\": u}"
	d := jsontext.NewDecoder(bytes.NewReader(b), strictjson.DecoderOptions)
	tok, err := d.ReadToken()
	if err != nil || tok.Kind() != '[' {
		return 0, 0, badInput(shape)
	}
	var w [2]float64
	k := 0
	for d.PeekKind() != ']' {
		raw, err := d.ReadValue()
		if err != nil {
			return 0, 0, badInput(shape)
		}
		if k < 2 {
			var f nu.Float
			if err := f.UnmarshalJSON(raw); err != nil {
				return 0, 0, err
			}
			w[k] = float64(f)
		}
		k++
	}
	if _, err := d.ReadToken(); err != nil || k != 2 {
		return 0, 0, badInput(shape)
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return 0, 0, badInput(shape)
	}
	return w[0], w[1], nil
}

func badInput(msg string) error {
	return &nu.Error{Code: nu.CodeSyntax, Category: nu.CategorySyntax, Message: msg,
		Remediation: `send {"operation": "add", "inputs": [[5.0, 0.1], [3.0, 0.2]]}`}
}

// Result is the outcome of one operation, ready to be logged.
type Result struct {
	// Draft is the entry to log (its op id made when the request had none).
	Draft ledger.Draft
	// Value is the result, Mode the algebra it was computed in.
	Value nu.Value
	Mode  nu.Mode
	// Analysis is the report of the request's analysis, if it asked for one.
	Analysis *analysis.Report
}

// arity of each operation: minimum and maximum number of inputs (-1: any).
var arity = map[string][2]int{
	"add": {2, -1}, "sub": {2, 2}, "mul": {2, -1}, "div": {2, 2}, "compose": {2, 2},
	"flip": {1, 1}, "catch": {1, 1}, "scale": {1, 1}, "expr": {0, 0},
}

// aliases maps the seed's and other common names to the canonical ones.
var aliases = map[string]string{
	"subtract": "sub", "multiply": "mul", "divide": "div", "negate": "flip", "expression": "expr",
}

// Names lists the operation names the API accepts.
func Names() []string {
	out := make([]string, 0, len(arity))
	for k := range arity {
		out = append(out, k)
	}
	return out
}

// Compute validates and evaluates one request without touching the ledger.
// index is the request's position in a batch (-1 for a single execute);
// draws is what is left of the request's Monte Carlo draws, which an
// analysis takes from; ctx cancels a Monte Carlo run.
func Compute(ctx context.Context, r *Request, index int, draws *int) (*Result, error) {
	at := func(err error) error {
		if index < 0 {
			return err
		}
		e, ok := nu.AsError(err)
		if !ok {
			return err
		}
		c := *e
		c.Details = strconv.Quote("operations["+strconv.Itoa(index)+"]") + " " + c.Details
		return &c
	}
	op := r.Operation
	if a, ok := aliases[op]; ok {
		op = a
	}
	ar, ok := arity[op]
	if !ok {
		return nil, at(&nu.Error{Code: CodeUnknownOp, Category: CategoryAPI,
			Message:     "unknown operation " + strconv.Quote(r.Operation),
			Remediation: "use one of add, sub, mul, div, scale, compose, flip, catch, expr"})
	}
	mode, err := nu.ParseMode(r.Mode)
	if err != nil {
		return nil, at(err)
	}
	if n := len(r.Inputs); n < ar[0] || (ar[1] >= 0 && n > ar[1]) {
		want := strconv.Itoa(ar[0])
		switch {
		case ar[1] < 0:
			want += " or more"
		case ar[1] != ar[0]:
			want += " to " + strconv.Itoa(ar[1])
		}
		return nil, at(&nu.Error{Code: CodeArity, Category: CategoryAPI,
			Message: fmt.Sprintf("%s takes %s inputs, got %d", op, want, n), Remediation: "send the right number of inputs"})
	}
	if (r.Factor != nil) != (op == "scale") || (r.Default != nil && op != "catch") || (r.Expression != "") != (op == "expr") ||
		(r.Analysis != nil && op != "expr") {
		return nil, at(&nu.Error{Code: CodeBadField, Category: CategoryAPI,
			Message: "field not valid for operation " + op, Details: "factor is for scale, default for catch, expression and analysis for expr",
			Remediation: "send only the fields of the operation"})
	}
	d := ledger.Draft{OpID: r.OpID, ParentOpID: r.ParentOpID, Operation: op, Mode: mode.String(), Invariant: ledger.Invariant{OK: true}}
	var v nu.Value
	var rep *analysis.Report
	switch op {
	case "catch":
		def := 0.0
		if r.Default != nil {
			def = *r.Default
			if math.IsNaN(def) || math.IsInf(def, 0) {
				return nil, at(&nu.Error{Code: nu.CodeBadConstant, Category: nu.CategoryValidation, Message: "default must be finite"})
			}
		}
		in := r.Inputs[0]
		v = nu.Catch(in.N, in.U, def)
		if in, err := nu.New(in.N, in.U); err == nil {
			d.Inputs = []nu.Value{in}
		} else {
			d.Invariant = ledger.Invariant{OK: false, Message: "input was invalid and caught: " + err.Error()}
		}
	case "expr":
		e, err := expr.Parse(r.Expression)
		if err != nil {
			return nil, at(err)
		}
		if len(r.Expression) > ledger.MaxExpressionLen {
			return nil, at(&nu.Error{Code: CodeBadField, Category: CategoryAPI, Message: "expression too long to log",
				Details: fmt.Sprintf("at most %d bytes", ledger.MaxExpressionLen), Remediation: "split the computation and chain it with parent_op_id"})
		}
		if v, err = e.Eval(mode); err != nil {
			return nil, at(err)
		}
		d.Expression, d.Inputs = r.Expression, e.Inputs()
		if r.Analysis != nil {
			if rep, err = analyse(ctx, e, mode, v, r.Analysis, draws); err != nil {
				return nil, at(err)
			}
		}
	default:
		ins := make([]nu.Value, len(r.Inputs))
		for i, in := range r.Inputs {
			x, err := nu.New(in.N, in.U)
			if err != nil {
				e, _ := nu.AsError(err)
				c := *e
				c.Details = fmt.Sprintf("inputs[%d]: %s", i, c.Details)
				return nil, at(&c)
			}
			ins[i] = x
		}
		d.Inputs = ins
		if v, err = apply(op, mode, ins, r.Factor); err != nil {
			return nil, at(err)
		}
	}
	if d.OpID == "" {
		d.OpID = ledger.NewOpID()
	}
	d.Output = &v
	d.Coverage = nu.Float(v.RelativeUncertainty())
	d.Analysis = rep.Record()
	if err := d.Validate(); err != nil {
		return nil, at(err)
	}
	return &Result{Draft: d, Value: v, Mode: mode, Analysis: rep}, nil
}

// analyse runs an analysis request, its Monte Carlo draws taken from
// *draws (an adaptive run takes its limit, by default all that is left).
func analyse(ctx context.Context, e *expr.Expr, mode nu.Mode, v nu.Value, req *analysis.Request, draws *int) (*analysis.Report, error) {
	q := *req
	if mcq := q.MonteCarlo; mcq != nil {
		c := *mcq
		n := c.Draws
		switch {
		case n == 0 && c.Adaptive:
			n = *draws
		case n == 0:
			n = mc.DefaultDraws
		}
		if n > *draws {
			return nil, &nu.Error{Code: CodeTooMuchWork, Category: CategoryAPI,
				Message:     "the analysis asks for more Monte Carlo draws than this server allows in one request",
				Details:     fmt.Sprintf("%d draws asked, %d left of the request's limit", n, *draws),
				Remediation: "ask for fewer draws, or run the analysis with ebios calc --mc (or in the browser), which have no such limit"}
		}
		*draws -= n
		c.Draws = n
		q.MonteCarlo = &c
	}
	return analysis.Run(e, mode, v, q, func(int, int) bool { return ctx.Err() == nil })
}

func apply(op string, m nu.Mode, in []nu.Value, factor *float64) (nu.Value, error) {
	switch op {
	case "flip":
		return nu.Flip(in[0]), nil
	case "scale":
		return m.Scale(*factor, in[0])
	case "sub":
		return m.Sub(in[0], in[1])
	case "div":
		return m.Div(in[0], in[1])
	case "compose":
		return m.Compose(in[0], in[1])
	}
	f := m.Add
	if op == "mul" {
		f = m.Mul
	}
	v := in[0]
	for _, x := range in[1:] {
		var err error
		if v, err = f(v, x); err != nil {
			return nu.Value{}, err
		}
	}
	return v, nil
}
