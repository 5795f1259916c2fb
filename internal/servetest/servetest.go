// Package servetest starts a real eBIOS server (serve.Run, in process) for
// the tests of other packages: the dashboards and alert rules are checked
// against the metrics it exposes, and Prometheus scrapes it.
package servetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebios/ebios/server/serve"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Server is a running server, stopped by the test's cleanup.
type Server struct {
	URL          string // http://127.0.0.1:PORT
	DataDir      string
	MetricsToken string // the bearer token of its metrics_token_file
	TokenFile    string // that file
	out          *buffer
}

type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) { b.mu.Lock(); defer b.mu.Unlock(); return b.b.Write(p) }
func (b *buffer) String() string              { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// Start runs `ebios serve --dev` on 127.0.0.1 on a free port, with a data
// directory and a metrics token file of its own, plus args; it stops the
// server when the test ends and fails the test if it does not start.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	dir := t.TempDir()
	s := &Server{DataDir: filepath.Join(dir, "data"), TokenFile: filepath.Join(dir, "metrics.token"), out: &buffer{}}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		t.Fatal(err)
	}
	s.MetricsToken = base64.StdEncoding.EncodeToString(raw[:])
	if err := os.WriteFile(s.TokenFile, []byte(s.MetricsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	o := serve.Options{Stdout: s.out, Stderr: s.out, Getenv: func(string) string { return "" }, ReadFile: os.ReadFile,
		Version: "servetest", Listening: func(a string) { ready <- a }}
	go func() {
		done <- serve.Run(ctx, append([]string{"--dev", "--listen", "127.0.0.1:0", "--log-level", "error",
			"--data-dir", s.DataDir, "--metrics-token-file", s.TokenFile}, args...), o)
	}()
	select {
	case a := <-ready:
		s.URL = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("the eBIOS server did not start: %v\n%s", err, s.out)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("the eBIOS server did not start within 30 s:\n%s", s.out)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the eBIOS server stopped with an error: %v\n%s", err, s.out)
		}
	})
	return s
}

// Password is the password of the admin that Admin creates.
const Password = "servetest admin passphrase"

// Admin creates the first admin ("root") with the setup token the server
// printed, logs in and returns the access token. Call it once.
func (s *Server) Admin(t testing.TB) string {
	t.Helper()
	tok := regexp.MustCompile(`ebios-setup-[A-Za-z0-9_-]+`).FindString(s.out.String())
	if tok == "" {
		t.Fatalf("the server printed no setup token:\n%s", s.out)
	}
	if code, body := s.Do(t, "POST", "/api/v1/auth/setup", "", `{"token":"`+tok+`","username":"root","password":"`+Password+`"}`); code != http.StatusCreated {
		t.Fatalf("creating the first admin: %d %s", code, body)
	}
	code, body := s.Do(t, "POST", "/api/v1/auth/login", "", `{"username":"root","password":"`+Password+`"}`)
	var m struct {
		AccessToken string `json:"access_token"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &m) != nil || m.AccessToken == "" {
		t.Fatalf("admin login: %d %s", code, body)
	}
	return m.AccessToken
}

// Do sends a request to the server (see [Request]) and returns the status
// and body.
func (s *Server) Do(t testing.TB, method, path, token, body string) (int, []byte) {
	t.Helper()
	return Request(t, method, s.URL+path, token, body)
}

// Request sends a request to url, with a JSON body if body is not empty
// and a bearer token if token is not empty, and returns the status and
// body; it fails the test when the server cannot be reached.
func Request(t testing.TB, method, url, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp.StatusCode, b
}

// Exercise makes the labelled metrics appear: an admin, executed
// operations (one refused by its invariant), an entry verified, a failed
// login and a request without credentials. It returns the admin's access
// token.
func (s *Server) Exercise(t testing.TB) string {
	t.Helper()
	at := s.Admin(t)
	for _, c := range []struct {
		method, path, token, body string
		want                      int
	}{
		{"POST", "/api/v1/operations/execute", at, `{"operation":"add","inputs":[[5.0,0.1],[3.0,0.2]],"op_id":"servetest-1"}`, 200},
		{"POST", "/api/v1/operations/execute", at, `{"operation":"div","inputs":[[1.0,0.1],[0.0,0.2]]}`, 0},
		{"GET", "/api/v1/ledger/verify/servetest-1", at, "", 200},
		{"POST", "/api/v1/auth/login", "", `{"username":"root","password":"wrong password"}`, 401},
		{"GET", "/metrics", "", "", 401},
		{"GET", "/healthz", "", "", 200},
	} {
		if code, body := s.Do(t, c.method, c.path, c.token, c.body); c.want != 0 && code != c.want {
			t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, code, c.want, body)
		}
	}
	return at
}

// Scrape fetches /metrics with the metrics token and parses it.
func (s *Server) Scrape(t testing.TB) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := s.Do(t, "GET", "/metrics", s.MetricsToken, "")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics with the metrics token: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return mfs
}
