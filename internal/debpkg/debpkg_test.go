package debpkg

import (
	"os/exec"
	"testing"
)

// TestProgramFound finds a program that every Debian machine has without
// installing anything.
func TestProgramFound(t *testing.T) {
	want, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal("no sh on PATH")
	}
	if got := Program(t, "sh", "the debpkg test", "dash"); got != want {
		t.Errorf("Program(sh) = %q, want %q", got, want)
	}
}
