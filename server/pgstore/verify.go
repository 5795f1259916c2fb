package pgstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/logstore"
	"golang.org/x/mod/sumdb/tlog"
)

// VerifyContext verifies the whole log in two phases. First what reads
// and proofs are served from: every row of ebios_entries is the entry its
// index says (no row missing, none moved), its columns agree with its
// signed body, the tree hashes stored with it are the ones the entries
// give, and every checkpoint in ebios_checkpoints is signed by the log's
// key over the root of the tree of its size. Then the log as its export
// bundle, as an auditor verifies it: signatures, chain links, op ids and
// the Merkle root against the latest checkpoint. The report names the
// first bad entry. When ctx ends it returns ctx's error.
func (s *Store) VerifyContext(ctx context.Context, progress func(phase logstore.VerifyPhase, done, total int64)) (*ledger.Report, error) {
	if progress == nil {
		progress = func(logstore.VerifyPhase, int64, int64) {}
	}
	if rep, err := s.checkStored(ctx, func(done, total int64) { progress(logstore.PhaseStored, done, total) }); rep != nil || err != nil {
		return rep, err
	}
	return logstore.VerifyExport(ctx, func(w io.Writer) error { return s.WriteBundle(w, -1, nil) }, s.verifier, progress)
}

// checkStored is the first phase of VerifyContext: a failed report, or
// nil when the rows are sound.
func (s *Store) checkStored(ctx context.Context, progress func(done, total int64)) (*ledger.Report, error) {
	head, size := s.Latest()
	bad := func(i int64, check, reason string) (*ledger.Report, error) {
		f := &ledger.Failure{Index: i, Check: check, Code: ledgerstore.CodeDamaged, Reason: reason,
			Remediation: "the ebios_ tables were altered; restore the database from a backup taken before, then verify again"}
		return &ledger.Report{FirstBad: f, Entries: max(i, 0)}, f.Err()
	}
	cps, err := s.checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	var (
		op, operation string
		parent        *string
		ts            int64
		leaf, hs      []byte
		edge          = edgeHashes{}
		failed        *ledger.Report
		ferr          error
	)
	checkCheckpoint := func(n int64) bool {
		cp, ok := cps[n]
		if !ok {
			return true
		}
		root, err := tlog.TreeHash(n, edge)
		if err != nil {
			failed, ferr = bad(n-1, ledger.CheckRoot, fmt.Sprintf("the tree of %d entries: %v", n, err))
			return false
		}
		c, err := ledger.OpenCheckpoint(cp, s.verifier, s.origin)
		switch {
		case err != nil:
			failed, ferr = bad(-1, ledger.CheckCheckpoint, fmt.Sprintf("the checkpoint of size %d in ebios_checkpoints: %v", n, err))
		case c.Size != n:
			failed, ferr = bad(-1, ledger.CheckCheckpoint, fmt.Sprintf("the checkpoint recorded for size %d is for size %d", n, c.Size))
		case c.Root != root:
			failed, ferr = bad(n-1, ledger.CheckRoot, fmt.Sprintf("the checkpoint of size %d does not commit to the entries 0 to %d as stored", n, n-1))
		}
		return failed == nil
	}
	if cp, ok := cps[size]; !ok || !bytes.Equal(cp, head) {
		return bad(-1, ledger.CheckCheckpoint, fmt.Sprintf("the head's checkpoint (size %d) is not the one ebios_checkpoints recorded for that size", size))
	}
	if !checkCheckpoint(0) {
		return failed, ferr
	}
	err = readRows(s.pool, 0, uint64(size), "op_id, parent_op_id, ts, operation, leaf, hashes", func(i uint64) error { // #nosec G115 -- a tree size
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int64(i) // #nosec G115 -- an index below a tree size
		e, err := ledger.ParseLeaf(s.origin, leaf)
		if err != nil {
			failed, ferr = bad(n, ledger.CheckFormat, fmt.Sprintf("entry %d does not decode: %v", n, err))
			return errStop
		}
		if e.Index != i {
			failed, ferr = bad(n, ledger.CheckIndex, fmt.Sprintf("the row of index %d holds entry %d", n, e.Index))
			return errStop
		}
		p := ""
		if parent != nil {
			p = *parent
		}
		if op != e.OpID || p != e.ParentOpID || ts != e.Timestamp || operation != e.Operation {
			failed, ferr = bad(n, ledger.CheckFields, fmt.Sprintf("entry %d: the op_id, parent_op_id, ts or operation column differs from the signed entry", n))
			return errStop
		}
		want, err := tlog.StoredHashesForRecordHash(n, tlog.RecordHash(leaf), edge)
		if err != nil {
			failed, ferr = bad(n, ledger.CheckRoot, fmt.Sprintf("entry %d: %v", n, err))
			return errStop
		}
		if len(hs) != len(want)*tlog.HashSize {
			failed, ferr = bad(n, ledger.CheckRoot, fmt.Sprintf("entry %d has %d bytes of tree hashes, not %d", n, len(hs), len(want)*tlog.HashSize))
			return errStop
		}
		first := tlog.StoredHashCount(n)
		for k, h := range want {
			if tlog.Hash(hs[k*tlog.HashSize:]) != h {
				failed, ferr = bad(n, ledger.CheckRoot, fmt.Sprintf("entry %d: tree hash %d stored with it is not the one the entries give", n, k))
				return errStop
			}
			edge[first+int64(k)] = h
		}
		edge.trim(n + 1)
		if !checkCheckpoint(n + 1) {
			return errStop
		}
		if (n+1)%1024 == 0 || n+1 == size {
			progress(n+1, size)
		}
		return nil
	}, &op, &parent, &ts, &operation, &leaf, &hs)
	if failed != nil {
		return failed, ferr
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var mr *missingRow
		if errors.As(err, &mr) {
			return bad(int64(mr.i), ledger.CheckIndex, mr.detail) // #nosec G115 -- an index below a tree size
		}
		return nil, err
	}
	for n := range cps {
		if n > size {
			return bad(-1, ledger.CheckCheckpoint, fmt.Sprintf("ebios_checkpoints has a checkpoint of size %d, beyond the log's %d entries", n, size))
		}
	}
	return nil, nil
}

