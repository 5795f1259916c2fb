//go:build !wasm

package app

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// StaticOptions configures [GenerateStatic].
type StaticOptions struct {
	// Dir is the directory the site is written to (created if missing).
	Dir string
	// WebDir holds the app's assets (ebios.css, the icons, and app.wasm and
	// the analysis worker's mcworker.wasm built by `make wasm`); its files
	// are copied to Dir/web.
	WebDir string
	// Version names the service worker's cache: change it with every build
	// so that browsers pick the new one up as an update.
	Version string
	// APIURL is the base URL of the eBIOS API the online pages (log in,
	// explorer, policies, users) call, as in "https://ebios.example.org".
	// Empty makes an offline-only site, which does not offer them.
	APIURL string
}

// CheckAPIURL checks an API base URL for a static build and returns it
// without a trailing slash: an absolute http or https URL with a host, no
// query and no fragment ("" is allowed: no API).
func CheckAPIURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("API URL %q: %v", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("API URL %q: want an absolute http(s) URL such as https://ebios.example.org, without user, query or fragment", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// staticHandler is [Handler] set up for a static site: the API URL goes
// into the app's environment, and the pages the service worker caches are
// the .html files that every static host serves (go-app writes /calc as
// calc.html; not every host maps /calc to it, and one missing file would
// make the worker's install fail).
func staticHandler(version, apiURL, webDir string) *app.Handler {
	h := appHandler(version)
	h.Env = map[string]string{StaticEnv: "1"}
	if apiURL != "" {
		h.Env[APIURLEnv] = apiURL
	}
	cacheable := append([]string{IconSVG}, workerResources(webDir)...)
	for _, p := range Pages {
		if p != "/" { // go-app always caches "/" (index.html)
			cacheable = append(cacheable, p+".html")
		}
	}
	h.CacheableResources = cacheable
	return h
}

// GenerateStatic writes the browser app as a static website into o.Dir:
// index.html and one name.html per page (go-app's static generation),
// app.js, app-worker.js, app.css, wasm_exec.js, manifest.webmanifest, and
// a copy of o.WebDir in web/. o.WebDir must hold app.wasm.
func GenerateStatic(o StaticOptions) error {
	if o.Dir == "" {
		return errors.New("no output directory")
	}
	if o.Version == "" {
		return errors.New("no version")
	}
	api, err := CheckAPIURL(o.APIURL)
	if err != nil {
		return err
	}
	if st, err := os.Stat(filepath.Join(o.WebDir, "app.wasm")); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("%s not found: build it first with `make wasm`", filepath.Join(o.WebDir, "app.wasm"))
	}
	// Refuse to write into the assets themselves (copying web/ into web/web).
	if absOut, err1 := filepath.Abs(o.Dir); err1 == nil {
		if absWeb, err2 := filepath.Abs(o.WebDir); err2 == nil {
			if rel, err := filepath.Rel(absWeb, absOut); err == nil && (rel == "." || !strings.HasPrefix(rel, "..")) {
				return fmt.Errorf("output directory %s is inside %s", o.Dir, o.WebDir)
			}
		}
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil { // #nosec G301 -- a static website for any host: world-readable on purpose
		return err
	}
	if err := app.GenerateStaticWebsite(o.Dir, staticHandler(o.Version, api, o.WebDir)); err != nil {
		return err
	}
	return copyTree(o.WebDir, filepath.Join(o.Dir, "web"))
}

// copyTree copies the regular files under src into dst, keeping the
// directory structure; symbolic links are followed, other files skipped.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755) // #nosec G301 -- a static website for any host: world-readable on purpose
		}
		st, err := os.Stat(path)
		if err != nil || !st.Mode().IsRegular() {
			return err
		}
		return copyFile(path, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src) // #nosec G304 -- src is a file of the built web/ directory
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst) // #nosec G304 -- dst is under the operator's --out directory
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close() // #nosec G104 -- the copy's error is the one reported
		return err
	}
	return out.Close()
}
