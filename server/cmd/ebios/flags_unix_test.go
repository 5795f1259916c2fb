//go:build unix

package main

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteFileAtomicMode: a file written with --out (ledger export,
// policy sign) gets the mode any new file gets, 0666 less the umask: 0644
// under umask 022, 0600 under 077 (it was 0644 whatever the umask), and no
// temporary file is left beside it.
func TestWriteFileAtomicMode(t *testing.T) {
	for _, c := range []struct {
		umask int
		want  fs.FileMode
	}{{0o022, 0o644}, {0o077, 0o600}, {0o027, 0o640}} {
		dir := t.TempDir()
		path := filepath.Join(dir, "out.json")
		old := syscall.Umask(c.umask)
		err := writeFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "{}\n"); return err })
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != c.want {
			t.Errorf("umask %#o: mode %v (%v), want %v", c.umask, fi.Mode().Perm(), err, c.want)
		}
		if b, _ := os.ReadFile(path); string(b) != "{}\n" {
			t.Errorf("umask %#o: content %q", c.umask, b)
		}
		if es, _ := os.ReadDir(dir); len(es) != 1 {
			t.Errorf("umask %#o: %d files in the directory, want 1", c.umask, len(es))
		}
	}
}
