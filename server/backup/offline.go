package backup

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/ebios/ebios/server/filelock"
	"github.com/ebios/ebios/server/ledgerstore"
)

// OpenDataDir opens the stores of a stopped server's data directory for a
// backup (ledger.db read-only, users.db and policies.db locked, the key at
// keyFile, or ledger.key in it when keyFile is empty). It fails while a
// server has them open. close releases them.
func OpenDataDir(dataDir, keyFile string) (src Source, close func(), err error) {
	var unlock []func()
	close = func() {
		for _, f := range unlock {
			f()
		}
	}
	defer func() {
		if err != nil {
			close()
		}
	}()
	st, err := ledgerstore.OpenReadOnly(filepath.Join(dataDir, "ledger.db"))
	if err != nil {
		return src, nil, err
	}
	unlock = append(unlock, func() { st.Close() }) // #nosec G104 -- a read-only store: closing it loses nothing
	files := map[string]fileSnapshot{}
	for _, name := range []string{UsersFile, PoliciesFile} {
		path := filepath.Join(dataDir, name)
		l, err := filelock.Acquire(path)
		if errors.Is(err, filelock.ErrLocked) {
			return src, nil, berr(CodeIO, path+" is in use by another process", "", "stop the server, or back up through it: ebios backup --server URL")
		}
		if err != nil {
			return src, nil, berr(CodeIO, "cannot lock "+path, err.Error(), "check the data directory's permissions")
		}
		unlock = append(unlock, l.Unlock)
		files[name] = fileSnapshot(path)
	}
	if keyFile == "" {
		keyFile = filepath.Join(dataDir, KeyFile)
	}
	return Source{Log: st, Users: files[UsersFile], Policies: files[PoliciesFile], KeyFile: keyFile}, close, nil
}

// fileSnapshot copies a BuntDB file nobody has open; a missing file is an
// empty store (an empty file).
type fileSnapshot string

// Snapshot copies the file to w.
func (p fileSnapshot) Snapshot(w io.Writer) error {
	f, err := os.Open(string(p)) // #nosec G304 -- a store of the data directory the operator names
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return berr(CodeIO, "cannot read "+string(p), err.Error(), "check the data directory's permissions")
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
