//go:build !js

// Package sqlitedb runs d1log over SQLite (modernc.org/sqlite, pure Go),
// which is what D1 is: the native tests of d1log and of the Worker's
// handlers use it in place of D1, with the same migrations.
package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"

	"github.com/ebios/ebios/wasm/worker/d1log"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// DB is a d1log.DB over an SQLite database.
type DB struct{ db *sql.DB }

var _ d1log.DB = (*DB)(nil)

// Open opens (or creates) the SQLite database at path (":memory:" for one
// in memory) and applies d1log's migrations to a new one.
func Open(path string) (*DB, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one connection: ":memory:" is per connection
	d := &DB{db: db}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'entries'").Scan(&n); err != nil {
		db.Close() // #nosec G104 -- the query's error is the one to report
		return nil, err
	}
	if n == 0 {
		names, err := fs.Glob(d1log.Migrations, "migrations/*.sql")
		if err != nil {
			return nil, err
		}
		sort.Strings(names)
		for _, name := range names {
			b, err := fs.ReadFile(d1log.Migrations, name)
			if err != nil {
				return nil, err
			}
			if _, err := db.Exec(string(b)); err != nil {
				db.Close() // #nosec G104 -- the migration's error is the one to report
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Query implements d1log.DB.
func (d *DB) Query(ctx context.Context, q string, args ...any) ([][]any, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		r := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range r {
			ptrs[i] = &r[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Batch implements d1log.DB: one transaction.
func (d *DB) Batch(ctx context.Context, stmts []d1log.Stmt) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s.SQL, s.Args...); err != nil {
			tx.Rollback() // #nosec G104 -- the statement's error is the one to report
			return err
		}
	}
	return tx.Commit()
}
