package operation

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/ebios/ebios/core/nu"
)

// FuzzInput: Input.UnmarshalJSON accepts only what encoding/json (v1)
// reads the same way: a pair that v1 reads as two numbers (or "+Inf")
// holding the same values, or an object that v1 reads as exactly the
// members n and u with the same values; the fast scan and the tokenizer
// agree; nothing decodes to NaN.
func FuzzInput(f *testing.F) {
	for _, s := range []string{`[5.0, 0.1]`, `[1e308,"+Inf"]`, `{"n":1,"u":2}`, `[1,2,3]`, `["1",2]`, `[-0, 1e-320]`, `[1e999,1]`, `[ 1 , 2 ]`,
		`{"n":1,"u":0,"n":2}`, `{"N":1,"u":2}`, `{"\u006e":1,"u":2}`, `[1,2]x`, `[01,2]`, `[1.,2]`, `["\u002bInf",1]`, `[1,"+Inf" ]`, "[1,2]\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		var in Input
		err := in.UnmarshalJSON(b)
		if n, u, ok := scanPair(b, skipWS(b, 0)); ok {
			if err != nil || !same(in.N, n) || !same(in.U, u) {
				t.Fatalf("%q: fast scan %v %v, UnmarshalJSON %v %v %v", s, n, u, in.N, in.U, err)
			}
			if rn, ru, rerr := readPair(b); rerr != nil || !same(rn, n) || !same(ru, u) {
				t.Fatalf("%q: fast scan %v %v, tokenizer %v %v %v", s, n, u, rn, ru, rerr)
			}
		}
		if err != nil {
			if e, ok := nu.AsError(err); !ok || e.Code != nu.CodeSyntax {
				t.Fatalf("%q: error %v is not %s", s, err, nu.CodeSyntax)
			}
			return
		}
		if math.IsNaN(in.N) || math.IsNaN(in.U) {
			t.Fatalf("%q decoded to NaN", s)
		}
		if !json.Valid(b) {
			t.Fatalf("%q accepted but not valid JSON", s)
		}
		var pair []json.RawMessage
		var obj map[string]json.RawMessage
		var raw [2]json.RawMessage
		switch {
		case json.Unmarshal(b, &pair) == nil:
			if len(pair) != 2 {
				t.Fatalf("%q accepted as a pair of %d", s, len(pair))
			}
			raw = [2]json.RawMessage{pair[0], pair[1]}
		case json.Unmarshal(b, &obj) == nil:
			if len(obj) != 2 || obj["n"] == nil || obj["u"] == nil {
				t.Fatalf("%q accepted, encoding/json reads the members %v", s, obj)
			}
			raw = [2]json.RawMessage{obj["n"], obj["u"]}
		default:
			t.Fatalf("%q accepted, encoding/json reads neither an array nor an object", s)
		}
		for i, want := range [2]float64{in.N, in.U} {
			var x float64
			if string(raw[i]) == `"+Inf"` {
				x = math.Inf(1)
			} else if err := json.Unmarshal(raw[i], &x); err != nil {
				t.Fatalf("%q: member %s is not a number to encoding/json: %v", s, raw[i], err)
			}
			if !same(x, want) {
				t.Fatalf("%q: read %v, encoding/json reads %v", s, want, x)
			}
		}
	})
}

func same(a, b float64) bool { return a == b && math.Signbit(a) == math.Signbit(b) }
