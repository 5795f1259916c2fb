// Package pyebios makes, for the tests of `ebios import`, the ledger
// table of the Python eBIOS the way that program's own database tools
// would: a SQLite file written by Debian's sqlite3, and a table in a
// private PostgreSQL server (Debian's postgresql) started on loopback in a
// temporary directory. Both use Schema, the table its release plan
// publishes. Missing Debian packages are installed with apt-get; a test
// that cannot get them fails with what to install, it never skips.
package pyebios

import (
	_ "embed"
	"os/exec"
	"strings"
	"testing"

	"github.com/ebios/ebios/internal/debpkg"
	"github.com/ebios/ebios/internal/pgtest"
)

// Schema is the ledger table of the Python eBIOS's release plan v0.2.0,
// verbatim (with its indexes).
//
//go:embed schema.sql
var Schema string

// SQLite3 returns the path of Debian's sqlite3, installing it when missing.
func SQLite3(t testing.TB) string {
	t.Helper()
	return debpkg.Program(t, "sqlite3", "the import tests make SQLite files with Debian's sqlite3", "sqlite3")
}

// MakeSQLite runs the SQL script sql with sqlite3 on the file path
// (created when missing), failing the test on any error.
func MakeSQLite(t testing.TB, path, sql string) {
	t.Helper()
	cmd := exec.Command(SQLite3(t), "-bail", path) // #nosec G204 -- test helper: the sqlite3 that SQLite3 found or installed, on a test's file
	cmd.Stdin = strings.NewReader(sql)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sqlite3 %s: %v\n%s\nscript:\n%s", path, err, out, sql)
	}
}

// SQLiteJSON returns the rows of a table as sqlite3 -json prints them (an
// independent reading of the file, to compare with).
func SQLiteJSON(t testing.TB, path, table string) string {
	t.Helper()
	out, err := exec.Command(SQLite3(t), "-json", path, "SELECT * FROM \""+table+"\" ORDER BY rowid").Output() // #nosec G204 -- test helper: sqlite3 on a test's file and table
	if err != nil {
		t.Fatalf("sqlite3 -json %s: %v", path, err)
	}
	return string(out)
}

// Postgres is a private PostgreSQL server on loopback (internal/pgtest).
type Postgres = pgtest.Postgres

// StartPostgres starts a private PostgreSQL server (pgtest.Start).
func StartPostgres(t testing.TB) *Postgres { return pgtest.Start(t) }
