// Package rules holds the Prometheus alert rules of eBIOS (ebios.yml) and
// their promtool unit tests (ebios_test.yml); this test runs promtool on
// them and checks them against a real server's metrics and the runbook.
package rules

import (
	"log/slog"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ebios/ebios/internal/debpkg"
	"github.com/ebios/ebios/internal/promcheck"
	"github.com/ebios/ebios/internal/servetest"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// alerts are the alerts issue 18 asks for, by name.
var alerts = []string{
	"EbiosAuthFailureBurst",   // burst of auth failures
	"EbiosBackupStale",        // stale backup
	"EbiosCheckpointStale",    // stale checkpoint
	"EbiosDiskNearlyFull",     // disk nearly full
	"EbiosHighErrorRate",      // errors
	"EbiosHighLatency",        // latency
	"EbiosInstanceDown",       // instance down
	"EbiosRateLimitStorm",     // rate-limit storm
	"EbiosServerErrors",       // 5xx
	"EbiosSlowFsync",          // slow fsync
	"EbiosVerificationFailed", // verification failure
}

func loadRules(t *testing.T) map[string]rulefmt.Rule {
	t.Helper()
	rgs, errs := rulefmt.ParseFile("ebios.yml", false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		t.Fatalf("ebios.yml: %v", errs)
	}
	rules := map[string]rulefmt.Rule{}
	for _, g := range rgs.Groups {
		for _, r := range g.Rules {
			rules[r.Alert] = r
		}
	}
	return rules
}

// TestPromtool runs `promtool check rules` and `promtool test rules` (the
// Debian prometheus package's promtool, installed if missing).
func TestPromtool(t *testing.T) {
	promtool := debpkg.Program(t, "promtool", "the alert rule tests (deploy/prometheus/rules)", "prometheus")
	for _, args := range [][]string{{"check", "rules", "ebios.yml"}, {"test", "rules", "ebios_test.yml"}} {
		out, err := exec.Command(promtool, args...).CombinedOutput() // #nosec G204 -- promtool from PATH or apt, with fixed arguments
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestAlertsAndRunbook: exactly the alerts asked for, each with a severity,
// a summary and a runbook link to its own section of docs/runbook.md, and
// each tested in ebios_test.yml.
func TestAlertsAndRunbook(t *testing.T) {
	rules := loadRules(t)
	var names []string
	for n := range rules {
		names = append(names, n)
	}
	sort.Strings(names)
	if !reflect.DeepEqual(names, alerts) {
		t.Errorf("ebios.yml has alerts %v, want %v", names, alerts)
	}
	runbook, err := os.ReadFile("../../../docs/runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile("ebios_test.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		r := rules[n]
		if s := r.Labels["severity"]; s != "warning" && s != "critical" {
			t.Errorf("%s: severity %q, want warning or critical", n, s)
		}
		if r.Annotations["summary"] == "" {
			t.Errorf("%s has no summary", n)
		}
		if want := "docs/runbook.md#" + strings.ToLower(n); r.Annotations["runbook"] != want {
			t.Errorf("%s: runbook %q, want %q", n, r.Annotations["runbook"], want)
		}
		if !strings.Contains(string(runbook), "\n## "+n+"\n") {
			t.Errorf("docs/runbook.md has no section \"## %s\"", n)
		}
		if !strings.Contains(string(tests), "alertname: "+n+"\n") {
			t.Errorf("ebios_test.yml does not test %s", n)
		}
	}
}

// TestRuleMetricsExposed checks every metric name the rules use against
// the /metrics of a real server.
func TestRuleMetricsExposed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an eBIOS server (about 5 s)")
	}
	s := servetest.Start(t)
	s.Exercise(t)
	exposed := promcheck.Exposed(s.Scrape(t))
	queries := map[string]string{}
	for n, r := range loadRules(t) {
		queries["alert "+n] = r.Expr
	}
	for _, m := range promcheck.Missing(queries, exposed) {
		t.Error(m)
	}
}
