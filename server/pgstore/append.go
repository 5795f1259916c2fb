package pgstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
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
	case <-s.done: // the committer stopped: it answered r, or never saw it
		select {
		case rep := <-r.reply:
			return rep.es, rep.err
		default:
			return nil, errClosed()
		}
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

// commitTx is one commit transaction, in two round trips to the
// database (pipelined batches): BEGIN, lock the head row, read the entries
// other instances committed since this one's last commit and which op ids
// of the batch are in the log; then, once the batch is sequenced and
// signed, insert the entries, move the head (compare-and-swap), record the
// checkpoint and COMMIT. A connection left in a transaction by an error is
// closed by the pool, which rolls it back. It returns the requests it took
// (answering the ones it refused itself), their entries in order, and the
// new tree size.
func (s *Store) commitTx(ctx context.Context, batch []*request) (ok []*request, es []*ledger.Entry, newSize uint64, err error) {
	ok = batch
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return ok, nil, 0, connErr("starting a commit", err)
	}
	defer conn.Release()
	from := int64(math.MaxInt64 / 2) // the tree size this instance knows (none: read no rows)
	if s.edge != nil {
		from = s.edge.tree.Size()
	}
	var ids []string
	for _, r := range batch {
		for _, d := range r.drafts {
			ids = append(ids, d.OpID)
			if d.ParentOpID != "" {
				ids = append(ids, d.ParentOpID)
			}
		}
	}
	// The lease: the head row, locked until COMMIT (or the session's end).
	// The reads after it see every commit before it.
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(setDurable)
	b.Queue(setCustomPlans)
	b.Queue("SELECT size FROM ebios_log WHERE id = 1 FOR UPDATE")
	b.Queue("SELECT idx, hashes, leaf FROM ebios_entries WHERE idx >= $1 AND idx < $1 + $2 ORDER BY idx", from, maxCatchUp)
	b.Queue("SELECT op_id, idx FROM ebios_entries WHERE op_id = ANY($1)", ids)
	var size int64
	var newer []committedRow
	known := opMap{}
	br := conn.SendBatch(ctx, b)
	err = readFirst(br, &size, &newer, known)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = connErr("locking the log's head", cerr)
	}
	if err != nil {
		return ok, nil, 0, err
	}
	if err := s.catchUp(ctx, conn, size, newer); err != nil {
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
		if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
			return ok, nil, 0, connErr("ending a commit", err)
		}
		return ok, nil, uint64(size), nil // #nosec G115 -- a tree size
	}
	sign(ps, s.signer)
	n := len(ps)
	var (
		idx     = make([]int64, n)
		opIDs   = make([]string, n)
		parents = make([]*string, n)
		tss     = make([]int64, n)
		opers   = make([]string, n)
		leaves  = make([][]byte, n)
		hashes  = make([][]byte, n)
	)
	es = make([]*ledger.Entry, n)
	for i := range ps {
		hs, err := s.edge.tree.AddHash(ps[i].LeafHash())
		if err != nil {
			return ok, nil, 0, err
		}
		e := ps[i].Entry
		es[i] = e
		idx[i], opIDs[i], tss[i], opers[i], leaves[i] = int64(e.Index), e.OpID, e.Timestamp, e.Operation, ps[i].Leaf() // #nosec G115 -- an index below 2^63
		if e.ParentOpID != "" {
			parents[i] = &e.ParentOpID
		}
		hashes[i] = make([]byte, 0, len(hs)*tlog.HashSize)
		for _, h := range hs {
			hashes[i] = append(hashes[i], h[:]...)
		}
	}
	cp, _, err := s.edge.tree.Checkpoint(s.origin, s.signer)
	if err != nil {
		return ok, nil, 0, err
	}
	newSize = uint64(size) + uint64(n) // #nosec G115 -- a tree size
	b = &pgx.Batch{}
	b.Queue(`INSERT INTO ebios_entries (idx, op_id, parent_op_id, ts, operation, leaf, hashes)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bytea[], $7::bytea[])`,
		idx, opIDs, parents, tss, opers, leaves, hashes)
	// Compare-and-swap on the commit record: the safety net under the lock.
	b.Queue("UPDATE ebios_log SET size = $1, checkpoint = $2, writer = $3, updated = now() WHERE id = 1 AND size = $4",
		int64(newSize), cp, s.opts.Instance, size) // #nosec G115 -- a tree size
	b.Queue("INSERT INTO ebios_checkpoints (size, checkpoint, writer) VALUES ($1, $2, $3)", int64(newSize), cp, s.opts.Instance) // #nosec G115 -- a tree size
	b.Queue("COMMIT")
	br = conn.SendBatch(ctx, b)
	err = readSecond(br, size)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = connErr("committing", cerr)
	}
	if err != nil {
		return ok, nil, 0, err
	}
	s.edge.last = ps[n-1].Link
	s.head.Store(&head{cp, int64(newSize)}) // #nosec G115 -- a tree size
	return ok, es, newSize, nil
}

