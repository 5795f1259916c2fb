package servetest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestCORS: pages of the origins in [api] cors_origins may call the API
// from a browser (preflight answered, the answer readable, the rate-limit
// and request-id headers exposed); any other origin, and every origin when
// none is configured, gets no CORS header at all. Credentials are never
// allowed: the API takes bearer tokens, not cookies.
func TestCORS(t *testing.T) {
	const app, other = "https://app.example.org", "https://evil.example"
	open := Start(t, "--cors-origins", app+", http://LOCALHOST:8081")
	closed := Start(t)
	cases := []struct {
		name      string
		srv       *Server
		method    string
		path      string
		origin    string
		preflight string // Access-Control-Request-Method, for a preflight
		allowed   bool
	}{
		{"preflight of an execute from the app", open, "OPTIONS", "/api/v1/operations/execute", app, "POST", true},
		{"preflight from the second origin, normalised", open, "OPTIONS", "/api/v1/ledger/entries", "http://localhost:8081", "GET", true},
		{"preflight from another origin", open, "OPTIONS", "/api/v1/operations/execute", other, "POST", false},
		{"preflight of a method the API does not take", open, "OPTIONS", "/api/v1/operations/execute", app, "PUT", false},
		{"GET from the app", open, "GET", "/healthz", app, "", true},
		{"GET from another origin", open, "GET", "/healthz", other, "", false},
		{"preflight with no origin configured", closed, "OPTIONS", "/api/v1/operations/execute", app, "POST", false},
		{"GET with no origin configured", closed, "GET", "/healthz", app, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, c.srv.URL+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Origin", c.origin)
			if c.preflight != "" {
				req.Header.Set("Access-Control-Request-Method", c.preflight)
				req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := resp.Header
			if got := h.Get("Access-Control-Allow-Origin"); (got == c.origin) != c.allowed || (!c.allowed && got != "") {
				t.Fatalf("Access-Control-Allow-Origin %q, want %q allowed: %v", got, c.origin, c.allowed)
			}
			if h.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("Access-Control-Allow-Credentials %q: the API takes no cookies, credentials are never allowed", h.Get("Access-Control-Allow-Credentials"))
			}
			if !c.allowed {
				return
			}
			if c.preflight != "" {
				if resp.StatusCode/100 != 2 {
					t.Errorf("preflight answered %s, want 2xx", resp.Status)
				}
				if !strings.Contains(h.Get("Access-Control-Allow-Methods"), c.preflight) ||
					!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") {
					t.Errorf("preflight allows methods %q and headers %q, want %s and authorization",
						h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers"), c.preflight)
				}
				return
			}
			exposed := strings.Split(h.Get("Access-Control-Expose-Headers"), ",")
			for i := range exposed {
				exposed[i] = strings.ToLower(strings.TrimSpace(exposed[i]))
			}
			for _, want := range []string{"x-request-id", "x-ratelimit-remaining", "retry-after"} {
				if !slices.Contains(exposed, want) {
					t.Errorf("Access-Control-Expose-Headers %v lacks %s", exposed, want)
				}
			}
			if !slices.Contains(h.Values("Vary"), "Origin") {
				t.Errorf("Vary %v lacks Origin: a cache could serve one origin's answer to another", h.Values("Vary"))
			}
		})
	}

	// An authenticated call works from the app's origin, its token sent
	// explicitly.
	token := open.Admin(t)
	req, _ := http.NewRequest("GET", open.URL+"/api/v1/users", nil)
	req.Header.Set("Origin", app)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != app {
		t.Errorf("GET /api/v1/users from %s with a token: %s, Access-Control-Allow-Origin %q", app, resp.Status, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}
