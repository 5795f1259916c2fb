package pgstore

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Users is the auth.Store in PostgreSQL, shared by every instance: a
// logout, a refresh-token reuse, a revocation or a user change made
// through one server holds on all of them (with auth.Options.Shared, whose
// cache of access tokens [Users.Watch] empties at every change made
// elsewhere). Every change runs in
// a transaction that first takes an advisory lock, so that the rule "at
// least one enabled admin" holds under concurrent changes from several
// servers, as it does in BuntDB's single-writer transactions.
type Users struct {
	pool *pgxpool.Pool
}

var _ auth.Store = (*Users)(nil)

// lockUsers serialises the changes of users (pg_advisory_xact_lock).
const lockUsers int64 = 0x0eb105_0002

// NewUsers returns the users store over pool, whose database has the
// schema (Migrate).
func NewUsers(pool *pgxpool.Pool) *Users { return &Users{pool: pool} }

// usersErr passes the store's own errors (auth.Store's AUTH_ codes) and
// turns the others (PostgreSQL's) into AUTH_017.
func usersErr(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := nu.AsError(err); ok && e.Category == auth.CategoryAuth {
		return err
	}
	return auth.ErrStore(err)
}

const userCols = "name, role, password_hash, disabled, generation, created_at, updated_at, last_login"

func scanUser(row pgx.Row) (*auth.User, error) {
	var u auth.User
	var role string
	var last *time.Time
	if err := row.Scan(&u.Name, &role, &u.PasswordHash, &u.Disabled, &u.Generation, &u.CreatedAt, &u.UpdatedAt, &last); err != nil {
		return nil, err
	}
	u.Role = auth.Role(role)
	if last != nil {
		u.LastLogin = *last
	}
	return &u, nil
}

func userArgs(u *auth.User) []any {
	var last *time.Time
	if !u.LastLogin.IsZero() {
		last = &u.LastLogin
	}
	return []any{u.Name, string(u.Role), u.PasswordHash, u.Disabled, u.Generation, u.CreatedAt, u.UpdatedAt, last}
}

// change runs f in a transaction holding the users lock, and tells the
// other servers (notifyChanged) when it commits.
func (s *Users) change(ctx context.Context, f func(tx pgx.Tx) error) error {
	err := durableTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockUsers); err != nil {
			return err
		}
		if err := f(tx); err != nil {
			return err
		}
		return notifyChanged(ctx, tx)
	})
	return usersErr(err)
}

// authChannel is the LISTEN/NOTIFY channel of changes to users and
// revocations: a notification is delivered when its transaction commits.
const authChannel = "ebios_auth"

func notifyChanged(ctx context.Context, q querier) error {
	_, err := q.Exec(ctx, "SELECT pg_notify($1, '')", authChannel)
	return err
}

// Cache is what Watch keeps in step: an auth.Service over this store with
// auth.Options.Shared.
type Cache interface {
	CacheSynced(ok bool)
	Invalidate()
}

// Watch listens, on a connection of its own, for the changes other
// servers make to users and revocations, and empties c's cache of access
// tokens at each; c caches only while the connection listens
// (CacheSynced). A change made through another server thus holds here
// once its notification arrives, milliseconds after its commit. Watch
// returns when ctx ends.
func (s *Users) Watch(ctx context.Context, c Cache) {
	for ctx.Err() == nil {
		s.listen(ctx, c)
		c.CacheSynced(false)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Users) listen(ctx context.Context, c Cache) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+authChannel); err != nil {
		return
	}
	defer conn.Conn().Close(context.Background()) // #nosec G104 -- a listening connection is not handed back to the pool
	c.CacheSynced(true)
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return
		}
		c.Invalidate()
	}
}

