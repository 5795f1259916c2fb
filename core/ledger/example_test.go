package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var update = flag.Bool("update", false, "rewrite generated test data: testdata/format-example.md, the example in docs/ledger-format.md, testdata/strict")

const (
	exampleOrigin = "example.com/ebios-log"
	goldenPath    = "testdata/format-example.md"
	docPath       = "../../docs/ledger-format.md"
	beginMark     = "<!-- BEGIN GENERATED EXAMPLE (go test ./core/ledger -run TestFormatExample -update) -->\n"
	endMark       = "<!-- END GENERATED EXAMPLE -->\n"
)

// exampleSigner derives a key from a published seed, SHA-256 of
// "ebios ledger-format example key". It is public and for the worked
// example only: Ed25519 signatures are deterministic, so the example's
// bytes are stable and anyone can reproduce them.
func exampleSigner(t *testing.T) (*Signer, string) {
	seed := sha256.Sum256([]byte("ebios ledger-format example key"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	vkey, err := note.NewEd25519VerifierKey(exampleOrigin, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	hash := strings.Split(vkey, "+")[1]
	skey := "PRIVATE+KEY+" + exampleOrigin + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed[:]...))
	s, err := ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, hex.EncodeToString(seed[:])
}

// TestFormatExample generates the worked example of docs/ledger-format.md
// and checks that the golden file and the document contain it unchanged.
// The dump below restates the layout field by field and checks it against
// AppendBody, so the document and the code cannot drift apart.
func TestFormatExample(t *testing.T) {
	s, seed := exampleSigner(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	l, _ := NewLog(exampleOrigin, s, func() time.Time { t0 = t0.Add(time.Second); return t0 })
	out := nu.MustNew(3.5, math.Sqrt(0.1*0.1+0.2*0.2))
	e0, err := l.Append(Draft{OpID: "op-1", Operation: "add", Mode: ModeNU,
		Inputs: []nu.Value{nu.MustNew(1.5, 0.1), nu.MustNew(2, 0.2)}, Output: &out,
		Coverage: nu.Float(out.RelativeUncertainty()), Invariant: Invariant{OK: true}})
	if err != nil {
		t.Fatal(err)
	}
	caught := nu.MustNew(0, math.Inf(1))
	e1, err := l.Append(Draft{OpID: "op-2", ParentOpID: "op-1", Operation: "catch", Mode: ModeNU,
		Inputs: []nu.Value{out}, Output: &caught, Coverage: nu.Float(math.Inf(1)),
		Invariant:  Invariant{OK: true},
		Guard:      []GuardEvent{{Rule: "max_coverage", Level: LevelCritical, Message: "coverage is infinite", Value: nu.Float(math.Inf(1)), Threshold: 0.5}},
		PolicyHash: sha256.Sum256([]byte("example policy"))})
	if err != nil {
		t.Fatal(err)
	}
	e2, err := l.Append(exampleAnalysisDraft())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	b := mustBundle(t, l)
	b.Checkpoint = string(cp)

	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	p("Key (public seed, example only): Ed25519 seed = SHA-256(\"ebios ledger-format example key\") =\n`%s`\n\n", seed)
	p("Verifier key (note format):\n\n```\n%s\n```\n\n", s.VerifierKey())
	p("Key id = note key hash = `%s`.\n\n", KeyID(s.KeyHash()))
	for _, e := range []*Entry{e0, e1, e2} {
		j, _ := e.MarshalJSON()
		p("### Entry %d\n\nJSON form (as in a bundle):\n\n```json\n%s\n```\n\n", e.Index, j)
		p("Canonical body, field by field (hex):\n\n```\n%s```\n\n", dumpBody(t, e, exampleOrigin))
		body := e.AppendBody(nil, exampleOrigin)
		p("Body: %d bytes. Link hash = SHA-256(body) = `%x` (the next entry's prev_hash).\n\n", len(body), sha256.Sum256(body))
		p("Signature = Ed25519(key, body):\n\n```\n%s```\n\n", wrapHex(e.Signature[:]))
		h := e.Hash(exampleOrigin)
		p("Leaf data = body ‖ signature (%d bytes). Entry hash = SHA-256(0x00 ‖ leaf data) =\n`%s` (base64 `%s`).\n\n",
			len(body)+64, hex.EncodeToString(h[:]), h)
	}
	root, _ := l.TreeHash(3)
	p("### Tree and checkpoint\n\nRoot of the 3-entry tree = SHA-256(0x01 ‖ SHA-256(0x01 ‖ hash(entry 0) ‖ hash(entry 1)) ‖ hash(entry 2)) =\n`%s` (base64 `%s`).\n\n", hex.EncodeToString(root[:]), root)
	if root != tlog.NodeHash(tlog.NodeHash(e0.Hash(exampleOrigin), e1.Hash(exampleOrigin)), e2.Hash(exampleOrigin)) {
		t.Fatal("root is not the node hash of the three leaves")
	}
	p("Signed checkpoint:\n\n```\n%s```\n\n", cp)
	var bb bytes.Buffer
	WriteBundle(&bb, b)
	p("### Bundle\n\n```json\n%s```\n", bb.String())
	got := w.String()

	if rep, err := VerifyBundle(bytes.NewReader(bb.Bytes()), s.Verifier(), nil); err != nil || !rep.OK {
		t.Fatalf("example bundle does not verify: %v", err)
	}
	if *update {
		if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		doc, err := os.ReadFile(docPath)
		if err != nil {
			t.Fatal(err)
		}
		i, j := bytes.Index(doc, []byte(beginMark)), bytes.Index(doc, []byte(endMark))
		if i < 0 || j < i {
			t.Fatalf("%s lacks the example markers", docPath)
		}
		doc = append(append(append([]byte{}, doc[:i+len(beginMark)]...), got...), doc[j:]...)
		if err := os.WriteFile(docPath, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Fatalf("%s is stale; run go test ./core/ledger -run TestFormatExample -update and review the diff", goldenPath)
	}
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, []byte(beginMark+got+endMark)) {
		t.Fatalf("the worked example in %s is stale; run go test ./core/ledger -run TestFormatExample -update", docPath)
	}
}

// exampleAnalysisDraft is the third entry of the worked example: x*y + c
// with an analysis (a normal, a uniform and a Student-t input, a Monte
// Carlo run and an expanded uncertainty with k = 2). Its Monte Carlo
// summary is illustrative: written here, not computed.
func exampleAnalysisDraft() Draft {
	uy := 0.5 / math.Sqrt(3) // uniform on [1.5, 2.5]
	x, y, c := nu.MustNew(3, 0.1), nu.MustNew(2, uy), nu.MustNew(0.5, 0.05)
	// First order: u² = (y·u_x)² + (x·u_y)² + u_c².
	ux, uyy, uc := 2*0.1, 3*uy, 0.05
	out := nu.MustNew(6.5, math.Sqrt(ux*ux+uyy*uyy+uc*uc))
	u := out.U()
	// Welch–Satterthwaite: u⁴ / Σ u_i⁴/ν_i; only c has finite degrees of freedom (9).
	nuEff := u * u * u * u / (uc * uc * uc * uc / 9)
	return Draft{OpID: "op-3", ParentOpID: "op-1", Operation: "expr", Mode: ModeGUM, Expression: "x * y + c",
		Inputs: []nu.Value{x, y, c}, Output: &out, Coverage: nu.Float(out.RelativeUncertainty()),
		Invariant: Invariant{OK: true},
		Analysis: &Analysis{
			Inputs: []InputDist{
				{Name: "x", Dist: DistNormal, N: 3, U: 0.1, DoF: nu.Float(math.Inf(1))},
				{Name: "y", Dist: DistUniform, N: 2, U: nu.Float(uy), Lo: 1.5, Hi: 2.5, DoF: nu.Float(math.Inf(1))},
				{Name: "c", Dist: DistT, N: 0.5, U: 0.05, DoF: 9},
			},
			MonteCarlo: &MonteCarlo{Draws: 1_000_000, Seed: 12345678901234567890, P: 0.95,
				Mean: 6.50021, U: 0.88893, Lo: 4.9637, Hi: 8.0358},
			Expanded: &Expanded{K: 2, P: 0, DoF: nu.Float(nuEff), U: nu.Float(2 * u)},
		}}
}

// dumpBody restates the canonical layout field by field and checks that it
// equals AppendBody.
func dumpBody(t *testing.T, e *Entry, origin string) string {
	var all []byte
	var w strings.Builder
	field := func(name string, b []byte) {
		all = append(all, b...)
		h := hex.EncodeToString(b)
		for len(h) > 64 {
			fmt.Fprintf(&w, "%-22s %s\n", name, h[:64])
			h, name = h[64:], ""
		}
		fmt.Fprintf(&w, "%-22s %s\n", name, h)
	}
	u32 := func(x uint32) []byte { return binary.BigEndian.AppendUint32(nil, x) }
	u64 := func(x uint64) []byte { return binary.BigEndian.AppendUint64(nil, x) }
	f64 := func(x float64) []byte { return u64(math.Float64bits(x)) }
	str := func(s string) []byte { return append(u32(uint32(len(s))), s...) }
	val := func(v nu.Value) []byte { return append(f64(v.N()), f64(v.U())...) }
	bit := func(ok bool) []byte {
		if ok {
			return []byte{1}
		}
		return []byte{0}
	}
	field("tag, 0x00, version", []byte("ebios-ledger-entry\x00\x01"))
	field("origin", str(origin))
	field("index", u64(e.Index))
	field("prev_hash", e.PrevHash[:])
	field("key_id", u32(uint32(e.KeyID)))
	field("timestamp", u64(uint64(e.Timestamp)))
	field("op_id", str(e.OpID))
	field("parent_op_id", str(e.ParentOpID))
	field("operation", str(e.Operation))
	field("mode", str(e.Mode))
	field("expression", str(e.Expression))
	field("inputs count", u32(uint32(len(e.Inputs))))
	for i, v := range e.Inputs {
		field(fmt.Sprintf("inputs[%d] n, u", i), val(v))
	}
	field("output present", bit(e.Output != nil))
	if e.Output != nil {
		field("output n, u", val(*e.Output))
	}
	field("coverage", f64(float64(e.Coverage)))
	field("invariant ok", bit(e.Invariant.OK))
	field("invariant message", str(e.Invariant.Message))
	field("guard count", u32(uint32(len(e.Guard))))
	for i, g := range e.Guard {
		field(fmt.Sprintf("guard[%d] rule", i), str(g.Rule))
		field(fmt.Sprintf("guard[%d] level", i), str(string(g.Level)))
		field(fmt.Sprintf("guard[%d] message", i), str(g.Message))
		field(fmt.Sprintf("guard[%d] value", i), f64(float64(g.Value)))
		field(fmt.Sprintf("guard[%d] threshold", i), f64(float64(g.Threshold)))
	}
	field("policy hash present", bit(e.PolicyHash != tlog.Hash{}))
	if e.PolicyHash != (tlog.Hash{}) {
		field("policy_hash", e.PolicyHash[:])
	}
	if a := e.Analysis; a != nil {
		field("analysis present", []byte{1})
		field("analysis inputs count", u32(uint32(len(a.Inputs))))
		for i, in := range a.Inputs {
			field(fmt.Sprintf("a.inputs[%d] name", i), str(in.Name))
			field(fmt.Sprintf("a.inputs[%d] dist", i), str(in.Dist))
			field(fmt.Sprintf("a.inputs[%d] n", i), f64(float64(in.N)))
			field(fmt.Sprintf("a.inputs[%d] u", i), f64(float64(in.U)))
			field(fmt.Sprintf("a.inputs[%d] lo", i), f64(float64(in.Lo)))
			field(fmt.Sprintf("a.inputs[%d] hi", i), f64(float64(in.Hi)))
			field(fmt.Sprintf("a.inputs[%d] dof", i), f64(float64(in.DoF)))
		}
		field("monte carlo present", bit(a.MonteCarlo != nil))
		if m := a.MonteCarlo; m != nil {
			field("mc draws", u64(m.Draws))
			field("mc seed", u64(uint64(m.Seed)))
			field("mc p", f64(float64(m.P)))
			field("mc shortest", bit(m.Shortest))
			field("mc adaptive", bit(m.Adaptive))
			field("mc digits", u32(m.Digits))
			field("mc converged", bit(m.Converged))
			field("mc mean", f64(float64(m.Mean)))
			field("mc u", f64(float64(m.U)))
			field("mc lo", f64(float64(m.Lo)))
			field("mc hi", f64(float64(m.Hi)))
		}
		field("expanded present", bit(a.Expanded != nil))
		if x := a.Expanded; x != nil {
			field("expanded k", f64(float64(x.K)))
			field("expanded p", f64(float64(x.P)))
			field("expanded dof", f64(float64(x.DoF)))
			field("expanded u", f64(float64(x.U)))
		}
	}
	if !bytes.Equal(all, e.AppendBody(nil, origin)) {
		t.Fatalf("the documented layout differs from AppendBody:\n%x\n%x", all, e.AppendBody(nil, origin))
	}
	return w.String()
}

func wrapHex(b []byte) string {
	h := hex.EncodeToString(b)
	var w strings.Builder
	for len(h) > 64 {
		w.WriteString(h[:64] + "\n")
		h = h[64:]
	}
	return w.String() + h + "\n"
}
