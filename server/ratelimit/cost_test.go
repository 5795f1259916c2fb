package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// costConfig: heavy refills 1 token a second, bursts of 20; a verify is
// priced above the burst (so it takes all of it), an export 5 tokens and a
// trace 1, both plus 10 tokens a second of their handler's time.
func costConfig(c *clock) Config {
	return Config{Now: c.Now,
		Rules: map[string]Rule{
			ClassRead:  {Requests: 60, Window: time.Minute, Burst: 3},
			ClassHeavy: {Requests: 60, Window: time.Minute, Burst: 20},
		},
		Costs: map[string]Cost{
			CostVerify: {Class: ClassHeavy, Tokens: 30},
			CostExport: {Class: ClassHeavy, Tokens: 5, PerSecond: 10},
			CostTrace:  {Class: ClassHeavy, Tokens: 1, PerSecond: 10},
		},
	}
}

// TestCosts runs one client (and a second) through priced routes with
// the real limiter: prices, the time charge, debt and its repayment.
func TestCosts(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(t, costConfig(c))
	// work makes a handler that takes d of (fake) time.
	work := func(d time.Duration) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.Add(d); w.WriteHeader(http.StatusNoContent) })
	}
	const a, b = "192.0.2.1:1", "192.0.2.2:1"
	for i, st := range []struct {
		name      string
		wait      time.Duration // clock advance before the request
		route     string
		client    string
		work      time.Duration
		status    int
		remaining string // X-RateLimit-Remaining
		cost      string // X-RateLimit-Cost
		retry     string // Retry-After
		details   string // in the 429's details
	}{
		{name: "cheap trace: its price", route: CostTrace, client: a, status: 204, remaining: "19", cost: "1"},
		// 19 - 1 = 18; 1 s of work: +1 refill, -(10-1) time charge = 10.
		{name: "trace of 1 s: price, then its time", route: CostTrace, client: a, work: time.Second, status: 204, remaining: "18", cost: "1"},
		{name: "export: its price", route: CostExport, client: a, status: 204, remaining: "5", cost: "5"},
		{name: "verify priced above the burst takes the burst", route: CostVerify, client: a, status: 429, remaining: "5", cost: "20",
			retry: "15", details: "verify costs 20 tokens"},
		// 5 - 1 = 4; 5 s of work: +5, then 49 owed, capped at the burst: 9 - 20 = -11.
		{name: "long trace goes into debt", route: CostTrace, client: a, work: 5 * time.Second, status: 204, remaining: "4"},
		{name: "in debt: refused until paid back", route: CostTrace, client: a, status: 429, remaining: "0", retry: "12",
			details: "a token per 100ms of its work"},
		{name: "paid back", wait: 12 * time.Second, route: CostTrace, client: a, status: 204, remaining: "0"},
		{name: "other classes unaffected", route: ClassRead, client: a, status: 204, remaining: "2", cost: ""},
		{name: "other clients unaffected", route: CostVerify, client: b, status: 204, remaining: "0", cost: "20"},
	} {
		c.Add(st.wait)
		req := httptest.NewRequest("GET", "/x", nil)
		req.RemoteAddr = st.client
		rec := httptest.NewRecorder()
		l.Middleware(st.route, work(st.work)).ServeHTTP(rec, req)
		h := rec.Header()
		if rec.Code != st.status || h.Get("X-RateLimit-Remaining") != st.remaining || h.Get("Retry-After") != st.retry ||
			(st.cost != "" && h.Get("X-RateLimit-Cost") != st.cost) || (st.route == ClassRead && h.Get("X-RateLimit-Cost") != "") {
			t.Fatalf("step %d (%s): %d, remaining %q, cost %q, retry %q; want %d, %q, %q, %q", i, st.name, rec.Code,
				h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Cost"), h.Get("Retry-After"), st.status, st.remaining, st.cost, st.retry)
		}
		if st.details != "" && !strings.Contains(rec.Body.String(), st.details) {
			t.Errorf("step %d (%s): body %s lacks %q", i, st.name, rec.Body, st.details)
		}
	}
}

