package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"testing"
)

const benchEntries = 1000

// BenchmarkVerifyBundle verifies a 1000-entry bundle from its bytes (JSON
// decoding, canonical encoding, signature, chain, op ids, Merkle root) on
// one core (Workers 1). Its entries/s is to be compared with
// BenchmarkEd25519Verify's verifies/s; BenchmarkVerifyCores measures the
// verification on every core.
func BenchmarkVerifyBundle(b *testing.B) {
	s := newSigner(b, testOrigin)
	data := bundleBytes(b, mustBundle(b, newTestLog(b, s, benchEntries)))
	v := s.Verifier()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err := VerifyBundle(bytes.NewReader(data), v, &VerifyOptions{Workers: 1})
		if err != nil || !rep.OK {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*benchEntries/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/benchEntries, "ns/entry")
}

// BenchmarkReadBundle reads a 1000-entry bundle without verifying it: the
// cost of the strict JSON reading alone.
func BenchmarkReadBundle(b *testing.B) {
	s := newSigner(b, testOrigin)
	data := bundleBytes(b, mustBundle(b, newTestLog(b, s, benchEntries)))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var e Entry
	for b.Loop() {
		br, err := NewBundleReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		for {
			if err := br.next(&e); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/benchEntries, "ns/entry")
}

// BenchmarkEd25519Verify is the bare cost of one signature check.
func BenchmarkEd25519Verify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := make([]byte, 300)
	sig := ed25519.Sign(priv, msg)
	b.ResetTimer()
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("bad signature")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N), "ns/entry")
}

// BenchmarkAppend appends to an in-memory log (validate, sign, hash, store
// tree hashes); compare with BenchmarkEd25519Sign.
func BenchmarkAppend(b *testing.B) {
	s := newSigner(b, testOrigin)
	l, _ := NewLog(testOrigin, s, fixedClock())
	drafts := make([]Draft, 64)
	for i := range drafts {
		drafts[i] = draft(i)
		drafts[i].ParentOpID = ""
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		d := drafts[i%64]
		d.OpID = "op-" + itoa(i)
		if _, err := l.Append(d); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkEd25519Sign is the bare cost of one signature.
func BenchmarkEd25519Sign(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := make([]byte, 300)
	b.ResetTimer()
	for b.Loop() {
		ed25519.Sign(priv, msg)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
