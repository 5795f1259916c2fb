package pyimport

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// Category is the error category of this package's errors.
const Category nu.Category = "import"

// Error codes of the import.
const (
	CodeRefused     = "IMPORT_001" // rows of the source were refused, so nothing was imported
	CodeSource      = "IMPORT_002" // the source (SQLite file, PostgreSQL table or JSON export) cannot be read
	CodeSchema      = "IMPORT_003" // the source's table lacks a column of the Python eBIOS's ledger table
	CodeInterrupted = "IMPORT_004" // the import stopped after some batches were written; running it again finishes it
	CodeTarget      = "IMPORT_005" // the data directory's ledger.db is a SQLite file (the Python eBIOS's), not an eBIOS ledger
)

func importErr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: Category, Message: msg, Details: details, Remediation: remedy}
}

// Log is what the import needs of a ledger: *ledgerstore.Store has it.
type Log interface {
	Len() uint64
	IndexOfOp(opID string) (uint64, bool)
	Get(i uint64) (*ledger.Entry, error)
	AppendBatch(ctx context.Context, ds []ledger.Draft) ([]*ledger.Entry, error)
}

// DefaultBatch is the number of entries appended in one atomic commit.
const DefaultBatch = 4096

// Options tune Import.
type Options struct {
	// DryRun checks and reports without appending anything.
	DryRun bool
	// Batch is the most entries appended in one atomic commit
	// (ledgerstore's AppendBatch); 0 means DefaultBatch, a negative
	// number everything in one commit.
	Batch int
	// Progress, when set, is called after each committed batch with the
	// entries appended so far and the number to append.
	Progress func(done, total int)
}

// Report is the outcome of an import, for a person (Print) and as JSON.
type Report struct {
	Source string `json:"source"`
	DryRun bool   `json:"dry_run"`
	// OK is true when every row is in the log now (or would be, in a dry
	// run).
	OK bool `json:"ok"`
	// Rows is the number of rows the source gave.
	Rows int `json:"rows"`
	// Imported counts the rows appended now (in a dry run: that would be).
	Imported int `json:"imported"`
	// AlreadyImported counts the rows whose op id was in the log already
	// as an import entry with identical evidence: skipped.
	AlreadyImported int `json:"already_imported"`
	// Refused counts the rows refused; when it is not 0 nothing was
	// appended.
	Refused int `json:"refused"`
	// Unverifiable counts the rows (imported or already imported) whose
	// original signature cannot be checked: all of them (see Notes).
	Unverifiable int `json:"unverifiable"`
	// Verified counts rows whose original signature was checked: always
	// 0 (see Notes).
	Verified int `json:"verified"`
	// FirstIndex and LastIndex are the log indexes of the entries
	// appended now, when there are any.
	FirstIndex *uint64 `json:"first_index,omitempty"`
	LastIndex  *uint64 `json:"last_index,omitempty"`
	// Refusals lists every reason of every refused row, by row.
	Refusals []Refusal `json:"refusals"`
	// Warnings lists what was not converted (kept as evidence only).
	Warnings []Warning `json:"warnings"`
	// Notes says what the import cannot do and why: signatures, hashes,
	// users.
	Notes []string `json:"notes"`
	// Error is set when the import stopped before the end (refused rows,
	// an interruption, a failed write).
	Error *nu.Error `json:"error,omitempty"`
}

// Notes every report carries.
const (
	NoteSignatures = "signatures: not verified. The Python eBIOS made a new Ed25519 key at every start and published none, and its release plan does not say what it signed, so no original signature can be checked: every imported row counts as unverifiable. Each signature is kept, as it was, in its entry's evidence; the new entries are signed by this log's key, which vouches for the import, not for the original computation"
	NoteEntryHash  = "entry_hash: kept in the evidence, not recomputed: the Python eBIOS's release plan does not say how it was computed"
	NoteUsers      = "users: not imported. The Python eBIOS had default passwords; create this server's users with `ebios user add` (or the setup token printed at first start)"
	NoteMode       = "mode: import entries have no mode: the Python eBIOS recorded none, and eBIOS did not compute these results"
)

