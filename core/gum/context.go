package gum

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/ebios/ebios/core/nu"
)

// Context holds the input variables of one computation, their nominals,
// standard uncertainties, names and correlations, and the memory the
// gradients of its Values are carved from.
//
// A Context is not safe for concurrent use: Input, Correlate and every
// operation change it. Values are immutable.
type Context struct {
	name []string
	nom  []float64
	u    []float64

	// pairs holds the nonzero correlations, each once with i < j, in the
	// order they were first set; where finds a pair by its key i<<32 | j.
	pairs []pair
	where map[uint64]int

	// slab is what gradients are cut from, of which the first used are
	// taken; s1 and s2 are scratch vectors for U, Covariance and Budget, and
	// pbuf is Budget's scratch list of pairs.
	slab   []float64
	used   int
	s1, s2 []float64
	pbuf   []pair
}

// pair is the correlation coefficient r between inputs i < j.
type pair struct {
	i, j int32
	r    float64
}

// slabFloats is the least number of float64s a slab holds. A slab is
// allocated when the current one cannot hold the next gradient, so an
// operation allocates on average len(gradient)/slabFloats times.
const slabFloats = 2048

// maxInputs bounds the number of inputs of a context (indices are int32).
const maxInputs = math.MaxInt32

// NewContext returns a context without inputs.
func NewContext() *Context { return &Context{} }

// Inputs returns the number of inputs of c.
func (c *Context) Inputs() int { return len(c.nom) }

// Input adds an independent input variable n ± u, where u is a standard
// uncertainty, and returns it as a Value with sensitivity 1 to itself. n
// must be finite and u finite and ≥ 0 (u = 0 gives an input that is exact
// but still an input, which may be correlated with nothing). name is used in
// messages and budgets; it may be "". An input is uncorrelated with every
// other until Correlate or SetCovariance says otherwise.
func (c *Context) Input(name string, n, u float64) (Value, error) {
	if _, err := nu.New(n, u); err != nil {
		return Value{}, err
	}
	if math.IsInf(u, 1) {
		return Value{}, errInfiniteU(name)
	}
	i := len(c.nom)
	if i == maxInputs {
		return Value{}, errOverflow("input: too many inputs")
	}
	c.name = append(c.name, name)
	c.nom = append(c.nom, n)
	c.u = append(c.u, u)
	g := c.alloc(i + 1) // fresh slab memory is zero
	g[i] = 1
	return Value{n: n, g: g, c: c, in: int32(i + 1)}, nil // #nosec G115 -- range checked above: i < maxInputs (MaxInt32)
}

// Const returns the exact constant k: a Value with no sensitivity to any
// input. A constant belongs to no context and may be used with any.
//
// k must be finite. Const cannot return an error, so a NaN or infinite k
// gives an invalid Value: N reports k, and every operation that is given it
// fails with nu's code NUCORE_008 (exact constant must be finite).
func (c *Context) Const(k float64) Value { return Value{n: k} }

// inputIndex returns the index of input v, or an error naming the k-th
// argument of op when v is not an unchanged input of c.
func (c *Context) inputIndex(op string, k int, v Value) (int, error) {
	if v.c != c && v.c != nil {
		return 0, errOtherContext(op)
	}
	if v.in == 0 {
		return 0, errNotInput(op, k)
	}
	return int(v.in - 1), nil
}

// Correlate sets the correlation coefficient r between the inputs a and b
// (Values returned by Input, unchanged). Setting it again replaces it; r = 0
// removes it. r must lie in [-1, 1]. The correlation of an input with itself
// is always 1: Correlate(a, a, 1) does nothing and any other r is an error.
//
// Correlate checks only the coefficient. Whether the correlations together
// are consistent (positive semidefinite) is checked by Validate, and, in the
// direction of each value, by U.
func (c *Context) Correlate(a, b Value, r float64) error {
	i, err := c.inputIndex("correlate", 0, a)
	if err != nil {
		return err
	}
	j, err := c.inputIndex("correlate", 1, b)
	if err != nil {
		return err
	}
	if math.IsNaN(r) || r < -1 || r > 1 {
		return errCorrelation("correlation coefficient outside [-1, 1]",
			fmt.Sprintf("got r = %v between inputs %s and %s", r, c.label(i), c.label(j)))
	}
	if i == j {
		if r == 1 {
			return nil
		}
		return errCorrelation("an input's correlation with itself is 1",
			fmt.Sprintf("got r = %v between input %s and itself", r, c.label(i)))
	}
	c.setPair(i, j, r)
	return nil
}

