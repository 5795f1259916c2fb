package ledger

import (
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Log is an in-memory, append-only ledger: the log engine ([Sequencer],
// [Tree]) over a [MemStorage]. It sequences entries, signs them, keeps the
// Merkle tree hashes, signs checkpoints and makes proofs. It is safe for
// concurrent use; appends are serialised.
//
// Log is the reference container. A durable store runs the same engine
// over its own [Storage], pipelined: sequencing, parallel signing, group
// commit.
type Log struct {
	origin string
	signer *Signer
	now    func() time.Time

	mu    sync.Mutex // serialises appends
	seq   *Sequencer
	tree  *Tree
	store *MemStorage
}

var _ EntrySource = (*Log)(nil)

// NewLog returns an empty log called origin whose entries and checkpoints
// are signed by s. By convention origin is the key name (s.Name()), and
// verifiers expect that unless told otherwise. now is the clock used for
// drafts without a timestamp; nil means time.Now.
func NewLog(origin string, s *Signer, now func() time.Time) (*Log, error) {
	cp, err := Checkpoint{Origin: origin, Root: emptyRoot}.Sign(s)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	l := &Log{origin: origin, signer: s, now: now, store: NewMemStorage(cp)}
	l.restart(tlog.Hash{})
	return l, nil
}

// restart makes the sequencer and tree start again from the stored log,
// whose last entry has link hash last.
func (l *Log) restart(last tlog.Hash) {
	_, n := l.store.Head()
	// #nosec G115 -- a tree size is never negative
	l.seq = NewSequencer(l.origin, KeyID(l.signer.KeyHash()), uint64(n), last)
	l.tree, _ = NewTree(n, l.store) // the hashes are in memory
}

// Origin returns the log's origin.
func (l *Log) Origin() string { return l.origin }

// Append validates d, checks that its op id is new and its parent op id
// names an earlier entry, then seals it as the next entry (index, previous
// hash, key id, signature) and adds it to the tree. It returns the entry.
func (l *Log) Append(d Draft) (*Entry, error) {
	es, err := l.AppendBatch([]Draft{d})
	if err != nil {
		return nil, err
	}
	return es[0], nil
}

// AppendBatch appends the drafts as consecutive entries, all or none, and
// commits them with one signed checkpoint.
func (l *Log) AppendBatch(ds []Draft) ([]*Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now().UnixNano()
	ds = append([]Draft(nil), ds...)
	for i := range ds {
		if ds[i].Timestamp == 0 {
			ds[i].Timestamp = now
		}
		if err := ds[i].Validate(); err != nil {
			return nil, err
		}
	}
	last := l.seq.Last()
	ps, err := l.seq.Sequence(ds, now, l.store)
	if err != nil {
		return nil, err
	}
	b := &Batch{First: uint64(l.tree.Size()), Entries: ps, Hashes: make([][]tlog.Hash, len(ps))} // #nosec G115 -- a tree size is never negative
	for i := range ps {
		if err = ps[i].Sign(l.signer); err != nil {
			break
		}
		if b.Hashes[i], err = l.tree.AddHash(ps[i].LeafHash()); err != nil {
			break
		}
	}
	if err == nil {
		b.Checkpoint, _, err = l.tree.Checkpoint(l.origin, l.signer)
	}
	if err == nil {
		err = l.store.Commit(b)
	}
	if err != nil {
		l.restart(last)
		return nil, err
	}
	l.seq.Forget(uint64(l.tree.Size())) // #nosec G115 -- a tree size is never negative
	es := make([]*Entry, len(ps))
	for i := range ps {
		es[i] = ps[i].Entry
	}
	return es, nil
}

// Len returns the number of entries.
func (l *Log) Len() uint64 {
	_, n := l.store.Head()
	return uint64(n) // #nosec G115 -- a tree size is never negative
}

// Get returns entry i. The entry must not be modified.
func (l *Log) Get(i uint64) (*Entry, error) {
	e, ok := l.store.Entry(i)
	if !ok {
		return nil, errNotFound("index " + utoa(i))
	}
	return e, nil
}

// IndexOfOp returns the index of the entry with op id id.
func (l *Log) IndexOfOp(id string) (uint64, bool) { return l.store.IndexOfOp(id) }

// Storage returns the log's storage: its tiles, leaves and head.
func (l *Log) Storage() *MemStorage { return l.store }

// TreeHash returns the root hash of the tree of the first n entries.
func (l *Log) TreeHash(n int64) (tlog.Hash, error) {
	if err := l.checkSize(n); err != nil {
		return tlog.Hash{}, err
	}
	h, err := tlog.TreeHash(n, l.store)
	if err != nil {
		return h, errStore("tree hash", err)
	}
	return h, nil
}

// Checkpoint returns a signed checkpoint of the current tree, with the
// optional extension lines.
func (l *Log) Checkpoint(extensions ...string) ([]byte, error) {
	return l.CheckpointAt(int64(l.Len()), extensions...) // #nosec G115 -- the log's length is a tree size, below 2^63 (tlog sizes are int64)
}

// CheckpointAt returns a signed checkpoint of the tree of the first n
// entries.
func (l *Log) CheckpointAt(n int64, extensions ...string) ([]byte, error) {
	root, err := l.TreeHash(n)
	if err != nil {
		return nil, err
	}
	return Checkpoint{Origin: l.origin, Size: n, Root: root, Extensions: extensions}.Sign(l.signer)
}

// InclusionProof returns the proof that entry index is in the tree of the
// first treeSize entries; check it with [Checkpoint.CheckInclusion] or
// [VerifyInclusion].
func (l *Log) InclusionProof(index, treeSize int64) (tlog.RecordProof, error) {
	if err := l.checkSize(treeSize); err != nil {
		return nil, err
	}
	if index < 0 || index >= treeSize {
		return nil, newErr(CodeQuery, "entry "+itoa64(index)+" is not in a tree of size "+itoa64(treeSize), "",
			"ask for an index below the tree size")
	}
	p, err := tlog.ProveRecord(treeSize, index, l.store)
	if err != nil {
		return nil, errStore("inclusion proof", err)
	}
	return p, nil
}

// ConsistencyProof returns the proof that the tree of the first oldSize
// entries is a prefix of the tree of the first newSize entries; check it with
// [CheckConsistency] or [VerifyConsistency].
func (l *Log) ConsistencyProof(oldSize, newSize int64) (tlog.TreeProof, error) {
	if err := l.checkSize(newSize); err != nil {
		return nil, err
	}
	if oldSize < 0 || oldSize > newSize {
		return nil, newErr(CodeQuery, "cannot prove tree size "+itoa64(oldSize)+" against "+itoa64(newSize), "",
			"the old size must be between 0 and the new size")
	}
	if oldSize == 0 {
		return tlog.TreeProof{}, nil
	}
	p, err := tlog.ProveTree(newSize, oldSize, l.store)
	if err != nil {
		return nil, errStore("consistency proof", err)
	}
	return p, nil
}

func (l *Log) checkSize(n int64) error {
	have := int64(l.Len()) // #nosec G115 -- the log's length is a tree size, below 2^63 (tlog sizes are int64)
	if n < 0 || n > have {
		return newErr(CodeQuery, "tree size "+itoa64(n)+" out of range", "the log has "+itoa64(have)+" entries",
			"ask for a tree size between 0 and the log size")
	}
	return nil
}

func errNotFound(what string) error {
	return newErr(CodeNotFound, what+" is not in the log", "", "check the index or op id; list entries with a query")
}
