package mc

import (
	"slices"
	"testing"
)

// BenchmarkSort compares sortFloats with slices.Sort on 10⁶ normal draws.
func BenchmarkSort(b *testing.B) {
	s := newStream(1, 0)
	ys := make([]float64, 1_000_000)
	for i := range ys {
		ys[i] = s.normal()
	}
	work := make([]float64, len(ys))
	for _, bc := range []struct {
		name string
		sort func([]float64)
	}{{"radix", sortFloats}, {"slices", slices.Sort[[]float64]}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				copy(work, ys)
				bc.sort(work)
			}
		})
	}
}

// BenchmarkDraw is the cost of one draw of each distribution.
func BenchmarkDraw(b *testing.B) {
	for _, d := range []Dist{NewNormal(0, 1), NewUniform(0, 1), NewTriangular(0, 1), NewStudentT(0, 1, 5)} {
		b.Run(d.Kind.String(), func(b *testing.B) {
			s := newStream(1, 0)
			x := make([]float64, batchSize)
			for b.Loop() {
				s.fill(d, x, nil)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/batchSize, "ns/draw")
		})
	}
}
