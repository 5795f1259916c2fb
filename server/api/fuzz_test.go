package api

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
)

// FuzzInput: the fast pair decoder agrees with a plain encoding/json
// decoding of the same input, and never yields NaN.
func FuzzInput(f *testing.F) {
	for _, s := range []string{`[5.0, 0.1]`, `[1e308,"+Inf"]`, `{"n":1,"u":2}`, `[1,2,3]`, `["1",2]`, `[-0, 1e-320]`, `[1e999,1]`, `[ 1 , 2 ]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return // the outer decoder never hands over invalid JSON
		}
		var in Input
		err := json.Unmarshal([]byte(s), &in)
		var ref []nu.Float
		refErr := json.Unmarshal([]byte(s), &ref)
		if refErr == nil && len(ref) == 2 {
			if err != nil || in.N != float64(ref[0]) || in.U != float64(ref[1]) {
				t.Fatalf("%s: fast (%v, %v, %v) vs reference %v", s, in.N, in.U, err, ref)
			}
		}
		if err == nil && (math.IsNaN(in.N) || math.IsNaN(in.U)) {
			t.Fatalf("%s decoded to NaN", s)
		}
	})
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
