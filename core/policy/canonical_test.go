package policy

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestCanonicalNumbers checks the ECMAScript number form against values
// from RFC 8785 appendix B and the ECMA-262 boundaries.
func TestCanonicalNumbers(t *testing.T) {
	for _, tc := range []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"}, // -0
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	} {
		x := math.Float64frombits(tc.bits)
		if got := string(appendNumber(nil, x)); got != tc.want {
			t.Errorf("%016x (%v): got %s, want %s", tc.bits, x, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in, want string
	}{
		{"1.0", "1"}, {"0.05", "0.05"}, {"1e20", "100000000000000000000"}, {"1e21", "1e+21"},
		{"1E-7", "1e-7"}, {"0.0000001", "1e-7"}, {"0.000001", "0.000001"}, {"-0.0", "0"},
		{"123.456e2", "12345.6"}, {"5e-7", "5e-7"}, {"1.5e300", "1.5e+300"},
	} {
		got, err := Canonical([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("Canonical(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
		// The form round-trips through strconv.
		x, _ := strconv.ParseFloat(tc.in, 64)
		y, _ := strconv.ParseFloat(string(got), 64)
		if x != y {
			t.Errorf("%s does not round-trip: %v != %v", tc.in, x, y)
		}
	}
}

func TestCanonicalStructure(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{ "b" : 1, "a" : [ true , false , null ] }`, `{"a":[true,false,null],"b":1}`},
		// Keys sort by UTF-16 code units: U+E000 (one unit 0xE000) sorts
		// after U+1F600 (surrogates 0xD83D 0xDE00), unlike UTF-8 order.
		{`{"\ue000":1,"😀":2,"a":3,"A":4,"":5}`, `{"":5,"A":4,"a":3,"😀":2,"` + "\ue000" + `":1}`},
		// RFC 8785 §3.2.2.2: only " \ and controls are escaped, lower-case hex.
		{`"\u0041\u00e9\u2028\/\u001f\u007f\b\f\n\r\t\"\\"`, `"Aé` + "\u2028" + `/\u001f` + "\x7f" + `\b\f\n\r\t\"\\"`},
		{`{"nested":{"z":{"y":[{"b":1,"a":2}]},"a":"x"}}`, `{"nested":{"a":"x","z":{"y":[{"a":2,"b":1}]}}}`},
		{"\n\t 7 \r\n", "7"},
	} {
		got, err := Canonical([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("Canonical(%s):\n got %s, %v\nwant %s", tc.in, got, err, tc.want)
		}
		again, err := Canonical(got)
		if err != nil || string(again) != string(got) {
			t.Errorf("canonical form of %s is not stable: %s", tc.in, again)
		}
	}
}

func TestCanonicalRefuses(t *testing.T) {
	deep := strings.Repeat("[", MaxJSONDepth+1) + strings.Repeat("]", MaxJSONDepth+1)
	for name, in := range map[string]string{
		"duplicate key":  `{"a":1,"a":2}`,
		"nested dup":     `{"x":{"k":1,"k":1}}`,
		"invalid UTF-8":  "\"\xff\"",
		"overflow":       `1e400`,
		"trailing data":  `{} {}`,
		"truncated":      `{"a":`,
		"empty":          ``,
		"too deep":       deep,
		"bare word":      `nul`,
		"trailing comma": `[1,]`,
		// encoding/json (v1) reads these as U+FFFD; other readers fail or
		// keep the lone code unit, so no reading is shared.
		"lone high surrogate":        `"\ud800"`,
		"lone low surrogate":         `"\udc00"`,
		"high then not low":          `"\ud800\u0041"`,
		"reversed pair":              `"\ude00\ud83d"`,
		"lone surrogate in a key":    `{"a\ud800":1}`,
		"invalid UTF-8 in a key":     "{\"a\xff\":1}",
		"encoded surrogate (CESU-8)": "\"\xed\xa0\x80\"",
		"overlong UTF-8":             "\"\xc0\xaf\"",
		"escaped duplicate":          `{"a":1,"\u0061":2}`,
	} {
		if _, err := Canonical([]byte(in)); err == nil {
			t.Errorf("%s: Canonical(%q) succeeded", name, in)
		} else {
			wantCode(t, err, CodeSyntax)
		}
	}
	ok := strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth)
	if _, err := Canonical([]byte(ok)); err != nil {
		t.Errorf("depth %d refused: %v", MaxJSONDepth, err)
	}
	// A surrogate pair is one character; U+FFFD written as such is fine.
	for in, want := range map[string]string{
		`"\ud83d\ude00"`: "\"\U0001F600\"",
		`"\ufffd"`:       "\"\uFFFD\"",
		`{"\u0061":1}`:   `{"a":1}`,
	} {
		if got, err := Canonical([]byte(in)); err != nil || string(got) != want {
			t.Errorf("Canonical(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
}
