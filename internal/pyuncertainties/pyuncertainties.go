// Package pyuncertainties gives the differential tests of core/gum and
// core/expr their second implementation: Debian's python3 with the
// uncertainties package (python3-uncertainties, and python3-numpy, which
// its correlated values need), installed with apt-get when missing.
package pyuncertainties

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
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
		if exec.Command(p, "-c", "import uncertainties, numpy").Run() == nil { // #nosec G204 -- test helper: /usr/bin/python3 or the python3 on PATH
			return p
		}
	}
	return ""
}

// Result is the script's answer for one case: n and u, or why Python could
// not evaluate it.
type Result struct {
	N     *float64 `json:"n"`
	U     *float64 `json:"u"`
	Error string   `json:"error"`
}

// Answer is what [Run] returns: the uncertainties version, one result per
// case, and the time Python took.
type Answer struct {
	Version string   `json:"version"`
	Results []Result `json:"results"`
	Took    time.Duration
}

// Run evaluates n cases with scripts/gum_crosscheck.py in one python3
// process (found or installed by [Python]); cases is marshalled as
// {"cases": cases}, in the form the script's doc comment gives. It fails
// the test when the script fails or answers a different number of cases.
func Run(t testing.TB, cases any, n int) *Answer {
	t.Helper()
	py := Python(t)
	raw, err := json.Marshal(map[string]any{"cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cases.json")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	_, src, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(src), "..", "..", "scripts", "gum_crosscheck.py")
	start := time.Now()
	cmd := exec.Command(py, script, file) // #nosec G204 -- test helper: python3 runs the repository's scripts/gum_crosscheck.py on a test's file
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gum_crosscheck.py: %v\n%s", err, stderr.String())
	}
	a := &Answer{Took: time.Since(start)}
	if err := json.Unmarshal(out, a); err != nil {
		t.Fatalf("gum_crosscheck.py output: %v", err)
	}
	if len(a.Results) != n {
		t.Fatalf("gum_crosscheck.py returned %d results for %d cases", len(a.Results), n)
	}
	return a
}
