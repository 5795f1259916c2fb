package pyimport

import (
	"strings"
	"testing"
)

// TestPyJSON: what Python's json module writes is read (NaN, Infinity,
// -Infinity, surrogate pairs), written back canonically; what is not JSON
// is refused with where and why.
func TestPyJSON(t *testing.T) {
	for _, c := range []struct{ in, canonical string }{
		{`[[10.0, 0.5], [20.0, 1.0]]`, `[[10,0.5],[20,1]]`},
		{`{"u": Infinity, "n": 0.0}`, `{"n":0,"u":"+Inf"}`},
		{`[NaN, -Infinity, 1e400, -1e400]`, `["NaN","-Inf","+Inf","-Inf"]`},
		{`[-0, -0.0, 1E5, 1e-7, 123456789012345678901234567890]`, `[0,-0,100000,1e-7,1.2345678901234568e+29]`},
		{`{"b": [], "a": {}, "c": null, "d": true, "e": false}`, `{"a":{},"b":[],"c":null,"d":true,"e":false}`},
		{`"\ud83d\ude00 \u00e9 \/ \" \\ \n \u0001 <&>"`, `"😀 é / \" \\ \n \u0001 <&>"`},
		{" \t\r\n[1]\n", `[1]`},
		{`{"é": 1, "z": 2, "a": 3}`, `{"a":3,"z":2,"é":1}`},
	} {
		v, err := parsePyJSON([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		out, err := canonicalJSON(v)
		if err != nil || string(out) != c.canonical {
			t.Errorf("%s: canonical %s (%v), want %s", c.in, out, err, c.canonical)
		}
	}
	for _, c := range []struct{ in, want string }{
		{``, "unexpected end of text"},
		{`[1,]`, "want a value"},
		{`[01]`, "leading zero"},
		{`[1.]`, "want a digit after '.'"},
		{`{"a": 1, "a": 2}`, `member "a" appears twice`},
		{`{a: 1}`, "want a member name in quotes"},
		{`"\ud800"`, "lone surrogate"},
		{`"\x"`, `unknown escape \x`},
		{"\"a\tb\"", "control character 0x09"},
		{"\"\xc3\x28\"", "invalid UTF-8"},
		{`[1] x`, "after the value"},
		{`nan`, "want a value"},
		{strings.Repeat("[", 70) + strings.Repeat("]", 70), "nested deeper than 64"},
	} {
		_, err := parsePyJSON([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
	if _, err := canonicalJSON("\xff"); err == nil {
		t.Error("canonicalJSON accepted invalid UTF-8")
	}
}

// TestTimestamps: the spellings of a time the import understands, the
// v0.1 counter, and what it refuses.
func TestTimestamps(t *testing.T) {
	for _, c := range []struct {
		in   any
		want int64 // 0: the counter (the import's time)
		bad  string
	}{
		{"2025-10-29T12:00:01.123456+00:00", 1761739201123456000, ""},
		{"2025-10-29T12:00:01.123456Z", 1761739201123456000, ""},
		{"2025-10-29 17:30:01.123456+05:30", 1761739201123456000, ""},
		{"2025-10-29T17:30:01.123456+0530", 1761739201123456000, ""},
		{"2025-10-29T14:00:01.123456+02", 1761739201123456000, ""},
		{"2025-10-29T12:00:01.123456789", 1761739201123456789, ""},
		{"2025-10-29 12:00:01", 1761739200000000000 + 1e9, ""},
		{"1970-01-01T00:00:00Z", 1, ""},
		{int64(42), 0, ""},
		{"42", 0, ""},
		{int64(-1), 0, "negative integer"},
		{"2025-10-29", 0, "not an ISO 8601 date-time"},
		{"1500-01-01T00:00:00Z", 0, "outside the years 1678 to 2262"},
		{"2025-10-29T12:00:01.1234567891Z", 1761739201123456789, ""}, // cut to nanoseconds
		{1.5, 0, "want a date-time text or an integer counter"},
		{nil, 0, "NULL"},
		{" ", 0, "empty"},
	} {
		got, bad := convertTimestamp(c.in)
		if got != c.want || (bad == "") != (c.bad == "") || !strings.Contains(bad, c.bad) {
			t.Errorf("%#v: %d %q, want %d %q", c.in, got, bad, c.want, c.bad)
		}
	}
}
