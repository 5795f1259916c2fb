package attest

import (
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// Report is what [Verify] checked and found. OK is true only when every
// check that ran passed; Ledger is nil when no bundle was given, and then
// no attestation was checked (String says so).
type Report struct {
	OK           bool   `json:"ok"`
	Dir          string `json:"dir"`
	ManifestPath string `json:"manifest"`
	// Manifest facts, valid when the manifest could be loaded.
	Root      string    `json:"root,omitempty"`
	Files     int       `json:"files"`
	Theorems  int       `json:"theorems"`
	Toolchain Toolchain `json:"toolchain"`
	// ManifestError is why the manifest could not be loaded, or "".
	ManifestError string `json:"manifest_error,omitempty"`
	// Problems are the differences between the directory and the manifest.
	Problems []Problem `json:"problems,omitempty"`
	// Ledger is the bundle verification report, nil when no bundle was given.
	Ledger *ledger.Report `json:"ledger,omitempty"`
	// Attestation is the entry that attests the manifest, or nil.
	Attestation *AttestationInfo `json:"attestation,omitempty"`
	// AttestationError is why no attestation was accepted, or "".
	AttestationError string `json:"attestation_error,omitempty"`
}

// AttestationInfo describes the attestation entry [Verify] accepted.
type AttestationInfo struct {
	Index      uint64    `json:"index"`
	OpID       string    `json:"op_id"`
	KeyID      string    `json:"key_id"`
	Timestamp  time.Time `json:"timestamp"`
	Expression string    `json:"expression"`
	// Attestations is the number of "proofs.attest" entries in the bundle.
	Attestations int64 `json:"attestations"`
}

// Verify is `ebios proofs verify`: it loads the manifest at manifestPath,
// checks the proofs directory dir against it ([Check]) and, when bundle is
// not nil, verifies that ledger bundle against pinnedKey (note verifier
// format) with [ledger.VerifyBundle] and looks in it for an entry that
// attests the manifest ([FindAttestation]). The bundle is read once, as it
// streams in, in bounded memory.
//
// The report lists every check and its result (print it with
// [Report.String]); the error is nil when the report is OK and otherwise
// the first failure as a *nu.Error (codes PROOFS_001 ... PROOFS_005).
func Verify(dir, manifestPath string, bundle io.Reader, pinnedKey string) (*Report, error) {
	rep := &Report{Dir: dir, ManifestPath: manifestPath}
	m, err := Load(manifestPath)
	if err != nil {
		rep.ManifestError = errMessage(err)
		return rep, err
	}
	rep.Root, rep.Files, rep.Theorems, rep.Toolchain = m.Root, len(m.Files), len(m.Theorems), m.Toolchain
	rep.Problems = Check(dir, m)
	var first error
	if len(rep.Problems) > 0 {
		first = errMismatch(rep.Problems)
	}
	if bundle != nil {
		if err := rep.verifyLedger(m, bundle, pinnedKey); err != nil && first == nil {
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
			"give the ledger's public key (note verifier format), obtained from a trusted source, not from the bundle")
	}
	var f *Found
	lrep, lerr, serr := VerifyBundleScan(bundle, pinnedKey, func(entries iter.Seq2[*ledger.Entry, error]) error {
		var err error
		f, err = FindAttestation(entries, m)
		return err
	})
	rep.Ledger = lrep
	if lerr != nil {
		rep.AttestationError = "not checked: the ledger bundle does not verify"
		return newErr(CodeLedger, "the ledger bundle does not verify: "+errMessage(lerr), "",
			"export the ledger again and check that the pinned key is the ledger's key")
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
		return newErr(CodeLedger, "the ledger bundle was read inconsistently: "+rep.AttestationError, "", "")
	}
	e := f.Entry
	rep.Attestation = &AttestationInfo{Index: e.Index, OpID: e.OpID, KeyID: e.KeyID.String(),
		Timestamp: time.Unix(0, e.Timestamp).UTC(), Expression: e.Expression, Attestations: f.Attestations}
	return nil
}

// VerifyBundleScan verifies the ledger bundle read from bundle against
// pinnedKey (note verifier format) with [ledger.VerifyBundleKey] and, as the
// same bytes stream in, hands its entries to scan (for example a
// [FindAttestation] or [ScanAttestations] loop). The bundle is read once, in
// bounded memory. lrep and lerr are the verifier's report and error; serr
// is scan's error, or the error of reading the bundle's header. A scan's
// result counts only when lerr is nil: an entry of a bundle that does not
// verify proves nothing. `ebios proofs verify` and `ebios certify verify`
// both check their attestation this way.
func VerifyBundleScan(bundle io.Reader, pinnedKey string, scan func(iter.Seq2[*ledger.Entry, error]) error) (lrep *ledger.Report, lerr, serr error) {
	// A tee feeds the bytes the verifier reads to a second reader that
	// gives the entries to scan.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		br, err := ledger.NewBundleReader(pr)
		if err == nil {
			err = scan(BundleEntries(br))
		}
		io.Copy(io.Discard, pr) // #nosec G104 -- drains the pipe so that the verifier never blocks; the verifier's error is the one reported
		done <- err
	}()
	lrep, lerr = ledger.VerifyBundleKey(io.TeeReader(bundle, pw), pinnedKey, nil)
	pw.Close()
	serr = <-done
	return lrep, lerr, serr
}

