package ledger

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// algEd25519 is the algorithm byte of Ed25519 keys in note key encodings.
const algEd25519 = 1

// GenerateKey generates an Ed25519 key pair for the log called name, in the
// golang.org/x/mod/sumdb/note encodings:
//
//	skey: PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>   (keep it secret)
//	vkey: <name>+<hash>+<base64(0x01 ‖ public key)>
//
// where hash is the note key hash (8 hex digits). The same key signs
// entries and checkpoints; by convention name is the log origin. rand is
// usually crypto/rand.Reader.
func GenerateKey(rand io.Reader, name string) (skey, vkey string, err error) {
	skey, vkey, err = note.GenerateKey(rand, name)
	if err != nil {
		return "", "", errBadKey("generated key", err)
	}
	if _, err := ParseSignerKey(skey); err != nil {
		return "", "", err // name not valid for a note key
	}
	return skey, vkey, nil
}

// Signer signs entries and checkpoints with one Ed25519 key. It implements
// note.Signer, so it can sign checkpoints with note.Sign.
type Signer struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
	v    *Verifier
}

var _ note.Signer = (*Signer)(nil)

// ParseSignerKey parses a private key in note signer format
// (PRIVATE+KEY+name+hash+base64), as made by [GenerateKey].
func ParseSignerKey(skey string) (*Signer, error) {
	ns, err := note.NewSigner(skey)
	if err != nil {
		return nil, errBadKey("signer key", err)
	}
	parts := strings.SplitN(skey, "+", 5) // PRIVATE, KEY, name, hash, key
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != algEd25519 {
		return nil, errBadKey("signer key", errors.New("not an Ed25519 key"))
	}
	priv := ed25519.NewKeyFromSeed(raw[1:])
	vkey, err := note.NewEd25519VerifierKey(ns.Name(), priv.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, errBadKey("signer key", err)
	}
	v, err := ParseVerifierKey(vkey)
	if err != nil {
		return nil, err
	}
	if v.hash != ns.KeyHash() {
		return nil, errBadKey("signer key", errors.New("key hash does not match the key"))
	}
	return &Signer{name: ns.Name(), hash: ns.KeyHash(), priv: priv, v: v}, nil
}

// Name returns the key name (by convention the log origin).
func (s *Signer) Name() string { return s.name }

// KeyHash returns the note key hash, which is the key id of every entry
// this signer signs.
func (s *Signer) KeyHash() uint32 { return s.hash }

// Sign returns the Ed25519 signature of msg. Outside WebAssembly signing
// is github.com/oasisprotocol/curve25519-voi's, about half of
// crypto/ed25519's cost; Ed25519 signatures are deterministic (RFC 8032),
// so they are byte for byte what crypto/ed25519 makes (a test checks it).
// The browser app never signs, so its WebAssembly build keeps
// crypto/ed25519 and leaves voi's tables out (sign_wasm.go).
func (s *Signer) Sign(msg []byte) ([]byte, error) { return sign(s.priv, msg), nil }

// Verifier returns the verifier of this signer's public key.
func (s *Signer) Verifier() *Verifier { return s.v }

// VerifierKey returns the public key in note verifier format
// (name+hash+base64), the string auditors pin.
func (s *Signer) VerifierKey() string { return s.v.key }

// Verifier verifies entry and checkpoint signatures of one Ed25519 key. It
// implements note.Verifier.
type Verifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
	key  string
}

var _ note.Verifier = (*Verifier)(nil)

// ParseVerifierKey parses a public key in note verifier format
// (name+hash+base64), as made by [GenerateKey].
func ParseVerifierKey(vkey string) (*Verifier, error) {
	nv, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, errBadKey("verifier key", err)
	}
	parts := strings.SplitN(vkey, "+", 3) // name, hash, key
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != algEd25519 {
		return nil, errBadKey("verifier key", errors.New("not an Ed25519 key"))
	}
	return &Verifier{name: nv.Name(), hash: nv.KeyHash(), pub: ed25519.PublicKey(raw[1:]), key: vkey}, nil
}

// Name returns the key name.
func (v *Verifier) Name() string { return v.name }

// KeyHash returns the note key hash (the key id of entries).
func (v *Verifier) KeyHash() uint32 { return v.hash }

// Verify reports whether sig is a valid Ed25519 signature of msg. It rejects
// non-canonical signatures, as RFC 8032 requires.
func (v *Verifier) Verify(msg, sig []byte) bool { return ed25519.Verify(v.pub, msg, sig) }

// String returns the key in note verifier format.
func (v *Verifier) String() string { return v.key }

// KeyID is the id of a signing key: the 32-bit note key hash (the first four
// bytes, big-endian, of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)). In JSON it
// is written as 8 lower-case hex digits, as in note keys.
type KeyID uint32

// String returns the 8 hex digits.
func (k KeyID) String() string { return fmt.Sprintf("%08x", uint32(k)) }

// MarshalText writes the 8 hex digits.
func (k KeyID) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads exactly 8 lower-case hex digits, the one spelling.
func (k *KeyID) UnmarshalText(b []byte) error {
	x, ok := keyIDOf(b)
	if !ok {
		return errMalformed("key_id must be 8 lower-case hex digits, got %q", truncate(string(b), 20))
	}
	*k = x
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
