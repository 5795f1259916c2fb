package pmath

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// fusableProducts returns the positions of the floating-point products in
// files that the compiler could fuse with an addition or subtraction.
//
// The Go specification lets an implementation fuse x*y + z into one fused
// multiply-add, with one rounding instead of two, "possibly across
// statements": arm64, ppc64, s390x, riscv64, loong64 and amd64 with
// GOAMD64=v3 do, also when the product was assigned to a variable first or
// comes out of an inlined function. Only an explicit conversion float64(x*y)
// forces the rounding. So the rule is stricter than "no product directly
// under + or -": a non-constant floating-point product may only be
//
//   - the operand of an explicit conversion, such as float64(x*y);
//   - an operand of another * or of /, which have no fused forms;
//   - an operand of a comparison.
//
// Anywhere else (under +, - or unary -, assigned, passed, returned, stored)
// it is reported, and so is every floating-point *= statement.
func fusableProducts(fset *token.FileSet, files []*ast.File) ([]string, error) {
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	if _, err := conf.Check("pmathcheck", fset, files, info); err != nil {
		return nil, err
	}
	isFloat := func(e ast.Expr) bool {
		tv, ok := info.Types[e]
		if !ok || tv.Type == nil {
			return false
		}
		b, ok := tv.Type.Underlying().(*types.Basic)
		return ok && b.Info()&types.IsFloat != 0
	}
	var bad []string
	report := func(n ast.Node, what string) {
		bad = append(bad, fmt.Sprintf("%s: %s", fset.Position(n.Pos()), what))
	}
	for _, f := range files {
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			defer func() { stack = append(stack, n) }()
			switch e := n.(type) {
			case *ast.AssignStmt:
				if e.Tok == token.MUL_ASSIGN && isFloat(e.Lhs[0]) {
					report(e, "floating-point *= (write x = float64(x * y))")
				}
			case *ast.BinaryExpr:
				if e.Op != token.MUL || !isFloat(e) || info.Types[e].Value != nil {
					return true
				}
				// The parent, looking through parentheses.
				var parent ast.Node
				for i := len(stack) - 1; i >= 0; i-- {
					if _, ok := stack[i].(*ast.ParenExpr); !ok {
						parent = stack[i]
						break
					}
				}
				switch p := parent.(type) {
				case *ast.CallExpr:
					if info.Types[p.Fun].IsType() {
						return true // a conversion rounds
					}
				case *ast.BinaryExpr:
					switch p.Op {
					case token.MUL, token.QUO,
						token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
						return true
					}
				}
				report(e, "floating-point product "+types.ExprString(e)+" can be fused; write float64("+types.ExprString(e)+")")
			}
			return true
		})
	}
	sort.Strings(bad)
	return bad, nil
}

// TestNoFusableProducts keeps the package's own sources free of products
// that the compiler could fuse into a fused multiply-add (see
// fusableProducts). A later edit that writes x*y + z fails here.
func TestNoFusableProducts(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("type-checks the sources with GOROOT's math package; runs natively")
	}
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d source files", len(files))
	}
	bad, err := fusableProducts(fset, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
}

// TestFusableProductsCheck checks the checker on a planted source.
func TestFusableProductsCheck(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("type-checks with GOROOT's math package; runs natively")
	}
	const src = `package p

import "math"

const c = 2 * math.Pi // constant: exact, fine

func f(x, y, z float64, i, j int) (float64, int) {
	a := x*y + z               // bad 1
	b := z - x*y               // bad 2
	d := -(x * y) + z          // bad 3
	t := x * y                 // bad 4: fused across statements
	x *= y                     // bad 5
	e := math.Abs(x * y)       // bad 6: passed on
	g := float64(x*y) + z      // fine
	h := x * y * z / (y * z)   // fine: operands of * and /
	k := i*j + i               // fine: integers
	if x*y < z {               // fine: comparison
		return float64(x * y), k
	}
	_ = int(x * y)             // fine: conversion
	return a + b + d + t + e + g + h + c, k
}

func r(x, y float64) float64 {
	return x * y // bad 7: may be inlined under an addition
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := fusableProducts(fset, []*ast.File{f})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, b := range bad {
		lines = append(lines, strings.SplitN(b, ": ", 2)[0])
	}
	want := []string{"p.go:8:7", "p.go:9:11", "p.go:10:9", "p.go:11:7", "p.go:12:2", "p.go:13:16", "p.go:25:9"}
	sort.Strings(want)
	if strings.Join(lines, " ") != strings.Join(want, " ") {
		t.Errorf("reported\n%s\nwant positions %v", strings.Join(bad, "\n"), want)
	}
}
