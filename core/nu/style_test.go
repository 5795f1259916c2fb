package nu

import (
	"flag"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/format")

// goldenValues are the values of testdata/format/styles.txt: the examples of
// the documentation, each threshold from both sides, the PDG boundaries, ties,
// carries, subnormals and the overflow fallback.
var goldenValues = []Value{
	MustNew(200, 20.5), // (10 ± 0.5)·(20 ± 1) in interval mode
	MustNew(200, 14.150971698084906),
	MustNew(5, 0.1),
	MustNew(1, 0.141),
	MustNew(1.23456, 0.00996),
	MustNew(0.000123, 0.000002),
	MustNew(-0.000123, 0.0000045),
	MustNew(0.00123, 0.000045), // E = -3: fixed
	MustNew(0.00099996, 1e-6),  // rounds to 0.0010000 (E = -3): fixed
	MustNew(123456, 14150),     // E = 5: fixed, integer layout
	MustNew(999999.7, 20),      // rounds to 1000000 (E = 6): scientific
	MustNew(999999, 1),         // E = 5: fixed
	MustNew(1234567.89, 1.2),   // E = 6: scientific
	MustNew(1.2345678901, 1.2e-10),
	MustNew(1.2345678901234567, 1.2e-16), // last digit below 1e-15: scientific
	MustNew(6.02214076e23, 1.2e18),
	MustNew(1.380649e-23, 2.5e-29),
	MustNew(0, 1.2e-7),
	MustNew(math.Copysign(0, -1), 0.1),
	MustNew(-0.001, 0.1),
	MustNew(3e-8, 1.2e-7), // |n| < u
	MustNew(5, 12345),     // u > |n|
	MustNew(2.5, 0.25),    // ties: 0.25 → 0.2 (even) at one digit
	MustNew(0.125, 0.0125),
	MustNew(10, 0.354), // PDG: 354 → two digits
	MustNew(10, 0.355), // PDG: 355 → one digit
	MustNew(10, 0.949),
	MustNew(10, 0.95), // PDG: 950 → 1.0
	MustNew(10, 0.999),
	MustNew(10, 0.1),
	MustNew(9.96, 0.996), // carry 0.996 → 1.0
	MustNew(1e-320, 5e-324),
	MustNew(5e-324, 5e-324),
	MustNew(1e300, 2e299),
	MustNew(-1.7976931348623157e308, 1e308), // n' would overflow: FormatFull
	MustNew(1e308, 1.7976931348623157e308),  // u' would overflow: FormatFull
	MustNew(3, 0),
	MustNew(1e20, 0),
	MustNew(7, math.Inf(1)),
}

// goldenStyles are the styles of testdata/format/styles.txt, by name, in
// nu mode and in interval mode. Fixed notation is left out for values beyond
// 10^±30, where it writes hundreds of zeros.
var goldenStyles = map[Mode][]string{
	ModeNU: {"d2", "d2,fixed", "d2,sci", "d2,concise", "d2,uni", "d2,sci,uni", "d2,concise,uni",
		"pdg", "pdg,concise", "pdg,uni", "d1", "d4"},
	ModeInterval: {"d2", "d2,fixed", "d2,sci", "d2,concise", "d2,uni", "d2,concise,uni", "pdg", "pdg,uni", "d1"},
}

// parseStyle reads a style name such as "d2,sci,uni" or "pdg,concise".
func parseStyle(name string) Style {
	var s Style
	for _, f := range strings.Split(name, ",") {
		switch {
		case f == "pdg":
			s.PDG = true
		case f == "uni":
			s.Unicode = true
		case f == "fixed":
			s.Notation = NotationFixed
		case f == "sci":
			s.Notation = NotationScientific
		case f == "concise":
			s.Notation = NotationConcise
		case strings.HasPrefix(f, "d"):
			s.Digits, _ = strconv.Atoi(f[1:])
		default:
			panic("bad style " + name)
		}
	}
	return s
}

// TestFormatStyleGolden renders goldenValues in goldenStyles in both modes
// and compares with testdata/format/styles.txt (go test -run
// TestFormatStyleGolden -update rewrites it). Every line is also checked as
// TestFormatStyleMany checks random values.
func TestFormatStyleGolden(t *testing.T) {
	var b strings.Builder
	b.WriteString("# FormatStyle outputs: value (FormatFull), then one line per mode and style\n" +
		"# (d2: Digits 2; pdg: the PDG rule; fixed, sci, concise: the notation, auto when absent;\n" +
		"# uni: Unicode). Regenerate with go test ./core/nu -run TestFormatStyleGolden -update.\n")
	for _, v := range goldenValues {
		fmt.Fprintf(&b, "\n%s\n", v.FormatFull())
		for _, m := range []Mode{ModeNU, ModeInterval} {
			for _, name := range goldenStyles[m] {
				s := parseStyle(name)
				if s.Notation == NotationFixed && v.U() != 0 && !(v.U() < 1e30 && math.Abs(v.N()) < 1e30 && v.U() > 1e-30) {
					continue
				}
				got := v.FormatStyle(m, s)
				fmt.Fprintf(&b, "  %-8s %-15s %s\n", m, name, got)
				if e := checkStyle(v, m, s, got); e != "" {
					t.Errorf("FormatStyle(%v, %v, %s) = %q: %s", v.FormatFull(), m, name, got, e)
				}
			}
		}
	}
	path := filepath.Join("testdata", "format", "styles.txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gotLines, wantLines := strings.Split(b.String(), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gotLines), len(wantLines)); i++ {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Errorf("%s:%d:\n got  %q\n want %q", path, i+1, g, w)
		}
	}
}

