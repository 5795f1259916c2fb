package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ebios/ebios/core/analysis"
	"github.com/ebios/ebios/core/nu"
)

// randomSeed returns a Monte Carlo seed from the system's random source.
func randomSeed() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}

// progressTo returns Monte Carlo's progress callback: a bar on stderr when
// it is a terminal, and cancellation when ctx is done (Ctrl-C).
func progressTo(ctx context.Context, stderr io.Writer) func(done, planned int) bool {
	bar := progress(stderr, "monte carlo")
	return func(done, planned int) bool {
		if bar != nil {
			bar(int64(done), int64(planned))
		}
		return ctx.Err() == nil
	}
}

// g formats x with n significant digits.
func g(x float64, n int) string { return strconv.FormatFloat(x, 'g', n, 64) }

// dof formats degrees of freedom: an integer, or ∞.
func dof(x nu.Float) string {
	if math.IsInf(float64(x), 1) {
		return "∞"
	}
	return g(float64(x), 4)
}

// printAnalysis writes the budget, the expanded uncertainty and the Monte
// Carlo run for a person.
func printAnalysis(w io.Writer, r *analysis.Report, v nu.Value, mode nu.Mode, style nu.Style) {
	if b := r.Budget; b != nil {
		fmt.Fprintf(w, "budget (first order): u_c = %s, ν_eff = %s", g(float64(b.U), 4), dof(b.DoF))
		if b.Correlated {
			fmt.Fprint(w, " (approximate: the inputs are correlated)")
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  input\tvalue\tu\tc\tc·u\tν\tshare\t")
		for _, t := range b.Terms {
			if t.Pair {
				fmt.Fprintf(tw, "  r(%s, %s) = %s\t\t\t\t\t\t%s %%\t\n", t.Name, t.WithName, g(t.R, 4), g(100*t.Share, 3))
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s %%\t\n", t.Name, g(t.N, 6), g(t.U, 4), g(t.Sensitivity, 4),
				g(t.Contribution, 4), dof(t.DoF), g(100*t.Share, 3))
		}
		tw.Flush() // #nosec G104 -- the text report goes through fmt.Fprint*, unchecked alike (gosec's own allowlist); ebios calc's exit status is the computation's, and --json output is checked
	}
	if x := r.Expanded; x != nil {
		how := "k = " + g(x.K, 4) + " given"
		if x.P != 0 {
			how = fmt.Sprintf("k = t_%s(%s) = %s", g(100*x.P, 4), dof(x.DoF), g(x.K, 4))
		}
		fmt.Fprintf(w, "expanded: U = %s (%s): [%s, %s]\n", g(x.U, 4), how, g(x.Lo, 8), g(x.Hi, 8))
	}
	if m := r.MonteCarlo; m != nil {
		kind := "probabilistically symmetric"
		if m.Shortest {
			kind = "shortest"
		}
		fmt.Fprintf(w, "monte carlo: %d draws, seed %d: mean %s, u %s, %s %% interval [%s, %s] (%s)\n",
			m.Draws, m.Seed, g(m.Mean, 8), g(m.U, 4), g(100*m.P, 4), g(m.Lo, 8), g(m.Hi, 8), kind)
		if m.Adaptive {
			state := "stable"
			if !m.Converged {
				state = "NOT stable within the draws allowed (raise --mc)"
			}
			fmt.Fprintf(w, "  adaptive: %d rounds, %s to %d significant digits of u (δ = %s)\n", m.Rounds, state, m.Digits, g(m.Tolerance, 2))
		}
		names := make([]string, len(r.Inputs))
		for i, in := range r.Inputs {
			names[i] = in.Name
			if !strings.Contains(in.Name, in.Dist) {
				names[i] += " (" + in.Dist + ")"
			}
		}
		if len(names) > 0 && len(names) <= 12 {
			fmt.Fprintf(w, "  inputs: %s\n", strings.Join(names, ", "))
		}
	}
	if c := r.Validation; c != nil {
		verdict := "they agree"
		if !c.Agree {
			verdict = "they DISAGREE: trust the Monte Carlo result"
		}
		fmt.Fprintf(w, "  first order: [%s, %s]; ends differ by %s and %s, tolerance %s (GUM-S1 8.2): %s\n",
			g(c.Lo, 8), g(c.Hi, 8), g(c.DLow, 2), g(c.DHigh, 2), g(c.Tolerance, 2), verdict)
	}
}
