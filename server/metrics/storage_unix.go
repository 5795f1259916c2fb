//go:build linux || darwin

package metrics

import "golang.org/x/sys/unix"

// diskSpace returns the bytes available to an unprivileged user and the
// size of the file system holding path.
func diskSpace(path string) (free, size uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, 0, err
	}
	bs := uint64(st.Bsize) // #nosec G115 -- a block size is positive
	return st.Bavail * bs, st.Blocks * bs, nil
}
