package attest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// testLedger is an in-memory ledger with its verifier key.
type testLedger struct {
	log  *ledger.Log
	vkey string
}

func newTestLedger(t *testing.T, name string) *testLedger {
	t.Helper()
	skey, vkey, err := ledger.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ledger.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l, err := ledger.NewLog(s.Name(), s, func() time.Time { clock = clock.Add(time.Second); return clock })
	if err != nil {
		t.Fatal(err)
	}
	return &testLedger{log: l, vkey: vkey}
}

func (tl *testLedger) append(t *testing.T, d ledger.Draft) *ledger.Entry {
	t.Helper()
	e, err := tl.log.Append(d)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// calc appends an ordinary computation entry.
func (tl *testLedger) calc(t *testing.T, opID string) {
	v := nu.MustNew(1, 0.5)
	tl.append(t, ledger.Draft{OpID: opID, Operation: "calc", Mode: ledger.ModeNU, Expression: "1 ± 0.5",
		Output: &v, Coverage: 0.5, Invariant: ledger.Invariant{OK: true}})
}

func (tl *testLedger) bundle(t *testing.T) []byte {
	t.Helper()
	b, err := tl.log.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ledger.WriteBundle(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// proofsWithManifest returns a copy of the proofs directory with a fresh
// manifest.json in it, and the manifest.
func proofsWithManifest(t *testing.T) (dir, mpath string, m *Manifest) {
	t.Helper()
	dir = copyProofs(t)
	m, err := Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	mpath = filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(mpath, m.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, mpath, m
}

// TestAttestationRoundTrip: attest the manifest in a signed in-memory log,
// export a bundle, and verify files, manifest, bundle and attestation.
func TestAttestationRoundTrip(t *testing.T) {
	dir, mpath, m := proofsWithManifest(t)
	tl := newTestLedger(t, "ebios-test")
	tl.calc(t, "op-1")

	opID := OpID(m, time.Unix(0, 42))
	if want := "proofs.attest/" + m.Root[:16] + "/42"; opID != want {
		t.Fatalf("OpID = %q, want %q", opID, want)
	}
	d, m2, err := Attest(dir, mpath, opID)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Root != m.Root {
		t.Fatal("Attest loaded another manifest")
	}
	if d.Operation != "proofs.attest" || d.Mode != "" || d.Output != nil || len(d.Inputs) != 0 || !d.Invariant.OK {
		t.Fatalf("draft %+v", d)
	}
	want := "proofs-manifest-root:" + m.Root + " files:" + strconv.Itoa(len(m.Files)) + " theorems:76 coq:8.16.1 flocq:4.1.0"
	if d.Expression != want {
		t.Fatalf("expression %q, want %q", d.Expression, want)
	}
	e := tl.append(t, d)
	tl.calc(t, "op-2")
	if err := VerifyAttestation(e, m); err != nil {
		t.Fatal(err)
	}
	if AttestedRoot(e.Expression) != m.Root {
		t.Fatal("AttestedRoot does not read the root back")
	}

	// In memory, over an EntrySource.
	f, err := FindAttestation(Entries(tl.log), m)
	if err != nil || f.Entry != e || f.Scanned != 3 || f.Attestations != 1 {
		t.Fatalf("FindAttestation = %+v, %v", f, err)
	}

	// Through an exported bundle, as `ebios proofs verify` does.
	bundle := tl.bundle(t)
	rep, err := Verify(dir, mpath, bytes.NewReader(bundle), tl.vkey)
	if err != nil {
		t.Fatalf("%v\n%s", err, rep)
	}
	if !rep.OK || rep.Attestation == nil || rep.Attestation.Index != 1 || rep.Attestation.OpID != opID ||
		rep.Ledger == nil || !rep.Ledger.OK || rep.Ledger.Entries != 3 {
		t.Fatalf("report %+v\n%s", rep, rep)
	}
	text := rep.String()
	for _, s := range []string{"OK    files:", "OK    theorems:", "OK    ledger: bundle of 3 entries", "OK    attestation: entry 1", m.Root, "proofs verify: OK"} {
		if !strings.Contains(text, s) {
			t.Errorf("report text lacks %q:\n%s", s, text)
		}
	}
	t.Logf("report:\n%s", text)

	// The bundle read back, entry by entry.
	br, err := ledger.NewBundleReader(bytes.NewReader(bundle))
	if err != nil {
		t.Fatal(err)
	}
	f, err = FindAttestation(BundleEntries(br), m)
	if err != nil || f.Entry.OpID != opID {
		t.Fatalf("FindAttestation over the bundle = %+v, %v", f, err)
	}
}

// TestVerifyFailures: each way the chain files → manifest → attestation →
// signed ledger can break is reported with its code and named in the text.
func TestVerifyFailures(t *testing.T) {
	type setup struct {
		dir, mpath string
		m          *Manifest
		tl         *testLedger
	}
	attested := func(t *testing.T) *setup {
		dir, mpath, m := proofsWithManifest(t)
		tl := newTestLedger(t, "ebios-test")
		tl.calc(t, "op-1")
		d, _, err := Attest(dir, mpath, OpID(m, time.Unix(1, 0)))
		if err != nil {
			t.Fatal(err)
		}
		tl.append(t, d)
		return &setup{dir, mpath, m, tl}
	}
	cases := []struct {
		name string
		run  func(t *testing.T) (*Report, error)
		code string
		text []string
	}{
		{"proof file changed after attesting", func(t *testing.T) (*Report, error) {
			s := attested(t)
			appendFile(t, filepath.Join(s.dir, "FloatInterval.v"), "\n")
			return Verify(s.dir, s.mpath, bytes.NewReader(s.tl.bundle(t)), s.tl.vkey)
		}, CodeMismatch, []string{"FAIL  files: 1 differences", "changed: FloatInterval.v: sha256 is", "OK    attestation: entry 1"}},
		{"manifest regenerated but not attested", func(t *testing.T) (*Report, error) {
			s := attested(t)
			appendFile(t, filepath.Join(s.dir, "FloatInterval.v"), "\n")
			m, err := Build(s.dir)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(s.mpath, m.Marshal(), 0o644)
			return Verify(s.dir, s.mpath, bytes.NewReader(s.tl.bundle(t)), s.tl.vkey)
		}, CodeAttestation, []string{"OK    files:", "OK    ledger:", "FAIL  attestation: none of the 1 \"proofs.attest\" entries attests manifest root", "(the last one: entry 1 (op id", "proofs verify: FAILED"}},
		{"no attestation in the ledger", func(t *testing.T) (*Report, error) {
			dir, mpath, _ := proofsWithManifest(t)
			tl := newTestLedger(t, "ebios-test")
			tl.calc(t, "op-1")
			return Verify(dir, mpath, bytes.NewReader(tl.bundle(t)), tl.vkey)
		}, CodeAttestation, []string{"FAIL  attestation: no \"proofs.attest\" entry among the 1 entries"}},
		{"another pinned key", func(t *testing.T) (*Report, error) {
			s := attested(t)
			other := newTestLedger(t, "ebios-test")
			return Verify(s.dir, s.mpath, bytes.NewReader(s.tl.bundle(t)), other.vkey)
		}, CodeLedger, []string{"FAIL  ledger: bundle does not verify against the pinned key", "FAIL  attestation: not checked"}},
		{"no pinned key", func(t *testing.T) (*Report, error) {
			s := attested(t)
			return Verify(s.dir, s.mpath, bytes.NewReader(s.tl.bundle(t)), "")
		}, CodeLedger, []string{"not checked: no pinned key"}},
		{"attestation edited in the bundle", func(t *testing.T) (*Report, error) {
			s := attested(t)
			b := s.tl.bundle(t)
			other := strings.Repeat("0", 64)
			b = bytes.Replace(b, []byte("proofs-manifest-root:"+s.m.Root), []byte("proofs-manifest-root:"+other), 1)
			return Verify(s.dir, s.mpath, bytes.NewReader(b), s.tl.vkey)
		}, CodeLedger, []string{"signature check failed at entry 1"}},
		{"truncated bundle", func(t *testing.T) (*Report, error) {
			s := attested(t)
			b := s.tl.bundle(t)
			return Verify(s.dir, s.mpath, bytes.NewReader(b[:len(b)/2]), s.tl.vkey)
		}, CodeLedger, []string{"FAIL  ledger:"}},
		{"manifest edited by hand", func(t *testing.T) (*Report, error) {
			s := attested(t)
			replaceInFile(t, s.mpath, s.m.Files[0].SHA256, strings.Repeat("1", 64))
			return Verify(s.dir, s.mpath, bytes.NewReader(s.tl.bundle(t)), s.tl.vkey)
		}, CodeManifest, []string{"FAIL  manifest", "not the Merkle root"}},
		{"no manifest", func(t *testing.T) (*Report, error) {
			return Verify(t.TempDir(), filepath.Join(t.TempDir(), "manifest.json"), nil, "")
		}, CodeManifest, []string{"no proofs manifest at"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := c.run(t)
			if err == nil || rep.OK {
				t.Fatalf("Verify passed:\n%s", rep)
			}
			if !errors.Is(err, &nu.Error{Code: c.code}) {
				t.Fatalf("error %v, want code %s\n%s", err, c.code, rep)
			}
			text := rep.String()
			for _, s := range c.text {
				if !strings.Contains(text, s) {
					t.Errorf("report lacks %q:\n%s", s, text)
				}
			}
			if !strings.HasSuffix(text, "proofs verify: FAILED\n") {
				t.Errorf("report does not end in FAILED:\n%s", text)
			}
		})
	}
}

func TestVerifyWithoutBundleChecksOnlyFiles(t *testing.T) {
	dir, mpath, _ := proofsWithManifest(t)
	rep, err := Verify(dir, mpath, nil, "")
	if err != nil || !rep.OK || rep.Ledger != nil {
		t.Fatalf("%v\n%s", err, rep)
	}
	if text := rep.String(); !strings.Contains(text, "SKIP  ledger: no bundle given") {
		t.Fatalf("report does not say the attestation was not checked:\n%s", text)
	}
}

func TestAttestRefusesStaleManifest(t *testing.T) {
	dir, mpath, _ := proofsWithManifest(t)
	appendFile(t, filepath.Join(dir, "theorems.txt"), "# comment\n")
	_, _, err := Attest(dir, mpath, "op")
	if !errors.Is(err, &nu.Error{Code: CodeMismatch}) {
		t.Fatalf("Attest error = %v, want %s", err, CodeMismatch)
	}
	if e, _ := nu.AsError(err); !strings.Contains(e.Details, "changed: theorems.txt") {
		t.Fatalf("details do not name the file: %q", e.Details)
	}
}

func TestVerifyAttestationRejects(t *testing.T) {
	m, err := Build(proofsDir)
	if err != nil {
		t.Fatal(err)
	}
	good := ledger.Entry{Index: 7, Draft: Attestation(m, "op")}
	if err := VerifyAttestation(&good, m); err != nil {
		t.Fatal(err)
	}
	v := nu.MustNew(1, 0)
	other := strings.Repeat("ab", 32)
	for _, c := range []struct {
		name   string
		change func(e *ledger.Entry)
		want   string
	}{
		{"operation", func(e *ledger.Entry) { e.Operation = "calc" }, `operation "calc"`},
		{"mode", func(e *ledger.Entry) { e.Mode = ledger.ModeNU }, "mode"},
		{"output", func(e *ledger.Entry) { e.Output = &v }, "output"},
		{"other root", func(e *ledger.Entry) {
			e.Expression = strings.Replace(e.Expression, m.Root, other, 1)
		}, "attests manifest root " + other + ", but the manifest's root is " + m.Root},
		{"no root", func(e *ledger.Entry) { e.Expression = "1 + 2" }, "does not carry a proofs manifest root"},
		{"counts changed", func(e *ledger.Entry) {
			e.Expression = strings.Replace(e.Expression, "theorems:76", "theorems:77", 1)
		}, "is not"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := good
			c.change(&e)
			err := VerifyAttestation(&e, m)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `entry 7 (op id "op")`) {
				t.Fatalf("VerifyAttestation = %v, want an error containing %q", err, c.want)
			}
		})
	}
}
