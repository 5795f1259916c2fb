package coverage

import "math"

// EffectiveDoF returns the Welch–Satterthwaite effective degrees of freedom
// of a combined standard uncertainty uc made of the contributions
// c_i·u_i (contributions[i]) of inputs with ν_i degrees of freedom
// (dofs[i], +Inf for an input known exactly, as a Type B evaluation
// usually is), GUM G.4.1:
//
//	ν_eff = uc⁴ / Σ_i (c_i·u_i)⁴ / ν_i
//
// truncated to the next lower integer, as the GUM's note 1 to G.4.1
// allows, and never below 1. It is +Inf when every term is 0 (every input
// has infinite degrees of freedom, or uc is 0). The formula assumes
// independent inputs; with correlated inputs it is an approximation (uc
// then includes the correlation terms).
func EffectiveDoF(uc float64, contributions, dofs []float64) (float64, error) {
	var den float64
	m := 0.0 // the largest |c_i·u_i|, to scale the fourth powers
	for _, c := range contributions {
		m = math.Max(m, math.Abs(c))
	}
	m = math.Max(m, uc)
	if m == 0 || math.IsInf(m, 0) || math.IsNaN(m) {
		return math.Inf(1), nil
	}
	for i, c := range contributions {
		if err := CheckDoF(dofs[i]); err != nil {
			return 0, err
		}
		if math.IsInf(dofs[i], 1) || c == 0 {
			continue
		}
		r := c / m
		r2 := float64(r * r)
		den += float64(r2*r2) / dofs[i]
	}
	if den == 0 {
		return math.Inf(1), nil
	}
	r := uc / m
	r2 := float64(r * r)
	v := float64(r2*r2) / den
	if v > 1e15 {
		return math.Inf(1), nil
	}
	return math.Max(1, math.Floor(v)), nil
}
