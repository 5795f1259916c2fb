package ledgerindex

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/policy"
)

var levels = []ledger.Level{ledger.LevelInfo, ledger.LevelWarning, ledger.LevelError, ledger.LevelCritical}

// shape says how to make a random log.
type shape struct {
	name      string
	n         int
	parentPct int   // % of entries with a parent
	hubs      int   // entries 0..hubs-1 collect every 7th entry as children
	guardPct  int   // % of entries with guard events
	rules     int   // distinct rules
	ops       int   // distinct operation names
	jitter    int64 // ± ns of timestamp jitter around 1 ms steps
}

func opID(i int) string { return fmt.Sprintf("op-%06d", i) }

func makeLog(sh shape, seed uint64) ledger.Entries {
	rng := rand.New(rand.NewPCG(seed, 7))
	es := make(ledger.Entries, sh.n)
	for i := range es {
		d := ledger.Draft{OpID: opID(i), Operation: fmt.Sprintf("op%d", rng.IntN(max(1, sh.ops))),
			Timestamp: 1e12 + int64(i)*1e6}
		if sh.jitter > 0 {
			d.Timestamp += rng.Int64N(2*sh.jitter) - sh.jitter
		}
		switch {
		case sh.hubs > 0 && i >= sh.hubs && i%7 == 0:
			d.ParentOpID = opID(i % sh.hubs)
		case i > 0 && rng.IntN(100) < sh.parentPct:
			d.ParentOpID = opID(rng.IntN(i))
		}
		if rng.IntN(100) < sh.guardPct {
			for range 1 + rng.IntN(3) {
				d.Guard = append(d.Guard, ledger.GuardEvent{Rule: fmt.Sprintf("rule%d", rng.IntN(max(1, sh.rules))), Level: levels[rng.IntN(4)]})
			}
		}
		es[i] = &ledger.Entry{Index: uint64(i), Draft: d}
	}
	return es
}

var shapes = []shape{
	{name: "empty", n: 0},
	{name: "one", n: 1, guardPct: 100, rules: 1, ops: 1},
	{name: "plain", n: 3000, ops: 5},
	{name: "parents and guards", n: 5000, parentPct: 30, hubs: 5, guardPct: 10, rules: 6, ops: 5, jitter: 2e9},
	{name: "dense guards, monotonic time", n: 3000, parentPct: 90, guardPct: 60, rules: 3, ops: 3},
	{name: "wild timestamps, many operations", n: 4000, parentPct: 20, guardPct: 5, rules: 40, ops: 90, jitter: 3e12},
	{name: "chunk and block edges", n: Chunk + blockSize + 1, parentPct: 50, guardPct: 20, rules: 2, ops: 2, jitter: 1e8},
}

// indexed returns an index of es covering its first k entries.
func indexed(t testing.TB, es ledger.Entries, k int) *Index {
	t.Helper()
	x := New(es[:k])
	for {
		more, err := x.CatchUp(1000)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
	}
	x.src = es // the log has grown past the index
	return x
}

// queries are the filters tried on a log of n entries.
func queries(es ledger.Entries, rng *rand.Rand) []ledger.Filter {
	n := len(es)
	ts := func() int64 {
		if n == 0 {
			return 1e12
		}
		return es[rng.IntN(n)].Timestamp
	}
	fs := []ledger.Filter{
		{}, {Operation: "op1"}, {Operation: "op89"}, {Operation: "none"},
		{ParentOpID: opID(0)}, {ParentOpID: opID(3)}, {ParentOpID: "none"},
		{Since: ts()}, {Until: ts()}, {Since: ts(), Until: ts() + 5e9}, {Operation: "op2", Since: ts(), Until: ts() + 1e11},
		{ParentOpID: opID(1), Since: ts()},
	}
	for range 10 {
		i := rng.IntN(max(1, n))
		f := ledger.Filter{ParentOpID: opID(i), FromIndex: uint64(rng.IntN(max(1, n)))}
		if rng.IntN(2) == 0 {
			f.ToIndex = f.FromIndex + uint64(rng.IntN(2000))
		}
		fs = append(fs, f)
	}
	return fs
}

