package gum

import (
	"fmt"
	"math"
	"testing"
)

// Benchmarks on contexts of 10 (and 100) inputs, every pair correlated
// (r_ij = 0.6^|i-j|, positive definite). Run with
// `go test -run '^$' -bench . -benchmem ./core/gum`.

// sinkGF keeps results alive. Only a float64 is stored: storing a Value
// (which holds pointers) in a global would time GC write barriers too.
var sinkGF float64

// benchContext returns a context of k inputs, all pairs correlated.
func benchContext(b *testing.B, k int) (*Context, []Value) {
	c := NewContext()
	in := make([]Value, k)
	for i := range in {
		v, err := c.Input(fmt.Sprintf("x%d", i), 1+float64(i)/4, 0.01*float64(i+1))
		if err != nil {
			b.Fatal(err)
		}
		in[i] = v
	}
	for i := range in {
		for j := range i {
			if err := c.Correlate(in[i], in[j], math.Pow(0.6, float64(i-j))); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := c.Validate(); err != nil {
		b.Fatal(err)
	}
	return c, in
}

// expr10 evaluates, over x0 … x9,
//
//	x0·x1 + x2/x3 − sin(x4)·x5 + exp(x6/4)·x7 − √x8 + x9·x9 − x0/x9
//
// in 17 operations (three of them function applications), checking every
// error as the expression evaluator would, and returns the value.
func expr10(c *Context, x []Value) (Value, error) {
	a, err := c.Mul(x[0], x[1])
	if err != nil {
		return a, err
	}
	t, err := c.Div(x[2], x[3])
	if err != nil {
		return t, err
	}
	if a, err = c.Add(a, t); err != nil {
		return a, err
	}
	n := x[4].N()
	if t, err = c.Apply(x[4], math.Sin(n), math.Cos(n)); err != nil {
		return t, err
	}
	if t, err = c.Mul(t, x[5]); err != nil {
		return t, err
	}
	if a, err = c.Sub(a, t); err != nil {
		return a, err
	}
	if t, err = c.Div(x[6], c.Const(4)); err != nil {
		return t, err
	}
	e := math.Exp(t.N())
	if t, err = c.Apply(t, e, e); err != nil {
		return t, err
	}
	if t, err = c.Mul(t, x[7]); err != nil {
		return t, err
	}
	if a, err = c.Add(a, t); err != nil {
		return a, err
	}
	r := math.Sqrt(x[8].N())
	if t, err = c.Apply(x[8], r, 0.5/r); err != nil {
		return t, err
	}
	if a, err = c.Sub(a, t); err != nil {
		return a, err
	}
	if t, err = c.Mul(x[9], x[9]); err != nil {
		return t, err
	}
	if a, err = c.Add(a, t); err != nil {
		return a, err
	}
	if t, err = c.Div(x[0], x[9]); err != nil {
		return t, err
	}
	return c.Sub(a, t)
}

// BenchmarkExpr10Correlated is the expression over 10 correlated inputs
// (full 10×10 correlation) and its U: one op is the whole evaluation.
func BenchmarkExpr10Correlated(b *testing.B) {
	c, x := benchContext(b, 10)
	b.ReportAllocs()
	for b.Loop() {
		v, err := expr10(c, x)
		if err != nil {
			b.Fatal(err)
		}
		u, err := c.U(v)
		if err != nil {
			b.Fatal(err)
		}
		sinkGF = u
	}
}

// BenchmarkExpr10Independent is the same with no correlations, for
// comparison.
func BenchmarkExpr10Independent(b *testing.B) {
	c := NewContext()
	x := make([]Value, 10)
	for i := range x {
		x[i], _ = c.Input("", 1+float64(i)/4, 0.01*float64(i+1))
	}
	b.ReportAllocs()
	for b.Loop() {
		v, err := expr10(c, x)
		if err != nil {
			b.Fatal(err)
		}
		if sinkGF, err = c.U(v); err != nil {
			b.Fatal(err)
		}
	}
}

// dense returns two values that depend on all k inputs: Σx and Σ(i+1)·x_i.
func dense(b *testing.B, c *Context, x []Value) (Value, Value) {
	s, t := c.Const(0), c.Const(0)
	for i, v := range x {
		var err error
		if s, err = c.Add(s, v); err != nil {
			b.Fatal(err)
		}
		w, err := c.Mul(v, c.Const(float64(i+1)))
		if err != nil {
			b.Fatal(err)
		}
		if t, err = c.Add(t, w); err != nil {
			b.Fatal(err)
		}
	}
	return s, t
}

func BenchmarkAdd(b *testing.B) {
	for _, k := range []int{10, 100} {
		b.Run(fmt.Sprintf("inputs=%d", k), func(b *testing.B) {
			c, x := benchContext(b, k)
			s, t := dense(b, c, x)
			b.ReportAllocs()
			for b.Loop() {
				v, _ := c.Add(s, t)
				sinkGF = v.N()
			}
		})
	}
}

func BenchmarkMul(b *testing.B) {
	for _, k := range []int{10, 100} {
		b.Run(fmt.Sprintf("inputs=%d", k), func(b *testing.B) {
			c, x := benchContext(b, k)
			s, t := dense(b, c, x)
			b.ReportAllocs()
			for b.Loop() {
				v, _ := c.Mul(s, t)
				sinkGF = v.N()
			}
		})
	}
}

// BenchmarkU is U of a value that depends on every input, all pairs
// correlated: k + k(k-1)/2 terms.
func BenchmarkU(b *testing.B) {
	for _, k := range []int{10, 100} {
		b.Run(fmt.Sprintf("inputs=%d", k), func(b *testing.B) {
			c, x := benchContext(b, k)
			_, t := dense(b, c, x)
			b.ReportAllocs()
			for b.Loop() {
				sinkGF, _ = c.U(t)
			}
		})
	}
}

func BenchmarkBudget10(b *testing.B) {
	c, x := benchContext(b, 10)
	v, err := expr10(c, x)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		t, err := c.Budget(v)
		if err != nil {
			b.Fatal(err)
		}
		sinkGF = t[0].Share
	}
}
