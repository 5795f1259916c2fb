// Package mcjob is the work of the browser calculator's analysis worker
// (wasm/mcworker, a Web Worker) and the messages it exchanges with the page.
//
// The page posts a [Job] as JSON text: the expression, the mode and an
// analysis.Request. The worker runs it with [Do], which is what `ebios calc
// --json` and the API do (core/expr, then analysis.Run), so the report's
// bytes are the same: a Monte Carlo run with the same draws and seed gives
// the same mean, u, interval and histogram in the CLI, the API and the
// browser. The worker posts, as plain JS objects:
//
//	{type: "ready"}                               the worker's Go has started
//	{type: "progress", done, planned}             Monte Carlo draws so far (at most every ProgressEvery)
//	{type: "done", report, error, first_order, ms} the answer: report is the JSON of the
//	                                              analysis.Report, or error that of the *nu.Error;
//	                                              first_order is {n, u} of the first-order (gum)
//	                                              result when there is one; ms the time Do took
//	{type: "fatal", message}                      web/mcworker.js could not start the wasm
//
// A busy Go worker reads no messages, so a run is cancelled by terminating
// the worker (Worker.terminate); the page starts a new one for the next run.
//
// The package imports core only and does no I/O, so it is tested natively;
// the page imports it for the types alone, which keeps Monte Carlo's code
// out of the page's app.wasm.
package mcjob

import (
	"encoding/json"
	"time"

	"github.com/ebios/ebios/core/analysis"
	"github.com/ebios/ebios/core/expr"
	"github.com/ebios/ebios/core/nu"
)

// ProgressEvery is the least time between two progress messages of a run
// (the last batch's is always sent).
const ProgressEvery = 50 * time.Millisecond

// Job is what the page asks the worker to compute.
type Job struct {
	Expression string           `json:"expression"`
	Mode       string           `json:"mode"` // nu, interval or gum ("" is nu)
	Request    analysis.Request `json:"request"`
}

// FirstOrder is the first-order (gum mode) result n ± u of the job's
// expression, from its budget: the page draws the normal curve it implies
// over the Monte Carlo histogram.
type FirstOrder struct {
	N float64 `json:"n"`
	U float64 `json:"u"`
}

// Outcome is what [Do] computed: the report as JSON, or the error.
type Outcome struct {
	Report     []byte      // JSON of the *analysis.Report (nil with Err)
	Err        *nu.Error   // the structured error, nil on success
	FirstOrder *FirstOrder // nil when the budget could not be computed (or with Err)
	Elapsed    time.Duration
}

// CodeBadJob is the error code of a job the worker cannot read.
const CodeBadJob = "APP_MC_001"

// Decode reads a job from the JSON text the page posted.
func Decode(text string) (Job, *nu.Error) {
	var j Job
	if err := json.Unmarshal([]byte(text), &j); err != nil {
		return Job{}, &nu.Error{Code: CodeBadJob, Category: nu.CategoryValidation,
			Message: "the analysis worker received a job it cannot read", Details: err.Error(),
			Remediation: "reload the page: the page and its worker are from different versions"}
	}
	return j, nil
}

// Do parses and evaluates the job's expression in its mode and runs
// analysis.Run on it with progress (which may be nil; a false return
// cancels the run). It never panics on bad input: every failure is an
// Outcome whose Err is set.
func Do(j Job, progress func(done, planned int) bool) Outcome {
	t0 := time.Now()
	o := do(j, progress)
	o.Elapsed = time.Since(t0)
	return o
}

func do(j Job, progress func(done, planned int) bool) Outcome {
	m, err := nu.ParseMode(j.Mode)
	if err != nil {
		return Outcome{Err: asError(err)}
	}
	e, err := expr.Parse(j.Expression)
	if err != nil {
		return Outcome{Err: asError(err)}
	}
	v, err := e.Eval(m)
	if err != nil {
		return Outcome{Err: asError(err)}
	}
	rep, err := analysis.Run(e, m, v, j.Request, progress)
	if err != nil {
		return Outcome{Err: asError(err)}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return Outcome{Err: asError(err)}
	}
	o := Outcome{Report: b}
	switch {
	case rep.Budget != nil:
		o.FirstOrder = &FirstOrder{N: float64(rep.Budget.N), U: float64(rep.Budget.U)}
	case rep.MonteCarlo != nil:
		if fo, err := e.Budget(); err == nil {
			o.FirstOrder = &FirstOrder{N: fo.Value.N(), U: fo.Value.U()}
		}
	}
	return o
}

func asError(err error) *nu.Error {
	if ne, ok := nu.AsError(err); ok {
		return ne
	}
	return &nu.Error{Code: "EBIOS_001", Category: "internal", Message: err.Error()}
}

// ErrorJSON is the JSON of a structured error, as the worker posts it.
func ErrorJSON(e *nu.Error) []byte {
	b, err := json.Marshal(e)
	if err != nil { // a nu.Error always marshals; keep a readable answer anyway
		return []byte(`{"code":"EBIOS_001","category":"internal","message":"the error could not be encoded"}`)
	}
	return b
}