func ids(es []*ledger.Entry) []uint64 {
	out := []uint64{}
	for _, e := range es {
		out = append(out, e.Index)
	}
	return out
}

// TestSeekMatchesScan: over random logs, indexed wholly, partly or not at
// all, Query (every page), Trace and guard event pages through the index
// give exactly what a scan gives.
func TestSeekMatchesScan(t *testing.T) {
	for si, sh := range shapes {
		es := makeLog(sh, uint64(si))
		for _, k := range []int{len(es), len(es) / 2, 0} {
			t.Run(fmt.Sprintf("%s/indexed %d of %d", sh.name, k, len(es)), func(t *testing.T) {
				x := indexed(t, es, k)
				rng := rand.New(rand.NewPCG(uint64(si), uint64(k)))
				var found, children, hits int
				defer func() {
					t.Logf("compared %d entries, %d children, %d guard hits", found, children, hits)
					if len(es) > 1000 && (found == 0 || (sh.parentPct > 0 && children == 0) || (sh.guardPct > 0 && hits == 0)) {
						t.Errorf("nothing compared: %d entries, %d children, %d guard hits", found, children, hits)
					}
				}()
				for _, f := range queries(es, rng) {
					for _, limit := range []int{1, 7, 100} {
						cw, cg := "", ""
						for page := 0; ; page++ {
							want, err1 := ledger.Query(es, f, limit, cw)
							got, err2 := ledger.Query(x, f, limit, cg)
							if err1 != nil || err2 != nil {
								t.Fatal(err1, err2)
							}
							if !slices.Equal(ids(want.Entries), ids(got.Entries)) || want.Next != got.Next {
								t.Fatalf("%+v limit %d page %d: scan %v %q, index %v %q", f, limit, page,
									ids(want.Entries), want.Next, ids(got.Entries), got.Next)
							}
							found += len(want.Entries)
							if want.Next == "" || page > 50 {
								break
							}
							cw, cg = want.Next, got.Next
						}
					}
				}
				for range 30 {
					if len(es) == 0 {
						break
					}
					op := opID(rng.IntN(len(es)))
					if rng.IntN(3) == 0 {
						op = opID(rng.IntN(min(len(es), 6)))
					}
					for _, max := range []int{0, 3} {
						want, err1 := ledger.Trace(es, op, max)
						got, err2 := ledger.Trace(x, op, max)
						if err1 != nil || err2 != nil || !slices.Equal(ids(want.Children), ids(got.Children)) ||
							!slices.Equal(ids(want.Ancestors), ids(got.Ancestors)) {
							t.Fatalf("trace %s: %v vs %v (%v %v)", op, ids(want.Children), ids(got.Children), err1, err2)
						}
						children += len(want.Children)
					}
				}
				for _, q := range guardQueries(es, rng) {
					for _, limit := range []int{1, 5, 100} {
						from := uint64(0)
						for page := 0; ; page++ {
							wh, wn := guardPage(es, nil, q, from, limit)
							gh, gn := guardPage(es, x, q, from, limit)
							if !slices.Equal(wh, gh) || wn != gn {
								t.Fatalf("guard %+v from %d limit %d: scan %v %d, index %v %d", q, from, limit, wh, wn, gh, gn)
							}
							hits += len(wh)
							if wn == 0 || page > 50 {
								break
							}
							from = wn
						}
					}
				}
			})
		}
	}
}

func guardQueries(es ledger.Entries, rng *rand.Rand) []GuardFilter {
	ts := func() int64 {
		if len(es) == 0 {
			return 1e12
		}
		return es[rng.IntN(len(es))].Timestamp
	}
	qs := []GuardFilter{{}, {MinRank: 1}, {MinRank: 3}, {MinRank: 4}, {Rule: "rule0"}, {Rule: "rule1", MinRank: 4},
		{Rule: "nope"}, {Since: ts()}, {Until: ts()}, {MinRank: 2, Since: ts(), Until: ts() + 3e9}, {Rule: "rule2", Since: ts()}}
	return qs
}

