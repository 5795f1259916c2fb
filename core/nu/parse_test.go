package nu

import (
	"math"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		n, u float64
		code string
		col  int
	}{
		{"5 ± 0.1", 5, 0.1, "", 0},
		{"5+/-0.1", 5, 0.1, "", 0},
		{"  -5.5 ±0.25 ", -5.5, 0.25, "", 0},
		{"5(1)", 5, 1, "", 0},
		{"5.23(12)", 5.23, 0.12, "", 0},
		{"1.5(2)e3", 1500, 200, "", 0},
		{"1.0(2.5)", 1, 2.5, "", 0},
		{"-0.00123(4)", -0.00123, 0.00004, "", 0},
		{"2.5e-3 ± 1e-4", 0.0025, 1e-4, "", 0},
		{"7", 7, 0, "", 0},
		{"0 ± inf", 0, math.Inf(1), "", 0},
		{"5 ± -1", 0, 0, CodeNegativeU, 0},
		{"nan ± 1", 0, 0, CodeNaN, 0},
		{"inf", 0, 0, CodeInfiniteN, 0},
		{"1e999", 0, 0, CodeInfiniteN, 0},
		{"", 0, 0, CodeSyntax, 1},
		{"5 ±", 0, 0, CodeSyntax, 4},
		{"5 ± x", 0, 0, CodeSyntax, 5},
		{"5(1) ± 2", 0, 0, CodeSyntax, 6},
		{"5 ± 1(2)", 0, 0, CodeSyntax, 5},
		{"5 6", 0, 0, CodeSyntax, 3},
		{"5(", 0, 0, CodeSyntax, 3},
		{"5(1", 0, 0, CodeSyntax, 4},
		{"1e", 0, 0, CodeSyntax, 3},
		{"5 -+ 1", 0, 0, CodeSyntax, 3},
		{"5 + -1", 0, 0, CodeSyntax, 3},
	}
	for _, c := range cases {
		v, err := Parse(c.in)
		if c.code != "" {
			e, ok := AsError(err)
			if !ok || e.Code != c.code || (c.col != 0 && e.Column != c.col) {
				t.Errorf("Parse(%q) err = %v, want %s at column %d", c.in, err, c.code, c.col)
			}
			continue
		}
		if err != nil || !within(v.N(), c.n, 1) || !within(v.U(), c.u, 1) {
			t.Errorf("Parse(%q) = %v, %v; want %v ± %v", c.in, v.FormatFull(), err, c.n, c.u)
		}
	}
}

func TestFormat(t *testing.T) {
	cases := []struct {
		v    Value
		sig  int
		want string
	}{
		{MustNew(200, 14.150971698084906), 2, "200 ± 14"},
		{MustNew(203, 14.152384), 2, "203 ± 14"},
		{MustNew(5, 0.1), 2, "5.00 ± 0.10"},
		{MustNew(1.23456, 0.00996), 2, "1.235 ± 0.010"},
		{MustNew(9.87, 0.0996), 1, "9.9 ± 0.1"},
		{MustNew(123456, 14150), 2, "123000 ± 14000"},
		{MustNew(-0.000123, 0.0000045), 2, "-1.230e-4 ± 4.5e-6"},
		{MustNew(6.02214076e23, 1.2e18), 2, "6.022141e23 ± 1.2e18"},
		{MustNew(1e-20, 3e-22), 2, "1.000e-20 ± 3.0e-22"},
		{MustNew(3, 0), 2, "3"},
		{MustNew(0.1, 0), 2, "0.1"},
		{MustNew(7, math.Inf(1)), 2, "7 ± inf"},
	}
	for _, c := range cases {
		if got := c.v.Format(c.sig); got != c.want {
			t.Errorf("Format(%v, %d) = %q, want %q", c.v.FormatFull(), c.sig, got, c.want)
		}
	}
	if got := MustNew(200, 14.150971698084906).FormatFull(); got != "200 ± 14.150971698084906" {
		t.Errorf("FormatFull = %q", got)
	}
}

// TestFormatParses: every formatted value parses back, exactly for FormatFull
// and to within the printed rounding for Format.
func TestFormatParses(t *testing.T) {
	vals := []Value{MustNew(200, 14.150971698084906), MustNew(-1e-300, 1e-301), MustNew(1e300, 3e299),
		MustNew(0, 1), MustNew(123456789, 0.5), MustNew(5e-324, 5e-324), MustNew(-2, math.Inf(1))}
	for _, v := range vals {
		back, err := Parse(v.FormatFull())
		if err != nil || back != v {
			t.Errorf("Parse(FormatFull(%v)) = %v, %v", v.FormatFull(), back.FormatFull(), err)
		}
		s := v.String()
		back, err = Parse(s)
		if err != nil {
			t.Errorf("Parse(%q): %v", s, err)
			continue
		}
		if math.Abs(back.U()-v.U()) > 0.06*v.U() || math.Abs(back.N()-v.N()) > v.U() {
			t.Errorf("Parse(String(%v)) = %v: too far", v.FormatFull(), back.FormatFull())
		}
	}
}

