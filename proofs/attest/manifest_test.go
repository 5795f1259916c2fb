package attest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
)

var update = flag.Bool("update", false, "rewrite proofs/manifest.json from the proofs directory")

// proofsDir is the proofs directory, seen from this package's directory.
const proofsDir = ".."

var manifestPath = filepath.Join(proofsDir, "manifest.json")

// TestManifestUpToDate fails when proofs/manifest.json does not describe the
// proofs directory byte for byte. `go test ./proofs/attest -update` rewrites
// it (do that only after `make proofs` passes).
func TestManifestUpToDate(t *testing.T) {
	m, err := Build(proofsDir)
	if err != nil {
		t.Fatal(err)
	}
	want := m.Marshal()
	if *update {
		if err := os.WriteFile(manifestPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d files, %d theorems, root %s", manifestPath, len(m.Files), len(m.Theorems), m.Root)
		return
	}
	got, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatalf("%v\nrun `go test ./proofs/attest -update` to create it", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	var why []string
	if old, err := Parse(got); err != nil {
		why = append(why, err.Error())
	} else {
		for _, p := range Check(proofsDir, old) {
			why = append(why, p.String())
		}
		if old.Toolchain != m.Toolchain {
			why = append(why, "toolchain: the manifest says "+old.Toolchain.Coq+"/"+old.Toolchain.Flocq+
				", CheckedWith is "+m.Toolchain.Coq+"/"+m.Toolchain.Flocq)
		}
	}
	t.Fatalf("proofs/manifest.json is stale:\n  %s\nIf the change is intended, run `make proofs`, then `go test ./proofs/attest -update`, and commit the manifest.",
		strings.Join(why, "\n  "))
}

// copyProofs copies the covered files of the proofs directory into a new
// temporary directory and returns it.
func copyProofs(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	names, err := coveredFiles(proofsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(proofsDir, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, s...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func replaceInFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func problemKeys(ps []Problem) []string {
	var ks []string
	for _, p := range ps {
		ks = append(ks, p.Kind+" "+p.Path)
	}
	slices.Sort(ks)
	return ks
}

// TestCheckNamesEveryProblem changes a copy of the proofs in one way per
// case and requires Check to report exactly the expected problems.
func TestCheckNamesEveryProblem(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, dir string)
		want   []string
	}{
		{"unchanged", func(*testing.T, string) {}, nil},
		{"proof edited", func(t *testing.T, dir string) {
			appendFile(t, filepath.Join(dir, "NUReal.v"), "\n(* edited *)\n")
		}, []string{"changed NUReal.v"}},
		{"checker edited", func(t *testing.T, dir string) {
			replaceInFile(t, filepath.Join(dir, "check.sh"), "Admitted|", "")
		}, []string{"changed check.sh"}},
		{"file removed", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "install-deps.sh"))
		}, []string{"missing install-deps.sh"}},
		{"new proof file", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "Extra.v"), []byte("(* Theorem in_comment : True. *)\nTheorem extra_thm : True.\nProof. exact I. Qed.\n"), 0o644)
		}, []string{"extra Extra.v", "theorem-unlisted Extra.v:extra_thm"}},
		{"new script", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "helper.sh"), []byte("true\n"), 0o644)
		}, []string{"extra helper.sh"}},
		{"not covered file added", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "NUReal.vo"), []byte("binary"), 0o644)
			os.WriteFile(filepath.Join(dir, "notes.md"), []byte("notes"), 0o644)
		}, nil},
		{"theorem dropped from list", func(t *testing.T, dir string) {
			replaceInFile(t, filepath.Join(dir, "theorems.txt"), "Enclosure.v:nu_mul_not_enclosure\n", "")
		}, []string{"changed theorems.txt", "theorem-removed Enclosure.v:nu_mul_not_enclosure",
			"theorem-unlisted Enclosure.v:nu_mul_not_enclosure"}},
		{"theorem renamed in source", func(t *testing.T, dir string) {
			replaceInFile(t, filepath.Join(dir, "NUReal.v"), "Theorem nu_flip_involutive", "Theorem nu_flip_involution")
		}, []string{"changed NUReal.v", "theorem-undeclared NUReal.v:nu_flip_involutive",
			"theorem-unlisted NUReal.v:nu_flip_involution"}},
		{"theorem commented out", func(t *testing.T, dir string) {
			replaceInFile(t, filepath.Join(dir, "NUReal.v"), "Theorem nu_flip_involutive", "(* (* nested *) Theorem *) Lemma nu_flip_involutive")
		}, []string{"changed NUReal.v", "theorem-undeclared NUReal.v:nu_flip_involutive"}},
		{"theorem added to list", func(t *testing.T, dir string) {
			appendFile(t, filepath.Join(dir, "theorems.txt"), "NUReal.v:ghost\n")
		}, []string{"changed theorems.txt", "theorem-added NUReal.v:ghost", "theorem-undeclared NUReal.v:ghost"}},
		{"theorems.txt malformed", func(t *testing.T, dir string) {
			appendFile(t, filepath.Join(dir, "theorems.txt"), "not a theorem\n")
		}, []string{"changed theorems.txt", "theorems-file theorems.txt"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyProofs(t)
			m, err := Build(dir)
			if err != nil {
				t.Fatal(err)
			}
			c.change(t, dir)
			ps := Check(dir, m)
			if got := problemKeys(ps); !slices.Equal(got, c.want) {
				t.Fatalf("Check = %q\nwant   %q\n(%v)", got, c.want, ps)
			}
			for _, p := range ps {
				if p.Detail == "" {
					t.Errorf("problem without detail: %v", p)
				}
			}
		})
	}
}

