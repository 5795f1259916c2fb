package evidence

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Results of a test or a package.
const (
	ResultPass   = "pass"
	ResultFail   = "fail"
	ResultSkip   = "skip"
	ResultNotRun = "not run" // named by a requirement, absent from the run
)

// TestResult is the outcome of one top-level test function.
type TestResult struct {
	Package string  // import path
	Name    string  // the test function's name
	Result  string  // pass, fail or skip
	Elapsed float64 // seconds
	// Subtests counts its subtests by result.
	Subtests map[string]int
	// Output is the test's own output, kept for failed and skipped tests
	// (the reason of a skip), at most maxOutputLines lines.
	Output []string
}

// PackageResult is the outcome of one package.
type PackageResult struct {
	Package string  // import path
	Result  string  // pass, fail, or skip for a package without tests
	Elapsed float64 // seconds
	// NoTests is true when no test of the package ran: it has no test
	// files, or (with -coverprofile, which runs such packages for their
	// coverage) none with a test function.
	NoTests     bool
	BuildFailed bool // the package or its test binary did not compile
	// Coverage is what go test printed ("87.3% of statements"), or "".
	Coverage string
	// Output is the package-level output of a failed package (build errors,
	// panics outside a test), at most maxOutputLines lines.
	Output []string
}

// Run is a parsed `go test -json` run.
type Run struct {
	Packages []*PackageResult // sorted by import path
	Tests    []*TestResult    // sorted by package, then name
	// Start and End are the times of the first and the last event.
	Start, End time.Time
	byKey      map[string]*TestResult
}

const maxOutputLines = 60

// testEvent is one line of `go test -json` (cmd/test2json).
type testEvent struct {
	Time        time.Time
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	ImportPath  string // build-output and build-fail events
	FailedBuild string
}

var coverageRE = regexp.MustCompile(`coverage: ([0-9.]+% of statements|\[no statements\])`)

