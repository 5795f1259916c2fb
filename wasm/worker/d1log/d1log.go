// Package d1log is the Cloudflare driver of the log engine's storage
// (core/ledger.Storage) and of the user store (server/auth.Store) over an
// SQL database with D1's semantics: single statements, and batches of
// statements that run as one transaction. The Worker runs it over D1
// (wasm/worker/cf); the tests run it over SQLite, which D1 is.
//
// The schema is migrations/*.sql, which wrangler applies to D1
// (`wrangler d1 migrations apply`). One row per entry holds its leaf data,
// the tree hashes stored with it and its op id (a UNIQUE index: the op-id
// index); the checkpoints table holds the commit records. Triggers make a
// commit a compare-and-swap on the log's size: a batch whose first entry
// does not follow the log, or whose checkpoint does not cover exactly the
// stored entries, aborts and stores nothing ([ledger.ErrConflict]).
package d1log

import (
	"context"
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

// Migrations are the schema's SQL files, in the order to apply them.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// DB is what the driver needs of D1. Values are int64, string, []byte or
// nil, in and out.
type DB interface {
	// Query runs one statement and returns its rows, each as its column
	// values in the order of the select list.
	Query(ctx context.Context, sql string, args ...any) ([][]any, error)
	// Batch runs the statements as one transaction: all or none.
	Batch(ctx context.Context, stmts []Stmt) error
}

// Stmt is one statement of a batch.
type Stmt struct {
	SQL  string
	Args []any
}

// conflictMarks are in the message of an abort by the schema's triggers
// (and of a duplicate primary key), which D1 passes on.
var conflictMarks = []string{"(conflict)", "UNIQUE constraint failed: entries.idx"}

// TileStore keeps sealed tiles (R2 in the Worker): immutable objects by
// their C2SP path.
type TileStore interface {
	// Get returns the object at key, or nil if there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores data at key.
	Put(ctx context.Context, key string, data []byte) error
}

// Store is the log in D1: a [ledger.Storage]. Open reads the head once;
// the Worker opens a Store for every request (a Go instance lives for one
// request), so it is not meant to outlive one.
//
// With Sealed set, the full tiles (hash tiles and entry bundles of 256
// entries) a commit completes are sealed into it, and full tiles are read
// from it: they never change. A tile is made from the rows when it is
// not there (a seal that failed after its commit, a log written before),
// and sealed then.
type Store struct {
	db     DB
	ctx    context.Context
	origin string
	head   []byte
	size   int64
	Sealed TileStore

	mu  sync.Mutex
	win window // rows read ahead by Get
}

// window is a run of leaves read ahead: from, from+1, ….
type window struct {
	from   uint64
	leaves [][]byte
}

var _ ledger.Storage = (*Store)(nil)

// Open returns the log in db, whose checkpoints must be signed by v for the
// origin v.Name(): the latest checkpoint is checked, so a store that another
// key wrote is refused. empty is the signed checkpoint of the empty tree,
// the head of a log with no entries. ctx bounds every read of the Store.
func Open(ctx context.Context, db DB, v *ledger.Verifier, empty []byte) (*Store, error) {
	s := &Store{db: db, ctx: ctx, origin: v.Name(), head: empty}
	rows, err := db.Query(ctx, "SELECT size, checkpoint FROM checkpoints ORDER BY size DESC LIMIT 1")
	if err != nil {
		return nil, errDB("reading the log's head", err)
	}
	if len(rows) == 0 {
		return s, nil
	}
	size, cp := asInt(rows[0][0]), asString(rows[0][1])
	c, err := ledger.OpenCheckpoint([]byte(cp), v, s.origin)
	if err != nil {
		return nil, err
	}
	if c.Size != size {
		return nil, errDB("reading the log's head", fmt.Errorf("the checkpoint row of size %d holds a checkpoint of size %d", size, c.Size))
	}
	s.head, s.size = []byte(cp), size
	return s, nil
}

// Origin returns the log's origin.
func (s *Store) Origin() string { return s.origin }

// Head returns the latest committed checkpoint and its tree size.
func (s *Store) Head() ([]byte, int64) { return s.head, s.size }

// Commit stores b and its checkpoint in one D1 batch. The schema refuses
// a batch that does not follow the log; that error wraps
// [ledger.ErrConflict].
func (s *Store) Commit(b *ledger.Batch) error {
	stmts := make([]Stmt, 0, len(b.Entries)+1)
	for i, p := range b.Entries {
		hs := make([]byte, 0, len(b.Hashes[i])*tlog.HashSize)
		for _, h := range b.Hashes[i] {
			hs = append(hs, h[:]...)
		}
		e := p.Entry
		stmts = append(stmts, Stmt{"INSERT INTO entries (idx, op_id, leaf, hashes, operation, parent_op_id, ts_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
			[]any{int64(e.Index), e.OpID, p.Leaf(), hs, e.Operation, e.ParentOpID, floorDiv(e.Timestamp, 1000)}}) // #nosec G115 -- an entry index is a tree index, below 2^63
	}
	size := int64(b.First) + int64(len(b.Entries)) // #nosec G115 -- a tree size, below 2^63
	stmts = append(stmts, Stmt{"INSERT INTO checkpoints (size, checkpoint) VALUES (?, ?)", []any{size, string(b.Checkpoint)}})
	if err := s.db.Batch(s.ctx, stmts); err != nil {
		for _, m := range conflictMarks {
			if strings.Contains(err.Error(), m) {
				return fmt.Errorf("committing entries %d to %d: %v: %w", b.First, size-1, err, ledger.ErrConflict)
			}
		}
		return errDB("committing entries", err)
	}
	old := s.size
	s.head, s.size = b.Checkpoint, size
	s.seal(old, size)
	return nil
}

// seal writes the full tiles that growing the log from old to size
// entries completed into Sealed. A failure leaves the tile to be made
// from the rows (ReadTile), so it does not fail the commit, which is done.
func (s *Store) seal(old, size int64) {
	if s.Sealed == nil {
		return
	}
	tiles := ledger.TilesCompleted(old, size)
	for n := old / ledger.TileWidth; n < size/ledger.TileWidth; n++ {
		tiles = append(tiles, ledger.FullTile(ledger.BundleLevel, n))
	}
	for _, t := range tiles {
		if data, err := s.rowTile(t); err == nil {
			s.Sealed.Put(s.ctx, ledger.TilePath(t), data) // #nosec G104 -- best effort: ReadTile makes and seals a missing tile
		}
	}
}

// Sync returns at once: D1 has made a batch durable when it answers.
func (s *Store) Sync() error { return nil }

// readChunk is how many rows one query of ReadLeaves reads.
const readChunk = 256

// ReadLeaves calls f with the leaf data of entries from … to-1, in order,
// reading them readChunk rows at a time.
func (s *Store) ReadLeaves(from, to uint64, f func(i uint64, leaf []byte) error) error {
	for from < to {
		end := min(to, from+readChunk)
		rows, err := s.db.Query(s.ctx, "SELECT idx, leaf FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
			int64(from), int64(end)) // #nosec G115 -- entry indexes are below 2^63
		if err != nil {
			return errDB("reading entries", err)
		}
		for _, r := range rows {
			i := uint64(asInt(r[0])) // #nosec G115 -- stored indexes are not negative (a primary key from 0)
			if i != from {
				break
			}
			if err := f(i, asBytes(r[1])); err != nil {
				return err
			}
			from++
		}
		if from < end {
			return &nu.Error{Code: ledger.CodeNotFound, Category: ledger.CategoryLedger,
				Message: fmt.Sprintf("entry %d is not in the log", from), Remediation: "ask for an index below the log's size"}
		}
	}
	return nil
}

// entryOfHash returns the entry with whose record stored hash x was stored:
// the largest i with tlog.StoredHashCount(i) <= x.
func entryOfHash(x int64) int64 {
	return int64(sort.Search(int(x)+1, func(i int) bool { return tlog.StoredHashCount(int64(i)) > x })) - 1
}

// ReadHashes reads stored tree hashes from the rows of the entries they
// were stored with: one query per 100 entries.
func (s *Store) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	byEntry := map[int64][]byte{}
	args := make([]any, 0, len(indexes))
	for _, x := range indexes {
		if x < 0 || x >= tlog.StoredHashCount(s.size) {
			return nil, errDB("reading tree hashes", fmt.Errorf("hash %d is not stored in a tree of %d entries", x, s.size))
		}
		if i := entryOfHash(x); byEntry[i] == nil {
			byEntry[i] = []byte{}
			args = append(args, i)
		}
	}
	for len(args) > 0 {
		chunk := args[:min(len(args), maxParams)]
		args = args[len(chunk):]
		rows, err := s.db.Query(s.ctx, "SELECT idx, hashes FROM entries WHERE idx IN ("+placeholders(len(chunk))+")", chunk...)
		if err != nil {
			return nil, errDB("reading tree hashes", err)
		}
		for _, r := range rows {
			byEntry[asInt(r[0])] = asBytes(r[1])
		}
	}
	out := make([]tlog.Hash, len(indexes))
	for k, x := range indexes {
		i := entryOfHash(x)
		off := (x - tlog.StoredHashCount(i)) * tlog.HashSize
		hs := byEntry[i]
		if off+tlog.HashSize > int64(len(hs)) {
			return nil, errDB("reading tree hashes", fmt.Errorf("entry %d does not hold stored hash %d", i, x))
		}
		copy(out[k][:], hs[off:])
	}
	return out, nil
}

