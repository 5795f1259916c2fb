package grafana

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ebios/ebios/internal/promcheck"
	"github.com/ebios/ebios/internal/servetest"
)

// TestCommittedJSONIsCurrent regenerates the dashboards and fails on any
// difference from deploy/grafana/dashboards/, or on a file there that the
// code no longer makes.
func TestCommittedJSONIsCurrent(t *testing.T) {
	want, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 4 {
		t.Errorf("%d dashboards, want the 4 views (API, system, ledger, security)", len(want))
	}
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join("dashboards", name))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("dashboards/%s is not what deploy/grafana/dashboards.go makes (%v); run go run ./deploy/grafana/gen and commit it", name, err)
		}
	}
	files, _ := filepath.Glob(filepath.Join("dashboards", "*"))
	for _, f := range files {
		if want[filepath.Base(f)] == nil {
			t.Errorf("%s is not made by the generator; remove it", f)
		}
	}
}

// TestGenWrites runs the generator into a temporary directory.
func TestGenWrites(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := Run([]string{"-out", dir}, &out, &errb); err != nil {
		t.Fatalf("gen: %v\n%s", err, errb.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "ebios-api.json ebios-ledger.json ebios-security.json ebios-system.json" {
		t.Errorf("gen wrote %v", names)
	}
	if err := Run([]string{"-out", filepath.Join(dir, "missing", "dir")}, &out, &errb); err == nil {
		t.Error("gen into a missing directory succeeded")
	}
	if err := Run([]string{"extra"}, &out, &errb); err == nil {
		t.Error("gen accepted an argument")
	}
}

// TestQueriesUseExposedMetrics checks every query's metric names against
// the /metrics of a real server, and that every query parses.
func TestQueriesUseExposedMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an eBIOS server (about 5 s)")
	}
	queries, err := Queries()
	if err != nil {
		t.Fatal(err)
	}
	if len(queries) < 30 {
		t.Fatalf("only %d queries found in the dashboards", len(queries))
	}
	s := servetest.Start(t)
	s.Exercise(t)
	for _, m := range promcheck.Missing(queries, promcheck.Exposed(s.Scrape(t))) {
		t.Error(m)
	}
}

// TestProvisioningMatches: the datasource uid the panels use is the one
// provisioned, and the dashboards provider reads the mounted directory.
func TestProvisioningMatches(t *testing.T) {
	ds, err := os.ReadFile("provisioning/datasources/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"uid: " + DatasourceUID + "\n", "url: http://prometheus:9090\n", "type: prometheus\n"} {
		if !strings.Contains(string(ds), want) {
			t.Errorf("provisioning/datasources/prometheus.yml lacks %q", want)
		}
	}
	dp, err := os.ReadFile("provisioning/dashboards/ebios.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dp), "path: /var/lib/grafana/dashboards\n") {
		t.Error("provisioning/dashboards/ebios.yml does not read /var/lib/grafana/dashboards")
	}
}