func getUser(ctx context.Context, q querier, name string, lock bool) (*auth.User, error) {
	sql := "SELECT " + userCols + " FROM ebios_users WHERE name = $1"
	if lock {
		sql += " FOR UPDATE"
	}
	u, err := scanUser(q.QueryRow(ctx, sql, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, auth.ErrUserNotFound(name)
	}
	return u, err
}

func createUser(ctx context.Context, tx pgx.Tx, u *auth.User) error {
	// A user of this name was deleted while its tokens may still be
	// unexpired: start past its generation, so they stay revoked.
	var g uint64
	err := tx.QueryRow(ctx, "SELECT generation FROM ebios_deleted_users WHERE name = $1 AND expires > now()", u.Name).Scan(&g)
	if err == nil && g > u.Generation {
		u.Generation = g
	} else if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	_, err = tx.Exec(ctx, "INSERT INTO ebios_users ("+userCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", userArgs(u)...)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
		return auth.ErrUserExists(u.Name)
	}
	return err
}

// keepAdmin refuses a change of before into after (nil: deleted) that
// leaves no enabled admin.
func keepAdmin(ctx context.Context, tx pgx.Tx, name string, before, after *auth.User) error {
	if !auth.IsAdmin(before) || (after != nil && auth.IsAdmin(after)) {
		return nil
	}
	var other bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM ebios_users WHERE name <> $1 AND role = 'admin' AND NOT disabled)", name).Scan(&other); err != nil {
		return err
	}
	if !other {
		return auth.ErrLastAdmin(name, before, after)
	}
	return nil
}

// CreateUser implements auth.Store.
func (s *Users) CreateUser(ctx context.Context, u *auth.User) error {
	return s.change(ctx, func(tx pgx.Tx) error { return createUser(ctx, tx, u) })
}

// GetUser implements auth.Store.
func (s *Users) GetUser(ctx context.Context, name string) (*auth.User, error) {
	u, err := getUser(ctx, s.pool, name, false)
	return u, usersErr(err)
}

// ListUsers implements auth.Store.
func (s *Users) ListUsers(ctx context.Context) ([]*auth.User, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+userCols+" FROM ebios_users ORDER BY name COLLATE \"C\"")
	if err != nil {
		return nil, usersErr(err)
	}
	defer rows.Close()
	var us []*auth.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, usersErr(err)
		}
		us = append(us, u)
	}
	return us, usersErr(rows.Err())
}

// UpdateUser implements auth.Store.
func (s *Users) UpdateUser(ctx context.Context, name string, fn func(*auth.User) error) (*auth.User, error) {
	var u *auth.User
	err := s.change(ctx, func(tx pgx.Tx) error {
		var err error
		if u, err = getUser(ctx, tx, name, true); err != nil {
			return err
		}
		before := *u
		if err := fn(u); err != nil {
			return err
		}
		u.Name = name // the key is the name; fn cannot rename
		if err := keepAdmin(ctx, tx, name, &before, u); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE ebios_users SET role = $2, password_hash = $3, disabled = $4, generation = $5,
			created_at = $6, updated_at = $7, last_login = $8 WHERE name = $1`, userArgs(u)...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// DeleteUser implements auth.Store.
func (s *Users) DeleteUser(ctx context.Context, name string, ttl time.Duration) (*auth.User, error) {
	var u *auth.User
	err := s.change(ctx, func(tx pgx.Tx) error {
		var err error
		if u, err = getUser(ctx, tx, name, true); err != nil {
			return err
		}
		if err := keepAdmin(ctx, tx, name, u, nil); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM ebios_users WHERE name = $1", name); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO ebios_deleted_users (name, generation, expires) VALUES ($1, $2, now() + $3::interval)
			ON CONFLICT (name) DO UPDATE SET generation = excluded.generation, expires = excluded.expires`, name, u.Generation+1, ttlOf(ttl))
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// HasAdmin implements auth.Store.
func (s *Users) HasAdmin(ctx context.Context) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM ebios_users WHERE role = 'admin' AND NOT disabled)").Scan(&ok)
	return ok, usersErr(err)
}

// ttlOf is a TTL as a PostgreSQL interval, at least a second.
func ttlOf(ttl time.Duration) string {
	return max(ttl, time.Second).String()
}

