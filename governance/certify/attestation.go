package certify

import (
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/proofs/attest"
)

// Operation is the ledger operation of an attestation entry.
const Operation = "certify.attest"

// expressionPrefix starts the expression of an attestation entry.
const expressionPrefix = "evidence-manifest-root:"

// Expression returns the expression an attestation of m carries:
//
//	evidence-manifest-root:<root hex> bundle:<name> files:<n>
//
// with the root recomputed from m's records (not copied from m.Root).
func Expression(m *Manifest) string {
	return expressionPrefix + m.RootHex() + " bundle:" + m.Bundle + " files:" + strconv.Itoa(len(m.Files))
}

// AttestedRoot returns the root an attestation expression names, or "" if
// expr is not one.
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
// operation "certify.attest", no mode, no inputs or output, coverage 0,
// invariant ok, and [Expression](m). The timestamp is left for the log to
// fill. It does not look at the files: [Attest] checks them first.
func Attestation(m *Manifest, opID string) ledger.Draft {
	return ledger.Draft{
		OpID:       opID,
		Operation:  Operation,
		Expression: Expression(m),
		Invariant:  ledger.Invariant{OK: true},
	}
}

// OpID returns a fresh op id for an attestation of m at time t:
// "certify.attest/<first 16 hex digits of the root>/<t in Unix nanoseconds>".
func OpID(m *Manifest, t time.Time) string {
	return Operation + "/" + m.RootHex()[:16] + "/" + strconv.FormatInt(t.UnixNano(), 10)
}

// Attest is `ebios certify attest` without the ledger: it loads the
// manifest of the bundle directory dir, checks every file against it and
// returns the attestation draft. It refuses (CERTIFY_003, naming every file
// that differs) a bundle whose files are not the ones its manifest lists,
// so that only a bundle as it was sealed is attested.
func Attest(dir, opID string) (ledger.Draft, *Manifest, error) {
	m, err := Load(dir)
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

// VerifyAttestation checks that e is an attestation of exactly m:
// operation "certify.attest", no mode, no inputs or output, and the
// expression of m. It does not check the entry's signature: [Verify]
// verifies the whole ledger bundle against a pinned key first.
func VerifyAttestation(e *ledger.Entry, m *Manifest) error {
	where := fmt.Sprintf("entry %d (op id %q)", e.Index, e.OpID)
	bad := func(format string, args ...any) error {
		return newErr(CodeAttestation, where+" "+fmt.Sprintf(format, args...), "",
			"attest this bundle with `ebios certify attest`")
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
		return bad("does not carry an evidence manifest root (expression %q)", truncate(e.Expression, 120))
	} else if r != m.RootHex() {
		return bad("attests evidence root %s, but this bundle's root is %s", r, m.RootHex())
	}
	return bad("attests the root of this bundle but its expression %q is not %q", truncate(e.Expression, 200), want)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// FindAttestation scans entries and returns the last entry that attests m
// ([VerifyAttestation]), in bounded memory. When none does, the error says
// why, naming the last "certify.attest" entry seen and what is wrong with
// it; an error of the iterator is returned as it is.
func FindAttestation(entries iter.Seq2[*ledger.Entry, error], m *Manifest) (*attest.Found, error) {
	f, lastErr, err := attest.ScanAttestations(entries, Operation, func(e *ledger.Entry) error { return VerifyAttestation(e, m) })
	switch {
	case err != nil:
		return f, err
	case f.Entry != nil:
		return f, nil
	case f.Attestations == 0:
		return f, newErr(CodeAttestation,
			fmt.Sprintf("no %q entry among the %d entries of the ledger", Operation, f.Scanned), "",
			"attest the bundle with `ebios certify attest`, then export the ledger again")
	}
	why := lastErr.Error()
	if ne, ok := nu.AsError(lastErr); ok {
		why = ne.Message
	}
	return f, newErr(CodeAttestation,
		fmt.Sprintf("none of the %d %q entries attests evidence root %s", f.Attestations, Operation, m.RootHex()),
		"the last one: "+why,
		"this is not the bundle that was attested (or it was rebuilt since): get the attested bundle, or attest this one with `ebios certify attest`")
}
