package serve

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/internal/debpkg"
	"github.com/ebios/ebios/server/keyfile"
	"github.com/ebios/ebios/server/ledgerstore"
)

// proxyHost is the name the proxy examples serve.
const proxyHost = "ebios.example.org"

// exampleWith is the example deploy/proxy/name with each repl[i][0]
// replaced by repl[i][1]: each text the test replaces must be in the
// example, so the two cannot drift apart.
func exampleWith(t *testing.T, name string, repl [][2]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../deploy/proxy", name)) // #nosec G304 -- test: an example of the repository
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for _, r := range repl {
		if !strings.Contains(conf, r[0]) {
			t.Fatalf("deploy/proxy/%s no longer has %q, which the test replaces", name, r[0])
		}
		conf = strings.ReplaceAll(conf, r[0], r[1])
	}
	return conf
}

// nginxExample is deploy/proxy/nginx.conf with the test's ports, paths and
// certificate: each line the test changes must be in the example, so the
// two cannot drift apart.
func nginxExample(t *testing.T, dir, httpsAddr, httpAddr, upstream, cert, key string) string {
	t.Helper()
	conf := exampleWith(t, "nginx.conf", [][2]string{
		{"user www-data;", "user root;"},
		{"pid /run/nginx-ebios.pid;", "pid " + filepath.Join(dir, "nginx.pid") + ";"},
		{"error_log /var/log/nginx/ebios-error.log warn;", "error_log " + filepath.Join(dir, "error.log") + " warn;"},
		{"access_log /var/log/nginx/ebios-access.log;", "access_log " + filepath.Join(dir, "access.log") + ";"},
		{"/var/cache/nginx/ebios", filepath.Join(dir, "cache")},
		{"server 127.0.0.1:8080;", "server " + upstream + ";"},
		{"listen 80;", "listen " + httpAddr + ";"},
		{"listen [::]:80;", ""},
		{"listen 443 ssl http2;", "listen " + httpsAddr + " ssl http2;"},
		{"listen [::]:443 ssl http2;", ""},
		{"/etc/ssl/ebios/fullchain.pem", cert},
		{"/etc/ssl/ebios/privkey.pem", key},
	})
	for _, d := range []string{"client_body", "proxy"} {
		conf = strings.Replace(conf, "http {", "http {\n    "+d+"_temp_path "+filepath.Join(dir, d)+";", 1)
	}
	return conf
}

// startNginx runs deploy/proxy/nginx.conf in front of the eBIOS server at
// upstream, after nginx -t has accepted it.
func startNginx(t *testing.T, upstream string) proxy {
	t.Helper()
	nginx := debpkg.Program(t, "nginx", "the reverse-proxy tests run the nginx example", "nginx")
	dir := t.TempDir()
	_, cert, key, roots := caSigned(t, dir, proxyHost)
	p := proxy{https: freeAddr(t), http: freeAddr(t), roots: roots}
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(nginxExample(t, dir, p.https, p.http, upstream, cert, key)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nginx, "-t", "-p", dir, "-c", confFile).CombinedOutput(); err != nil { // #nosec G204 -- test: nginx found on PATH, the test's own config
		t.Fatalf("nginx -t rejects deploy/proxy/nginx.conf: %v\n%s", err, out)
	}
	runProxy(t, p.https, filepath.Join(dir, "error.log"), nginx, "-p", dir, "-c", confFile, "-g", "daemon off;")
	return p
}

// caddyExample is deploy/proxy/Caddyfile with the test's ports, paths and
// certificate (instead of one from ACME).
func caddyExample(t *testing.T, dir, httpsAddr, httpAddr, upstream, cert, key string) string {
	t.Helper()
	return exampleWith(t, "Caddyfile", [][2]string{
		{"email admin@example.org", "admin off\n\tdefault_bind 127.0.0.1\n\tskip_install_trust\n\tstorage file_system " + filepath.Join(dir, "storage") +
			"\n\thttp_port " + port(t, httpAddr) + "\n\thttps_port " + port(t, httpsAddr)},
		{proxyHost + " {", proxyHost + " {\n\ttls " + cert + " " + key},
		{"127.0.0.1:8080", upstream},
	})
}

