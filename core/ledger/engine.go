package ledger

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The log engine: what every store of a log does, without I/O. A store
// (a driver of [Storage]) runs it in three steps, which it may pipeline:
//
//  1. a [Sequencer] gives each draft its index, chain link and key id and
//     builds its canonical body ([Pending]), refusing duplicate and
//     unknown op ids and entries too long for an entry bundle;
//  2. the bodies are signed ([Pending.Sign]), in parallel if the store
//     likes: the chain link covers the body, not the signature;
//  3. a [Tree] takes the signed entries in index order, gives the tree
//     hashes to store with each and signs the checkpoint of the new tree,
//     which the store commits with them ([Storage.Commit]).
//
// Full tiles of 256 entries are then sealed: [TileState] says which hash
// tiles each new level-0 tile completes, [AppendBundleEntry] builds the
// entry bundles. [Log] is the engine over memory.

// Pending is a sequenced entry waiting for its signature.
type Pending struct {
	Entry *Entry
	// Body is the entry's canonical body, which its signature covers.
	Body []byte
	// Link is SHA-256 of Body: the next entry's prev_hash.
	Link tlog.Hash
}

// Sign signs p's body with s, setting p.Entry.Signature.
func (p *Pending) Sign(s note.Signer) error { return p.Entry.signBody(s, p.Body) }

// Leaf returns p's leaf data (body ‖ signature), once signed.
func (p *Pending) Leaf() []byte {
	return append(p.Body[:len(p.Body):len(p.Body)], p.Entry.Signature[:]...)
}

// LeafHash returns the record hash of p's leaf data (body ‖ signature),
// once signed: the hash the Merkle tree holds for it.
func (p *Pending) LeafHash() tlog.Hash {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(p.Body)
	h.Write(p.Entry.Signature[:])
	var out tlog.Hash
	h.Sum(out[:0])
	return out
}

// OpIndex answers whether an op id is in the committed log.
type OpIndex interface {
	IndexOfOp(op string) (uint64, bool)
}

// Sequencer assigns log positions to drafts: indexes, chain links and the
// signing key's id. It remembers the op ids it sequenced until they are
// committed ([Sequencer.Forget]); for earlier ones it asks the store's
// op-id index. A Sequencer is not safe for concurrent use: one sequencer
// owns a log at a time.
type Sequencer struct {
	origin string
	keyID  KeyID
	size   uint64
	last   tlog.Hash
	ops    map[string]uint64
}

// NewSequencer returns the sequencer of the log origin, signed by the key
// with id keyID, after its first size entries, the last of which has link
// hash last (SHA-256 of its body; zero for an empty log).
func NewSequencer(origin string, keyID KeyID, size uint64, last tlog.Hash) *Sequencer {
	return &Sequencer{origin: origin, keyID: keyID, size: size, last: last, ops: map[string]uint64{}}
}

// Size returns the number of entries sequenced.
func (q *Sequencer) Size() uint64 { return q.size }

// Last returns the link hash of the last entry sequenced.
func (q *Sequencer) Last() tlog.Hash { return q.last }

