package certify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/strictjson"
	"github.com/ebios/ebios/proofs/attest"
)

// Manifest format identification.
const (
	Format  = "ebios-evidence-manifest"
	Version = 1
)

// ManifestName is the file name of the manifest at the top of a bundle.
const ManifestName = "manifest.json"

// CategoryCertify is the error category of every error this package returns.
const CategoryCertify nu.Category = "certify"

// Error codes. Codes are stable.
const (
	CodeManifest    = "CERTIFY_001" // the bundle's manifest.json cannot be read or is malformed
	CodeBundle      = "CERTIFY_002" // the bundle directory cannot be read, or holds a file a manifest cannot list
	CodeMismatch    = "CERTIFY_003" // the bundle's files differ from its manifest (changed, added, missing)
	CodeAttestation = "CERTIFY_004" // no ledger entry attests the bundle's manifest, or the entry is wrong
	CodeLedger      = "CERTIFY_005" // the ledger bundle given to check the attestation does not verify
)

func newErr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: CategoryCertify, Message: msg, Details: details, Remediation: remedy}
}

func errManifest(path, format string, args ...any) *nu.Error {
	return newErr(CodeManifest, "malformed evidence manifest "+path+": "+fmt.Sprintf(format, args...), "",
		"rebuild the bundle with `make certify`; a manifest is never edited by hand")
}

func errBundle(format string, args ...any) *nu.Error {
	return newErr(CodeBundle, "evidence bundle: "+fmt.Sprintf(format, args...), "",
		"give the directory `make certify` wrote (build/certify/ebios-evidence-VERSION), with only plain files and plain names in it")
}

// File is a file of the bundle and the SHA-256 of its bytes (lower-case hex).
type File struct {
	Path   string `json:"path"`   // relative to the bundle, "/"-separated
	SHA256 string `json:"sha256"` // of the file's bytes, lower-case hex
}

// Manifest is the content of a bundle's manifest.json (see the package
// documentation for the format).
type Manifest struct {
	Format  string `json:"format"`  // always [Format]
	Version int    `json:"version"` // always [Version]
	// Bundle is the bundle's name, ebios-evidence-VERSION.
	Bundle string `json:"bundle"`
	// Files are sorted by path; manifest.json itself is not among them.
	Files []File `json:"files"`
	// Root is the Merkle root of [Manifest.Records], lower-case hex.
	Root string `json:"root"`
}

var (
	elemRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}$`)
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$`)
	hexRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// maxPathLen bounds a path of the manifest.
const maxPathLen = 1024

// ValidPath reports whether p can be a path of the manifest: relative,
// "/"-separated plain names (see the package documentation), not the
// manifest itself.
func ValidPath(p string) bool {
	if p == "" || len(p) > maxPathLen || p == ManifestName {
		return false
	}
	for _, el := range strings.Split(p, "/") {
		if !elemRE.MatchString(el) {
			return false
		}
	}
	return true
}

// ValidName reports whether s can be a bundle's name.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// Records returns the Merkle tree leaves of m, sorted (see the package
// documentation).
func (m *Manifest) Records() [][]byte {
	rs := [][]byte{[]byte("bundle " + m.Bundle + "\n")}
	for _, f := range m.Files {
		rs = append(rs, []byte("file "+f.Path+" "+f.SHA256+"\n"))
	}
	slices.SortFunc(rs, bytes.Compare)
	return rs
}

// RootHex returns the root recomputed from m's records, in lower-case hex.
func (m *Manifest) RootHex() string {
	h := attest.MerkleRoot(m.Records())
	return hex.EncodeToString(h[:])
}

// Marshal returns manifest.json: members in a fixed order, files sorted by
// path, two-space indentation and a trailing newline.
func (m *Manifest) Marshal() []byte {
	c := *m
	c.Files = slices.Clone(m.Files)
	slices.SortFunc(c.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	if c.Files == nil {
		c.Files = []File{}
	}
	b, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		panic(err) // only strings and ints
	}
	return append(b, '\n')
}

