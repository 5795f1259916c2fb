package ledger

import (
	"bytes"
	"crypto/ed25519"
	crypto_rand "crypto/rand"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

// clone deep-copies a bundle, so tampering does not touch the log.
func clone(t testing.TB, b *Bundle) *Bundle {
	t.Helper()
	c := &Bundle{BundleHeader: b.BundleHeader}
	for _, e := range b.Entries {
		x, err := ParseLeaf(b.Origin, e.Leaf(b.Origin))
		if err != nil {
			t.Fatal(err)
		}
		c.Entries = append(c.Entries, x)
	}
	return c
}

// signedBundle makes a bundle of entries with a checkpoint of exactly them,
// signed by s, without any of the checks Log.Append makes.
func signedBundle(t testing.TB, s *Signer, origin string, entries []*Entry) *Bundle {
	t.Helper()
	var f frontier
	for _, e := range entries {
		f.push(e.Hash(origin))
	}
	cp, err := Checkpoint{Origin: origin, Size: int64(len(entries)), Root: f.root()}.Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	return &Bundle{BundleHeader: BundleHeader{Format: BundleFormat, Version: BundleVersion, Origin: origin,
		Key: s.VerifierKey(), Checkpoint: string(cp)}, Entries: entries}
}

// verifyBoth verifies b in memory, streamed from its bytes, and read back in
// full, and requires the three reports to agree.
func verifyBoth(t *testing.T, b *Bundle, pinned *Verifier, opts *VerifyOptions) *Report {
	t.Helper()
	full, ferr := b.Verify(pinned, opts)
	data := bundleBytes(t, b)
	stream, serr := VerifyBundle(bytes.NewReader(data), pinned, opts)
	if !reflect.DeepEqual(full, stream) {
		t.Fatalf("streaming and full verifier disagree:\nfull   %+v %+v\nstream %+v %+v", full, full.FirstBad, stream, stream.FirstBad)
	}
	if (ferr == nil) != full.OK || (serr == nil) != stream.OK {
		t.Fatalf("error %v / %v does not match OK=%v", ferr, serr, full.OK)
	}
	rb, err := ReadBundle(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadBundle: %v", err)
	}
	again, _ := rb.Verify(pinned, opts)
	if !reflect.DeepEqual(full, again) {
		t.Fatalf("verifier of the read-back bundle disagrees: %+v vs %+v", again.FirstBad, full.FirstBad)
	}
	// The same with signatures checked in batches of 3, asynchronously.
	defer func(n int) { sigBatch = n }(sigBatch)
	sigBatch = 3
	var o VerifyOptions
	if opts != nil {
		o = *opts
	}
	o.Signatures = asyncChecker{}
	deferred, derr := VerifyBundle(bytes.NewReader(data), pinned, &o)
	if !reflect.DeepEqual(full, deferred) || (derr == nil) != deferred.OK {
		t.Fatalf("verifier with deferred signatures disagrees:\nfull     %+v %+v\ndeferred %+v %+v", full, full.FirstBad, deferred, deferred.FirstBad)
	}
	return full
}

// asyncChecker checks signatures with crypto/ed25519 on another goroutine,
// as a SignatureChecker.
type asyncChecker struct{ fail error }

func (c asyncChecker) Check(pub ed25519.PublicKey, bodies [][]byte, sigs []Signature) func() ([]bool, error) {
	done := make(chan []bool, 1)
	go func() {
		oks := make([]bool, len(bodies))
		for i := range bodies {
			oks[i] = ed25519.Verify(pub, bodies[i], sigs[i][:])
		}
		done <- oks
	}()
	return func() ([]bool, error) {
		oks := <-done
		return oks, c.fail
	}
}

// TestSignatureCheckerError: a checker that cannot check fails the
// verification at the first entry of its batch, as a signature failure.
func TestSignatureCheckerError(t *testing.T) {
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 10)
	b, err := l.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.NewReader(bundleBytes(t, b))
	defer func(n int) { sigBatch = n }(sigBatch)
	sigBatch = 4
	rep, err := VerifyBundle(buf, s.Verifier(), &VerifyOptions{Signatures: asyncChecker{fail: errors.New("no WebCrypto")}})
	if err == nil || rep.OK {
		t.Fatal("a failing checker passed the bundle")
	}
	wantFailure(t, rep, CheckSignature, 0)
	if !strings.Contains(rep.FirstBad.Reason, "no WebCrypto") {
		t.Fatalf("details do not say why: %+v", rep.FirstBad)
	}
}

