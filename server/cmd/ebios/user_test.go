package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	d := []string{"--data-dir", dir}
	run := func(stdin string, args ...string) (string, string, int) {
		t.Helper()
		return runCLI(t, stdin, append(args, d...)...)
	}
	if out, stderr, code := run("alice long passphrase\n", "user", "add", "alice", "--role", "admin"); code != 0 || !strings.Contains(out, "user alice: role admin") {
		t.Fatalf("add: %d %q %q", code, out, stderr)
	}
	if _, stderr, code := run("short\n", "user", "add", "bob", "--role", "operator"); code != 1 || !strings.Contains(stderr, "AUTH_011") {
		t.Fatalf("weak password: %d %q", code, stderr)
	}
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("another long passphrase\n"), 0o600)
	if _, _, code := run("", "user", "add", "bob", "--role", "operator", "--password-file", pw); code != 0 {
		t.Fatal("add with --password-file")
	}
	if _, stderr, code := run("x\n", "user", "add", "carol"); code != 2 || !strings.Contains(stderr, "--role is required") {
		t.Fatalf("add without role: %d %q", code, stderr)
	}
	if _, stderr, code := run("alice long passphrase\n", "user", "add", "alice", "--role", "guest"); code != 1 || !strings.Contains(stderr, "AUTH_013") {
		t.Fatalf("duplicate: %d %q", code, stderr)
	}
	if out, _, code := run("", "user", "set-role", "bob", "auditor"); code != 0 || !strings.Contains(out, "role auditor") {
		t.Fatalf("set-role: %q", out)
	}
	if out, _, code := run("", "user", "disable", "bob"); code != 0 || !strings.Contains(out, "disabled true") {
		t.Fatalf("disable: %q", out)
	}
	if out, _, code := run("", "user", "enable", "bob"); code != 0 || !strings.Contains(out, "disabled false") {
		t.Fatalf("enable: %q", out)
	}
	if _, _, code := run("yet another passphrase\n", "user", "reset-password", "bob"); code != 0 {
		t.Fatal("reset-password")
	}
	if _, stderr, code := run("", "user", "set-role", "nobody", "guest"); code != 1 || !strings.Contains(stderr, "AUTH_014") {
		t.Fatalf("unknown user: %q", stderr)
	}
	out, _, code := run("", "user", "list", "--json")
	var l struct {
		Users []struct{ Name, Role string }
	}
	if json.Unmarshal([]byte(out), &l); code != 0 || len(l.Users) != 2 || strings.Contains(out, "argon2") {
		t.Fatalf("list: %q", out)
	}
	if out, _, _ := run("", "user", "list"); !strings.Contains(out, "NAME") || !strings.Contains(out, "bob") {
		t.Fatalf("list table: %q", out)
	}
	// delete: bob goes; alice, the last admin, stays (AUTH_019); an unknown
	// name is AUTH_014.
	if out, stderr, code := run("", "user", "delete", "bob"); code != 0 || !strings.Contains(out, "user bob (role auditor) deleted") {
		t.Fatalf("delete: %d %q %q", code, out, stderr)
	}
	if _, stderr, code := run("", "user", "delete", "alice"); code != 1 || !strings.Contains(stderr, "AUTH_019") {
		t.Fatalf("delete the last admin: %d %q", code, stderr)
	}
	if _, stderr, code := run("", "user", "delete", "bob"); code != 1 || !strings.Contains(stderr, "AUTH_014") {
		t.Fatalf("delete twice: %d %q", code, stderr)
	}
	if out, _, _ := run("", "user", "list"); strings.Contains(out, "bob") || !strings.Contains(out, "alice") {
		t.Fatalf("list after delete: %q", out)
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	if out, _, code := runCLI(t, "", "config", "check", "--data-dir", dir, "--listen", "127.0.0.1:9999"); code != 0 || !strings.Contains(out, "config check: OK") {
		t.Fatalf("good config: %d %q", code, out)
	}
	conf := filepath.Join(dir, "ebios.conf")
	os.WriteFile(conf, []byte("[server]\nlisten = 127.0.0.1:1\nbogus = 1\n[api]\naccess_ttl = forever\n"), 0o644)
	out, _, code := runCLI(t, "", "config", "check", "--config", conf)
	if code != 1 || !strings.Contains(out, "ebios.conf:3") {
		t.Fatalf("bad config: %d %q", code, out)
	}
}