// placeholders returns "?, ?, …" with n marks.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// ReadTile returns a C2SP tlog-tiles tile of the committed tree: a full
// one from Sealed when it is there, else made from the rows.
func (s *Store) ReadTile(t tlog.Tile) ([]byte, error) {
	full := t.W == ledger.TileWidth && s.Sealed != nil
	if full {
		if data, err := s.Sealed.Get(s.ctx, ledger.TilePath(t)); err == nil && data != nil {
			return data, nil
		}
	}
	data, err := s.rowTile(t)
	if err == nil && full {
		s.Sealed.Put(s.ctx, ledger.TilePath(t), data) // #nosec G104 -- best effort: the next read makes it again
	}
	return data, err
}

// rowTile makes a tile from the rows: a hash tile from the stored hashes,
// an entry bundle from the leaves.
func (s *Store) rowTile(t tlog.Tile) ([]byte, error) {
	if t.L != ledger.BundleLevel {
		return tlog.ReadTileData(t, s)
	}
	first := uint64(t.N) * ledger.TileWidth // #nosec G115 -- t.N is a tile index, never negative
	var bundle []byte
	err := s.ReadLeaves(first, first+uint64(t.W), func(_ uint64, leaf []byte) (err error) { // #nosec G115 -- t.W is a tile width, 1 to 256
		bundle, err = ledger.AppendBundleEntry(bundle, leaf)
		return err
	})
	return bundle, err
}

