package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebios/ebios/governance/certify"
)

// smallBundle writes and seals a small evidence bundle in a temporary
// directory.
func smallBundle(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	for p, s := range map[string]string{
		"README.md":            "# evidence\n",
		"tests/results.tsv":    "package\ttest\tresult\ncore/nu\tTestAdd\tpass\n",
		"coverage/packages.md": "| package | coverage |\n|---|---|\n| core/nu | 95.0 % |\n",
	} {
		p = filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := certify.Seal(dir, name); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCertifyCommands runs ebios certify as a person would: verify a
// sealed bundle, attest it into a fresh ledger (keys made now), export the
// ledger and verify the attestation; then change, add and remove a file,
// and verify against a ledger that attests another bundle.
func TestCertifyCommands(t *testing.T) {
	dir := t.TempDir()
	key, data, ledgerFile := filepath.Join(dir, "signer.key"), filepath.Join(dir, "data"), filepath.Join(dir, "ledger.json")
	vkey, stderr, code := runCLI(t, "", "key", "generate", "--out", key, "--name", "certify.example/log")
	vkey = strings.TrimSpace(vkey)
	if code != 0 {
		t.Fatalf("key generate: %d %s", code, stderr)
	}
	bundle := smallBundle(t, "ebios-evidence-t1")

	out, stderr, code := runCLI(t, "", "certify", "verify", "--bundle", bundle)
	if code != 0 || !strings.Contains(out, "OK    files: the 3 files") || !strings.Contains(out, "SKIP  ledger") || !strings.HasSuffix(out, "certify verify: OK\n") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, stderr)
	}
	out, stderr, code = runCLI(t, "", "certify", "attest", "--data-dir", data, "--key", key, "--bundle", bundle)
	if code != 0 || !strings.Contains(out, "attested evidence bundle ebios-evidence-t1 (3 files, root ") || !strings.Contains(out, "as entry 0") {
		t.Fatalf("attest: exit %d %q %q", code, out, stderr)
	}
	if _, stderr, code := runCLI(t, "", "ledger", "export", "--data-dir", data, "--out", ledgerFile); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	out, stderr, code = runCLI(t, "", "certify", "verify", "--bundle", bundle, "--ledger", ledgerFile, "--key", vkey)
	if code != 0 || !strings.Contains(out, "OK    ledger: bundle of 1 entries") || !strings.Contains(out, "OK    attestation: entry 0") {
		t.Fatalf("verify --ledger: exit %d\n%s%s", code, out, stderr)
	}
	// The verifier key may be given as a file.
	vkeyFile := filepath.Join(dir, "vkey")
	os.WriteFile(vkeyFile, []byte(vkey+"\n"), 0o644)
	if out, _, code := runCLI(t, "", "certify", "verify", "--bundle", bundle, "--ledger", ledgerFile, "--key", vkeyFile, "--json"); code != 0 {
		t.Fatalf("verify --key FILE --json: exit %d %s", code, out)
	} else {
		var rep struct {
			OK          bool `json:"ok"`
			Attestation struct {
				Index int `json:"index"`
			} `json:"attestation"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.OK {
			t.Fatalf("--json: %v %s", err, out)
		}
	}

	// A ledger that attests another bundle only.
	other := smallBundle(t, "ebios-evidence-t2")
	data2, ledger2 := filepath.Join(dir, "data2"), filepath.Join(dir, "ledger2.json")
	if _, stderr, code := runCLI(t, "", "certify", "attest", "--data-dir", data2, "--key", key, "--bundle", other); code != 0 {
		t.Fatalf("attest other: %s", stderr)
	}
	runCLI(t, "", "ledger", "export", "--data-dir", data2, "--out", ledger2)

	for _, c := range []struct {
		name   string
		change func(t *testing.T, b string)
		args   []string
		want   []string // in stdout and stderr together
	}{
		{"one byte changed", func(t *testing.T, b string) {
			p := filepath.Join(b, "tests", "results.tsv")
			s, _ := os.ReadFile(p)
			s[len(s)-3] ^= 1
			os.WriteFile(p, s, 0o644)
		}, nil, []string{"FAIL  files: 1 differences", "changed: tests/results.tsv: sha256 is", "error CERTIFY_003", "changed tests/results.tsv"}},
		{"a file added", func(t *testing.T, b string) {
			os.WriteFile(filepath.Join(b, "coverage", "extra.md"), []byte("x"), 0o644)
		}, nil, []string{"extra: coverage/extra.md", "error CERTIFY_003"}},
		{"a file removed", func(t *testing.T, b string) {
			os.Remove(filepath.Join(b, "README.md"))
		}, nil, []string{"missing: README.md", "error CERTIFY_003"}},
		{"no manifest", func(t *testing.T, b string) {
			os.Remove(filepath.Join(b, "manifest.json"))
		}, nil, []string{"no evidence manifest at", "error CERTIFY_001"}},
		{"the ledger attests another bundle", func(t *testing.T, b string) {}, []string{"--ledger", ledger2, "--key", vkey},
			[]string{"OK    files:", "FAIL  attestation: none of the 1 \"certify.attest\" entries attests evidence root", "error CERTIFY_004"}},
		{"another verifier key", func(t *testing.T, b string) {}, []string{"--ledger", ledgerFile, "--key", "other.example/log+00000000+AdOgCIqF/CWWiKmFyWCXuvyf5tKPf8pZTErtGSq6DadU"},
			[]string{"FAIL  ledger:", "error CERTIFY_005"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := smallBundle(t, "ebios-evidence-t1")
			if c.args == nil {
				// the same bundle as attested, copied: attesting again is not needed
				b = bundle + "-copy-" + strings.ReplaceAll(c.name, " ", "-")
				copyDir(t, bundle, b)
			}
			c.change(t, b)
			out, stderr, code := runCLI(t, "", append([]string{"certify", "verify", "--bundle", b}, c.args...)...)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", code, out, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(out+stderr, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, stderr)
				}
			}
		})
	}

	// A changed bundle is not attested.
	changed := bundle + "-changed"
	copyDir(t, bundle, changed)
	os.WriteFile(filepath.Join(changed, "README.md"), []byte("# other\n"), 0o644)
	if out, stderr, code := runCLI(t, "", "certify", "attest", "--data-dir", data, "--key", key, "--bundle", changed); code != 1 || !strings.Contains(stderr, "CERTIFY_003") || !strings.Contains(stderr, "README.md") {
		t.Fatalf("attest of a changed bundle: exit %d %q %q", code, out, stderr)
	}

	// Usage errors.
	for _, args := range [][]string{
		{"certify"}, {"certify", "sign"}, {"certify", "verify"}, {"certify", "attest", "--bundle", bundle},
		{"certify", "verify", "--bundle", bundle, "--ledger", ledgerFile}, {"certify", "verify", "--bundle", bundle, "--key", vkey},
		{"certify", "verify", "--bundle", bundle, "extra"},
	} {
		if out, stderr, code := runCLI(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s%s", args, code, out, stderr)
		}
	}
}

// copyDir copies the regular files under src to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
