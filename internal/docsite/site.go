package docsite

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Problem is one thing wrong with the documentation: a broken link, a page
// without a title, raw HTML that would not be shown. File is a path
// relative to the repository root (a Markdown source) or, for problems
// found in the rendered site only, to the site directory.
type Problem struct {
	File string
	Line int // 1-based; 0 when unknown
	Msg  string
	link string // the link, for a problem of CheckLinks
}

// String is "file:line: message" (without the line when it is unknown).
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return p.File + ": " + p.Msg
}

// Problems is the error of a build that found problems.
type Problems []Problem

// Error lists every problem, one a line.
func (ps Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s) in the documentation:", len(ps))
	for _, p := range ps {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// navOrder is the order of the pages in the navigation; docs/*.md pages
// not named here follow, by file name.
var navOrder = []string{
	"README.md",
	"docs/quickstart.md",
	"docs/deployment.md",
	"docs/migration.md",
	"docs/config.md",
	"docs/api.md",
	"docs/errors.md",
	"docs/security.md",
	"docs/algebra.md",
	"docs/analysis.md",
	"docs/policies.md",
	"docs/ledger-format.md",
	"docs/log-engine.md",
	"docs/traceability.md",
	"docs/certification.md",
	"docs/benchmarks.md",
}

// marker is the file that marks a directory as a site written by Build, so
// that Build may replace it. Build refuses to write into a non-empty
// directory without it.
const marker = ".docsite"

// srcDir is where files of the repository that pages link to (sources,
// other Markdown files) are put in the site, under their repository path.
// Its leading '_' keeps the go command (./... patterns) from taking the
// copied .go files for packages of the module when the site is built
// inside the repository; .nojekyll keeps GitHub Pages from dropping it.
const srcDir = "_src"

//go:embed style.css
var styleCSS []byte

//go:embed page.html
var pageHTML string

var pageTmpl = template.Must(template.New("page").Parse(pageHTML))

// page is one rendered Markdown file.
type page struct {
	src   string // repository path, slash-separated: README.md, docs/x.md
	out   string // site path: index.html, x.html, _src/proofs/README.html
	nav   bool   // listed in the navigation
	title string
	toc   []tocEntry
	doc   ast.Node
	text  []byte
}

type tocEntry struct{ Title, ID string }

// site is one build in progress.
type site struct {
	root, out string
	md        goldmark.Markdown
	pages     map[string]*page // by src
	queue     []*page
	files     map[string]bool // repository files to copy under srcDir
	broken    map[string]bool // "page.html dest": links already reported
	problems  Problems
}

func (s *site) problem(file string, line int, format string, args ...any) {
	s.problems = append(s.problems, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// newMarkdown is the Markdown dialect of the site: GitHub Flavored
// Markdown (tables, strikethrough, autolinks, task lists) with GitHub's
// heading ids. Raw HTML is not rendered.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(headingIDs{}, 100))),
	)
}

// Build renders README.md and docs/*.md of the repository at root into a
// static site in out: one HTML page each (README.md is index.html), with
// navigation, style.css, and the repository files the pages link to copied
// under _src/. Links between pages become links between the HTML files;
// every link is relative, so the site works from file:// and from any
// static host. It then checks every link and anchor of the site.
//
// out must be empty, missing, or a site Build wrote before (which it
// replaces). The problems found are returned as Problems; the site is
// written anyway, so that they can be looked at.
func Build(root, out string) error {
	if err := prepareOut(out); err != nil {
		return err
	}
	s := &site{root: root, out: out, md: newMarkdown(), pages: map[string]*page{}, files: map[string]bool{}, broken: map[string]bool{}}
	srcs, err := sitePages(root)
	if err != nil {
		return err
	}
	for _, src := range srcs {
		s.add(src, true)
	}
	for len(s.queue) > 0 {
		p := s.queue[0]
		s.queue = s.queue[1:]
		if err := s.parse(p); err != nil {
			return err
		}
	}
	if err := s.write(); err != nil {
		return err
	}
	srcOf := map[string]string{}
	for _, p := range s.pages {
		srcOf[p.out] = p.src
	}
	for _, p := range CheckLinks(out) {
		if s.broken[p.File+" "+p.link] {
			continue // reported with its Markdown line
		}
		if src, ok := srcOf[p.File]; ok {
			p.File = src + " (" + p.File + ")"
		}
		s.problems = append(s.problems, p)
	}
	if len(s.problems) > 0 {
		return s.problems
	}
	return nil
}

// prepareOut makes out an empty directory, refusing to empty one that
// Build did not write.
func prepareOut(out string) error {
	ents, err := os.ReadDir(out)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(out, 0o755) // #nosec G301 -- the documentation site is published: its directories are meant to be world-readable
	}
	if err != nil {
		return fmt.Errorf("reading the output directory: %w", err)
	}
	if len(ents) > 0 {
		if _, err := os.Stat(filepath.Join(out, marker)); err != nil {
			return fmt.Errorf("the output directory %s is not empty and holds no site written by docsite (no %s file): choose an empty or new directory", out, marker)
		}
		for _, e := range ents {
			if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
				return fmt.Errorf("emptying the output directory: %w", err)
			}
		}
	}
	return nil
}

