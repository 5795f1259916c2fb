package edge

import (
	"context"
	"crypto/sha256"
	"sync"

	"github.com/ebios/ebios/core/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// EmptyCheckpoint returns the signed checkpoint of the empty log of s: the
// head of a store with no entries.
func EmptyCheckpoint(s *ledger.Signer) ([]byte, error) {
	return ledger.Checkpoint{Origin: s.Name(), Root: sha256.Sum256(nil)}.Sign(s)
}

// OpLookup is a store that can look many op ids up at once (D1: one query
// rather than one per op id).
type OpLookup interface {
	IndexOfOps(ops []string) (ledger.OpIndex, error)
}

// Append appends the drafts as consecutive entries, all or none: [AppendGroups]
// with one group.
func Append(st ledger.Storage, s *ledger.Signer, ds []ledger.Draft, now int64) ([]*ledger.Entry, error) {
	es, errs, err := AppendGroups(st, s, [][]ledger.Draft{ds}, now)
	if err != nil {
		return nil, err
	}
	return es[0], errs[0]
}

// AppendGroups runs the log engine once over st for several requests'
// drafts (group commit): it sequences each group after the committed log
// and the groups before it, all of a group or none (errs[i] says why a
// group was refused: a duplicate op id, an unknown parent, a draft that
// does not validate), signs the entries, adds them to the tree, signs the
// new checkpoint and commits everything with one [ledger.Storage.Commit],
// which refuses the batch if another sequencer committed first (err, for
// every group). now is the time of drafts without one (Unix nanoseconds).
// Entries are returned only once the commit is durable.
//
// It reads what it needs (head, the last entry's link, the tree's edge,
// the op ids) from st each time, so it keeps no state between calls.
func AppendGroups(st ledger.Storage, s *ledger.Signer, groups [][]ledger.Draft, now int64) (es [][]*ledger.Entry, errs []error, err error) {
	origin := s.Name()
	es, errs = make([][]*ledger.Entry, len(groups)), make([]error, len(groups))
	valid := make([][]ledger.Draft, len(groups))
	var ops []string
	for g, ds := range groups {
		ds = append([]ledger.Draft(nil), ds...)
		for i := range ds {
			if ds[i].Timestamp == 0 {
				ds[i].Timestamp = now
			}
			if errs[g] = ds[i].Validate(); errs[g] != nil {
				break
			}
			ops = append(ops, ds[i].OpID)
			if ds[i].ParentOpID != "" {
				ops = append(ops, ds[i].ParentOpID)
			}
		}
		if errs[g] == nil {
			valid[g] = ds
		}
	}
	var committed ledger.OpIndex = st
	if l, ok := st.(OpLookup); ok && len(ops) > 0 {
		if committed, err = l.IndexOfOps(ops); err != nil {
			return nil, nil, err
		}
	}
	_, size := st.Head()
	var last tlog.Hash
	if size > 0 {
		err := st.ReadLeaves(uint64(size-1), uint64(size), func(_ uint64, leaf []byte) error { // #nosec G115 -- a tree size, not negative
			e, err := ledger.ParseLeaf(origin, leaf)
			if err == nil {
				last = e.LinkHash(origin)
			}
			return err
		})
		if err != nil {
			return nil, nil, err
		}
	}
	q := ledger.NewSequencer(origin, ledger.KeyID(s.KeyHash()), uint64(size), last) // #nosec G115 -- a tree size, not negative
	var ps []ledger.Pending
	counts := make([]int, len(groups))
	for g, ds := range valid {
		if ds == nil {
			continue
		}
		p, err := q.Sequence(ds, now, committed)
		if err != nil {
			errs[g] = err
			continue
		}
		ps, counts[g] = append(ps, p...), len(p)
	}
	if len(ps) == 0 {
		return es, errs, nil
	}
	tree, err := ledger.NewTree(size, st)
	if err != nil {
		return nil, nil, err
	}
	b := &ledger.Batch{First: uint64(size), Entries: ps, Hashes: make([][]tlog.Hash, len(ps))} // #nosec G115 -- a tree size, not negative
	for i := range ps {
		if err := ps[i].Sign(s); err != nil {
			return nil, nil, err
		}
		if b.Hashes[i], err = tree.AddHash(ps[i].LeafHash()); err != nil {
			return nil, nil, err
		}
	}
	if b.Checkpoint, _, err = tree.Checkpoint(origin, s); err != nil {
		return nil, nil, err
	}
	if err := st.Commit(b); err != nil {
		return nil, nil, err
	}
	if err := st.Sync(); err != nil {
		return nil, nil, err
	}
	k := 0
	for g, n := range counts {
		for _, p := range ps[k : k+n] {
			es[g] = append(es[g], p.Entry)
		}
		k += n
	}
	return es, errs, nil
}

// committer is the group commit of one Go instance: appends that arrive
// while a commit runs wait and go together in the next one. In the
// Durable Object, whose Go instance lives on, every execute of the log
// passes here; in a Worker's instance of one request, it commits once.
type committer struct {
	srv     *Server
	mu      sync.Mutex
	queue   []*waiting
	running bool
}

type waiting struct {
	ds   []ledger.Draft
	done chan struct{}
	st   Store
	es   []*ledger.Entry
	err  error
}

// maxGroup bounds the entries of one commit (D1 runs a batch as one
// transaction; a few thousand rows take well under its time limit).
const maxGroup = 2000

// append queues ds and waits for the commit that takes them.
func (c *committer) append(ctx context.Context, ds []ledger.Draft) (Store, []*ledger.Entry, error) {
	w := &waiting{ds: ds, done: make(chan struct{})}
	c.mu.Lock()
	c.queue = append(c.queue, w)
	if !c.running {
		c.running = true
		go c.run()
	}
	c.mu.Unlock()
	select {
	case <-w.done:
		return w.st, w.es, w.err
	case <-ctx.Done():
		return nil, nil, ctx.Err() // the commit may still take the drafts; the client retries with the same op ids
	}
}

// run commits the queue until it is empty.
func (c *committer) run() {
	for {
		c.mu.Lock()
		n, k := 0, 0
		for k < len(c.queue) && (k == 0 || n+len(c.queue[k].ds) <= maxGroup) {
			n += len(c.queue[k].ds)
			k++
		}
		group := c.queue[:k:k]
		c.queue = c.queue[k:]
		if len(group) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.commit(group)
	}
}

// commit appends a group, retrying once when another sequencer committed
// first (a Durable Object that was moved).
func (c *committer) commit(group []*waiting) {
	ds := make([][]ledger.Draft, len(group))
	for i, w := range group {
		ds[i] = w.ds
	}
	var st Store
	var es [][]*ledger.Entry
	var errs []error
	var err error
	for try := 0; try < 2; try++ {
		if st, err = c.srv.cfg.Open(context.Background()); err != nil {
			break
		}
		es, errs, err = AppendGroups(st, c.srv.cfg.Signer, ds, c.srv.cfg.Now().UnixNano())
		if !isConflict(err) {
			break
		}
	}
	for i, w := range group {
		w.st = st
		if w.err = err; err == nil {
			w.es, w.err = es[i], errs[i]
		}
		close(w.done)
	}
}
