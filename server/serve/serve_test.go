package serve

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/keyfile"
	"github.com/ebios/ebios/server/ledgerstore"
)

// syncBuf is a goroutine-safe buffer for the server's output.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type running struct {
	addr   string
	out    *syncBuf
	cancel func()
	done   chan error
}

func start(t *testing.T, args ...string) *running {
	t.Helper()
	return startWith(t, Options{}, args...)
}

// startWith is start with more Options (App, Version).
func startWith(t *testing.T, o Options, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{out: &syncBuf{}, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	o.Stdout, o.Stderr, o.Getenv, o.ReadFile = r.out, r.out, func(string) string { return "" }, os.ReadFile
	o.Listening = func(a string) { ready <- a }
	go func() {
		r.done <- Run(ctx, append([]string{"--listen", "127.0.0.1:0", "--log-level", "error"}, args...), o)
	}()
	select {
	case r.addr = <-ready:
	case err := <-r.done:
		t.Fatalf("server did not start: %v\n%s", err, r.out)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start in time")
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t *testing.T) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		t.Errorf("Run after shutdown: %v", err)
	}
}

func post(t *testing.T, c *http.Client, url, token, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp, m
}

// testPassword is the admin's password in these tests (the instructions'
// placeholder "a long passphrase" is refused).
const testPassword = "serve test passphrase"

func TestRefusesToStartWithoutKey(t *testing.T) {
	dir := t.TempDir()
	err := Run(context.Background(), []string{"--data-dir", dir, "--listen", "127.0.0.1:0"}, Options{
		Stdout: &syncBuf{}, Stderr: &syncBuf{}, Getenv: func(string) string { return "" }})
	if e, ok := nu.AsError(err); !ok || e.Code != keyfile.CodeMissing || !strings.Contains(e.Remediation, "--dev") {
		t.Fatalf("start without a key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ledger.db")); !os.IsNotExist(err) {
		t.Fatal("a refused start must not create the ledger")
	}
}