// TestFormatStyleCompat: Format, FormatOutward and FormatIn are FormatStyle
// with Digits sig (at least 1), and ModeGUM (or any mode but interval) rounds
// to nearest.
func TestFormatStyleCompat(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 2000; i++ {
		v, ok := randDisplayValue(r)
		if !ok {
			continue
		}
		sig := r.IntN(5)
		st := Style{Digits: max(sig, 1)}
		if got, want := v.Format(sig), v.FormatStyle(ModeNU, st); got != want {
			t.Fatalf("Format(%v, %d) = %q, FormatStyle %q", v.FormatFull(), sig, got, want)
		}
		if got, want := v.FormatOutward(sig), v.FormatStyle(ModeInterval, st); got != want {
			t.Fatalf("FormatOutward(%v, %d) = %q, FormatStyle %q", v.FormatFull(), sig, got, want)
		}
		if got, want := v.FormatIn(Mode(2), sig), v.Format(sig); got != want {
			t.Fatalf("FormatIn(mode 2, %v, %d) = %q, Format %q", v.FormatFull(), sig, got, want)
		}
		if got, want := v.FormatIn(ModeInterval, sig), v.FormatOutward(sig); got != want {
			t.Fatalf("FormatIn(interval, %v, %d) = %q, FormatOutward %q", v.FormatFull(), sig, got, want)
		}
	}
	if got := MustNew(200, 14.150971698084906).FormatStyle(ModeNU, Style{}); got != "200 ± 14" {
		t.Errorf("the zero Style: %q", got)
	}
	if got := MustNew(200, 14.150971698084906).FormatStyle(ModeNU, Style{Digits: -3}); got != "200 ± 14" {
		t.Errorf("Digits < 0: %q", got)
	}
}

// TestFormatStyleExamples: the forms the documentation shows.
func TestFormatStyleExamples(t *testing.T) {
	v := MustNew(0.000123, 0.000002)
	cases := []struct {
		m    Mode
		s    Style
		want string
	}{
		{ModeNU, Style{}, "1.230e-4 ± 2.0e-6"},
		{ModeNU, Style{Unicode: true}, "(1.230 ± 0.020)×10⁻⁴"},
		{ModeNU, Style{Notation: NotationConcise}, "1.230(20)e-4"},
		{ModeNU, Style{Notation: NotationConcise, Unicode: true}, "1.230(20)×10⁻⁴"},
		{ModeNU, Style{Notation: NotationFixed}, "0.0001230 ± 0.0000020"},
		{ModeNU, Style{PDG: true}, "1.230e-4 ± 2.0e-6"}, // 200: two digits
		{ModeNU, Style{PDG: true, Notation: NotationConcise}, "1.230(20)e-4"},
		{ModeInterval, Style{}, "1.230e-4 ± 2.1e-6"}, // the floats are not these decimals
		{ModeInterval, Style{Notation: NotationConcise}, "1.230(21)e-4"},
	}
	for _, c := range cases {
		if got := v.FormatStyle(c.m, c.s); got != c.want {
			t.Errorf("FormatStyle(%v, %+v) = %q, want %q", c.m, c.s, got, c.want)
		}
	}
	pdg := []struct {
		u    float64
		want string
	}{
		{0.1, "10.00 ± 0.10"}, {0.354, "10.00 ± 0.35"}, {0.3549, "10.00 ± 0.35"}, {0.355, "10.0 ± 0.4"},
		{0.949, "10.0 ± 0.9"}, {0.95, "10.0 ± 1.0"}, {0.999, "10.0 ± 1.0"}, {1, "10.0 ± 1.0"},
		{3.54, "10.0 ± 3.5"}, {3.55, "10 ± 4"}, {9.5, "10 ± 10"}, {99.9, "10 ± 100"}, {0.9501, "10.0 ± 1.0"},
		{0.0945, "10.00 ± 0.09"}, {0.0955, "10.00 ± 0.10"}, {1234, "0 ± 1200"}, {4.5e-6, "10.000000 ± 0.000005"},
	}
	for _, c := range pdg {
		if got := MustNew(10, c.u).FormatStyle(ModeNU, Style{PDG: true}); got != c.want {
			t.Errorf("PDG 10 ± %v = %q, want %q", c.u, got, c.want)
		}
	}
}

