package ledgerstore

import (
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// writeAnonymous writes data to a new file in dir that has no name
// (O_TMPFILE), fsyncs it, and gives it the name dst (linkat), which must
// not exist. It returns false, and no error, when the file system cannot
// do that or dst exists: the caller then writes a named temporary file.
// Allocating a named file costs several times more on some file systems,
// and a crash leaves nothing behind.
func writeAnonymous(dir, dst string, data []byte) (bool, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return false, nil // not supported here: fall back
	}
	f := os.NewFile(uintptr(fd), dst)
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return false, err
	}
	if err := f.Sync(); err != nil {
		return false, err
	}
	err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, dst, unix.AT_SYMLINK_FOLLOW)
	if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EOPNOTSUPP) {
		return false, nil // dst exists (a tile written again), or no /proc
	}
	return err == nil, err
}
