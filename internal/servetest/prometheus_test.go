package servetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/internal/debpkg"
)

// TestPrometheusScrapes runs the real (Debian) Prometheus against a real
// server: the job with the metrics token file is up and brings ebios_
// metrics; the same target without it is down with 401.
func TestPrometheusScrapes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus and an eBIOS server (about 10 s)")
	}
	prom := debpkg.Program(t, "prometheus", "the Prometheus scrape test (internal/servetest)", "prometheus")
	s := Start(t)
	target := strings.TrimPrefix(s.URL, "http://")
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: ebios
    static_configs: [{targets: [%q]}]
    authorization:
      type: Bearer
      credentials_file: %q
  - job_name: ebios-no-credential
    static_configs: [{targets: [%q]}]
`, target, s.TokenFile, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, prom, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"), // #nosec G204 -- prometheus from PATH or apt, with arguments this test makes
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v", prom, err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })

	api := "http://" + addr + "/api/v1/"
	deadline := time.Now().Add(30 * time.Second)
	var up map[string]string
	var last string
	for time.Now().Before(deadline) {
		up, last = query(api, `up`)
		if up["ebios"] == "1" && up["ebios-no-credential"] == "0" {
			if got, _ := query(api, `ebios_ledger_entries_total`); got["ebios"] != "" {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	if up["ebios"] != "1" || up["ebios-no-credential"] != "0" {
		t.Fatalf("after 30 s, up by job = %v, want ebios 1 and ebios-no-credential 0 (last answer %s)\nPrometheus:\n%s", up, last, out.String())
	}
	if got, body := query(api, `ebios_ledger_entries_total`); got["ebios"] == "" {
		t.Fatalf("no ebios_ledger_entries_total from job ebios: %s", body)
	}
	// The target without the credential is down because /metrics said 401.
	resp, err := http.Get(api + "targets")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var targets struct {
		Data struct {
			ActiveTargets []struct {
				Labels    map[string]string `json:"labels"`
				LastError string            `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tg := range targets.Data.ActiveTargets {
		if tg.Labels["job"] == "ebios-no-credential" {
			found = true
			if !strings.Contains(tg.LastError, "401") {
				t.Errorf("the target without a credential failed with %q, want a 401", tg.LastError)
			}
		}
	}
	if !found {
		t.Error("Prometheus lists no target for job ebios-no-credential")
	}
}

// query runs an instant query and returns the values by job, and the body.
func query(api, q string) (map[string]string, string) {
	resp, err := http.Get(api + "query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err.Error()
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body) // #nosec G104 -- a short read shows as a decode error below
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.Unmarshal(buf.Bytes(), &r) != nil {
		return nil, buf.String()
	}
	vals := map[string]string{}
	for _, x := range r.Data.Result {
		v, _ := x.Value[1].(string)
		vals[x.Metric["job"]] = v
	}
	return vals, buf.String()
}

// freeAddr returns a free 127.0.0.1 address (closed again for the caller).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