func wantFailure(t *testing.T, rep *Report, check string, index int64) {
	t.Helper()
	if rep.OK || rep.FirstBad == nil {
		t.Fatalf("tampering not detected: %+v", rep)
	}
	f := rep.FirstBad
	if f.Check != check || f.Index != index {
		t.Fatalf("first failure = %s at %d (%s: %s), want %s at %d", f.Check, f.Index, f.Code, f.Reason, check, index)
	}
	if f.Reason == "" || f.Remediation == "" || !strings.HasPrefix(f.Code, "LEDGER_") {
		t.Fatalf("failure lacks reason, remediation or code: %+v", f)
	}
}

func TestVerifyBundleOK(t *testing.T) {
	s := newSigner(t, testOrigin)
	for _, n := range []int{0, 1, 2, 3, 7, 8, 9, 33} {
		l := newTestLog(t, s, n)
		var calls [][2]int64
		rep := verifyBoth(t, mustBundle(t, l), s.Verifier(), &VerifyOptions{
			Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) }, ProgressEvery: 4})
		if !rep.OK || rep.Entries != int64(n) || rep.TreeSize != int64(n) || !rep.CheckpointOK {
			t.Fatalf("n=%d: %+v %+v", n, rep, rep.FirstBad)
		}
		root, _ := l.TreeHash(int64(n))
		if rep.Root != root {
			t.Fatalf("n=%d: root %v, want %v", n, rep.Root, root)
		}
		last := calls[len(calls)-1]
		if last != [2]int64{int64(n), int64(n)} {
			t.Fatalf("n=%d: last progress call %v", n, last)
		}
		// Four passes (full, stream, read back, deferred signatures), each
		// calling every 4 entries and at the end.
		if want := 4 * (n/4 + 1); len(calls) != want {
			t.Fatalf("n=%d: %d progress calls, want %d", n, len(calls), want)
		}
	}
}

// TestTamperFields changes every field of one entry in turn.
func TestTamperFields(t *testing.T) {
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 12)
	base := mustBundle(t, l)
	if e := base.Entries[5]; e.ParentOpID == "" || len(e.Guard) == 0 || e.Output == nil || len(e.Inputs) != 2 || e.PolicyHash != (tlog.Hash{}) {
		t.Fatalf("entry 5 does not exercise every field: %+v", e)
	}
	if base.Entries[4].PolicyHash == (tlog.Hash{}) {
		t.Fatal("entry 4 has no policy hash")
	}
	inc := func(f *nu.Float) { *f = nu.Float(math.Nextafter(float64(*f), math.Inf(1))) }
	for _, tc := range []struct {
		field string
		at    int
		edit  func(e *Entry)
		check string
	}{
		{"index", 5, func(e *Entry) { e.Index ^= 1 }, CheckSignature},
		{"prev_hash", 5, func(e *Entry) { e.PrevHash[31] ^= 1 }, CheckSignature},
		{"key_id", 5, func(e *Entry) { e.KeyID ^= 1 }, CheckKeyID},
		{"timestamp", 5, func(e *Entry) { e.Timestamp++ }, CheckSignature},
		{"op_id", 5, func(e *Entry) { e.OpID = "op-000x" }, CheckSignature},
		{"parent_op_id", 5, func(e *Entry) { e.ParentOpID = "op-0003" }, CheckSignature},
		{"parent_op_id removed", 5, func(e *Entry) { e.ParentOpID = "" }, CheckSignature},
		{"operation", 5, func(e *Entry) { e.Operation = "adc" }, CheckSignature},
		{"mode", 5, func(e *Entry) { e.Mode = ModeNU }, CheckSignature},
		{"expression", 5, func(e *Entry) { e.Expression = "1 + 1" }, CheckSignature},
		{"inputs[0].n", 5, func(e *Entry) { e.Inputs[0] = nu.MustNew(math.Nextafter(e.Inputs[0].N(), 9), e.Inputs[0].U()) }, CheckSignature},
		{"inputs[1].u", 5, func(e *Entry) { e.Inputs[1] = nu.MustNew(e.Inputs[1].N(), e.Inputs[1].U()*2) }, CheckSignature},
		{"inputs dropped", 5, func(e *Entry) { e.Inputs = e.Inputs[:1] }, CheckSignature},
		{"input added", 5, func(e *Entry) { e.Inputs = append(e.Inputs, nu.Value{}) }, CheckSignature},
		{"output.n", 5, func(e *Entry) { v := nu.MustNew(e.Output.N()+1, e.Output.U()); e.Output = &v }, CheckSignature},
		{"output.u", 5, func(e *Entry) { v := nu.MustNew(e.Output.N(), math.Inf(1)); e.Output = &v }, CheckSignature},
		{"output removed", 5, func(e *Entry) { e.Output = nil }, CheckSignature},
		{"coverage", 5, func(e *Entry) { inc(&e.Coverage) }, CheckSignature},
		{"invariant.ok", 5, func(e *Entry) { e.Invariant.OK = !e.Invariant.OK }, CheckSignature},
		{"invariant.message", 5, func(e *Entry) { e.Invariant.Message = "ok" }, CheckSignature},
		{"guard.rule", 5, func(e *Entry) { e.Guard[0].Rule = "max_coveragf" }, CheckSignature},
		{"guard.level", 5, func(e *Entry) { e.Guard[1].Level = LevelInfo }, CheckSignature},
		{"guard.message", 5, func(e *Entry) { e.Guard[0].Message = "" }, CheckSignature},
		{"guard.value", 5, func(e *Entry) { inc(&e.Guard[0].Value) }, CheckSignature},
		{"guard.threshold", 5, func(e *Entry) { inc(&e.Guard[1].Threshold) }, CheckSignature},
		{"guard dropped", 5, func(e *Entry) { e.Guard = e.Guard[1:] }, CheckSignature},
		{"policy_hash added", 5, func(e *Entry) { e.PolicyHash[0] = 1 }, CheckSignature},
		{"policy_hash", 4, func(e *Entry) { e.PolicyHash[17] ^= 0x40 }, CheckSignature},
		{"policy_hash removed", 4, func(e *Entry) { e.PolicyHash = tlog.Hash{} }, CheckSignature},
		{"signature", 5, func(e *Entry) { e.Signature[10] ^= 1 }, CheckSignature},
		{"signature of entry 0", 0, func(e *Entry) { e.Signature[63] ^= 0x80 }, CheckSignature},
		{"last entry", 11, func(e *Entry) { e.Timestamp-- }, CheckSignature},
	} {
		t.Run(tc.field, func(t *testing.T) {
			b := clone(t, base)
			before := b.Entries[tc.at].Leaf(testOrigin)
			tc.edit(b.Entries[tc.at])
			if bytes.Equal(before, b.Entries[tc.at].Leaf(testOrigin)) {
				t.Fatal("edit did not change the canonical bytes")
			}
			wantFailure(t, verifyBoth(t, b, s.Verifier(), nil), tc.check, int64(tc.at))
		})
	}
}

