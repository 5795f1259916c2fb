package staticanalysis

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGosecFailsOnPlantedDefect runs make gosec (the target make lint runs,
// with its pinned gosec, configuration and flags) on the testdata packages:
// on planted/ (a world-writable WriteFile and a command named by a request)
// it must fail and name the findings; on unjustified/ (the same WriteFile
// under a #nosec without a reason) it must fail too; on justified/ (with a
// reason) it must pass. A few seconds once gosec is built.
func TestGosecFailsOnPlantedDefect(t *testing.T) {
	if testing.Short() {
		t.Skip("runs make gosec")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make here")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	gosec := func(pkg string) (string, error) {
		cmd := exec.Command("make", "-s", "--no-print-directory", "gosec", "GOSEC_PKGS=./internal/staticanalysis/testdata/"+pkg, "GOSEC_JS_PKGS=")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "MAKEFLAGS=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, c := range []struct {
		pkg  string
		fail bool
		want []string
	}{
		{"planted", true, []string{"planted.go:12] - G306", "planted.go:16] - G204", "planted.go:16] - G702", "Issues : 3"}},
		{"unjustified", true, []string{"invalid nosec directive: missing justification", "unjustified.go:9] - G306"}},
		{"justified", false, []string{"Nosec  : 1", "Issues : 0"}},
	} {
		out, err := gosec(c.pkg)
		var ee *exec.ExitError
		switch {
		case c.fail && !errors.As(err, &ee):
			t.Errorf("make gosec on testdata/%s: %v, want a failure\n%s", c.pkg, err, out)
		case !c.fail && err != nil:
			t.Errorf("make gosec on testdata/%s: %v, want success\n%s", c.pkg, err, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("make gosec on testdata/%s does not say %q:\n%s", c.pkg, w, out)
			}
		}
	}
}
