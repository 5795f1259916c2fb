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
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/internal/debpkg"
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

// Postgres is a private PostgreSQL server on loopback.
type Postgres struct {
	// URL connects to its database "postgres" as the superuser "ebios"
	// (trust authentication, no TLS).
	URL  string
	bin  string // the directory of initdb, pg_ctl, psql
	dir  string // the cluster's directory (data, socket, log)
	port int
	as   []string // the command prefix that runs as the cluster's owner
}

// StartPostgres starts a PostgreSQL server in a temporary directory,
// listening on 127.0.0.1 only, installing Debian's postgresql when it is
// missing; it is stopped and removed when the test ends. Run as root, the
// server runs as the user postgres (initdb refuses root).
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bin := pgBin()
	if bin == "" {
		debpkg.Install(t, "the PostgreSQL import test runs Debian's PostgreSQL", "postgresql")
		if bin = pgBin(); bin == "" {
			t.Fatal("postgresql is installed but /usr/lib/postgresql/*/bin/initdb is missing")
		}
	}
	// t.TempDir is private to root; the server's owner must reach its
	// directory, so it gets one of its own.
	dir, err := os.MkdirTemp("", "ebios-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p := &Postgres{bin: bin, dir: dir}
	t.Cleanup(func() { os.RemoveAll(dir) }) // #nosec G104 -- test helper: removing a test's temporary directory; nothing to do on failure
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, the server needs the user postgres (made by Debian's postgresql package): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		p.as = []string{"runuser", "-u", "postgres", "--"}
	}
	p.port = freePort(t)
	p.run(t, "initdb", "-D", filepath.Join(dir, "db"), "-A", "trust", "-U", "ebios", "-E", "UTF8", "--no-locale")
	p.run(t, "pg_ctl", "-D", filepath.Join(dir, "db"), "-l", filepath.Join(dir, "log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-k %s -p %d -c listen_addresses=127.0.0.1 -c fsync=off", dir, p.port), "start")
	t.Cleanup(func() {
		cmd := p.cmd("pg_ctl", "-D", filepath.Join(dir, "db"), "-m", "fast", "-w", "stop")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("pg_ctl stop: %v\n%s", err, out)
		}
	})
	p.URL = fmt.Sprintf("postgres://ebios@127.0.0.1:%d/postgres?sslmode=disable", p.port)
	return p
}

// SQL runs a script with psql (stopping at the first error), as an
// operator of the Python eBIOS would have.
func (p *Postgres) SQL(t testing.TB, sql string) {
	t.Helper()
	cmd := p.cmd("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", "ebios", "-d", "postgres", "-f", "-")
	cmd.Stdin = strings.NewReader(sql)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("psql: %v\n%s\nscript:\n%s", err, out, sql)
	}
}

// Query runs one query with psql and returns its unaligned, tuples-only
// output (psql -At).
func (p *Postgres) Query(t testing.TB, sql string) string {
	t.Helper()
	out, err := p.cmd("psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", "ebios", "-d", "postgres", "-c", sql).Output()
	if err != nil {
		t.Fatalf("psql -c %q: %v", sql, err)
	}
	return string(out)
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

func (p *Postgres) cmd(name string, args ...string) *exec.Cmd {
	argv := append(append(append([]string(nil), p.as...), filepath.Join(p.bin, name)), args...)
	cmd := exec.Command(argv[0], argv[1:]...) // #nosec G204 -- test helper: Debian's PostgreSQL binaries (p.bin), run as the postgres user when root
	cmd.Dir = p.dir
	return cmd
}

func (p *Postgres) run(t testing.TB, name string, args ...string) {
	t.Helper()
	start := time.Now()
	out, err := p.cmd(name, args...).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "log"))
		t.Fatalf("%s: %v\n%s\nserver log:\n%s", name, err, out, log)
	}
	t.Logf("%s: %v", name, time.Since(start).Round(time.Millisecond))
}

// pgBin is the newest /usr/lib/postgresql/*/bin holding initdb, or "".
func pgBin() string {
	ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(ms) == 0 {
		return ""
	}
	sort.Slice(ms, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(ms[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(ms[j]))))
		return vi > vj
	})
	return filepath.Dir(ms[0])
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
