package edge

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

// The ledger reads: entries, query, trace, export, key, checkpoint, the
// C2SP tiles, proofs and verification of one entry.

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

// prove returns the inclusion proof of e in st's latest checkpoint.
func (s *Server) prove(st Store, e *ledger.Entry) (*proofJSON, tlog.RecordProof, error) {
	cp, size := st.Head()
	p, err := tlog.ProveRecord(size, int64(e.Index), st) // #nosec G115 -- an entry of the log: its index is below the log's size
	if err != nil {
		return nil, nil, apiErr(codeBadParam, "no inclusion proof for entry "+strconv.FormatUint(e.Index, 10), err.Error(), "")
	}
	h := e.Hash(st.Origin())
	return &proofJSON{Index: e.Index, TreeSize: size, LeafHash: base64.StdEncoding.EncodeToString(h[:]), Hashes: b64(p), Checkpoint: string(cp)}, p, nil
}

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
			err = apiErr(codeBadParam, "query parameter "+name+" must be a non-negative integer", "got "+strconv.Quote(v), "")
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
			err = apiErr(codeBadParam, "query parameter "+name+" must be an RFC 3339 time", "got "+strconv.Quote(v), "e.g. 2026-11-24T10:00:00Z")
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
	if n > 1000 {
		writeError(w, apiErr(codeBadParam, "limit is at most 1000", "got "+strconv.FormatUint(n, 10), "page with the cursor"))
		return
	}
	st, ok := s.open(w, r)
	if !ok {
		return
	}
	page, err := ledger.Query(st, f, int(n), q.Get("cursor"))
	if err != nil {
		writeError(w, err)
		return
	}
	es := page.Entries
	if es == nil {
		es = []*ledger.Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": es, "next": page.Next, "tree_size": st.Len()})
}

func pathIndex(w http.ResponseWriter, v string) (uint64, bool) {
	i, err := strconv.ParseUint(v, 10, 63)
	if err != nil {
		writeError(w, apiErr(codeBadParam, "index must be a non-negative integer", "got "+strconv.Quote(v), ""))
		return 0, false
	}
	return i, true
}

// get returns entry i of st, or writes the error (404 beyond the log).
func get(w http.ResponseWriter, st Store, i uint64) (*ledger.Entry, bool) {
	if i >= st.Len() {
		writeError(w, &nu.Error{Code: ledger.CodeNotFound, Category: ledger.CategoryLedger,
			Message: "entry " + strconv.FormatUint(i, 10) + " is not in the log", Details: "the log has " + strconv.FormatUint(st.Len(), 10) + " entries",
			Remediation: "ask for an index below the log's size"})
		return nil, false
	}
	e, err := st.Get(i)
	if err != nil {
		writeError(w, err)
		return nil, false
	}
	return e, true
}

func (s *Server) entry(w http.ResponseWriter, r *http.Request) {
	i, ok := pathIndex(w, r.PathValue("index"))
	if !ok {
		return
	}
	st, ok := s.open(w, r)
	if !ok {
		return
	}
	if e, ok := get(w, st, i); ok {
		writeJSON(w, http.StatusOK, e)
	}
}

// findOp returns the entry with op id op, through the op-id index.
func findOp(w http.ResponseWriter, st Store, op string) (*ledger.Entry, bool) {
	i, ok := st.IndexOfOp(op)
	if !ok {
		writeError(w, &nu.Error{Code: ledger.CodeNotFound, Category: ledger.CategoryLedger,
			Message: "op id " + strconv.Quote(op) + " is not in the log", Remediation: "check the op id"})
		return nil, false
	}
	return get(w, st, i)
}

// trace answers the entry, its ancestors (through parent op ids, each
// found with the op-id index) and its children. Children are found by a
// scan of the log (there is no read index at the edge), bounded as
// ledger.Trace bounds it.
func (s *Server) trace(w http.ResponseWriter, r *http.Request) {
	st, ok := s.open(w, r)
	if !ok {
		return
	}
	t, err := ledger.Trace(st, r.PathValue("op_id"), 1000)
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

// export writes the export bundle of the committed log: from Objects (R2)
// when it holds one of this size, else made from the rows and kept there.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	st, ok := s.open(w, r)
	if !ok {
		return
	}
	cp, size := st.Head()
	key := "bundles/" + strconv.FormatInt(size, 10) + ".json"
	var bundle []byte
	var err error
	if s.cfg.Objects != nil {
		if bundle, err = s.cfg.Objects.Get(r.Context(), key); err != nil {
			writeError(w, err)
			return
		}
	}
	if bundle == nil {
		if bundle, err = WriteBundle(st, cp, size, s.verifier.String()); err != nil {
			writeError(w, err)
			return
		}
		if s.cfg.Objects != nil {
			if err := s.cfg.Objects.Put(r.Context(), key, bundle); err != nil {
				writeError(w, err)
				return
			}
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="ebios-ledger.json"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(bundle)))
	w.Write(bundle) // #nosec G104 G705 -- write errors to an http.ResponseWriter are the client's disconnect; the bundle is JSON made by ledger.BundleWriter, sent as application/json
}

