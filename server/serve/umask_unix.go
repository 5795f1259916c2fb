//go:build unix

package serve

import "syscall"

// RestrictUmask sets the process's umask to 077 and returns what puts the
// previous one back.
func RestrictUmask() (restore func()) {
	old := syscall.Umask(0o077)
	return func() { syscall.Umask(old) }
}