// setPair records r between inputs i ≠ j, replacing what was there.
func (c *Context) setPair(i, j int, r float64) {
	if i > j {
		i, j = j, i
	}
	key := uint64(i)<<32 | uint64(j) // #nosec G115 -- i and j are indices of existing inputs: 0 <= i, j < maxInputs (MaxInt32)
	k, ok := c.where[key]
	switch {
	case ok && r != 0:
		c.pairs[k].r = r
	case ok: // remove: move the last pair into its place
		last := len(c.pairs) - 1
		if k != last {
			p := c.pairs[last]
			c.pairs[k] = p
			c.where[uint64(p.i)<<32|uint64(p.j)] = k // #nosec G115 -- pair indices are input indices: 0 <= i, j < maxInputs (MaxInt32)
		}
		c.pairs = c.pairs[:last]
		delete(c.where, key)
	case r != 0:
		if c.where == nil {
			c.where = make(map[uint64]int)
		}
		c.where[key] = len(c.pairs)
		c.pairs = append(c.pairs, pair{int32(i), int32(j), r}) // #nosec G115 -- i and j are indices of existing inputs: 0 <= i, j < maxInputs (MaxInt32)
	}
}

// covTol is the relative tolerance of SetCovariance: for the diagonal
// against u², for symmetry, and for |r| ≤ 1.
const covTol = 1e-12

// SetCovariance sets the covariance matrix of the given inputs at once:
// cov[i][j] is the covariance of inputs[i] and inputs[j]. It replaces every
// correlation between two of these inputs and keeps those with other inputs.
//
// The inputs must be distinct Values returned by Input, unchanged; cov must
// be k×k, finite, and symmetric within a relative 1e-12 (the mean of
// cov[i][j] and cov[j][i] is used); its diagonal must equal u_i² within a
// relative 1e-12. The implied correlations cov[i][j]/(u_i·u_j) must lie in
// [-1, 1] within 1e-12, and the matrix must be positive semidefinite (up to
// rounding): otherwise the error is CodeNotPSD. A row of an input with
// u = 0 must be 0. On error nothing is changed.
func (c *Context) SetCovariance(inputs []Value, cov [][]float64) error {
	k := len(inputs)
	idx := make([]int, k)
	seen := make(map[int]int, k)
	for m, v := range inputs {
		i, err := c.inputIndex("covariance", m, v)
		if err != nil {
			return err
		}
		if p, dup := seen[i]; dup {
			return errCovariance("the same input is given twice",
				fmt.Sprintf("inputs %d and %d are both input %s", p+1, m+1, c.label(i)))
		}
		seen[i] = m
		idx[m] = i
	}
	if len(cov) != k {
		return errCovariance("covariance matrix has the wrong size",
			fmt.Sprintf("%d inputs but %d rows", k, len(cov)))
	}
	for a, row := range cov {
		if len(row) != k {
			return errCovariance("covariance matrix is not square",
				fmt.Sprintf("row %d has %d entries, want %d", a+1, len(row), k))
		}
		for b, x := range row {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return errCovariance("covariance matrix has a non-finite entry",
					fmt.Sprintf("entry (%d,%d) is %v", a+1, b+1, x))
			}
		}
	}
	r := make([]float64, k*k) // the correlation matrix, row-major
	for a := range k {
		ua := c.u[idx[a]]
		d := cov[a][a]
		if math.Abs(d-ua*ua) > covTol*ua*ua {
			return errCovariance("covariance matrix diagonal must equal u² of its input within a relative 1e-12",
				fmt.Sprintf("entry (%d,%d) is %v but input %s has u = %v, u² = %v",
					a+1, a+1, d, c.label(idx[a]), ua, ua*ua))
		}
		r[a*k+a] = 1
		for b := a + 1; b < k; b++ {
			x, y := cov[a][b], cov[b][a]
			if math.Abs(x-y) > covTol*math.Max(math.Abs(x), math.Abs(y)) {
				return errCovariance("covariance matrix is not symmetric",
					fmt.Sprintf("entry (%d,%d) is %v but (%d,%d) is %v", a+1, b+1, x, b+1, a+1, y))
			}
			m := x/2 + y/2
			ub := c.u[idx[b]]
			var rho float64
			switch {
			case m == 0:
			case ua == 0 || ub == 0:
				return errNotPSD(fmt.Sprintf("entry (%d,%d) is %v but an input with u = 0 has covariance 0 with every other", a+1, b+1, m))
			default:
				rho = m / ua / ub
			}
			if math.Abs(rho) > 1+covTol {
				return errNotPSD(fmt.Sprintf("entry (%d,%d) is %v, so r = %v between inputs %s and %s: |r| > 1",
					a+1, b+1, m, rho, c.label(idx[a]), c.label(idx[b])))
			}
			rho = math.Max(-1, math.Min(1, rho))
			r[a*k+b], r[b*k+a] = rho, rho
		}
	}
	if err := checkPSD(k, slices.Clone(r)); err != "" {
		return errNotPSD("covariance matrix: " + err)
	}
	for a := range k {
		for b := a + 1; b < k; b++ {
			c.setPair(idx[a], idx[b], r[a*k+b])
		}
	}
	return nil
}

