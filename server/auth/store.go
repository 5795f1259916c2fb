package auth

import (
	"context"
	"time"
)

// User is one account. PasswordHash never leaves the package in JSON: it is
// tagged "-", so a User can be written to an API response as it is.
type User struct {
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled"`
	Generation   uint64    `json:"-"` // bumped by password reset and disable; older tokens are revoked
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	LastLogin    time.Time `json:"last_login,omitzero"`
}

// Store keeps users, the setup token and token revocation state. Every
// method is atomic. Errors are *nu.Error values of this package (AUTH_013
// user exists, AUTH_014 not found, AUTH_012 setup token, AUTH_005 revoked,
// AUTH_010 refresh reuse, AUTH_017 store failure).
//
// [BuntStore] is the implementation; its file is separate from the ledger's.
type Store interface {
	// CreateUser stores a new user; AUTH_013 if the name is taken.
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns the user called name; AUTH_014 if there is none.
	GetUser(ctx context.Context, name string) (*User, error)
	// ListUsers returns every user, ordered by name.
	ListUsers(ctx context.Context) ([]*User, error)
	// UpdateUser applies fn to the stored user and stores the result, in one
	// transaction. An error from fn aborts the update and is returned. A
	// change that would turn the last enabled admin into something else
	// (another role, disabled) is refused with AUTH_019.
	UpdateUser(ctx context.Context, name string, fn func(*User) error) (*User, error)
	// DeleteUser removes the user called name and returns it as it was:
	// AUTH_014 if there is none, AUTH_019 if it is the last enabled admin.
	// For ttl (at least the lifetime of any token of the user) a user made
	// under the same name gets a higher generation, so the deleted user's
	// tokens do not pass for the new user's.
	DeleteUser(ctx context.Context, name string, ttl time.Duration) (*User, error)
	// HasAdmin reports whether an enabled admin exists.
	HasAdmin(ctx context.Context) (bool, error)

	// PutSetupToken replaces the setup token by one whose SHA-256 is hash,
	// valid for ttl.
	PutSetupToken(ctx context.Context, hash []byte, ttl time.Duration) error
	// ClaimSetupToken checks that hash is the stored setup token's hash and
	// that no enabled admin exists, then creates admin and deletes the token,
	// all in one transaction; otherwise AUTH_012 (or AUTH_013).
	ClaimSetupToken(ctx context.Context, hash []byte, admin *User) error

	// RevokeFamily marks a token family revoked for ttl (at least the
	// lifetime of any token in it).
	RevokeFamily(ctx context.Context, family string, ttl time.Duration) error
	// FamilyRevoked reports whether the family is revoked.
	FamilyRevoked(ctx context.Context, family string) (bool, error)
	// SpendRefresh marks the refresh token jti of family spent for ttl. If the
	// family is revoked it returns AUTH_005; if jti was already spent it
	// revokes the family for familyTTL and returns AUTH_010.
	SpendRefresh(ctx context.Context, jti, family string, ttl, familyTTL time.Duration) error
}