// TestFormatStyleMany is the display-rounding check of every style: for
// each of the styles auto, fixed, scientific, concise and PDG, 100,000
// values from a fixed seed (a tenth under GOOS=js or -short) across the
// float64 range, with Digits 1 to 4 (or the PDG rule with any notation) and
// ASCII or Unicode at random, are formatted in interval mode, and a fifth of
// them in nu mode too, and checked by checkStyleStats with math/big: in
// interval mode the shown interval, read as exact decimals, contains the
// computed one and u' is the smallest such bound; the layout is the one the
// notation asks for; Parse reads the output back to the float64s nearest the
// shown decimals. For every tenth value n' and u' must also equal what the
// independent big.Rat computation wantRound gives.
func TestFormatStyleMany(t *testing.T) {
	count := 100_000 / wasmDivisor
	if testing.Short() {
		count = 10_000
	}
	styles := []struct {
		name string
		s    Style
	}{
		{"auto", Style{}}, {"fixed", Style{Notation: NotationFixed}}, {"scientific", Style{Notation: NotationScientific}},
		{"concise", Style{Notation: NotationConcise}}, {"pdg", Style{PDG: true}},
	}
	for i, st := range styles {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(17, uint64(i)))
			var stats styleStats
			for checked := 0; checked < count; {
				v, ok := randDisplayValue(r)
				if !ok {
					continue
				}
				s := st.s
				if !s.PDG {
					s.Digits = 1 + r.IntN(4)
				} else {
					s.Notation = Notation(r.IntN(4))
				}
				s.Unicode = r.IntN(2) == 0
				for _, m := range []Mode{ModeInterval, ModeNU} {
					if m == ModeNU && checked%5 != 0 {
						continue // nu mode on a fifth of the values
					}
					got := v.FormatStyle(m, s)
					if e := checkStyleStats(v, m, s, got, checked%10 == 0, &stats); e != "" {
						t.Fatalf("FormatStyle(%v, %v, %+v) = %q: %s", v.FormatFull(), m, s, got, e)
					}
				}
				checked++
			}
			t.Logf("%d values in interval mode, %d in nu mode; layouts %v; in interval mode Parse's float64 interval missed the computed one %d times",
				count, (count+4)/5, stats.layouts, stats.parsedMiss)
		})
	}
}

// randDisplayValue draws n ± u with u > 0 finite: half with n from 1e-6 to
// 1e9 (where the fixed layouts are), half across the float64 range from
// subnormals to 1e307; u from far below |n| to far above, n = 0, u = |n|,
// binary fractions that make ties, and u near the PDG boundaries 354/355,
// 949/950 and 999/1000.
func randDisplayValue(r *rand.Rand) (Value, bool) {
	mag := func(lo, hi int) float64 {
		return (1 + 9*r.Float64()) * math.Pow(10, float64(lo+r.IntN(hi-lo+1)))
	}
	en := -6 + r.IntN(15)
	if r.IntN(2) == 0 {
		en = -320 + r.IntN(627)
	}
	n := mag(en, en)
	if r.IntN(2) == 0 {
		n = -n
	}
	var u float64
	switch r.IntN(8) {
	case 0:
		n, u = 0, mag(-323, 306)
	case 1:
		u = math.Abs(n)
	case 2:
		u = mag(-323, 306)
	case 3: // binary fractions: exact ties at decimal places
		s := math.Ldexp(1, r.IntN(20)-10)
		n = float64(r.IntN(4001)-2000) * s
		u = float64(1+r.IntN(999)) * s / 8
	case 4: // the PDG boundaries
		b := []float64{100, 354, 355, 949, 950, 999, 1000}[r.IntN(7)]
		u = (b + (r.Float64()-0.5)*r.Float64()) * math.Pow(10, float64(r.IntN(40)-20))
	default:
		u = mag(max(en-20, -323), min(en+3, 306))
	}
	if math.IsInf(n, 0) || math.IsInf(u, 0) || !(u > 0) || math.IsNaN(n) {
		return Value{}, false
	}
	return MustNew(n, u), true
}

// styleStats counts what checkStyle saw.
type styleStats struct {
	layouts    map[string]int
	parsedMiss int // interval mode: Parse's float64 interval does not contain the computed one
}

