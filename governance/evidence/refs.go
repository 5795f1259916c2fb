package evidence

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/ebios/ebios/internal/docsite"
	"github.com/ebios/ebios/proofs/attest"
	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// Kinds of reference.
const (
	RefCode      = "code"      // a Go declaration: dir/of/package.Name or dir/of/package.Type.Method
	RefTest      = "test"      // a Test, Fuzz or Example function of a package's _test.go files
	RefBenchmark = "benchmark" // a Benchmark function of a package's _test.go files
	RefTheorem   = "theorem"   // File.v:name, listed in proofs/theorems.txt and declared in File.v
	RefDoc       = "doc"       // README.md or a Markdown file under docs/, governance/ or proofs/, with an optional #heading anchor
	RefOther     = "other"     // anything else in a code span (a command, a value): not checked
)

var (
	// goRefRE is a Go name qualified by its package's directory; app has
	// no parent directory.
	goRefRE = regexp.MustCompile(`^((?:app|core|server|proofs|internal|wasm|governance|e2e)(?:/[a-z0-9_]+)*)\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)$`)
	testRE  = regexp.MustCompile(`^(Test|Fuzz|Example)`)
	benchRE = regexp.MustCompile(`^Benchmark`)
	thmRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*\.v:[A-Za-z_][A-Za-z0-9_']*$`)
	// docRE is a Markdown file of the repository: README.md or a page
	// under docs/, governance/ or proofs/ (other paths, such as the files
	// of the evidence bundle, are not documentation references).
	docRE = regexp.MustCompile(`^((?:docs|governance|proofs)/(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_.-]+\.md|README\.md)(?:#([\p{L}\p{M}\p{Nd}_-]+))?$`)
)

// Ref is a parsed reference.
type Ref struct {
	Kind string // one of the Ref* constants
	Text string // as written
	// Dir and Name of a Go reference (Name is "Type.Method" for a method).
	Dir, Name string
	// File and Anchor of a documentation reference.
	File, Anchor string
}

// ParseRef classifies the text of a code span.
func ParseRef(s string) Ref {
	r := Ref{Kind: RefOther, Text: s}
	switch {
	case goRefRE.MatchString(s):
		m := goRefRE.FindStringSubmatch(s)
		r.Dir, r.Name = m[1], m[2]
		switch {
		case strings.Contains(r.Name, "."):
			r.Kind = RefCode
		case testRE.MatchString(r.Name):
			r.Kind = RefTest
		case benchRE.MatchString(r.Name):
			r.Kind = RefBenchmark
		default:
			r.Kind = RefCode
		}
	case thmRE.MatchString(s):
		r.Kind = RefTheorem
	case docRE.MatchString(s):
		m := docRE.FindStringSubmatch(s)
		r.Kind, r.File, r.Anchor = RefDoc, m[1], m[2]
	}
	return r
}

// goNames is what one Go package directory declares.
type goNames struct {
	code  map[string]bool // top-level funcs, types, consts, vars, and Type.Method, of non-test files
	tests map[string]bool // funcs of _test.go files
	err   error
}

// Index answers whether the names the governance sources cite exist in the
// repository at Root. It reads each package, proof list and document once.
type Index struct {
	Root     string // the repository
	pkgs     map[string]*goNames
	theorems map[string]bool
	thmErr   error
	anchors  map[string]map[string]bool // file → heading ids
}

// NewIndex returns an index of the repository at root.
func NewIndex(root string) *Index {
	return &Index{Root: root, pkgs: map[string]*goNames{}, anchors: map[string]map[string]bool{}}
}

func (ix *Index) pkg(dir string) *goNames {
	if g, ok := ix.pkgs[dir]; ok {
		return g
	}
	g := &goNames{code: map[string]bool{}, tests: map[string]bool{}}
	ix.pkgs[dir] = g
	paths, err := filepath.Glob(filepath.Join(ix.Root, filepath.FromSlash(dir), "*.go"))
	if err == nil && len(paths) == 0 {
		err = fmt.Errorf("no Go files in %s", dir)
	}
	if err != nil {
		g.err = err
		return g
	}
	fset := token.NewFileSet()
	for _, p := range paths {
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			g.err = err
			return g
		}
		isTest := strings.HasSuffix(p, "_test.go")
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				name := d.Name.Name
				if d.Recv != nil && len(d.Recv.List) == 1 {
					t := d.Recv.List[0].Type
					if s, ok := t.(*ast.StarExpr); ok {
						t = s.X
					}
					switch x := t.(type) {
					case *ast.IndexExpr:
						t = x.X
					case *ast.IndexListExpr:
						t = x.X
					}
					if id, ok := t.(*ast.Ident); ok {
						name = id.Name + "." + name
					}
				}
				if isTest {
					g.tests[name] = true
				} else {
					g.code[name] = true
				}
			case *ast.GenDecl:
				if isTest {
					continue
				}
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						g.code[s.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range s.Names {
							g.code[n.Name] = true
						}
					}
				}
			}
		}
	}
	return g
}

