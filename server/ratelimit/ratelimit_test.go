package ratelimit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ebios/ebios/core/nu"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func mustPrefixes(ss ...string) []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range ss {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			p = netip.PrefixFrom(netip.MustParseAddr(s), netip.MustParseAddr(s).BitLen())
		}
		ps = append(ps, p)
	}
	return ps
}

func TestParseRule(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Rule
	}{
		{"100/minute", Rule{100, time.Minute, 100}},
		{"100/60", Rule{100, time.Minute, 100}},
		{"100/m burst 20", Rule{100, time.Minute, 20}},
		{"10/s", Rule{10, time.Second, 10}},
		{"5/1m30s burst 1", Rule{5, 90 * time.Second, 1}},
		{"  3/hour   burst  9 ", Rule{3, time.Hour, 9}},
	} {
		got, err := ParseRule(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseRule(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if back, err := ParseRule(got.String()); err != nil || back != got {
			t.Errorf("round trip %q → %q → %v, %v", tc.in, got.String(), back, err)
		}
	}
	for _, bad := range []string{"", "100", "x/minute", "100/fortnight", "0/minute", "-1/minute",
		"10/0", "10/48h", "10/minute burst", "10/minute burst 0", "10/minute burst x", "10/minute bust 5",
		"10/minute burst 2000000"} {
		if r, err := ParseRule(bad); err == nil {
			t.Errorf("ParseRule(%q) = %v, want error", bad, r)
		}
	}
}

func newLimiter(t testing.TB, cfg Config) *Limiter {
	t.Helper()
	if cfg.Rules == nil {
		cfg.Rules = map[string]Rule{"read": {Requests: 60, Window: time.Minute, Burst: 3}, "auth": {Requests: 1, Window: time.Minute, Burst: 1}}
	}
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type result struct {
	status                       int
	limit, remaining, reset, ret string
	body                         *nu.Error
}

func do(t *testing.T, h http.Handler, remote string, xff ...string) result {
	t.Helper()
	req := httptest.NewRequest("GET", "/x", nil)
	req.RemoteAddr = remote
	for _, v := range xff {
		req.Header.Add("X-Forwarded-For", v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := result{status: rec.Code, limit: rec.Header().Get("X-RateLimit-Limit"),
		remaining: rec.Header().Get("X-RateLimit-Remaining"), reset: rec.Header().Get("X-RateLimit-Reset"),
		ret: rec.Header().Get("Retry-After")}
	if rec.Code == http.StatusTooManyRequests {
		var b struct {
			Error *nu.Error `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Error == nil {
			t.Fatalf("429 body %q: %v", rec.Body, err)
		}
		r.body = b.Error
	}
	return r
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

func TestHeadersAnd429(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	var mu sync.Mutex
	var limited []string
	l := newLimiter(t, Config{Now: c.Now, OnLimited: func(class string) {
		mu.Lock()
		limited = append(limited, class)
		mu.Unlock()
	}})
	h := l.Middleware("read", ok)
	for i, want := range []string{"2", "1", "0"} {
		r := do(t, h, "192.0.2.1:1234")
		if r.status != 204 || r.limit != "3" || r.remaining != want || r.ret != "" {
			t.Fatalf("request %d: %+v", i, r)
		}
		// Full again after 3 tokens at 1/s: now + (3 - remaining) s.
		used, _ := strconv.Atoi(want)
		if r.reset != strconv.FormatInt(c.Now().Unix()+int64(3-used), 10) {
			t.Errorf("request %d: reset %s", i, r.reset)
		}
	}
	r := do(t, h, "192.0.2.1:1234")
	if r.status != 429 || r.remaining != "0" || r.ret != "1" || r.limit != "3" {
		t.Fatalf("4th request: %+v", r)
	}
	if r.body.Code != CodeRateLimited || r.body.Category != CategoryRateLimit || r.body.Message == "" ||
		r.body.Details == "" || r.body.Remediation == "" {
		t.Fatalf("429 body %+v", r.body)
	}
	// Another client is unaffected; so is another class for this client.
	if r := do(t, h, "192.0.2.2:1"); r.status != 204 {
		t.Fatalf("other client: %+v", r)
	}
	if r := do(t, l.Middleware("auth", ok), "192.0.2.1:1234"); r.status != 204 || r.limit != "1" {
		t.Fatalf("other class: %+v", r)
	}
	// One token comes back after a second.
	c.Add(time.Second)
	if r := do(t, h, "192.0.2.1:1234"); r.status != 204 || r.remaining != "0" {
		t.Fatalf("after 1 s: %+v", r)
	}
	if fmt.Sprint(limited) != "[read]" {
		t.Fatalf("OnLimited calls %v", limited)
	}
	// Retry-After counts whole seconds until a token.
	a := l.Middleware("auth", ok)
	do(t, a, "192.0.2.9:1")
	if r := do(t, a, "192.0.2.9:1"); r.status != 429 || r.ret != "60" {
		t.Fatalf("auth retry: %+v", r)
	}
	if fmt.Sprint(limited) != "[read auth]" {
		t.Fatalf("OnLimited calls %v", limited)
	}
}

func TestAllowlist(t *testing.T) {
	l := newLimiter(t, Config{Allowlist: mustPrefixes("10.0.0.0/8", "2001:db8::1", "::ffff:198.51.100.0/120")})
	h := l.Middleware("auth", ok)
	for _, remote := range []string{"10.1.2.3:1", "[2001:db8::1]:1", "198.51.100.7:1", "[::ffff:10.0.0.1]:1"} {
		for i := 0; i < 5; i++ {
			if r := do(t, h, remote); r.status != 204 || r.limit != "" {
				t.Fatalf("%s request %d: %+v", remote, i, r)
			}
		}
	}
	do(t, h, "[2001:db8::2]:1")
	if r := do(t, h, "[2001:db8::2]:1"); r.status != 429 {
		t.Fatalf("not allowlisted: %+v", r)
	}
}

func TestClientAddr(t *testing.T) {
	l := newLimiter(t, Config{TrustedProxies: mustPrefixes("10.0.0.0/8", "fd00::/8")})
	for _, tc := range []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"no proxy header", "203.0.113.5:1", nil, "203.0.113.5"},
		{"untrusted peer, header ignored", "203.0.113.5:1", []string{"1.2.3.4"}, "203.0.113.5"},
		{"trusted proxy", "10.0.0.1:1", []string{"198.51.100.9"}, "198.51.100.9"},
		{"trusted proxy, no header", "10.0.0.1:1", nil, "10.0.0.1"},
		{"spoofed left entries ignored", "10.0.0.1:1", []string{"6.6.6.6, 198.51.100.9"}, "198.51.100.9"},
		{"chain of trusted proxies", "10.0.0.1:1", []string{"198.51.100.9, 10.0.0.7, 10.9.9.9"}, "198.51.100.9"},
		{"several headers", "10.0.0.1:1", []string{"6.6.6.6", "198.51.100.9, 10.0.0.2"}, "198.51.100.9"},
		{"all trusted", "10.0.0.1:1", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"garbage after a trusted hop", "10.0.0.1:1", []string{"198.51.100.9, garbage, 10.0.0.2"}, "10.0.0.2"},
		{"garbage right away", "10.0.0.1:1", []string{"not-an-ip"}, "10.0.0.1"},
		{"with port", "10.0.0.1:1", []string{"198.51.100.9:4711"}, "198.51.100.9"},
		{"ipv6 through proxy", "[fd00::1]:1", []string{"2001:db8::5"}, "2001:db8::5"},
		{"mapped peer", "[::ffff:10.0.0.1]:1", []string{"198.51.100.9"}, "198.51.100.9"},
		{"empty items", "10.0.0.1:1", []string{" , 198.51.100.9 , "}, "198.51.100.9"},
		{"unparsable peer", "@unix", nil, "invalid IP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := l.ClientAddr(req).String(); got != tc.want {
				t.Fatalf("ClientAddr = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestForwardedForLimits checks the limiter end to end: a client behind
// an untrusted peer cannot escape its bucket by inventing X-Forwarded-For,
// while clients behind a trusted proxy get buckets of their own.
func TestForwardedForLimits(t *testing.T) {
	l := newLimiter(t, Config{TrustedProxies: mustPrefixes("10.0.0.1/32")})
	h := l.Middleware("auth", ok)
	if r := do(t, h, "203.0.113.5:1", "1.1.1.1"); r.status != 204 {
		t.Fatal(r)
	}
	if r := do(t, h, "203.0.113.5:1", "2.2.2.2"); r.status != 429 {
		t.Fatalf("untrusted peer escaped its bucket with X-Forwarded-For: %+v", r)
	}
	if r := do(t, h, "10.0.0.1:1", "1.1.1.1"); r.status != 204 {
		t.Fatal(r)
	}
	if r := do(t, h, "10.0.0.1:1", "2.2.2.2"); r.status != 204 {
		t.Fatalf("second client behind the trusted proxy limited: %+v", r)
	}
	if r := do(t, h, "10.0.0.1:1", "1.1.1.1"); r.status != 429 {
		t.Fatalf("first client behind the trusted proxy not limited: %+v", r)
	}
}

func TestIPv6Prefix(t *testing.T) {
	l := newLimiter(t, Config{})
	h := l.Middleware("auth", ok)
	do(t, h, "[2001:db8:1:2::1]:1")
	if r := do(t, h, "[2001:db8:1:2::ffff]:1"); r.status != 429 {
		t.Fatalf("same /64 got a new bucket: %+v", r)
	}
	if r := do(t, h, "[2001:db8:1:3::1]:1"); r.status != 204 {
		t.Fatalf("other /64 limited: %+v", r)
	}
}

func TestEvictionBound(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	const max = 1000
	l := newLimiter(t, Config{MaxClients: max, Now: c.Now})
	for i := 0; i < 200_000; i++ {
		a := netip.AddrFrom4([4]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
		l.Allow("read", a)
		l.Allow("auth", a)
		if i%1000 == 0 {
			c.Add(time.Millisecond)
		}
	}
	if n := l.Len(); n > max+numShards || n < max/2 {
		t.Fatalf("Len = %d after 400000 buckets, cap %d", n, max)
	}
	// A client seen recently keeps its state under the churn.
	hot := netip.MustParseAddr("198.51.100.1")
	for i := 0; i < 3; i++ {
		l.Allow("read", hot)
	}
	for i := 0; i < 10*max; i++ {
		l.Allow("read", netip.AddrFrom4([4]byte{100, byte(i >> 16), byte(i >> 8), byte(i)}))
		if i%(max/(2*numShards)) == 0 {
			if d := l.Allow("read", hot); d.Allowed {
				t.Fatalf("hot client's bucket was reset after %d new clients", i)
			}
		}
	}
}

func TestIdleBucketsDropped(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(t, Config{Now: c.Now})
	for i := 0; i < 500; i++ {
		l.Allow("read", netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
	}
	if l.Len() != 256 {
		t.Fatalf("Len = %d", l.Len())
	}
	c.Add(2 * time.Second) // read refills 3 tokens in 3 s: not yet
	l.Sweep()
	if l.Len() != 256 {
		t.Fatalf("Len after 2 s = %d", l.Len())
	}
	c.Add(time.Second)
	l.Sweep()
	if l.Len() != 0 {
		t.Fatalf("Len after refill time = %d", l.Len())
	}
	// Lazily too: a new client drops idle ones in its shard.
	for i := 0; i < 256; i++ {
		l.Allow("read", netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
	}
	c.Add(time.Hour)
	for i := 0; i < 256; i++ {
		l.Allow("read", netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}))
	}
	if n := l.Len(); n != 256 {
		t.Fatalf("Len = %d after idle clients were replaced, want 256", n)
	}
}

func TestNewErrors(t *testing.T) {
	good := map[string]Rule{"read": {1, time.Second, 1}}
	for name, cfg := range map[string]Config{
		"no rules":       {},
		"bad rule":       {Rules: map[string]Rule{"read": {0, time.Second, 1}}},
		"negative max":   {Rules: good, MaxClients: -1},
		"bad v6 prefix":  {Rules: good, IPv6PrefixLen: 200},
		"tiny v6 prefix": {Rules: good, IPv6PrefixLen: 8},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	l := newLimiter(t, Config{Rules: good})
	for _, f := range []func(){func() { l.Middleware("nope", ok) }, func() { l.Allow("nope", netip.Addr{}) }} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("unknown class did not panic")
				}
			}()
			f()
		}()
	}
	if r, ok := l.Rule("read"); !ok || r != good["read"] {
		t.Error("Rule")
	}
	if len(DefaultRules()) != len(Classes) {
		t.Error("DefaultRules does not cover Classes")
	}
	for _, c := range Classes {
		if err := DefaultRules()[c].Validate(); err != nil {
			t.Errorf("default %s: %v", c, err)
		}
	}
}

func TestConcurrent(t *testing.T) {
	l := newLimiter(t, Config{MaxClients: 64, Rules: map[string]Rule{"read": {Requests: 1000, Window: time.Second, Burst: 100}}})
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				a := netip.AddrFrom4([4]byte{10, 0, byte(g), byte(i % 50)})
				if l.Allow("read", a).Allowed {
					allowed.Add(1)
				}
				l.Allow("read", netip.MustParseAddr("192.0.2.1"))
			}
		}()
	}
	wg.Wait()
	if l.Len() > 64+numShards || allowed.Load() == 0 {
		t.Fatalf("Len %d, allowed %d", l.Len(), allowed.Load())
	}
}

// BenchmarkLimiterAllow measures one decision (Allow), not an HTTP round
// trip: hot is one client over and over, many cycles through 10,000
// clients, churn makes a new client every time (insert + eviction at the
// cap), parallel runs hot clients on all cores.
func BenchmarkLimiterAllow(b *testing.B) {
	rules := map[string]Rule{"execute": {Requests: 1 << 30, Window: time.Second, Burst: 1_000_000}}
	b.Run("hot", func(b *testing.B) {
		l := newLimiter(b, Config{Rules: rules})
		a := netip.MustParseAddr("192.0.2.1")
		b.ReportAllocs()
		for b.Loop() {
			l.Allow("execute", a)
		}
	})
	b.Run("hot-shared", func(b *testing.B) { // as hot, counting the tokens for Sync (PostgreSQL)
		l := newLimiter(b, Config{Rules: rules, Shared: hubClient{&hub{read: map[int]int{}}, 0}})
		a := netip.MustParseAddr("192.0.2.1")
		b.ReportAllocs()
		for b.Loop() {
			l.Allow("execute", a)
		}
	})
	b.Run("many", func(b *testing.B) {
		// A realistic rate, so that no bucket refills and is dropped between visits.
		l := newLimiter(b, Config{Rules: map[string]Rule{"execute": {Requests: 6000, Window: time.Minute, Burst: 1_000_000}}})
		addrs := make([]netip.Addr, 10000)
		for i := range addrs {
			addrs[i] = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			l.Allow("execute", addrs[i%len(addrs)])
			i++
		}
	})
	b.Run("churn", func(b *testing.B) {
		l := newLimiter(b, Config{Rules: rules, MaxClients: 10000})
		b.ReportAllocs()
		i := uint32(0)
		for b.Loop() {
			l.Allow("execute", netip.AddrFrom4([4]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}))
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		l := newLimiter(b, Config{Rules: rules})
		var n atomic.Uint32
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			a := netip.AddrFrom4([4]byte{10, 1, 0, byte(n.Add(1))})
			for pb.Next() {
				l.Allow("execute", a)
			}
		})
	})
	b.Run("middleware", func(b *testing.B) {
		l := newLimiter(b, Config{Rules: rules, TrustedProxies: mustPrefixes("10.0.0.0/8")})
		h := l.Middleware("execute", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		req := httptest.NewRequest("POST", "/operations/execute", nil)
		req.RemoteAddr = "10.0.0.1:5555"
		req.Header.Set("X-Forwarded-For", "198.51.100.7")
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	})
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

func ExampleParseRule() {
	r, _ := ParseRule("100/minute burst 20")
	fmt.Println(r.Requests, r.Window, r.Burst, r.Limit())
	// Output: 100 1m0s 20 1.6666666666666667
}