// checkStyle checks one output of FormatStyle in full (see checkStyleStats).
func checkStyle(v Value, m Mode, s Style, got string) string {
	return checkStyleStats(v, m, s, got, true, nil)
}

// checkStyleStats checks one output of FormatStyle, exactly, with math/big,
// and returns "" or what is wrong: the layout is the one the notation asks
// for (fixed, scientific with each number's exponent, typeset with the common
// exponent, concise), n' and u' end at the same decimal place, u' has the
// digits asked for, in interval mode the shown interval contains the computed
// one ([n'-u', n'+u'] ⊇ [n-u, n+u]) and u' is the smallest such bound at its
// place, in any other mode n' and u' are within half a unit of n and u, and
// Parse reads the output back to the float64s nearest the shown decimals.
// With full set, n' and u' must also equal what wantRound computes
// independently with big.Rat.
func checkStyleStats(v Value, m Mode, s Style, got string, full bool, st *styleStats) string {
	if v.U() == 0 || math.IsInf(v.U(), 1) {
		if got != v.Format(2) {
			return "an exact or infinite value must keep its spelling " + v.Format(2)
		}
		return ""
	}
	outward := m == ModeInterval
	if math.Max(math.Abs(v.N()), v.U()) > 1e307 {
		full = true // the overflow fallback is decided by wantRound
	}
	var kn, ku *big.Int
	var p int
	if full {
		kn, ku, p = wantRound(v, outward, s)
		nf, _ := strconv.ParseFloat(kn.String()+"e"+strconv.Itoa(p), 64)
		uf, _ := strconv.ParseFloat(ku.String()+"e"+strconv.Itoa(p), 64)
		if math.IsInf(nf, 0) || math.IsInf(uf, 0) {
			if got != v.FormatFull() {
				return "n' or u' overflows: want FormatFull " + v.FormatFull()
			}
			return ""
		}
	}
	sh, err := readShown(got)
	if err != "" {
		return err
	}
	if st != nil {
		if st.layouts == nil {
			st.layouts = map[string]int{}
		}
		st.layouts[sh.kind]++
	}
	// The places: both numerals end at the same place, p; an integer in
	// fixed notation ends at the units, with zeros down to them.
	intFixed := sh.kind == "fixed" && sh.places[0] == 0 // (concise digits count from n's last digit)
	for _, pl := range sh.places[1:] {
		if pl != sh.places[0] {
			return "n' and u' end at different places"
		}
	}
	if !full {
		p = sh.places[0]
		if intFixed { // the place is that of the last non-zero digit of either
			p = min(trailingZeros(sh.n.k), trailingZeros(sh.u.k))
		}
	} else if intFixed && p < 0 || !intFixed && sh.places[0] != p {
		return fmt.Sprintf("the numerals end at 10^%d, want 10^%d", sh.places[0], p)
	}
	// The layout and the exponents.
	e := sh.u.exp()
	if sh.n.k.Sign() != 0 {
		e = max(e, sh.n.exp())
	}
	autoFixed := e > SciLow && e < SciHigh && p >= FixedMinPlace
	want := "sci"
	switch s.Notation {
	case NotationFixed:
		want = "fixed"
	case NotationConcise:
		want = "concise-sci"
		if autoFixed && p <= 0 {
			want = "concise"
		}
	case NotationScientific:
	default:
		if autoFixed {
			want = "fixed"
		}
	}
	if s.Unicode && want == "sci" {
		want = "uni"
	} else if s.Unicode && want == "concise-sci" {
		want = "concise-uni"
	}
	if sh.kind != want {
		return "layout " + sh.kind + ", want " + want
	}
	switch sh.kind {
	case "sci":
		if sh.exps[1] != sh.u.exp() || sh.n.k.Sign() != 0 && sh.exps[0] != sh.n.exp() || sh.n.k.Sign() == 0 && sh.exps[0] != sh.exps[1] {
			return "the exponents are not the numbers' own"
		}
	case "uni", "concise-sci", "concise-uni":
		if sh.exps[0] != e {
			return fmt.Sprintf("exponent %d, want %d", sh.exps[0], e)
		}
	}
	// The digits of u'.
	digits := len(sh.u.k.String())
	if intFixed {
		digits -= p // without full, p may be above the place and digits too few
	}
	wantDigits := min(max(s.Digits, 1), maxStyleDigits)
	if s.Digits <= 0 {
		wantDigits = 2
	}
	switch {
	case s.PDG && (digits > 2 || digits < 1 && (full || !intFixed)):
		return "PDG: u' has " + strconv.Itoa(digits) + " digits"
	case !s.PDG && (digits > wantDigits || digits < wantDigits && (full || !intFixed)):
		return "u' has " + strconv.Itoa(digits) + " digits"
	}
	// The numbers.
	x := ints(xfloat(v.N()), xfloat(v.U()), sh.n.x(), sh.u.x(), xdec(big.NewInt(1), p))
	n, u, n1, u1, unit := x[0], x[1], x[2], x[3], x[4]
	dn := new(big.Int).Sub(n, n1)
	dn.Abs(dn)
	if outward {
		need := new(big.Int).Add(dn, u)
		if u1.Cmp(need) < 0 {
			return "the shown interval does not contain the computed one"
		}
		if new(big.Int).Sub(u1, unit).Cmp(need) >= 0 {
			return "u' is wider than needed at its last digit"
		}
	} else {
		du := new(big.Int).Sub(u, u1)
		du.Abs(du).Lsh(du, 1)
		if dn.Lsh(dn, 1).Cmp(unit) > 0 || du.Cmp(unit) > 0 && !(s.PDG && du.Cmp(new(big.Int).Lsh(unit, 1)) <= 0) {
			return "n' or u' is more than half a unit from n or u"
		}
	}
	if full {
		w := ints(sh.n.x(), xdec(kn, p), sh.u.x(), xdec(ku, p))
		if w[0].Cmp(w[1]) != 0 || w[2].Cmp(w[3]) != 0 {
			return fmt.Sprintf("shows %s ± %s, want %se%d ± %se%d", sh.n, sh.u, kn, p, ku, p)
		}
	}
	// Parse reads it back to the float64s nearest the shown decimals.
	neg := strings.HasPrefix(strings.TrimPrefix(got, "("), "-")
	if (sh.n.k.Sign() < 0 || sh.n.k.Sign() == 0 && math.Signbit(v.N())) != neg {
		return "the sign of n'"
	}
	nf, _ := strconv.ParseFloat(sh.n.String(), 64)
	uf, _ := strconv.ParseFloat(sh.u.String(), 64)
	back, perr := Parse(got)
	if perr != nil {
		return "Parse: " + perr.Error()
	}
	if back.N() != nf || back.U() != uf || math.Signbit(back.N()) != neg {
		return fmt.Sprintf("Parse gives %v, want %v ± %v", back.FormatFull(), nf, uf)
	}
	if outward && st != nil {
		x := ints(xfloat(v.N()), xfloat(v.U()), xfloat(back.N()), xfloat(back.U()))
		d := new(big.Int).Sub(x[0], x[2])
		if d.Abs(d).Add(d, x[1]).Cmp(x[3]) > 0 {
			st.parsedMiss++
		}
	}
	return ""
}

