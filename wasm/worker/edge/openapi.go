package edge

import (
	_ "embed"
	"net/http"
)

// openapiJSON is `ebios serve`'s OpenAPI document (server/api/openapi.json)
// with every operation marked "x-worker": true or false, whether the
// Worker serves it; those it does not are also marked in their summary.
// TestOpenAPI checks that it is current; `go test ./wasm/worker/edge
// -update-openapi` rewrites it.
//
//go:embed openapi.json
var openapiJSON []byte

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openapiJSON) // #nosec G104 -- write errors to an http.ResponseWriter are the client's disconnect; nothing to do
}
