package attest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/strictjson"
	"golang.org/x/mod/sumdb/tlog"
)

// Manifest format identification.
const (
	Format  = "ebios-proofs-manifest"
	Version = 1
)

// CategoryProofs is the error category of every error this package returns.
const CategoryProofs nu.Category = "proofs"

// Error codes. Codes are stable.
const (
	CodeManifest    = "PROOFS_001" // manifest.json cannot be read or is malformed
	CodeProofsDir   = "PROOFS_002" // the proofs directory cannot be read or is inconsistent
	CodeMismatch    = "PROOFS_003" // the files differ from the manifest
	CodeAttestation = "PROOFS_004" // no ledger entry attests the manifest, or the entry is wrong
	CodeLedger      = "PROOFS_005" // the ledger bundle does not verify
)

func newErr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: CategoryProofs, Message: msg, Details: details, Remediation: remedy}
}

func errManifest(format string, args ...any) *nu.Error {
	return newErr(CodeManifest, "malformed proofs manifest: "+fmt.Sprintf(format, args...), "",
		"regenerate it with `go test ./proofs/attest -update` from a checked proofs directory")
}

func errDir(format string, args ...any) *nu.Error {
	return newErr(CodeProofsDir, "proofs directory: "+fmt.Sprintf(format, args...), "",
		"fix the proofs directory (see proofs/README.md) and run `make -C proofs check`")
}

// Toolchain is the Coq and Flocq versions the proofs are checked with.
type Toolchain struct {
	Coq   string `json:"coq"`
	Flocq string `json:"flocq"`
}

// CheckedWith is the toolchain `make proofs` checks the proofs with (the
// Debian packages coq 8.16.1 and libcoq-flocq 4.1.0). [Build] records it in
// the manifest. When Debian moves on, update it and regenerate the manifest
// (`go test ./proofs/attest -update`); TestToolchainInstalled fails while it
// differs from an installed toolchain.
var CheckedWith = Toolchain{Coq: "8.16.1", Flocq: "4.1.0"}

// File is a proof file and the SHA-256 of its bytes (lower-case hex).
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Manifest is the content of proofs/manifest.json (see the package
// documentation for the format).
type Manifest struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	Toolchain Toolchain `json:"toolchain"`
	// Files are sorted by path.
	Files []File `json:"files"`
	// Theorems are "File.v:name", sorted.
	Theorems []string `json:"theorems"`
	// Root is the Merkle root of [Manifest.Records], lower-case hex.
	Root string `json:"root"`
}

// namedFiles are the files covered besides *.v and *.sh.
var namedFiles = []string{"_CoqProject", "Makefile", "allowed-axioms.txt", "theorems.txt"}

// Covered reports whether a file name in the proofs directory is covered by
// the manifest.
func Covered(name string) bool {
	if !validPath(name) {
		return false
	}
	return strings.HasSuffix(name, ".v") || strings.HasSuffix(name, ".sh") || slices.Contains(namedFiles, name)
}

var (
	pathRE    = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$`)
	hexRE     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	versionRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+~-]{0,63}$`)
	identRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_']*$`)
)

func validPath(p string) bool { return pathRE.MatchString(p) }

// coveredFiles lists the covered regular files of dir, sorted.
func coveredFiles(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, errDir("%v", err)
	}
	var names []string
	for _, de := range des {
		if Covered(de.Name()) && de.Type().IsRegular() {
			names = append(names, de.Name())
		}
	}
	return names, nil // ReadDir sorts by name
}

func hashFile(path string) (string, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- a file of the proofs directory the operator names, hashed into the manifest
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// Build reads the proofs directory dir and returns its manifest: the SHA-256
// of every covered file, the theorems of theorems.txt, the toolchain
// [CheckedWith] and the root. It fails when dir has no .v file, when a
// required file is missing, or when theorems.txt is malformed or does not
// list exactly the Theorems declared in the .v files (the same rule as
// check.sh, checked here without Coq).
func Build(dir string) (*Manifest, error) {
	names, err := coveredFiles(dir)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Format: Format, Version: Version, Toolchain: CheckedWith}
	nv := 0
	for _, name := range names {
		h, err := hashFile(filepath.Join(dir, name))
		if err != nil {
			return nil, errDir("%v", err)
		}
		m.Files = append(m.Files, File{Path: name, SHA256: h})
		if strings.HasSuffix(name, ".v") {
			nv++
		}
	}
	if nv == 0 {
		return nil, errDir("no .v file in %s", dir)
	}
	for _, req := range namedFiles {
		if !slices.Contains(names, req) {
			return nil, errDir("%s is missing in %s", req, dir)
		}
	}
	listed, err := ReadTheorems(dir)
	if err != nil {
		return nil, err
	}
	if ps := theoremDeclProblems(dir, listed); len(ps) > 0 {
		return nil, errDir("%s", joinProblems(ps))
	}
	m.Theorems = sortedTheorems(listed)
	m.Root = m.RootHex()
	return m, nil
}

