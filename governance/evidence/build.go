package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ebios/ebios/governance/certify"
	"github.com/ebios/ebios/proofs/attest"
)

// Module is the module path, prefixed to a package's directory to get its
// import path.
const Module = "github.com/ebios/ebios"

// Options are the inputs of [Build].
type Options struct {
	// Root is the repository; Out the directory the bundle directory
	// ebios-evidence-VERSION is made in.
	Root, Out string
	// Version names the bundle (git describe); Commit and Dirty say what
	// source tree it was built from.
	Version, Commit string
	Dirty           bool // the tree had uncommitted changes
	// TestJSON and CoverProfile are the files of the `go test -json
	// -coverprofile` run; TestCommand is its command line and TestExit its
	// exit status (-1 when unknown).
	TestJSON, CoverProfile, TestCommand string
	TestExit                            int // exit status of the run, -1 when unknown
	// GoVersion is the toolchain's version (`go env GOVERSION`).
	GoVersion string
	// Now is the build time (time.Now when zero).
	Now time.Time
}

// Result is what [Build] made.
type Result struct {
	Dir      string            // the bundle directory
	Manifest *certify.Manifest // its manifest, as written
	Run      *Run              // the test run it records
	Total    PackageCoverage   // the run's statement coverage over all packages
	// TestsFailed is true when a package or test failed or the test command
	// exited non-zero: the bundle is written, but `make certify` fails.
	TestsFailed bool
}

// BundleName returns the name of the bundle of a version.
func BundleName(version string) string { return "ebios-evidence-" + version }

var versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,100}$`)

// Build writes the evidence bundle (see [Layout]) in o.Out and seals it
// with its manifest. It refuses when the governance sources have a problem
// ([Check]), when the proof manifest does not match the proof files, or
// when the test run's files cannot be read; a failed test does not stop it
// (the bundle records the failure), but sets Result.TestsFailed. An earlier
// bundle of the same version in o.Out is replaced; any other file in the
// way is not touched.
func Build(o Options) (*Result, error) {
	if !versionRE.MatchString(o.Version) {
		return nil, fmt.Errorf("version %q: want letters, digits, '.', '_', '+', '-' (git describe --tags --always --dirty)", o.Version)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	name := BundleName(o.Version)
	src, probs := LoadSources(o.Root)
	ix := NewIndex(o.Root)
	probs = append(probs, src.Check(ix)...)
	if len(probs) > 0 {
		return nil, &SourcesError{Problems: probs}
	}

	proofsDir := filepath.Join(o.Root, "proofs")
	pm, err := attest.Load(filepath.Join(proofsDir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("proof manifest: %w", err)
	}
	if ps := attest.Check(proofsDir, pm); len(ps) > 0 {
		var s []string
		for _, p := range ps {
			s = append(s, p.String())
		}
		return nil, fmt.Errorf("the proof files differ from proofs/manifest.json (%s): run `make proofs`, then `go test ./proofs/attest -update`", strings.Join(s, "; "))
	}

	rawTests, err := os.ReadFile(o.TestJSON)
	if err != nil {
		return nil, fmt.Errorf("reading the test run: %w", err)
	}
	run, err := ParseTestJSON(bytes.NewReader(rawTests))
	if err != nil {
		return nil, fmt.Errorf("reading the test run %s: %w", o.TestJSON, err)
	}
	if len(run.Packages) == 0 {
		return nil, fmt.Errorf("the test run %s has no package: run go test -json over all packages (./...)", o.TestJSON)
	}
	rawCover, err := os.ReadFile(o.CoverProfile)
	if err != nil {
		return nil, fmt.Errorf("reading the coverage profile: %w", err)
	}
	cov, total, err := ParseCoverProfile(bytes.NewReader(rawCover))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.CoverProfile, err)
	}

	dir := filepath.Join(o.Out, name)
	if err := clearBundleDir(dir); err != nil {
		return nil, err
	}
	res := &Result{Dir: dir, Run: run, Total: total, TestsFailed: run.Failed() || o.TestExit != 0}
	b := &bundle{o: o, name: name, src: src, ix: ix, run: run, cov: cov, total: total, pm: pm, files: map[string][]byte{}}
	b.files["requirements/requirements.md"] = src.Raw[RequirementsFile]
	b.files["safety/fmea.md"] = src.Raw[FMEAFile]
	b.files["safety/safety-case.md"] = src.Raw[SafetyCaseFile]
	b.files["compliance/checklist.md"] = src.Raw[ComplianceFile]
	b.files["tests/go-test.json"] = rawTests
	b.files["coverage/cover.out"] = rawCover
	for dst, from := range map[string]string{
		"formal/manifest.json":     "proofs/manifest.json",
		"formal/theorems.txt":      "proofs/theorems.txt",
		"formal/traceability.md":   "docs/traceability.md",
		"benchmarks/benchmarks.md": "docs/benchmarks.md",
	} {
		if b.files[dst], err = os.ReadFile(filepath.Join(o.Root, filepath.FromSlash(from))); err != nil {
			return nil, fmt.Errorf("copying %s: %w", from, err)
		}
	}
	if b.files["fuzz/record.md"], err = fuzzRecord(o.Root); err != nil {
		return nil, err
	}
	b.files["requirements/matrix.md"], b.files["requirements/matrix.tsv"] = b.matrix()
	b.files["tests/results.md"], b.files["tests/results.tsv"] = b.results()
	b.files["coverage/packages.md"], b.files["coverage/packages.tsv"] = b.coverage()
	b.files["safety/fmea-ranked.md"] = b.fmeaRanked()
	b.files["safety/argument-outline.md"] = b.outline()
	b.files["compliance/summary.md"] = b.complianceSummary()
	b.files["build-info.json"] = b.buildInfo()
	b.files["README.md"] = b.readme()

	for _, f := range Layout {
		content, ok := b.files[f.Path]
		if !ok {
			return nil, fmt.Errorf("internal error: the bundle has no %s", f.Path)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil { // #nosec G301 -- the evidence bundle is for auditors to read: world-readable on purpose
			return nil, err
		}
		if err := os.WriteFile(p, content, 0o644); err != nil { // #nosec G306 -- the evidence bundle is for auditors to read: world-readable on purpose
			return nil, err
		}
	}
	if len(b.files) != len(Layout) {
		return nil, fmt.Errorf("internal error: %d files made for a layout of %d", len(b.files), len(Layout))
	}
	m, err := certify.Seal(dir, name)
	if err != nil {
		return nil, err
	}
	res.Manifest = m
	if rep, err := certify.Verify(dir, nil, ""); err != nil {
		return nil, fmt.Errorf("the bundle just written does not verify (%s): %w", strings.TrimSpace(rep.String()), err)
	}
	return res, nil
}

// SourcesError lists the problems of the governance sources.
type SourcesError struct {
	Problems []string // each prefixed by its file and line
}

// Error lists the problems, one a line.
func (e *SourcesError) Error() string {
	return fmt.Sprintf("the governance sources have %d problems:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// clearBundleDir makes dir an empty directory: it removes an earlier
// bundle (a directory with manifest.json at its top) and refuses anything
// else that is not empty.
func clearBundleDir(dir string) error {
	des, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, 0o755) // #nosec G301 -- the evidence bundle is for auditors to read: world-readable on purpose
	case err != nil:
		return err
	case len(des) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, certify.ManifestName)); err != nil {
		return fmt.Errorf("%s exists and is not an evidence bundle (no %s): move it away or give another --out", dir, certify.ManifestName)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.MkdirAll(dir, 0o755) // #nosec G301 -- the evidence bundle is for auditors to read: world-readable on purpose
}

// fuzzRecord is the fuzz campaign section of docs/security.md (a heading
// that names fuzzing, down to the next heading of its level or above), or
// a record that says there is none.
func fuzzRecord(root string) ([]byte, error) {
	const from = "docs/security.md"
	src, err := os.ReadFile(filepath.Join(root, from)) // #nosec G304 -- a documentation file of the repository
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", from, err)
	}
	var out []string
	level := 0
	inFence := false
	for _, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
		}
		if !inFence && strings.HasPrefix(line, "#") {
			l := len(line) - len(strings.TrimLeft(line, "#"))
			if level > 0 && l <= level {
				break
			}
			if level == 0 && strings.Contains(strings.ToLower(line), "fuzz") {
				level = l
			}
		}
		if level > 0 {
			out = append(out, line)
		}
	}
	var b bytes.Buffer
	b.WriteString("# Fuzz campaign record\n\n")
	if level == 0 {
		b.WriteString("No campaign record yet: " + from + " has no section on a fuzz campaign.\n\n" +
			"The fuzz targets exist (`make fuzz` runs each for FUZZTIME, 30 s by default), and their seed\n" +
			"corpora run as ordinary tests in every `go test` (tests/results.md), but no campaign of\n" +
			"them with its duration, executions and findings has been recorded. This bundle claims none.\n")
		return b.Bytes(), nil
	}
	fmt.Fprintf(&b, "Copied from %s, the section as it stands in this source tree.\n\n", from)
	b.WriteString(strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n")
	return b.Bytes(), nil
}

// bundle holds what Build is making.
type bundle struct {
	o     Options
	name  string
	src   *Sources
	ix    *Index
	run   *Run
	cov   []PackageCoverage
	total PackageCoverage
	pm    *attest.Manifest
	files map[string][]byte
}

// result returns the result of a test reference in this run.
func (b *bundle) result(r Ref) string {
	if t := b.run.Test(Module+"/"+r.Dir, r.Name); t != nil {
		return t.Result
	}
	return ResultNotRun
}

// coverageOf returns the coverage of the package in a directory, or nil.
func (b *bundle) coverageOf(dir string) *PackageCoverage {
	for i := range b.cov {
		if b.cov[i].Package == Module+"/"+dir {
			return &b.cov[i]
		}
	}
	return nil
}

func mark(result string) string {
	switch result {
	case ResultPass:
		return "pass"
	case ResultFail:
		return "**FAIL**"
	case ResultSkip:
		return "*skipped*"
	}
	return "*not run*"
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", "\\|")
}

func refsCell(l refList, each func(Ref) string) string {
	if l.None != "" {
		return "none: " + cell(l.None)
	}
	var parts []string
	for _, r := range l.Refs {
		s := "`" + r.Text + "`"
		if each != nil {
			s += " " + each(r)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "<br>")
}

func (b *bundle) matrix() (md, tsv []byte) {
	var w, t bytes.Buffer
	reqs := b.src.Requirements
	count := map[string]int{}
	for _, q := range reqs {
		count[q.Status]++
	}
	fmt.Fprintf(&w, "# Traceability matrix\n\n")
	fmt.Fprintf(&w, "Generated by `make certify` for %s from requirements.md (a copy of governance/requirements.md),\n", b.name)
	fmt.Fprintf(&w, "the test run of tests/go-test.json and the coverage profile coverage/cover.out. Every name below was\n")
	fmt.Fprintf(&w, "checked against the source tree when the bundle was built (governance/evidence.Check); a test's\n")
	fmt.Fprintf(&w, "result is its result in this run (*not run* if the run did not run it).\n\n")
	fmt.Fprintf(&w, "%d requirements: %d met, %d partly met, %d not met.\n\n", len(reqs), count[StatusMet], count[StatusPartlyMet], count[StatusNotMet])
	fmt.Fprintf(&w, "| Id | Requirement | Status | Design | Code | Tests (result in this run) | Proofs | Coverage of its packages |\n")
	fmt.Fprintf(&w, "|---|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&t, "requirement\tstatus\tkind\treference\tresult\n")
	var gaps []string
	for _, q := range reqs {
		status := q.Status
		if q.StatusNote != "" {
			status += ": " + q.StatusNote
		}
		var covs []string
		seen := map[string]bool{}
		for _, r := range q.Code.Refs {
			if seen[r.Dir] {
				continue
			}
			seen[r.Dir] = true
			if c := b.coverageOf(r.Dir); c != nil {
				covs = append(covs, fmt.Sprintf("%s %.1f %%", r.Dir, c.Percent()))
			} else {
				covs = append(covs, r.Dir+" (no profile)")
			}
		}
		tests := refsCell(q.Tests, func(r Ref) string {
			res := b.result(r)
			if res != ResultPass {
				gaps = append(gaps, fmt.Sprintf("- %s: `%s` %s", q.ID, r.Text, mark(res)))
			}
			return mark(res)
		})
		if q.Tests.None != "" {
			gaps = append(gaps, fmt.Sprintf("- %s: no test: %s", q.ID, q.Tests.None))
		}
		fmt.Fprintf(&w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", q.ID, cell(q.Title), cell(status),
			refsCell(q.Design, nil), refsCell(q.Code, nil), tests, refsCell(q.Proofs, nil), strings.Join(covs, "<br>"))
		row := func(kind string, l refList, res func(Ref) string) {
			if l.None != "" {
				fmt.Fprintf(&t, "%s\t%s\t%s\tnone: %s\t\n", q.ID, q.Status, kind, strings.ReplaceAll(l.None, "\t", " "))
			}
			for _, r := range l.Refs {
				x := "exists"
				if res != nil {
					x = res(r)
				}
				fmt.Fprintf(&t, "%s\t%s\t%s\t%s\t%s\n", q.ID, q.Status, kind, r.Text, x)
			}
		}
		row("design", q.Design, nil)
		row("code", q.Code, nil)
		row("test", q.Tests, b.result)
		row("benchmark", q.Benchmarks, func(Ref) string {
			return "exists (benchmarks do not run in go test; figures in benchmarks/benchmarks.md)"
		})
		row("proof", q.Proofs, nil)
	}
	fmt.Fprintf(&w, "\n## Gaps in the test evidence\n\n")
	if len(gaps) == 0 {
		fmt.Fprintf(&w, "None: every requirement names tests, and every test it names passed in this run.\n")
	} else {
		fmt.Fprintf(&w, "Requirements whose tests did not all pass in this run, or that have no test:\n\n%s\n", strings.Join(gaps, "\n"))
	}
	fmt.Fprintf(&w, "\n## Benchmarks\n\nBenchmarks named by requirements (they do not run in `go test`; their figures are in benchmarks/benchmarks.md):\n\n")
	n := 0
	for _, q := range reqs {
		if len(q.Benchmarks.Refs) > 0 {
			var names []string
			for _, r := range q.Benchmarks.Refs {
				names = append(names, "`"+r.Text+"`")
			}
			fmt.Fprintf(&w, "- %s: %s\n", q.ID, strings.Join(names, ", "))
			n++
		}
	}
	if n == 0 {
		fmt.Fprintf(&w, "None.\n")
	}
	return w.Bytes(), t.Bytes()
}

func (b *bundle) results() (md, tsv []byte) {
	var w, t bytes.Buffer
	c, sc := b.run.Counts(), b.run.SubtestCounts()
	fmt.Fprintf(&w, "# Test results\n\n")
	fmt.Fprintf(&w, "The run of `%s`", b.o.TestCommand)
	if b.o.TestExit >= 0 {
		fmt.Fprintf(&w, " (exit status %d)", b.o.TestExit)
	}
	fmt.Fprintf(&w, ", from %s to %s (%s).\n\n", b.run.Start.UTC().Format(time.RFC3339), b.run.End.UTC().Format(time.RFC3339), b.run.End.Sub(b.run.Start).Round(time.Second))
	fmt.Fprintf(&w, "- packages: %d (%d with tests)\n", len(b.run.Packages), countPkgs(b.run, func(p *PackageResult) bool { return !p.NoTests }))
	fmt.Fprintf(&w, "- top-level tests: %d passed, %d failed, %d skipped\n", c[ResultPass], c[ResultFail], c[ResultSkip])
	fmt.Fprintf(&w, "- subtests: %d passed, %d failed, %d skipped\n", sc[ResultPass], sc[ResultFail], sc[ResultSkip])
	if strings.Contains(b.o.TestCommand, "-short") {
		fmt.Fprintf(&w, "- **the run used -short**: the tests listed under \"Skipped\" below did not run, and others ran with fewer cases\n")
	}
	if b.run.Failed() || b.o.TestExit > 0 {
		fmt.Fprintf(&w, "\n**The run FAILED.** This bundle records the failure; it is not evidence that the requirements hold.\n")
	}
	fmt.Fprintf(&w, "\n## Packages\n\n| package | result | tests passed | failed | skipped | subtests | seconds | coverage |\n|---|---|---|---|---|---|---|---|\n")
	for _, p := range b.run.Packages {
		var pass, fail, skip, subs int
		for _, t := range b.run.Tests {
			if t.Package != p.Package {
				continue
			}
			switch t.Result {
			case ResultPass:
				pass++
			case ResultFail:
				fail++
			case ResultSkip:
				skip++
			}
			for _, n := range t.Subtests {
				subs += n
			}
		}
		res := p.Result
		switch {
		case p.NoTests && res != ResultFail:
			res = "no tests"
		case p.BuildFailed:
			res = "**build failed**"
		case res == ResultFail:
			res = "**FAIL**"
		}
		fmt.Fprintf(&w, "| %s | %s | %d | %d | %d | %d | %.1f | %s |\n", strings.TrimPrefix(p.Package, Module+"/"), res, pass, fail, skip, subs, p.Elapsed, p.Coverage)
	}
	section := func(title, result string, withOutput bool) {
		fmt.Fprintf(&w, "\n## %s\n\n", title)
		n := 0
		for _, t := range b.run.Tests {
			if t.Result != result {
				continue
			}
			n++
			fmt.Fprintf(&w, "- `%s.%s`", strings.TrimPrefix(t.Package, Module+"/"), t.Name)
			if withOutput && len(t.Output) > 0 {
				lines := t.Output
				if result == ResultSkip {
					lines = skipReason(lines)
				}
				fmt.Fprintf(&w, "\n\n  ```\n")
				for _, l := range lines {
					fmt.Fprintf(&w, "  %s\n", l)
				}
				fmt.Fprintf(&w, "  ```\n")
			}
			fmt.Fprintf(&w, "\n")
		}
		if n == 0 {
			fmt.Fprintf(&w, "None.\n")
		}
	}
	section("Failed tests", ResultFail, true)
	for _, p := range b.run.Packages {
		if p.Result == ResultFail && len(p.Output) > 0 {
			fmt.Fprintf(&w, "\nPackage %s:\n\n```\n%s\n```\n", strings.TrimPrefix(p.Package, Module+"/"), strings.Join(p.Output, "\n"))
		}
	}
	section("Skipped tests", ResultSkip, true)

	fmt.Fprintf(&t, "package\ttest\tresult\tseconds\tsubtests_passed\tsubtests_failed\tsubtests_skipped\n")
	for _, x := range b.run.Tests {
		fmt.Fprintf(&t, "%s\t%s\t%s\t%.2f\t%d\t%d\t%d\n", strings.TrimPrefix(x.Package, Module+"/"), x.Name, x.Result, x.Elapsed,
			x.Subtests[ResultPass], x.Subtests[ResultFail], x.Subtests[ResultSkip])
	}
	return w.Bytes(), t.Bytes()
}