func (ix *Index) loadTheorems() {
	if ix.theorems != nil || ix.thmErr != nil {
		return
	}
	dir := filepath.Join(ix.Root, "proofs")
	listed, err := attest.ReadTheorems(dir)
	if err != nil {
		ix.thmErr = err
		return
	}
	declared, err := attest.DeclaredTheorems(dir)
	if err != nil {
		ix.thmErr = err
		return
	}
	decl := map[string]bool{}
	for _, t := range declared {
		decl[t.String()] = true
	}
	ix.theorems = map[string]bool{}
	for _, t := range listed {
		ix.theorems[t.String()] = decl[t.String()]
	}
}

// Theorems returns the number of theorems of proofs/theorems.txt.
func (ix *Index) Theorems() int {
	ix.loadTheorems()
	return len(ix.theorems)
}

// HeadingIDs returns the ids of the headings of the Markdown file at
// root/file as GitHub and the documentation site give them (docsite.Slug
// of the heading's text; a repeated id gets "-1", "-2", ...).
func HeadingIDs(root, file string) (map[string]bool, error) {
	src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file))) // #nosec G304 -- a documentation file of the repository, named by its governance sources
	if err != nil {
		return nil, err
	}
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	doc := md.Parser().Parse(text.NewReader(src))
	ids := map[string]bool{}
	err = gast.Walk(doc, func(n gast.Node, entering bool) (gast.WalkStatus, error) {
		h, ok := n.(*gast.Heading)
		if !ok || !entering {
			return gast.WalkContinue, nil
		}
		base := docsite.Slug(plainText(h, src))
		if base == "" {
			base = "section"
		}
		id := base
		for i := 1; ids[id]; i++ {
			id = base + "-" + strconv.Itoa(i)
		}
		ids[id] = true
		return gast.WalkSkipChildren, nil
	})
	return ids, err
}

// plainText is the text of a node's inline content without Markdown syntax.
func plainText(n gast.Node, src []byte) string {
	var b bytes.Buffer
	var walk func(gast.Node)
	walk = func(n gast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *gast.Text:
				b.Write(c.Segment.Value(src))
				if c.SoftLineBreak() || c.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *gast.String:
				b.Write(c.Value)
			case *gast.RawHTML:
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

// Check returns "" when r names something that exists, and otherwise says
// what is wrong. want, when not "", is the kind r must be.
func (ix *Index) Check(r Ref, want string) string {
	if want != "" && r.Kind != want {
		return fmt.Sprintf("`%s` is not a %s reference (%s)", r.Text, want, kindHint(want))
	}
	switch r.Kind {
	case RefCode:
		g := ix.pkg(r.Dir)
		switch {
		case g.err != nil:
			return fmt.Sprintf("`%s`: %v", r.Text, g.err)
		case !g.code[r.Name]:
			return fmt.Sprintf("`%s`: %s declares no %s (outside its _test.go files)", r.Text, r.Dir, r.Name)
		}
	case RefTest, RefBenchmark:
		g := ix.pkg(r.Dir)
		switch {
		case g.err != nil:
			return fmt.Sprintf("`%s`: %v", r.Text, g.err)
		case !g.tests[r.Name]:
			return fmt.Sprintf("`%s`: no function %s in the _test.go files of %s", r.Text, r.Name, r.Dir)
		}
	case RefTheorem:
		ix.loadTheorems()
		decl, listed := ix.theorems[r.Text]
		switch {
		case ix.thmErr != nil:
			return fmt.Sprintf("`%s`: %v", r.Text, ix.thmErr)
		case !listed:
			return fmt.Sprintf("`%s` is not in proofs/theorems.txt", r.Text)
		case !decl:
			return fmt.Sprintf("`%s` is not declared as a Theorem in its .v file", r.Text)
		}
	case RefDoc:
		ids, ok := ix.anchors[r.File]
		if !ok {
			var err error
			if ids, err = HeadingIDs(ix.Root, r.File); err != nil {
				ids = nil
			}
			ix.anchors[r.File] = ids
		}
		switch {
		case ids == nil:
			return fmt.Sprintf("`%s`: no file %s in the repository", r.Text, r.File)
		case r.Anchor != "" && !ids[r.Anchor]:
			return fmt.Sprintf("`%s`: %s has no heading with the id %q", r.Text, r.File, r.Anchor)
		}
	}
	return ""
}

func kindHint(kind string) string {
	switch kind {
	case RefCode:
		return "write dir/of/package.Name, e.g. core/nu.Add"
	case RefTest:
		return "write dir/of/package.TestName, e.g. core/nu.TestNUWorkedValues"
	case RefBenchmark:
		return "write dir/of/package.BenchmarkName"
	case RefTheorem:
		return "write File.v:name as in proofs/theorems.txt"
	case RefDoc:
		return "write docs/page.md#heading-id"
	}
	return kind
}