// Sequence makes the drafts the next entries, all or none: it checks that
// each op id is new (in committed and in what it sequenced) and that each
// parent op id names an earlier entry, gives a zero timestamp the time
// now (Unix nanoseconds), sets index, prev_hash and key id, and builds the
// canonical bodies, each at most [MaxBundleEntry] bytes with its
// signature. The drafts must be valid ([Draft.Validate]); the caller
// validates them, off the sequencer's path if it likes.
func (q *Sequencer) Sequence(ds []Draft, now int64, committed OpIndex) ([]Pending, error) {
	known := func(op string) bool {
		if _, ok := q.ops[op]; ok {
			return true
		}
		_, ok := committed.IndexOfOp(op)
		return ok
	}
	ps := make([]Pending, 0, len(ds))
	last := q.last
	var refuse error
	for _, d := range ds {
		if known(d.OpID) {
			refuse = newErr(CodeOpID, "op id "+strconv.Quote(d.OpID)+" is already in the log", "", "give every operation a new op id")
			break
		}
		if d.ParentOpID != "" && !known(d.ParentOpID) {
			refuse = newErr(CodeOpID, "parent op id "+strconv.Quote(d.ParentOpID)+" is not in the log", "",
				"log the parent operation before its children")
			break
		}
		if d.Timestamp == 0 {
			d.Timestamp = now
		}
		e := &Entry{Index: q.size + uint64(len(ps)), PrevHash: last, KeyID: q.keyID, Draft: d}
		body := e.AppendBody(make([]byte, 0, bodySizeHint+len(q.origin)+len(d.OpID)+len(d.ParentOpID)+len(d.Expression)), q.origin)
		if n := len(body) + SignatureSize; n > MaxBundleEntry {
			refuse = newErr(CodeInvalidEntry, fmt.Sprintf("the entry for op id %q is %d bytes, more than the %d an entry may have", d.OpID, n, MaxBundleEntry),
				"entries are stored in C2SP tlog-tiles entry bundles, which hold at most 65,535 bytes of body and signature",
				"log fewer inputs or guard events, or shorter messages, in one entry")
			break
		}
		q.ops[d.OpID] = e.Index // also catches a duplicate within ds
		last = sha256.Sum256(body)
		ps = append(ps, Pending{Entry: e, Body: body, Link: last})
	}
	if refuse != nil {
		for _, p := range ps {
			delete(q.ops, p.Entry.OpID)
		}
		return nil, refuse
	}
	q.size += uint64(len(ps))
	q.last = last
	return ps, nil
}

// Forget drops the op ids of entries below committed, which the store's
// op-id index now answers for.
func (q *Sequencer) Forget(committed uint64) {
	for op, i := range q.ops {
		if i < committed {
			delete(q.ops, op)
		}
	}
}

// Pending returns how many op ids the sequencer remembers.
func (q *Sequencer) Pending() int { return len(q.ops) }

// bodySizeHint is about the size of an entry body beyond its strings.
const bodySizeHint = 256

// Tree is the right edge of a log's Merkle tree: the tree hashes it takes
// to add records and compute the root, kept in memory so that appends do
// not read them back. It reads any other hash it needs from r.
type Tree struct {
	size   int64
	read   tlog.HashReader
	hashes map[int64]tlog.Hash
}

// NewTree returns the edge of the tree of the first size records, whose
// stored hashes r reads.
func NewTree(size int64, r tlog.HashReader) (*Tree, error) {
	t := &Tree{size: size, read: r, hashes: map[int64]tlog.Hash{}}
	if _, err := t.ReadHashes(edgeIndexes(size)); err != nil {
		return nil, errStore("reading the tree's edge", err)
	}
	return t, nil
}

// Size returns the number of records in the tree.
func (t *Tree) Size() int64 { return t.size }

// AddHash adds the record whose record hash is h ([Pending.LeafHash]) and
// returns the tree hashes to store with it ([tlog.StoredHashesForRecordHash]).
func (t *Tree) AddHash(h tlog.Hash) ([]tlog.Hash, error) {
	hs, err := tlog.StoredHashesForRecordHash(t.size, h, t)
	if err != nil {
		return nil, errStore("tree hashes", err)
	}
	first := tlog.StoredHashCount(t.size)
	for k, h := range hs {
		t.hashes[first+int64(k)] = h
	}
	t.size++
	return hs, nil
}

// Root returns the root hash of the tree.
func (t *Tree) Root() (tlog.Hash, error) {
	h, err := tlog.TreeHash(t.size, t)
	if err != nil {
		return h, errStore("tree hash", err)
	}
	return h, nil
}

