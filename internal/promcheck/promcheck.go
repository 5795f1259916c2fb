// Package promcheck checks PromQL queries (of alert rules and dashboards)
// against the metrics a real eBIOS server exposes, so that a renamed or
// missing metric fails a test instead of leaving an alert that never fires
// or an empty panel.
package promcheck

import (
	"fmt"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/promql/parser"
)

// Synthetic are the metric names Prometheus makes itself for every target
// (not in the server's /metrics); queries may use them.
var Synthetic = map[string]bool{"up": true, "scrape_duration_seconds": true, "scrape_samples_scraped": true}

// MetricNames returns the metric names a PromQL expression selects, sorted
// and without repeats. Grafana's $__rate_interval and $__interval are
// replaced by 5m first, so that dashboard queries parse.
func MetricNames(expr string) ([]string, error) {
	expr = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h").Replace(expr)
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if m.Name == "__name__" {
					name = m.Value
				}
			}
			if name != "" {
				seen[name] = true
			}
		}
		return nil
	})
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// Exposed returns the sample names of scraped metric families: a counter
// or gauge by its name; a histogram by name_bucket, name_sum and
// name_count; a summary by its name, name_sum and name_count.
func Exposed(mfs map[string]*dto.MetricFamily) map[string]bool {
	names := map[string]bool{}
	for name, mf := range mfs {
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[name], names[name+"_sum"], names[name+"_count"] = true, true, true
		default:
			names[name] = true
		}
	}
	return names
}

// Missing returns, for each query (keyed by where it is, e.g. "alert
// EbiosSlowFsync"), the names it selects that are neither exposed nor
// Synthetic, as "where: name" lines; a query that does not parse is
// reported too.
func Missing(queries map[string]string, exposed map[string]bool) []string {
	var out []string
	for where, q := range queries {
		names, err := MetricNames(q)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: does not parse: %v", where, err))
			continue
		}
		for _, n := range names {
			if !exposed[n] && !Synthetic[n] {
				out = append(out, fmt.Sprintf("%s: %s is not exposed by the server", where, n))
			}
		}
	}
	sort.Strings(out)
	return out
}