// TestCostDebtKept: a bucket in debt is not dropped as idle (which would
// forgive the debt) before it could have refilled from minus its burst.
func TestCostDebtKept(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(t, costConfig(c))
	long := l.Middleware(CostTrace, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { c.Add(2 * time.Second) }))
	long.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil)) // 20 - 1 (+2, full at 20) - 19 = 1
	long.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil)) // 1 - 1 + 2 - 19 = -17
	c.Add(20 * time.Second)                                                       // the burst's fill time: 3 tokens, not full
	l.Sweep()
	if l.Len() != 1 {
		t.Fatal("a bucket in debt was dropped")
	}
	if r := do(t, l.Middleware(CostTrace, ok), "192.0.2.1:1"); r.status != 204 || r.remaining != "2" {
		t.Fatalf("after 20 s: %+v, want 2 tokens left (the debt kept)", r)
	}
}

// TestConcurrencyCap: one client cannot run more than the cap of heavy
// requests at once, however many it sends (nor queue their work); other
// clients and later requests are not held up.
func TestConcurrencyCap(t *testing.T) {
	cfg := Config{Rules: map[string]Rule{ClassHeavy: {Requests: 1000, Window: time.Second, Burst: 1000}},
		Costs:       map[string]Cost{CostTrace: {Class: ClassHeavy, Tokens: 1, PerSecond: 10}},
		Concurrency: map[string]int{ClassHeavy: 2}}
	l := newLimiter(t, cfg)
	release := make(chan struct{})
	var mu sync.Mutex
	running, most := 0, 0
	h := l.Middleware(CostTrace, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		<-release
		mu.Lock()
		running--
		mu.Unlock()
	}))
	for _, tc := range []struct {
		name     string
		parallel int
		client   string
		wantOK   int
	}{
		{"one client, 50 at once", 50, "192.0.2.1:1", 2},
		{"another client", 3, "192.0.2.2:1", 2},
	} {
		var wg sync.WaitGroup
		codes := make(chan int, tc.parallel)
		started := make(chan struct{}, tc.parallel)
		for i := 0; i < tc.parallel; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := httptest.NewRequest("GET", "/x", nil)
				req.RemoteAddr = tc.client
				rec := httptest.NewRecorder()
				started <- struct{}{}
				h.ServeHTTP(rec, req)
				codes <- rec.Code
				if rec.Code == 429 && (!strings.Contains(rec.Body.String(), "running at once") || rec.Header().Get("Retry-After") != "1") {
					t.Errorf("busy answer: %s %v", rec.Body, rec.Header())
				}
			}()
		}
		// Wait until the refused ones have answered: all but the cap.
		for i := 0; i < tc.parallel-tc.wantOK; i++ {
			if c := <-codes; c != 429 {
				t.Fatalf("%s: a request beyond the cap answered %d", tc.name, c)
			}
		}
		close(release)
		wg.Wait()
		close(codes)
		for c := range codes {
			if c != 200 {
				t.Errorf("%s: a request within the cap answered %d", tc.name, c)
			}
		}
		release = make(chan struct{})
	}
	if most != 2 {
		t.Fatalf("at most %d ran at once, want 2", most)
	}
	// The slots are free again.
	close(release)
	for i := 0; i < 3; i++ {
		if r := do(t, h, "192.0.2.1:1"); r.status != 200 {
			t.Fatalf("after the others ended: %+v", r)
		}
	}
}

func TestCostConfigErrors(t *testing.T) {
	rules := map[string]Rule{ClassRead: {1, time.Second, 1}, ClassHeavy: {1, time.Second, 10}}
	for name, cfg := range map[string]Config{
		"unknown class":    {Rules: rules, Costs: map[string]Cost{"x": {Class: "nope", Tokens: 1}}},
		"name of a class":  {Rules: rules, Costs: map[string]Cost{ClassRead: {Class: ClassHeavy, Tokens: 1}}},
		"zero tokens":      {Rules: rules, Costs: map[string]Cost{"x": {Class: ClassHeavy}}},
		"negative rate":    {Rules: rules, Costs: map[string]Cost{"x": {Class: ClassHeavy, Tokens: 1, PerSecond: -1}}},
		"concurrency < 0":  {Rules: rules, Concurrency: map[string]int{ClassHeavy: -1}},
		"concurrency of ?": {Rules: rules, Concurrency: map[string]int{"nope": 1}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for name, c := range DefaultCosts() {
		if err := c.Validate(); err != nil || c.Class != ClassHeavy || DefaultRules()[c.Class].Burst < c.Tokens {
			t.Errorf("default cost %s = %+v: %v", name, c, err)
		}
	}
	if len(DefaultCosts()) != len(CostNames) {
		t.Error("DefaultCosts does not cover CostNames")
	}
	l := newLimiter(t, Config{Rules: rules, Costs: DefaultCosts()})
	l.Middleware(CostVerify, ok) // priced routes are names Middleware knows
}
