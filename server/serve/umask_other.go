//go:build !unix

package serve

// RestrictUmask does nothing where there is no umask.
func RestrictUmask() (restore func()) { return func() {} }
