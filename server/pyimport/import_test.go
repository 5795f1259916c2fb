package pyimport

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/internal/pyebios"
	"github.com/ebios/ebios/server/ledgerstore"
)

// testLog is a ledger store in a temporary directory holding one entry
// that no import wrote (op id "existing-op").
type testLog struct {
	*ledgerstore.Store
	path   string
	signer *ledger.Signer
}

func newLog(t *testing.T) *testLog {
	t.Helper()
	skey, _, err := ledger.GenerateKey(rand.Reader, "import.test/log")
	if err != nil {
		t.Fatal(err)
	}
	sg, err := ledger.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	st, err := ledgerstore.Open(path, sg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v := nu.MustNew(1, 0.1)
	if _, err := st.Append(context.Background(), ledger.Draft{OpID: "existing-op", Operation: "calc", Mode: ledger.ModeNU,
		Expression: "1 ± 0.1", Inputs: []nu.Value{v}, Output: &v, Coverage: 0.1, Invariant: ledger.Invariant{OK: true}}); err != nil {
		t.Fatal(err)
	}
	return &testLog{Store: st, path: path, signer: sg}
}

// state is what must not change when an import refuses: the tree size,
// the checkpoint and the bytes of the store file.
func (l *testLog) state(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(l.path)
	if err != nil {
		t.Fatal(err)
	}
	return string(l.Checkpoint()) + "\n" + string(b)
}

// verify checks the whole log as an auditor would: the store's own
// verification, and an export bundle verified by core/ledger against the
// pinned key.
func (l *testLog) verify(t *testing.T) {
	t.Helper()
	rep, err := l.Verify(nil)
	if err != nil || !rep.OK {
		t.Fatalf("the store does not verify: %v %+v", err, rep)
	}
	var buf bytes.Buffer
	if err := l.WriteBundle(&buf, -1, nil); err != nil {
		t.Fatal(err)
	}
	brep, err := ledger.VerifyBundle(&buf, l.signer.Verifier(), nil)
	if err != nil || !brep.OK || brep.TreeSize != int64(l.Len()) {
		t.Fatalf("the exported bundle does not verify: %v %+v", err, brep)
	}
}

func sqliteFile(t *testing.T, sql string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	pyebios.MakeSQLite(t, path, pyebios.Schema+sql)
	return path
}

func goodSQL(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/good.sql")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// goodOrder is the order good.sql's rows must be appended in: source
// order, each after its parent.
var goodOrder = []string{"op-add", "op-mul", "op-late", "op-early", "op-v01", "op-shape"}

// checkGood checks a log after good.sql was imported into a testLog: the
// log verifies, every entry carries its row's evidence (compared with want,
// the rows as JSON from an independent reader: sqlite3 -json, or
// PostgreSQL's json_agg), the parent chain is intact and in order, the
// values are converted.
func checkGood(t *testing.T, l *testLog, want string) {
	t.Helper()
	l.verify(t)
	if l.Len() != 1+uint64(len(goodOrder)) {
		t.Fatalf("log size %d, want %d", l.Len(), 1+len(goodOrder))
	}
	var wantRows []map[string]any
	if err := json.Unmarshal([]byte(want), &wantRows); err != nil || len(wantRows) != len(goodOrder) {
		t.Fatalf("the independent reading: %v, %d rows\n%s", err, len(wantRows), want)
	}
	src := map[string]map[string]any{}
	for _, r := range wantRows {
		src[r["op_id"].(string)] = r
	}
	for k, op := range goodOrder {
		i, ok := l.IndexOfOp(op)
		if !ok || i != uint64(k+1) {
			t.Fatalf("%s is entry %d (%v), want %d", op, i, ok, k+1)
		}
		e, err := l.Get(i)
		if err != nil {
			t.Fatal(err)
		}
		if e.Operation != OperationImport || e.Mode != "" || e.OpID != op {
			t.Errorf("%s: operation %q mode %q op id %q", op, e.Operation, e.Mode, e.OpID)
		}
		// Evidence: canonical JSON of the whole original row.
		pj, err := parsePyJSON([]byte(e.Expression))
		if c, _ := canonicalJSON(pj); err != nil || string(c) != e.Expression {
			t.Errorf("%s: evidence is not canonical JSON (%v): %s", op, err, e.Expression)
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(e.Expression), &ev); err != nil {
			t.Fatalf("%s: evidence is not JSON: %v", op, err)
		}
		row := src[op]
		if len(ev) != len(Columns) || len(row) != len(Columns) {
			t.Errorf("%s: evidence has %d members, the row %d, want %d", op, len(ev), len(row), len(Columns))
		}
		for _, col := range Columns {
			if !sameValue(ev[col], row[col]) {
				t.Errorf("%s: evidence %s = %#v, the row has %#v", op, col, ev[col], row[col])
			}
		}
		// The parent chain: parent_id, an earlier entry.
		p, _ := row["parent_id"].(string)
		if e.ParentOpID != p {
			t.Errorf("%s: parent %q, want %q", op, e.ParentOpID, p)
		}
		if e.ParentOpID != "" {
			if pi, ok := l.IndexOfOp(e.ParentOpID); !ok || pi >= i {
				t.Errorf("%s (entry %d): parent %s is entry %d (%v), want an earlier one", op, i, e.ParentOpID, pi, ok)
			}
		}
	}
	// Conversions.
	get := func(op string) *ledger.Entry {
		i, _ := l.IndexOfOp(op)
		e, _ := l.Get(i)
		return e
	}
	add := get("op-add")
	if len(add.Inputs) != 2 || add.Inputs[0] != nu.MustNew(10, 0.5) || add.Inputs[1] != nu.MustNew(20, 1) ||
		add.Output == nil || *add.Output != nu.MustNew(30, 1.118033988749895) || !add.Invariant.OK {
		t.Errorf("op-add: inputs %v output %v invariant %v", add.Inputs, add.Output, add.Invariant)
	}
	if add.Timestamp != 1761739201123456000 {
		t.Errorf("op-add: timestamp %d, want 2025-10-29T12:00:01.123456Z", add.Timestamp)
	}
	if mul := get("op-mul"); mul.Output == nil || *mul.Output != nu.MustNew(60, 3.9) {
		t.Errorf("op-mul: the {\"n\",\"u\"} output: %v", mul.Output)
	}
	if shape := get("op-shape"); len(shape.Inputs) != 0 || shape.Output == nil || shape.Invariant.OK || shape.Invariant.Message == "" {
		t.Errorf("op-shape: inputs %v output %v invariant %+v", shape.Inputs, shape.Output, shape.Invariant)
	}
}

// sameValue compares a value of the evidence with the independent
// reading's: numbers to 1e-12 (sqlite3 prints 15 digits), the rest
// exactly.
func sameValue(a, b any) bool {
	fa, oka := a.(float64)
	fb, okb := b.(float64)
	if oka && okb {
		return math.Abs(fa-fb) <= 1e-12*math.Max(math.Abs(fa), math.Abs(fb))
	}
	return a == b
}

func checkCounts(t *testing.T, rep *Report, imported, already, refused int) {
	t.Helper()
	if rep.Imported != imported || rep.AlreadyImported != already || rep.Refused != refused ||
		rep.Unverifiable != imported+already || rep.Verified != 0 || rep.OK != (refused == 0) {
		t.Errorf("report: imported %d already %d refused %d unverifiable %d verified %d ok %v; want %d %d %d %d 0 %v",
			rep.Imported, rep.AlreadyImported, rep.Refused, rep.Unverifiable, rep.Verified, rep.OK,
			imported, already, refused, imported+already, refused == 0)
	}
	for _, n := range []string{NoteSignatures, NoteEntryHash, NoteUsers} {
		if !slices.Contains(rep.Notes, n) {
			t.Errorf("the report lacks the note %q", n)
		}
	}
}

// TestImportSQLite: a SQLite file made by Debian's sqlite3 from the
// published schema, imported: the log verifies, the entries carry the
// evidence, the parent chain is intact, the counts are right.
func TestImportSQLite(t *testing.T) {
	ctx := context.Background()
	path := sqliteFile(t, goodSQL(t))
	rows, err := ReadSQLite(ctx, path, "")
	if err != nil {
		t.Fatal(err)
	}
	if rows.Len() != 6 || rows.Source != "sqlite "+path {
		t.Fatalf("read %d rows from %q", rows.Len(), rows.Source)
	}
	l := newLog(t)
	before := l.state(t)
	dry, err := Import(ctx, rows, l, Options{DryRun: true})
	if err != nil || !dry.OK || dry.Imported != 6 || l.state(t) != before {
		t.Fatalf("dry run: %v %+v (the log changed: %v)", err, dry, l.state(t) != before)
	}
	rep, err := Import(ctx, rows, l, Options{})
	if err != nil {
		t.Fatalf("import: %v\n%+v", err, rep)
	}
	checkCounts(t, rep, 6, 0, 0)
	if *rep.FirstIndex != 1 || *rep.LastIndex != 6 {
		t.Errorf("entries %d to %d, want 1 to 6", *rep.FirstIndex, *rep.LastIndex)
	}
	// The counter timestamp and the unknown inputs shape are warnings.
	var warned []string
	for _, w := range rep.Warnings {
		warned = append(warned, w.OpID+" "+w.Field)
	}
	if !slices.Equal(warned, []string{"op-v01 timestamp", "op-shape inputs_json"}) {
		t.Errorf("warnings %v", warned)
	}
	checkGood(t, l, pyebios.SQLiteJSON(t, path, "ledger"))
	var text bytes.Buffer
	rep.Print(&text)
	for _, want := range []string{"imported:            6 (log entries 1 to 6)", "unverifiable:        6", "users: not imported", "OK: every row"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the printed report lacks %q:\n%s", want, text.String())
		}
	}
}

// TestImportIdempotent: running an import again appends nothing; an
// import interrupted between batches is finished by running it again; a
// row changed since it was imported is refused.
func TestImportIdempotent(t *testing.T) {
	ctx := context.Background()
	path := sqliteFile(t, goodSQL(t))
	rows, err := ReadSQLite(ctx, path, "")
	if err != nil {
		t.Fatal(err)
	}
	l := newLog(t)

	// Interrupted after the first batch of 2 (as Ctrl-C would).
	cctx, cancel := context.WithCancel(ctx)
	rep, err := Import(cctx, rows, l, Options{Batch: 2, Progress: func(done, total int) {
		if done == 2 {
			cancel()
		}
	}})
	if e, ok := nu.AsError(err); !ok || e.Code != CodeInterrupted || rep.Imported != 2 || rep.OK {
		t.Fatalf("interrupted import: %v %+v", err, rep)
	}
	if l.Len() != 3 {
		t.Fatalf("log size %d after the first batch, want 3", l.Len())
	}
	l.verify(t) // a prefix, parents first: valid

	// Run again: the two are already imported, the rest appended.
	rep, err = Import(ctx, rows, l, Options{Batch: 2})
	if err != nil {
		t.Fatalf("second run: %v %+v", err, rep)
	}
	checkCounts(t, rep, 4, 2, 0)
	checkGood(t, l, pyebios.SQLiteJSON(t, path, "ledger"))

	// And again: nothing to do, nothing written.
	before := l.state(t)
	rep, err = Import(ctx, rows, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 0, 6, 0)
	if l.state(t) != before {
		t.Error("a re-run with nothing to import changed the store")
	}

	// A row edited since: refused, nothing written.
	pyebios.MakeSQLite(t, path, "UPDATE ledger SET coverage = 0.5 WHERE op_id = 'op-mul';")
	rows, err = ReadSQLite(ctx, path, "")
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Import(ctx, rows, l, Options{})
	if e, ok := nu.AsError(err); !ok || e.Code != CodeRefused {
		t.Fatalf("changed row: %v", err)
	}
	if rep.Refused != 1 || rep.Refusals[0].OpID != "op-mul" || rep.Refusals[0].Kind != KindConflict {
		t.Errorf("changed row: %+v", rep.Refusals)
	}
	if l.state(t) != before {
		t.Error("a refused import changed the store")
	}
}

// TestImportOneCommit: --batch 0 (Batch < 0) appends everything in one
// commit.
func TestImportOneCommit(t *testing.T) {
	ctx := context.Background()
	path := sqliteFile(t, goodSQL(t))
	rows, err := ReadSQLite(ctx, path, "")
	if err != nil {
		t.Fatal(err)
	}
	l := newLog(t)
	calls := 0
	rep, err := Import(ctx, rows, l, Options{Batch: -1, Progress: func(int, int) { calls++ }})
	if err != nil || calls != 1 {
		t.Fatalf("%v, %d commits", err, calls)
	}
	checkCounts(t, rep, 6, 0, 0)
	checkGood(t, l, pyebios.SQLiteJSON(t, path, "ledger"))
}

type want struct {
	row   int
	field string
	kind  string
}

// base are two good rows (a parent and its child) that every malformed
// case carries along: they must not be imported either.
const base = `INSERT INTO ledger VALUES ('g1', 'add', '2025-10-29T12:00:00+00:00', '[[1.0, 0.1]]', '[1.0, 0.1]', 0.1, 1, NULL, 'h1', 's1');
INSERT INTO ledger VALUES ('g2', 'flip', '2025-10-29T12:00:01+00:00', '[[1.0, 0.1]]', '[-1.0, 0.1]', 0.1, 1, 'g1', 'h2', 's2');
`

// TestImportSQLiteMalformed: each malformed row is refused with a clear
// error (its row, column, kind, problem and fix), the good rows with it
// are not imported, and the log does not change.
func TestImportSQLiteMalformed(t *testing.T) {
	long := strings.Repeat("x", ledger.MaxExpressionLen)
	row := func(op, ts, in, out, cov, inv, parent string) string {
		return "INSERT INTO ledger VALUES (" + op + ", 'add', " + ts + ", " + in + ", " + out + ", " + cov + ", " + inv + ", " + parent + ", 'h', 's');\n"
	}
	ok := func(op string) string {
		return row(op, "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "NULL")
	}
	cases := []struct {
		name string
		sql  string
		want []want
	}{
		{"bad JSON in inputs_json", row("'b'", "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]'", "'[1.0, 0.1]'", "0.1", "1", "NULL"),
			[]want{{3, "inputs_json", KindBadJSON}}},
		{"bad JSON in output_json", row("'b'", "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]]'", "'1.0 ± 0.1'", "0.1", "1", "NULL"),
			[]want{{3, "output_json", KindBadJSON}}},
		{"NaN in inputs_json", row("'b'", "'2025-10-29T12:00:02Z'", "'[[NaN, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "NULL"),
			[]want{{3, "inputs_json", KindNaN}}},
		{"NaN uncertainty in output_json", row("'b'", "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]]'", `'{"n": 1.0, "u": NaN}'`, "0.1", "1", "NULL"),
			[]want{{3, "output_json", KindNaN}}},
		{"coverage stored as the text NaN", row("'b'", "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "'NaN'", "1", "NULL"),
			[]want{{3, "coverage", KindType}}},
		{"negative uncertainty", row("'b'", "'2025-10-29T12:00:02Z'", "'[[1.0, -0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "NULL"),
			[]want{{3, "inputs_json", KindNegative}}},
		{"negative coverage", row("'b'", "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "-0.1", "1", "NULL"),
			[]want{{3, "coverage", KindNegative}}},
		{"infinite nominal", row("'b'", "'2025-10-29T12:00:02Z'", "'[[Infinity, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "NULL"),
			[]want{{3, "inputs_json", KindInfinite}}},
		{"invariant_passed 2", row("'b'", "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "0.1", "2", "NULL"),
			[]want{{3, "invariant_passed", KindBadValue}}},
		{"timestamp not a date", row("'b'", "'yesterday'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "NULL"),
			[]want{{3, "timestamp", KindBadTimestamp}}},
		{"empty op_id", row("''", "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "NULL"),
			[]want{{3, "op_id", KindBadOpID}}},
		{"control character in op_id", row("'a' || char(10) || 'b'", "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "NULL"),
			[]want{{3, "op_id", KindBadOpID}}},
		{"BLOB in inputs_json", row("'b'", "'2025-10-29T12:00:02Z'", "X'5b5d'", "'[1.0, 0.1]'", "0.1", "1", "NULL"),
			[]want{{3, "inputs_json", KindType}}},
		{"unknown parent", row("'b'", "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "'nobody'"),
			[]want{{3, "parent_id", KindUnknownParent}}},
		{"own parent", row("'b'", "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "'b'"),
			[]want{{3, "parent_id", KindCycle}}},
		{"cycle, and a child of it",
			row("'x'", "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "'y'") +
				row("'y'", "'2025-10-29T12:00:03Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "'x'") +
				row("'z'", "'2025-10-29T12:00:04Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "'x'"),
			[]want{{3, "parent_id", KindCycle}, {4, "parent_id", KindCycle}, {5, "parent_id", KindParent}}},
		{"child of a refused row",
			row("'b'", "'2025-10-29T12:00:02Z'", "'[[1.0, -1]]'", "'[1.0, 0.1]'", "0.1", "1", "'g2'") +
				row("'c'", "'2025-10-29T12:00:03Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "'b'"),
			[]want{{3, "inputs_json", KindNegative}, {4, "parent_id", KindParent}}},
		{"evidence too long", row("'b'", "'2025-10-29T12:00:02Z'", "'[[1.0, 0.1]]'", "'[1.0, 0.1]'", "0.1", "1", "NULL") +
			"UPDATE ledger SET operation = '" + long + "' WHERE op_id = 'b';\n",
			[]want{{3, "row", KindTooLong}}},
		{"op_id of an entry the log has already", ok("'existing-op'"),
			[]want{{3, "op_id", KindConflict}}},
		{"several problems in one row", row("'b'", "'2025-13-01T00:00:00Z'", "'[[1.0, -0.1]]'", "'{'", "-1", "7", "NULL"),
			[]want{{3, "timestamp", KindBadTimestamp}, {3, "coverage", KindNegative}, {3, "invariant_passed", KindBadValue},
				{3, "inputs_json", KindNegative}, {3, "output_json", KindBadJSON}}},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := ReadSQLite(ctx, sqliteFile(t, base+c.sql), "")
			if err != nil {
				t.Fatal(err)
			}
			l := newLog(t)
			checkRefused(t, l, rows, c.want)
		})
	}
}

// checkRefused imports rows that must be refused and checks the
// refusals, and that the log did not change.
func checkRefused(t *testing.T, l *testLog, rows *Rows, ws []want) {
	t.Helper()
	before := l.state(t)
	for _, dry := range []bool{true, false} {
		rep, err := Import(context.Background(), rows, l, Options{DryRun: dry})
		e, ok := nu.AsError(err)
		if !ok || e.Code != CodeRefused || rep.Error != e || rep.OK || rep.Imported != 0 || rep.Unverifiable != 0 {
			t.Fatalf("dry run %v: err %v, report %+v", dry, err, rep)
		}
		var got []want
		refused := map[int]bool{}
		for _, r := range rep.Refusals {
			got = append(got, want{r.Row, r.Field, r.Kind})
			refused[r.Row] = true
			if r.Problem == "" || r.Fix == "" {
				t.Errorf("refusal without problem or fix: %+v", r)
			}
		}
		slices.SortFunc(got, cmpWant)
		ws = slices.Clone(ws)
		slices.SortFunc(ws, cmpWant)
		if !slices.Equal(got, ws) {
			t.Errorf("refusals %v, want %v\n%+v", got, ws, rep.Refusals)
		}
		if rep.Refused != len(refused) {
			t.Errorf("refused count %d, want %d rows", rep.Refused, len(refused))
		}
		var text bytes.Buffer
		rep.Print(&text)
		if !strings.Contains(text.String(), "REFUSED row") || !strings.Contains(text.String(), "nothing was imported") {
			t.Errorf("printed report:\n%s", text.String())
		}
		if !dry {
			t.Logf("%s", text.String()[:strings.Index(text.String(), "note:")])
		}
	}
	if l.state(t) != before || l.Len() != 1 {
		t.Errorf("a refused import changed the log (size %d)", l.Len())
	}
}

func cmpWant(a, b want) int {
	if a.row != b.row {
		return a.row - b.row
	}
	if a.field != b.field {
		return strings.Compare(a.field, b.field)
	}
	return strings.Compare(a.kind, b.kind)
}

// TestImportSQLiteSource: a file, a table or columns that are not the
// Python eBIOS's are refused as a whole, naming what is wrong.
func TestImportSQLiteSource(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	noEntryHash := filepath.Join(dir, "v01.db")
	pyebios.MakeSQLite(t, noEntryHash, strings.ReplaceAll(strings.ReplaceAll(pyebios.Schema, "entry_hash TEXT NOT NULL,", ""), "inputs_json", "inputs"))
	otherTable := filepath.Join(dir, "other.db")
	pyebios.MakeSQLite(t, otherTable, "CREATE TABLE users (name TEXT);")
	notDB := filepath.Join(dir, "not.db")
	os.WriteFile(notDB, bytes.Repeat([]byte("not a database "), 100), 0o644)
	for _, c := range []struct {
		path, table, code, want string
	}{
		{noEntryHash, "", CodeSchema, "lacks the column(s) inputs_json, entry_hash"},
		{otherTable, "", CodeSource, "has no table ledger"},
		{otherTable, "users", CodeSchema, "lacks the column(s) op_id"},
		{otherTable, `users" WHERE 0; DROP TABLE users; --`, CodeSource, "has no table users\" WHERE 0"}, // one quoted name
		{notDB, "", CodeSource, "is not a SQLite database"},
		{filepath.Join(dir, "missing.db"), "", CodeSource, "cannot read the SQLite file"},
		{dir, "", CodeSource, "is a directory"},
	} {
		_, err := ReadSQLite(ctx, c.path, c.table)
		e, ok := nu.AsError(err)
		if !ok || e.Code != c.code || !strings.Contains(e.Message, c.want) || e.Remediation == "" {
			t.Errorf("%s %s: %v, want %s %q", filepath.Base(c.path), c.table, err, c.code, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("reading a missing SQLite file created it")
	}
}

// TestQuoteIdent: a --table name becomes quoted SQL identifiers (a table
// name cannot be a bound parameter), whatever it holds.
func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"ledger":                       `"ledger"`,
		"main.ledger":                  `"main"."ledger"`,
		`le"dger`:                      `"le""dger"`,
		`x"; DROP TABLE ledger; --`:    `"x""; DROP TABLE ledger; --"`,
		`ledger" WHERE 0 UNION SELECT`: `"ledger"" WHERE 0 UNION SELECT"`,
	} {
		if got := quoteIdent(in); got != want {
			t.Errorf("quoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestImportJSON: a JSON export as Python writes it (Infinity, NaN,
// inputs_json as text or as a value, the {"entries"} form).
func TestImportJSON(t *testing.T) {
	ctx := context.Background()
	rows, err := ReadJSON("testdata/export.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Len() != 4 || len(rows.Notes) != 1 || !strings.Contains(rows.Notes[0], "merkle_root") {
		t.Fatalf("%d rows, notes %v", rows.Len(), rows.Notes)
	}
	l := newLog(t)
	rep, err := Import(ctx, rows, l, Options{})
	if err != nil {
		t.Fatalf("%v\n%+v", err, rep)
	}
	checkCounts(t, rep, 4, 0, 0)
	if !slices.Contains(rep.Notes, rows.Notes[0]) {
		t.Error("the reader's note is not in the report")
	}
	l.verify(t)
	i, _ := l.IndexOfOp("j-catch")
	e, _ := l.Get(i)
	if e.Output == nil || e.Output.N() != 0 || !math.IsInf(e.Output.U(), 1) || !math.IsInf(float64(e.Coverage), 1) || e.ParentOpID != "j-mul" {
		t.Errorf("j-catch: output %v coverage %v parent %q", e.Output, e.Coverage, e.ParentOpID)
	}
	if !strings.Contains(e.Expression, `"coverage":"+Inf"`) || !strings.Contains(e.Expression, `"inputs_json":[[60,3.9]]`) {
		t.Errorf("j-catch evidence: %s", e.Expression)
	}
	// The same export again: idempotent.
	rep, err = Import(ctx, rows, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 0, 4, 0)
}

// TestImportJSONMalformed: rows of a JSON export that are refused, each
// with a clear error, and nothing written.
func TestImportJSONMalformed(t *testing.T) {
	good := `{"op_id": "g1", "operation": "add", "timestamp": "2025-10-29T12:00:00Z", "inputs_json": "[[1.0, 0.1]]", "output_json": "[1.0, 0.1]", "coverage": 0.1, "invariant_passed": 1, "parent_id": null, "entry_hash": "h", "signature": "s"}`
	with := func(edit func(m map[string]any)) string {
		var m map[string]any
		json.Unmarshal([]byte(good), &m)
		m["op_id"] = "b"
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	cases := []struct {
		name string
		rows string // after the good row
		want []want
	}{
		{"duplicate op_id", with(func(m map[string]any) { m["op_id"] = "g1" }), []want{{1, "op_id", KindDuplicate}, {2, "op_id", KindDuplicate}}},
		{"missing column", with(func(m map[string]any) { delete(m, "entry_hash") }), []want{{2, "entry_hash", KindMissing}}},
		{"NULL signature", with(func(m map[string]any) { m["signature"] = nil }), []want{{2, "signature", KindMissing}}},
		{"NaN coverage", strings.Replace(with(func(m map[string]any) {}), `"coverage":0.1`, `"coverage":NaN`, 1), []want{{2, "coverage", KindNaN}}},
		{"coverage as text", with(func(m map[string]any) { m["coverage"] = "0.1" }), []want{{2, "coverage", KindType}}},
		{"inputs_json as a value, negative u", with(func(m map[string]any) { m["inputs_json"] = []any{[]any{1.0, -2.0}} }), []want{{2, "inputs_json", KindNegative}}},
		{"a row that is not an object", `[1, 2]`, []want{{2, "row", KindType}}},
		{"a cycle through the good row", with(func(m map[string]any) { m["parent_id"] = "c" }) + "," +
			with(func(m map[string]any) { m["op_id"] = "c"; m["parent_id"] = "b" }),
			[]want{{2, "parent_id", KindCycle}, {3, "parent_id", KindCycle}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "export.json")
			os.WriteFile(path, []byte("["+good+",\n"+c.rows+"]"), 0o644)
			rows, err := ReadJSON(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkRefused(t, newLog(t), rows, c.want)
		})
	}
	// Files that are not an export at all.
	for _, c := range []struct{ text, want string }{
		{`[{"op_id": "a", "op_id": "b"}]`, "appears twice"},
		{`[{"op_id": "a"}`, "want ',' or ']'"},
		{`{"rows": []}`, `without an "entries" array`},
		{`"ledger"`, "not an array of rows"},
		{`[] []`, "after the value"},
		{"[\"\xff\"]", "invalid UTF-8"},
	} {
		_, err := ReadJSON("-", strings.NewReader(c.text))
		e, ok := nu.AsError(err)
		if !ok || e.Code != CodeSource || !strings.Contains(e.Message+" "+e.Details, c.want) {
			t.Errorf("%q: %v, want %q", c.text, err, c.want)
		}
	}
}
