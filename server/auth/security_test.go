package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebios/ebios/core/nu"
)

// The tests of this file are those of the security review of issue 19:
// the last admin, login timing, the disabled-user oracle, the per-account
// limit of failed logins, placeholder passphrases and user deletion.

// TestLastAdmin: the last enabled admin can be neither disabled, demoted
// nor deleted (409 AUTH_019 with a remediation); with another enabled admin
// each of those works.
func TestLastAdmin(t *testing.T) {
	type user struct {
		name     string
		role     Role
		disabled bool
	}
	act := map[string]func(s *Service, name string) error{
		"disable": func(s *Service, n string) error { _, err := s.Disable(context.Background(), n); return err },
		"enable":  func(s *Service, n string) error { _, err := s.Enable(context.Background(), n); return err },
		"delete":  func(s *Service, n string) error { _, err := s.DeleteUser(context.Background(), n); return err },
		"operator": func(s *Service, n string) error {
			_, err := s.SetRole(context.Background(), n, RoleOperator)
			return err
		},
		"auditor": func(s *Service, n string) error {
			_, err := s.SetRole(context.Background(), n, RoleAuditor)
			return err
		},
		"guest": func(s *Service, n string) error { _, err := s.SetRole(context.Background(), n, RoleGuest); return err },
		"admin": func(s *Service, n string) error { _, err := s.SetRole(context.Background(), n, RoleAdmin); return err },
	}
	alone := []user{{"root", RoleAdmin, false}, {"op", RoleOperator, false}}
	two := []user{{"root", RoleAdmin, false}, {"second", RoleAdmin, false}}
	withDisabled := []user{{"root", RoleAdmin, false}, {"old", RoleAdmin, true}}
	for _, c := range []struct {
		name   string
		users  []user
		action string
		target string
		want   string // "" for success
	}{
		{"only admin disables herself", alone, "disable", "root", CodeLastAdmin},
		{"only admin demoted to operator", alone, "operator", "root", CodeLastAdmin},
		{"only admin demoted to auditor", alone, "auditor", "root", CodeLastAdmin},
		{"only admin demoted to guest", alone, "guest", "root", CodeLastAdmin},
		{"only admin deleted", alone, "delete", "root", CodeLastAdmin},
		{"only admin stays admin", alone, "admin", "root", ""},
		{"other users still change", alone, "disable", "op", ""},
		{"other users are deleted", alone, "delete", "op", ""},
		{"one of two admins disabled", two, "disable", "second", ""},
		{"one of two admins demoted", two, "guest", "root", ""},
		{"one of two admins deleted", two, "delete", "root", ""},
		{"a disabled admin does not count", withDisabled, "disable", "root", CodeLastAdmin},
		{"a disabled admin does not count for demotion", withDisabled, "operator", "root", CodeLastAdmin},
		{"a disabled admin does not count for deletion", withDisabled, "delete", "root", CodeLastAdmin},
		{"a disabled admin is deleted", withDisabled, "delete", "old", ""},
		{"a disabled admin is demoted", withDisabled, "guest", "old", ""},
		{"a disabled admin is enabled", withDisabled, "enable", "old", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			for _, u := range c.users {
				e.addUser(u.name, u.role)
				if u.disabled {
					if _, err := e.svc.Disable(ctx, u.name); err != nil {
						t.Fatal(err)
					}
				}
			}
			before, _ := e.svc.GetUser(ctx, c.target)
			err := act[c.action](e.svc, c.target)
			if c.want == "" {
				if err != nil {
					t.Fatalf("%s %s: %v", c.action, c.target, err)
				}
				return
			}
			wantCode(t, err, c.want)
			ne, _ := nu.AsError(err)
			if HTTPStatus(ne.Code) != http.StatusConflict || !strings.Contains(ne.Details, c.target) ||
				!strings.Contains(ne.Remediation, "another user an admin") {
				t.Errorf("error %+v", ne)
			}
			after, err := e.svc.GetUser(ctx, c.target)
			if err != nil || after.Role != before.Role || after.Disabled != before.Disabled || after.Generation != before.Generation {
				t.Errorf("refused change changed the user: %+v -> %+v (%v)", before, after, err)
			}
			if ok, _ := e.svc.NeedsSetup(ctx); ok {
				t.Error("no enabled admin left")
			}
		})
	}
}

