package auth

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/buntdb"
)

// Key layout of the users file.
//
//	user:<name>      JSON of the user, with its password hash
//	setup            hex SHA-256 of the setup token (with TTL)
//	revoked:<family> "1" (with TTL): the family's tokens are revoked
//	spent:<jti>      family id (with TTL): the refresh token was used
//	deleted:<name>   the generation a new user of that name starts at (with
//	                 TTL): the deleted user's tokens are not the new one's
const (
	prefixUser    = "user:"
	keySetup      = "setup"
	prefixRevoked = "revoked:"
	prefixSpent   = "spent:"
	prefixDeleted = "deleted:"
)

// BuntStore is the [Store] in a BuntDB file, normally DATA/users.db, kept
// apart from the ledger. Revocation keys carry BuntDB TTLs, so the file does
// not grow with the number of logins.
type BuntStore struct {
	db    *buntdb.DB
	owned bool
}

var _ Store = (*BuntStore)(nil)

// NewBuntStore returns a store over an open BuntDB database. The caller
// keeps ownership: Close does not close db.
func NewBuntStore(db *buntdb.DB) *BuntStore { return &BuntStore{db: db} }

// OpenBuntStore opens (creating if needed) the BuntDB file at path with
// SyncPolicy Always, so a revocation survives a crash. ":memory:" gives a
// store without a file.
func OpenBuntStore(path string) (*BuntStore, error) {
	db, err := buntdb.Open(path)
	if err != nil {
		return nil, errStore(err)
	}
	var cfg buntdb.Config
	if err := db.ReadConfig(&cfg); err != nil {
		db.Close() // #nosec G104 -- cleanup after a failed open, whose error is the one reported
		return nil, errStore(err)
	}
	cfg.SyncPolicy = buntdb.Always
	if err := db.SetConfig(cfg); err != nil {
		db.Close() // #nosec G104 -- cleanup after a failed open, whose error is the one reported
		return nil, errStore(err)
	}
	return &BuntStore{db: db, owned: true}, nil
}

// Close closes the database if OpenBuntStore opened it.
func (s *BuntStore) Close() error {
	if !s.owned {
		return nil
	}
	return s.db.Close()
}

// Snapshot writes a consistent copy of the whole store to w, in BuntDB's
// file format (a file that OpenBuntStore opens), while the store stays in
// use: the online backup (server/backup) keeps users this way.
func (s *BuntStore) Snapshot(w io.Writer) error {
	if err := s.db.Save(w); err != nil {
		return errStore(err)
	}
	return nil
}

// storedUser is the on-disk form of a User, with the hash.
type storedUser struct {
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"password_hash"`
	Disabled     bool      `json:"disabled,omitempty"`
	Generation   uint64    `json:"generation"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	LastLogin    time.Time `json:"last_login,omitzero"`
}

func encodeUser(u *User) string {
	b, _ := json.Marshal(storedUser(*u))
	return string(b)
}

func decodeUser(v string) (*User, error) {
	var su storedUser
	if err := json.Unmarshal([]byte(v), &su); err != nil {
		return nil, errStore(errors.New("damaged user record: " + err.Error()))
	}
	u := User(su)
	return &u, nil
}

func getUser(tx *buntdb.Tx, name string) (*User, error) {
	v, err := tx.Get(prefixUser + name)
	if errors.Is(err, buntdb.ErrNotFound) {
		return nil, errUserNotFound(name)
	}
	if err != nil {
		return nil, errStore(err)
	}
	return decodeUser(v)
}

func createUser(tx *buntdb.Tx, u *User) error {
	if _, err := tx.Get(prefixUser + u.Name); err == nil {
		return errUserExists(u.Name)
	} else if !errors.Is(err, buntdb.ErrNotFound) {
		return errStore(err)
	}
	// A user of this name was deleted while its tokens may still be
	// unexpired: start past its generation, so they stay revoked.
	if v, err := tx.Get(prefixDeleted + u.Name); err == nil {
		if g, perr := strconv.ParseUint(v, 10, 64); perr == nil && g > u.Generation {
			u.Generation = g
		}
	} else if !errors.Is(err, buntdb.ErrNotFound) {
		return errStore(err)
	}
	_, _, err := tx.Set(prefixUser+u.Name, encodeUser(u), nil)
	return err
}

