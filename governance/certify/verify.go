package certify

import (
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"strings"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/proofs/attest"
)

// Report is what [Verify] checked and found. OK is true only when every
// check that ran passed; Ledger is nil when no ledger bundle was given, and
// then no attestation was checked (String says so).
type Report struct {
	OK  bool   `json:"ok"`  // every check that ran passed
	Dir string `json:"dir"` // the bundle directory
	// Manifest facts, valid when the manifest could be loaded.
	Bundle string `json:"bundle,omitempty"` // the bundle's name
	Root   string `json:"root,omitempty"`   // the manifest's root, lower-case hex
	Files  int    `json:"files"`            // the number of files the manifest lists
	// ManifestError is why the manifest could not be loaded, or "".
	ManifestError string `json:"manifest_error,omitempty"`
	// Problems are the differences between the directory and the manifest.
	Problems []Problem `json:"problems,omitempty"`
	// Ledger is the ledger bundle's verification report, nil when none was given.
	Ledger *ledger.Report `json:"ledger,omitempty"`
	// Attestation is the entry that attests the manifest, or nil.
	Attestation *attest.AttestationInfo `json:"attestation,omitempty"`
	// AttestationError is why no attestation was accepted, or "".
	AttestationError string `json:"attestation_error,omitempty"`
}

// Verify is `ebios certify verify`: it loads the manifest of the bundle
// directory dir, checks every file against it ([Check]) and, when
// ledgerBundle is not nil, verifies that exported ledger bundle against
// pinnedKey (note verifier format) and looks in it for an entry that
// attests exactly this manifest ([FindAttestation]), reading the ledger
// bundle once, as it streams in ([attest.VerifyBundleScan]).
//
// The report lists every check and its result ([Report.String]); the error
// is nil when the report is OK and otherwise the first failure as a
// *nu.Error (CERTIFY_001 ... CERTIFY_005); a changed, added or missing file
// is CERTIFY_003, whose message names the files.
func Verify(dir string, ledgerBundle io.Reader, pinnedKey string) (*Report, error) {
	rep := &Report{Dir: dir}
	m, err := Load(dir)
	if err != nil {
		rep.ManifestError = errMessage(err)
		return rep, err
	}
	rep.Bundle, rep.Root, rep.Files = m.Bundle, m.Root, len(m.Files)
	rep.Problems = Check(dir, m)
	var first error
	if len(rep.Problems) > 0 {
		first = errMismatch(rep.Problems)
	}
	if ledgerBundle != nil {
		if err := rep.verifyLedger(m, ledgerBundle, pinnedKey); err != nil && first == nil {
			first = err
		}
	}
	rep.OK = first == nil
	return rep, first
}

func (rep *Report) verifyLedger(m *Manifest, bundle io.Reader, pinnedKey string) error {
	if pinnedKey == "" {
		rep.Ledger = &ledger.Report{}
		rep.AttestationError = "not checked: no pinned key"
		return newErr(CodeLedger, "no pinned key to verify the ledger bundle with", "",
			"give the ledger's verifier key (note verifier format), obtained from a trusted source, not from the bundle")
	}
	var f *attest.Found
	lrep, lerr, serr := attest.VerifyBundleScan(bundle, pinnedKey, func(entries iter.Seq2[*ledger.Entry, error]) error {
		var err error
		f, err = FindAttestation(entries, m)
		return err
	})
	rep.Ledger = lrep
	if lerr != nil {
		rep.AttestationError = "not checked: the ledger bundle does not verify"
		return newErr(CodeLedger, "the ledger bundle does not verify: "+errMessage(lerr), "",
			"export the ledger again (`ebios ledger export`) and check that the pinned key is the ledger's key")
	}
	if serr != nil {
		rep.AttestationError = errMessage(serr)
		if ne, ok := nu.AsError(serr); ok && ne.Details != "" {
			rep.AttestationError += " (" + ne.Details + ")"
		}
		return serr
	}
	if f.Scanned != lrep.Entries {
		rep.AttestationError = fmt.Sprintf("scanned %d entries but %d were verified", f.Scanned, lrep.Entries)
		return newErr(CodeLedger, "the ledger bundle was read inconsistently: "+rep.AttestationError, "",
			"export the ledger again; if it persists, report it as a bug")
	}
	e := f.Entry
	rep.Attestation = &attest.AttestationInfo{Index: e.Index, OpID: e.OpID, KeyID: e.KeyID.String(),
		Timestamp: time.Unix(0, e.Timestamp).UTC(), Expression: e.Expression, Attestations: f.Attestations}
	return nil
}

func errMessage(err error) string {
	if ne, ok := nu.AsError(err); ok {
		return ne.Message
	}
	return err.Error()
}

// String returns the report as text for people, one line per check:
//
//	bundle ebios-evidence-1a2b3c4 (build/certify/ebios-evidence-1a2b3c4): 27 files
//	root 5d1e...
//	OK    files: ...
//	OK    ledger: ...
//	OK    attestation: ...
//	certify verify: OK
func (rep *Report) String() string {
	var b strings.Builder
	line := func(ok bool, format string, args ...any) {
		tag := "FAIL "
		if ok {
			tag = "OK   "
		}
		fmt.Fprintf(&b, tag+" "+format+"\n", args...)
	}
	if rep.ManifestError != "" {
		line(false, "manifest %s: %s", filepath.Join(rep.Dir, ManifestName), rep.ManifestError)
		b.WriteString("certify verify: FAILED\n")
		return b.String()
	}
	fmt.Fprintf(&b, "bundle %s (%s): %d files\n", rep.Bundle, rep.Dir, rep.Files)
	fmt.Fprintf(&b, "root %s\n", rep.Root)
	if len(rep.Problems) == 0 {
		line(true, "files: the %d files of the bundle match their SHA-256 in the manifest, and there are no others", rep.Files)
	} else {
		line(false, "files: %d differences between %s and its manifest:", len(rep.Problems), rep.Dir)
		for _, p := range rep.Problems {
			fmt.Fprintf(&b, "        %s\n", p)
		}
	}
	switch l := rep.Ledger; {
	case l == nil:
		b.WriteString("SKIP  ledger: no ledger bundle given, so no attestation was checked\n")
	case l.OK:
		line(true, "ledger: bundle of %d entries verified against the pinned key %s (checkpoint root %s)", l.Entries, l.Key, l.Root)
	case l.FirstBad != nil:
		line(false, "ledger: bundle does not verify against the pinned key %s: %s check failed at entry %d: %s",
			l.Key, l.FirstBad.Check, l.FirstBad.Index, l.FirstBad.Reason)
	default:
		line(false, "ledger: bundle not verified")
	}
	if a := rep.Attestation; a != nil {
		line(true, "attestation: entry %d (op id %q, key %s, %s) attests evidence root %s (%d attestation entries in the ledger)",
			a.Index, a.OpID, a.KeyID, a.Timestamp.Format(time.RFC3339), rep.Root, a.Attestations)
	} else if rep.Ledger != nil {
		line(false, "attestation: %s", rep.AttestationError)
	}
	if rep.OK {
		b.WriteString("certify verify: OK\n")
	} else {
		b.WriteString("certify verify: FAILED\n")
	}
	return b.String()
}
