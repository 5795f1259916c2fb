// Package coverage turns a standard uncertainty into an expanded one: the
// coverage factor k of a coverage probability p from the Student t
// distribution, and the Welch–Satterthwaite effective degrees of freedom of
// a combined standard uncertainty (JCGM 100:2008, the GUM, 6.3 and annex G).
//
// Every result is computed from basic arithmetic, math.Sqrt and the
// portable functions of core/pmath, with each product rounded before it is
// added, so it has the same bits on every platform: a coverage factor
// recorded in the ledger is re-derived exactly by the browser.
//
// The t distribution is evaluated in closed form for integer degrees of
// freedom (Abramowitz and Stegun 26.7.3–4): the GUM truncates a
// non-integer ν_eff to the next lower integer (G.4.1, note 1), and so does
// [EffectiveDoF]. Above [MaxDoF] degrees of freedom the normal distribution
// is used (infinite degrees of freedom); the t factor then differs from it
// by less than 3·10⁻⁵ relative for p ≤ 0.99.
//
// The package does no I/O.
package coverage

import (
	"math"
	"strconv"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/pmath"
)

// MaxDoF is the largest number of degrees of freedom for which the t
// distribution is evaluated; above it, and for +Inf, the normal is used.
const MaxDoF = 100000

// Error codes of package coverage, as *nu.Error values.
const (
	CodeProbability = "COVER_001" // a coverage probability not strictly between 0 and 1
	CodeDoF         = "COVER_002" // degrees of freedom that are NaN or below 1
	CodeFactor      = "COVER_003" // a coverage factor that is not finite and positive
)

func errProbability(p float64) *nu.Error {
	return &nu.Error{Code: CodeProbability, Category: nu.CategoryValidation,
		Message:     "the coverage probability must be strictly between 0 and 1, got " + strconv.FormatFloat(p, 'g', -1, 64),
		Remediation: "give a probability such as 0.95 (95 %) or 0.99"}
}

func errDoF(nu_ float64) *nu.Error {
	return &nu.Error{Code: CodeDoF, Category: nu.CategoryValidation,
		Message:     "degrees of freedom must be at least 1 (or infinite), got " + strconv.FormatFloat(nu_, 'g', -1, 64),
		Remediation: "give the degrees of freedom of a Type A evaluation (n − 1 for n readings), or leave them out for a Type B input"}
}

// CheckFactor returns an error unless k is a usable coverage factor: finite
// and greater than 0.
func CheckFactor(k float64) error {
	if k > 0 && k <= math.MaxFloat64 {
		return nil
	}
	return &nu.Error{Code: CodeFactor, Category: nu.CategoryValidation,
		Message:     "the coverage factor must be a finite number greater than 0, got " + strconv.FormatFloat(k, 'g', -1, 64),
		Remediation: "give a coverage factor such as 2, or a coverage probability instead"}
}

// CheckDoF returns an error unless ν is a usable number of degrees of
// freedom: at least 1, or +Inf.
func CheckDoF(dof float64) error {
	if dof >= 1 {
		return nil
	}
	return errDoF(dof)
}

// Factor returns the coverage factor k = t_p(ν): the half-width, in
// standard deviations, of the interval centred on 0 that holds the fraction
// p of the Student t distribution with ν degrees of freedom (of the normal
// distribution when ν is +Inf or above MaxDoF). A non-integer ν is
// truncated, as the GUM does (G.4.1). Factor(0.95, math.Inf(1)) is 1.95996…;
// Factor(0.99, 16) is 2.92078…, the GUM's t_99(16) = 2.92 (H.1.6).
//
// The result is the float64 k for which the two-sided probability changes
// from below p to at least p, found by bisection, so it is exact to within
// the rounding of the probability itself (about 1e-15 relative).
func Factor(p, dof float64) (float64, error) {
	if !(p > 0 && p < 1) {
		return 0, errProbability(p)
	}
	if err := CheckDoF(dof); err != nil {
		return 0, err
	}
	n := 0 // 0: normal
	if dof <= MaxDoF {
		n = int(dof)
	}
	prob := func(k float64) float64 { return twoSided(k, n) }
	hi := 1.0
	for prob(hi) < p {
		hi *= 2
		if hi > 1e300 {
			return math.Inf(1), nil // unreachable for p < 1
		}
	}
	lo := 0.0
	for {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			return hi, nil
		}
		if prob(mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
}

// TwoSided returns P(|T| ≤ k) for T Student-t with ν degrees of freedom
// (truncated to an integer; normal when +Inf or above MaxDoF).
func TwoSided(k, dof float64) (float64, error) {
	if err := CheckDoF(dof); err != nil {
		return 0, err
	}
	n := 0
	if dof <= MaxDoF {
		n = int(dof)
	}
	if !(k >= 0) {
		return 0, nil
	}
	return twoSided(k, n), nil
}

// twoSided is P(|T| ≤ t) for n degrees of freedom, or the normal for n = 0.
func twoSided(t float64, n int) float64 {
	if math.IsInf(t, 1) {
		return 1
	}
	if n == 0 {
		return erf(t / math.Sqrt2)
	}
	// Abramowitz and Stegun 26.7.3–4, with θ = atan(t/√n):
	// sin θ = t/√(n+t²), cos² θ = n/(n+t²).
	fn := float64(n)
	d := fn + float64(t*t)
	if math.IsInf(d, 1) {
		return 1
	}
	r := math.Sqrt(d)
	s := t / r
	c2 := fn / d
	if n%2 == 0 {
		// sin θ · (1 + ½cos²θ + (1·3)/(2·4)cos⁴θ + … up to cos^(n−2)θ)
		sum, a := 1.0, 1.0
		for j := 1; j <= (n-2)/2; j++ {
			a = float64(a*c2) * float64(2*j-1) / float64(2*j)
			sum += a
		}
		return math.Min(1, float64(s*sum))
	}
	theta := pmath.Atan(t / math.Sqrt(fn))
	if n == 1 {
		return math.Min(1, 2*theta/math.Pi)
	}
	// (2/π)·(θ + sin θ cos θ (1 + (2/3)cos²θ + … up to cos^(n−3)θ))
	c := math.Sqrt(fn) / r
	sum, b := 1.0, 1.0
	for j := 1; j <= (n-3)/2; j++ {
		b = float64(b*c2) * float64(2*j) / float64(2*j+1)
		sum += b
	}
	return math.Min(1, 2*(theta+float64(float64(s*c)*sum))/math.Pi)
}

// erf returns the error function of x ≥ 0 from the series
// erf(x) = 2x/√π · e^(−x²) · Σ (2x²)ⁿ / (1·3·…·(2n+1)), whose terms are all
// positive, so nothing cancels.
func erf(x float64) float64 {
	if x > 6 {
		return 1 // erfc(6) < 3e-17
	}
	x2 := float64(x * x)
	term, sum := 1.0, 1.0
	for n := 1; term > 1e-17*sum; n++ {
		term = float64(term*(2*x2)) / float64(2*n+1)
		sum += term
	}
	const twoOverSqrtPi = 1.1283791670955126
	return math.Min(1, float64(float64(twoOverSqrtPi*x)*pmath.Exp(-x2))*sum)
}
