// Package analysis is what eBIOS reports about a result beyond n ± u: the
// uncertainty budget, an expanded uncertainty with its coverage factor and
// degrees of freedom, and a Monte Carlo run with its validation of the
// first-order result. The CLI (ebios calc), the API and the browser all go
// through [Run], so they compute, and serialise, the same things.
//
// The package does no I/O.
package analysis

import (
	"github.com/ebios/ebios/core/expr"
	"github.com/ebios/ebios/core/mc"
	"github.com/ebios/ebios/core/nu"
)

// Request says what to compute. The zero Request computes nothing.
type Request struct {
	// Budget asks for the first-order uncertainty budget.
	Budget bool `json:"budget,omitempty"`
	// K, when > 0, is the coverage factor of the expanded uncertainty.
	K float64 `json:"k,omitempty"`
	// P is a coverage probability: with K = 0 it asks for the expanded
	// uncertainty with k = t_p(ν_eff); it is also the probability of the
	// Monte Carlo coverage interval (0.95 when 0).
	P float64 `json:"p,omitempty"`
	// MonteCarlo asks for a Monte Carlo run with these options.
	MonteCarlo *MonteCarlo `json:"monte_carlo,omitempty"`
}

// MonteCarlo is the part of mc.Options a request sets.
type MonteCarlo struct {
	Draws    int    `json:"draws,omitempty"`
	Seed     uint64 `json:"seed,string"`
	Adaptive bool   `json:"adaptive,omitempty"`
	Shortest bool   `json:"shortest,omitempty"`
	Digits   int    `json:"digits,omitempty"`
}

// Report is what Run computed; a part not asked for is nil.
type Report struct {
	Budget     *Budget     `json:"budget,omitempty"`
	Expanded   *Expanded   `json:"expanded,omitempty"`
	MonteCarlo *mc.Result  `json:"monte_carlo,omitempty"`
	Validation *Validation `json:"validation,omitempty"`
	Inputs     []InputDist `json:"inputs,omitempty"` // the distributions a Monte Carlo run drew from
}

// Budget is expr.Budget in a form that marshals: infinite degrees of
// freedom are "+Inf".
type Budget struct {
	N          nu.Float     `json:"n"`
	U          nu.Float     `json:"u"`
	DoF        nu.Float     `json:"dof"`
	Correlated bool         `json:"correlated,omitempty"`
	Terms      []BudgetTerm `json:"terms"`
}

// BudgetTerm is one line of a Budget: an input's or a correlation's part
// of the variance (see gum.Term for the fields), with the input's degrees
// of freedom.
type BudgetTerm = expr.BudgetTerm

// Expanded is an expanded uncertainty U = k·u of the result in its mode,
// with the coverage interval n ± U.
type Expanded struct {
	K   float64  `json:"k"`
	P   float64  `json:"p,omitempty"` // the probability k was derived from; 0 when k was given
	DoF nu.Float `json:"dof"`         // ν_eff (Welch–Satterthwaite)
	U   float64  `json:"u"`
	Lo  float64  `json:"lo"`
	Hi  float64  `json:"hi"`
}

// Validation compares the first-order (gum) coverage interval
// y ± t_p(ν_eff)·u_c with the Monte Carlo one, GUM-S1 8.2.
type Validation struct {
	mc.Comparison
	Lo float64 `json:"lo"` // the first-order interval
	Hi float64 `json:"hi"`
}

// InputDist is one input of a Monte Carlo run.
type InputDist struct {
	Name string   `json:"name"`
	Dist string   `json:"dist"`
	N    float64  `json:"n"`
	U    float64  `json:"u"`
	Lo   float64  `json:"lo,omitempty"`
	Hi   float64  `json:"hi,omitempty"`
	DoF  nu.Float `json:"dof"`
}

// Any reports whether r asks for anything.
func (r Request) Any() bool { return r.Budget || r.K != 0 || r.P != 0 || r.MonteCarlo != nil }