// guardPage is the loop of /guard/events: the indexes of at most limit
// entries from from on with an event that matches q, and where the next
// page starts (0: none). With x nil it scans.
func guardPage(es ledger.Entries, x *Index, q GuardFilter, from uint64, limit int) (hits []uint64, next uint64) {
	n := uint64(len(es))
	for i := from; i < n; i++ {
		if x != nil {
			if i = x.SeekGuard(&q, i, n); i >= n {
				break
			}
		}
		e := es[i]
		if len(e.Guard) == 0 || (q.Since != 0 && e.Timestamp < q.Since) || (q.Until != 0 && e.Timestamp >= q.Until) {
			continue
		}
		hit := false
		for _, ev := range e.Guard {
			hit = hit || ((q.Rule == "" || ev.Rule == q.Rule) && (q.MinRank == 0 || policy.Rank(ev.Level) >= q.MinRank))
		}
		if !hit {
			continue
		}
		if len(hits) == limit {
			return hits, i
		}
		hits = append(hits, i)
	}
	return hits, 0
}

// TestEdges: the children runs find the next child of a hash as a brute
// force does, with many collisions and across merges.
func TestEdges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int
		hashes uint64
		batch  int
	}{
		{"few hashes, small batches", 5000, 3, 7},
		{"many hashes, big batches", 20000, 5000, 3000},
		{"one at a time", 3000, 50, 1},
		{"exactly the buffer", bufEdges * 4, 10, bufEdges},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.n)))
			var all []edge
			var s edges
			c := uint64(0)
			for len(all) < tc.n {
				var news []edge
				for range min(tc.batch, tc.n-len(all)) {
					c += 1 + rng.Uint64N(3)
					news = append(news, edge{h: rng.Uint64N(tc.hashes), c: c})
				}
				old := s
				oldLen := old.len()
				s = s.with(news)
				if old.len() != oldLen {
					t.Fatal("with changed the old value")
				}
				all = append(all, news...)
			}
			if s.len() != len(all) {
				t.Fatalf("len %d, want %d", s.len(), len(all))
			}
			for i := 1; i < len(s.runs); i++ {
				if len(s.runs[i-1]) <= len(s.runs[i]) {
					t.Fatalf("run sizes not decreasing: %d then %d", len(s.runs[i-1]), len(s.runs[i]))
				}
			}
			for range 2000 {
				h, from := rng.Uint64N(tc.hashes+1), rng.Uint64N(c+2)
				want := ^uint64(0)
				for _, e := range all {
					if e.h == h && e.c >= from {
						want = e.c
						break
					}
				}
				if got := s.next(h, from); got != want {
					t.Fatalf("next(%d, %d) = %d, want %d", h, from, got, want)
				}
			}
		})
	}
}

// failing fails to read entry bad.
type failing struct {
	ledger.Entries
	bad uint64
}

func (f failing) Get(i uint64) (*ledger.Entry, error) {
	if i == f.bad {
		return nil, errors.New("unreadable")
	}
	return f.Entries.Get(i)
}

// TestReadError: an unreadable entry stops the index before it, says why,
// and answers stay exact (the reader meets the error itself).
func TestReadError(t *testing.T) {
	es := makeLog(shapes[3], 9)
	x := New(failing{es, 3000})
	x.Notify()
	deadline := time.Now().Add(10 * time.Second)
	for x.Status().Err == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	x.Close()
	st := x.Status()
	if st.Indexed != 3000 || st.Err == nil || st.Building {
		t.Fatalf("status %+v", st)
	}
	f := ledger.Filter{ParentOpID: opID(0)}
	want, _ := ledger.Query(es, f, 1000, "")
	x.src = es
	got, _ := ledger.Query(x, f, 1000, "")
	if !slices.Equal(ids(want.Entries), ids(got.Entries)) || want.Next != got.Next {
		t.Fatalf("query after a read error: %v vs %v", ids(want.Entries), ids(got.Entries))
	}
}

// TestNotifyBuilds: Notify builds the index in the background to the end
// of the log, records how long the first build took, and Close waits.
func TestNotifyBuilds(t *testing.T) {
	es := makeLog(shapes[3], 4)
	x := New(es)
	if x.Indexed() != 0 {
		t.Fatal("indexed before Notify")
	}
	x.Notify()
	deadline := time.Now().Add(10 * time.Second)
	for x.Indexed() < uint64(len(es)) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	x.Close()
	st := x.Status()
	if st.Indexed != uint64(len(es)) || st.Building || st.BuildTime <= 0 || st.Err != nil {
		t.Fatalf("status %+v", st)
	}
	x.Notify() // after Close: does nothing
	if x.Status().Building {
		t.Fatal("a builder started after Close")
	}
}

