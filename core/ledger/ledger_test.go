package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func TestKeys(t *testing.T) {
	skey, vkey, err := GenerateKey(rand.Reader, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	if s.VerifierKey() != vkey {
		t.Fatalf("VerifierKey = %q, want %q", s.VerifierKey(), vkey)
	}
	v, err := ParseVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	nv, _ := note.NewVerifier(vkey)
	if v.KeyHash() != nv.KeyHash() || v.Name() != testOrigin || s.KeyHash() != nv.KeyHash() {
		t.Fatal("key hash or name differs from note's")
	}
	msg := []byte("hello\n")
	sig, _ := s.Sign(msg)
	if !v.Verify(msg, sig) || !nv.Verify(msg, sig) {
		t.Fatal("signature does not verify")
	}
	// A note signed by the Signer opens with note's own verifier.
	signed, err := note.Sign(&note.Note{Text: "text\n"}, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(signed, note.VerifierList(nv)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "x+y+z", vkey[:len(vkey)-4] + "AAAA", strings.Replace(vkey, "+", "+0", 1)} {
		if _, err := ParseVerifierKey(bad); !errors.Is(err, &nu.Error{Code: CodeBadKey}) {
			t.Errorf("ParseVerifierKey(%q) = %v, want %s", bad, err, CodeBadKey)
		}
	}
	for _, bad := range []string{"", vkey, "PRIVATE+KEY+" + vkey} {
		if _, err := ParseSignerKey(bad); !errors.Is(err, &nu.Error{Code: CodeBadKey}) {
			t.Errorf("ParseSignerKey(%q) = %v, want %s", bad, err, CodeBadKey)
		}
	}
	if _, _, err := GenerateKey(rand.Reader, "bad name"); err == nil {
		t.Error("GenerateKey accepted a name with a space")
	}
}

func TestLeafAndJSONRoundTrip(t *testing.T) {
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 40)
	for i := range uint64(40) {
		e, _ := l.Get(i)
		leaf := e.Leaf(testOrigin)
		got, err := ParseLeaf(testOrigin, leaf)
		if err != nil {
			t.Fatalf("ParseLeaf(%d): %v", i, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("ParseLeaf(%d) = %+v, want %+v", i, got, e)
		}
		j, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back Entry
		if err := json.Unmarshal(j, &back); err != nil {
			t.Fatalf("unmarshal %s: %v", j, err)
		}
		if !bytes.Equal(back.Leaf(testOrigin), leaf) {
			t.Fatalf("JSON round trip of entry %d changed it:\n%s", i, j)
		}
		if err := back.Verify(testOrigin, s.Verifier()); err != nil {
			t.Fatal(err)
		}
		if _, err := ParseLeaf("other", leaf); !errors.Is(err, &nu.Error{Code: CodeOrigin}) {
			t.Fatalf("ParseLeaf with another origin: %v", err)
		}
	}
}

func TestEntryJSONStrict(t *testing.T) {
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 2)
	e, _ := l.Get(1)
	good, _ := json.Marshal(e)
	for _, tc := range []struct{ name, from, to string }{
		{"unknown field", `"op_id"`, `"extra":1,"op_id"`},
		{"negative u", `"u":0.125`, `"u":-0.125`},
		{"NaN-like", `"coverage":1.25`, `"coverage":"NaN"`},
		{"bad key id", `"key_id":"`, `"key_id":"x`},
		{"bad timestamp", `"timestamp":"2026`, `"timestamp":"20x6`},
		{"short signature", `"signature":"`, `"signature":"AAAA`},
		{"trailing data", `}`, `}{}`},
	} {
		bad := strings.Replace(string(good), tc.from, tc.to, 1)
		if bad == string(good) {
			t.Fatalf("%s: replacement did not apply to %s", tc.name, good)
		}
		var x Entry
		if err := json.Unmarshal([]byte(bad), &x); err == nil {
			if err := x.UnmarshalJSON([]byte(bad)); err == nil {
				t.Errorf("%s: accepted %s", tc.name, bad)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	long := strings.Repeat("x", MaxOpIDLen+1)
	for _, tc := range []struct {
		name  string
		edit  func(*Draft)
		field string
	}{
		{"empty op id", func(d *Draft) { d.OpID = "" }, "op_id"},
		{"long op id", func(d *Draft) { d.OpID = long }, "op_id"},
		{"control op id", func(d *Draft) { d.OpID = "a\nb" }, "op_id"},
		{"bad utf8 parent", func(d *Draft) { d.ParentOpID = "\xff" }, "parent_op_id"},
		{"own parent", func(d *Draft) { d.ParentOpID = d.OpID }, "parent_op_id"},
		{"empty operation", func(d *Draft) { d.Operation = "" }, "operation"},
		{"mode", func(d *Draft) { d.Mode = "fuzzy" }, "mode"},
		{"coverage", func(d *Draft) { d.Coverage = -1 }, "coverage"},
		{"level", func(d *Draft) { d.Guard = []GuardEvent{{Rule: "r", Level: "panic"}} }, "guard.level"},
		{"rule", func(d *Draft) { d.Guard = []GuardEvent{{Level: LevelInfo}} }, "guard.rule"},
		{"message", func(d *Draft) { d.Invariant.Message = strings.Repeat("m", MaxMessageLen+1) }, "invariant.message"},
	} {
		d := draft(1)
		tc.edit(&d)
		err := d.Validate()
		e, ok := nu.AsError(err)
		if !ok || e.Code != CodeInvalidEntry || !strings.Contains(e.Message, tc.field+":") {
			t.Errorf("%s: Validate = %v, want %s naming %s", tc.name, err, CodeInvalidEntry, tc.field)
		}
	}
	d := draft(1)
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLogAppendErrors(t *testing.T) {
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 3)
	d := draft(3)
	d.OpID = "op-0001"
	if _, err := l.Append(d); !errors.Is(err, &nu.Error{Code: CodeOpID}) {
		t.Errorf("duplicate op id: %v", err)
	}
	d = draft(3)
	d.ParentOpID = "op-9999"
	if _, err := l.Append(d); !errors.Is(err, &nu.Error{Code: CodeOpID}) {
		t.Errorf("unknown parent: %v", err)
	}
	d = draft(3)
	d.Mode = "x"
	if _, err := l.Append(d); !errors.Is(err, &nu.Error{Code: CodeInvalidEntry}) {
		t.Errorf("invalid draft: %v", err)
	}
	if l.Len() != 3 {
		t.Fatalf("failed appends changed the log: len %d", l.Len())
	}
	if _, err := Seal(testOrigin, s, 0, tlog.Hash{1}, draft(0)); err == nil {
		t.Error("Seal accepted a non-zero prev hash for entry 0")
	}
	if _, err := NewLog("", s, nil); err == nil {
		t.Error("NewLog accepted an empty origin")
	}
	if _, err := l.Get(3); !errors.Is(err, &nu.Error{Code: CodeNotFound}) {
		t.Errorf("Get(3) = %v", err)
	}
}

func TestErrorShape(t *testing.T) {
	f := &Failure{Index: 3, Check: CheckSignature, Code: CodeSignature, Reason: "r", Remediation: "do x"}
	b, _ := json.Marshal(f.Err())
	want := `{"code":"LEDGER_004","category":"ledger","message":"r","remediation":"do x"}`
	if string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}

func TestSignatureMalleability(t *testing.T) {
	// A signature with S + L (the group order) added must be rejected, or
	// the leaf data (and so the tree) would be malleable.
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 1)
	e, _ := l.Get(0)
	x := *e
	l8 := [32]byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	var carry uint16
	for i := range 32 {
		sum := uint16(x.Signature[32+i]) + uint16(l8[i]) + carry
		x.Signature[32+i], carry = byte(sum), sum>>8
	}
	if err := x.Verify(testOrigin, s.Verifier()); err == nil {
		t.Fatal("non-canonical signature accepted")
	}
	_ = ed25519.SignatureSize
}
