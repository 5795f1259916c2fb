package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ebios/ebios/core/expr"
	"github.com/ebios/ebios/core/nu"
)

const calcHelp = `Evaluate an expression over n ± u values and print the result.

Values are written 5 ± 0.1, 5 +/- 0.1 or 5.0(1); a bare number is an exact
constant. Operators: + - * / and parentheses; ± binds tightest. Functions:
compose(a, b), flip(a), catch(a), catch(a, default). The expression may span
several arguments; "-" reads it from standard input.

Modes:
  nu        (default) the N/U algebra: uncertainties add in quadrature, as
            standard uncertainties of independent inputs do. Not a worst-case
            bound: intervals are enclosed only with a factor √2 (add), √3 (multiply).
  interval  rigorous interval arithmetic, rounded outward: [n-u, n+u] contains
            every exact result.

Examples:
  ebios calc '(10 ± 0.5) * (20 ± 1) + 3 ± 0.2'
  ebios calc --mode interval --json '(10 ± 0.5) * (20 ± 1)'
  ebios calc 'compose(10.1 ± 0.2, 9.9 ± 0.1)'

Errors print the structured error (code, category, message, remediation) and
exit with status 1; with --json it is printed as {"error": {...}} on stdout.
`

// calcOutput is the JSON shape of a result.
type calcOutput struct {
	N        nu.Float `json:"n"`
	U        nu.Float `json:"u"`
	Mode     nu.Mode  `json:"mode"`
	Coverage nu.Float `json:"coverage"`
	Text     string   `json:"text"`
}

func runCalc(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("calc", "[--mode nu|interval] [--json] [--full] EXPRESSION", calcHelp, stderr)
	modeName := fs.String("mode", "nu", "algebra: nu or interval")
	asJSON := fs.Bool("json", false, `print {"n":…,"u":…,"mode":…} (an infinite u is "+Inf")`)
	full := fs.Bool("full", false, "print n and u at full precision instead of u to 2 significant digits")
	digits := fs.Int("digits", 2, "significant digits of u in the text form")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	mode, err := nu.ParseMode(*modeName)
	if err != nil {
		fmt.Fprintf(stderr, "ebios calc: %v\n", err)
		return exitError{exitUsage}
	}
	src := strings.Join(fs.Args(), " ")
	if src == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, expr.MaxLen+1))
		if err != nil {
			return fmt.Errorf("reading the expression from standard input: %w", err)
		}
		src = strings.TrimSpace(string(b))
	}
	if strings.TrimSpace(src) == "" {
		fs.Usage()
		return exitError{exitUsage}
	}
	res, err := expr.Eval(src, mode)
	if err != nil {
		e, ok := nu.AsError(err)
		if !ok {
			return err
		}
		if *asJSON {
			writeJSON(stdout, map[string]*nu.Error{"error": e})
		} else {
			printError(stderr, src, e)
		}
		return exitError{exitFail}
	}
	v := res.Value
	text := v.Format(*digits)
	if *full {
		text = v.FormatFull()
	}
	if *asJSON {
		return writeJSON(stdout, calcOutput{N: nu.Float(v.N()), U: nu.Float(v.U()), Mode: mode,
			Coverage: nu.Float(v.Coverage()), Text: text})
	}
	_, err = fmt.Fprintf(stdout, "%s  (%s)\n", text, mode)
	return err
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