// startCaddy runs deploy/proxy/Caddyfile in front of the eBIOS server at
// upstream, after caddy validate has accepted it.
func startCaddy(t *testing.T, upstream string) proxy {
	t.Helper()
	caddy := debpkg.Program(t, "caddy", "the reverse-proxy tests run the Caddy example", "caddy")
	dir := t.TempDir()
	_, cert, key, roots := caSigned(t, dir, proxyHost)
	p := proxy{https: freeAddr(t), http: freeAddr(t), roots: roots}
	confFile := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(confFile, []byte(caddyExample(t, dir, p.https, p.http, upstream, cert, key)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	t.Setenv("XDG_DATA_HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", dir)
	if out, err := exec.Command(caddy, "validate", "--adapter", "caddyfile", "--config", confFile).CombinedOutput(); err != nil { // #nosec G204 -- test: caddy found on PATH, the test's own config
		t.Fatalf("caddy validate rejects deploy/proxy/Caddyfile: %v\n%s", err, out)
	}
	runProxy(t, p.https, "", caddy, "run", "--adapter", "caddyfile", "--config", confFile)
	return p
}

// proxy is a running reverse proxy: its HTTPS and HTTP addresses and the
// roots its certificate chains to.
type proxy struct {
	https, http string
	roots       *x509.CertPool
}

// runProxy starts a proxy program and waits until it accepts connections
// on addr; it is stopped when the test ends. errorLog, if set, is shown if
// it exits.
func runProxy(t *testing.T, addr, errorLog, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...) // #nosec G204 -- test: a proxy found on PATH, with the test's own config
	out := &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); <-exited })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(errorLog) // #nosec G304 -- test: the proxy's log in the test's directory
			t.Fatalf("%s exited:\n%s\n%s", name, out, log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s in 10 s:\n%s", name, addr, out)
		}
	}
}

// clientFrom is an HTTP client whose connections come from the loopback
// address from (127.0.0.2, ...) and all go to addr, whatever the URL says.
func clientFrom(from, addr string, roots *x509.CertPool) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			}}}
}

// TestProxies runs deploy/proxy/nginx.conf and deploy/proxy/Caddyfile with
// Debian's nginx and caddy in front of a real eBIOS server, and follows the rate-limit bucket a request is
// counted in (X-Ratelimit-Remaining of GET /api/v1/auth/setup, 10 a
// minute per client): with [api] trusted_proxies naming the proxy, each
// client behind it has its own bucket, found from X-Forwarded-For, and a
// client cannot choose its bucket by sending X-Forwarded-For; without it,
// every client behind the proxy shares the proxy's bucket. A direct
// client's X-Forwarded-For is never believed, and X-Forwarded-Proto never
// makes a plain request HTTPS. It also checks the examples' HSTS, redirect
// and body limit.
func TestProxies(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test starts nginx, caddy and eBIOS servers on loopback")
	}
	proxies := []struct {
		name     string
		start    func(*testing.T, string) proxy
		tooLarge map[int]bool // statuses of a body over the limit
	}{{"nginx", startNginx, map[int]bool{413: true}}, {"caddy", startCaddy, map[int]bool{413: true, 502: true}}}
	type step struct {
		from, via, xff string // client address, "proxy" or "direct", X-Forwarded-For it sends
		remaining      string // X-Ratelimit-Remaining expected
	}
	cases := []struct {
		name    string
		trusted bool
		steps   []step
	}{
		{"trusted proxy", true, []step{
			{"127.0.0.2", "proxy", "", "9"},
			{"127.0.0.2", "proxy", "", "8"},
			{"127.0.0.3", "proxy", "", "9"},              // a bucket of its own
			{"127.0.0.2", "proxy", "198.51.100.7", "7"},  // a spoofed X-Forwarded-For through the proxy: still 127.0.0.2
			{"127.0.0.4", "direct", "198.51.100.7", "9"}, // a direct client is its own peer address...
			{"127.0.0.4", "direct", "198.51.100.8", "8"}, // ...whatever it claims
			{"127.0.0.4", "direct", "127.0.0.3", "7"},    // ...even another client's address
			{"127.0.0.3", "proxy", "", "8"},
		}},
		{"untrusted proxy", false, []step{
			{"127.0.0.2", "proxy", "", "9"},
			{"127.0.0.3", "proxy", "", "8"}, // one bucket: the proxy's
			{"127.0.0.2", "proxy", "198.51.100.7", "7"},
			{"127.0.0.4", "direct", "198.51.100.7", "9"},
		}},
	}
	for _, px := range proxies {
		for _, tc := range cases {
			t.Run(px.name+"/"+tc.name, func(t *testing.T) {
				args := []string{"--dev", "--data-dir", t.TempDir()}
				if tc.trusted {
					args = append(args, "--trusted-proxies", "127.0.0.1")
				}
				r := start(t, args...)
				p := px.start(t, r.addr)
				httpsAddr, httpAddr, roots := p.https, p.http, p.roots
				for i, s := range tc.steps {
					url, addr := "https://"+proxyHost+"/api/v1/auth/setup", httpsAddr
					if s.via == "direct" {
						url, addr = "http://"+r.addr+"/api/v1/auth/setup", r.addr
					}
					req, _ := http.NewRequest("GET", url, nil)
					if s.xff != "" {
						req.Header.Set("X-Forwarded-For", s.xff)
					}
					req.Header.Set("X-Forwarded-Proto", "https")
					resp, err := clientFrom(s.from, addr, roots).Do(req)
					if err != nil {
						t.Fatalf("step %d %+v: %v", i, s, err)
					}
					resp.Body.Close()
					hsts := resp.Header.Values("Strict-Transport-Security")
					if got := resp.Header.Get("X-Ratelimit-Remaining"); resp.StatusCode != 200 || got != s.remaining {
						t.Errorf("step %d %+v: status %d, X-Ratelimit-Remaining %s, want %s", i, s, resp.StatusCode, got, s.remaining)
					}
					// HSTS comes from the proxy, once; eBIOS behind it never
					// sends it, X-Forwarded-Proto: https or not.
					if want := map[string]int{"proxy": 1, "direct": 0}[s.via]; len(hsts) != want {
						t.Errorf("step %d %+v: Strict-Transport-Security %q, want %d", i, s, hsts, want)
					}
				}
				if t.Failed() {
					return
				}
				c := clientFrom("127.0.0.2", httpsAddr, roots)
				// The examples refuse bodies over eBIOS's 1 MiB themselves: the
				// answer is the proxy's (eBIOS's own carry X-Request-Id). Caddy
				// before 2.7 answers 502 instead of 413 (caddyserver/caddy#5652).
				resp, err := c.Post("https://"+proxyHost+"/api/v1/auth/login", "application/json", strings.NewReader(strings.Repeat(" ", 1<<20+1)))
				if err != nil || !px.tooLarge[resp.StatusCode] || resp.Header.Get("X-Request-Id") != "" {
					t.Errorf("a body over 1 MiB through the proxy: %v %v", resp, err)
				}
				// Plain HTTP is redirected to HTTPS, keeping the method.
				resp, err = clientFrom("127.0.0.2", httpAddr, roots).Get("http://" + proxyHost + "/healthz?x=1")
				if err != nil || resp.StatusCode != http.StatusPermanentRedirect || !strings.HasPrefix(resp.Header.Get("Location"), "https://"+proxyHost) ||
					!strings.HasSuffix(resp.Header.Get("Location"), "/healthz?x=1") {
					t.Errorf("plain HTTP to the proxy: %v %v", resp, err)
				}
				// The API is not cached: two requests are two responses.
				var ids []string
				for range 2 {
					resp, err := c.Get("https://" + proxyHost + "/api/v1/openapi.json")
					if err != nil {
						t.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ids = append(ids, resp.Header.Get("X-Request-Id"))
				}
				if ids[0] == "" || ids[0] == ids[1] {
					t.Errorf("/api/v1/openapi.json through the proxy twice: request ids %q", ids)
				}
			})
		}
	}
}

