package pmath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// pureMath lists, per GOARCH, the functions for which Go's math package runs
// its pure-Go code (no assembly). Where the compiler does not fuse either,
// pmath must give exactly math's bits for these: pmath is the same
// algorithm with the same roundings. On js/wasm math has no assembly at all.
var pureMath = map[string]string{
	"wasm":  "Exp Log Log10 Log2 Sqrt Sin Cos Tan Asin Acos Atan Atan2 Sinh Cosh Tanh Pow Hypot",
	"amd64": "Sqrt Sin Cos Tan Asin Acos Atan Atan2",
	"386":   "Sqrt Sin Cos Tan Asin Acos Atan Atan2",
}

func exactOnThisPlatform(name string) bool {
	if name == "Sqrt" {
		return true // correctly rounded everywhere
	}
	return !compilerFuses && strings.Contains(" "+pureMath[runtime.GOARCH]+" ", " "+name+" ")
}

// mathComparable reports whether math's results here are a meaningful
// reference: on amd64 (without GOAMD64=v3) math's pure-Go code rounds every
// operation like pmath and its assembly is checked with maxULP and
// mathWrong; on wasm math is all pure Go. Where the compiler fuses
// multiply-adds (arm64, ppc64le, s390x, riscv64, loong64, amd64.v3), math's
// pure-Go results move by up to 1e15 ulps where terms cancel (Log2 near 1)
// and its assembly differs at the underflow edge, so the tests that compare
// with math skip there: TestGoldenHashes shows that pmath gives the same bits
// there as on amd64, where they are compared with math.
func mathComparable() bool {
	return (runtime.GOARCH == "amd64" && !compilerFuses) || runtime.GOARCH == "wasm"
}

func skipUnlessMathComparable(t testing.TB) {
	t.Helper()
	if !mathComparable() {
		t.Skipf("math's results on %s are not a reference (see mathComparable); TestGoldenHashes checks pmath here", runtime.GOARCH)
	}
}

// maxULP is the largest distance in ulps allowed between a finite non-zero
// pmath result and math's on a platform where math differs from Go's pure-Go
// code (assembly, or fused multiply-adds). The values are the largest
// measured on linux/amd64 (see mathComparable for the other platforms).
// pmath's own error against the exact value is measured in TestExactError:
// where math on amd64 is two ulps from pmath, it is math.Exp's FMA assembly
// that is more than one ulp off (up to about 1.5 ulp), and the
// functions built on Exp (Sinh, Cosh, Tanh, Pow) inherit that.
func maxULP(name string) uint64 {
	switch name {
	case "Exp", "Cosh", "Tanh":
		return 2
	case "Sinh":
		return 3
	case "Pow":
		return 5
	}
	return 1
}

// mathWrong reports whether math's result at (x, y) is known to be wrong on
// this platform, so that the test compares pmath with the exact value
// instead (with tolerance exactTolerance):
//
//   - math.Log on amd64 and s390x (assembly) ignores the exponent of
//     subnormal arguments: math.Log(5e-324) = -709.09, not -744.44 (Go issue
//     56600); math.Log10 and math.Pow with a non-integer exponent inherit it.
//   - math.Exp on amd64 (assembly) returns +Inf from x ≈ 709.436 instead of
//     709.7827, although e^x is below MaxFloat64 up to there; math.Sinh and
//     math.Cosh inherit it.
func mathWrong(name string, x, y float64) bool {
	arch := runtime.GOARCH
	subnormal := x != 0 && math.Abs(x) < 0x1p-1022
	switch name {
	case "Log", "Log10":
		return (arch == "amd64" || arch == "s390x") && subnormal && x > 0
	case "Pow":
		_, yf := math.Modf(y)
		return (arch == "amd64" || arch == "s390x") && subnormal && x > 0 && yf != 0 && !math.IsInf(y, 0) && !math.IsNaN(y)
	case "Exp":
		return arch == "amd64" && x > 709.436 && x <= 7.09782712893383973096e+02
	case "Sinh", "Cosh":
		return arch == "amd64" && math.Abs(x) > 709.436 && math.Abs(x) <= 7.09782712893383973096e+02
	}
	return false
}

// exactTolerance is the error in ulps of the exact value allowed for pmath
// where mathWrong. For Pow it is the error of Go's algorithm, which takes
// Exp(yf*Log(x)): near Log(x) = -744 the rounding of Log(x) alone is worth
// about 128 ulps of the result.
func exactTolerance(name string) float64 {
	switch name {
	case "Log10":
		return 2
	case "Pow":
		return 512
	}
	return 1
}

// randomCount is the number of random arguments per function in
// TestAgainstMath.
func randomCount() int {
	if testing.Short() {
		return 100_000
	}
	return 1_000_000 / wasmDivisor
}

// TestAgainstMath compares each function with math's at randomCount()
// random arguments from the function's generators (wide ranges, huge and
// tiny values, random bit patterns): special results must be identical,
// finite ones within maxULP (exactly equal where exactOnThisPlatform).
// With -v it logs, per function, the largest distance and how many results
// differ at all.
func TestAgainstMath(t *testing.T) {
	skipUnlessMathComparable(t)
	n := randomCount()
	for i := range functions {
		f := &functions[i]
		t.Run(f.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(0x5eed, uint64(i)))
			var worst uint64
			var worstAt string
			hist := map[uint64]int{}
			fails, wrong := 0, 0
			for k := 0; k < n; k++ {
				x, y := f.draw(r, k)
				got, want := f.call(x, y)
				d := ulps(got, want)
				if mathWrong(f.name, x, y) {
					wrong++
				} else if !special(got) && !special(want) {
					hist[d]++
					if d > worst {
						worst, worstAt = d, f.show(x, y)
					}
				}
				if fails < 10 {
					before := t.Failed()
					ft := &countingTB{TB: t}
					checkOne(ft, f, x, y, got, want)
					if ft.failed || (t.Failed() && !before) {
						fails++
					}
				}
			}
			var parts []string
			for d := uint64(0); d <= worst && d < 8; d++ {
				if hist[d] > 0 {
					parts = append(parts, fmt.Sprintf("%d ulp: %d", d, hist[d]))
				}
			}
			note := ""
			if wrong > 0 {
				note = fmt.Sprintf("; %d where math is known to be wrong, checked against the exact value", wrong)
			}
			t.Logf("%s: %d arguments, max %d ulp (at %s); %s%s", f.name, n, worst, worstAt, strings.Join(parts, ", "), note)
		})
	}
}

type countingTB struct {
	testing.TB
	failed bool
}

func (c *countingTB) Errorf(format string, args ...any) {
	c.failed = true
	c.TB.Helper()
	c.TB.Errorf(format, args...)
}