// committedRow is an entry committed by another instance, read for the
// catch-up.
type committedRow struct {
	idx          int64
	hashes, leaf []byte
}

// readFirst reads the answers of the first batch of a commit.
func readFirst(br pgx.BatchResults, size *int64, newer *[]committedRow, known opMap) error {
	for range 3 { // BEGIN, SET LOCAL synchronous_commit, SET LOCAL plan_cache_mode
		if _, err := br.Exec(); err != nil {
			return connErr("starting a commit", err)
		}
	}
	if err := br.QueryRow().Scan(size); err != nil {
		return connErr("locking the log's head", err)
	}
	rows, err := br.Query()
	if err != nil {
		return connErr("reading new entries", err)
	}
	var r committedRow
	if _, err := pgx.ForEachRow(rows, []any{&r.idx, &r.hashes, &r.leaf}, func() error {
		*newer = append(*newer, r)
		return nil
	}); err != nil {
		return connErr("reading new entries", err)
	}
	rows, err = br.Query()
	if err != nil {
		return connErr("looking up op ids", err)
	}
	var op string
	var idx int64
	if _, err := pgx.ForEachRow(rows, []any{&op, &idx}, func() error {
		known[op] = uint64(idx) // #nosec G115 -- CHECK idx >= 0
		return nil
	}); err != nil {
		return connErr("looking up op ids", err)
	}
	return nil
}

// readSecond reads the answers of the second batch of a commit.
func readSecond(br pgx.BatchResults, size int64) error {
	if _, err := br.Exec(); err != nil {
		return connErr("writing entries", err)
	}
	tag, err := br.Exec()
	if err != nil {
		return connErr("moving the log's head", err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("the head moved from size %d: %w", size, ledger.ErrConflict)
	}
	if _, err := br.Exec(); err != nil {
		return connErr("recording the checkpoint", err)
	}
	if _, err := br.Exec(); err != nil {
		return connErr("committing", err)
	}
	return nil
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
// committer adds to its tree edge one by one (read with the head lock);
// beyond that it reads the edge afresh.
const maxCatchUp = 1 << 14

// catchUp brings the committer's edge to the tree of size entries: it
// adds the record hashes of newer, the entries other instances committed
// since its last commit (checking that the tree hashes they stored are the
// ones they give), or reads the edge afresh.
func (s *Store) catchUp(ctx context.Context, db querier, size int64, newer []committedRow) error {
	if s.edge != nil && s.edge.tree.Size() == size {
		return nil
	}
	if s.edge == nil || s.edge.tree.Size() > size || size-s.edge.tree.Size() != int64(len(newer)) {
		tree, err := ledger.NewTree(size, hashReader{db})
		if err != nil {
			return connErr("reading the tree's edge", err)
		}
		e := &edge{tree: tree}
		if size > 0 {
			var leaf []byte
			if err := db.QueryRow(ctx, "SELECT leaf FROM ebios_entries WHERE idx = $1", size-1).Scan(&leaf); err != nil {
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
	for k, r := range newer {
		i := s.edge.tree.Size()
		if r.idx != i {
			return damaged(fmt.Sprintf("entry %d is missing from ebios_entries (the next row is %d)", i, r.idx))
		}
		if len(r.hashes) < tlog.HashSize || tlog.RecordHash(r.leaf) != tlog.Hash(r.hashes[:tlog.HashSize]) {
			return damaged(fmt.Sprintf("entry %d: its record hash is not the hash of its leaf", i))
		}
		got, err := s.edge.tree.AddHash(tlog.Hash(r.hashes[:tlog.HashSize]))
		if err != nil {
			return err
		}
		if len(r.hashes) != len(got)*tlog.HashSize {
			return damaged(fmt.Sprintf("entry %d has %d bytes of tree hashes, not %d", i, len(r.hashes), len(got)*tlog.HashSize))
		}
		for j, h := range got {
			if tlog.Hash(r.hashes[j*tlog.HashSize:(j+1)*tlog.HashSize]) != h {
				return damaged(fmt.Sprintf("entry %d: the tree hashes stored with it are not the ones its record hash gives", i))
			}
		}
		if k == len(newer)-1 {
			s.edge.last = linkOf(r.leaf)
		}
	}
	return nil // the edge keeps the hashes read until the commit's Checkpoint trims it
}

// linkOf is the link hash of a leaf: SHA-256 of its body (the leaf less
// its signature).
func linkOf(leaf []byte) tlog.Hash {
	return sha256.Sum256(leaf[:max(0, len(leaf)-ledger.SignatureSize)])
}

// opMap is the op-id index of one commit: the op ids of its batch that
// are in the log.
type opMap map[string]uint64

func (m opMap) IndexOfOp(op string) (uint64, bool) {
	i, ok := m[op]
	return i, ok
}