// isAdmin reports whether u is an enabled admin: one who can manage users.
func isAdmin(u *User) bool { return u.Role == RoleAdmin && !u.Disabled }

// keepAdmin refuses (AUTH_019) a change of the user called name, who was
// before, that leaves no enabled admin although there was one: after is
// the user after the change, nil if deleted.
func keepAdmin(tx *buntdb.Tx, name string, before, after *User, change string) error {
	if !isAdmin(before) || (after != nil && isAdmin(after)) {
		return nil
	}
	other := false
	err := forEachUser(tx, func(u *User) bool {
		other = u.Name != name && isAdmin(u)
		return !other
	})
	if err != nil {
		return err
	}
	if !other {
		return errLastAdmin(name, change)
	}
	return nil
}

// change names what turns before into after, for errLastAdmin.
func change(before, after *User) string {
	switch {
	case after == nil:
		return "deleting it"
	case after.Disabled && !before.Disabled:
		return "disabling it"
	default:
		return "making it " + string(after.Role)
	}
}

// forEachUser calls f with every user in name order until f returns
// false; a record that cannot be decoded stops it with that error.
func forEachUser(tx *buntdb.Tx, f func(*User) bool) error {
	var derr error
	err := tx.AscendKeys(prefixUser+"*", func(_, v string) bool {
		u, err := decodeUser(v)
		if err != nil {
			derr = err
			return false
		}
		return f(u)
	})
	if derr != nil {
		return derr
	}
	return err
}

func hasAdmin(tx *buntdb.Tx) (bool, error) {
	found := false
	err := forEachUser(tx, func(u *User) bool {
		found = isAdmin(u)
		return !found
	})
	return found, err
}

// wrap turns a BuntDB error into AUTH_017, leaving package errors alone.
func wrap(err error) error {
	if err == nil || codeOf(err) != "" {
		return err
	}
	return errStore(err)
}

// CreateUser implements [Store].
func (s *BuntStore) CreateUser(_ context.Context, u *User) error {
	return wrap(s.db.Update(func(tx *buntdb.Tx) error { return createUser(tx, u) }))
}

// GetUser implements [Store].
func (s *BuntStore) GetUser(_ context.Context, name string) (*User, error) {
	var u *User
	err := s.db.View(func(tx *buntdb.Tx) error {
		var err error
		u, err = getUser(tx, name)
		return err
	})
	return u, wrap(err)
}

// ListUsers implements [Store].
func (s *BuntStore) ListUsers(_ context.Context) ([]*User, error) {
	var us []*User
	err := s.db.View(func(tx *buntdb.Tx) error {
		return forEachUser(tx, func(u *User) bool { us = append(us, u); return true })
	})
	return us, wrap(err) // in name order: the keys are prefixUser + name
}

// UpdateUser implements [Store].
func (s *BuntStore) UpdateUser(_ context.Context, name string, fn func(*User) error) (*User, error) {
	var u *User
	err := s.db.Update(func(tx *buntdb.Tx) error {
		var err error
		if u, err = getUser(tx, name); err != nil {
			return err
		}
		before := *u
		if err := fn(u); err != nil {
			return err
		}
		u.Name = name // the key is the name; fn cannot rename
		if err := keepAdmin(tx, name, &before, u, change(&before, u)); err != nil {
			return err
		}
		_, _, err = tx.Set(prefixUser+name, encodeUser(u), nil)
		return err
	})
	if err != nil {
		return nil, wrap(err)
	}
	return u, nil
}

// DeleteUser implements [Store].
func (s *BuntStore) DeleteUser(_ context.Context, name string, ttl time.Duration) (*User, error) {
	var u *User
	err := s.db.Update(func(tx *buntdb.Tx) error {
		var err error
		if u, err = getUser(tx, name); err != nil {
			return err
		}
		if err := keepAdmin(tx, name, u, nil, change(u, nil)); err != nil {
			return err
		}
		if _, err := tx.Delete(prefixUser + name); err != nil {
			return err
		}
		_, _, err = tx.Set(prefixDeleted+name, strconv.FormatUint(u.Generation+1, 10), ttlOpts(ttl))
		return err
	})
	if err != nil {
		return nil, wrap(err)
	}
	return u, nil
}

