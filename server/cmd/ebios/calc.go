package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ebios/ebios/core/analysis"
	"github.com/ebios/ebios/core/expr"
	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/ledgerstore"
)

const calcHelp = `Evaluate an expression over n ± u values and print the result.

Values are written 5 ± 0.1, 5 +- 0.1, 5 +/- 0.1, 5.0(1) or 5 ± 2% (a relative
uncertainty); a bare number is an exact constant. "+-" is ± only with nothing
between its two signs: 5+-0.1 is 5 ± 0.1, while 5 + -0.1 (with a space) adds
-0.1. Operators: + - * / and ^ or ** (powers: -2^2 is -4, 2^3^2 is 2^9), with
parentheses; ± binds tightest. The expression may span several arguments, and
may start with "-" ('-5 ± 1'; or put it after "--"); "-" alone reads it from
standard input.

Functions: FUNCTIONS.
Constants: pi (or π) and e.

Variables and correlations: statements separated by ";" come before the
expression, as in
  x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = 0.5; x*y - x
  a = 1 ± 0.1; b = 2 ± 0.2; cov(a, b) = [[0.01, 0.01], [0.01, 0.04]]; a/b
A variable is one quantity. In gum mode it is propagated exactly to first
order with its correlations: x - x is 0 and x*x is x^2. nu and interval modes
treat distinct subexpressions as independent (the dependency problem); there
identical subexpressions of variables are recognised (x - x is 0, x/x is 1,
x*x is x^2) but x*y - x is not simplified. corr and cov need gum mode.

Modes:
  nu        (default) the N/U algebra: uncertainties add in quadrature, as
            standard uncertainties of independent inputs do. Not a worst-case
            bound: intervals are enclosed only with a factor √2 (add), √3 (multiply).
            Functions propagate to first order: f(n ± u) = f(n) ± |f'(n)|·u.
  interval  rigorous interval arithmetic, rounded outward: [n-u, n+u] contains
            every exact result. The text form is rounded outward too: the
            shown interval contains the computed one (200 ± 20.5 shows as
            200 ± 21). --json and --full print the float64 values (in the
            shortest form that reads back exactly).
  gum       first-order propagation as the GUM describes it (Python's
            "uncertainties" package computes the same), with correlations.

Distributions and Monte Carlo: a value may name its distribution,
  5 ± 0.1 normal (the default), 5 ± 0.1 uniform (half-width 0.1·√3),
  5 ± 0.1 triangular (half-width 0.1·√6), 5 ± 0.1 t(9) (a Type A mean with 9
  degrees of freedom: 5 + 0.1·T, T Student-t), uniform(a, b), triangular(a, b).
u is always the standard uncertainty; nu and gum modes use only n and u (and
t's degrees of freedom), interval mode the whole support of a bounded one.
--mc N propagates the distributions by Monte Carlo (GUM Supplement 1) with N
draws (--mc 0: 1000000) from --seed S (random when not given; printed, so the
run can be repeated bit for bit); --adaptive stops when the results are
stable to --mc-digits significant digits (GUM-S1 7.9); --shortest gives the
shortest coverage interval instead of the symmetric one. Correlated inputs
must be normal. The Monte Carlo result is compared with the first-order one
(GUM-S1 8): "agree" when both interval ends are within the numerical
tolerance.

Budget and expanded uncertainty: --budget prints each input's value,
standard uncertainty, sensitivity coefficient, contribution and share of the
variance (gum mode's linearisation). --k 2 gives U = 2u; --p 0.95 derives k
from the Student t distribution with the Welch–Satterthwaite effective
degrees of freedom ν_eff (GUM G.4, truncated to an integer), and is also the
Monte Carlo interval's probability.

Output: u to --digits significant digits (2), n rounded to match, or by the
Particle Data Group rule with --pdg; --notation auto (fixed for moderate
magnitudes, 1.230e-4 ± 2.0e-6 otherwise), fixed, sci or concise (1.230(20)e-4).

Examples:
  ebios calc '(10 ± 0.5) * (20 ± 1) + 3 ± 0.2'
  ebios calc --mode interval --json '(10 ± 0.5) * (20 ± 1)'
  ebios calc 'sqrt(2 ± 0.1) * sin(pi/6 ± 1%)'
  ebios calc --mode gum 'x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = 0.5; x*y - x'
  ebios calc 'compose(10.1 ± 0.2, 9.9 ± 0.1)'
  ebios calc --mode gum --budget --p 0.95 'l = 50 ± 0.025 t(18); d = 0.215 ± 0.0097 t(25); l + d'
  ebios calc --mc 1000000 --seed 1 'x = 1.2 ± 0.1 uniform; y = 3 ± 0.2; x * y^2'

With --log the computation is recorded as a signed entry in the ledger in
--data-dir DIR, signed with the key in --key FILE (see "ebios key generate");
the entry's index and op id are printed. Failed computations are not logged.
A Monte Carlo run and an expanded uncertainty are recorded in the entry
(distributions, draws, seed, options, summary; k, p and ν_eff), so anyone can
repeat them from it bit for bit.

Errors print the structured error (code, category, message, remediation) and
exit with status 1; with --json it is printed as {"error": {...}} on stdout.
`

