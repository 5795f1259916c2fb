package policy

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// FuzzParse feeds arbitrary documents to Parse, Validate, LoadTemplate and
// Canonical. The seed corpus is the shipped templates, signed and unsigned,
// and the validator's test documents. Properties: no panics; every error is
// a policy *nu.Error; an accepted policy re-marshals to a document that
// parses to the same hash; the canonical form is a fixed point; Validate
// reports an error whenever LoadTemplate refuses.
func FuzzParse(f *testing.F) {
	s := fixedKey(f, "fuzz.example/policy", "ebios policy fuzz key")
	trusted := []*ledger.Verifier{s.Verifier()}
	for _, name := range templateNames {
		raw := readTemplate(f, name)
		f.Add(raw)
		doc, err := SignTemplate(raw, s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc)
	}
	f.Add([]byte(`{"config":{"version":"1.0.0","name":"x","rules":[{"type":"composite","op":"or","level":"info","rules":[{"type":"coverage","threshold":1e-300}]}]}}`))
	f.Add([]byte(`{"a":"\ud800","b":-0,"c":1E400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		isPolicyErr := func(err error) {
			if e, ok := nu.AsError(err); !ok || e.Category != CategoryPolicy {
				t.Fatalf("error %v is not a policy *nu.Error", err)
			}
		}
		issues := Validate(data)
		if root, err := parseJSON(data); err == nil {
			// A second reader: encoding/json (v1) reads every document
			// we accept as the same tree (it would differ on duplicates,
			// invalid UTF-8 and lone surrogates, which we refuse).
			var ref any
			if err := json.Unmarshal(data, &ref); err != nil {
				t.Fatalf("accepted, but encoding/json refuses: %v", err)
			}
			if got := root.plain(); !reflect.DeepEqual(got, ref) {
				t.Fatalf("read as %#v, encoding/json reads %#v", got, ref)
			}
		}
		if c, err := Canonical(data); err == nil {
			again, err := Canonical(c)
			if err != nil || !bytes.Equal(again, c) {
				t.Fatalf("canonical form not stable: %q -> %q (%v)", c, again, err)
			}
		} else {
			isPolicyErr(err)
		}
		tpl, err := LoadTemplate(data)
		if err != nil {
			isPolicyErr(err)
			if !HasErrors(issues) {
				t.Fatalf("LoadTemplate refused (%v) but Validate found no error", err)
			}
		} else {
			for _, x := range [][2]float64{{1, 0.5}, {0, 1}, {1, -1}} {
				tpl.Config().Evaluate(x[0], x[1])
			}
			if t2, err := LoadTemplate(tpl.Marshal()); err != nil || t2.Hash() != tpl.Hash() {
				t.Fatalf("template does not round-trip: %v", err)
			}
		}
		p, err := Parse(data, trusted)
		if err != nil {
			isPolicyErr(err)
			return
		}
		if HasErrors(issues) {
			t.Fatalf("Parse accepted a document Validate rejects: %v", issues)
		}
		p2, err := Parse(p.Marshal(), trusted)
		if err != nil || p2.Hash() != p.Hash() {
			t.Fatalf("accepted policy does not round-trip: %v", err)
		}
	})
}

// plain converts a parsed node to what encoding/json's Unmarshal into an
// any gives.
func (n *node) plain() any {
	switch n.kind {
	case kBool:
		return n.b
	case kNumber:
		return n.f
	case kString:
		return n.s
	case kArray:
		out := []any{}
		for _, e := range n.elems {
			out = append(out, e.plain())
		}
		return out
	case kObject:
		out := map[string]any{}
		for i, k := range n.keys {
			out[k] = n.vals[i].plain()
		}
		return out
	}
	return nil
}
