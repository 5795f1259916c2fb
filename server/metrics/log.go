package metrics

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"time"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id in ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestIDHeader is the header that carries the request id both ways.
const RequestIDHeader = "X-Request-ID"

// maxRequestIDLen bounds an incoming request id.
const maxRequestIDLen = 64

// saneRequestID reports whether a client's request id may be used as is:
// 1 to 64 characters from A-Z a-z 0-9 - _ . : (enough for UUIDs and trace
// ids, nothing that could forge a log line or a header).
func saneRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// NewRequestID returns a random request id: 16 random bytes in hex.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RequestID is middleware that gives every request an id: the client's
// X-Request-ID if it is sane (see above), else a new random one. The id is
// put in the request context (for the logger of NewLogger, which adds it to
// every line logged with that context) and in the X-Request-ID response
// header.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !saneRequestID(id) {
			id = NewRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(WithRequestID(r.Context(), id)))
	})
}

// NewLogger returns a slog logger writing JSON lines to w at level and
// above. Every record logged with a context that carries a request id (the
// *Context methods, e.g. logger.InfoContext(r.Context(), ...)) gets a
// "request_id" attribute.
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(&contextHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// contextHandler adds the request id from the context to each record.
type contextHandler struct{ slog.Handler }

func (h *contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestIDFrom(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h *contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &contextHandler{h.Handler.WithAttrs(as)}
}

func (h *contextHandler) WithGroup(name string) slog.Handler {
	return &contextHandler{h.Handler.WithGroup(name)}
}

// AccessLog is middleware that logs one line per request after it is
// served: method, route pattern, path, status, duration and response
// bytes, at Info, or Error for a 5xx. The query string is never logged. Put it inside RequestID so the
// line carries the request id, and wrap the ServeMux directly so the route
// is known (see Middleware).
func AccessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		if sw.Status() >= 500 {
			level = slog.LevelError
		}
		logger.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("route", routeLabel(r.Pattern)),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.Status()),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.Int64("bytes", sw.bytes),
		)
	})
}
