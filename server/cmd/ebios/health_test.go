package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/server/config"
)

func TestHealthCommand(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz":
			w.Write([]byte(`{"status":"ok"}`))
		case r.URL.Path == "/readyz" && ready:
			w.Write([]byte(`{"status":"ready"}`))
		case r.URL.Path == "/readyz":
			http.Error(w, `{"code":"LEDGER_000","message":"not ready"}`, http.StatusServiceUnavailable)
		case r.URL.Path == "/slow/healthz": // answers after the client gave up
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	// A closed port: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	// A config file whose listen address is the test server's, on the
	// wildcard host.
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	conf := filepath.Join(t.TempDir(), "ebios.conf")
	if err := os.WriteFile(conf, []byte("[server]\nlisten = :"+port+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name     string
		notReady bool
		args     []string
		code     int
		out, err string // substrings of stdout and stderr
	}{
		{"alive", false, []string{"--url", srv.URL}, 0, srv.URL + "/healthz: OK", ""},
		{"trailing slash", false, []string{"--url", srv.URL + "/"}, 0, srv.URL + "/healthz: OK", ""},
		{"ready", false, []string{"--ready", "--url", srv.URL}, 0, "/readyz: OK", ""},
		{"not ready", true, []string{"--ready", "--url", srv.URL}, 1, "", "503 Service Unavailable: {\"code\":\"LEDGER_000\""},
		{"from config", false, []string{"--config", conf}, 0, "http://127.0.0.1:" + port + "/healthz: OK", ""},
		{"nothing listens", false, []string{"--url", closed}, 1, "", "is `ebios serve` running there?"},
		{"timeout", false, []string{"--url", srv.URL + "/slow", "--timeout", "200ms"}, 1, "", "no answer within 200ms"},
		{"bad config", false, []string{"--config", filepath.Join(t.TempDir(), "missing.conf")}, 1, "", "cannot derive the server's URL from the configuration"},
		{"argument", false, []string{"--url", srv.URL, "extra"}, 2, "", "want no arguments"},
		{"help", false, []string{"--help"}, 0, "", "Usage: ebios health"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ready = !c.notReady
			stdout, stderr, code := runCLI(t, "", append([]string{"health"}, c.args...)...)
			if code != c.code || !strings.Contains(stdout, c.out) || !strings.Contains(stderr, c.err) {
				t.Errorf("ebios health %v: exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)",
					c.args, code, c.code, stdout, c.out, stderr, c.err)
			}
		})
	}
}

func TestHealthURL(t *testing.T) {
	cases := []struct {
		listen, tlsFlags []string
		base, name       string
	}{
		{[]string{"--listen", "127.0.0.1:8080"}, nil, "http://127.0.0.1:8080", ""},
		{[]string{"--listen", ":8080"}, nil, "http://127.0.0.1:8080", ""},
		{[]string{"--listen", "0.0.0.0:9000"}, nil, "http://127.0.0.1:9000", ""},
		{[]string{"--listen", "[::]:9000"}, nil, "http://[::1]:9000", ""},
		{[]string{"--listen", "10.0.0.5:80"}, nil, "http://10.0.0.5:80", ""},
		{[]string{"--listen", ":443"}, []string{"--acme-domains", "ebios.example.org"}, "https://127.0.0.1:443", "ebios.example.org"},
	}
	for _, c := range cases {
		cfg, err := config.Load(append(c.listen, c.tlsFlags...), nil, func(string) ([]byte, error) { return nil, os.ErrNotExist })
		if err != nil {
			t.Fatalf("%v: %v", c.listen, err)
		}
		if base, name := healthURL(cfg); base != c.base || name != c.name {
			t.Errorf("%v %v: %q %q, want %q %q", c.listen, c.tlsFlags, base, name, c.base, c.name)
		}
	}
}