// WriteBundle returns the export bundle of the first size entries of st,
// whose signed checkpoint is cp.
func WriteBundle(st Store, cp []byte, size int64, key string) ([]byte, error) {
	var buf strings.Builder
	bw, err := ledger.NewBundleWriter(&buf, ledger.BundleHeader{Origin: st.Origin(), Key: key, Checkpoint: string(cp)})
	if err != nil {
		return nil, err
	}
	err = st.ReadLeaves(0, uint64(size), func(_ uint64, leaf []byte) error { // #nosec G115 -- a tree size, not negative
		e, err := ledger.ParseLeaf(st.Origin(), leaf)
		if err != nil {
			return err
		}
		return bw.WriteEntry(e)
	})
	if err != nil {
		return nil, err
	}
	if err := bw.Close(); err != nil {
		return nil, err
	}
	return []byte(buf.String()), nil
}

func (s *Server) key(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s.verifier.String() + "\n")) // #nosec G104 -- write errors to an http.ResponseWriter are the client's disconnect; nothing to do
}

func (s *Server) writeCheckpoint(w http.ResponseWriter, r *http.Request, cache string) {
	st, ok := s.open(w, r)
	if !ok {
		return
	}
	cp, _ := st.Head()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", cache)
	w.Write(cp) // #nosec G104 G705 -- write errors to an http.ResponseWriter are the client's disconnect; the checkpoint is the store's signed note, sent as text/plain
}

// checkpoint returns the latest signed checkpoint (a C2SP signed note).
func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request) {
	s.writeCheckpoint(w, r, "no-store")
}

// cacheControl returns the Cache-Control of a tile route's response.
func (s *Server) cacheControl(rest string) string {
	if s.cfg.LogPublic {
		return "public, " + rest
	}
	return "private, " + rest
}

func (s *Server) logCheckpoint(w http.ResponseWriter, r *http.Request) {
	s.writeCheckpoint(w, r, s.cacheControl("max-age=5"))
}

func (s *Server) logTile(w http.ResponseWriter, r *http.Request) {
	s.serveTile(w, r, "tile/"+r.PathValue("L")+"/"+r.PathValue("N"))
}

func (s *Server) logEntries(w http.ResponseWriter, r *http.Request) {
	s.serveTile(w, r, "tile/entries/"+r.PathValue("N"))
}

func (s *Server) serveTile(w http.ResponseWriter, r *http.Request, path string) {
	t, err := ledger.ParseTilePath(path)
	if err != nil {
		e, _ := nu.AsError(err)
		writeError(w, apiErr(codeNotFound, "no such tile: "+path, e.Details, e.Remediation))
		return
	}
	st, ok := s.open(w, r)
	if !ok {
		return
	}
	data, err := st.ReadTile(t)
	if err != nil {
		writeError(w, apiErr(codeNotFound, "no such tile: "+path, err.Error(), "ask for tiles of the tree the latest checkpoint commits"))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if t.W == ledger.TileWidth {
		w.Header().Set("Cache-Control", s.cacheControl("max-age=31536000, immutable"))
	} else {
		w.Header().Set("Cache-Control", s.cacheControl("max-age=60"))
	}
	w.Write(data) // #nosec G104 G705 -- write errors to an http.ResponseWriter are the client's disconnect; the tile is binary data sent as application/octet-stream with nosniff
}

func (s *Server) inclusion(w http.ResponseWriter, r *http.Request) {
	i, ok := pathIndex(w, r.URL.Query().Get("index"))
	if !ok {
		return
	}
	st, ok := s.open(w, r)
	if !ok {
		return
	}
	e, ok := get(w, st, i)
	if !ok {
		return
	}
	p, _, err := s.prove(st, e)
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
		writeError(w, apiErr(codeBadParam, "old must be a tree size (non-negative integer)", "got "+strconv.Quote(q.Get("old")), ""))
		return
	}
	st, ok := s.open(w, r)
	if !ok {
		return
	}
	cp, size := st.Head()
	if old > size {
		writeError(w, apiErr(codeBadParam, "old is larger than the log", "old "+strconv.FormatInt(old, 10)+", size "+strconv.FormatInt(size, 10),
			"ask for a size at most the latest checkpoint's"))
		return
	}
	var p tlog.TreeProof
	if old > 0 {
		if p, err = tlog.ProveTree(size, old, st); err != nil {
			writeError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"old_size": old, "new_size": size, "hashes": b64(p), "checkpoint": string(cp)})
}

// verifyOp re-verifies one entry, found by op id: its signature by the log
// key, and its inclusion in the latest signed checkpoint.
func (s *Server) verifyOp(w http.ResponseWriter, r *http.Request) {
	st, ok := s.open(w, r)
	if !ok {
		return
	}
	e, ok := findOp(w, st, r.PathValue("op_id"))
	if !ok {
		return
	}
	fail := func(err error) {
		writeJSON(w, http.StatusOK, map[string]any{"verified": false, "op_id": e.OpID, "index": e.Index, "reason": err.Error()})
	}
	if err := e.Verify(st.Origin(), s.verifier); err != nil {
		fail(err)
		return
	}
	p, proof, err := s.prove(st, e)
	if err == nil {
		_, err = ledger.VerifyInclusion(s.verifier, st.Origin(), []byte(p.Checkpoint), e, proof)
	}
	if err != nil {
		fail(err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"verified": true, "op_id": e.OpID, "index": e.Index, "entry": e,
		"checks": []string{"signature by the log key", "inclusion in the latest signed checkpoint"}, "inclusion_proof": p})
}