// TestTamperEveryByte flips bits in every byte of an entry's leaf data:
// each change is rejected by the decoder or by the signature check, and a
// decodable change re-encodes to the changed bytes (the encoding is
// canonical: one entry, one byte string).
func TestTamperEveryByte(t *testing.T) {
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 6)
	for _, i := range []uint64{0, 4, 5} {
		e, _ := l.Get(i)
		leaf := e.Leaf(testOrigin)
		for p := range leaf {
			for _, bit := range []byte{0x01, 0x80} {
				bad := bytes.Clone(leaf)
				bad[p] ^= bit
				x, err := ParseLeaf(testOrigin, bad)
				if err != nil {
					continue
				}
				if !bytes.Equal(x.Leaf(testOrigin), bad) {
					t.Fatalf("entry %d byte %d: decoded entry re-encodes differently", i, p)
				}
				if err := x.Verify(testOrigin, s.Verifier()); err == nil {
					t.Fatalf("entry %d byte %d bit %#x: tampered entry verifies", i, p, bit)
				}
			}
		}
	}
}

func TestTamperLog(t *testing.T) {
	p := newSigner(t, testOrigin)       // the pinned log key
	foreign := newSigner(t, testOrigin) // another key with the same name
	a := newTestLog(t, p, 12)
	base := mustBundle(t, a)
	// b shares entries 0..4 with a, then forks.
	fork := newTestLog(t, p, 5)
	for i := 5; i < 12; i++ {
		d := draft(i)
		d.Operation = "forked"
		if _, err := fork.Append(d); err != nil {
			t.Fatal(err)
		}
	}
	forkBundle := mustBundle(t, fork)
	foreignLog := newTestLog(t, foreign, 12)
	foreignBundle := mustBundle(t, foreignLog)
	otherOrigin, err := NewLog("other.test/log", p, fixedClock())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		otherOrigin.Append(draft(i))
	}
	cpAt := func(l *Log, n int64) string {
		c, err := l.CheckpointAt(n)
		if err != nil {
			t.Fatal(err)
		}
		return string(c)
	}
	sealed := func(s *Signer, drafts ...Draft) []*Entry {
		var out []*Entry
		var prev tlog.Hash
		for i, d := range drafts {
			d.Timestamp = int64(i + 1)
			e := &Entry{Index: uint64(i), PrevHash: prev, KeyID: KeyID(s.KeyHash()), Draft: d}
			if err := e.sign(testOrigin, s, nil); err != nil {
				t.Fatal(err)
			}
			prev = e.LinkHash(testOrigin)
			out = append(out, e)
		}
		return out
	}
	withParent := func(id, parent string) Draft {
		d := draft(0)
		d.OpID, d.ParentOpID = id, parent
		return d
	}

	for _, tc := range []struct {
		name  string
		make  func(b *Bundle) *Bundle
		opts  *VerifyOptions
		check string
		index int64
	}{
		{"reordered", func(b *Bundle) *Bundle {
			b.Entries[5], b.Entries[6] = b.Entries[6], b.Entries[5]
			return b
		}, nil, CheckIndex, 5},
		{"dropped", func(b *Bundle) *Bundle {
			b.Entries = append(b.Entries[:5], b.Entries[6:]...)
			return b
		}, nil, CheckIndex, 5},
		{"dropped last", func(b *Bundle) *Bundle {
			b.Entries = b.Entries[:11]
			return b
		}, nil, CheckTreeSize, 11},
		{"inserted duplicate", func(b *Bundle) *Bundle {
			b.Entries = append(b.Entries[:5], append([]*Entry{b.Entries[4]}, b.Entries[5:]...)...)
			return b
		}, nil, CheckIndex, 5},
		{"inserted foreign", func(b *Bundle) *Bundle {
			b.Entries = append(b.Entries[:5], append([]*Entry{foreignBundle.Entries[5]}, b.Entries[5:]...)...)
			return b
		}, nil, CheckKeyID, 5},
		{"appended after checkpoint", func(b *Bundle) *Bundle {
			b.Entries = append(b.Entries, b.Entries[11])
			return b
		}, nil, CheckTreeSize, 12},
		{"truncated with new checkpoint", func(b *Bundle) *Bundle {
			b.Entries = b.Entries[:8]
			return b
		}, nil, CheckTreeSize, 8},
		{"old checkpoint with more entries", func(b *Bundle) *Bundle {
			b.Checkpoint = cpAt(a, 8)
			return b
		}, nil, CheckTreeSize, 8},
		{"foreign bundle", func(*Bundle) *Bundle { return clone(t, foreignBundle) }, nil, CheckKey, -1},
		{"foreign bundle claiming the pinned key", func(*Bundle) *Bundle {
			b := clone(t, foreignBundle)
			b.Key = p.VerifierKey()
			return b
		}, nil, CheckCheckpoint, -1},
		{"entries re-signed with a foreign key", func(b *Bundle) *Bundle {
			b.Entries = clone(t, foreignBundle).Entries
			return b
		}, nil, CheckKeyID, 0},
		{"foreign signature with the pinned key id", func(b *Bundle) *Bundle {
			b.Entries = clone(t, foreignBundle).Entries
			for _, e := range b.Entries {
				e.KeyID = KeyID(p.KeyHash())
			}
			return b
		}, nil, CheckSignature, 0},
		{"checkpoint of another origin", func(*Bundle) *Bundle { return mustBundle(t, otherOrigin) }, nil, CheckOrigin, -1},
		{"bundle origin changed", func(b *Bundle) *Bundle {
			b.Origin = "other.test/log"
			return b
		}, nil, CheckOrigin, -1},
		{"expected origin differs", func(b *Bundle) *Bundle { return b }, &VerifyOptions{Origin: "other.test/log"}, CheckOrigin, -1},
		{"checkpoint text changed", func(b *Bundle) *Bundle {
			b.Checkpoint = strings.Replace(b.Checkpoint, "\n12\n", "\n11\n", 1)
			return b
		}, nil, CheckCheckpoint, -1},
		{"checkpoint garbage", func(b *Bundle) *Bundle {
			b.Checkpoint = "not a note"
			return b
		}, nil, CheckCheckpoint, -1},
		{"checkpoint of a fork", func(b *Bundle) *Bundle {
			b.Checkpoint = forkBundle.Checkpoint
			return b
		}, nil, CheckRoot, -1},
		{"spliced fork", func(b *Bundle) *Bundle {
			b.Entries = append(b.Entries[:6], clone(t, forkBundle).Entries[6:]...)
			return b
		}, nil, CheckPrevHash, 6},
		{"duplicate op id", func(*Bundle) *Bundle {
			return signedBundle(t, p, testOrigin, sealed(p, withParent("a", ""), withParent("a", "")))
		}, nil, CheckOpID, 1},
		{"unknown parent", func(*Bundle) *Bundle {
			return signedBundle(t, p, testOrigin, sealed(p, withParent("a", ""), withParent("b", "x")))
		}, nil, CheckParent, 1},
		{"parent comes later", func(*Bundle) *Bundle {
			return signedBundle(t, p, testOrigin, sealed(p, withParent("a", ""), withParent("b", "c"), withParent("c", "")))
		}, nil, CheckParent, 1},
		{"signed entry breaks a field rule", func(*Bundle) *Bundle {
			bad := withParent("b", "")
			bad.Mode = "fuzzy"
			return signedBundle(t, p, testOrigin, sealed(p, withParent("a", ""), bad))
		}, nil, CheckFields, 1},
		{"entry 0 with a prev hash", func(*Bundle) *Bundle {
			es := sealed(p, withParent("a", ""))
			es[0].PrevHash[0] = 1
			es[0].sign(testOrigin, p, nil)
			return signedBundle(t, p, testOrigin, es)
		}, nil, CheckPrevHash, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.make(clone(t, base))
			wantFailure(t, verifyBoth(t, b, p.Verifier(), tc.opts), tc.check, tc.index)
		})
	}

	// A prefix of the log with the checkpoint of that prefix is fine.
	t.Run("old checkpoint with its entries", func(t *testing.T) {
		b := clone(t, base)
		b.Entries, b.Checkpoint = b.Entries[:8], cpAt(a, 8)
		if rep := verifyBoth(t, b, p.Verifier(), nil); !rep.OK {
			t.Fatalf("%+v", rep.FirstBad)
		}
	})
	t.Run("other origin when asked for", func(t *testing.T) {
		if rep := verifyBoth(t, mustBundle(t, otherOrigin), p.Verifier(), &VerifyOptions{Origin: "other.test/log"}); !rep.OK {
			t.Fatalf("%+v", rep.FirstBad)
		}
	})
}

