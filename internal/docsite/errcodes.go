package docsite

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// codeRE is the shape of an eBIOS error code: a prefix naming its area and
// three digits.
var codeRE = regexp.MustCompile(`^[A-Z]+_[0-9]{3}$`)

// codeNameRE is the name of a code constant: CodeX or codeX.
var codeNameRE = regexp.MustCompile(`^[Cc]ode[A-Z0-9]`)

// ErrorCode is one error code as the code defines it: a constant named
// Code... whose value is the code, with a comment saying what it means.
// The registry of codes is the set of these constants (there is no other
// list): ScanCodes finds them with go/ast.
type ErrorCode struct {
	Code    string // NUCORE_001
	Name    string // the constant: CodeNegativeU
	Package string // the package's directory in the repository: core/nu
	File    string // the file of the constant: core/nu/errors.go
	Meaning string // the constant's comment
	// Messages and Fixes are the message and remediation texts the code
	// gives with this code, in source order without repeats; a part
	// computed at run time is written "…".
	Messages []string
	Fixes    []string
	// Categories are the error categories the code gives with it.
	Categories []string
	// Mirrors are unexported constants of other packages with the same
	// code (a client's copy), as package/dir.name.
	Mirrors []string
	// Made counts the places that make an error with this code.
	Made int
}

// CodeRegistry is every error code of the repository and the problems
// that keep the list from being complete.
type CodeRegistry struct {
	Codes    []ErrorCode // sorted by prefix, then number
	Problems []Problem
}

// skipDir reports whether a directory is no part of the Go code scanned.
func skipDir(name string) bool {
	return name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// goPackage is the parsed non-test files of one directory.
type goPackage struct {
	dir   string // slash path relative to the root
	files []*ast.File
	names []string // file paths, slash, relative to the root
}

// parseTree parses every non-test Go file under root (skipping testdata,
// node_modules and hidden directories), by directory.
func parseTree(root string, fset *token.FileSet) (map[string]*goPackage, error) {
	pkgs := map[string]*goPackage{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == root {
				return nil
			}
			if skipDir(d.Name()) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		src, err := os.ReadFile(p) // #nosec G304 G122 -- reads the repository's own Go sources at build time (make docs)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, rel, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := path.Dir(rel)
		gp := pkgs[dir]
		if gp == nil {
			gp = &goPackage{dir: dir}
			pkgs[dir] = gp
		}
		gp.files = append(gp.files, f)
		gp.names = append(gp.names, rel)
		return nil
	})
	return pkgs, err
}

