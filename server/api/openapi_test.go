package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes: the OpenAPI document describes exactly the
// registered routes (paths, aliases and methods), each with a summary,
// responses and the right security.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	e := newEnv(t)
	want := map[string]Route{"GET /": {Method: "GET", Path: "/"}}
	for _, r := range e.srv.Routes() {
		for _, p := range append([]string{r.Path}, r.Aliases...) {
			want[r.Method+" "+p] = r
		}
	}
	got := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			key := strings.ToUpper(method) + " " + path
			got[key] = true
			r, ok := want[key]
			if !ok {
				t.Errorf("openapi.json documents %s, which is not a route", key)
				continue
			}
			var o struct {
				Summary   string                     `json:"summary"`
				Responses map[string]json.RawMessage `json:"responses"`
				Security  []map[string][]string      `json:"security"`
			}
			json.Unmarshal(raw, &o)
			if o.Summary == "" || len(o.Responses) == 0 {
				t.Errorf("%s: no summary or responses", key)
			}
			if (len(o.Security) > 0) != (r.Perm != "") {
				t.Errorf("%s: security %v but permission %q", key, o.Security, r.Perm)
			}
		}
	}
	for key := range want {
		if !got[key] {
			t.Errorf("route %s is missing from openapi.json", key)
		}
	}
	// Served as is.
	r := e.do("GET", "/api/v1/openapi.json", "", nil)
	if r.code != 200 || !json.Valid(r.body) {
		t.Fatalf("served openapi: %d", r.code)
	}
}