// Checkpoint returns the root of the tree and its checkpoint for the log
// origin, signed by s, and forgets the hashes it no longer needs.
func (t *Tree) Checkpoint(origin string, s note.Signer) (cp []byte, root tlog.Hash, err error) {
	if root, err = t.Root(); err != nil {
		return nil, root, err
	}
	cp, err = Checkpoint{Origin: origin, Size: t.size, Root: root}.Sign(s)
	t.trim()
	return cp, root, err
}

// ReadHashes returns stored hashes from the edge, reading (and keeping)
// any it does not hold.
func (t *Tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := t.hashes[x]
		if !ok {
			hs, err := t.read.ReadHashes([]int64{x})
			if err != nil {
				return nil, err
			}
			h = hs[0]
			t.hashes[x] = h
		}
		out[i] = h
	}
	return out, nil
}

// trim keeps only the edge of the tree.
func (t *Tree) trim() {
	keep := make(map[int64]tlog.Hash, 64)
	for _, x := range edgeIndexes(t.size) {
		if h, ok := t.hashes[x]; ok {
			keep[x] = h
		}
	}
	t.hashes = keep
}

// edgeIndexes returns the stored-hash indexes of the complete subtrees of
// a tree of size n: one per 1 bit of n.
func edgeIndexes(n int64) []int64 {
	var xs []int64
	for level := 0; n>>level != 0; level++ {
		if n>>level&1 == 1 {
			xs = append(xs, tlog.StoredHashIndex(level, n>>level-1))
		}
	}
	return xs
}

// TileWrite is a tile to write: its coordinate and its data.
type TileWrite struct {
	Tile tlog.Tile
	Data []byte
}

// FullTile returns the coordinate of the n-th full tile of level l
// ([BundleLevel] for entry bundles).
func FullTile(l int, n int64) tlog.Tile {
	return tlog.Tile{H: TileHeight, L: l, N: n, W: TileWidth}
}

// TileState is what a log has sealed into full tiles: the number of
// entries sealed (a multiple of 256) and, for each level above 0, the
// hashes of its partial tile over them. It is a value: [TileState.Add]
// works on a copy made with [TileState.Clone].
type TileState struct {
	size uint64
	// upper[l], for l ≥ 1, holds the hashes of tree level 8·l of the
	// partial tile of level l over the sealed entries: the roots of the
	// full tiles of level l-1 right of the last full tile of level l.
	upper [][]byte
}

// NewTileState returns the state of a log with size entries sealed (a
// multiple of 256), whose full tiles read returns: the partial tiles of
// levels ≥ 1 are the roots of the full tiles of the level below, right of
// the last full tile of their level.
func NewTileState(size uint64, read func(t tlog.Tile) ([]byte, error)) (*TileState, error) {
	if size%TileWidth != 0 {
		return nil, errStore("tile state", fmt.Errorf("%d sealed entries is not a whole number of tiles", size))
	}
	st := &TileState{size: size}
	for l := 1; size>>(TileHeight*l) > 0; l++ {
		for len(st.upper) <= l {
			st.upper = append(st.upper, nil)
		}
		count := int64(size>>(TileHeight*l)) % TileWidth // #nosec G115 -- size is a tree size, below 2^63 (tlog sizes are int64)
		start := st.FullTiles(l) * TileWidth
		for m := start; m < start+count; m++ {
			data, err := read(FullTile(l-1, m))
			if err != nil {
				return nil, err
			}
			root, err := TileRoot(data)
			if err != nil {
				return nil, errStore("tile state", fmt.Errorf("%s: %v", TilePath(FullTile(l-1, m)), err))
			}
			st.upper[l] = append(st.upper[l], root[:]...)
		}
	}
	return st, nil
}

// Size returns the number of entries sealed.
func (st *TileState) Size() uint64 { return st.size }

// Upper returns the hashes of the partial tile of level l ≥ 1 over the
// sealed entries (do not change them).
func (st *TileState) Upper(l int) []byte {
	if l < 1 || l >= len(st.upper) {
		return nil
	}
	return st.upper[l]
}

