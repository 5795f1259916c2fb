package ledgerstore

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// writeAnonymous writes each data[i] to a new file without a name
// (O_TMPFILE) in the directory of dst[i], makes them all durable, and then
// gives each its name dst[i] (linkat). done[i] is false, with no error,
// for a file it did not write because the file system cannot do that or
// dst[i] exists: the caller then writes a named temporary file. Allocating
// a named file costs several times more on some file systems, and a crash
// leaves nothing behind. All files are written before one syncfs(2)
// makes them durable together: one journal
// commit and one cache flush of the device for the whole round, where an
// fsync per file costs a flush each, which the commits' fsyncs then queue
// behind.
func writeAnonymous(dst []string, data [][]byte) (done []bool, err error) {
	done = make([]bool, len(dst))
	files := make([]*os.File, 0, len(dst))
	defer func() {
		for _, f := range files {
			f.Close() // #nosec G104 -- the data was made durable by syncfs before linkat named it; on an error path the files are dropped unnamed
		}
	}()
	for i := range dst {
		fd, err := unix.Open(filepath.Dir(dst[i]), unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, uint32(privateFileMode))
		if err != nil {
			return done, nil // not supported here: the caller falls back
		}
		f := os.NewFile(uintptr(fd), dst[i])
		files = append(files, f)
		if _, err := f.Write(data[i]); err != nil {
			return done, err
		}
	}
	if len(files) > 0 {
		if err := unix.Syncfs(int(files[0].Fd())); err != nil {
			return done, err
		}
	}
	for i, f := range files {
		err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.AT_FDCWD, dst[i], unix.AT_SYMLINK_FOLLOW)
		switch {
		case err == nil:
			done[i] = true
		case errors.Is(err, unix.EEXIST), errors.Is(err, unix.ENOENT), errors.Is(err, unix.EPERM), errors.Is(err, unix.EOPNOTSUPP):
			// dst exists (a tile written again), or no /proc: fall back
		default:
			return done, err
		}
	}
	return done, nil
}

// syncDirs makes the names written in the directories of dirty durable:
// one syncfs(2) of their file system (they are all below the data
// directory), which commits every directory at once.
func syncDirs(dirty map[string]bool) error {
	for d := range dirty {
		f, err := os.Open(d) // #nosec G304 -- d is a directory of the store's tile tree, below the operator's data directory
		if err != nil {
			return ioErr("open "+d, err)
		}
		err = unix.Syncfs(int(f.Fd()))
		f.Close() // #nosec G104 -- a directory opened read-only for syncfs, whose error is checked: closing it loses nothing
		if err != nil {
			return ioErr("sync the file system of "+d, err)
		}
		return nil
	}
	return nil
}
