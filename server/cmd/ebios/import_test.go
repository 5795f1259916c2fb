package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/internal/pyebios"
	"github.com/ebios/ebios/server/ledgerstore"
)

// TestImportCommand runs `ebios import` as an operator would: a dry run,
// the import of a SQLite file made by Debian's sqlite3 from the published
// schema, the report, export and verify against the pinned key, a re-run
// (nothing imported again), a malformed source (refused, nothing written)
// and the usage errors.
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "signer.key")
	data := filepath.Join(dir, "data")
	old := filepath.Join(dir, "old.db")
	good, err := os.ReadFile("../../pyimport/testdata/good.sql")
	if err != nil {
		t.Fatal(err)
	}
	pyebios.MakeSQLite(t, old, pyebios.Schema+string(good))
	vkey, _, code := runCLI(t, "", "key", "generate", "--out", key, "--name", "import.example/log")
	vkey = strings.TrimSpace(vkey)
	if code != 0 {
		t.Fatal("key generate failed")
	}

	// A dry run writes nothing, not even the data directory.
	out, stderr, code := runCLI(t, "", "import", "--sqlite", old, "--data-dir", data, "--dry-run")
	if code != 0 || !strings.Contains(out, "to import (dry run): 6") || !strings.Contains(out, "OK (dry run)") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, stderr)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatalf("a dry run created %s", data)
	}

	out, stderr, code = runCLI(t, "", "import", "--sqlite", old, "--data-dir", data, "--key", key, "--json")
	var rep struct {
		OK              bool     `json:"ok"`
		Rows            int      `json:"rows"`
		Imported        int      `json:"imported"`
		AlreadyImported int      `json:"already_imported"`
		Refused         int      `json:"refused"`
		Unverifiable    int      `json:"unverifiable"`
		Notes           []string `json:"notes"`
		Warnings        []any    `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("import --json: exit %d, %v\n%s%s", code, err, out, stderr)
	}
	if !rep.OK || rep.Rows != 6 || rep.Imported != 6 || rep.AlreadyImported != 0 || rep.Refused != 0 || rep.Unverifiable != 6 || len(rep.Warnings) != 2 {
		t.Errorf("report: %+v", rep)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "users: not imported") {
		t.Errorf("notes: %v", rep.Notes)
	}

	// The imported log verifies against the pinned key; trace shows the chain.
	bundle := filepath.Join(dir, "bundle.json")
	if _, stderr, code := runCLI(t, "", "ledger", "export", "--data-dir", data, "--out", bundle); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	out, _, code = runCLI(t, "", "ledger", "verify", bundle, "--key", vkey)
	if code != 0 || !strings.HasPrefix(out, "OK: 6 entries") {
		t.Fatalf("verify: exit %d %q", code, out)
	}
	out, _, code = runCLI(t, "", "ledger", "trace", "op-early", "--data-dir", data, "--json")
	if code != 0 || !strings.Contains(out, `"op-add"`) || !strings.Contains(out, `"op-mul"`) || !strings.Contains(out, `"op-late"`) {
		t.Errorf("trace op-early: exit %d %s", code, out)
	}

	// Again: everything already imported, nothing appended.
	out, _, code = runCLI(t, "", "import", "--sqlite", old, "--data-dir", data, "--key", key)
	if code != 0 || !strings.Contains(out, "imported:            0") || !strings.Contains(out, "already imported:    6") {
		t.Errorf("re-run: exit %d\n%s", code, out)
	}

	// A malformed row: exit 1, every problem listed, nothing written.
	bad := filepath.Join(dir, "bad.db")
	pyebios.MakeSQLite(t, bad, pyebios.Schema+
		"INSERT INTO ledger VALUES ('n1', 'add', '2025-10-29T12:00:00Z', '[[1.0, -0.5]]', '[1.0, 0.5]', 0.5, 1, NULL, 'h', 's');\n"+
		"INSERT INTO ledger VALUES ('n2', 'add', '2025-10-29T12:00:01Z', '[[1.0, 0.5]]', '[1.0, 0.5]', 0.5, 1, 'gone', 'h', 's');\n")
	before, _ := os.ReadFile(filepath.Join(data, "ledger.db"))
	out, _, code = runCLI(t, "", "import", "--sqlite", bad, "--data-dir", data, "--key", key)
	if code != 1 || !strings.Contains(out, "REFUSED row 1 (op_id \"n1\"), inputs_json: inputs_json[0] has a negative uncertainty") ||
		!strings.Contains(out, "REFUSED row 2 (op_id \"n2\"), parent_id") || !strings.Contains(out, "FAILED IMPORT_001: 2 of 2 rows refused: nothing was imported") {
		t.Errorf("malformed: exit %d\n%s", code, out)
	}
	if after, _ := os.ReadFile(filepath.Join(data, "ledger.db")); string(after) != string(before) {
		t.Error("a refused import changed ledger.db")
	}

	// A JSON export from standard input.
	export := `[{"op_id": "s1", "operation": "add", "timestamp": "2025-10-29T12:00:00Z", "inputs_json": "[[1.0, 0.5]]", "output_json": "[1.0, 0.5]", "coverage": 0.5, "invariant_passed": 1, "parent_id": "op-add", "entry_hash": "h", "signature": "s"}]`
	out, _, code = runCLI(t, export, "import", "--json-export", "-", "--data-dir", data, "--key", key)
	if code != 0 || !strings.Contains(out, "imported:            1 (log entries 6 to 6)") {
		t.Errorf("--json-export -: exit %d\n%s", code, out)
	}

	// A source that is not the Python eBIOS's: a structured error.
	other := filepath.Join(dir, "other.db")
	pyebios.MakeSQLite(t, other, "CREATE TABLE t (x);")
	_, stderr, code = runCLI(t, "", "import", "--sqlite", other, "--data-dir", data, "--key", key)
	if code != 1 || !strings.Contains(stderr, "IMPORT_002") || !strings.Contains(stderr, "has no table ledger") {
		t.Errorf("other file: exit %d %q", code, stderr)
	}

	// A data directory whose ledger.db is the Python eBIOS's SQLite file
	// (both used the name): refused before anything opens it, unchanged.
	same := filepath.Join(dir, "same")
	os.Mkdir(same, 0o700)
	pyebios.MakeSQLite(t, filepath.Join(same, "ledger.db"), pyebios.Schema+string(good))
	sqliteBytes, _ := os.ReadFile(filepath.Join(same, "ledger.db"))
	for _, dry := range []string{"--dry-run=false", "--dry-run"} {
		_, stderr, code = runCLI(t, "", "import", "--sqlite", filepath.Join(same, "ledger.db"), "--data-dir", same, "--key", key, dry)
		if code != 1 || !strings.Contains(stderr, "IMPORT_005") || !strings.Contains(stderr, ".backup") {
			t.Errorf("ledger.db is SQLite (%s): exit %d %q", dry, code, stderr)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(same, "ledger.db")); string(after) != string(sqliteBytes) {
		t.Error("the old SQLite ledger.db was changed")
	}

	// Usage errors.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "--data-dir", data, "--key", key}, "give exactly one source"},
		{[]string{"import", "--sqlite", old, "--json-export", "x.json", "--key", key}, "give exactly one source"},
		{[]string{"import", "--sqlite", old, "--data-dir", data}, "--key FILE is required"},
		{[]string{"import", "--json", "export.json", "--key", key}, "a JSON export is given with --json-export FILE"},
		{[]string{"import", "--sqlite", old, "--key", key, "--batch", "-1"}, "--batch must be >= 0"},
	} {
		_, stderr, code := runCLI(t, "", c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d %q, want %d and %q", c.args, code, stderr, exitUsage, c.want)
		}
	}
}

// TestImportKilled kills `ebios import` (SIGKILL) while it appends a long
// parent chain in small batches, then runs it again: the killed run left a
// valid prefix of the import (parents first), and the second run skips it
// and appends the rest; the log verifies.
func TestImportKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ebios")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const n = 30000
	old := filepath.Join(dir, "old.db")
	pyebios.MakeSQLite(t, old, pyebios.Schema+fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i < %d)
INSERT INTO ledger SELECT 'op-' || i, 'add', '2025-10-29T12:00:00Z', '[[' || i || '.0, 0.5]]', '[' || i || '.0, 0.5]', 0.5 / i, 1,
  CASE WHEN i > 1 THEN 'op-' || (i - 1) END, printf('%%064x', i), printf('%%0128x', i) FROM c;`, n))
	key := filepath.Join(dir, "signer.key")
	data := filepath.Join(dir, "data")
	vkey, _, code := runCLI(t, "", "key", "generate", "--out", key, "--name", "kill.example/log")
	if code != 0 {
		t.Fatal("key generate failed")
	}
	cmd := exec.Command(bin, "import", "--sqlite", old, "--data-dir", data, "--key", key, "--batch", "50")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once the store has grown past its first commits.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if fi, err := os.Stat(filepath.Join(data, "ledger.db")); err == nil && fi.Size() > 200_000 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the import wrote nothing in 60 s")
		}
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()

	st, err := ledgerstore.OpenReadOnly(filepath.Join(data, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	done := st.Len()
	st.Close()
	if done == 0 || done >= n {
		t.Fatalf("the killed import left %d of %d entries: the kill came too early or too late to show a partial import", done, n)
	}
	t.Logf("killed after %d of %d entries", done, n)

	out, stderr, code := runCLI(t, "", "import", "--sqlite", old, "--data-dir", data, "--key", key, "--json")
	var rep struct{ Imported, AlreadyImported int }
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil || code != 0 {
		t.Fatalf("re-run: exit %d %v\n%s%s", code, err, out, stderr)
	}
	rep.Imported, rep.AlreadyImported = int(m["imported"].(float64)), int(m["already_imported"].(float64))
	if rep.AlreadyImported != int(done) || rep.Imported != n-int(done) {
		t.Errorf("re-run: imported %d, already imported %d; want %d and %d", rep.Imported, rep.AlreadyImported, n-int(done), done)
	}
	bundle := filepath.Join(dir, "bundle.json")
	if _, stderr, code := runCLI(t, "", "ledger", "export", "--data-dir", data, "--out", bundle); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	out, _, code = runCLI(t, "", "ledger", "verify", bundle, "--key", strings.TrimSpace(vkey))
	if code != 0 || !strings.HasPrefix(out, fmt.Sprintf("OK: %d entries", n)) {
		t.Fatalf("verify: exit %d %q", code, out)
	}
}
