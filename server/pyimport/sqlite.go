package pyimport

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver ("sqlite"): no cgo
)

// DefaultTable is the name of the Python eBIOS's ledger table.
const DefaultTable = "ledger"

// ReadSQLite reads the ledger table of the Python eBIOS's SQLite file (its
// ebios.conf db_path, EBIOS_DB_PATH), read-only, in rowid order (the order
// the rows were written).
func ReadSQLite(ctx context.Context, path, table string) (*Rows, error) {
	if table == "" {
		table = DefaultTable
	}
	src := "sqlite " + path
	fi, err := os.Stat(path)
	if err != nil {
		return nil, importErr(CodeSource, "cannot read the SQLite file "+path, err.Error(),
			"give the Python eBIOS's database file (db_path in its ebios.conf, or EBIOS_DB_PATH; /var/lib/ebios/ledger.db in its container)")
	}
	if fi.IsDir() {
		return nil, importErr(CodeSource, path+" is a directory, not a SQLite file", "",
			"give the Python eBIOS's database file (db_path in its ebios.conf, or EBIOS_DB_PATH)")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, importErr(CodeSource, "cannot read the SQLite file "+path, err.Error(), "give a path this process can resolve")
	}
	// Read-only, so that the import never changes the old database.
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro&_pragma=busy_timeout(5000)"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, importErr(CodeSource, "cannot open the SQLite file "+path, err.Error(), "check that the file is a SQLite database")
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	q := "SELECT rowid AS \"ebios import rowid\", * FROM " + quoteIdent(table) + " ORDER BY rowid" // #nosec G202 -- a table name cannot be a bound parameter: quoteIdent quotes the operator's --table as identifiers (TestQuoteIdent), on a read-only connection
	rs, err := db.QueryContext(ctx, q)
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "no such table"):
			return nil, importErr(CodeSource, "the SQLite file "+path+" has no table "+table, msg,
				"give the Python eBIOS's ledger database (its table is called ledger; --table names another)")
		case strings.Contains(msg, "not a database") || strings.Contains(msg, "file is not a database"):
			return nil, importErr(CodeSource, path+" is not a SQLite database", msg,
				"give the Python eBIOS's database file (db_path in its ebios.conf, or EBIOS_DB_PATH)")
		case strings.Contains(msg, "no such column: rowid"):
			rs, err = db.QueryContext(ctx, "SELECT NULL AS \"ebios import rowid\", * FROM "+quoteIdent(table)) // #nosec G202 -- a table name cannot be a bound parameter: quoteIdent quotes the operator's --table as identifiers (TestQuoteIdent), on a read-only connection
			if err != nil {
				return nil, importErr(CodeSource, "cannot read table "+table+" of "+path, err.Error(), "check the file with `sqlite3 "+path+" .schema`")
			}
		default:
			return nil, importErr(CodeSource, "cannot read table "+table+" of "+path, msg,
				"stop the Python eBIOS (it may hold a lock), check the file with `sqlite3 "+path+" .schema`, and run the import again")
		}
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, importErr(CodeSource, "cannot read table "+table+" of "+path, err.Error(), "check the file with `sqlite3 "+path+" .schema`")
	}
	cols = cols[1:]
	if err := checkColumns(src, table, cols); err != nil {
		return nil, err
	}
	out := &Rows{Source: src}
	vals := make([]any, len(cols)+1)
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, importErr(CodeSource, fmt.Sprintf("cannot read row %d of table %s", out.Len()+1, table), err.Error(), "check the file with `sqlite3 "+path+" .dump`")
		}
		o := &object{vals: make(map[string]any, len(cols))}
		for i, c := range cols {
			o.keys = append(o.keys, c)
			o.vals[c] = sqliteValue(vals[i+1])
		}
		out.add(row{num: out.Len() + 1, cols: o})
	}
	if err := rs.Err(); err != nil {
		return nil, importErr(CodeSource, "cannot read table "+table+" of "+path, err.Error(), "check the file with `sqlite3 "+path+" .dump`")
	}
	return out, nil
}

// sqliteValue maps the driver's values onto the package's: TEXT string,
// INTEGER int64, REAL float64, NULL nil; a BLOB stays []byte (refused).
func sqliteValue(v any) any {
	switch v := v.(type) {
	case time.Time: // a column declared DATE, DATETIME or TIMESTAMP
		return v.UTC().Format(time.RFC3339Nano)
	case []byte:
		return append([]byte(nil), v...)
	}
	return v
}

// sqliteMagic starts every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// CheckTarget refuses an eBIOS ledger path (DIR/ledger.db) that holds a
// SQLite database: the Python eBIOS kept its ledger under the same name
// (/var/lib/ebios/ledger.db), and opening it as an eBIOS store would
// report it as damaged. It must be moved aside and imported from.
func CheckTarget(storePath string) error {
	f, err := os.Open(storePath) // #nosec G304 -- storePath is the ledger.db of the operator's --data-dir
	if err != nil {
		return nil // missing: a new ledger; unreadable: the store says so
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	if n, _ := io.ReadFull(f, head); n == len(head) && string(head) == sqliteMagic {
		dir := filepath.Dir(storePath)
		return importErr(CodeTarget, storePath+" is a SQLite database, not an eBIOS ledger",
			"the Python eBIOS kept its ledger in a SQLite file of the same name (db_path = /var/lib/ebios/ledger.db); this eBIOS keeps its own ledger there",
			"stop the Python eBIOS, copy its database out of the way with sqlite3 (which takes its -wal file along): sqlite3 "+storePath+" \".backup "+filepath.Join(dir, "ledger.sqlite")+"\", move the original and its -wal and -shm files out of "+dir+", and import the copy: ebios import --sqlite "+filepath.Join(dir, "ledger.sqlite")+" --data-dir "+dir+" --key KEYFILE (never truncate the old file: it may be the only copy of the old ledger)")
	}
	return nil
}

// checkColumns normalises the names of the plan's columns to lower case
// and refuses a table that lacks one, or has one twice.
func checkColumns(src, table string, cols []string) error {
	seen := map[string]int{}
	for i, c := range cols {
		l := strings.ToLower(c)
		for _, want := range Columns {
			if l == want {
				cols[i] = want
				seen[want]++
			}
		}
	}
	var missing, twice []string
	for _, want := range Columns {
		switch seen[want] {
		case 0:
			missing = append(missing, want)
		case 1:
		default:
			twice = append(twice, want)
		}
	}
	if len(missing) > 0 {
		return importErr(CodeSchema, fmt.Sprintf("table %s of %s lacks the column(s) %s: nothing was imported", table, src, strings.Join(missing, ", ")),
			"its columns are "+strings.Join(cols, ", "),
			"import the Python eBIOS's ledger table, whose columns are those of its release plan v0.2.0 ("+strings.Join(Columns, ", ")+"); --table names the table when it is not called ledger")
	}
	if len(twice) > 0 {
		return importErr(CodeSchema, fmt.Sprintf("table %s of %s has the column(s) %s twice", table, src, strings.Join(twice, ", ")),
			"its columns are "+strings.Join(cols, ", "), "give a table with each column once")
	}
	return nil
}

// quoteIdent quotes a table name for SQL, schema-qualified or not
// ("public.ledger" is "public"."ledger").
func quoteIdent(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = quoteName(p)
	}
	return strings.Join(parts, ".")
}

// quoteName quotes one SQL identifier.
func quoteName(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
