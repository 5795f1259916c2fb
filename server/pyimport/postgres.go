package pyimport

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// ReadPostgres reads the Python eBIOS's ledger table from PostgreSQL (conn
// is a URL, postgres://user@host:port/db?sslmode=..., or a key=value
// connection string; PG* environment variables and ~/.pgpass fill in what
// it leaves out). It reads in one read-only, repeatable-read transaction,
// so the rows are one snapshot even while the old server runs, ordered by
// timestamp and then op_id (PostgreSQL keeps no insertion order). table
// may be schema-qualified ("public.ledger").
func ReadPostgres(ctx context.Context, conn, table string) (*Rows, error) {
	if table == "" {
		table = DefaultTable
	}
	cfg, err := pgx.ParseConfig(conn)
	if err != nil {
		return nil, importErr(CodeSource, "cannot parse the PostgreSQL connection string", err.Error(),
			"give a URL such as postgres://ebios@db.example:5432/ebios?sslmode=require (the password is better in PGPASSWORD or ~/.pgpass than on the command line)")
	}
	where := fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
	src := "postgres " + table + " at " + where
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, importErr(CodeSource, "cannot connect to PostgreSQL at "+where, err.Error(),
			"check the host, port, database, user and password (PGPASSWORD or ~/.pgpass), and that this machine may connect (pg_hba.conf, sslmode)")
	}
	defer c.Close(context.WithoutCancel(ctx))
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, importErr(CodeSource, "cannot start a read-only transaction at "+where, err.Error(), "check the connection and run the import again")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	ident := quoteIdent(table)
	// The columns first, so that a missing one is named before the
	// ORDER BY needs it.
	probe, err := tx.Query(ctx, "SELECT * FROM "+ident+" LIMIT 0")
	if err != nil {
		return nil, importErr(CodeSource, "cannot read table "+table+" at "+where, err.Error(),
			"give the Python eBIOS's ledger table (it is called ledger; --table names another, schema-qualified if need be) and a user that may read it")
	}
	var cols, names []string
	for _, f := range probe.FieldDescriptions() {
		cols = append(cols, f.Name)
		names = append(names, f.Name)
	}
	probe.Close()
	if err := checkColumns(src, table, cols); err != nil {
		return nil, err
	}
	var tsCol, opCol string
	for i, name := range names {
		switch cols[i] {
		case "timestamp":
			tsCol = name
		case "op_id":
			opCol = name
		}
	}
	q := "SELECT * FROM " + ident + " ORDER BY " + quoteName(tsCol) + ", " + quoteName(opCol)
	rs, err := tx.Query(ctx, q, pgx.QueryResultFormats{pgx.TextFormatCode})
	if err != nil {
		return nil, importErr(CodeSource, "cannot read table "+table+" at "+where, err.Error(), "check the connection and run the import again")
	}
	defer rs.Close()
	out := &Rows{Source: src}
	fds := rs.FieldDescriptions()
	for rs.Next() {
		raw := rs.RawValues()
		o := &object{vals: make(map[string]any, len(cols))}
		for i, c := range cols {
			o.keys = append(o.keys, c)
			o.vals[c] = pgValue(fds[i].DataTypeOID, raw[i])
		}
		out.add(row{num: out.Len() + 1, cols: o})
	}
	if err := rs.Err(); err != nil {
		return nil, importErr(CodeSource, "cannot read table "+table+" at "+where, err.Error(), "check the connection and run the import again")
	}
	return out, nil
}

// pgValue maps a column value in PostgreSQL's text format onto the
// package's values: booleans, integers and floating-point numbers (also
// NaN and ±Infinity) as such, bytea as bytes (refused), everything else
// (text, json, jsonb, timestamps, uuid ...) as its text.
func pgValue(oid uint32, raw []byte) any {
	if raw == nil {
		return nil
	}
	s := string(raw)
	switch oid {
	case pgtype.BoolOID:
		return s == "t"
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return v
		}
	case pgtype.Float4OID, pgtype.Float8OID, pgtype.NumericOID:
		switch s {
		case "NaN":
			return math.NaN()
		case "Infinity":
			return math.Inf(1)
		case "-Infinity":
			return math.Inf(-1)
		}
		if v, err := strconv.ParseFloat(s, 64); err == nil || math.IsInf(v, 0) {
			return v
		}
	case pgtype.ByteaOID:
		return []byte(strings.TrimPrefix(s, `\x`))
	}
	return s
}
