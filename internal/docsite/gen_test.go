package docsite

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// TestScanCodesFixture runs the scanner over testdata/codes: the codes and
// what the code says with them, and every way a code can escape the list.
func TestScanCodesFixture(t *testing.T) {
	reg, err := ScanCodes(filepath.Join("testdata", "codes"))
	if err != nil {
		t.Fatal(err)
	}
	var probs []string
	for _, p := range reg.Problems {
		probs = append(probs, p.String())
	}
	wantProbs := []string{
		`alpha/errors.go:13: CodeTwo = "ALPHA_002" has no comment`,
		`alpha/errors.go:37: the error code "ALPHA_009" is written as a literal and defined by no constant`,
		`beta/errors.go:7: CodeDup = "ALPHA_001": the code is already alpha.CodeOne`,
	}
	if len(probs) != len(wantProbs) {
		t.Fatalf("problems:\n%s", strings.Join(probs, "\n"))
	}
	for i := range probs {
		if !strings.HasPrefix(probs[i], wantProbs[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s...", i, probs[i], wantProbs[i])
		}
	}
	by := map[string]ErrorCode{}
	for _, c := range reg.Codes {
		by[c.Code] = c
	}
	for _, c := range []struct {
		code, pkg, name, meaning string
		messages, fixes, cats    []string
		mirrors                  []string
		made                     int
	}{
		{"ALPHA_001", "alpha", "CodeOne", "the first thing went wrong", []string{"bad n …"}, []string{"give a good n"}, []string{"alpha"}, []string{"client.codeOne"}, 1},
		{"ALPHA_002", "alpha", "CodeTwo", "", nil, nil, nil, nil, 0},
		{"ALPHA_003", "alpha", "CodeSolo", "CodeSolo is the code of a lone failure.", []string{"alone"}, []string{"try … again"}, []string{"solo"}, nil, 1},
		{"BETA_001", "beta", "CodeB", "beta's failure", []string{"from beta"}, []string{"the fix when ok", "the fix otherwise"}, nil, nil, 1},
	} {
		got, ok := by[c.code]
		if !ok {
			t.Errorf("%s not found", c.code)
			continue
		}
		if got.Package != c.pkg || got.Name != c.name || got.Meaning != c.meaning || !slices.Equal(got.Messages, c.messages) ||
			!slices.Equal(got.Fixes, c.fixes) || !slices.Equal(got.Categories, c.cats) || !slices.Equal(got.Mirrors, c.mirrors) || got.Made != c.made {
			t.Errorf("%s = %+v", c.code, got)
		}
	}
	if len(reg.Codes) != 4 {
		t.Errorf("%d codes, want 4", len(reg.Codes))
	}
}

// codeConstRE is the brief's own grep for code constants
// (grep -rn 'Code[A-Z][A-Za-z]* *= *"' --include=*.go .), kept independent
// of the scanner so that a code the scanner overlooks is still caught.
var codeConstRE = regexp.MustCompile(`(?m)\b[Cc]ode[A-Z][A-Za-z0-9]*\s*=\s*"([A-Z]+_[0-9]{3})"`)

// TestGeneratedDocs keeps docs/api.md and docs/errors.md equal to what the
// code makes of them now, and docs/errors.md complete: every code constant
// of the Go code (found by a plain grep too) has its section.
func TestGeneratedDocs(t *testing.T) {
	gen, err := Generate(repoRoot)
	if err != nil {
		t.Fatalf("%v\n(fix the code as each problem says; see docs/errors.md for the convention)", err)
	}
	if stale := Stale(repoRoot, gen); len(stale) > 0 {
		t.Errorf("%s: stale. Regenerate with `make docs` (or `go run ./internal/docsite/cmd/docsite gen` from the repository root) and commit the result", strings.Join(stale, ", "))
	}
	errorsMD := string(gen[ErrorsDoc])
	err = filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != repoRoot && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range codeConstRE.FindAllSubmatch(b, -1) {
			if !strings.Contains(errorsMD, "\n### "+string(m[1])+"\n") {
				t.Errorf("%s defines %s, which docs/errors.md does not list", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range gen {
		if d := duplicateHeadings(b); len(d) > 0 {
			t.Errorf("%s: headings with the same id, so links reach only the first: %v", name, d)
		}
	}
	// Every endpoint and alias of the route table is in the reference.
	routes, _, err := ServerRoutes()
	if err != nil {
		t.Fatal(err)
	}
	apiMD := string(gen[APIDoc])
	for _, r := range routes {
		if !strings.Contains(apiMD, "\n### "+r.Method+" "+r.Path+"\n") {
			t.Errorf("docs/api.md has no section for %s %s", r.Method, r.Path)
		}
		for _, a := range r.Aliases {
			if !strings.Contains(apiMD, "`"+r.Method+" "+a+"`") {
				t.Errorf("docs/api.md does not name the alias %s %s", r.Method, a)
			}
		}
	}
}

// duplicateHeadings lists the heading ids of a Markdown document that
// were made unique by a suffix: a link meant for the second heading
// reaches the first.
func duplicateHeadings(md []byte) []string {
	doc := newMarkdown().Parser().Parse(text.NewReader(md))
	seen := map[string]bool{}
	var dups []string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			s := Slug(plainText(h, md))
			if seen[s] {
				dups = append(dups, s)
			}
			seen[s] = true
		}
		return ast.WalkContinue, nil
	})
	return dups
}

// TestAPIMarkdownRefuses: a reference is not made from a document and a
// route table that disagree.
func TestAPIMarkdownRefuses(t *testing.T) {
	routes := []RouteInfo{{Method: "GET", Path: "/a", Aliases: []string{"/old-a"}, Permission: "p", Roles: []string{"admin"}, Class: "read"}}
	lim := Limits{Rules: map[string]string{"read": "1/1m0s burst 1"}}
	ok := `{"openapi":"3.0.3","paths":{"/a":{"get":{"summary":"A","responses":{"200":{"description":"OK"}}}},"/old-a":{"get":{"summary":"A","responses":{"200":{"description":"OK"}}}}}}`
	for _, c := range []struct{ name, doc, want string }{
		{"agree", ok, ""},
		{"not JSON", `{`, "not valid JSON"},
		{"extra operation", strings.Replace(ok, `"/a":{`, `"/b":{"get":{"summary":"B"}},"/a":{`, 1), "GET /b, which the server does not register"},
		{"missing alias", `{"paths":{"/a":{"get":{"summary":"A"}}}}`, "route GET /old-a is missing"},
		{"unknown code", strings.Replace(ok, `"summary":"A"`, `"summary":"A, or XYZ_123"`, 1), "XYZ_123, which the code does not define"},
	} {
		md, err := APIMarkdown([]byte(c.doc), routes, lim, &CodeRegistry{})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == "" && !bytes.Contains(md, []byte("- **Also at:** `GET /old-a`")):
			t.Errorf("%s: the alias is not named:\n%s", c.name, md)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// TestRun drives the command as make docs does, and its refusals.
func TestRun(t *testing.T) {
	site := t.TempDir()
	for _, c := range []struct {
		name    string
		args    []string
		usage   bool   // wants ErrUsage
		fail    string // wants an error saying this
		wantOut string
	}{
		{"no command", nil, true, "", ""},
		{"unknown command", []string{"publish"}, true, "", ""},
		{"stray argument", []string{"build", "extra"}, true, "", ""},
		{"bad flag", []string{"gen", "--nope"}, true, "", ""},
		{"help", []string{"help"}, false, "", "docsite gen"},
		{"gen check", []string{"gen", "--root", repoRoot, "--check"}, false, "", "up to date"},
		{"build", []string{"build", "--root", repoRoot, "--out", site}, false, "", "open " + site + "/index.html"},
		{"check", []string{"check", "--out", site}, false, "", "every link"},
		{"check broken", []string{"check", "--out", filepath.Join("testdata", "html")}, false, "7 problem(s)", ""},
		{"build broken", []string{"build", "--root", filepath.Join("testdata", "sites", "broken"), "--out", t.TempDir()}, false, "10 problem(s)", ""},
		{"gen outside a repository", []string{"gen", "--root", t.TempDir()}, false, "go.mod", ""},
	} {
		var stdout, stderr bytes.Buffer
		err := Run(context.Background(), c.args, nil, &stdout, &stderr)
		switch {
		case c.usage:
			if !errors.Is(err, ErrUsage) || stderr.Len() == 0 {
				t.Errorf("%s: %v, stderr %q; want a usage error", c.name, err, stderr.String())
			}
		case c.fail != "":
			if err == nil || !strings.Contains(stderr.String(), c.fail) {
				t.Errorf("%s: %v, stderr %q; want it to say %q", c.name, err, stderr.String(), c.fail)
			}
		default:
			if err != nil || !strings.Contains(stdout.String(), c.wantOut) {
				t.Errorf("%s: %v, stdout %q, stderr %q", c.name, err, stdout.String(), stderr.String())
			}
		}
	}
}

// testRefRE finds the tests the documentation names, written
// `dir/of/package.TestName` (or FuzzName; `app.TestName` for app/).
var testRefRE = regexp.MustCompile("`((?:core|server|proofs|internal|wasm|governance)/[a-z0-9/]+|app)\\.((?:Test|Fuzz)[A-Za-z0-9_]*)`")

// TestDocsNameRealTests: every test the documentation names as evidence
// exists in the package it names.
func TestDocsNameRealTests(t *testing.T) {
	mds, _ := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	mds = append(mds, filepath.Join(repoRoot, "README.md"))
	n := 0
	for _, md := range mds {
		b, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range testRefRE.FindAllStringSubmatch(string(b), -1) {
			n++
			if !testExists(t, filepath.Join(repoRoot, filepath.FromSlash(m[1])), m[2]) {
				t.Errorf("%s names %s.%s, which is not a test of that package", filepath.Base(md), m[1], m[2])
			}
		}
	}
	if n < 20 {
		t.Errorf("the documentation names only %d tests; the OWASP walk of docs/security.md alone names more", n)
	}
}

func testExists(t *testing.T, dir, name string) bool {
	fs, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	re := regexp.MustCompile(`(?m)^func ` + name + `\(`)
	for _, f := range fs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if re.Match(b) {
			return true
		}
	}
	return false
}
