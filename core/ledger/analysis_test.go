package ledger

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

var inf = nu.Float(math.Inf(1))

// fullAnalysis has every part of an analysis: the four distributions (an
// empty name, a name with a newline and non-ASCII, -0, finite and infinite
// degrees of freedom), an adaptive Monte Carlo run with every flag set and
// the largest seed, and an expanded uncertainty derived from p.
func fullAnalysis() *Analysis {
	return &Analysis{
		Inputs: []InputDist{
			{Name: "x", Dist: DistNormal, N: 3, U: 0.1, DoF: inf},
			{Name: "y", Dist: DistUniform, N: 2, U: nu.Float(0.5 / math.Sqrt(3)), Lo: 1.5, Hi: 2.5, DoF: inf},
			{Name: "", Dist: DistTriangular, N: nu.Float(math.Copysign(0, -1)), U: nu.Float(0.5 / math.Sqrt(6)), Lo: -0.5, Hi: 0.5, DoF: 50},
			{Name: "1.5 ± 0.2 µm\nsecond line", Dist: DistT, N: 1.5, U: 0.2, DoF: 4},
		},
		MonteCarlo: &MonteCarlo{Draws: 260_000, Seed: math.MaxUint64, P: 0.95, Shortest: true, Adaptive: true, Digits: 2,
			Converged: true, Mean: 6.5002, U: 0.8901, Lo: 4.96, Hi: 8.04},
		Expanded: &Expanded{K: 2.1314, P: 0.95, DoF: 14.6, U: 1.8974},
	}
}

// analysisDraft is an "expr" draft with the analysis a.
func analysisDraft(opID string, a *Analysis) Draft {
	out := nu.MustNew(6.5, 0.890224690738243)
	return Draft{OpID: opID, Operation: "expr", Mode: ModeGUM, Expression: "x * y + c",
		Inputs: []nu.Value{nu.MustNew(3, 0.1), nu.MustNew(2, 0.2886751345948129)}, Output: &out,
		Coverage: nu.Float(out.RelativeUncertainty()), Invariant: Invariant{OK: true}, Analysis: a}
}

// analysisCases are analyses that must round-trip, each different.
func analysisCases() []struct {
	name string
	a    *Analysis
} {
	long := strings.Repeat("é", MaxInputNameLen/2) // 256 bytes
	many := make([]InputDist, MaxInputs)
	for i := range many {
		many[i] = InputDist{Name: long, Dist: DistTriangular, N: nu.Float(i), U: 1, Lo: nu.Float(i) - 1, Hi: nu.Float(i) + 1, DoF: inf}
	}
	return []struct {
		name string
		a    *Analysis
	}{
		{"full", fullAnalysis()},
		{"inputs only", &Analysis{Inputs: fullAnalysis().Inputs}},
		{"monte carlo only, no inputs, seed 0", &Analysis{MonteCarlo: &MonteCarlo{Draws: 1, Seed: 0, P: 0.5, Mean: 1, U: 0, Lo: 1, Hi: 1}}},
		{"monte carlo, seed 2^53+1, largest draws", &Analysis{Inputs: fullAnalysis().Inputs[:1],
			MonteCarlo: &MonteCarlo{Draws: MaxDraws, Seed: 1<<53 + 1, P: 0.99, Mean: -2, U: 1e-300, Lo: -1e308, Hi: 1e308}}},
		{"adaptive, not converged, 6 digits", &Analysis{MonteCarlo: &MonteCarlo{Draws: 10_000, Seed: 42, P: 0.6827, Adaptive: true, Digits: MaxDigits,
			Mean: 0, U: 1, Lo: -1, Hi: 1}}},
		{"expanded only, k given, +Inf dof", &Analysis{Expanded: &Expanded{K: 2, P: 0, DoF: inf, U: 0}}},
		{"expanded, dof 1", &Analysis{Inputs: fullAnalysis().Inputs[3:], Expanded: &Expanded{K: 12.706, P: 0.95, DoF: 1, U: 2.5412}}},
		{"4096 inputs with 256-byte names", &Analysis{Inputs: many}},
	}
}

// TestAnalysisRoundTrip: draft → seal → JSON → strict read → the same
// entry, whose leaf parses back to it and which verifies, alone and in a
// bundle; and encoding/json reads the same values from the bundle.
func TestAnalysisRoundTrip(t *testing.T) {
	s := newSigner(t, testOrigin)
	for _, tc := range analysisCases() {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLog(t, s, 2)
			d := analysisDraft("op-a", tc.a)
			d.ParentOpID = "op-0001"
			d.Timestamp = 1
			prev, _ := l.Get(1)
			// Seal, not Log.Append: the log refuses entries longer than
			// MaxBundleEntry, which the field rules allow.
			e, err := Seal(testOrigin, s, 2, prev.LinkHash(testOrigin), d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Append(d); (err == nil) != (len(e.Leaf(testOrigin)) <= MaxBundleEntry) {
				t.Fatalf("Log.Append of a %d-byte entry: %v", len(e.Leaf(testOrigin)), err)
			}
			j, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			var back Entry
			if err := back.UnmarshalJSON(j); err != nil {
				t.Fatalf("strict read of %.300s: %v", j, err)
			}
			if !reflect.DeepEqual(&back, e) {
				t.Fatalf("JSON round trip changed the entry:\n%+v\n%+v", back.Analysis, e.Analysis)
			}
			if err := back.Verify(testOrigin, s.Verifier()); err != nil {
				t.Fatal(err)
			}
			leaf := e.Leaf(testOrigin)
			p, err := ParseLeaf(testOrigin, leaf)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, e) || !bytes.Equal(p.Leaf(testOrigin), leaf) {
				t.Fatalf("leaf round trip changed the entry")
			}
			if e.Hash(testOrigin) != tlog.RecordHash(leaf) {
				t.Fatal("Hash differs from the record hash of the leaf")
			}
			if e.LinkHash(testOrigin) != sha256Sum(e.AppendBody(nil, testOrigin)) {
				t.Fatal("LinkHash differs from SHA-256 of the body")
			}
			if len(e.Analysis.Inputs) == 0 && !strings.Contains(string(j), `"analysis":{"inputs":[]`) {
				t.Fatalf("no inputs is not written []: %s", j)
			}
			if e.Analysis.MonteCarlo == nil && strings.Contains(string(j), "monte_carlo") ||
				e.Analysis.Expanded == nil && strings.Contains(string(j), "expanded") {
				t.Fatalf("an absent part is written: %s", j)
			}
			first, _ := l.Get(0)
			b := signedBundle(t, s, testOrigin, []*Entry{first, prev, e})
			if rep := verifyBoth(t, b, s.Verifier(), nil); !rep.OK || rep.Entries != 3 {
				t.Fatalf("%+v %+v", rep, rep.FirstBad)
			}
			sameAsGenericReader(t, bundleBytes(t, b), b)
		})
	}
}

