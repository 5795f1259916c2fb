package ledgerstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File modes. The ledger holds every operation's inputs and results, and
// the files next to it (users.db with its password hashes, policies.db,
// the keys) are as private: every file the server writes under the data
// directory is created readable by its owner only, whatever the umask, and
// a file or tile directory found readable by others when it is opened is
// made private (with a notice for the operator).
const (
	privateFileMode fs.FileMode = 0o600
	privateDirMode  fs.FileMode = 0o700
)

// PrivateFile prepares path for a store that opens it: it creates it empty
// with mode 0600 if it does not exist (so that BuntDB, which creates its
// files 0666 less the umask, finds it), and takes away the group's and
// others' permissions if it exists with any. It returns a notice for the
// operator when it changed a mode, or could not (that is not an error: the
// file may be on a read-only mount, or belong to someone else); err is
// only a failure to create the file.
func PrivateFile(path string) (notice string, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		// #nosec G304 -- path is a store file of the operator's data directory, never a request's input
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, privateFileMode)
		if errors.Is(err, fs.ErrExist) { // made meanwhile: check it
			return PrivateFile(path)
		}
		if err != nil {
			return "", err
		}
		return "", f.Close()
	}
	if err != nil || !fi.Mode().IsRegular() {
		return "", nil // the store's own open says what is wrong
	}
	return tighten(path, fi.Mode().Perm()), nil
}

// tighten removes the group's and others' permissions of path, which has
// perm, if it has any, and says so.
func tighten(path string, perm fs.FileMode) string {
	if perm&0o077 == 0 {
		return ""
	}
	if err := os.Chmod(path, perm&^0o077); err != nil {
		return fmt.Sprintf("%s is readable by other users (mode %#o) and could not be made private: %v; chmod go-rwx it", path, perm, unwrapPath(err))
	}
	return fmt.Sprintf("%s was readable by other users (mode %#o): made it private (mode %#o)", path, perm, perm&^0o077)
}

// privateTree makes the directory root (tile/, tile-tmp/) and, if root was
// open to others, everything below it private. A private root is not
// walked: the files below it were written private, and nobody else can
// reach them anyway. It returns notices as PrivateFile does.
func privateTree(root string) []string {
	fi, err := os.Stat(root)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	// The modes change through an os.Root, so that a symbolic link put in
	// the tree meanwhile (the tree was open to others) cannot send a chmod
	// outside it.
	r, err := os.OpenRoot(root)
	if err != nil {
		return []string{fmt.Sprintf("%s is readable by other users (mode %#o) and could not be made private: %v; chmod -R go-rwx it",
			root, fi.Mode().Perm(), unwrapPath(err))}
	}
	defer r.Close()
	n, failed := 0, 0
	var firstErr error
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable directory: chmod what can be
		}
		info, err := d.Info()
		if err != nil || info.Mode().Perm()&0o077 == 0 || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err == nil {
			err = r.Chmod(rel, info.Mode().Perm()&^0o077)
		}
		if err != nil {
			failed++
			if firstErr == nil {
				firstErr = err
			}
			return nil
		}
		n++
		return nil
	})
	if err != nil { // the walk function returns nil for every path, so this is not expected
		failed++
		if firstErr == nil {
			firstErr = err
		}
	}
	if failed > 0 {
		return []string{fmt.Sprintf("%s holds %d files or directories readable by other users that could not be made private (%v); chmod -R go-rwx it",
			root, failed, firstErr)}
	}
	return []string{fmt.Sprintf("%s was readable by other users (mode %#o): made it and %d files and directories below it private", root, fi.Mode().Perm(), n-1)}
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Notices says what opening the store changed about its files' modes (a
// file or the tile directory made private), for the operator; nil for most
// opens.
func (s *Store) Notices() []string { return s.notices }

// privateStoreFiles creates the store's BuntDB file private if it is new,
// and makes it and the tile directories private if they are not.
func privateStoreFiles(path string) (notices []string, err error) {
	n, err := PrivateFile(path)
	if err != nil {
		return nil, ioErr("create "+path, err)
	}
	if n != "" {
		notices = append(notices, n)
	}
	dir := tileDirOf(path)
	notices = append(notices, privateTree(filepath.Join(dir, "tile"))...)
	return append(notices, privateTree(filepath.Join(dir, tileTmpDir))...), nil
}
