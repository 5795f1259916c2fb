package nu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Benchmarks of every operation, next to the bare float64 expression of the
// same formula so that `go test -bench . -count 6 | benchstat` compares them
// in one run. Inputs cycle through a table so nothing is constant-folded.

var (
	benchA, benchB [1024]Value
	sinkV          Value
	sinkF          float64
)

func init() {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range benchA {
		benchA[i] = Value{r.Float64()*200 - 100, r.Float64() * 5}
		benchB[i] = Value{r.Float64()*200 + 10, r.Float64() * 5}
	}
}

// BenchmarkAdd and BenchmarkMul run the operation and the bare float64
// formula as sub-benchmarks impl=nu and impl=bare; compare them with
// `benchstat -col /impl`.
func BenchmarkAdd(b *testing.B) {
	b.Run("impl=bare", func(b *testing.B) {
		var n, u float64
		for i := 0; i < b.N; i++ {
			x, y := &benchA[i&1023], &benchB[i&1023]
			n = x.n + y.n
			u = math.Sqrt(x.u*x.u + y.u*y.u)
		}
		sinkF = n + u
	})
	b.Run("impl=nu", func(b *testing.B) { benchBinary(b, Add) })
}

func BenchmarkMul(b *testing.B) {
	b.Run("impl=bare", func(b *testing.B) {
		var n, u float64
		for i := 0; i < b.N; i++ {
			x, y := &benchA[i&1023], &benchB[i&1023]
			n = x.n * y.n
			p, q, r := x.n*y.u, y.n*x.u, x.u*y.u
			u = math.Sqrt(p*p + q*q + r*r)
		}
		sinkF = n + u
	})
	b.Run("impl=nu", func(b *testing.B) { benchBinary(b, Mul) })
}

func benchBinary(b *testing.B, op func(a, b Value) (Value, error)) {
	b.ReportAllocs()
	var v Value
	for i := 0; i < b.N; i++ {
		v, _ = op(benchA[i&1023], benchB[i&1023])
	}
	sinkV = v
}

func BenchmarkSub(b *testing.B)         { benchBinary(b, Sub) }
func BenchmarkDiv(b *testing.B)         { benchBinary(b, Div) }
func BenchmarkCompose(b *testing.B)     { benchBinary(b, Compose) }
func BenchmarkIntervalAdd(b *testing.B) { benchBinary(b, IntervalAdd) }
func BenchmarkIntervalSub(b *testing.B) { benchBinary(b, IntervalSub) }
func BenchmarkIntervalMul(b *testing.B) { benchBinary(b, IntervalMul) }
func BenchmarkIntervalDiv(b *testing.B) { benchBinary(b, IntervalDiv) }
func BenchmarkIntervalCompose(b *testing.B) {
	benchBinary(b, func(x, y Value) (Value, error) { return IntervalCompose(x, Value{x.n + y.u/4, y.u}) })
}
func BenchmarkScale(b *testing.B) {
	benchBinary(b, func(x, y Value) (Value, error) { return Scale(y.n, x) })
}
func BenchmarkIntervalScale(b *testing.B) {
	benchBinary(b, func(x, y Value) (Value, error) { return IntervalScale(y.n, x) })
}
func BenchmarkFlip(b *testing.B) {
	benchBinary(b, func(x, _ Value) (Value, error) { return Flip(x), nil })
}
func BenchmarkCatch(b *testing.B) {
	benchBinary(b, func(x, y Value) (Value, error) { return Catch(x.n, x.u-y.u, 0), nil })
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkV, _ = Parse("5.23(12)")
	}
}

// TestOperationsDoNotAllocate makes the zero-allocation claim a test, not
// only a benchmark column.
func TestOperationsDoNotAllocate(t *testing.T) {
	a, c := MustNew(3, 0.5), MustNew(-7, 0.25)
	ops := map[string]func(){
		"Add": func() { sinkV, _ = Add(a, c) }, "Sub": func() { sinkV, _ = Sub(a, c) },
		"Mul": func() { sinkV, _ = Mul(a, c) }, "Div": func() { sinkV, _ = Div(a, c) },
		"Scale": func() { sinkV, _ = Scale(3, a) }, "Compose": func() { sinkV, _ = Compose(a, c) },
		"Flip": func() { sinkV = Flip(a) }, "Catch": func() { sinkV = Catch(1, -1, 0) },
		"IntervalAdd": func() { sinkV, _ = IntervalAdd(a, c) }, "IntervalSub": func() { sinkV, _ = IntervalSub(a, c) },
		"IntervalMul": func() { sinkV, _ = IntervalMul(a, c) }, "IntervalDiv": func() { sinkV, _ = IntervalDiv(a, c) },
		"IntervalScale": func() { sinkV, _ = IntervalScale(3, a) }, "IntervalCompose": func() { sinkV, _ = IntervalCompose(a, MustNew(3.1, 1)) },
	}
	for name, f := range ops {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}

// BenchmarkValueUnmarshalJSON reads a value as a ledger entry writes it
// (the fast path) and with an escaped name (the tokenizer).
func BenchmarkValueUnmarshalJSON(b *testing.B) {
	for _, c := range []struct{ name, in string }{
		{"plain", `{"n":8,"u":0.223606797749979}`},
		{"escaped", `{"\u006e":8,"u":0.223606797749979}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			in := []byte(c.in)
			b.ReportAllocs()
			for b.Loop() {
				var v Value
				if err := v.UnmarshalJSON(in); err != nil {
					b.Fatal(err)
				}
				sinkV = v
			}
		})
	}
}