func sortedTheorems(ts []Theorem) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	slices.Sort(out)
	return out
}

// Records returns the Merkle tree leaves of m, sorted (see the package
// documentation).
func (m *Manifest) Records() [][]byte {
	var rs [][]byte
	for _, f := range m.Files {
		rs = append(rs, []byte("file "+f.Path+" "+f.SHA256+"\n"))
	}
	for _, t := range m.Theorems {
		rs = append(rs, []byte("theorem "+t+"\n"))
	}
	rs = append(rs, []byte("toolchain coq "+m.Toolchain.Coq+"\n"), []byte("toolchain flocq "+m.Toolchain.Flocq+"\n"))
	slices.SortFunc(rs, bytes.Compare)
	return rs
}

// memHashes is a tlog.HashReader over a slice of stored hashes.
type memHashes []tlog.Hash

func (s memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(s)) {
			return nil, errors.New("hash index out of range")
		}
		out[i] = s[x]
	}
	return out, nil
}

// MerkleRoot returns the RFC 6962 root of records taken as leaves in the
// order given: leaf hash SHA-256(0x00 ‖ record), interior hash
// SHA-256(0x01 ‖ left ‖ right), computed with golang.org/x/mod/sumdb/tlog.
// [Manifest.ComputeRoot] is MerkleRoot of [Manifest.Records]; the evidence
// bundles of governance/certify use it over their own records, so that
// both manifests have their root computed one way. The root of no records
// is SHA-256 of the empty string, as RFC 6962 defines it.
func MerkleRoot(records [][]byte) tlog.Hash {
	var s memHashes
	for i, r := range records {
		hs, err := tlog.StoredHashes(int64(i), r, s)
		if err != nil {
			panic(err) // cannot happen: s holds every hash StoredHashes asks for
		}
		s = append(s, hs...)
	}
	h, err := tlog.TreeHash(int64(len(records)), s)
	if err != nil {
		panic(err)
	}
	return h
}

// computeRoot returns the RFC 6962 root of m's records.
func (m *Manifest) computeRoot() tlog.Hash { return MerkleRoot(m.Records()) }

// ComputeRoot returns the Merkle root of m's records. It is m.Root for every
// manifest returned by [Build], [Parse] or [Load].
func (m *Manifest) ComputeRoot() tlog.Hash { return m.computeRoot() }

// RootHex returns the recomputed root as lower-case hex.
func (m *Manifest) RootHex() string {
	h := m.computeRoot()
	return hex.EncodeToString(h[:])
}

// Marshal returns manifest.json: members in a fixed order, files and
// theorems sorted, two-space indentation and a trailing newline. The same
// manifest always gives the same bytes.
func (m *Manifest) Marshal() []byte {
	c := *m
	c.Files = slices.Clone(m.Files)
	slices.SortFunc(c.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	c.Theorems = slices.Clone(m.Theorems)
	slices.Sort(c.Theorems)
	if c.Files == nil {
		c.Files = []File{}
	}
	if c.Theorems == nil {
		c.Theorems = []string{}
	}
	b, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		panic(err) // only strings and ints
	}
	return append(b, '\n')
}

// Parse parses and validates manifest.json: strict JSON (every member
// present exactly once with its exact name, no unknown members, valid UTF-8
// without lone surrogates; see core/strictjson), known format and version,
// well-formed and sorted unique paths and theorems, hex hashes, and a root
// that is the root of the records.
func Parse(b []byte) (*Manifest, error) {
	m := new(Manifest)
	if err := strictjson.Unmarshal(b, m); err != nil {
		return nil, errManifest("%v", err)
	}
	if m.Format != Format {
		return nil, errManifest("format is %q, not %q", m.Format, Format)
	}
	if m.Version != Version {
		return nil, errManifest("version %d is not supported (this reader knows version %d)", m.Version, Version)
	}
	if !versionRE.MatchString(m.Toolchain.Coq) || !versionRE.MatchString(m.Toolchain.Flocq) {
		return nil, errManifest("toolchain versions must be non-empty version strings, got coq %q, flocq %q", m.Toolchain.Coq, m.Toolchain.Flocq)
	}
	if len(m.Files) == 0 {
		return nil, errManifest("no files")
	}
	for i, f := range m.Files {
		if !Covered(f.Path) {
			return nil, errManifest("file %q is not a proof file name", f.Path)
		}
		if !hexRE.MatchString(f.SHA256) {
			return nil, errManifest("file %s: sha256 must be 64 lower-case hex digits", f.Path)
		}
		if i > 0 && m.Files[i-1].Path >= f.Path {
			return nil, errManifest("files must be sorted by path without duplicates (%s after %s)", f.Path, m.Files[i-1].Path)
		}
	}
	for i, t := range m.Theorems {
		if _, err := ParseTheorem(t); err != nil {
			return nil, errManifest("theorem %q: %v", t, err)
		}
		if i > 0 && m.Theorems[i-1] >= t {
			return nil, errManifest("theorems must be sorted without duplicates (%s after %s)", t, m.Theorems[i-1])
		}
	}
	if !hexRE.MatchString(m.Root) {
		return nil, errManifest("root must be 64 lower-case hex digits")
	}
	if got := m.RootHex(); got != m.Root {
		return nil, errManifest("root %s is not the Merkle root of the manifest's records (%s): the manifest was edited by hand", m.Root, got)
	}
	return m, nil
}

