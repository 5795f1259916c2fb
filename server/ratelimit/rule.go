package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Rule is a token bucket: Requests tokens are added evenly over each Window,
// and the bucket holds at most Burst tokens. A request takes one token, or
// the price of its route ([Cost]).
type Rule struct {
	Requests int
	Window   time.Duration
	Burst    int
}

// Route classes used by the eBIOS server.
const (
	ClassExecute = "execute" // POST operations (each appends to the ledger)
	ClassRead    = "read"    // ledger queries, proofs, checkpoints, policies
	ClassAuth    = "auth"    // login, refresh, setup (each login costs an argon2id hash)
	ClassAdmin   = "admin"   // user and policy management, metrics
	// ClassHeavy is the bucket of the routes that can cost seconds to
	// minutes of server work (whole-log verification, export, trace, guard
	// events). Its tokens are units of work, about 100 ms each
	// (DefaultCostPerSecond): each route takes its price ([Cost]) and is
	// charged for the time it ran.
	ClassHeavy = "heavy"
)

// Classes lists the route classes, in a stable order.
var Classes = []string{ClassExecute, ClassRead, ClassAuth, ClassAdmin, ClassHeavy}

// DefaultRules are the limits per class when nothing is configured. The
// execute limit is the seed's 100 requests per minute.
func DefaultRules() map[string]Rule {
	return map[string]Rule{
		ClassExecute: {Requests: 100, Window: time.Minute, Burst: 100},
		ClassRead:    {Requests: 600, Window: time.Minute, Burst: 200},
		ClassAuth:    {Requests: 10, Window: time.Minute, Burst: 10},
		ClassAdmin:   {Requests: 60, Window: time.Minute, Burst: 60},
		// 2 tokens a second: a client keeps at most a fifth of a core
		// busy with heavy reads over time, a minute of work in a burst,
		// and starts at most one whole-log verification (600) per 5 min.
		ClassHeavy: {Requests: 120, Window: time.Minute, Burst: 600},
	}
}

// Limits on a rule, so a typo cannot make the limiter meaningless.
const (
	maxWindow = 24 * time.Hour
	maxBurst  = 1_000_000
)

// ParseRule parses a rule written as
//
//	<requests>/<window>[ burst <n>]
//
// where window is a unit (s, sec, second, m, min, minute, h, hour), a Go
// duration ("90s", "1m30s") or a plain number of seconds (the seed's
// rate_limit_window = 60). Burst defaults to requests. Examples:
// "100/minute", "100/60", "20/1s burst 40".
func ParseRule(s string) (Rule, error) {
	bad := func(msg string) (Rule, error) {
		return Rule{}, fmt.Errorf("rate limit %q: %s (want <requests>/<window>[ burst <n>], e.g. 100/minute burst 20)", s, msg)
	}
	fields := strings.Fields(s)
	if len(fields) != 1 && (len(fields) != 3 || fields[1] != "burst") {
		return bad("bad shape")
	}
	n, w, ok := strings.Cut(fields[0], "/")
	if !ok {
		return bad("missing /")
	}
	var r Rule
	var err error
	if r.Requests, err = strconv.Atoi(n); err != nil {
		return bad("requests is not an integer")
	}
	switch w {
	case "s", "sec", "second":
		r.Window = time.Second
	case "m", "min", "minute":
		r.Window = time.Minute
	case "h", "hour":
		r.Window = time.Hour
	default:
		if secs, err := strconv.Atoi(w); err == nil {
			r.Window = time.Duration(secs) * time.Second
		} else if r.Window, err = time.ParseDuration(w); err != nil {
			return bad("bad window")
		}
	}
	r.Burst = r.Requests
	if len(fields) == 3 {
		if r.Burst, err = strconv.Atoi(fields[2]); err != nil {
			return bad("burst is not an integer")
		}
	}
	if err := r.Validate(); err != nil {
		return Rule{}, fmt.Errorf("rate limit %q: %w", s, err)
	}
	return r, nil
}

// Validate checks 1 ≤ Requests, 0 < Window ≤ 24 h and 1 ≤ Burst ≤ 1e6.
func (r Rule) Validate() error {
	switch {
	case r.Requests < 1:
		return fmt.Errorf("requests must be at least 1, got %d", r.Requests)
	case r.Window <= 0 || r.Window > maxWindow:
		return fmt.Errorf("window must be between 1ns and 24h, got %v", r.Window)
	case r.Burst < 1 || r.Burst > maxBurst:
		return fmt.Errorf("burst must be between 1 and %d, got %d", maxBurst, r.Burst)
	}
	return nil
}

// String formats r so that ParseRule gives it back.
func (r Rule) String() string {
	return fmt.Sprintf("%d/%v burst %d", r.Requests, r.Window, r.Burst)
}

// Limit is the refill rate in tokens per second.
func (r Rule) Limit() rate.Limit {
	return rate.Limit(float64(r.Requests) / r.Window.Seconds())
}

// fillTime is how long an empty bucket takes to fill. A client idle that
// long has a full bucket, the same as a new client, so its state can be
// dropped without changing any decision.
func (r Rule) fillTime() time.Duration {
	return time.Duration(float64(r.Burst) / float64(r.Limit()) * float64(time.Second))
}
