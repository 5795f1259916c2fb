package mc

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/ebios/ebios/core/pmath"
)

// Kind is the shape of an input's probability distribution.
type Kind uint8

// The distributions an input can have (GUM-S1 6.4).
const (
	Normal     Kind = iota // Gaussian with mean N and standard deviation U (the default)
	Uniform                // rectangular on [Lo, Hi]
	Triangular             // symmetric triangular on [Lo, Hi]
	StudentT               // scaled and shifted t: N + U·T with T ~ t(DoF) (GUM-S1 6.4.9)
)

var kindNames = [...]string{"normal", "uniform", "triangular", "t"}

// String returns "normal", "uniform", "triangular" or "t".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// KindByName returns the distribution of a name as String gives it.
func KindByName(name string) (Kind, bool) {
	for i, n := range kindNames {
		if n == name {
			return Kind(i), true
		}
	}
	return 0, false
}

// Dist is an input's probability distribution.
//
// N is its expectation and U its standard uncertainty as first-order
// propagation uses it (for StudentT, the scale s: the GUM's u = s/√n of a
// mean of n readings; the distribution's standard deviation is then
// U·√(ν/(ν−2)), larger than U, as GUM-S1 6.4.9 intends). Lo and Hi bound a
// Uniform or Triangular distribution; DoF is the degrees of freedom of a
// StudentT (+Inf otherwise).
type Dist struct {
	Kind   Kind
	N, U   float64
	Lo, Hi float64
	DoF    float64
}

// NewNormal returns the normal distribution with mean n and standard
// deviation u.
func NewNormal(n, u float64) Dist { return Dist{Kind: Normal, N: n, U: u, DoF: math.Inf(1)} }

// Sqrt3 and Sqrt6 are √3 and √6, the ratios of the half-width of a uniform
// and of a symmetric triangular distribution to its standard deviation.
const (
	Sqrt3 = 1.7320508075688772
	Sqrt6 = 2.449489742783178
)

// NewUniform returns the uniform distribution on [lo, hi]: N = (lo+hi)/2,
// U = (hi−lo)/(2√3).
func NewUniform(lo, hi float64) Dist {
	return Dist{Kind: Uniform, N: lo/2 + hi/2, U: (hi/2 - lo/2) / Sqrt3, Lo: lo, Hi: hi, DoF: math.Inf(1)}
}

// NewTriangular returns the symmetric triangular distribution on [lo, hi]:
// N = (lo+hi)/2, U = (hi−lo)/(2√6).
func NewTriangular(lo, hi float64) Dist {
	return Dist{Kind: Triangular, N: lo/2 + hi/2, U: (hi/2 - lo/2) / Sqrt6, Lo: lo, Hi: hi, DoF: math.Inf(1)}
}

// NewStudentT returns N + U·T with T Student-t with dof degrees of freedom.
func NewStudentT(n, u, dof float64) Dist {
	return Dist{Kind: StudentT, N: n, U: u, DoF: dof}
}

// Exact reports whether the distribution is a single point.
func (d Dist) Exact() bool {
	if d.Kind == Uniform || d.Kind == Triangular {
		return d.Lo == d.Hi
	}
	return d.U == 0
}

// check returns an error naming input i when d cannot be sampled.
func (d Dist) check(name string) error {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case !finite(d.N) || !finite(d.U) || d.U < 0:
		return errInput(name, "its value and standard uncertainty must be finite, and the uncertainty not negative")
	case (d.Kind == Uniform || d.Kind == Triangular) && !(finite(d.Lo) && finite(d.Hi) && d.Lo <= d.Hi):
		return errInput(name, "the bounds of a "+d.Kind.String()+" distribution must be finite with the lower not above the upper")
	case d.Kind == StudentT && !(d.DoF >= 1):
		return errInput(name, "a t distribution needs at least 1 degree of freedom")
	case d.Kind > StudentT:
		return errInput(name, "unknown distribution "+d.Kind.String())
	}
	return nil
}

// stream draws the variates of one input: a PCG generator seeded with
// (seed, input index), so an input's draws do not depend on the others, on
// the batch size or on the number of draws.
type stream struct {
	r     *rand.PCG
	spare float64 // the second normal of a polar pair
	has   bool
}

func newStream(seed uint64, i int) *stream {
	return &stream{r: rand.NewPCG(seed, uint64(i)^0x9e3779b97f4a7c15)} // #nosec G115 -- i is an input's index, never negative
}

// uniform returns a float64 uniform on [0, 1) with 53 random bits.
func (s *stream) uniform() float64 { return float64(s.r.Uint64()>>11) * 0x1p-53 }

// sym returns a float64 uniform on [-1, 1).
func (s *stream) sym() float64 { return float64(int64(s.r.Uint64())>>10) * 0x1p-53 } // #nosec G115 -- the random bits read as a signed number on purpose: sym is uniform on [-1, 1)

// normal returns a standard normal variate by Marsaglia's polar method,
// which needs only a logarithm and a square root.
func (s *stream) normal() float64 {
	if s.has {
		s.has = false
		return s.spare
	}
	for {
		a, b := s.sym(), s.sym()
		w := float64(a*a) + float64(b*b)
		if w > 0 && w < 1 {
			m := math.Sqrt(-2 * pmath.Log(w) / w)
			s.spare, s.has = float64(b*m), true
			return float64(a * m)
		}
	}
}

// studentT returns a Student-t variate with dof degrees of freedom by
// Bailey's polar method (Math. Comp. 62, 1994).
func (s *stream) studentT(dof float64) float64 {
	for {
		a, b := s.sym(), s.sym()
		w := float64(a*a) + float64(b*b)
		if w > 0 && w <= 1 {
			c := pmath.Exp(-2 / dof * pmath.Log(w)) // w^(−2/ν)
			return float64(a * math.Sqrt(dof*(c-1)/w))
		}
	}
}

// fill writes n draws of input d into x, using the standard normals z for
// a normal input whose draws are correlated with others (nil otherwise).
func (s *stream) fill(d Dist, x []float64, z []float64) {
	switch d.Kind {
	case Normal:
		for i := range x {
			v := z
			var g float64
			if v != nil {
				g = v[i]
			} else {
				g = s.normal()
			}
			x[i] = d.N + float64(d.U*g)
		}
	case Uniform:
		w := d.Hi - d.Lo
		for i := range x {
			x[i] = math.Min(d.Hi, d.Lo+float64(w*s.uniform()))
		}
	case Triangular:
		h := d.Hi/2 - d.Lo/2
		for i := range x {
			x[i] = math.Min(d.Hi, d.Lo+float64(h*(s.uniform()+s.uniform())))
		}
	case StudentT:
		for i := range x {
			x[i] = d.N + float64(d.U*s.studentT(d.DoF))
		}
	}
}
