//go:build !wasm

package app

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/ebios/ebios/server/webassets"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// StaticOptions configures [GenerateStatic].
type StaticOptions struct {
	// Dir is the directory the site is written to (created if missing).
	Dir string
	// Web holds the app's assets (ebios.css, the icons, and app.wasm and
	// the analysis worker's mcworker.wasm built by `make wasm`); its files,
	// with their .br and .gz forms, are copied to Dir/web.
	Web *webassets.Assets
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
func staticHandler(version, apiURL string, web *webassets.Assets) *app.Handler {
	h := appHandler(version, web)
	h.Env = map[string]string{StaticEnv: "1"}
	if apiURL != "" {
		h.Env[APIURLEnv] = apiURL
	}
	cacheable := append([]string{IconSVG, Ed25519Worker}, workerResources(web)...)
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
// a copy of o.Web in web/.
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
	if o.Web == nil {
		return errors.New("no web assets: build them with `make wasm`")
	}
	// Refuse to write into the assets themselves (copying web/ into web/web).
	if webDir := o.Web.Dir(); webDir != "" {
		if absOut, err1 := filepath.Abs(o.Dir); err1 == nil {
			if absWeb, err2 := filepath.Abs(webDir); err2 == nil {
				if rel, err := filepath.Rel(absWeb, absOut); err == nil && (rel == "." || !strings.HasPrefix(rel, "..")) {
					return fmt.Errorf("output directory %s is inside %s", o.Dir, webDir)
				}
			}
		}
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil { // #nosec G301 -- a static website for any host: world-readable on purpose
		return err
	}
	if err := app.GenerateStaticWebsite(o.Dir, staticHandler(o.Version, api, o.Web)); err != nil {
		return err
	}
	// The embeddable widget's files are written apart, under widget/
	// (server/widget), not as app files.
	return o.Web.CopyTo(filepath.Join(o.Dir, "web"), "widget/")
}