func sha256Sum(b []byte) tlog.Hash { return sha256.Sum256(b) }

// TestAnalysisJSONSpelling: the seed is a decimal string (2^64-1 exactly),
// +Inf degrees of freedom are "+Inf", -0 keeps its sign, false flags and
// zero digits are omitted.
func TestAnalysisJSONSpelling(t *testing.T) {
	s := newSigner(t, testOrigin)
	e, err := Seal(testOrigin, s, 0, tlog.Hash{}, analysisDraft("op-a", fullAnalysis()))
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(e)
	for _, want := range []string{
		`"seed":"18446744073709551615"`,
		`{"name":"x","dist":"normal","n":3,"u":0.1,"lo":0,"hi":0,"dof":"+Inf"}`,
		`"name":"","dist":"triangular","n":-0,`,
		`"name":"1.5 ± 0.2 µm\nsecond line"`,
		`"shortest":true,"adaptive":true,"digits":2,"converged":true`,
		`"expanded":{"k":2.1314,"p":0.95,"dof":14.6,"u":1.8974}`,
	} {
		if !strings.Contains(string(j), want) {
			t.Errorf("JSON lacks %s:\n%s", want, j)
		}
	}
	a := &Analysis{MonteCarlo: &MonteCarlo{Draws: 5, Seed: 7, P: 0.9, Mean: 1, U: 1, Lo: 0, Hi: 2}}
	e, err = Seal(testOrigin, s, 0, tlog.Hash{}, analysisDraft("op-b", a))
	if err != nil {
		t.Fatal(err)
	}
	j, _ = json.Marshal(e)
	if want := `"analysis":{"inputs":[],"monte_carlo":{"draws":5,"seed":"7","p":0.9,"mean":1,"u":1,"lo":0,"hi":2}},"signature"`; !strings.Contains(string(j), want) {
		t.Errorf("JSON lacks %s:\n%s", want, j)
	}
	e.Analysis = nil
	if j, _ = json.Marshal(e); strings.Contains(string(j), "analysis") {
		t.Errorf("an entry without an analysis writes one: %s", j)
	}
}

func TestSeedText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"7", 7, true},
		{"9007199254740993", 1<<53 + 1, true},
		{"18446744073709551615", math.MaxUint64, true},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"184467440737095516150", 0, false},
		{"", 0, false},
		{"00", 0, false},
		{"07", 0, false},
		{"+7", 0, false},
		{"-7", 0, false},
		{"-0", 0, false},
		{" 7", 0, false},
		{"7 ", 0, false},
		{"7.0", 0, false},
		{"1e3", 0, false},
		{"0x10", 0, false},
		{"1_000", 0, false},
		{"٣", 0, false}, // an Arabic-Indic digit
	} {
		var s Seed
		err := s.UnmarshalText([]byte(tc.in))
		if (err == nil) != tc.ok || tc.ok && uint64(s) != tc.want {
			t.Errorf("UnmarshalText(%q) = %d, %v", tc.in, s, err)
			continue
		}
		if err != nil && !errors.Is(err, &nu.Error{Code: CodeMalformed}) {
			t.Errorf("UnmarshalText(%q): %v, want %s", tc.in, err, CodeMalformed)
		}
		if tc.ok {
			if b, _ := s.MarshalText(); string(b) != tc.in {
				t.Errorf("MarshalText(%d) = %s", s, b)
			}
		}
	}
}