// HasAdmin implements [Store].
func (s *BuntStore) HasAdmin(_ context.Context) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *buntdb.Tx) error {
		var err error
		ok, err = hasAdmin(tx)
		return err
	})
	return ok, wrap(err)
}

func ttlOpts(ttl time.Duration) *buntdb.SetOptions {
	if ttl < time.Second {
		ttl = time.Second
	}
	return &buntdb.SetOptions{Expires: true, TTL: ttl}
}

// PutSetupToken implements [Store].
func (s *BuntStore) PutSetupToken(_ context.Context, hash []byte, ttl time.Duration) error {
	return wrap(s.db.Update(func(tx *buntdb.Tx) error {
		_, _, err := tx.Set(keySetup, hex.EncodeToString(hash), ttlOpts(ttl))
		return err
	}))
}

func errSetupToken(details string) error {
	return newErr(CodeSetupToken, "the setup token is not valid", details,
		"use the token printed at the server's most recent start, or create an admin with `ebios user add`")
}

// ClaimSetupToken implements [Store].
func (s *BuntStore) ClaimSetupToken(_ context.Context, hash []byte, admin *User) error {
	return wrap(s.db.Update(func(tx *buntdb.Tx) error {
		v, err := tx.Get(keySetup)
		if errors.Is(err, buntdb.ErrNotFound) {
			return errSetupToken("no setup token is pending (it was used, expired, or an admin exists)")
		}
		if err != nil {
			return err
		}
		want, err := hex.DecodeString(v)
		if err != nil || subtle.ConstantTimeCompare(want, hash) != 1 {
			return errSetupToken("")
		}
		if ok, err := hasAdmin(tx); err != nil {
			return err
		} else if ok {
			_, _ = tx.Delete(keySetup)
			return errSetupToken("an admin already exists")
		}
		if err := createUser(tx, admin); err != nil {
			return err
		}
		_, err = tx.Delete(keySetup)
		return err
	}))
}

// RevokeFamily implements [Store].
func (s *BuntStore) RevokeFamily(_ context.Context, family string, ttl time.Duration) error {
	return wrap(s.db.Update(func(tx *buntdb.Tx) error {
		_, _, err := tx.Set(prefixRevoked+family, "1", ttlOpts(ttl))
		return err
	}))
}

// FamilyRevoked implements [Store].
func (s *BuntStore) FamilyRevoked(_ context.Context, family string) (bool, error) {
	var revoked bool
	err := s.db.View(func(tx *buntdb.Tx) error {
		_, err := tx.Get(prefixRevoked + family)
		if errors.Is(err, buntdb.ErrNotFound) {
			return nil
		}
		revoked = err == nil
		return err
	})
	return revoked, wrap(err)
}

// SpendRefresh implements [Store].
func (s *BuntStore) SpendRefresh(_ context.Context, jti, family string, ttl, familyTTL time.Duration) error {
	var reuse bool
	err := s.db.Update(func(tx *buntdb.Tx) error {
		if _, err := tx.Get(prefixRevoked + family); err == nil {
			return errRevoked("the session was logged out or revoked")
		} else if !errors.Is(err, buntdb.ErrNotFound) {
			return err
		}
		if _, err := tx.Get(prefixSpent + jti); err == nil {
			reuse = true
			_, _, err := tx.Set(prefixRevoked+family, "1", ttlOpts(familyTTL))
			return err // commit the revocation
		} else if !errors.Is(err, buntdb.ErrNotFound) {
			return err
		}
		_, _, err := tx.Set(prefixSpent+jti, family, ttlOpts(ttl))
		return err
	})
	if err != nil {
		return wrap(err)
	}
	if reuse {
		return ErrRefreshReuse()
	}
	return nil
}

// validName reports whether name is a valid user name: 1 to 64 characters
// from A-Z a-z 0-9 . _ @ -, not starting with a punctuation character.
func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !ok && i > 0 {
			ok = strings.ContainsRune("._@-", c)
		}
		if !ok {
			return false
		}
	}
	return true
}
