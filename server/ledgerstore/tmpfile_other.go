//go:build !linux

package ledgerstore

// writeAnonymous is a Linux optimisation; elsewhere the caller writes
// named temporary files.
func writeAnonymous(dst []string, data [][]byte) ([]bool, error) {
	return make([]bool, len(dst)), nil
}

// syncDirs fsyncs the directories in dirty.
func syncDirs(dirty map[string]bool) error { return fsyncDirs(dirty) }
