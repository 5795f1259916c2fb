package pyimport

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// Columns are the columns of the Python eBIOS's ledger table (its release
// plan v0.2.0, "Schema Enhancements"), in the plan's order. Every source
// must give all of them; a source may give more (they are kept in the
// evidence).
var Columns = []string{
	"op_id", "operation", "timestamp", "inputs_json", "output_json",
	"coverage", "invariant_passed", "parent_id", "entry_hash", "signature",
}

// row is one row of an old ledger as its source gave it, on its way to
// conversion.
type row struct {
	// num is the row's 1-based position in the source's order (SQLite:
	// rowid order; PostgreSQL: timestamp, then op_id; JSON: array order).
	num int
	// cols holds every column of the row by name (lower case for the
	// columns of the plan). Values are nil (NULL), bool, string, int64,
	// float64, []any or *object (the last two only from a JSON export).
	cols *object
	// notObject, in a JSON export, describes an element of the array
	// that is not an object.
	notObject string
}

// Rows is what a source reader returns: the rows, converted as they were
// read (so that only the entries they make are kept in memory, about 1 KB
// a row, not their columns), a name for the source, and notes about how
// it was read.
type Rows struct {
	Source string   // "sqlite FILE", "postgres TABLE at ...", "json FILE"
	Notes  []string // what the reader wants the report to say
	items  []*item  // in source order
}

// Len returns the number of rows read.
func (rs *Rows) Len() int { return len(rs.items) }

// add converts the next row.
func (rs *Rows) add(r row) {
	rs.items = append(rs.items, convert(&r))
}

// Problem kinds: the reason a row is refused, for scripts (the report's
// "kind" member). Each comes with a message and a fix.
const (
	KindMissing       = "missing"           // a column of the plan is missing or NULL
	KindType          = "type"              // a column holds the wrong type
	KindBadJSON       = "bad-json"          // inputs_json or output_json is not JSON
	KindNaN           = "nan"               // a number is NaN
	KindInfinite      = "infinite"          // a nominal value is infinite
	KindNegative      = "negative"          // a negative uncertainty or coverage
	KindBadValue      = "bad-value"         // another value outside its range
	KindBadTimestamp  = "bad-timestamp"     // the timestamp is not a date-time or a counter
	KindBadOpID       = "bad-op-id"         // the op id or parent id breaks the ledger's rules
	KindDuplicate     = "duplicate-op-id"   // two rows have one op id
	KindUnknownParent = "unknown-parent"    // parent_id names no row and no entry of the log
	KindCycle         = "cycle"             // the parent chain loops
	KindParent        = "parent-refused"    // the row's parent is refused
	KindTooLong       = "evidence-too-long" // the row's evidence exceeds ledger.MaxExpressionLen
	KindConflict      = "log-conflict"      // the log has another entry with this op id
)

// Refusal is one reason a row cannot be imported.
type Refusal struct {
	Row     int    `json:"row"`             // the row's number in the source
	OpID    string `json:"op_id,omitempty"` // the row's op id, when it has one
	Field   string `json:"field"`           // the column concerned
	Kind    string `json:"kind"`            // one of the Kind constants
	Problem string `json:"problem"`         // what is wrong
	Fix     string `json:"fix"`             // what to do
}

