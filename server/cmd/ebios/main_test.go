package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), exitCode(err)
}

func TestCalcJSON(t *testing.T) {
	cases := []struct {
		args       []string
		n, u       float64
		ulps       float64
		mode, text string
	}{
		{[]string{"calc", "--json", "(10 ± 0.5) * (20 ± 1)"}, 200, 14.150971698084906, 1, "nu", "200 ± 14"},
		{[]string{"calc", "--json", "--mode", "interval", "(10 ± 0.5) * (20 ± 1)"}, 200, 20.5, 4, "interval", "200 ± 21"}, // rounded outward
		{[]string{"calc", "--json", "--full", "(10", "±", "0.5)", "*", "2"}, 20, 1, 0, "nu", "20 ± 1"},
		{[]string{"calc", "--json", "--digits", "3", "5 ± 0.12345"}, 5, 0.12345, 0, "nu", "5.000 ± 0.123"},
	}
	for _, c := range cases {
		stdout, stderr, code := runCLI(t, "", c.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, stderr %s", c.args, code, stderr)
		}
		var got struct {
			N, U       float64
			Mode, Text string
			Coverage   float64
			RelUnc     float64 `json:"relative_uncertainty"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("%v: %v in %q", c.args, err, stdout)
		}
		ulp := math.Nextafter(c.u, math.Inf(1)) - c.u
		if got.N != c.n || got.U < c.u || got.U-c.u > c.ulps*ulp || got.Mode != c.mode || got.Text != c.text {
			t.Errorf("%v = %s", c.args, stdout)
		}
		if got.RelUnc != got.U/math.Abs(got.N) || got.Coverage != got.RelUnc {
			t.Errorf("%v: relative uncertainty %v, coverage (its old name) %v", c.args, got.RelUnc, got.Coverage)
		}
	}
}

func TestCalcText(t *testing.T) {
	stdout, _, code := runCLI(t, "", "calc", "(10 ± 0.5) * (20 ± 1) + 3 ± 0.2")
	if code != 0 || stdout != "203 ± 14  (nu)\n" {
		t.Errorf("got %q, exit %d", stdout, code)
	}
	stdout, _, code = runCLI(t, "compose(10 ± 1, 20 ± 3)\n", "calc", "-")
	if code != 0 || stdout != "11.00 ± 0.95  (nu)\n" {
		t.Errorf("stdin: got %q, exit %d", stdout, code)
	}
}

func TestCalcErrors(t *testing.T) {
	cases := []struct {
		args       []string
		code       int
		wantStdout string
		wantStderr []string
	}{
		{[]string{"calc", "5 ± -1"}, 1, "", []string{"NUCORE_001", "invariant", "column 5", "fix:"}},
		{[]string{"calc", "(1 ± 2"}, 1, "", []string{"NUCORE_010", "syntax", "column 7"}},
		{[]string{"calc", "1/0"}, 1, "", []string{"NUCORE_005"}},
		{[]string{"calc", "--json", "5 ± -1"}, 1, `"code":"NUCORE_001"`, nil},
		{[]string{"calc", "--mode", "fuzzy", "1"}, 2, "", []string{"NUCORE_007"}},
		{[]string{"calc"}, 2, "", []string{"Usage: ebios calc"}},
		{[]string{"calc", "--nope", "1"}, 2, "", []string{"flag provided but not defined"}},
		{[]string{"frobnicate"}, 2, "", []string{"unknown command"}},
	}
	for _, c := range cases {
		stdout, stderr, code := runCLI(t, "", c.args...)
		if code != c.code || !strings.Contains(stdout, c.wantStdout) {
			t.Errorf("%v: exit %d, stdout %q", c.args, code, stdout)
		}
		for _, w := range c.wantStderr {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr %q lacks %q", c.args, stderr, w)
			}
		}
	}
	stdout, _, _ := runCLI(t, "", "calc", "--json", "5 ± -1")
	var e struct {
		Error map[string]any `json:"error"`
	}
	if err := json.Unmarshal([]byte(stdout), &e); err != nil || e.Error["remediation"] == "" || e.Error["category"] != "invariant" {
		t.Errorf("structured JSON error: %q", stdout)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"help", "calc"}, {"calc", "--help"}, {"version", "--help"},
		{"key", "--help"}, {"ledger", "--help"}, {"proofs", "--help"}, {"certify", "--help"}, {"certify", "attest", "--help"}, {"certify", "verify", "--help"}, {"user", "--help"}, {"config", "--help"}, {"serve", "--help"},
		{"ledger", "export", "--help"}, {"ledger", "verify", "--help"}, {"import", "--help"}, {"user", "add", "--help"}, {"key", "generate", "--help"},
		{"backup", "--help"}, {"backup", "verify", "--help"}, {"restore", "--help"}} {
		stdout, stderr, code := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(stdout+stderr, "Usage") {
			t.Errorf("%v: exit %d, output %q", args, code, stdout+stderr)
		}
	}
	if _, _, code := runCLI(t, ""); code != 2 {
		t.Errorf("no args: exit %d, want 2", code)
	}
}

// TestBinary builds the real binary and runs it as a person would: the exit
// status and the output streams are those of the process.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "ebios")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "calc", "--json", "(10 ± 0.5) * (20 ± 1)")
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), `"u":14.150971698084906`) {
		t.Errorf("calc: %v %s", err, out)
	}
	cmd = exec.Command(bin, "calc", "5 ± -1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "NUCORE_001") {
		t.Errorf("5 ± -1: err %v, stderr %q", err, stderr.String())
	}
	_ = os.Remove(bin)
}

// TestRequiredFlags: each command with a required flag says which one is
// missing and exits with the usage code.
func TestRequiredFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"key", "generate"}, "ebios key generate: --out FILE is required"},
		{[]string{"ledger", "export", "--data", t.TempDir()}, "ebios ledger export: --out BUNDLE is required"},
		{[]string{"proofs", "attest"}, "ebios proofs attest: --key FILE is required"},
		{[]string{"static"}, "ebios static: --out DIR is required"},
		{[]string{"backup", "--data-dir", t.TempDir()}, "ebios backup: --out BACKUP_DIR is required"},
		{[]string{"backup"}, "ebios backup: give --user NAME or --token-file FILE"},
		{[]string{"restore", "somewhere"}, "ebios restore: --data-dir EMPTYDIR is required"},
	} {
		_, stderr, code := runCLI(t, "", c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, exitUsage, c.want)
		}
	}
}
