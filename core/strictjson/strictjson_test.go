package strictjson

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

type inner struct {
	N float64 `json:"n"`
	U float64 `json:"u"`
}

type textID string

func (t *textID) UnmarshalText(b []byte) error {
	if strings.ToLower(string(b)) != string(b) {
		return errors.New("upper case")
	}
	*t = textID(b)
	return nil
}

type doc struct {
	Op     string            `json:"operation"`
	Inputs []inner           `json:"inputs"`
	Mode   string            `json:"mode,omitempty"`
	Factor *float64          `json:"factor"`
	ID     textID            `json:"id,omitzero"`
	Tags   map[string]string `json:"tags,omitempty"`
}

func TestUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		err      string // substring of the error; "" = accepted
		pointer  string
	}{
		{"minimal", `{"operation":"add","inputs":[]}`, "", ""},
		{"all", `{"operation":"add","inputs":[{"n":1,"u":0.5}],"mode":"nu","factor":2,"id":"x","tags":{"a":"b"}}`, "", ""},
		{"white space", " \n{\"operation\" : \"add\" , \"inputs\" : [ ] }\n ", "", ""},
		{"escaped name", `{"oper\u0061tion":"add","inputs":[]}`, "", ""},
		{"null pointer", `{"operation":"add","inputs":[],"factor":null}`, "", ""},
		{"duplicate", `{"operation":"add","operation":"div","inputs":[]}`, "duplicate", "/operation"},
		{"duplicate escaped", `{"operation":"add","oper\u0061tion":"div","inputs":[]}`, "duplicate", ""},
		{"duplicate nested", `{"operation":"add","inputs":[{"n":1,"u":0,"n":2}]}`, "duplicate", "/inputs/0/n"},
		{"duplicate in map", `{"operation":"add","inputs":[],"tags":{"a":"b","a":"c"}}`, "duplicate", ""},
		{"case variant", `{"OPERATION":"add","inputs":[]}`, `unknown member "OPERATION"`, ""},
		{"case variant nested", `{"operation":"add","inputs":[{"N":1,"u":0}]}`, `unknown member "N"`, ""},
		{"unknown", `{"operation":"add","inputs":[],"extra":1}`, `unknown member "extra"`, ""},
		{"missing", `{"operation":"add"}`, `missing member "inputs"`, ""},
		{"missing nested", `{"operation":"add","inputs":[{"n":1}]}`, `missing member "u"`, "/inputs/0"},
		{"null required", `{"operation":null,"inputs":[]}`, "null is not accepted", "/operation"},
		{"null slice", `{"operation":"add","inputs":null}`, "null is not accepted", "/inputs"},
		{"null element", `{"operation":"add","inputs":[null]}`, "null is not accepted", "/inputs/0"},
		{"invalid UTF-8", "{\"operation\":\"a\xffb\",\"inputs\":[]}", "invalid UTF-8", ""},
		{"lone surrogate", `{"operation":"a\ud800","inputs":[]}`, "surrogate", ""},
		{"lone low surrogate", `{"operation":"a\udc00","inputs":[]}`, "surrogate", ""},
		{"trailing data", `{"operation":"add","inputs":[]} {}`, "after", ""},
		{"two values", `{"operation":"add","inputs":[]}[]`, "after", ""},
		{"empty", ``, "", ""},
		{"wrong type", `{"operation":1,"inputs":[]}`, "cannot read", "/operation"},
		{"text method", `{"operation":"add","inputs":[],"id":"ABC"}`, "upper case", ""},
		{"not an object", `[]`, "cannot read", ""},
		{"deep", `{"operation":"add","inputs":[],"tags":` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70) + `}`, "nested deeper", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := Unmarshal([]byte(tc.in), &d)
			if tc.name == "empty" {
				if err == nil {
					t.Fatal("empty input accepted")
				}
				return
			}
			if tc.err == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want an error with %q", err, tc.err)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not *Error", err)
			}
			if tc.pointer != "" && se.Pointer != tc.pointer {
				t.Errorf("pointer %q, want %q (%v)", se.Pointer, tc.pointer, err)
			}
		})
	}
}

func TestUnmarshalValues(t *testing.T) {
	var d doc
	in := `{"operation":"mul","inputs":[{"n":1e2,"u":0.25},{"u":1,"n":-0}],"factor":3,"id":"ab"}`
	if err := Unmarshal([]byte(in), &d); err != nil {
		t.Fatal(err)
	}
	if d.Op != "mul" || len(d.Inputs) != 2 || d.Inputs[0].N != 100 || d.Inputs[1].U != 1 || *d.Factor != 3 || d.ID != "ab" {
		t.Fatalf("decoded %+v", d)
	}
}

func TestUnmarshalNeedsPointer(t *testing.T) {
	var d doc
	if err := Unmarshal([]byte(`{}`), d); err == nil {
		t.Fatal("a non-pointer was accepted")
	}
}

// TestUnmarshalPooled: the presence pass reuses pooled decoders; a refused
// document leaves nothing behind for the next one, from any goroutine.
func TestUnmarshalPooled(t *testing.T) {
	good := []byte(`{"operation":"add","inputs":[{"n":1,"u":0.5}],"tags":{"a":"b"}}`)
	bad := []byte(`{"operation":"add","inputs":[{"n":1,"u":0.5,"n":2}]`)
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range 500 {
				var d doc
				err := Unmarshal(good, &d)
				if err != nil || d.Op != "add" || len(d.Inputs) != 1 || d.Tags["a"] != "b" {
					done <- fmt.Errorf("goroutine %d, round %d: %v %+v", g, i, err, d)
					return
				}
				if Unmarshal(bad, &doc{}) == nil {
					done <- fmt.Errorf("goroutine %d, round %d: bad document accepted", g, i)
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestManyRequired: structs with more required members than the bit set
// of the presence pass holds.
func TestManyRequired(t *testing.T) {
	for _, n := range []int{63, 64, 65, 130} {
		var fields []reflect.StructField
		var all, most strings.Builder
		for i := range n {
			name := fmt.Sprintf("f%d", i)
			fields = append(fields, reflect.StructField{Name: "F" + name, Type: reflect.TypeFor[int](), Tag: reflect.StructTag(`json:"` + name + `"`)})
			sep := map[bool]string{true: "{", false: ","}[i == 0]
			all.WriteString(sep + `"` + name + `":1`)
			if i != n-1 {
				most.WriteString(sep + `"` + name + `":1`)
			}
		}
		typ := reflect.StructOf(fields)
		if err := Unmarshal([]byte(all.String()+"}"), reflect.New(typ).Interface()); err != nil {
			t.Errorf("%d members, all present: %v", n, err)
		}
		err := Unmarshal([]byte(most.String()+"}"), reflect.New(typ).Interface())
		if want := fmt.Sprintf(`missing member "f%d"`, n-1); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%d members, the last missing: %v, want %s", n, err, want)
		}
	}
}
