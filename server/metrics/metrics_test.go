package metrics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ratelimit"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newServer(t *testing.T, m *Metrics, logger *slog.Logger) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ledger/verify/{op_id}", func(w http.ResponseWriter, r *http.Request) {
		if logger != nil {
			logger.InfoContext(r.Context(), "verifying", "op_id", r.PathValue("op_id"))
			logger.With("component", "ledger").WithGroup("g").InfoContext(r.Context(), "nested")
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("POST /operations/execute", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
	})
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "x", http.StatusInternalServerError)
	})
	mux.Handle("GET /metrics", m.Handler())
	var h http.Handler = m.Middleware(mux)
	if logger != nil {
		h = RequestID(AccessLog(logger, h))
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func request(t *testing.T, method, url string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestMiddlewareUsesPatterns(t *testing.T) {
	m := New()
	srv := newServer(t, m, nil)
	for _, id := range []string{"a", "b", "c", "d"} {
		request(t, "GET", srv.URL+"/ledger/verify/"+id, nil)
	}
	request(t, "POST", srv.URL+"/operations/execute", nil)
	request(t, "GET", srv.URL+"/boom", nil)
	request(t, "GET", srv.URL+"/no/such/path/1", nil)
	request(t, "GET", srv.URL+"/no/such/path/2", nil)
	request(t, "BREW", srv.URL+"/ledger/verify/x", nil)

	for _, tc := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"GET", "/ledger/verify/{op_id}", "200"}, 4},
		{[]string{"POST", "/operations/execute", "400"}, 1},
		{[]string{"GET", "/boom", "500"}, 1},
		{[]string{"GET", Unmatched, "404"}, 2},
		{[]string{"OTHER", Unmatched, "405"}, 1},
	} {
		if got := testutil.ToFloat64(m.requests.WithLabelValues(tc.labels...)); got != tc.want {
			t.Errorf("ebios_requests_total%v = %v, want %v", tc.labels, got, tc.want)
		}
	}
	if n := testutil.CollectAndCount(m.requests); n != 5 {
		t.Errorf("%d request series, want 5 (raw paths must not become labels)", n)
	}
	if n := testutil.CollectAndCount(m.duration); n != 5 {
		t.Errorf("%d duration series, want 5", n)
	}
	if got := testutil.ToFloat64(m.inFlight); got != 0 {
		t.Errorf("in flight %v after all requests", got)
	}
}

func TestHandlerExposesSeedNames(t *testing.T) {
	m := New()
	m.Operation("add", "nu")
	m.Operation("add", "nu")
	m.InvariantFailure("div")
	m.SetLedgerEntries(42)
	m.RateLimited("execute")
	m.AuthFailed(auth.ReasonExpired)
	srv := newServer(t, m, nil)
	request(t, "GET", srv.URL+"/ledger/verify/x", nil)
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{
		`ebios_requests_total{method="GET",route="/ledger/verify/{op_id}",status="200"} 1`,
		`ebios_request_duration_seconds_bucket{method="GET",route="/ledger/verify/{op_id}",le="0.01"}`,
		`ebios_operations_total{mode="nu",operation="add"} 2`,
		`ebios_invariant_failures_total{operation="div"} 1`,
		`ebios_ledger_entries_total 42`,
		`ebios_rate_limited_total{class="execute"} 1`,
		`ebios_rate_limited_total{class="auth"} 0`,
		`ebios_auth_failures_total{reason="expired"} 1`,
		`ebios_auth_failures_total{reason="refresh_reuse"} 0`,
		`ebios_active_connections`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The hooks have the shapes the other packages expect.
	var _ func(auth.Reason) = m.AuthFailed
	var _ = ratelimit.Config{OnLimited: m.RateLimited}
}

func TestRequestIDInEveryLogLine(t *testing.T) {
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"none", "", false},
		{"sane", "trace-0af7651916cd43dd8448eb211c80319c", true},
		{"uuid", "123e4567-e89b-12d3-a456-426614174000", true},
		{"too long", strings.Repeat("a", 65), false},
		{"log injection", `x","level":"ERROR`, false},
		{"spaces", "a b", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := NewLogger(&buf, slog.LevelInfo)
			srv := newServer(t, New(), logger)
			hdr := map[string]string{}
			if tc.sent != "" {
				hdr[RequestIDHeader] = tc.sent
			}
			resp := request(t, "GET", srv.URL+"/ledger/verify/op1", hdr)
			id := resp.Header.Get(RequestIDHeader)
			if tc.kept && id != tc.sent {
				t.Fatalf("id %q, want the client's %q", id, tc.sent)
			}
			if !tc.kept && (id == tc.sent || len(id) != 32) {
				t.Fatalf("id %q, want a fresh one", id)
			}
			srv.Close() // flush: the access log line is written after the response
			lines := 0
			sc := bufio.NewScanner(&buf)
			for sc.Scan() {
				lines++
				var rec map[string]any
				if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
					t.Fatalf("not JSON: %s", sc.Text())
				}
				if rec["request_id"] != id {
					if g, ok := rec["g"].(map[string]any); !ok || g["request_id"] != id {
						t.Errorf("line without the request id: %s", sc.Text())
					}
				}
				if rec["msg"] == "request" && (rec["route"] != "/ledger/verify/{op_id}" || rec["status"] != float64(200)) {
					t.Errorf("access line %s", sc.Text())
				}
			}
			if lines != 3 {
				t.Fatalf("%d log lines, want 3:\n%s", lines, buf.String())
			}
		})
	}
}

func TestAccessLogLevels(t *testing.T) {
	var buf bytes.Buffer
	srv := newServer(t, New(), NewLogger(&buf, slog.LevelWarn))
	request(t, "GET", srv.URL+"/ledger/verify/x", nil) // info lines: filtered
	request(t, "GET", srv.URL+"/boom", nil)
	srv.Close()
	out := strings.TrimSpace(buf.String())
	if strings.Count(out, "\n") != 0 || !strings.Contains(out, `"level":"ERROR"`) || !strings.Contains(out, `"route":"/boom"`) {
		t.Fatalf("log at warn:\n%s", out)
	}
	if RequestIDFrom(WithRequestID(t.Context(), "x")) != "x" || RequestIDFrom(t.Context()) != "" {
		t.Error("context round trip")
	}
}

func TestStatusWriter(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
		want int
	}{
		{"nothing", func(w http.ResponseWriter, r *http.Request) {}, 200},
		{"write", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) }, 200},
		{"header", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201); w.WriteHeader(500) }, 201},
		{"interim", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(103); w.WriteHeader(204) }, 204},
		{"flush", func(w http.ResponseWriter, r *http.Request) {
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Error(err)
			}
		}, 200},
	} {
		rec := httptest.NewRecorder()
		sw := &statusWriter{ResponseWriter: rec}
		tc.h(sw, httptest.NewRequest("GET", "/", nil))
		if sw.Status() != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, sw.Status(), tc.want)
		}
	}
	for in, want := range map[string]string{"": Unmatched, "/x": "/x", "GET /x/{id}": "/x/{id}", "example.org/x": "example.org/x"} {
		if got := routeLabel(in); got != want {
			t.Errorf("routeLabel(%q) = %q", in, got)
		}
	}
}

func BenchmarkMiddleware(b *testing.B) {
	m := New()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /operations/execute", func(w http.ResponseWriter, r *http.Request) {})
	h := m.Middleware(mux)
	req := httptest.NewRequest("POST", "/operations/execute", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
