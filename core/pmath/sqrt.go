package pmath

import "math"

// Sqrt returns the square root of x.
//
// It is math.Sqrt, which IEEE 754 requires to be correctly rounded and which
// therefore returns the same bits on every platform, whether it is a machine
// instruction or Go's pure-Go fallback. It is here so that code using pmath
// finds the whole set of functions in one package.
//
// Special cases are:
//
//	Sqrt(+Inf) = +Inf
//	Sqrt(±0) = ±0
//	Sqrt(x < 0) = NaN
//	Sqrt(NaN) = NaN
func Sqrt(x float64) float64 {
	return math.Sqrt(x)
}
