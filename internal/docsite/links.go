package docsite

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/net/html"
)

// htmlLink is one link of an HTML page: the attribute's value and where.
type htmlLink struct {
	attr, value string
}

// scanHTML returns the ids of an HTML document (id attributes, and name
// attributes of <a>) and its links (href of a and link, src of img and
// script).
func scanHTML(b []byte) (ids map[string]bool, links []htmlLink) {
	ids = map[string]bool{}
	z := html.NewTokenizer(bytes.NewReader(b))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return ids, links
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		t := z.Token()
		for _, a := range t.Attr {
			switch {
			case a.Key == "id", a.Key == "name" && t.Data == "a":
				ids[a.Val] = true
			case a.Key == "href" && (t.Data == "a" || t.Data == "link"),
				a.Key == "src" && (t.Data == "img" || t.Data == "script"):
				links = append(links, htmlLink{attr: t.Data + " " + a.Key, value: a.Val})
			}
		}
	}
}

// CheckLinks checks every relative link and every #anchor of the HTML
// pages under dir: the file it names exists under dir, and the id it names
// is on that page. Links with a scheme (https:, mailto:) and to other
// hosts are not followed. Problems name the page by its path under dir.
func CheckLinks(dir string) []Problem {
	type doc struct {
		ids   map[string]bool
		links []htmlLink
	}
	docs := map[string]*doc{}
	var probs []Problem
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		b, err := os.ReadFile(p) // #nosec G304 G122 -- reads the site make docs just built
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		ids, links := scanHTML(b)
		docs[filepath.ToSlash(rel)] = &doc{ids, links}
		return nil
	})
	if err != nil {
		return []Problem{{File: dir, Msg: "cannot read the site: " + err.Error()}}
	}
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, l := range docs[name].links {
			if msg := checkLink(dir, name, l.value, func(page string) (map[string]bool, bool) {
				d, ok := docs[page]
				if !ok {
					return nil, false
				}
				return d.ids, true
			}); msg != "" {
				probs = append(probs, Problem{File: name, Msg: fmt.Sprintf("%s %q: %s", l.attr, l.value, msg), link: l.value})
			}
		}
	}
	return probs
}

// checkLink says what is wrong with the link v of the page name, or "".
func checkLink(dir, name, v string, idsOf func(page string) (map[string]bool, bool)) string {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return "cannot be parsed: " + err.Error()
	case u.Scheme != "" || u.Host != "":
		return ""
	case strings.HasPrefix(u.Path, "/"):
		return "is absolute: the site must work from file:// and any path, so links are relative"
	}
	target := name
	if u.Path != "" {
		target = path.Join(path.Dir(name), u.Path)
		if target == ".." || strings.HasPrefix(target, "../") {
			return "leaves the site"
		}
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(target)))
		if err != nil {
			return "no such file in the site"
		}
		if fi.IsDir() {
			return "is a directory; file:// shows no index.html for it: link the file"
		}
	}
	if u.Fragment == "" {
		return ""
	}
	ids, ok := idsOf(target)
	if !ok {
		return "has an anchor, but " + target + " is not an HTML page"
	}
	if !ids[u.Fragment] {
		return fmt.Sprintf("no element with id %q in %s", u.Fragment, target)
	}
	return ""
}
