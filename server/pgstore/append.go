package pgstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"
)

// request is one AppendBatch waiting for its commit.
type request struct {
	drafts []ledger.Draft
	reply  chan reply
}

type reply struct {
	es  []*ledger.Entry
	err error
}

// edge is what the committer knows of the committed tree: its right edge
// and the link hash of its last entry. It is brought up to the head row's
// size in each commit transaction.
type edge struct {
	tree *ledger.Tree
	last tlog.Hash
}

// commitTimeout bounds one commit transaction.
const commitTimeout = 30 * time.Second

// Append logs d and returns the signed entry once it is committed.
func (s *Store) Append(ctx context.Context, d ledger.Draft) (*ledger.Entry, error) {
	es, err := s.AppendBatch(ctx, []ledger.Draft{d})
	if err != nil {
		return nil, err
	}
	return es[0], nil
}

// AppendBatch logs the drafts as consecutive entries, all in one commit or
// none, and returns them once COMMIT has returned. Invalid drafts,
// duplicate op ids and unknown parent op ids are refused before anything
// is written. If ctx ends first, AppendBatch returns ctx.Err(); the
// entries may still be committed.
func (s *Store) AppendBatch(ctx context.Context, ds []ledger.Draft) ([]*ledger.Entry, error) {
	if len(ds) == 0 {
		return nil, pgErr(ledger.CodeInvalidEntry, "nothing to append", "", "give at least one entry")
	}
	for i := range ds {
		if err := ds[i].Validate(); err != nil {
			return nil, err
		}
	}
	if s.signer == nil {
		return nil, pgErr(ledgerstore.CodeClosed, "the ledger store is open read-only", "", "open it with its signing key to append")
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return nil, errClosed()
	}
	r := &request{drafts: ds, reply: make(chan reply, 1)}
	select {
	case s.reqs <- r:
	case <-s.quit:
		return nil, errClosed()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case rep := <-r.reply:
		return rep.es, rep.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run is the committer: it gathers the requests waiting (group commit)
// and commits them, one transaction at a time, until the store closes.
func (s *Store) run() {
	defer close(s.done)
	for {
		select {
		case r := <-s.reqs:
			s.commit(s.gather(r))
		case <-s.quit:
			for {
				select {
				case r := <-s.reqs:
					s.commit(s.gather(r))
				default:
					return
				}
			}
		}
	}
}

// gather returns r and the requests queued behind it, up to MaxBatch
// drafts.
func (s *Store) gather(r *request) []*request {
	batch, n := []*request{r}, len(r.drafts)
	for n < s.opts.MaxBatch {
		select {
		case r := <-s.reqs:
			batch, n = append(batch, r), n+len(r.drafts)
		default:
			return batch
		}
	}
	return batch
}

// commit sequences, signs and commits the requests in one transaction,
// and answers each. A request the sequencer refuses (a duplicate op id)
// is answered alone; the others are committed.
func (s *Store) commit(batch []*request) {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	ok, es, size, err := s.commitTx(ctx, batch)
	if err != nil {
		s.edge = nil // the tree state may be ahead of the database: read it again
		for _, r := range ok {
			r.reply <- reply{err: err}
		}
		return
	}
	at := 0
	for _, r := range ok {
		r.reply <- reply{es: es[at : at+len(r.drafts)]}
		at += len(r.drafts)
	}
	if s.opts.OnCommit != nil && len(es) > 0 {
		s.opts.OnCommit(size, es)
	}
}

// commitTx is one commit transaction. It returns the requests it took
// (answering the ones it refused itself), their entries in order, and the
// new tree size.
func (s *Store) commitTx(ctx context.Context, batch []*request) (ok []*request, es []*ledger.Entry, newSize uint64, err error) {
	ok = batch
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return ok, nil, 0, connErr("starting a commit", err)
	}
	defer tx.Rollback(ctx) // #nosec G104 -- after Commit, Rollback does nothing; on an error path the error returned is the one to report
	// The lease: the head row, locked until COMMIT or ROLLBACK.
	var size int64
	if err := tx.QueryRow(ctx, "SELECT size FROM ebios_log WHERE id = 1 FOR UPDATE").Scan(&size); err != nil {
		return ok, nil, 0, connErr("locking the log's head", err)
	}
	if err := s.catchUp(ctx, tx, size); err != nil {
		return ok, nil, 0, err
	}
	known, err := knownOps(ctx, tx, batch)
	if err != nil {
		return ok, nil, 0, err
	}
	q := ledger.NewSequencer(s.origin, ledger.KeyID(s.signer.KeyHash()), uint64(size), s.edge.last) // #nosec G115 -- a tree size
	var ps []ledger.Pending
	ok = nil
	now := s.opts.Now().UnixNano()
	for _, r := range batch {
		p, err := q.Sequence(r.drafts, now, known)
		if err != nil {
			r.reply <- reply{err: err}
			continue
		}
		ok = append(ok, r)
		ps = append(ps, p...)
	}
	if len(ps) == 0 {
		return ok, nil, uint64(size), nil // #nosec G115 -- a tree size
	}
	sign(ps, s.signer)
	hashes := make([][]tlog.Hash, len(ps))
	for i := range ps {
		if hashes[i], err = s.edge.tree.AddHash(ps[i].LeafHash()); err != nil {
			return ok, nil, 0, err
		}
	}
	cp, _, err := s.edge.tree.Checkpoint(s.origin, s.signer)
	if err != nil {
		return ok, nil, 0, err
	}
	rows := make([][]any, len(ps))
	es = make([]*ledger.Entry, len(ps))
	for i, p := range ps {
		e := p.Entry
		es[i] = e
		var parent any
		if e.ParentOpID != "" {
			parent = e.ParentOpID
		}
		hs := make([]byte, 0, len(hashes[i])*tlog.HashSize)
		for _, h := range hashes[i] {
			hs = append(hs, h[:]...)
		}
		rows[i] = []any{int64(e.Index), e.OpID, parent, e.Timestamp, e.Operation, p.Leaf(), hs} // #nosec G115 -- an index below 2^63
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ebios_entries"},
		[]string{"idx", "op_id", "parent_op_id", "ts", "operation", "leaf", "hashes"}, pgx.CopyFromRows(rows)); err != nil {
		return ok, nil, 0, connErr("writing entries", err)
	}
	newSize = uint64(size) + uint64(len(ps)) // #nosec G115 -- a tree size
	// Compare-and-swap on the commit record: the safety net under the lock.
	tag, err := tx.Exec(ctx, "UPDATE ebios_log SET size = $1, checkpoint = $2, writer = $3, updated = now() WHERE id = 1 AND size = $4",
		int64(newSize), cp, s.opts.Instance, size) // #nosec G115 -- a tree size
	if err != nil {
		return ok, nil, 0, connErr("moving the log's head", err)
	}
	if tag.RowsAffected() != 1 {
		return ok, nil, 0, fmt.Errorf("the head moved from size %d: %w", size, ledger.ErrConflict)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO ebios_checkpoints (size, checkpoint, writer) VALUES ($1, $2, $3)",
		int64(newSize), cp, s.opts.Instance); err != nil { // #nosec G115 -- a tree size
		return ok, nil, 0, connErr("recording the checkpoint", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return ok, nil, 0, connErr("committing", err)
	}
	s.edge.last = ps[len(ps)-1].Link
	s.head.Store(&head{cp, int64(newSize)}) // #nosec G115 -- a tree size
	return ok, es, newSize, nil
}

// sign signs the entries' bodies on all cores.
func sign(ps []ledger.Pending, signer *ledger.Signer) {
	workers := min(runtime.GOMAXPROCS(0), (len(ps)+63)/64)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ps); i += workers {
				ps[i].Sign(signer) // #nosec G104 -- a *ledger.Signer (Ed25519 in memory) never fails
			}
		}()
	}
	wg.Wait()
}

