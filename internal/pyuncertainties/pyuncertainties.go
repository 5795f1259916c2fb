// Package pyuncertainties gives the differential tests of core/gum and
// core/expr their second implementation: Debian's python3 with the
// uncertainties package (python3-uncertainties, and python3-numpy, which
// its correlated values need), installed with apt-get when missing.
package pyuncertainties

import (
	"os"
	"os/exec"
	"testing"
)

// Python returns a python3 that imports uncertainties and numpy,
// installing the Debian packages when none does. It fails the test, never
// skips it, when it cannot.
func Python(t testing.TB) string {
	t.Helper()
	if p := find(); p != "" {
		return p
	}
	if os.Geteuid() != 0 {
		t.Fatal("the differential test needs Python's uncertainties package: run (as root) " +
			"apt-get install -y python3-uncertainties python3-numpy")
	}
	install := func() ([]byte, error) {
		cmd := exec.Command("apt-get", "install", "-y", "-qq", "python3-uncertainties", "python3-numpy")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	t.Log("installing python3-uncertainties with apt-get")
	out, err := install()
	if err != nil {
		upd, uerr := exec.Command("apt-get", "update", "-qq").CombinedOutput()
		if uerr != nil {
			t.Fatalf("the differential test needs Python's uncertainties package, and apt-get update failed: %v\n%s", uerr, upd)
		}
		out, err = install()
	}
	if err != nil {
		t.Fatalf("the differential test needs Python's uncertainties package, and apt-get install python3-uncertainties failed: %v\n%s", err, out)
	}
	if p := find(); p != "" {
		return p
	}
	t.Fatal("python3-uncertainties is installed but no python3 imports it (tried /usr/bin/python3 and python3 on PATH)")
	return ""
}

// find returns the first python3 that imports both packages: Debian's,
// where the apt packages install, then the one on PATH.
func find() string {
	cands := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, p)
	}
	for _, p := range cands {
		if exec.Command(p, "-c", "import uncertainties, numpy").Run() == nil {
			return p
		}
	}
	return ""
}
