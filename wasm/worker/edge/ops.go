package edge

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
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

// newOpID returns a random op id (128 bits, hex), as ebios serve makes them.
func newOpID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// OpRequest is one operation to execute, as POST /operations/execute takes
// it (and each element of POST /operations/batch):
//
//	{"operation": "add", "inputs": [[5.0, 0.1], [3.0, 0.2]], "mode": "nu"}
//
// Inputs are [n, u] pairs or {"n": …, "u": …} objects; u may be "+Inf".
type OpRequest struct {
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

// UnmarshalJSON reads [n, u] or {"n": n, "u": u}, strictly, as
// `ebios serve` does (numbers are binary64, either may be "+Inf"; the
// object has exactly the members n and u).
func (in *Input) UnmarshalJSON(b []byte) error {
	var err error
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		in.N, in.U, err = nu.UnmarshalNU(b)
	} else {
		in.N, in.U, err = readPair(b)
	}
	return err
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

// computed is the outcome of one operation, ready to be logged.
type computed struct {
	draft    ledger.Draft
	value    nu.Value
	mode     nu.Mode
	analysis *analysis.Report
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

// compute validates and evaluates one request without touching the ledger
// (server/api's compute; see the package doc for why it is a copy).
// index is the request's position in a batch (-1 for a single execute);
// draws is what is left of the request's Monte Carlo draws, which an
// analysis takes from; ctx cancels a Monte Carlo run.
func compute(ctx context.Context, r *OpRequest, index int, draws *int) (*computed, error) {
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
		return nil, at(&nu.Error{Code: codeUnknownOp, Category: CategoryAPI,
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
		return nil, at(&nu.Error{Code: codeArity, Category: CategoryAPI,
			Message: fmt.Sprintf("%s takes %s inputs, got %d", op, want, n), Remediation: "send the right number of inputs"})
	}
	if (r.Factor != nil) != (op == "scale") || (r.Default != nil && op != "catch") || (r.Expression != "") != (op == "expr") ||
		(r.Analysis != nil && op != "expr") {
		return nil, at(&nu.Error{Code: codeBadField, Category: CategoryAPI,
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
			return nil, at(&nu.Error{Code: codeBadField, Category: CategoryAPI, Message: "expression too long to log",
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
		d.OpID = newOpID()
	}
	d.Output = &v
	d.Coverage = nu.Float(v.RelativeUncertainty())
	d.Analysis = rep.Record()
	if err := d.Validate(); err != nil {
		return nil, at(err)
	}
	return &computed{draft: d, value: v, mode: mode, analysis: rep}, nil
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
			return nil, &nu.Error{Code: codeTooMuchWork, Category: CategoryAPI,
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