func TestBuildRejectsInconsistentDirectory(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(t *testing.T, dir string)
		want   string
	}{
		{"no theorems.txt", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "theorems.txt")) }, "theorems.txt"},
		{"no _CoqProject", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "_CoqProject")) }, "_CoqProject is missing"},
		{"undeclared theorem", func(t *testing.T, dir string) {
			appendFile(t, filepath.Join(dir, "theorems.txt"), "FloatInterval.v:no_such_theorem\n")
		}, "FloatInterval.v:no_such_theorem"},
		{"duplicate theorem", func(t *testing.T, dir string) {
			appendFile(t, filepath.Join(dir, "theorems.txt"), "  NUReal.v : nu_add_unc_nonneg \n")
		}, "listed twice"},
		{"no .v file", func(t *testing.T, dir string) {
			vs, _ := filepath.Glob(filepath.Join(dir, "*.v"))
			for _, v := range vs {
				os.Remove(v)
			}
		}, "no .v file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyProofs(t)
			c.change(t, dir)
			_, err := Build(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Build error = %v, want one containing %q", err, c.want)
			}
			if !errors.Is(err, &nu.Error{Code: CodeProofsDir}) {
				t.Fatalf("error code: %v", err)
			}
		})
	}
}

func TestMarshalIsDeterministic(t *testing.T) {
	m, err := Build(proofsDir)
	if err != nil {
		t.Fatal(err)
	}
	b := m.Marshal()
	if b[len(b)-1] != '\n' || !bytes.HasPrefix(b, []byte("{\n  \"format\": \"ebios-proofs-manifest\",\n  \"version\": 1,\n")) {
		t.Fatalf("unexpected layout:\n%s", b)
	}
	shuffled := *m
	shuffled.Files = slices.Clone(m.Files)
	slices.Reverse(shuffled.Files)
	shuffled.Theorems = slices.Clone(m.Theorems)
	slices.Reverse(shuffled.Theorems)
	if !bytes.Equal(shuffled.Marshal(), b) {
		t.Fatal("Marshal depends on the order of files or theorems")
	}
	if shuffled.RootHex() != m.Root {
		t.Fatal("the root depends on the order of files or theorems")
	}
	m2, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m2.Marshal(), b) {
		t.Fatal("Parse then Marshal does not give the same bytes")
	}
	if len(m.Theorems) != 76 {
		t.Errorf("%d theorems, want the 76 of proofs/theorems.txt", len(m.Theorems))
	}
}

