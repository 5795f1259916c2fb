// Package strictjson reads JSON the one way every other reader reads it.
//
// Go's encoding/json (v1) matches member names case-insensitively, keeps
// the last of duplicate members, reads a missing member as the zero value
// and turns invalid UTF-8 and lone surrogate escapes into U+FFFD. A
// document that means one thing to Python, jq or a browser can then mean
// another thing to Go. [Unmarshal] refuses every such document instead:
//
//   - member names match exactly (case-sensitive);
//   - a duplicate member, an unknown member or a missing required member
//     is an error;
//   - invalid UTF-8 and lone surrogate escapes (\ud800) are errors;
//   - null is accepted only for pointer fields (which it sets to nil);
//   - exactly one JSON value, nothing after it but white space;
//   - objects and arrays nest at most [MaxDepth] levels.
//
// A struct field is required unless its tag says omitempty or omitzero, or
// its type is a pointer. Types with their own UnmarshalJSON or
// UnmarshalText methods check their own values; the duplicate, UTF-8 and
// surrogate rules hold inside them too, since they apply to the whole
// document.
//
// Decoding is github.com/go-json-experiment/json, the module that mirrors
// encoding/json/v2 (an experiment in Go 1.25 and 1.26, standard from Go
// 1.27), with RejectUnknownMembers; the presence and null rules are a
// second pass over the tokens with github.com/go-json-experiment/json/jsontext,
// guided by the type.
package strictjson

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// MaxDepth is the deepest nesting of objects and arrays [Unmarshal] accepts.
const MaxDepth = 64

// Error says why a document was refused and where: Pointer is the RFC 6901
// JSON pointer of the offending value ("" for the whole document) and
// Offset the byte offset where reading stopped.
type Error struct {
	Pointer string
	Offset  int64
	Reason  string
	err     error // the error of a type's own UnmarshalJSON or UnmarshalText, if any
}

// Unwrap returns the error a type's own UnmarshalJSON or UnmarshalText
// method returned, so that errors.As finds a structured error under the
// position; nil for every other refusal.
func (e *Error) Unwrap() error { return e.err }

func (e *Error) Error() string {
	s := e.Reason
	if e.Pointer != "" {
		s += " at " + e.Pointer
	}
	return s + " (byte " + strconv.FormatInt(e.Offset, 10) + ")"
}

// DecoderOptions are the syntactic options of every strict reader: no
// duplicate member names, valid UTF-8 only (the defaults of jsontext, named
// here so that hand-written decoders say what they rely on).
var DecoderOptions = json.JoinOptions(jsontext.AllowDuplicateNames(false), jsontext.AllowInvalidUTF8(false))

var unmarshalOptions = json.JoinOptions(DecoderOptions, json.RejectUnknownMembers(true), json.MatchCaseInsensitiveNames(false))

// Unmarshal decodes the JSON document data into v (a non-nil pointer) by
// the rules of the package. On error v may be partly filled; callers
// decode into a fresh value and use it only when Unmarshal succeeds.
func Unmarshal(data []byte, v any) error {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return &Error{Reason: "strictjson: Unmarshal needs a non-nil pointer"}
	}
	// The presence pass first: it also checks syntax, depth and the
	// duplicate, UTF-8 and surrogate rules, and gives positioned errors.
	if err := check(data, t.Elem()); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v, unmarshalOptions); err != nil {
		return convert(err)
	}
	return nil
}

// convert turns an error of the json module into an *Error.
func convert(err error) error {
	if err == nil {
		return nil
	}
	var se *json.SemanticError
	if errors.As(err, &se) {
		reason := "cannot read"
		if se.JSONKind != 0 {
			reason += " JSON " + se.JSONKind.String()
		}
		if se.GoType != nil {
			reason += " as " + se.GoType.String()
		}
		var inner error
		if se.Err != nil {
			if errors.Is(se.Err, json.ErrUnknownName) {
				reason = "unknown member"
			} else {
				reason += ": " + se.Err.Error()
				inner = se.Err
			}
		}
		return &Error{Pointer: string(se.JSONPointer), Offset: se.ByteOffset, Reason: reason, err: inner}
	}
	var sy *jsontext.SyntacticError
	if errors.As(err, &sy) {
		reason := strings.TrimPrefix(sy.Err.Error(), "jsontext: ")
		if errors.Is(sy.Err, jsontext.ErrDuplicateName) {
			reason = "duplicate member " + strconv.Quote(sy.JSONPointer.LastToken())
		}
		return &Error{Pointer: string(sy.JSONPointer), Offset: sy.ByteOffset, Reason: reason}
	}
	return &Error{Reason: err.Error()}
}

// plan is what the presence pass needs to know of a struct type.
type plan struct {
	fields   map[string]*field
	required []string
}

type field struct {
	typ      reflect.Type
	required bool
	index    int
}

var plans sync.Map // reflect.Type -> *plan

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	jsonFrom        = reflect.TypeFor[json.UnmarshalerFrom]()
	textUnmarshaler = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

var customs sync.Map // reflect.Type -> bool

// custom reports whether t (or *t) decodes itself.
func custom(t reflect.Type) bool {
	if c, ok := customs.Load(t); ok {
		return c.(bool)
	}
	c := false
	p := reflect.PointerTo(t)
	for _, i := range []reflect.Type{jsonUnmarshaler, jsonFrom, textUnmarshaler} {
		c = c || t.Implements(i) || p.Implements(i)
	}
	customs.Store(t, c)
	return c
}

func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := &plan{fields: map[string]*field{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		optional := sf.Type.Kind() == reflect.Pointer
		for _, o := range strings.Split(opts, ",") {
			if o == "omitempty" || o == "omitzero" {
				optional = true
			}
		}
		p.fields[name] = &field{typ: sf.Type, required: !optional, index: len(p.required)}
		if !optional {
			p.required = append(p.required, name)
		}
	}
	plans.Store(t, p)
	return p
}

