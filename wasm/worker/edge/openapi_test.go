//go:build !js

package edge

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"sort"
	"strings"
	"testing"
)

var updateOpenAPI = flag.Bool("update-openapi", false, "rewrite openapi.json from server/api/openapi.json and the Worker's routes")

// workerOpenAPI derives the Worker's document from serve's: each operation
// says whether the Worker serves it.
func workerOpenAPI(t *testing.T, serve []byte, routes []Route) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(serve, &doc); err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{"GET /": true}
	for _, r := range routes {
		for _, p := range append([]string{r.Path}, r.Aliases...) {
			served[r.Method+" "+p] = true
		}
	}
	info := doc["info"].(map[string]any)
	info["title"] = "eBIOS API (Cloudflare Worker edition)"
	info["description"] = info["description"].(string) + " This is the document of ebios serve as the Cloudflare Worker edition " +
		"serves it: each operation has x-worker, true when the Worker serves it; the others (marked [not on the Worker]) answer 404 API_007 there. " +
		"On the Worker there are no rate limits, no CORS allow-list yet, no policies, and the whole-log verify jobs, backups and metrics are not served (docs/worker.md)."
	paths := doc["paths"].(map[string]any)
	keys := make([]string, 0, len(paths))
	for p := range paths {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	for _, p := range keys {
		for m, op := range paths[p].(map[string]any) {
			o, ok := op.(map[string]any)
			if !ok {
				continue
			}
			on := served[strings.ToUpper(m)+" "+p]
			o["x-worker"] = on
			if !on {
				sum, _ := o["summary"].(string)
				o["summary"] = strings.TrimSpace("[not on the Worker] " + sum)
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOpenAPI: the embedded document is serve's, marked with what the
// Worker serves; every Worker route is in serve's document.
func TestOpenAPI(t *testing.T) {
	serve, err := os.ReadFile("../../../server/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t)
	want := workerOpenAPI(t, serve, s.Routes())
	if *updateOpenAPI {
		if err := os.WriteFile("openapi.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(openapiJSON, want) {
		t.Fatal("openapi.json is not current: run go test ./wasm/worker/edge -run TestOpenAPI -update-openapi")
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(serve, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Routes() {
		for _, p := range append([]string{r.Path}, r.Aliases...) {
			if _, ok := doc.Paths[p][strings.ToLower(r.Method)]; !ok {
				t.Errorf("the Worker serves %s %s, which serve's OpenAPI document does not describe", r.Method, p)
			}
		}
	}
}
