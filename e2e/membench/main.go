// Command membench measures the resident memory of a large ledger store
// after it is reopened (make membench).
//
//	membench -n 5000000 [-dir DIR] [-batch 4096]
//
// It appends N entries through the real store (ledgerstore.AppendBatch,
// batches of -batch drafts, four in flight, each signed and fsynced as the
// server would: op ids of 32 hex digits, about a third with a parent, two
// inputs and an output), closes the store, then starts itself again in a
// fresh process (-measure) that opens the store with its key, forces a
// garbage collection and returns freed memory to the system, and reports:
// the open time, the resident set (VmRSS from /proc/self/status), the Go
// heap (runtime.MemStats.HeapInuse), both per entry, and the cost of
// op-id lookups and entry reads. The store is kept in DIR (default
// $TMPDIR/ebios-membench-N) and reused while DIR/.complete exists.
package main

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/ledgerstore"
)

func main() {
	n := flag.Int("n", 5_000_000, "entries")
	dir := flag.String("dir", "", "data directory (default $TMPDIR/ebios-membench-N)")
	batch := flag.Int("batch", 4096, "drafts per AppendBatch")
	measure := flag.Bool("measure", false, "(internal) open the store and measure")
	runs := flag.Int("runs", 2, "measuring processes to start")
	flag.Parse()
	if *n < 1 || *batch < 1 {
		fmt.Fprintln(os.Stderr, "membench: -n and -batch must be at least 1")
		os.Exit(2)
	}
	if *dir == "" {
		*dir = filepath.Join(os.TempDir(), fmt.Sprintf("ebios-membench-%d", *n))
	}
	var err error
	if *measure {
		err = measureOpen(*dir, *n)
	} else {
		err = bench(*dir, *n, *batch, *runs)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "membench:", err)
		os.Exit(1)
	}
}

// opID is the op id of entry i.
func opID(i int) string {
	h := sha256.Sum256([]byte(strconv.Itoa(i)))
	return hex.EncodeToString(h[:16])
}

func bench(dir string, n, batch, runs int) error {
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		if err := generate(dir, n, batch); err != nil {
			return err
		}
	} else {
		fmt.Printf("reusing the %d-entry store in %s\n", n, dir)
	}
	db, tiles := sizes(dir)
	fmt.Printf("on disk: ledger.db %.1f MiB, tile/ %.1f MiB\n", float64(db)/(1<<20), float64(tiles)/(1<<20))
	for range runs {
		// #nosec G204 G702 -- runs this benchmark's own binary again, in a fresh process, to measure
		cmd := exec.Command(os.Args[0], "-measure", "-n", strconv.Itoa(n), "-dir", dir)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return err
		}
	}
	return nil
}

func generate(dir string, n, batch int) error {
	if err := os.RemoveAll(dir); err != nil { // a store left in it would be measured instead
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	skey, _, err := ledger.GenerateKey(crand.Reader, "membench.example/log")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ledger.key"), []byte(skey), 0o600); err != nil {
		return err
	}
	sg, _ := ledger.ParseSignerKey(skey)
	st, err := ledgerstore.Open(filepath.Join(dir, "ledger.db"), sg, nil)
	if err != nil {
		return err
	}
	fmt.Printf("appending %d entries to %s (AppendBatch of %d, 4 in flight)\n", n, dir, batch)
	start := time.Now()
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	var failed error
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7)) // #nosec G404 -- benchmark data, not secrets
			for {
				mu.Lock()
				from := next
				next = min(next+batch, n)
				to := next
				mu.Unlock()
				if from >= n || failed != nil {
					return
				}
				ds := make([]ledger.Draft, 0, to-from)
				for i := from; i < to; i++ {
					a, b := nu.MustNew(float64(i), 0.1), nu.MustNew(2, 0.01)
					out := nu.MustNew(float64(i)+2, 0.1)
					d := ledger.Draft{OpID: opID(i), Operation: "add", Mode: ledger.ModeNU, Inputs: []nu.Value{a, b}, Output: &out,
						Coverage: nu.Float(out.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true}}
					if i > from && r.IntN(3) == 0 {
						d.ParentOpID = opID(from + r.IntN(i-from))
					}
					ds = append(ds, d)
				}
				if _, err := st.AppendBatch(context.Background(), ds); err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
				if to%(256*batch) < batch {
					el := time.Since(start).Seconds()
					fmt.Printf("  %d entries, %.0f s, %.0f appends/s\n", to, el, float64(to)/el)
				}
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		return failed
	}
	el := time.Since(start)
	fmt.Printf("appended %d entries in %.0f s (%.0f appends/s)\n", n, el.Seconds(), float64(n)/el.Seconds())
	// The sealer runs behind the appends; wait for it, as a server that
	// keeps running would.
	sealed, _ := st.SealStatus()
	fmt.Printf("  %d entries sealed into tiles when the last append returned; waiting for the sealer\n", sealed)
	want := uint64(n-1) / 256 * 256 // #nosec G115 -- main checks n >= 1
	for sealed < want {
		time.Sleep(100 * time.Millisecond)
		var err error
		if sealed, err = st.SealStatus(); err != nil {
			return err
		}
	}
	fmt.Printf("  all sealed %.0f s after the first append\n", time.Since(start).Seconds())
	if err := st.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o600)
}

