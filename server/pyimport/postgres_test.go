package pyimport

import (
	"context"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/internal/pyebios"
)

// TestImportPostgres starts a PostgreSQL server on loopback in a temporary
// directory, creates the published table with psql, fills it with the
// rows of good.sql, and imports it: the same log as from SQLite, and
// again idempotently. A missing table or column is refused as a whole.
func TestImportPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server (about 5 s)")
	}
	ctx := context.Background()
	pg := pyebios.StartPostgres(t)
	pg.SQL(t, pyebios.Schema+goodSQL(t))
	rows, err := ReadPostgres(ctx, pg.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	if rows.Len() != 6 || !strings.HasPrefix(rows.Source, "postgres ledger at ebios@127.0.0.1:") {
		t.Fatalf("%d rows from %q", rows.Len(), rows.Source)
	}
	l := newLog(t)
	rep, err := Import(ctx, rows, l, Options{})
	if err != nil {
		t.Fatalf("%v\n%+v", err, rep)
	}
	checkCounts(t, rep, 6, 0, 0)
	// PostgreSQL's own JSON of the table is the independent reading.
	checkGood(t, l, pg.Query(t, "SELECT json_agg(l) FROM ledger l"))
	// The plan's REAL is PostgreSQL's float4: coverage comes back rounded
	// to single precision, as the old server stored it.
	if i, _ := l.IndexOfOp("op-add"); true {
		if e, _ := l.Get(i); e.Coverage != 0.0372678 {
			t.Errorf("op-add coverage %v, want float4's 0.0372678", e.Coverage)
		}
	}
	rep, err = Import(ctx, rows, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 0, 6, 0)

	// A schema-qualified name, a JSONB column and a BOOLEAN invariant, as
	// a hand-made PostgreSQL table might have them.
	pg.SQL(t, `CREATE SCHEMA old;
CREATE TABLE old.ledger (op_id TEXT PRIMARY KEY, operation TEXT NOT NULL, timestamp TIMESTAMPTZ NOT NULL,
  inputs_json JSONB NOT NULL, output_json JSONB NOT NULL, coverage DOUBLE PRECISION NOT NULL,
  invariant_passed BOOLEAN NOT NULL, parent_id TEXT, entry_hash TEXT NOT NULL, signature TEXT NOT NULL);
INSERT INTO old.ledger VALUES ('p1', 'add', '2025-10-29 12:00:00.5+02', '[[1.0, 0.1]]', '{"n": 1.0, "u": 0.1}', 'Infinity', true, NULL, 'h', 's');`)
	rows, err = ReadPostgres(ctx, pg.URL, "old.ledger")
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Import(ctx, rows, l, Options{})
	if err != nil {
		t.Fatalf("%v\n%+v", err, rep)
	}
	checkCounts(t, rep, 1, 0, 0)
	i, _ := l.IndexOfOp("p1")
	e, _ := l.Get(i)
	if e.Timestamp != 1761732000500000000 || len(e.Inputs) != 1 || e.Output == nil || !e.Invariant.OK {
		t.Errorf("p1: timestamp %d inputs %v output %v invariant %v", e.Timestamp, e.Inputs, e.Output, e.Invariant)
	}
	l.verify(t)

	pg.SQL(t, "CREATE TABLE v01 (op_id TEXT PRIMARY KEY, inputs TEXT, output TEXT);")
	for _, c := range []struct{ table, code, want string }{
		{"missing", CodeSource, "cannot read table missing"},
		{"v01", CodeSchema, "lacks the column(s) operation, timestamp, inputs_json"},
	} {
		_, err := ReadPostgres(ctx, pg.URL, c.table)
		e, ok := nu.AsError(err)
		if !ok || e.Code != c.code || !strings.Contains(e.Message, c.want) {
			t.Errorf("%s: %v, want %s %q", c.table, err, c.code, c.want)
		}
	}
	_, err = ReadPostgres(ctx, "postgres://ebios@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5", "")
	if e, ok := nu.AsError(err); !ok || e.Code != CodeSource || !strings.Contains(e.Message, "cannot connect") {
		t.Errorf("no server: %v", err)
	}
}
