package auth

import (
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
// counts live in memory: a restart forgets them.
type throttle struct {
	max    int // failures per window; <= 0: no limit
	window time.Duration

	mu sync.Mutex
	m  map[throttleKey]*failures
}

type throttleKey [16]byte

type failures struct {
	start time.Time // the first failure of the window
	n     int       // failures (and attempts under way) in the window
}

func keyOf(name string) throttleKey {
	h := sha256.Sum256([]byte(name))
	return throttleKey(h[:16])
}

// begin is called before a password is evaluated for name. It counts the
// attempt as a failure until [throttle.succeeded] or [throttle.undo] says
// otherwise, so that attempts running at the same time cannot together
// pass the limit. If the name is over the limit it returns false and how
// long until its window ends; nothing is counted then.
func (t *throttle) begin(name string, now time.Time) (time.Duration, bool) {
	if t.max <= 0 {
		return 0, true
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
		return f.start.Add(t.window).Sub(now), false
	}
	f.n++
	return 0, true
}

// undo takes back an attempt that was not evaluated after all (the
// request was cancelled, or the store failed).
func (t *throttle) undo(name string) {
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
func (t *throttle) succeeded(name string) {
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
