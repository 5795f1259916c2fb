package docsite

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/api"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/ratelimit"
)

// RouteInfo is what the API reference says of one endpoint beyond its
// OpenAPI operation: who may call it and how it is rate limited, taken
// from the server's own route table.
type RouteInfo struct {
	Method, Path string
	Aliases      []string // the original eBIOS paths of the same endpoint
	Permission   string   // "" for public endpoints
	Roles        []string // the roles holding Permission (auth.Matrix)
	// Class is the rate-limit class of the route, or, for a heavy route,
	// the name of its price (ratelimit.CostNames); "" for no limit.
	Class string
}

// Limits are the default rate limits (ratelimit.DefaultRules and
// DefaultCosts), by class and by price name, as the configuration writes
// them.
type Limits struct {
	Rules         map[string]string // class -> "100/1m0s burst 100"
	Costs         map[string]int    // price name -> tokens of the heavy class
	CostPerSecond int
	Concurrency   int
}

// ServerRoutes returns the route table of the API server, as it registers
// its routes (with the policy endpoints), and the default limits. It
// builds a throwaway server over an in-memory ledger to ask it.
func ServerRoutes() ([]RouteInfo, Limits, error) {
	skey, _, err := ledger.GenerateKey(rand.Reader, "docs.invalid/log")
	if err != nil {
		return nil, Limits{}, err
	}
	signer, err := ledger.ParseSignerKey(skey)
	if err != nil {
		return nil, Limits{}, err
	}
	st, err := ledgerstore.Open(":memory:", signer, nil)
	if err != nil {
		return nil, Limits{}, fmt.Errorf("opening an in-memory ledger: %w", err)
	}
	defer st.Close()
	us, err := auth.OpenBuntStore(":memory:")
	if err != nil {
		return nil, Limits{}, err
	}
	defer us.Close()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, Limits{}, err
	}
	as, err := auth.New(us, auth.Options{Secret: secret})
	if err != nil {
		return nil, Limits{}, err
	}
	srv := api.New(api.Config{Store: st, Auth: as, Policies: noPolicies{}, Backups: noBackups{}, MetricsHandler: http.NotFoundHandler()})
	var out []RouteInfo
	for _, r := range srv.Routes() {
		ri := RouteInfo{Method: r.Method, Path: r.Path, Aliases: r.Aliases, Permission: string(r.Perm), Class: r.Class}
		for _, role := range auth.Roles {
			if r.Perm != "" && auth.Allowed(role, r.Perm) {
				ri.Roles = append(ri.Roles, string(role))
			}
		}
		out = append(out, ri)
	}
	lim := Limits{Rules: map[string]string{}, Costs: map[string]int{},
		CostPerSecond: ratelimit.DefaultCostPerSecond, Concurrency: ratelimit.DefaultHeavyConcurrency}
	for class, rule := range ratelimit.DefaultRules() {
		lim.Rules[class] = rule.String()
	}
	for name, c := range ratelimit.DefaultCosts() {
		lim.Costs[name] = c.Tokens
	}
	return out, lim, nil
}

// isCost reports whether a route class is the price of a heavy route.
func isCost(class string) bool { return slices.Contains(ratelimit.CostNames, class) }

// noPolicies stands in for the policy store (api.Policies): the route
// table only needs one to register the policy endpoints. Its methods are
// never called.
type noPolicies struct{}

func (noPolicies) Judge(nu.Value) api.Judgement { return api.Judgement{} }
func (noPolicies) List() []api.PolicyInfo       { return nil }
func (noPolicies) Active() *api.PolicyInfo      { return nil }
func (noPolicies) Get(string) ([]byte, error)   { return nil, fmt.Errorf("no policies") }
func (noPolicies) Deactivate(context.Context, string) (*api.PolicyInfo, *ledger.Entry, error) {
	return nil, nil, fmt.Errorf("no policies")
}
func (noPolicies) Activate(context.Context, []byte, string, string) (*api.PolicyInfo, *ledger.Entry, error) {
	return nil, nil, fmt.Errorf("no policies")
}

// noBackups stands in for the backup runner (api.Backups), to register
// the backup endpoints. Its methods are never called.
type noBackups struct{}

func (noBackups) StartBackup(string, bool) (api.BackupStatus, error) {
	return api.BackupStatus{}, fmt.Errorf("no backups")
}
func (noBackups) BackupStatus() api.BackupStatus { return api.BackupStatus{} }
