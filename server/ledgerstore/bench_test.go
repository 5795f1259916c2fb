package ledgerstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ebios/ebios/core/ledger"
)

// BenchmarkAppendDurable64 appends from 64 concurrent writers to a store on
// disk; every append is fsynced before it returns. Compare its appends/s
// with BenchmarkEd25519Sign (one core) and BenchmarkEd25519SignParallel (all
// cores) from the same run.
func BenchmarkAppendDurable64(b *testing.B) {
	st, err := Open(filepath.Join(b.TempDir(), "ledger.db"), newSigner(b, "bench.example/log"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const writers = 64 // exactly, whatever GOMAXPROCS is
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				if _, err := st.Append(context.Background(), draft(fmt.Sprint("op", n))); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

func BenchmarkEd25519Sign(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := make([]byte, 200)
	for i := 0; i < b.N; i++ {
		ed25519.Sign(priv, msg)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signs/s")
}

func BenchmarkEd25519SignParallel(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	b.RunParallel(func(pb *testing.PB) {
		msg := make([]byte, 200)
		for pb.Next() {
			ed25519.Sign(priv, msg)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signs/s")
}

// BenchmarkSignerSign is the store's own signer (ledger.Signer, which
// signs with curve25519-voi) on one core.
func BenchmarkSignerSign(b *testing.B) {
	sg := newSigner(b, "bench.example/log")
	msg := make([]byte, 200)
	for b.Loop() {
		sg.Sign(msg)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signs/s")
}

// BenchmarkSignerSignParallel is the store's signer on every core.
func BenchmarkSignerSignParallel(b *testing.B) {
	sg := newSigner(b, "bench.example/log")
	b.RunParallel(func(pb *testing.PB) {
		msg := make([]byte, 200)
		for pb.Next() {
			sg.Sign(msg)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signs/s")
}

// BenchmarkQuery1000 pages through a 20,000-entry store 1000 entries at a
// time with ledger.Query, as the API's /ledger/query does.
func BenchmarkQuery1000(b *testing.B) {
	st := filledStore(b, 20000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from := uint64(i%19) * 1000
		p, err := ledger.Query(st, ledger.Filter{FromIndex: from}, 1000, "")
		if err != nil || len(p.Entries) != 1000 {
			b.Fatal(err, len(p.Entries))
		}
	}
}

// BenchmarkQueryOperation1000 filters by operation (every other entry
// matches), so the query reads 2000 entries to return 1000.
func BenchmarkQueryOperation1000(b *testing.B) {
	st := filledStore(b, 20000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := ledger.Query(st, ledger.Filter{Operation: "mul", FromIndex: uint64(i%9) * 2000}, 1000, "")
		if err != nil || len(p.Entries) != 1000 {
			b.Fatal(err, len(p.Entries))
		}
	}
}

// filledStore opens a store on disk (closed when b ends) holding n entries,
// every other one a "mul".
func filledStore(b *testing.B, n int) *Store {
	st, err := Open(filepath.Join(b.TempDir(), "ledger.db"), newSigner(b, "bench.example/log"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	fill(b, st, n)
	return st
}

func fill(b *testing.B, st *Store, n int) {
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < n; k += 64 {
				d := draft(fmt.Sprint("op", k))
				if k%2 == 1 {
					d.Operation = "mul"
				}
				if _, err := st.Append(context.Background(), d); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
