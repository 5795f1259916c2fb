package logstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// memLog is a log of n entries in memory, and how WriteBundle reads it.
func memLog(t *testing.T, n int) (*ledger.Log, *ledger.Signer, func(w io.Writer, read func(from, to uint64, f func(uint64, []byte) error) error) error) {
	t.Helper()
	skey, _, err := ledger.GenerateKey(rand.Reader, "example.org/log")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ledger.ParseSignerKey(skey)
	l, err := ledger.NewLog("example.org/log", s, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	v := nu.MustNew(1, 0.5)
	for i := range n {
		if _, err := l.Append(ledger.Draft{OpID: fmt.Sprint("op-", i), Operation: "add", Mode: ledger.ModeNU, Inputs: []nu.Value{v, v}, Output: &v,
			Invariant: ledger.Invariant{OK: true}}); err != nil {
			t.Fatal(err)
		}
	}
	cp, size := l.Storage().Head()
	write := func(w io.Writer, read func(from, to uint64, f func(uint64, []byte) error) error) error {
		return WriteBundle(w, ledger.BundleHeader{Origin: l.Origin(), Key: s.VerifierKey(), Checkpoint: string(cp)}, size, read, nil,
			func(i uint64, err error) error { return fmt.Errorf("entry %d is damaged: %w", i, err) })
	}
	return l, s, write
}

// TestWriteAndVerifyExport: an export written from a store's leaves
// verifies; one with a leaf altered is refused, naming the entry; a
// verification whose context ends returns the context's error.
func TestWriteAndVerifyExport(t *testing.T) {
	l, s, write := memLog(t, 300)
	leaves := l.Storage().ReadLeaves
	var phases []VerifyPhase
	rep, err := VerifyExport(context.Background(), func(w io.Writer) error { return write(w, leaves) }, s.Verifier(),
		func(ph VerifyPhase, done, total int64) { phases = append(phases, ph) })
	if err != nil || !rep.OK || rep.TreeSize != 300 || len(phases) == 0 || phases[0] != PhaseEntries {
		t.Fatalf("export of a sound log: %+v, %v, phases %v", rep, err, phases)
	}

	altered := func(from, to uint64, f func(uint64, []byte) error) error {
		return leaves(from, to, func(i uint64, leaf []byte) error {
			if i == 123 {
				leaf = bytes.Clone(leaf)
				leaf[len(leaf)-1] ^= 1 // the signature
			}
			return f(i, leaf)
		})
	}
	rep, err = VerifyExport(context.Background(), func(w io.Writer) error { return write(w, altered) }, s.Verifier(), func(VerifyPhase, int64, int64) {})
	if err == nil || rep.OK || rep.FirstBad == nil || rep.FirstBad.Index != 123 || rep.FirstBad.Check != ledger.CheckSignature {
		t.Fatalf("an altered signature: %+v, %v", rep, err)
	}

	undecodable := func(from, to uint64, f func(uint64, []byte) error) error {
		return leaves(from, to, func(i uint64, leaf []byte) error {
			if i == 7 {
				leaf = []byte("not an entry")
			}
			return f(i, leaf)
		})
	}
	if err := write(io.Discard, undecodable); err == nil || err.Error()[:17] != "entry 7 is damage" {
		t.Fatalf("an undecodable leaf: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rep, err := VerifyExport(ctx, func(w io.Writer) error { return write(w, leaves) }, s.Verifier(), func(VerifyPhase, int64, int64) {}); !errors.Is(err, context.Canceled) || rep != nil {
		t.Fatalf("a cancelled verification: %+v, %v", rep, err)
	}
}
