package attest

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// moduleRoot is the repository root, seen from this package's directory.
const moduleRoot = "../.."

// tracePackages maps the package qualifiers of docs/traceability.md to
// directories relative to the module root.
var tracePackages = map[string]string{
	"nu":     "core/nu",
	"attest": "proofs/attest",
}

// traceRow is one row of a traceability table.
type traceRow struct {
	line    int
	theorem string
	funcs   []string
	tests   []string
}

var (
	traceHeaderRE = regexp.MustCompile(`^\|\s*Theorem\s*\|\s*Go function\s*\|\s*Test\s*\|\s*Note\s*\|\s*$`)
	codeSpanRE    = regexp.MustCompile("`([^`]*)`")
)

// parseTraceTables returns the rows of every table of md whose header is
// "Theorem | Go function | Test | Note". Each of the first three cells
// holds one or more names in backquotes.
func parseTraceTables(md []byte) ([]traceRow, []string) {
	var rows []traceRow
	var errs []string
	sc := bufio.NewScanner(bytes.NewReader(md))
	inTable, sawSep := false, false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case traceHeaderRE.MatchString(line):
			inTable, sawSep = true, false
			continue
		case !inTable:
			continue
		case !strings.HasPrefix(line, "|"):
			inTable = false
			continue
		case !sawSep:
			sawSep = true // the |---| line
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 4 {
			errs = append(errs, fmt.Sprintf("line %d: want 4 cells, got %d", n, len(cells)))
			continue
		}
		spans := func(cell string) []string {
			var out []string
			for _, m := range codeSpanRE.FindAllStringSubmatch(cell, -1) {
				out = append(out, m[1])
			}
			return out
		}
		r := traceRow{line: n, funcs: spans(cells[1]), tests: spans(cells[2])}
		th := spans(cells[0])
		if len(th) != 1 || len(r.funcs) == 0 || len(r.tests) == 0 {
			errs = append(errs, fmt.Sprintf("line %d: want one theorem and at least one Go function and one test, each in backquotes", n))
			continue
		}
		r.theorem = th[0]
		rows = append(rows, r)
	}
	return rows, errs
}

// goNames is what a Go package declares: functions and methods
// ("Name", "Type.Name") of its non-test files, and the functions of its
// _test.go files.
type goNames struct {
	funcs, tests map[string]bool
}

// indexGoPackage parses every .go file of dir (build tags are ignored: a
// name declared under any tag counts).
func indexGoPackage(dir string) (*goNames, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	g := &goNames{funcs: make(map[string]bool), tests: make(map[string]bool)}
	fset := token.NewFileSet()
	for _, p := range paths {
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		set := g.funcs
		if strings.HasSuffix(p, "_test.go") {
			set = g.tests
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			name := fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				t := fd.Recv.List[0].Type
				if s, ok := t.(*ast.StarExpr); ok {
					t = s.X
				}
				if ix, ok := t.(*ast.IndexExpr); ok { // generic receiver
					t = ix.X
				}
				if id, ok := t.(*ast.Ident); ok {
					name = id.Name + "." + name
				}
			}
			set[name] = true
		}
	}
	return g, nil
}

var testNameRE = regexp.MustCompile(`^(Test|Fuzz|Example)`)