// IndexOfOp looks the op id up in the op-id index. A failed query answers
// false; the sequencer then relies on the UNIQUE index, which refuses the
// commit of a duplicate.
func (s *Store) IndexOfOp(op string) (uint64, bool) {
	rows, err := s.db.Query(s.ctx, "SELECT idx FROM entries WHERE op_id = ?", op)
	if err != nil || len(rows) == 0 {
		return 0, false
	}
	return uint64(asInt(rows[0][0])), true // #nosec G115 -- stored indexes are not negative
}

var _ ledger.Seeker = (*Store)(nil)

// Seek implements ledger.Seeker with the read indexes of the entries
// table: the first entry in [i, end) that may match f, found by one
// query, so that query and trace read only the entries that match. A
// failed query skips nothing (returns i): the scan then reads the rows.
func (s *Store) Seek(f *ledger.Filter, i, end uint64) uint64 {
	q := "SELECT MIN(idx) FROM entries WHERE idx >= ? AND idx < ?"
	args := []any{int64(i), int64(end)} // #nosec G115 -- entry indexes are below 2^63
	if f.Operation != "" {
		q, args = q+" AND operation = ?", append(args, f.Operation)
	}
	if f.ParentOpID != "" {
		q, args = q+" AND parent_op_id = ?", append(args, f.ParentOpID)
	}
	// Whole microseconds, rounded outward: an entry in the same
	// microsecond as a bound is not skipped (Query checks it exactly).
	if f.Since != 0 {
		q, args = q+" AND ts_us >= ?", append(args, floorDiv(f.Since, 1000))
	}
	if f.Until != 0 {
		q, args = q+" AND ts_us <= ?", append(args, floorDiv(f.Until-1, 1000))
	}
	rows, err := s.db.Query(s.ctx, q, args...)
	if err != nil || len(rows) == 0 {
		return i
	}
	if rows[0][0] == nil {
		return end
	}
	return uint64(asInt(rows[0][0])) // #nosec G115 -- stored indexes are not negative
}

