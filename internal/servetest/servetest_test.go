package servetest

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebios/ebios/server/serve"
)

// TestMetricsCredential: /metrics answers the metrics token and an
// admin's JWT, refuses no token, a wrong token and a non-admin, and the
// metrics of the exercised paths carry what happened.
func TestMetricsCredential(t *testing.T) {
	s := Start(t)
	admin := s.Exercise(t)
	for _, c := range []struct {
		name, token string
		want        int
	}{
		{"metrics token", s.MetricsToken, http.StatusOK},
		{"admin JWT", admin, http.StatusOK},
		{"no credential", "", http.StatusUnauthorized},
		{"wrong token", s.MetricsToken[:len(s.MetricsToken)-2] + "xx", http.StatusUnauthorized},
		{"token with a suffix", s.MetricsToken + "x", http.StatusUnauthorized},
	} {
		if code, body := s.Do(t, "GET", "/metrics", c.token, ""); code != c.want {
			t.Errorf("%s: GET /metrics = %d, want %d: %.200s", c.name, code, c.want, body)
		}
		if code, _ := s.Do(t, "GET", "/api/v1/metrics", c.token, ""); code != c.want {
			t.Errorf("%s: GET /api/v1/metrics = %d, want %d", c.name, code, c.want)
		}
	}
	// The token reads metrics only.
	if code, _ := s.Do(t, "GET", "/api/v1/users", s.MetricsToken, ""); code != http.StatusUnauthorized {
		t.Errorf("the metrics token read /api/v1/users: %d", code)
	}
	mfs := s.Scrape(t)
	value := func(name string, labels map[string]string) float64 {
		mf := mfs[name]
		if mf == nil {
			t.Fatalf("%s not exposed", name)
		}
	next:
		for _, m := range mf.Metric {
			for _, l := range m.Label {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
		t.Fatalf("%s%v not exposed", name, labels)
		return 0
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"ebios_commit_duration_seconds", nil, 1},
		{"ebios_fsync_duration_seconds", nil, 1},
		{"ebios_commit_batch_entries", nil, 1},
		{"ebios_ledger_entries_total", nil, 1},
		{"ebios_ledger_file_bytes", nil, 1},
		{"ebios_data_dir_free_bytes", nil, 1},
		{"ebios_auth_failures_total", map[string]string{"reason": "missing"}, 1},
		{"ebios_auth_failures_total", map[string]string{"reason": "bad_credentials"}, 1},
		{"ebios_auth_failures_total", map[string]string{"reason": "malformed"}, 2}, // the wrong tokens
		{"process_resident_memory_bytes", nil, 1},
		{"go_goroutines", nil, 1},
	} {
		if got := value(c.name, c.labels); got < c.min {
			t.Errorf("%s%v = %v, want at least %v", c.name, c.labels, got, c.min)
		}
	}
	if age := value("ebios_checkpoint_age_seconds", nil); age < 0 || age > 60 {
		t.Errorf("ebios_checkpoint_age_seconds = %v just after a commit", age)
	}
}

// TestBadTokenFileRefused: a short or exposed token file stops the server
// before it creates anything, with a message saying how to fix it.
func TestBadTokenFileRefused(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, content string
		mode          os.FileMode
		want          string
	}{
		{"short", "too short\n", 0o600, "head -c 32 /dev/urandom | base64"},
		{"exposed", strings.Repeat("x", 40), 0o644, "chmod 600"},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, []byte(c.content), c.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, c.mode); err != nil {
			t.Fatal(err)
		}
		data := filepath.Join(dir, "data-"+c.name)
		var out bytes.Buffer
		err := serve.Run(context.Background(), []string{"--dev", "--listen", "127.0.0.1:0", "--data-dir", data, "--metrics-token-file", path},
			serve.Options{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }, ReadFile: os.ReadFile})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s token file: %v, want an error saying %q", c.name, err, c.want)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Errorf("%s token file: the refused start created %s", c.name, data)
		}
	}
}
