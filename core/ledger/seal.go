package ledger

import (
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Seal turns a draft into the signed entry at position index of the log
// origin, whose previous entry has hash prev (all zero for index 0). It
// validates the draft, sets the key id to s.KeyHash() and signs the
// canonical body. Seal is pure: it is the building block a durable store
// uses to append (read the last entry hash, Seal, compute the new tree
// hashes with [StoredHashes], then write entry and hashes together).
func Seal(origin string, s note.Signer, index uint64, prev tlog.Hash, d Draft) (*Entry, error) {
	if index == 0 && prev != (tlog.Hash{}) {
		return nil, errInvalid("prev_hash of entry 0 must be all zero")
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	e := &Entry{Index: index, PrevHash: prev, KeyID: KeyID(s.KeyHash()), Draft: d}
	if err := e.sign(origin, s, nil); err != nil {
		return nil, err
	}
	return e, nil
}

// sign sets e.Signature; buf is scratch space that may be nil.
func (e *Entry) sign(origin string, s note.Signer, buf []byte) error {
	return e.signBody(s, e.AppendBody(buf[:0], origin))
}

// signBody sets e.Signature to s's signature of body, e's canonical body.
func (e *Entry) signBody(s note.Signer, body []byte) error {
	sig, err := s.Sign(body)
	if err != nil {
		return newErr(CodeSignature, "signing failed", err.Error(), "check the signing key")
	}
	if len(sig) != SignatureSize {
		return newErr(CodeSignature, "signer returned a signature that is not 64 bytes", "",
			"sign with an Ed25519 key")
	}
	copy(e.Signature[:], sig)
	return nil
}

// Verify checks that e was signed by the key of v for the log origin: the
// key id must be v.KeyHash() and the signature must verify over the
// canonical body. It does not check the position of e in a log (index,
// prev_hash, parent op id); [VerifyBundle] does.
func (e *Entry) Verify(origin string, v note.Verifier) error {
	var buf [512]byte
	return e.verify(origin, v, buf[:0])
}

func (e *Entry) verify(origin string, v note.Verifier, buf []byte) error {
	if uint32(e.KeyID) != v.KeyHash() {
		return errKeyID(e.Index, e.KeyID, v)
	}
	if !v.Verify(e.AppendBody(buf, origin), e.Signature[:]) {
		return errSig(e.Index)
	}
	return nil
}

func errKeyID(i uint64, k KeyID, v note.Verifier) error {
	return newErr(CodeKeyMismatch, "entry "+utoa(i)+" is signed by key "+k.String()+", not by the pinned key "+
		v.Name()+"+"+KeyID(v.KeyHash()).String(), "",
		"the entry was signed with another key: if the log rotated its key, verify with that key; otherwise the entry was forged")
}

func errSig(i uint64) error {
	return newErr(CodeSignature, "entry "+utoa(i)+": signature does not verify", "",
		"the entry was changed after it was signed, or signed for another log; do not trust it")
}

// StoredHashes returns the hashes to store when the entry with leaf hash h
// becomes record n of the tree; r must return the hashes stored for
// records 0..n-1. It is tlog.StoredHashesForRecordHash, named here so that a
// durable store needs only this package.
func StoredHashes(n int64, h tlog.Hash, r tlog.HashReader) ([]tlog.Hash, error) {
	return tlog.StoredHashesForRecordHash(n, h, r)
}
