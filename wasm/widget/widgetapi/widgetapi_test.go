package widgetapi

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// TestCall runs the calls of testdata/calls.json through Call, as the
// loader does, and checks each answer: the listed members of the result,
// or the code and category of the structured error.
func TestCall(t *testing.T) {
	raw, err := os.ReadFile("testdata/calls.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name   string
		Method string
		Args   json.RawMessage
		OK     json.RawMessage
		Error  map[string]string
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			var ans struct {
				OK    json.RawMessage `json:"ok"`
				Error *nu.Error       `json:"error"`
			}
			out := Call(c.Method, c.Args)
			if err := json.Unmarshal(out, &ans); err != nil {
				t.Fatalf("answer %s: %v", out, err)
			}
			if c.Error != nil {
				if ans.Error == nil {
					t.Fatalf("answer %s, want error %v", out, c.Error)
				}
				if ans.Error.Code != c.Error["code"] || (c.Error["category"] != "" && string(ans.Error.Category) != c.Error["category"]) {
					t.Errorf("error %+v, want %v", ans.Error, c.Error)
				}
				if ans.Error.Message == "" || ans.Error.Remediation == "" && ans.Error.Category == CategoryWidget {
					t.Errorf("error %+v: a message and, for the widget's own, a remediation are required", ans.Error)
				}
				return
			}
			if ans.Error != nil {
				t.Fatalf("error %+v, want %s", ans.Error, c.OK)
			}
			var want, got any
			json.Unmarshal(c.OK, &want)
			json.Unmarshal(ans.OK, &got)
			if w, ok := want.(map[string]any); ok {
				g, _ := got.(map[string]any)
				for k, v := range w {
					if fmt.Sprint(g[k]) != fmt.Sprint(v) {
						t.Errorf("%s = %v, want %v (answer %s)", k, g[k], v, out)
					}
				}
			} else if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("answer %s, want %s", ans.OK, c.OK)
			}
		})
	}
}

// TestCallSyntaxColumn: a syntax error says where, as the CLI's does.
func TestCallSyntaxColumn(t *testing.T) {
	var ans struct{ Error nu.Error }
	json.Unmarshal(Call("calc", []byte(`["1 + * 2"]`)), &ans)
	if ans.Error.Code != nu.CodeSyntax || ans.Error.Column != 5 {
		t.Fatalf("error %+v, want %s at column 5", ans.Error, nu.CodeSyntax)
	}
}

// testLog is a signed log of n entries and its verifier key.
func testLog(t *testing.T, n int) (*ledger.Log, string) {
	t.Helper()
	skey, vkey, err := ledger.GenerateKey(rand.Reader, "widget.test/log")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ledger.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l, err := ledger.NewLog("widget.test/log", s, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		a := nu.MustNew(float64(i), 0.5)
		out, err := nu.Add(a, nu.MustNew(1, 0.25))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(ledger.Draft{OpID: fmt.Sprintf("op-%d", i), Operation: "add", Mode: ledger.ModeNU,
			Expression: fmt.Sprintf("(%d ± 0.5) + (1 ± 0.25)", i), Inputs: []nu.Value{a, nu.MustNew(1, 0.25)}, Output: &out,
			Coverage: nu.Float(out.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true}}); err != nil {
			t.Fatal(err)
		}
	}
	return l, vkey
}

