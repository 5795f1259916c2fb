package docsite

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the repository root, from this package's directory.
const repoRoot = "../.."

func TestSlug(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"Overview", "overview"},
		{"API1:2023 Broken Object Level Authorization", "api12023-broken-object-level-authorization"},
		{"ebios key and ± signs", "ebios-key-and--signs"},
		{"NUCORE_001", "nucore_001"},
		{"GET /api/v1/ledger/verify/{op_id}", "get-apiv1ledgerverifyop_id"},
		{"Ünïcode Straße", "ünïcode-straße"},
		{"  trimmed  ", "trimmed"},
		{"¿?", ""},
	} {
		if got := Slug(c.text); got != c.want {
			t.Errorf("Slug(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

// TestBuildFixtures builds the sites of testdata/sites: one without a
// broken link, one with planted broken links of every kind, each of which
// must be reported with its file and line.
func TestBuildFixtures(t *testing.T) {
	for _, c := range []struct {
		name string
		want []string // the problems, in the order reported
	}{
		{"good", nil},
		{"broken", []string{
			`README.md:3: link "docs/missing.md": docs/missing.md is not in the repository`,
			`docs/page.md:4: link "../src/gone.go": src/gone.go is not in the repository`,
			`docs/page.md:4: link "/docs/page.md" is absolute`,
			`docs/page.md:5: link "../src" is a directory`,
			`docs/page.md:5: link "../../elsewhere.md" leaves the repository`,
			`docs/page.md:7: raw HTML is not shown in the site`, // <kbd>
			`docs/page.md:7: raw HTML is not shown in the site`, // </kbd>
			`docs/untitled.md:1: the page has no title`,
			`docs/page.md (page.html): a href "#nowhere": no element with id "nowhere" in page.html`,
			`docs/page.md (page.html): a href "index.html#not-a-heading": no element with id "not-a-heading" in index.html`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			err := Build(filepath.Join("testdata", "sites", c.name), out)
			var got []string
			var ps Problems
			if errors.As(err, &ps) {
				for _, p := range ps {
					got = append(got, p.String())
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(c.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s...", i, got[i], c.want[i])
				}
			}
		})
	}
}

// TestBuildOutput looks into the good fixture's site: links rewritten to
// the HTML pages, relative from every depth, files copied, GitHub's
// heading ids, navigation and style.
func TestBuildOutput(t *testing.T) {
	out := t.TempDir()
	if err := Build(filepath.Join("testdata", "sites", "good"), out); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, c := range []struct{ file, want string }{
		{"index.html", `href="guide.html#set-it-up"`},
		{"index.html", `href="_src/LICENSE"`},
		{"index.html", `<h2 id="overview">`},
		{"index.html", `<a href="index.html" aria-current="page">Overview</a>`},
		{"index.html", `<link rel="stylesheet" href="style.css">`},
		{"guide.html", `href="index.html#overview"`},
		{"guide.html", `href="_src/src/thing.go"`},
		{"guide.html", `href="_src/notes/extra.html#a-note"`},
		{"guide.html", `<h2 id="ebios-key-and--signs">`},
		{"guide.html", `<h2 id="last-part-1">`},
		{"guide.html", `<li><a href="#set-it-up">Set it up</a></li>`}, // the page's contents in the navigation
		{"guide.html", `<code>&lt;out&gt;</code>`},
		{"other.html", `href="guide.html#ebios-key-and--signs"`},
		{"other.html", `href="https://example.org/#nothing-checked"`},
		{"_src/notes/extra.html", `href="../../guide.html#set-it-up"`},
		{"_src/notes/extra.html", `<link rel="stylesheet" href="../../style.css">`},
		{"_src/notes/extra.html", `href="../../index.html">Overview</a>`},
		{"_src/src/thing.go", "const Thing = 1"},
		{"style.css", "prefers-color-scheme: dark"},
		{".docsite", "docsite"},
	} {
		if got := read(c.file); !strings.Contains(got, c.want) {
			t.Errorf("%s lacks %s", c.file, c.want)
		}
	}
	// The extra page is not in the navigation; the nav pages are, in order.
	idx := read("index.html")
	if strings.Contains(idx, "extra.html") {
		t.Error("the navigation lists a page that is only linked")
	}
	if i, j := strings.Index(idx, `href="guide.html">The guide`), strings.Index(idx, `href="other.html">Other page`); i < 0 || j < i {
		t.Errorf("navigation order: guide at %d, other at %d", i, j)
	}
	// A second build replaces the first.
	if err := Build(filepath.Join("testdata", "sites", "good"), out); err != nil {
		t.Fatalf("rebuilding: %v", err)
	}
}

// TestBuildRefusesForeignDir: Build never empties a directory it did not
// write.
func TestBuildRefusesForeignDir(t *testing.T) {
	out := t.TempDir()
	keep := filepath.Join(out, "keep.txt")
	os.WriteFile(keep, []byte("mine"), 0o644)
	err := Build(filepath.Join("testdata", "sites", "good"), out)
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Build into a foreign directory: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatal("Build removed a file it did not write")
	}
}

// TestCheckLinks runs the link checker alone over hand-written HTML.
func TestCheckLinks(t *testing.T) {
	var got []string
	for _, p := range CheckLinks(filepath.Join("testdata", "html")) {
		got = append(got, p.String())
	}
	want := []string{
		`index.html: a href "#nope": no element with id "nope" in index.html`,
		`index.html: a href "page.html#missing": no element with id "missing" in page.html`,
		`index.html: a href "gone.html": no such file in the site`,
		`index.html: a href "/page.html": is absolute: the site must work from file:// and any path, so links are relative`,
		`index.html: a href "sub": is a directory; file:// shows no index.html for it: link the file`,
		`index.html: a href "../outside.html": leaves the site`,
		`index.html: img src "pic.png": no such file in the site`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("CheckLinks:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

// TestSite builds the repository's own documentation: no broken link or
// anchor anywhere (make docs does the same).
func TestSite(t *testing.T) {
	out := t.TempDir()
	if err := Build(repoRoot, out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"index.html", "quickstart.html", "deployment.html", "api.html", "errors.html", "security.html", "style.css"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("the site lacks %s", name)
		}
	}
}
