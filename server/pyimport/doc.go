// Package pyimport brings the ledger of the Python eBIOS (v0.1 to v0.3)
// into an eBIOS ledger: `ebios import`. docs/migration.md is the guide.
//
// # Sources
//
// The Python eBIOS kept its ledger in a table whose columns its release
// plan v0.2.0 publishes (Columns): op_id, operation, timestamp,
// inputs_json, output_json, coverage, invariant_passed, parent_id,
// entry_hash, signature. ReadSQLite reads it from its SQLite file
// (read-only, with modernc.org/sqlite, a pure-Go driver: the binary needs
// no cgo), ReadPostgres from its PostgreSQL table (github.com/jackc/pgx/v5,
// one read-only snapshot), ReadJSON from a JSON export (an array of row
// objects with the column names as members, or {"entries": [...]}; the
// plan does not pin an export format, so this is the one documented).
//
// # Entries
//
// Each row becomes one entry with operation "import" (OperationImport):
//   - op id: the row's op_id; parent op id: its parent_id, so the causal
//     chain is kept. Rows are appended parents first (source order
//     otherwise); a parent that is neither a row nor an entry of the log,
//     and a cycle, are refused rows;
//   - timestamp: the row's, read as ISO 8601 (a time without an offset is
//     UTC); the v0.1 counter (an integer) is no time, so such an entry gets
//     the time of the import;
//   - inputs and output: from inputs_json and output_json when they are
//     n ± u values: a list of [n, u] pairs or {"n": n, "u": u} objects, and
//     one such value (null: no output). Other shapes are not converted (a
//     warning), and stay in the evidence;
//   - coverage: coverage; invariant: invariant_passed (0/1 or false/true);
//     mode: empty (the old rows record no mode, and eBIOS computed none of
//     them);
//   - expression: the evidence, the whole original row as canonical JSON
//     (canonicalJSON: members sorted, no white space), at most
//     ledger.MaxExpressionLen bytes. It carries entry_hash and signature
//     as they were.
//
// # All or nothing
//
// Import converts and checks every row first. If any row is refused,
// nothing is appended and the report lists every refused row with the
// column, what is wrong and what to do. Otherwise the rows not yet in the
// log are appended with ledgerstore's AppendBatch, which commits a batch
// atomically and durably (one BuntDB command holding the entries and the
// signed checkpoint that commits them, fsynced before it returns; a crash
// leaves the whole batch or none of it). An import larger than one batch
// (Options.Batch, DefaultBatch entries) is several commits: a crash or an
// interruption between them leaves the log valid (parents come first)
// with a prefix of the import, and running the same import again finishes
// it, because the import is idempotent: a row whose op id is in the log
// as an import entry with identical evidence is skipped and counted as
// already imported; a different entry under that op id is a refused row.
//
// # What cannot be verified
//
// The Python eBIOS made a new signing key at every start and published
// none, and its plan does not say what was signed or how entry_hash was
// computed: no original signature or hash can be checked, so every
// imported row is counted as unverifiable and the report says why. Users
// are not imported (the Python eBIOS had default passwords).
package pyimport
