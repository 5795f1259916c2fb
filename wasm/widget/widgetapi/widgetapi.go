// Package widgetapi is the embeddable widget's API in Go: what
// ebios.calc, ebios.parse, ebios.format, ebios.verifyBundle and
// ebios.verifyEntry do, over core alone (no I/O, no go-app, no net/http),
// so that it builds into a small wasm (wasm/widget) and is tested
// natively.
//
// The JS loader (ebios.js) passes each call's arguments as one JSON array
// to [Call], which answers {"ok": RESULT} or {"error": ERROR}: ERROR has
// the shape of core errors ([nu.Error]: code, category, message, details,
// remediation, column), the same as the API's and the CLI's --json. Bundle
// verification streams and reports progress, so it has its own entry,
// [VerifyBundle].
package widgetapi

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ebios/ebios/core/expr"
	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

// CategoryWidget is the category of the errors the widget itself makes
// (bad arguments, a cancelled or failed load); the errors of core keep
// theirs.
const CategoryWidget nu.Category = "widget"

// Error codes of the widget. The loader (ebios.js) makes CodeAborted,
// CodeLoad and CodeFetch itself, with the same shape.
const (
	CodeBadArgument = "WIDGET_001" // a call's argument is missing or of the wrong type
	CodeAborted     = "WIDGET_002" // the caller's AbortSignal cancelled the call
	CodeInternal    = "WIDGET_003" // the widget's wasm failed inside (a bug: report it)
	CodeLoad        = "WIDGET_004" // the widget's wasm could not be loaded or started
	CodeFetch       = "WIDGET_005" // a bundle or record URL could not be fetched
)

// BadArgument is the error of a call whose argument what is unusable.
func BadArgument(what, details string) *nu.Error {
	return &nu.Error{Code: CodeBadArgument, Category: CategoryWidget, Message: "bad argument: " + what,
		Details: details, Remediation: "see docs/embedding.md for the arguments of each call"}
}

// Aborted is the error of a call cancelled by its AbortSignal.
func Aborted() *nu.Error {
	return &nu.Error{Code: CodeAborted, Category: CategoryWidget, Message: "cancelled by the caller's AbortSignal",
		Remediation: "call again without aborting the signal to get a result"}
}

// Internal is the error of a panic inside the wasm.
func Internal(v any) *nu.Error {
	return &nu.Error{Code: CodeInternal, Category: CategoryWidget, Message: "internal error in the eBIOS widget",
		Details: fmt.Sprint(v), Remediation: "report it with the call that caused it; the widget keeps working"}
}

// CalcResult is the result of ebios.calc: the JSON of `ebios calc --json`
// (an infinite u is the string "+Inf").
type CalcResult struct {
	N    nu.Float `json:"n"`
	U    nu.Float `json:"u"`
	Mode nu.Mode  `json:"mode"`
	// RelativeUncertainty is u/|n|; Coverage is its older name, kept as
	// the CLI keeps it.
	RelativeUncertainty nu.Float `json:"relative_uncertainty"`
	Coverage            nu.Float `json:"coverage"`
	// Text is the value written as the CLI writes it: u to 2 significant
	// digits, outward in interval mode.
	Text string `json:"text"`
}

// CalcOptions are ebios.calc's options.
type CalcOptions struct {
	Mode string `json:"mode"` // nu (default), interval or gum
}

// Calc evaluates the expression src in the options' mode.
func Calc(src string, o CalcOptions) (*CalcResult, error) {
	m, err := mode(o.Mode)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(src) == "" {
		return nil, BadArgument("expression", "it is empty: give an expression such as (10 ± 0.5) * (20 ± 1)")
	}
	r, err := expr.Eval(src, m)
	if err != nil {
		return nil, err
	}
	v := r.Value
	rel := nu.Float(v.RelativeUncertainty())
	return &CalcResult{N: nu.Float(v.N()), U: nu.Float(v.U()), Mode: m, RelativeUncertainty: rel, Coverage: rel,
		Text: v.FormatStyle(m, nu.Style{})}, nil
}

