package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The schema migrations, applied in order of their number
// (migrations/NNNN_name.sql), each once, in one transaction with the
// others that are missing.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one step of the schema.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the schema migrations this binary knows, in order.
func Migrations() []Migration {
	ents, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		panic(err) // embedded at build time
	}
	var ms []Migration
	for _, e := range ents {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic("pgstore: migration file " + e.Name() + " is not named NNNN_name.sql")
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			panic(err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms
}

// SchemaVersion is the newest schema this binary knows.
func SchemaVersion() int {
	ms := Migrations()
	return ms[len(ms)-1].Version
}

// Advisory lock keys (pg_advisory_xact_lock), in eBIOS's own space.
const lockMigrate int64 = 0x0eb105_0001

// MigrateResult says what Migrate did.
type MigrateResult struct {
	// From and To are the schema versions before and after.
	From, To int
	// Applied names the migrations applied ("0001_log").
	Applied []string
}

// Migrate brings the database's schema to this binary's version, applying
// the migrations it lacks in one transaction (all or none), under an
// advisory lock so that instances starting together apply them once. A
// database whose schema is newer than this binary knows is refused
// (CodeSchema): an older binary must not write a newer log.
func Migrate(ctx context.Context, db Beginner) (MigrateResult, error) {
	var res MigrateResult
	tx, err := db.Begin(ctx)
	if err != nil {
		return res, connErr("starting the migration", err)
	}
	defer tx.Rollback(ctx) // #nosec G104 -- after Commit, Rollback does nothing; on an error path the error returned is the one to report
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockMigrate); err != nil {
		return res, connErr("locking the schema", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS ebios_schema (
		version int PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return res, connErr("creating the schema table", err)
	}
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM ebios_schema").Scan(&res.From); err != nil {
		return res, connErr("reading the schema version", err)
	}
	res.To = res.From
	if known := SchemaVersion(); res.From > known {
		return res, pgErr(CodeSchema, fmt.Sprintf("the database has eBIOS schema version %d, newer than this binary knows (%d)", res.From, known),
			"a newer ebios migrated it", "run the ebios release that migrated it (or a newer one); never downgrade a shared database")
	}
	for _, m := range Migrations() {
		if m.Version <= res.From {
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return res, pgErr(CodeSchema, fmt.Sprintf("schema migration %04d_%s failed; nothing was changed", m.Version, m.Name), err.Error(),
				"check that the database user may create tables and indexes, then run `ebios db migrate` again")
		}
		if _, err := tx.Exec(ctx, "INSERT INTO ebios_schema (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			return res, connErr("recording the schema version", err)
		}
		res.To = m.Version
		res.Applied = append(res.Applied, fmt.Sprintf("%04d_%s", m.Version, m.Name))
	}
	if err := tx.Commit(ctx); err != nil {
		return res, connErr("committing the migration", err)
	}
	return res, nil
}

// Beginner starts transactions: a *pgxpool.Pool or a *pgx.Conn.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}
