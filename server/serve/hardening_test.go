package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ebios/ebios/server/config"
)

// adminToken creates the first admin of a server started by start with
// the setup token it printed, and returns an access token.
func adminToken(t *testing.T, r *running) string {
	t.Helper()
	base := "http://" + r.addr
	tok := regexp.MustCompile(`ebios-setup-[A-Za-z0-9_-]+`).FindString(r.out.String())
	if resp, _ := post(t, http.DefaultClient, base+"/api/v1/auth/setup", "", `{"token":"`+tok+`","username":"root","password":"`+testPassword+`"}`); resp.StatusCode != 201 {
		t.Fatalf("setup: %d", resp.StatusCode)
	}
	resp, m := post(t, http.DefaultClient, base+"/auth/login", "", `{"username":"root","password":"`+testPassword+`"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	return m["access_token"].(string)
}

// TestFraming: every response, the app's pages and the API's answers
// alike (errors and 429s too), forbids framing: CSP frame-ancestors 'none'
// and X-Frame-Options: DENY. The one exception is the widget's iframe
// pages (/embed/*), which the sites of [embed] frame_ancestors may frame
// (any by default; none when it says none).
func TestFraming(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!doctype html><title>app</title>"))
	})
	for _, conf := range []struct {
		flags     []string
		ancestors string // of /embed/*; "" means not frameable
	}{
		{nil, "*"},
		{[]string{"--embed-frame-ancestors", "https://blog.example.org, http://localhost:8081"}, "https://blog.example.org http://localhost:8081"},
		{[]string{"--embed-frame-ancestors", "none"}, ""},
	} {
		args := append([]string{"--dev", "--data-dir", t.TempDir(), "--rate-limit-auth", "1/1m"}, conf.flags...)
		r := startWith(t, Options{App: app}, args...)
		base := "http://" + r.addr
		for _, tc := range []struct {
			method, path, accept, body string
			status                     int
			embed                      bool
		}{
			{"GET", "/", "text/html", "", 200, false},                   // the app
			{"GET", "/", "application/json", "", 200, false},            // health JSON
			{"GET", "/users", "text/html", "", 200, false},              // an admin page of the app
			{"GET", "/policies", "text/html", "", 200, false},           // another
			{"GET", "/embed/calc", "text/html", "", 200, true},          // the widget's iframe pages
			{"GET", "/embed/verify.html", "text/html", "", 200, true},   // also as .html
			{"GET", "/embedded", "text/html", "", 200, false},           // not under /embed/
			{"GET", "/widget/ebios.js", "", "", 200, false},             // the widget's script: no page
			{"GET", "/healthz", "", "", 200, false},                     // API
			{"GET", "/api/v1/openapi.json", "", "", 200, false},         // API document
			{"GET", "/api/v1/status", "", "", 401, false},               // API error
			{"GET", "/api/v1/nope", "", "", 404, false},                 // API 404
			{"POST", "/auth/login", "", `{"username":"x"}`, 400, false}, // bad request
			{"POST", "/auth/login", "", `{"username":"x"}`, 429, false}, // rate limited (1/1m)
			{"DELETE", "/healthz", "", "", 404, false},                  // the catch-all
		} {
			req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			csp := resp.Header.Get("Content-Security-Policy")
			wantFA, wantXFO := "frame-ancestors 'none'", "DENY"
			if tc.embed && conf.ancestors != "" {
				wantFA, wantXFO = "frame-ancestors "+conf.ancestors, ""
			}
			if resp.StatusCode != tc.status || !strings.HasSuffix(csp, wantFA) || !strings.Contains(csp, "'wasm-unsafe-eval'") ||
				resp.Header.Get("X-Frame-Options") != wantXFO || len(resp.Header.Values("Content-Security-Policy")) != 1 {
				t.Errorf("%v: %s %s: %d (want %d), CSP %q (want %q), X-Frame-Options %q (want %q)", conf.flags, tc.method, tc.path,
					resp.StatusCode, tc.status, resp.Header.Values("Content-Security-Policy"), wantFA, resp.Header.Get("X-Frame-Options"), wantXFO)
			}
		}
	}
}

// certConfig is a TLS configuration with a certificate for names (DNS
// names and IP addresses).
func certConfig(t *testing.T, names ...string) *tls.Config {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ignored.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: k}}}
}

// TestRedirect: the plain-HTTP listener answers 308 (the method and body
// survive), to the same path and query, on a configured host name only
// (never the Host it was sent, unless it is one), with the HTTPS port
// unless it is 443.
func TestRedirect(t *testing.T) {
	type req struct {
		method, host, uri string
		status            int
		location          string
	}
	for _, tc := range []struct {
		name      string
		tls       config.TLS
		cert      []string // names of the certificate
		httpsPort string
		reqs      []req
	}{
		{name: "redirect_hosts, HTTPS on 443", tls: config.TLS{RedirectHosts: []string{"ebios.example.org", "Other.Example.org."}}, httpsPort: "443",
			reqs: []req{
				{"GET", "ebios.example.org", "/a/b?x=1&y=%20z", 308, "https://ebios.example.org/a/b?x=1&y=%20z"},
				{"POST", "ebios.example.org", "/auth/login", 308, "https://ebios.example.org/auth/login"},
				{"PUT", "ebios.example.org:80", "/x", 308, "https://ebios.example.org/x"},
				{"DELETE", "EBIOS.Example.ORG.:8080", "/x?q", 308, "https://ebios.example.org/x?q"},
				{"GET", "other.example.org", "/", 308, "https://other.example.org/"},
				{"GET", "ebios.example.org", "//evil.example/x", 308, "https://ebios.example.org//evil.example/x"},
				{"GET", "ebios.example.org", "/%2F%2Fevil.example", 308, "https://ebios.example.org/%2F%2Fevil.example"},
				{"OPTIONS", "ebios.example.org", "*", 308, "https://ebios.example.org/"},
				{"GET", "evil.example", "/x", 421, ""},
				{"GET", "ebios.example.org.evil.example", "/x", 421, ""},
				{"GET", "evil.example:80", "/x", 421, ""},
				{"GET", "ebios.example.org@evil.example", "/x", 421, ""},
				{"GET", "", "/x", 400, ""},
			}},
		{name: "HTTPS on another port is kept", tls: config.TLS{RedirectHosts: []string{"ebios.example.org", "[2001:db8::1]", "192.0.2.7", "pinned.example.org:443"}}, httpsPort: "8443",
			reqs: []req{
				{"GET", "ebios.example.org:8080", "/x?y=1", 308, "https://ebios.example.org:8443/x?y=1"},
				{"POST", "ebios.example.org", "/x", 308, "https://ebios.example.org:8443/x"},
				{"GET", "[2001:DB8::1]:8080", "/", 308, "https://[2001:db8::1]:8443/"},
				{"GET", "192.0.2.7", "/", 308, "https://192.0.2.7:8443/"},
				{"GET", "pinned.example.org", "/p", 308, "https://pinned.example.org/p"}, // its own port: 443 seen from outside
				{"GET", "192.0.2.8", "/", 421, ""},
			}},
		{name: "ACME domains", tls: config.TLS{ACMEDomains: []string{"acme.example.org"}}, httpsPort: "443",
			reqs: []req{
				{"GET", "acme.example.org", "/x", 308, "https://acme.example.org/x"},
				{"GET", "ebios.example.org", "/x", 421, ""},
			}},
		{name: "certificate names", tls: config.TLS{CertFile: "c", KeyFile: "k"}, cert: []string{"cert.example.org", "*.wild.example.org", "127.0.0.1"}, httpsPort: "9443",
			reqs: []req{
				{"GET", "cert.example.org", "/x", 308, "https://cert.example.org:9443/x"},
				{"GET", "a.wild.example.org:80", "/x", 308, "https://a.wild.example.org:9443/x"},
				{"GET", "127.0.0.1:8080", "/healthz?x=1", 308, "https://127.0.0.1:9443/healthz?x=1"},
				{"GET", "wild.example.org", "/x", 421, ""},
				{"GET", "a.b.wild.example.org", "/x", 421, ""},
				{"GET", "a_b.wild.example.org", "/x", 421, ""},
				{"GET", "ignored.example", "/x", 421, ""}, // the subject's CN is not a name
			}},
		{name: "redirect_hosts win over the certificate", tls: config.TLS{CertFile: "c", KeyFile: "k", RedirectHosts: []string{"only.example.org"}},
			cert: []string{"cert.example.org"}, httpsPort: "443",
			reqs: []req{
				{"GET", "only.example.org", "/x", 308, "https://only.example.org/x"},
				{"GET", "cert.example.org", "/x", 421, ""},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tcfg *tls.Config
			if tc.cert != nil {
				tcfg = certConfig(t, tc.cert...)
			}
			hosts, err := newRedirectHosts(tc.tls, tcfg, tc.httpsPort)
			if err != nil {
				t.Fatal(err)
			}
			h := secure(redirectHandler(hosts), config.TLS{}, "")
			for _, rq := range tc.reqs {
				r := httptest.NewRequest(rq.method, "http://placeholder"+strings.TrimPrefix(rq.uri, "*"), strings.NewReader("body"))
				if rq.uri == "*" {
					r.URL.Path, r.RequestURI = "*", "*"
				}
				r.Host = rq.host
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != rq.status || w.Header().Get("Location") != rq.location || w.Header().Get("X-Frame-Options") != "DENY" {
					t.Errorf("%s %s (Host %q): %d %q, want %d %q", rq.method, rq.uri, rq.host, w.Code, w.Header().Get("Location"), rq.status, rq.location)
				}
				if rq.status != 308 && strings.Contains(w.Body.String(), "evil") {
					t.Errorf("%s %s: the refusal echoes the host: %q", rq.method, rq.host, w.Body)
				}
			}
		})
	}
	// Nothing to redirect to: an error at start, not an open redirect.
	if _, err := newRedirectHosts(config.TLS{CertFile: "c", KeyFile: "k"}, certConfig(t), "443"); err == nil || !strings.Contains(err.Error(), "no host name") {
		t.Fatalf("a certificate without names: %v", err)
	}
	if _, err := newRedirectHosts(config.TLS{RedirectHosts: []string{"bad host"}}, nil, "443"); err == nil {
		t.Fatal("a bad redirect host was accepted")
	}
}

// TestHeavyRateLimit: the server prices the heavy routes from its
// configuration: a verify job takes its cost from the heavy bucket, which
// then refuses the next one (and a trace), while other classes go on.
func TestHeavyRateLimit(t *testing.T) {
	r := start(t, "--dev", "--data-dir", t.TempDir(), "--rate-limit-heavy", "10/1m burst 10", "--rate-limit-cost-verify", "8",
		"--rate-limit-cost-trace", "2")
	tok := adminToken(t, r)
	base := "http://" + r.addr
	do := func(method, path string) *http.Response {
		req, _ := http.NewRequest(method, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i, st := range []struct {
		method, path string
		status       int
		cost, left   string
	}{
		{"POST", "/api/v1/ledger/verify/jobs", 202, "8", "2"},
		{"GET", "/api/v1/ledger/trace/nope", 0, "2", "0"}, // whatever it answers, it paid 2
		{"POST", "/api/v1/ledger/verify/jobs", 429, "8", "0"},
		{"GET", "/ledger/verify", 429, "8", "0"},
		{"GET", "/api/v1/ledger/trace/nope", 429, "2", "0"},
		{"GET", "/api/v1/guard/events", 429, "1", "0"},
		{"GET", "/api/v1/ledger/export", 429, "10", "0"},  // 100 by default: capped at the burst
		{"GET", "/api/v1/ledger/entries", 200, "", "199"}, // the read class is another bucket
	} {
		resp := do(st.method, st.path)
		if (st.status != 0 && resp.StatusCode != st.status) || (st.status == 0 && resp.StatusCode == 429) ||
			resp.Header.Get("X-RateLimit-Cost") != st.cost || resp.Header.Get("X-RateLimit-Remaining") != st.left {
			t.Fatalf("step %d: %s %s: %d, cost %q, remaining %q; want %d, %q, %q", i, st.method, st.path, resp.StatusCode,
				resp.Header.Get("X-RateLimit-Cost"), resp.Header.Get("X-RateLimit-Remaining"), st.status, st.cost, st.left)
		}
	}
}

// TestOpenUsersMode: under umask 022, users.db (password hashes) is
// created 0600, and one found readable by others is made private, with a
// notice, before the auth store opens it.
func TestOpenUsersMode(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	cfg, err := config.Load([]string{"--data-dir", dir}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "users.db")
	for _, tc := range []struct {
		name   string
		mode   os.FileMode
		notice string
	}{
		{"new", 0, ""},
		{"private", 0o600, ""},
		{"world readable", 0o644, path + " was readable by other users (mode 0644): made it private (mode 0600)"},
		{"group readable and writable", 0o660, path + " was readable by other users (mode 0660): made it private (mode 0600)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.mode != 0 {
				os.Chmod(path, tc.mode)
			}
			var notices []string
			us, unlock, err := openUsers(cfg, func(n string) { notices = append(notices, n) })
			if err != nil {
				t.Fatal(err)
			}
			us.Close()
			unlock()
			if tc.notice == "" && len(notices) != 0 || tc.notice != "" && (len(notices) != 1 || notices[0] != tc.notice) {
				t.Errorf("notices %q, want %q", notices, tc.notice)
			}
			for _, f := range []string{"users.db", "users.db.lock"} {
				if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: %v %v, want 0600", f, fi.Mode(), err)
				}
			}
		})
	}
}

// TestDataDirModes: a server started under umask 022 leaves nothing in
// its data directory that others can read, and a data directory whose
// files were made readable by others (an old version, a careless copy) is
// made private at the next start, each with a notice; the umask is put back
// when the server stops.
func TestDataDirModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	check := func(when string) {
		t.Helper()
		n := 0
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == dir {
				return err
			}
			fi, _ := d.Info()
			if fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s: %s has mode %#o", when, p, fi.Mode().Perm())
			}
			n++
			return nil
		})
		if n < 8 {
			t.Errorf("%s: only %d files", when, n)
		}
	}
	r := start(t, "--dev", "--data-dir", dir)
	tok := adminToken(t, r)
	if resp, _ := post(t, http.DefaultClient, "http://"+r.addr+"/operations/execute", tok, `{"operation":"add","inputs":[[5.0,0.1],[3.0,0.2]]}`); resp.StatusCode != 200 {
		t.Fatalf("execute: %d", resp.StatusCode)
	}
	r.stop(t)
	check("after the first start")
	if now := syscall.Umask(0o022); now != 0o022 {
		t.Errorf("umask after Run: %#o, want 022", now)
	}
	loose := []string{"ledger.db", "users.db", "policies.db", "ledger.key", "jwt.secret"}
	for _, f := range loose {
		if err := os.Chmod(filepath.Join(dir, f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r = start(t, "--dev", "--data-dir", dir)
	r.stop(t)
	check("after a start with loose files")
	out := r.out.String()
	for _, f := range loose {
		if !strings.Contains(out, filepath.Join(dir, f)+" was readable by other users (mode 0644): made it private (mode 0600)") {
			t.Errorf("no notice for %s:\n%s", f, out)
		}
	}
}

// TestLoginFailuresConfigured: auth.login_failures and login_window set the
// per-account limit of failed logins, and 0 turns it off.
func TestLoginFailuresConfigured(t *testing.T) {
	for _, tc := range []struct {
		failures string
		codes    []int // of successive wrong logins for the admin
	}{
		{"2", []int{401, 401, 429, 429}},
		{"0", []int{401, 401, 401, 401}},
	} {
		r := start(t, "--dev", "--data-dir", t.TempDir(), "--rate-limit=false", "--login-failures", tc.failures, "--login-window", "10m")
		adminToken(t, r)
		for i, want := range tc.codes {
			resp, m := post(t, http.DefaultClient, "http://"+r.addr+"/api/v1/auth/login", "", `{"username":"root","password":"wrong password here"}`)
			if resp.StatusCode != want {
				t.Fatalf("login_failures = %s, wrong login %d: %d %v, want %d", tc.failures, i+1, resp.StatusCode, m, want)
			}
			if want == 429 && (resp.Header.Get("Retry-After") == "" || !strings.Contains(fmt.Sprint(m), "AUTH_020")) {
				t.Fatalf("locked answer: %v %v", resp.Header, m)
			}
		}
	}
	noEnv := func(string) string { return "" }
	if _, ps := config.Check([]string{"--dev", "--login-window", "10s", "--login-failures", "-1"}, noEnv, os.ReadFile); !strings.Contains(fmt.Sprint(ps), "auth.login_window") ||
		!strings.Contains(fmt.Sprint(ps), "auth.login_failures") {
		t.Errorf("a 10 s window and -1 failures were accepted: %v", ps)
	}
}
