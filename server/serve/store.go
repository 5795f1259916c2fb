package serve

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/config"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/logstore"
	"github.com/ebios/ebios/server/metrics"
	"github.com/ebios/ebios/server/pgstore"
	"github.com/ebios/ebios/server/policystore"
	"github.com/ebios/ebios/server/ratelimit"
)

// stores are the stores serve runs on: the log and the users, in the data
// directory (BuntDB, the default) or in the PostgreSQL database that
// config store names, shared with the other instances.
type stores struct {
	log interface {
		logstore.Log
		Close() error
	}
	users interface {
		auth.Store
		Close() error
	}
	// bunt is the BuntDB log, nil on PostgreSQL (online backups and the
	// storage metrics are the data directory's).
	bunt *ledgerstore.Store
	// pg is the PostgreSQL log, nil on BuntDB.
	pg      *pgstore.Store
	notices []string
	close   func()
}

// openStores opens the log (onCommit is told of every commit of this
// process) and the users store.
func openStores(ctx context.Context, cfg *config.Config, signer *ledger.Signer, m *metrics.Metrics, notice func(string),
	onCommit func(size uint64, es []*ledger.Entry)) (*stores, error) {
	if cfg.Store != "" {
		pg, err := pgstore.Open(ctx, cfg.Store, signer, &pgstore.Options{OnCommit: onCommit})
		if err != nil {
			return nil, err
		}
		users := pgstore.NewUsers(pg.Pool())
		prune, stop := context.WithCancel(ctx)
		go func() { // expired revocations and spent refresh tokens
			t := time.NewTicker(5 * time.Minute)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					users.Prune(prune) // #nosec G104 -- best effort: expired rows are ignored by every read until pruned
				case <-prune.Done():
					return
				}
			}
		}()
		return &stores{log: pg, pg: pg, users: users, close: stop}, nil
	}
	dbPath := cfg.Ledger.DBPath
	if cfg.Ledger.Backend == "memory" {
		dbPath = ":memory:"
	}
	bs, err := ledgerstore.Open(dbPath, signer, &ledgerstore.Options{OnCommit: onCommit, OnWrite: m.Committed, OnSync: m.Synced})
	if err != nil {
		return nil, err
	}
	if dbPath == ":memory:" {
		dbPath = ""
	}
	m.WatchStorage(cfg.DataDir, dbPath)
	users, unlock, err := openUsers(cfg, notice)
	if err != nil {
		bs.Close() // #nosec G104 -- cleanup on an error path: the error returned is the one to report
		return nil, err
	}
	return &stores{log: bs, bunt: bs, users: users, notices: bs.Notices(), close: unlock}, nil
}

// policyRefresh is how soon a policy activated through another server
// takes effect here, on PostgreSQL.
const policyRefresh = time.Second

// openPolicies opens the policies: DATA/policies.db, or the database the
// servers share.
func openPolicies(cfg *config.Config, st *stores, trusted []*ledger.Verifier) (*policystore.Store, []string, error) {
	if st.pg != nil {
		return policystore.OpenShared(pgstore.NewPolicies(st.pg.Pool()), trusted, st.log, policyRefresh)
	}
	return policystore.Open(filepath.Join(cfg.DataDir, "policies.db"), trusted, st.log)
}

// watchAuth keeps the access-token cache of as in step with the changes
// other servers make to the shared users store (PostgreSQL), until ctx
// ends; with BuntDB, every change goes through as itself.
func (st *stores) watchAuth(ctx context.Context, as *auth.Service) {
	if u, ok := st.users.(*pgstore.Users); ok {
		go u.Watch(ctx, as)
	}
}

// rateUsage is the exchanger of the rate limits' usage with the other
// servers on the database.
func (st *stores) rateUsage() ratelimit.Exchanger { return pgstore.NewRateUsage(st.pg.Pool()) }

// limitSync is how often the servers on one database exchange the rate
// limits' usage: what a client can take beyond its rule by spreading over
// the servers is what they allow it in about this long.
const limitSync = 250 * time.Millisecond

// syncLimits shares l's usage with the other servers until ctx ends,
// logging a failure once a minute at most.
func syncLimits(ctx context.Context, l *ratelimit.Limiter, logger *slog.Logger) {
	t := time.NewTicker(limitSync)
	defer t.Stop()
	var logged time.Time
	for {
		select {
		case <-t.C:
			if err := l.Sync(ctx); err != nil && ctx.Err() == nil && time.Since(logged) > time.Minute {
				logged = time.Now()
				logger.Warn("the rate limits could not be shared with the other servers; each server limits alone until they can", "err", err)
			}
		case <-ctx.Done():
			return
		}
	}
}
