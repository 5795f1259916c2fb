package d1log

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"time"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
)

// Users is the Worker's user store (server/auth.Store) in D1: users,
// deleted users' generations, revoked token families and spent refresh
// tokens. Each method is one statement or one batch, so atomic; where a
// method must read before it writes (update, delete, refresh), the write
// is conditional on what was read, and a lost race is an error, never a
// silent overwrite.
//
// The setup token is not stored: it is the Worker's secret
// EBIOS_SETUP_TOKEN, whose SHA-256 is SetupHash (nil: no setup token).
type Users struct {
	DB        DB
	SetupHash []byte
	// Now is the clock of expiries (default time.Now).
	Now func() time.Time
}

var _ auth.Store = (*Users)(nil)

func (s *Users) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// storedUser is a user as the users table keeps it, hash included.
type storedUser struct {
	Name         string    `json:"name"`
	Role         auth.Role `json:"role"`
	PasswordHash string    `json:"password_hash"`
	Disabled     bool      `json:"disabled,omitempty"`
	Generation   uint64    `json:"generation"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	LastLogin    time.Time `json:"last_login,omitzero"`
}

func encodeUser(u *auth.User) string {
	b, _ := json.Marshal(storedUser(*u))
	return string(b)
}

func decodeUser(v string) (*auth.User, error) {
	var su storedUser
	if err := json.Unmarshal([]byte(v), &su); err != nil {
		return nil, storeErr(errors.New("damaged user record: " + err.Error()))
	}
	u := auth.User(su)
	return &u, nil
}

func authErr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: auth.CategoryAuth, Message: msg, Details: details, Remediation: remedy}
}

func storeErr(err error) *nu.Error {
	return authErr(auth.CodeStore, "the user store failed", err.Error(),
		"retry; if it persists, check the D1 database and that its migrations are applied")
}

func errNotFound(name string) *nu.Error {
	return authErr(auth.CodeUserNotFound, "no such user", "user "+name, "list the users with GET /api/v1/users")
}

func errExists(name string) *nu.Error {
	return authErr(auth.CodeUserExists, "the user exists", "user "+name, "choose another name")
}

// errRace is a conditional write that found the row changed under it.
func errRace(what string) *nu.Error {
	return storeErr(errors.New(what + " changed while it was being written; nothing was written"))
}

func (s *Users) query(ctx context.Context, q string, args ...any) ([][]any, error) {
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, storeErr(err)
	}
	return rows, nil
}

// exec runs one statement and returns the rows it names with RETURNING.
func (s *Users) exec(ctx context.Context, q string, args ...any) (int, error) {
	rows, err := s.query(ctx, q, args...)
	return len(rows), err
}

// CreateUser implements auth.Store. A user made under the name of a
// deleted one starts past its generation, so old tokens stay revoked.
func (s *Users) CreateUser(ctx context.Context, u *auth.User) error {
	rows, err := s.query(ctx, "SELECT generation FROM deleted_users WHERE name = ? AND expires_at > ?", u.Name, s.now().Unix())
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		if g := uint64(asInt(rows[0][0])); g > u.Generation { // #nosec G115 -- generations are stored from uint64 values below 2^63
			u.Generation = g
		}
	}
	n, err := s.exec(ctx, "INSERT INTO users (name, record) VALUES (?, ?) ON CONFLICT (name) DO NOTHING RETURNING name", u.Name, encodeUser(u))
	if err != nil {
		return err
	}
	if n == 0 {
		return errExists(u.Name)
	}
	return nil
}

// get returns the user and its stored record.
func (s *Users) get(ctx context.Context, name string) (*auth.User, string, error) {
	rows, err := s.query(ctx, "SELECT record FROM users WHERE name = ?", name)
	if err != nil {
		return nil, "", err
	}
	if len(rows) == 0 {
		return nil, "", errNotFound(name)
	}
	rec := asString(rows[0][0])
	u, err := decodeUser(rec)
	return u, rec, err
}

// GetUser implements auth.Store.
func (s *Users) GetUser(ctx context.Context, name string) (*auth.User, error) {
	u, _, err := s.get(ctx, name)
	return u, err
}

// ListUsers implements auth.Store.
func (s *Users) ListUsers(ctx context.Context) ([]*auth.User, error) {
	rows, err := s.query(ctx, "SELECT record FROM users ORDER BY name")
	if err != nil {
		return nil, err
	}
	us := make([]*auth.User, 0, len(rows))
	for _, r := range rows {
		u, err := decodeUser(asString(r[0]))
		if err != nil {
			return nil, err
		}
		us = append(us, u)
	}
	return us, nil
}

func isAdmin(u *auth.User) bool { return u.Role == auth.RoleAdmin && !u.Disabled }

// keepAdmin refuses (AUTH_019) a change that leaves no enabled admin.
func (s *Users) keepAdmin(ctx context.Context, before, after *auth.User) error {
	if !isAdmin(before) || (after != nil && isAdmin(after)) {
		return nil
	}
	us, err := s.ListUsers(ctx)
	if err != nil {
		return err
	}
	for _, u := range us {
		if u.Name != before.Name && isAdmin(u) {
			return nil
		}
	}
	change := "deleting it"
	switch {
	case after == nil:
	case after.Disabled && !before.Disabled:
		change = "disabling it"
	default:
		change = "making it " + string(after.Role)
	}
	return authErr(auth.CodeLastAdmin, "the last enabled admin cannot be disabled, demoted or deleted",
		"user "+before.Name+" is the only enabled admin; "+change+" would leave no one to manage users",
		"make another user an admin (or enable a disabled admin) first, then change this one")
}

// updateTries is how often UpdateUser reads and writes again when the
// record changed between its read and its write (two logins at once, each
// setting the last login): each round lets at least one writer through.
const updateTries = 16

// UpdateUser implements auth.Store: the write happens only if the record
// is still the one fn saw; otherwise fn is applied again to the new one.
func (s *Users) UpdateUser(ctx context.Context, name string, fn func(*auth.User) error) (*auth.User, error) {
	for range updateTries {
		u, rec, err := s.get(ctx, name)
		if err != nil {
			return nil, err
		}
		before := *u
		if err := fn(u); err != nil {
			return nil, err
		}
		u.Name = name
		if err := s.keepAdmin(ctx, &before, u); err != nil {
			return nil, err
		}
		n, err := s.exec(ctx, "UPDATE users SET record = ? WHERE name = ? AND record = ? RETURNING name", encodeUser(u), name, rec)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return u, nil
		}
	}
	return nil, errRace("user " + name)
}

// DeleteUser implements auth.Store.
func (s *Users) DeleteUser(ctx context.Context, name string, ttl time.Duration) (*auth.User, error) {
	u, rec, err := s.get(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := s.keepAdmin(ctx, u, nil); err != nil {
		return nil, err
	}
	err = s.DB.Batch(ctx, []Stmt{
		{"DELETE FROM users WHERE name = ? AND record = ?", []any{name, rec}},
		{"INSERT INTO deleted_users (name, generation, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET generation = excluded.generation, expires_at = excluded.expires_at",
			[]any{name, int64(u.Generation + 1), s.expiry(ttl)}}, // #nosec G115 -- generations stay far below 2^63
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return u, nil
}

func (s *Users) expiry(ttl time.Duration) int64 {
	return s.now().Add(max(ttl, time.Second)).Unix() + 1
}

// HasAdmin implements auth.Store.
func (s *Users) HasAdmin(ctx context.Context) (bool, error) {
	us, err := s.ListUsers(ctx)
	if err != nil {
		return false, err
	}
	for _, u := range us {
		if isAdmin(u) {
			return true, nil
		}
	}
	return false, nil
}

// PutSetupToken is refused: the Worker's setup token is its secret
// EBIOS_SETUP_TOKEN.
func (s *Users) PutSetupToken(context.Context, []byte, time.Duration) error {
	return authErr(auth.CodeSetupToken, "the Worker's setup token is a secret, not stored", "",
		"set it with `wrangler secret put EBIOS_SETUP_TOKEN`, then POST /api/v1/auth/setup with it")
}

// ClaimSetupToken implements auth.Store: hash must be SHA-256 of the
// secret EBIOS_SETUP_TOKEN, and no enabled admin may exist.
func (s *Users) ClaimSetupToken(ctx context.Context, hash []byte, admin *auth.User) error {
	bad := func(details string) error {
		return authErr(auth.CodeSetupToken, "the setup token is not valid", details,
			"send the value of the Worker's secret EBIOS_SETUP_TOKEN; once an admin exists, admins add users")
	}
	if len(s.SetupHash) != sha256.Size {
		return bad("the Worker has no setup token (secret EBIOS_SETUP_TOKEN)")
	}
	if subtle.ConstantTimeCompare(s.SetupHash, hash) != 1 {
		return bad("")
	}
	if ok, err := s.HasAdmin(ctx); err != nil {
		return err
	} else if ok {
		return bad("an admin already exists")
	}
	// Only while the users table has no admin: two setups at once make one.
	n, err := s.exec(ctx, `INSERT INTO users (name, record) SELECT ?, ? WHERE NOT EXISTS
		(SELECT 1 FROM users WHERE json_extract(record, '$.role') = 'admin' AND json_extract(record, '$.disabled') IS NOT 1)
		ON CONFLICT (name) DO NOTHING RETURNING name`, admin.Name, encodeUser(admin))
	if err != nil {
		return err
	}
	if n == 0 {
		return bad("an admin already exists, or a user of that name")
	}
	return nil
}

// RevokeFamily implements auth.Store.
func (s *Users) RevokeFamily(ctx context.Context, family string, ttl time.Duration) error {
	_, err := s.exec(ctx, "INSERT INTO revoked_families (family, expires_at) VALUES (?, ?) ON CONFLICT (family) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)",
		family, s.expiry(ttl))
	return err
}

// FamilyRevoked implements auth.Store.
func (s *Users) FamilyRevoked(ctx context.Context, family string) (bool, error) {
	rows, err := s.query(ctx, "SELECT 1 FROM revoked_families WHERE family = ? AND expires_at > ?", family, s.now().Unix())
	return len(rows) > 0, err
}

// SpendRefresh implements auth.Store: the insert of the spent token is
// the atomic step; a second spend of it revokes the family.
func (s *Users) SpendRefresh(ctx context.Context, jti, family string, ttl, familyTTL time.Duration) error {
	if revoked, err := s.FamilyRevoked(ctx, family); err != nil {
		return err
	} else if revoked {
		return authErr(auth.CodeRevokedToken, "the token was revoked", "the session was logged out or revoked", "log in again")
	}
	n, err := s.exec(ctx, "INSERT INTO spent_refresh (jti, family, expires_at) VALUES (?, ?, ?) ON CONFLICT (jti) DO NOTHING RETURNING jti",
		jti, family, s.expiry(ttl))
	if err != nil {
		return err
	}
	if n == 0 {
		if err := s.RevokeFamily(ctx, family, familyTTL); err != nil {
			return err
		}
		return authErr(auth.CodeRefreshReuse, "the refresh token was already used; the session is revoked", "",
			"log in again; if you did not use this token twice, it may have been stolen")
	}
	return nil
}
