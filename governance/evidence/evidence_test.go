package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/governance/certify"
	"github.com/ebios/ebios/proofs/attest"
)

// repoRoot is the repository, seen from this package's directory.
const repoRoot = "../.."

// fixtureRepo is a small repository: a Go package, proofs, docs and the
// four governance sources, all citing each other correctly.
const fixtureRepo = "testdata/repo"

// copyTree copies the files under src into a new temporary directory.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
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

// fixture is a copy of the fixture repository with its proof manifest.
func fixture(t *testing.T) string {
	t.Helper()
	root := copyTree(t, fixtureRepo)
	m, err := attest.Build(filepath.Join(root, "proofs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "proofs", "manifest.json"), m.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func replaceIn(t *testing.T, path, from, to string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(from)) {
		t.Fatalf("%s does not contain %q", path, from)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(from), []byte(to), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// seedCriteria are the success criteria of the two seed roadmaps, as they
// are written there (next-steps-v1.0.0.md, "Success Criteria for v1.0.0";
// release-plan-v0.2.0.md, "Success Criteria").
var seedCriteria = []string{
	"JWT authentication working",
	"RBAC with 4 roles (admin, operator, auditor, guest)",
	"All policies signed (mandatory)",
	"Docker image published",
	"HTTPS enabled",
	"Automated backups (daily)",
	"Prometheus metrics exported",
	"Security audit complete (0 critical issues)",
	"Load tested (1000+ req/sec)",
	"Complete documentation set",
	"Certification artifacts prepared",
	"All 8 Lean 4 proofs complete (100%)",
	"SQLite as default backend working",
	"Rate limiting functional",
	"Docker images published",
	"All 172 existing tests still passing",
	"At least 50 new tests added (total 222+)",
	"Migration scripts tested",
	"Performance benchmarks passing",
	"Documentation complete",
	"CI/CD pipeline updated",
	"Helm charts for Kubernetes",
	"Prometheus metrics endpoint",
	"Admin dashboard",
	"Policy editor UI",
}

// TestGovernanceSources checks governance/requirements.md, fmea.md,
// safety-case.md and compliance.md against the repository: their form, and
// every function, test, theorem and documentation heading they cite. It
// also checks that every seed success criterion is a requirement's source
// and that the FMEA has the failure modes the certification issue names.
func TestGovernanceSources(t *testing.T) {
	for _, p := range Check(repoRoot) {
		t.Error(p)
	}
	src, _ := LoadSources(repoRoot)
	for _, c := range seedCriteria {
		if !slices.ContainsFunc(src.Requirements, func(q Requirement) bool { return strings.Contains(q.Source, `"`+c+`"`) }) {
			t.Errorf("the seed criterion %q is no requirement's source (quote it in a Source field)", c)
		}
	}
	for _, h := range []string{"wrong uncertainty shown", "lost entry", "forged entry", "rollback", "key compromise",
		"parser differential", "monte carlo non-reproducibility", "wrong coverage factor"} {
		if !slices.ContainsFunc(src.FMEA, func(f FailureMode) bool { return strings.Contains(strings.ToLower(f.Title), h) }) {
			t.Errorf("no failure mode of fmea.md is titled %q", h)
		}
	}
	for _, q := range src.Requirements {
		if len(q.Tests.Refs) == 0 && q.Tests.None == "" {
			t.Errorf("%s names no test and does not say why", q.ID)
		}
	}
	for _, f := range src.FMEA {
		if len(f.Tests.Refs) == 0 {
			t.Errorf("%s: every failure mode of eBIOS has a test that shows its mitigation", f.ID)
		}
		if len(f.Requirements) == 0 {
			t.Errorf("%s names no requirement", f.ID)
		}
	}
	statuses := map[string]int{}
	for _, it := range src.Compliance {
		statuses[it.Status]++
	}
	// Honesty: the checklist must keep saying what does not hold (MC/DC,
	// independence, tool qualification).
	if statuses[ComplianceDoesNotHold] < 10 {
		t.Errorf("compliance.md says only %d items do not hold; MC/DC, independence and tool qualification alone do not", statuses[ComplianceDoesNotHold])
	}
	for _, must := range []string{"MC/DC", "qualified", "independent"} {
		if !bytes.Contains(src.Raw[ComplianceFile], []byte(must)) {
			t.Errorf("compliance.md does not mention %q", must)
		}
	}
	t.Logf("%d requirements, %d failure modes, %d safety case nodes, %d compliance items %v",
		len(src.Requirements), len(src.FMEA), len(src.SafetyCase.Nodes), len(src.Compliance), statuses)
}

// TestCheckFixture: the fixture repository is consistent, and the parsers
// read what it says.
func TestCheckFixture(t *testing.T) {
	root := fixture(t)
	if ps := Check(root); len(ps) > 0 {
		t.Fatalf("fixture problems:\n%s", strings.Join(ps, "\n"))
	}
	src, _ := LoadSources(root)
	if len(src.Requirements) != 3 || src.Requirements[1].Status != StatusPartlyMet || src.Requirements[1].StatusNote != "only in the long run" ||
		src.Requirements[2].Tests.None != "nothing to test" || len(src.Requirements[0].Code.Refs) != 3 {
		t.Fatalf("requirements %+v", src.Requirements)
	}
	if f := src.FMEA[0]; f.RPN() != 54 || f.Occurrence != 2 || !slices.Equal(src.FMEA[1].Requirements, []string{"REQ-02", "REQ-03"}) {
		t.Fatalf("FMEA %+v", src.FMEA)
	}
	if n := src.SafetyCase.Node("Sn2"); n == nil || !slices.Equal(n.Evidence, []string{"manifest.json", "requirements/matrix.md"}) {
		t.Fatalf("Sn2 %+v", n)
	}
	if len(src.Compliance) != 4 || src.Compliance[1].Evidence != "`A.v:a_one` only; a | pipe" || src.Compliance[3].Table != "Table X.2: More things" {
		t.Fatalf("compliance %+v", src.Compliance)
	}
}

// TestCheckFindsProblems: each kind of rot in the sources is reported,
// naming the file, the line or record, and the name.
func TestCheckFindsProblems(t *testing.T) {
	const (
		req = "governance/requirements.md"
		fm  = "governance/fmea.md"
		sc  = "governance/safety-case.md"
		cl  = "governance/compliance.md"
	)
	cases := []struct {
		name, file, from, to string
		want                 []string // substrings, one problem each
	}{
		{"function renamed in the code", "core/fake/fake.go", "func Add(", "func Sum(",
			[]string{"REQ-01: code: `core/fake.Add`: core/fake declares no Add", "REQ-02: code: `core/fake.Add`", "FM-01: code: `core/fake.Add`", "FM-01: `core/fake.Add`"}},
		{"method renamed", "core/fake/fake.go", "func (*T) M()", "func (*T) N()", []string{"`core/fake.T.M`: core/fake declares no T.M"}},
		{"constant removed", "core/fake/fake.go", "const Limit = 3", "", []string{"`core/fake.Limit`"}},
		{"test renamed", "core/fake/fake_test.go", "func TestAdd(", "func TestSum(",
			[]string{"REQ-01: tests: `core/fake.TestAdd`: no function TestAdd", "REQ-03: `core/fake.TestAdd`", "FM-01: tests: `core/fake.TestAdd`", "Sn1: tests: `core/fake.TestAdd`", "X.1: Things 1: `core/fake.TestAdd`"}},
		{"benchmark renamed", "core/fake/fake_test.go", "func BenchmarkAdd(", "func BenchmarkSum(", []string{"benchmarks: `core/fake.BenchmarkAdd`"}},
		{"a helper is not a test", req, "`core/fake.FuzzAdd`", "`core/fake.helper`", []string{"`core/fake.helper` is not a test reference"}},
		{"a test where code belongs", req, "`core/fake.T.M`", "`core/fake.TestAdd`", []string{"code: `core/fake.TestAdd` is not a code reference"}},
		{"no package", req, "`core/fake.Limit`", "`core/gone.Limit`", []string{"`core/gone.Limit`: no Go files in core/gone"}},
		{"theorem not listed", req, "`A.v:a_one`", "`A.v:a_three`", []string{"`A.v:a_three` is not in proofs/theorems.txt"}},
		{"theorem commented out", "proofs/theorems.txt", "A.v:a_two\n", "A.v:a_two\nA.v:in_comment\n", nil},
		{"listed theorem not declared", req, "`A.v:a_one`", "`A.v:in_comment`", []string{"`A.v:in_comment` is not in proofs/theorems.txt"}},
		{"heading renamed", "docs/page.md", "## Design of `add`\n\nText.", "## Design of `sum`\n\nText.",
			[]string{"`docs/page.md#design-of-add-1`: docs/page.md has no heading with the id \"design-of-add-1\""}},
		{"no such page", req, "`docs/page.md`", "`docs/gone.md`", []string{"`docs/gone.md`: no file docs/gone.md"}},
		{"no tests, no reason", req, "- **Tests**: none: nothing to test", "- **Tests**: none", []string{"REQ-03: tests says none without saying why"}},
		{"no tests field", req, "- **Tests**: none: nothing to test\n", "", []string{"REQ-03 has no \"tests\" field"}},
		{"tests without names", req, "- **Tests**: `core/fake.TestSkipped`", "- **Tests**: TestSkipped", []string{"REQ-02: tests names nothing"}},
		{"unknown status", req, "- **Status**: met\n", "- **Status**: done\n", []string{`status "done" is not`}},
		{"partly without reason", req, "partly met: only in the long run", "partly met", []string{"needs a reason after a colon"}},
		{"requirement id repeated", req, "### REQ-03:", "### REQ-02:", []string{"REQ-02 is already defined", "FM-02: requirements: REQ-03 is not in"}},
		{"bad requirement heading", req, "### REQ-03:", "### R-3:", []string{"a requirement's heading is", "FM-02: requirements: REQ-03 is not in"}},
		{"rating out of range", fm, "- **Severity**: 9", "- **Severity**: 11", []string{"severity must start with a rating from 1 to 10", "summary table: FM-01 is S 9"}},
		{"summary disagrees", fm, "| FM-01 | Wrong sum | 9 | 2 | 3 | 54 |", "| FM-01 | Wrong sum | 9 | 2 | 3 | 55 |", []string{"summary table: FM-01 is S 9 O 2 D 3 RPN 55"}},
		{"summary row missing", fm, "| FM-02 | Lost sum | 5 | 1 | 1 | 5 |\n", "", []string{"summary table: no row for FM-02"}},
		{"unknown requirement", fm, "- **Requirements**: REQ-01", "- **Requirements**: REQ-09", []string{"FM-01: requirements: REQ-09 is not in governance/requirements.md"}},
		{"failure mode without mitigation", fm, "- **Mitigation**: tests\n", "", []string{"FM-01 has no \"mitigation\" field"}},
		{"dangling support", sc, "- **Supported by**: Sn1, Sn2", "- **Supported by**: Sn1, Sn3", []string{"G2: supported by Sn3, which is not a node", "Sn2 is not connected to the top goal"}},
		{"context as support", sc, "- **Supported by**: G2, G3", "- **Supported by**: G2, G3, C1", []string{"supported by C1, a context"}},
		{"goal unsupported", sc, "- **Undeveloped**: nothing to show yet\n", "", []string{"G3: a goal needs \"Supported by\""}},
		{"evidence outside the bundle", sc, "`tests/results.md`", "`tests/nothing.md`", []string{"Sn1: evidence `tests/nothing.md` is not a file of the evidence bundle"}},
		{"solution without evidence", sc, "- **Evidence**: `tests/results.md`\n", "", []string{"Sn1: a solution needs \"Evidence\""}},
		{"node not connected", sc, "- **Supported by**: G2, G3", "- **Supported by**: G2", []string{"G3 is not connected to the top goal G1"}},
		{"cycle", sc, "- **Supported by**: Sn1, Sn2", "- **Supported by**: Sn1, Sn2, S1", []string{"the argument has a cycle: G1 → S1 → G2 → S1"}},
		{"unknown node type", sc, "### C1 (context):", "### C1 (claim):", []string{"a node's heading is", "in context of C1, which is not a node"}},
		{"compliance status", cl, "| partly |", "| mostly |", []string{`status "mostly" is not`}},
		{"compliance evidence empty", cl, "| nobody looked |", "| |", []string{"item 3 says nothing"}},
		{"compliance cell count", cl, "| 3 | Sums are certified | does not hold | nobody looked |", "| 3 | Sums are certified | does not hold |", []string{"want 4 cells"}},
		{"compliance names a missing heading", cl, "`docs/page.md#the-page`", "`docs/page.md#a-page`", []string{"X.2: More things 1: `docs/page.md#a-page`"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := fixture(t)
			replaceIn(t, filepath.Join(root, filepath.FromSlash(c.file)), c.from, c.to)
			got := Check(root)
			if len(got) != len(c.want) {
				t.Fatalf("problems:\n  %s\nwant %d matching %q", strings.Join(got, "\n  "), len(c.want), c.want)
			}
			for _, w := range c.want {
				if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, w) }) {
					t.Errorf("no problem contains %q:\n  %s", w, strings.Join(got, "\n  "))
				}
			}
		})
	}
}

