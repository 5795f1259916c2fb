package ledgerstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
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
	var n atomic.Int64
	b.SetParallelism((64 + 1) / 2) // × GOMAXPROCS (2 here) = 64 writers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := st.Append(context.Background(), draft(fmt.Sprint("op", n.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
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
