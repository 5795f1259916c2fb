package api

import (
	_ "embed"
	"net/http"
)

// openapiDoc is the OpenAPI 3 description of the API, served at
// /api/v1/openapi.json. TestOpenAPIMatchesRoutes keeps it in step with the
// registered routes.
//
//go:embed openapi.json
var openapiDoc []byte

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openapiDoc) // #nosec G104 -- write errors to an http.ResponseWriter are the client's disconnect; nothing to do
}
