package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
)

func TestBundleRoundTrip(t *testing.T) {
	s := newSigner(t, testOrigin)
	for _, n := range []int{0, 1, 17} {
		b := mustBundle(t, newTestLog(t, s, n))
		data := bundleBytes(t, b)
		got, err := ReadBundle(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if got.BundleHeader != b.BundleHeader || len(got.Entries) != n {
			t.Fatalf("header %+v, %d entries", got.BundleHeader, len(got.Entries))
		}
		for i := range b.Entries {
			if !reflect.DeepEqual(got.Entries[i], b.Entries[i]) {
				t.Fatalf("entry %d: %+v, want %+v", i, got.Entries[i], b.Entries[i])
			}
		}
		if again := bundleBytes(t, got); !bytes.Equal(again, data) {
			t.Fatal("write → read → write is not stable")
		}
		// The streaming reader yields the same entries one by one.
		br, err := NewBundleReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			e, err := br.Next()
			if err == io.EOF {
				if i != n || br.Count() != int64(n) {
					t.Fatalf("EOF after %d entries, want %d", i, n)
				}
				break
			}
			if err != nil || !reflect.DeepEqual(e, b.Entries[i]) {
				t.Fatalf("entry %d: %v", i, err)
			}
		}
	}
}

func TestBundleReaderStrict(t *testing.T) {
	s := newSigner(t, testOrigin)
	good := string(bundleBytes(t, mustBundle(t, newTestLog(t, s, 2))))
	for _, tc := range []struct{ name, from, to string }{
		{"wrong format", `"ebios-ledger-bundle"`, `"something-else"`},
		{"version 4", `"version": 3`, `"version": 4`},
		{"version 0", `"version": 3`, `"version": 0`},
		{"members out of order", `"format": "ebios-ledger-bundle",` + "\n" + `"version": 3,`, `"version": 3,` + "\n" + `"format": "ebios-ledger-bundle",`},
		{"unknown member", `"origin"`, `"extra": 1, "origin"`},
		{"entries not an array", `"entries": [`, `"entries": {`},
		{"member after entries", "]\n}", `], "x": 1}`},
		{"not an object", "{\n", "[\n"},
		{"version as string", `"version": 3`, `"version": "3"`},
	} {
		bad := strings.Replace(good, tc.from, tc.to, 1)
		if bad == good {
			t.Fatalf("%s: replacement did not apply", tc.name)
		}
		_, err := ReadBundle(strings.NewReader(bad))
		if !errors.Is(err, &nu.Error{Code: CodeBundle}) {
			t.Errorf("%s: ReadBundle = %v, want %s", tc.name, err, CodeBundle)
		}
	}
}

// FuzzReadBundle feeds arbitrary bytes to the bundle reader and the
// streaming verifier: they must not panic, must agree on what is
// well-formed, and a bundle that reads must write back to a bundle that
// reads to the same canonical bytes. A second reader, encoding/json (v1)
// into generic values, must find in every accepted bundle the values our
// strict reader found: whatever we accept has one meaning.
func FuzzReadBundle(f *testing.F) {
	s := newSigner(f, testOrigin)
	for _, n := range []int{0, 1, 3} {
		f.Add(bundleBytes(f, mustBundle(f, newTestLog(f, s, n))))
	}
	al := newTestLog(f, s, 1)
	for i, tc := range analysisCases()[:3] {
		if _, err := al.Append(analysisDraft(fmt.Sprint("op-a", i), tc.a)); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(bundleBytes(f, mustBundle(f, al)))
	f.Add([]byte(`{"format":"ebios-ledger-bundle","version":1,"origin":"o","key":"k","checkpoint":"c","entries":[{}]}`))
	corpus, _ := filepath.Glob(filepath.Join(strictDir, "*.json"))
	for _, name := range corpus {
		if data, err := os.ReadFile(name); err == nil && filepath.Base(name) != "cases.json" {
			f.Add(data)
		}
	}
	v := s.Verifier()
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ReadBundle(bytes.NewReader(data))
		rep, _ := VerifyBundle(bytes.NewReader(data), v, nil)
		if rep == nil || rep.OK != (rep.FirstBad == nil) {
			t.Fatalf("inconsistent report %+v", rep)
		}
		if err != nil {
			if rep.OK {
				t.Fatalf("verifier accepted a bundle the reader rejects: %v", err)
			}
			return
		}
		sameAsGenericReader(t, data, b)
		full, _ := b.Verify(v, nil)
		if rep.FirstBad == nil || rep.FirstBad.Check != CheckFormat {
			if !reflect.DeepEqual(full, rep) {
				t.Fatalf("full %+v and streaming %+v verifiers disagree", full.FirstBad, rep.FirstBad)
			}
		}
		var buf bytes.Buffer
		if err := WriteBundle(&buf, b); err != nil {
			return // e.g. a string that JSON cannot carry
		}
		b2, err := ReadBundle(&buf)
		if err != nil {
			t.Fatalf("re-read of written bundle: %v", err)
		}
		if !reflect.DeepEqual(b.BundleHeader, b2.BundleHeader) || len(b.Entries) != len(b2.Entries) {
			t.Fatal("write → read changed the bundle")
		}
		for i := range b.Entries {
			if !bytes.Equal(b.Entries[i].Leaf(b.Origin), b2.Entries[i].Leaf(b.Origin)) {
				t.Fatalf("write → read changed entry %d", i)
			}
		}
	})
}

