// Package ledgerindex indexes a ledger for the questions its readers ask, so
// that a read costs in proportion to its answer rather than to the log:
//
//   - parent → children (trace, and the query filter parent_op_id): one
//     edge (a 64-bit hash of the parent's op id, the child's index) for
//     every entry that has a parent, 16 bytes, kept in sorted runs merged
//     like a log-structured merge tree. Finding the next child of an op id
//     at or after an index costs a binary search per run (O(log² n));
//   - guard events by level and rule: the indexes of the entries with guard
//     events (8 bytes each) and, for each level and for each (rule, level),
//     a sorted list of positions in that list (4 bytes per entry and
//     distinct level, and per entry and distinct (rule, level)): 16 bytes
//     for an entry with one event. Finding the next entry with an event of
//     at least a level, of a rule, costs a binary search per level;
//   - time and operation, for every entry: a summary of each block of 256
//     entries (the smallest and largest timestamp, and a bit set of the
//     operations it holds; 24 bytes) and of each run of 256 blocks.
//     Timestamps are informational and not monotonic, so a time range is
//     answered by skipping the blocks that cannot overlap it: finding the
//     next block that may hold an entry in [since, until) reads at most 256
//     block summaries and one summary per 65,536 entries.
//
// Nothing else is kept per entry: an entry without parent or guard events
// costs 24/256 bytes. Every query returns candidates; the caller reads the
// entry and applies its filter, so a hash collision or a block that overlaps
// a time range only costs a read, never a wrong answer.
//
// The index covers a prefix [0, Indexed()) of the log. It is fed from the
// log itself: [Index.Notify] (every reader) and [Index.Offer] (the store's
// OnCommit callback, with the entries just committed) start a goroutine
// that indexes the new entries in chunks and exits when it has caught up.
// It takes the entries offered, in order, and reads the others with Get
// on up to GOMAXPROCS goroutines (the log's start, or what it was not
// offered because it lagged by more than maxOffered). Seeks
// never skip entries at or beyond Indexed(), so answers are exact while the
// index lags: the caller reads the unindexed tail itself. The index is safe
// for concurrent use: reads hold a read lock for the time of a few binary
// searches; the builder takes the write lock only to publish a chunk.
package ledgerindex

import (
	"hash/maphash"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/policy"
)

// Block sizes of the time and operation summaries.
const (
	BlockBits = 8 // 256 entries a block
	SuperBits = 8 // 256 blocks a super-block (65,536 entries)

	blockSize = 1 << BlockBits
)

// Chunk is how many entries the builder reads before it publishes them.
const Chunk = 4096

// MaxRank is the highest guard level rank (policy.Rank: info 1 ...
// critical 4; 0 for a level it does not know).
const MaxRank = 4

// Index is the read index of one log. Create it with [New].
type Index struct {
	src  ledger.EntrySource
	ops  ledger.OpIndexer // src's, or nil
	seed maphash.Seed

	building atomic.Bool // a builder goroutine is running
	closed   atomic.Bool
	life     sync.Mutex // orders starting a builder with Close
	wg       sync.WaitGroup
	syncMu   sync.Mutex // one builder at a time

	mu      sync.RWMutex // guards what follows
	n       uint64       // entries indexed: [0, n)
	err     error        // why the last build stopped early, if it did
	started time.Time    // of the first build
	built   time.Duration
	builtCh chan struct{} // closed when the first build has caught up

	blocks []span // per block of 256 entries; the last may be partial
	supers []span // per 256 blocks
	opBits map[string]uint8

	kids edges

	// offered entries not indexed yet: q[k] is entry qFrom+k.
	qmu   sync.Mutex
	qFrom uint64
	q     []*ledger.Entry

	guard  []uint64              // indexes of the entries with guard events
	byRank [MaxRank + 1][]uint32 // positions in guard of entries with an event of that rank
	byRule map[ruleRank][]uint32 // positions in guard of entries with an event of that rule and rank
}

