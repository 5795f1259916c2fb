package certify

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

// fixture is the small bundle of testdata/bundle.
const fixture = "testdata/bundle"

const fixtureName = "ebios-evidence-test"

// copyFixture copies testdata/bundle into a new temporary directory.
func copyFixture(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), fixtureName)
	err := filepath.WalkDir(fixture, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fixture, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// sealedFixture is a copy of the fixture with its manifest written.
func sealedFixture(t *testing.T) (string, *Manifest) {
	t.Helper()
	dir := copyFixture(t)
	m, err := Seal(dir, fixtureName)
	if err != nil {
		t.Fatal(err)
	}
	return dir, m
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// flipByte changes the byte at offset off of the file.
func flipByte(t *testing.T, path string, off int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x01
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSealAndVerify: a sealed fixture verifies; the manifest lists every
// file (a nested manifest.json included) with its sha256sum, and reads back.
func TestSealAndVerify(t *testing.T) {
	dir, m := sealedFixture(t)
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if s := sha256.Sum256(b); f.SHA256 != hexString(s[:]) {
			t.Errorf("%s: sha256 %s, want %x", f.Path, f.SHA256, s)
		}
	}
	want := []string{"README.md", "proofs/manifest.json", "safety/fmea.md", "tests/results.tsv"}
	if !slices.Equal(paths, want) {
		t.Fatalf("files %q, want %q", paths, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, m.Marshal()) {
		t.Fatal("manifest.json is not Marshal's bytes")
	}
	m2, err := Parse(b)
	if err != nil || m2.Root != m.Root || !bytes.Equal(m2.Marshal(), b) {
		t.Fatalf("Parse: %v", err)
	}
	rep, err := Verify(dir, nil, "")
	if err != nil || !rep.OK || len(rep.Problems) != 0 {
		t.Fatalf("Verify: %v\n%s", err, rep)
	}
	text := rep.String()
	for _, s := range []string{"bundle " + fixtureName, "root " + m.Root, "OK    files: the 4 files", "SKIP  ledger", "certify verify: OK"} {
		if !strings.Contains(text, s) {
			t.Errorf("report lacks %q:\n%s", s, text)
		}
	}
	// Sealing again gives the same manifest: the old manifest.json is not a file of the bundle.
	m3, err := Seal(dir, fixtureName)
	if err != nil || m3.Root != m.Root {
		t.Fatalf("second Seal: root %v, %v", m3, err)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestVerifyDetectsChanges: each way the files of a sealed bundle can
// differ from its manifest fails with CERTIFY_003 (or CERTIFY_001 for the
// manifest itself), and the error and the report name the file.
func TestVerifyDetectsChanges(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, dir string)
		code   string
		kind   string // the problem's kind, "" for a manifest error
		path   string // the file named
		also   string // a second problem, "kind path", or ""
	}{
		{"one byte of a file changed", func(t *testing.T, dir string) {
			flipByte(t, filepath.Join(dir, "tests", "results.tsv"), 20)
		}, CodeMismatch, ProblemChanged, "tests/results.tsv", ""},
		{"last byte of a top-level file changed", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "README.md")
			b, _ := os.ReadFile(p)
			flipByte(t, p, len(b)-1)
		}, CodeMismatch, ProblemChanged, "README.md", ""},
		{"a file appended to", func(t *testing.T, dir string) {
			f, err := os.OpenFile(filepath.Join(dir, "safety", "fmea.md"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("| FM-2 | 1 | 1 | 1 |\n")
			f.Close()
		}, CodeMismatch, ProblemChanged, "safety/fmea.md", ""},
		{"a file added", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "tests", "extra.txt"), "not sealed\n")
		}, CodeMismatch, ProblemExtra, "tests/extra.txt", ""},
		{"a file added in a new directory", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "new", "deep", "x.md"), "x\n")
		}, CodeMismatch, ProblemExtra, "new/deep/x.md", ""},
		{"a hidden file added", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, ".notes"), "x\n")
		}, CodeMismatch, ProblemExtra, ".notes", ""},
		{"an empty file added", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "empty"), "")
		}, CodeMismatch, ProblemExtra, "empty", ""},
		{"a file removed", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "proofs", "manifest.json")); err != nil {
				t.Fatal(err)
			}
		}, CodeMismatch, ProblemMissing, "proofs/manifest.json", ""},
		{"a directory removed", func(t *testing.T, dir string) {
			if err := os.RemoveAll(filepath.Join(dir, "safety")); err != nil {
				t.Fatal(err)
			}
		}, CodeMismatch, ProblemMissing, "safety/fmea.md", ""},
		{"a file renamed", func(t *testing.T, dir string) {
			if err := os.Rename(filepath.Join(dir, "README.md"), filepath.Join(dir, "README.txt")); err != nil {
				t.Fatal(err)
			}
		}, CodeMismatch, ProblemMissing, "README.md", "extra README.txt"},
		{"a file replaced by a symbolic link to the same bytes", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "README.md")
			b, _ := os.ReadFile(p)
			writeFile(t, filepath.Join(t.TempDir(), "x"), string(b))
			os.Remove(p)
			abs, _ := filepath.Abs(filepath.Join(fixture, "README.md"))
			if err := os.Symlink(abs, p); err != nil {
				t.Skip("no symbolic links here:", err)
			}
		}, CodeMismatch, ProblemSpecial, "README.md", ""},
		{"the manifest's hash of a file edited", func(t *testing.T, dir string) {
			p := filepath.Join(dir, ManifestName)
			b, _ := os.ReadFile(p)
			m, _ := Parse(b)
			b = bytes.Replace(b, []byte(m.Files[0].SHA256), []byte(strings.Repeat("0", 64)), 1)
			os.WriteFile(p, b, 0o644)
		}, CodeManifest, "", ManifestName, ""},
		{"the manifest removed", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, ManifestName))
		}, CodeManifest, "", ManifestName, ""},
		{"the manifest re-sealed under another name", func(t *testing.T, dir string) {
			p := filepath.Join(dir, ManifestName)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"`+fixtureName+`"`), []byte(`"ebios-evidence-other"`), 1), 0o644)
		}, CodeManifest, "", ManifestName, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, _ := sealedFixture(t)
			c.change(t, dir)
			rep, err := Verify(dir, nil, "")
			if err == nil || rep.OK {
				t.Fatalf("Verify passed:\n%s", rep)
			}
			if !errors.Is(err, &nu.Error{Code: c.code}) {
				t.Fatalf("error %v, want code %s", err, c.code)
			}
			if !strings.Contains(err.Error(), c.path) {
				t.Errorf("error %q does not name %s", err, c.path)
			}
			text := rep.String()
			if !strings.Contains(text, c.path) || !strings.HasSuffix(text, "certify verify: FAILED\n") {
				t.Errorf("report does not name %s or does not end in FAILED:\n%s", c.path, text)
			}
			if c.kind == "" {
				return
			}
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.Kind+" "+p.Path)
			}
			want := []string{c.kind + " " + c.path}
			if c.also != "" {
				want = append(want, c.also)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("problems %v, want %q", rep.Problems, want)
			}
			if !strings.Contains(text, fmt.Sprintf("FAIL  files: %d differences", len(want))) || !strings.Contains(text, c.kind+": "+c.path+": ") {
				t.Errorf("report:\n%s", text)
			}
			// Attesting the changed bundle is refused the same way.
			if _, _, err := Attest(dir, "op"); !errors.Is(err, &nu.Error{Code: CodeMismatch}) || !strings.Contains(err.Error(), c.path) {
				t.Errorf("Attest = %v, want %s naming %s", err, CodeMismatch, c.path)
			}
		})
	}
}

// TestVerifyNamesEveryProblem: several changes at once are all reported,
// sorted by path, and the error's details list each.
func TestVerifyNamesEveryProblem(t *testing.T) {
	dir, _ := sealedFixture(t)
	flipByte(t, filepath.Join(dir, "README.md"), 0)
	os.Remove(filepath.Join(dir, "safety", "fmea.md"))
	writeFile(t, filepath.Join(dir, "added.md"), "x")
	rep, err := Verify(dir, nil, "")
	var got []string
	for _, p := range rep.Problems {
		got = append(got, p.Kind+" "+p.Path)
	}
	want := []string{"changed README.md", "extra added.md", "missing safety/fmea.md"}
	if !slices.Equal(got, want) {
		t.Fatalf("problems %q, want %q", got, want)
	}
	e, ok := nu.AsError(err)
	if !ok || e.Code != CodeMismatch || e.Category != CategoryCertify || e.Remediation == "" {
		t.Fatalf("error %#v", err)
	}
	for _, w := range want {
		k, p, _ := strings.Cut(w, " ")
		if !strings.Contains(e.Message, w) || !strings.Contains(e.Details, k+": "+p+": ") {
			t.Errorf("error message %q / details %q lack %q", e.Message, e.Details, w)
		}
	}
}

// TestBuildRefuses: what a manifest cannot list is refused when sealing.
func TestBuildRefuses(t *testing.T) {
	for _, c := range []struct {
		name, bundle string
		change       func(t *testing.T, dir string)
		want         string
	}{
		{"bad bundle name", "../x", func(*testing.T, string) {}, "not a plain name"},
		{"space in a file name", fixtureName, func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "a b.md"), "x") }, `"a b.md" is not a plain relative path`},
		{"hidden file", fixtureName, func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "tests", ".x"), "x") }, `"tests/.x"`},
		{"symbolic link", fixtureName, func(t *testing.T, dir string) {
			if err := os.Symlink("README.md", filepath.Join(dir, "link.md")); err != nil {
				t.Skip(err)
			}
		}, "link.md is not a regular file"},
		{"no such directory", fixtureName, func(t *testing.T, dir string) { os.RemoveAll(dir) }, "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyFixture(t)
			c.change(t, dir)
			_, err := Build(dir, c.bundle)
			if !errors.Is(err, &nu.Error{Code: CodeBundle}) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Build = %v, want %s containing %q", err, CodeBundle, c.want)
			}
		})
	}
}

// TestParseRejects: the manifest is read strictly.
func TestParseRejects(t *testing.T) {
	_, m := sealedFixture(t)
	good := string(m.Marshal())
	for _, c := range []struct{ name, from, to, want string }{
		{"unknown member", `"version": 1,`, `"version": 1, "extra": 1,`, "unknown"},
		{"duplicate member", `"version": 1,`, `"version": 1, "version": 1,`, "duplicate"},
		{"case variant", `"version"`, `"Version"`, ""},
		{"format", Format, "ebios-proofs-manifest", "format"},
		{"version", `"version": 1`, `"version": 2`, "version 2"},
		{"absolute path", `"README.md"`, `"/README.md"`, "plain relative path"},
		{"dot-dot", `"README.md"`, `"../README.md"`, "plain relative path"},
		{"manifest in itself", `"README.md"`, `"manifest.json"`, "plain relative path"},
		{"upper-case hex", m.Files[0].SHA256, strings.ToUpper(m.Files[0].SHA256), "64 lower-case hex"},
		{"unsorted", `"README.md"`, `"zz.md"`, "sorted"},
		{"root", m.Root, strings.Repeat("a", 64), "not the Merkle root"},
		{"trailing data", "}\n", "}\n{}", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(good, c.from) {
				t.Fatalf("fixture lacks %q", c.from)
			}
			_, err := Parse([]byte(strings.Replace(good, c.from, c.to, 1)))
			if !errors.Is(err, &nu.Error{Code: CodeManifest}) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse = %v, want %s containing %q", err, CodeManifest, c.want)
			}
		})
	}
}

// rfc6962Root computes the RFC 6962 root of leaves independently of tlog.
func rfc6962Root(leaves [][]byte) tlog.Hash {
	var hash func([][]byte) tlog.Hash
	hash = func(ls [][]byte) tlog.Hash {
		if len(ls) == 1 {
			return sha256.Sum256(append([]byte{0}, ls[0]...))
		}
		k := 1
		for k*2 < len(ls) {
			k *= 2
		}
		l, r := hash(ls[:k]), hash(ls[k:])
		return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
	}
	return hash(leaves)
}

// TestRootIsRFC6962: the root is the RFC 6962 root of the sorted records,
// one "bundle" record and one "file" record per file, as proofs/attest
// computes the proof manifest's.
func TestRootIsRFC6962(t *testing.T) {
	_, m := sealedFixture(t)
	rs := m.Records()
	if len(rs) != len(m.Files)+1 || !slices.IsSortedFunc(rs, bytes.Compare) {
		t.Fatalf("records %q", rs)
	}
	if string(rs[0]) != "bundle "+fixtureName+"\n" {
		t.Errorf("first record %q", rs[0])
	}
	if want := "file README.md " + m.Files[0].SHA256 + "\n"; !slices.ContainsFunc(rs, func(r []byte) bool { return string(r) == want }) {
		t.Errorf("no record %q", want)
	}
	if got := rfc6962Root(rs); hexString(got[:]) != m.Root {
		t.Fatalf("root %s, independent RFC 6962 root %x", m.Root, got)
	}
	for n := 0; n <= 9; n++ {
		small := &Manifest{Bundle: "b"}
		for i := range n {
			small.Files = append(small.Files, File{Path: string(rune('a' + i)), SHA256: strings.Repeat("0", 64)})
		}
		if got, want := small.RootHex(), rfc6962Root(small.Records()); got != hexString(want[:]) {
			t.Fatalf("%d files: root %s, want %x", n, got, want)
		}
	}
}

// testLedger is an in-memory signed ledger with its verifier key, whose
// keys are made at test time.
type testLedger struct {
	log  *ledger.Log
	vkey string
}

func newTestLedger(t *testing.T) *testLedger {
	t.Helper()
	skey, vkey, err := ledger.GenerateKey(rand.Reader, "ebios-certify-test")
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

func (tl *testLedger) calc(t *testing.T, opID string) {
	t.Helper()
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

// attested is a sealed fixture attested in a fresh ledger between two
// computations.
func attested(t *testing.T) (dir string, m *Manifest, tl *testLedger, e *ledger.Entry) {
	t.Helper()
	dir, m = sealedFixture(t)
	tl = newTestLedger(t)
	tl.calc(t, "op-1")
	d, m2, err := Attest(dir, OpID(m, time.Unix(0, 42)))
	if err != nil {
		t.Fatal(err)
	}
	if m2.Root != m.Root {
		t.Fatal("Attest loaded another manifest")
	}
	e = tl.append(t, d)
	tl.calc(t, "op-2")
	return dir, m, tl, e
}

// TestAttestAndVerify: attest a bundle into a temporary ledger and verify
// bundle, ledger and attestation together.
func TestAttestAndVerify(t *testing.T) {
	dir, m, tl, e := attested(t)
	if e.OpID != "certify.attest/"+m.Root[:16]+"/42" {
		t.Errorf("op id %q", e.OpID)
	}
	want := "evidence-manifest-root:" + m.Root + " bundle:" + fixtureName + " files:4"
	if e.Operation != Operation || e.Expression != want || e.Mode != "" || e.Output != nil || !e.Invariant.OK {
		t.Fatalf("entry %+v", e.Draft)
	}
	if AttestedRoot(e.Expression) != m.Root {
		t.Fatal("AttestedRoot does not read the root back")
	}
	rep, err := Verify(dir, bytes.NewReader(tl.bundle(t)), tl.vkey)
	if err != nil || !rep.OK {
		t.Fatalf("%v\n%s", err, rep)
	}
	if a := rep.Attestation; a == nil || a.Index != 1 || a.Attestations != 1 || rep.Ledger.Entries != 3 {
		t.Fatalf("report %+v", rep)
	}
	text := rep.String()
	for _, s := range []string{"OK    files:", "OK    ledger: bundle of 3 entries", "OK    attestation: entry 1", "attests evidence root " + m.Root, "certify verify: OK"} {
		if !strings.Contains(text, s) {
			t.Errorf("report lacks %q:\n%s", s, text)
		}
	}
	t.Logf("report:\n%s", text)
}

// TestVerifyAttestationFailures: each way the chain bundle → manifest →
// attestation → signed ledger can break is reported with its code.
func TestVerifyAttestationFailures(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T) (*Report, error)
		code string
		text []string
	}{
		{"an attestation of another root", func(t *testing.T) (*Report, error) {
			dir, _ := sealedFixture(t)
			other, _ := sealedFixture(t)
			writeFile(t, filepath.Join(other, "tests", "more.tsv"), "x\n")
			om, err := Seal(other, fixtureName)
			if err != nil {
				t.Fatal(err)
			}
			tl := newTestLedger(t)
			tl.append(t, Attestation(om, "op-other"))
			return Verify(dir, bytes.NewReader(tl.bundle(t)), tl.vkey)
		}, CodeAttestation, []string{"OK    files:", "OK    ledger:", `FAIL  attestation: none of the 1 "certify.attest" entries attests evidence root`, "attests evidence root", "but this bundle's root is"}},
		{"bundle changed after attesting", func(t *testing.T) (*Report, error) {
			dir, _, tl, _ := attested(t)
			flipByte(t, filepath.Join(dir, "safety", "fmea.md"), 3)
			return Verify(dir, bytes.NewReader(tl.bundle(t)), tl.vkey)
		}, CodeMismatch, []string{"FAIL  files: 1 differences", "changed: safety/fmea.md", "OK    attestation: entry 1"}},
		{"bundle changed and re-sealed after attesting", func(t *testing.T) (*Report, error) {
			dir, _, tl, _ := attested(t)
			writeFile(t, filepath.Join(dir, "safety", "fmea.md"), "no hazards\n")
			if _, err := Seal(dir, fixtureName); err != nil {
				t.Fatal(err)
			}
			return Verify(dir, bytes.NewReader(tl.bundle(t)), tl.vkey)
		}, CodeAttestation, []string{"OK    files:", "FAIL  attestation: none of the 1"}},
		{"no attestation in the ledger", func(t *testing.T) (*Report, error) {
			dir, _ := sealedFixture(t)
			tl := newTestLedger(t)
			tl.calc(t, "op-1")
			return Verify(dir, bytes.NewReader(tl.bundle(t)), tl.vkey)
		}, CodeAttestation, []string{`FAIL  attestation: no "certify.attest" entry among the 1 entries`}},
		{"a proofs.attest entry is not an evidence attestation", func(t *testing.T) (*Report, error) {
			dir, m := sealedFixture(t)
			tl := newTestLedger(t)
			d := Attestation(m, "op")
			d.Operation = "proofs.attest"
			tl.append(t, d)
			return Verify(dir, bytes.NewReader(tl.bundle(t)), tl.vkey)
		}, CodeAttestation, []string{`no "certify.attest" entry`}},
		{"another pinned key", func(t *testing.T) (*Report, error) {
			dir, _, tl, _ := attested(t)
			return Verify(dir, bytes.NewReader(tl.bundle(t)), newTestLedger(t).vkey)
		}, CodeLedger, []string{"FAIL  ledger: bundle does not verify against the pinned key", "FAIL  attestation: not checked"}},
		{"no pinned key", func(t *testing.T) (*Report, error) {
			dir, _, tl, _ := attested(t)
			return Verify(dir, bytes.NewReader(tl.bundle(t)), "")
		}, CodeLedger, []string{"not checked: no pinned key"}},
		{"attestation edited in the ledger bundle", func(t *testing.T) (*Report, error) {
			dir, m, tl, _ := attested(t)
			b := bytes.Replace(tl.bundle(t), []byte(expressionPrefix+m.Root), []byte(expressionPrefix+strings.Repeat("0", 64)), 1)
			return Verify(dir, bytes.NewReader(b), tl.vkey)
		}, CodeLedger, []string{"signature check failed at entry 1"}},
		{"truncated ledger bundle", func(t *testing.T) (*Report, error) {
			dir, _, tl, _ := attested(t)
			b := tl.bundle(t)
			return Verify(dir, bytes.NewReader(b[:len(b)/2]), tl.vkey)
		}, CodeLedger, []string{"FAIL  ledger:"}},
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
			if !strings.HasSuffix(text, "certify verify: FAILED\n") {
				t.Errorf("report does not end in FAILED:\n%s", text)
			}
		})
	}
}

// TestVerifyAttestationRejects: an entry attests a bundle only with the
// exact operation, shape and expression.
func TestVerifyAttestationRejects(t *testing.T) {
	_, m := sealedFixture(t)
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
		{"other root", func(e *ledger.Entry) { e.Expression = strings.Replace(e.Expression, m.Root, other, 1) },
			"attests evidence root " + other + ", but this bundle's root is " + m.Root},
		{"no root", func(e *ledger.Entry) { e.Expression = "1 + 2" }, "does not carry an evidence manifest root"},
		{"count changed", func(e *ledger.Entry) { e.Expression = strings.Replace(e.Expression, "files:4", "files:5", 1) }, "is not"},
		{"proofs manifest root", func(e *ledger.Entry) {
			e.Expression = "proofs-manifest-root:" + m.Root
		}, "does not carry an evidence manifest root"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := good
			c.change(&e)
			err := VerifyAttestation(&e, m)
			if !errors.Is(err, &nu.Error{Code: CodeAttestation}) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `entry 7 (op id "op")`) {
				t.Fatalf("VerifyAttestation = %v, want an error containing %q", err, c.want)
			}
		})
	}
}
