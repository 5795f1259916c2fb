package nu

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNewValidation(t *testing.T) {
	cases := []struct {
		n, u float64
		code string
	}{
		{5, 0.1, ""},
		{0, 0, ""},
		{-5, math.Inf(1), ""},
		{5, -1, CodeNegativeU},
		{5, math.Inf(-1), CodeNegativeU},
		{math.NaN(), 1, CodeNaN},
		{1, math.NaN(), CodeNaN},
		{math.Inf(1), 1, CodeInfiniteN},
		{math.Inf(-1), 1, CodeInfiniteN},
	}
	for _, c := range cases {
		_, err := New(c.n, c.u)
		if c.code == "" && err != nil || c.code != "" && !isCode(err, c.code) {
			t.Errorf("New(%v, %v) err = %v, want %q", c.n, c.u, err, c.code)
		}
	}
}

func TestCoverage(t *testing.T) {
	for _, c := range []struct {
		v    Value
		want float64
	}{
		{MustNew(200, 14), 0.07},
		{MustNew(-4, 1), 0.25},
		{MustNew(0, 1), math.Inf(1)},
		{MustNew(0, 0), 0},
		{MustNew(3, 0), 0},
	} {
		if got := c.v.RelativeUncertainty(); got != c.want {
			t.Errorf("%v.RelativeUncertainty() = %v, want %v", c.v, got, c.want)
		}
	}
}

func TestValueJSONRoundTrip(t *testing.T) {
	for _, v := range []Value{
		MustNew(200, 14.150971698084906), MustNew(-0.1, 1e-300), MustNew(5e-324, 0),
		MustNew(math.MaxFloat64, math.MaxFloat64), MustNew(7, math.Inf(1)),
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back Value
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if back != v {
			t.Errorf("%v -> %s -> %v", v.FormatFull(), b, back.FormatFull())
		}
	}
	if b, _ := json.Marshal(MustNew(7, math.Inf(1))); string(b) != `{"n":7,"u":"+Inf"}` {
		t.Errorf("infinite u encodes as %s", b)
	}
}

func TestValueJSONErrors(t *testing.T) {
	for _, c := range []struct{ in, code string }{
		{`{"n":5,"u":-1}`, CodeNegativeU},
		{`{"n":"+Inf","u":1}`, CodeInfiniteN},
		{`{"n":5}`, CodeSyntax},
		{`{"n":5,"u":1,"x":2}`, CodeSyntax},
		{`{"n":"5","u":1}`, CodeSyntax},
		{`{"n":5,"u":"Infinity"}`, CodeSyntax},
		{`[5,1]`, CodeSyntax},
		{`{"n":1e999,"u":1}`, CodeSyntax},
		{`{"n":null,"u":1}`, CodeSyntax},
		{`null`, CodeSyntax},
	} {
		var v Value
		if err := json.Unmarshal([]byte(c.in), &v); !isCode(err, c.code) {
			t.Errorf("%s: err = %v, want %s", c.in, err, c.code)
		}
	}
}

// TestValueJSONStrict: a value reads one way only. Duplicate, unknown,
// case-variant and missing members, invalid UTF-8, lone surrogates and
// trailing data are refused (encoding/json would keep the last duplicate,
// match "N" to n, and read the rest as U+FFFD); white space, member order,
// escaped names and number spellings are not part of the value.
func TestValueJSONStrict(t *testing.T) {
	for _, c := range []struct {
		in   string
		n, u float64
		msg  string // substring of the error message; "" = accepted
	}{
		{`{"n":1,"u":2}`, 1, 2, ""},
		{`{"u":2,"n":1}`, 1, 2, ""},
		{" \t\r\n{ \"n\" : 1 ,\n \"u\" : 2 } \n", 1, 2, ""},
		{`{"\u006e":1,"u":2}`, 1, 2, ""},
		{`{"n":1.0,"u":20e-1}`, 1, 2, ""},
		{`{"n":10E-1,"u":0.2e1}`, 1, 2, ""},
		{`{"n":-0,"u":"+Inf"}`, math.Copysign(0, -1), math.Inf(1), ""},
		{`{"n":1e-400,"u":0}`, 0, 0, ""},
		{`{"n":1,"u":0,"n":2}`, 0, 0, "duplicate"},
		{`{"n":1,"u":0,"u":2}`, 0, 0, "duplicate"},
		{`{"n":1,"u":0,"\u006e":2}`, 0, 0, "duplicate"},
		{`{"N":1,"u":0}`, 0, 0, `unknown field "N"`},
		{`{"n":1,"U":0}`, 0, 0, `unknown field "U"`},
		{`{"n":1,"u":0,"nu":0}`, 0, 0, "unknown field"},
		{`{"n":1}`, 0, 0, `missing field "u"`},
		{`{"u":1}`, 0, 0, `missing field "n"`},
		{`{}`, 0, 0, "missing field"},
		{`{"n":1,"u":0} {}`, 0, 0, "after"},
		{`{"n":1,"u":0}x`, 0, 0, "expected"},
		{`{"n":1,"u":0,}`, 0, 0, "expected"},
		{`{"n":1 "u":0}`, 0, 0, "expected"},
		{"{\"n\":1,\"u\":0,\"\xff\":1}", 0, 0, "expected"},
		{`{"n":1,"u":0,"\ud800":1}`, 0, 0, "expected"},
		{`{"n":1,"u":0,"x\udc00":1}`, 0, 0, "expected"},
		{`{"n":1,"u":"\u002bInf"}`, 0, 0, "expected a JSON number"},
		{`{"n":1,"u":"+inf"}`, 0, 0, "expected a JSON number"},
		{`{"n":01,"u":0}`, 0, 0, "expected"},
		{`{"n":1.,"u":0}`, 0, 0, "expected"},
		{`{"n":+1,"u":0}`, 0, 0, "expected"},
		{`{"n":0x10,"u":0}`, 0, 0, "expected"},
		{`{"n":Infinity,"u":0}`, 0, 0, "expected"},
		{`{"n":1e999,"u":0}`, 0, 0, "binary64 range"},
		{`{"n":true,"u":0}`, 0, 0, "expected a JSON number"},
		{`{"n":[1],"u":0}`, 0, 0, "expected a JSON number"},
		{`[1,0]`, 0, 0, "expected a JSON object"},
		{``, 0, 0, "expected"},
	} {
		n, u, err := UnmarshalNU([]byte(c.in))
		if c.msg == "" {
			if err != nil || n != c.n || u != c.u || math.Signbit(n) != math.Signbit(c.n) {
				t.Errorf("%s: got %v, %v, %v; want %v, %v", c.in, n, u, err, c.n, c.u)
			}
			continue
		}
		if !isCode(err, CodeSyntax) {
			t.Errorf("%s: err %v, want %s", c.in, err, CodeSyntax)
			continue
		}
		if e, _ := AsError(err); !strings.Contains(e.Message+" "+e.Details, c.msg) {
			t.Errorf("%s: error %q, want one that says %q", c.in, e.Message+" / "+e.Details, c.msg)
		}
		// Through encoding/json too (the error is the method's).
		var v Value
		if err := json.Unmarshal([]byte(`{"v":`+c.in+`}`), &struct{ V *Value }{&v}); err == nil && c.in != "" && json.Valid([]byte(c.in)) {
			t.Errorf("%s: accepted inside a document", c.in)
		}
	}
}

