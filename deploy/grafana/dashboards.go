// Package grafana defines the eBIOS Grafana dashboards as code (with the
// Grafana Foundation SDK): API performance, system resources, storage and
// ledger, security events. `go run ./deploy/grafana/gen` writes them as
// JSON to deploy/grafana/dashboards/, which Grafana loads through
// deploy/grafana/provisioning/; a test fails when the committed JSON
// differs from what this code makes, or when a query names a metric the
// server does not expose.
package grafana

//lint:file-ignore SA1019 the classic dashboard JSON (package dashboard) is what Grafana's file provisioning loads in every version; dashboardv2 needs Grafana 12 with the dynamic dashboards feature enabled.

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// DatasourceUID is the uid of the Prometheus datasource that
// provisioning/datasources/prometheus.yml creates and every panel uses.
const DatasourceUID = "ebios-prometheus"

var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr(DatasourceUID)}

// q is one query of a panel: a PromQL expression and its legend.
type q struct{ expr, legend string }

func target(refID string, x q) *prometheus.DataqueryBuilder {
	b := prometheus.NewDataqueryBuilder().RefId(refID).Expr(x.expr).Datasource(datasource)
	if x.legend != "" {
		b = b.LegendFormat(x.legend)
	}
	return b
}

// graph is a time series panel, half the width of the dashboard.
func graph(title, unit, desc string, qs ...q) cog.Builder[dashboard.Panel] {
	p := timeseries.NewPanelBuilder().Title(title).Description(desc).Unit(unit).Datasource(datasource).
		Height(8).Span(12).Min(0)
	for i, x := range qs {
		p = p.WithTarget(target(string(rune('A'+i)), x))
	}
	return p
}

// single is a stat panel showing one current value.
func single(title, unit, desc string, x q) cog.Builder[dashboard.Panel] {
	return stat.NewPanelBuilder().Title(title).Description(desc).Unit(unit).Datasource(datasource).
		Height(4).Span(6).WithTarget(target("A", x))
}

func board(uid, title, desc string, panels ...cog.Builder[dashboard.Panel]) *dashboard.DashboardBuilder {
	b := dashboard.NewDashboardBuilder(title).Uid(uid).Description(desc).Tags([]string{"ebios"}).
		Refresh("30s").Time("now-6h", "now").Timezone(common.TimeZoneBrowser)
	for _, p := range panels {
		b = b.WithPanel(p)
	}
	return b
}

// quantile is the PromQL of a quantile of a histogram over all its series.
func quantile(phi, metric, by string) string {
	return fmt.Sprintf("histogram_quantile(%s, sum by (%sle) (rate(%s_bucket[$__rate_interval])))", phi, by, metric)
}

