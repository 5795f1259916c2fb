package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ratelimit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The per-account limit of failed logins, shared (auth.FailedLogins): one
// row per account name key in ebios_login_failures, timed by the
// database's clock so that the servers' clocks do not matter.

var _ auth.FailedLogins = (*Users)(nil)

// BeginLogin counts a login attempt for key unless max fell in its window
// already (auth.FailedLogins), in one transaction that locks the key's row.
func (s *Users) BeginLogin(ctx context.Context, key [16]byte, max int, window time.Duration) (time.Duration, bool, error) {
	var wait time.Duration
	ok := false
	err := durableTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO ebios_login_failures (name_key, window_end, n)
			VALUES ($1, clock_timestamp() + $2 * interval '1 microsecond', 0) ON CONFLICT (name_key) DO NOTHING`,
			key[:], window.Microseconds()); err != nil {
			return err
		}
		var end, now time.Time
		var n int
		if err := tx.QueryRow(ctx, `SELECT window_end, n, clock_timestamp() FROM ebios_login_failures
			WHERE name_key = $1 FOR UPDATE`, key[:]).Scan(&end, &n, &now); err != nil {
			return err
		}
		if !now.Before(end) { // the window has ended: a new one
			end, n = now.Add(window), 0
		}
		if n >= max {
			wait = end.Sub(now)
			return nil
		}
		ok = true
		_, err := tx.Exec(ctx, "UPDATE ebios_login_failures SET window_end = $2, n = $3 WHERE name_key = $1", key[:], end, n+1)
		return err
	})
	return wait, ok, usersErr(err)
}

// UndoLogin takes back one attempt for key.
func (s *Users) UndoLogin(ctx context.Context, key [16]byte) error {
	_, err := s.pool.Exec(ctx, "UPDATE ebios_login_failures SET n = n - 1 WHERE name_key = $1 AND n > 0", key[:])
	return usersErr(err)
}

// ForgetLogins forgets the attempts for key.
func (s *Users) ForgetLogins(ctx context.Context, key [16]byte) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM ebios_login_failures WHERE name_key = $1", key[:])
	return usersErr(err)
}

// RateUsage shares the rate limits of the servers on one database
// (ratelimit.Exchanger): each server adds what it took from each client's
// buckets to its own rows of ebios_rate_usage (server, class, client: a
// running total), and reads what the others' rows grew by since it last
// read them. Rows are read again for a few seconds after they changed, so
// that a change committed late is not missed, and counted once, by their
// totals. Rows unchanged for usageKeep are deleted.
type RateUsage struct {
	pool   *pgxpool.Pool
	server string // this server's rows

	mu        sync.Mutex
	since     time.Time              // the database's clock at the last read
	seen      map[usageKey]seenUsage // the other servers' totals, as last read
	lastPrune time.Time
}

type usageKey struct {
	server, class string
	client        [16]byte
}

type seenUsage struct {
	tokens  float64
	updated time.Time
}

const (
	// usageMargin is how long after it changed a row is read again.
	usageMargin = 5 * time.Second
	// usageKeep is how long a row (and what a server saw of it) is kept
	// after its last change: longer than any bucket takes to fill.
	usageKeep = 2 * time.Hour
)

var _ ratelimit.Exchanger = (*RateUsage)(nil)

// NewRateUsage returns the exchanger of a new server over pool, whose
// database has the schema (Migrate).
func NewRateUsage(pool *pgxpool.Pool) *RateUsage {
	var id [12]byte
	rand.Read(id[:]) // #nosec G104 -- crypto/rand.Read does not fail (Go 1.24+)
	return &RateUsage{pool: pool, server: hex.EncodeToString(id[:]), seen: map[usageKey]seenUsage{}}
}

// Exchange publishes taken and returns what the other servers took since
// the last call. The first call only learns where the others stand.
func (r *RateUsage) Exchange(ctx context.Context, taken []ratelimit.Usage) ([]ratelimit.Usage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := &pgx.Batch{}
	if len(taken) > 0 {
		classes := make([]string, len(taken))
		clients := make([][]byte, len(taken))
		tokens := make([]float64, len(taken))
		for i, u := range taken {
			a := u.Client.As16()
			classes[i], clients[i], tokens[i] = u.Class, a[:], float64(u.Tokens)
		}
		b.Queue(`INSERT INTO ebios_rate_usage AS u (server, class, client, tokens, updated)
			SELECT $1, c, a, t, clock_timestamp() FROM unnest($2::text[], $3::bytea[], $4::float8[]) AS x(c, a, t)
			ON CONFLICT (server, class, client) DO UPDATE SET tokens = u.tokens + excluded.tokens, updated = excluded.updated`,
			r.server, classes, clients, tokens)
	}
	var now time.Time
	b.Queue("SELECT clock_timestamp()").QueryRow(func(row pgx.Row) error { return row.Scan(&now) })
	first := r.since.IsZero()
	var others []ratelimit.Usage
	b.Queue(`SELECT server, class, client, tokens, updated FROM ebios_rate_usage WHERE server <> $1 AND updated > $2`,
		r.server, r.since.Add(-usageMargin)).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var k usageKey
			var client []byte
			var s seenUsage
			if err := rows.Scan(&k.server, &k.class, &client, &s.tokens, &s.updated); err != nil {
				return err
			}
			copy(k.client[:], client)
			prev, ok := r.seen[k]
			r.seen[k] = s
			delta := s.tokens - prev.tokens
			if !ok || delta < 0 { // new to this server, or deleted and made again
				delta = s.tokens
			}
			if first || delta < 1 {
				continue
			}
			others = append(others, ratelimit.Usage{Class: k.class, Client: netip.AddrFrom16(k.client).Unmap(),
				Tokens: int(math.Min(delta, math.MaxInt32))})
		}
		return rows.Err()
	})
	if err := r.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	r.since = now
	if now.Sub(r.lastPrune) > time.Minute {
		r.prune(ctx, now)
	}
	return others, nil
}

// prune forgets the rows unchanged for usageKeep, in the table and here.
func (r *RateUsage) prune(ctx context.Context, now time.Time) {
	r.lastPrune = now
	for k, s := range r.seen {
		// Kept longer than the rows, so that a row deleted and made again
		// is seen to have shrunk, and one not deleted yet does not look new.
		if now.Sub(s.updated) > usageKeep+10*time.Minute {
			delete(r.seen, k)
		}
	}
	r.pool.Exec(ctx, "DELETE FROM ebios_rate_usage WHERE updated < $1", now.Add(-usageKeep)) // #nosec G104 -- best effort: the next prune tries again
}
