package pmath

import (
	"math"
	"testing"
)

// The benchmarks time each function against math's at a few typical
// arguments (go test -bench . ./core/pmath/; the results are in
// docs/benchmarks.md). The arguments come from a slice so that the compiler
// cannot fold the calls, and the results go to a sink.

var (
	sink float64

	benchExp   = []float64{-3.7, 0.25, 1.5, 12.3, -40.1, 300.7, 1e-3, -0.9}
	benchLog   = []float64{0.37, 1.5, 2.25, 10.7, 1e-5, 3e8, 0.999, 1234.5}
	benchTrig  = []float64{0.3, -1.2, 2.9, 10.5, -100.25, 1e4 + 0.1, 0.7, 5.5}
	benchHuge  = []float64{1e10, -3.3e15, 7e22, 1.5e100, -2e200, 6.6e300, 9.9e29, 1e9}
	benchUnit  = []float64{0.1, -0.35, 0.5, 0.72, -0.9, 0.99, -0.01, 0.3}
	benchAtan  = []float64{0.1, -0.5, 0.8, 1.7, -3.4, 42, 1e5, -0.65}
	benchHyp   = []float64{0.1, -0.4, 0.9, 2.5, -7.7, 15, 30, -0.55}
	benchPowX  = []float64{2.5, 0.3, 10, 1.0001, 7.7, 0.9, 123.4, 3}
	benchPowY  = []float64{1.5, -2.25, 0.3, 1000.5, 3, -0.7, 2.5, 17}
	benchPairY = []float64{1.5, -2.25, 0.3, -10.5, 3, -0.7, 2.5, 17}
)

func bench1(b *testing.B, f func(float64) float64, args []float64) {
	s := 0.0
	for i := 0; i < b.N; i++ {
		s += f(args[i&7])
	}
	sink = s
}

func bench2(b *testing.B, f func(float64, float64) float64, xs, ys []float64) {
	s := 0.0
	for i := 0; i < b.N; i++ {
		s += f(xs[i&7], ys[i&7])
	}
	sink = s
}

func BenchmarkExp(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Exp, benchExp) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Exp, benchExp) })
}

func BenchmarkLog(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Log, benchLog) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Log, benchLog) })
}

func BenchmarkLog10(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Log10, benchLog) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Log10, benchLog) })
}

func BenchmarkLog2(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Log2, benchLog) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Log2, benchLog) })
}

func BenchmarkPow(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench2(b, Pow, benchPowX, benchPowY) })
	b.Run("math", func(b *testing.B) { bench2(b, math.Pow, benchPowX, benchPowY) })
}

func BenchmarkSqrt(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Sqrt, benchLog) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Sqrt, benchLog) })
}

func BenchmarkSin(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Sin, benchTrig) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Sin, benchTrig) })
}

func BenchmarkSinHuge(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Sin, benchHuge) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Sin, benchHuge) })
}

func BenchmarkCos(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Cos, benchTrig) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Cos, benchTrig) })
}

func BenchmarkTan(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Tan, benchTrig) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Tan, benchTrig) })
}

func BenchmarkAsin(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Asin, benchUnit) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Asin, benchUnit) })
}

func BenchmarkAcos(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Acos, benchUnit) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Acos, benchUnit) })
}

func BenchmarkAtan(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Atan, benchAtan) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Atan, benchAtan) })
}

func BenchmarkAtan2(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench2(b, Atan2, benchAtan, benchPairY) })
	b.Run("math", func(b *testing.B) { bench2(b, math.Atan2, benchAtan, benchPairY) })
}

func BenchmarkSinh(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Sinh, benchHyp) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Sinh, benchHyp) })
}

func BenchmarkCosh(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Cosh, benchHyp) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Cosh, benchHyp) })
}

func BenchmarkTanh(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench1(b, Tanh, benchHyp) })
	b.Run("math", func(b *testing.B) { bench1(b, math.Tanh, benchHyp) })
}

func BenchmarkHypot(b *testing.B) {
	b.Run("pmath", func(b *testing.B) { bench2(b, Hypot, benchAtan, benchPairY) })
	b.Run("math", func(b *testing.B) { bench2(b, math.Hypot, benchAtan, benchPairY) })
}
