package pgstore

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
)

const testPassword = "correct horse battery staple"

// twoServers returns two auth services over one PostgreSQL database: two
// instances of ebios serve.
func twoServers(t *testing.T) (a, b *auth.Service, users *Users) {
	t.Helper()
	pg := startDB(t)
	ctx := context.Background()
	pool, err := Connect(ctx, pg.URL, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	svc := func() *auth.Service {
		s, err := auth.New(NewUsers(pool), auth.Options{Secret: secret, Shared: true,
			Hasher: auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 0)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return svc(), svc(), NewUsers(pool)
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if e, ok := nu.AsError(err); !ok || e.Code != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

// TestAuthAcrossInstances: sessions, revocations and user changes made
// through one server hold on the other at once.
func TestAuthAcrossInstances(t *testing.T) {
	a, b, _ := twoServers(t)
	ctx := context.Background()
	if _, err := a.AddUser(ctx, "root", testPassword, auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AddUser(ctx, "root", testPassword, auth.RoleAdmin); err == nil {
		t.Fatal("b created a user a had created")
	}
	if _, err := b.AddUser(ctx, "ann", testPassword, auth.RoleOperator); err != nil {
		t.Fatal(err)
	}

	// Refresh rotation: a token spent on b is a reuse on a, which revokes
	// the family everywhere.
	pair, _, err := a.Login(ctx, "ann", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CheckAccess(ctx, pair.AccessToken); err != nil {
		t.Fatalf("b refuses a's access token: %v", err)
	}
	next, err := b.Refresh(ctx, pair.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Refresh(ctx, pair.RefreshToken)
	wantCode(t, "reusing a spent refresh token on the other server", err, auth.CodeRefreshReuse)
	_, err = b.CheckAccess(ctx, next.AccessToken)
	wantCode(t, "the rotated access token after the reuse", err, auth.CodeRevokedToken)

	// Logout on one server: the access token stops working on the other.
	pair, _, err = b.Login(ctx, "ann", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CheckAccess(ctx, pair.AccessToken); err != nil {
		t.Fatal(err)
	}
	if err := b.Logout(ctx, pair.AccessToken); err != nil {
		t.Fatal(err)
	}
	_, err = a.CheckAccess(ctx, pair.AccessToken)
	wantCode(t, "an access token logged out on the other server", err, auth.CodeRevokedToken)

	// User changes: disabled on a, refused on b at once.
	pair, _, err = b.Login(ctx, "ann", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CheckAccess(ctx, pair.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Disable(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CheckAccess(ctx, pair.AccessToken); err == nil {
		t.Error("b accepts the token of a user a disabled")
	}
	if _, err := a.Enable(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CheckAccess(ctx, pair.AccessToken); err == nil {
		t.Error("a token from before the user was disabled works again")
	}
	if _, err := a.SetRole(ctx, "ann", auth.RoleAuditor); err != nil {
		t.Fatal(err)
	}
	if u, err := b.GetUser(ctx, "ann"); err != nil || u.Role != auth.RoleAuditor {
		t.Errorf("b sees ann as %v, %v", u, err)
	}
	if us, err := b.ListUsers(ctx); err != nil || len(us) != 2 || us[0].Name != "ann" || us[1].Name != "root" {
		t.Errorf("ListUsers: %v %v", us, err)
	}

	// Deleting and recreating a user: the old tokens stay revoked.
	pair, _, err = a.Login(ctx, "ann", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.DeleteUser(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddUser(ctx, "ann", testPassword, auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CheckAccess(ctx, pair.AccessToken); err == nil {
		t.Error("a deleted user's token passes for the new user of that name")
	}
	_, err = a.DeleteUser(ctx, "nobody")
	wantCode(t, "deleting an unknown user", err, auth.CodeUserNotFound)
}

// TestWatchedCache: with Watch, the servers cache access tokens, and a
// logout or a user change on one empties the other's cache as soon as
// its notification arrives.
func TestWatchedCache(t *testing.T) {
	a, b, users := twoServers(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, s := range []*auth.Service{a, b} {
		go users.Watch(ctx, s)
	}
	if _, err := a.AddUser(ctx, "ann", testPassword, auth.RoleOperator); err != nil {
		t.Fatal(err)
	}
	refused := func(s *auth.Service, token string) time.Duration {
		t.Helper()
		start := time.Now()
		for {
			if _, err := s.CheckAccess(ctx, token); err != nil {
				return time.Since(start)
			}
			if time.Since(start) > 2*time.Second {
				t.Fatal("the change made through the other server does not hold within 2 s")
			}
			time.Sleep(time.Millisecond)
		}
	}
	pair, _, err := a.Login(ctx, "ann", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)                              // both listen by now
	if _, err := b.CheckAccess(ctx, pair.AccessToken); err != nil { // cached on b
		t.Fatal(err)
	}
	// The token is cached on b: a revocation written in SQL without a
	// notification goes unseen there; its notification empties the cache.
	p, err := b.CheckAccess(ctx, pair.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.pool.Exec(ctx, "INSERT INTO ebios_revoked VALUES ($1, now() + interval '1 hour')", p.Family); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CheckAccess(ctx, pair.AccessToken); err != nil {
		t.Fatalf("b does not cache access tokens while it watches: %v", err)
	}
	if _, err := users.pool.Exec(ctx, "SELECT pg_notify($1, '')", authChannel); err != nil {
		t.Fatal(err)
	}
	t.Logf("a revocation's notification empties b's cache after %v", refused(b, pair.AccessToken))
	pair, _, err = a.Login(ctx, "ann", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CheckAccess(ctx, pair.AccessToken); err != nil {
		t.Fatal(err)
	}
	if err := a.Logout(ctx, pair.AccessToken); err != nil {
		t.Fatal(err)
	}
	t.Logf("a logout through a holds on b after %v", refused(b, pair.AccessToken))
	pair, _, err = b.Login(ctx, "ann", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CheckAccess(ctx, pair.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Disable(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	t.Logf("disabling through b holds on a after %v", refused(a, pair.AccessToken))
}

// TestLastAdminAcrossInstances: two servers demoting the two admins at the
// same moment leave one admin.
func TestLastAdminAcrossInstances(t *testing.T) {
	a, b, _ := twoServers(t)
	ctx := context.Background()
	for _, n := range []string{"x", "y"} {
		if _, err := a.AddUser(ctx, n, testPassword, auth.RoleAdmin); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range []*auth.Service{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Disable(ctx, []string{"x", "y"}[i])
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("both or neither of two concurrent disables of the last two admins passed: %v, %v", errs[0], errs[1])
		}
		if ok, err := b.NeedsSetup(ctx); err != nil || ok {
			t.Fatalf("no admin left: %v", err)
		}
		for _, n := range []string{"x", "y"} {
			if _, err := a.Enable(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestSetupTokenAcrossInstances: the setup token printed by one server is
// claimed through another, once.
func TestSetupTokenAcrossInstances(t *testing.T) {
	a, b, _ := twoServers(t)
	ctx := context.Background()
	tok, err := a.SetupToken(ctx)
	if err != nil || tok == "" {
		t.Fatalf("setup token: %q %v", tok, err)
	}
	if _, err := b.Setup(ctx, tok, "root", testPassword); err != nil {
		t.Fatal(err)
	}
	_, err = a.Setup(ctx, tok, "root2", testPassword)
	wantCode(t, "a second claim", err, auth.CodeSetupToken)
}
