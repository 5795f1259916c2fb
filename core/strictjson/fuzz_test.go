package strictjson

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzUnmarshal: whatever Unmarshal accepts has one meaning, so the
// standard library's lenient reader (encoding/json v1: case-insensitive
// names, last duplicate wins, U+FFFD for bad text) reads the same value
// from the same bytes.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"operation":"add","inputs":[{"n":1,"u":0.5}],"mode":"nu","factor":2,"id":"x","tags":{"a":"b"}}`,
		`{"operation":"add","operation":"div","inputs":[]}`,
		`{"OPERATION":"add","inputs":[]}`,
		`{"operation":"a\ud800","inputs":[]}`,
		`{"operation":"\u00e9\ud83d\ude00","inputs":[{"u":1,"n":-0}],"factor":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var strict doc
		if err := Unmarshal(data, &strict); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			return
		}
		var lenient doc
		if err := json.Unmarshal(data, &lenient); err != nil {
			t.Fatalf("accepted by Unmarshal, refused by encoding/json: %v", err)
		}
		if !reflect.DeepEqual(strict, lenient) {
			t.Fatalf("two readings:\nstrict  %+v\nlenient %+v", strict, lenient)
		}
	})
}
