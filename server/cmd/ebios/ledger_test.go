package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLedgerScript runs the command shapes scripts rely on, in order, as a
// person would: generate a key, log computations, export, verify, tamper,
// trace, prove, check consistency, attest the proofs.
func TestLedgerScript(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "signer.key")
	data := filepath.Join(dir, "data")
	bundle := filepath.Join(dir, "bundle.json")

	vkey, stderr, code := runCLI(t, "", "key", "generate", "--out", key, "--name", "test.example/log")
	vkey = strings.TrimSpace(vkey)
	if code != 0 || !strings.HasPrefix(vkey, "test.example/log+") {
		t.Fatalf("key generate: exit %d, %q %q", code, vkey, stderr)
	}
	if _, _, code := runCLI(t, "", "key", "generate", "--out", key); code != 1 {
		t.Fatalf("key generate over an existing key: exit %d, want 1", code)
	}

	calc := func(args ...string) map[string]any {
		t.Helper()
		out, stderr, code := runCLI(t, "", append([]string{"calc", "--json", "--log", "--data-dir", data, "--key", key}, args...)...)
		if code != 0 {
			t.Fatalf("calc %v: exit %d %s %s", args, code, out, stderr)
		}
		var m map[string]any
		json.Unmarshal([]byte(out), &m)
		return m
	}
	first := calc("(10 ± 0.5) * (20 ± 1)")
	entry := first["entry"].(map[string]any)
	if entry["index"].(float64) != 0 || first["u"].(float64) != 14.150971698084906 {
		t.Fatalf("first calc: %v", first)
	}
	op := entry["op_id"].(string)
	calc("--parent", op, "--mode", "interval", "flip(200 ± 14)")
	if out, _, code := runCLI(t, "", "calc", "--log", "--data-dir", data, "--key", key, "5 ± -1"); code != 1 || strings.Contains(out, "logged") {
		t.Fatalf("a failed computation must not be logged: exit %d %q", code, out)
	}
	if _, _, code := runCLI(t, "", "calc", "--log", "--data-dir", data, "1"); code != 2 {
		t.Fatalf("--log without --key: exit %d, want 2", code)
	}

	cp, _, code := runCLI(t, "", "ledger", "checkpoint", "--data-dir", data)
	if code != 0 || !strings.HasPrefix(cp, "test.example/log\n2\n") {
		t.Fatalf("checkpoint: %q", cp)
	}
	oldCP := filepath.Join(dir, "old.cp")
	os.WriteFile(oldCP, []byte(cp), 0o644)
	calc("1 / 3")

	if _, stderr, code := runCLI(t, "", "ledger", "export", "--data", data, "--out", bundle); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	out, _, code := runCLI(t, "", "ledger", "verify", bundle, "--key", vkey)
	if code != 0 || !strings.HasPrefix(out, "OK: 3 entries") {
		t.Fatalf("verify: exit %d %q", code, out)
	}
	// --origin names the expected log; another origin fails with check "origin".
	if out, _, code := runCLI(t, "", "ledger", "verify", bundle, "--key", vkey, "--origin", "test.example/log"); code != 0 {
		t.Fatalf("verify --origin of the log: exit %d %q", code, out)
	}
	out, _, code = runCLI(t, "", "ledger", "verify", bundle, "--key", vkey, "--origin", "other.example/log", "--json")
	if code != 1 || !strings.Contains(out, `"check":"origin"`) || !strings.Contains(out, "LEDGER_011") {
		t.Fatalf("verify --origin of another log: exit %d %q", code, out)
	}
	if _, stderr, code := runCLI(t, "", "ledger", "verify", "--data", data, "--origin", "other.example/log"); code != 1 || !strings.Contains(stderr, "LEDGER_011") {
		t.Fatalf("verify --data --origin of another log: exit %d %q", code, stderr)
	}
	// A bundle's own key proves nothing: another pinned key fails.
	other := filepath.Join(dir, "other.key")
	otherV, _, _ := runCLI(t, "", "key", "generate", "--out", other, "--name", "test.example/log")
	out, _, code = runCLI(t, "", "ledger", "verify", bundle, "--key", strings.TrimSpace(otherV), "--json")
	if code != 1 || !strings.Contains(out, `"ok":false`) {
		t.Fatalf("verify with a foreign key: exit %d %q", code, out)
	}
	if _, _, code := runCLI(t, "", "ledger", "verify", bundle); code != 2 {
		t.Fatalf("verify without --key: exit %d, want 2", code)
	}

	// Tamper with the second entry's expression: verification names it.
	b, _ := os.ReadFile(bundle)
	bad := strings.Replace(string(b), "flip(200 ± 14)", "flip(200 ± 15)", 1)
	if bad == string(b) {
		t.Fatal("expression not found in bundle")
	}
	tampered := filepath.Join(dir, "tampered.json")
	os.WriteFile(tampered, []byte(bad), 0o644)
	out, _, code = runCLI(t, "", "ledger", "verify", tampered, "--key", vkey, "--json")
	var rep struct {
		OK       bool
		FirstBad struct {
			Index int
			Check string
		} `json:"first_bad"`
	}
	json.Unmarshal([]byte(out), &rep)
	if code != 1 || rep.OK || rep.FirstBad.Index != 1 || rep.FirstBad.Check != "signature" {
		t.Fatalf("tampered bundle: exit %d %s", code, out)
	}

	out, _, code = runCLI(t, "", "ledger", "trace", op, "--data", data)
	if code != 0 || !strings.Contains(out, "entry    #0") || !strings.Contains(out, "child    #1") {
		t.Fatalf("trace: %q", out)
	}
	out, _, code = runCLI(t, "", "ledger", "proof", "1", "--data", data, "--json")
	if code != 0 || !strings.Contains(out, `"tree_size":3`) {
		t.Fatalf("proof: %q", out)
	}
	if _, stderr, code := runCLI(t, "", "ledger", "proof", "9", "--data", data); code != 1 || !strings.Contains(stderr, "LEDGER_017") {
		t.Fatalf("proof of a missing entry: exit %d %q", code, stderr)
	}
	out, _, code = runCLI(t, "", "ledger", "consistency", oldCP, "--data", data)
	if code != 0 || !strings.HasPrefix(out, "OK: the log of size 3 extends the checkpoint of size 2") {
		t.Fatalf("consistency: %q", out)
	}
	out, _, code = runCLI(t, "", "ledger", "verify", "--data-dir", data)
	if code != 0 || !strings.HasPrefix(out, "OK: 3 entries") {
		t.Fatalf("verify --data-dir: %q", out)
	}
	// --data is the deprecated alias of --data-dir: it works and says so.
	out, stderr, code = runCLI(t, "", "ledger", "verify", "--data", data)
	if code != 0 || !strings.HasPrefix(out, "OK: 3 entries") || !strings.Contains(stderr, "--data is deprecated, use --data-dir") {
		t.Fatalf("verify --data: exit %d %q %q", code, out, stderr)
	}

	// Proofs: attest into the log, export, verify files + attestation.
	proofs := filepath.Join("..", "..", "..", "proofs")
	out, stderr, code = runCLI(t, "", "proofs", "attest", "--dir", proofs, "--data", data, "--key", key)
	if code != 0 || !strings.Contains(out, "as entry 3") {
		t.Fatalf("proofs attest: exit %d %q %q", code, out, stderr)
	}
	runCLI(t, "", "ledger", "export", "--data", data, "--out", bundle)
	out, _, code = runCLI(t, "", "proofs", "verify", "--dir", proofs, "--bundle", bundle, "--key", vkey)
	if code != 0 || !strings.Contains(out, "proofs verify: OK") {
		t.Fatalf("proofs verify: exit %d %q", code, out)
	}
	out, _, code = runCLI(t, "", "proofs", "verify", "--dir", proofs, "--bundle", tampered, "--key", vkey)
	if code != 1 {
		t.Fatalf("proofs verify with a bundle lacking the attestation: exit %d %q", code, out)
	}
}