// check is the presence pass over data for a value of type t.
func check(data []byte, t reflect.Type) error {
	cd := checkers.Get().(*checkDecoder)
	defer cd.put()
	// A bytes.Buffer is read in place (no copy); the decoder, reset, keeps
	// its state machine's memory from one use to the next.
	cd.buf = *bytes.NewBuffer(data)
	cd.d.Reset(&cd.buf, DecoderOptions)
	d := &cd.d
	c := checker{d: d}
	if err := c.value(t, false); err != nil {
		return err
	}
	if _, err := d.ReadToken(); err == nil {
		return &Error{Offset: d.InputOffset(), Reason: "data after the JSON value"}
	} else if !errors.Is(err, io.EOF) {
		return convert(err)
	}
	return nil
}

// checkDecoder is a pooled decoder of the presence pass.
type checkDecoder struct {
	d   jsontext.Decoder
	buf bytes.Buffer
}

var checkers = sync.Pool{New: func() any { return new(checkDecoder) }}

func (cd *checkDecoder) put() {
	cd.buf = bytes.Buffer{} // do not pin the document
	cd.d.Reset(&cd.buf)
	checkers.Put(cd)
}

type checker struct{ d *jsontext.Decoder }

func (c *checker) errf(reason string) error {
	return &Error{Pointer: string(c.d.StackPointer()), Offset: c.d.InputOffset(), Reason: reason}
}

// value checks the next value against t. nullOK is set for pointer fields.
func (c *checker) value(t reflect.Type, nullOK bool) error {
	if c.d.StackDepth() > MaxDepth {
		return c.errf("nested deeper than " + strconv.Itoa(MaxDepth) + " levels")
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t, nullOK = t.Elem(), true
	}
	k := c.d.PeekKind()
	if k == 0 {
		_, err := c.d.ReadToken()
		return convert(err)
	}
	if k == 'n' && !nullOK {
		c.d.ReadToken() // #nosec G104 -- read so that the error's pointer names the null itself; the error returned is the one below
		return c.errf("null is not accepted here; omit optional members instead")
	}
	if t == nil || custom(t) || (k != '{' && k != '[') {
		return c.skip()
	}
	switch {
	case k == '{' && t.Kind() == reflect.Struct:
		return c.object(t)
	case k == '{' && t.Kind() == reflect.Map:
		return c.members(t.Elem())
	case k == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		if _, err := c.d.ReadToken(); err != nil {
			return convert(err)
		}
		for c.d.PeekKind() != ']' {
			if err := c.value(t.Elem(), false); err != nil {
				return err
			}
		}
		_, err := c.d.ReadToken()
		return convert(err)
	}
	// A type mismatch: the decoding pass reports it with the types.
	return c.skip()
}

// skip reads a value that the decoding pass checks, still counting depth.
func (c *checker) skip() error {
	k := c.d.PeekKind()
	if k != '{' && k != '[' {
		_, err := c.d.ReadToken()
		return convert(err)
	}
	if _, err := c.d.ReadToken(); err != nil {
		return convert(err)
	}
	for {
		switch c.d.PeekKind() {
		case '}', ']':
			_, err := c.d.ReadToken()
			return convert(err)
		case 0:
			_, err := c.d.ReadToken()
			return convert(err)
		}
		if k == '{' {
			if _, err := c.d.ReadToken(); err != nil { // the name
				return convert(err)
			}
		}
		if c.d.StackDepth() > MaxDepth {
			return c.errf("nested deeper than " + strconv.Itoa(MaxDepth) + " levels")
		}
		if err := c.skip(); err != nil {
			return err
		}
	}
}

// members reads an object whose member values all have type t (a map).
func (c *checker) members(t reflect.Type) error {
	if _, err := c.d.ReadToken(); err != nil {
		return convert(err)
	}
	for c.d.PeekKind() != '}' {
		if _, err := c.d.ReadToken(); err != nil {
			return convert(err)
		}
		if err := c.value(t, false); err != nil {
			return err
		}
	}
	_, err := c.d.ReadToken()
	return convert(err)
}

func (c *checker) object(t reflect.Type) error {
	p := planOf(t)
	var seen []bool
	var seenBits uint64 // seen, for up to 64 required members
	if len(p.required) > 64 {
		seen = make([]bool, len(p.required))
	}
	if _, err := c.d.ReadToken(); err != nil {
		return convert(err)
	}
	for c.d.PeekKind() != '}' {
		tok, err := c.d.ReadToken()
		if err != nil {
			return convert(err)
		}
		f := p.fields[tok.String()] // the name does not escape: no allocation
		if f == nil {
			return &Error{Pointer: string(c.d.StackPointer()), Offset: c.d.InputOffset(),
				Reason: "unknown member " + strconv.Quote(tok.String()) + " (member names are case-sensitive)"}
		}
		if f.required {
			if seen != nil {
				seen[f.index] = true
			} else {
				seenBits |= 1 << f.index
			}
		}
		if err := c.value(f.typ, false); err != nil {
			return err
		}
	}
	if _, err := c.d.ReadToken(); err != nil {
		return convert(err)
	}
	if seen == nil {
		seen = make([]bool, 0, 64)
		if seenBits == 1<<len(p.required)-1 {
			return nil
		}
		for i := range p.required {
			seen = append(seen, seenBits&(1<<i) != 0)
		}
	}
	for i, ok := range seen {
		if !ok {
			return &Error{Pointer: string(c.d.StackPointer()), Offset: c.d.InputOffset(),
				Reason: "missing member " + strconv.Quote(p.required[i])}
		}
	}
	return nil
}
