package pgstore

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ratelimit"
)

// TestSharedLimits: the per-account limit of failed logins and the rate
// limits hold across two servers on one database, as one limit.
func TestSharedLimits(t *testing.T) {
	a, b, users := twoServers(t)
	ctx := context.Background()
	if _, err := a.AddUser(ctx, "root", testPassword, auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}

	t.Run("failed logins", func(t *testing.T) {
		servers := []*auth.Service{a, b}
		for i := range auth.DefaultLoginFailures {
			_, _, err := servers[i%2].Login(ctx, "root", "not the password")
			wantCode(t, "a wrong password", err, auth.CodeBadCredentials)
		}
		for i, s := range servers {
			_, _, err := s.Login(ctx, "root", testPassword)
			wantCode(t, "the right password after 10 failures over both servers, at server "+string(rune('a'+i)), err, auth.CodeLoginThrottled)
		}
		if _, _, err := a.Login(ctx, "someone", "not the password"); err == nil {
			t.Error("a login of another name succeeded")
		} else {
			wantCode(t, "another name", err, auth.CodeBadCredentials)
		}
		// A password reset through one server unlocks the account on both.
		const newPassword = "another correct horse battery"
		if _, err := b.ResetPassword(ctx, "root", newPassword); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.Login(ctx, "root", newPassword); err != nil {
			t.Fatalf("login after the reset: %v", err)
		}
		// Ended windows are pruned.
		if _, err := users.pool.Exec(ctx, "UPDATE ebios_login_failures SET window_end = clock_timestamp() - interval '1 second'"); err != nil {
			t.Fatal(err)
		}
		if err := users.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := users.pool.QueryRow(ctx, "SELECT count(*) FROM ebios_login_failures").Scan(&n); err != nil || n != 0 {
			t.Errorf("%d rows of failed logins after the prune (%v)", n, err)
		}
	})

	t.Run("rate limits", func(t *testing.T) {
		client := netip.MustParseAddr("203.0.113.9")
		limiter := func() *ratelimit.Limiter {
			l, err := ratelimit.New(ratelimit.Config{
				Rules:  map[string]ratelimit.Rule{ratelimit.ClassAuth: {Requests: 5, Window: time.Minute, Burst: 5}},
				Shared: NewRateUsage(users.pool)})
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		la, lb := limiter(), limiter()
		sync := func() {
			t.Helper()
			for _, l := range []*ratelimit.Limiter{la, lb} {
				if err := l.Sync(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		sync() // the servers start
		for range 4 {
			if !la.Allow(ratelimit.ClassAuth, client).Allowed {
				t.Fatal("server a refused a request under the burst")
			}
		}
		sync()
		sync() // nothing counts twice
		if d := lb.Allow(ratelimit.ClassAuth, client); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("server b, after a took 4 of 5: allowed %v, remaining %d; want allowed, 0 left", d.Allowed, d.Remaining)
		}
		sync()
		sync() // a reads what b published after a's last read
		for name, l := range map[string]*ratelimit.Limiter{"a": la, "b": lb} {
			if d := l.Allow(ratelimit.ClassAuth, client); d.Allowed {
				t.Errorf("server %s allowed a 6th request of the burst of 5", name)
			}
			if d := l.Allow(ratelimit.ClassAuth, netip.MustParseAddr("203.0.113.10")); !d.Allowed {
				t.Errorf("server %s refused another client", name)
			}
		}
	})
}
