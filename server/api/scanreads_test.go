package api

// The handlers of trace, guard events and the entries query as they were
// before the read index: scans of the store. TestIndexedReadsMatchScans
// compares the indexed handlers with them byte for byte.

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/policy"
)

func (s *Server) scanEntries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f ledger.Filter
	f.Operation = q.Get("operation")
	f.ParentOpID = q.Get("parent_op_id")
	var err error
	num := func(name string) uint64 {
		v := q.Get(name)
		if v == "" || err != nil {
			return 0
		}
		x, e := strconv.ParseUint(v, 10, 63)
		if e != nil {
			err = apiErr(CodeBadParam, "query parameter "+name+" must be a non-negative integer", "got "+strconv.Quote(v), "")
		}
		return x
	}
	when := func(name string) int64 {
		v := q.Get(name)
		if v == "" || err != nil {
			return 0
		}
		t, e := time.Parse(time.RFC3339Nano, v)
		if e != nil {
			err = apiErr(CodeBadParam, "query parameter "+name+" must be an RFC 3339 time", "got "+strconv.Quote(v), "e.g. 2026-11-24T10:00:00Z")
		}
		return t.UnixNano()
	}
	f.FromIndex, f.ToIndex = num("from"), num("to")
	if x := num("from_index"); x != 0 {
		f.FromIndex = x
	}
	if x := num("to_index"); x != 0 {
		f.ToIndex = x
	}
	f.Since, f.Until = when("since"), when("until")
	limit := int(num("limit"))
	if err != nil {
		writeError(w, err)
		return
	}
	if limit == 0 {
		limit = 100
	}
	if limit > 1000 {
		writeError(w, apiErr(CodeBadParam, "limit is at most 1000", "got "+itoa(int64(limit)), "page with the cursor"))
		return
	}
	page, err := ledger.Query(s.cfg.Store, f, limit, q.Get("cursor"))
	if err != nil {
		writeError(w, err)
		return
	}
	entries := page.Entries
	if entries == nil {
		entries = []*ledger.Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries, "next": page.Next, "tree_size": s.cfg.Store.Len()})
}

func (s *Server) scanTrace(w http.ResponseWriter, r *http.Request) {
	t, err := ledger.Trace(s.cfg.Store, r.PathValue("op_id"), 1000)
	if err != nil {
		writeError(w, err)
		return
	}
	anc, ch := t.Ancestors, t.Children
	if anc == nil {
		anc = []*ledger.Entry{}
	}
	if ch == nil {
		ch = []*ledger.Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entry": t.Entry, "ancestors": anc, "children": ch})
}

func (s *Server) scanGuardEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	minLevel := ledger.Level(q.Get("level"))
	if minLevel != "" && !minLevel.Valid() {
		writeError(w, apiErr(CodeBadParam, "level must be info, warning, error or critical", "got "+strconv.Quote(string(minLevel)), ""))
		return
	}
	rule := q.Get("rule")
	var since, until int64
	for name, dst := range map[string]*int64{"since": &since, "until": &until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				writeError(w, apiErr(CodeBadParam, name+" must be an RFC 3339 time", "got "+strconv.Quote(v), ""))
				return
			}
			*dst = t.UnixNano()
		}
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, apiErr(CodeBadParam, "limit must be 1 to 1000", "got "+strconv.Quote(v), ""))
			return
		}
		limit = n
	}
	from := uint64(0)
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseUint(v, 10, 63)
		if err != nil {
			writeError(w, apiErr(CodeBadParam, "bad cursor", "", "use the next of the previous page"))
			return
		}
		from = n
	}
	out := []policy.GuardHit{}
	n := s.cfg.Store.Len()
	next := ""
	for i := from; i < n; i++ {
		e, err := s.cfg.Store.Get(i)
		if err != nil {
			writeError(w, err)
			return
		}
		if len(e.Guard) == 0 || (since != 0 && e.Timestamp < since) || (until != 0 && e.Timestamp >= until) {
			continue
		}
		var evs []ledger.GuardEvent
		for _, ev := range e.Guard {
			if (rule == "" || ev.Rule == rule) && (minLevel == "" || policy.Rank(ev.Level) >= policy.Rank(minLevel)) {
				evs = append(evs, ev)
			}
		}
		if len(evs) == 0 {
			continue
		}
		if len(out) == limit {
			next = strconv.FormatUint(i, 10)
			break
		}
		out = append(out, policy.GuardHit{Index: e.Index, OpID: e.OpID, Operation: e.Operation, PolicyHash: hexHash(e.PolicyHash),
			Timestamp: time.Unix(0, e.Timestamp).UTC().Format(time.RFC3339Nano), Events: evs})
	}
	writeJSON(w, http.StatusOK, policy.GuardEventsPage{Events: out, Next: next})
}