// maxCatchUp is how many entries committed by other instances the
// committer adds to its tree edge one by one; beyond that it reads the
// edge afresh.
const maxCatchUp = 1 << 16

// catchUp brings the committer's edge to the tree of size entries: it
// adds the record hashes of the entries other instances committed since
// its last commit (checking that the tree hashes they stored are the ones
// they give), or reads the edge afresh.
func (s *Store) catchUp(ctx context.Context, tx pgx.Tx, size int64) error {
	if s.edge != nil && s.edge.tree.Size() == size {
		return nil
	}
	if s.edge == nil || s.edge.tree.Size() > size || size-s.edge.tree.Size() > maxCatchUp {
		tree, err := ledger.NewTree(size, hashReader{tx})
		if err != nil {
			return connErr("reading the tree's edge", err)
		}
		e := &edge{tree: tree}
		if size > 0 {
			var leaf []byte
			if err := tx.QueryRow(ctx, "SELECT leaf FROM ebios_entries WHERE idx = $1", size-1).Scan(&leaf); err != nil {
				if errors.Is(err, pgx.ErrNoRows) {
					return damaged(fmt.Sprintf("entry %d, the last of the log's %d, is missing", size-1, size))
				}
				return connErr("reading the last entry", err)
			}
			e.last = linkOf(leaf)
		}
		s.edge = e
		return nil
	}
	from := s.edge.tree.Size()
	var hs, leaf []byte
	err := readRows(tx, uint64(from), uint64(size), "hashes, leaf", func(i uint64) error { // #nosec G115 -- tree sizes
		if len(hs) < tlog.HashSize {
			return damaged(fmt.Sprintf("entry %d has no record hash", i))
		}
		got, err := s.edge.tree.AddHash(tlog.Hash(hs[:tlog.HashSize]))
		if err != nil {
			return err
		}
		for k, h := range got {
			if len(hs) < (k+1)*tlog.HashSize || tlog.Hash(hs[k*tlog.HashSize:(k+1)*tlog.HashSize]) != h {
				return damaged(fmt.Sprintf("entry %d: the tree hashes stored with it are not the ones its record hash gives", i))
			}
		}
		if tlog.RecordHash(leaf) != tlog.Hash(hs[:tlog.HashSize]) {
			return damaged(fmt.Sprintf("entry %d: its record hash is not the hash of its leaf", i))
		}
		if i == uint64(size)-1 { // #nosec G115 -- a tree size
			s.edge.last = linkOf(leaf)
		}
		return nil
	}, &hs, &leaf)
	return err // the edge keeps the hashes read until the commit's Checkpoint trims it
}