// skipReason drops the "--- SKIP" line of a skipped test's output.
func skipReason(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "--- SKIP") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

func countPkgs(r *Run, f func(*PackageResult) bool) int {
	n := 0
	for _, p := range r.Packages {
		if f(p) {
			n++
		}
	}
	return n
}

func (b *bundle) coverage() (md, tsv []byte) {
	var w, t bytes.Buffer
	fmt.Fprintf(&w, "# Statement coverage per package\n\n")
	fmt.Fprintf(&w, "From coverage/cover.out, the profile of the test run (`-coverprofile`, mode of the profile's first line).\n")
	fmt.Fprintf(&w, "Each package's coverage is what its own tests execute; a package exercised only by other\n")
	fmt.Fprintf(&w, "packages' tests shows low here. This is statement coverage, not branch or MC/DC coverage.\n\n")
	fmt.Fprintf(&w, "Total: %d of %d statements, **%.1f %%**.\n\n", b.total.Cover, b.total.Statements, b.total.Percent())
	fmt.Fprintf(&w, "| package | statements | covered | coverage |\n|---|---|---|---|\n")
	fmt.Fprintf(&t, "package\tstatements\tcovered\tpercent\n")
	for _, c := range b.cov {
		p := strings.TrimPrefix(c.Package, Module+"/")
		fmt.Fprintf(&w, "| %s | %d | %d | %.1f %% |\n", p, c.Statements, c.Cover, c.Percent())
		fmt.Fprintf(&t, "%s\t%d\t%d\t%.1f\n", p, c.Statements, c.Cover, c.Percent())
	}
	return w.Bytes(), t.Bytes()
}

