package filelock

import (
	"path/filepath"
	"testing"
)

func TestExclusive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "db")
	a, err := Acquire(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(p); err != ErrLocked {
		t.Fatalf("second Acquire: %v, want ErrLocked", err)
	}
	a.Unlock()
	a.Unlock()
	b, err := Acquire(p)
	if err != nil {
		t.Fatalf("after Unlock: %v", err)
	}
	b.Unlock()
}