// TestParseRef classifies code spans.
func TestParseRef(t *testing.T) {
	for _, c := range []struct{ s, kind, dir, name, file, anchor string }{
		{"core/nu.Add", RefCode, "core/nu", "Add", "", ""},
		{"core/nu.Mode.Apply", RefCode, "core/nu", "Mode.Apply", "", ""},
		{"server/cmd/ebios.TestBinary", RefTest, "server/cmd/ebios", "TestBinary", "", ""},
		{"core/ledger.FuzzReadBundle", RefTest, "core/ledger", "FuzzReadBundle", "", ""},
		{"core/policy.ExampleConfig_Evaluate", RefTest, "core/policy", "ExampleConfig_Evaluate", "", ""},
		{"server/api.BenchmarkExecute", RefBenchmark, "server/api", "BenchmarkExecute", "", ""},
		{"app.TestVerifyPage", RefTest, "app", "TestVerifyPage", "", ""},
		{"NUReal.v:nu_add_unc_nonneg", RefTheorem, "", "", "", ""},
		{"docs/security.md#threat-model", RefDoc, "", "", "docs/security.md", "threat-model"},
		{"docs/traceability.md#mode-nu-over-ℝ-nurealv", RefDoc, "", "", "docs/traceability.md", "mode-nu-over-ℝ-nurealv"},
		{"README.md", RefDoc, "", "", "README.md", ""},
		{"governance/fmea.md#summary", RefDoc, "", "", "governance/fmea.md", "summary"},
		{"tests/results.md", RefOther, "", "", "", ""},
		{"make test", RefOther, "", "", "", ""},
		{"nu.Add", RefOther, "", "", "", ""},
		{"Add", RefOther, "", "", "", ""},
	} {
		r := ParseRef(c.s)
		if r.Kind != c.kind || r.Dir != c.dir || r.Name != c.name || r.File != c.file || r.Anchor != c.anchor {
			t.Errorf("ParseRef(%q) = %+v", c.s, r)
		}
	}
}

