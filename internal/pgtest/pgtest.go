// Package pgtest starts a private PostgreSQL server for tests: Debian's
// postgresql (installed with apt-get through internal/debpkg when it is
// missing), a cluster in a temporary directory, listening on a free
// loopback port, stopped and removed when the test ends. A test that
// cannot get PostgreSQL fails with what to install; it never skips.
package pgtest

import (
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

// Option changes how [Start] runs the server.
type Option func(*options)

type options struct{ durable bool }

// Durable keeps fsync on: for benchmarks of durable commits. By default
// the server runs with fsync=off, which is faster and changes nothing a
// functional test can observe (the server is never power-cut).
func Durable() Option { return func(o *options) { o.durable = true } }

func (o options) settings() string {
	if o.durable {
		return ""
	}
	return " -c fsync=off"
}

// Port returns the server's port.
func (p *Postgres) Port() int { return p.port }

// Postgres is a private PostgreSQL server on loopback.
type Postgres struct {
	// URL connects to its database "postgres" as the superuser "ebios"
	// (trust authentication, no TLS).
	URL  string
	bin  string // the directory of initdb, pg_ctl, psql
	dir  string // the cluster's directory (data, socket, log)
	port int
	as   []string // the command prefix that runs as the cluster's owner
	opts string   // the server's options (pg_ctl start -o)
}

// Start starts a PostgreSQL server in a temporary directory,
// listening on 127.0.0.1 only, installing Debian's postgresql when it is
// missing; it is stopped and removed when the test ends. Run as root, the
// server runs as the user postgres (initdb refuses root).
func Start(t testing.TB, o ...Option) *Postgres {
	t.Helper()
	var opts options
	for _, f := range o {
		f(&opts)
	}
	bin := pgBin()
	if bin == "" {
		debpkg.Install(t, "the PostgreSQL tests run Debian's PostgreSQL", "postgresql")
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
	p.opts = fmt.Sprintf("-k %s -p %d -c listen_addresses=127.0.0.1 -c max_connections=200%s", dir, p.port, opts.settings())
	p.Restart(t)
	t.Cleanup(func() {
		cmd := p.cmd("pg_ctl", "-D", filepath.Join(dir, "db"), "-m", "fast", "-w", "stop")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("pg_ctl stop: %v\n%s", err, out)
		}
	})
	p.URL = fmt.Sprintf("postgres://ebios@127.0.0.1:%d/postgres?sslmode=disable", p.port)
	return p
}

// Stop stops the server (fast shutdown: it ends every session), as an
// outage of the database would.
func (p *Postgres) Stop(t testing.TB) {
	t.Helper()
	p.run(t, "pg_ctl", "-D", filepath.Join(p.dir, "db"), "-m", "fast", "-w", "stop")
}

// Restart starts the server again after Stop, on the same port and data.
func (p *Postgres) Restart(t testing.TB) {
	t.Helper()
	p.run(t, "pg_ctl", "-D", filepath.Join(p.dir, "db"), "-l", filepath.Join(p.dir, "log"), "-w", "-t", "60", "-o", p.opts, "start")
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