func errMessage(err error) string {
	if ne, ok := nu.AsError(err); ok {
		return ne.Message
	}
	return err.Error()
}

// String returns the report as text for people, one line per check:
//
//	manifest proofs/manifest.json: 13 files, 76 theorems, Coq 8.16.1, Flocq 4.1.0
//	root 1f0c...
//	OK    files: ...
//	OK    theorems: ...
//	OK    ledger: ...
//	OK    attestation: ...
//	proofs verify: OK
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
		line(false, "manifest %s: %s", rep.ManifestPath, rep.ManifestError)
		b.WriteString("proofs verify: FAILED\n")
		return b.String()
	}
	fmt.Fprintf(&b, "manifest %s: %d files, %d theorems, Coq %s, Flocq %s\n",
		rep.ManifestPath, rep.Files, rep.Theorems, rep.Toolchain.Coq, rep.Toolchain.Flocq)
	fmt.Fprintf(&b, "root %s\n", rep.Root)
	var files, thms []Problem
	for _, p := range rep.Problems {
		if strings.HasPrefix(p.Kind, "theorem") {
			thms = append(thms, p)
		} else {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		line(true, "files: the %d proof files in %s match their SHA-256 in the manifest, and there are no others", rep.Files, rep.Dir)
	} else {
		line(false, "files: %d differences between %s and the manifest:", len(files), rep.Dir)
		for _, p := range files {
			fmt.Fprintf(&b, "        %s\n", p)
		}
	}
	if len(thms) == 0 {
		line(true, "theorems: theorems.txt lists exactly the %d theorems of the manifest, each declared in its .v file", rep.Theorems)
	} else {
		line(false, "theorems: %d differences:", len(thms))
		for _, p := range thms {
			fmt.Fprintf(&b, "        %s\n", p)
		}
	}
	switch l := rep.Ledger; {
	case l == nil:
		b.WriteString("SKIP  ledger: no bundle given, so no attestation was checked\n")
	case l.OK:
		line(true, "ledger: bundle of %d entries verified against the pinned key %s (checkpoint root %s)", l.Entries, l.Key, l.Root)
	case l.FirstBad != nil:
		line(false, "ledger: bundle does not verify against the pinned key %s: %s check failed at entry %d: %s",
			l.Key, l.FirstBad.Check, l.FirstBad.Index, l.FirstBad.Reason)
	default:
		line(false, "ledger: bundle not verified")
	}
	if a := rep.Attestation; a != nil {
		line(true, "attestation: entry %d (op id %q, key %s, %s) attests manifest root %s (%d attestation entries in the bundle)",
			a.Index, a.OpID, a.KeyID, a.Timestamp.Format(time.RFC3339), rep.Root, a.Attestations)
	} else if rep.Ledger != nil {
		line(false, "attestation: %s", rep.AttestationError)
	}
	if rep.OK {
		b.WriteString("proofs verify: OK\n")
	} else {
		b.WriteString("proofs verify: FAILED\n")
	}
	return b.String()
}