// xnum is k·2^e2·10^e10 exactly.
type xnum struct {
	k       *big.Int
	e2, e10 int
}

func xfloat(x float64) xnum {
	f, e := math.Frexp(x)
	return xnum{big.NewInt(int64(f * (1 << 53))), e - 53, 0}
}

func xdec(k *big.Int, p int) xnum { return xnum{k, 0, p} }

// ints returns the numbers xs times a common factor 2^a·10^b that makes
// them all integers.
func ints(xs ...xnum) []*big.Int {
	a, b := 0, 0
	for _, x := range xs {
		a, b = max(a, -x.e2), max(b, -x.e10)
	}
	out := make([]*big.Int, len(xs))
	for i, x := range xs {
		z := new(big.Int).Lsh(x.k, uint(x.e2+a))
		if x.e10+b != 0 {
			z.Mul(z, testPow10(x.e10+b))
		}
		out[i] = z
	}
	return out
}

var (
	testPow10Mu    sync.Mutex
	testPow10Cache = map[int]*big.Int{}
)

// testPow10 returns 10^k, k ≥ 0, from a cache shared by the parallel tests
// (not to be modified).
func testPow10(k int) *big.Int {
	testPow10Mu.Lock()
	defer testPow10Mu.Unlock()
	z, ok := testPow10Cache[k]
	if !ok {
		z = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil)
		testPow10Cache[k] = z
	}
	return z
}

func trailingZeros(k *big.Int) int {
	s := k.String()
	if k.Sign() == 0 {
		return 1 << 20
	}
	return len(s) - len(strings.TrimRight(s, "0"))
}