// TestHeadingIDs: ids as GitHub and the documentation site give them.
func TestHeadingIDs(t *testing.T) {
	ids, err := HeadingIDs(fixtureRepo, "docs/page.md")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for id := range ids {
		got = append(got, id)
	}
	slices.Sort(got)
	want := []string{"design-of-add", "design-of-add-1", "the-page", "ünïcode-ℝ-and-a-link"}
	if !slices.Equal(got, want) {
		t.Fatalf("ids %q, want %q", got, want)
	}
	// The real documentation: an anchor the security guide's own links use.
	ids, err = HeadingIDs(repoRoot, "docs/security.md")
	if err != nil || !ids["per-account-limit-of-failed-logins"] {
		t.Fatalf("docs/security.md: %v", err)
	}
}

func readRun(t *testing.T, s string) *Run {
	t.Helper()
	r, err := ParseTestJSON(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestParseTestJSON reads go test -json: results of tests and subtests,
// the output of skipped and failed tests, packages without tests, build
// failures and packages that never finished.
func TestParseTestJSON(t *testing.T) {
	b, err := os.ReadFile("testdata/run/go-test.json")
	if err != nil {
		t.Fatal(err)
	}
	r := readRun(t, string(b))
	if len(r.Packages) != 2 || r.Packages[0].Coverage != "33.3% of statements" || r.Packages[0].Result != ResultPass ||
		!r.Packages[1].NoTests || r.Packages[0].NoTests || r.Packages[1].Result != ResultSkip {
		t.Fatalf("packages %+v %+v", r.Packages[0], r.Packages[1])
	}
	add := r.Test("github.com/ebios/ebios/core/fake", "TestAdd")
	if add == nil || add.Result != ResultPass || add.Subtests[ResultPass] != 1 || add.Subtests[ResultSkip] != 1 || add.Output != nil {
		t.Fatalf("TestAdd %+v", add)
	}
	skip := r.Test("github.com/ebios/ebios/core/fake", "TestSkipped")
	if skip == nil || skip.Result != ResultSkip || !slices.Equal(skipReason(skip.Output), []string{"fake_test.go:7: needs a large input"}) {
		t.Fatalf("TestSkipped %+v", skip)
	}
	if c := r.Counts(); c[ResultPass] != 2 || c[ResultSkip] != 1 || r.Failed() {
		t.Fatalf("counts %v", c)
	}
	if d := r.End.Sub(r.Start); d != 12500*time.Millisecond {
		t.Fatalf("duration %v", d)
	}

	const pkg = `"Package":"github.com/ebios/ebios/core/bad"`
	failing := readRun(t, `{"Action":"run",`+pkg+`,"Test":"TestX"}
{"Action":"output",`+pkg+`,"Test":"TestX","Output":"=== RUN   TestX\n"}
{"Action":"output",`+pkg+`,"Test":"TestX","Output":"    x_test.go:9: got 2, want 3\n"}
{"Action":"output",`+pkg+`,"Test":"TestX","Output":"--- FAIL: TestX (0.00s)\n"}
{"Action":"fail",`+pkg+`,"Test":"TestX","Elapsed":0}
{"Action":"run",`+pkg+`,"Test":"TestHang"}
{"Action":"output",`+pkg+`,"Output":"panic: test timed out\n"}
{"Action":"fail",`+pkg+`,"Elapsed":600}
`)
	x := failing.Test("github.com/ebios/ebios/core/bad", "TestX")
	hang := failing.Test("github.com/ebios/ebios/core/bad", "TestHang")
	if !failing.Failed() || x.Result != ResultFail || !slices.Contains(x.Output, "    x_test.go:9: got 2, want 3") ||
		hang.Result != ResultFail || !slices.Contains(failing.Packages[0].Output, "panic: test timed out") {
		t.Fatalf("failing run: %+v %+v %+v", x, hang, failing.Packages[0])
	}

	build := readRun(t, `{"ImportPath":"github.com/ebios/ebios/core/broken [github.com/ebios/ebios/core/broken.test]","Action":"build-output","Output":"core/broken/x.go:3:1: syntax error\n"}
{"ImportPath":"github.com/ebios/ebios/core/broken [github.com/ebios/ebios/core/broken.test]","Action":"build-fail"}
{"Action":"start","Package":"github.com/ebios/ebios/core/broken"}
{"Action":"output","Package":"github.com/ebios/ebios/core/broken","Output":"FAIL\tgithub.com/ebios/ebios/core/broken [build failed]\n"}
{"Action":"fail","Package":"github.com/ebios/ebios/core/broken","Elapsed":0,"FailedBuild":"github.com/ebios/ebios/core/broken [github.com/ebios/ebios/core/broken.test]"}
`)
	if p := build.Packages[0]; !p.BuildFailed || p.Result != ResultFail || !slices.Contains(p.Output, "core/broken/x.go:3:1: syntax error") {
		t.Fatalf("build failure: %+v", p)
	}

	unfinished := readRun(t, `{"Action":"start","Package":"github.com/ebios/ebios/core/gone"}
{"Action":"run","Package":"github.com/ebios/ebios/core/gone","Test":"TestY"}
`)
	if !unfinished.Failed() || unfinished.Test("github.com/ebios/ebios/core/gone", "TestY").Result != ResultFail {
		t.Fatalf("an unfinished package must count as failed: %+v", unfinished.Packages[0])
	}

	if _, err := ParseTestJSON(strings.NewReader("go: cannot find main module\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("non-JSON output: %v", err)
	}
}

// TestParseCoverProfile: statements per package; a block listed twice
// counts once, covered if either listing is.
func TestParseCoverProfile(t *testing.T) {
	f, err := os.Open("testdata/run/cover.out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pkgs, total, err := ParseCoverProfile(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []PackageCoverage{{Module + "/core/fake", 3, 1}, {Module + "/core/none", 3, 0}}
	if !slices.Equal(pkgs, want) || total.Statements != 6 || total.Cover != 1 {
		t.Fatalf("coverage %+v total %+v", pkgs, total)
	}
	if p := pkgs[0].Percent(); p < 33.3 || p > 33.4 {
		t.Fatalf("percent %v", p)
	}
	for _, bad := range []string{"", "set\n", "mode: set\nx.go:1.1,2.2 one 1\n", "mode: set\nno colon here\n"} {
		if _, _, err := ParseCoverProfile(strings.NewReader(bad)); err == nil {
			t.Errorf("profile %q: no error", bad)
		}
	}
}

// buildFixture builds the bundle of the fixture repository and its run.
func buildFixture(t *testing.T, root string, mod func(o *Options)) (*Result, error) {
	t.Helper()
	o := Options{Root: root, Out: filepath.Join(root, "build", "certify"), Version: "v0.0.1-test",
		Commit: "0123456789abcdef", TestJSON: "testdata/run/go-test.json", CoverProfile: "testdata/run/cover.out",
		TestCommand: "go test -count=1 -json -coverprofile=cover.out ./...", TestExit: 0, GoVersion: "go1.26.8",
		Now: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)}
	if mod != nil {
		mod(&o)
	}
	return Build(o)
}

func readBundleFile(t *testing.T, dir, p string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBuildFixture builds a bundle from the fixture repository and a
// fixture test run: every file of the layout is there and sealed, the
// generated files say what the run and the sources say, the bundle
// verifies, and a changed, added or removed file fails verification.
func TestBuildFixture(t *testing.T) {
	root := fixture(t)
	res, err := buildFixture(t, root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.TestsFailed || filepath.Base(res.Dir) != "ebios-evidence-v0.0.1-test" {
		t.Fatalf("result %+v", res)
	}
	var paths []string
	for _, f := range res.Manifest.Files {
		paths = append(paths, f.Path)
	}
	var layout []string
	for _, f := range Layout {
		layout = append(layout, f.Path)
	}
	slices.Sort(layout)
	if !slices.Equal(paths, layout) {
		t.Fatalf("bundle files %q, want the layout %q", paths, layout)
	}
	if rep, err := certify.Verify(res.Dir, nil, ""); err != nil || !rep.OK {
		t.Fatalf("verify: %v\n%s", err, rep)
	}

	for _, c := range []struct {
		file string
		want []string
	}{
		{"README.md", []string{"# eBIOS evidence bundle ebios-evidence-v0.0.1-test", "commit `0123456789abcdef`", "2 top-level tests passed, 0 failed, 1 skipped, in 2 packages, 1 of them with tests",
			"16.7 % of 6 statements", "3, of which 1 met, 1 partly met, 1 not met", "2 Coq theorems", "highest RPN 54 (FM-01, Wrong sum)",
			"4 items: 1 hold, 1 partly, 1 do not hold, 1 not applicable", "| [tests/results.md](tests/results.md) |", "What this bundle does not claim"}},
		{"requirements/matrix.md", []string{"3 requirements: 1 met, 1 partly met, 1 not met",
			"| REQ-01 | Adding works | met | `docs/page.md#design-of-add`<br>`docs/page.md#design-of-add-1` | `core/fake.Add`<br>`core/fake.T.M`<br>`core/fake.Limit` | `core/fake.TestAdd` pass<br>`core/fake.FuzzAdd` pass | `A.v:a_one` | core/fake 33.3 % |",
			"| REQ-02 | Large inputs work | partly met: only in the long run |", "`core/fake.TestSkipped` *skipped*",
			"- REQ-02: `core/fake.TestSkipped` *skipped*", "- REQ-03: no test: nothing to test", "- REQ-01: `core/fake.BenchmarkAdd`\n"}},
		{"requirements/matrix.tsv", []string{"REQ-01\tmet\ttest\tcore/fake.TestAdd\tpass\n", "REQ-03\tnot met\ttest\tnone: nothing to test\t\n", "REQ-01\tmet\tproof\tA.v:a_one\texists\n"}},
		{"tests/results.md", []string{"from 2026-03-01T10:00:00Z to 2026-03-01T10:00:12Z (13s)", "2 passed, 0 failed, 1 skipped", "subtests: 1 passed, 0 failed, 1 skipped",
			"| core/fake | pass | 2 | 0 | 1 | 2 | 0.4 | 33.3% of statements |", "| core/none | no tests |", "- packages: 2 (1 with tests)", "## Failed tests\n\nNone.", "- `core/fake.TestSkipped`\n\n  ```\n  fake_test.go:7: needs a large input\n  ```"}},
		{"tests/results.tsv", []string{"core/fake\tTestAdd\tpass\t0.01\t1\t0\t1\n", "core/fake\tTestSkipped\tskip\t0.00\t0\t0\t0\n"}},
		{"coverage/packages.md", []string{"Total: 1 of 6 statements, **16.7 %**.", "| core/fake | 3 | 1 | 33.3 % |", "| core/none | 3 | 0 | 0.0 % |"}},
		{"coverage/packages.tsv", []string{"core/fake\t3\t1\t33.3\n"}},
		{"safety/fmea-ranked.md", []string{"| 54 | FM-01 | Wrong sum | 9 | 2 | 3 | `core/fake.TestAdd` pass |\n| 5 | FM-02 | Lost sum | 5 | 1 | 1 | none: nothing can be lost |"}},
		{"safety/argument-outline.md", []string{"- **G1** (goal): Sums are right\n  - *in context of* C1 (context): the fixture\n", "    - **G3** (goal): FM-02 needs nothing\n      - *undeveloped*: nothing to show yet",
			"*evidence*: [manifest.json](../manifest.json), [requirements/matrix.md](../requirements/matrix.md)"}},
		{"compliance/summary.md", []string{"| Table X.1: Things | 1 | 1 | 1 | 0 |", "| **all** | 1 | 1 | 1 | 1 |"}},
		{"fuzz/record.md", []string{"No campaign record yet: docs/security.md has no section on a fuzz campaign."}},
		{"benchmarks/benchmarks.md", []string{"| add | 4.6 |"}},
		{"formal/theorems.txt", []string{"A.v:a_one\nA.v:a_two\n"}},
		{"requirements/requirements.md", []string{"### REQ-01: Adding works"}},
	} {
		got := readBundleFile(t, res.Dir, c.file)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s lacks %q:\n%s", c.file, w, got)
			}
		}
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(readBundleFile(t, res.Dir, "build-info.json")), &info); err != nil ||
		info["commit"] != "0123456789abcdef" || info["test_duration_seconds"] != 12.0 || info["tests_skipped"] != 1.0 || info["dirty"] != false {
		t.Fatalf("build-info.json %v %v", info, err)
	}

	// Any change to the sealed bundle fails verification, naming the file.
	for _, c := range []struct {
		name, path string
		change     func(p string)
		kind       string
	}{
		{"one byte changed", "tests/results.tsv", func(p string) {
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0x20
			os.WriteFile(p, b, 0o644)
		}, certify.ProblemChanged},
		{"a file added", "tests/notes.md", func(p string) { os.WriteFile(p, []byte("x"), 0o644) }, certify.ProblemExtra},
		{"a file removed", "safety/fmea.md", func(p string) { os.Remove(p) }, certify.ProblemMissing},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := buildFixture(t, root, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.change(filepath.Join(res.Dir, filepath.FromSlash(c.path)))
			rep, err := certify.Verify(res.Dir, nil, "")
			if !errors.Is(err, &nu.Error{Code: certify.CodeMismatch}) || !strings.Contains(err.Error(), c.path) ||
				len(rep.Problems) != 1 || rep.Problems[0].Kind != c.kind || rep.Problems[0].Path != c.path {
				t.Fatalf("verify: %v %+v", err, rep.Problems)
			}
		})
	}
}

// TestBuildRecordsAndRefuses: a failed run is recorded and reported; a
// fuzz campaign section is copied; a stale source, a stale proof manifest,
// a bad version or a foreign directory in the way stop the build.
func TestBuildRecordsAndRefuses(t *testing.T) {
	t.Run("failed run", func(t *testing.T) {
		root := fixture(t)
		b, _ := os.ReadFile("testdata/run/go-test.json")
		b = append(b, []byte(`{"Action":"run","Package":"github.com/ebios/ebios/core/fake","Test":"TestZ"}
{"Action":"output","Package":"github.com/ebios/ebios/core/fake","Test":"TestZ","Output":"    z_test.go:1: boom\n"}
{"Action":"fail","Package":"github.com/ebios/ebios/core/fake","Test":"TestZ","Elapsed":0}
`)...)
		failed := filepath.Join(t.TempDir(), "go-test.json")
		os.WriteFile(failed, b, 0o644)
		res, err := buildFixture(t, root, func(o *Options) { o.TestJSON, o.TestExit = failed, 1 })
		if err != nil || !res.TestsFailed {
			t.Fatalf("Build = %+v, %v", res, err)
		}
		for f, w := range map[string]string{
			"tests/results.md": "**The run FAILED.**",
			"README.md":        "the run **FAILED**: 2 top-level tests passed, 1 failed",
		} {
			if got := readBundleFile(t, res.Dir, f); !strings.Contains(got, w) {
				t.Errorf("%s lacks %q", f, w)
			}
		}
		if got := readBundleFile(t, res.Dir, "tests/results.md"); !strings.Contains(got, "- `core/fake.TestZ`\n\n  ```\n      z_test.go:1: boom\n") {
			t.Errorf("the failed test's output is not recorded:\n%s", got)
		}
	})
	t.Run("fuzz campaign recorded", func(t *testing.T) {
		root := fixture(t)
		f, _ := os.OpenFile(filepath.Join(root, "docs", "security.md"), os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString("\n## Fuzz campaign\n\nEach target ran 10 minutes; nothing found.\n\n### Targets\n\n- FuzzAdd\n\n## Accounts\n\nNot this.\n")
		f.Close()
		res, err := buildFixture(t, root, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := readBundleFile(t, res.Dir, "fuzz/record.md")
		if !strings.Contains(got, "## Fuzz campaign\n\nEach target ran 10 minutes") || !strings.Contains(got, "- FuzzAdd") || strings.Contains(got, "Accounts") {
			t.Fatalf("fuzz record:\n%s", got)
		}
	})
	t.Run("rebuild replaces the earlier bundle", func(t *testing.T) {
		root := fixture(t)
		res, err := buildFixture(t, root, nil)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(res.Dir, "stray.txt"), []byte("x"), 0o644)
		res2, err := buildFixture(t, root, nil)
		if err != nil || res2.Manifest.Root != res.Manifest.Root {
			t.Fatalf("rebuild: %v, root %s then %s", err, res.Manifest.Root, res2.Manifest.Root)
		}
	})
	for _, c := range []struct {
		name string
		prep func(t *testing.T, root string) func(o *Options)
		want string
	}{
		{"stale sources", func(t *testing.T, root string) func(*Options) {
			replaceIn(t, filepath.Join(root, "core", "fake", "fake_test.go"), "func TestAdd(", "func TestSum(")
			return nil
		}, "the governance sources have 5 problems"},
		{"stale proof manifest", func(t *testing.T, root string) func(*Options) {
			replaceIn(t, filepath.Join(root, "proofs", "A.v"), "exact I", "exact  I")
			return nil
		}, "the proof files differ from proofs/manifest.json (changed: A.v"},
		{"bad version", func(t *testing.T, root string) func(*Options) { return func(o *Options) { o.Version = "../x" } }, `version "../x"`},
		{"no test run", func(t *testing.T, root string) func(*Options) {
			return func(o *Options) { o.TestJSON = filepath.Join(root, "nothing.json") }
		}, "reading the test run"},
		{"empty test run", func(t *testing.T, root string) func(*Options) {
			p := filepath.Join(root, "empty.json")
			os.WriteFile(p, nil, 0o644)
			return func(o *Options) { o.TestJSON = p }
		}, "has no package"},
		{"foreign directory in the way", func(t *testing.T, root string) func(*Options) {
			dir := filepath.Join(root, "build", "certify", "ebios-evidence-v0.0.1-test")
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "precious.txt"), []byte("x"), 0o644)
			return nil
		}, "exists and is not an evidence bundle"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := fixture(t)
			mod := c.prep(t, root)
			_, err := buildFixture(t, root, mod)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Build = %v, want an error containing %q", err, c.want)
			}
		})
	}
}