// FuzzUnmarshalNU: the fast path and the tokenizer agree, and whatever is
// accepted is valid JSON that encoding/json reads as an object of exactly
// the members n and u holding the same numbers.
func FuzzUnmarshalNU(f *testing.F) {
	for _, s := range []string{`{"n":1,"u":2}`, `{"u":"+Inf","n":-0}`, `{"n":1,"u":0,"n":2}`, `{"\u006e":1,"u":2}`,
		` { "n" : 1e5 , "u" : 0.5 } `, `{"n":1,"u":2}x`, `{"N":1,"u":2}`, `{"n":01,"u":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		n, u, err := UnmarshalNU(b)
		if fn, fu, ok := scanNU(b); ok {
			if err != nil || !same(fn, n) || !same(fu, u) {
				t.Fatalf("%q: fast %v %v, decoder %v %v %v", s, fn, fu, n, u, err)
			}
		}
		sn, su, serr := readNU(b)
		if (serr == nil) != (err == nil) || err == nil && (!same(sn, n) || !same(su, u)) {
			t.Fatalf("%q: UnmarshalNU %v %v %v, tokenizer %v %v %v", s, n, u, err, sn, su, serr)
		}
		if err != nil {
			if !isCode(err, CodeSyntax) {
				t.Fatalf("%q: error %v", s, err)
			}
			return
		}
		if !utf8.ValidString(s) || !json.Valid(b) {
			t.Fatalf("%q accepted but not valid JSON", s)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil || len(m) != 2 || m["n"] == nil || m["u"] == nil {
			t.Fatalf("%q accepted, encoding/json reads %v %v", s, m, err)
		}
		var rn, ru Float
		if rn.UnmarshalJSON(m["n"]) != nil || ru.UnmarshalJSON(m["u"]) != nil || !same(float64(rn), n) || !same(float64(ru), u) {
			t.Fatalf("%q: read %v %v, encoding/json's members say %s %s", s, n, u, m["n"], m["u"])
		}
	})
}

func same(a, b float64) bool { return a == b && math.Signbit(a) == math.Signbit(b) }

func TestErrorJSONShape(t *testing.T) {
	_, err := New(5, -1)
	b, _ := json.Marshal(err)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"code", "category", "message", "details", "remediation"} {
		if _, ok := m[k]; !ok {
			t.Errorf("error JSON %s lacks %q", b, k)
		}
	}
	if m["code"] != CodeNegativeU || m["category"] != "invariant" {
		t.Errorf("error JSON %s", b)
	}
}

// TestCoverageIsRelativeUncertainty: the deprecated name gives the same.
func TestCoverageIsRelativeUncertainty(t *testing.T) {
	for _, v := range []Value{MustNew(8, 0.2), MustNew(0, 1), MustNew(-3, 0), MustNew(2, math.Inf(1))} {
		if a, b := v.Coverage(), v.RelativeUncertainty(); a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
			t.Errorf("%v: Coverage %v, RelativeUncertainty %v", v, a, b)
		}
	}
}