// TestAnalysisValidate: every field rule refuses with the field's name,
// and the limits themselves are accepted.
func TestAnalysisValidate(t *testing.T) {
	nan := nu.Float(math.NaN())
	negZero := nu.Float(math.Copysign(0, -1))
	in := func(i int, f func(*InputDist)) func(*Draft) { return func(d *Draft) { f(&d.Analysis.Inputs[i]) } }
	mc := func(f func(*MonteCarlo)) func(*Draft) { return func(d *Draft) { f(d.Analysis.MonteCarlo) } }
	ex := func(f func(*Expanded)) func(*Draft) { return func(d *Draft) { f(d.Analysis.Expanded) } }
	for _, tc := range []struct {
		name string
		edit func(*Draft)
		want string // "" when accepted; else the start of "field: reason"
	}{
		{"the full analysis", func(*Draft) {}, ""},
		{"no output", func(d *Draft) { d.Output = nil }, "analysis: an entry with an analysis must have an output"},
		{"too many inputs", func(d *Draft) { d.Analysis.Inputs = make([]InputDist, MaxInputs+1) }, "analysis.inputs: more than 4096 inputs"},
		{"name not UTF-8", in(1, func(x *InputDist) { x.Name = "a\xffb" }), "analysis.inputs[1].name:"},
		{"name 257 bytes", in(0, func(x *InputDist) { x.Name = strings.Repeat("n", MaxInputNameLen+1) }), "analysis.inputs[0].name:"},
		{"name 256 bytes", in(0, func(x *InputDist) { x.Name = strings.Repeat("n", MaxInputNameLen) }), ""},
		{"unknown distribution", in(2, func(x *InputDist) { x.Dist = "cauchy" }), `analysis.inputs[2].dist: unknown distribution "cauchy"`},
		{"empty distribution", in(0, func(x *InputDist) { x.Dist = "" }), `analysis.inputs[0].dist: unknown distribution ""`},
		{"distribution in capitals", in(0, func(x *InputDist) { x.Dist = "Normal" }), `analysis.inputs[0].dist: unknown distribution "Normal"`},
		{"n NaN", in(0, func(x *InputDist) { x.N = nan }), "analysis.inputs[0].n: must be finite"},
		{"n +Inf", in(0, func(x *InputDist) { x.N = inf }), "analysis.inputs[0].n: must be finite"},
		{"n -Inf", in(3, func(x *InputDist) { x.N = -inf }), "analysis.inputs[3].n: must be finite"},
		{"u negative", in(0, func(x *InputDist) { x.U = -0.1 }), "analysis.inputs[0].u: must be finite and >= 0"},
		{"u +Inf", in(0, func(x *InputDist) { x.U = inf }), "analysis.inputs[0].u:"},
		{"u NaN", in(0, func(x *InputDist) { x.U = nan }), "analysis.inputs[0].u:"},
		{"u 0", in(0, func(x *InputDist) { x.U = 0 }), ""},
		{"uniform lo > hi", in(1, func(x *InputDist) { x.Lo, x.Hi = 3, 2 }), "analysis.inputs[1].lo: lo must be <= hi"},
		{"uniform lo = hi", in(1, func(x *InputDist) { x.Lo, x.Hi = 2, 2 }), ""},
		{"uniform lo -Inf", in(1, func(x *InputDist) { x.Lo = -inf }), "analysis.inputs[1].lo: must be finite"},
		{"triangular hi +Inf", in(2, func(x *InputDist) { x.Hi = inf }), "analysis.inputs[2].hi: must be finite"},
		{"triangular hi NaN", in(2, func(x *InputDist) { x.Hi = nan }), "analysis.inputs[2].hi:"},
		{"normal with lo", in(0, func(x *InputDist) { x.Lo = -1 }), `analysis.inputs[0].lo: must be 0 unless dist is "uniform" or "triangular"`},
		{"t with hi", in(3, func(x *InputDist) { x.Hi = 1 }), "analysis.inputs[3].hi:"},
		{"normal with lo -0", in(0, func(x *InputDist) { x.Lo = negZero }), "analysis.inputs[0].lo:"},
		{"normal with hi NaN", in(0, func(x *InputDist) { x.Hi = nan }), "analysis.inputs[0].hi:"},
		{"dof below 1", in(3, func(x *InputDist) { x.DoF = 0.99 }), "analysis.inputs[3].dof: degrees of freedom must be >= 1 (or +Inf)"},
		{"dof 0", in(0, func(x *InputDist) { x.DoF = 0 }), "analysis.inputs[0].dof:"},
		{"dof NaN", in(0, func(x *InputDist) { x.DoF = nan }), "analysis.inputs[0].dof:"},
		{"dof -Inf", in(0, func(x *InputDist) { x.DoF = -inf }), "analysis.inputs[0].dof:"},
		{"dof 1", in(3, func(x *InputDist) { x.DoF = 1 }), ""},
		{"draws 0", mc(func(m *MonteCarlo) { m.Draws = 0 }), "analysis.monte_carlo.draws: draws must be between 1 and 10000000"},
		{"draws too many", mc(func(m *MonteCarlo) { m.Draws = MaxDraws + 1 }), "analysis.monte_carlo.draws:"},
		{"draws 1", mc(func(m *MonteCarlo) { m.Draws = 1 }), ""},
		{"draws 10^7", mc(func(m *MonteCarlo) { m.Draws = 10_000_000 }), ""},
		{"p 0", mc(func(m *MonteCarlo) { m.P = 0 }), "analysis.monte_carlo.p: p must be between 0 and 1 (exclusive)"},
		{"p 1", mc(func(m *MonteCarlo) { m.P = 1 }), "analysis.monte_carlo.p:"},
		{"p NaN", mc(func(m *MonteCarlo) { m.P = nan }), "analysis.monte_carlo.p:"},
		{"p negative", mc(func(m *MonteCarlo) { m.P = -0.5 }), "analysis.monte_carlo.p:"},
		{"adaptive without digits", mc(func(m *MonteCarlo) { m.Digits = 0 }), "analysis.monte_carlo.digits: an adaptive run aims for 1 to 6 significant digits"},
		{"adaptive with 7 digits", mc(func(m *MonteCarlo) { m.Digits = 7 }), "analysis.monte_carlo.digits:"},
		{"not adaptive with digits", mc(func(m *MonteCarlo) { m.Adaptive = false }), "analysis.monte_carlo.digits: digits must be 0 (omitted) when the run is not adaptive"},
		{"not adaptive", mc(func(m *MonteCarlo) { m.Adaptive, m.Digits = false, 0 }), ""},
		{"mean +Inf", mc(func(m *MonteCarlo) { m.Mean = inf }), "analysis.monte_carlo.mean: must be finite"},
		{"mean NaN", mc(func(m *MonteCarlo) { m.Mean = nan }), "analysis.monte_carlo.mean:"},
		{"u negative", mc(func(m *MonteCarlo) { m.U = -1 }), "analysis.monte_carlo.u: must be finite and >= 0"},
		{"u +Inf", mc(func(m *MonteCarlo) { m.U = inf }), "analysis.monte_carlo.u:"},
		{"lo -Inf", mc(func(m *MonteCarlo) { m.Lo = -inf }), "analysis.monte_carlo.lo: must be finite"},
		{"hi +Inf", mc(func(m *MonteCarlo) { m.Hi = inf }), "analysis.monte_carlo.hi: must be finite"},
		{"lo > hi", mc(func(m *MonteCarlo) { m.Lo, m.Hi = 2, 1 }), "analysis.monte_carlo.lo: lo must be <= hi"},
		{"k 0", ex(func(x *Expanded) { x.K = 0 }), "analysis.expanded.k: the coverage factor must be finite and > 0"},
		{"k negative", ex(func(x *Expanded) { x.K = -2 }), "analysis.expanded.k:"},
		{"k +Inf", ex(func(x *Expanded) { x.K = inf }), "analysis.expanded.k:"},
		{"k NaN", ex(func(x *Expanded) { x.K = nan }), "analysis.expanded.k:"},
		{"p 1", ex(func(x *Expanded) { x.P = 1 }), "analysis.expanded.p: p must be between 0 and 1 (exclusive), or 0 when k was given"},
		{"p negative", ex(func(x *Expanded) { x.P = -0.95 }), "analysis.expanded.p:"},
		{"p NaN", ex(func(x *Expanded) { x.P = nan }), "analysis.expanded.p:"},
		{"p 0 (k given)", ex(func(x *Expanded) { x.P = 0 }), ""},
		{"dof below 1", ex(func(x *Expanded) { x.DoF = 0.5 }), "analysis.expanded.dof: degrees of freedom must be >= 1 (or +Inf)"},
		{"dof NaN", ex(func(x *Expanded) { x.DoF = nan }), "analysis.expanded.dof:"},
		{"dof +Inf", ex(func(x *Expanded) { x.DoF = inf }), ""},
		{"u negative", ex(func(x *Expanded) { x.U = -1 }), "analysis.expanded.u: must be finite and >= 0"},
		{"u +Inf", ex(func(x *Expanded) { x.U = inf }), "analysis.expanded.u:"},
		{"no parts", func(d *Draft) { d.Analysis = &Analysis{} }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := analysisDraft("op-a", fullAnalysis())
			tc.edit(&d)
			err := d.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			e, ok := nu.AsError(err)
			if !ok || e.Code != CodeInvalidEntry || !strings.HasPrefix(e.Message, "invalid entry: "+tc.want) {
				t.Fatalf("Validate = %v, want %s %q", err, CodeInvalidEntry, tc.want)
			}
			s := newSigner(t, testOrigin)
			if _, err := Seal(testOrigin, s, 0, tlog.Hash{}, d); !errors.Is(err, &nu.Error{Code: CodeInvalidEntry}) {
				t.Fatalf("Seal = %v", err)
			}
		})
	}
}

