package gum

import (
	"cmp"
	"math"
	"slices"
)

// Term is one line of an uncertainty budget (see Context.Budget): either an
// input's own term or, when Pair is true, the term of the correlation
// between two inputs.
type Term struct {
	// Input is the index of the input (0 for the first Input call) and
	// Name its name. For a correlation term they are the first input of the
	// pair.
	Input int    `json:"input"`
	Name  string `json:"name"`

	// Pair marks a correlation term. With and WithName are then the second
	// input of the pair (Input < With) and R their correlation coefficient.
	Pair     bool    `json:"pair,omitempty"`
	With     int     `json:"with,omitempty"`
	WithName string  `json:"with_name,omitempty"`
	R        float64 `json:"r,omitempty"`

	// N and U are the input's nominal and standard uncertainty,
	// Sensitivity is the sensitivity coefficient c_i = ∂v/∂x_i and
	// Contribution is c_i·u_i, signed (the GUM's u_i(y) is its absolute
	// value). All four are 0 in a correlation term.
	N            float64 `json:"n"`
	U            float64 `json:"u"`
	Sensitivity  float64 `json:"sensitivity"`
	Contribution float64 `json:"contribution"`

	// Variance is the term's part of U(v)²: (c_i·u_i)² for an input and
	// 2·r·(c_i·u_i)·(c_j·u_j) for a pair, which is negative when the
	// correlation reduces the uncertainty.
	Variance float64 `json:"variance"`

	// Share is Variance / U(v)²: in [0, 1] for an input, in [-1, 1] for a
	// pair. The shares of all the terms sum to 1 up to rounding; all are 0
	// when U(v) = 0.
	Share float64 `json:"share"`
}

// Budget returns the uncertainty budget of v: one term for each input with
// a nonzero sensitivity coefficient, in the order of the inputs, and then one
// term for each correlated pair of them whose correlation term is nonzero,
// ordered by (Input, With).
//
// Shares are defined as in the GUM's law of propagation of uncertainty
// (GUM 5.2.2): U(v)² = Σ_i (c_i·u_i)² + 2·Σ_{i<j} r_ij·(c_i·u_i)·(c_j·u_j).
// Each input's share is (c_i·u_i)²/U(v)² ≥ 0, and each correlation term is
// reported separately with its share 2·r_ij·c_i·u_i·c_j·u_j/U(v)², which is
// negative when the correlation reduces the uncertainty; so the input shares
// alone may sum to more than 1 (or less), and the shares of all the terms
// sum to 1. Without correlations the input shares sum to 1.
//
// Budget fails as U does: for a value of another context or an invalid
// constant, inconsistent correlations (CodeNotPSD) or overflow.
func (c *Context) Budget(v Value) ([]Term, error) {
	if err := c.own("budget", v); err != nil {
		return nil, err
	}
	g := v.g
	if len(g) == 0 {
		return nil, nil
	}
	s := c.scaled(g, len(g), &c.s1)
	nin := 0
	for _, x := range g {
		if x != 0 {
			nin++
		}
	}
	// The pairs with a nonzero term, sorted, in c.pbuf.
	ps := c.pbuf[:0]
	n := int32(len(g)) // #nosec G115 -- a gradient has one slot per input, and Input keeps inputs below maxInputs (MaxInt32)
	for _, p := range c.pairs {
		if p.j < n && s[p.i] != 0 && s[p.j] != 0 {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b pair) int { return cmp.Or(cmp.Compare(a.i, b.i), cmp.Compare(a.j, b.j)) })
	c.pbuf = ps
	terms := make([]Term, 0, nin+len(ps))
	for i, x := range g {
		if x != 0 {
			terms = append(terms, Term{Input: i, Name: c.name[i], N: c.nom[i], U: c.u[i],
				Sensitivity: x, Contribution: s[i], Variance: s[i] * s[i]})
		}
	}
	for _, p := range ps {
		terms = append(terms, Term{Input: int(p.i), Name: c.name[p.i], Pair: true,
			With: int(p.j), WithName: c.name[p.j], R: p.r, Variance: 2 * p.r * s[p.i] * s[p.j]})
	}
	for _, t := range terms {
		if math.IsInf(t.Contribution, 0) || math.IsInf(t.Variance, 0) {
			return nil, errOverflow("budget")
		}
	}
	// The shares, from the scaled terms that variance computes without
	// over- or underflow (it scales s in place).
	_, total, err := c.variance(s)
	if err != nil {
		return nil, err
	}
	if total == 0 {
		return terms, nil
	}
	for k := range terms {
		t := &terms[k]
		a := s[t.Input]
		if t.Pair {
			t.Share = 2 * t.R * a * s[t.With] / total
		} else {
			t.Share = a * a / total
		}
	}
	return terms, nil
}
