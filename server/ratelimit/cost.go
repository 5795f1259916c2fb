package ratelimit

import "fmt"

// Priced routes: the routes whose work grows with the log, named for
// [Config.Costs]. They pay from the bucket of [ClassHeavy] by cost, not by
// count.
const (
	CostVerify      = "verify"       // start a whole-log verification (POST /api/v1/ledger/verify/jobs, GET /ledger/verify)
	CostExport      = "export"       // the whole log as a bundle (GET /api/v1/ledger/export)
	CostTrace       = "trace"        // an entry's ancestors and children (GET /api/v1/ledger/trace/{op_id})
	CostGuardEvents = "guard_events" // a page of guard events (GET /api/v1/guard/events)
)

// CostNames lists the priced routes, in a stable order.
var CostNames = []string{CostVerify, CostExport, CostTrace, CostGuardEvents}

// Cost is the price of a route: what one request takes from the bucket of
// Class.
//
// Tokens are taken before the handler runs, and the request is refused
// (429) unless the bucket holds them; a price above the class's burst takes
// the whole burst. Then, if PerSecond is set, the request is charged for
// the time its handler ran: PerSecond tokens a second, beyond the
// Tokens/PerSecond seconds its price paid for. That charge is taken after
// the response, whatever the bucket holds: it may leave the bucket in debt
// (down to minus its burst), and the client's next priced requests wait
// until it is paid back. A cheap trace thus costs its price, and one that
// walks a long chain costs its time.
type Cost struct {
	Class     string
	Tokens    int
	PerSecond float64
}

// Defaults of the heavy routes.
const (
	// DefaultCostPerSecond: a token of ClassHeavy is about 100 ms of a
	// handler's time.
	DefaultCostPerSecond = 10
	// DefaultHeavyConcurrency: heavy requests one client may have running
	// at once, so that it cannot queue work faster than the time charge
	// sees it.
	DefaultHeavyConcurrency = 2
)

// DefaultCosts are the prices of the priced routes when nothing is
// configured. A whole-log verification runs in the background for about
// 80 µs an entry (a minute or more on a large log) after its request has
// returned, so its price is its estimated work, not its request's time; an
// export streams the whole log (its time is charged too); a trace or a
// guard events page usually takes milliseconds and costs one token plus
// its time.
func DefaultCosts() map[string]Cost {
	return map[string]Cost{
		CostVerify:      {Class: ClassHeavy, Tokens: 600, PerSecond: DefaultCostPerSecond},
		CostExport:      {Class: ClassHeavy, Tokens: 100, PerSecond: DefaultCostPerSecond},
		CostTrace:       {Class: ClassHeavy, Tokens: 1, PerSecond: DefaultCostPerSecond},
		CostGuardEvents: {Class: ClassHeavy, Tokens: 1, PerSecond: DefaultCostPerSecond},
	}
}

// maxCost bounds a price (the largest burst).
const maxCost = maxBurst

// Validate checks 1 ≤ Tokens ≤ 1e6 and 0 ≤ PerSecond ≤ 1e6.
func (c Cost) Validate() error {
	switch {
	case c.Tokens < 1 || c.Tokens > maxCost:
		return fmt.Errorf("tokens must be between 1 and %d, got %d", maxCost, c.Tokens)
	case !(c.PerSecond >= 0 && c.PerSecond <= maxCost): // also NaN
		return fmt.Errorf("tokens per second must be between 0 and %d, got %v", maxCost, c.PerSecond)
	}
	return nil
}
