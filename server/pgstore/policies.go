package pgstore

import (
	"context"
	"time"

	"github.com/ebios/ebios/server/policystore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Policies is the policystore.Backend in PostgreSQL (table
// ebios_policies), shared by every instance.
type Policies struct {
	pool *pgxpool.Pool
}

var _ policystore.Backend = Policies{}

// NewPolicies returns the policies backend over pool, whose database has
// the schema (Migrate).
func NewPolicies(pool *pgxpool.Pool) Policies { return Policies{pool} }

// policiesTimeout bounds one read or write of the policies.
const policiesTimeout = 10 * time.Second

// Get returns the value of key, "" when there is none.
func (p Policies) Get(key string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), policiesTimeout)
	defer cancel()
	var v string
	err := p.pool.QueryRow(ctx, "SELECT value FROM ebios_policies WHERE key = $1", key).Scan(&v)
	if err == pgx.ErrNoRows {
		return "", nil
	}
	return v, err
}

// Put sets the keys in one transaction; "" deletes.
func (p Policies) Put(kvs map[string]string) error {
	ctx, cancel := context.WithTimeout(context.Background(), policiesTimeout)
	defer cancel()
	return durableTx(ctx, p.pool, func(tx pgx.Tx) error {
		for k, v := range kvs {
			var err error
			if v == "" {
				_, err = tx.Exec(ctx, "DELETE FROM ebios_policies WHERE key = $1", k)
			} else {
				_, err = tx.Exec(ctx, "INSERT INTO ebios_policies (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", k, v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// Values returns the values of the keys starting with prefix.
func (p Policies) Values(prefix string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), policiesTimeout)
	defer cancel()
	rows, err := p.pool.Query(ctx, "SELECT value FROM ebios_policies WHERE starts_with(key, $1) ORDER BY key", prefix)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// Close does nothing: the pool is the log store's.
func (Policies) Close() error { return nil }
