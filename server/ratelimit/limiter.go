package ratelimit

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Config configures a [Limiter].
type Config struct {
	// Rules per route class; classes without a rule cannot be used.
	Rules map[string]Rule
	// Costs prices routes by name (see [Cost]): Middleware(name) of a
	// priced route takes its price from its class's bucket and charges the
	// handler's time. A name must not be a class.
	Costs map[string]Cost
	// Concurrency caps the requests of a class one client may have
	// running at once (a request beyond it is refused with 429 and takes
	// no tokens); 0 or absent means no cap. It applies to
	// [Limiter.Middleware], not to Allow.
	Concurrency map[string]int
	// Allowlist: clients in these prefixes are never limited.
	Allowlist []netip.Prefix
	// TrustedProxies: X-Forwarded-For is read only when the direct peer is
	// in one of these prefixes (see [Limiter.ClientAddr]).
	TrustedProxies []netip.Prefix
	// MaxClients caps the number of buckets kept (over all classes);
	// default 65536. Beyond it the least recently seen bucket is dropped.
	MaxClients int
	// IPv6PrefixLen: IPv6 clients are limited per prefix of this length
	// (default 64, a typical single site), so one host cannot multiply its
	// quota by rotating addresses. 128 limits per address.
	IPv6PrefixLen int
	// OnLimited, if set, is called for each request answered 429, with its
	// class, e.g. to count ebios_rate_limited_total{class}.
	OnLimited func(class string)
	// Shared, if set, shares the tokens taken with other servers (see
	// [Limiter.Sync]).
	Shared Exchanger
	// Now is the clock (default time.Now); a test seam.
	Now func() time.Time
}

// DefaultMaxClients is the default of Config.MaxClients. A bucket takes
// about 250 bytes, so the default bounds the limiter at about 16 MB.
const DefaultMaxClients = 65536

// numShards splits the buckets so that concurrent requests of different
// clients rarely wait for each other. A power of two.
const numShards = 32

// Limiter keeps a token bucket per client and route class. Memory is
// bounded: buckets idle long enough to be full again are dropped (they are
// indistinguishable from new ones), and past Config.MaxClients the least
// recently used bucket is dropped. It is safe for concurrent use.
type Limiter struct {
	classes   map[string]int // class name → index into rules
	names     []string
	rules     []Rule
	limits    []rate.Limit
	fill      []time.Duration
	conc      []int            // per class: most requests in flight per client, 0 = no cap
	costs     map[string]route // priced routes
	allow     []netip.Prefix
	trusted   []netip.Prefix
	v6bits    int
	onLimited func(string)
	shared    Exchanger
	now       func() time.Time
	shardCap  int
	shards    [numShards]shard
}

type key struct {
	class int
	addr  netip.Addr
}

type entry struct {
	key        key
	lim        *rate.Limiter
	last       time.Time
	inflight   int    // requests of a capped class running now (Config.Concurrency)
	taken      int    // tokens taken since the last Sync (Config.Shared)
	prev, next *entry // LRU list: head is most recent
}

type shard struct {
	mu         sync.Mutex
	m          map[key]*entry
	head, tail *entry
	dirty      []*entry // buckets with tokens taken since the last Sync
}

