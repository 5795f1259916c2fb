package ratelimit

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// hub connects the limiters of a test as the database connects servers:
// each server's Exchange returns what the others published since its last
// call.
type hub struct {
	mu    sync.Mutex
	log   []hubUsage
	read  map[int]int // server → how much of log it has read
	fails bool
}

type hubUsage struct {
	server int
	u      Usage
}

type hubClient struct {
	h      *hub
	server int
}

func (c hubClient) Exchange(_ context.Context, taken []Usage) ([]Usage, error) {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	if c.h.fails {
		return nil, errors.New("the database is down")
	}
	for _, u := range taken {
		c.h.log = append(c.h.log, hubUsage{c.server, u})
	}
	var out []Usage
	for _, hu := range c.h.log[c.h.read[c.server]:] {
		if hu.server != c.server {
			out = append(out, hu.u)
		}
	}
	c.h.read[c.server] = len(c.h.log)
	return out, nil
}

func TestSharedLimits(t *testing.T) {
	ctx := context.Background()
	client := netip.MustParseAddr("192.0.2.7")
	other := netip.MustParseAddr("192.0.2.8")
	for _, tc := range []struct {
		name    string
		servers int
		// takes[i] is how many requests the client makes at server i
		// before every server syncs.
		takes []int
		// then: whether one more request is allowed at each server.
		then []bool
	}{
		{"the burst taken at one server is gone at the others", 3, []int{5, 0, 0}, []bool{false, false, false}},
		{"spread over the servers, it adds up", 3, []int{2, 2, 1}, []bool{false, false, false}},
		{"under the burst, every server allows", 3, []int{2, 1, 0}, []bool{true, true, true}},
		{"one server alone is the unshared limiter", 1, []int{4}, []bool{true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Unix(1_700_000_000, 0)}
			h := &hub{read: map[int]int{}}
			ls := make([]*Limiter, tc.servers)
			for i := range ls {
				l, err := New(Config{Rules: map[string]Rule{ClassRead: {Requests: 5, Window: time.Minute, Burst: 5}},
					Shared: hubClient{h, i}, Now: c.Now})
				if err != nil {
					t.Fatal(err)
				}
				ls[i] = l
			}
			for i, n := range tc.takes {
				for range n {
					if d := ls[i].Allow(ClassRead, client); !d.Allowed {
						t.Fatalf("server %d refused a request under the burst", i)
					}
				}
			}
			for _, l := range ls {
				if err := l.Sync(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for _, l := range ls { // a second round: nothing is applied twice
				if err := l.Sync(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for i, want := range tc.then {
				d := ls[i].Allow(ClassRead, client)
				if d.Allowed != want {
					t.Errorf("server %d: allowed = %v, want %v (remaining %d)", i, d.Allowed, want, d.Remaining)
				}
				if !d.Allowed && (d.RetryAfter <= 0 || d.RetryAfter > 12*time.Second) {
					t.Errorf("server %d: Retry-After %v, want about 12 s (one token of 5/minute)", i, d.RetryAfter)
				}
				if d := ls[i].Allow(ClassRead, other); !d.Allowed {
					t.Errorf("server %d refused another client", i)
				}
			}
		})
	}
}

func TestSharedLimitsDatabaseDown(t *testing.T) {
	ctx := context.Background()
	client := netip.MustParseAddr("2001:db8::1")
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	h := &hub{read: map[int]int{}}
	var ls [2]*Limiter
	for i := range ls {
		l, err := New(Config{Rules: map[string]Rule{ClassAuth: {Requests: 3, Window: time.Minute, Burst: 3}},
			Shared: hubClient{h, i}, Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		ls[i] = l
	}
	for range 3 {
		ls[0].Allow(ClassAuth, client)
	}
	h.fails = true
	if err := ls[0].Sync(ctx); err == nil {
		t.Fatal("Sync with the database down returned no error")
	}
	if d := ls[1].Allow(ClassAuth, client); !d.Allowed {
		t.Fatal("server 1 refused before it heard of server 0's requests")
	}
	h.fails = false
	// What failed to be published is published by the next Sync.
	if err := ls[0].Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ls[1].Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if d := ls[1].Allow(ClassAuth, client); d.Allowed {
		t.Error("server 1 allowed a request after server 0's burst reached it")
	}
	if got := len(ls[0].takeUsage()); got != 0 {
		t.Errorf("server 0 still has %d usages to publish", got)
	}
}
