package app

import (
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Pages lists every page route. They are all usable offline, so the server
// lists them in CacheableResources.
var Pages = []string{"/", "/calc", AuditPath}

// page returns the component of a page route.
func page(path string) func() app.Composer {
	if path == AuditPath {
		return func() app.Composer { return &Audit{} }
	}
	return func() app.Composer { return &Calculator{} }
}

var routesOnce sync.Once

// Routes registers the page routes in go-app's global route table. The wasm
// main and the server (through [Handler]) both call it; calling it more than
// once is harmless.
func Routes() {
	routesOnce.Do(func() {
		for _, p := range Pages {
			app.Route(p, page(p))
		}
	})
}
