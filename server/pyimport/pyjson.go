package pyimport

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The values of the Python eBIOS, as this package holds them: nil (NULL,
// JSON null), bool, string, int64 (an integer that fits), float64 (any
// other number, also ±Inf and NaN), []any and *object. SQL cells and JSON
// text both become these, so that one converter and one canonical writer
// serve every source.

// object is a JSON object: its members in source order, without
// duplicates.
type object struct {
	keys []string
	vals map[string]any
}

func (o *object) get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

// maxDepth bounds the nesting of the JSON read, so that a hostile file
// cannot exhaust the stack.
const maxDepth = 64

// parsePyJSON reads one JSON value as Python's json module writes it:
// standard JSON (RFC 8259) plus the tokens NaN, Infinity and -Infinity,
// which json.dumps writes for non-finite floats. It is strict otherwise:
// valid UTF-8, no duplicate member names, no lone surrogate escapes,
// nothing after the value but white space.
func parsePyJSON(b []byte) (any, error) {
	p := &jsonParser{b: b}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.b) {
		return nil, p.errf("unexpected %s after the value", p.near())
	}
	return v, nil
}

type jsonParser struct {
	b []byte
	i int
}

func (p *jsonParser) errf(format string, args ...any) error {
	return fmt.Errorf("byte %d: %s", p.i+1, fmt.Sprintf(format, args...))
}

// near describes the text at the current position for an error message.
func (p *jsonParser) near() string {
	if p.i >= len(p.b) {
		return "end of text"
	}
	end := min(p.i+12, len(p.b))
	s := string(p.b[p.i:end])
	if !utf8.ValidString(s) {
		return fmt.Sprintf("byte 0x%02x", p.b[p.i])
	}
	return strconv.Quote(s)
}

func (p *jsonParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) lit(word string) bool {
	if strings.HasPrefix(string(p.b[p.i:min(len(p.b), p.i+len(word))]), word) {
		p.i += len(word)
		return true
	}
	return false
}

func (p *jsonParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.errf("nested deeper than %d levels", maxDepth)
	}
	if p.i >= len(p.b) {
		return nil, p.errf("unexpected end of text, want a value")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case p.lit("true"):
		return true, nil
	case p.lit("false"):
		return false, nil
	case p.lit("null"):
		return nil, nil
	case p.lit("NaN"):
		return math.NaN(), nil
	case p.lit("Infinity"):
		return math.Inf(1), nil
	case p.lit("-Infinity"):
		return math.Inf(-1), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, p.errf("unexpected %s, want a value", p.near())
}

func (p *jsonParser) object(depth int) (any, error) {
	p.i++ // {
	o := &object{vals: map[string]any{}}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return o, nil
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, p.errf("unexpected %s, want a member name in quotes", p.near())
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := o.vals[k]; dup {
			return nil, p.errf("member %q appears twice in one object", k)
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, p.errf("unexpected %s, want ':' after member %q", p.near(), k)
		}
		p.i++
		p.space()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		o.keys = append(o.keys, k)
		o.vals[k] = v
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return o, nil
		}
		return nil, p.errf("unexpected %s, want ',' or '}'", p.near())
	}
}

func (p *jsonParser) array(depth int) (any, error) {
	p.i++ // [
	a := []any{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return a, nil
	}
	for {
		p.space()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return a, nil
		}
		return nil, p.errf("unexpected %s, want ',' or ']'", p.near())
	}
}

func (p *jsonParser) str() (string, error) {
	p.i++ // "
	var sb strings.Builder
	for {
		if p.i >= len(p.b) {
			return "", p.errf("unterminated string")
		}
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return sb.String(), nil
		case c < 0x20:
			return "", p.errf("control character 0x%02x in a string (escape it)", c)
		case c == '\\':
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			sb.WriteRune(r)
		case c < utf8.RuneSelf:
			sb.WriteByte(c)
			p.i++
		default:
			r, n := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && n <= 1 {
				return "", p.errf("invalid UTF-8")
			}
			sb.WriteString(string(p.b[p.i : p.i+n]))
			p.i += n
		}
	}
}

func (p *jsonParser) escape() (rune, error) {
	if p.i+1 >= len(p.b) {
		return 0, p.errf("unterminated escape")
	}
	c := p.b[p.i+1]
	p.i += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		r, err := p.hex4()
		if err != nil {
			return 0, err
		}
		if utf16.IsSurrogate(r) {
			if r < 0xdc00 && p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
				p.i += 2
				r2, err := p.hex4()
				if err != nil {
					return 0, err
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					return d, nil
				}
			}
			return 0, p.errf("lone surrogate escape (not a character)")
		}
		return r, nil
	}
	p.i--
	return 0, p.errf("unknown escape \\%c", c)
}

func (p *jsonParser) hex4() (rune, error) {
	if p.i+4 > len(p.b) {
		return 0, p.errf("short \\u escape")
	}
	v, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, p.errf("bad \\u escape %q", p.b[p.i:p.i+4])
	}
	p.i += 4
	return rune(v), nil // #nosec G115 -- ParseUint of 4 hex digits: at most 0xFFFF
}

// number reads a JSON number: an integer that fits int64 becomes int64,
// anything else float64 (a literal beyond the float64 range becomes ±Inf,
// as Python reads it).
func (p *jsonParser) number() (any, error) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	intStart := p.i
	if n := digits(); n == 0 {
		return nil, p.errf("bad number: want a digit")
	} else if n > 1 && p.b[intStart] == '0' {
		return nil, p.errf("bad number: leading zero")
	}
	isInt := true
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		isInt = false
		if digits() == 0 {
			return nil, p.errf("bad number: want a digit after '.'")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		isInt = false
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.errf("bad number: want a digit in the exponent")
		}
	}
	text := string(p.b[start:p.i])
	if isInt {
		if v, err := strconv.ParseInt(text, 10, 64); err == nil {
			return v, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !math.IsInf(f, 0) {
		return nil, p.errf("bad number %s", text)
	}
	return f, nil
}

// canonicalJSON writes v as canonical JSON: object members sorted by the
// bytes of their names, no white space, strings with only the escapes
// JSON requires (", \ and control characters, as \b \t \n \f \r or
// \u00XX), integers in decimal, other numbers in the shortest form that
// round-trips (as Go's encoding/json writes them, which follows
// ECMAScript), and the non-finite numbers, which JSON cannot write, as
// the strings "+Inf", "-Inf" and "NaN" (the spelling eBIOS uses for +Inf
// everywhere). A string that is not valid UTF-8 is an error.
func canonicalJSON(v any) ([]byte, error) {
	var b []byte
	return appendCanonical(b, v)
}

func appendCanonical(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return appendString(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float64:
		switch {
		case math.IsInf(v, 1):
			return append(b, `"+Inf"`...), nil
		case math.IsInf(v, -1):
			return append(b, `"-Inf"`...), nil
		case math.IsNaN(v):
			return append(b, `"NaN"`...), nil
		}
		s, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return append(b, s...), nil
	case []any:
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendCanonical(b, x); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case *object:
		keys := append([]string(nil), v.keys...)
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendString(b, k); err != nil {
				return nil, err
			}
			b = append(b, ':')
			if b, err = appendCanonical(b, v.vals[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	if bs, ok := v.([]byte); ok {
		return nil, fmt.Errorf("a column holds a BLOB of %d bytes, which has no JSON form", len(bs))
	}
	return nil, fmt.Errorf("no JSON form for a %T", v)
}

func appendString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("text is not valid UTF-8")
	}
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
	return append(b, '"'), nil
}