type ruleRank struct {
	rule string
	rank uint8
}

// span summarises entries: the smallest and largest timestamp and the
// operations (bit k for the k-th operation name seen; bit 63 for names
// beyond the 63rd).
type span struct {
	lo, hi int64
	ops    uint64
}

const otherOps = 63

// maxIndexed caps the entries the index covers, so that positions in the
// guard list fit the uint32s of its rank and rule lists (half the memory
// of uint64s). Readers read the entries past it from the store, as they
// read the tail not yet indexed.
const maxIndexed = math.MaxUint32

func (s *span) add(ts int64, bit uint64) {
	s.lo, s.hi, s.ops = min(s.lo, ts), max(s.hi, ts), s.ops|bit
}

func newSpan(ts int64, bit uint64) span { return span{lo: ts, hi: ts, ops: bit} }

// fits reports whether an entry of s may have a timestamp in [since, until)
// (0: no bound) and an operation in opMask (0: any).
func (s *span) fits(since, until int64, opMask uint64) bool {
	return (since == 0 || s.hi >= since) && (until == 0 || s.lo < until) && (opMask == 0 || s.ops&opMask != 0)
}

// New returns an empty index of src. It starts reading src at the first
// [Index.Notify].
func New(src ledger.EntrySource) *Index {
	x := &Index{src: src, seed: maphash.MakeSeed(), opBits: map[string]uint8{}, byRule: map[ruleRank][]uint32{},
		builtCh: make(chan struct{})}
	x.ops, _ = src.(ledger.OpIndexer)
	return x
}

// Len returns the number of entries of the log (not of the index).
func (x *Index) Len() uint64 { return x.src.Len() }

// Get returns entry i of the log.
func (x *Index) Get(i uint64) (*ledger.Entry, error) { return x.src.Get(i) }

// IndexOfOp returns the index of the entry with op id opID, by the log's
// own op-id index (or a scan when the log has none).
func (x *Index) IndexOfOp(opID string) (uint64, bool) {
	if x.ops != nil {
		return x.ops.IndexOfOp(opID)
	}
	e, err := ledger.FindOp(x.src, opID)
	if err != nil {
		return 0, false
	}
	return e.Index, true
}

var (
	_ ledger.EntrySource = (*Index)(nil)
	_ ledger.OpIndexer   = (*Index)(nil)
	_ ledger.Seeker      = (*Index)(nil)
)

// Status is how far the index is.
type Status struct {
	Indexed, Len uint64
	// Building: a builder is reading entries.
	Building bool
	// BuildTime is how long the first build (from the first Notify to
	// catching up with the log) took; 0 while it runs.
	BuildTime time.Duration
	// Err is why the last build stopped before the end of the log.
	Err error
}

// Status returns how far the index is.
func (x *Index) Status() Status {
	x.mu.RLock()
	st := Status{Indexed: x.n, Building: x.building.Load(), BuildTime: x.built, Err: x.err}
	x.mu.RUnlock()
	st.Len = x.src.Len() // after Indexed: the log only grows, so Len >= Indexed
	return st
}

// Built is closed when the index has first caught up with the log (see
// Status().BuildTime).
func (x *Index) Built() <-chan struct{} { return x.builtCh }

// Indexed returns how many entries (a prefix of the log) the index covers.
func (x *Index) Indexed() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// Notify tells the index that the log may have grown (the store's
// OnCommit). It never blocks: when entries are unindexed and no builder
// runs, it starts one.
func (x *Index) Notify() {
	if x.closed.Load() || x.building.Load() || x.Indexed() >= x.src.Len() {
		return
	}
	x.life.Lock()
	defer x.life.Unlock()
	if x.closed.Load() || !x.building.CompareAndSwap(false, true) {
		return
	}
	x.wg.Add(1)
	go x.build()
}