func bundleBytes(t *testing.T, l *ledger.Log) []byte {
	t.Helper()
	b, err := l.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ledger.WriteBundle(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tamper changes the operation of entry i in a bundle (one entry a line).
func tamper(t *testing.T, bundle []byte, i int) []byte {
	t.Helper()
	lines := strings.Split(string(bundle), "\n")
	for k, line := range lines {
		if strings.HasPrefix(line, fmt.Sprintf(`{"index":%d,`, i)) {
			lines[k] = strings.Replace(line, `"operation":"add"`, `"operation":"sub"`, 1)
			return []byte(strings.Join(lines, "\n"))
		}
	}
	t.Fatalf("entry %d not found", i)
	return nil
}

// TestVerifyBundle: the report is core/ledger's, as `ebios ledger verify
// --json` prints it; a tampered entry is named; a stop is an abort.
func TestVerifyBundle(t *testing.T) {
	l, key := testLog(t, 40)
	good := bundleBytes(t, l)
	_, other := testLog(t, 1)
	cases := []struct {
		name      string
		bundle    []byte
		key       string
		ok        bool
		badIndex  int64
		badCheck  string
		errCode   string
		stopAfter int64
	}{
		{name: "good", bundle: good, key: key, ok: true},
		{name: "tampered entry 17", bundle: tamper(t, good, 17), key: key, badIndex: 17, badCheck: ledger.CheckSignature},
		{name: "another key pinned", bundle: good, key: other, badIndex: -1, badCheck: ledger.CheckKey},
		{name: "not a bundle", bundle: []byte(`{"format":"zip"}`), key: key, badIndex: -1, badCheck: ledger.CheckFormat},
		{name: "bad pinned key", bundle: good, key: "nonsense", badIndex: -1, badCheck: ledger.CheckKey},
		{name: "no pinned key", bundle: good, key: " ", errCode: CodeBadArgument},
		{name: "stopped", bundle: good, key: key, errCode: CodeAborted, stopAfter: 1},
	}
	// The signatures checked by Go on the calling goroutine, and by a
	// checker that answers later from another goroutine, as WebCrypto does.
	checkers := map[string]ledger.SignatureChecker{"go": nil, "async": asyncChecker{}}
	for _, c := range cases {
		for cname, sigs := range checkers {
			t.Run(c.name+"/"+cname, func(t *testing.T) {
				var calls int64
				progress := func(done, total int64) bool {
					calls++
					return c.stopAfter == 0 || calls < c.stopAfter
				}
				rep, err := VerifyBundle(bytes.NewReader(c.bundle), c.key, "", sigs, progress)
				if c.errCode != "" {
					if e, ok := nu.AsError(err); !ok || e.Code != c.errCode || rep != nil {
						t.Fatalf("report %+v, error %v; want error %s", rep, err, c.errCode)
					}
					return
				}
				if err != nil {
					t.Fatalf("error %v; a failed verification is a report", err)
				}
				want, _ := ledger.VerifyBundleKey(bytes.NewReader(c.bundle), c.key, nil)
				gotJSON, _ := json.Marshal(rep)
				wantJSON, _ := json.Marshal(want)
				if !bytes.Equal(gotJSON, wantJSON) {
					t.Errorf("report %s\nwant the CLI's %s", gotJSON, wantJSON)
				}
				if rep.OK != c.ok {
					t.Fatalf("ok = %v, want %v: %+v", rep.OK, c.ok, rep.FirstBad)
				}
				if !c.ok && (rep.FirstBad.Index != c.badIndex || rep.FirstBad.Check != c.badCheck) {
					t.Errorf("first bad %+v, want index %d check %s", rep.FirstBad, c.badIndex, c.badCheck)
				}
				if c.ok && rep.Entries != 40 {
					t.Errorf("entries %d, want 40", rep.Entries)
				}
			})
		}
	}
}

// TestVerifyEntry: one entry checked against the pinned key, the signed
// checkpoint and the inclusion proof, given as a page has them (the API's
// JSON), through Call.
func TestVerifyEntry(t *testing.T) {
	l, key := testLog(t, 9)
	_, other := testLog(t, 1)
	cp, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	e, _ := l.Get(5)
	entry, _ := json.Marshal(e)
	proof, err := l.InclusionProof(5, 9)
	if err != nil {
		t.Fatal(err)
	}
	hashes := make([]string, len(proof))
	for i, h := range proof {
		hashes[i] = h.String()
	}
	e6, _ := l.Get(6)
	entry6, _ := json.Marshal(e6)
	small, _ := l.CheckpointAt(3)
	apiProof, _ := json.Marshal(map[string]any{"index": 5, "tree_size": 9, "hashes": hashes, "checkpoint": string(cp)})
	tampered := bytes.Replace(entry, []byte(`"operation":"add"`), []byte(`"operation":"sub"`), 1)
	cases := []struct {
		name    string
		args    []any
		ok      bool
		check   string
		code    string
		errCode string
	}{
		{name: "good", args: []any{json.RawMessage(entry), string(cp), hashes, key}, ok: true},
		{name: "good, entry as text and the API's proof object", args: []any{string(entry), string(cp), json.RawMessage(apiProof), key}, ok: true},
		{name: "tampered entry", args: []any{json.RawMessage(tampered), string(cp), hashes, key}, check: "signature", code: ledger.CodeSignature},
		{name: "proof of another entry", args: []any{json.RawMessage(entry6), string(cp), hashes, key}, check: "inclusion", code: ledger.CodeInclusion},
		{name: "checkpoint older than the entry", args: []any{json.RawMessage(entry), string(small), hashes, key}, check: "inclusion", code: ledger.CodeInclusion},
		{name: "another key pinned", args: []any{json.RawMessage(entry), string(cp), hashes, other}, check: "checkpoint", code: ledger.CodeCheckpointSig},
		{name: "bad key", args: []any{json.RawMessage(entry), string(cp), hashes, "x"}, errCode: ledger.CodeBadKey},
		{name: "proof hash not base64", args: []any{json.RawMessage(entry), string(cp), []string{"%%"}, key}, errCode: CodeBadArgument},
		{name: "entry not an entry", args: []any{map[string]any{"index": 1}, string(cp), hashes, key}, errCode: ledger.CodeMalformed},
		{name: "missing key", args: []any{json.RawMessage(entry), string(cp), hashes}, errCode: CodeBadArgument},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args, _ := json.Marshal(c.args)
			var ans struct {
				OK    *EntryReport
				Error *nu.Error
			}
			out := Call("verifyEntry", args)
			if err := json.Unmarshal(out, &ans); err != nil {
				t.Fatal(err)
			}
			if c.errCode != "" {
				if ans.Error == nil || ans.Error.Code != c.errCode {
					t.Fatalf("answer %s, want error %s", out, c.errCode)
				}
				return
			}
			if ans.Error != nil {
				t.Fatalf("error %+v", ans.Error)
			}
			r := ans.OK
			if r.OK != c.ok || r.Check != c.check || (c.code != "" && (r.Error == nil || r.Error.Code != c.code)) {
				t.Fatalf("report %s, want ok %v check %q code %q", out, c.ok, c.check, c.code)
			}
			if c.ok && (r.Index != 5 || r.Origin != "widget.test/log" || r.TreeSize != 9 || r.Output == nil || r.Output.N() != 6) {
				t.Errorf("report %s: want entry 5 of widget.test/log in a tree of 9, output 6 ± …", out)
			}
		})
	}
}

// TestCallSurvivesPanic: a panic inside becomes a structured error.
func TestCallSurvivesPanic(t *testing.T) {
	ans := ErrorJSON(Internal("boom"))
	var got struct{ Error nu.Error }
	json.Unmarshal(ans, &got)
	if got.Error.Code != CodeInternal || got.Error.Details != "boom" {
		t.Fatalf("%s", ans)
	}
}

// asyncChecker checks signatures with crypto/ed25519 on another goroutine
// and answers when asked: the shape of the browser's WebCrypto checker.
type asyncChecker struct{}

func (asyncChecker) Check(pub ed25519.PublicKey, bodies [][]byte, sigs []ledger.Signature) func() ([]bool, error) {
	ch := make(chan []bool, 1)
	go func() {
		oks := make([]bool, len(bodies))
		for i, b := range bodies {
			oks[i] = ed25519.Verify(pub, b, sigs[i][:])
		}
		ch <- oks
	}()
	return func() ([]bool, error) { return <-ch, nil }
}