func mode(s string) (nu.Mode, error) {
	if s == "" {
		return nu.ModeNU, nil
	}
	return nu.ParseMode(s)
}

// Value is a value n ± u in JSON: n, and u, which may be "+Inf".
type Value struct {
	N nu.Float `json:"n"`
	U nu.Float `json:"u"`
}

// Parse reads one value written as the calculator writes them ("5 ± 0.1",
// "5 +- 0.1", "5.0(1)", "5 ± 2%", "(1.230 ± 0.020)×10⁻⁴", a bare number).
// A syntax error names its column.
func Parse(text string) (*Value, error) {
	v, err := nu.Parse(text)
	if err != nil {
		return nil, err
	}
	return &Value{N: nu.Float(v.N()), U: nu.Float(v.U())}, nil
}

// FormatOptions are ebios.format's options; the zero value writes as
// ebios.calc's text does.
type FormatOptions struct {
	Mode     string `json:"mode"`     // nu (default), interval (outward rounding) or gum
	Digits   int    `json:"digits"`   // significant digits of u (default 2)
	PDG      bool   `json:"pdg"`      // the Particle Data Group's rounding rule instead of Digits
	Notation string `json:"notation"` // auto (default), fixed, sci or concise
	Unicode  bool   `json:"unicode"`  // (1.230 ± 0.020)×10⁻⁴ instead of 1.230e-4 ± 2.0e-6
}

// Format writes v in the options' style.
func Format(v Value, o FormatOptions) (string, error) {
	m, err := mode(o.Mode)
	if err != nil {
		return "", err
	}
	if o.Digits < 0 || o.Digits > 100 {
		return "", BadArgument("digits", fmt.Sprintf("got %d; give 1 to 100 significant digits", o.Digits))
	}
	s := nu.Style{Digits: o.Digits, PDG: o.PDG, Unicode: o.Unicode}
	switch o.Notation {
	case "", "auto":
	case "fixed":
		s.Notation = nu.NotationFixed
	case "sci", "scientific":
		s.Notation = nu.NotationScientific
	case "concise":
		s.Notation = nu.NotationConcise
	default:
		return "", BadArgument("notation", fmt.Sprintf("got %q; use auto, fixed, sci or concise", o.Notation))
	}
	val, err := nu.New(float64(v.N), float64(v.U))
	if err != nil {
		return "", err
	}
	return val.FormatStyle(m, s), nil
}

// Progress is told how many entries were checked of how many the
// checkpoint announces; it returns false to stop the verification (the
// caller aborted).
type Progress func(done, total int64) bool

// VerifyBundle verifies the bundle read from r against pinnedKey (a note
// verifier key) with the checks and the report of `ebios ledger verify`
// (core/ledger): the report names the first bad entry and why. origin,
// when not empty, is the log the bundle must come from. sigs, when not
// nil, checks the entry signatures (in the browser: WebCrypto Ed25519 in
// Web Workers, wasm/webcrypto); otherwise Go's crypto/ed25519 does, on the
// calling goroutine. The report is the same either way. It returns the
// [Aborted] error when progress returned false.
func VerifyBundle(r io.Reader, pinnedKey, origin string, sigs ledger.SignatureChecker, progress Progress) (*ledger.Report, error) {
	if strings.TrimSpace(pinnedKey) == "" {
		return nil, BadArgument("pinnedKey", "it is empty: give the log's verifier key (name+hash+base64); a bundle's own key proves nothing")
	}
	stopped := false
	opts := &ledger.VerifyOptions{Origin: origin, ProgressEvery: 256, Signatures: sigs}
	if progress != nil {
		opts.Progress = func(done, total int64) {
			if !stopped && !progress(done, total) {
				stopped = true
			}
		}
		r = &stopReader{r: r, stopped: &stopped}
	}
	rep, _ := ledger.VerifyBundleKey(r, pinnedKey, opts)
	if stopped {
		return nil, Aborted()
	}
	return rep, nil
}

// stopReader ends the stream once the verification is stopped, so that
// core/ledger's verifier returns soon after.
type stopReader struct {
	r       io.Reader
	stopped *bool
}