// maxOffered bounds the entries Offer keeps for the builder: beyond it,
// offered entries are dropped, and read back when their turn comes.
const maxOffered = 1 << 16

// Offer gives the index entries just committed, es[k] being entry
// from+k, so that the builder need not read them back; like Notify, it
// never blocks, and starts a builder when none runs. The index keeps es
// until it has indexed them and never changes them.
func (x *Index) Offer(from uint64, es []*ledger.Entry) {
	x.qmu.Lock()
	if len(x.q) == 0 {
		x.qFrom = from
	}
	if from == x.qFrom+uint64(len(x.q)) && len(x.q)+len(es) <= maxOffered {
		x.q = append(x.q, es...)
	}
	x.qmu.Unlock()
	x.Notify()
}

// offered returns the offered entries from index from on, at most n, and
// forgets those before them.
func (x *Index) offered(from uint64, n uint64) []*ledger.Entry {
	x.qmu.Lock()
	defer x.qmu.Unlock()
	if from < x.qFrom || from-x.qFrom >= uint64(len(x.q)) {
		if from >= x.qFrom+uint64(len(x.q)) { // all indexed: start again
			x.q, x.qFrom = x.q[:0], from
		}
		return nil
	}
	x.q = x.q[from-x.qFrom:]
	x.qFrom = from
	es := slices.Clone(x.q[:min(n, uint64(len(x.q)))])
	if len(x.q) == len(es) {
		x.q = nil // let the backing array go
	} else {
		x.q = x.q[len(es):]
	}
	x.qFrom += uint64(len(es))
	return es
}

// Close stops the builder (after the chunk it is reading) and waits for
// it. The index still answers afterwards, from what it has.
func (x *Index) Close() {
	x.life.Lock()
	x.closed.Store(true)
	x.life.Unlock()
	x.wg.Wait()
}

// build runs until the index has caught up with the log.
func (x *Index) build() {
	defer x.wg.Done()
	for {
		for !x.closed.Load() {
			more, err := x.CatchUp(Chunk)
			if err != nil || !more {
				break
			}
		}
		x.building.Store(false)
		// An entry committed between the last check and the Store above
		// would otherwise wait for the next Notify.
		if x.closed.Load() || x.Indexed() >= x.src.Len() || x.lastErr() != nil || !x.building.CompareAndSwap(false, true) {
			return
		}
	}
}

func (x *Index) lastErr() error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.err
}

// CatchUp indexes up to max entries after those already indexed, and
// reports whether more remain. The builder calls it; so may a caller
// that wants the index current (tests, or a reader that would rather wait
// than read the tail itself).
func (x *Index) CatchUp(max int) (more bool, err error) {
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	x.mu.Lock()
	from := x.n
	if x.started.IsZero() {
		x.started = time.Now()
	}
	x.mu.Unlock()
	size := min(x.src.Len(), maxIndexed)
	if from >= size {
		x.mu.Lock()
		x.caughtUp()
		x.mu.Unlock()
		return false, nil
	}
	to := min(size, from+uint64(max)) // #nosec G115 -- max is a chunk size (Chunk); a negative one would wrap to a huge number, which min bounds by size
	es := x.offered(from, to-from)
	if es == nil {
		es, err = x.read(from, to)
	} else {
		to = from + uint64(len(es))
	}
	// Publish what was read, even when a later entry failed.
	x.add(from, es)
	x.mu.Lock()
	x.err = err
	if err == nil && x.n >= size {
		x.caughtUp()
	}
	x.mu.Unlock()
	return err == nil && to < size, err
}

// caughtUp records the end of the first build. Callers hold mu.
func (x *Index) caughtUp() {
	select {
	case <-x.builtCh:
	default:
		x.built = time.Since(x.started)
		close(x.builtCh)
	}
}

