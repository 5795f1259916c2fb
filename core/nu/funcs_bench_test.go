package nu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Benchmarks of the elementary functions: BenchmarkApply/<func>/<mode>
// and BenchmarkApply2/<func>/<mode>, next to the bare package math call
// (mode=math), with allocations reported (every one is 0; see
// TestFuncsDoNotAllocate). Inputs cycle through a table of values inside
// each function's domain.

var benchFuncArgs, benchFuncArgs2 [1024]Value

func init() {
	r := rand.New(rand.NewPCG(31, 37))
	for i := range benchFuncArgs {
		benchFuncArgs[i] = Value{0.05 + r.Float64()*0.9, r.Float64() * 0.01}    // in every domain
		benchFuncArgs2[i] = Value{r.Float64()*4 - 2 + 0.01, r.Float64() * 0.01} // exponent, or second argument
	}
}

var bareFuncs = map[Func]func(float64) float64{
	FuncSqrt: math.Sqrt, FuncExp: math.Exp, FuncLog: math.Log, FuncLog10: math.Log10, FuncLog2: math.Log2,
	FuncSin: math.Sin, FuncCos: math.Cos, FuncTan: math.Tan, FuncAsin: math.Asin, FuncAcos: math.Acos,
	FuncAtan: math.Atan, FuncSinh: math.Sinh, FuncCosh: math.Cosh, FuncTanh: math.Tanh, FuncAbs: math.Abs,
}

var bareFuncs2 = map[Func2]func(float64, float64) float64{
	Func2Pow: math.Pow, Func2Atan2: math.Atan2, Func2Hypot: math.Hypot, Func2Min: math.Min, Func2Max: math.Max,
}

func BenchmarkApply(b *testing.B) {
	for _, f := range allFuncs {
		b.Run(f.String()+"/math", func(b *testing.B) {
			g := bareFuncs[f]
			var s float64
			for i := 0; i < b.N; i++ {
				s += g(benchFuncArgs[i&1023].n)
			}
			sinkF = s
		})
		for _, m := range []Mode{ModeNU, ModeInterval} {
			b.Run(f.String()+"/"+m.String(), func(b *testing.B) {
				b.ReportAllocs()
				var v Value
				for i := 0; i < b.N; i++ {
					v, _ = m.Apply(f, benchFuncArgs[i&1023])
				}
				sinkV = v
			})
		}
	}
	// The long argument reduction (Payne–Hanek) of a large argument.
	for _, m := range []Mode{ModeNU, ModeInterval} {
		b.Run("sin-1e300/"+m.String(), func(b *testing.B) {
			b.ReportAllocs()
			var v Value
			for i := 0; i < b.N; i++ {
				v, _ = m.Apply(FuncSin, Value{1e300 * (1 + benchFuncArgs[i&1023].n), benchFuncArgs[i&1023].u})
			}
			sinkV = v
		})
	}
}

func BenchmarkApply2(b *testing.B) {
	for _, f := range allFuncs2 {
		b.Run(f.String()+"/math", func(b *testing.B) {
			g := bareFuncs2[f]
			var s float64
			for i := 0; i < b.N; i++ {
				s += g(benchFuncArgs[i&1023].n, benchFuncArgs2[i&1023].n)
			}
			sinkF = s
		})
		for _, m := range []Mode{ModeNU, ModeInterval} {
			b.Run(f.String()+"/"+m.String(), func(b *testing.B) {
				b.ReportAllocs()
				var v Value
				for i := 0; i < b.N; i++ {
					v, _ = m.Apply2(f, benchFuncArgs[i&1023], benchFuncArgs2[i&1023])
				}
				sinkV = v
			})
		}
	}
	// pow with an exact integer exponent (the integer-power rules).
	for _, m := range []Mode{ModeNU, ModeInterval} {
		b.Run("pow-int/"+m.String(), func(b *testing.B) {
			b.ReportAllocs()
			var v Value
			for i := 0; i < b.N; i++ {
				v, _ = m.Apply2(Func2Pow, benchFuncArgs2[i&1023], Value{float64(i&7 + 2), 0})
			}
			sinkV = v
		})
	}
}
