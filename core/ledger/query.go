package ledger

import (
	"strconv"
	"strings"
)

// EntrySource is read access to the entries of a log, by index. [Log]
// implements it; the server implements it over its store. Entries returned
// must not be modified.
type EntrySource interface {
	// Len returns the number of entries.
	Len() uint64
	// Get returns entry i, 0 <= i < Len().
	Get(i uint64) (*Entry, error)
}

// OpIndexer is an optional interface of an [EntrySource] that can find an
// entry by op id without a scan.
type OpIndexer interface {
	IndexOfOp(opID string) (uint64, bool)
}

// Seeker is an optional interface of an [EntrySource] that has an index of
// its entries, so that [Query] and [Trace] read only the entries that may
// match a filter instead of scanning. Results are the same with or without
// it: a seeker only skips entries that do not match.
type Seeker interface {
	// Seek returns the smallest j in [i, end) such that entry j may match
	// f (by f's Operation, ParentOpID, Since and Until; index bounds are the
	// caller's), or end when no entry in [i, end) matches. Every entry it
	// skips must not match f; the entry at j may still not match.
	Seek(f *Filter, i, end uint64) uint64
}

// Entries is an [EntrySource] over a slice.
type Entries []*Entry

// Len returns len(s).
func (s Entries) Len() uint64 { return uint64(len(s)) }

// Get returns s[i].
func (s Entries) Get(i uint64) (*Entry, error) {
	if i >= uint64(len(s)) {
		return nil, errNotFound("index " + utoa(i))
	}
	return s[i], nil
}

// FindOp returns the entry with op id opID, using the source's [OpIndexer]
// when it has one and a scan otherwise.
func FindOp(src EntrySource, opID string) (*Entry, error) {
	if ix, ok := src.(OpIndexer); ok {
		i, ok := ix.IndexOfOp(opID)
		if !ok {
			return nil, errNotFound("op id " + quote(opID))
		}
		return src.Get(i)
	}
	n := src.Len()
	for i := uint64(0); i < n; i++ {
		e, err := src.Get(i)
		if err != nil {
			return nil, err
		}
		if e.OpID == opID {
			return e, nil
		}
	}
	return nil, errNotFound("op id " + quote(opID))
}

// MaxTraceDepth bounds the ancestor chain [Trace] follows.
const MaxTraceDepth = 10000

// CausalTrace is the causal context of one operation.
type CausalTrace struct {
	// Entry is the operation asked for.
	Entry *Entry
	// Ancestors are its parent, grandparent, ... up to the root (an entry
	// without parent), nearest first.
	Ancestors []*Entry
	// Children are the entries whose parent is Entry, in index order.
	Children []*Entry
}

// Trace returns the causal trace of the operation opID: its ancestors, found
// by following parent op ids, and its direct children (the entries after it
// whose parent is opID, found with the source's [Seeker] when it has one
// and by a scan otherwise; at most maxChildren, or all when maxChildren <= 0).
func Trace(src EntrySource, opID string, maxChildren int) (*CausalTrace, error) {
	e, err := FindOp(src, opID)
	if err != nil {
		return nil, err
	}
	t := &CausalTrace{Entry: e}
	for p := e; p.ParentOpID != ""; {
		if len(t.Ancestors) >= MaxTraceDepth {
			return nil, newErr(CodeQuery, "causal chain longer than "+itoa(MaxTraceDepth), "", "trace from an entry nearer the root")
		}
		q, err := FindOp(src, p.ParentOpID)
		if err != nil {
			return nil, err
		}
		if q.Index >= p.Index {
			return nil, newErr(CodeOpID, "entry "+utoa(p.Index)+" names a parent that is not earlier", "", "verify the log")
		}
		t.Ancestors = append(t.Ancestors, q)
		p = q
	}
	n := src.Len()
	sk, _ := src.(Seeker)
	children := Filter{ParentOpID: opID}
	for i := e.Index + 1; i < n; i++ {
		if sk != nil {
			if i = sk.Seek(&children, i, n); i >= n {
				break
			}
		}
		c, err := src.Get(i)
		if err != nil {
			return nil, err
		}
		if c.ParentOpID == opID {
			t.Children = append(t.Children, c)
			if maxChildren > 0 && len(t.Children) >= maxChildren {
				break
			}
		}
	}
	return t, nil
}

// Filter selects entries for [Query]. Zero fields select everything.
type Filter struct {
	// Operation selects entries with this operation name.
	Operation string
	// ParentOpID selects the direct children of this op id.
	ParentOpID string
	// FromIndex and ToIndex select indexes in [FromIndex, ToIndex); ToIndex 0
	// means no upper bound.
	FromIndex, ToIndex uint64
	// Since and Until select timestamps (Unix nanoseconds) in
	// [Since, Until); 0 means no bound. Timestamps are informational and not
	// necessarily monotonic, so a time range is a filter, not a seek.
	Since, Until int64
}

func (f *Filter) match(e *Entry) bool {
	return (f.Operation == "" || e.Operation == f.Operation) &&
		(f.ParentOpID == "" || e.ParentOpID == f.ParentOpID) &&
		(f.Since == 0 || e.Timestamp >= f.Since) &&
		(f.Until == 0 || e.Timestamp < f.Until)
}

// Page limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Page is one page of [Query] results.
type Page struct {
	Entries []*Entry `json:"entries"`
	// Next is the cursor of the next page, or empty on the last page.
	Next string `json:"next,omitempty"`
}

// cursorPrefix marks cursors so that a cursor is not mistaken for an index.
const cursorPrefix = "i"

// Query returns the entries that match f in index order, at most limit
// (DefaultLimit when limit <= 0, at most MaxLimit) starting at cursor (empty
// for the first page; afterwards Page.Next). A cursor is opaque to callers.
// At most 100 × limit entries are scanned per call; a page may then be
// short but still carry a Next cursor. A source with a [Seeker] reads only
// the entries its index cannot rule out, with the same results: skipped
// entries count against the scan budget as if they had been read.
func Query(src EntrySource, f Filter, limit int, cursor string) (*Page, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit > MaxLimit {
		limit = MaxLimit
	}
	start := f.FromIndex
	if cursor != "" {
		c, err := parseCursor(cursor)
		if err != nil {
			return nil, err
		}
		start = max(start, c)
	}
	end := src.Len()
	if f.ToIndex != 0 && f.ToIndex < end {
		end = f.ToIndex
	}
	p := &Page{Entries: []*Entry{}}
	budget := uint64(100 * limit)
	sk, _ := src.(Seeker)
	if f.Operation == "" && f.ParentOpID == "" && f.Since == 0 && f.Until == 0 {
		sk = nil // every entry matches: nothing to skip
	}
	i := start
	for ; i < end && len(p.Entries) < limit && budget > 0; i++ {
		if sk != nil {
			j := sk.Seek(&f, i, min(end, i+budget))
			budget -= j - i
			if i = j; i >= end || budget == 0 {
				break
			}
		}
		budget--
		e, err := src.Get(i)
		if err != nil {
			return nil, err
		}
		if f.match(e) {
			p.Entries = append(p.Entries, e)
		}
	}
	if i < end {
		p.Next = cursorPrefix + strconv.FormatUint(i, 10)
	}
	return p, nil
}

func parseCursor(c string) (uint64, error) {
	s, ok := strings.CutPrefix(c, cursorPrefix)
	i, err := strconv.ParseUint(s, 10, 64)
	if !ok || err != nil {
		return 0, newErr(CodeQuery, "invalid cursor "+quote(c), "", "pass the next cursor of the previous page unchanged")
	}
	return i, nil
}
