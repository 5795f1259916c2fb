// Package ratelimit limits requests per client and per route class with
// token buckets (golang.org/x/time/rate).
//
// Each route class ([ClassExecute], [ClassRead], [ClassAuth], [ClassAdmin],
// [ClassHeavy]) has a [Rule]: Requests tokens per Window, at most Burst at
// once, written in configuration as "100/minute burst 20" ([ParseRule]).
// Every client has its own bucket per class. [Limiter.Middleware] wraps the
// handlers of a class; each response carries
//
//	X-RateLimit-Limit:     the bucket size (burst)
//	X-RateLimit-Remaining: whole tokens left now (requests, in a class of one token a request)
//	X-RateLimit-Reset:     Unix time (seconds) when the bucket is full again
//	X-RateLimit-Cost:      the price of a priced route
//
// and a refused request gets 429 Too Many Requests with Retry-After (whole
// seconds until one request is possible) and the structured error
//
//	{"error": {"code": "RATE_001", "category": "rate_limit", "message": ...,
//	           "details": ..., "remediation": ...}}
//
// # Costs
//
// The routes whose work grows with the log (a whole-log verification, the
// export, a trace, a page of guard events: [CostNames]) are limited by
// cost, not by count. They pay from the bucket of [ClassHeavy], whose
// tokens are units of work: each takes its price ([Cost].Tokens) before it
// runs, and after it ran is charged [Cost].PerSecond tokens a second of
// its handler's time beyond what the price paid for, which may leave the
// bucket in debt. Config.Concurrency caps how many of them one client has
// running at once (2 by default in the server), so that parallel requests
// cannot queue work before the time charge sees it. A verification job,
// which runs in the background after its request, pays its estimated work
// as its price.
//
// # Clients
//
// A client is its IP address; IPv6 clients are grouped by /64
// (Config.IPv6PrefixLen). X-Forwarded-For is honoured only when the direct
// peer is in Config.TrustedProxies, and then the right-most address that is
// not a trusted proxy is the client ([Limiter.ClientAddr]). Addresses in
// Config.Allowlist are never limited and get no headers.
//
// # Several servers
//
// Servers that share one database share their limits through
// Config.Shared (an [Exchanger]; pgstore.RateUsage on PostgreSQL): each
// decides from its own buckets and, at every [Limiter.Sync] (a few times a
// second), publishes the tokens it took per client and class and takes
// from its buckets those the others took. A client spreading its requests
// over the servers is held to one rule, but for what the servers allow it
// between two Syncs. The concurrency caps stay per server.
//
// # Memory
//
// Buckets live in 32 shards, each a map with an LRU list. A bucket idle
// long enough to have refilled is equal to a fresh one, so it is dropped
// when new clients arrive or at [Limiter.Sweep]; and the total is capped by
// Config.MaxClients (default 65536, about 16 MB), beyond which the least
// recently used bucket goes. Memory therefore stays bounded under any
// number of client addresses.
//
// A decision ([Limiter.Allow]) takes about 0.2 µs on one core; see BenchmarkLimiterAllow.
package ratelimit
