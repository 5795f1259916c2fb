//go:build !wasm

package app

import (
	"net/http"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Icons and styles served from web/ (relative to the server's working
// directory, as go-app's default resource resolver requires). All local: a
// remote icon would break the service worker's install when offline.
const (
	IconSVG   = "/web/icon.svg"
	Icon192   = "/web/icon-192.png"
	Icon512   = "/web/icon-512.png"
	StyleFile = "/web/ebios.css"
	// Ed25519Script defines ebiosEd25519Verify, the audit page's bridge to
	// WebCrypto Ed25519 (see app/webcrypto_wasm.go).
	Ed25519Script = "/web/ed25519.js"
)

// Handler returns the go-app handler that serves the browser app: the
// prerendered pages, app.js, the service worker, the manifest and the files
// under ./web (including web/app.wasm built from wasm/app). version must
// change whenever the app changes: it names the service worker cache, so a
// new version is picked up as an update and a restart with the same version
// is not. It registers the routes (see [Routes]).
func Handler(version string) http.Handler {
	Routes()
	cacheable := []string{IconSVG}
	for _, p := range Pages {
		if p != "/" { // go-app always caches "/"
			cacheable = append(cacheable, p)
		}
	}
	return &app.Handler{
		Name:            "eBIOS",
		ShortName:       "eBIOS",
		Title:           "eBIOS calculator",
		Description:     "Compute with n ± u values in your browser, offline: eBIOS N/U algebra and rigorous interval arithmetic; audit exported ledger bundles against a pinned key.",
		Author:          "eBIOS",
		Keywords:        []string{"uncertainty", "interval arithmetic", "calculator", "audit", "transparency log", "eBIOS"},
		Lang:            "en",
		BackgroundColor: "#ffffff",
		ThemeColor:      "#1f4e79",
		LoadingLabel:    "eBIOS {progress}%",
		Icon: app.Icon{
			Default:  Icon192,
			Large:    Icon512,
			Maskable: Icon512,
			SVG:      IconSVG,
		},
		Styles:             []string{StyleFile},
		Scripts:            []string{Ed25519Script},
		CacheableResources: cacheable,
		Version:            version,
	}
}