func TestParseRejects(t *testing.T) {
	m, err := Build(proofsDir)
	if err != nil {
		t.Fatal(err)
	}
	good := string(m.Marshal())
	h0 := m.Files[0].SHA256
	for _, c := range []struct{ name, old, new, want string }{
		{"file hash edited", h0, strings.Repeat("0", 64), "not the Merkle root"},
		{"root edited", m.Root, strings.Repeat("a", 64), "not the Merkle root"},
		{"upper-case hex", h0, strings.ToUpper(h0), "lower-case hex"},
		{"unknown member", `"version": 1,`, `"version": 1, "extra": true,`, `unknown member "extra"`},
		{"duplicate member", `"version": 1,`, `"version": 1, "version": 1,`, "duplicate"},
		{"duplicate root", `"root": "`, `"root": "` + m.Root + `", "root": "`, "duplicate"},
		{"case variant", `"version": 1,`, `"Version": 1,`, `unknown member "Version"`},
		{"missing member", `"version": 1,`, ``, `missing member "version"`},
		{"null member", `"version": 1,`, `"version": null,`, "null"},
		{"lone surrogate", `"format": "ebios-proofs-manifest"`, `"format": "ebios-proofs-manifest\ud800"`, "surrogate"},
		{"invalid UTF-8", `"format": "ebios-proofs-manifest"`, "\"format\": \"ebios-proofs-manifest\xff\"", "UTF-8"},
		{"other format", `"format": "ebios-proofs-manifest"`, `"format": "x"`, "format"},
		{"other version", `"version": 1,`, `"version": 2,`, "version 2"},
		{"unsorted files", `"path": "Enclosure.v"`, `"path": "ZZZ.v"`, "sorted"},
		{"not a proof file", `"path": "Enclosure.v"`, `"path": "../Enclosure.v"`, "not a proof file name"},
		{"bad theorem", `"Enclosure.v:nu_add_counterexample"`, `"Enclosure:x"`, "theorem"},
		{"trailing data", m.Root + "\"\n}\n", m.Root + "\"\n}\n{}", "after the JSON"},
		{"no toolchain", `"coq": "` + m.Toolchain.Coq + `"`, `"coq": ""`, "toolchain"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(good, c.old) {
				t.Fatalf("manifest does not contain %q", c.old)
			}
			_, err := Parse([]byte(strings.Replace(good, c.old, c.new, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse error = %v, want one containing %q", err, c.want)
			}
			if !errors.Is(err, &nu.Error{Code: CodeManifest}) {
				t.Fatalf("error code: %v", err)
			}
		})
	}
}

// rfc6962Root is an independent implementation of the RFC 6962 Merkle tree
// hash (MTH), to check the tlog-based one.
func rfc6962Root(leaves [][]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, leaves[0]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := rfc6962Root(leaves[:k]), rfc6962Root(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func TestRootIsRFC6962OverSortedRecords(t *testing.T) {
	m, err := Build(proofsDir)
	if err != nil {
		t.Fatal(err)
	}
	rs := m.Records()
	if len(rs) != len(m.Files)+len(m.Theorems)+2 {
		t.Fatalf("%d records for %d files and %d theorems", len(rs), len(m.Files), len(m.Theorems))
	}
	if !slices.IsSortedFunc(rs, bytes.Compare) {
		t.Fatal("records are not sorted")
	}
	for _, want := range []string{
		"file NUReal.v " + fileHash(t, "NUReal.v") + "\n",
		"theorem NUReal.v:nu_add_unc_nonneg\n",
		"toolchain coq " + CheckedWith.Coq + "\n",
		"toolchain flocq " + CheckedWith.Flocq + "\n",
	} {
		if !slices.ContainsFunc(rs, func(r []byte) bool { return string(r) == want }) {
			t.Errorf("no record %q", want)
		}
	}
	if got := rfc6962Root(rs); m.ComputeRoot() != got {
		t.Fatalf("root %x, independent RFC 6962 root %x", m.ComputeRoot(), got)
	}
	// Small trees, where the split rule matters.
	for n := 1; n <= 9; n++ {
		small := &Manifest{Toolchain: CheckedWith}
		for i := 0; i < n; i++ {
			small.Files = append(small.Files, File{Path: string(rune('a'+i)) + ".v", SHA256: strings.Repeat("0", 64)})
		}
		if got, want := small.ComputeRoot(), rfc6962Root(small.Records()); got != want {
			t.Fatalf("%d files: root %x, want %x", n, got, want)
		}
	}
}

func fileHash(t *testing.T, name string) string {
	h, err := hashFile(filepath.Join(proofsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestStripComments(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a (* b *) c", "a   c"},
		{"a (* b (* nested *) still *) c", "a   c"},
		{`a "(* not a comment *)" c`, `a "(* not a comment *)" c`},
		{`a (* "*)" still comment *) c`, "a   c"},
		{`"quote "" inside" (* x *)`, `"quote "" inside"  `},
		{"unterminated (* comment", "unterminated  "},
	} {
		if got := string(StripComments([]byte(c.in))); got != c.want {
			t.Errorf("StripComments(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestToolchainInstalled checks CheckedWith, which the manifest records,
// against the installed coqc and Flocq. `make test` runs the Go tests before
// `make proofs` installs Coq, so on a fresh machine it skips (and says so);
// wherever the proofs are checked, it runs.
func TestToolchainInstalled(t *testing.T) {
	if _, err := exec.LookPath("coqc"); err != nil {
		t.Skip("coqc is not installed; `make proofs` installs it")
	}
	tc, err := DetectToolchain(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if tc != CheckedWith {
		t.Fatalf("installed Coq %s / Flocq %s, but the manifest records CheckedWith = Coq %s / Flocq %s: check the proofs with the new toolchain, update CheckedWith and run `go test ./proofs/attest -update`",
			tc.Coq, tc.Flocq, CheckedWith.Coq, CheckedWith.Flocq)
	}
}