// modulePath reads the module path from root/go.mod.
func modulePath(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod")) // #nosec G304 -- the repository's own go.mod
	if err != nil {
		return "", fmt.Errorf("reading go.mod: %w (give the repository root)", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "module" {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("go.mod names no module")
}

// ScanCodes finds every error code of the Go code under root: the string
// constants named Code... (or code...) whose value looks like an error
// code (PREFIX_NNN). Each must carry a comment saying what it means. For
// each code it also collects the messages, remediations and categories
// the code gives with it: from composite literals with a Code field (as
// &nu.Error{Code: CodeX, ..., Remediation: "..."}) and from calls of the
// helpers whose first parameter is named code and whose last is a
// remediation (newErr(code, msg, details, remedy string)).
//
// A string literal shaped like a code that is no constant's value, two
// constants with one code, and a constant without a comment are problems:
// they keep the list from being complete.
func ScanCodes(root string) (*CodeRegistry, error) {
	mod, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	pkgs, err := parseTree(root, fset)
	if err != nil {
		return nil, err
	}
	reg := &CodeRegistry{}
	type key struct{ dir, name string }
	byConst := map[key]*ErrorCode{}
	byCode := map[string]*ErrorCode{}
	consts := map[key]string{} // every string constant, for categories
	var dirs []string
	for d := range pkgs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	// Pass 1: the constants.
	for _, d := range dirs {
		for _, f := range pkgs[d].files {
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i >= len(vs.Values) {
							continue
						}
						v, ok := stringLit(vs.Values[i])
						if !ok {
							continue
						}
						consts[key{d, name.Name}] = v
						if !codeNameRE.MatchString(name.Name) || !codeRE.MatchString(v) {
							continue
						}
						pos := fset.Position(name.Pos())
						where := pos.Filename
						meaning := commentText(vs.Comment)
						if meaning == "" {
							meaning = commentText(vs.Doc)
						}
						if meaning == "" && len(gd.Specs) == 1 {
							meaning = commentText(gd.Doc)
						}
						if meaning == "" {
							reg.Problems = append(reg.Problems, Problem{File: pos.Filename, Line: pos.Line,
								Msg: fmt.Sprintf("%s = %q has no comment: say what the code means in a line comment after it", name.Name, v)})
						}
						c := &ErrorCode{Code: v, Name: name.Name, Package: d, File: where, Meaning: meaning}
						byConst[key{d, name.Name}] = c
						prev, ok := byCode[v]
						switch {
						case !ok:
							byCode[v] = c
						case ast.IsExported(prev.Name) && ast.IsExported(name.Name):
							reg.Problems = append(reg.Problems, Problem{File: pos.Filename, Line: pos.Line,
								Msg: fmt.Sprintf("%s = %q: the code is already %s.%s (%s); give each code one exported constant", name.Name, v, prev.Package, prev.Name, prev.File)})
						case ast.IsExported(name.Name):
							// An unexported constant with the code of an exported
							// one is a client's copy of it (app/ cannot import
							// server/): the exported one defines the code.
							c.Mirrors = append(prev.Mirrors, prev.Package+"."+prev.Name)
							byCode[v] = c
							byConst[key{prev.Package, prev.Name}] = c
						default:
							prev.Mirrors = append(prev.Mirrors, d+"."+name.Name)
							byConst[key{d, name.Name}] = prev
						}
					}
				}
			}
		}
	}
	// resolve finds the code constant an expression names, in package dir
	// with the file's imports.
	resolve := func(dir string, imports map[string]string, e ast.Expr) *ErrorCode {
		switch e := e.(type) {
		case *ast.Ident:
			return byConst[key{dir, e.Name}]
		case *ast.SelectorExpr:
			if x, ok := e.X.(*ast.Ident); ok {
				if p, ok := imports[x.Name]; ok {
					return byConst[key{p, e.Sel.Name}]
				}
			}
		case *ast.BasicLit:
			if v, ok := stringLit(e); ok {
				return byCode[v]
			}
		}
		return nil
	}
	constValue := func(dir string, imports map[string]string, e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.Ident:
			v, ok := consts[key{dir, e.Name}]
			return v, ok
		case *ast.SelectorExpr:
			if x, ok := e.X.(*ast.Ident); ok {
				if p, ok := imports[x.Name]; ok {
					v, ok := consts[key{p, e.Sel.Name}]
					return v, ok
				}
			}
		}
		return stringLit(e)
	}
	// Pass 2: the helpers (func f(code, msg, details, remedy string)) and
	// the categories their bodies give.
	type helper struct {
		nparams  int
		category string
	}
	helpers := map[key]helper{}
	for _, d := range dirs {
		for _, f := range pkgs[d].files {
			imports := importDirs(f, mod)
			for _, decl := range f.Decls {
				fd, ok := decl.(*ast.FuncDecl)
				if !ok || fd.Recv != nil {
					continue
				}
				var names []string
				for _, fl := range fd.Type.Params.List {
					for _, n := range fl.Names {
						names = append(names, n.Name)
					}
				}
				if len(names) < 2 || names[0] != "code" || !strings.HasPrefix(names[len(names)-1], "remed") {
					continue
				}
				h := helper{nparams: len(names)}
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					if cl, ok := n.(*ast.CompositeLit); ok {
						if v, ok := fieldValue(cl, "Category"); ok {
							h.category, _ = constValue(d, imports, v)
						}
					}
					return true
				})
				helpers[key{d, fd.Name.Name}] = h
			}
		}
	}
	// Pass 3: uses of the codes.
	for _, d := range dirs {
		for _, f := range pkgs[d].files {
			imports := importDirs(f, mod)
			inConst := map[*ast.BasicLit]bool{}
			for _, decl := range f.Decls {
				if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.CONST {
					ast.Inspect(gd, func(n ast.Node) bool {
						if bl, ok := n.(*ast.BasicLit); ok {
							inConst[bl] = true
						}
						return true
					})
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BasicLit:
					if v, ok := stringLit(n); ok && codeRE.MatchString(v) && !inConst[n] && byCode[v] == nil {
						pos := fset.Position(n.Pos())
						reg.Problems = append(reg.Problems, Problem{File: pos.Filename, Line: pos.Line,
							Msg: fmt.Sprintf("the error code %q is written as a literal and defined by no constant: declare it (const CodeX = %q // what it means) and use the constant", v, v)})
					}
				case *ast.CompositeLit:
					ce, ok := fieldValue(n, "Code")
					if !ok {
						return true
					}
					c := resolve(d, imports, ce)
					if c == nil {
						return true
					}
					c.Made++
					if m, ok := fieldValue(n, "Message"); ok {
						c.Messages = addText(c.Messages, exprTexts(m)...)
					}
					if r, ok := fieldValue(n, "Remediation"); ok {
						c.Fixes = addText(c.Fixes, exprTexts(r)...)
					}
					if cat, ok := fieldValue(n, "Category"); ok {
						if v, ok := constValue(d, imports, cat); ok {
							c.Categories = addText(c.Categories, v)
						}
					}
				case *ast.CallExpr:
					var h helper
					var ok bool
					switch fn := n.Fun.(type) {
					case *ast.Ident:
						h, ok = helpers[key{d, fn.Name}]
					}
					if !ok || len(n.Args) != h.nparams {
						return true
					}
					c := resolve(d, imports, n.Args[0])
					if c == nil {
						return true
					}
					c.Made++
					c.Messages = addText(c.Messages, exprTexts(n.Args[1])...)
					c.Fixes = addText(c.Fixes, exprTexts(n.Args[len(n.Args)-1])...)
					if h.category != "" {
						c.Categories = addText(c.Categories, h.category)
					}
				}
				return true
			})
		}
	}
	for _, c := range byCode {
		reg.Codes = append(reg.Codes, *c)
	}
	sort.Slice(reg.Codes, func(i, j int) bool { return codeLess(reg.Codes[i].Code, reg.Codes[j].Code) })
	sort.Slice(reg.Problems, func(i, j int) bool {
		if reg.Problems[i].File != reg.Problems[j].File {
			return reg.Problems[i].File < reg.Problems[j].File
		}
		return reg.Problems[i].Line < reg.Problems[j].Line
	})
	return reg, nil
}

