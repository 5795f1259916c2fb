package api

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ebios/ebios/server/auth"
)

// Bodies of the execute benchmarks: the one `make load` sends
// (scripts/load.lua), and one with more inputs in both forms.
var benchBodies = []struct{ name, body string }{
	{"load", `{"operation":"add","inputs":[[5.0,0.1],[3.0,0.2]]}`},
	{"mixed", `{"operation":"mul","mode":"interval","inputs":[[5.0,0.1],{"n":3.0,"u":0.2},[1.5e3,"+Inf"],{"u":0.25,"n":-7}],"op_id":"bench-op","proof":false}`},
}

// BenchmarkExecute serves POST /api/v1/operations/execute through the
// whole handler (authentication, strict decoding, the operation, the
// guard, a signed append to an in-memory ledger, the answer), as `make
// load` does over the network. Compare old and new code with
// `go test -run XXX -bench Execute -count 6 | benchstat`.
func BenchmarkExecute(b *testing.B) {
	e := newEnvF(b)
	tok := "Bearer " + e.tokens[auth.RoleOperator]
	body := []byte(benchBodies[0].body)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/v1/operations/execute", bytes.NewReader(body))
		req.Header.Set("Authorization", tok)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkDecodeExecute is the request decoding alone: the body read
// under the size limit and decoded into an OpRequest.
func BenchmarkDecodeExecute(b *testing.B) {
	e := newEnvF(b)
	for _, c := range benchBodies {
		b.Run(c.name, func(b *testing.B) {
			body := bytes.NewReader([]byte(c.body))
			w := httptest.NewRecorder()
			req := httptest.NewRequest("POST", "/api/v1/operations/execute", body)
			req.Header.Set("Content-Type", "application/json")
			req.Body = io.NopCloser(body)
			b.ReportAllocs()
			for b.Loop() {
				body.Seek(0, io.SeekStart)
				var r OpRequest
				if err := e.srv.decode(w, req, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
