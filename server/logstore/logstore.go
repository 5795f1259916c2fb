// Package logstore names what the server needs of the store of its signed
// log, whatever keeps it: the BuntDB and tile-files driver
// (server/ledgerstore), PostgreSQL (server/pgstore) or Cloudflare's stores
// (wasm/worker). The HTTP API, the policy store and backups work over
// [Log]; a driver implements it with the log engine of core/ledger.
package logstore

import (
	"context"
	"io"

	"github.com/ebios/ebios/core/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Log is a durable, append-only signed log, safe for concurrent use.
// Reads see every acknowledged append of this process; a store shared by
// several processes says in its documentation when they see each other's.
type Log interface {
	// Origin returns the log's origin (the signer's key name).
	Origin() string
	// VerifierKey returns the log's verifier key in note format.
	VerifierKey() string
	// Ready returns nil when the log takes appends, and otherwise why not
	// (a structured error).
	Ready() error

	// Len returns the number of durable entries.
	Len() uint64
	// Checkpoint returns the latest signed checkpoint (a C2SP signed note).
	Checkpoint() []byte
	// Latest returns the latest signed checkpoint and its tree size, read
	// together.
	Latest() (checkpoint []byte, size int64)
	// Get returns entry i.
	Get(i uint64) (*ledger.Entry, error)
	// IndexOfOp returns the index of the entry with op id op, if it is
	// in the log (ledger.OpIndexer).
	IndexOfOp(op string) (uint64, bool)
	// ReadTile returns a C2SP tlog-tiles tile, partial ones included.
	ReadTile(t tlog.Tile) ([]byte, error)
	// InclusionProof proves entry index in the tree of size treeSize.
	InclusionProof(index, treeSize int64) (tlog.RecordProof, error)
	// ConsistencyProof proves that the tree of size oldSize is a prefix
	// of the tree of size newSize.
	ConsistencyProof(oldSize, newSize int64) (tlog.TreeProof, error)

	// WriteBundle writes an export bundle of the first n entries (all
	// entries when n < 0), calling progress (when not nil) as it goes.
	WriteBundle(w io.Writer, n int64, progress func(done, total int64)) error
	// VerifyContext re-verifies the whole log as an auditor would verify
	// its export, and what reads and proofs are served from; the report
	// names the first bad entry. When ctx ends it returns ctx's error.
	VerifyContext(ctx context.Context, progress func(phase VerifyPhase, done, total int64)) (*ledger.Report, error)

	// Append logs d and returns the signed entry once it is durable.
	Append(ctx context.Context, d ledger.Draft) (*ledger.Entry, error)
	// AppendBatch logs the drafts as consecutive entries, all or none,
	// returning them once they are durable.
	AppendBatch(ctx context.Context, ds []ledger.Draft) ([]*ledger.Entry, error)
}

// VerifyPhase is a phase of a whole-log verification ([Log.VerifyContext]).
type VerifyPhase int

// The phases of a verification, in order.
const (
	// PhaseStored checks what reads and proofs are served from: stored
	// tiles, rows, their tree hashes and checkpoints.
	PhaseStored VerifyPhase = iota
	// PhaseEntries verifies the log as its export: signatures, chain
	// links and the Merkle root against the signed checkpoint.
	PhaseEntries
)

// WriteBundle writes an export bundle with header h of the first size
// entries, whose leaf data read calls f with in order (a driver's
// ReadLeaves), calling progress (when not nil) every 1,024 entries and at
// the end. A leaf that does not decode is reported by damaged, with the
// entry's index and why.
func WriteBundle(w io.Writer, h ledger.BundleHeader, size int64, read func(from, to uint64, f func(i uint64, leaf []byte) error) error,
	progress func(done, total int64), damaged func(i uint64, err error) error) error {
	bw, err := ledger.NewBundleWriter(w, h)
	if err != nil {
		return err
	}
	var done int64
	err = read(0, uint64(size), func(i uint64, leaf []byte) error { // #nosec G115 -- a tree size, never negative
		e, err := ledger.ParseLeaf(h.Origin, leaf)
		if err != nil {
			return damaged(i, err)
		}
		if err := bw.WriteEntry(e); err != nil {
			return err
		}
		if done++; progress != nil && (done%1024 == 0 || done == size) {
			progress(done, size)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return bw.Close()
}

// VerifyExport verifies, as an auditor verifies a bundle (signatures,
// chain links, op ids, the Merkle root against the checkpoint), the export
// that write streams, against the log's key v: the PhaseEntries of
// [Log.VerifyContext]. When ctx ends it stops and returns ctx's error.
func VerifyExport(ctx context.Context, write func(w io.Writer) error, v note.Verifier, progress func(phase VerifyPhase, done, total int64)) (*ledger.Report, error) {
	pr, pw := io.Pipe()
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })
	defer stop()
	go func() { pw.CloseWithError(write(pw)) }()
	rep, err := ledger.VerifyBundle(pr, v, &ledger.VerifyOptions{Progress: func(done, total int64) { progress(PhaseEntries, done, total) }})
	pr.Close()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return rep, err
}
