package attest

import (
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// Operation is the ledger operation of an attestation entry.
const Operation = "proofs.attest"

// expressionPrefix starts the expression of an attestation entry.
const expressionPrefix = "proofs-manifest-root:"

// Expression returns the expression an attestation of m carries:
//
//	proofs-manifest-root:<root hex> files:<n> theorems:<n> coq:<version> flocq:<version>
//
// with the root recomputed from m's records (not copied from m.Root).
func Expression(m *Manifest) string {
	return expressionPrefix + m.RootHex() +
		" files:" + strconv.Itoa(len(m.Files)) +
		" theorems:" + strconv.Itoa(len(m.Theorems)) +
		" coq:" + m.Toolchain.Coq + " flocq:" + m.Toolchain.Flocq
}

// AttestedRoot returns the manifest root an attestation expression names,
// or "" if expr is not one.
func AttestedRoot(expr string) string {
	rest, ok := strings.CutPrefix(expr, expressionPrefix)
	if !ok {
		return ""
	}
	root, _, _ := strings.Cut(rest, " ")
	if !hexRE.MatchString(root) {
		return ""
	}
	return root
}

// Attestation returns the ledger draft that attests m under op id opID:
// operation "proofs.attest", no mode, no inputs or output, coverage 0,
// invariant ok, and [Expression](m) as the expression. The timestamp is
// left zero for the log to fill. It does not look at the files: [Attest]
// checks them first.
func Attestation(m *Manifest, opID string) ledger.Draft {
	return ledger.Draft{
		OpID:       opID,
		Operation:  Operation,
		Expression: Expression(m),
		Invariant:  ledger.Invariant{OK: true},
	}
}

// OpID returns a fresh op id for an attestation of m at time t:
// "proofs.attest/<first 16 hex digits of the root>/<t in Unix nanoseconds>".
func OpID(m *Manifest, t time.Time) string {
	return Operation + "/" + m.RootHex()[:16] + "/" + strconv.FormatInt(t.UnixNano(), 10)
}

// Attest is `ebios proofs attest` without the ledger: it loads the manifest
// at manifestPath, checks the proofs directory dir against it and returns the
// attestation draft. It refuses (with a *nu.Error listing every problem) when
// the files differ from the manifest, so that only a manifest that matches
// the sources is attested.
func Attest(dir, manifestPath, opID string) (ledger.Draft, *Manifest, error) {
	m, err := Load(manifestPath)
	if err != nil {
		return ledger.Draft{}, nil, err
	}
	if ps := Check(dir, m); len(ps) > 0 {
		return ledger.Draft{}, m, errMismatch(ps)
	}
	d := Attestation(m, opID)
	if err := d.Validate(); err != nil {
		return ledger.Draft{}, m, err
	}
	return d, m, nil
}

func errMismatch(ps []Problem) error {
	return newErr(CodeMismatch, fmt.Sprintf("the proofs differ from the manifest (%d problems)", len(ps)), joinProblems(ps),
		"if the change is intended, run `make proofs` and then `go test ./proofs/attest -update` to regenerate proofs/manifest.json")
}

// VerifyAttestation checks that e is an attestation of exactly m: operation
// "proofs.attest", no mode, no inputs or output, and the expression of m
// (so the root, recomputed from m's records, and the counts and toolchain
// all match). It does not check the entry's signature; [Verify] verifies
// the whole bundle against a pinned key before it looks for the entry.
func VerifyAttestation(e *ledger.Entry, m *Manifest) error {
	where := fmt.Sprintf("entry %d (op id %q)", e.Index, e.OpID)
	bad := func(format string, args ...any) error {
		return newErr(CodeAttestation, where+" "+fmt.Sprintf(format, args...), "",
			"attest the current manifest with `ebios proofs attest`")
	}
	switch {
	case e.Operation != Operation:
		return bad("has operation %q, not %q", e.Operation, Operation)
	case e.Mode != "":
		return bad("has mode %q; an attestation has none", e.Mode)
	case len(e.Inputs) != 0 || e.Output != nil:
		return bad("has inputs or an output; an attestation has none")
	}
	want := Expression(m)
	if e.Expression == want {
		return nil
	}
	if r := AttestedRoot(e.Expression); r == "" {
		return bad("does not carry a proofs manifest root (expression %q)", truncate(e.Expression, 120))
	} else if r != m.RootHex() {
		return bad("attests manifest root %s, but the manifest's root is %s", r, m.RootHex())
	}
	return bad("attests the root of this manifest but its expression %q is not %q", truncate(e.Expression, 200), want)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Entries returns the entries of src in index order, for [FindAttestation].
func Entries(src ledger.EntrySource) iter.Seq2[*ledger.Entry, error] {
	return func(yield func(*ledger.Entry, error) bool) {
		n := src.Len()
		for i := uint64(0); i < n; i++ {
			e, err := src.Get(i)
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// BundleEntries returns the remaining entries of br, for [FindAttestation].
// It reads the bundle but does not verify it.
func BundleEntries(br *ledger.BundleReader) iter.Seq2[*ledger.Entry, error] {
	return func(yield func(*ledger.Entry, error) bool) {
		for {
			e, err := br.Next()
			if err == io.EOF {
				return
			}
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// Found is what [FindAttestation] saw.
type Found struct {
	// Entry is the last entry that attests the manifest, or nil.
	Entry *ledger.Entry
	// Attestations is the number of "proofs.attest" entries seen, matching
	// or not; Scanned the number of entries.
	Attestations, Scanned int64
	// Last is the last "proofs.attest" entry seen, or nil.
	Last *ledger.Entry
}

// ScanAttestations is the loop of [FindAttestation], for any kind of
// attestation entry: it scans entries, and for every entry whose operation
// is op calls check, keeping the last entry check accepts (nil error) in
// Found.Entry. lastErr is what check said of the last entry of operation op
// when that entry was refused; err is an error of the iterator, returned as
// it is. Memory stays bounded: it keeps two entries. governance/certify
// scans for "certify.attest" entries with it.
func ScanAttestations(entries iter.Seq2[*ledger.Entry, error], op string, check func(*ledger.Entry) error) (f *Found, lastErr, err error) {
	f = new(Found)
	for e, err := range entries {
		if err != nil {
			return f, lastErr, err
		}
		f.Scanned++
		if e.Operation != op {
			continue
		}
		f.Attestations++
		f.Last = e
		if lastErr = check(e); lastErr == nil {
			f.Entry = e
		}
	}
	return f, lastErr, nil
}

// FindAttestation scans entries and returns the last entry that attests m
// (see [VerifyAttestation]). Memory stays bounded: it keeps two entries.
// When none attests m the error says why, naming the last attestation seen
// and what is wrong with it; an error of the iterator is returned as it is.
func FindAttestation(entries iter.Seq2[*ledger.Entry, error], m *Manifest) (*Found, error) {
	f, lastErr, err := ScanAttestations(entries, Operation, func(e *ledger.Entry) error { return VerifyAttestation(e, m) })
	switch {
	case err != nil:
		return f, err
	case f.Entry != nil:
		return f, nil
	case f.Attestations == 0:
		return f, newErr(CodeAttestation,
			fmt.Sprintf("no %q entry among the %d entries of the ledger", Operation, f.Scanned), "",
			"attest the manifest with `ebios proofs attest`, then export the ledger again")
	}
	why := lastErr.Error()
	if ne, ok := nu.AsError(lastErr); ok {
		why = ne.Message
	}
	return f, newErr(CodeAttestation,
		fmt.Sprintf("none of the %d %q entries attests manifest root %s", f.Attestations, Operation, m.RootHex()),
		"the last one: "+why,
		"the proofs or the manifest changed after the last attestation: attest the current manifest with `ebios proofs attest`")
}