// Validate checks that the correlations of all inputs together are
// consistent: that the correlation matrix is positive semidefinite, up to
// rounding. U checks this only in the direction of the value it is asked
// about; Validate checks every direction at once, in O(k³) for the k inputs
// that are correlated with another.
func (c *Context) Validate() error {
	pos := make(map[int32]int)
	var list []int
	for _, p := range c.pairs {
		for _, i := range [2]int32{p.i, p.j} {
			if _, ok := pos[i]; !ok {
				pos[i] = len(list)
				list = append(list, int(i))
			}
		}
	}
	k := len(list)
	if k == 0 {
		return nil
	}
	r := make([]float64, k*k)
	for a := range k {
		r[a*k+a] = 1
	}
	for _, p := range c.pairs {
		a, b := pos[p.i], pos[p.j]
		r[a*k+b], r[b*k+a] = p.r, p.r
	}
	if err := checkPSD(k, r); err != "" {
		// checkPSD numbers rows from 1 in list order; name the inputs.
		names := ""
		for n, i := range list {
			if n > 0 {
				names += ", "
			}
			names += c.label(i)
		}
		return errNotPSD("correlation matrix of inputs " + names + ": " + err)
	}
	return nil
}

// psdTol is the pivot tolerance of checkPSD: a Schur-complement pivot of a
// correlation matrix (diagonal 1) down to -psdTol counts as 0.
const psdTol = 1e-10

// checkPSD reports whether the symmetric k×k matrix r (row-major, diagonal
// 1, overwritten) is positive semidefinite up to rounding, by Cholesky
// elimination that allows zero pivots. It returns "" when it is, else why
// not, naming rows from 1.
func checkPSD(k int, r []float64) string {
	for p := range k {
		d := r[p*k+p]
		if d < -psdTol {
			return "a combination of the inputs up to row " + strconv.Itoa(p+1) + " would have a negative variance"
		}
		if d <= psdTol {
			// A (near) zero pivot: for a PSD matrix its whole column of the
			// Schur complement is (near) zero, |s_ip| ≤ √(s_pp·s_ii).
			for i := p + 1; i < k; i++ {
				if math.Abs(r[i*k+p]) > math.Sqrt(psdTol)*(1+math.Sqrt(math.Max(r[i*k+i], 0))) {
					return "rows " + strconv.Itoa(p+1) + " and " + strconv.Itoa(i+1) +
						" are inconsistent with the rows before them"
				}
			}
			continue
		}
		s := math.Sqrt(d)
		for i := p + 1; i < k; i++ {
			r[i*k+p] /= s
		}
		for i := p + 1; i < k; i++ {
			li := r[i*k+p]
			if li == 0 {
				continue
			}
			for j := p + 1; j <= i; j++ {
				r[i*k+j] -= li * r[j*k+p]
				r[j*k+i] = r[i*k+j]
			}
		}
	}
	return ""
}
