package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ebios/ebios/core/nu"
)

// Defaults of [Options].
const (
	DefaultAccessTTL  = 15 * time.Minute
	DefaultRefreshTTL = 7 * 24 * time.Hour
	DefaultLeeway     = 30 * time.Second
	DefaultSetupTTL   = 24 * time.Hour
	DefaultIssuer     = "ebios"
)

// Options configure a [Service]. Only Secret is required.
type Options struct {
	Secret     []byte        // HMAC-SHA256 key, at least MinSecretLen bytes (see LoadOrCreateSecret)
	AccessTTL  time.Duration // default 15 min
	RefreshTTL time.Duration // default 7 days
	Leeway     time.Duration // clock skew allowed on exp/iat, default 30 s
	SetupTTL   time.Duration // lifetime of a setup token, default 24 h
	Issuer     string        // "iss" claim, default "ebios"
	Hasher     *Hasher       // default NewHasher(DefaultParams, 0); tests pass cheaper parameters

	// LoginFailures is how many failed logins one account name may have in
	// LoginWindow. Past it, logins for that name are refused with AUTH_020
	// (429, with the time to wait) without evaluating the password, from
	// any client address, until the window that the first of those
	// failures opened has ended (see throttle), or a password reset. Unknown
	// names are counted like real ones. The counts are the store's if it
	// is a [FailedLogins] (shared by the servers on one database), else
	// this process's. Default [DefaultLoginFailures]; negative: no limit.
	LoginFailures int
	// LoginWindow is the window of LoginFailures, and so the longest a
	// lock lasts; default [DefaultLoginWindow].
	LoginWindow time.Duration

	// OnFailure, if set, is called once for every authentication or
	// authorization failure with its reason, e.g. to count
	// ebios_auth_failures_total{reason}. It must be fast and safe for
	// concurrent use.
	OnFailure func(Reason)

	// Shared says that other processes change the same Store (several
	// servers on one PostgreSQL database): every access token is then
	// checked against the store, with no cache, so that a logout, a
	// revocation or a user change on another server holds at once, until
	// [Service.CacheSynced] says that this process is told of every change
	// made elsewhere ([Service.Invalidate]).
	Shared bool

	// Now is the clock (default time.Now); a test seam.
	Now func() time.Time
}

// Service is authentication and user management: login, refresh with
// rotation and reuse detection, logout, access-token checks, users and the
// one-time setup token. It is safe for concurrent use.
type Service struct {
	store     Store
	hasher    *Hasher
	tok       *tokens
	setupTTL  time.Duration
	onFailure func(Reason)
	now       func() time.Time

	dummy    string     // a hash to verify against for unknown users (Hasher.dummyHash)
	throttle loginLimit // per-account limit of failed logins

	cache  accessCache // verified access tokens; emptied by every revocation or user change
	bypass atomic.Bool // Options.Shared and not CacheSynced: no cache
}

// Principal is the authenticated caller of a request.
type Principal struct {
	User      string    // user name (the token's sub)
	Role      Role      // the user's current role, from the store
	TokenID   string    // jti of the access token
	Family    string    // token family: revoke it to end the session
	ExpiresAt time.Time // expiry of the access token
}