// TestMemory: the index costs at most 16 bytes per entry with a parent and
// per guard event, plus the block summaries (under 0.2 B per entry).
func TestMemory(t *testing.T) {
	es := makeLog(shape{n: 100000, parentPct: 30, guardPct: 5, rules: 10, ops: 5, jitter: 1e9}, 1)
	x := indexed(t, es, len(es))
	var parents, events int
	for _, e := range es {
		if e.ParentOpID != "" {
			parents++
		}
		events += len(e.Guard)
	}
	m := x.Memory()
	if m.ChildEdges != parents || m.Children > 16*parents {
		t.Fatalf("children: %d edges, %d B for %d entries with a parent", m.ChildEdges, m.Children, parents)
	}
	if m.Guard > 16*events {
		t.Fatalf("guard: %d B for %d events", m.Guard, events)
	}
	if float64(m.Blocks)/float64(len(es)) > 0.2 {
		t.Fatalf("blocks: %d B for %d entries", m.Blocks, len(es))
	}
	t.Logf("100,000 entries, %d with a parent, %d guard events in %d entries: children %d B (%.1f B/edge), guard %d B (%.1f B/event), blocks %d B (%.3f B/entry)",
		parents, events, m.GuardEntries, m.Children, float64(m.Children)/float64(parents), m.Guard, float64(m.Guard)/float64(events),
		m.Blocks, float64(m.Blocks)/float64(len(es)))
}

// growing is a log that grows while it is read, as a store does: entries
// are written, then the size that makes them visible is published, then
// the commit hook runs.
type growing struct {
	mu       sync.Mutex
	es       []*ledger.Entry
	size     atomic.Uint64
	onCommit func()
}

func (g *growing) Len() uint64 { return g.size.Load() }

func (g *growing) Get(i uint64) (*ledger.Entry, error) {
	if i >= g.Len() {
		return nil, errors.New("no such entry")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.es[i], nil
}

func (g *growing) IndexOfOp(op string) (uint64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, e := range g.es[:g.Len()] {
		if e.OpID == op {
			return uint64(i), true
		}
	}
	return 0, false
}

func (g *growing) append(ds []ledger.Draft) {
	g.mu.Lock()
	for _, d := range ds {
		g.es = append(g.es, &ledger.Entry{Index: uint64(len(g.es)), Draft: d})
	}
	g.size.Store(uint64(len(g.es)))
	g.mu.Unlock()
	g.onCommit()
}

// TestConcurrentAppends: readers query through the index while writers
// append and every commit notifies the index; every answer equals a scan
// of the same prefix (run with -race).
func TestConcurrentAppends(t *testing.T) {
	g := &growing{}
	idx := New(g)
	g.onCommit = idx.Notify
	defer idx.Close()
	var next atomic.Int64
	const writers, perWriter = 4, 150
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range perWriter {
				var ds []ledger.Draft
				for range 1 + rng.IntN(40) {
					i := next.Add(1)
					d := ledger.Draft{OpID: fmt.Sprint("c", i), Operation: []string{"add", "mul"}[i%2],
						Timestamp: 1e12 + i*1e6 + rng.Int64N(1e9)}
					if i > 10 && i%3 == 0 {
						d.ParentOpID = fmt.Sprint("c", 1+i%5)
					}
					if i%4 == 0 {
						d.Guard = []ledger.GuardEvent{{Rule: fmt.Sprint("r", i%3), Level: levels[i%8/2]}}
					}
					ds = append(ds, d)
				}
				g.append(ds)
				time.Sleep(200 * time.Microsecond)
			}
		}()
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	var checks atomic.Int64
	for r := range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 2))
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := g.Len()
				if n == 0 {
					continue
				}
				snapshot := make(ledger.Entries, n)
				for i := range n {
					snapshot[i], _ = g.Get(i)
				}
				mid := snapshot[n/2].Timestamp
				for _, f := range []ledger.Filter{{ToIndex: n, ParentOpID: fmt.Sprint("c", 1+rng.IntN(5))},
					{ToIndex: n, Operation: "mul", Since: mid}, {ToIndex: n, Until: mid}} {
					want, _ := ledger.Query(snapshot, f, 1000, "")
					got, _ := ledger.Query(idx, f, 1000, "")
					if !slices.Equal(ids(want.Entries), ids(got.Entries)) || want.Next != got.Next {
						t.Errorf("query %+v at %d: %v vs %v", f, n, ids(want.Entries), ids(got.Entries))
						return
					}
				}
				q := GuardFilter{MinRank: rng.IntN(5), Rule: fmt.Sprint("r", rng.IntN(3)), Since: mid}
				wh, _ := guardPage(snapshot, nil, q, 0, 1<<30)
				var gh []uint64
				for i := uint64(0); i < n; i++ { // guardPage over the index, bounded by n
					if i = idx.SeekGuard(&q, i, n); i >= n {
						break
					}
					h, _ := guardPage(snapshot[:i+1], nil, q, i, 1)
					gh = append(gh, h...)
				}
				if !slices.Equal(wh, gh) {
					t.Errorf("guard %+v at %d: %v vs %v", q, n, wh, gh)
					return
				}
				checks.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	if checks.Load() == 0 {
		t.Fatal("no reads checked")
	}
	deadline := time.Now().Add(10 * time.Second)
	for idx.Indexed() < g.Len() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if idx.Indexed() != g.Len() {
		t.Fatalf("the index stopped at %d of %d", idx.Indexed(), g.Len())
	}
	t.Logf("%d entries, %d reads checked while they were appended", g.Len(), checks.Load())
}

