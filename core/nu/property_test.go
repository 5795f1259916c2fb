package nu

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// Property tests of the laws that hold bit for bit in floating point. Laws
// that hold only over the reals (associativity, distributivity) are not
// claimed; see proofs/ for what is proven where.

// genValue draws finite values over a wide but overflow-free range.
func genValue(t *rapid.T, label string) Value {
	n := rapid.Float64Range(-1e100, 1e100).Draw(t, label+".n")
	u := rapid.Float64Range(0, 1e100).Draw(t, label+".u")
	return MustNew(n, u)
}

var binaryOps = map[string]func(a, b Value) (Value, error){
	"Add": Add, "Sub": Sub, "Mul": Mul, "Div": Div, "Compose": Compose,
	"IntervalAdd": IntervalAdd, "IntervalSub": IntervalSub, "IntervalMul": IntervalMul,
	"IntervalDiv": IntervalDiv, "IntervalCompose": IntervalCompose,
}

func TestPropertyCommutative(t *testing.T) {
	for _, name := range []string{"Add", "Mul", "Compose", "IntervalAdd", "IntervalMul", "IntervalCompose"} {
		op := binaryOps[name]
		t.Run(name, rapid.MakeCheck(func(t *rapid.T) {
			a, b := genValue(t, "a"), genValue(t, "b")
			x, errX := op(a, b)
			y, errY := op(b, a)
			if (errX == nil) != (errY == nil) || x != y {
				t.Fatalf("%s(a, b) = %v, %v but %s(b, a) = %v, %v", name, x, errX, name, y, errY)
			}
		}))
	}
}

func TestPropertyUNonNegative(t *testing.T) {
	for name, op := range binaryOps {
		t.Run(name, rapid.MakeCheck(func(t *rapid.T) {
			a, b := genValue(t, "a"), genValue(t, "b")
			v, err := op(a, b)
			if err != nil {
				if _, ok := AsError(err); !ok {
					t.Fatalf("unstructured error %v", err)
				}
				return
			}
			if !(v.U() >= 0) || math.IsNaN(v.N()) || math.IsInf(v.N(), 0) {
				t.Fatalf("%s(%v, %v) = %v: invalid value", name, a, b, v.FormatFull())
			}
		}))
	}
}

func TestPropertyFlipInvolution(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genValue(t, "a")
		if Flip(Flip(a)) != a {
			t.Fatalf("flip(flip(%v)) != itself", a)
		}
		if Flip(a).U() != a.U() {
			t.Fatal("flip changed u")
		}
	})
}

// TestPropertyMonotoneInU: a larger input uncertainty never gives a smaller
// output uncertainty.
func TestPropertyMonotoneInU(t *testing.T) {
	for _, name := range []string{"Add", "Sub", "Mul", "Div", "IntervalAdd", "IntervalSub", "IntervalMul", "IntervalDiv"} {
		op := binaryOps[name]
		t.Run(name, rapid.MakeCheck(func(t *rapid.T) {
			a, b := genValue(t, "a"), genValue(t, "b")
			grow := rapid.Float64Range(1, 1e6).Draw(t, "grow")
			a2 := MustNew(a.N(), a.U()*grow)
			x, err1 := op(a, b)
			y, err2 := op(a2, b)
			if err1 != nil || err2 != nil {
				return // e.g. the divisor interval now contains zero
			}
			if y.U() < x.U() {
				t.Fatalf("%s: u1 %v -> %v made u %v -> %v", name, a.U(), a2.U(), x.U(), y.U())
			}
		}))
	}
}

// TestPropertyComposeReduces: compose never returns u above min(u1, u2), not
// even by one ulp, and its nominal lies between the inputs.
func TestPropertyComposeReduces(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genValue(t, "a"), genValue(t, "b")
		if rapid.Bool().Draw(t, "tiny") {
			a = MustNew(a.N(), a.U()*1e-250)
		}
		v, err := Compose(a, b)
		if err != nil {
			if a.U() == 0 && b.U() == 0 && a.N() != b.N() {
				return
			}
			t.Fatal(err)
		}
		if v.U() > math.Min(a.U(), b.U()) {
			t.Fatalf("compose(%v, %v).u = %v > min(u1, u2)", a.FormatFull(), b.FormatFull(), v.U())
		}
		if v.N() < math.Min(a.N(), b.N()) || v.N() > math.Max(a.N(), b.N()) {
			t.Fatalf("compose(%v, %v).n = %v outside [n1, n2]", a.FormatFull(), b.FormatFull(), v.N())
		}
	})
}

// TestPropertyNUWithinInterval: the quadrature u never exceeds the interval
// u computed from the same inputs (√(a²+b²) ≤ a+b).
func TestPropertyNUWithinInterval(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genValue(t, "a"), genValue(t, "b")
		x, err1 := Add(a, b)
		y, err2 := IntervalAdd(a, b)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if x.U() > y.U() {
			t.Fatalf("nu u %v > interval u %v", x.U(), y.U())
		}
	})
}