// Builders returns the dashboards, by file name (without .json).
func Builders() map[string]*dashboard.DashboardBuilder {
	return map[string]*dashboard.DashboardBuilder{
		"ebios-api": board("ebios-api", "eBIOS / API performance",
			"Requests, latency and errors of the eBIOS HTTP API (ebios_request_*).",
			single("Requests per second", "reqps", "All routes.", q{`sum(rate(ebios_requests_total[$__rate_interval]))`, ""}),
			single("p95 latency", "s", "95th percentile of request durations, all routes; the EbiosHighLatency alert excludes export and verify.",
				q{quantile("0.95", "ebios_request_duration_seconds", ""), ""}),
			single("5xx ratio", "percentunit", "Share of requests answered with a server error (EbiosServerErrors at 1%).",
				q{`sum(rate(ebios_requests_total{status=~"5.."}[$__rate_interval])) / sum(rate(ebios_requests_total[$__rate_interval]))`, ""}),
			single("Requests in flight", "short", "Requests being served now.", q{`sum(ebios_active_connections)`, ""}),
			graph("Requests by route", "reqps", "Request rate by route pattern.",
				q{`sum by (route) (rate(ebios_requests_total[$__rate_interval]))`, "{{route}}"}),
			graph("Responses by status", "reqps", "Request rate by HTTP status.",
				q{`sum by (status) (rate(ebios_requests_total[$__rate_interval]))`, "{{status}}"}),
			graph("Latency quantiles", "s", "p50, p95 and p99 of request durations, all routes.",
				q{quantile("0.5", "ebios_request_duration_seconds", ""), "p50"},
				q{quantile("0.95", "ebios_request_duration_seconds", ""), "p95"},
				q{quantile("0.99", "ebios_request_duration_seconds", ""), "p99"}),
			graph("p95 latency by route", "s", "95th percentile of request durations by route pattern.",
				q{quantile("0.95", "ebios_request_duration_seconds", "route, "), "{{route}}"}),
			graph("Operations", "ops", "Executed N/U operations by operation and mode.",
				q{`sum by (operation, mode) (rate(ebios_operations_total[$__rate_interval]))`, "{{operation}} {{mode}}"}),
		),
		"ebios-system": board("ebios-system", "eBIOS / System resources",
			"The server process: CPU, memory, goroutines, file descriptors, and the data directory's disk.",
			graph("CPU", "percentunit", "CPU time used per second (1 = one core).",
				q{`rate(process_cpu_seconds_total[$__rate_interval])`, "{{instance}}"}),
			graph("Memory", "bytes", "Resident memory and Go heap in use.",
				q{`process_resident_memory_bytes`, "resident {{instance}}"},
				q{`go_memstats_heap_inuse_bytes`, "heap in use {{instance}}"}),
			graph("Goroutines", "short", "Goroutines of the server.", q{`go_goroutines`, "{{instance}}"}),
			graph("Open file descriptors", "short", "Open file descriptors and their limit.",
				q{`process_open_fds`, "open {{instance}}"}, q{`process_max_fds`, "limit {{instance}}"}),
			graph("Data directory free", "percentunit", "Free share of the data directory's file system (EbiosDiskNearlyFull below 10%).",
				q{`ebios_data_dir_free_bytes / ebios_data_dir_size_bytes`, "{{instance}}"}),
			graph("GC pauses", "s", "Go garbage collection pause quantiles.",
				q{`go_gc_duration_seconds{quantile="1"}`, "max {{instance}}"}),
		),
		"ebios-ledger": board("ebios-ledger", "eBIOS / Storage and ledger",
			"The ledger: its size, commit and fsync latency, batch sizes, checkpoint age and backups.",
			single("Entries", "short", "Entries in the ledger.", q{`max(ebios_ledger_entries_total)`, ""}),
			single("Checkpoint age", "s", "Seconds since the ledger last signed a checkpoint (EbiosCheckpointStale).",
				q{`max(ebios_checkpoint_age_seconds)`, ""}),
			single("Last backup", "s", "Seconds since the last successful backup (EbiosBackupStale after 2 h).",
				q{`time() - max(ebios_backup_last_success_timestamp_seconds)`, ""}),
			single("Ledger file", "bytes", "Size of the ledger's BuntDB file.", q{`max(ebios_ledger_file_bytes)`, ""}),
			graph("Appends per second", "short", "Entries committed per second.",
				q{`sum(rate(ebios_commit_batch_entries_sum[$__rate_interval]))`, "entries/s"}),
			graph("Batch size", "short", "Entries per batch row: mean and p99.",
				q{`sum(rate(ebios_commit_batch_entries_sum[$__rate_interval])) / sum(rate(ebios_commit_batch_entries_count[$__rate_interval]))`, "mean"},
				q{quantile("0.99", "ebios_commit_batch_entries", ""), "p99"}),
			graph("Commit latency", "s", "Writing one batch row, before its fsync: p50 and p99.",
				q{quantile("0.5", "ebios_commit_duration_seconds", ""), "p50"},
				q{quantile("0.99", "ebios_commit_duration_seconds", ""), "p99"}),
			graph("fsync latency", "s", "One fsync of the ledger file: p50 and p99 (EbiosSlowFsync above 100 ms).",
				q{quantile("0.5", "ebios_fsync_duration_seconds", ""), "p50"},
				q{quantile("0.99", "ebios_fsync_duration_seconds", ""), "p99"}),
			graph("Ledger size", "short", "Entries in the ledger over time.", q{`ebios_ledger_entries_total`, "{{instance}}"}),
			graph("Disk", "bytes", "Ledger file size and free space in the data directory.",
				q{`ebios_ledger_file_bytes`, "ledger file {{instance}}"}, q{`ebios_data_dir_free_bytes`, "free {{instance}}"}),
			graph("Backups", "short", "Backup runs by result in the window.",
				q{`sum by (result) (increase(ebios_backup_runs_total[$__rate_interval]))`, "{{result}}"}),
		),
		"ebios-security": board("ebios-security", "eBIOS / Security events",
			"Authentication failures, rate limiting, verification failures and refused requests.",
			single("Auth failures (1 h)", "short", "Authentication and authorization failures in the last hour.",
				q{`sum(increase(ebios_auth_failures_total[1h]))`, ""}),
			single("Rate-limited (1 h)", "short", "Requests refused with 429 in the last hour.",
				q{`sum(increase(ebios_rate_limited_total[1h]))`, ""}),
			single("Verification failures (24 h)", "short", "Entry or log verifications that did not pass in the last day (EbiosVerificationFailed).",
				q{`sum(increase(ebios_verification_failures_total[24h]))`, ""}),
			single("Refused requests (1 h)", "short", "Requests answered 401 or 403 in the last hour.",
				q{`sum(increase(ebios_requests_total{status=~"401|403"}[1h]))`, ""}),
			graph("Auth failures by reason", "short", "Failures per second by reason (missing, expired, bad_credentials, forbidden, ...).",
				q{`sum by (reason) (rate(ebios_auth_failures_total[$__rate_interval]))`, "{{reason}}"}),
			graph("Rate-limited by class", "short", "429s per second by route class.",
				q{`sum by (class) (rate(ebios_rate_limited_total[$__rate_interval]))`, "{{class}}"}),
			graph("401 and 403 by route", "reqps", "Refused requests by route.",
				q{`sum by (route, status) (rate(ebios_requests_total{status=~"401|403"}[$__rate_interval]))`, "{{status}} {{route}}"}),
			graph("Verification failures", "short", "Failed verifications by scope (entry, log).",
				q{`sum by (scope) (increase(ebios_verification_failures_total[$__rate_interval]))`, "{{scope}}"}),
		),
	}
}