// TestAnalysisVerifyFields: an entry whose analysis breaks a rule fails
// the fields check even when it is signed; a changed analysis fails the
// signature.
func TestAnalysisVerifyFields(t *testing.T) {
	s := newSigner(t, testOrigin)
	sealBad := func(d Draft) *Entry {
		e := &Entry{Index: 0, KeyID: KeyID(s.KeyHash()), Draft: d}
		if err := e.sign(testOrigin, s, nil); err != nil {
			t.Fatal(err)
		}
		return e
	}
	d := analysisDraft("op-a", fullAnalysis())
	d.Analysis.Inputs[2].Dist = "cauchy"
	b := signedBundle(t, s, testOrigin, []*Entry{sealBad(d)})
	rep := verifyBoth(t, b, s.Verifier(), nil)
	if rep.OK || rep.FirstBad.Check != CheckFields || rep.FirstBad.Index != 0 ||
		!strings.Contains(rep.FirstBad.Reason, `entry 0: analysis.inputs[2].dist: unknown distribution "cauchy"`) {
		t.Fatalf("%+v", rep.FirstBad)
	}
	d = analysisDraft("op-a", fullAnalysis())
	d.Output = nil
	rep = verifyBoth(t, signedBundle(t, s, testOrigin, []*Entry{sealBad(d)}), s.Verifier(), nil)
	if rep.OK || rep.FirstBad.Check != CheckFields || !strings.Contains(rep.FirstBad.Reason, "analysis: an entry with an analysis must have an output") {
		t.Fatalf("%+v", rep.FirstBad)
	}

	next := func(f *nu.Float) { *f = nu.Float(math.Nextafter(float64(*f), math.Inf(1))) }
	for _, tc := range []struct {
		name string
		edit func(a *Analysis)
	}{
		{"analysis removed", nil},
		{"input name", func(a *Analysis) { a.Inputs[0].Name = "X" }},
		{"input dist", func(a *Analysis) { a.Inputs[2].Dist = DistUniform }},
		{"input n -0 to 0", func(a *Analysis) { a.Inputs[2].N = 0 }},
		{"input u", func(a *Analysis) { next(&a.Inputs[0].U) }},
		{"input lo", func(a *Analysis) { next(&a.Inputs[1].Lo) }},
		{"input hi", func(a *Analysis) { next(&a.Inputs[1].Hi) }},
		{"input dof", func(a *Analysis) { a.Inputs[0].DoF = math.MaxFloat64 }},
		{"inputs swapped", func(a *Analysis) { a.Inputs[0], a.Inputs[1] = a.Inputs[1], a.Inputs[0] }},
		{"input dropped", func(a *Analysis) { a.Inputs = a.Inputs[1:] }},
		{"draws", func(a *Analysis) { a.MonteCarlo.Draws++ }},
		{"seed", func(a *Analysis) { a.MonteCarlo.Seed-- }},
		{"mc p", func(a *Analysis) { next(&a.MonteCarlo.P) }},
		{"shortest", func(a *Analysis) { a.MonteCarlo.Shortest = false }},
		{"digits", func(a *Analysis) { a.MonteCarlo.Digits = 3 }},
		{"converged", func(a *Analysis) { a.MonteCarlo.Converged = false }},
		{"mean", func(a *Analysis) { next(&a.MonteCarlo.Mean) }},
		{"mc u", func(a *Analysis) { next(&a.MonteCarlo.U) }},
		{"mc lo", func(a *Analysis) { next(&a.MonteCarlo.Lo) }},
		{"mc hi", func(a *Analysis) { next(&a.MonteCarlo.Hi) }},
		{"monte carlo removed", func(a *Analysis) { a.MonteCarlo = nil }},
		{"k", func(a *Analysis) { next(&a.Expanded.K) }},
		{"expanded p", func(a *Analysis) { a.Expanded.P = 0 }},
		{"expanded dof", func(a *Analysis) { a.Expanded.DoF = inf }},
		{"expanded u", func(a *Analysis) { next(&a.Expanded.U) }},
		{"expanded removed", func(a *Analysis) { a.Expanded = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLog(t, s, 2)
			if _, err := l.Append(analysisDraft("op-a", fullAnalysis())); err != nil {
				t.Fatal(err)
			}
			b := clone(t, mustBundle(t, l))
			if tc.edit == nil {
				b.Entries[2].Analysis = nil
			} else {
				tc.edit(b.Entries[2].Analysis)
			}
			if err := b.Entries[2].Validate(); err != nil {
				t.Fatalf("the edit breaks a field rule: %v", err)
			}
			rep := verifyBoth(t, b, s.Verifier(), nil)
			if rep.OK || rep.FirstBad.Check != CheckSignature || rep.FirstBad.Index != 2 {
				t.Fatalf("%+v", rep.FirstBad)
			}
		})
	}
}