// wantRound computes with big.Rat, independently of style.go, the n' = kn·10^p
// and u' = ku·10^p that FormatStyle shows.
func wantRound(v Value, outward bool, s Style) (kn, ku *big.Int, p int) {
	sig := s.Digits
	if sig <= 0 {
		sig = 2
	}
	n, u := new(big.Rat).SetFloat64(v.N()), new(big.Rat).SetFloat64(v.U())
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(sig)), nil)
	pdgUp := false // 950 to 999: round up to 1000
	if s.PDG {
		mant, exp, _ := strings.Cut(strconv.FormatFloat(v.U(), 'e', -1, 64), "e")
		e, _ := strconv.Atoi(exp)
		three, _ := strconv.Atoi((strings.Replace(mant, ".", "", 1) + "00")[:3])
		p = e
		if three < 355 {
			p = e - 1
		}
		pdgUp = three >= 950
		limit = big.NewInt(100)
	} else {
		p = decExp(u) - (sig - 1)
	}
	half := big.NewRat(1, 2)
	for {
		q := ratPow10(p)
		if outward {
			kn = floorDiv(new(big.Rat).Add(new(big.Rat).Quo(n, q), half), big.NewRat(1, 1))
			d := new(big.Rat).Sub(n, new(big.Rat).Mul(new(big.Rat).SetInt(kn), q))
			ku = ceilDiv(d.Abs(d).Add(d, u), q)
		} else {
			ku = halfEven(new(big.Rat).Quo(u, q))
			if pdgUp {
				ku = big.NewInt(10)
			}
			kn = halfEven(new(big.Rat).Quo(new(big.Rat).Abs(n), q))
			if n.Sign() < 0 {
				kn.Neg(kn)
			}
		}
		if ku.Cmp(limit) < 0 {
			return kn, ku, p
		}
		p++
	}
}

// halfEven rounds x ≥ 0 to the nearest integer, ties to even.
func halfEven(x *big.Rat) *big.Int {
	f := floorDiv(x, big.NewRat(1, 1))
	frac := new(big.Rat).Sub(x, new(big.Rat).SetInt(f))
	if c := frac.Cmp(big.NewRat(1, 2)); c > 0 || c == 0 && f.Bit(0) == 1 {
		f.Add(f, big.NewInt(1))
	}
	return f
}

// decimal is a shown number k·10^p as written: k keeps trailing zeros.
type decimal struct {
	k *big.Int
	p int
}

func (d decimal) x() xnum { return xdec(d.k, d.p) }

// exp is the exponent of the leading digit (d ≠ 0).
func (d decimal) exp() int { return d.p + len(new(big.Int).Abs(d.k).String()) - 1 }

func (d decimal) String() string { return d.k.String() + "e" + strconv.Itoa(d.p) }

// shown is an output of FormatStyle read back by readShown.
type shown struct {
	kind   string  // fixed, sci, uni, concise, concise-sci, concise-uni
	n, u   decimal // the numbers shown
	places []int   // the decimal place of the last digit of each numeral
	exps   []int   // the exponents written (n's and u's for sci, the common one otherwise)
}

// readShown reads "n ± u", "ne ± ue", "(n ± u)×10ᵉ", "n(d)", "n(d)ee" and
// "n(d)×10ᵉ" strictly, independently of Parse.
func readShown(s string) (shown, string) {
	var sh shown
	set := func(i int, d decimal) {
		if i == 0 {
			sh.n = d
		} else {
			sh.u = d
		}
		sh.places = append(sh.places, d.p)
	}
	switch {
	case strings.HasPrefix(s, "("):
		inner, sup, ok := strings.Cut(s[1:], ")×10")
		ns, us, ok2 := strings.Cut(inner, " ± ")
		e, ok3 := readSuper(sup)
		if !ok || !ok2 || !ok3 {
			return sh, "unreadable Unicode form"
		}
		sh.kind, sh.exps = "uni", []int{e}
		for i, x := range []string{ns, us} {
			d, ok := readNumeral(x, i == 0)
			if !ok {
				return sh, "unreadable numeral " + strconv.Quote(x)
			}
			d.p += e
			set(i, d)
		}
	case strings.Contains(s, " ± "):
		ns, us, _ := strings.Cut(s, " ± ")
		for i, x := range []string{ns, us} {
			mant, exp, hasE := strings.Cut(x, "e")
			e := 0
			if hasE {
				var err error
				if e, err = strconv.Atoi(exp); err != nil || strconv.Itoa(e) != exp {
					return sh, "bad exponent in " + strconv.Quote(x)
				}
				sh.exps = append(sh.exps, e)
				if m := strings.TrimPrefix(mant, "-"); len(m) > 1 && m[1] != '.' || m[0] == '0' && m != "0" && !strings.HasPrefix(m, "0.") {
					return sh, "mantissa not normalized: " + strconv.Quote(x)
				}
			}
			d, ok := readNumeral(mant, i == 0)
			if !ok {
				return sh, "unreadable numeral " + strconv.Quote(x)
			}
			if hasE && d.k.Sign() != 0 && strings.TrimPrefix(mant, "-")[0] == '0' {
				return sh, "mantissa not normalized: " + strconv.Quote(x)
			}
			d.p += e
			set(i, d)
		}
		switch len(sh.exps) {
		case 0:
			sh.kind = "fixed"
		case 2:
			sh.kind = "sci"
		default:
			return sh, "one number with an exponent, one without"
		}
	case strings.Contains(s, "("):
		ns, rest, _ := strings.Cut(s, "(")
		ds, tail, ok := strings.Cut(rest, ")")
		if !ok || ds == "" || strings.Trim(ds, "0123456789") != "" || len(ds) > 1 && ds[0] == '0' {
			return sh, "unreadable concise form"
		}
		e := 0
		sh.kind = "concise"
		switch {
		case tail == "":
		case strings.HasPrefix(tail, "e"):
			var err error
			if e, err = strconv.Atoi(tail[1:]); err != nil || strconv.Itoa(e) != tail[1:] {
				return sh, "bad exponent"
			}
			sh.kind = "concise-sci"
		case strings.HasPrefix(tail, "×10"):
			if e, ok = readSuper(tail[len("×10"):]); !ok {
				return sh, "bad exponent"
			}
			sh.kind = "concise-uni"
		default:
			return sh, "unexpected " + strconv.Quote(tail)
		}
		sh.exps = []int{e}
		d, ok := readNumeral(ns, true)
		if !ok {
			return sh, "unreadable numeral " + strconv.Quote(ns)
		}
		d.p += e
		set(0, d)
		k, _ := new(big.Int).SetString(ds, 10)
		sh.u = decimal{k, d.p}
	default:
		return sh, "no ± and no parentheses"
	}
	return sh, ""
}

