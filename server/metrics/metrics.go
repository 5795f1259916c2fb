package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ratelimit"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the eBIOS metrics in a registry of their own (not the
// global one, so tests and several servers in one process do not clash).
// All methods are safe for concurrent use.
type Metrics struct {
	reg               *prometheus.Registry
	requests          *prometheus.CounterVec
	duration          *prometheus.HistogramVec
	inFlight          prometheus.Gauge
	operations        *prometheus.CounterVec
	invariantFailures *prometheus.CounterVec
	ledgerEntries     prometheus.Gauge
	rateLimited       *prometheus.CounterVec
	authFailures      *prometheus.CounterVec
}

// DurationBuckets are the buckets of ebios_request_duration_seconds, from
// 100 µs to 10 s: fine below 10 ms, where the latency target is.
var DurationBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New returns the metrics, registered with the Go runtime and process
// collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ebios_requests_total", Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ebios_request_duration_seconds", Help: "HTTP request duration by method and route pattern.",
			Buckets: DurationBuckets,
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ebios_active_connections", Help: "HTTP requests being served.",
		}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ebios_operations_total", Help: "Executed N/U operations by operation and mode.",
		}, []string{"operation", "mode"}),
		invariantFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ebios_invariant_failures_total", Help: "Operations refused because a result would break an invariant.",
		}, []string{"operation"}),
		ledgerEntries: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ebios_ledger_entries_total", Help: "Entries in the ledger (its tree size).",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ebios_rate_limited_total", Help: "Requests refused with 429 by route class.",
		}, []string{"class"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ebios_auth_failures_total", Help: "Authentication and authorization failures by reason.",
		}, []string{"reason"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.inFlight, m.operations, m.invariantFailures,
		m.ledgerEntries, m.rateLimited, m.authFailures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Known label values start at zero, so rate() and alerts work from the start.
	for _, c := range ratelimit.Classes {
		m.rateLimited.WithLabelValues(c)
	}
	for _, r := range auth.Reasons {
		m.authFailures.WithLabelValues(string(r))
	}
	return m
}

// Registry returns the registry, to register more collectors or to gather.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format (for /metrics;
// protect it with auth.PermMetricsRead).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, MaxRequestsInFlight: 4})
}

// Operation counts one executed operation. Pass only known operation and
// mode names (not raw client input), to bound the label values.
func (m *Metrics) Operation(operation, mode string) {
	m.operations.WithLabelValues(operation, mode).Inc()
}

// InvariantFailure counts an operation refused by an invariant check.
func (m *Metrics) InvariantFailure(operation string) {
	m.invariantFailures.WithLabelValues(operation).Inc()
}

// SetLedgerEntries sets ebios_ledger_entries_total to the ledger's size.
// It is a gauge, so that it is right after a restart too.
func (m *Metrics) SetLedgerEntries(n uint64) { m.ledgerEntries.Set(float64(n)) }

// RateLimited counts a 429; it fits ratelimit.Config.OnLimited.
func (m *Metrics) RateLimited(class string) { m.rateLimited.WithLabelValues(class).Inc() }

// AuthFailed counts an auth failure; it fits auth.Options.OnFailure.
func (m *Metrics) AuthFailed(reason auth.Reason) {
	m.authFailures.WithLabelValues(string(reason)).Inc()
}

// Unmatched is the route label of requests that matched no pattern.
const Unmatched = "unmatched"

// Middleware records ebios_requests_total, ebios_request_duration_seconds
// and ebios_active_connections. The route label is the ServeMux pattern
// that matched (r.Pattern, e.g. "/ledger/verify/{op_id}", without its
// method), never the raw path, so the number of series stays bounded;
// requests that match no pattern are labelled "unmatched" and methods
// outside the standard ones "OTHER".
//
// ServeMux sets r.Pattern on the request it is given, so Middleware must
// wrap the ServeMux itself, or sit outside only middleware that passes the
// same *http.Request on (middleware that calls r.WithContext belongs inside
// the routes, or outside Middleware).
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Inc()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			m.inFlight.Dec()
			method, route := methodLabel(r.Method), routeLabel(r.Pattern)
			m.requests.WithLabelValues(method, route, strconv.Itoa(sw.Status())).Inc()
			m.duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// routeLabel strips the method from a pattern ("GET /x" → "/x").
func routeLabel(pattern string) string {
	if pattern == "" {
		return Unmatched
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		return strings.TrimLeft(pattern[i:], " \t")
	}
	return pattern
}

// statusWriter records the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 { // 1xx are interim
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Flush passes flushes on, for streaming responses.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Status is the status written, 200 if the handler wrote nothing.
func (w *statusWriter) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