// counting is a log that counts the entries read from it.
type counting struct {
	ledger.Entries
	size  atomic.Uint64
	reads atomic.Int64
}

func (c *counting) Len() uint64 { return c.size.Load() }

func (c *counting) Get(i uint64) (*ledger.Entry, error) {
	c.reads.Add(1)
	return c.Entries.Get(i)
}

// TestOffer: entries offered as they are committed are indexed without
// being read back; a commit that is not offered (or that leaves a gap) is
// read back; either way the answers equal a scan.
func TestOffer(t *testing.T) {
	var sh shape
	for _, sh = range shapes {
		if sh.name == "parents and guards" { // 5,000 entries
			break
		}
	}
	es := makeLog(sh, 11)
	src := &counting{Entries: es}
	src.size.Store(1000)
	x := New(src)
	defer x.Close()
	wait := func(n uint64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for x.Indexed() < n && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if x.Indexed() != n {
			t.Fatalf("indexed %d, want %d", x.Indexed(), n)
		}
	}
	x.Notify()
	wait(1000)
	if src.reads.Load() != 1000 {
		t.Fatalf("the first build read %d entries", src.reads.Load())
	}
	tests := []struct {
		name      string
		to        uint64 // the log's size after the commit
		offer     bool
		wantReads int64 // entries read back for this commit
	}{
		{"offered", 1500, true, 0},
		{"offered again", 1501, true, 0},
		{"not offered", 2000, false, 499},
		{"offered after a gap", 3000, true, 0},
		{"offered, big", 5000, true, 0},
	}
	from := uint64(1000)
	for _, tc := range tests {
		before := src.reads.Load()
		src.size.Store(tc.to)
		if tc.offer {
			x.Offer(from, es[from:tc.to])
		} else {
			x.Notify()
		}
		wait(tc.to)
		if got := src.reads.Load() - before; got != tc.wantReads {
			t.Fatalf("%s: %d entries read back, want %d", tc.name, got, tc.wantReads)
		}
		from = tc.to
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, f := range queries(es, rng) {
		want, _ := ledger.Query(es, f, 100, "")
		got, _ := ledger.Query(x, f, 100, "")
		if !slices.Equal(ids(want.Entries), ids(got.Entries)) || want.Next != got.Next {
			t.Fatalf("%+v: %v vs %v", f, ids(want.Entries), ids(got.Entries))
		}
	}
}