// TestVerifyMalformed covers bundles that do not decode: only the
// streaming verifier sees them, and it names the entry.
func TestVerifyMalformed(t *testing.T) {
	s := newSigner(t, testOrigin)
	data := bundleBytes(t, mustBundle(t, newTestLog(t, s, 5)))
	third := bytes.Index(data, []byte(`{"index":2,`))
	for _, tc := range []struct {
		name  string
		data  []byte
		index int64
	}{
		{"empty", nil, -1},
		{"not json", []byte("hello"), -1},
		{"truncated in entry 2", data[:third+40], 2},
		{"negative u in entry 2", bytes.Replace(data, []byte(`"u":0.125}],"output":{"n":-0.25`), []byte(`"u":-0.125}],"output":{"n":-0.25`), 1), 2},
		{"unknown member in entry 2", append(append(bytes.Clone(data[:third+1]), `"x":1,`...), data[third+1:]...), 2},
		{"missing end", data[:len(data)-3], -1}, // after the entries: about the bundle, not an entry
		{"trailing data", append(bytes.Clone(data), "{}"...), -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := VerifyBundle(bytes.NewReader(tc.data), s.Verifier(), nil)
			if err == nil {
				t.Fatal("accepted")
			}
			wantFailure(t, rep, CheckFormat, tc.index)
			if _, err := ReadBundle(bytes.NewReader(tc.data)); err == nil {
				t.Fatal("ReadBundle accepted it")
			}
		})
	}
}

