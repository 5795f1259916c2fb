package gum

import (
	"fmt"
	"math"

	"github.com/ebios/ebios/core/nu"
)

// varTol is how negative a variance may come out by rounding before U calls
// the correlations inconsistent: -varTol × Σ|terms| (a variance that should
// be exactly 0, as for x − y with r = 1 and equal u, lands within it).
const varTol = 1e-10

// squaresLo is the least sum of squares computed without scaling: below it a
// square may have underflowed (the scale-safe path of nu's hypot).
const squaresLo = 0x1p-900

// scaled writes s_i = g_i·u_i into *buf, zero-padded to length n ≥ len(g),
// and returns it.
func (c *Context) scaled(g []float64, n int, buf *[]float64) []float64 {
	if cap(*buf) < n {
		*buf = make([]float64, n, max(n, len(c.nom)))
	}
	s := (*buf)[:n]
	u := c.u[:len(g)]
	for i, x := range g {
		s[i] = x * u[i]
	}
	clear(s[len(g):])
	return s
}

// quad returns Σ s_i² + 2·Σ_pairs r·s_i·s_j and Σ s_i² + 2·Σ_pairs |r·s_i·s_j|.
func (c *Context) quad(s []float64) (v, abs float64) {
	var sq, cross, across float64
	for _, x := range s {
		sq += x * x
	}
	n := int32(len(s)) // #nosec G115 -- a gradient has one slot per input, and Input keeps inputs below maxInputs (MaxInt32)
	for _, p := range c.pairs {
		if p.j < n { // i < j
			t := p.r * s[p.i] * s[p.j]
			cross += t
			across += math.Abs(t)
		}
	}
	return sq + 2*cross, sq + 2*across
}

// variance returns Σ s_i² + 2·Σ_pairs r·s_i·s_j as m²·v, scaled so that
// nothing over- or underflows (m = 1 when no scaling was needed). It fails
// when the variance is negative beyond rounding.
func (c *Context) variance(s []float64) (m, v float64, err error) {
	v, abs := c.quad(s)
	m = 1
	if !(abs >= squaresLo && abs <= math.MaxFloat64) {
		m = 0
		for _, x := range s {
			m = math.Max(m, math.Abs(x))
		}
		switch {
		case m == 0:
			return 1, 0, nil
		case math.IsInf(m, 0) || math.IsNaN(m):
			return 0, 0, errOverflow("uncertainty")
		}
		for i := range s {
			s[i] /= m
		}
		v, abs = c.quad(s)
	}
	v, err = checkVar(v, abs)
	return m, v, err
}

// checkVar returns the variance v computed as a sum of terms whose
// magnitudes add up to abs, or 0 when it is negative by rounding only, or
// an error when it is negative beyond rounding.
func checkVar(v, abs float64) (float64, error) {
	if v >= 0 {
		return v, nil
	}
	if v < -varTol*abs {
		return 0, errNotPSD(fmt.Sprintf("the variance of the value would be %.6g times the sum of its terms' magnitudes; "+
			"Validate finds which inputs' correlations are at fault", v/abs))
	}
	return 0, nil
}

// U returns the standard uncertainty of v to first order, √(gᵀΣg) with Σ the
// covariance matrix of the inputs (Σ_ij = r_ij·u_i·u_j). It is exactly 0 when
// every sensitivity is 0, as for x − x.
//
// U fails with CodeNotPSD when the correlations are inconsistent in the
// direction g: when gᵀΣg < 0 beyond rounding (−1e-10 × the sum of the
// terms' magnitudes); a variance that is negative within rounding counts as
// 0. It fails with nu.CodeOverflow when u exceeds the float64 range.
func (c *Context) U(v Value) (float64, error) {
	if !c.ok(v) {
		return 0, c.own("uncertainty", v)
	}
	return c.stddev(v.g)
}

func (c *Context) stddev(g []float64) (float64, error) {
	if len(g) == 0 {
		return 0, nil
	}
	m, v, err := c.variance(c.scaled(g, len(g), &c.s1))
	if err != nil {
		return 0, err
	}
	u := m * math.Sqrt(v)
	if math.IsInf(u, 1) {
		return 0, errOverflow("uncertainty")
	}
	return u, nil
}