// Warning is something about a row that does not stop its import.
type Warning struct {
	Row     int    `json:"row"`
	OpID    string `json:"op_id,omitempty"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// item is one row on its way to the ledger.
type item struct {
	num      int // the row's number in the source
	opID     string
	parent   string
	draft    ledger.Draft
	conv     []Refusal // the problems of the row itself (convert)
	problems []Refusal // conv and those plan found (with the others, the log)
	warnings []Warning
	refused  bool // problems, or a refused parent
	inLog    bool // already imported (identical evidence)
	index    uint64
}

func (it *item) refuse(field, kind, problem, fix string) {
	it.problems = append(it.problems, Refusal{Row: it.num, OpID: it.opID, Field: field, Kind: kind, Problem: problem, Fix: fix})
}

func (it *item) has(kind string) bool {
	for _, p := range it.problems {
		if p.Kind == kind {
			return true
		}
	}
	return false
}

func (it *item) warn(field, msg string) {
	it.warnings = append(it.warnings, Warning{Row: it.num, OpID: it.opID, Field: field, Message: msg})
}

// OperationImport is the operation of every entry the import appends.
const OperationImport = "import"

const fixSource = "correct the row in the Python eBIOS's database or export (or leave it out of a JSON export) and run the import again"

// convert turns a row into a draft, recording every problem it finds.
func convert(r *row) *item {
	it := &item{num: r.num}
	if r.notObject != "" {
		it.refuse("row", KindType, "the row is "+r.notObject+", not an object of columns", fixSource)
		it.conv, it.refused = it.problems, true
		return it
	}
	get := func(col string) (any, bool) {
		v, ok := r.cols.get(col)
		if !ok {
			it.refuse(col, KindMissing, "the row has no column "+col,
				"give every column of the Python eBIOS's ledger table ("+strings.Join(Columns, ", ")+"); "+fixSource)
			return nil, false
		}
		return v, true
	}
	text := func(col string, nullable bool) (string, bool) {
		v, ok := get(col)
		if !ok {
			return "", false
		}
		switch v := v.(type) {
		case string:
			if !utf8.ValidString(v) {
				it.refuse(col, KindType, col+" is not valid UTF-8 text", fixSource)
				return "", false
			}
			return v, true
		case nil:
			if !nullable {
				it.refuse(col, KindMissing, col+" is NULL (the table declares it NOT NULL)", fixSource)
			}
			return "", false
		}
		it.refuse(col, KindType, fmt.Sprintf("%s is %s, want text", col, describe(v)), fixSource)
		return "", false
	}

	// op_id and parent_id: the ledger's op id rules.
	if op, ok := text("op_id", false); ok {
		it.opID = op
		if why := checkOpID(op); why != "" {
			it.refuse("op_id", KindBadOpID, "op_id "+strconv.Quote(trunc(op))+" "+why,
				"an eBIOS op id is 1 to "+strconv.Itoa(ledger.MaxOpIDLen)+" bytes of text without control characters; such a row cannot be imported as it is")
		}
	}
	if p, ok := text("parent_id", true); ok && p != "" {
		it.parent = p
		if why := checkOpID(p); why != "" {
			it.refuse("parent_id", KindBadOpID, "parent_id "+strconv.Quote(trunc(p))+" "+why,
				"an eBIOS op id is 1 to "+strconv.Itoa(ledger.MaxOpIDLen)+" bytes of text without control characters; such a row cannot be imported as it is")
		} else if p == it.opID {
			it.refuse("parent_id", KindCycle, "parent_id is the row's own op_id", "clear parent_id or set it to the operation this one derives from; "+fixSource)
		}
	}
	if op, ok := text("operation", false); ok && op == "" {
		it.refuse("operation", KindMissing, "operation is empty", fixSource)
	}
	text("entry_hash", false)
	text("signature", false)

	// timestamp: a date-time, or the v0.1 monotonic counter.
	if v, ok := get("timestamp"); ok {
		ts, msg := convertTimestamp(v)
		switch {
		case msg != "":
			it.refuse("timestamp", KindBadTimestamp, msg,
				"give the time as an ISO 8601 date-time (2025-10-29T12:00:00.123456+00:00, as Python's isoformat writes it) or the Python eBIOS's integer counter; "+fixSource)
		case ts == 0:
			it.warn("timestamp", "the timestamp is the Python eBIOS's counter, not a time: the entry is stamped with the time of the import (the counter stays in the evidence)")
		}
		it.draft.Timestamp = ts
	}

	// coverage: >= 0 or +Inf.
	if v, ok := get("coverage"); ok {
		c, isNum := number(v)
		switch {
		case !isNum && v == nil:
			it.refuse("coverage", KindMissing, "coverage is NULL (the table declares it NOT NULL)", fixSource)
		case !isNum:
			it.refuse("coverage", KindType, fmt.Sprintf("coverage is %s, want a number", describe(v)), fixSource)
		case math.IsNaN(c):
			it.refuse("coverage", KindNaN, "coverage is NaN", "coverage is u/|n| of the output, a number >= 0 (or Infinity); "+fixSource)
		case c < 0:
			it.refuse("coverage", KindNegative, "coverage is "+fmtFloat(c)+", below zero", "coverage is u/|n| of the output, a number >= 0 (or Infinity); "+fixSource)
		default:
			it.draft.Coverage = nu.Float(c)
		}
	}

	// invariant_passed: 0/1 or false/true.
	if v, ok := get("invariant_passed"); ok {
		switch v {
		case int64(1), true:
			it.draft.Invariant = ledger.Invariant{OK: true}
		case int64(0), false:
			it.draft.Invariant = ledger.Invariant{OK: false, Message: "the Python eBIOS recorded invariant_passed = 0: an invariant of this result failed"}
		case nil:
			it.refuse("invariant_passed", KindMissing, "invariant_passed is NULL (the table declares it NOT NULL)", fixSource)
		default:
			it.refuse("invariant_passed", KindBadValue, fmt.Sprintf("invariant_passed is %s, want 0 or 1 (or false or true)", describe(v)), fixSource)
		}
	}

	// inputs_json and output_json: n ± u values when they are.
	if v, ok := get("inputs_json"); ok {
		if j, ok := it.jsonColumn("inputs_json", v); ok {
			it.draft.Inputs = it.inputs(j)
		}
	}
	if v, ok := get("output_json"); ok {
		if j, ok := it.jsonColumn("output_json", v); ok {
			it.draft.Output = it.output(j)
		}
	}

	it.draft.OpID = it.opID
	it.draft.ParentOpID = it.parent
	it.draft.Operation = OperationImport
	// The evidence: the whole original row, canonical.
	ev, err := canonicalJSON(r.cols)
	switch {
	case err != nil && !it.has(KindType):
		it.refuse("row", KindType, "the row cannot be written as JSON: "+err.Error(), fixSource)
	case err != nil:
	case len(ev) > ledger.MaxExpressionLen:
		it.refuse("row", KindTooLong, fmt.Sprintf("the original row is %d bytes as canonical JSON, more than the %d bytes an entry's evidence (its expression field) can hold", len(ev), ledger.MaxExpressionLen),
			"this row cannot be carried into the ledger whole: keep the Python eBIOS's database as its record, and import the other rows from a JSON export (--json-export) that leaves it out (and its children, or with their parent_id cleared)")
	default:
		it.draft.Expression = string(ev)
	}
	if len(it.problems) == 0 {
		if err := it.draft.Validate(); err != nil {
			it.refuse("row", KindBadValue, "the entry it would make is invalid: "+err.Error(), fixSource)
		}
	}
	it.conv = it.problems
	it.refused = len(it.problems) > 0
	return it
}

// jsonColumn returns the JSON value of inputs_json or output_json: parsed
// from text, or as it is when a JSON export gave a value instead of text.
func (it *item) jsonColumn(col string, v any) (any, bool) {
	switch v := v.(type) {
	case nil:
		it.refuse(col, KindMissing, col+" is NULL (the table declares it NOT NULL)", fixSource)
		return nil, false
	case string:
		j, err := parsePyJSON([]byte(v))
		if err != nil {
			it.refuse(col, KindBadJSON, col+" is not JSON: "+err.Error()+" in "+strconv.Quote(trunc(v)), fixSource)
			return nil, false
		}
		return j, true
	case []any, *object:
		return v, true
	}
	it.refuse(col, KindType, fmt.Sprintf("%s is %s, want JSON text", col, describe(v)), fixSource)
	return nil, false
}

// inputs converts a list of n ± u values; anything else is kept as
// evidence only.
func (it *item) inputs(j any) []nu.Value {
	list, ok := j.([]any)
	if !ok {
		it.warn("inputs_json", "not a list of n ± u values: the entry has no inputs (the original is in the evidence)")
		return nil
	}
	var vs []nu.Value
	for i, x := range list {
		n, u, ok := pair(x)
		if !ok {
			it.warn("inputs_json", fmt.Sprintf("element %d is not an n ± u value ([n, u] or {\"n\": n, \"u\": u}): the entry has no inputs (the original is in the evidence)", i))
			return nil
		}
		v, ok := it.value(fmt.Sprintf("inputs_json[%d]", i), n, u)
		if !ok {
			return nil
		}
		vs = append(vs, v)
	}
	return vs
}

// output converts one n ± u value (null: no output); anything else is
// kept as evidence only.
func (it *item) output(j any) *nu.Value {
	if j == nil {
		return nil
	}
	n, u, ok := pair(j)
	if !ok {
		it.warn("output_json", "not an n ± u value ([n, u] or {\"n\": n, \"u\": u}): the entry has no output (the original is in the evidence)")
		return nil
	}
	v, ok := it.value("output_json", n, u)
	if !ok {
		return nil
	}
	return &v
}

// value checks n ± u: n finite, u >= 0 (u may be +Inf).
func (it *item) value(where string, n, u float64) (nu.Value, bool) {
	col, _, _ := strings.Cut(where, "[")
	const fix = "an n ± u value has a finite nominal n and an uncertainty u >= 0 (u may be Infinity); " + fixSource
	switch {
	case math.IsNaN(n) || math.IsNaN(u):
		it.refuse(col, KindNaN, where+" has a NaN ("+fmtFloat(n)+" ± "+fmtFloat(u)+")", fix)
	case math.IsInf(n, 0):
		it.refuse(col, KindInfinite, where+" has an infinite nominal ("+fmtFloat(n)+" ± "+fmtFloat(u)+")", fix)
	case u < 0:
		it.refuse(col, KindNegative, where+" has a negative uncertainty ("+fmtFloat(n)+" ± "+fmtFloat(u)+")", fix)
	default:
		v, err := nu.New(n, u)
		if err == nil {
			return v, true
		}
		it.refuse(col, KindBadValue, where+": "+err.Error(), fix)
	}
	return nu.Value{}, false
}

// pair reads [n, u] or {"n": n, "u": u}.
func pair(x any) (n, u float64, ok bool) {
	switch x := x.(type) {
	case []any:
		if len(x) != 2 {
			return 0, 0, false
		}
		n, ok1 := number(x[0])
		u, ok2 := number(x[1])
		return n, u, ok1 && ok2
	case *object:
		if len(x.keys) != 2 {
			return 0, 0, false
		}
		nv, ok1 := x.get("n")
		uv, ok2 := x.get("u")
		if !ok1 || !ok2 {
			return 0, 0, false
		}
		n, ok1 := number(nv)
		u, ok2 := number(uv)
		return n, u, ok1 && ok2
	}
	return 0, 0, false
}

// number returns a numeric value as float64.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// timestampLayouts are the date-time spellings understood: RFC 3339 and
// what Python's datetime.isoformat writes (T or a space between date and
// time, a fraction of up to 9 digits, an offset +hh:mm, +hhmm, +hh or Z,
// or none: then the time is taken as UTC, as datetime.utcnow() meant it).
var timestampLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999-0700",
	"2006-01-02T15:04:05.999999999-07",
	"2006-01-02T15:04:05.999999999",
}

// minTime and maxTime bound the times Unix nanoseconds in an int64 hold.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// convertTimestamp returns Unix nanoseconds, or 0 for the v0.1 counter (an
// integer: the entry then gets the import's time), or why it cannot.
func convertTimestamp(v any) (int64, string) {
	switch v := v.(type) {
	case nil:
		return 0, "timestamp is NULL (the table declares it NOT NULL)"
	case int64:
		if v < 0 {
			return 0, "timestamp is the negative integer " + strconv.FormatInt(v, 10) + ", neither a date-time nor the Python eBIOS's counter"
		}
		return 0, ""
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return 0, "timestamp is empty"
		}
		if isDigits(s) {
			return 0, ""
		}
		if len(s) > 10 && s[10] == ' ' {
			s = s[:10] + "T" + s[11:]
		}
		for _, l := range timestampLayouts {
			t, err := time.Parse(l, s)
			if err != nil {
				continue
			}
			if t.Before(minTime) || t.After(maxTime) {
				return 0, "timestamp " + strconv.Quote(trunc(v)) + " is outside the years 1678 to 2262 that an entry's timestamp (Unix nanoseconds) can hold"
			}
			if t.UnixNano() == 0 { // 0 means "no timestamp" to the store
				return 1, ""
			}
			return t.UnixNano(), ""
		}
		return 0, "timestamp " + strconv.Quote(trunc(v)) + " is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS[.ffffff][+HH:MM|Z])"
	}
	return 0, fmt.Sprintf("timestamp is %s, want a date-time text or an integer counter", describe(v))
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// checkOpID returns why s cannot be an eBIOS op id, or "".
func checkOpID(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > ledger.MaxOpIDLen:
		return fmt.Sprintf("is %d bytes, more than %d", len(s), ledger.MaxOpIDLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "contains a control character"
		}
	}
	return ""
}

// describe names a value's type (and the value, short) for a message.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case bool:
		return "the boolean " + strconv.FormatBool(v)
	case string:
		return "the text " + strconv.Quote(trunc(v))
	case int64:
		return "the integer " + strconv.FormatInt(v, 10)
	case float64:
		return "the number " + fmtFloat(v)
	case []any:
		return "a JSON array"
	case *object:
		return "a JSON object"
	case []byte:
		return fmt.Sprintf("a BLOB of %d bytes", len(v))
	}
	return fmt.Sprintf("a %T", v)
}

func fmtFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// trunc shortens s for a message.
func trunc(s string) string {
	const n = 60
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