func (b *bundle) fmeaRanked() []byte {
	var w bytes.Buffer
	fms := slices.Clone(b.src.FMEA)
	slices.SortStableFunc(fms, func(x, y FailureMode) int { return y.RPN() - x.RPN() })
	fmt.Fprintf(&w, "# Failure modes ranked by risk priority number\n\n")
	fmt.Fprintf(&w, "From fmea.md (a copy of governance/fmea.md): RPN = severity × occurrence × detection, each\n")
	fmt.Fprintf(&w, "rated 1 to 10 as fmea.md explains; the tests are those fmea.md names, with their result in this run.\n\n")
	fmt.Fprintf(&w, "| RPN | Id | Failure mode | S | O | D | Tests (result) |\n|---|---|---|---|---|---|---|\n")
	for _, f := range fms {
		fmt.Fprintf(&w, "| %d | %s | %s | %d | %d | %d | %s |\n", f.RPN(), f.ID, cell(f.Title), f.Severity, f.Occurrence, f.Detection,
			refsCell(f.Tests, func(r Ref) string { return mark(b.result(r)) }))
	}
	return w.Bytes()
}

func (b *bundle) outline() []byte {
	var w bytes.Buffer
	fmt.Fprintf(&w, "# The safety argument, as an outline\n\n")
	fmt.Fprintf(&w, "Generated from safety-case.md (a copy of governance/safety-case.md): from the top goal down,\n")
	fmt.Fprintf(&w, "each node with its context, down to the solutions and the files of this bundle they point at.\n\n")
	w.WriteString(b.src.SafetyCase.Outline())
	return w.Bytes()
}