// calcOutput is the JSON shape of a result.
type calcOutput struct {
	N    nu.Float `json:"n"`
	U    nu.Float `json:"u"`
	Mode nu.Mode  `json:"mode"`
	// RelativeUncertainty is u/|n|; Coverage, its name before, is kept
	// for scripts that read it.
	RelativeUncertainty nu.Float `json:"relative_uncertainty"`
	Coverage            nu.Float `json:"coverage"`
	Text                string   `json:"text"`
	// Analysis holds the budget, expanded uncertainty and Monte Carlo run
	// asked for with --budget, --k, --p and --mc.
	Analysis *analysis.Report `json:"analysis,omitempty"`
	Entry    *logged          `json:"entry,omitempty"`
}

// logged names the ledger entry of a computation.
type logged struct {
	Index uint64 `json:"index"`
	OpID  string `json:"op_id"`
}

func runCalc(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("calc", "[--mode nu|interval|gum] [--json] [--full] [--pdg] [--notation N] [--budget] [--k K | --p P] [--mc N [--seed S] [--adaptive] [--shortest]] [--log --data-dir DIR --key FILE [--parent OPID]] EXPRESSION", calcHelpText(), stderr)
	modeName := fs.String("mode", "nu", "algebra: nu, interval or gum")
	asJSON := fs.Bool("json", false, `print {"n":…,"u":…,"mode":…} (an infinite u is "+Inf")`)
	full := fs.Bool("full", false, "print n and u at full precision instead of u to 2 significant digits")
	digits := fs.Int("digits", 2, "significant digits of u in the text form")
	pdg := fs.Bool("pdg", false, "round u to 1 or 2 significant digits by the Particle Data Group rule (instead of --digits)")
	notation := fs.String("notation", "auto", "number notation of the text form: auto, fixed, sci or concise")
	log := fs.Bool("log", false, "record the computation in the ledger (needs --key)")
	dataDir := dataDirFlag(fs, "data", "data directory of the ledger (with --log)")
	keyFile := fs.String("key", "", "signer key file of the ledger (with --log)")
	parent := fs.String("parent", "", "op id of the computation this one derives from (with --log)")
	budget := fs.Bool("budget", false, "print the uncertainty budget: each input's share of the variance")
	k := fs.Float64("k", 0, "coverage factor of an expanded uncertainty U = k·u")
	p := fs.Float64("p", 0, "coverage probability: k from the t distribution with ν_eff, and the Monte Carlo interval's")
	draws := fs.Int("mc", -1, "Monte Carlo with N draws (0: 1000000; with --adaptive, at most N)")
	seed := fs.Uint64("seed", 0, "Monte Carlo seed (random when not given)")
	adaptive := fs.Bool("adaptive", false, "Monte Carlo: stop when stable (GUM-S1 7.9)")
	shortest := fs.Bool("shortest", false, "Monte Carlo: the shortest coverage interval instead of the symmetric one")
	mcDigits := fs.Int("mc-digits", 2, "Monte Carlo with --adaptive: significant digits of u to stabilise")
	args, marked := exprArgs(fs, args)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	for i, p := range pos {
		if marked[p] {
			pos[i] = p[1:]
		}
	}
	if *k != 0 && *p != 0 {
		fmt.Fprintln(stderr, "ebios calc: give --k or --p, not both")
		return exitError{exitUsage}
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	if (seedSet || *adaptive || *shortest) && *draws < 0 {
		fmt.Fprintln(stderr, "ebios calc: --seed, --adaptive and --shortest need --mc N")
		return exitError{exitUsage}
	}
	req := analysis.Request{Budget: *budget, K: *k, P: *p}
	if *draws >= 0 {
		if !seedSet {
			*seed = randomSeed()
		}
		req.MonteCarlo = &analysis.MonteCarlo{Draws: *draws, Seed: *seed, Adaptive: *adaptive, Shortest: *shortest}
		if *adaptive {
			req.MonteCarlo.Digits = *mcDigits
		}
	}
	if *log && *keyFile == "" {
		fmt.Fprintln(stderr, "ebios calc: --log needs --key FILE (create one with `ebios key generate --out FILE`)")
		return exitError{exitUsage}
	}
	mode, err := nu.ParseMode(*modeName)
	if err != nil {
		fmt.Fprintf(stderr, "ebios calc: %v\n", err)
		return exitError{exitUsage}
	}
	style := nu.Style{Digits: *digits, PDG: *pdg}
	if style.Notation, err = parseNotation(*notation); err != nil {
		fmt.Fprintf(stderr, "ebios calc: %v\n", err)
		return exitError{exitUsage}
	}
	src := strings.Join(pos, " ")
	missing := "no expression given; write it as an argument, as in: ebios calc '5 ± 0.1', or give \"-\" to read it from standard input"
	if src == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, expr.MaxLen+1))
		if err != nil {
			return fmt.Errorf("reading the expression from standard input: %w", err)
		}
		src = strings.TrimSpace(string(b))
		missing = "standard input held no expression"
	}
	if strings.TrimSpace(src) == "" {
		fmt.Fprintf(stderr, "ebios calc: %s\nUsage: ebios calc [flags] EXPRESSION   (ebios calc --help lists the flags)\n", missing)
		return exitError{exitUsage}
	}
	parsed, err := expr.Parse(src)
	var v nu.Value
	if err == nil {
		v, err = parsed.Eval(mode)
	}
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, src, err)
	}
	text := v.FormatStyle(mode, style) // outward in interval mode
	if *full {
		text = v.FormatFull()
	}
	out := calcOutput{N: nu.Float(v.N()), U: nu.Float(v.U()), Mode: mode,
		RelativeUncertainty: nu.Float(v.RelativeUncertainty()), Coverage: nu.Float(v.RelativeUncertainty()), Text: text}
	if req.Any() {
		rep, err := analysis.Run(parsed, mode, v, req, progressTo(ctx, stderr))
		if err != nil {
			return reportErr(stdout, stderr, *asJSON, src, err)
		}
		out.Analysis = rep
	}
	if *log {
		e, err := logCalc(ctx, *dataDir, *keyFile, *parent, parsed, mode, v, out.Analysis)
		if err != nil {
			return reportErr(stdout, stderr, *asJSON, "", err)
		}
		out.Entry = &logged{Index: e.Index, OpID: e.OpID}
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "%s  (%s)\n", text, mode)
	if out.Analysis != nil {
		printAnalysis(stdout, out.Analysis, v, mode, style)
	}
	if out.Entry != nil {
		fmt.Fprintf(stdout, "logged as entry %d, op id %s\n", out.Entry.Index, out.Entry.OpID)
	}
	return nil
}