// read reads entries [from, to) on up to GOMAXPROCS goroutines. On an
// error it returns the entries before the first one that failed.
func (x *Index) read(from, to uint64) ([]*ledger.Entry, error) {
	es := make([]*ledger.Entry, to-from)
	workers := min(uint64(runtime.GOMAXPROCS(0)), (to-from+255)/256) // #nosec G115 -- GOMAXPROCS is at least 1
	errs := make([]error, workers)
	bad := make([]uint64, workers)
	var wg sync.WaitGroup
	per := (to - from + workers - 1) / workers
	for w := range workers {
		lo, hi := from+w*per, min(to, from+(w+1)*per)
		bad[w] = math.MaxUint64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				e, err := x.src.Get(i)
				if err != nil {
					errs[w], bad[w] = err, i
					return
				}
				es[i-from] = e
			}
		}()
	}
	wg.Wait()
	for w := range workers {
		if errs[w] != nil {
			return es[:bad[w]-from], errs[w]
		}
	}
	return es, nil
}

// add indexes es, the entries from index from on.
func (x *Index) add(from uint64, es []*ledger.Entry) {
	if len(es) == 0 {
		return
	}
	// The children edges: sorted and merged outside the lock (only the
	// builder, which holds syncMu, changes them).
	var news []edge
	for k, e := range es {
		if e.ParentOpID != "" {
			news = append(news, edge{h: maphash.String(x.seed, e.ParentOpID), c: from + uint64(k)})
		}
	}
	kids := x.kids.with(news)

	x.mu.Lock()
	defer x.mu.Unlock()
	x.kids = kids
	for k, e := range es {
		i := from + uint64(k)
		bit := x.opBit(e.Operation, true)
		if b := i >> BlockBits; b < uint64(len(x.blocks)) {
			x.blocks[b].add(e.Timestamp, bit)
		} else {
			x.blocks = append(x.blocks, newSpan(e.Timestamp, bit))
		}
		if sb := i >> (BlockBits + SuperBits); sb < uint64(len(x.supers)) {
			x.supers[sb].add(e.Timestamp, bit)
		} else {
			x.supers = append(x.supers, newSpan(e.Timestamp, bit))
		}
		if len(e.Guard) > 0 {
			x.addGuard(i, e.Guard)
		}
	}
	x.n = from + uint64(len(es))
}

// opBit returns the bit of operation op (intern: give it one if it has
// none and there is room).
func (x *Index) opBit(op string, intern bool) uint64 {
	if b, ok := x.opBits[op]; ok {
		return 1 << b
	}
	if intern && len(x.opBits) < otherOps {
		b := uint8(len(x.opBits)) // #nosec G115 -- range checked above: fewer than otherOps (63)
		x.opBits[op] = b
		return 1 << b
	}
	return 1 << otherOps
}

func (x *Index) addGuard(i uint64, evs []ledger.GuardEvent) {
	pos := uint32(len(x.guard)) // #nosec G115 -- the index covers at most maxIndexed (MaxUint32) entries, so fewer guard positions
	x.guard = append(x.guard, i)
	var ranks [MaxRank + 1]bool
	for k, ev := range evs {
		r := policy.Rank(ev.Level)
		if !ranks[r] {
			ranks[r] = true
			x.byRank[r] = append(x.byRank[r], pos)
		}
		dup := false
		for _, prev := range evs[:k] {
			if prev.Rule == ev.Rule && policy.Rank(prev.Level) == r {
				dup = true
				break
			}
		}
		if !dup {
			key := ruleRank{ev.Rule, uint8(r)} // #nosec G115 -- a policy rank, 0 to MaxRank
			x.byRule[key] = append(x.byRule[key], pos)
		}
	}
}

