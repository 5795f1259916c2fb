package nu

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestFormatOutward: interval-mode display rounds u up and never shows an
// interval narrower than the computed one.
func TestFormatOutward(t *testing.T) {
	cases := []struct {
		v    Value
		sig  int
		want string
	}{
		{MustNew(200, 20.5), 2, "200 ± 21"}, // (10 ± 0.5) * (20 ± 1); Format shows 200 ± 20
		{MustNew(1, 0.141), 2, "1.00 ± 0.15"},
		{MustNew(1, 0.149), 2, "1.00 ± 0.15"},
		{MustNew(1, 0.15), 2, "1.00 ± 0.15"}, // the float 0.15 is below 0.15
		{MustNew(5, 0.1), 2, "5.00 ± 0.11"},  // the float 0.1 is above 0.1
		{MustNew(5, 0.25), 2, "5.00 ± 0.25"}, // exact: no widening
		{MustNew(30, 1.5), 2, "30.0 ± 1.5"},
		{MustNew(200, 14.150971698084906), 2, "200 ± 15"},
		{MustNew(1.23456, 0.00996), 2, "1.235 ± 0.011"},             // n moves by 0.00044: u grows to cover it
		{MustNew(9.87, 0.0996), 1, "9.9 ± 0.2"},                     // 9.87 → 9.9 shifts by 0.03
		{MustNew(0.0996, 0.0996), 2, "0.10 ± 0.10"},                 // [0, 0.1992] inside [0, 0.2]
		{MustNew(9.96, 0.996), 2, "10.0 ± 1.1"},                     // the carry 0.996 → 1.0 moves the place
		{MustNew(123456, 14150), 2, "123000 ± 15000"},               // integer layout
		{MustNew(-0.000123, 0.0000045), 2, "-1.230e-4 ± 4.6e-6"},    // -0.000123 is not a float; E = -4: scientific
		{MustNew(6.02214076e23, 1.2e18), 2, "6.022141e23 ± 1.3e18"}, // scientific layout, each number with its exponent
		{MustNew(1e-320, 5e-324), 2, "9.9999e-321 ± 5.0e-324"},      // subnormals
		{MustNew(1e300, 2e299), 2, "1.00e300 ± 2.1e299"},
		{MustNew(-0.001, 0.1), 2, "-0.00 ± 0.11"},
		{MustNew(3, 0), 2, "3"},
		{MustNew(0.1, 0), 2, "0.1"},
		{MustNew(7, math.Inf(1)), 2, "7 ± inf"},
		{MustNew(200, 20.5), 0, "200 ± 30"}, // sig < 1 means 1
	}
	for _, c := range cases {
		got := c.v.FormatOutward(c.sig)
		if got != c.want {
			t.Errorf("FormatOutward(%v, %d) = %q, want %q", c.v.FormatFull(), c.sig, got, c.want)
		}
		if _, err := Parse(got); err != nil {
			t.Errorf("Parse(%q): %v", got, err)
		}
		if c.v.U() > 0 && !math.IsInf(c.v.U(), 1) {
			if err := checkShown(c.v, got, max(c.sig, 1)); err != "" {
				t.Errorf("FormatOutward(%v, %d) = %q: %s", c.v.FormatFull(), c.sig, got, err)
			}
		}
	}
}

// TestFormatIn: interval mode rounds outward, nu mode keeps Format.
func TestFormatIn(t *testing.T) {
	v := MustNew(200, 20.5)
	if got := v.FormatIn(ModeInterval, 2); got != "200 ± 21" {
		t.Errorf("interval: %q", got)
	}
	if got := v.FormatIn(ModeNU, 2); got != "200 ± 20" || got != v.Format(2) {
		t.Errorf("nu: %q", got)
	}
}

