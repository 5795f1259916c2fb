package promcheck

import (
	"reflect"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

func TestMetricNames(t *testing.T) {
	for _, c := range []struct {
		expr string
		want []string
	}{
		{`up{job="ebios"} == 0`, []string{"up"}},
		{`histogram_quantile(0.95, sum by (le) (rate(ebios_request_duration_seconds_bucket[$__rate_interval])))`, []string{"ebios_request_duration_seconds_bucket"}},
		{`a / b and on (instance) {__name__="c"}`, []string{"a", "b", "c"}},
		{`time() - x > 7200`, []string{"x"}},
		{`sum(rate(x[5m])) / sum(rate(x[5m]))`, []string{"x"}},
	} {
		got, err := MetricNames(c.expr)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("MetricNames(%q) = %v, %v; want %v", c.expr, got, err, c.want)
		}
	}
	if _, err := MetricNames(`sum(`); err == nil {
		t.Error("a broken query parsed")
	}
}

func TestMissing(t *testing.T) {
	h, c := dto.MetricType_HISTOGRAM, dto.MetricType_COUNTER
	exposed := Exposed(map[string]*dto.MetricFamily{"lat": {Type: &h}, "reqs": {Type: &c}})
	got := Missing(map[string]string{
		"ok":      `rate(lat_bucket[5m]) + rate(lat_count[5m]) + reqs + up`,
		"renamed": `rate(requests_total[5m])`,
		"raw":     `lat`, // a histogram has no plain series
		"broken":  `rate(`,
	}, exposed)
	want := []string{
		"broken: does not parse: 1:6: parse error: unclosed left parenthesis",
		"raw: lat is not exposed by the server",
		"renamed: requests_total is not exposed by the server",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Missing = %q\nwant      %q", got, want)
	}
}
