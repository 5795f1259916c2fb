package ratelimit

import (
	"context"
	"fmt"
	"net/netip"
)

// Usage is what one server took from one client's bucket of one class.
type Usage struct {
	Class  string
	Client netip.Addr // as the limiter keys it: an IPv4 address or an IPv6 prefix's address
	Tokens int
}

// Exchanger shares the tokens that several servers take from their own
// buckets, so that together they hold each client to one rule (on
// PostgreSQL: pgstore.RateUsage). Exchange publishes what this server took
// since its last call and returns what the other servers took since then;
// what it returns is never returned again.
type Exchanger interface {
	Exchange(ctx context.Context, taken []Usage) (others []Usage, err error)
}

// Sync exchanges, through Config.Shared, the tokens taken here since the
// last Sync for the tokens the other servers took, and takes those from
// the buckets here (a bucket goes no lower than minus its burst, as with
// the time charge of a priced route). The server calls it a few times a
// second; between two calls each server decides alone, so a client may
// exceed its rule by what the other servers allowed it since their last
// Sync: at most (servers − 1) × burst at once, then the servers' Sync
// interval's share of the rate. Without Config.Shared it does nothing.
// What fails to be published is published at the next Sync.
func (l *Limiter) Sync(ctx context.Context) error {
	if l.shared == nil {
		return nil
	}
	taken := l.takeUsage()
	others, err := l.shared.Exchange(ctx, taken)
	if err != nil {
		l.returnUsage(taken)
		return fmt.Errorf("ratelimit: sharing usage: %w", err)
	}
	now := l.now()
	for _, u := range others {
		i, ok := l.classes[u.Class]
		if !ok || u.Tokens <= 0 || !u.Client.IsValid() {
			continue // a class this server has no rule for (another configuration)
		}
		k := key{class: i, addr: u.Client}
		sh := &l.shards[shardOf(k)]
		sh.mu.Lock()
		l.debit(l.bucket(sh, k, now), u.Tokens, now)
		sh.mu.Unlock()
	}
	return nil
}

// took records, for Sync, that n tokens were taken from e. sh.mu is held.
func (l *Limiter) took(sh *shard, e *entry, n int) {
	if l.shared == nil || n <= 0 {
		return
	}
	if e.taken == 0 {
		sh.dirty = append(sh.dirty, e)
	}
	e.taken += n
}

// takeUsage collects and zeroes what was taken since the last call.
func (l *Limiter) takeUsage() []Usage {
	var out []Usage
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for _, e := range sh.dirty {
			out = append(out, Usage{Class: l.names[e.key.class], Client: e.key.addr, Tokens: e.taken})
			e.taken = 0
		}
		sh.dirty = sh.dirty[:0]
		sh.mu.Unlock()
	}
	return out
}

// returnUsage keeps usage that could not be published for the next Sync.
func (l *Limiter) returnUsage(us []Usage) {
	now := l.now()
	for _, u := range us {
		k := key{class: l.classes[u.Class], addr: u.Client}
		sh := &l.shards[shardOf(k)]
		sh.mu.Lock()
		l.took(sh, l.bucket(sh, k, now), u.Tokens)
		sh.mu.Unlock()
	}
}
