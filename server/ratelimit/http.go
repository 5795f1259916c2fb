package ratelimit

import (
	"encoding/json"
	"fmt"
	"math"
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

// route is how Middleware limits one route: the class whose bucket it
// pays from, its price, and its time charge.
type route struct {
	class     int
	tokens    int
	perSecond float64
}

// Middleware limits the requests of name: a class, whose requests take one
// token each, or a priced route of [Config.Costs], whose requests take
// their price from its class's bucket and are charged for their time
// ([Cost]). Every limited response carries X-RateLimit-Limit (bucket
// size), X-RateLimit-Remaining (whole tokens left now: requests, for a
// class) and X-RateLimit-Reset (Unix time, in seconds, when the bucket is
// full again), and a priced route's X-RateLimit-Cost (its price); a
// refused request gets 429 with Retry-After (seconds) and the structured
// error RATE_001. In a class with a concurrency cap (Config.Concurrency), a
// request while the client has that many running is refused too. Allowlisted
// clients pass without headers. It panics if name is neither a class nor
// a priced route.
func (l *Limiter) Middleware(name string, next http.Handler) http.Handler {
	rt, priced := l.costs[name]
	if !priced {
		i, ok := l.classes[name]
		if !ok {
			panic("ratelimit: unknown class " + name)
		}
		rt = route{class: i, tokens: 1}
	}
	class := l.names[rt.class]
	rule := l.rules[rt.class]
	limit := strconv.Itoa(rule.Burst)
	cost := []string{strconv.Itoa(rt.tokens)}
	hold := priced || l.conc[rt.class] > 0 // track the request until it ends
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, e := l.allowIndex(rt.class, l.ClientAddr(r), rt.tokens, hold)
		if d.Bypass {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h["X-Ratelimit-Limit"] = []string{limit}
		h["X-Ratelimit-Remaining"] = []string{strconv.Itoa(d.Remaining)}
		h["X-Ratelimit-Reset"] = []string{strconv.FormatInt(ceilUnix(d.Reset), 10)}
		if priced {
			h["X-Ratelimit-Cost"] = cost
		}
		if d.Allowed {
			if e == nil {
				next.ServeHTTP(w, r)
				return
			}
			start := l.now()
			defer func() { l.release(e, rt.timeCharge(l.now().Sub(start))) }()
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
		err := &nu.Error{
			Code:     CodeRateLimited,
			Category: CategoryRateLimit,
			Message:  "rate limit exceeded",
			Details: fmt.Sprintf("class %s allows %d requests per %v with bursts of %d; retry in %d s",
				class, rule.Requests, rule.Window, rule.Burst, retry),
			Remediation: "wait the number of seconds in the Retry-After header before retrying; " +
				"if this limit is too low for your use, ask the operator to raise rate_limit_" + class,
		}
		switch {
		case d.Busy:
			err.Message = "too many requests running at once"
			err.Details = fmt.Sprintf("class %s allows %d requests in flight per client", class, l.conc[rt.class])
			err.Remediation = "wait for your running requests to finish, then retry; do not send these requests in parallel"
		case priced:
			err.Details = fmt.Sprintf("class %s allows %d tokens per %v with bursts of %d; %s costs %d tokens%s; retry in %d s",
				class, rule.Requests, rule.Window, rule.Burst, name, rt.tokens, perToken(rt.perSecond), retry)
			err.Remediation = "wait the number of seconds in the Retry-After header before retrying; " +
				"if this limit is too low for your use, ask the operator to raise rate_limit_" + class +
				" or to lower rate_limit_cost_" + name
		}
		writeError(w, err)
	})
}

// timeCharge is what a request of rt that ran for d owes beyond its price.
func (rt route) timeCharge(d time.Duration) int {
	if rt.perSecond <= 0 || d <= 0 {
		return 0
	}
	return int(math.Min(d.Seconds()*rt.perSecond, maxCost+float64(rt.tokens))) - rt.tokens
}

// perToken describes the time charge: ", and a token per 100ms of its
// work beyond that", or "" without one.
func perToken(perSecond float64) string {
	if perSecond <= 0 {
		return ""
	}
	return ", and a token per " + time.Duration(float64(time.Second)/perSecond).String() + " of its work beyond that"
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
