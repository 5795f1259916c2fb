package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/strictjson"
	"github.com/ebios/ebios/server/auth"
)

// FuzzStrictBody: whatever the strict reader accepts as a request body,
// encoding/json (v1), which keeps the last of duplicate members, matches
// names case-insensitively and reads bad text as U+FFFD, reads into the
// same struct as the same values: an accepted body has one meaning.
func FuzzStrictBody(f *testing.F) {
	for _, s := range []string{
		`{"operation":"add","inputs":[[5.0,0.1],[3.0,0.2]]}`,
		`{"operation":"scale","factor":-3,"inputs":[{"n":2,"u":0.5}],"mode":"interval","op_id":"x","parent_op_id":"y","proof":true}`,
		`{"operation":"catch","inputs":[[1,"+Inf"]],"default":7}`,
		`{"operation":"expr","expression":"(1 ± 2) * 3"}`,
		`{"operation":"add","operation":"div","inputs":[[1,1],[1,1]]}`,
		`{"OPERATION":"add","inputs":[]}`,
		`{"operation":"add","Inputs":[[1,1],[1,1]]}`,
		`{"operation":"a\ud800"}`,
		"{\"operation\":\"a\xff\"}",
		`{"operations":[{"operation":"flip","inputs":[[1,1]]}]}`,
		`{"username":"admin1","username":"operator1","password":"x"}`,
		`{"Username":"a","password":"b"}`,
		`{"username":"\u0061dmin1","password":"p\"w"}`,
		`{"policy_hash":"00"}`,
		`{"policy":{"config":{"a":[1,2,{"b":null}]}}}`,
		`{"role":"guest","disabled":true}`,
		`{"role":null}`,
		`{"operation":"add","inputs":[{"n":1,"u":0,"n":2},[1,1]]}`,
		`{"operation":"flip","inputs":[[1,1]],"factor":null}`,
		`{"operation":"add","inputs":[]}`,
	} {
		f.Add([]byte(s))
	}
	check := func(t *testing.T, body []byte, strict, std any) {
		if strictjson.Unmarshal(body, strict) != nil {
			return
		}
		if err := json.Unmarshal(body, std); err != nil {
			t.Fatalf("%q: accepted as %T, encoding/json refuses: %v", body, strict, err)
		}
		if !reflect.DeepEqual(strict, std) {
			t.Fatalf("%q: read as %+v, encoding/json reads %+v", body, strict, std)
		}
		// Equal values are not enough where both readers would agree on a
		// reading others do not share (both keep the last duplicate, say):
		// check the text itself, with encoding/json's tokenizer.
		if err := oneReading(body, reflect.TypeOf(strict).Elem()); err != nil {
			t.Fatalf("%q: accepted as %T, but %v", body, strict, err)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		check(t, body, new(OpRequest), new(OpRequest))
		check(t, body, new(batchRequest), new(batchRequest))
		check(t, body, new(loginRequest), new(loginRequest))
		check(t, body, new(setupRequest), new(setupRequest))
		check(t, body, new(patchUserRequest), new(patchUserRequest))
		check(t, body, new(activateRequest), new(activateRequest))
	})
}

// oneReading checks, independently of core/strictjson, that every JSON
// reader reads body alike as a t: valid UTF-8, no lone surrogate escapes, no
// duplicate member names in any object, and the members of each struct named
// exactly (case-sensitively) as its fields.
func oneReading(body []byte, t reflect.Type) error {
	if !utf8.Valid(body) {
		return errors.New("not valid UTF-8")
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if i+1 < len(body) && body[i+1] != 'u' {
			i++
			continue
		}
		r := hexRune(body, i)
		switch {
		case utf16.IsSurrogate(r) && r < 0xdc00 && utf16.DecodeRune(r, hexRune(body, i+6)) != utf8.RuneError:
			i += 11 // a pair
		case utf16.IsSurrogate(r):
			return fmt.Errorf("lone surrogate escape at byte %d", i)
		default:
			i += 5
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var walk func(t reflect.Type) error
	walk = func(t reflect.Type) error {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if t != nil && (t == reflect.TypeFor[Input]() || t == reflect.TypeFor[json.RawMessage]()) {
			t = nil // read as generic JSON: only duplicates are checked
		}
		switch tok {
		case json.Delim('['):
			var elem reflect.Type
			if t != nil && t.Kind() == reflect.Slice {
				elem = t.Elem()
			}
			for dec.More() {
				if err := walk(elem); err != nil {
					return err
				}
			}
			_, err := dec.Token()
			return err
		case json.Delim('{'):
			names := map[string]bool{}
			for dec.More() {
				nt, err := dec.Token()
				if err != nil {
					return err
				}
				name := nt.(string)
				if names[name] {
					return fmt.Errorf("duplicate member %q", name)
				}
				names[name] = true
				var ft reflect.Type
				if t != nil && t.Kind() == reflect.Struct {
					f, ok := fieldByTag(t, name)
					if !ok {
						return fmt.Errorf("member %q is not a field of %v", name, t)
					}
					ft = f.Type
				}
				if err := walk(ft); err != nil {
					return err
				}
			}
			_, err := dec.Token()
			return err
		}
		return nil
	}
	return walk(t)
}

// TestOneReading: the fuzz oracle itself catches what the strict reader
// must refuse.
func TestOneReading(t *testing.T) {
	typ := reflect.TypeFor[OpRequest]()
	for in, ok := range map[string]bool{
		`{"operation":"add","inputs":[[1,2],{"n":1,"u":2}],"op_id":"\ud83d\ude00\\ud800"}`: true,
		`{"operation":"add","operation":"div"}`:                                            false,
		`{"operation":"add","oper\u0061tion":"div"}`:                                       false,
		`{"OPERATION":"add"}`:                                                              false,
		`{"operation":"add","inputs":[{"n":1,"u":2,"n":3}]}`:                               false,
		`{"operation":"a\ud800"}`:                                                          false,
		`{"operation":"a\udc00\ud800"}`:                                                    false,
		"{\"operation\":\"a\xff\"}":                                                        false,
	} {
		if err := oneReading([]byte(in), typ); (err == nil) != ok {
			t.Errorf("%s: %v", in, err)
		}
	}
}

// hexRune reads the escape \uXXXX at b[i:], or returns -1.
func hexRune(b []byte, i int) rune {
	if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
		return -1
	}
	r, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
	if err != nil {
		return -1
	}
	return rune(r)
}

// fieldByTag finds the field of struct t whose JSON name is exactly name.
func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// FuzzExecute: no request body makes the execute endpoint answer 5xx, and
// every error is structured.
func FuzzExecute(f *testing.F) {
	for _, s := range []string{`{"operation":"add","inputs":[[5.0,0.1],[3.0,0.2]]}`, `{"operation":"expr","expression":"(1 ± 2) / (0 ± 1)"}`,
		`{"operation":"catch","inputs":[[1,-1]],"default":3}`, `{"operation":"scale","factor":1e308,"inputs":[[1e308,1]]}`, `[]`, `{}`} {
		f.Add(s)
	}
	e := newEnvF(f)
	tok := e.tokens[auth.RoleOperator]
	f.Fuzz(func(t *testing.T, body string) {
		r := e.do("POST", "/api/v1/operations/execute", tok, body)
		if r.code >= 500 {
			t.Fatalf("%q: %d %s", body, r.code, r.body)
		}
		if r.code >= 400 {
			var m struct{ Error *nu.Error }
			if json.Unmarshal(r.body, &m) != nil || m.Error == nil || m.Error.Code == "" {
				t.Fatalf("%q: unstructured %d %s", body, r.code, r.body)
			}
		}
	})
}