// Result returns v as the nu.Value (N(v), U(v)).
func (c *Context) Result(v Value) (nu.Value, error) {
	u, err := c.U(v)
	if err != nil {
		return nu.Value{}, err
	}
	return nu.New(v.n, u)
}

// Covariance returns the covariance of a and b to first order, g_aᵀΣg_b.
// Covariance(a, a) is U(a)² (up to rounding); a constant has covariance 0
// with everything. It fails with nu.CodeOverflow when the covariance is
// beyond the float64 range.
func (c *Context) Covariance(a, b Value) (float64, error) {
	if err := c.own2("covariance", a, b); err != nil {
		return 0, err
	}
	_, _, ma, mb, cn := c.covNorm(a.g, b.g)
	if cn == 0 {
		return 0, nil
	}
	if math.IsInf(ma, 0) || math.IsInf(mb, 0) {
		return 0, errOverflow("covariance")
	}
	cov := ma * (mb * cn) // mb·cn first: ma·mb alone may overflow or underflow
	if math.IsInf(cov, 0) {
		return 0, errOverflow("covariance")
	}
	return cov, nil
}

// covNorm returns s_a = g_a·u and s_b = g_b·u scaled to a largest
// magnitude of 1 (in c.s1 and c.s2), the scales ma and mb, and the
// covariance of the scaled vectors, so that the covariance is ma·mb·cn.
// When either is 0, cn is 0; when either scale is infinite, cn is NaN.
func (c *Context) covNorm(ga, gb []float64) (sa, sb []float64, ma, mb, cn float64) {
	if len(ga) == 0 || len(gb) == 0 {
		return nil, nil, 0, 0, 0
	}
	n := max(len(ga), len(gb))
	sa, sb = c.scaled(ga, n, &c.s1), c.scaled(gb, n, &c.s2)
	for i := range n {
		ma, mb = math.Max(ma, math.Abs(sa[i])), math.Max(mb, math.Abs(sb[i]))
	}
	switch {
	case ma == 0 || mb == 0:
		return sa, sb, ma, mb, 0
	case math.IsInf(ma, 0) || math.IsInf(mb, 0):
		return sa, sb, ma, mb, math.NaN()
	}
	var sum, cross float64
	for i := range n {
		sa[i] /= ma
		sb[i] /= mb
		sum += sa[i] * sb[i]
	}
	m := int32(n) // #nosec G115 -- n is a gradient's length: one slot per input, below maxInputs (MaxInt32)
	for _, p := range c.pairs {
		if p.j < m {
			cross += p.r * (sa[p.i]*sb[p.j] + sa[p.j]*sb[p.i])
		}
	}
	return sa, sb, ma, mb, sum + cross
}

// corrTol is how far beyond ±1 a computed correlation may come out by
// rounding before Correlation calls the correlations inconsistent.
const corrTol = 1e-6

// Correlation returns the correlation coefficient of a and b to first order,
// Covariance(a, b)/(U(a)·U(b)), in [-1, 1]. It is 0 when either is exact
// (U = 0): an exact value is uncorrelated with everything. It is computed
// on scaled sensitivities, so it does not over- or underflow where the
// covariance would. It fails with CodeNotPSD as U does, and when the result
// would be beyond ±1 by more than rounding.
func (c *Context) Correlation(a, b Value) (float64, error) {
	if err := c.own2("correlation", a, b); err != nil {
		return 0, err
	}
	sa, sb, _, _, cn := c.covNorm(a.g, b.g)
	if cn == 0 {
		return 0, nil
	}
	if math.IsNaN(cn) {
		return 0, errOverflow("correlation")
	}
	va, err := checkVar(c.quad(sa))
	if err != nil {
		return 0, err
	}
	vb, err := checkVar(c.quad(sb))
	if err != nil {
		return 0, err
	}
	if va == 0 || vb == 0 {
		return 0, nil
	}
	r := cn / math.Sqrt(va) / math.Sqrt(vb)
	if math.Abs(r) > 1+corrTol {
		return 0, errNotPSD(fmt.Sprintf("the correlation of the two values would be %v", r))
	}
	return math.Max(-1, math.Min(1, r)), nil
}