func TestFormatBounds(t *testing.T) {
	cases := []struct {
		v      Value
		sig    int
		lo, hi string
	}{
		{MustNew(200, 20.5), 6, "179.5", "220.5"},
		{MustNew(5, 0.1), 6, "4.89999", "5.10001"}, // the float 0.1 is above 0.1
		{MustNew(5, 0.25), 6, "4.75", "5.25"},
		{MustNew(1, 1), 6, "0", "2"},
		{MustNew(-1, 0.5), 2, "-1.5", "-0.5"},
		{MustNew(999999.5, 0.25), 6, "999999", "1e+06"},
		{MustNew(-999999.5, 0.25), 6, "-1e+06", "-999999"},
		{MustNew(1e300, 2e299), 3, "8e+299", "1.21e+300"}, // the floats make n+u a little above 1.2e300
		{MustNew(1e-5, 1e-6), 2, "9e-06", "1.2e-05"},      // and n+u a little above 1.1e-5
		{MustNew(0.1, 0), 6, "0.1", "0.1"},
		{MustNew(7, math.Inf(1)), 6, "-inf", "inf"},
	}
	for _, c := range cases {
		lo, hi := c.v.FormatBounds(c.sig)
		if lo != c.lo || hi != c.hi {
			t.Errorf("FormatBounds(%v, %d) = %s, %s; want %s, %s", c.v.FormatFull(), c.sig, lo, hi, c.lo, c.hi)
		}
	}
}

// TestPropertyFormatOutwardEncloses: for random values over the whole
// float64 range, the interval FormatOutward shows, read back as exact
// decimals, contains the computed one; u' has at most sig significant digits
// and is the smallest bound at its decimal place for the shown n'.
func TestPropertyFormatOutwardEncloses(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := genDisplayValue(t)
		sig := rapid.IntRange(1, 4).Draw(t, "sig")
		s := v.FormatOutward(sig)
		if err := checkShown(v, s, sig); err != "" {
			t.Fatalf("FormatOutward(%v, %d) = %q: %s", v.FormatFull(), sig, s, err)
		}
		if _, err := Parse(s); err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
	})
}

// TestPropertyIntervalResultShown: the display of interval-mode results
// contains the computed enclosure.
func TestPropertyIntervalResultShown(t *testing.T) {
	ops := []string{"IntervalAdd", "IntervalSub", "IntervalMul", "IntervalDiv", "IntervalCompose"}
	rapid.Check(t, func(t *rapid.T) {
		a, b := genDisplayValue(t), genDisplayValue(t)
		name := rapid.SampledFrom(ops).Draw(t, "op")
		v, err := binaryOps[name](a, b)
		if err != nil || v.U() == 0 {
			return
		}
		s := v.FormatIn(ModeInterval, 2)
		if e := checkShown(v, s, 2); e != "" {
			t.Fatalf("%s(%v, %v) = %v shown as %q: %s", name, a.FormatFull(), b.FormatFull(), v.FormatFull(), s, e)
		}
	})
}

// TestPropertyFormatBoundsEnclose: the outward bounds contain [n-u, n+u].
func TestPropertyFormatBoundsEnclose(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := genDisplayValue(t)
		sig := rapid.IntRange(1, 8).Draw(t, "sig")
		lo, hi := v.FormatBounds(sig)
		l, ok1 := new(big.Rat).SetString(lo)
		h, ok2 := new(big.Rat).SetString(hi)
		n, u := new(big.Rat).SetFloat64(v.N()), new(big.Rat).SetFloat64(v.U())
		if !ok1 || !ok2 || l.Cmp(new(big.Rat).Sub(n, u)) > 0 || h.Cmp(new(big.Rat).Add(n, u)) < 0 {
			t.Fatalf("FormatBounds(%v, %d) = [%s, %s] does not contain the value", v.FormatFull(), sig, lo, hi)
		}
		for _, x := range []string{lo, hi} {
			if d := sigDigits(x); d > sig {
				t.Fatalf("FormatBounds(%v, %d): %s has %d significant digits", v.FormatFull(), sig, x, d)
			}
		}
	})
}

// genDisplayValue draws n ± u with u > 0 finite: magnitudes from subnormal
// to near overflow, u from far below |n| to far above, n = 0 and u = |n|.
func genDisplayValue(t *rapid.T) Value {
	mag := func(label string, lo, hi int) float64 {
		m := rapid.Float64Range(1, 10).Draw(t, label+".m")
		e := rapid.IntRange(lo, hi).Draw(t, label+".e")
		return m * math.Pow(10, float64(e))
	}
	en := rapid.IntRange(-320, 306).Draw(t, "n.e")
	n := mag("n", en, en)
	if rapid.Bool().Draw(t, "n.neg") {
		n = -n
	}
	var u float64
	switch rapid.IntRange(0, 4).Draw(t, "shape") {
	case 0:
		n = 0
		u = mag("u", -323, 306)
	case 1:
		u = math.Abs(n)
	case 2:
		u = mag("u", -323, 306) // independent of n
	default:
		u = mag("u", max(en-20, -323), min(en+3, 306))
	}
	if math.IsInf(n, 0) || math.IsInf(u, 0) || u == 0 || math.IsNaN(n) {
		u = 1
		n = 1
	}
	return MustNew(n, u)
}

