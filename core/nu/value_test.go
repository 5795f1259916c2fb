package nu

import (
	"encoding/json"
	"math"
	"testing"
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
		if got := c.v.Coverage(); got != c.want {
			t.Errorf("%v.Coverage() = %v, want %v", c.v, got, c.want)
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
	} {
		var v Value
		if err := json.Unmarshal([]byte(c.in), &v); !isCode(err, c.code) {
			t.Errorf("%s: err = %v, want %s", c.in, err, c.code)
		}
	}
}

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
