package pmath

import (
	"testing"
)

// FuzzFunctions compares every function with math's at fuzzed arguments:
// op picks the function, x and y are the arguments (y only for Pow, Atan2
// and Hypot). Special results (NaN, ±Inf, ±0) must be identical, finite
// ones within maxULP (exact where math runs the same pure-Go code), and
// where math is known to be wrong (mathWrong) pmath is checked against the
// exact value. Inputs that found a bug are kept in testdata/fuzz.
//
//	go test ./core/pmath -run '^$' -fuzz '^FuzzFunctions$' -fuzztime 2m
func FuzzFunctions(f *testing.F) {
	skipUnlessMathComparable(f)
	for i := range functions {
		for _, x := range []float64{0, 1, -1, 0.5, 3, 1e-300, 1e300, 709.5, 1 << 40, 5e-324} {
			f.Add(uint8(i), x, 2.5)
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, x, y float64) {
		fn := &functions[int(op)%len(functions)]
		got, want := fn.call(x, y)
		checkOne(t, fn, x, y, got, want)
		if again, _ := fn.call(x, y); !same(again, got) {
			t.Errorf("%s: not deterministic: %v then %v", fn.show(x, y), got, again)
		}
	})
}