// TestServeLifecycle: --dev start, setup token, login, execute, rate limits,
// security headers, graceful shutdown that leaves a verifiable ledger.
func TestServeLifecycle(t *testing.T) {
	dir := t.TempDir()
	r := start(t, "--dev", "--data-dir", dir, "--rate-limit-auth", "3/1m")
	base := "http://" + r.addr
	out := r.out.String()
	if !strings.Contains(out, "--dev: created a development ledger key") || !strings.Contains(out, "eBIOS serving on "+base) {
		t.Fatalf("startup output:\n%s", out)
	}
	tok := regexp.MustCompile(`ebios-setup-[A-Za-z0-9_-]+`).FindString(out)
	if tok == "" {
		t.Fatalf("no setup token printed:\n%s", out)
	}
	c := &http.Client{}
	resp, _ := post(t, c, base+"/api/v1/auth/setup", "", `{"token":"`+tok+`","username":"root","password":"`+testPassword+`"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("setup: %d", resp.StatusCode)
	}
	resp, _ = post(t, c, base+"/api/v1/auth/setup", "", `{"token":"`+tok+`","username":"root2","password":"`+testPassword+`"}`)
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Fatalf("setup token reused: %d", resp.StatusCode)
	}
	resp, m := post(t, c, base+"/auth/login", "", `{"username":"root","password":"`+testPassword+`"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	at := m["access_token"].(string)
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Request-Id", "X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "'wasm-unsafe-eval'") || resp.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("CSP %q, HSTS %q over plain HTTP", resp.Header.Get("Content-Security-Policy"), resp.Header.Get("Strict-Transport-Security"))
	}
	for i := 0; i < 5; i++ {
		if resp, _ := post(t, c, base+"/operations/execute", at, `{"operation":"add","inputs":[[5.0,0.1],[3.0,0.2]]}`); resp.StatusCode != 200 {
			t.Fatalf("execute: %d", resp.StatusCode)
		}
	}
	// The auth class allows 3 per minute: the 4th login is refused, and an
	// X-Forwarded-For from this (untrusted) peer changes nothing.
	post(t, c, base+"/auth/login", "", `{"username":"root","password":"wrong"}`)
	resp, m = post(t, c, base+"/auth/login", "", `{"username":"root","password":"wrong"}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || m["error"] == nil {
		t.Fatalf("4th login: %d %v", resp.StatusCode, m)
	}
	req, _ := http.NewRequest("POST", base+"/auth/login", strings.NewReader(`{}`))
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	if resp, err := c.Do(req); err != nil || resp.StatusCode != 429 {
		t.Fatalf("spoofed X-Forwarded-For from an untrusted peer: %v %d", err, resp.StatusCode)
	}
	r.stop(t)
	if !strings.Contains(r.out.String(), "shutting down") {
		t.Errorf("no shutdown log:\n%s", r.out)
	}
	// Everything acknowledged is on disk and verifies.
	st, err := ledgerstore.OpenReadOnly(filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if rep, err := st.Verify(nil); err != nil || !rep.OK || st.Len() != 5 {
		t.Fatalf("after shutdown: %d entries, %+v %v", st.Len(), rep, err)
	}
}

func TestAllowlist(t *testing.T) {
	r := start(t, "--dev", "--data-dir", t.TempDir(), "--rate-limit-auth", "1/1m", "--rate-limit-allowlist", "127.0.0.1")
	for i := 0; i < 5; i++ {
		resp, _ := post(t, http.DefaultClient, "http://"+r.addr+"/auth/login", "", `{"username":"x","password":"y"}`)
		if resp.StatusCode == 429 || resp.Header.Get("X-Ratelimit-Limit") != "" {
			t.Fatalf("allowlisted client limited: %d", resp.StatusCode)
		}
	}
}

// TestTLS serves HTTPS from certificate files, sends HSTS, and redirects
// plain HTTP.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	_, cert, key, pool := caSigned(t, dir, "127.0.0.1")
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	redirectAddr := l.Addr().String()
	l.Close()
	r := start(t, "--dev", "--data-dir", dir, "--tls-cert", cert, "--tls-key", key, "--redirect-http", redirectAddr)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get("https://" + r.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("HTTPS: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	// The redirect keeps the method (308), the HTTPS port and the query,
	// and sends only to the certificate's names (here 127.0.0.1).
	_, port, _ := net.SplitHostPort(r.addr)
	nc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = nc.Post("http://"+redirectAddr+"/auth/login?x=1", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 308 || resp.Header.Get("Location") != "https://127.0.0.1:"+port+"/auth/login?x=1" ||
		resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("redirect: %d %s %v", resp.StatusCode, resp.Header.Get("Location"), resp.Header)
	}
	// X-Forwarded-Proto: https does not make a plain request HTTPS.
	req, _ := http.NewRequest("GET", "http://"+redirectAddr+"/healthz", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err = nc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 308 || resp.Header.Get("Location") != "https://127.0.0.1:"+port+"/healthz" {
		t.Fatalf("plain HTTP with X-Forwarded-Proto: https: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ = http.NewRequest("GET", "http://"+redirectAddr+"/healthz", nil)
	req.Host = "evil.example"
	resp, err = nc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest || resp.Header.Get("Location") != "" {
		t.Fatalf("redirect of an unknown host: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestLogPublic: /api/v1/log/ needs a ledger reader's token by default and
// none with --log-public (the operator's choice of a public log).
func TestLogPublic(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{nil, http.StatusUnauthorized},
		{[]string{"--log-public"}, http.StatusOK},
	} {
		r := start(t, append([]string{"--dev", "--data-dir", t.TempDir()}, tc.args...)...)
		resp, err := http.Get("http://" + r.addr + "/api/v1/log/checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		r.stop(t)
		if resp.StatusCode != tc.want {
			t.Errorf("%v: GET /api/v1/log/checkpoint = %d, want %d", tc.args, resp.StatusCode, tc.want)
		}
	}
}

// TestBinaryName: the setup hint names the binary as it was started.
func TestBinaryName(t *testing.T) {
	old := os.Args
	defer func() { os.Args = old }()
	for _, c := range []struct{ arg0, want string }{
		{"./bin/ebios", "./bin/ebios"},
		{"/usr/local/bin/ebios", "/usr/local/bin/ebios"},
		{"ebios", "ebios"},
		{"/tmp/go-build1/serve.test", "ebios"},
		{"", "ebios"},
	} {
		os.Args = []string{c.arg0}
		if got := binaryName(); got != c.want {
			t.Errorf("os.Args[0] %q: %q, want %q", c.arg0, got, c.want)
		}
	}
}