// linkOf is the link hash of a leaf: SHA-256 of its body (the leaf less
// its signature).
func linkOf(leaf []byte) tlog.Hash {
	return sha256.Sum256(leaf[:max(0, len(leaf)-ledger.SignatureSize)])
}

// knownOps looks up, in one query, which op ids and parent op ids of the
// batch are committed: the sequencer's op-id index for this commit.
func knownOps(ctx context.Context, tx pgx.Tx, batch []*request) (ledger.OpIndex, error) {
	var ids []string
	for _, r := range batch {
		for _, d := range r.drafts {
			ids = append(ids, d.OpID)
			if d.ParentOpID != "" {
				ids = append(ids, d.ParentOpID)
			}
		}
	}
	rows, err := tx.Query(ctx, "SELECT op_id, idx FROM ebios_entries WHERE op_id = ANY($1)", ids)
	if err != nil {
		return nil, connErr("looking up op ids", err)
	}
	known := opMap{}
	var op string
	var idx int64
	if _, err := pgx.ForEachRow(rows, []any{&op, &idx}, func() error {
		known[op] = uint64(idx) // #nosec G115 -- CHECK idx >= 0
		return nil
	}); err != nil {
		return nil, connErr("looking up op ids", err)
	}
	return known, nil
}

type opMap map[string]uint64

func (m opMap) IndexOfOp(op string) (uint64, bool) {
	i, ok := m[op]
	return i, ok
}