// New returns a Service over store.
func New(store Store, o Options) (*Service, error) {
	if len(o.Secret) < MinSecretLen {
		return nil, newErr(CodeConfig, "the token secret is too short",
			fmt.Sprintf("got %d bytes, at least %d are required", len(o.Secret), MinSecretLen),
			"use LoadOrCreateSecret, or configure auth.secret_file")
	}
	if o.AccessTTL == 0 {
		o.AccessTTL = DefaultAccessTTL
	}
	if o.RefreshTTL == 0 {
		o.RefreshTTL = DefaultRefreshTTL
	}
	if o.Leeway == 0 {
		o.Leeway = DefaultLeeway
	}
	if o.SetupTTL == 0 {
		o.SetupTTL = DefaultSetupTTL
	}
	if o.Issuer == "" {
		o.Issuer = DefaultIssuer
	}
	if o.AccessTTL < 0 || o.RefreshTTL <= o.AccessTTL || o.Leeway < 0 {
		return nil, newErr(CodeConfig, "bad token lifetimes",
			fmt.Sprintf("access %v, refresh %v, leeway %v", o.AccessTTL, o.RefreshTTL, o.Leeway),
			"the refresh token must outlive the access token; both must be positive")
	}
	if o.Hasher == nil {
		o.Hasher = NewHasher(DefaultParams, 0)
	}
	if o.LoginFailures == 0 {
		o.LoginFailures = DefaultLoginFailures
	}
	if o.LoginWindow == 0 {
		o.LoginWindow = DefaultLoginWindow
	}
	if o.LoginWindow < 0 {
		return nil, newErr(CodeConfig, "bad login window", fmt.Sprintf("got %v", o.LoginWindow),
			"the window of the per-account limit of failed logins must be positive")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	secret := append([]byte(nil), o.Secret...)
	s := &Service{
		store: store, hasher: o.Hasher, setupTTL: o.SetupTTL, onFailure: o.OnFailure, now: o.Now,
		tok:      newTokens(secret, o.Issuer, o.AccessTTL, o.RefreshTTL, o.Leeway, o.Now),
		dummy:    o.Hasher.dummyHash(),
		throttle: newLoginLimit(store, loginRule{max: o.LoginFailures, window: o.LoginWindow}),
	}
	s.bypass.Store(o.Shared)
	return s, nil
}

// Invalidate empties the cache of access tokens: another process changed
// the shared store (a revocation, a user change).
func (s *Service) Invalidate() { s.cache.invalidate() }

// CacheSynced says, for a store shared with other processes
// ([Options.Shared]), whether this process is now told of every change
// they make (through Invalidate): only then are access tokens cached.
func (s *Service) CacheSynced(ok bool) {
	s.bypass.Store(!ok)
	s.cache.invalidate()
}

// fail reports err to OnFailure when it is an auth failure, and returns it.
func (s *Service) fail(err error) error {
	if s.onFailure != nil {
		if r := reasonOf(codeOf(err)); r != "" {
			s.onFailure(r)
		}
	}
	return err
}

// Login checks name and password and returns a new token pair in a new
// family.
//
// Every refusal is a *[LoginError]. An unknown user, a wrong password and a
// disabled user (even with the right password) get the same AUTH_008 after
// the same work: for an unknown user the password is verified against a
// dummy hash of the hasher's parameters. Only the LoginError's Reason and
// Cause, for the server's log and metrics, tell them apart.
//
// Past Options.LoginFailures failed logins for one name within
// Options.LoginWindow, the name's logins are refused with AUTH_020 and the
// time to wait, without evaluating the password.
func (s *Service) Login(ctx context.Context, name, password string) (*TokenPair, *User, error) {
	if len(password) > MaxPasswordLen {
		return nil, nil, s.refuse(ReasonBadCredentials, "the password is over the length limit", errBadCredentials(), 0)
	}
	wait, ok, err := s.throttle.begin(ctx, name, s.now())
	if err != nil {
		return nil, nil, err // the store's AUTH_017
	}
	if !ok {
		return nil, nil, s.refuse(ReasonThrottled, "too many failed logins for the account",
			errThrottled(s.throttle.limit(), wait), wait)
	}
	u, err := s.store.GetUser(ctx, name)
	known := err == nil
	if err != nil && codeOf(err) != CodeUserNotFound {
		s.throttle.undo(ctx, name)
		return nil, nil, err
	}
	hash := s.dummy
	if known {
		hash = u.PasswordHash
	}
	ok, err = s.hasher.Verify(ctx, password, hash)
	if err != nil && ctx.Err() != nil {
		s.throttle.undo(ctx, name)
		return nil, nil, ctx.Err()
	}
	switch {
	case !known:
		return nil, nil, s.refuse(ReasonBadCredentials, "no such user", errBadCredentials(), 0)
	case err != nil:
		return nil, nil, s.refuse(ReasonBadCredentials, "the stored password hash is malformed", errBadCredentials(), 0)
	case !ok:
		return nil, nil, s.refuse(ReasonBadCredentials, "wrong password", errBadCredentials(), 0)
	case u.Disabled:
		// The right password of a disabled account: answered like a wrong
		// one, so that the answer does not tell a guesser the password is
		// right. The log says why.
		return nil, nil, s.refuse(ReasonDisabled, "the account is disabled (the password was right)", errBadCredentials(), 0)
	}
	s.throttle.succeeded(ctx, name)
	rehash := ""
	if s.hasher.NeedsRehash(u.PasswordHash) {
		rehash, _ = s.hasher.Hash(ctx, password)
	}
	now := s.now()
	u, err = s.store.UpdateUser(ctx, name, func(u *User) error {
		u.LastLogin = now
		if rehash != "" {
			u.PasswordHash = rehash
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	p, err := s.tok.issue(u, randomID())
	if err != nil {
		return nil, nil, err
	}
	return p, u, nil
}

// refuse reports a refused login to OnFailure under its real reason and
// returns the LoginError that shows the client only public.
func (s *Service) refuse(reason Reason, cause string, public *nu.Error, retry time.Duration) error {
	if s.onFailure != nil {
		s.onFailure(reason)
	}
	return &LoginError{Public: public, Reason: reason, Cause: cause, RetryAfter: retry}
}

// Refresh exchanges a refresh token for a new pair in the same family. The
// presented token is spent: presenting it again revokes the whole family
// (AUTH_010), and so ends the session of whoever holds its newer tokens.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*TokenPair, error) {
	c, err := s.tok.parse(refreshToken, RefreshToken)
	if err != nil {
		return nil, s.fail(err)
	}
	remaining := c.ExpiresAt.Sub(s.now()) + s.tok.leeway
	if err := s.store.SpendRefresh(ctx, c.ID, c.Family, remaining, s.familyTTL()); err != nil {
		s.cache.invalidate() // a reused refresh token revokes its family
		return nil, s.fail(err)
	}
	u, err := s.currentUser(ctx, c)
	if err != nil {
		return nil, s.fail(err)
	}
	return s.tok.issue(u, c.Family)
}

func (s *Service) familyTTL() time.Duration { return s.tok.refreshTTL + s.tok.leeway }

// currentUser loads the token's user and checks that it still exists, is
// enabled and has the token's generation.
func (s *Service) currentUser(ctx context.Context, c *Claims) (*User, error) {
	u, err := s.store.GetUser(ctx, c.Subject)
	if codeOf(err) == CodeUserNotFound {
		return nil, errRevoked("the user no longer exists")
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errDisabled()
	}
	if u.Generation != c.Generation {
		return nil, errRevoked("the password was reset or the account was disabled since the token was issued")
	}
	return u, nil
}

// CheckAccess verifies an access token: signature (HS256 only), issuer,
// expiry, type, family revocation and the user's state. The principal
// carries the user's current role.
func (s *Service) CheckAccess(ctx context.Context, accessToken string) (*Principal, error) {
	now := s.now()
	if p, ok := s.cache.get(accessToken, now); ok && !s.bypass.Load() {
		return p, nil
	}
	epoch := s.cache.epoch.Load() // before the checks: a change during them discards the entry
	c, err := s.tok.parse(accessToken, AccessToken)
	if err != nil {
		return nil, s.fail(err)
	}
	revoked, err := s.store.FamilyRevoked(ctx, c.Family)
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, s.fail(errRevoked("the session was logged out or revoked"))
	}
	u, err := s.currentUser(ctx, c)
	if err != nil {
		return nil, s.fail(err)
	}
	p := &Principal{User: u.Name, Role: u.Role, TokenID: c.ID, Family: c.Family, ExpiresAt: c.ExpiresAt.Time}
	if !s.bypass.Load() {
		s.cache.put(accessToken, p, now, epoch)
	}
	return p, nil
}

// Logout revokes the family of token, an access or a refresh token of this
// server that has not expired: every token of that login stops working.
// Revoking a revoked family succeeds.
func (s *Service) Logout(ctx context.Context, token string) error {
	c, err := s.tok.parse(token, "")
	if err != nil {
		return s.fail(err)
	}
	return s.RevokeFamily(ctx, c.Family)
}

// RevokeFamily revokes every token of a family, e.g. Principal.Family.
func (s *Service) RevokeFamily(ctx context.Context, family string) error {
	defer s.cache.invalidate()
	return s.store.RevokeFamily(ctx, family, s.familyTTL())
}

// AddUser creates a user after checking the name, the role and the password
// policy.
func (s *Service) AddUser(ctx context.Context, name, password string, role Role) (*User, error) {
	u, err := s.newUser(ctx, name, password, role)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Service) newUser(ctx context.Context, name, password string, role Role) (*User, error) {
	if !validName(name) {
		return nil, newErr(CodeBadUsername, "invalid user name", "got "+quote(name),
			"use 1 to 64 characters from A-Z a-z 0-9 . _ @ -, starting with a letter or digit")
	}
	if !role.Valid() {
		_, err := ParseRole(string(role))
		return nil, err
	}
	if err := CheckPasswordPolicy(password); err != nil {
		return nil, err
	}
	h, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	return &User{Name: name, Role: role, PasswordHash: h, CreatedAt: now, UpdatedAt: now}, nil
}

// GetUser returns the user called name.
func (s *Service) GetUser(ctx context.Context, name string) (*User, error) {
	return s.store.GetUser(ctx, name)
}

// ListUsers returns every user, ordered by name.
func (s *Service) ListUsers(ctx context.Context) ([]*User, error) { return s.store.ListUsers(ctx) }

// SetRole changes a user's role. It takes effect at the user's next request:
// access checks read the role from the store, not from the token. The last
// enabled admin cannot be demoted (AUTH_019).
func (s *Service) SetRole(ctx context.Context, name string, role Role) (*User, error) {
	if !role.Valid() {
		_, err := ParseRole(string(role))
		return nil, err
	}
	return s.update(ctx, name, func(u *User) { u.Role = role })
}

// Disable disables a user and revokes all their tokens. The last enabled
// admin cannot be disabled (AUTH_019).
func (s *Service) Disable(ctx context.Context, name string) (*User, error) {
	return s.update(ctx, name, func(u *User) { u.Disabled = true; u.Generation++ })
}

// Enable enables a disabled user; they must log in again.
func (s *Service) Enable(ctx context.Context, name string) (*User, error) {
	return s.update(ctx, name, func(u *User) { u.Disabled = false })
}

// ResetPassword sets a new password (checked against the policy) and revokes
// all the user's tokens. It also forgets the name's failed logins, so a
// user locked out by someone else's guesses can log in with the new
// password at once.
func (s *Service) ResetPassword(ctx context.Context, name, password string) (*User, error) {
	if err := CheckPasswordPolicy(password); err != nil {
		return nil, err
	}
	h, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	u, err := s.update(ctx, name, func(u *User) { u.PasswordHash = h; u.Generation++ })
	if err == nil {
		s.throttle.succeeded(ctx, name)
	}
	return u, err
}

// DeleteUser removes a user: their tokens stop working at once (access and
// refresh tokens name a user that no longer exists), and a user made later
// under the same name does not inherit them. The last enabled admin cannot
// be deleted (AUTH_019). Nothing else changes: ledger entries that name
// the user keep the name as text. It returns the user as they were.
func (s *Service) DeleteUser(ctx context.Context, name string) (*User, error) {
	defer s.cache.invalidate()
	return s.store.DeleteUser(ctx, name, s.familyTTL())
}

func (s *Service) update(ctx context.Context, name string, fn func(*User)) (*User, error) {
	now := s.now()
	defer s.cache.invalidate() // roles, disabling and password resets take effect at once
	return s.store.UpdateUser(ctx, name, func(u *User) error {
		fn(u)
		u.UpdatedAt = now
		return nil
	})
}

// SetupToken makes a new one-time setup token if no enabled admin exists,
// replacing any earlier one, and returns it for the caller to print. Only
// its SHA-256 is stored. It returns "" when an admin exists.
//
// The token has the form "ebios-setup-" + 43 base64url characters (256
// random bits) and is valid for Options.SetupTTL.
func (s *Service) SetupToken(ctx context.Context) (string, error) {
	ok, err := s.store.HasAdmin(ctx)
	if err != nil || ok {
		return "", err
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := "ebios-setup-" + base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(tok))
	if err := s.store.PutSetupToken(ctx, h[:], s.setupTTL); err != nil {
		return "", err
	}
	return tok, nil
}

// NeedsSetup reports whether no admin exists yet: the first one is made
// with the setup token the server printed (Setup).
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	ok, err := s.store.HasAdmin(ctx)
	return !ok, err
}

// Setup exchanges the setup token for the first admin account. It works
// once: the token is deleted in the same transaction that creates the admin.
func (s *Service) Setup(ctx context.Context, setupToken, name, password string) (*User, error) {
	u, err := s.newUser(ctx, name, password, RoleAdmin)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256([]byte(setupToken))
	if err := s.store.ClaimSetupToken(ctx, h[:], u); err != nil {
		return nil, s.fail(err)
	}
	return u, nil
}
