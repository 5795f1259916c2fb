// Package mc propagates probability distributions through a model by the
// Monte Carlo method of JCGM 101:2008, the GUM's Supplement 1 (GUM-S1):
// draw each input from its distribution, evaluate the model once per draw,
// and summarise the output's distribution by its mean, standard deviation
// and a coverage interval.
//
// # Reproducible bit for bit
//
// A run is a function of its inputs, its model, the number of draws and the
// seed, and of nothing else: not of the platform, the batch size or the
// time. Each input has its own generator, a PCG (math/rand/v2) seeded with
// the run's seed and the input's index, whose integer stream is portable;
// variates are made from it with arithmetic, math.Sqrt and core/pmath
// (normal: Marsaglia's polar method; t: Bailey's polar method; uniform and
// triangular: from 53-bit uniforms), every product rounded before it is
// added; and summaries are sums in draw order. So the CLI, the server and
// the browser (wasm) give the same bits, which a test checks, and anyone can
// re-run a logged analysis from its record.
//
// # What it computes
//
// [Run] makes Options.Draws draws (GUM-S1 7.2–7.6) or, with
// Options.Adaptive, rounds of max(10⁴, 100/(1−p)) draws until the mean, the
// standard deviation and both ends of the coverage interval are stable to
// the numerical tolerance of Options.Digits significant digits of the
// standard deviation (GUM-S1 7.9). The coverage interval is probabilistically
// symmetric, or the shortest with Options.Shortest (GUM-S1 7.7). [Compare]
// is the validation of GUM-S1 8: does the first-order interval agree with
// the Monte Carlo one within the numerical tolerance?
//
// Correlated inputs must be normal; they are drawn jointly from the
// multivariate normal with the given correlation matrix (GUM-S1 6.4.8),
// through its Cholesky factor.
//
// A draw for which the model gives NaN or an infinity (the square root of a
// negative draw, a division by a draw of 0) stops the run with an error
// that names the draw and its inputs: GUM-S1 requires the model to be
// defined wherever the inputs' distributions put probability.
//
// The package does no I/O. Memory is 8 bytes per draw (the output values,
// kept to find the coverage interval) plus a batch of each input.
package mc

import (
	"math"
	"slices"
	"strconv"
)

// Limits on the work one run may be asked for.
const (
	DefaultDraws = 1_000_000
	MaxDraws     = 10_000_000 // 80 MB of output values
	batchSize    = 4096
)

// Input is one of the model's inputs: its name (for messages and records)
// and its distribution.
type Input struct {
	Name string
	Dist Dist
}

// Options control a run. The zero value makes DefaultDraws draws with seed
// 0 and gives a 95 % probabilistically symmetric interval.
type Options struct {
	// Draws is the number of draws M (DefaultDraws if 0), at most
	// MaxDraws. With Adaptive it is the most the run may make.
	Draws int
	// Seed selects the pseudo-random streams.
	Seed uint64
	// P is the coverage probability (0.95 if 0).
	P float64
	// Shortest asks for the shortest coverage interval instead of the
	// probabilistically symmetric one.
	Shortest bool
	// Adaptive runs GUM-S1 7.9's adaptive procedure, to Digits significant
	// digits of the standard deviation (2 if 0).
	Adaptive bool
	Digits   int
	// Bins is the number of histogram bins (50 if 0).
	Bins int
	// Progress, when set, is called after every batch with the number of
	// draws made and the number planned (with Adaptive, those of the rounds
	// begun); the run stops with CodeCanceled when it returns false.
	Progress func(done, planned int) bool
}

// Result summarises the output's distribution.
type Result struct {
	Draws    int     `json:"draws"`
	Seed     uint64  `json:"seed,string"` // a string in JSON: JavaScript numbers hold 53 bits
	Mean     float64 `json:"mean"`
	U        float64 `json:"u"` // standard deviation of the output values
	P        float64 `json:"p"`
	Lo       float64 `json:"lo"` // coverage interval
	Hi       float64 `json:"hi"`
	Shortest bool    `json:"shortest,omitempty"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`

	// Adaptive runs: the rounds made, whether the results became stable
	// before Options.Draws was reached, and the numerical tolerance δ.
	Adaptive  bool    `json:"adaptive,omitempty"`
	Rounds    int     `json:"rounds,omitempty"`
	Converged bool    `json:"converged,omitempty"`
	Tolerance float64 `json:"tolerance,omitempty"`
	Digits    int     `json:"digits,omitempty"`

	Histogram Histogram `json:"histogram"`
}

// Model evaluates the model for one batch: in[i][j] is draw j of input i;
// it writes the output of draw j to out[j]. Every in[i] and out have the
// same length. A model error stops the run and is returned as is.
type Model func(in [][]float64, out []float64) error

// Run draws the inputs, evaluates the model and summarises the outputs.
// corr, when not nil, is the correlation matrix of the inputs
// (corr[i][j] = r_ij, 1 on the diagonal); inputs with a nonzero
// correlation must be normal.
func Run(inputs []Input, corr [][]float64, model Model, opt Options) (Result, error) {
	o, err := opt.normalised()
	if err != nil {
		return Result{}, err
	}
	for _, in := range inputs {
		if err := in.Dist.check(in.Name); err != nil {
			return Result{}, err
		}
	}
	g, err := newGen(inputs, corr, o.Seed)
	if err != nil {
		return Result{}, err
	}
	r := runner{inputs: inputs, gen: g, model: model, opt: o}
	if o.Adaptive {
		return r.adaptive()
	}
	ys, err := r.draw(nil, o.Draws, o.Draws)
	if err != nil {
		return Result{}, err
	}
	return summarise(ys, o), nil
}