// checkShown reads a displayed "n' ± u'" back as exact decimals and checks it
// against the computed v: [n'-u', n'+u'] ⊇ [n-u, n+u], u' has between 1 and
// sig significant digits, and one unit less in u's last digit would not
// contain [n-u, n+u] (the bound is not wasteful). It returns "" or what is
// wrong.
func checkShown(v Value, s string, sig int) string {
	ns, us, ok := strings.Cut(s, " ± ")
	if !ok {
		return "no ±"
	}
	n1, ok1 := new(big.Rat).SetString(ns)
	u1, ok2 := new(big.Rat).SetString(us)
	if !ok1 || !ok2 {
		return "unreadable numbers"
	}
	n, u := new(big.Rat).SetFloat64(v.N()), new(big.Rat).SetFloat64(v.U())
	// u' must be ≥ u + |n - n'|.
	need := new(big.Rat).Sub(n, n1)
	need.Abs(need).Add(need, u)
	if u1.Cmp(need) < 0 {
		return "the shown interval does not contain the computed one"
	}
	if d := sigDigits(us); d < 1 || d > sig {
		return "u has " + strconv.Itoa(d) + " significant digits"
	}
	// One unit less in the last shown digit of u' must fail.
	unit := lastUnit(us)
	if new(big.Rat).Sub(u1, unit).Cmp(need) >= 0 {
		return "u is wider than needed at its last digit"
	}
	return ""
}

// sigDigits counts the significant digits of a decimal numeral (trailing
// zeros after the point count, leading zeros do not).
func sigDigits(x string) int {
	m, _, _ := strings.Cut(strings.ToLower(x), "e")
	m = strings.TrimLeft(m, "-+")
	if !strings.Contains(m, ".") {
		m = strings.TrimRight(m, "0") // integer: trailing zeros are the place, not digits
	}
	m = strings.ReplaceAll(m, ".", "")
	m = strings.TrimLeft(m, "0")
	return len(m)
}

// lastUnit returns the value of one unit in the last digit of a decimal
// numeral such as "0.15", "21", "15000" (counting the last non-zero digit of
// an integer) or "1.3e18".
func lastUnit(x string) *big.Rat {
	m, e, _ := strings.Cut(x, "e")
	exp := 0
	if e != "" {
		exp, _ = strconv.Atoi(e)
	}
	if i := strings.IndexByte(m, '.'); i >= 0 {
		exp -= len(m) - i - 1
	} else {
		exp += len(m) - len(strings.TrimRight(m, "0"))
	}
	return ratPow10(exp)
}

// TestFormatOutwardEnclosesMany runs the check of
// TestPropertyFormatOutwardEncloses on 100,000 values from a fixed seed,
// drawn as genDisplayValue draws them (a tenth under GOOS=js or -short).
func TestFormatOutwardEnclosesMany(t *testing.T) {
	count := 100_000 / wasmDivisor
	if testing.Short() {
		count = 10_000
	}
	r := rand.New(rand.NewPCG(16, 2))
	mag := func(lo, hi int) float64 {
		return (1 + 9*r.Float64()) * math.Pow(10, float64(lo+r.IntN(hi-lo+1)))
	}
	for i := 0; i < count; i++ {
		en := -320 + r.IntN(627)
		n := mag(en, en)
		if r.IntN(2) == 0 {
			n = -n
		}
		var u float64
		switch r.IntN(5) {
		case 0:
			n, u = 0, mag(-323, 306)
		case 1:
			u = math.Abs(n)
		case 2:
			u = mag(-323, 306)
		default:
			u = mag(max(en-20, -323), min(en+3, 306))
		}
		if math.IsInf(n, 0) || math.IsInf(u, 0) || u == 0 {
			continue
		}
		v := MustNew(n, u)
		sig := 1 + r.IntN(4)
		if s := v.FormatOutward(sig); checkShown(v, s, sig) != "" {
			t.Fatalf("FormatOutward(%v, %d) = %q: %s", v.FormatFull(), sig, s, checkShown(v, s, sig))
		}
	}
}