// PutSetupToken implements auth.Store.
func (s *Users) PutSetupToken(ctx context.Context, hash []byte, ttl time.Duration) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO ebios_setup_token (id, hash, expires) VALUES (1, $1, now() + $2::interval)
		ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, expires = excluded.expires`, hash, ttlOf(ttl))
	return usersErr(err)
}

// ClaimSetupToken implements auth.Store.
func (s *Users) ClaimSetupToken(ctx context.Context, hash []byte, admin *auth.User) error {
	return s.change(ctx, func(tx pgx.Tx) error {
		var want []byte
		err := tx.QueryRow(ctx, "SELECT hash FROM ebios_setup_token WHERE id = 1 AND expires > now()").Scan(&want)
		if errors.Is(err, pgx.ErrNoRows) {
			return auth.ErrSetupToken("no setup token is pending (it was used, expired, or an admin exists)")
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(want, hash) != 1 {
			return auth.ErrSetupToken("")
		}
		var admins bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM ebios_users WHERE role = 'admin' AND NOT disabled)").Scan(&admins); err != nil {
			return err
		}
		if admins {
			return auth.ErrSetupToken("an admin already exists")
		}
		if err := createUser(ctx, tx, admin); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM ebios_setup_token")
		return err
	})
}

// RevokeFamily implements auth.Store.
func (s *Users) RevokeFamily(ctx context.Context, family string, ttl time.Duration) error {
	return usersErr(durableTx(ctx, s.pool, func(tx pgx.Tx) error { return revoke(ctx, tx, family, ttl) }))
}

// revoke revokes a family, telling the other servers when it commits.
func revoke(ctx context.Context, q querier, family string, ttl time.Duration) error {
	_, err := q.Exec(ctx, `INSERT INTO ebios_revoked (family, expires) VALUES ($1, now() + $2::interval)
		ON CONFLICT (family) DO UPDATE SET expires = greatest(ebios_revoked.expires, excluded.expires)`, family, ttlOf(ttl))
	if err != nil {
		return err
	}
	return notifyChanged(ctx, q)
}

// FamilyRevoked implements auth.Store.
func (s *Users) FamilyRevoked(ctx context.Context, family string) (bool, error) {
	var revoked bool
	err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM ebios_revoked WHERE family = $1 AND expires > now())", family).Scan(&revoked)
	return revoked, usersErr(err)
}

// SpendRefresh implements auth.Store. Two servers spending the same token
// at once: the second INSERT waits for the first's commit, then conflicts,
// and is taken as a reuse.
func (s *Users) SpendRefresh(ctx context.Context, jti, family string, ttl, familyTTL time.Duration) error {
	var reuse bool
	err := durableTx(ctx, s.pool, func(tx pgx.Tx) error {
		var revoked bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM ebios_revoked WHERE family = $1 AND expires > now())", family).Scan(&revoked); err != nil {
			return err
		}
		if revoked {
			return auth.ErrRevoked()
		}
		// A spent row that has expired is taken over (the token itself has
		// expired by then).
		tag, err := tx.Exec(ctx, `INSERT INTO ebios_spent (jti, family, expires) VALUES ($1, $2, now() + $3::interval)
			ON CONFLICT (jti) DO UPDATE SET family = excluded.family, expires = excluded.expires WHERE ebios_spent.expires <= now()`,
			jti, family, ttlOf(ttl))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			reuse = true
			return revoke(ctx, tx, family, familyTTL) // committed with the transaction
		}
		return nil
	})
	if err != nil {
		return usersErr(err)
	}
	if reuse {
		return auth.ErrRefreshReuse()
	}
	return nil
}

// Prune deletes the expired revocation, spent-token and deleted-user rows,
// an expired setup token and the failed logins of ended windows; serve
// runs it every few minutes.
func (s *Users) Prune(ctx context.Context) error {
	for _, t := range []string{"ebios_revoked", "ebios_spent", "ebios_deleted_users", "ebios_setup_token"} {
		if _, err := s.pool.Exec(ctx, "DELETE FROM "+t+" WHERE expires <= now()"); err != nil {
			return usersErr(err)
		}
	}
	_, err := s.pool.Exec(ctx, "DELETE FROM ebios_login_failures WHERE window_end <= clock_timestamp()")
	return usersErr(err)
}

// Close does nothing: the pool is the log store's.
func (s *Users) Close() error { return nil }