// floorDiv is a/b rounded down (b > 0), for negative a too.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// maxParams is the most bound parameters D1 takes in one statement.
const maxParams = 100

// opSet is an op-id index read ahead for a sequencer.
type opSet map[string]uint64

func (o opSet) IndexOfOp(op string) (uint64, bool) { i, ok := o[op]; return i, ok }

// IndexOfOps looks many op ids up with one query per 100 (edge.OpLookup):
// what a sequencer needs to know of a group of appends.
func (s *Store) IndexOfOps(ops []string) (ledger.OpIndex, error) {
	found := opSet{}
	for len(ops) > 0 {
		chunk := ops[:min(len(ops), maxParams)]
		ops = ops[len(chunk):]
		args := make([]any, len(chunk))
		for i, op := range chunk {
			args[i] = op
		}
		rows, err := s.db.Query(s.ctx, "SELECT op_id, idx FROM entries WHERE op_id IN ("+placeholders(len(args))+")", args...)
		if err != nil {
			return nil, errDB("looking op ids up", err)
		}
		for _, r := range rows {
			found[asString(r[0])] = uint64(asInt(r[1])) // #nosec G115 -- stored indexes are not negative
		}
	}
	return found, nil
}

// Entry returns entry i, parsed from its leaf.
func (s *Store) Entry(i uint64) (*ledger.Entry, error) {
	var e *ledger.Entry
	err := s.ReadLeaves(i, i+1, func(_ uint64, leaf []byte) (err error) {
		e, err = ledger.ParseLeaf(s.origin, leaf)
		return err
	})
	return e, err
}

// Len returns the committed size (ledger.EntrySource).
func (s *Store) Len() uint64 { return uint64(s.size) } // #nosec G115 -- a tree size is not negative

// Get returns entry i (ledger.EntrySource). Query and Trace read entries
// one after another, so Get reads readChunk rows ahead with one query and
// answers the next ones from them.
func (s *Store) Get(i uint64) (*ledger.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < s.win.from || i >= s.win.from+uint64(len(s.win.leaves)) {
		end := min(uint64(max(s.size, 0)), i+readChunk) // #nosec G115 -- a tree size, not negative
		if i >= end {
			end = i + 1 // beyond the log: ReadLeaves says so
		}
		leaves := make([][]byte, 0, end-i)
		if err := s.ReadLeaves(i, end, func(_ uint64, leaf []byte) error { leaves = append(leaves, leaf); return nil }); err != nil {
			return nil, err
		}
		s.win = window{from: i, leaves: leaves}
	}
	return ledger.ParseLeaf(s.origin, s.win.leaves[i-s.win.from])
}

func errDB(what string, err error) *nu.Error {
	return &nu.Error{Code: ledger.CodeStore, Category: ledger.CategoryLedger, Message: "the Worker's log store failed: " + what,
		Details: err.Error(), Remediation: "retry; if it persists, check the D1 database (wrangler d1 info) and that its migrations are applied"}
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64: // D1 answers numbers as JavaScript numbers
		return int64(x)
	}
	return -1
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

func asBytes(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}
