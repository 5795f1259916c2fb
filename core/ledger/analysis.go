package ledger

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/ebios/ebios/core/nu"
)

// Limits and parameters of an [Analysis].
const (
	MaxInputNameLen = 256        // bytes of an analysis input's name
	MaxDraws        = 10_000_000 // draws of a Monte Carlo run
	MaxDigits       = 6          // significant digits an adaptive Monte Carlo run aims for
)

// Distributions an analysis input may have ([InputDist.Dist]).
const (
	DistNormal     = "normal"
	DistUniform    = "uniform"
	DistTriangular = "triangular"
	DistT          = "t" // Student's t
)

// Analysis records how a logged result's uncertainty was analysed, so that
// anyone can re-run it and get the same bits. Entries carrying one appear
// from bundle format version 3 on: a bundle of an earlier version holding
// one fails verification. An entry with an analysis has an output.
type Analysis struct {
	// Inputs are the uncertain inputs, in draw order (at most [MaxInputs]).
	Inputs []InputDist `json:"inputs"`
	// MonteCarlo is the Monte Carlo run, when one was made.
	MonteCarlo *MonteCarlo `json:"monte_carlo,omitempty"`
	// Expanded is the expanded uncertainty, when asked for.
	Expanded *Expanded `json:"expanded,omitempty"`
}

// InputDist is one input's distribution: its value N, its standard
// uncertainty U, the bounds Lo and Hi of a uniform or triangular
// distribution, and its degrees of freedom.
type InputDist struct {
	// Name is the variable name or the value as written: valid UTF-8 of at
	// most [MaxInputNameLen] bytes, possibly empty.
	Name string `json:"name"`
	// Dist is [DistNormal], [DistUniform], [DistTriangular] or [DistT].
	Dist string `json:"dist"`
	// N is the input's value (finite).
	N nu.Float `json:"n"`
	// U is its standard uncertainty (finite, ≥ 0).
	U nu.Float `json:"u"`
	// Lo and Hi are the bounds of a uniform or triangular distribution
	// (finite, Lo ≤ Hi), and 0 for the other distributions.
	Lo nu.Float `json:"lo"`
	Hi nu.Float `json:"hi"`
	// DoF is the degrees of freedom: ≥ 1, or +Inf (the default, for a
	// standard uncertainty known exactly).
	DoF nu.Float `json:"dof"`
}

// MonteCarlo is a Monte Carlo run (GUM Supplement 1): its parameters and
// its summary.
type MonteCarlo struct {
	// Draws is the number of draws, 1 to [MaxDraws] (for an adaptive run,
	// the number it made).
	Draws uint64 `json:"draws"`
	// Seed is the seed of the random number generator.
	Seed Seed `json:"seed"`
	// P is the coverage probability of the interval [Lo, Hi], 0 < P < 1.
	P nu.Float `json:"p"`
	// Shortest is true when [Lo, Hi] is the shortest coverage interval,
	// false when it is the probabilistically symmetric one.
	Shortest bool `json:"shortest,omitempty"`
	// Adaptive is true for an adaptive run; Digits is then the number of
	// significant digits it aimed for (1 to [MaxDigits]), and 0 otherwise.
	Adaptive bool   `json:"adaptive,omitempty"`
	Digits   uint32 `json:"digits,omitempty"`
	// Converged is true when an adaptive run reached its digits.
	Converged bool `json:"converged,omitempty"`
	// Mean and U are the mean and standard deviation of the draws (finite,
	// U ≥ 0), Lo and Hi the coverage interval (finite, Lo ≤ Hi).
	Mean nu.Float `json:"mean"`
	U    nu.Float `json:"u"`
	Lo   nu.Float `json:"lo"`
	Hi   nu.Float `json:"hi"`
}

// Expanded is an expanded uncertainty U = k·u.
type Expanded struct {
	// K is the coverage factor (finite, > 0).
	K nu.Float `json:"k"`
	// P is the coverage probability k was derived from (0 < P < 1), or 0
	// when k was given.
	P nu.Float `json:"p"`
	// DoF is the Welch–Satterthwaite effective degrees of freedom: ≥ 1 or
	// +Inf.
	DoF nu.Float `json:"dof"`
	// U is the expanded uncertainty (finite, ≥ 0).
	U nu.Float `json:"u"`
}

// Seed is the seed of a Monte Carlo run. In JSON it is a string of decimal
// digits ("18446744073709551615"), because JSON numbers read as binary64
// (JavaScript, and many other readers) lose the bits above 2^53.
type Seed uint64

// MarshalText writes s in decimal.
func (s Seed) MarshalText() ([]byte, error) {
	return strconv.AppendUint(nil, uint64(s), 10), nil
}

// UnmarshalText reads the one spelling MarshalText writes: decimal digits
// only, no sign, no leading zero (except "0" itself), at most 2^64-1.
func (s *Seed) UnmarshalText(b []byte) error {
	v, ok := seedOf(b)
	if !ok {
		return errMalformed("seed must be an integer from 0 to 2^64-1 written as a string of decimal digits without sign or leading zeros, got %q", truncate(string(b), 30))
	}
	*s = Seed(v)
	return nil
}