// Seek implements [ledger.Seeker]: the smallest j in [i, end) such that
// entry j may match f by its operation, parent and time, or end. It never
// skips an entry the index does not cover yet.
func (x *Index) Seek(f *ledger.Filter, i, end uint64) uint64 {
	byParent := f.ParentOpID != ""
	byBlock := f.Operation != "" || f.Since != 0 || f.Until != 0
	if !byParent && !byBlock {
		return i
	}
	var h uint64
	if byParent {
		h = maphash.String(x.seed, f.ParentOpID)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	lim := min(end, x.n)
	if i >= lim {
		return i
	}
	var ops uint64
	if f.Operation != "" {
		ops = x.opBit(f.Operation, false)
	}
	for i < lim {
		j := i
		if byParent {
			if j = x.kids.next(h, i); j >= lim {
				return lim
			}
		}
		if !byBlock {
			return j
		}
		b := x.nextBlock(j>>BlockBits, f.Since, f.Until, ops)
		if b == j>>BlockBits {
			return j
		}
		i = b << BlockBits // the first entry of the next block that may match
	}
	return lim
}

// nextBlock returns the first block b' >= b whose summary fits, or the
// number of blocks. Callers hold mu.
func (x *Index) nextBlock(b uint64, since, until int64, ops uint64) uint64 {
	nb := uint64(len(x.blocks))
	for b < nb {
		sb := b >> SuperBits
		if !x.supers[sb].fits(since, until, ops) {
			b = (sb + 1) << SuperBits
			continue
		}
		if x.blocks[b].fits(since, until, ops) {
			return b
		}
		b++
	}
	return nb
}

// GuardFilter selects entries with guard events, as /guard/events does: an
// entry matches when one of its events has the rule (any when empty) and a
// rank of at least MinRank (any when 0), and its timestamp is in
// [Since, Until) (0: no bound).
type GuardFilter struct {
	MinRank      int
	Rule         string
	Since, Until int64
}

// SeekGuard returns the smallest j in [i, end) such that entry j may match
// q, or end. It never skips an entry the index does not cover yet.
func (x *Index) SeekGuard(q *GuardFilter, i, end uint64) uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	lim := min(end, x.n)
	if i >= lim {
		return i
	}
	var lists [][]uint32
	all := q.Rule == "" && q.MinRank <= 0
	if !all {
		for r := max(q.MinRank, 0); r <= MaxRank; r++ {
			if q.Rule == "" {
				lists = append(lists, x.byRank[r])
			} else {
				lists = append(lists, x.byRule[ruleRank{q.Rule, uint8(r)}])
			}
		}
	}
	byTime := q.Since != 0 || q.Until != 0
	for i < lim {
		p := sort.Search(len(x.guard), func(k int) bool { return x.guard[k] >= i })
		if !all {
			next := len(x.guard)
			for _, l := range lists {
				at := uint32(p) // #nosec G115 -- p < len(x.guard), at most maxIndexed (MaxUint32)
				if k, _ := slices.BinarySearch(l, at); k < len(l) {
					next = min(next, int(l[k]))
				}
			}
			p = next
		}
		if p >= len(x.guard) || x.guard[p] >= lim {
			return lim
		}
		j := x.guard[p]
		if !byTime {
			return j
		}
		b := x.nextBlock(j>>BlockBits, q.Since, q.Until, 0)
		if b == j>>BlockBits {
			return j
		}
		i = b << BlockBits
	}
	return lim
}

// Memory is the index's size, in bytes of its slices' lengths (what it
// holds; capacities may be up to a quarter more while they grow).
type Memory struct {
	Blocks, Children, Guard  int
	ChildEdges, GuardEntries int
}

// Memory returns what the index holds.
func (x *Index) Memory() Memory {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m := Memory{Blocks: (len(x.blocks) + len(x.supers)) * 24, ChildEdges: x.kids.len(), GuardEntries: len(x.guard)}
	m.Children = m.ChildEdges * 16
	m.Guard = len(x.guard) * 8
	for _, l := range x.byRank {
		m.Guard += 4 * len(l)
	}
	for _, l := range x.byRule {
		m.Guard += 4 * len(l)
	}
	return m
}