// TestNginxTileCache: deploy/proxy/nginx.conf caches a public log's
// tiles as eBIOS's Cache-Control allows (the second request is answered
// from the cache, with the first one's X-Request-Id), and not the
// checkpoint, which reaches eBIOS every time. The log has 257 entries: one
// full tile (immutable, a year) and a partial one (a minute).
func TestNginxTileCache(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test starts nginx and an eBIOS server on loopback")
	}
	dir := t.TempDir()
	fillLedger(t, dir, 257)
	r := start(t, "--dev", "--data-dir", dir, "--log-public")
	p := startNginx(t, r.addr)
	c := clientFrom("127.0.0.2", p.https, p.roots)
	for _, tc := range []struct {
		path, cacheControl string
		cached             bool
	}{
		{"/api/v1/log/tile/0/000", "public, max-age=31536000, immutable", true},
		{"/api/v1/log/tile/entries/000", "public, max-age=31536000, immutable", true},
		{"/api/v1/log/tile/0/001.p/1", "public, max-age=60", true},
		{"/api/v1/log/checkpoint", "public, max-age=5", false},
	} {
		var ids []string
		for range 2 {
			resp, err := c.Get("https://" + proxyHost + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != tc.cacheControl {
				t.Fatalf("%s through nginx: %d, Cache-Control %q, want 200, %q", tc.path, resp.StatusCode, resp.Header.Get("Cache-Control"), tc.cacheControl)
			}
			ids = append(ids, resp.Header.Get("X-Request-Id"))
		}
		if ids[0] == "" || (ids[0] == ids[1]) != tc.cached {
			t.Errorf("%s twice through nginx: request ids %q, want cached %v", tc.path, ids, tc.cached)
		}
	}
}

// fillLedger appends n entries to the ledger of a --dev server's data
// directory before it starts.
func fillLedger(t *testing.T, dir string, n int) {
	t.Helper()
	sg, err := keyfile.DevSigner(rand.Reader, filepath.Join(dir, "ledger.key"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ledgerstore.Open(filepath.Join(dir, "ledger.db"), sg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ds []ledger.Draft
	for i := range n {
		v := nu.MustNew(float64(i), 0.5)
		ds = append(ds, ledger.Draft{OpID: fmt.Sprint("proxy-op-", i), Operation: "flip", Mode: ledger.ModeNU,
			Inputs: []nu.Value{v}, Output: &v, Coverage: nu.Float(v.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true}})
	}
	if _, err := st.AppendBatch(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
}
