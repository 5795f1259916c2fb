package app

import (
	"strings"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Pages lists every page route. They are all usable offline, so the server
// lists them in CacheableResources.
var Pages = []string{"/", "/calc", AuditPath}

// OnlinePages lists the page routes that need the API (and a login), so
// they are not cached for offline use.
var OnlinePages = []string{LoginPath, ExplorerPath, PoliciesPath, UsersPath}

// page returns the component of a page route.
func page(path string) func() app.Composer {
	switch path {
	case AuditPath:
		return func() app.Composer { return &Audit{} }
	case LoginPath:
		return func() app.Composer { return &Login{} }
	case ExplorerPath:
		return func() app.Composer { return &Explorer{} }
	case PoliciesPath:
		return func() app.Composer { return &PoliciesPage{} }
	case UsersPath:
		return func() app.Composer { return &UsersPage{} }
	}
	return func() app.Composer { return &Calculator{} }
}

// Href is the link to the page route path (which may carry a query): path
// itself, or in a static build (ebios static) the file the page was written
// to, NAME.html, which every static host serves, so that a reload or a
// shared link works there too.
func Href(path string) string {
	if path == "/" || app.Getenv(StaticEnv) == "" {
		return path
	}
	p, q, hasQuery := strings.Cut(path, "?")
	if hasQuery {
		return p + ".html?" + q
	}
	return p + ".html"
}

// pageRoute is the page route a URL path shows: the path without a static
// build's ".html".
func pageRoute(urlPath string) string { return strings.TrimSuffix(urlPath, ".html") }

var routesOnce sync.Once

// Routes registers the page routes in go-app's global route table. The wasm
// main and the server (through [Handler]) both call it; calling it more than
// once is harmless. Every page but "/" is also routed as NAME.html, the file
// a static build (ebios static) writes it to, so that a static host that
// does not map /audit to audit.html can still serve /audit.html, also
// offline from the service worker's cache.
func Routes() {
	routesOnce.Do(func() {
		for _, p := range append(append([]string{}, Pages...), OnlinePages...) {
			app.Route(p, page(p))
			if p != "/" {
				app.Route(p+".html", page(p))
			}
		}
	})
}