// checkTraceability returns every problem of the traceability document md
// against the proofs directory proofsDir and the Go packages (qualifier →
// directory, relative to root).
func checkTraceability(md []byte, proofsDir, root string, pkgs map[string]string) []string {
	rows, probs := parseTraceTables(md)
	listed, err := ReadTheorems(proofsDir)
	if err != nil {
		return append(probs, err.Error())
	}
	declared, err := DeclaredTheorems(proofsDir)
	if err != nil {
		return append(probs, err.Error())
	}
	inList := make(map[string]bool)
	for _, t := range listed {
		inList[t.String()] = true
	}
	isDecl := make(map[string]bool)
	for _, t := range declared {
		isDecl[t.String()] = true
	}
	index := make(map[string]*goNames)
	lookup := func(line int, ref string, test bool) {
		q, name, ok := strings.Cut(ref, ".")
		dir, known := pkgs[q]
		if !ok || !known {
			probs = append(probs, fmt.Sprintf("line %d: %q: unknown package qualifier (known: %v)", line, ref, slices.Sorted(mapKeys(pkgs))))
			return
		}
		g := index[q]
		if g == nil {
			var err error
			pdir := dir
			if !filepath.IsAbs(pdir) {
				pdir = filepath.Join(root, dir)
			}
			if g, err = indexGoPackage(pdir); err != nil {
				probs = append(probs, fmt.Sprintf("line %d: %s: %v", line, ref, err))
				return
			}
			index[q] = g
		}
		switch {
		case test && !testNameRE.MatchString(name):
			probs = append(probs, fmt.Sprintf("line %d: test %s: not a Test, Fuzz or Example function name", line, ref))
		case test && !g.tests[name]:
			probs = append(probs, fmt.Sprintf("line %d: test %s no longer exists in the _test.go files of %s", line, ref, dir))
		case !test && !g.funcs[name]:
			probs = append(probs, fmt.Sprintf("line %d: function %s no longer exists in %s", line, ref, dir))
		}
	}
	seen := make(map[string]int)
	for _, r := range rows {
		switch {
		case seen[r.theorem] != 0:
			probs = append(probs, fmt.Sprintf("line %d: theorem %s is already listed on line %d", r.line, r.theorem, seen[r.theorem]))
		case !inList[r.theorem]:
			probs = append(probs, fmt.Sprintf("line %d: theorem %s is not in proofs/theorems.txt", r.line, r.theorem))
		case !isDecl[r.theorem]:
			probs = append(probs, fmt.Sprintf("line %d: theorem %s is not declared as a Theorem in its .v file", r.line, r.theorem))
		}
		if seen[r.theorem] == 0 {
			seen[r.theorem] = r.line
		}
		for _, f := range r.funcs {
			lookup(r.line, f, false)
		}
		for _, tn := range r.tests {
			lookup(r.line, tn, true)
		}
	}
	for _, t := range listed {
		if seen[t.String()] == 0 {
			probs = append(probs, fmt.Sprintf("theorem %s of proofs/theorems.txt is not in the table", t))
		}
	}
	return probs
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestTraceability checks docs/traceability.md against proofs/ and the Go
// sources.
func TestTraceability(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(moduleRoot, "docs", "traceability.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := parseTraceTables(md)
	listed, err := ReadTheorems(proofsDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(listed) {
		t.Errorf("%d rows for %d theorems", len(rows), len(listed))
	}
	for _, p := range checkTraceability(md, proofsDir, moduleRoot, tracePackages) {
		t.Error("docs/traceability.md: " + p)
	}
}

// TestTraceabilityCheckerFails shows that the checker catches each kind of
// rot: it runs on a fabricated module (a package and a proofs directory in
// a temporary directory) and on a copy of core/nu with a function renamed.
func TestTraceabilityCheckerFails(t *testing.T) {
	root := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("fake/fake.go", "package fake\n\ntype T struct{}\n\nfunc Add() {}\n\nfunc (*T) M() {}\n")
	write("fake/fake_test.go", "package fake\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {}\n\nfunc helper() {}\n")
	write("proofs/A.v", "Theorem a_one : True. Proof. exact I. Qed.\n(* Theorem in_comment : True. *)\nTheorem a_two : True. Proof. exact I. Qed.\n")
	write("proofs/theorems.txt", "A.v:a_one\nA.v:a_two\nA.v:in_comment\n")
	pkgs := map[string]string{"fake": "fake"}
	const head = "| Theorem | Go function | Test | Note |\n|---|---|---|---|\n"
	row := func(th, fn, tn string) string { return "| `" + th + "` | `" + fn + "` | `" + tn + "` | x |\n" }
	good := row("A.v:a_one", "fake.Add", "fake.TestAdd") + row("A.v:a_two", "fake.T.M", "fake.TestAdd")
	orphan := row("A.v:in_comment", "fake.Add", "fake.TestAdd")

	for _, c := range []struct {
		name, md string
		want     []string // substrings, one per expected problem
	}{
		{"ok apart from the commented-out theorem", head + good + orphan,
			[]string{"A.v:in_comment is not declared as a Theorem"}},
		{"function renamed", head + good + row("A.v:in_comment", "fake.Sum", "fake.TestAdd"),
			[]string{"in_comment is not declared", "function fake.Sum no longer exists in fake"}},
		{"method renamed", head + good + row("A.v:in_comment", "fake.T.N", "fake.TestAdd"),
			[]string{"in_comment is not declared", "function fake.T.N no longer exists"}},
		{"test renamed", head + good + row("A.v:in_comment", "fake.Add", "fake.TestSum"),
			[]string{"in_comment is not declared", "test fake.TestSum no longer exists"}},
		{"helper is not a test", head + good + row("A.v:in_comment", "fake.Add", "fake.helper"),
			[]string{"in_comment is not declared", "not a Test, Fuzz or Example"}},
		{"test file function is not a Go function", head + good + row("A.v:in_comment", "fake.TestAdd", "fake.TestAdd"),
			[]string{"in_comment is not declared", "function fake.TestAdd no longer exists"}},
		{"theorem not in theorems.txt", head + good + orphan + row("A.v:a_three", "fake.Add", "fake.TestAdd"),
			[]string{"in_comment is not declared", "A.v:a_three is not in proofs/theorems.txt"}},
		{"theorem missing from the table", head + row("A.v:a_one", "fake.Add", "fake.TestAdd") + orphan,
			[]string{"in_comment is not declared", "A.v:a_two of proofs/theorems.txt is not in the table"}},
		{"theorem listed twice", head + good + orphan + row("A.v:a_one", "fake.Add", "fake.TestAdd"),
			[]string{"in_comment is not declared", "A.v:a_one is already listed"}},
		{"unknown package", head + good + row("A.v:in_comment", "other.Add", "fake.TestAdd"),
			[]string{"in_comment is not declared", "unknown package qualifier"}},
		{"row without a test", head + good + orphan + "| `A.v:a_one` | `fake.Add` | none | x |\n",
			[]string{"at least one Go function and one test", "in_comment is not declared"}},
		{"no table at all", "# nothing here\n",
			[]string{"a_one of proofs/theorems.txt is not in the table", "a_two of", "in_comment of"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := checkTraceability([]byte(c.md), filepath.Join(root, "proofs"), root, pkgs)
			if len(got) != len(c.want) {
				t.Fatalf("problems:\n  %s\nwant %d matching %q", strings.Join(got, "\n  "), len(c.want), c.want)
			}
			for i, w := range c.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}

	// The real table against a copy of core/nu where Compose is renamed.
	t.Run("real table, nu.Compose renamed", func(t *testing.T) {
		root := t.TempDir()
		src, _ := filepath.Glob(filepath.Join(moduleRoot, "core", "nu", "*.go"))
		if err := os.MkdirAll(filepath.Join(root, "core", "nu"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range src {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b = bytes.ReplaceAll(b, []byte("func Compose("), []byte("func Fuse("))
			b = bytes.ReplaceAll(b, []byte("func TestRoundingHelpers("), []byte("func TestRounding("))
			if err := os.WriteFile(filepath.Join(root, "core", "nu", filepath.Base(p)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		md, err := os.ReadFile(filepath.Join(moduleRoot, "docs", "traceability.md"))
		if err != nil {
			t.Fatal(err)
		}
		pkgs := map[string]string{"nu": "core/nu", "attest": mustAbs(t, ".")}
		probs := checkTraceability(md, proofsDir, root, pkgs)
		rows, _ := parseTraceTables(md)
		var wantCompose, wantRounding int
		for _, r := range rows {
			if slices.Contains(r.funcs, "nu.Compose") {
				wantCompose++
			}
			if slices.Contains(r.tests, "nu.TestRoundingHelpers") {
				wantRounding++
			}
		}
		var compose, rounding int
		for _, p := range probs {
			switch {
			case strings.Contains(p, "function nu.Compose no longer exists"):
				compose++
			case strings.Contains(p, "test nu.TestRoundingHelpers no longer exists"):
				rounding++
			default:
				t.Errorf("unexpected problem %q", p)
			}
		}
		if compose != wantCompose || rounding != wantRounding || compose == 0 || rounding == 0 {
			t.Fatalf("%d reports of nu.Compose (want %d), %d of nu.TestRoundingHelpers (want %d):\n%s",
				compose, wantCompose, rounding, wantRounding, strings.Join(probs, "\n"))
		}
	})
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