// sitePages lists README.md and docs/*.md, in navigation order.
func sitePages(root string) ([]string, error) {
	mds, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "README.md")); err != nil {
		return nil, fmt.Errorf("%s has no README.md: give the repository root (--root)", root)
	}
	var rest []string
	for _, m := range mds {
		src := "docs/" + filepath.Base(m)
		if !slices.Contains(navOrder, src) {
			rest = append(rest, src)
		}
	}
	sort.Strings(rest)
	var srcs []string
	for _, src := range navOrder {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(src))); err == nil {
			srcs = append(srcs, src)
		}
	}
	return append(srcs, rest...), nil
}

// outPath is where the page of the Markdown file src goes in the site.
func outPath(src string, nav bool) string {
	switch {
	case src == "README.md" && nav:
		return "index.html"
	case nav:
		return strings.TrimSuffix(path.Base(src), ".md") + ".html"
	}
	return srcDir + "/" + strings.TrimSuffix(src, ".md") + ".html"
}

// add queues the Markdown file src as a page, once.
func (s *site) add(src string, nav bool) *page {
	if p, ok := s.pages[src]; ok {
		return p
	}
	p := &page{src: src, out: outPath(src, nav), nav: nav}
	s.pages[src] = p
	s.queue = append(s.queue, p)
	return p
}

// parse reads and parses a page, takes its title and table of contents,
// and rewrites its links.
func (s *site) parse(p *page) error {
	b, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(p.src)))
	if err != nil {
		return fmt.Errorf("reading %s: %w", p.src, err)
	}
	p.text = b
	p.doc = s.md.Parser().Parse(text.NewReader(b))
	err = ast.Walk(p.doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			id, _ := n.AttributeString("id")
			t := strings.TrimSpace(plainText(n, b))
			if n.Level == 1 && p.title == "" {
				p.title = t
			}
			if n.Level == 2 {
				p.toc = append(p.toc, tocEntry{Title: t, ID: string(id.([]byte))})
			}
		case *ast.Link:
			n.Destination = []byte(s.rewrite(p, string(n.Destination)))
		case *ast.Image:
			n.Destination = []byte(s.rewrite(p, string(n.Destination)))
		case *ast.HTMLBlock:
			if n.HTMLBlockType != ast.HTMLBlockType2 { // comments are fine: nobody sees them
				s.problem(p.src, lineOf(n, b), "raw HTML is not shown in the site: write it in Markdown (a <word> in text is taken as an HTML tag: put it in `code`)")
			}
		case *ast.RawHTML:
			if !isComment(n, b) {
				s.problem(p.src, lineOf(n, b), "raw HTML is not shown in the site: write it in Markdown (a <word> in text is taken as an HTML tag: put it in `code`)")
			}
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return err
	}
	if p.title == "" {
		p.title = path.Base(p.src)
		if p.nav {
			s.problem(p.src, 1, "the page has no title: begin it with a level-1 heading (# Title)")
		}
	}
	return nil
}

// isComment reports whether inline raw HTML is an HTML comment.
func isComment(n *ast.RawHTML, src []byte) bool {
	if n.Segments.Len() == 0 {
		return false
	}
	seg := n.Segments.At(0)
	return bytes.HasPrefix(seg.Value(src), []byte("<!--"))
}

// lineOf is the line of n's first text in src, or 0.
func lineOf(n ast.Node, src []byte) int {
	for ; n != nil; n = n.Parent() {
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return bytes.Count(src[:n.Lines().At(0).Start], []byte("\n")) + 1
		}
		if r, ok := n.(*ast.RawHTML); ok && r.Segments.Len() > 0 {
			seg := r.Segments.At(0)
			return bytes.Count(src[:seg.Start], []byte("\n")) + 1
		}
	}
	return 0
}

// linkLine is the line of the first Markdown link to dest in src, or 0.
func linkLine(src []byte, dest string) int {
	for _, s := range []string{"](" + dest + ")", "](" + dest + " ", "](" + dest, dest} {
		if i := bytes.Index(src, []byte(s)); i >= 0 {
			return bytes.Count(src[:i], []byte("\n")) + 1
		}
	}
	return 0
}

