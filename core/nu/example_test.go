package nu_test

import (
	"encoding/json"
	"fmt"

	"github.com/ebios/ebios/core/nu"
)

func ExampleMul() {
	a := nu.MustNew(10, 0.5)
	b := nu.MustNew(20, 1)
	v, _ := nu.Mul(a, b)
	fmt.Println(v, v.FormatFull())
	// Output: 200 ± 14 200 ± 14.150971698084906
}

func ExampleIntervalMul() {
	v, _ := nu.IntervalMul(nu.MustNew(10, 0.5), nu.MustNew(20, 1))
	fmt.Println(v.FormatFull(), v.Lo(), v.Hi())
	// Output: 200 ± 20.5 179.5 220.5
}

func ExampleCompose() {
	v, _ := nu.Compose(nu.MustNew(10, 1), nu.MustNew(20, 3))
	fmt.Println(v)
	_, err := nu.Compose(nu.MustNew(1, 0), nu.MustNew(2, 0))
	fmt.Println(err)
	// Output:
	// 11.00 ± 0.95
	// NUCORE_006: compose: the two values contradict each other
}

func ExampleCatch() {
	v := nu.Catch(5, -1, 0)
	b, _ := json.Marshal(v)
	fmt.Println(v, string(b))
	// Output: 0 ± inf {"n":0,"u":"+Inf"}
}

func ExampleParse() {
	for _, s := range []string{"5 ± 0.1", "5+/-0.1", "5.23(12)", "5 ± -1"} {
		v, err := nu.Parse(s)
		fmt.Println(v.FormatFull(), err)
	}
	// Output:
	// 5 ± 0.1 <nil>
	// 5 ± 0.1 <nil>
	// 5.23 ± 0.12 <nil>
	// 0 ± 0 NUCORE_001: uncertainty must be >= 0
}

func ExampleNew() {
	_, err := nu.New(5, -1)
	b, _ := json.Marshal(err)
	fmt.Println(string(b))
	// Output: {"code":"NUCORE_001","category":"invariant","message":"uncertainty must be \u003e= 0","details":"got u = -1","remediation":"give the uncertainty as a non-negative number; the sign of a value belongs to its nominal"}
}
