// Package filelock takes an exclusive advisory lock (flock) on a file, so
// that only one process at a time opens a BuntDB database: BuntDB has no
// locking of its own, and a second process opening a file that is being
// written could truncate it.
package filelock

import (
	"errors"
	"os"
	"syscall"
)

// ErrLocked is returned when another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// Lock is a held lock; Unlock releases it.
type Lock struct{ f *os.File }

// Acquire locks path+".lock" (creating it, mode 0600) without waiting.
func Acquire(path string) (*Lock, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600) // #nosec G304 -- path is a store or users file of the operator's data directory
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close() // #nosec G104 -- cleanup after a failed flock, whose error is the one reported
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, err
	}
	return &Lock{f}, nil
}

// Unlock releases the lock. It is safe to call on nil and more than once.
func (l *Lock) Unlock() {
	if l != nil && l.f != nil {
		l.f.Close() // #nosec G104 -- closing the descriptor releases the flock; nothing was written to the lock file
		l.f = nil
	}
}
