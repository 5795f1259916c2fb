//go:build unix

package serve

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRestrictUmask: under umask 022, a file a library creates with 0666
// (as BuntDB's shrink does) is 0600 while RestrictUmask holds, and 0644
// again after its restore.
func TestRestrictUmask(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o022))
	dir := t.TempDir()
	create := func(name string) os.FileMode {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		st, _ := os.Stat(f.Name())
		return st.Mode().Perm()
	}
	restore := RestrictUmask()
	if m := create("private"); m != 0o600 {
		t.Errorf("under RestrictUmask: %o", m)
	}
	restore()
	if m := create("public"); m != 0o644 {
		t.Errorf("after restore: %o", m)
	}
}
