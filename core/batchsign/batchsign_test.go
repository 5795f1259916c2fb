package batchsign

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// keyFrom makes a deterministic test key from a seed number.
func keyFrom(t testing.TB, n uint64) ed25519.PrivateKey {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	r := rand.New(rand.NewPCG(n, 1))
	for i := range seed {
		seed[i] = byte(r.Uint32())
	}
	return ed25519.NewKeyFromSeed(seed)
}

// TestSameAsCryptoEd25519 signs batches of every size from 0 to 70 (and
// messages from empty to 2 KiB) under many keys and asserts that each
// signature is byte for byte crypto/ed25519's and verifies.
func TestSameAsCryptoEd25519(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	keys := uint64(12)
	if runtime.GOARCH == "wasm" { // about ten times slower there
		keys = 2
	}
	for keyN := range keys {
		priv := keyFrom(t, keyN)
		k := NewKey(priv)
		for n := range 71 {
			msgs := make([][]byte, n)
			for i := range msgs {
				msgs[i] = make([]byte, r.IntN(2048))
				for j := range msgs[i] {
					msgs[i][j] = byte(r.Uint32())
				}
			}
			if n > 1 {
				msgs[n-1] = msgs[0] // a repeated message in one batch
			}
			sigs := make([][ed25519.SignatureSize]byte, n)
			k.Sign(sigs, msgs)
			for i, m := range msgs {
				want := ed25519.Sign(priv, m)
				if !bytes.Equal(sigs[i][:], want) {
					t.Fatalf("key %d, batch of %d, message %d (%d bytes): signature %x, crypto/ed25519 gives %x", keyN, n, i, len(m), sigs[i], want)
				}
				if !ed25519.Verify(priv.Public().(ed25519.PublicKey), m, sigs[i][:]) {
					t.Fatalf("key %d, batch of %d, message %d: signature does not verify", keyN, n, i)
				}
			}
		}
	}
}

// TestShortSigsPanics shows that too few signature slots is a caller bug
// caught before any work.
func TestShortSigsPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Sign with fewer signature slots than messages did not panic")
		}
	}()
	NewKey(keyFrom(t, 1)).Sign(make([][ed25519.SignatureSize]byte, 1), [][]byte{{1}, {2}})
}

func ExampleKey_Sign() {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	msgs := [][]byte{[]byte("entry 0"), []byte("entry 1")}
	sigs := make([][ed25519.SignatureSize]byte, len(msgs))
	NewKey(priv).Sign(sigs, msgs)
	fmt.Println(ed25519.Verify(priv.Public().(ed25519.PublicKey), msgs[1], sigs[1][:]))
	// Output: true
}

// msgs200 are entry-sized messages.
func msgs200(n int) [][]byte {
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = bytes.Repeat([]byte{byte(i)}, 200)
	}
	return msgs
}

// BenchmarkSign reports the cost per signature: crypto/ed25519 one at a
// time against batches of 1, 16 and 64.
func BenchmarkSign(b *testing.B) {
	priv := keyFrom(b, 3)
	b.Run("crypto-ed25519", func(b *testing.B) {
		msgs := msgs200(64)
		for i := 0; b.Loop(); i++ {
			ed25519.Sign(priv, msgs[i%64])
		}
	})
	k := NewKey(priv)
	for _, n := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("batch-%d", n), func(b *testing.B) {
			msgs := msgs200(n)
			sigs := make([][ed25519.SignatureSize]byte, n)
			for b.Loop() {
				k.Sign(sigs, msgs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/sig")
		})
	}
}