func sizes(dir string) (db, tiles int64) {
	if fi, err := os.Stat(filepath.Join(dir, "ledger.db")); err == nil {
		db = fi.Size()
	}
	// #nosec G104 -- sizes for a printout: what cannot be walked is not counted
	filepath.WalkDir(filepath.Join(dir, "tile"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				tiles += fi.Size()
			}
		}
		return nil
	})
	return db, tiles
}

// rss returns VmRSS from /proc/self/status, in bytes.
func rss() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return -1
}

type result struct {
	Entries       uint64  `json:"entries"`
	OpenSeconds   float64 `json:"open_s"`
	RSSBefore     int64   `json:"rss_before_open"`
	RSS           int64   `json:"rss"`
	HeapInuse     uint64  `json:"heap_inuse"`
	RSSPerEntry   float64 `json:"rss_per_entry"`
	HeapPerEntry  float64 `json:"heap_per_entry"`
	LookupMicros  float64 `json:"lookup_us"`
	MissMicros    float64 `json:"miss_us"`
	GetMicros     float64 `json:"get_us"`
	AppendMillis  float64 `json:"append_ms"`
	RSSAfterReads int64   `json:"rss_after_reads"`
}

func measureOpen(dir string, n int) error {
	skey, err := os.ReadFile(filepath.Join(dir, "ledger.key")) // #nosec G304 -- the key generate wrote in the benchmark's own directory
	if err != nil {
		return err
	}
	sg, err := ledger.ParseSignerKey(strings.TrimSpace(string(skey)))
	if err != nil {
		return err
	}
	runtime.GC()
	debug.FreeOSMemory()
	var res result
	res.RSSBefore = rss()
	start := time.Now()
	st, err := ledgerstore.Open(filepath.Join(dir, "ledger.db"), sg, nil)
	if err != nil {
		return err
	}
	res.OpenSeconds = time.Since(start).Seconds()
	defer st.Close()
	res.Entries = st.Len()
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.RSS, res.HeapInuse = rss(), ms.HeapInuse
	res.RSSPerEntry = float64(res.RSS) / float64(res.Entries)
	res.HeapPerEntry = float64(res.HeapInuse) / float64(res.Entries)

	r := rand.New(rand.NewPCG(1, 2)) // #nosec G404 -- reproducible benchmark lookups, not secrets
	const k = 2000
	t0 := time.Now()
	for range k {
		i := r.IntN(n)
		// Batches run four at a time: op id i is not always entry i.
		if _, ok := st.IndexOfOp(opID(i)); !ok {
			return fmt.Errorf("op id %d not found", i)
		}
	}
	res.LookupMicros = float64(time.Since(t0).Microseconds()) / k
	t0 = time.Now()
	for i := range k {
		if _, ok := st.IndexOfOp(fmt.Sprint("absent-", i)); ok {
			return fmt.Errorf("an absent op id was found")
		}
	}
	res.MissMicros = float64(time.Since(t0).Microseconds()) / k
	t0 = time.Now()
	for range k {
		i := uint64(r.IntN(n)) // #nosec G115 -- IntN returns 0 <= i < n
		if _, err := st.Get(i); err != nil {
			return err
		}
	}
	res.GetMicros = float64(time.Since(t0).Microseconds()) / k
	t0 = time.Now()
	if _, err := st.Append(context.Background(), ledger.Draft{OpID: ledgerstore.NewOpID(), Operation: "flip", Invariant: ledger.Invariant{OK: true}}); err != nil {
		return err
	}
	res.AppendMillis = float64(time.Since(t0).Microseconds()) / 1000
	runtime.GC()
	res.RSSAfterReads = rss()
	fmt.Printf("reopened %d entries in %.2f s: RSS %.1f MiB (%.1f B/entry; %.1f MiB before the open), Go heap in use %.1f MiB (%.1f B/entry)\n",
		res.Entries, res.OpenSeconds, float64(res.RSS)/(1<<20), res.RSSPerEntry, float64(res.RSSBefore)/(1<<20),
		float64(res.HeapInuse)/(1<<20), res.HeapPerEntry)
	fmt.Printf("  op-id lookup %.1f µs (hit), %.1f µs (miss); Get %.1f µs; one durable append %.1f ms; RSS after 6,000 reads %.1f MiB\n",
		res.LookupMicros, res.MissMicros, res.GetMicros, res.AppendMillis, float64(res.RSSAfterReads)/(1<<20))
	j, _ := json.Marshal(res)
	fmt.Println("  " + string(j))
	return nil
}
