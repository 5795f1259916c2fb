package auth

import (
	"sync"
	"sync/atomic"
	"time"
)

// accessCache remembers access tokens that passed CheckAccess, so that the
// hot path of an API request is one map lookup instead of an HMAC check and
// two store reads. It is safe because every change that could revoke a
// token or change a role goes through this Service (the users database is
// locked to one process) and bumps the epoch, which empties the cache; and
// an entry never outlives its token or cacheTTL.
type accessCache struct {
	epoch atomic.Uint64
	mu    sync.RWMutex
	m     map[string]cached
}

type cached struct {
	p     Principal
	until time.Time
	epoch uint64
}

const (
	cacheTTL     = 5 * time.Second
	cacheMaxSize = 16384
)

func (c *accessCache) get(token string, now time.Time) (*Principal, bool) {
	c.mu.RLock()
	e, ok := c.m[token]
	c.mu.RUnlock()
	if !ok || now.After(e.until) || e.epoch != c.epoch.Load() {
		return nil, false
	}
	p := e.p
	return &p, true
}

func (c *accessCache) put(token string, p *Principal, now time.Time, epoch uint64) {
	until := now.Add(cacheTTL)
	if p.ExpiresAt.Before(until) {
		until = p.ExpiresAt
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= cacheMaxSize {
		c.m = make(map[string]cached) // bounded: start over rather than grow
	}
	c.m[token] = cached{p: *p, until: until, epoch: epoch}
	c.mu.Unlock()
}

// invalidate forgets every cached token.
func (c *accessCache) invalidate() {
	c.epoch.Add(1)
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