// readNumeral reads [-]digits[.digits] as k·10^p, p the place of its last
// digit.
func readNumeral(x string, signed bool) (decimal, bool) {
	d := x
	if signed {
		d = strings.TrimPrefix(d, "-")
	}
	ip, fp, dot := strings.Cut(d, ".")
	if ip == "" || strings.Trim(ip, "0123456789") != "" || strings.Trim(fp, "0123456789") != "" || dot && fp == "" ||
		len(ip) > 1 && ip[0] == '0' {
		return decimal{}, false
	}
	k, ok := new(big.Int).SetString(ip+fp, 10)
	if d != x {
		k.Neg(k)
	}
	return decimal{k, -len(fp)}, ok
}

// readSuper reads a superscript exponent such as "⁻⁴".
func readSuper(s string) (int, bool) {
	neg := strings.HasPrefix(s, "⁻")
	s = strings.TrimPrefix(s, "⁻")
	if s == "" || strings.HasPrefix(s, "⁰") && s != "⁰" {
		return 0, false
	}
	e := 0
	for _, r := range s {
		d := strings.IndexRune("⁰¹²³⁴⁵⁶⁷⁸⁹", r)
		if d < 0 {
			return 0, false
		}
		e = e*10 + utf8.RuneCountInString("⁰¹²³⁴⁵⁶⁷⁸⁹"[:d])
	}
	if neg {
		e = -e
	}
	return e, true
}

// TestParseTypeset: Parse reads the Unicode forms, scaling exactly.
func TestParseTypeset(t *testing.T) {
	cases := []struct {
		in   string
		n, u float64
	}{
		{"(1.230 ± 0.020)×10⁻⁴", 1.230e-4, 2.0e-6},
		{"(1.230 ± 0.020)×10⁴", 12300, 200},
		{"(-1.230 ± 0.020) × 10⁻⁴", -1.230e-4, 2.0e-6},
		{"(1.230 +- 0.020)×10⁺⁴", 12300, 200},
		{"(1.230 ± 0.020)", 1.230, 0.020},
		{"(6.022141 ± 0.000013)×10²³", 6.022141e23, 1.3e18},
		{"(9.9999 ± 0.0050)×10⁻³²¹", 9.9999e-321, 5e-324},
		{"1.230(20)×10⁻⁴", 1.230e-4, 2.0e-6},
		{"-1.5(2)×10³", -1500, 200},
		{"1.2×10⁻⁴ ± 2×10⁻⁶", 1.2e-4, 2e-6},
		{"1.2 ×10¹⁰", 1.2e10, 0},
		{"0.3×10⁰", 0.3, 0},
		{"1.230e-4 ± 2.0e-6", 1.230e-4, 2.0e-6},
		{"1.230(20)e-4", 1.230e-4, 2.0e-6},
		{"1.2300(20)e-4", 1.23e-4, 2.0e-7},
		{"1.23(15)e5", 123000, 15000},
		{"0.0(12)e-7", 0, 1.2e-7},
	}
	for _, c := range cases {
		v, err := Parse(c.in)
		if err != nil || v.N() != c.n || v.U() != c.u {
			t.Errorf("Parse(%q) = %v, %v; want %v ± %v", c.in, v.FormatFull(), err, c.n, c.u)
		}
	}
	errs := []struct {
		in  string
		col int
	}{
		{"(1.230 ± 0.020", 15},
		{"(1.230)×10⁻⁴", 7},
		{"(1.230 ± 0.020)×10", 16},
		{"(1.230 ± 0.020)×10⁻", 16},
		{"(1.230 ± 0.020)×10¹²³⁴⁵⁶⁷", 16},
		{"1.2×10", 4},
		{"(1(2) ± 3)", 7},
		{"((1 ± 2))", 2},
		{"(1 ± 2) ± 3", 9},
	}
	for _, c := range errs {
		_, err := Parse(c.in)
		if e, ok := AsError(err); !ok || e.Code != CodeSyntax || e.Column != c.col {
			t.Errorf("Parse(%q) err = %v, want a syntax error at column %d", c.in, err, c.col)
		}
	}
	if _, err := Parse("(1 ± 2)×10⁹⁹⁹⁹⁹⁹"); err == nil {
		t.Error("an overflowing factor must fail")
	}
}