func (s *stopReader) Read(p []byte) (int, error) {
	if *s.stopped {
		return 0, io.ErrUnexpectedEOF
	}
	return s.r.Read(p)
}

// EntryReport is the result of ebios.verifyEntry.
type EntryReport struct {
	// OK is true when the checkpoint is signed by the pinned key, the
	// entry's signature verifies and the proof includes the entry in the
	// checkpoint's tree.
	OK bool `json:"ok"`
	// Check names the check that failed: "checkpoint", "signature" or
	// "inclusion"; empty when OK.
	Check string `json:"check,omitempty"`
	// Error says why, in the shape of core errors; nil when OK.
	Error *nu.Error `json:"error,omitempty"`
	// Key is the pinned key checked against.
	Key string `json:"key"`
	// Origin, TreeSize and Root are the checkpoint's, when it verified.
	Origin   string    `json:"origin,omitempty"`
	TreeSize int64     `json:"tree_size,omitempty"`
	Root     tlog.Hash `json:"root,omitempty"`
	// Index, OpID, Operation, Mode, Expression and Output are the entry's,
	// for a page to show what was verified.
	Index      uint64    `json:"index"`
	OpID       string    `json:"op_id"`
	Operation  string    `json:"operation"`
	Mode       string    `json:"mode,omitempty"`
	Expression string    `json:"expression,omitempty"`
	Output     *nu.Value `json:"output,omitempty"`
}

// VerifyEntry verifies one entry as a site shows it: checkpoint (a signed
// note) must be signed by pinnedKey, entry (its JSON, as the API serves
// it) must be signed by that key, and proof (the inclusion proof's
// hashes, in the API's base64) must lead from the entry to the
// checkpoint's root. Unreadable arguments are an error; a failed check is
// a report with OK false.
func VerifyEntry(entry json.RawMessage, checkpoint string, proof []string, pinnedKey string) (*EntryReport, error) {
	v, err := ledger.ParseVerifierKey(pinnedKey)
	if err != nil {
		return nil, err
	}
	var e ledger.Entry
	if err := json.Unmarshal(entry, &e); err != nil {
		if ne, ok := nu.AsError(err); ok {
			return nil, ne
		}
		return nil, BadArgument("entry", err.Error())
	}
	hashes := make(tlog.RecordProof, len(proof))
	for i, h := range proof {
		var err error
		if hashes[i], err = tlog.ParseHash(h); err != nil {
			return nil, BadArgument("proof", fmt.Sprintf("hash %d: %v", i, err))
		}
	}
	rep := &EntryReport{Key: pinnedKey, Index: e.Index, OpID: e.OpID, Operation: e.Operation, Mode: e.Mode,
		Expression: e.Expression, Output: e.Output}
	c, err := ledger.OpenCheckpoint([]byte(checkpoint), v, "")
	if err != nil {
		return rep.failed("checkpoint", err), nil
	}
	rep.Origin, rep.TreeSize, rep.Root = c.Origin, c.Size, c.Root
	if err := e.Verify(c.Origin, v); err != nil {
		return rep.failed("signature", err), nil
	}
	if e.Index >= uint64(c.Size) { // #nosec G115 -- c.Size is a tree size, never negative
		return rep.failed("inclusion", &nu.Error{Code: ledger.CodeInclusion, Category: ledger.CategoryLedger,
			Message:     fmt.Sprintf("entry %d is not in the checkpoint's tree of size %d", e.Index, c.Size),
			Remediation: "use a checkpoint newer than the entry"}), nil
	}
	if err := c.CheckInclusion(int64(e.Index), e.Hash(c.Origin), hashes); err != nil { // #nosec G115 -- e.Index < c.Size, an int64, checked above
		return rep.failed("inclusion", err), nil
	}
	rep.OK = true
	return rep, nil
}

func (r *EntryReport) failed(check string, err error) *EntryReport {
	r.Check = check
	if ne, ok := nu.AsError(err); ok {
		r.Error = ne
	} else {
		r.Error = &nu.Error{Code: ledger.CodeInclusion, Category: ledger.CategoryLedger, Message: err.Error()}
	}
	return r
}