// rewrite returns the site's link for the link dest of page p: links to
// pages become links to their HTML files, links to other files of the
// repository links to their copies under _src/; external links and
// anchors stay. A link to nothing in the repository is a problem.
func (s *site) rewrite(p *page, dest string) string {
	bad := func(format string, args ...any) string {
		s.problem(p.src, linkLine(p.text, dest), format, args...)
		s.broken[p.out+" "+dest] = true
		return dest
	}
	u, err := url.Parse(dest)
	switch {
	case err != nil:
		return bad("link %q cannot be parsed: %v", dest, err)
	case u.Scheme != "" || u.Host != "" || dest == "" || strings.HasPrefix(dest, "#"):
		return dest
	case strings.HasPrefix(u.Path, "/"):
		return bad("link %q is absolute: write it relative to %s, so that it works from any host and from file://", dest, p.src)
	}
	target := path.Join(path.Dir(p.src), u.Path)
	if target == ".." || strings.HasPrefix(target, "../") {
		return bad("link %q leaves the repository", dest)
	}
	fi, err := os.Stat(filepath.Join(s.root, filepath.FromSlash(target)))
	switch {
	case err != nil:
		return bad("link %q: %s is not in the repository; fix the path or remove the link", dest, target)
	case fi.IsDir():
		return bad("link %q is a directory, which a static site cannot list: link a file in it (its README.md, say)", dest)
	}
	var to string
	if strings.HasSuffix(target, ".md") {
		to = s.add(target, false).out
	} else {
		s.files[target] = true
		to = srcDir + "/" + target
	}
	rel := relPath(p.out, to)
	if u.Fragment != "" {
		rel += "#" + u.EscapedFragment()
	}
	return rel
}

// relPath is the relative URL path from the site file from to the site
// file to (both slash-separated, relative to the site root).
func relPath(from, to string) string {
	up := strings.Count(from, "/")
	return strings.Repeat("../", up) + (&url.URL{Path: to}).EscapedPath()
}

// navItem is one link of the navigation, for the template.
type navItem struct {
	Title, Href string
	Current     bool
	TOC         []tocEntry
}

// write renders every page, copies the linked files and writes the style.
func (s *site) write() error {
	var navPages []*page
	var all []*page
	for _, p := range s.pages {
		all = append(all, p)
		if p.nav {
			navPages = append(navPages, p)
		}
	}
	rank := func(p *page) int {
		if i := slices.Index(navOrder, p.src); i >= 0 {
			return i
		}
		return len(navOrder)
	}
	sort.Slice(navPages, func(i, j int) bool {
		ri, rj := rank(navPages[i]), rank(navPages[j])
		if ri != rj {
			return ri < rj
		}
		return navPages[i].src < navPages[j].src
	})
	sort.Slice(all, func(i, j int) bool { return all[i].out < all[j].out })
	r := s.md.Renderer()
	for _, p := range all {
		var body bytes.Buffer
		if err := r.Render(&body, p.text, p.doc); err != nil {
			return fmt.Errorf("rendering %s: %w", p.src, err)
		}
		base := strings.Repeat("../", strings.Count(p.out, "/"))
		var nav []navItem
		for _, np := range navPages {
			title := np.title
			if np.src == "README.md" {
				title = "Overview"
			}
			it := navItem{Title: title, Href: relPath(p.out, np.out), Current: np == p}
			if it.Current {
				it.TOC = p.toc
			}
			nav = append(nav, it)
		}
		var html bytes.Buffer
		err := pageTmpl.Execute(&html, map[string]any{
			"Title":  p.title,
			"Base":   base,
			"Index":  relPath(p.out, "index.html"),
			"Nav":    nav,
			"Body":   template.HTML(body.String()), // #nosec G203 -- goldmark's rendering of the repository's own Markdown, with raw HTML off (newMarkdown)
			"Source": p.src,
		})
		if err != nil {
			return fmt.Errorf("rendering %s: %w", p.src, err)
		}
		if err := writeFile(filepath.Join(s.out, filepath.FromSlash(p.out)), html.Bytes()); err != nil {
			return err
		}
	}
	for f := range s.files {
		b, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(f)))
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(s.out, srcDir, filepath.FromSlash(f)), b); err != nil {
			return err
		}
	}
	if err := writeFile(filepath.Join(s.out, "style.css"), styleCSS); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(s.out, ".nojekyll"), nil); err != nil {
		return err
	}
	return writeFile(filepath.Join(s.out, marker), []byte("written by internal/docsite (make docs); replaced by the next build\n"))
}

func writeFile(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil { // #nosec G301 -- the documentation site is published: its directories are meant to be world-readable
		return err
	}
	return os.WriteFile(name, b, 0o644) // #nosec G306 G703 -- a page of the documentation site, meant to be world-readable, in the operator's --out
}