// FuzzFormatStyle: FormatStyle never panics, and every output, in every
// style and mode, passes checkStyle (Parse reads it back to the float64s
// nearest the decimals shown; in interval mode the shown interval contains
// the computed one).
func FuzzFormatStyle(f *testing.F) {
	f.Add(200.0, 20.5, uint8(1), uint8(2), uint8(0))
	f.Add(0.000123, 0.000002, uint8(0), uint8(2), uint8(0b1011))
	f.Add(-1.7976931348623157e308, 1e308, uint8(1), uint8(0), uint8(0b100))
	f.Add(5e-324, 5e-324, uint8(2), uint8(17), uint8(0b0110))
	f.Add(10.0, 0.95, uint8(0), uint8(0), uint8(0b10000))
	f.Add(1.0, 0.0, uint8(1), uint8(2), uint8(0))
	f.Add(1.0, math.Inf(1), uint8(0), uint8(2), uint8(1))
	f.Fuzz(func(t *testing.T, n, u float64, mode, digits, flags uint8) {
		v, err := New(n, u)
		if err != nil {
			return
		}
		s := Style{Digits: int(digits%40) - 2, PDG: flags&0b10000 != 0, Notation: Notation(flags & 0b11), Unicode: flags&0b100 != 0}
		if flags&0b1000 != 0 {
			s.Notation = Notation(flags>>5) + 4 // unknown notations are auto
		}
		m := Mode(mode % 4)
		got := v.FormatStyle(m, s)
		if s.Notation > NotationConcise {
			s.Notation = NotationAuto
		}
		if e := checkStyle(v, m, s, got); e != "" {
			t.Fatalf("FormatStyle(%v, %v, %+v) = %q: %s", v.FormatFull(), m, s, got, e)
		}
	})
}

// BenchmarkFormatStyle formats values of moderate magnitude (the fixed
// layout) and values across the range (mostly scientific).
func BenchmarkFormatStyle(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	var wide [1024]Value
	for i := range wide {
		for {
			if v, ok := randDisplayValue(r); ok {
				wide[i] = v
				break
			}
		}
	}
	var sink string
	for _, c := range []struct {
		name string
		m    Mode
		s    Style
		vals *[1024]Value
	}{
		{"nu/d2/moderate", ModeNU, Style{}, &benchA},
		{"interval/d2/moderate", ModeInterval, Style{}, &benchA},
		{"nu/d2/wide", ModeNU, Style{}, &wide},
		{"interval/d2/wide", ModeInterval, Style{}, &wide},
		{"interval/pdg/uni/wide", ModeInterval, Style{PDG: true, Unicode: true}, &wide},
		{"nu/concise/wide", ModeNU, Style{Notation: NotationConcise}, &wide},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				sink = c.vals[i&1023].FormatStyle(c.m, c.s)
			}
		})
	}
	_ = sink
}

func ExampleValue_FormatStyle() {
	v := MustNew(0.000123, 0.000002)
	fmt.Println(v.FormatStyle(ModeNU, Style{}))
	fmt.Println(v.FormatStyle(ModeNU, Style{Unicode: true}))
	fmt.Println(v.FormatStyle(ModeNU, Style{Notation: NotationConcise}))
	fmt.Println(v.FormatStyle(ModeInterval, Style{}))
	fmt.Println(MustNew(10, 0.96).FormatStyle(ModeNU, Style{PDG: true}))
	// Output:
	// 1.230e-4 ± 2.0e-6
	// (1.230 ± 0.020)×10⁻⁴
	// 1.230(20)e-4
	// 1.230e-4 ± 2.1e-6
	// 10.0 ± 1.0
}
