package expr

import (
	"math"

	"github.com/ebios/ebios/core/coverage"
	"github.com/ebios/ebios/core/gum"
	"github.com/ebios/ebios/core/nu"
)

// Budget is a program's first-order uncertainty budget (GUM 5.1–5.2 and
// G.4): its result in gum mode, each input's share of the variance, and
// the Welch–Satterthwaite effective degrees of freedom.
type Budget struct {
	// Value is the gum-mode result: the nominal and u_c.
	Value nu.Value `json:"-"`
	// Terms are gum.Context.Budget's terms (uncertain inputs with a
	// nonzero sensitivity, then correlation terms), each input's with its
	// degrees of freedom.
	Terms []BudgetTerm `json:"terms"`
	// DoF is ν_eff (GUM G.4.1), truncated to an integer; +Inf when every
	// contributing input has infinite degrees of freedom.
	DoF float64 `json:"-"`
	// Correlated is set when a correlation term is present: ν_eff is then
	// an approximation, the formula assuming independent inputs.
	Correlated bool `json:"correlated,omitempty"`
}

// BudgetTerm is a gum.Term with the input's degrees of freedom (+Inf, the
// default, for an input written without t(ν), "+Inf" in JSON; 0 and absent
// in a correlation term).
type BudgetTerm struct {
	gum.Term
	DoF nu.Float `json:"dof,omitempty"`
}

// Budget computes the program's first-order budget in gum mode. The names
// of the terms are the variables' names, or a value's text as written
// (such as "10 ± 0.5") for a value used directly. The budget describes gum
// mode's linearisation: a result computed in nu mode has the same
// sensitivities, but its u may differ (nu adds second-order terms and
// treats distinct subexpressions as independent).
func (e *Expr) Budget() (Budget, error) {
	alg := &gumAlg{c: gum.NewContext(), inputs: map[int]gum.Value{}, corrCol: 1}
	v, err := run[gum.Value](e, alg)
	if err != nil {
		return Budget{}, e.columns(err)
	}
	r, err := alg.c.Result(v)
	if err != nil {
		return Budget{}, e.columns(at(err, alg.corrCol))
	}
	terms, err := alg.c.Budget(v)
	if err != nil {
		return Budget{}, e.columns(at(err, alg.corrCol))
	}
	b := Budget{Value: r}
	var contrib, dofs []float64
	for _, t := range terms {
		if t.Pair {
			b.Correlated = true
			b.Terms = append(b.Terms, BudgetTerm{Term: t})
			continue
		}
		if t.U == 0 { // an exact number: no part of the uncertainty
			continue
		}
		dof := alg.lits[t.Input].dofs()
		b.Terms = append(b.Terms, BudgetTerm{Term: t, DoF: nu.Float(dof)})
		contrib = append(contrib, t.Contribution)
		dofs = append(dofs, dof)
	}
	b.DoF, err = coverage.EffectiveDoF(r.U(), contrib, dofs)
	if err != nil {
		return Budget{}, err
	}
	return b, nil
}

// Expanded returns the expanded uncertainty U = k·u_c and k: k itself when
// k > 0, or else the coverage factor t_p(ν_eff) of the coverage
// probability p (coverage.Factor).
func (b Budget) Expanded(k, p float64) (u, factor float64, err error) {
	if k == 0 {
		if k, err = coverage.Factor(p, b.DoF); err != nil {
			return 0, 0, err
		}
	} else if err := coverage.CheckFactor(k); err != nil {
		return 0, 0, err
	}
	u = k * b.Value.U()
	if math.IsInf(u, 0) {
		return 0, 0, &nu.Error{Code: nu.CodeOverflow, Category: nu.CategoryOperation,
			Message: "the expanded uncertainty k·u overflows", Remediation: "use a smaller coverage factor"}
	}
	return u, k, nil
}