func (b *bundle) complianceSummary() []byte {
	var w bytes.Buffer
	type key struct{ table, status string }
	count := map[key]int{}
	var tables []string
	for _, it := range b.src.Compliance {
		if !slices.Contains(tables, it.Table) {
			tables = append(tables, it.Table)
		}
		count[key{it.Table, it.Status}]++
		count[key{"", it.Status}]++
	}
	fmt.Fprintf(&w, "# Compliance checklist: items by status\n\n")
	fmt.Fprintf(&w, "Counted from checklist.md (a copy of governance/compliance.md), which says for each item what\n")
	fmt.Fprintf(&w, "holds, what is missing, and why. No item has been assessed by anyone independent of the development.\n\n")
	fmt.Fprintf(&w, "| table | holds | partly | does not hold | not applicable |\n|---|---|---|---|---|\n")
	for _, t := range append(tables, "") {
		name := t
		if t == "" {
			name = "**all**"
		}
		fmt.Fprintf(&w, "| %s | %d | %d | %d | %d |\n", cell(name), count[key{t, ComplianceHolds}], count[key{t, CompliancePartly}],
			count[key{t, ComplianceDoesNotHold}], count[key{t, ComplianceNotApplicable}])
	}
	return w.Bytes()
}

func (b *bundle) buildInfo() []byte {
	c := b.run.Counts()
	info := map[string]any{
		"bundle":                b.name,
		"version":               b.o.Version,
		"commit":                b.o.Commit,
		"dirty":                 b.o.Dirty,
		"built_at":              b.o.Now.UTC().Format(time.RFC3339),
		"go_version":            b.o.GoVersion,
		"goos":                  runtime.GOOS,
		"goarch":                runtime.GOARCH,
		"test_command":          b.o.TestCommand,
		"test_exit_status":      b.o.TestExit,
		"test_start":            b.run.Start.UTC().Format(time.RFC3339),
		"test_end":              b.run.End.UTC().Format(time.RFC3339),
		"test_duration_seconds": int(b.run.End.Sub(b.run.Start).Seconds()),
		"tests_passed":          c[ResultPass],
		"tests_failed":          c[ResultFail],
		"tests_skipped":         c[ResultSkip],
		"statement_coverage":    fmt.Sprintf("%.1f%%", b.total.Percent()),
		"proof_manifest_root":   b.pm.Root,
		"requirements":          len(b.src.Requirements),
		"failure_modes":         len(b.src.FMEA),
	}
	out, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(out, '\n')
}

