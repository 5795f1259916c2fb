package mc

import (
	"math"
	"strconv"
	"strings"
)

// Histogram counts the output values in Bins equal bins between Lo and Hi,
// a range that holds the central 99.8 % of the values and the coverage
// interval with a margin; Below and Above count the values outside it.
type Histogram struct {
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	Counts []int   `json:"counts"`
	Below  int     `json:"below"`
	Above  int     `json:"above"`
}

// sum returns Σxs in order with Neumaier's compensation.
func sum(xs []float64) float64 {
	var s, c float64
	for _, x := range xs {
		s, c = neumaier(s, c, x)
	}
	return s + c
}

// meanSD returns the mean and the standard deviation (with M−1, GUM-S1
// 7.6) of ys, in two passes. Neither overflows for finite ys: a sum that
// would is taken over ys scaled by 2⁻⁶⁴ (exactly), and the squares of the
// deviations are scaled by the largest deviation.
func meanSD(ys []float64) (mean, sd float64) {
	m := float64(len(ys))
	mean = sum(ys) / m
	if math.IsInf(mean, 0) || math.IsNaN(mean) {
		var s, c float64
		for _, y := range ys {
			s, c = neumaier(s, c, y*0x1p-64)
		}
		mean = (s + c) / m * 0x1p64
	}
	if len(ys) < 2 {
		return mean, 0
	}
	var big float64
	for _, y := range ys {
		big = math.Max(big, math.Abs(y-mean))
	}
	if big == 0 {
		return mean, 0
	}
	half := math.IsInf(big, 0) // y − mean overflows: halve before subtracting
	if half {
		big = 0
		for _, y := range ys {
			big = math.Max(big, math.Abs(y/2-mean/2))
		}
	}
	var s, c float64
	for _, y := range ys {
		d := (y - mean) / big
		if half {
			d = (y/2 - mean/2) / big
		}
		s, c = neumaier(s, c, float64(d*d))
	}
	sd = big * math.Sqrt((s+c)/(m-1))
	if half {
		sd *= 2
	}
	return mean, sd
}

// neumaier adds x to the compensated sum s + c.
func neumaier(s, c, x float64) (float64, float64) {
	t := s + x
	if math.Abs(s) >= math.Abs(x) {
		c += (s - t) + x
	} else {
		c += (x - t) + s
	}
	return t, c
}

// summarise computes a Result from the output values (it sorts ys).
func summarise(ys []float64, o Options) Result {
	res := Result{Draws: len(ys), Seed: o.Seed, P: o.P, Shortest: o.Shortest}
	res.Mean, res.U = meanSD(ys)
	sortFloats(ys)
	res.Min, res.Max = ys[0], ys[len(ys)-1]
	res.Lo, res.Hi = Interval(ys, o.P, o.Shortest)
	res.Histogram = histogram(ys, o.Bins, res.Lo, res.Hi)
	return res
}

// Interval returns the 100p % coverage interval of the sorted values ys
// (GUM-S1 7.7): with q = pM rounded to the nearest integer (halves up), the
// probabilistically symmetric interval [y_(r), y_(r+q)] with r = (M−q)/2,
// rounded up when it is not an integer, or with shortest the [y_(r),
// y_(r+q)] of least width (the first when several tie). Indices count from
// 1, as in GUM-S1. It needs M ≥ 1/(1−p) so that q < M.
func Interval(ys []float64, p float64, shortest bool) (lo, hi float64) {
	m := len(ys)
	pm := p * float64(m)
	q := int(math.Floor(pm + 0.5))
	if pm == math.Floor(pm) {
		q = int(pm)
	}
	q = min(max(q, 0), m-1)
	r := (m - q + 1) / 2 // (M−q)/2, or the integer part of (M−q+1)/2
	if r < 1 {
		r = 1
	}
	if shortest {
		best := math.Inf(1)
		for s := 1; s+q <= m; s++ {
			if w := ys[s+q-1] - ys[s-1]; w < best {
				best, r = w, s
			}
		}
	}
	return ys[r-1], ys[min(r+q, m)-1]
}

func histogram(ys []float64, bins int, lo, hi float64) Histogram {
	m := len(ys)
	a, b := ys[m/1000], ys[m-1-m/1000]
	a, b = math.Min(a, lo), math.Max(b, hi)
	pad := b/20 - a/20 // halves: b − a may overflow
	h := Histogram{Lo: clampFinite(a - pad), Hi: clampFinite(b + pad), Counts: make([]int, bins)}
	w := (h.Hi/2 - h.Lo/2) / float64(bins) // half a bin's width
	if !(w > 0) {
		// Every value equal, or a range too narrow to split into bins (a
		// few subnormals apart): the range around a that holds them all.
		r := math.Max(math.Abs(a)/2, 0.5)
		h.Lo, h.Hi = a-r, a+r
		w = (h.Hi/2 - h.Lo/2) / float64(bins)
	}
	for _, y := range ys {
		switch {
		case y < h.Lo:
			h.Below++
		case y >= h.Hi:
			h.Above++
		default:
			h.Counts[min(max(int((y/2-h.Lo/2)/w), 0), bins-1)]++
		}
	}
	return h
}

// clampFinite returns x, or ±MaxFloat64 for ±Inf.
func clampFinite(x float64) float64 { return math.Max(-math.MaxFloat64, math.Min(math.MaxFloat64, x)) }

// Tolerance returns the numerical tolerance of u to the given significant
// digits (GUM-S1 7.9.2): with u written c × 10^l where c has that many
// digits, ½ × 10^l. Tolerance(0.0539, 2) is 0.0005. It is computed from the
// decimal digits strconv gives, so it is exact and the same everywhere.
func Tolerance(u float64, digits int) float64 {
	if !(u > 0) || math.IsInf(u, 0) {
		return 0
	}
	s := strconv.FormatFloat(u, 'e', digits-1, 64) // d.ddde±XX
	e, _ := strconv.Atoi(s[strings.LastIndexByte(s, 'e')+1:])
	t, _ := strconv.ParseFloat("5e"+strconv.Itoa(e-digits), 64)
	return t
}

// Comparison is the validation of a first-order result by Monte Carlo
// (GUM-S1 8.2): the distances between the ends of the two 100p % coverage
// intervals, and whether both are within the numerical tolerance of the
// first-order standard uncertainty.
type Comparison struct {
	DLow      float64 `json:"d_low"`
	DHigh     float64 `json:"d_high"`
	Tolerance float64 `json:"tolerance"`
	Agree     bool    `json:"agree"`
}

// Compare validates the first-order interval y ± U (U = k·u, the expanded
// uncertainty for the same coverage probability) against the Monte Carlo
// interval [lo, hi], to the given significant digits of u (GUM-S1 8.2).
func Compare(y, u, expanded, lo, hi float64, digits int) Comparison {
	c := Comparison{DLow: math.Abs(y - expanded - lo), DHigh: math.Abs(y + expanded - hi), Tolerance: Tolerance(u, digits)}
	c.Agree = c.DLow <= c.Tolerance && c.DHigh <= c.Tolerance
	return c
}
