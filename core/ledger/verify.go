package ledger

import (
	"crypto/ed25519"
	"crypto/sha256"
	"hash/maphash"
	"io"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checks a verifier performs, as named in [Failure.Check], in the order
// they are applied: first the bundle (format, key, checkpoint, origin),
// then each entry in turn (tree_size when the checkpoint does not cover it,
// key_id, signature, fields, index, prev_hash, op_id, parent_op_id), then
// the whole (tree_size, merkle_root).
const (
	CheckFormat     = "format"       // the bundle or an entry cannot be decoded
	CheckKey        = "key"          // the bundle's key is not the pinned key
	CheckCheckpoint = "checkpoint"   // checkpoint malformed or not signed by the pinned key
	CheckOrigin     = "origin"       // origin differs from the expected one
	CheckKeyID      = "key_id"       // entry signed by another key
	CheckSignature  = "signature"    // entry signature does not verify
	CheckFields     = "fields"       // a signed entry breaks a field rule
	CheckIndex      = "index"        // entry out of order, missing, or duplicated
	CheckPrevHash   = "prev_hash"    // chain link broken
	CheckOpID       = "op_id"        // op id seen before
	CheckParent     = "parent_op_id" // parent op id not among the earlier entries
	CheckTreeSize   = "tree_size"    // the checkpoint covers more or fewer entries than the bundle has
	CheckRoot       = "merkle_root"  // Merkle root of the entries differs from the checkpoint's
)

// Failure says what failed first in a verification and where.
type Failure struct {
	// Index is the position of the first bad entry in the bundle (the index
	// it should have), or -1 when the failure is not about one entry.
	Index int64 `json:"index"`
	// Check is the check that failed (Check* constants).
	Check string `json:"check"`
	// Code is the error code (LEDGER_...).
	Code string `json:"code"`
	// Reason says what is wrong, Remediation what to do.
	Reason      string `json:"reason"`
	Remediation string `json:"remediation,omitempty"`
}

// Err returns f as a *nu.Error.
func (f *Failure) Err() *nu.Error {
	return &nu.Error{Code: f.Code, Category: CategoryLedger, Message: f.Reason, Remediation: f.Remediation}
}

func failure(index int64, check string, err error) *Failure {
	f := &Failure{Index: index, Check: check, Code: CodeBundle, Reason: err.Error()}
	if e, ok := nu.AsError(err); ok {
		f.Code, f.Reason, f.Remediation = e.Code, e.Message, e.Remediation
		if e.Details != "" {
			f.Reason += " (" + e.Details + ")"
		}
	}
	return f
}

// Report is the result of verifying a bundle. OK is true only when every
// check passed; otherwise FirstBad names the first failure.
type Report struct {
	OK bool `json:"ok"`
	// Origin is the origin of the verified checkpoint.
	Origin string `json:"origin,omitempty"`
	// Key is the pinned key that was checked against.
	Key string `json:"key,omitempty"`
	// CheckpointOK reports that the checkpoint is signed by the pinned key
	// for the expected origin.
	CheckpointOK bool `json:"checkpoint_ok"`
	// TreeSize and Root are the checkpoint's (valid only if CheckpointOK).
	TreeSize int64     `json:"tree_size"`
	Root     tlog.Hash `json:"root"`
	// Entries is the number of entries that passed every check before the
	// first failure (all of them when OK).
	Entries int64 `json:"entries"`
	// FirstBad is the first failure, or nil.
	FirstBad *Failure `json:"first_bad,omitempty"`
}

// VerifyOptions tune [VerifyBundle].
type VerifyOptions struct {
	// Origin is the expected log origin; empty means the pinned key's name.
	Origin string
	// Progress, when not nil, is called with the number of entries checked
	// and the number the checkpoint announces, every ProgressEvery entries
	// and once at the end.
	Progress func(done, total int64)
	// ProgressEvery defaults to 1024.
	ProgressEvery int64
	// Signatures, when not nil, checks the entry signatures instead of the
	// pinned key's Verify: in batches, while the verifier goes on with the
	// other checks (the browser app hands them to WebCrypto, which runs
	// them off the main thread). The report is the same: the first failure
	// in entry order, whichever check found it. Used only when the pinned
	// key is a [*Verifier].
	Signatures SignatureChecker
	// Workers is how many goroutines check the entry signatures when
	// Signatures is nil and the pinned key is a [*Verifier]: 0 means one
	// per core Go uses (runtime.GOMAXPROCS, which is 1 in WebAssembly),
	// and 1 checks each signature on the calling goroutine, in entry
	// order. With more than one, the calling goroutine reads and checks
	// the entries while the others check the signatures of the batches
	// read before; the report is the same: the first failure in entry
	// order. Every goroutine has ended when the verification returns.
	Workers int
}

// SignatureChecker checks Ed25519 signatures in batches. Check starts
// checking that sigs[i] is the signature of bodies[i] by pub and returns a
// function that waits for the answers, one per body. Check may keep bodies
// and sigs until wait returns. An error (the checker cannot check) fails
// the verification; it is not taken as a bad signature.
type SignatureChecker interface {
	Check(pub ed25519.PublicKey, bodies [][]byte, sigs []Signature) (wait func() ([]bool, error))
}

// sigBatch is the number of signatures handed to a SignatureChecker at
// once (a variable for tests), and sigInFlight how many batches may be
// checked at the same time: enough for the browser's Web Workers to stay
// busy when a loaded machine is slow to schedule them.
var sigBatch = 1024

const sigInFlight = 16

// VerifyBundle reads the bundle in r as it streams in and verifies it
// against the pinned key: the bundle key is the pinned key, the checkpoint is
// signed by the pinned key for the expected origin, and then for every
// entry, in order: it is covered by the checkpoint, its key id is the pinned
// key's, its signature verifies, it satisfies the field rules, its index is
// its position, its prev_hash is the hash of the entry before it, its op id
// is new and its parent op id names an earlier entry. Finally the number of
// entries must be the checkpoint's tree size and their RFC 6962 root the
// checkpoint's root.
//
// It never stops at "false": the report names the first failure, its check,
// the position of the entry and the reason. The returned error is nil when
// the report is OK and the first failure as a *nu.Error otherwise.
//
// Signatures are checked on every core ([VerifyOptions.Workers]) while the
// calling goroutine reads the entries and checks the rest in order; the
// report does not depend on it.
//
// Memory is bounded: the canonical bodies of the entries whose signatures
// are being checked (at most 17 batches of 1024, about 7 MB), O(log n) tree hashes, and
// 8 bytes per entry for the set of op ids seen (the set is needed to check
// parent references; it keeps 64-bit keyed hashes of the op ids, so a
// false match has probability about n²/2⁶⁵, per verification).
func VerifyBundle(r io.Reader, pinned note.Verifier, opts *VerifyOptions) (*Report, error) {
	if opts == nil {
		opts = new(VerifyOptions)
	}
	rep := &Report{Key: keyString(pinned)}
	br, err := NewBundleReader(r)
	if err != nil {
		return rep.fail(failure(-1, CheckFormat, err))
	}
	cv, f := openBundle(rep, &br.Header, pinned, opts)
	if f != nil {
		return rep.fail(f)
	}
	defer cv.close()
	var e Entry
	for {
		err := br.next(&e)
		if err == io.EOF {
			break
		}
		if err != nil {
			at := br.n
			if br.tail {
				at = -1
			}
			return rep.fail(cv.first(failure(at, CheckFormat, err)))
		}
		if f := cv.add(&e); f != nil {
			return rep.fail(f)
		}
		rep.Entries++
		cv.progress(false)
	}
	return rep.fail(cv.finish())
}

// VerifyBundleKey is [VerifyBundle] with the pinned key given in note
// verifier format.
func VerifyBundleKey(r io.Reader, pinnedKey string, opts *VerifyOptions) (*Report, error) {
	v, err := ParseVerifierKey(pinnedKey)
	if err != nil {
		return (&Report{}).fail(failure(-1, CheckKey, err))
	}
	return VerifyBundle(r, v, opts)
}

// Verify verifies a bundle already in memory, with the same checks and
// report as [VerifyBundle].
func (b *Bundle) Verify(pinned note.Verifier, opts *VerifyOptions) (*Report, error) {
	if opts == nil {
		opts = new(VerifyOptions)
	}
	rep := &Report{Key: keyString(pinned)}
	if b.Format != BundleFormat || !bundleVersionOK(b.Version) {
		return rep.fail(&Failure{Index: -1, Check: CheckFormat, Code: CodeBundle,
			Reason: "not an " + BundleFormat + " of version " + itoa(MinBundleVersion) + " to " + itoa(BundleVersion)})
	}
	cv, f := openBundle(rep, &b.BundleHeader, pinned, opts)
	if f != nil {
		return rep.fail(f)
	}
	defer cv.close()
	for _, e := range b.Entries {
		if f := cv.add(e); f != nil {
			return rep.fail(f)
		}
		rep.Entries++
		cv.progress(false)
	}
	return rep.fail(cv.finish())
}

func (rep *Report) fail(f *Failure) (*Report, error) {
	if f == nil {
		rep.OK = true
		return rep, nil
	}
	rep.FirstBad = f
	if f.Index >= 0 && f.Index < rep.Entries { // entries passed before a deferred signature failed
		rep.Entries = f.Index
	}
	return rep, f.Err()
}

func keyString(v note.Verifier) string {
	if k, ok := v.(*Verifier); ok {
		return k.key
	}
	return v.Name() + "+" + KeyID(v.KeyHash()).String()
}

// openBundle checks the header and returns the entry verifier.
func openBundle(rep *Report, h *BundleHeader, pinned note.Verifier, opts *VerifyOptions) (*chainVerifier, *Failure) {
	if f := checkBundleKey(h.Key, pinned); f != nil {
		return nil, f
	}
	c, err := OpenCheckpoint([]byte(h.Checkpoint), pinned, opts.Origin)
	if err != nil {
		check := CheckCheckpoint
		if e, ok := nu.AsError(err); ok && e.Code == CodeOrigin {
			check = CheckOrigin
		}
		return nil, failure(-1, check, err)
	}
	if h.Origin != c.Origin {
		return nil, failure(-1, CheckOrigin, newErr(CodeOrigin, "bundle origin "+quote(h.Origin)+
			" differs from its checkpoint's origin "+quote(c.Origin), "", "the bundle was assembled from two logs; export it again"))
	}
	rep.CheckpointOK, rep.Origin, rep.TreeSize, rep.Root = true, c.Origin, c.Size, c.Root
	every := opts.ProgressEvery
	if every <= 0 {
		every = 1024
	}
	cv := newChainVerifier(c, pinned, opts.Progress, every)
	cv.version = h.Version
	if v, ok := pinned.(*Verifier); ok {
		switch n := workers(opts.Workers); {
		case opts.Signatures != nil:
			cv.sigs = &deferredSigs{checker: opts.Signatures, pub: v.pub}
		case n > 1:
			pool := newSigPool(n)
			cv.sigs = &deferredSigs{checker: pool, pub: v.pub, pool: pool}
		}
	}
	return cv, nil
}

// close ends the goroutines of the verification, if it started any.
func (cv *chainVerifier) close() {
	if cv.sigs != nil && cv.sigs.pool != nil {
		cv.sigs.pool.stop()
	}
}

// deferredSigs collects the signatures a SignatureChecker checks.
type deferredSigs struct {
	checker SignatureChecker
	pub     ed25519.PublicKey
	first   int64 // index of the first entry of the batch being filled
	bodies  [][]byte
	sigs    []Signature
	flying  []flight // batches handed over, oldest first
	bad     *Failure // the first bad signature found, if any
	pool    *sigPool // the checker, when the verification started it
}

type flight struct {
	first int64
	wait  func() ([]bool, error)
}

// add queues the signature of entry i (the first queued after a flush
// starts a batch).
func (d *deferredSigs) add(i int64, body []byte, sig Signature) {
	if len(d.bodies) == 0 {
		d.first = i
	}
	d.bodies = append(d.bodies, append([]byte(nil), body...))
	d.sigs = append(d.sigs, sig)
	if len(d.bodies) == sigBatch {
		d.send()
		for len(d.flying) > sigInFlight && d.bad == nil {
			d.land()
		}
	}
}

// send hands the batch being filled to the checker.
func (d *deferredSigs) send() {
	if len(d.bodies) == 0 {
		return
	}
	d.flying = append(d.flying, flight{first: d.first, wait: d.checker.Check(d.pub, d.bodies, d.sigs)})
	d.bodies, d.sigs = nil, nil
}

// land waits for the oldest batch in flight and records its first bad
// signature.
func (d *deferredSigs) land() {
	f := d.flying[0]
	d.flying = d.flying[1:]
	oks, err := f.wait()
	if err != nil {
		d.bad = failure(f.first, CheckSignature, newErr(CodeSignature, "the signatures from entry "+itoa64(f.first)+" could not be checked", err.Error(),
			"reload and verify again; if it persists, use a browser with WebCrypto Ed25519 or ebios ledger verify"))
		return
	}
	for k, ok := range oks {
		if !ok {
			d.bad = failure(f.first+int64(k), CheckSignature, errSig(uint64(f.first+int64(k)))) // #nosec G115 -- an entry's position in a bundle, never negative
			return
		}
	}
}

// settle checks every queued signature and returns the first bad one, if
// any.
func (d *deferredSigs) settle() *Failure {
	d.send()
	for len(d.flying) > 0 && d.bad == nil {
		d.land()
	}
	return d.bad
}

func checkBundleKey(key string, pinned note.Verifier) *Failure {
	mismatch := func(details string) *Failure {
		return failure(-1, CheckKey, newErr(CodeKeyMismatch,
			"the bundle's key "+quote(key)+" is not the pinned key "+quote(keyString(pinned)), details,
			"a bundle's own key proves nothing: verify with the key you obtained from the log operator out of band; if the log rotated its key, pin the new one"))
	}
	if p, ok := pinned.(*Verifier); ok {
		if key != p.key {
			return mismatch("")
		}
		return nil
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return mismatch(err.Error())
	}
	if v.Name() != pinned.Name() || v.KeyHash() != pinned.KeyHash() {
		return mismatch("")
	}
	return nil
}

// chainVerifier checks entries one by one against a checkpoint.
type chainVerifier struct {
	cp       Checkpoint
	pinned   note.Verifier
	keyID    KeyID
	n        int64
	prev     tlog.Hash
	seed     maphash.Seed
	ops      map[uint64]struct{}
	fr       frontier
	buf      []byte
	progFn   func(done, total int64)
	progStep int64
	sigs     *deferredSigs // nil: signatures are checked one by one, in order
	version  int           // the bundle's format version
}

func newChainVerifier(c Checkpoint, pinned note.Verifier, progress func(int64, int64), every int64) *chainVerifier {
	return &chainVerifier{cp: c, pinned: pinned, keyID: KeyID(pinned.KeyHash()), seed: maphash.MakeSeed(),
		ops: make(map[uint64]struct{}, min(c.Size, 1<<16)), buf: make([]byte, 0, 1024),
		progFn: progress, progStep: every}
}

func (cv *chainVerifier) progress(final bool) {
	if cv.progFn != nil && (final || cv.n%cv.progStep == 0) {
		cv.progFn(cv.n, cv.cp.Size)
	}
}

// add checks the next entry. With deferred signatures, a failure found by
// another check is reported only after every earlier signature has been
// checked, so the report names the first bad entry either way.
func (cv *chainVerifier) add(e *Entry) *Failure {
	return cv.first(cv.check(e))
}

// first returns f, found after every entry before the current one passed
// its other checks, or the first bad signature when one comes before it
// (with deferred signatures, some are still being checked): a failure at
// an entry is reported if no earlier entry fails, and one about the whole
// bundle (index -1) if no entry fails.
func (cv *chainVerifier) first(f *Failure) *Failure {
	if f != nil && cv.sigs != nil {
		if bad := cv.sigs.settle(); bad != nil && (f.Index < 0 || bad.Index <= f.Index) {
			return bad
		}
	}
	return f
}

func (cv *chainVerifier) check(e *Entry) *Failure {
	i := cv.n
	if i >= cv.cp.Size {
		return failure(i, CheckTreeSize, newErr(CodeRoot, "the bundle has more entries than the checkpoint's tree size "+itoa64(cv.cp.Size), "",
			"the checkpoint is older than the entries: export the bundle again with a current checkpoint"))
	}
	if e.KeyID != cv.keyID {
		return failure(i, CheckKeyID, errKeyID(uint64(i), e.KeyID, cv.pinned)) // #nosec G115 -- i is an entry's position in a bundle, never negative
	}
	cv.buf = e.AppendBody(cv.buf[:0], cv.cp.Origin)
	if cv.sigs != nil {
		cv.sigs.add(i, cv.buf, e.Signature)
		if cv.sigs.bad != nil {
			return cv.sigs.bad
		}
	} else if !cv.pinned.Verify(cv.buf, e.Signature[:]) {
		return failure(i, CheckSignature, errSig(uint64(i))) // #nosec G115 -- i is an entry's position in a bundle, never negative
	}
	if f := e.Draft.validate(); f != nil {
		return failure(i, CheckFields, errInvalid("entry %d: %s: %s", i, f.field, f.reason))
	}
	if e.Mode == ModeGUM && cv.version < 2 {
		return failure(i, CheckFields, errInvalid("entry %d: mode: \"gum\" needs bundle version 2, and this bundle says version %d", i, cv.version))
	}
	if e.Analysis != nil && cv.version < 3 {
		return failure(i, CheckFields, errInvalid("entry %d: analysis: an entry with an analysis needs bundle version 3, and this bundle says version %d", i, cv.version))
	}
	at := uint64(i) // #nosec G115 -- i is an entry's position in a bundle, never negative
	if e.Index != at {
		what := "an entry is missing or the entries are out of order"
		if e.Index < at {
			what = "it repeats an earlier index or the entries are out of order"
		}
		return failure(i, CheckIndex, newErr(CodeIndex, "entry at position "+itoa64(i)+" has index "+utoa(e.Index)+": "+what, "",
			"the bundle was edited; export it again from the log"))
	}
	if e.PrevHash != cv.prev {
		return failure(i, CheckPrevHash, newErr(CodeChain, "entry "+itoa64(i)+": prev_hash is not the link hash of entry "+itoa64(i-1), "",
			"entries from different histories were spliced together, or an entry was replaced; do not trust the log from here on"))
	}
	id := maphash.String(cv.seed, e.OpID)
	if _, dup := cv.ops[id]; dup {
		return failure(i, CheckOpID, newErr(CodeOpID, "entry "+itoa64(i)+": op id "+quote(e.OpID)+" appears in an earlier entry", "",
			"op ids are unique; the log writer reused one"))
	}
	if e.ParentOpID != "" {
		if _, ok := cv.ops[maphash.String(cv.seed, e.ParentOpID)]; !ok {
			return failure(i, CheckParent, newErr(CodeOpID, "entry "+itoa64(i)+": parent op id "+quote(e.ParentOpID)+" is not an earlier entry", "",
				"the causal chain is broken: the parent is missing from the log or comes later"))
		}
	}
	cv.ops[id] = struct{}{}
	cv.prev = sha256.Sum256(cv.buf) // the link hash: SHA-256 of the body
	cv.buf = append(cv.buf, e.Signature[:]...)
	cv.fr.push(leafHash(cv.buf))
	cv.n++
	return nil
}

func (cv *chainVerifier) finish() *Failure {
	if cv.sigs != nil {
		if bad := cv.sigs.settle(); bad != nil {
			return bad
		}
	}
	cv.progress(true)
	if cv.n != cv.cp.Size {
		return failure(cv.n, CheckTreeSize, newErr(CodeRoot, "the bundle ends after "+itoa64(cv.n)+" entries but the checkpoint covers "+itoa64(cv.cp.Size), "",
			"entries are missing at the end: export the whole log again"))
	}
	if cv.fr.root() != cv.cp.Root {
		return failure(-1, CheckRoot, newErr(CodeRoot, "the Merkle root of the "+itoa64(cv.n)+" entries differs from the checkpoint's root", "",
			"the entries are not the log the checkpoint describes (a fork or a rewritten history); do not trust them"))
	}
	return nil
}