// Load reads and parses the manifest file at path.
func Load(path string) (*Manifest, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- the manifest the operator names (--manifest)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, newErr(CodeManifest, "no proofs manifest at "+path, err.Error(),
				"generate it with `go test ./proofs/attest -update`")
		}
		return nil, newErr(CodeManifest, "cannot read the proofs manifest", err.Error(), "")
	}
	return Parse(b)
}

// Kinds of [Problem].
const (
	ProblemChanged           = "changed"            // file's SHA-256 differs from the manifest
	ProblemMissing           = "missing"            // file in the manifest is not in the directory
	ProblemExtra             = "extra"              // covered file in the directory is not in the manifest
	ProblemTheoremAdded      = "theorem-added"      // in theorems.txt, not in the manifest
	ProblemTheoremRemoved    = "theorem-removed"    // in the manifest, not in theorems.txt
	ProblemTheoremUnlisted   = "theorem-unlisted"   // declared in a .v file, not in theorems.txt
	ProblemTheoremUndeclared = "theorem-undeclared" // in theorems.txt, not declared in its .v file
	ProblemTheoremsFile      = "theorems-file"      // theorems.txt unreadable or malformed
	ProblemRoot              = "root"               // the manifest's root is not the root of its records
)

// Problem is one difference between a proofs directory and a manifest.
type Problem struct {
	// Kind is one of the Problem* constants.
	Kind string `json:"kind"`
	// Path is the file name, or "File.v:name" for theorem problems.
	Path string `json:"path"`
	// Detail says what differs.
	Detail string `json:"detail"`
}

func (p Problem) String() string {
	return p.Kind + ": " + p.Path + ": " + p.Detail
}

func joinProblems(ps []Problem) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
}

// Check compares the proofs directory dir with m and returns every
// difference, in a fixed order: the root of m, then files (changed,
// missing, extra, by path), then theorems. An empty result means the
// directory is exactly what m describes.
func Check(dir string, m *Manifest) []Problem {
	var ps []Problem
	if m.Root != m.RootHex() {
		ps = append(ps, Problem{ProblemRoot, "manifest.json", "root " + m.Root + " is not the root of the manifest's records, " + m.RootHex()})
	}
	inManifest := make(map[string]bool)
	for _, f := range m.Files {
		inManifest[f.Path] = true
		h, err := hashFile(filepath.Join(dir, f.Path))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			ps = append(ps, Problem{ProblemMissing, f.Path, "listed in the manifest but not in " + dir})
		case err != nil:
			ps = append(ps, Problem{ProblemMissing, f.Path, "cannot read: " + err.Error()})
		case h != f.SHA256:
			ps = append(ps, Problem{ProblemChanged, f.Path, "sha256 is " + h + ", the manifest says " + f.SHA256})
		}
	}
	names, err := coveredFiles(dir)
	if err != nil {
		ps = append(ps, Problem{ProblemMissing, dir, err.Error()})
	}
	for _, n := range names {
		if !inManifest[n] {
			ps = append(ps, Problem{ProblemExtra, n, "a proof file that is not in the manifest"})
		}
	}
	listed, err := ReadTheorems(dir)
	if err != nil {
		return append(ps, Problem{ProblemTheoremsFile, "theorems.txt", err.Error()})
	}
	have := make(map[string]bool)
	for _, t := range listed {
		have[t.String()] = true
	}
	want := make(map[string]bool)
	for _, t := range m.Theorems {
		want[t] = true
		if !have[t] {
			ps = append(ps, Problem{ProblemTheoremRemoved, t, "in the manifest but not in theorems.txt"})
		}
	}
	for _, t := range sortedTheorems(listed) {
		if !want[t] {
			ps = append(ps, Problem{ProblemTheoremAdded, t, "in theorems.txt but not in the manifest"})
		}
	}
	return append(ps, theoremDeclProblems(dir, listed)...)
}
