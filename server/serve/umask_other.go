//go:build !unix

package serve

// restrictUmask does nothing where there is no umask.
func restrictUmask() (restore func()) { return func() {} }