// TestLastAdminConcurrent: two admins disabling or deleting each other at
// the same time: exactly one succeeds, one admin is left.
func TestLastAdminConcurrent(t *testing.T) {
	for _, action := range []string{"disable", "delete", "demote"} {
		t.Run(action, func(t *testing.T) {
			for range 20 {
				e := newEnv(t)
				ctx := context.Background()
				e.addUser("a", RoleAdmin)
				e.addUser("b", RoleAdmin)
				errs := make([]error, 2)
				var wg sync.WaitGroup
				for i, n := range []string{"a", "b"} {
					wg.Go(func() {
						switch action {
						case "disable":
							_, errs[i] = e.svc.Disable(ctx, n)
						case "delete":
							_, errs[i] = e.svc.DeleteUser(ctx, n)
						default:
							_, errs[i] = e.svc.SetRole(ctx, n, RoleOperator)
						}
					})
				}
				wg.Wait()
				if (errs[0] == nil) == (errs[1] == nil) {
					t.Fatalf("both or neither succeeded: %v, %v", errs[0], errs[1])
				}
				if ok, _ := e.svc.NeedsSetup(ctx); ok {
					t.Fatal("no enabled admin left")
				}
			}
		})
	}
}

// timingParams are argon2id parameters for the timing test: the
// production lanes (p = 4) at 1/16 of the memory and one pass, so that the
// 600 logins take seconds, not minutes (DefaultParams cost 0.15 to 0.3 s a
// hash on two cores: 600 logins would take 3 minutes). Both paths use the
// same hasher, so the comparison holds at any cost.
// EBIOS_TIMING_FULL=1 runs it with DefaultParams.
var timingParams = Params{Memory: 4 * 1024, Iterations: 1, Parallelism: 4, SaltLen: 16, KeyLen: 32}