// TestParseLeafAnalysisStrict: the canonical decoder accepts exactly one
// byte string per entry: after the policy hash, either the signature or
// 0x01 and an analysis, and nothing after the signature.
func TestParseLeafAnalysisStrict(t *testing.T) {
	s := newSigner(t, testOrigin)
	plain, err := Seal(testOrigin, s, 0, tlog.Hash{}, draft(0))
	if err != nil {
		t.Fatal(err)
	}
	// An analysis without inputs, so that offsets into it are fixed: tag
	// (0), count (1-4), monte carlo present (5), draws (6), seed (14), p
	// (22), shortest (30), adaptive (31), digits (32), converged (36),
	// mean (37), u, lo, hi, expanded present (69), k (70), p, dof, u (94).
	a := &Analysis{MonteCarlo: &MonteCarlo{Draws: 9, Seed: 5, P: 0.9, Mean: 1, U: 1, Lo: 0, Hi: 2},
		Expanded: &Expanded{K: 2, P: 0.9, DoF: inf, U: 2}}
	withA, err := Seal(testOrigin, s, 0, tlog.Hash{}, analysisDraft("op-a", a))
	if err != nil {
		t.Fatal(err)
	}
	body0 := plain.AppendBody(nil, testOrigin)
	sig0 := plain.Signature[:]
	bodyA := withA.AppendBody(nil, testOrigin)
	sigA := withA.Signature[:]
	start := len(analysisDraftBodyWithout(t, withA)) // offset of the analysis section in bodyA
	if bodyA[start] != 1 || len(bodyA)-start != 102 {
		t.Fatalf("the analysis section is at %d and has %d bytes", start, len(bodyA)-start)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	set := func(off int, b ...byte) []byte {
		x := bytes.Clone(bodyA)
		copy(x[start+off:], b)
		return cat(x, sigA)
	}
	u32 := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	nan := binary.BigEndian.AppendUint64(nil, math.Float64bits(math.NaN()))
	negInf := binary.BigEndian.AppendUint64(nil, math.Float64bits(math.Inf(-1)))
	input := func(name, dist string) []byte {
		b := cat(u32(uint32(len(name))), []byte(name), u32(uint32(len(dist))), []byte(dist))
		return append(b, make([]byte, 40)...)
	}
	head := bodyA[:start]
	for _, tc := range []struct {
		name string
		data []byte
		want string // "" when accepted, "*" for any refusal
	}{
		{"plain", cat(body0, sig0), ""},
		{"with analysis", cat(bodyA, sigA), ""},
		{"0x00 before the signature", cat(body0, []byte{0}, sig0), "analysis present is not 1"},
		{"0x02 before the signature", cat(body0, []byte{2}, sig0), "analysis present is not 1"},
		{"0xff before the signature", cat(body0, []byte{0xff}, sig0), "analysis present is not 1"},
		{"only the tag", cat(body0, []byte{1}, sig0), "*"},
		// The extra byte makes the signature's first byte the presence byte.
		{"a byte after the signature (plain)", cat(body0, sig0, []byte{1}), "*"},
		{"a byte after the signature (analysis)", cat(bodyA, sigA, []byte{0}), "1 bytes after the signature"},
		{"64 bytes after the signature", cat(bodyA, sigA, sigA), "bytes after the signature"},
		{"signature cut", cat(bodyA, sigA[:63]), "truncated"},
		{"analysis tag 2", set(0, 2), "analysis present is not 1"},
		{"monte carlo present 2", set(5, 2), "analysis.monte_carlo present is not 0 or 1"},
		{"shortest 2", set(30, 2), "analysis.monte_carlo.shortest is not 0 or 1"},
		{"adaptive 2", set(31, 2), "analysis.monte_carlo.adaptive is not 0 or 1"},
		{"converged 0x80", set(36, 0x80), "analysis.monte_carlo.converged is not 0 or 1"},
		{"expanded present 2", set(69, 2), "analysis.expanded present is not 0 or 1"},
		{"p NaN", set(22, nan...), "analysis.monte_carlo.p is NaN or -Inf"},
		{"mean -Inf", set(37, negInf...), "analysis.monte_carlo.mean is NaN or -Inf"},
		{"k NaN", set(70, nan...), "analysis.expanded.k is NaN or -Inf"},
		{"expanded u -Inf", set(94, negInf...), "analysis.expanded.u is NaN or -Inf"},
		{"monte carlo absent but its bytes there", set(5, 0), "bytes after the signature"},
		{"expanded absent but its bytes there", set(69, 0), "bytes after the signature"},
		{"more inputs than bytes", set(1, 0, 0, 0, 4), "truncated in analysis.inputs"},
		{"4097 inputs", set(1, u32(MaxInputs+1)...), "more than 4096 analysis inputs"},
		{"input dof NaN", cat(head, []byte{1}, u32(1), input("x", "t")[:len(input("x", "t"))-8], nan, []byte{0, 0}, sigA), "analysis.inputs[0]: dof is NaN or -Inf"},
		{"input name 257 bytes", cat(head, []byte{1}, u32(1), input(strings.Repeat("n", 257), "t"), []byte{0, 0}, sigA), "analysis.inputs[0]: name longer than 256 bytes"},
		{"input name 256 bytes", cat(head, []byte{1}, u32(1), input(strings.Repeat("n", 256), "t"), []byte{0, 0}, sigA), ""},
		{"input dist 17 bytes", cat(head, []byte{1}, u32(2), input("", "t"), input("", strings.Repeat("d", 17)), []byte{0, 0}, sigA), "analysis.inputs[1]: dist longer than 16 bytes"},
		{"input name cut", cat(head, []byte{1}, u32(1), u32(200), []byte("xx"), sigA), "analysis.inputs[0]: truncated at name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseLeaf(testOrigin, tc.data)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(e.Leaf(testOrigin), tc.data) {
					t.Fatal("decode → encode differs")
				}
				return
			}
			m, ok := nu.AsError(err)
			if !ok || m.Code != CodeMalformed || tc.want != "*" && !strings.Contains(m.Message, tc.want) {
				t.Fatalf("ParseLeaf = %v, want %s %q", err, CodeMalformed, tc.want)
			}
		})
	}
}

