//go:build !linux

package ledgerstore

// writeAnonymous is a Linux optimisation; elsewhere the caller writes a
// named temporary file.
func writeAnonymous(dir, dst string, data []byte) (bool, error) { return false, nil }