// TestLoginTiming: a login for an unknown user takes as long as one with a
// wrong password, and as one with the right password of a disabled user:
// the medians of 200 attempts of each, interleaved, are within 10 %.
func TestLoginTiming(t *testing.T) {
	params := timingParams
	if os.Getenv("EBIOS_TIMING_FULL") != "" {
		params = DefaultParams
	}
	st, err := OpenBuntStore(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// No per-account limit here: it would refuse the 200 wrong passwords
	// before the hasher (the limit is TestLoginThrottle's).
	svc, err := New(st, Options{Secret: GenerateSecret(), Hasher: NewHasher(params, 0), LoginFailures: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, n := range []string{"op", "gone"} {
		if _, err := svc.AddUser(ctx, n, testPassword, RoleOperator); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Disable(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	kinds := []struct {
		name, user, password string
	}{
		{"unknown user", "nobody", "wrong password!!"},
		{"wrong password", "op", "wrong password!!"},
		{"disabled user, right password", "gone", testPassword},
	}
	const n = 200
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	var first error
	// measure times n logins of each kind, interleaved in a random order
	// within each round (so that a change of load, or a position in the
	// round, weighs on all kinds alike), and returns the largest distance
	// of a median from the wrong password's (as a ratio: 0.04 is 4 %), by
	// the clock and by the CPU time of the process.
	measure := func() (wall, cpu float64) {
		times := make([][2][]time.Duration, len(kinds))
		order := []int{0, 1, 2}
		// The collector runs between the rounds, not during a login: each
		// login allocates the hash's memory, and a collection falls on
		// whichever login comes when the heap is full.
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		for i := range n + 5 { // 5 rounds of warm-up
			runtime.GC()
			rand.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
			for _, k := range order {
				kd := kinds[k]
				start, cpu0 := time.Now(), cpuTime()
				_, _, err := svc.Login(ctx, kd.user, kd.password)
				d, c := time.Since(start), cpuTime()-cpu0
				if codeOf(err) != CodeBadCredentials {
					t.Fatalf("%s: %v", kd.name, err)
				}
				if first == nil {
					first = err
				} else if err.Error() != first.Error() {
					t.Fatalf("%s: answer %q differs from %q", kd.name, err, first)
				}
				if i >= 5 {
					times[k][0] = append(times[k][0], d)
					times[k][1] = append(times[k][1], c)
				}
			}
		}
		t.Logf("argon2id m=%d KiB t=%d p=%d; medians of %d logins, by the clock and in CPU time:",
			params.Memory, params.Iterations, params.Parallelism, n)
		var base, dist [2]float64
		for j := range 2 {
			base[j] = float64(median(times[1][j]))
		}
		for k, kd := range kinds {
			var m [2]time.Duration
			var r [2]float64
			for j := range 2 {
				m[j] = median(times[k][j])
				r[j] = float64(m[j]) / base[j]
				dist[j] = max(dist[j], math.Abs(r[j]-1))
			}
			t.Logf("  %-30s %9v (%.3f of wrong password)  CPU %9v (%.3f)", kd.name, m[0], r[0], m[1], r[1])
		}
		if base[1] == 0 { // no CPU clock here (cpuTime): the clock alone decides
			dist[1] = math.Inf(1)
		}
		return dist[0], dist[1]
	}
	// A leak (an unknown user answered without the hash, say) is far
	// outside 10 % every time. Other test binaries on the same cores make
	// the clock noisy: a miss is measured again, at most twice, and if the
	// clock misses three times, the CPU time the process spent (the work a
	// login does, which is what could differ, and which other processes
	// do not disturb) decides.
	for try := 1; ; try++ {
		wall, cpu := measure()
		if wall <= 0.1 {
			break
		}
		if try == 3 {
			if cpu > 0.1 {
				t.Fatalf("the medians were more than 10 %% apart in %d measurements, by the clock and in CPU time", try)
			}
			t.Logf("the clock missed 3 times (a busy machine); the CPU time medians are within 10 %%")
			break
		}
		t.Logf("more than 10 %% apart by the clock: measuring again")
	}
}

// TestLoginWorkAlike: every refused login costs exactly one argon2
// computation with the hasher's parameters, the very first one for an
// unknown user included (the dummy hash is made without hashing when the
// service starts, not by the first unknown user's login).
func TestLoginWorkAlike(t *testing.T) {
	for _, c := range []struct {
		name, user, password string
	}{
		{"first login ever, unknown user", "nobody", "wrong password!!"},
		{"unknown user", "nobody", "wrong password!!"},
		{"wrong password", "op", "wrong password!!"},
		{"disabled user, right password", "gone", testPassword},
		{"disabled user, wrong password", "gone", "wrong password!!"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.addUser("op", RoleOperator)
			e.addUser("gone", RoleOperator)
			if _, err := e.svc.Disable(context.Background(), "gone"); err != nil {
				t.Fatal(err)
			}
			svc := e.service(e.store) // a service that has seen no login
			if !strings.HasPrefix(c.name, "first") {
				svc.Login(context.Background(), "someone", "wrong password!!")
			}
			runs := svc.hasher.runs.Load()
			_, _, err := svc.Login(context.Background(), c.user, c.password)
			wantCode(t, err, CodeBadCredentials)
			if got := svc.hasher.runs.Load() - runs; got != 1 {
				t.Errorf("%d argon2 computations, want 1", got)
			}
			if p, _, _, err := decodeHash(svc.dummy); err != nil || p != svc.hasher.params {
				t.Errorf("dummy hash %q: %+v %v", svc.dummy, p, err)
			}
		})
	}
}

// TestLoginDisabledLooksLikeWrongPassword: whatever a login gets wrong
// (unknown user, wrong password, disabled account with or without the
// right password), the client gets the same AUTH_008 answer, in Go and as
// HTTP; only the LoginError's Reason and Cause, for the server's log and
// metrics, differ.
func TestLoginDisabledLooksLikeWrongPassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser("op", RoleOperator)
	e.addUser("gone", RoleOperator)
	if _, err := e.svc.Disable(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	var firstBody string
	for _, c := range []struct {
		name, user, password string
		reason               Reason
		cause                string
	}{
		{"disabled, right password", "gone", testPassword, ReasonDisabled, "disabled"},
		{"disabled, wrong password", "gone", "wrong password!!", ReasonBadCredentials, "wrong password"},
		{"wrong password", "op", "wrong password!!", ReasonBadCredentials, "wrong password"},
		{"unknown user", "nobody", testPassword, ReasonBadCredentials, "no such user"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.mu.Lock()
			before := e.failures[c.reason]
			e.mu.Unlock()
			_, _, err := e.svc.Login(ctx, c.user, c.password)
			wantCode(t, err, CodeBadCredentials)
			var le *LoginError
			if !errors.As(err, &le) || le.Reason != c.reason || !strings.Contains(le.Cause, c.cause) || le.RetryAfter != 0 {
				t.Fatalf("LoginError %+v", le)
			}
			if strings.Contains(err.Error(), "disabled") || strings.Contains(err.Error(), c.cause) {
				t.Errorf("the answer tells the reason: %v", err)
			}
			rec := httptest.NewRecorder()
			WriteError(rec, 0, err)
			if rec.Code != 401 || rec.Header().Get("Retry-After") != "" {
				t.Errorf("HTTP %d %v", rec.Code, rec.Header())
			}
			if firstBody == "" {
				firstBody = rec.Body.String()
			} else if rec.Body.String() != firstBody {
				t.Errorf("body %s differs from %s", rec.Body, firstBody)
			}
			e.mu.Lock()
			after := e.failures[c.reason]
			e.mu.Unlock()
			if after != before+1 {
				t.Errorf("metrics reason %s counted %d times", c.reason, after-before)
			}
		})
	}
}

// TestLoginThrottle: past LoginFailures failed logins for one name within
// LoginWindow, logins for that name are refused (AUTH_020, 429,
// Retry-After) without evaluating the password, even the right one, until
// the window ends; other names are not affected, unknown names are
// limited alike, and a success forgets the failures.
func TestLoginThrottle(t *testing.T) {
	const max = 5
	const window = 10 * time.Minute
	type step struct {
		user, password string
		advance        time.Duration // clock moves before the attempt
		want           string        // "" for success; reset: an admin resets the password, no login
	}
	const reset = "reset"
	wrong := "wrong password!!"
	var fiveWrong []step
	for range max {
		fiveWrong = append(fiveWrong, step{"op", wrong, 0, CodeBadCredentials})
	}
	seq := func(steps ...[]step) []step { return slices.Concat(steps...) }
	for _, c := range []struct {
		name  string
		steps []step
		evals int // passwords verified over the whole sequence
	}{
		{"right password after the limit is refused", seq(fiveWrong,
			[]step{{"op", wrong, 0, CodeLoginThrottled}, {"op", testPassword, time.Minute, CodeLoginThrottled}}), max},
		{"the window ends", seq(fiveWrong,
			[]step{{"op", testPassword, window - time.Second, CodeLoginThrottled}, {"op", testPassword, time.Second, ""}}), max + 1},
		{"a new window counts afresh", seq(fiveWrong, []step{{"op", wrong, window, CodeBadCredentials}},
			fiveWrong[1:], []step{{"op", testPassword, 0, CodeLoginThrottled}}), 2 * max},
		{"other accounts are not limited", seq(fiveWrong,
			[]step{{"other", testPassword, 0, ""}, {"other", wrong, 0, CodeBadCredentials}}), max + 2},
		{"a success forgets the failures", seq(fiveWrong[1:], []step{{"op", testPassword, 0, ""}},
			fiveWrong, []step{{"op", wrong, 0, CodeLoginThrottled}}), 2 * max},
		{"unknown names are limited alike", seq(
			[]step{{"nobody", wrong, 0, CodeBadCredentials}, {"nobody", wrong, 0, CodeBadCredentials},
				{"nobody", wrong, 0, CodeBadCredentials}, {"nobody", wrong, 0, CodeBadCredentials},
				{"nobody", wrong, 0, CodeBadCredentials}, {"nobody", wrong, 0, CodeLoginThrottled}}), max},
		{"names are exact", seq(fiveWrong, []step{{"Op", wrong, 0, CodeBadCredentials}}), max + 1},
		{"a password reset lifts the lock", seq(fiveWrong, []step{{"op", wrong, 0, CodeLoginThrottled},
			{"op", "a new passphrase for op", 0, reset}, {"op", "a new passphrase for op", 0, ""}}), max + 1},
		{"too long passwords are not evaluated nor counted", seq(
			[]step{{"op", strings.Repeat("x", MaxPasswordLen+1), 0, CodeBadCredentials}}, fiveWrong), max},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.svc = e.limited(max, window)
			e.addUser("op", RoleOperator)
			e.addUser("other", RoleOperator)
			evals := e.svc.hasher.runs.Load()
			for i, s := range c.steps {
				e.clock.Add(s.advance)
				if s.want == reset {
					if _, err := e.svc.ResetPassword(context.Background(), s.user, s.password); err != nil {
						t.Fatal(err)
					}
					e.svc.hasher.runs.Add(-1) // the reset's hash is not a login's
					continue
				}
				_, _, err := e.svc.Login(context.Background(), s.user, s.password)
				if s.want == "" {
					if err != nil {
						t.Fatalf("step %d (%s): %v", i, s.user, err)
					}
					continue
				}
				wantCode(t, err, s.want)
				if s.want == CodeLoginThrottled {
					rec := httptest.NewRecorder()
					WriteError(rec, 0, err)
					ra := rec.Header().Get("Retry-After")
					if rec.Code != 429 || ra == "" || ra == "0" || RetryAfter(err) <= 0 || RetryAfter(err) > window {
						t.Errorf("step %d: %d Retry-After %q (%v)", i, rec.Code, ra, RetryAfter(err))
					}
				}
			}
			if got := e.svc.hasher.runs.Load() - evals; got != int64(c.evals) {
				t.Errorf("%d passwords evaluated, want %d", got, c.evals)
			}
		})
	}
}

// limited is a service over e's store with a per-account limit.
func (e *env) limited(failures int, window time.Duration) *Service {
	svc, err := New(e.store, Options{Secret: e.secret, Hasher: NewHasher(cheap, 0), Now: e.clock.Now,
		LoginFailures: failures, LoginWindow: window,
		OnFailure: func(r Reason) { e.mu.Lock(); e.failures[r]++; e.mu.Unlock() }})
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// TestLoginThrottleConcurrent: 100 wrong guesses at once for one account
// get at most LoginFailures evaluations: an attempt is counted before its
// password is verified.
func TestLoginThrottleConcurrent(t *testing.T) {
	e := newEnv(t)
	e.addUser("op", RoleOperator)
	evals := e.svc.hasher.runs.Load()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for range 100 {
		wg.Go(func() {
			_, _, err := e.svc.Login(context.Background(), "op", "wrong password!!")
			mu.Lock()
			codes[codeOf(err)]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got := e.svc.hasher.runs.Load() - evals; got != DefaultLoginFailures ||
		codes[CodeBadCredentials] != DefaultLoginFailures || codes[CodeLoginThrottled] != 100-DefaultLoginFailures {
		t.Fatalf("%d evaluated, answers %v", got, codes)
	}
}

// TestThrottleBounded: the table of names is bounded; when full, ended
// windows go first, then the names with the fewest failures, so a locked
// account stays locked.
func TestThrottleBounded(t *testing.T) {
	th := &throttle{loginRule: loginRule{max: 3, window: time.Minute}}
	ctx := context.Background()
	now := time.Now()
	for range 3 {
		th.begin(ctx, "victim", now)
	}
	if _, ok, _ := th.begin(ctx, "victim", now); ok {
		t.Fatal("victim not locked")
	}
	for i := range maxThrottled + 100 {
		th.begin(ctx, fmt.Sprint("spray", i), now) // #nosec G104 -- filling the table
	}
	if len(th.m) > maxThrottled {
		t.Fatalf("%d names kept", len(th.m))
	}
	if _, ok, _ := th.begin(ctx, "victim", now); ok {
		t.Fatal("the spray unlocked the victim")
	}
	th.begin(ctx, "late", now.Add(2*time.Minute)) // every window has ended: all dropped
	if len(th.m) != 1 {
		t.Fatalf("%d names kept after the windows ended", len(th.m))
	}
}

// TestPlaceholderPasswords: the setup hint's placeholder passphrase and
// the other known placeholders are refused (AUTH_011, saying why)
// wherever a password is set, whatever their case and surrounding space.
func TestPlaceholderPasswords(t *testing.T) {
	set := map[string]func(e *env, pw string) error{
		"setup": func(e *env, pw string) error {
			tok, err := e.svc.SetupToken(context.Background())
			if err != nil {
				return err
			}
			_, err = e.svc.Setup(context.Background(), tok, "root", pw)
			return err
		},
		"add user": func(e *env, pw string) error {
			_, err := e.svc.AddUser(context.Background(), "new", pw, RoleOperator)
			return err
		},
		"reset password": func(e *env, pw string) error {
			_, err := e.svc.ResetPassword(context.Background(), "op", pw)
			return err
		},
	}
	for _, c := range []struct {
		pw          string
		placeholder bool
	}{
		{"A LONG PASSPHRASE", true},
		{"a long passphrase", true},
		{"  A Long Passphrase\n", true},
		{"A  LONG\tPASSPHRASE", true},
		{"a long password", true},
		{"Your Password Here", true},
		{"<a long passphrase>", true},
		{"A LONG PASSPHRASE!", false},
		{"my own long passphrase", false},
		{testPassword, false},
	} {
		for where, f := range set {
			t.Run(where+" "+c.pw, func(t *testing.T) {
				e := newEnv(t)
				e.addUser("op", RoleOperator)
				err := f(e, c.pw)
				if !c.placeholder {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				wantCode(t, err, CodeWeakPassword)
				if ne, _ := nu.AsError(err); !strings.Contains(ne.Message, "placeholder") || !strings.Contains(ne.Remediation, "your own") {
					t.Errorf("unclear error %+v", ne)
				}
			})
		}
	}
	if err := CheckPasswordPolicy("A LONG PASSPHRASE"); codeOf(err) != CodeWeakPassword {
		t.Errorf("CheckPasswordPolicy: %v", err)
	}
}

// TestDeleteUser: a deleted user's access and refresh tokens stop working
// at once, a user made later under the same name does not inherit them
// (also after a restart), and unknown names are 404.
func TestDeleteUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser("root", RoleAdmin)
	e.addUser("bob", RoleOperator)
	p := e.login("bob")
	if _, err := e.svc.CheckAccess(ctx, p.AccessToken); err != nil { // cached from here
		t.Fatal(err)
	}
	u, err := e.svc.DeleteUser(ctx, "bob")
	if err != nil || u.Name != "bob" || u.Role != RoleOperator {
		t.Fatalf("DeleteUser = %+v, %v", u, err)
	}
	for name, err := range map[string]error{
		"access": func() error { _, err := e.svc.CheckAccess(ctx, p.AccessToken); return err }(),
		"refresh": func() error {
			_, err := e.svc.Refresh(ctx, p.RefreshToken)
			return err
		}(),
		"login": func() error { _, _, err := e.svc.Login(ctx, "bob", testPassword); return err }(),
	} {
		want := CodeRevokedToken
		if name == "login" {
			want = CodeBadCredentials
		}
		t.Run(name, func(t *testing.T) { wantCode(t, err, want) })
	}
	_, err = e.svc.GetUser(ctx, "bob")
	wantCode(t, err, CodeUserNotFound)
	_, err = e.svc.DeleteUser(ctx, "bob")
	wantCode(t, err, CodeUserNotFound)
	if HTTPStatus(CodeUserNotFound) != 404 {
		t.Fatal("not 404")
	}

	// A new bob, even after a restart, is not the old one's tokens.
	p2 := e.login("root")
	e.store.Close()
	st, err := OpenBuntStore(e.path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e.store, e.svc = st, e.service(st)
	e.addUser("bob", RoleOperator)
	_, err = e.svc.CheckAccess(ctx, p.AccessToken)
	wantCode(t, err, CodeRevokedToken)
	p3 := e.login("bob")
	if _, err := e.svc.CheckAccess(ctx, p3.AccessToken); err != nil {
		t.Fatalf("the new bob: %v", err)
	}
	if _, err := e.svc.CheckAccess(ctx, p2.AccessToken); err != nil {
		t.Fatalf("root's session: %v", err)
	}
	b, _ := json.Marshal(u)
	if strings.Contains(string(b), "argon2") {
		t.Fatal("deleted user JSON leaks the hash")
	}
}
