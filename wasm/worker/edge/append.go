package edge

import (
	"crypto/sha256"

	"github.com/ebios/ebios/core/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// EmptyCheckpoint returns the signed checkpoint of the empty log of s: the
// head of a store with no entries.
func EmptyCheckpoint(s *ledger.Signer) ([]byte, error) {
	return ledger.Checkpoint{Origin: s.Name(), Root: sha256.Sum256(nil)}.Sign(s)
}

// Append runs the log engine once over st: it sequences the drafts after
// the committed log, signs them, adds them to the tree, signs the new
// checkpoint and commits it all with [ledger.Storage.Commit], which
// refuses the batch if another sequencer committed first. now is the time
// of drafts without one (Unix nanoseconds). The entries are returned only
// once the commit is durable.
//
// It reads the state it needs (head, the last entry's link, the tree's
// edge) from st each time: a Worker's Go instance lives for one request,
// so nothing is kept between appends.
func Append(st ledger.Storage, s *ledger.Signer, ds []ledger.Draft, now int64) ([]*ledger.Entry, error) {
	origin := s.Name()
	ds = append([]ledger.Draft(nil), ds...)
	for i := range ds {
		if ds[i].Timestamp == 0 {
			ds[i].Timestamp = now
		}
		if err := ds[i].Validate(); err != nil {
			return nil, err
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
			return nil, err
		}
	}
	q := ledger.NewSequencer(origin, ledger.KeyID(s.KeyHash()), uint64(size), last) // #nosec G115 -- a tree size, not negative
	ps, err := q.Sequence(ds, now, st)
	if err != nil {
		return nil, err
	}
	tree, err := ledger.NewTree(size, st)
	if err != nil {
		return nil, err
	}
	b := &ledger.Batch{First: uint64(size), Entries: ps, Hashes: make([][]tlog.Hash, len(ps))} // #nosec G115 -- a tree size, not negative
	for i := range ps {
		if err := ps[i].Sign(s); err != nil {
			return nil, err
		}
		if b.Hashes[i], err = tree.AddHash(ps[i].LeafHash()); err != nil {
			return nil, err
		}
	}
	if b.Checkpoint, _, err = tree.Checkpoint(origin, s); err != nil {
		return nil, err
	}
	if err := st.Commit(b); err != nil {
		return nil, err
	}
	if err := st.Sync(); err != nil {
		return nil, err
	}
	es := make([]*ledger.Entry, len(ps))
	for i := range ps {
		es[i] = ps[i].Entry
	}
	return es, nil
}