func (b *bundle) readme() []byte {
	var w bytes.Buffer
	c := b.run.Counts()
	count := map[string]int{}
	for _, q := range b.src.Requirements {
		count[q.Status]++
	}
	ccount := map[string]int{}
	for _, it := range b.src.Compliance {
		ccount[it.Status]++
	}
	top := slices.Clone(b.src.FMEA)
	slices.SortStableFunc(top, func(x, y FailureMode) int { return y.RPN() - x.RPN() })
	fmt.Fprintf(&w, "# eBIOS evidence bundle %s\n\n", b.name)
	dirty := ""
	if b.o.Dirty {
		dirty = " **with uncommitted changes** (the tree was dirty: the commit alone does not reproduce it)"
	}
	fmt.Fprintf(&w, "Built by `make certify` on %s from commit `%s`%s, with %s.\n\n", b.o.Now.UTC().Format(time.RFC3339), b.o.Commit, dirty, b.o.GoVersion)
	fmt.Fprintf(&w, "This directory is the certification evidence of eBIOS at that commit, gathered in one place\n")
	fmt.Fprintf(&w, "and sealed: manifest.json lists the SHA-256 of every other file and their Merkle root\n")
	fmt.Fprintf(&w, "(computed as proofs/attest computes the proof manifest's). Check it with\n\n")
	fmt.Fprintf(&w, "    ebios certify verify --bundle %s\n\n", b.name)
	fmt.Fprintf(&w, "and, when its root was attested into an eBIOS ledger (`ebios certify attest`), against an\n")
	fmt.Fprintf(&w, "exported ledger and the ledger's verifier key you trust:\n\n")
	fmt.Fprintf(&w, "    ebios certify verify --bundle %s --ledger LEDGER.json --key VKEY\n\n", b.name)
	fmt.Fprintf(&w, "## Summary\n\n")
	status := "passed"
	if b.run.Failed() || b.o.TestExit > 0 {
		status = "**FAILED**"
	}
	fmt.Fprintf(&w, "- Tests: the run %s: %d top-level tests passed, %d failed, %d skipped, in %d packages, %d of them with tests (tests/results.md).\n",
		status, c[ResultPass], c[ResultFail], c[ResultSkip], len(b.run.Packages), countPkgs(b.run, func(p *PackageResult) bool { return !p.NoTests }))
	fmt.Fprintf(&w, "- Statement coverage: %.1f %% of %d statements (coverage/packages.md).\n", b.total.Percent(), b.total.Statements)
	fmt.Fprintf(&w, "- Requirements: %d, of which %d met, %d partly met, %d not met (requirements/matrix.md).\n",
		len(b.src.Requirements), count[StatusMet], count[StatusPartlyMet], count[StatusNotMet])
	fmt.Fprintf(&w, "- Proofs: %d Coq theorems over %d proof files, manifest root `%s`, matching the proof files of the tree (formal/).\n",
		len(b.pm.Theorems), len(b.pm.Files), b.pm.Root)
	fmt.Fprintf(&w, "- Hazards: %d failure modes of the computation and the ledger; highest RPN %d (%s, %s) (safety/fmea-ranked.md).\n",
		len(top), top[0].RPN(), top[0].ID, top[0].Title)
	fmt.Fprintf(&w, "- Compliance checklist: %d items: %d hold, %d partly, %d do not hold, %d not applicable (compliance/summary.md).\n",
		len(b.src.Compliance), ccount[ComplianceHolds], ccount[CompliancePartly], ccount[ComplianceDoesNotHold], ccount[ComplianceNotApplicable])
	fmt.Fprintf(&w, "\n## Files\n\n| file | what it holds |\n|---|---|\n")
	for _, f := range Layout {
		fmt.Fprintf(&w, "| [%s](%s) | %s |\n", f.Path, f.Path, cell(f.What))
	}
	fmt.Fprintf(&w, "| manifest.json | every file above with its SHA-256, and their Merkle root |\n")
	fmt.Fprintf(&w, "\nThe copies are byte for byte the files of the source tree, so their relative links point\n")
	fmt.Fprintf(&w, "into the repository, not into this bundle.\n")
	fmt.Fprintf(&w, "\n## What this bundle does not claim\n\n")
	fmt.Fprintf(&w, "- It is not a certification. No authority or independent assessor has reviewed it; every\n")
	fmt.Fprintf(&w, "  analysis in it was written by the developers of eBIOS (compliance/checklist.md).\n")
	fmt.Fprintf(&w, "- Coverage is statement coverage; no decision, MC/DC or object-code coverage was measured.\n")
	fmt.Fprintf(&w, "- The proofs are about the algebra's formulas and a binary64 model of the interval code\n")
	fmt.Fprintf(&w, "  (formal/traceability.md says which theorem is about what); they were not re-checked by Coq\n")
	fmt.Fprintf(&w, "  when this bundle was built (`make proofs` does that); the manifest shows the files are the checked ones.\n")
	fmt.Fprintf(&w, "- The tools (Go, Coq, the test runner) are not qualified.\n")
	fmt.Fprintf(&w, "- The FMEA's ratings are engineering judgement, not field data.\n")
	fmt.Fprintf(&w, "- A manifest proves only that these bytes are the ones sealed; an attestation in a ledger\n")
	fmt.Fprintf(&w, "  proves only that the ledger's key recorded this root at that time.\n")
	return w.Bytes()
}
