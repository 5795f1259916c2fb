// Package debpkg gives tests the Debian programs they need (sqlite3,
// PostgreSQL, podman, Prometheus, pebble, ...), installing the packages
// with apt-get when a program is missing. A test that cannot get them
// fails saying what to install; it never skips.
package debpkg

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Install installs Debian packages with apt-get, or fails the test with
// why and what to install. Test binaries run in parallel, so it waits for
// another apt-get's lock instead of failing on it.
func Install(t testing.TB, why string, pkgs ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("%s: run (as root) apt-get install -y %s", why, strings.Join(pkgs, " "))
	}
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command("apt-get", append([]string{"-o", "DPkg::Lock::Timeout=600"}, args...)...) // #nosec G204 -- test helper: apt-get installs the fixed packages a test names
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	t.Logf("installing %s with apt-get", strings.Join(pkgs, " "))
	out, err := run(append([]string{"install", "-y", "-qq"}, pkgs...)...)
	if err != nil {
		if upd, uerr := run("update", "-qq"); uerr != nil {
			t.Fatalf("%s, and apt-get update failed: %v\n%s", why, uerr, upd)
		}
		out, err = run(append([]string{"install", "-y", "-qq"}, pkgs...)...)
	}
	if err != nil {
		t.Fatalf("%s, and apt-get install %s failed: %v\n%s", why, strings.Join(pkgs, " "), err, out)
	}
}

// Program returns the path of the program name (looked up on PATH, or an
// absolute path), installing the Debian packages pkgs when it is missing.
// why says which test needs it, for the failure message.
func Program(t testing.TB, name, why string, pkgs ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	Install(t, why, pkgs...)
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s: %s is installed but %s is not found: %v", why, strings.Join(pkgs, " "), name, err)
	}
	return p
}
