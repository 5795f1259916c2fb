package policy

import (
	"bytes"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ebios/ebios/core/strictjson"
	"github.com/go-json-experiment/json/jsontext"
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

// parseJSON parses one JSON text strictly: valid UTF-8 without lone
// surrogate escapes (\ud800), no duplicate object member names (compared
// after unescaping, so "a" and "\u0061" are the same name), numbers that are
// finite binary64 values, nesting at most MaxJSONDepth, nothing after the
// value but white space. The tokenizer is jsontext with
// strictjson.DecoderOptions, the one every strict reader of eBIOS uses.
func parseJSON(data []byte) (*node, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data), strictjson.DecoderOptions)
	n, err := parseValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		if err == nil {
			return nil, errors.New("data after the JSON value")
		}
		return nil, jsonError(err)
	}
	return n, nil
}

// jsonError words an error of the tokenizer: what is wrong and where (an
// RFC 6901 JSON pointer and the byte offset).
func jsonError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of JSON input")
	}
	var se *jsontext.SyntacticError
	if !errors.As(err, &se) {
		return err
	}
	msg := strings.TrimPrefix(se.Err.Error(), "jsontext: ")
	if errors.Is(err, jsontext.ErrDuplicateName) {
		msg = "duplicate key " + strconv.Quote(truncate(se.JSONPointer.LastToken(), 40))
	}
	if se.JSONPointer != "" {
		msg += " at " + truncate(string(se.JSONPointer), 80)
	}
	return errors.New(msg + " (byte " + strconv.FormatInt(se.ByteOffset, 10) + ")")
}

func parseValue(dec *jsontext.Decoder, depth int) (*node, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, jsonError(err)
	}
	switch tok.Kind() {
	case 'n':
		return &node{kind: kNull}, nil
	case 't', 'f':
		return &node{kind: kBool, b: tok.Bool()}, nil
	case '"':
		return &node{kind: kString, s: tok.String()}, nil
	case '0':
		lit := tok.String() // the number as written
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, errors.New("number " + truncate(lit, 40) + " is outside the binary64 range")
		}
		return &node{kind: kNumber, f: f}, nil
	case '[':
		if depth >= MaxJSONDepth {
			return nil, errors.New("nested deeper than " + strconv.Itoa(MaxJSONDepth) + " levels")
		}
		n := &node{kind: kArray}
		for dec.PeekKind() != ']' {
			e, err := parseValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, e)
		}
		if _, err := dec.ReadToken(); err != nil { // ']'
			return nil, jsonError(err)
		}
		return n, nil
	case '{':
		if depth >= MaxJSONDepth {
			return nil, errors.New("nested deeper than " + strconv.Itoa(MaxJSONDepth) + " levels")
		}
		n := &node{kind: kObject}
		for dec.PeekKind() != '}' {
			kt, err := dec.ReadToken() // the tokenizer refuses a duplicate here
			if err != nil {
				return nil, jsonError(err)
			}
			k := kt.String() // before the next call voids kt
			v, err := parseValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k)
			n.vals = append(n.vals, v)
		}
		if _, err := dec.ReadToken(); err != nil { // '}'
			return nil, jsonError(err)
		}
		return n, nil
	}
	return nil, errors.New("unexpected JSON token")
}

// Canonical returns the canonical form of the JSON text data, per RFC 8785
// (JSON Canonicalization Scheme): no whitespace, object members sorted by
// the UTF-16 code units of their names, strings escaped as ECMAScript's
// JSON.stringify does, numbers in ECMAScript's shortest round-trip form.
// It fails (CodeSyntax) on invalid UTF-8, lone surrogate escapes, duplicate
// keys, numbers outside the binary64 range, or nesting deeper than
// MaxJSONDepth.
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