func seedOf(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// validate checks the field rules of an analysis; the draft must have an
// output.
func (a *Analysis) validate(hasOutput bool) *invalidField {
	if !hasOutput {
		return &invalidField{"analysis", "an entry with an analysis must have an output"}
	}
	if len(a.Inputs) > MaxInputs {
		return &invalidField{"analysis.inputs", "more than " + itoa(MaxInputs) + " inputs"}
	}
	for i := range a.Inputs {
		if f := a.Inputs[i].validate("analysis.inputs[" + itoa(i) + "]"); f != nil {
			return f
		}
	}
	if m := a.MonteCarlo; m != nil {
		if f := m.validate("analysis.monte_carlo"); f != nil {
			return f
		}
	}
	if x := a.Expanded; x != nil {
		if f := x.validate("analysis.expanded"); f != nil {
			return f
		}
	}
	return nil
}

func (in *InputDist) validate(at string) *invalidField {
	if len(in.Name) > MaxInputNameLen || !utf8.ValidString(in.Name) {
		return &invalidField{at + ".name", "name must be valid UTF-8 of at most " + itoa(MaxInputNameLen) + " bytes"}
	}
	bounded := false
	switch in.Dist {
	case DistUniform, DistTriangular:
		bounded = true
	case DistNormal, DistT:
	default:
		return &invalidField{at + ".dist", "unknown distribution " + quote(in.Dist) + ` (want "normal", "uniform", "triangular" or "t")`}
	}
	if f := finite(at+".n", in.N); f != nil {
		return f
	}
	if f := nonNegative(at+".u", in.U); f != nil {
		return f
	}
	if bounded {
		if f := finite(at+".lo", in.Lo); f != nil {
			return f
		}
		if f := finite(at+".hi", in.Hi); f != nil {
			return f
		}
		if in.Lo > in.Hi {
			return &invalidField{at + ".lo", "lo must be <= hi"}
		}
	} else {
		// Exactly +0: one spelling of "no bounds".
		if math.Float64bits(float64(in.Lo)) != 0 {
			return &invalidField{at + ".lo", "must be 0 unless dist is \"uniform\" or \"triangular\""}
		}
		if math.Float64bits(float64(in.Hi)) != 0 {
			return &invalidField{at + ".hi", "must be 0 unless dist is \"uniform\" or \"triangular\""}
		}
	}
	return dof(at+".dof", in.DoF)
}

func (m *MonteCarlo) validate(at string) *invalidField {
	if m.Draws < 1 || m.Draws > MaxDraws {
		return &invalidField{at + ".draws", "draws must be between 1 and " + itoa(MaxDraws)}
	}
	if f := probability(at+".p", m.P); f != nil {
		return f
	}
	if m.Adaptive {
		if m.Digits < 1 || m.Digits > MaxDigits {
			return &invalidField{at + ".digits", "an adaptive run aims for 1 to " + itoa(MaxDigits) + " significant digits"}
		}
	} else if m.Digits != 0 {
		return &invalidField{at + ".digits", "digits must be 0 (omitted) when the run is not adaptive"}
	}
	if f := finite(at+".mean", m.Mean); f != nil {
		return f
	}
	if f := nonNegative(at+".u", m.U); f != nil {
		return f
	}
	if f := finite(at+".lo", m.Lo); f != nil {
		return f
	}
	if f := finite(at+".hi", m.Hi); f != nil {
		return f
	}
	if m.Lo > m.Hi {
		return &invalidField{at + ".lo", "lo must be <= hi"}
	}
	return nil
}

func (x *Expanded) validate(at string) *invalidField {
	if k := float64(x.K); math.IsNaN(k) || math.IsInf(k, 0) || k <= 0 {
		return &invalidField{at + ".k", "the coverage factor must be finite and > 0"}
	}
	if x.P != 0 {
		if f := probability(at+".p", x.P); f != nil {
			return &invalidField{f.field, "p must be between 0 and 1 (exclusive), or 0 when k was given"}
		}
	}
	if f := dof(at+".dof", x.DoF); f != nil {
		return f
	}
	return nonNegative(at+".u", x.U)
}

func finite(field string, x nu.Float) *invalidField {
	if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
		return &invalidField{field, "must be finite"}
	}
	return nil
}

func nonNegative(field string, x nu.Float) *invalidField {
	if f := finite(field, x); f != nil || x < 0 {
		return &invalidField{field, "must be finite and >= 0"}
	}
	return nil
}

func probability(field string, p nu.Float) *invalidField {
	if !(p > 0 && p < 1) {
		return &invalidField{field, "p must be between 0 and 1 (exclusive)"}
	}
	return nil
}

func dof(field string, x nu.Float) *invalidField {
	if !(x >= 1) { // NaN too
		return &invalidField{field, "degrees of freedom must be >= 1 (or +Inf)"}
	}
	return nil
}