// JSON builds the dashboards and returns their JSON (indented, with a
// final newline) by file name ("ebios-api.json").
func JSON() (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, b := range Builders() {
		d, err := b.Build()
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", name, err)
		}
		j, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", name, err)
		}
		out[name+".json"] = append(j, '\n')
	}
	return out, nil
}

// Queries returns every PromQL expression of the dashboards, keyed by
// "dashboard / panel #i".
func Queries() (map[string]string, error) {
	out := map[string]string{}
	for name, b := range Builders() {
		d, err := b.Build()
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", name, err)
		}
		for i, p := range d.Panels {
			if p.Panel == nil {
				continue
			}
			for j, t := range p.Panel.Targets {
				pq, ok := t.(prometheus.Dataquery)
				if !ok {
					return nil, fmt.Errorf("dashboard %s panel %d: query %d is a %T, not a Prometheus query", name, i, j, t)
				}
				out[fmt.Sprintf("%s / %s #%d", name, deref(p.Panel.Title), j)] = pq.Expr
			}
		}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Write writes the dashboards' JSON into dir, each file replaced whole
// (written to a temporary file, then renamed), and removes nothing else.
func Write(dir string) error {
	files, err := JSON()
	if err != nil {
		return err
	}
	for name, b := range files {
		path := filepath.Join(dir, name)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil { // #nosec G306 -- dashboards are public configuration, read by Grafana
			return fmt.Errorf("writing %s: %w", tmp, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp) // #nosec G104 -- cleanup on an error path: the error returned is the one to report
			return fmt.Errorf("replacing %s: %w", path, err)
		}
	}
	return nil
}

// Run is the gen command: `gen [-out DIR]`.
func Run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "deploy/grafana/dashboards", "directory to write the dashboards' JSON to")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./deploy/grafana/gen [-out DIR]\n\n"+
			"Writes the eBIOS Grafana dashboards (deploy/grafana/dashboards.go) as JSON files;\n"+
			"run it from the repository root after changing them, and commit the JSON.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := Write(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d dashboards to %s\n", len(Builders()), *out)
	return nil
}