// Parse parses and validates manifest.json: strict JSON, known format and
// version, a valid bundle name, valid paths sorted without duplicates, hex
// hashes, and a root that is the root of the records.
func Parse(b []byte) (*Manifest, error) { return parse(b, ManifestName) }

// parse is [Parse], naming the manifest path in its errors.
func parse(b []byte, path string) (*Manifest, error) {
	errManifest := func(format string, args ...any) *nu.Error { return errManifest(path, format, args...) }
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
	if !ValidName(m.Bundle) {
		return nil, errManifest("bundle name %q is not a plain name", m.Bundle)
	}
	for i, f := range m.Files {
		if !ValidPath(f.Path) {
			return nil, errManifest("file path %q is not a plain relative path", f.Path)
		}
		if !hexRE.MatchString(f.SHA256) {
			return nil, errManifest("file %s: sha256 must be 64 lower-case hex digits", f.Path)
		}
		if i > 0 && m.Files[i-1].Path >= f.Path {
			return nil, errManifest("files must be sorted by path without duplicates (%s after %s)", f.Path, m.Files[i-1].Path)
		}
	}
	if !hexRE.MatchString(m.Root) {
		return nil, errManifest("root must be 64 lower-case hex digits")
	}
	if got := m.RootHex(); got != m.Root {
		return nil, errManifest("root %s is not the Merkle root of the manifest's records (%s): the manifest was edited", m.Root, got)
	}
	return m, nil
}

// Load reads and parses the manifest of the bundle directory dir.
func Load(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestName)
	b, err := os.ReadFile(path) // #nosec G304 -- the manifest of the bundle directory the operator named
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, newErr(CodeManifest, "no evidence manifest at "+path, err.Error(),
				"give the bundle directory `make certify` wrote; it has manifest.json at its top")
		}
		return nil, newErr(CodeManifest, "cannot read the evidence manifest "+path, err.Error(), "check the path and its permissions")
	}
	return parse(b, path)
}

// entry is a file found under a bundle directory.
type entry struct {
	path    string // slash path relative to the bundle
	regular bool
}

// walk lists everything under dir but directories and the top-level
// manifest.json, sorted by path.
func walk(dir string) ([]entry, error) {
	var out []entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir || d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == ManifestName {
			return nil
		}
		out = append(out, entry{rel, d.Type().IsRegular()})
		return nil
	})
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.path, b.path) })
	return out, err
}

// HashFile returns the SHA-256 of the file at path, in lower-case hex.
func HashFile(path string) (string, error) {
	f, err := os.Open(path) // #nosec G304 -- a file of the bundle directory the operator named
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Build returns the manifest of the bundle directory dir under the name
// name: the SHA-256 of every regular file under it except the top-level
// manifest.json, and the root. It refuses a special file (a symbolic link,
// a device ...) and a path the manifest cannot hold.
func Build(dir, name string) (*Manifest, error) {
	if !ValidName(name) {
		return nil, errBundle("name %q is not a plain name (letters, digits, '.', '_', '+', '-')", name)
	}
	es, err := walk(dir)
	if err != nil {
		return nil, errBundle("%v", err)
	}
	m := &Manifest{Format: Format, Version: Version, Bundle: name, Files: []File{}}
	for _, e := range es {
		switch {
		case !e.regular:
			return nil, errBundle("%s is not a regular file", e.path)
		case !ValidPath(e.path):
			return nil, errBundle("%q is not a plain relative path", e.path)
		}
		h, err := HashFile(filepath.Join(dir, filepath.FromSlash(e.path)))
		if err != nil {
			return nil, errBundle("%v", err)
		}
		m.Files = append(m.Files, File{Path: e.path, SHA256: h})
	}
	m.Root = m.RootHex()
	return m, nil
}

// Seal builds the manifest of the bundle directory dir ([Build]) and writes
// it to dir/manifest.json.
func Seal(dir, name string) (*Manifest, error) {
	m, err := Build(dir, name)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestName), m.Marshal(), 0o644); err != nil { // #nosec G306 -- the evidence bundle is for auditors to read: world-readable on purpose
		return nil, errBundle("writing the manifest: %v", err)
	}
	return m, nil
}

