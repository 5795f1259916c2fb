package gum_test

import (
	"fmt"
	"math"

	"github.com/ebios/ebios/core/gum"
)

// Dependence is tracked: x − x is exactly 0 ± 0 and x·x is x², where
// independent operands would give other uncertainties.
func Example() {
	c := gum.NewContext()
	x, _ := c.Input("x", 3, 0.2)
	d, _ := c.Sub(x, x)
	sq, _ := c.Mul(x, x)
	ud, _ := c.U(d)
	usq, _ := c.U(sq)
	fmt.Printf("x - x = %v ± %v\n", d.N(), ud)
	fmt.Printf("x·x = %v ± %.6f\n", sq.N(), usq)
	// Output:
	// x - x = 0 ± 0
	// x·x = 9 ± 1.200000
}

// Correlated inputs: the uncertainty of a difference shrinks with a
// positive correlation, and the budget reports the correlation term
// separately, with a negative share.
func ExampleContext_Budget() {
	c := gum.NewContext()
	a, _ := c.Input("a", 10, 0.3)
	b, _ := c.Input("b", 4, 0.4)
	if err := c.Correlate(a, b, 0.5); err != nil {
		panic(err)
	}
	d, _ := c.Sub(a, b)
	u, _ := c.U(d)
	fmt.Printf("a - b = %v ± %.4f\n", d.N(), u)
	terms, _ := c.Budget(d)
	for _, t := range terms {
		if t.Pair {
			fmt.Printf("%s×%s r=%v share %+.3f\n", t.Name, t.WithName, t.R, t.Share)
		} else {
			fmt.Printf("%s c=%v c·u=%+.2f share %+.3f\n", t.Name, t.Sensitivity, t.Contribution, t.Share)
		}
	}
	// Output:
	// a - b = 6 ± 0.3606
	// a c=1 c·u=+0.30 share +0.692
	// b c=-1 c·u=-0.40 share +1.231
	// a×b r=0.5 share -0.923
}

// Apply is the chain rule: the caller gives f(n) and f'(n).
func ExampleContext_Apply() {
	c := gum.NewContext()
	x, _ := c.Input("x", 0.5, 0.01)
	s, _ := c.Apply(x, math.Sin(x.N()), math.Cos(x.N()))
	v, _ := c.Result(s) // a nu.Value
	fmt.Printf("sin(x) = %.6f ± %.6f\n", v.N(), v.U())
	// Output: sin(x) = 0.479426 ± 0.008776
}