// Run computes what req asks about the program e, whose result in mode m
// is v:
//   - the budget (req.Budget), from gum mode's linearisation;
//   - the expanded uncertainty of v (req.K, or req.P for k = t_p(ν_eff)
//     with ν_eff from the budget);
//   - a Monte Carlo run (req.MonteCarlo) with its coverage interval for
//     req.P (0.95 by default), and, when the program has a first-order
//     result, the validation of GUM-S1 8.2.
//
// Interval mode has no standard uncertainty to expand or split: there only
// Monte Carlo may be asked for. progress, when set, is Monte Carlo's
// progress callback (see mc.Options.Progress). Errors are *nu.Error values.
func Run(e *expr.Expr, m nu.Mode, v nu.Value, req Request, progress func(done, planned int) bool) (*Report, error) {
	rep := &Report{}
	expanded := req.K != 0 || req.P != 0
	if m == nu.ModeInterval && (req.Budget || req.K != 0 || (req.P != 0 && req.MonteCarlo == nil)) {
		return nil, &nu.Error{Code: CodeMode, Category: nu.CategoryValidation,
			Message:     "budgets and expanded uncertainties describe standard uncertainties; interval mode gives bounds",
			Remediation: "compute in nu or gum mode, or ask only for Monte Carlo"}
	}
	if m == nu.ModeInterval {
		expanded = false
	}
	var b *expr.Budget
	if req.Budget || expanded || req.MonteCarlo != nil {
		fo, err := e.Budget()
		switch {
		case err == nil:
			b = &fo
		case req.Budget || expanded:
			return nil, err
		}
	}
	if req.Budget {
		rep.Budget = budgetOf(b)
	}
	if expanded {
		x, err := expand(b.DoF, v, req.K, req.P)
		if err != nil {
			return nil, err
		}
		rep.Expanded = x
	}
	if req.MonteCarlo != nil {
		if err := rep.monteCarlo(e, req, b, progress); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func (rep *Report) monteCarlo(e *expr.Expr, req Request, b *expr.Budget, progress func(done, planned int) bool) error {
	q := req.MonteCarlo
	o := mc.Options{Draws: q.Draws, Seed: q.Seed, P: req.P, Shortest: q.Shortest, Adaptive: q.Adaptive, Digits: q.Digits, Progress: progress}
	if o.Adaptive && o.Draws == 0 {
		o.Draws = mc.MaxDraws
	}
	dists, _, err := e.Distributions()
	if err != nil {
		return err
	}
	r, err := e.MonteCarlo(o)
	if err != nil {
		return err
	}
	rep.MonteCarlo = &r
	for _, d := range dists {
		in := InputDist{Name: d.Name, Dist: d.Dist.Kind.String(), N: d.Dist.N, U: d.Dist.U, DoF: nu.Float(d.Dist.DoF)}
		if d.Dist.Kind == mc.Uniform || d.Dist.Kind == mc.Triangular {
			in.Lo, in.Hi = d.Dist.Lo, d.Dist.Hi
		}
		rep.Inputs = append(rep.Inputs, in)
	}
	if b == nil {
		return nil // no first-order result to validate
	}
	if x, err := expand(b.DoF, b.Value, 0, r.P); err == nil {
		digits := q.Digits
		if digits == 0 {
			digits = 2
		}
		rep.Validation = &Validation{Comparison: mc.Compare(b.Value.N(), b.Value.U(), x.U, r.Lo, r.Hi, digits), Lo: x.Lo, Hi: x.Hi}
	}
	return nil
}

// expand returns the expanded uncertainty of v: with k, or with t_p(dof).
func expand(dof float64, v nu.Value, k, p float64) (*Expanded, error) {
	bb := expr.Budget{Value: v, DoF: dof}
	u, k2, err := bb.Expanded(k, p)
	if err != nil {
		return nil, err
	}
	x := &Expanded{K: k2, DoF: nu.Float(dof), U: u, Lo: v.N() - u, Hi: v.N() + u}
	if k == 0 {
		x.P = p
	}
	return x, nil
}

func budgetOf(b *expr.Budget) *Budget {
	return &Budget{N: nu.Float(b.Value.N()), U: nu.Float(b.Value.U()), DoF: nu.Float(b.DoF), Correlated: b.Correlated, Terms: b.Terms}
}

// CodeMode is the error code of an analysis that the mode cannot give.
const CodeMode = "ANALYSIS_001"
