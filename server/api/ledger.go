package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// proofJSON is an inclusion proof with the checkpoint it leads to.
type proofJSON struct {
	Index      uint64   `json:"index"`
	TreeSize   int64    `json:"tree_size"`
	LeafHash   string   `json:"leaf_hash"`
	Hashes     []string `json:"hashes"`
	Checkpoint string   `json:"checkpoint"`
}

func b64(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// proveEntry returns the inclusion proof of e in the latest checkpoint, as
// JSON and as the proof itself.
func (s *Server) proveEntry(e *ledger.Entry) (*proofJSON, tlog.RecordProof, error) {
	cp, size := s.cfg.Store.Latest()
	p, err := s.cfg.Store.InclusionProof(int64(e.Index), size) // #nosec G115 -- an entry of the store: its index is below the log's size (a tree size, below 2^63)
	if err != nil {
		return nil, nil, err
	}
	h := e.Hash(s.cfg.Store.Origin())
	return &proofJSON{Index: e.Index, TreeSize: size, LeafHash: base64.StdEncoding.EncodeToString(h[:]), Hashes: b64(p), Checkpoint: string(cp)}, p, nil
}

// query parameters of /ledger/entries and /ledger/query
func (s *Server) entries(w http.ResponseWriter, r *http.Request) {
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
	n := num("limit")
	if err != nil {
		writeError(w, err)
		return
	}
	if n == 0 {
		n = 100
	}
	if n > 1000 { // before the conversion to int, which would wrap on a 32-bit platform
		writeError(w, apiErr(CodeBadParam, "limit is at most 1000", "got "+strconv.FormatUint(n, 10), "page with the cursor"))
		return
	}
	limit := int(n)
	// Through the read index when it is ready: the same pages, reading only
	// the entries it cannot rule out (Query is bounded by its scan budget
	// either way, so it does not wait for the index).
	var src ledger.EntrySource = s.cfg.Store
	if idx, err := s.readIndex(); err == nil {
		src = idx
	}
	page, err := ledger.Query(src, f, limit, q.Get("cursor"))
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

func (s *Server) entry(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.ParseUint(r.PathValue("index"), 10, 63)
	if err != nil {
		writeError(w, apiErr(CodeBadParam, "index must be a non-negative integer", "got "+strconv.Quote(r.PathValue("index")), ""))
		return
	}
	e, err := s.cfg.Store.Get(i)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (s *Server) trace(w http.ResponseWriter, r *http.Request) {
	idx, err := s.readIndex()
	if err != nil {
		writeError(w, err)
		return
	}
	t, err := ledger.Trace(idx, r.PathValue("op_id"), 1000) // children from the index
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

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="ebios-ledger.json"`)
	if err := s.cfg.Store.WriteBundle(w, -1, nil); err != nil {
		// Headers are gone; the truncated bundle fails verification.
		s.cfg.Logger.Error("export failed", "err", err)
	}
}

func (s *Server) key(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s.cfg.Store.VerifierKey() + "\n")) // #nosec G104 -- write errors to an http.ResponseWriter are the client's disconnect; nothing to do
}

// checkpoint returns the latest signed checkpoint as a C2SP signed note
// (text/plain), as transparency-log tooling expects.
func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(s.cfg.Store.Checkpoint()) // #nosec G104 -- write errors to an http.ResponseWriter are the client's disconnect; nothing to do
}

func (s *Server) inclusion(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	i, err := strconv.ParseUint(q.Get("index"), 10, 63)
	if err != nil {
		writeError(w, apiErr(CodeBadParam, "index must be a non-negative integer", "got "+strconv.Quote(q.Get("index")), ""))
		return
	}
	e, err := s.cfg.Store.Get(i)
	if err != nil {
		writeError(w, err)
		return
	}
	p, _, err := s.proveEntry(e)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) consistency(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	old, err := strconv.ParseInt(q.Get("old"), 10, 64)
	if err != nil || old < 0 {
		writeError(w, apiErr(CodeBadParam, "old must be a tree size (non-negative integer)", "got "+strconv.Quote(q.Get("old")), ""))
		return
	}
	cp, size := s.cfg.Store.Latest()
	var p tlog.TreeProof
	if old > 0 { // the empty tree is a prefix of every tree: an empty proof
		if p, err = s.cfg.Store.ConsistencyProof(old, size); err != nil {
			writeError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"old_size": old, "new_size": size, "hashes": b64(p), "checkpoint": string(cp)})
}

// verifyOp re-verifies one entry on the server: signature by the log key,
// and inclusion in the latest signed checkpoint.
func (s *Server) verifyOp(w http.ResponseWriter, r *http.Request) {
	e, err := ledger.FindOp(s.cfg.Store, r.PathValue("op_id"))
	if err != nil {
		writeError(w, err)
		return
	}
	if err := e.Verify(s.cfg.Store.Origin(), s.verifier); err != nil {
		s.verified("entry", false)
		writeJSON(w, http.StatusOK, map[string]any{"verified": false, "op_id": e.OpID, "index": e.Index, "reason": err.Error()})
		return
	}
	p, proof, err := s.proveEntry(e)
	if err == nil {
		_, err = ledger.VerifyInclusion(s.verifier, s.cfg.Store.Origin(), []byte(p.Checkpoint), e, proof)
	}
	s.verified("entry", err == nil)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"verified": false, "op_id": e.OpID, "index": e.Index, "reason": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"verified": true, "op_id": e.OpID, "index": e.Index, "entry": e,
		"checks": []string{"signature by the log key", "inclusion in the latest signed checkpoint"}, "inclusion_proof": p})
}

// verified reports a verification's verdict to Config.OnVerify.
func (s *Server) verified(scope string, ok bool) {
	if s.cfg.OnVerify != nil {
		s.cfg.OnVerify(scope, ok)
	}
}