// errStop stops a read whose callback has set the report.
var errStop = errors.New("stop")

// checkpoints reads ebios_checkpoints.
func (s *Store) checkpoints(ctx context.Context) (map[int64][]byte, error) {
	rows, err := s.pool.Query(ctx, "SELECT size, checkpoint FROM ebios_checkpoints")
	if err != nil {
		return nil, connErr("reading checkpoints", err)
	}
	defer rows.Close()
	cps := map[int64][]byte{}
	for rows.Next() {
		var n int64
		var cp []byte
		if err := rows.Scan(&n, &cp); err != nil {
			return nil, connErr("reading checkpoints", err)
		}
		cps[n] = cp
	}
	return cps, rows.Err()
}

// edgeHashes holds the stored hashes of the right edge of the tree being
// checked (a tlog.HashReader).
type edgeHashes map[int64]tlog.Hash

func (m edgeHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := m[x]
		if !ok {
			return nil, fmt.Errorf("tree hash %d is not on the edge", x)
		}
		out[i] = h
	}
	return out, nil
}

// trim keeps the hashes of the complete subtrees of the tree of n
// records: all that later records and roots need.
func (m edgeHashes) trim(n int64) {
	if len(m) < 256 {
		return
	}
	keep := map[int64]bool{}
	for level := 0; n>>level != 0; level++ {
		if n>>level&1 == 1 {
			keep[tlog.StoredHashIndex(level, n>>level-1)] = true
		}
	}
	for x := range m {
		if !keep[x] {
			delete(m, x)
		}
	}
}