// analysisDraftBodyWithout returns the body of e without its analysis.
func analysisDraftBodyWithout(t *testing.T, e *Entry) []byte {
	t.Helper()
	x := *e
	x.Analysis = nil
	return x.AppendBody(nil, testOrigin)
}

// TestAnalysisJSONStrict: the analysis member is read as strictly as the
// rest of an entry (docs/ledger-format.md §3.1): exact member names, no
// duplicate, unknown or missing members, no null, members omitted when
// empty are not present and empty, and the seed has one spelling.
func TestAnalysisJSONStrict(t *testing.T) {
	s := newSigner(t, testOrigin)
	e, err := Seal(testOrigin, s, 0, tlog.Hash{}, analysisDraft("op-a", fullAnalysis()))
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(e)
	i, k := strings.Index(string(j), `"analysis":`), strings.Index(string(j), `,"signature":`)
	with := func(analysis string) []byte {
		return []byte(string(j[:i]) + `"analysis":` + analysis + string(j[k:]))
	}
	const in = `{"name":"x","dist":"normal","n":1,"u":0.5,"lo":0,"hi":0,"dof":"+Inf"}`
	const mcTail = `"p":0.95,"mean":1,"u":0.5,"lo":0,"hi":2}`
	mc := func(members string) string { return `{"inputs":[],"monte_carlo":{` + members + mcTail + `}` }
	const draws = `"draws":10,"seed":"3",`
	for _, tc := range []struct {
		name, analysis string
		want           *Analysis // nil: refused
		reason         string    // part of the refusal
	}{
		{"no inputs", `{"inputs":[]}`, &Analysis{}, ""},
		{"white space and member order", "{ \"expanded\" : {\"u\":1,\"dof\":\"+Inf\",\"p\":0,\"k\":2},\n\"inputs\":[{\"dof\":4,\"hi\":0,\"lo\":0,\"u\":5e-1,\"n\":1.0,\"dist\":\"t\",\"name\":\"x\"}]}",
			&Analysis{Inputs: []InputDist{{Name: "x", Dist: DistT, N: 1, U: 0.5, DoF: 4}}, Expanded: &Expanded{K: 2, DoF: inf, U: 1}}, ""},
		{"escapes", `{"inputs":[{"name":"\u00b5","dist":"norm\u0061l","n":1,"u":0.5,"lo":0,"hi":0,"dof":"+Inf"}]}`,
			&Analysis{Inputs: []InputDist{{Name: "µ", Dist: DistNormal, N: 1, U: 0.5, DoF: inf}}}, ""},
		{"seed 0", mc(`"draws":10,"seed":"0",`), &Analysis{MonteCarlo: &MonteCarlo{Draws: 10, Seed: 0, P: 0.95, Mean: 1, U: 0.5, Lo: 0, Hi: 2}}, ""},
		{"seed 2^64-1, every flag", mc(`"draws":10,"seed":"18446744073709551615","shortest":true,"adaptive":true,"digits":6,"converged":true,`),
			&Analysis{MonteCarlo: &MonteCarlo{Draws: 10, Seed: math.MaxUint64, Shortest: true, Adaptive: true, Digits: 6, Converged: true, P: 0.95, Mean: 1, U: 0.5, Lo: 0, Hi: 2}}, ""},

		{"null", `null`, nil, "analysis must be a JSON object"},
		{"empty object", `{}`, nil, `missing member "inputs"`},
		{"inputs null", `{"inputs":null}`, nil, "analysis.inputs must be a JSON array"},
		{"unknown member", `{"inputs":[],"draws":1}`, nil, `unknown member "draws"`},
		{"member in capitals", `{"Inputs":[]}`, nil, `unknown member "Inputs"`},
		{"duplicate inputs", `{"inputs":[],"inputs":[]}`, nil, "duplicate"},
		{"input not an object", `{"inputs":[1]}`, nil, "analysis input must be a JSON object"},
		{"input without dof", `{"inputs":[{"name":"x","dist":"normal","n":1,"u":0.5,"lo":0,"hi":0}]}`, nil, `missing member "dof"`},
		{"input without name", `{"inputs":[{"dist":"normal","n":1,"u":0.5,"lo":0,"hi":0,"dof":1}]}`, nil, `missing member "name"`},
		{"input name null", `{"inputs":[{"name":null,"dist":"normal","n":1,"u":0.5,"lo":0,"hi":0,"dof":1}]}`, nil, "must be a JSON string"},
		{"input unknown member", `{"inputs":[{"name":"x","dist":"normal","n":1,"u":0.5,"lo":0,"hi":0,"dof":1,"df":1}]}`, nil, `unknown member "df"`},
		{"input duplicate member", `{"inputs":[{"name":"x","dist":"normal","n":1,"n":2,"u":0.5,"lo":0,"hi":0,"dof":1}]}`, nil, "duplicate"},
		{"dof Infinity", `{"inputs":[{"name":"x","dist":"normal","n":1,"u":0.5,"lo":0,"hi":0,"dof":Infinity}]}`, nil, "invalid character"},
		{"dof inf", `{"inputs":[{"name":"x","dist":"normal","n":1,"u":0.5,"lo":0,"hi":0,"dof":"inf"}]}`, nil, `expected a JSON number or "+Inf"`},
		{"n as a string", `{"inputs":[{"name":"x","dist":"normal","n":"1","u":0.5,"lo":0,"hi":0,"dof":1}]}`, nil, `expected a JSON number or "+Inf"`},
		{"monte carlo null", `{"inputs":[],"monte_carlo":null}`, nil, "analysis.monte_carlo must be a JSON object"},
		{"expanded null", `{"inputs":[],"expanded":null}`, nil, "analysis.expanded must be a JSON object"},
		{"expanded empty", `{"inputs":[],"expanded":{}}`, nil, `missing member "k"`},
		{"expanded without u", `{"inputs":[],"expanded":{"k":2,"p":0,"dof":1}}`, nil, `missing member "u"`},
		{"expanded unknown member", `{"inputs":[],"expanded":{"k":2,"p":0,"dof":1,"u":1,"U":1}}`, nil, `unknown member "U"`},
		{"monte carlo without seed", mc(`"draws":10,`), nil, `missing member "seed"`},
		{"monte carlo without draws", mc(`"seed":"1",`), nil, `missing member "draws"`},
		{"seed as a number", mc(`"draws":10,"seed":3,`), nil, "analysis.monte_carlo.seed must be a JSON string"},
		{"seed with a leading zero", mc(`"draws":10,"seed":"03",`), nil, "analysis.monte_carlo.seed must be a string of decimal digits"},
		{"seed with a sign", mc(`"draws":10,"seed":"+3",`), nil, "analysis.monte_carlo.seed"},
		{"seed negative", mc(`"draws":10,"seed":"-3",`), nil, "analysis.monte_carlo.seed"},
		{"seed empty", mc(`"draws":10,"seed":"",`), nil, "analysis.monte_carlo.seed"},
		{"seed 2^64", mc(`"draws":10,"seed":"18446744073709551616",`), nil, "analysis.monte_carlo.seed"},
		{"seed in exponent form", mc(`"draws":10,"seed":"3e0",`), nil, "analysis.monte_carlo.seed"},
		{"seed escaped digit", mc(`"draws":10,"seed":"\u0033",`), &Analysis{MonteCarlo: &MonteCarlo{Draws: 10, Seed: 3, P: 0.95, Mean: 1, U: 0.5, Lo: 0, Hi: 2}}, ""},
		{"draws 1.0", mc(`"draws":1.0,"seed":"3",`), nil, "analysis.monte_carlo.draws must be an integer"},
		{"draws 1e1", mc(`"draws":1e1,"seed":"3",`), nil, "analysis.monte_carlo.draws must be an integer"},
		{"draws negative", mc(`"draws":-1,"seed":"3",`), nil, "analysis.monte_carlo.draws must be an integer"},
		{"draws 2^64", mc(`"draws":18446744073709551616,"seed":"3",`), nil, "analysis.monte_carlo.draws must be an integer"},
		{"draws as a string", mc(`"draws":"10","seed":"3",`), nil, "analysis.monte_carlo.draws must be a JSON number"},
		{"shortest false", mc(draws + `"shortest":false,`), nil, "analysis.monte_carlo.shortest is false; omit the member instead"},
		{"adaptive false", mc(draws + `"adaptive":false,`), nil, "analysis.monte_carlo.adaptive is false; omit"},
		{"converged false", mc(draws + `"converged":false,`), nil, "analysis.monte_carlo.converged is false; omit"},
		{"digits 0", mc(draws + `"adaptive":true,"digits":0,`), nil, "analysis.monte_carlo.digits is 0; omit the member instead"},
		{"digits 2^32", mc(draws + `"adaptive":true,"digits":4294967296,`), nil, "analysis.monte_carlo.digits must be an integer from 0 to 2^32-1"},
		{"adaptive as a string", mc(draws + `"adaptive":"true",`), nil, "must be a JSON boolean"},
		{"adaptive as 1", mc(draws + `"adaptive":1,`), nil, "must be a JSON boolean"},
		{"shortest null", mc(draws + `"shortest":null,`), nil, "must be a JSON boolean"},
		{"monte carlo unknown member", mc(draws + `"rng":"pcg",`), nil, `unknown member "rng"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got Entry
			err := got.UnmarshalJSON(with(tc.analysis))
			if tc.want != nil {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Analysis, tc.want) {
					t.Fatalf("read %+v, want %+v", got.Analysis, tc.want)
				}
				return
			}
			m, ok := nu.AsError(err)
			if !ok || m.Code != CodeMalformed || !strings.Contains(m.Message, tc.reason) {
				t.Fatalf("UnmarshalJSON = %v, want %s %q", err, CodeMalformed, tc.reason)
			}
			// The bundle reader refuses it too, naming the entry.
			b := signedBundle(t, s, testOrigin, []*Entry{e})
			data := strings.Replace(string(bundleBytes(t, b)), string(j), string(with(tc.analysis)), 1)
			rep, _ := VerifyBundle(strings.NewReader(data), s.Verifier(), nil)
			if rep.OK || rep.FirstBad.Check != CheckFormat || rep.FirstBad.Index != 0 {
				t.Fatalf("VerifyBundle: %+v", rep.FirstBad)
			}
		})
	}
	// More than MaxInputs inputs are refused while reading, before the
	// field rules.
	many := "{\"inputs\":[" + strings.Repeat(in+",", MaxInputs) + in + "]}"
	var got Entry
	if err := got.UnmarshalJSON(with(many)); err == nil || !strings.Contains(err.Error(), "more than 4096 analysis inputs") {
		t.Fatalf("4097 inputs: %v", err)
	}
}

// The analysis golden file: the leaves of entries with analyses, signed
// with the public example key (exampleSigner), one per line as
// "name: hex". Regenerate with go test ./core/ledger -run TestAnalysisGolden -update
// (only when the format changes on purpose: the leaves are signed data).
const analysisGoldenPath = "testdata/analysis-leaves.txt"

// TestAnalysisGolden: sealing the analysis cases gives the checked-in
// leaves byte for byte, and each checked-in leaf parses to the case and
// verifies with the example key.
func TestAnalysisGolden(t *testing.T) {
	s, _ := exampleSigner(t)
	var w strings.Builder
	got := map[string][]byte{}
	var names []string
	for i, tc := range analysisCases() {
		if len(tc.a.Inputs) > 100 {
			continue // keep the file small
		}
		d := analysisDraft(fmt.Sprintf("op-%d", i), tc.a)
		d.Timestamp = time.Date(2026, 3, 1, 12, 0, i, 0, time.UTC).UnixNano()
		e, err := Seal(exampleOrigin, s, 0, tlog.Hash{}, d)
		if err != nil {
			t.Fatal(err)
		}
		leaf := e.Leaf(exampleOrigin)
		got[tc.name] = leaf
		names = append(names, tc.name)
		fmt.Fprintf(&w, "%s: %x\n", tc.name, leaf)
	}
	if *update {
		if err := os.WriteFile(analysisGoldenPath, []byte(w.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(analysisGoldenPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	seen := 0
	for sc.Scan() {
		name, hx, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			t.Fatalf("bad line %q", sc.Text())
		}
		want, err := hex.DecodeString(hx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[name], want) {
			t.Errorf("%s: the leaf differs from %s (run -update only if the format changed on purpose)\ngot  %x\nwant %x", name, analysisGoldenPath, got[name], want)
		}
		e, err := ParseLeaf(exampleOrigin, want)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e.Analysis == nil || e.Validate() != nil || e.Verify(exampleOrigin, s.Verifier()) != nil {
			t.Errorf("%s: the golden leaf does not parse to a valid, signed entry with an analysis", name)
		}
		seen++
	}
	if seen != len(names) {
		t.Fatalf("%s has %d leaves, want %d", analysisGoldenPath, seen, len(names))
	}
}
