package ledger

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

// The strict-reading corpus (testdata/strict): bundles that differ from a
// good one in how their JSON is spelled, each with the verdict the spec
// gives it. TestStrictCorpus checks our verifier against the verdicts, and
// the cross-check test (crosscheck_test.go) has Python's json module read
// every bundle we accept and compares the values. Regenerate with
//
//	go test ./core/ledger -run TestStrictCorpus -update
//
// which makes a fresh key (only its public half is kept).

const strictDir = "testdata/strict"

// strictCase is one corpus file and its verdict.
type strictCase struct {
	File string `json:"file"`
	Why  string `json:"why"`
	// Origin is the expected origin given to the verifier ("" = the
	// pinned key's name).
	Origin string `json:"origin,omitempty"`
	OK     bool   `json:"ok"`
	// Index, Check and Code name the expected first failure.
	Index int64  `json:"index,omitempty"`
	Check string `json:"check,omitempty"`
	Code  string `json:"code,omitempty"`
}

type strictManifest struct {
	Key   string       `json:"key"`
	Cases []strictCase `json:"cases"`
}

// strictLog makes the base log of the corpus: five entries covering every
// member (parent, mode, expression, guard events, policy hash, +Inf).
func strictLog(t testing.TB, s *Signer, origin string) *Log {
	t.Helper()
	l, err := NewLog(origin, s, fixedClock())
	if err != nil {
		t.Fatal(err)
	}
	out0 := nu.MustNew(3.5, 0.22360679774997896)
	out1 := nu.MustNew(0, math.Inf(1))
	out3 := nu.MustNew(2, 0.2)
	ph := tlog.RecordHash([]byte("policy"))
	for _, d := range []Draft{
		{OpID: "op-1", Operation: "add", Mode: ModeNU, Inputs: []nu.Value{nu.MustNew(1.5, 0.1), nu.MustNew(2, 0.2)},
			Output: &out0, Coverage: 0.06388765649999399, Invariant: Invariant{OK: true}},
		{OpID: "op-2", ParentOpID: "op-1", Operation: "catch", Mode: ModeNU, Inputs: []nu.Value{out0}, Output: &out1,
			Coverage: nu.Float(math.Inf(1)), Invariant: Invariant{OK: true}, PolicyHash: ph,
			Guard: []GuardEvent{{Rule: "max_coverage", Level: LevelCritical, Message: "coverage is infinite", Value: nu.Float(math.Inf(1)), Threshold: 0.5}}},
		{OpID: "op-3", Operation: "policy.activate", Expression: "activate " + ph.String() + " by admin", PolicyHash: ph, Invariant: Invariant{OK: true}},
		{OpID: "op-4", ParentOpID: "op-2", Operation: "expr", Mode: ModeInterval, Expression: "(1 ± 0.1) * 2",
			Inputs: []nu.Value{nu.MustNew(1, 0.1)}, Output: &out3, Coverage: 0.1, Invariant: Invariant{OK: false, Message: "first line\nsecond"}},
		{OpID: "op-5\u00e9\u6f22\U0001F600", Operation: "add", Mode: ModeNU, Inputs: []nu.Value{nu.MustNew(math.Copysign(0, -1), 0), nu.MustNew(1e-300, 5e-324)},
			Output: &out3, Coverage: 0.1, Invariant: Invariant{OK: true}},
	} {
		if _, err := l.Append(d); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// entryLines splits a bundle as WriteBundle writes it: one entry a line.
func entryLines(b string) (head string, entries []string, tail string) {
	i := strings.Index(b, "\"entries\": [\n") + len("\"entries\": [\n")
	j := strings.LastIndex(b, "\n]\n}\n")
	for _, l := range strings.Split(b[i:j], "\n") {
		entries = append(entries, strings.TrimSuffix(l, ","))
	}
	return b[:i], entries, b[j:]
}

func joinEntries(head string, entries []string, tail string) string {
	return head + strings.Join(entries, ",\n") + tail
}

// flipPadBits changes the last base64 digit of s (a quoted member value
// ending in "=\"" or "==\"") so that its unused low bits are not zero.
func flipPadBits(t testing.TB, line, member string) string {
	t.Helper()
	i := strings.Index(line, `"`+member+`":"`)
	if i < 0 {
		t.Fatalf("no %s in %s", member, line)
	}
	j := strings.Index(line[i+len(member)+4:], `"`) + i + len(member) + 4
	k := strings.IndexByte(line[i:j], '=') + i - 1 // last data digit
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	d := strings.IndexByte(alphabet, line[k])
	return line[:k] + string(alphabet[d|1]) + line[k+1:]
}

func mustReplace(t testing.TB, s, from, to string) string {
	t.Helper()
	r := strings.Replace(s, from, to, 1)
	if r == s {
		t.Fatalf("%q not found in %s", from, s)
	}
	return r
}

// strictCorpus builds every case from a fresh key.
func strictCorpus(t testing.TB) (strictManifest, map[string][]byte) {
	var s *Signer
	for s == nil || KeyID(s.KeyHash()).String() == strings.ToUpper(KeyID(s.KeyHash()).String()) {
		s = newSigner(t, "example.com/strict-log") // until the key id has a hex letter
	}
	kid := KeyID(s.KeyHash()).String()
	good := string(bundleBytes(t, mustBundle(t, strictLog(t, s, s.Name()))))
	head, entries, tail := entryLines(good)
	files := map[string][]byte{}
	m := strictManifest{Key: s.VerifierKey()}
	add := func(c strictCase, data string) {
		files[c.File] = []byte(data)
		m.Cases = append(m.Cases, c)
	}
	// edit returns the bundle with entry i edited by f.
	edit := func(i int, f func(string) string) string {
		es := append([]string(nil), entries...)
		es[i] = f(es[i])
		return joinEntries(head, es, tail)
	}
	repl := func(i int, from, to string) string {
		return edit(i, func(l string) string { return mustReplace(t, l, from, to) })
	}
	refused := func(file, why string, index int64, check, code, data string) {
		add(strictCase{File: file, Why: why, Index: index, Check: check, Code: code}, data)
	}
	format := func(file, why string, index int64, data string) {
		refused(file, why, index, CheckFormat, CodeBundle, data)
	}
	accepted := func(file, why, data string) { add(strictCase{File: file, Why: why, OK: true}, data) }

	accepted("good.json", "the bundle as eBIOS writes it", good)

	// Case and duplicates.
	format("dup-output-first.json", "a forged output member before the real one: duplicate member", 0,
		repl(0, `"output":`, `"output":{"n":1234567,"u":0},"output":`))
	format("dup-output-last.json", "a forged output member after the real one: duplicate member", 0,
		repl(0, `,"coverage":`, `,"output":{"n":1234567,"u":0},"coverage":`))
	format("dup-op-id-escaped.json", "a second op_id spelled with an escape is the same name: duplicate member", 1,
		repl(1, `"op_id":"op-2",`, `"op_id":"op-2","op\u005fid":"op-9",`))
	format("case-output.json", `"OUTPUT": member names are case-sensitive`, 0, repl(0, `"output":`, `"OUTPUT":`))
	format("case-op-id.json", `"Op_Id": member names are case-sensitive`, 1, repl(1, `"op_id":`, `"Op_Id":`))
	format("dup-value-member.json", "a duplicate n inside an input", 0, repl(0, `{"n":1.5,"u":0.1}`, `{"n":1.5,"u":0.1,"n":9}`))
	format("dup-header-member.json", "a duplicate bundle header member", -1,
		mustReplace(t, good, `"origin": `, `"origin": "x", "origin": `))
	format("unknown-member.json", "an unknown member", 3, repl(3, `"mode":`, `"comment":"x","mode":`))

	// Missing members.
	format("missing-index.json", "entry 0 without index (reported as format, not signature)", 0, repl(0, `"index":0,`, ``))
	format("missing-prev-hash.json", "entry 0 without prev_hash", 0,
		repl(0, `"prev_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",`, ``))
	format("missing-inputs.json", "a policy.activate entry without inputs (inputs is required, [] when none)", 2,
		repl(2, `"inputs":[],`, ``))
	format("missing-value-u.json", "an input without u", 3, repl(3, `{"n":1,"u":0.1}`, `{"n":1}`))

	// One spelling per field.
	format("timestamp-plus-zero.json", "timestamp with +00:00 instead of Z", 1, repl(1, `Z",`, `+00:00",`))
	format("timestamp-plus-one.json", "the same instant written in +01:00", 0,
		edit(0, func(l string) string {
			i := strings.Index(l, `"timestamp":"`) + len(`"timestamp":"`)
			j := strings.Index(l[i:], `"`) + i
			ts, err := time.Parse(time.RFC3339Nano, l[i:j])
			if err != nil {
				t.Fatal(err)
			}
			return l[:i] + ts.In(time.FixedZone("", 3600)).Format(time.RFC3339Nano) + l[j:]
		}))
	format("timestamp-12-digits.json", "a fraction of 12 digits (trailing zeros)", 1, repl(1, `Z",`, `000Z",`))
	format("key-id-upper.json", "key_id in upper-case hex", 1, repl(1, `"key_id":"`+kid, `"key_id":"`+strings.ToUpper(kid)))
	format("prev-hash-pad-bits.json", "non-zero base64 pad bits in prev_hash", 1, edit(1, func(l string) string { return flipPadBits(t, l, "prev_hash") }))
	format("signature-pad-bits.json", "non-zero base64 pad bits in signature", 2, edit(2, func(l string) string { return flipPadBits(t, l, "signature") }))
	format("policy-hash-pad-bits.json", "non-zero base64 pad bits in policy_hash", 1, edit(1, func(l string) string { return flipPadBits(t, l, "policy_hash") }))
	format("index-as-float.json", "index written 1.0", 1, repl(1, `"index":1,`, `"index":1.0,`))
	format("version-as-float.json", "version written 1.0", -1, mustReplace(t, good, `"version": 1,`, `"version": 1.0,`))
	format("empty-parent.json", `"parent_op_id":"" (omit it when empty)`, 0, repl(0, `"operation":`, `"parent_op_id":"","operation":`))
	format("null-parent.json", `"parent_op_id":null`, 0, repl(0, `"operation":`, `"parent_op_id":null,"operation":`))
	format("empty-guard.json", `"guard":[] (omit it when empty)`, 0, repl(0, `"signature":`, `"guard":[],"signature":`))
	format("empty-mode.json", `"mode":"" (omit it when empty)`, 2, repl(2, `"inputs":`, `"mode":"","inputs":`))
	format("empty-invariant-message.json", `"message":"" in invariant`, 0, repl(0, `"invariant":{"ok":true}`, `"invariant":{"ok":true,"message":""}`))
	format("zero-policy-hash.json", "an all-zero policy_hash member (omit it when no policy)", 0,
		repl(0, `"signature":`, `"policy_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","signature":`))
	format("inf-literal.json", "Infinity is not JSON; +Inf is the string \"+Inf\"", 1, repl(1, `"coverage":"+Inf"`, `"coverage":Infinity`))
	format("inf-other-spelling.json", `"inf" is not the one spelling "+Inf"`, 1, repl(1, `"coverage":"+Inf"`, `"coverage":"inf"`))

	// Text encoding.
	format("invalid-utf8.json", "a byte that is not UTF-8 in op_id", 0, repl(0, `"op-1"`, "\"op-\xff1\""))
	format("lone-surrogate.json", `a lone \ud800 escape in op_id`, 0, repl(0, `"op-1"`, `"op-\ud8001"`))
	format("lone-low-surrogate.json", `a lone \udc00 escape in expression`, 3, repl(3, `"(1 `, `"\udc00(1 `))
	format("overlong-utf8.json", "an overlong UTF-8 encoding of '/'", 0, repl(0, `"op-1"`, "\"op-\xc0\xaf1\""))

	// Accepted respellings, each with the spec line that says why.
	accepted("numbers-respelled.json", "§3: any JSON spelling of the same binary64 is that value (15e-1, 1.00E-1, 2.0)",
		edit(0, func(l string) string {
			l = mustReplace(t, l, `{"n":1.5,"u":0.1}`, `{"n":15e-1,"u":1.00E-1}`)
			return mustReplace(t, l, `{"n":2,"u":0.2}`, `{"n":2.0,"u":20e-2}`)
		}))
	accepted("member-order.json", "§3: members of an entry may come in any order",
		edit(0, func(l string) string {
			i := strings.Index(l, `,"signature":`)
			return "{" + l[i+1:len(l)-1] + "," + l[1:i] + "}"
		}))
	accepted("escapes.json", "§3: escapes are read as JSON defines them (names and values)",
		edit(1, func(l string) string {
			l = mustReplace(t, l, `"op_id":"op-2"`, `"op\u005fid":"op\u002d2"`)
			return mustReplace(t, l, `"rule":"max_coverage"`, `"rule":"max\u005Fcoverage"`)
		}))
	accepted("white-space.json", "§3: white space between tokens is free",
		edit(3, func(l string) string {
			return strings.ReplaceAll(strings.ReplaceAll(l, `,"`, " ,\n\t\""), `":`, `" : `)
		}))
	accepted("surrogate-pair.json", `§3: a valid surrogate pair escape is its character`,
		repl(4, "\U0001F600", `\ud83d\ude00`))
	refused("negative-zero.json", "-0 and 0 are different binary64 values: the signature no longer verifies", 4, CheckSignature, CodeSignature,
		repl(4, `{"n":-0,"u":0}`, `{"n":0,"u":0}`))

	// Checkpoint signatures.
	cp := headerString(t, good, "checkpoint")
	sigLine := cp[strings.Index(cp, "\n\n")+2:]
	badSig := flipSigLine(t, sigLine)
	withSigs := func(lines string) string {
		text := cp[:strings.Index(cp, "\n\n")+2] + lines
		q, _ := json.Marshal(text)
		return mustReplace(t, good, `"checkpoint": `+jsonString(t, cp), `"checkpoint": `+string(q))
	}
	refused("checkpoint-valid-then-invalid.json", "a valid then an invalid signature by the pinned key (C2SP: a failed known signature fails the note)", -1,
		CheckCheckpoint, CodeCheckpointSig, withSigs(sigLine+badSig))
	refused("checkpoint-invalid-then-valid.json", "an invalid then a valid signature by the pinned key", -1,
		CheckCheckpoint, CodeCheckpointSig, withSigs(badSig+sigLine))
	w := newSigner(t, "witness.example/w")
	wsig, err := (Checkpoint{}).signOther(cp, w)
	if err != nil {
		t.Fatal(err)
	}
	accepted("checkpoint-witness.json", "§6: a signature by another key (a witness) is ignored", withSigs(sigLine+wsig))

	// A log whose origin is not its key's name: verified with --origin.
	other := string(bundleBytes(t, mustBundle(t, strictLog(t, s, "example.org/other-log"))))
	add(strictCase{File: "origin-not-key-name.json", Why: "§8: the expected origin is given (ledger verify --origin)", Origin: "example.org/other-log", OK: true}, other)
	refused("origin-not-key-name-default.json", "§8: by default the origin must be the pinned key's name", -1, CheckOrigin, CodeOrigin, other)

	// Structure.
	format("trailing-data.json", "data after the closing brace", -1, good+"{}")
	format("entries-not-last.json", `a member after "entries"`, -1, mustReplace(t, good, "\n]\n}\n", "\n],\n\"x\": 1}\n"))
	return m, files
}

func headerString(t testing.TB, bundle, member string) string {
	t.Helper()
	var h map[string]any
	if err := json.Unmarshal([]byte(bundle), &h); err != nil {
		t.Fatal(err)
	}
	return h[member].(string)
}

func jsonString(t testing.TB, s string) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// flipSigLine returns the signature line with one bit of the signature
// changed (the key hash stays, so it still names the pinned key).
func flipSigLine(t testing.TB, line string) string {
	t.Helper()
	line = strings.TrimSuffix(line, "\n")
	i := strings.LastIndexByte(line, ' ')
	sig, err := base64.StdEncoding.DecodeString(line[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	sig[10] ^= 1
	return line[:i+1] + base64.StdEncoding.EncodeToString(sig) + "\n"
}

// signOther returns the signature line of another key over the text of
// the signed note cp.
func (Checkpoint) signOther(cp string, s *Signer) (string, error) {
	text := cp[:strings.Index(cp, "\n\n")+1]
	sig, err := s.Sign([]byte(text))
	if err != nil {
		return "", err
	}
	var kh [4]byte
	kh[0], kh[1], kh[2], kh[3] = byte(s.KeyHash()>>24), byte(s.KeyHash()>>16), byte(s.KeyHash()>>8), byte(s.KeyHash())
	return "— " + s.Name() + " " + base64.StdEncoding.EncodeToString(append(kh[:], sig...)) + "\n", nil
}

func readStrictCorpus(t testing.TB) (strictManifest, *Verifier) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(strictDir, "cases.json"))
	if err != nil {
		t.Fatalf("%v (make the corpus with go test ./core/ledger -run TestStrictCorpus -update)", err)
	}
	var m strictManifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	v, err := ParseVerifierKey(m.Key)
	if err != nil {
		t.Fatal(err)
	}
	return m, v
}

// TestStrictCorpus: every corpus bundle gets the verdict the spec gives it,
// with the right entry, check and code, from the streaming and the
// in-memory verifier alike.
func TestStrictCorpus(t *testing.T) {
	if *update {
		m, files := strictCorpus(t)
		os.RemoveAll(strictDir)
		os.MkdirAll(strictDir, 0o755)
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(strictDir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b, _ := json.MarshalIndent(m, "", "  ")
		os.WriteFile(filepath.Join(strictDir, "cases.json"), append(b, '\n'), 0o644)
	}
	m, v := readStrictCorpus(t)
	if len(m.Cases) < 40 {
		t.Fatalf("only %d cases", len(m.Cases))
	}
	for _, c := range m.Cases {
		t.Run(c.File, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(strictDir, c.File))
			if err != nil {
				t.Fatal(err)
			}
			rep, _ := VerifyBundle(bytes.NewReader(data), v, &VerifyOptions{Origin: c.Origin})
			got := "OK"
			if !rep.OK {
				got = fmt.Sprintf("index %d check %s code %s", rep.FirstBad.Index, rep.FirstBad.Check, rep.FirstBad.Code)
			}
			want := "OK"
			if !c.OK {
				want = fmt.Sprintf("index %d check %s code %s", c.Index, c.Check, c.Code)
			}
			if got != want {
				reason := ""
				if rep.FirstBad != nil {
					reason = rep.FirstBad.Reason
				}
				t.Fatalf("%s: got %s (%s), want %s", c.Why, got, reason, want)
			}
			// The in-memory reader agrees.
			b, err := ReadBundle(bytes.NewReader(data))
			if (err != nil) != (!c.OK && c.Check == CheckFormat) {
				t.Fatalf("ReadBundle: %v", err)
			}
			if err == nil {
				full, _ := b.Verify(v, &VerifyOptions{Origin: c.Origin})
				if full.OK != rep.OK {
					t.Fatalf("in-memory verifier: %+v", full.FirstBad)
				}
			}
		})
	}
}