func TestLeafOpID(t *testing.T) {
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 8)
	for i := range l.Len() {
		e, _ := l.Get(i)
		leaf := e.Leaf(testOrigin)
		if op, ok := LeafOpID(leaf); !ok || op != e.OpID {
			t.Errorf("entry %d: LeafOpID = %q, %v; want %q", i, op, ok, e.OpID)
		}
		for _, n := range []int{0, 10, 30, 70, 80} { // cut before or inside the op id
			if op, ok := LeafOpID(leaf[:n]); ok {
				t.Errorf("entry %d cut to %d bytes: LeafOpID = %q, true", i, n, op)
			}
		}
	}
	if _, ok := LeafOpID([]byte("not an entry")); ok {
		t.Error("LeafOpID accepted a non-entry")
	}
}

// FuzzParseLeaf: the canonical decoder never panics and accepts only
// canonical encodings (decode → encode gives back the input).
func FuzzParseLeaf(f *testing.F) {
	s := newSigner(f, testOrigin)
	l := newTestLog(f, s, 8)
	for i, tc := range analysisCases()[:7] {
		if _, err := l.Append(analysisDraft(fmt.Sprint("op-a", i), tc.a)); err != nil {
			f.Fatal(err)
		}
	}
	for i := range l.Len() {
		e, _ := l.Get(i)
		f.Add(e.Leaf(testOrigin))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		op, opOK := LeafOpID(data) // must not panic on any input
		e, err := ParseLeaf(testOrigin, data)
		if err != nil {
			return
		}
		if !bytes.Equal(e.Leaf(testOrigin), data) {
			t.Fatalf("non-canonical encoding accepted: %x", data)
		}
		if !opOK || op != e.OpID {
			t.Fatalf("LeafOpID = %q, %v; ParseLeaf says op id %q", op, opOK, e.OpID)
		}
	})
}

// sameAsGenericReader checks that encoding/json (v1), reading data into
// generic values, sees the same entries as b (our strict reading of data):
// each entry's members equal those of our re-encoding of the entry, with
// numbers compared as binary64 values.
func sameAsGenericReader(t *testing.T, data []byte, b *Bundle) {
	t.Helper()
	var doc struct {
		Entries []any `json:"entries"`
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		t.Fatalf("encoding/json cannot read a bundle we accept: %v", err)
	}
	if len(doc.Entries) != len(b.Entries) {
		t.Fatalf("encoding/json reads %d entries, we read %d", len(doc.Entries), len(b.Entries))
	}
	for i, e := range b.Entries {
		ours, err := e.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var want any
		d := json.NewDecoder(bytes.NewReader(ours))
		d.UseNumber()
		if err := d.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if got := numbersAsFloats(doc.Entries[i]); !reflect.DeepEqual(got, numbersAsFloats(want)) {
			t.Fatalf("entry %d: encoding/json reads %v, we read %v", i, got, numbersAsFloats(want))
		}
	}
}

// numbersAsFloats replaces every json.Number in v by its binary64 bits
// ("-0" keeps its sign), so that 15e-1 and 1.5 compare equal.
func numbersAsFloats(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return x
		}
		return math.Float64bits(f)
	case []any:
		for i := range x {
			x[i] = numbersAsFloats(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = numbersAsFloats(x[k])
		}
	}
	return v
}
