package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/filelock"
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

// sealedDataDir makes a data directory whose log (signed by a key made
// with `ebios key generate`) has n entries, with its full tiles sealed,
// and returns it and the key file.
func sealedDataDir(t *testing.T, n int) (dataDir, key string) {
	t.Helper()
	dir := t.TempDir()
	key, dataDir = filepath.Join(dir, "signer.key"), filepath.Join(dir, "data")
	if _, stderr, code := runCLI(t, "", "key", "generate", "--out", key, "--name", "fsck.example/log"); code != 0 {
		t.Fatalf("key generate: %s", stderr)
	}
	st, err := openStore(dataDir, key)
	if err != nil {
		t.Fatal(err)
	}
	v := nu.MustNew(1.5, 0.1)
	var ds []ledger.Draft
	for i := range n {
		ds = append(ds, ledger.Draft{OpID: fmt.Sprintf("op-%d", i), Operation: "add", Mode: ledger.ModeNU, Inputs: []nu.Value{v, v}, Output: &v,
			Coverage: nu.Float(v.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true}})
	}
	for len(ds) > 0 {
		k := min(len(ds), 50)
		if _, err := st.AppendBatch(context.Background(), ds[:k]); err != nil {
			t.Fatal(err)
		}
		ds = ds[k:]
	}
	want := uint64(n-1) / 256 * 256
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if sealed, _ := st.SealStatus(); sealed == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tiles were not sealed")
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dataDir, key
}

