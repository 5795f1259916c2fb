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
// inside the text; a parsed program evaluates in every mode to a valid
// value or a structured error with a column, never a panic; and "+-" means
// exactly "±".
func FuzzEval(f *testing.F) {
	for _, s := range []string{"(10 ± 0.5) * (20 ± 1) + 3 ± 0.2", "compose(1 ± 1, 2 ± 1)", "catch(1/0, 2)",
		"flip(-(1.5(2)e3))", "1 / (1 ± 2)", "5 ± -1", "((", "1e308 * 10", "nan ± inf",
		"5 +- 0.1", "5+-0.1", "5 + -0.1", "5 -+ 1", "(5) +- 1", "2*3+-1",
		"x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = 0.5; x*y - sqrt(x)", "2^-1^2", "-2**2", "5 ± 10%",
		"a = 1 ± 0.1; b = 2 ± 0.1; cov(a, b) = [[0.01, 0.02], [0.02, 0.01]]; a + b", "x = 1; x / x", "atan2(1 ± 0.1, 0 ± 0.1)",
		"min(1 ± 1, 2) + max(pi, e) + hypot(3, 4 ± 1) + pow(2, 0.5)", "tan(pi/2 ± 0.1)", "x = -1 ± 0.1; sqrt(x*x)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if strings.Contains(s, "+-") {
			samePlusMinus(t, s, e, err)
		}
		if err != nil {
			ne, ok := nu.AsError(err)
			if !ok || ne.Code != nu.CodeSyntax || ne.Column < 1 || ne.Column > len([]rune(s))+1 {
				t.Fatalf("Parse(%q): %v", s, err)
			}
			return
		}
		for _, m := range nu.Modes {
			v, err := e.Eval(m)
			if err != nil {
				if ne, ok := nu.AsError(err); !ok || ne.Column < 1 || ne.Column > len([]rune(s))+1 {
					t.Fatalf("Eval(%q, %s): %#v: want a structured error with a column in the text", s, m, err)
				}
				continue
			}
			if math.IsNaN(v.N()) || math.IsInf(v.N(), 0) || !(v.U() >= 0) {
				t.Fatalf("Eval(%q, %s) = %v: invalid", s, m, v)
			}
		}
	})
}

// samePlusMinus checks that s, which contains "+-", means what it means with
// "±" in place of every "+-": both parse or neither does, and the values are
// equal in both modes (errors with the same code).
func samePlusMinus(t *testing.T, s string, e *Expr, err error) {
	t.Helper()
	r := strings.ReplaceAll(s, "+-", "±")
	e2, err2 := Parse(r)
	if (err == nil) != (err2 == nil) {
		t.Fatalf("Parse(%q): %v but Parse(%q): %v", s, err, r, err2)
	}
	if err != nil {
		return
	}
	for _, m := range []nu.Mode{nu.ModeNU, nu.ModeInterval} {
		v, err := e.Eval(m)
		v2, err2 := e2.Eval(m)
		c1, _ := nu.AsError(err)
		c2, _ := nu.AsError(err2)
		if v != v2 || (c1 == nil) != (c2 == nil) || c1 != nil && c1.Code != c2.Code {
			t.Fatalf("%s: %q = %v, %v but %q = %v, %v", m, s, v, err, r, v2, err2)
		}
	}
}

// TestPlusMinusSpellings: "+-" is ± exactly when its signs touch, and where
// it cannot be ± the error says how it was read and how to add a negative
// number instead.
func TestPlusMinusSpellings(t *testing.T) {
	same := []string{"5 +- 0.1", "5+-0.1", "5 +-0.1", "5+- 0.1", "5 +− 0.1", "5 +/- 0.1", "5+/-0.1"}
	want, err := Eval("5 ± 0.1", nu.ModeNU)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range same {
		got, err := Eval(s, nu.ModeNU)
		if err != nil || got.Value != want.Value {
			t.Errorf("%q = %v, %v; want %v", s, got.Value.FormatFull(), err, want.Value.FormatFull())
		}
		e, _ := Parse(s)
		samePlusMinus(t, s, e, err)
	}
	for _, s := range []string{"5 + -0.1", "5 + (-0.1)", "5 + - 0.1", "5+ -0.1"} {
		got, err := Eval(s, nu.ModeNU)
		if err != nil || got.Value != nu.MustNew(4.9, 0) {
			t.Errorf("%q = %v, %v; want the exact 4.9", s, got.Value.FormatFull(), err)
		}
	}
	errs := []struct {
		src, msg, fix string
	}{
		{"(5) +- 1", `found "+-" (read as ±)`, "5 + -0.1"},
		{"+-5", `found "+-" (read as ±)`, "put a space"},
		{"5 -+ 1", `"-+" is ambiguous`, "5 ± 0.1"},
		{"(5) ± 1", `found "±"`, "(10 ± 0.5)"},
	}
	for _, c := range errs {
		_, err := Parse(c.src)
		e, ok := nu.AsError(err)
		if !ok || e.Code != nu.CodeSyntax || !strings.Contains(e.Message, c.msg) || !strings.Contains(e.Remediation, c.fix) {
			t.Errorf("Parse(%q) = %#v; want a syntax error with %q and fix %q", c.src, err, c.msg, c.fix)
		}
	}
}
