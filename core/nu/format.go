package nu

import (
	"math"
	"strconv"
	"strings"
)

// String formats v as "n ± u" with u rounded to two significant digits and n
// rounded to the same decimal place, e.g. "200 ± 14". See [Value.Format].
func (v Value) String() string { return v.Format(2) }

// Format writes "n ± u" with u rounded to sig significant digits (at least 1)
// and n to the same decimal place: fixed notation for moderate magnitudes,
// "2.00e20 ± 0.14e20" otherwise. An exact value prints as its shortest round-trip
// form; an infinite u prints as "inf". [Parse] reads every output back.
func (v Value) Format(sig int) string {
	if sig < 1 {
		sig = 1
	}
	switch {
	case v.u == 0:
		return strconv.FormatFloat(v.n, 'g', -1, 64)
	case math.IsInf(v.u, 1):
		return strconv.FormatFloat(v.n, 'g', -1, 64) + " ± inf"
	}
	es := strconv.FormatFloat(v.u, 'e', sig-1, 64)
	eu, _ := strconv.Atoi(es[strings.IndexByte(es, 'e')+1:])
	decimals := sig - 1 - eu
	big := math.Max(math.Abs(v.n), v.u)
	if big < 1e15 && decimals >= 0 && decimals <= 15 {
		return strconv.FormatFloat(v.n, 'f', decimals, 64) + " ± " + strconv.FormatFloat(v.u, 'f', decimals, 64)
	}
	if big < 1e15 && decimals < 0 {
		p := math.Pow10(-decimals)
		return strconv.FormatFloat(math.Round(v.n/p)*p, 'f', 0, 64) + " ± " + strconv.FormatFloat(math.Round(v.u/p)*p, 'f', 0, 64)
	}
	// Scientific with the exponent of the larger of |n| and u.
	e := eu
	if v.n != 0 {
		en := int(math.Floor(math.Log10(math.Abs(v.n))))
		if en > e {
			e = en
		}
	}
	d := e - eu + sig - 1
	p := math.Pow10(e)
	if p == 0 || math.IsInf(p, 0) { // beyond Pow10's range: scale in two steps
		return v.FormatFull()
	}
	x := "e" + strconv.Itoa(e)
	return strconv.FormatFloat(v.n/p, 'f', d, 64) + x + " ± " + strconv.FormatFloat(v.u/p, 'f', d, 64) + x
}

// FormatFull writes "n ± u" with both numbers in the shortest form that
// parses back to exactly the same float64.
func (v Value) FormatFull() string {
	if math.IsInf(v.u, 1) {
		return strconv.FormatFloat(v.n, 'g', -1, 64) + " ± inf"
	}
	return strconv.FormatFloat(v.n, 'g', -1, 64) + " ± " + strconv.FormatFloat(v.u, 'g', -1, 64)
}