// Import checks every row, and then, only when none is refused, appends
// the rows not yet in the log as "import" entries, parents before their
// children, in batches of opts.Batch (each batch is one atomic, durable
// commit). It returns the report; the error is the report's Error (as a
// *nu.Error) when the import did not complete.
func Import(ctx context.Context, rows *Rows, log Log, opts Options) (*Report, error) {
	rep := &Report{Source: rows.Source, DryRun: opts.DryRun, Rows: rows.Len(), Refusals: []Refusal{}, Warnings: []Warning{}}
	rep.Notes = append(append(rep.Notes, rows.Notes...), NoteSignatures, NoteEntryHash, NoteMode, NoteUsers)
	items, order := plan(rows, log)
	for _, it := range items {
		rep.Warnings = append(rep.Warnings, it.warnings...)
		if it.refused {
			rep.Refused++
			rep.Refusals = append(rep.Refusals, it.problems...)
			continue
		}
		if it.inLog {
			rep.AlreadyImported++
		}
	}
	if rep.Refused > 0 {
		rep.Error = importErr(CodeRefused, fmt.Sprintf("%d of %d rows refused: nothing was imported", rep.Refused, rep.Rows),
			refusalSummary(rep.Refusals), "fix the rows listed (each says what is wrong and what to do) and run the import again; the import writes all the rows or none")
		return rep, rep.Error
	}
	rep.Unverifiable = rep.AlreadyImported
	if opts.DryRun {
		rep.Imported = len(order)
		rep.Unverifiable += len(order)
		rep.OK = true
		return rep, nil
	}
	batch := opts.Batch
	switch {
	case batch == 0:
		batch = DefaultBatch
	case batch < 0:
		batch = max(len(order), 1)
	}
	for start := 0; start < len(order); start += batch {
		if err := ctx.Err(); err != nil {
			return rep, rep.stopped(len(order), "the import was interrupted", err)
		}
		ds := make([]ledger.Draft, 0, min(batch, len(order)-start))
		for _, it := range order[start:min(start+batch, len(order))] {
			ds = append(ds, it.draft)
		}
		es, err := log.AppendBatch(ctx, ds)
		if err != nil {
			// A batch that failed may still have been committed (ctx
			// ended after it was queued): say what the log holds.
			return rep, rep.stopped(len(order), "appending a batch failed", err)
		}
		if rep.FirstIndex == nil {
			rep.FirstIndex = &es[0].Index
		}
		rep.LastIndex = &es[len(es)-1].Index
		rep.Imported += len(es)
		rep.Unverifiable += len(es)
		if opts.Progress != nil {
			opts.Progress(rep.Imported, len(order))
		}
	}
	rep.OK = true
	return rep, nil
}

// stopped records an import that ended before its last batch.
func (rep *Report) stopped(total int, what string, err error) error {
	details := err.Error()
	if e, ok := nu.AsError(err); ok {
		details = e.Code + ": " + e.Message
		if e.Details != "" {
			details += " (" + e.Details + ")"
		}
	}
	rep.Error = importErr(CodeInterrupted,
		fmt.Sprintf("%s after %d of %d entries were appended", what, rep.Imported, total), details,
		"the rows appended so far are in the log, parents before children, so the log is valid; run the same import again: rows already imported are skipped and the rest are appended")
	return rep.Error
}

// refusalSummary is the first refusals, for an error's details.
func refusalSummary(rs []Refusal) string {
	var parts []string
	for i, r := range rs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(rs)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("row %d %s: %s", r.Row, r.Field, r.Problem))
	}
	return strings.Join(parts, "; ")
}

