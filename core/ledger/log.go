package ledger

import (
	"crypto/sha256"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Log is an in-memory, append-only ledger: it sequences entries, signs them,
// keeps the Merkle tree hashes, signs checkpoints and makes proofs. It is
// safe for concurrent use; appends are serialised.
//
// Log is the reference container. A durable store does the same with the
// pure pieces: [Seal] for the entry, [Entry.Hash] for the leaf hash,
// [StoredHashes] for the tree hashes, tlog.TreeHash for checkpoints and
// tlog.ProveRecord / tlog.ProveTree for proofs, over its own [HashReader].
type Log struct {
	origin string
	signer *Signer
	now    func() time.Time

	mu      sync.RWMutex
	entries []*Entry
	ops     map[string]uint64 // op id → index
	hashes  MemHashes
	last    tlog.Hash // link hash of the last entry
	buf     []byte
}

var _ EntrySource = (*Log)(nil)

// NewLog returns an empty log called origin whose entries and checkpoints
// are signed by s. By convention origin is the key name (s.Name()), and
// verifiers expect that unless told otherwise. now is the clock used for
// drafts without a timestamp; nil means time.Now.
func NewLog(origin string, s *Signer, now func() time.Time) (*Log, error) {
	if _, err := (Checkpoint{Origin: origin}).Format(); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Log{origin: origin, signer: s, now: now, ops: make(map[string]uint64)}, nil
}

// Origin returns the log's origin.
func (l *Log) Origin() string { return l.origin }

// Append validates d, checks that its op id is new and its parent op id
// names an earlier entry, then seals it as the next entry (index, previous
// hash, key id, signature) and adds it to the tree. It returns the entry.
func (l *Log) Append(d Draft) (*Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.ops[d.OpID]; dup {
		return nil, newErr(CodeOpID, "op id "+quote(d.OpID)+" is already in the log", "",
			"give every operation a new op id")
	}
	if d.ParentOpID != "" {
		if _, ok := l.ops[d.ParentOpID]; !ok {
			return nil, newErr(CodeOpID, "parent op id "+quote(d.ParentOpID)+" is not in the log", "",
				"a parent must be logged before its children")
		}
	}
	if d.Timestamp == 0 {
		d.Timestamp = l.now().UnixNano()
	}
	n := uint64(len(l.entries))
	if err := d.Validate(); err != nil {
		return nil, err
	}
	e := &Entry{Index: n, PrevHash: l.last, KeyID: KeyID(l.signer.KeyHash()), Draft: d}
	if err := e.sign(l.origin, l.signer, l.buf); err != nil {
		return nil, err
	}
	l.buf = e.AppendBody(l.buf[:0], l.origin)
	link := tlog.Hash(sha256.Sum256(l.buf))
	l.buf = append(l.buf, e.Signature[:]...)
	h := leafHash(l.buf)
	hs, err := StoredHashes(int64(n), h, &l.hashes)
	if err != nil {
		return nil, errStore("append", err)
	}
	l.hashes.AppendHashes(hs)
	l.entries = append(l.entries, e)
	l.ops[d.OpID] = n
	l.last = link
	return e, nil
}

// Len returns the number of entries.
func (l *Log) Len() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return uint64(len(l.entries))
}

// Get returns entry i. The entry must not be modified.
func (l *Log) Get(i uint64) (*Entry, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if i >= uint64(len(l.entries)) {
		return nil, errNotFound("index " + utoa(i))
	}
	return l.entries[i], nil
}

// IndexOfOp returns the index of the entry with op id id.
func (l *Log) IndexOfOp(id string) (uint64, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i, ok := l.ops[id]
	return i, ok
}

// TreeHash returns the root hash of the tree of the first n entries.
func (l *Log) TreeHash(n int64) (tlog.Hash, error) {
	if err := l.checkSize(n); err != nil {
		return tlog.Hash{}, err
	}
	h, err := tlog.TreeHash(n, &l.hashes)
	if err != nil {
		return h, errStore("tree hash", err)
	}
	return h, nil
}

// Checkpoint returns a signed checkpoint of the current tree, with the
// optional extension lines.
func (l *Log) Checkpoint(extensions ...string) ([]byte, error) {
	l.mu.RLock()
	n := int64(len(l.entries))
	l.mu.RUnlock()
	return l.CheckpointAt(n, extensions...)
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
	p, err := tlog.ProveRecord(treeSize, index, &l.hashes)
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
	p, err := tlog.ProveTree(newSize, oldSize, &l.hashes)
	if err != nil {
		return nil, errStore("consistency proof", err)
	}
	return p, nil
}

func (l *Log) checkSize(n int64) error {
	l.mu.RLock()
	have := int64(len(l.entries))
	l.mu.RUnlock()
	if n < 0 || n > have {
		return newErr(CodeQuery, "tree size "+itoa64(n)+" out of range", "the log has "+itoa64(have)+" entries",
			"ask for a tree size between 0 and the log size")
	}
	return nil
}

func errNotFound(what string) error {
	return newErr(CodeNotFound, what+" is not in the log", "", "check the index or op id; list entries with a query")
}