// FuzzParse: Parse never panics, every error is structured with a column in
// range, every accepted value survives FormatFull → Parse unchanged, and "+-"
// reads exactly as "±".
func FuzzParse(f *testing.F) {
	for _, s := range []string{"5 ± 0.1", "5+/-0.1", "5 +- 0.1", "5+-0.1", "5 +− 0.1", "5 -+ 1", "5.23(12)", "1.5(2)e3", "-0 ± inf", "1e-320 ± 5e-324",
		"5 ± -1", "nan", "1e99999", "5(", "±", ".e1", "1(.)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if strings.Contains(s, "+-") && err != nil {
			if _, err2 := Parse(strings.ReplaceAll(s, "+-", "±")); err2 == nil {
				t.Fatalf("Parse(%q) fails (%v) but succeeds with ± for +-", s, err)
			}
		}
		if err != nil {
			e, ok := AsError(err)
			if !ok {
				t.Fatalf("Parse(%q): unstructured error %v", s, err)
			}
			if e.Code == CodeSyntax && (e.Column < 1 || e.Column > len([]rune(s))+1) {
				t.Fatalf("Parse(%q): column %d out of range", s, e.Column)
			}
			return
		}
		if math.IsNaN(v.N()) || math.IsInf(v.N(), 0) || !(v.U() >= 0) {
			t.Fatalf("Parse(%q) accepted an invalid value %v", s, v)
		}
		back, err := Parse(v.FormatFull())
		if err != nil || back != v && !(v.N() == 0 && back.N() == 0 && back.U() == v.U()) {
			t.Fatalf("round trip of %q: %v -> %v, %v", s, v.FormatFull(), back.FormatFull(), err)
		}
		// "+-" is ± wherever it stands: spelling it "±" changes nothing.
		if strings.Contains(s, "+-") {
			w, err := Parse(strings.ReplaceAll(s, "+-", "±"))
			if err != nil || w != v {
				t.Fatalf("Parse(%q) = %v but with ± for +-: %v, %v", s, v.FormatFull(), w.FormatFull(), err)
			}
		}
		if strings.Contains(s, "(") && !strings.Contains(s, "±") && v.U() == 0 && !strings.Contains(s, "(0") {
			// "5(1)" must carry its uncertainty (a zero digit string may give 0).
			if i := strings.Index(s, "(1"); i > 0 && strings.IndexByte("0123456789.", s[i-1]) >= 0 {
				t.Fatalf("Parse(%q) lost the concise uncertainty", s)
			}
		}
	})
}

// TestParsePlusMinus: every spelling of ± gives the same value, with or
// without spaces, and "+-" is never read as a plus and a minus.
func TestParsePlusMinus(t *testing.T) {
	cases := []struct {
		in   string
		n, u float64
	}{
		{"5 ± 0.1", 5, 0.1},
		{"5 +/- 0.1", 5, 0.1},
		{"5 +- 0.1", 5, 0.1},
		{"5+-0.1", 5, 0.1},
		{"5+- 0.1", 5, 0.1},
		{"5 +-0.1", 5, 0.1},
		{"5 +− 0.1", 5, 0.1},
		{"-5 +- 0.1", -5, 0.1},
		{"1.5e3+-2e1", 1500, 20},
		{"5 +- +0.1", 5, 0.1},
		{"0 +- inf", 0, math.Inf(1)},
	}
	for _, c := range cases {
		v, err := Parse(c.in)
		if err != nil || v.N() != c.n || v.U() != c.u {
			t.Errorf("Parse(%q) = %v, %v; want %v ± %v", c.in, v.FormatFull(), err, c.n, c.u)
		}
		if n := ScanPlusMinus(c.in[strings.IndexAny(c.in, "±+"):]); n == 0 {
			t.Errorf("ScanPlusMinus(%q) = 0", c.in)
		}
	}
	errs := []struct {
		in   string
		code string
		col  int
	}{
		{"5 +- -0.1", CodeNegativeU, 0},
		{"5 + - 0.1", CodeSyntax, 3},
		{"+-5", CodeSyntax, 2},
		{"5 +-", CodeSyntax, 5},
		{"5(1) +- 2", CodeSyntax, 6},
	}
	for _, c := range errs {
		_, err := Parse(c.in)
		if e, ok := AsError(err); !ok || e.Code != c.code || c.col != 0 && e.Column != c.col {
			t.Errorf("Parse(%q) err = %v, want %s at column %d", c.in, err, c.code, c.col)
		}
	}
}