// plan checks every row (converted when it was read) against the others
// and the log, and returns the items in source order and the ones to
// append, parents first. It may run again on the same Rows (a dry run,
// then the import): each run starts from the rows' own problems.
func plan(rows *Rows, log Log) (items []*item, order []*item) {
	items = rows.items
	byOp := map[string][]*item{}
	for _, it := range items {
		it.problems = slices.Clip(it.conv) // appends copy: conv stays as it is
		it.inLog, it.index = false, 0
		if it.opID != "" {
			byOp[it.opID] = append(byOp[it.opID], it)
		}
	}
	// Duplicate op ids: every copy is refused.
	for op, its := range byOp {
		if len(its) < 2 {
			continue
		}
		nums := make([]string, len(its))
		for i, it := range its {
			nums[i] = strconv.Itoa(it.num)
		}
		for _, it := range its {
			it.refuse("op_id", KindDuplicate, "op_id "+strconv.Quote(trunc(op))+" appears in rows "+strings.Join(nums, ", "),
				"an op id names one operation: keep one of these rows (in a JSON export), or give the others their own op ids, and run the import again")
		}
	}
	// Parents: a row of the source, or an entry of the log.
	parentOf := func(it *item) *item {
		if its := byOp[it.parent]; len(its) > 0 {
			return its[0]
		}
		return nil
	}
	for _, it := range items {
		if it.parent == "" || it.has(KindBadOpID) || it.has(KindCycle) {
			continue
		}
		if len(byOp[it.parent]) > 0 {
			continue
		}
		if _, ok := log.IndexOfOp(it.parent); ok {
			continue
		}
		it.refuse("parent_id", KindUnknownParent, "parent_id "+strconv.Quote(trunc(it.parent))+" names no row of the source and no entry of the log",
			"import the parent's row too (the whole ledger table), or clear parent_id in a JSON export if the parent is lost, and run the import again")
	}
	// Cycles: each row has at most one parent, so walking up from every
	// row finds each cycle once.
	const (
		unseen = iota
		onPath
		done
	)
	state := make(map[*item]int, len(items))
	for _, start := range items {
		var path []*item
		for it := start; it != nil && state[it] == unseen; it = parentOf(it) {
			state[it] = onPath
			path = append(path, it)
			if it.parent == "" {
				break
			}
		}
		if n := len(path); n > 0 {
			last := path[n-1]
			if p := parentOf(last); p != nil && state[p] == onPath {
				// path from p to last is a cycle.
				k := n - 1
				for path[k] != p {
					k--
				}
				cyc := path[k:]
				ids := make([]string, 0, len(cyc)+1)
				for _, c := range cyc {
					ids = append(ids, strconv.Quote(trunc(c.opID)))
				}
				ids = append(ids, strconv.Quote(trunc(cyc[0].opID)))
				for _, c := range cyc {
					if !c.has(KindCycle) {
						c.refuse("parent_id", KindCycle, "the parent chain loops: "+strings.Join(ids, " → "),
							"an operation cannot descend from itself: correct parent_id in one of these rows and run the import again")
					}
				}
			}
		}
		for _, it := range path {
			state[it] = done
		}
	}
	// The log: a row whose op id is there already is skipped when that
	// entry is its import, refused otherwise.
	for _, it := range items {
		if len(it.problems) > 0 || it.opID == "" {
			continue
		}
		i, ok := log.IndexOfOp(it.opID)
		if !ok {
			continue
		}
		e, err := log.Get(i)
		switch {
		case err != nil:
			it.refuse("op_id", KindConflict, fmt.Sprintf("op_id is entry %d of the log, which cannot be read: %v", i, err),
				"check the log with `ebios ledger fsck --data-dir DIR`, then run the import again")
		case e.Operation == OperationImport && e.Expression == it.draft.Expression && e.ParentOpID == it.parent:
			it.inLog, it.index = true, i
		case e.Operation == OperationImport:
			it.refuse("op_id", KindConflict, fmt.Sprintf("op_id is entry %d of the log, imported earlier from a different row (its evidence differs)", i),
				"the source changed since that import, or two sources share op ids: compare the row with the entry's expression (`ebios ledger trace OPID --data-dir DIR`), and import into a new data directory if both must be kept")
		default:
			it.refuse("op_id", KindConflict, fmt.Sprintf("op_id is entry %d of the log, a %q entry that this import did not write", i, e.Operation),
				"this log already uses the op id for another operation: import into a new data directory (--data-dir)")
		}
	}
	for _, it := range items {
		it.refused = len(it.problems) > 0
	}
	// A refused parent refuses its descendants that are not in the log
	// yet (walk up to the first decided ancestor; cycles are refused
	// already, so the walk ends).
	decided := make(map[*item]bool, len(items))
	for _, start := range items {
		var path []*item
		it := start
		for it != nil && !decided[it] && !it.refused {
			path = append(path, it)
			it = parentOf(it)
		}
		bad := it != nil && it.refused
		for k := len(path) - 1; k >= 0; k-- {
			c := path[k]
			switch {
			case bad && !c.inLog:
				p := parentOf(c)
				c.refuse("parent_id", KindParent, fmt.Sprintf("its parent (row %d, op_id %s) is refused", p.num, strconv.Quote(trunc(p.opID))),
					"fix the parent's row first: this row can only follow it")
				c.refused = true
			default:
				// A row in the log already keeps its place, and so do
				// its descendants.
				bad = false
			}
			decided[c] = true
		}
		decided[start] = true
	}
	// Order: source order, each row after its parent (depth first up the
	// chain), skipping what is in the log already.
	placed := make(map[*item]bool, len(items))
	for _, start := range items {
		var chain []*item
		for it := start; it != nil && !placed[it] && !it.refused; it = parentOf(it) {
			chain = append(chain, it)
		}
		for k := len(chain) - 1; k >= 0; k-- {
			it := chain[k]
			placed[it] = true
			if !it.refused && !it.inLog {
				order = append(order, it)
			}
		}
	}
	return items, order
}