// TestLedgerFsck: fsck of a clean store, of one with a lost hash tile
// (recoverable: --repair rewrites it) and of a torn one; its JSON report;
// no store; a store in use.
func TestLedgerFsck(t *testing.T) {
	data, key := sealedDataDir(t, 600) // 2 sealed tiles, 88 entries in rows
	out, stderr, code := runCLI(t, "", "ledger", "fsck", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "store format 4, tree size 600, 512 entries sealed") || !strings.HasSuffix(out, "OK: no damage found\n") {
		t.Fatalf("clean: exit %d %q %q", code, out, stderr)
	}
	snapshot := func() map[string]string {
		m := map[string]string{}
		filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".lock") {
				b, _ := os.ReadFile(p)
				m[p] = string(b)
			}
			return nil
		})
		return m
	}

	// A lost hash tile: found, left alone without --repair, rewritten
	// with it.
	tile := filepath.Join(data, "tile", "0", "001")
	want, _ := os.ReadFile(tile)
	os.Remove(tile)
	before := snapshot()
	out, _, code = runCLI(t, "", "ledger", "fsck", "--data-dir", data)
	line := "DAMAGED tile/0/001 (entry 256): the level-0 hash tile of entries 256 to 511 is missing; recoverable: --repair writes it again from the entry bundle tile/entries/001"
	if code != 1 || !strings.Contains(out, line) || !strings.Contains(out, "FAILED: 1 finding(s), all recoverable: run again with --repair") {
		t.Fatalf("lost tile: exit %d\n%s", code, out)
	}
	if !maps.Equal(before, snapshot()) {
		t.Fatal("fsck without --repair changed the data directory")
	}
	out, _, code = runCLI(t, "", "ledger", "fsck", "--data-dir", data, "--json")
	var rep struct {
		OK       bool
		Size     int
		Findings []struct {
			Kind, Where, What, Action string
			Index                     *int
			Recoverable               bool
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if code != 1 || rep.OK || rep.Size != 600 || len(rep.Findings) != 1 || rep.Findings[0].Kind != "tile-missing" || rep.Findings[0].Where != "tile/0/001" ||
		rep.Findings[0].Index == nil || *rep.Findings[0].Index != 256 || !rep.Findings[0].Recoverable {
		t.Fatalf("--json: exit %d %s", code, out)
	}
	out, _, code = runCLI(t, "", "ledger", "fsck", "--data-dir", data, "--repair")
	if got, _ := os.ReadFile(tile); code != 0 || !strings.Contains(out, "repaired: rebuilt tile/0/001 from tile/entries/001") || !bytes.Equal(got, want) {
		t.Fatalf("--repair: exit %d\n%s", code, out)
	}

	// A torn last write: the row of one more entry, cut.
	if _, stderr, code := runCLI(t, "", "calc", "--log", "--data-dir", data, "--key", key, "1 ± 0.5"); code != 0 {
		t.Fatalf("calc --log: %s", stderr)
	}
	db := filepath.Join(data, "ledger.db")
	fi, _ := os.Stat(db)
	os.Truncate(db, fi.Size()-7)
	out, _, code = runCLI(t, "", "ledger", "fsck", "--data", data)
	if code != 1 || !strings.Contains(out, "DAMAGED ledger.db byte ") || !strings.Contains(out, "; recoverable: --repair cuts the file at byte ") {
		t.Fatalf("torn: exit %d\n%s", code, out)
	}
	out, _, code = runCLI(t, "", "ledger", "fsck", "--data-dir", data, "--repair")
	if code != 0 || !strings.Contains(out, "repaired: cut the unfinished last write off ledger.db") || !strings.Contains(out, "tree size 600,") {
		t.Fatalf("torn, --repair: exit %d\n%s", code, out)
	}
	if out, _, code := runCLI(t, "", "ledger", "verify", "--data-dir", data); code != 0 || !strings.HasPrefix(out, "OK: 600 entries") {
		t.Fatalf("verify after --repair: exit %d %s", code, out)
	}

	// No store; a store in use.
	_, stderr, code = runCLI(t, "", "ledger", "fsck", "--data-dir", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "LEDGER_017") || !strings.Contains(stderr, "no ledger store at") {
		t.Fatalf("no store: exit %d %q", code, stderr)
	}
	lock, err := filelock.Acquire(db)
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code = runCLI(t, "", "ledger", "fsck", "--data-dir", data)
	lock.Unlock()
	if code != 1 || !strings.Contains(stderr, "LEDGER_024") || !strings.Contains(stderr, "stop the server") {
		t.Fatalf("in use: exit %d %q", code, stderr)
	}
	if _, stderr, code := runCLI(t, "", "ledger", "fsck", "--help"); code != 0 || !strings.Contains(stderr, "Usage: ebios ledger fsck --data-dir DIR [--repair] [--json]") ||
		!strings.Contains(stderr, "never deletes an acknowledged") {
		t.Fatalf("--help: exit %d %q", code, stderr)
	}
}

// TestLedgerMigrate: the format-2 fixture (written by the code of commit
// 2945d63; its signing key was never saved) is migrated without a key: the
// same checkpoint before and after, format 4, and it verifies; a second
// run has nothing to do; another key is refused.
func TestLedgerMigrate(t *testing.T) {
	fixture := func() string {
		data := filepath.Join(t.TempDir(), "data")
		os.MkdirAll(data, 0o700)
		b, err := os.ReadFile(filepath.Join("..", "..", "ledgerstore", "testdata", "format2.db"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(data, "ledger.db"), b, 0o600)
		return data
	}
	cp, err := os.ReadFile(filepath.Join("..", "..", "ledgerstore", "testdata", "format2.checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	// The checkpoint's root, as migrate prints it.
	lines := strings.Split(string(cp), "\n")
	head := "tree size " + lines[1] + ", root " + lines[2]

	data := fixture()
	out, stderr, code := runCLI(t, "", "ledger", "migrate", "--data-dir", data)
	want := "store format 2 -> 4\ncheckpoint before: " + head + "\ncheckpoint after:  " + head + " (unchanged)\n0 entries sealed into tile files\n"
	if code != 0 || out != want {
		t.Fatalf("migrate: exit %d\n%s\nwant\n%s%s", code, out, want, stderr)
	}
	if out, _, code := runCLI(t, "", "ledger", "verify", "--data-dir", data); code != 0 || !strings.HasPrefix(out, "OK: 28 entries") {
		t.Fatalf("verify after the migration: exit %d %s", code, out)
	}
	if out, _, _ := runCLI(t, "", "ledger", "checkpoint", "--data-dir", data); out != string(cp) {
		t.Fatalf("the checkpoint changed:\n%s", out)
	}
	out, _, code = runCLI(t, "", "ledger", "migrate", "--data-dir", data, "--json")
	var res struct {
		Migrated      bool
		FormatBefore  string `json:"format_before"`
		FormatAfter   string `json:"format_after"`
		Before, After struct {
			Size int64
			Root string
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if code != 0 || res.Migrated || res.FormatBefore != "4" || res.FormatAfter != "4" || res.After.Size != 28 || res.After.Root != lines[2] {
		t.Fatalf("migrate again: exit %d %s", code, out)
	}
	if out, _, code := runCLI(t, "", "ledger", "fsck", "--data-dir", data); code != 0 || !strings.Contains(out, "store format 4, tree size 28") {
		t.Fatalf("fsck after the migration: exit %d %s", code, out)
	}

	data = fixture()
	key := filepath.Join(t.TempDir(), "other.key")
	runCLI(t, "", "key", "generate", "--out", key, "--name", "fixture.example/format2")
	before, _ := os.ReadFile(filepath.Join(data, "ledger.db"))
	_, stderr, code = runCLI(t, "", "ledger", "migrate", "--data-dir", data, "--key", key)
	if code != 1 || !strings.Contains(stderr, "LEDGER_023") {
		t.Fatalf("migrate with another key: exit %d %q", code, stderr)
	}
	if after, _ := os.ReadFile(filepath.Join(data, "ledger.db")); !bytes.Equal(before, after) {
		t.Fatal("a refused migration changed the store")
	}
}