// prefixOrder is the order of the code families in docs/errors.md; others
// follow alphabetically.
var prefixOrder = []string{"NUCORE", "GUM", "MC", "COVER", "ANALYSIS", "LEDGER", "PGSTORE", "POLICY", "GUARD", "AUTH", "API", "RATE", "KEY", "PROOFS", "IMPORT", "BACKUP", "CERTIFY", "EBIOS", "WIDGET"}

func codeLess(a, b string) bool {
	pa, _, _ := strings.Cut(a, "_")
	pb, _, _ := strings.Cut(b, "_")
	if pa != pb {
		ia, ib := slices.Index(prefixOrder, pa), slices.Index(prefixOrder, pb)
		if ia < 0 {
			ia = len(prefixOrder)
		}
		if ib < 0 {
			ib = len(prefixOrder)
		}
		if ia != ib {
			return ia < ib
		}
		return pa < pb
	}
	return a < b
}

// importDirs maps the names a file imports packages of module mod under to
// their directories in the repository.
func importDirs(f *ast.File, mod string) map[string]string {
	m := map[string]string{}
	for _, im := range f.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		if err != nil || !strings.HasPrefix(p, mod+"/") {
			continue
		}
		dir := strings.TrimPrefix(p, mod+"/")
		name := path.Base(dir)
		if im.Name != nil {
			name = im.Name.Name
		}
		m[name] = dir
	}
	return m
}

// fieldValue returns the value of the keyed field name of a composite
// literal.
func fieldValue(cl *ast.CompositeLit, name string) (ast.Expr, bool) {
	for _, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == name {
				return kv.Value, true
			}
		}
	}
	return nil, false
}

// stringLit returns the value of a string literal.
func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

// verbRE matches a fmt verb in a format string.
var verbRE = regexp.MustCompile(`%[-+# 0-9.*]*[a-zA-Z]`)

// exprText renders a string expression for a reader: literals as they
// are, concatenations part by part, a fmt.Sprintf with a literal format
// as its format, and everything computed at run time as "…". It returns
// "" when nothing of the text is literal.
func exprText(e ast.Expr) string {
	var lit bool
	var part func(ast.Expr) string
	part = func(e ast.Expr) string {
		switch e := e.(type) {
		case *ast.BasicLit:
			if s, ok := stringLit(e); ok {
				lit = true
				return s
			}
		case *ast.ParenExpr:
			return part(e.X)
		case *ast.BinaryExpr:
			if e.Op == token.ADD {
				return part(e.X) + part(e.Y)
			}
		case *ast.CallExpr:
			if sel, ok := e.Fun.(*ast.SelectorExpr); ok && len(e.Args) > 0 {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "fmt" && (sel.Sel.Name == "Sprintf" || sel.Sel.Name == "Errorf") {
					if s, ok := stringLit(e.Args[0]); ok {
						lit = true
						return verbRE.ReplaceAllStringFunc(s, func(v string) string {
							if v == "%%" {
								return "%"
							}
							return "…"
						})
					}
				}
			}
		}
		return "…"
	}
	s := part(e)
	if !lit {
		return ""
	}
	for strings.Contains(s, "……") {
		s = strings.ReplaceAll(s, "……", "…")
	}
	return s
}

// exprTexts is exprText of e, or, when e picks one of the values of a map
// literal (map[K]string{...}[k]), exprText of each value.
func exprTexts(e ast.Expr) []string {
	if ix, ok := e.(*ast.IndexExpr); ok {
		if cl, ok := ix.X.(*ast.CompositeLit); ok {
			var out []string
			for _, el := range cl.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					out = append(out, exprText(kv.Value))
				}
			}
			return out
		}
	}
	return []string{exprText(e)}
}

// addText appends each text to list unless it is empty or already there.
func addText(list []string, texts ...string) []string {
	for _, s := range texts {
		if s != "" && !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// commentText is a comment group's text on one line.
func commentText(g *ast.CommentGroup) string {
	if g == nil {
		return ""
	}
	return strings.Join(strings.Fields(g.Text()), " ")
}