// ParseTestJSON reads the output of `go test -json`. Lines that are not
// JSON events (a go command's own error) are refused: a run that did not
// produce its events is no evidence.
func ParseTestJSON(r io.Reader) (*Run, error) {
	run := &Run{byKey: map[string]*TestResult{}}
	pkgs := map[string]*PackageResult{}
	pkg := func(p string) *PackageResult {
		if pr, ok := pkgs[p]; ok {
			return pr
		}
		pr := &PackageResult{Package: p}
		pkgs[p] = pr
		return pr
	}
	buildOut := map[string][]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		var ev testEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			return nil, fmt.Errorf("line %d of the go test -json output is not an event: %v: %.200q", n, err, line)
		}
		if !ev.Time.IsZero() {
			if run.Start.IsZero() || ev.Time.Before(run.Start) {
				run.Start = ev.Time
			}
			if ev.Time.After(run.End) {
				run.End = ev.Time
			}
		}
		switch ev.Action {
		case "build-output":
			buildOut[ev.ImportPath] = appendLimited(buildOut[ev.ImportPath], ev.Output)
			continue
		case "build-fail":
			continue
		}
		if ev.Package == "" {
			continue
		}
		p := pkg(ev.Package)
		if ev.Test == "" {
			switch ev.Action {
			case "output":
				if m := coverageRE.FindStringSubmatch(ev.Output); m != nil {
					p.Coverage = m[1]
				}
				p.Output = appendLimited(p.Output, ev.Output)
			case ResultPass, ResultFail, ResultSkip:
				p.Result, p.Elapsed = ev.Action, ev.Elapsed
				if ev.FailedBuild != "" {
					p.BuildFailed = true
					p.Output = append(p.Output, buildOut[ev.FailedBuild]...)
				}
			}
			continue
		}
		top, _, isSub := strings.Cut(ev.Test, "/")
		key := ev.Package + "\x00" + top
		t := run.byKey[key]
		if t == nil {
			t = &TestResult{Package: ev.Package, Name: top, Subtests: map[string]int{}}
			run.byKey[key] = t
			run.Tests = append(run.Tests, t)
		}
		switch ev.Action {
		case "output":
			if !isSub && !strings.HasPrefix(ev.Output, "=== ") {
				t.Output = appendLimited(t.Output, ev.Output)
			}
		case ResultPass, ResultFail, ResultSkip:
			if isSub {
				t.Subtests[ev.Action]++
			} else {
				t.Result, t.Elapsed = ev.Action, ev.Elapsed
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	withTests := map[string]bool{}
	for _, t := range run.Tests {
		withTests[t.Package] = true
	}
	for _, p := range pkgs {
		p.NoTests = !withTests[p.Package]
		if p.Result == "" {
			p.Result = ResultFail // the package never finished: a crash or a timeout
			p.Output = append(p.Output, "(no final event: the test binary did not finish)")
		}
		if p.Result != ResultFail {
			p.Output = nil
		}
		run.Packages = append(run.Packages, p)
	}
	for _, t := range run.Tests {
		if t.Result == "" {
			t.Result = ResultFail
			t.Output = append(t.Output, "(no final event: the test did not finish)")
		}
		if t.Result == ResultPass {
			t.Output = nil
		}
	}
	slices.SortFunc(run.Packages, func(a, b *PackageResult) int { return strings.Compare(a.Package, b.Package) })
	slices.SortFunc(run.Tests, func(a, b *TestResult) int {
		if c := strings.Compare(a.Package, b.Package); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return run, nil
}

func appendLimited(out []string, s string) []string {
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if len(out) == maxOutputLines {
			return append(out[:maxOutputLines-1], "…")
		}
		if len(out) > maxOutputLines {
			return out
		}
		out = append(out, l)
	}
	return out
}

// Test returns the result of the top-level test name of the package at
// import path pkg, or nil.
func (r *Run) Test(pkg, name string) *TestResult { return r.byKey[pkg+"\x00"+name] }

// Counts returns the number of top-level tests by result.
func (r *Run) Counts() map[string]int {
	c := map[string]int{}
	for _, t := range r.Tests {
		c[t.Result]++
	}
	return c
}

// SubtestCounts returns the number of subtests by result.
func (r *Run) SubtestCounts() map[string]int {
	c := map[string]int{}
	for _, t := range r.Tests {
		for k, v := range t.Subtests {
			c[k] += v
		}
	}
	return c
}

// Failed reports whether a package or a test failed.
func (r *Run) Failed() bool {
	for _, p := range r.Packages {
		if p.Result == ResultFail {
			return true
		}
	}
	return false
}

// PackageCoverage is the statement coverage of one package in a profile.
type PackageCoverage struct {
	Package           string // import path
	Statements, Cover int    // statements in the profile, and those covered
}

// Percent is the covered share of the statements, in percent (0 when the
// package has none).
func (c PackageCoverage) Percent() float64 {
	if c.Statements == 0 {
		return 0
	}
	return 100 * float64(c.Cover) / float64(c.Statements)
}

// ParseCoverProfile reads a coverage profile (`go test -coverprofile`) and
// returns the statements and covered statements of each package, sorted,
// and the total. A block listed more than once (merged profiles) counts
// once, covered if any listing covered it.
func ParseCoverProfile(r io.Reader) ([]PackageCoverage, PackageCoverage, error) {
	type block struct {
		stmts   int
		covered bool
	}
	blocks := map[string]*block{}
	pkgOf := map[string]string{}
	sawMode := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 {
			sawMode = true
			if !strings.HasPrefix(line, "mode: ") {
				return nil, PackageCoverage{}, fmt.Errorf("coverage profile: line 1 is %q, not \"mode: ...\"", line)
			}
			continue
		}
		if line == "" {
			continue
		}
		// file.go:12.34,15.2 3 1
		i := strings.LastIndex(line, ":")
		f := strings.Fields(line[i+1:])
		if i < 0 || len(f) != 3 {
			return nil, PackageCoverage{}, fmt.Errorf("coverage profile: line %d is malformed: %q", n, line)
		}
		stmts, err1 := strconv.Atoi(f[1])
		count, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			return nil, PackageCoverage{}, fmt.Errorf("coverage profile: line %d is malformed: %q", n, line)
		}
		key := line[:i] + ":" + f[0]
		b := blocks[key]
		if b == nil {
			b = &block{stmts: stmts}
			blocks[key] = b
			pkgOf[key] = path.Dir(line[:i])
		}
		b.covered = b.covered || count > 0
	}
	if err := sc.Err(); err != nil {
		return nil, PackageCoverage{}, err
	}
	if !sawMode {
		return nil, PackageCoverage{}, fmt.Errorf("coverage profile: empty, no \"mode: ...\" line")
	}
	byPkg := map[string]*PackageCoverage{}
	var total PackageCoverage
	total.Package = "total"
	for k, b := range blocks {
		p := byPkg[pkgOf[k]]
		if p == nil {
			p = &PackageCoverage{Package: pkgOf[k]}
			byPkg[pkgOf[k]] = p
		}
		p.Statements += b.stmts
		total.Statements += b.stmts
		if b.covered {
			p.Cover += b.stmts
			total.Cover += b.stmts
		}
	}
	var out []PackageCoverage
	for _, p := range byPkg {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b PackageCoverage) int { return strings.Compare(a.Package, b.Package) })
	return out, total, nil
}