// New returns a Limiter for cfg.
func New(cfg Config) (*Limiter, error) {
	if len(cfg.Rules) == 0 {
		return nil, fmt.Errorf("ratelimit: no rules")
	}
	if cfg.MaxClients == 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.MaxClients < 1 {
		return nil, fmt.Errorf("ratelimit: MaxClients must be positive, got %d", cfg.MaxClients)
	}
	if cfg.IPv6PrefixLen == 0 {
		cfg.IPv6PrefixLen = 64
	}
	if cfg.IPv6PrefixLen < 32 || cfg.IPv6PrefixLen > 128 {
		return nil, fmt.Errorf("ratelimit: IPv6PrefixLen must be between 32 and 128, got %d", cfg.IPv6PrefixLen)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Limiter{
		classes: map[string]int{}, allow: normalize(cfg.Allowlist), trusted: normalize(cfg.TrustedProxies),
		v6bits: cfg.IPv6PrefixLen, onLimited: cfg.OnLimited, shared: cfg.Shared, now: cfg.Now,
		shardCap: (cfg.MaxClients + numShards - 1) / numShards,
	}
	names := make([]string, 0, len(cfg.Rules))
	for name := range cfg.Rules {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		r := cfg.Rules[name]
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("ratelimit: class %s: %w", name, err)
		}
		l.classes[name] = len(l.rules)
		l.names = append(l.names, name)
		l.rules = append(l.rules, r)
		l.limits = append(l.limits, r.Limit())
		l.fill = append(l.fill, r.fillTime())
		l.conc = append(l.conc, 0)
	}
	for class, n := range cfg.Concurrency {
		i, ok := l.classes[class]
		if !ok {
			return nil, fmt.Errorf("ratelimit: concurrency of %s, which has no rule", class)
		}
		if n < 0 {
			return nil, fmt.Errorf("ratelimit: concurrency of %s must not be negative, got %d", class, n)
		}
		l.conc[i] = n
	}
	l.costs = make(map[string]route, len(cfg.Costs))
	for name, c := range cfg.Costs {
		i, ok := l.classes[c.Class]
		if !ok {
			return nil, fmt.Errorf("ratelimit: cost %s: class %q has no rule", name, c.Class)
		}
		if _, clash := l.classes[name]; clash {
			return nil, fmt.Errorf("ratelimit: cost %s has the name of a class", name)
		}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("ratelimit: cost %s: %w", name, err)
		}
		l.costs[name] = route{class: i, tokens: min(c.Tokens, l.rules[i].Burst), perSecond: c.PerSecond}
		if c.PerSecond > 0 {
			// A bucket in debt (down to -burst) takes up to twice the
			// fill time to be full again: keep its state that long.
			l.fill[i] = 2 * l.rules[i].fillTime()
		}
	}
	for i := range l.shards {
		l.shards[i].m = make(map[key]*entry)
	}
	return l, nil
}

// normalize unmaps IPv4-in-IPv6 prefixes so that they match unmapped
// addresses, and masks them.
func normalize(ps []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ps))
	for _, p := range ps {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out
}