// Kinds of [Problem].
const (
	ProblemChanged = "changed" // the file's SHA-256 differs from the manifest
	ProblemMissing = "missing" // a file of the manifest is not in the bundle
	ProblemExtra   = "extra"   // a file in the bundle is not in the manifest
	ProblemSpecial = "special" // a symbolic link or other file that is not a regular file
	ProblemRoot    = "root"    // the manifest's root is not the root of its records
)

// Problem is one difference between a bundle directory and its manifest.
type Problem struct {
	// Kind is one of the Problem* constants.
	Kind string `json:"kind"`
	// Path is the file's path relative to the bundle.
	Path string `json:"path"`
	// Detail says what differs.
	Detail string `json:"detail"`
}

// String returns "kind: path: detail".
func (p Problem) String() string { return p.Kind + ": " + p.Path + ": " + p.Detail }

func joinProblems(ps []Problem) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
}

// Check compares the bundle directory dir with m and returns every
// difference: the root of m first, then the files by path (changed,
// missing, extra, special). An empty result means the directory holds
// exactly the files m lists, with the bytes m hashes.
func Check(dir string, m *Manifest) []Problem {
	var ps []Problem
	if got := m.RootHex(); m.Root != got {
		ps = append(ps, Problem{ProblemRoot, ManifestName, "root " + m.Root + " is not the root of the manifest's records, " + got})
	}
	es, err := walk(dir)
	if err != nil {
		ps = append(ps, Problem{ProblemMissing, ".", "cannot read the bundle: " + err.Error()})
	}
	found := make(map[string]bool, len(es))
	var files []Problem
	for _, e := range es {
		found[e.path] = true
		if !e.regular {
			files = append(files, Problem{ProblemSpecial, e.path, "not a regular file; a bundle holds plain files only"})
		}
	}
	listed := make(map[string]bool, len(m.Files))
	special := make(map[string]bool)
	for _, e := range es {
		special[e.path] = !e.regular
	}
	for _, f := range m.Files {
		listed[f.Path] = true
		if special[f.Path] {
			continue // reported above
		}
		if !found[f.Path] {
			files = append(files, Problem{ProblemMissing, f.Path, "listed in the manifest but not in the bundle"})
			continue
		}
		h, err := HashFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		switch {
		case err != nil:
			files = append(files, Problem{ProblemMissing, f.Path, "cannot read: " + err.Error()})
		case h != f.SHA256:
			files = append(files, Problem{ProblemChanged, f.Path, "sha256 is " + h + ", the manifest says " + f.SHA256})
		}
	}
	for _, e := range es {
		if !listed[e.path] && e.regular {
			files = append(files, Problem{ProblemExtra, e.path, "in the bundle but not in the manifest"})
		}
	}
	slices.SortStableFunc(files, func(a, b Problem) int { return strings.Compare(a.Path, b.Path) })
	return append(ps, files...)
}

func errMismatch(ps []Problem) error {
	names := make([]string, 0, len(ps))
	for i, p := range ps {
		if i == 5 {
			names = append(names, "…")
			break
		}
		names = append(names, p.Kind+" "+p.Path)
	}
	return newErr(CodeMismatch,
		fmt.Sprintf("the evidence bundle differs from its manifest (%d problems: %s)", len(ps), strings.Join(names, ", ")),
		joinProblems(ps),
		"the bundle is not the one that was sealed: get it again from its source, or rebuild it with `make certify` and attest the new one")
}
