// Package batchsign makes Ed25519 signatures (RFC 8032, as crypto/ed25519
// makes them) for many messages under one key at a lower cost per
// signature than signing them one by one.
//
// Most of an Ed25519 signature's cost is the fixed-base scalar
// multiplication R = r·B and the field inversion that encodes R. A batch
// shares one inversion among all its signatures (Montgomery's trick: one
// inversion and three multiplications per element instead of an inversion
// each), and the key's expanded secret is hashed once rather than per
// signature. Ed25519 signing is deterministic, so every signature is
// byte for byte what crypto/ed25519.Sign returns; the tests check that.
//
// The scalar multiplication is filippo.io/edwards25519's constant-time
// one; the batched inversion only touches R, which the signature reveals.
package batchsign

import (
	"crypto/ed25519"
	"crypto/sha512"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// Key is an Ed25519 private key expanded for signing.
type Key struct {
	s      edwards25519.Scalar // the clamped secret scalar
	prefix [32]byte            // the nonce key: second half of SHA-512(seed)
	pub    [ed25519.PublicKeySize]byte
}

// NewKey expands priv (as made by crypto/ed25519).
func NewKey(priv ed25519.PrivateKey) *Key {
	h := sha512.Sum512(priv.Seed())
	k := &Key{}
	if _, err := k.s.SetBytesWithClamping(h[:32]); err != nil {
		panic("batchsign: clamping a 32-byte string cannot fail: " + err.Error())
	}
	copy(k.prefix[:], h[32:])
	copy(k.pub[:], priv.Public().(ed25519.PublicKey))
	return k
}

// Sign writes the signature of msgs[i] to sigs[i] for every i. sigs must be
// at least as long as msgs. It is safe for concurrent use.
func (k *Key) Sign(sigs [][ed25519.SignatureSize]byte, msgs [][]byte) {
	n := len(msgs)
	if n == 0 {
		return
	}
	_ = sigs[n-1]
	rs := make([]edwards25519.Scalar, n)
	xs := make([]field.Element, n)
	ys := make([]field.Element, n)
	zs := make([]field.Element, n)
	var digest [sha512.Size]byte
	var R edwards25519.Point
	h := sha512.New()
	for i, m := range msgs {
		// r = SHA-512(prefix ‖ M) mod ℓ; R = r·B
		h.Reset()
		h.Write(k.prefix[:])
		h.Write(m)
		h.Sum(digest[:0])
		if _, err := rs[i].SetUniformBytes(digest[:]); err != nil {
			panic("batchsign: a 64-byte digest is always uniform bytes: " + err.Error())
		}
		R.ScalarBaseMult(&rs[i])
		X, Y, Z, _ := R.ExtendedCoordinates()
		xs[i].Set(X)
		ys[i].Set(Y)
		zs[i].Set(Z)
	}
	// Invert every Z with one inversion: acc[i] = Z[0]···Z[i].
	acc := make([]field.Element, n)
	acc[0].Set(&zs[0])
	for i := 1; i < n; i++ {
		acc[i].Multiply(&acc[i-1], &zs[i])
	}
	var inv, zinv field.Element
	inv.Invert(&acc[n-1]) // Z ≠ 0 for every point in extended coordinates
	var S, kh edwards25519.Scalar
	for i := n - 1; i >= 0; i-- {
		if i > 0 {
			zinv.Multiply(&inv, &acc[i-1])
			inv.Multiply(&inv, &zs[i])
		} else {
			zinv.Set(&inv)
		}
		// Encode R: y with the sign of x in the top bit (RFC 8032 5.1.2).
		var x, y field.Element
		x.Multiply(&xs[i], &zinv)
		y.Multiply(&ys[i], &zinv)
		sig := &sigs[i]
		copy(sig[:32], y.Bytes())
		sig[31] |= byte(x.IsNegative() << 7)
		// k = SHA-512(R ‖ A ‖ M) mod ℓ; S = k·s + r
		h.Reset()
		h.Write(sig[:32])
		h.Write(k.pub[:])
		h.Write(msgs[i])
		h.Sum(digest[:0])
		if _, err := kh.SetUniformBytes(digest[:]); err != nil {
			panic("batchsign: a 64-byte digest is always uniform bytes: " + err.Error())
		}
		S.MultiplyAdd(&kh, &k.s, &rs[i])
		copy(sig[32:], S.Bytes())
	}
}