// Levels returns one more than the highest level with a partial tile.
func (st *TileState) Levels() int { return len(st.upper) }

// Clone returns a copy of st that Add can change.
func (st *TileState) Clone() *TileState {
	n := &TileState{size: st.size, upper: make([][]byte, len(st.upper))}
	for l, up := range st.upper {
		n.upper[l] = bytes.Clone(up)
	}
	return n
}

// FullTiles returns how many full tiles of level l the sealed entries make.
func (st *TileState) FullTiles(l int) int64 {
	shift := uint(TileHeight * (l + 1))
	if shift >= 64 {
		return 0
	}
	return int64(st.size >> shift) // #nosec G115 -- size is a tree size, below 2^63 (tlog sizes are int64)
}

// Add seals the level-0 tile k, whose hashes (the record hashes of its
// 256 entries) are given, on top of st: it returns ws with the hash tiles
// to write appended: the level-0 tile and the tiles of higher levels it
// completes. The entry bundle is the caller's.
func (st *TileState) Add(ws []TileWrite, k int64, hashes []byte) ([]TileWrite, error) {
	first := uint64(k) * TileWidth // #nosec G115 -- a negative k becomes a huge number, which fails the check below
	if first != st.size {
		return ws, errStore("sealing", fmt.Errorf("sealing tile %d after %d entries", k, st.size))
	}
	ws = append(ws, TileWrite{FullTile(0, k), hashes})
	st.size += TileWidth
	data := hashes
	for l := 1; ; l++ {
		root, err := TileRoot(data)
		if err != nil {
			return ws, errStore("sealing", err)
		}
		for len(st.upper) <= l {
			st.upper = append(st.upper, nil)
		}
		st.upper[l] = append(st.upper[l], root[:]...)
		if len(st.upper[l]) < TileWidth*tlog.HashSize {
			return ws, nil
		}
		// The tile of level l is full: seal it, and carry its root up.
		data = st.upper[l]
		st.upper[l] = nil
		ws = append(ws, TileWrite{FullTile(l, st.FullTiles(l)-1), data})
	}
}

// Hash returns stored hash x, whose subtree must be entirely sealed; read
// returns the data of a full tile.
func (st *TileState) Hash(x int64, read func(t tlog.Tile) ([]byte, error)) (tlog.Hash, error) {
	t := tlog.TileForIndex(TileHeight, x)
	if t.N < st.FullTiles(t.L) {
		t.W = TileWidth
		data, err := read(t)
		if err != nil {
			return tlog.Hash{}, err
		}
		return tlog.HashFromTile(t, data, x)
	}
	if t.L == 0 || t.L >= len(st.upper) || t.N != st.FullTiles(t.L) {
		return tlog.Hash{}, fmt.Errorf("stored hash %d is not sealed", x)
	}
	up := st.upper[t.L]
	if len(up)/tlog.HashSize < t.W {
		return tlog.Hash{}, fmt.Errorf("stored hash %d is not sealed", x)
	}
	t.W = len(up) / tlog.HashSize
	return tlog.HashFromTile(t, up, x)
}

// SealTile returns the entry bundle and level-0 hash tile of 256 entries'
// leaf data.
func SealTile(leaves [][]byte) (bundle, hashes []byte, err error) {
	if len(leaves) != TileWidth {
		return nil, nil, errStore("sealing", fmt.Errorf("a tile holds %d entries, not %d", TileWidth, len(leaves)))
	}
	n := 0
	for _, l := range leaves {
		n += 2 + len(l)
	}
	bundle = make([]byte, 0, n)
	hashes = make([]byte, 0, TileWidth*tlog.HashSize)
	for _, l := range leaves {
		if bundle, err = AppendBundleEntry(bundle, l); err != nil {
			return nil, nil, err
		}
		h := tlog.RecordHash(l)
		hashes = append(hashes, h[:]...)
	}
	return bundle, hashes, nil
}