func (o Options) normalised() (Options, error) {
	if o.Draws == 0 {
		o.Draws = DefaultDraws
	}
	if o.P == 0 {
		o.P = 0.95
	}
	if o.Digits == 0 {
		o.Digits = 2
	}
	if o.Bins == 0 {
		o.Bins = 50
	}
	switch {
	case !(o.P > 0 && o.P < 1):
		return o, errOption("the coverage probability must be strictly between 0 and 1")
	case o.Draws < 0 || o.Draws > MaxDraws:
		return o, errOption("the number of draws must be between 1 and 10000000")
	case !o.Adaptive && float64(o.Draws) < 1/(1-o.P):
		// GUM-S1 7.2.2: M should be much larger than 1/(1−p); below it
		// the coverage interval is the whole sample or undefined.
		return o, errOption("too few draws for the coverage probability: at least 1/(1−p) are needed, and GUM-S1 7.2.2 advises 10⁴ times more")
	case o.Adaptive && o.Draws < 2*adaptiveRound(o.P):
		// Stability is judged between rounds: fewer than two cannot be.
		return o, errOption("an adaptive run needs room for at least two rounds: at least " +
			strconv.Itoa(2*adaptiveRound(o.P)) + " draws (0 asks for the limit)")
	case o.Digits < 1 || o.Digits > 6:
		return o, errOption("the significant digits of the adaptive procedure must be between 1 and 6")
	case o.Bins < 1 || o.Bins > 1000:
		return o, errOption("the number of histogram bins must be between 1 and 1000")
	}
	return o, nil
}

type runner struct {
	inputs []Input
	gen    *gen
	model  Model
	opt    Options
	in     [][]float64
	done   int
}

// draw appends n more output values to ys, reporting progress against
// planned.
func (r *runner) draw(ys []float64, n, planned int) ([]float64, error) {
	if r.in == nil {
		r.in = make([][]float64, len(r.inputs))
		for i := range r.in {
			r.in[i] = make([]float64, batchSize)
		}
	}
	ys = slices.Grow(ys, n)
	for n > 0 {
		b := min(n, batchSize)
		in := r.in
		for i := range in {
			in[i] = in[i][:b]
		}
		r.gen.fill(in)
		start := len(ys)
		ys = ys[:start+b]
		out := ys[start:]
		if err := r.model(in, out); err != nil {
			return nil, err
		}
		for j, y := range out {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				return nil, errUndefined(r.done+j+1, y, r.inputs, in, j)
			}
		}
		r.done += b
		n -= b
		if r.opt.Progress != nil && !r.opt.Progress(r.done, planned) {
			return nil, errCanceled(r.done)
		}
	}
	return ys, nil
}

// adaptive is GUM-S1 7.9.4: rounds of m draws until twice the standard
// deviation of the rounds' means, standard deviations and interval ends is
// within the numerical tolerance of the standard deviation of all draws.
func (r *runner) adaptive() (Result, error) {
	o := r.opt
	m := adaptiveRound(o.P)
	var ys []float64
	var stats [4][]float64 // per round: mean, u, lo, hi
	for {
		planned := len(ys) + m
		if planned > o.Draws {
			res := summarise(ys, o)
			res.Adaptive, res.Rounds, res.Digits = true, len(stats[0]), o.Digits
			res.Tolerance = Tolerance(res.U, o.Digits)
			return res, nil
		}
		var err error
		start := len(ys)
		ys, err = r.draw(ys, m, planned)
		if err != nil {
			return Result{}, err
		}
		round := summarise(slices.Clone(ys[start:]), Options{P: o.P, Shortest: o.Shortest, Bins: 1})
		for k, v := range [4]float64{round.Mean, round.U, round.Lo, round.Hi} {
			stats[k] = append(stats[k], v)
		}
		if len(stats[0]) < 2 {
			continue
		}
		_, u := meanSD(ys)
		delta := Tolerance(u, o.Digits)
		stable := true
		for k := range stats {
			if 2*sdOfMean(stats[k]) > delta {
				stable = false
			}
		}
		if stable {
			res := summarise(ys, o)
			res.Adaptive, res.Rounds, res.Converged, res.Digits = true, len(stats[0]), true, o.Digits
			res.Tolerance = Tolerance(res.U, o.Digits)
			return res, nil
		}
	}
}

// adaptiveRound is the number of draws of one round of the adaptive
// procedure, max(10⁴, 100/(1−p)) (GUM-S1 7.9.4 a).
func adaptiveRound(p float64) int { return max(10_000, int(math.Ceil(100/(1-p)))) }

// sdOfMean returns the standard deviation of the mean of xs:
// √(Σ(x−x̄)²/(h(h−1))), GUM-S1 7.9.4 d).
func sdOfMean(xs []float64) float64 {
	h := float64(len(xs))
	mean := sum(xs) / h
	var s float64
	for _, x := range xs {
		d := x - mean
		s += float64(d * d)
	}
	return math.Sqrt(s / (h * (h - 1)))
}
