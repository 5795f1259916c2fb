package ratelimit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ebios/ebios/core/nu"
)

// CategoryRateLimit is the error category of the 429 error.
const CategoryRateLimit nu.Category = "rate_limit"

// CodeRateLimited is the error code of a request refused by the limiter.
const CodeRateLimited = "RATE_001"

// maxForwardedHops bounds how far X-Forwarded-For is walked.
const maxForwardedHops = 32

// ClientAddr returns the address a request is limited under. It is the
// direct peer (r.RemoteAddr), unless the peer is a trusted proxy: then
// X-Forwarded-For is walked from the right, skipping trusted proxies, and
// the first untrusted address is the client. A client cannot spoof its
// address by sending X-Forwarded-For itself: from an untrusted peer the
// header is ignored, and through a trusted proxy only the entries the
// proxies appended are believed. If the walk meets an unparsable entry it
// stops at the last good one. The zero Addr means the peer address could
// not be parsed (all such requests share one bucket).
func (l *Limiter) ClientAddr(r *http.Request) netip.Addr {
	peer := parsePeer(r.RemoteAddr)
	if len(l.trusted) == 0 || !contains(l.trusted, peer) {
		return peer
	}
	client := peer
	hops := 0
	xff := r.Header.Values("X-Forwarded-For")
	for i := len(xff) - 1; i >= 0; i-- {
		s := xff[i]
		for s != "" {
			var item string
			if j := strings.LastIndexByte(s, ','); j >= 0 {
				item, s = s[j+1:], s[:j]
			} else {
				item, s = s, ""
			}
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			a, ok := parseHop(item)
			if !ok {
				return client
			}
			client = a
			if hops++; hops >= maxForwardedHops || !contains(l.trusted, a) {
				return client
			}
		}
	}
	return client
}

func parsePeer(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

// parseHop parses one X-Forwarded-For entry: an address, optionally with a
// port ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// Middleware limits the requests of class: every limited response carries
// X-RateLimit-Limit (bucket size), X-RateLimit-Remaining (whole requests
// left now) and X-RateLimit-Reset (Unix time, in seconds, when the bucket
// is full again); a refused request gets 429 with Retry-After (seconds) and
// the structured error RATE_001. Allowlisted clients pass without headers.
// It panics if class has no rule.
func (l *Limiter) Middleware(class string, next http.Handler) http.Handler {
	i, ok := l.classes[class]
	if !ok {
		panic("ratelimit: unknown class " + class)
	}
	rule := l.rules[i]
	limit := strconv.Itoa(rule.Burst)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := l.allowIndex(i, l.ClientAddr(r))
		if d.Bypass {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h["X-Ratelimit-Limit"] = []string{limit}
		h["X-Ratelimit-Remaining"] = []string{strconv.Itoa(d.Remaining)}
		h["X-Ratelimit-Reset"] = []string{strconv.FormatInt(ceilUnix(d.Reset), 10)}
		if d.Allowed {
			next.ServeHTTP(w, r)
			return
		}
		if l.onLimited != nil {
			l.onLimited(class)
		}
		retry := int64((d.RetryAfter + time.Second - 1) / time.Second)
		if retry < 1 {
			retry = 1
		}
		h.Set("Retry-After", strconv.FormatInt(retry, 10))
		writeError(w, &nu.Error{
			Code:     CodeRateLimited,
			Category: CategoryRateLimit,
			Message:  "rate limit exceeded",
			Details: fmt.Sprintf("class %s allows %d requests per %v with bursts of %d; retry in %d s",
				class, rule.Requests, rule.Window, rule.Burst, retry),
			Remediation: "wait the number of seconds in the Retry-After header before retrying; " +
				"if this limit is too low for your use, ask the operator to raise rate_limit_" + class,
		})
	})
}

func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

func writeError(w http.ResponseWriter, e *nu.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(struct {
		Error *nu.Error `json:"error"`
	}{e})
}
