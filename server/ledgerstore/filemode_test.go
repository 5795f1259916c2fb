package ledgerstore

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// withUmask runs the test under umask (a usual 022 makes 0666 files 0644).
func withUmask(t *testing.T, umask int) {
	old := syscall.Umask(umask)
	t.Cleanup(func() { syscall.Umask(old) })
}

// modesUnder returns the permission bits of every file and directory
// below root (root included), by path relative to root.
func modesUnder(t *testing.T, root string) map[string]fs.FileMode {
	t.Helper()
	m := map[string]fs.FileMode{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		m[rel] = fi.Mode().Perm()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkPrivate fails for every file or directory below root that its
// group or others may use.
func checkPrivate(t *testing.T, root string) int {
	t.Helper()
	ms := modesUnder(t, root)
	for p, m := range ms {
		if m&0o077 != 0 {
			t.Errorf("%s has mode %#o, want no permissions for group and others", p, m)
		}
	}
	return len(ms)
}

// TestFileModes: under umask 022 the store creates its BuntDB file and
// its tile files and directories private (0600, 0700), and a store found
// readable by others is made private when it is opened, with a notice.
func TestFileModes(t *testing.T) {
	withUmask(t, 0o022)
	fastSealing(t)
	sg := newSigner(t, "modes.example")
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	st := openT(t, path, sg)
	appendN(t, st, "m", 600, 50)
	waitSealed(t, st, 512)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if n := checkPrivate(t, filepath.Join(dir, "tile")); n < 5 {
		t.Fatalf("only %d tile files and directories", n)
	}
	for _, f := range []string{"ledger.db", "ledger.db.lock"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v, want 0600", f, fi.Mode(), err)
		}
	}

	loosen := func() {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if d.IsDir() {
				return os.Chmod(p, 0o755)
			}
			return os.Chmod(p, 0o644)
		})
	}
	for _, tc := range []struct {
		name     string
		prepare  func()
		open     func() (*Store, error)
		notices  []string // each in one notice
		tileDirs bool     // the tile tree is made private too
	}{
		{name: "private already", prepare: func() {}, open: func() (*Store, error) { return Open(path, sg, nil) }},
		{name: "readable by others", prepare: loosen, open: func() (*Store, error) { return Open(path, sg, nil) },
			notices: []string{path + " was readable by other users (mode 0644): made it private (mode 0600)",
				filepath.Join(dir, "tile") + " was readable by other users (mode 0755): made it and "}, tileDirs: true},
		{name: "read-only open", prepare: loosen, open: func() (*Store, error) { return OpenReadOnly(path) },
			notices: []string{path + " was readable", filepath.Join(dir, "tile") + " was readable"}, tileDirs: true},
		{name: "only the file", prepare: func() { os.Chmod(path, 0o640) }, open: func() (*Store, error) { return Open(path, sg, nil) },
			notices: []string{path + " was readable by other users (mode 0640): made it private (mode 0600)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.prepare()
			st, err := tc.open()
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			got := st.Notices()
			if len(got) != len(tc.notices) {
				t.Fatalf("notices %q, want %d", got, len(tc.notices))
			}
			for i, want := range tc.notices {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("notice %q, want it to start with %q", got[i], want)
				}
			}
			checkPrivate(t, filepath.Join(dir, "tile"))
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
				t.Errorf("ledger.db mode %#o", fi.Mode().Perm())
			}
			if st.Len() != 600 {
				t.Errorf("%d entries", st.Len())
			}
		})
	}
}

// TestPrivateFile: the helper the other stores use.
func TestPrivateFile(t *testing.T) {
	withUmask(t, 0o022)
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		mode   fs.FileMode // 0: the file does not exist
		want   fs.FileMode
		notice string
	}{
		{"new", 0, 0o600, ""},
		{"private", 0o600, 0o600, ""},
		{"owner read only", 0o400, 0o400, ""},
		{"world readable", 0o644, 0o600, "(mode 0644): made it private (mode 0600)"},
		{"group writable", 0o660, 0o600, "(mode 0660): made it private (mode 0600)"},
		{"executable by all", 0o755, 0o700, "(mode 0755): made it private (mode 0700)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if tc.mode != 0 {
				os.WriteFile(p, []byte("x"), 0o600)
				os.Chmod(p, tc.mode)
			}
			n, err := PrivateFile(p)
			fi, serr := os.Stat(p)
			if err != nil || serr != nil || fi.Mode().Perm() != tc.want {
				t.Fatalf("mode %v, %v %v; want %#o", fi.Mode(), err, serr, tc.want)
			}
			if (tc.notice == "") != (n == "") || !strings.Contains(n, tc.notice) {
				t.Fatalf("notice %q, want %q", n, tc.notice)
			}
		})
	}
	if _, err := PrivateFile(filepath.Join(dir, "missing", "x")); err == nil {
		t.Fatal("no error creating a file in a missing directory")
	}
}