func contains(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Decision is the outcome of one [Limiter.Allow].
type Decision struct {
	Allowed    bool
	Bypass     bool          // allowlisted client: no limit applies, the other fields are zero
	Busy       bool          // refused because the client has Config.Concurrency requests running
	Limit      int           // bucket size (burst), for X-RateLimit-Limit
	Remaining  int           // whole tokens left, for X-RateLimit-Remaining
	Reset      time.Time     // when the bucket is full again, for X-RateLimit-Reset
	RetryAfter time.Duration // if !Allowed: until the request's tokens are available
}

// Allow takes one token from the bucket of client in class and reports the
// decision. An allowlisted client is always allowed (Bypass). It panics if
// class has no rule: route classes are fixed when handlers are built.
func (l *Limiter) Allow(class string, client netip.Addr) Decision {
	i, ok := l.classes[class]
	if !ok {
		panic("ratelimit: unknown class " + class)
	}
	d, _ := l.allowIndex(i, client, 1, false)
	return d
}

// allowIndex takes n tokens from the bucket of client in class. With hold,
// it also counts the request as running (refusing it, in a class with a
// concurrency cap, if the client has the cap running already) and returns
// the bucket of an allowed request, which [Limiter.release] must be given
// when the request is done.
func (l *Limiter) allowIndex(class int, client netip.Addr, n int, hold bool) (Decision, *entry) {
	client = client.Unmap()
	if len(l.allow) > 0 && contains(l.allow, client) {
		return Decision{Allowed: true, Bypass: true}, nil
	}
	if client.Is6() && l.v6bits < 128 {
		p, _ := client.Prefix(l.v6bits)
		client = p.Addr()
	}
	k := key{class: class, addr: client}
	now := l.now()
	sh := &l.shards[shardOf(k)]
	sh.mu.Lock()
	e := l.bucket(sh, k, now)
	busy := hold && l.conc[class] > 0 && e.inflight >= l.conc[class]
	ok := !busy && e.lim.AllowN(now, n)
	if ok {
		l.took(sh, e, n)
	}
	if ok && hold {
		e.inflight++
	}
	tokens := e.lim.TokensAt(now)
	sh.mu.Unlock()

	r, lim := l.rules[class], float64(l.limits[class])
	d := Decision{Allowed: ok, Busy: busy, Limit: r.Burst}
	if tokens > 0 {
		d.Remaining = int(tokens)
	}
	d.Reset = now.Add(secs((float64(r.Burst) - tokens) / lim))
	switch {
	case busy:
		d.RetryAfter = time.Second // unknown: when one of its requests ends
	case !ok:
		d.RetryAfter = secs((float64(n) - tokens) / lim)
	}
	if !ok || !hold {
		e = nil
	}
	return d, e
}

// release ends a request that allowIndex held: it no longer counts as
// running, and charge more tokens are taken for the work it did, as far as
// the bucket does not go below minus its burst. e may have been dropped
// from its shard meanwhile (at MaxClients); then this changes nothing
// anyone sees.
func (l *Limiter) release(e *entry, charge int) {
	now := l.now()
	sh := &l.shards[shardOf(e.key)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e.inflight > 0 {
		e.inflight--
	}
	e.last = now
	l.took(sh, e, l.debit(e, charge, now))
}

// debit takes up to n tokens from e, as far as it does not go below minus
// its burst, and returns how many it took. The shard's mu is held.
func (l *Limiter) debit(e *entry, n int, now time.Time) int {
	burst := l.rules[e.key.class].Burst
	room := e.lim.TokensAt(now) + float64(burst) // tokens above -burst
	n = min(n, burst, int(math.Max(room, 0)))
	if n <= 0 {
		return 0
	}
	e.lim.ReserveN(now, n) // n ≤ burst: always granted, possibly as debt
	return n
}

// bucket returns the bucket of k, made if there is none, as used now.
// sh.mu is held.
func (l *Limiter) bucket(sh *shard, k key, now time.Time) *entry {
	e := sh.m[k]
	if e == nil {
		e = l.insert(sh, k, now)
	} else {
		sh.moveToFront(e)
	}
	e.last = now
	return e
}

func secs(s float64) time.Duration {
	if s <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(s * float64(time.Second)))
}

func shardOf(k key) int {
	b := k.addr.As16()
	h := binary.LittleEndian.Uint64(b[:8])*0x9E3779B97F4A7C15 ^ binary.LittleEndian.Uint64(b[8:])
	// #nosec G115 -- hash mixing: the class's bits are what is wanted, not its value
	h = (h ^ uint64(k.class)) * 0xBF58476D1CE4E5B9
	return int(h >> (64 - 5)) // numShards = 32
}

// insert adds a bucket for k, first dropping idle buckets from the LRU end
// and, if the shard is full, the least recently used one. sh.mu is held.
func (l *Limiter) insert(sh *shard, k key, now time.Time) *entry {
	for sh.tail != nil && l.idle(sh.tail, now) {
		sh.remove(sh.tail)
	}
	if len(sh.m) >= l.shardCap {
		sh.remove(sh.tail)
	}
	e := &entry{key: k, lim: rate.NewLimiter(l.limits[k.class], l.rules[k.class].Burst)} // starts full
	sh.m[k] = e
	sh.pushFront(e)
	return e
}

// idle reports whether e is the same as a fresh bucket: untouched long
// enough to be full again, and no request of it running.
func (l *Limiter) idle(e *entry, now time.Time) bool {
	return e.inflight == 0 && now.Sub(e.last) >= l.fill[e.key.class]
}

func (sh *shard) pushFront(e *entry) {
	e.prev, e.next = nil, sh.head
	if sh.head != nil {
		sh.head.prev = e
	}
	sh.head = e
	if sh.tail == nil {
		sh.tail = e
	}
}

func (sh *shard) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		sh.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		sh.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (sh *shard) moveToFront(e *entry) {
	if sh.head != e {
		sh.unlink(e)
		sh.pushFront(e)
	}
}

func (sh *shard) remove(e *entry) {
	sh.unlink(e)
	delete(sh.m, e.key)
}

// Sweep drops every bucket idle long enough to be full again. Buckets are
// also dropped as new clients arrive, so calling Sweep is optional; a server
// may call it every minute to return memory after a burst of clients.
func (l *Limiter) Sweep() {
	now := l.now()
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for sh.tail != nil && l.idle(sh.tail, now) {
			sh.remove(sh.tail)
		}
		sh.mu.Unlock()
	}
}

// Len returns the number of buckets held.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// Rule returns the rule of class.
func (l *Limiter) Rule(class string) (Rule, bool) {
	i, ok := l.classes[class]
	if !ok {
		return Rule{}, false
	}
	return l.rules[i], true
}
