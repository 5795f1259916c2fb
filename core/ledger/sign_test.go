package ledger

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestSignMatchesCryptoEd25519: the signer's signatures (curve25519-voi)
// are byte for byte crypto/ed25519's for many keys and messages from empty
// to 2 KiB, and verify with crypto/ed25519.
func TestSignMatchesCryptoEd25519(t *testing.T) {
	keys, msgs := 40, 60
	if runtime.GOARCH == "wasm" { // about ten times slower there
		keys, msgs = 4, 20
	}
	r := rand.New(rand.NewPCG(11, 17))
	for range keys {
		seed := make([]byte, ed25519.SeedSize)
		for i := range seed {
			seed[i] = byte(r.Uint32())
		}
		priv := ed25519.NewKeyFromSeed(seed)
		vkey, err := note.NewEd25519VerifierKey("sign.test/log", priv.Public().(ed25519.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		hash := strings.Split(vkey, "+")[1]
		s, err := ParseSignerKey("PRIVATE+KEY+sign.test/log+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, seed...)))
		if err != nil {
			t.Fatal(err)
		}
		for range msgs {
			msg := make([]byte, r.IntN(2049))
			for i := range msg {
				msg[i] = byte(r.Uint32())
			}
			got, _ := s.Sign(msg)
			want := ed25519.Sign(priv, msg)
			if !bytes.Equal(got, want) {
				t.Fatalf("seed %x, %d-byte message: signature %x, crypto/ed25519 gives %x", seed, len(msg), got, want)
			}
			if !ed25519.Verify(priv.Public().(ed25519.PublicKey), msg, got) {
				t.Fatalf("seed %x: signature does not verify", seed)
			}
		}
	}
}
