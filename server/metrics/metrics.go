package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
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

	commitDuration   prometheus.Histogram
	fsyncDuration    prometheus.Histogram
	batchEntries     prometheus.Histogram
	lastCheckpoint   atomic.Int64 // unix nanoseconds of the last checkpoint (or of New)
	verifyFailures   *prometheus.CounterVec
	backupLast       prometheus.Gauge
	backupRuns       *prometheus.CounterVec
	storageCollector *storageCollector
}

// DurationBuckets are the buckets of ebios_request_duration_seconds, from
// 100 µs to 10 s: fine below 10 ms, where the latency target is.
var DurationBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// BatchBuckets are the buckets of ebios_commit_batch_entries: powers of
// two up to the store's largest batch (ledgerstore.Options.MaxBatch, 4096).
var BatchBuckets = prometheus.ExponentialBuckets(1, 2, 13)

// VerifyScopes are the scope label values of
// ebios_verification_failures_total: one entry (GET
// /api/v1/ledger/verify/{op_id}) or the whole log (a verify job).
var VerifyScopes = []string{"entry", "log"}

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
		commitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ebios_commit_duration_seconds", Help: "Time to write one batch row of the ledger (before its fsync).",
			Buckets: DurationBuckets,
		}),
		fsyncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ebios_fsync_duration_seconds", Help: "Time of one fsync of the ledger file.",
			Buckets: DurationBuckets,
		}),
		batchEntries: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ebios_commit_batch_entries", Help: "Entries committed together in one batch row.",
			Buckets: BatchBuckets,
		}),
		verifyFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ebios_verification_failures_total", Help: "Verifications that did not pass, by scope (entry, log).",
		}, []string{"scope"}),
		backupLast: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ebios_backup_last_success_timestamp_seconds", Help: "Unix time of the last successful backup (0: none since start).",
		}),
		backupRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ebios_backup_runs_total", Help: "Backups run, by result (ok, error).",
		}, []string{"result"}),
	}
	m.lastCheckpoint.Store(time.Now().UnixNano())
	checkpointAge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ebios_checkpoint_age_seconds", Help: "Seconds since the ledger last signed a checkpoint (since the server started if it has not).",
	}, func() float64 { return time.Since(time.Unix(0, m.lastCheckpoint.Load())).Seconds() })
	m.storageCollector = &storageCollector{}
	m.reg.MustRegister(m.requests, m.duration, m.inFlight, m.operations, m.invariantFailures,
		m.ledgerEntries, m.rateLimited, m.authFailures,
		m.commitDuration, m.fsyncDuration, m.batchEntries, checkpointAge, m.verifyFailures,
		m.backupLast, m.backupRuns, m.storageCollector,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Known label values start at zero, so rate() and alerts work from the start.
	for _, c := range ratelimit.Classes {
		m.rateLimited.WithLabelValues(c)
	}
	for _, r := range auth.Reasons {
		m.authFailures.WithLabelValues(string(r))
	}
	for _, sc := range VerifyScopes {
		m.verifyFailures.WithLabelValues(sc)
	}
	m.backupRuns.WithLabelValues("ok")
	m.backupRuns.WithLabelValues("error")
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

// Committed records one batch row written by the ledger: how many entries
// it holds and how long the write took. It fits
// ledgerstore.Options.OnWrite.
func (m *Metrics) Committed(entries int, d time.Duration) {
	m.batchEntries.Observe(float64(entries))
	m.commitDuration.Observe(d.Seconds())
}

// Synced records one fsync of the ledger file; it fits
// ledgerstore.Options.OnSync.
func (m *Metrics) Synced(d time.Duration) { m.fsyncDuration.Observe(d.Seconds()) }

// CheckpointSigned records that the ledger signed a checkpoint at t, for
// ebios_checkpoint_age_seconds.
func (m *Metrics) CheckpointSigned(t time.Time) { m.lastCheckpoint.Store(t.UnixNano()) }

// VerificationFailed counts a verification that did not pass; scope is
// one of [VerifyScopes].
func (m *Metrics) VerificationFailed(scope string) { m.verifyFailures.WithLabelValues(scope).Inc() }

// BackupSucceeded records a backup that completed at t: it sets
// ebios_backup_last_success_timestamp_seconds and counts
// ebios_backup_runs_total{result="ok"}.
func (m *Metrics) BackupSucceeded(t time.Time) {
	m.backupLast.Set(float64(t.UnixNano()) / 1e9)
	m.backupRuns.WithLabelValues("ok").Inc()
}

// BackupFailed counts ebios_backup_runs_total{result="error"}.
func (m *Metrics) BackupFailed() { m.backupRuns.WithLabelValues("error").Inc() }

// WatchStorage makes the metrics report the data directory's free and
// total bytes (ebios_data_dir_free_bytes, ebios_data_dir_size_bytes) and
// the size of the ledger file (ebios_ledger_file_bytes), read at each
// scrape. An empty path leaves that metric out; call it once, before
// serving.
func (m *Metrics) WatchStorage(dataDir, ledgerFile string) {
	m.storageCollector.set(dataDir, ledgerFile)
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
