package expr_test

import (
	"fmt"

	"github.com/ebios/ebios/core/expr"
	"github.com/ebios/ebios/core/nu"
)

func ExampleEval() {
	r, _ := expr.Eval("(10 ± 0.5) * (20 ± 1) + 3 ± 0.2", nu.ModeNU)
	fmt.Println(r.Value, r.Mode)
	r, _ = expr.Eval("(10 ± 0.5) * (20 ± 1)", nu.ModeInterval)
	fmt.Println(r.Value.FormatFull(), r.Mode)
	_, err := expr.Eval("2 * (3 ± 1", nu.ModeNU)
	fmt.Println(err)
	// Output:
	// 203 ± 14 nu
	// 200 ± 20.5 interval
	// NUCORE_010: expected ")", found the end of the expression (column 11)
}
