package analysis

import (
	"unicode/utf8"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// Record returns what the ledger keeps of r (ledger.Analysis): the Monte
// Carlo run's distributions, options and summary, and the expanded
// uncertainty, or nil when r has neither (a budget alone is not recorded:
// the entry's expression gives it again). The expression, also in the
// entry, and Replay repeat the run bit for bit.
func (r *Report) Record() *ledger.Analysis {
	if r == nil || (r.MonteCarlo == nil && r.Expanded == nil) {
		return nil
	}
	a := &ledger.Analysis{}
	for _, in := range r.Inputs {
		a.Inputs = append(a.Inputs, ledger.InputDist{Name: clip(in.Name, ledger.MaxInputNameLen), Dist: in.Dist,
			N: nu.Float(in.N), U: nu.Float(in.U), Lo: nu.Float(in.Lo), Hi: nu.Float(in.Hi), DoF: in.DoF})
	}
	if m := r.MonteCarlo; m != nil {
		a.MonteCarlo = &ledger.MonteCarlo{Draws: uint64(m.Draws), Seed: ledger.Seed(m.Seed), P: nu.Float(m.P), // #nosec G115 -- a run's draws are 1 to mc.MaxDraws (10^7), checked by mc.Options
			Shortest: m.Shortest, Adaptive: m.Adaptive, Converged: m.Converged,
			Mean: nu.Float(m.Mean), U: nu.Float(m.U), Lo: nu.Float(m.Lo), Hi: nu.Float(m.Hi)}
		if m.Adaptive {
			a.MonteCarlo.Digits = uint32(m.Digits) // #nosec G115 -- a run's digits are 1 to 6, checked by mc.Options
		}
	}
	if x := r.Expanded; x != nil {
		a.Expanded = &ledger.Expanded{K: nu.Float(x.K), P: nu.Float(x.P), DoF: x.DoF, U: nu.Float(x.U)}
	}
	return a
}

// Replay returns the request that repeats a recorded analysis: with the
// entry's expression and mode, Run then gives the recorded figures again,
// bit for bit.
func Replay(a *ledger.Analysis) Request {
	var q Request
	if x := a.Expanded; x != nil {
		if x.P != 0 {
			q.P = float64(x.P)
		} else {
			q.K = float64(x.K)
		}
	}
	if m := a.MonteCarlo; m != nil {
		q.P = float64(m.P)
		q.MonteCarlo = &MonteCarlo{Draws: int(m.Draws), Seed: uint64(m.Seed), Adaptive: m.Adaptive, // #nosec G115 -- a recorded analysis has 1 to ledger.MaxDraws draws and 0 to ledger.MaxDigits digits (Analysis.validate)
			Shortest: m.Shortest, Digits: int(m.Digits)}
	}
	return q
}

// Matches reports whether a report's Monte Carlo summary and expanded
// uncertainty have exactly the bits of a record.
func Matches(r *Report, a *ledger.Analysis) bool {
	got := r.Record()
	if got == nil || a == nil {
		return got == nil && a == nil
	}
	return equal(got.MonteCarlo, a.MonteCarlo) && equal(got.Expanded, a.Expanded)
}

func equal[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// clip cuts s to at most n bytes at a character boundary, ending in "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
