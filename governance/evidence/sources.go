package evidence

import (
	"os"
	"path/filepath"
	"slices"

	"github.com/ebios/ebios/governance/certify"
)

// The checked-in sources of the bundle, relative to the repository root.
const (
	RequirementsFile = "governance/requirements.md"
	FMEAFile         = "governance/fmea.md"
	SafetyCaseFile   = "governance/safety-case.md"
	ComplianceFile   = "governance/compliance.md"
)

// Sources are the parsed governance sources.
type Sources struct {
	Requirements []Requirement    // of requirements.md, in order
	FMEA         []FailureMode    // of fmea.md, in order
	SafetyCase   *SafetyCase      // of safety-case.md
	Compliance   []ComplianceItem // of compliance.md, in order
	// Raw holds each source's bytes, by path.
	Raw map[string][]byte
}

// LoadSources reads and parses the four sources of the repository at root.
// The problems are those of their form, each prefixed by its file.
func LoadSources(root string) (*Sources, []string) {
	s := &Sources{Raw: map[string][]byte{}}
	var probs []string
	for _, f := range []string{RequirementsFile, FMEAFile, SafetyCaseFile, ComplianceFile} {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f))) // #nosec G304 -- the repository's own governance files
		if err != nil {
			probs = append(probs, f+": "+err.Error())
			continue
		}
		s.Raw[f] = b
		var ps []string
		switch f {
		case RequirementsFile:
			s.Requirements, ps = ParseRequirements(b)
		case FMEAFile:
			s.FMEA, ps = ParseFMEA(b)
		case SafetyCaseFile:
			s.SafetyCase, ps = ParseSafetyCase(b)
		case ComplianceFile:
			s.Compliance, ps = ParseCompliance(b)
		}
		probs = append(probs, prefix(f, ps)...)
	}
	return s, probs
}

func prefix(file string, ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = file + ": " + p
	}
	return out
}

// Check checks every name the sources cite against the repository ix
// indexes, and the safety case's evidence against the bundle's [Layout]
// (and its manifest.json).
func (s *Sources) Check(ix *Index) []string {
	var probs []string
	probs = append(probs, prefix(RequirementsFile, CheckRequirements(ix, s.Requirements))...)
	probs = append(probs, prefix(FMEAFile, CheckFMEA(ix, s.FMEA, s.Requirements))...)
	if s.SafetyCase != nil {
		inBundle := func(p string) bool { return p == certify.ManifestName || InLayout(p) }
		probs = append(probs, prefix(SafetyCaseFile, CheckSafetyCase(ix, s.SafetyCase, inBundle))...)
	}
	probs = append(probs, prefix(ComplianceFile, CheckCompliance(ix, s.Compliance))...)
	return probs
}

// Check reads the sources of the repository at root and returns every
// problem of their form and of the names they cite. `make certify` refuses
// to build a bundle while there is one, and TestGovernanceSources fails.
func Check(root string) []string {
	s, probs := LoadSources(root)
	return append(probs, s.Check(NewIndex(root))...)
}

// LayoutFile is a file every bundle holds.
type LayoutFile struct {
	Path string // relative to the bundle
	What string // one line for the bundle's README
}

// Layout lists the files of a bundle, besides manifest.json, in the order
// its README lists them.
var Layout = []LayoutFile{
	{"README.md", "what this bundle is, its summary, and this index"},
	{"build-info.json", "version, commit, toolchain, the test command, its exit status and times"},
	{"requirements/requirements.md", "the requirements (a copy of governance/requirements.md)"},
	{"requirements/matrix.md", "the traceability matrix: each requirement's design, code, tests with their result in this run, proofs, and the coverage of its packages"},
	{"requirements/matrix.tsv", "the same, one reference per line"},
	{"tests/results.md", "the test results by package, every failed and skipped test with its output"},
	{"tests/results.tsv", "every top-level test: package, name, result, seconds, subtests passed/failed/skipped"},
	{"tests/go-test.json", "the raw `go test -json` output of the run"},
	{"coverage/packages.md", "statement coverage per package"},
	{"coverage/packages.tsv", "the same as tab-separated values"},
	{"coverage/cover.out", "the raw coverage profile of the run"},
	{"formal/manifest.json", "the proof manifest (a copy of proofs/manifest.json), checked against the proof files"},
	{"formal/theorems.txt", "the theorems (a copy of proofs/theorems.txt)"},
	{"formal/traceability.md", "theorems ↔ Go code ↔ tests (a copy of docs/traceability.md)"},
	{"fuzz/record.md", "the fuzz campaign record of docs/security.md, or that there is none yet"},
	{"benchmarks/benchmarks.md", "the benchmark figures (a copy of docs/benchmarks.md)"},
	{"safety/fmea.md", "the hazard analysis, an FMEA of the computation and the ledger (a copy of governance/fmea.md)"},
	{"safety/fmea-ranked.md", "the failure modes ranked by risk priority number, with the result of each test that shows a mitigation"},
	{"safety/safety-case.md", "the safety case, a GSN-style argument (a copy of governance/safety-case.md)"},
	{"safety/argument-outline.md", "the argument as an outline from the top goal down to the evidence"},
	{"compliance/checklist.md", "the IEC 61508-3 and DO-178C checklist (a copy of governance/compliance.md)"},
	{"compliance/summary.md", "the checklist's items counted by status"},
}

// InLayout reports whether p is a file of every bundle.
func InLayout(p string) bool {
	return slices.ContainsFunc(Layout, func(f LayoutFile) bool { return f.Path == p })
}