// calcHelpText is calcHelp with the function list of core/expr.
func calcHelpText() string {
	var names []string
	for _, f := range expr.Functions {
		if f.Args != "" {
			names = append(names, f.Name+f.Args)
		}
	}
	// Wrapped at 78 columns, the first line after "Functions: ".
	var b strings.Builder
	col := len("Functions: ")
	for i, n := range names {
		if i > 0 {
			b.WriteString(",")
			col++
			if col+1+len(n) > 78 {
				b.WriteString("\n")
				col = 0
			} else {
				b.WriteString(" ")
				col++
			}
		}
		b.WriteString(n)
		col += len(n)
	}
	return strings.Replace(calcHelp, "FUNCTIONS", b.String(), 1)
}

// parseNotation reads --notation.
func parseNotation(s string) (nu.Notation, error) {
	switch s {
	case "auto":
		return nu.NotationAuto, nil
	case "fixed":
		return nu.NotationFixed, nil
	case "sci", "scientific":
		return nu.NotationScientific, nil
	case "concise":
		return nu.NotationConcise, nil
	}
	return 0, fmt.Errorf("unknown notation %q: use auto, fixed, sci or concise", s)
}

// exprArgs lets an expression start with "-", as in `ebios calc '-5 ± 1'`,
// which the flag package would take for a flag. An argument that starts with
// "-" and names no flag of fs is (part of) the expression when the first
// character after its dashes cannot start a flag name ('-5 ± 1', '-(1 ± 2)',
// '--2') or when it parses as an expression ('-inf', '-flip(2 ± 1)').
// Such an argument gets a leading space, which the flag package does not
// take for a flag; marked holds the changed arguments, for the caller to
// remove the space again. The value of a flag that takes one ("--digits -3")
// and everything after "--" are left alone, and so are "-h", "-help" and "-".
func exprArgs(fs *flag.FlagSet, args []string) (out []string, marked map[string]bool) {
	out = append([]string(nil), args...)
	marked = map[string]bool{}
	for i := 0; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		if f := fs.Lookup(name); f != nil {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) {
				i++ // its value
			}
			continue
		}
		if name == "h" || name == "help" {
			continue
		}
		rest := strings.TrimLeft(a, "-")
		if rest == "" || !isFlagStart(rest[0]) {
			out[i] = " " + a
		} else if _, err := expr.Parse(a); err == nil {
			out[i] = " " + a
		}
		if out[i] != a {
			marked[out[i]] = true
		}
	}
	return out, marked
}

func isFlagStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

// logCalc appends the computation to the ledger in dataDir.
func logCalc(ctx context.Context, dataDir, keyFile, parent string, e *expr.Expr, mode nu.Mode, v nu.Value, rep *analysis.Report) (*ledger.Entry, error) {
	if len(e.String()) > ledger.MaxExpressionLen {
		return nil, &nu.Error{Code: ledger.CodeInvalidEntry, Category: ledger.CategoryLedger,
			Message:     fmt.Sprintf("expression is longer than %d bytes and cannot be logged", ledger.MaxExpressionLen),
			Remediation: "split the computation into steps and chain them with --parent"}
	}
	st, err := openStore(dataDir, keyFile)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.Append(ctx, ledger.Draft{
		OpID: ledgerstore.NewOpID(), ParentOpID: parent, Operation: "calc", Mode: mode.String(), Expression: e.String(),
		Inputs: e.Inputs(), Output: &v, Coverage: nu.Float(v.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true},
		Analysis: rep.Record(),
	})
}

// codeInternal is the code of an error that carries no eBIOS code of its
// own (an I/O error of the command, say); its message is the error's text.
const codeInternal = "EBIOS_001" // an error without a code of its own: the message says what failed

// reportErr prints err as a structured error (JSON on stdout with asJSON)
// and returns exitError{exitFail}. src, when given, is shown with a caret.
func reportErr(stdout, stderr io.Writer, asJSON bool, src string, err error) error {
	e, ok := nu.AsError(err)
	if !ok {
		e = &nu.Error{Code: codeInternal, Category: "internal", Message: err.Error()}
	}
	if asJSON {
		writeJSON(stdout, map[string]*nu.Error{"error": e}) // #nosec G104 -- the command fails with exitFail either way; a failed write of the error report leaves the exit status to say it
	} else {
		printError(stderr, src, e)
	}
	return exitError{exitFail}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printError writes a structured error for a person: code, message, the
// expression with a caret under the column, details and remediation.
func printError(w io.Writer, src string, e *nu.Error) {
	fmt.Fprintf(w, "error %s (%s): %s\n", e.Code, e.Category, e.Message)
	if e.Column > 0 && utf8.RuneCountInString(src) < 200 && !strings.ContainsAny(src, "\n\t") {
		fmt.Fprintf(w, "  %s\n  %s^ column %d\n", src, strings.Repeat(" ", e.Column-1), e.Column)
	}
	if e.Details != "" {
		fmt.Fprintf(w, "  details: %s\n", e.Details)
	}
	if e.Remediation != "" {
		fmt.Fprintf(w, "  fix: %s\n", e.Remediation)
	}
}
