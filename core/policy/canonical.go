package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits on a policy document.
const (
	MaxDocumentSize = 64 << 10 // bytes of a whole policy document
	MaxJSONDepth    = 32       // nesting of JSON arrays and objects
)

// kind is the JSON type of a node.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

func (k kind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// node is a parsed JSON value that keeps the order of object members, so
// that validation reports problems in document order.
type node struct {
	kind  kind
	b     bool
	f     float64 // kNumber
	s     string  // kString
	elems []*node // kArray
	keys  []string
	vals  []*node // kObject, in document order
}

// get returns the member k of an object, or nil.
func (n *node) get(k string) *node {
	if n == nil || n.kind != kObject {
		return nil
	}
	for i, key := range n.keys {
		if key == k {
			return n.vals[i]
		}
	}
	return nil
}

// parseJSON parses one JSON text strictly: valid UTF-8, no duplicate object
// keys, numbers that are finite binary64 values, nesting at most
// MaxJSONDepth, nothing after the value.
func parseJSON(data []byte) (*node, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return n, nil
}

func parseValue(dec *json.Decoder, depth int) (*node, error) {
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, errors.New("unexpected end of JSON input")
	}
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &node{kind: kNull}, nil
	case bool:
		return &node{kind: kBool, b: t}, nil
	case string:
		return &node{kind: kString, s: t}, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, errors.New("number " + truncate(string(t), 40) + " is outside the binary64 range")
		}
		return &node{kind: kNumber, f: f}, nil
	case json.Delim:
		if depth >= MaxJSONDepth {
			return nil, errors.New("nested deeper than " + strconv.Itoa(MaxJSONDepth) + " levels")
		}
		if t == '[' {
			n := &node{kind: kArray}
			for dec.More() {
				e, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, e)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		n := &node{kind: kObject}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			if seen[k] {
				return nil, errors.New("duplicate key " + strconv.Quote(truncate(k, 40)))
			}
			seen[k] = true
			v, err := parseValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k)
			n.vals = append(n.vals, v)
		}
		_, err := dec.Token() // '}'
		return n, err
	}
	return nil, errors.New("unexpected JSON token")
}

// Canonical returns the canonical form of the JSON text data, per RFC 8785
// (JSON Canonicalization Scheme): no whitespace, object members sorted by
// the UTF-16 code units of their names, strings escaped as ECMAScript's
// JSON.stringify does, numbers in ECMAScript's shortest round-trip form.
// It fails (CodeSyntax) on invalid UTF-8, duplicate keys, numbers outside
// the binary64 range, or nesting deeper than MaxJSONDepth.
func Canonical(data []byte) ([]byte, error) {
	n, err := parseJSON(data)
	if err != nil {
		return nil, errSyntax("%v", err)
	}
	return appendCanonical(nil, n), nil
}

func appendCanonical(b []byte, n *node) []byte {
	switch n.kind {
	case kNull:
		return append(b, "null"...)
	case kBool:
		return strconv.AppendBool(b, n.b)
	case kNumber:
		return appendNumber(b, n.f)
	case kString:
		return appendString(b, n.s)
	case kArray:
		b = append(b, '[')
		for i, e := range n.elems {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, e)
		}
		return append(b, ']')
	}
	idx := make([]int, len(n.keys))
	u16 := make([][]uint16, len(n.keys))
	for i, k := range n.keys {
		idx[i] = i
		u16[i] = utf16.Encode([]rune(k))
	}
	slices.SortFunc(idx, func(i, j int) int { return slices.Compare(u16[i], u16[j]) })
	b = append(b, '{')
	for j, i := range idx {
		if j > 0 {
			b = append(b, ',')
		}
		b = appendString(b, n.keys[i])
		b = append(b, ':')
		b = appendCanonical(b, n.vals[i])
	}
	return append(b, '}')
}

// appendString writes s as JSON.stringify does: only '"', '\\' and the
// control characters U+0000..U+001F are escaped, the latter as \b \t \n \f
// \r or \u00xx with lower-case hex; everything else is literal UTF-8.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendNumber writes a finite float64 as ECMAScript's Number.prototype.
// toString does (ECMA-262 Number::toString, required by RFC 8785 §3.2.2.3):
// the shortest digits that round-trip, in plain notation when the decimal
// exponent is in [-7, 21) and in exponential notation ("1e+21", "1.5e-7")
// otherwise. -0 is written 0.
func appendNumber(b []byte, x float64) []byte {
	if x == 0 {
		return append(b, '0')
	}
	if x < 0 {
		b = append(b, '-')
		x = -x
	}
	// e is "d.dddde±XX": digits and the exponent of the first digit.
	e := strconv.FormatFloat(x, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	digits := make([]byte, 0, len(mant))
	for i := 0; i < len(mant); i++ {
		if mant[i] != '.' {
			digits = append(digits, mant[i])
		}
	}
	p, _ := strconv.Atoi(exp)
	k, n := len(digits), p+1 // x = 0.d1d2...dk × 10^n
	switch {
	case k <= n && n <= 21:
		b = append(b, digits...)
		for range n - k {
			b = append(b, '0')
		}
	case 0 < n && n <= 21:
		b = append(b, digits[:n]...)
		b = append(b, '.')
		b = append(b, digits[n:]...)
	case -6 < n && n <= 0:
		b = append(b, '0', '.')
		for range -n {
			b = append(b, '0')
		}
		b = append(b, digits...)
	default:
		b = append(b, digits[0])
		if k > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if n-1 >= 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, int64(n-1), 10)
	}
	return b
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
