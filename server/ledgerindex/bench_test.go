package ledgerindex

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/ebios/ebios/core/ledger"
)

// synth is a log of n entries made when read (none is kept), shaped as
// e2e/readbench makes them: about 30 % with a parent, 5 % with guard
// events (1.5 on average), 5 operations, timestamps 10 ms apart.
type synth struct{ n uint64 }

func (s synth) Len() uint64 { return s.n }

func (s synth) Get(i uint64) (*ledger.Entry, error) {
	h := i * 0x9e3779b97f4a7c15
	d := ledger.Draft{OpID: fmt.Sprint("op", i), Operation: []string{"add", "mul", "sub", "compose", "expr"}[i%5],
		Timestamp: 1.8e18 + int64(i)*1e7 + int64(h>>40%4e9) - 2e9}
	if i > 0 && h>>20%10 < 3 {
		d.ParentOpID = fmt.Sprint("op", i-1-h>>8%min(i, 1000))
	}
	if h>>32%20 == 0 {
		for k := range 1 + h>>50%2 {
			d.Guard = append(d.Guard, ledger.GuardEvent{Rule: fmt.Sprint("r", (h>>k)%10), Level: levels[h>>(k+4)%4]})
		}
	}
	return &ledger.Entry{Index: i, Draft: d}, nil
}

// BenchmarkBuild1M indexes a 1,000,000-entry log (entries made on the fly,
// so the time is the index's, not the store's) and reports the time per
// entry and the index's resident heap per entry, per child edge and per
// guard event.
func BenchmarkBuild1M(b *testing.B) {
	const n = 1000000
	var parents, events int
	for i := range uint64(n) {
		e, _ := synth{n}.Get(i)
		if e.ParentOpID != "" {
			parents++
		}
		events += len(e.Guard)
	}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		x := New(synth{n})
		for {
			more, err := x.CatchUp(Chunk)
			if err != nil {
				b.Fatal(err)
			}
			if !more {
				break
			}
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		m := x.Memory()
		b.ReportMetric(heap/n, "heapB/entry")
		b.ReportMetric(float64(m.Children)/float64(parents), "B/child")
		b.ReportMetric(float64(m.Guard)/float64(events), "B/event")
		runtime.KeepAlive(x)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/entry")
}