func TestVerifyBundleKey(t *testing.T) {
	s := newSigner(t, testOrigin)
	data := bundleBytes(t, mustBundle(t, newTestLog(t, s, 3)))
	if rep, err := VerifyBundleKey(bytes.NewReader(data), s.VerifierKey(), nil); err != nil || !rep.OK {
		t.Fatalf("%v %+v", err, rep)
	}
	rep, err := VerifyBundleKey(bytes.NewReader(data), "garbage", nil)
	if err == nil {
		t.Fatal("accepted a garbage key")
	}
	wantFailure(t, rep, CheckKey, -1)
	if !errors.Is(err, &nu.Error{Code: CodeBadKey}) {
		t.Fatalf("error %v, want %s", err, CodeBadKey)
	}
}

func ExampleVerifyBundle() {
	// The auditor pins the log key obtained out of band; the bundle comes
	// from anywhere.
	skey, vkey, _ := GenerateKey(crypto_rand.Reader, "ebios.example/log")
	_ = skey
	bundle := strings.NewReader(`{"format":"ebios-ledger-bundle","version":4}`)
	rep, err := VerifyBundleKey(bundle, vkey, nil)
	fmt.Println(rep.OK, rep.FirstBad.Check, err)
	// Output: false format LEDGER_016: bundle version 4 is not supported (this reader knows versions 1 to 3)
}
