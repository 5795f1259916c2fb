package policystore

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/server/ledgerstore"
)

// TestFileMode: under umask 022, policies.db is created 0600, and one
// found readable by others is made private when it is opened, with a
// notice.
func TestFileMode(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	log, err := ledgerstore.Open(":memory:", signer(t, "modes.example/log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	path := filepath.Join(dir, "policies.db")
	for _, tc := range []struct {
		name   string
		mode   os.FileMode // set before the open; 0 for none (a new file)
		notice string
	}{
		{"new", 0, ""},
		{"private", 0o600, ""},
		{"world readable", 0o644, path + " was readable by other users (mode 0644): made it private (mode 0600)"},
		{"group readable", 0o640, path + " was readable by other users (mode 0640): made it private (mode 0600)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.mode != 0 {
				os.Chmod(path, tc.mode)
			}
			ps, notices, err := Open(path, []*ledger.Verifier{}, log)
			if err != nil {
				t.Fatal(err)
			}
			ps.Close()
			if tc.notice == "" && len(notices) != 0 || tc.notice != "" && (len(notices) != 1 || !strings.HasPrefix(notices[0], tc.notice)) {
				t.Errorf("notices %q, want %q", notices, tc.notice)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("policies.db: %v %v, want 0600", fi.Mode(), err)
			}
		})
	}
}
