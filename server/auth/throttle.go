package auth

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// Defaults of the per-account limit of failed logins ([Options]).
const (
	DefaultLoginFailures = 10
	DefaultLoginWindow   = 15 * time.Minute
	// maxThrottled bounds the account names whose failed logins are
	// remembered (about 100 bytes each).
	maxThrottled = 1 << 16
)

// loginLimit is the per-account limit of failed logins: [throttle] in this
// process's memory, or [sharedThrottle] in a store that servers share.
type loginLimit interface {
	// begin is called before a password is evaluated for name; see
	// [throttle.begin].
	begin(ctx context.Context, name string, now time.Time) (time.Duration, bool, error)
	// undo takes back an attempt that was not evaluated after all.
	undo(ctx context.Context, name string)
	// succeeded forgets the failures of name.
	succeeded(ctx context.Context, name string)
	// limit is the rule it enforces.
	limit() loginRule
}

// loginRule is the per-account limit of failed logins: at most max
// failures (<= 0: no limit) in a window of length window.
type loginRule struct {
	max    int
	window time.Duration
}

func (r loginRule) limit() loginRule { return r }

// newLoginLimit is the limit of rule, kept in store when store is a
// [FailedLogins] (every server sharing it enforces one limit), else in
// this process's memory.
func newLoginLimit(store Store, rule loginRule) loginLimit {
	if fl, ok := store.(FailedLogins); ok {
		return &sharedThrottle{store: fl, loginRule: rule}
	}
	return &throttle{loginRule: rule}
}

// FailedLogins is a [Store] that also keeps the counts of the per-account
// limit of failed logins, so that every server sharing the store enforces
// one limit (PostgreSQL: the limit would otherwise be per server, and a
// guesser spreading over n servers would get n times the guesses). A
// Store without it has them counted in the memory of its process.
type FailedLogins interface {
	// BeginLogin counts an attempt for the account whose key is key, in
	// the window of length window that its first failure opened, unless
	// max attempts fell in that window already: then it counts nothing and
	// returns false and the time until the window ends. Windows are timed
	// by the store's clock.
	BeginLogin(ctx context.Context, key [16]byte, max int, window time.Duration) (wait time.Duration, ok bool, err error)
	// UndoLogin takes back one attempt for key.
	UndoLogin(ctx context.Context, key [16]byte) error
	// ForgetLogins forgets the attempts for key.
	ForgetLogins(ctx context.Context, key [16]byte) error
}

// sharedThrottle is the per-account limit in a [FailedLogins] store. Its
// state is that of the store: undo and succeeded are best effort (a lost
// undo counts one failure too many; a lost reset leaves the window to end).
type sharedThrottle struct {
	store FailedLogins
	loginRule
}

func (t *sharedThrottle) begin(ctx context.Context, name string, _ time.Time) (time.Duration, bool, error) {
	if t.max <= 0 {
		return 0, true, nil
	}
	return t.store.BeginLogin(ctx, keyOf(name), t.max, t.window)
}

func (t *sharedThrottle) undo(ctx context.Context, name string) {
	if t.max > 0 {
		t.store.UndoLogin(context.WithoutCancel(ctx), keyOf(name)) // #nosec G104 -- best effort, see sharedThrottle
	}
}

func (t *sharedThrottle) succeeded(ctx context.Context, name string) {
	if t.max > 0 {
		t.store.ForgetLogins(context.WithoutCancel(ctx), keyOf(name)) // #nosec G104 -- best effort, see sharedThrottle
	}
}

// throttle is the per-account limit of failed logins. It counts failures
// per account name in fixed windows: the first failure opens a window of
// length window, and once max failures fell in it, further logins for that
// name are refused without evaluating the password until the window ends.
// It then starts afresh. So a name gets at most max evaluated wrong
// guesses per window, whatever the client address, and a lock never lasts
// longer than one window after the first failure that opened it: an
// attacker can only keep an account locked by going on guessing, and then
// only max guesses a window are evaluated. A successful login, or a
// password reset, forgets the name's failures.
//
// Every name is counted, existing or not, so the limit tells nothing about
// which users exist. Names are keyed by their SHA-256 (a long name costs
// no more memory). At most maxThrottled names are kept: past that, windows
// that have ended are dropped, then the name with the fewest failures. The
// counts live in memory: a restart forgets them. (A [FailedLogins] store
// keeps them instead, with the same rules, for every server that shares it.)
type throttle struct {
	loginRule

	mu sync.Mutex
	m  map[throttleKey]*failures
}

type throttleKey = [16]byte

type failures struct {
	start time.Time // the first failure of the window
	n     int       // failures (and attempts under way) in the window
}

func keyOf(name string) [16]byte {
	h := sha256.Sum256([]byte(name))
	return [16]byte(h[:16])
}

// begin is called before a password is evaluated for name. It counts the
// attempt as a failure until [throttle.succeeded] or [throttle.undo] says
// otherwise, so that attempts running at the same time cannot together
// pass the limit. If the name is over the limit it returns false and how
// long until its window ends; nothing is counted then.
func (t *throttle) begin(_ context.Context, name string, now time.Time) (time.Duration, bool, error) {
	if t.max <= 0 {
		return 0, true, nil
	}
	k := keyOf(name)
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.m[k]
	if f != nil && now.Sub(f.start) >= t.window {
		f = nil
	}
	if f == nil {
		if t.m == nil {
			t.m = map[throttleKey]*failures{}
		}
		if _, ok := t.m[k]; !ok && len(t.m) >= maxThrottled {
			t.evict(now)
		}
		f = &failures{start: now}
		t.m[k] = f
	}
	if f.n >= t.max {
		return f.start.Add(t.window).Sub(now), false, nil
	}
	f.n++
	return 0, true, nil
}

// undo takes back an attempt that was not evaluated after all (the
// request was cancelled, or the store failed).
func (t *throttle) undo(_ context.Context, name string) {
	if t.max <= 0 {
		return
	}
	t.mu.Lock()
	if f := t.m[keyOf(name)]; f != nil && f.n > 0 {
		f.n--
	}
	t.mu.Unlock()
}

// succeeded forgets the failures of name after a successful login.
func (t *throttle) succeeded(_ context.Context, name string) {
	if t.max <= 0 {
		return
	}
	t.mu.Lock()
	delete(t.m, keyOf(name))
	t.mu.Unlock()
}

// evict makes room for one name: it drops the windows that have ended,
// and if none had, the name with the fewest failures (a locked account is
// the last to be forgotten).
func (t *throttle) evict(now time.Time) {
	var victim throttleKey
	least := -1
	for k, f := range t.m {
		switch {
		case now.Sub(f.start) >= t.window:
			delete(t.m, k)
		case least < 0 || f.n < least:
			victim, least = k, f.n
		}
	}
	if len(t.m) >= maxThrottled && least >= 0 {
		delete(t.m, victim)
	}
}
