//go:build !wasm

package app

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckAPIURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "",
		"https://ebios.example.org":  "https://ebios.example.org",
		"http://127.0.0.1:8080/":     "http://127.0.0.1:8080",
		"https://example.org/ebios/": "https://example.org/ebios",
	} {
		if got, err := CheckAPIURL(in); err != nil || got != want {
			t.Errorf("CheckAPIURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"ftp://x", "/api", "example.org", "https://x/?a=1", "https://u:p@x", "https://x/#f"} {
		if got, err := CheckAPIURL(bad); err == nil {
			t.Errorf("CheckAPIURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestAPIBase(t *testing.T) {
	t.Setenv(APIURLEnv, "")
	if b := APIBase(); b != "" {
		t.Errorf("unset: APIBase() = %q, want same origin", b)
	}
	t.Setenv(APIURLEnv, "https://api.example.org/")
	if b := APIBase(); b != "https://api.example.org" {
		t.Errorf("APIBase() = %q", b)
	}
}

// TestHTMLRoutes checks that every page is also routed as NAME.html (the
// file a static build writes), and that other .html paths are not.
func TestHTMLRoutes(t *testing.T) {
	h := Handler("t", testWeb(t))
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	for path, want := range map[string]string{"/audit.html": "Pin key", "/calc.html": "Expression", "/login.html": "Username"} {
		if code, body := get(path); code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d, has %q: %v", path, code, want, strings.Contains(body, want))
		}
	}
	if code, _ := get("/nope.html"); code != 404 {
		t.Errorf("GET /nope.html: %d, want 404", code)
	}
}

// TestNotFoundPage: an unknown path gets a 404 page in the app's style
// that links to the app's pages (HEAD: the status only); known pages and
// files are unchanged.
func TestNotFoundPage(t *testing.T) {
	h := Handler("test", testWeb(t))
	tests := []struct {
		method, path string
		code         int
		want         string // in the body
	}{
		{"GET", "/no-such-page", 404, `<link rel="stylesheet" href="/web/ebios.css">`},
		{"GET", "/no/such/page", 404, `<a href="/audit">Audit</a>`},
		{"HEAD", "/no-such-page", 404, ""},
		{"GET", "/", 200, "eBIOS"},
		{"GET", "/audit", 200, "eBIOS"},
	}
	for _, tc := range tests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		body := w.Body.String()
		if w.Code != tc.code || !strings.Contains(body, tc.want) || tc.method == "HEAD" && body != "" {
			t.Errorf("%s %s: %d %q", tc.method, tc.path, w.Code, body[:min(len(body), 200)])
		}
		if tc.code == 404 && strings.Contains(body, "404 page not found") {
			t.Errorf("%s %s: go-app's plain 404 came through", tc.method, tc.path)
		}
	}
}

func TestUnreachableNamesCORS(t *testing.T) {
	const page = "https://site.example"
	for _, tc := range []struct {
		url, origin string
	}{
		{"/api/v1/auth/login", ""},
		{"https://site.example/api/v1/auth/login", ""},
		{"https://api.example/api/v1/auth/login", page},
		{"https://site.example.evil/api/v1/auth/login", page},
		{"http://site.example/api/v1/auth/login", page},
	} {
		got := crossOrigin(page, tc.url)
		if got != tc.origin {
			t.Errorf("crossOrigin(%q, %q) = %q, want %q", page, tc.url, got, tc.origin)
		}
		msg := (&UnreachableError{Origin: got}).Error()
		if named := strings.Contains(msg, "cors_origins") && strings.Contains(msg, page); named != (tc.origin != "") {
			t.Errorf("%s: the message names cors_origins and the origin: %v, want %v: %s", tc.url, named, tc.origin != "", msg)
		}
	}
}
