package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/server/keyfile"
)

// TestBackupRestoreOffline: `ebios backup --data-dir` of a stopped data
// directory, `ebios backup verify` (pinned to the right and to a wrong
// key), and `ebios restore` (into a new directory, then refused for a
// non-empty one and for a pin it cannot prove), each with its exit
// status and message.
func TestBackupRestoreOffline(t *testing.T) {
	data, key := sealedDataDir(t, 300)
	vkey, _, _ := runCLI(t, "", "key", "generate", "--out", filepath.Join(t.TempDir(), "other.key"), "--name", "other.example/log")
	out := t.TempDir()
	stdout, stderr, code := runCLI(t, "", "backup", "--data-dir", data, "--out", out)
	if code != 0 || !strings.Contains(stdout, "backup written: ") || !strings.Contains(stdout, "300 entries") {
		t.Fatalf("backup: exit %d, %q %q", code, stdout, stderr)
	}
	backups, _ := filepath.Glob(filepath.Join(out, "ebios-backup-*"))
	if len(backups) != 1 {
		t.Fatalf("backups written: %v", backups)
	}
	bk := backups[0]
	signer, err := keyfile.LoadSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	pinnedKey := signer.VerifierKey()
	restored := filepath.Join(t.TempDir(), "restored")
	oldCP, _, _ := runCLI(t, "", "ledger", "checkpoint", "--data-dir", data)
	newer := filepath.Join(t.TempDir(), "newer")
	os.WriteFile(newer, []byte(oldCP), 0o600)
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"verify pinned", []string{"backup", "verify", bk, "--key", pinnedKey}, 0, "OK: backup " + bk + ` of log "fsck.example/log", 300 entries`},
		{"verify unpinned", []string{"backup", "verify", bk}, 0, "give --key to pin the key you trust"},
		{"verify another key", []string{"backup", "verify", bk, "--key", strings.TrimSpace(vkey)}, 1, "BACKUP_004"},
		{"restore", []string{"restore", bk, "--data-dir", restored, "--key", key, "--pin-checkpoint", newer}, 0, "consistent with the pinned checkpoint of size 300"},
		{"restore into a non-empty directory", []string{"restore", bk, "--data-dir", restored, "--key", key}, 1, "BACKUP_003"},
		{"restore without a key", []string{"restore", bk, "--data-dir", filepath.Join(t.TempDir(), "x")}, 1, "BACKUP_004"},
		{"restore with an unreadable pin", []string{"restore", bk, "--data-dir", filepath.Join(t.TempDir(), "x"), "--key", key, "--pin-checkpoint", "/nonexistent"}, 1, "LEDGER_009"},
	} {
		stdout, stderr, code := runCLI(t, "", c.args...)
		if code != c.code || !strings.Contains(stdout+stderr, c.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d and %q", c.name, code, stdout, stderr, c.code, c.want)
		}
	}
	// The log grows after the backup; the proof from `ebios ledger
	// consistency --json` lets a restore accept the rollback, counted.
	bcp := filepath.Join(t.TempDir(), "backup-checkpoint")
	os.WriteFile(bcp, []byte(oldCP), 0o600)
	st, err := openStore(data, key)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := st.Append(context.Background(), ledger.Draft{OpID: fmt.Sprintf("later-%d", i), Operation: "note", Invariant: ledger.Invariant{OK: true}}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	proof, stderr, code := runCLI(t, "", "ledger", "consistency", bcp, "--data-dir", data, "--json")
	if code != 0 {
		t.Fatalf("ledger consistency: %s", stderr)
	}
	pin := filepath.Join(t.TempDir(), "pin.json")
	os.WriteFile(pin, []byte(proof), 0o600)
	newCP, _, _ := runCLI(t, "", "ledger", "checkpoint", "--data-dir", data)
	os.WriteFile(newer, []byte(newCP), 0o600)
	for _, c := range []struct {
		name string
		pin  string
		code int
		want string
	}{
		{"newer pin with its proof", pin, 0, "ROLLBACK: the pinned checkpoint has 310 entries, the backup 300: 10 entries are lost"},
		{"newer pin without a proof", newer, 1, "the backup holds 300 entries, the pinned checkpoint 310"},
	} {
		stdout, stderr, code := runCLI(t, "", "restore", bk, "--data-dir", filepath.Join(t.TempDir(), "r"), "--key", key, "--pin-checkpoint", c.pin)
		if code != c.code || !strings.Contains(stdout+stderr, c.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d and %q", c.name, code, stdout, stderr, c.code, c.want)
		}
	}

	// The restored directory is the log: verify it, and it has the checkpoint.
	if stdout, _, code := runCLI(t, "", "ledger", "verify", "--data-dir", restored); code != 0 || !strings.Contains(stdout, "OK: 300 entries") {
		t.Errorf("ledger verify of the restored directory: exit %d, %q", code, stdout)
	}
	if cp, _, _ := runCLI(t, "", "ledger", "checkpoint", "--data-dir", restored); cp != oldCP {
		t.Errorf("restored checkpoint %q, want %q", cp, oldCP)
	}
}
