package auth

import (
	"context"
	"testing"
	"time"
)

// TestCacheNeverOutlivesAChange: a cached access token sees role changes,
// disabling, password resets and logouts at once, and expires with its
// token.
func TestCacheNeverOutlivesAChange(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.addUser("ann", RoleOperator)
	check := func(tok string) (*Principal, error) { return e.svc.CheckAccess(ctx, tok) }

	tok := e.login("ann").AccessToken
	for i := 0; i < 2; i++ { // the second call is served from the cache
		if p, err := check(tok); err != nil || p.Role != RoleOperator {
			t.Fatalf("check %d: %v %v", i, p, err)
		}
	}
	if _, err := e.svc.SetRole(ctx, "ann", RoleAuditor); err != nil {
		t.Fatal(err)
	}
	if p, err := check(tok); err != nil || p.Role != RoleAuditor {
		t.Fatalf("after SetRole: %v %v", p, err)
	}
	if _, err := e.svc.Disable(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := check(tok); err == nil {
		t.Fatal("disabled user's cached token still accepted")
	}
	e.svc.Enable(ctx, "ann")
	tok = e.login("ann").AccessToken
	check(tok)
	if err := e.svc.Logout(ctx, tok); err != nil {
		t.Fatal(err)
	}
	wantCode(t, func() error { _, err := check(tok); return err }(), CodeRevokedToken)

	tok = e.login("ann").AccessToken
	check(tok)
	e.svc.ResetPassword(ctx, "ann", "another long passphrase")
	wantCode(t, func() error { _, err := check(tok); return err }(), CodeRevokedToken)

	// Expiry: the cache never extends a token's life.
	e.svc.ResetPassword(ctx, "ann", testPassword)
	tok = e.login("ann").AccessToken
	check(tok)
	e.clock.Add(16 * time.Minute)
	wantCode(t, func() error { _, err := check(tok); return err }(), CodeExpiredToken)
}
