package expr

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
)

func TestEvalTable(t *testing.T) {
	f, err := os.Open("testdata/eval.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		if sc.Text() == "" || strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		parts := strings.Split(sc.Text(), " | ")
		if len(parts) != 3 {
			t.Fatalf("eval.txt:%d: want 3 fields", line)
		}
		mode, err := nu.ParseMode(parts[0])
		if err != nil {
			t.Fatal(err)
		}
		src, want := parts[1], strings.Fields(parts[2])
		res, err := Eval(src, mode)
		if want[0] == "error" {
			e, ok := nu.AsError(err)
			col, _ := strconv.Atoi(want[2])
			if !ok || e.Code != want[1] || e.Column != col {
				t.Errorf("eval.txt:%d: %q: got %v, %v; want %s at column %d", line, src, res.Value, err, want[1], col)
			}
			continue
		}
		if err != nil {
			t.Errorf("eval.txt:%d: %q: %v", line, src, err)
			continue
		}
		n, _ := strconv.ParseFloat(want[0], 64)
		u := math.Inf(1)
		if want[1] != "inf" {
			u, _ = strconv.ParseFloat(want[1], 64)
		}
		if !close(res.Value.N(), n) || !close(res.Value.U(), u) || res.Mode != mode {
			t.Errorf("eval.txt:%d: %q = %s (%s), want %v ± %v", line, src, res.Value.FormatFull(), res.Mode, n, u)
		}
	}
}

// close reports equality to within 2 ulps.
func close(got, want float64) bool {
	if got == want {
		return true
	}
	d := math.Abs(math.Nextafter(want, math.Inf(1)) - want)
	return math.Abs(got-want) <= 2*d
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+1) + "1" + strings.Repeat(")", MaxDepth+1)
	if _, err := Parse(deep); !isSyntax(err) {
		t.Errorf("deep nesting: err = %v", err)
	}
	ok := strings.Repeat("(", MaxDepth-1) + "1" + strings.Repeat(")", MaxDepth-1)
	if _, err := Parse(ok); err != nil {
		t.Errorf("nesting at the limit: %v", err)
	}
	if _, err := Parse(strings.Repeat("-", MaxDepth+5) + "1"); !isSyntax(err) {
		t.Errorf("deep unary: err = %v", err)
	}
	if _, err := Parse(strings.Repeat("1+", MaxLen)); !isSyntax(err) {
		t.Errorf("long input: err = %v", err)
	}
	if _, err := Parse("1 + \xff"); !isSyntax(err) {
		t.Errorf("invalid UTF-8: err = %v", err)
	}
}

func isSyntax(err error) bool {
	e, ok := nu.AsError(err)
	return ok && e.Code == nu.CodeSyntax
}

func TestInputs(t *testing.T) {
	e, err := Parse("compose(10 ± 1, -(2.0(1))) * 3 + catch(5 ± -1)")
	if err != nil {
		t.Fatal(err)
	}
	got := e.Inputs()
	want := []nu.Value{nu.MustNew(10, 1), nu.MustNew(-2, 0.1), nu.MustNew(3, 0)}
	if len(got) != len(want) {
		t.Fatalf("Inputs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Inputs[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestReuse(t *testing.T) {
	e, err := Parse("(10 ± 0.5) * (20 ± 1)")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := e.Eval(nu.ModeNU)
	b, _ := e.Eval(nu.ModeInterval)
	if a.U() >= b.U() || e.String() != "(10 ± 0.5) * (20 ± 1)" {
		t.Errorf("nu %v, interval %v", a, b)
	}
}

// FuzzEval: any input either parses or gives a syntax error with a column
// inside the text; a parsed expression evaluates in both modes to a valid
// value or a structured error, never a panic.
func FuzzEval(f *testing.F) {
	for _, s := range []string{"(10 ± 0.5) * (20 ± 1) + 3 ± 0.2", "compose(1 ± 1, 2 ± 1)", "catch(1/0, 2)",
		"flip(-(1.5(2)e3))", "1 / (1 ± 2)", "5 ± -1", "((", "1e308 * 10", "nan ± inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			ne, ok := nu.AsError(err)
			if !ok || ne.Code != nu.CodeSyntax || ne.Column < 1 || ne.Column > len([]rune(s))+1 {
				t.Fatalf("Parse(%q): %v", s, err)
			}
			return
		}
		for _, m := range []nu.Mode{nu.ModeNU, nu.ModeInterval} {
			v, err := e.Eval(m)
			if err != nil {
				if _, ok := nu.AsError(err); !ok {
					t.Fatalf("Eval(%q): unstructured %v", s, err)
				}
				continue
			}
			if math.IsNaN(v.N()) || math.IsInf(v.N(), 0) || !(v.U() >= 0) {
				t.Fatalf("Eval(%q, %s) = %v: invalid", s, m, v)
			}
		}
	})
}
