//go:build !wasm

package app

import (
	"io"
	"net/http"
	"path"
	"strconv"

	"github.com/ebios/ebios/server/webassets"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Icons and styles served under /web/ from the app's assets
// (server/webassets: built into the binary, or a web/ directory). All
// local: a remote icon would break the service worker's install when
// offline.
const (
	IconSVG   = "/web/icon.svg"
	Icon192   = "/web/icon-192.png"
	Icon512   = "/web/icon-512.png"
	StyleFile = "/web/ebios.css"
	// Ed25519Script defines ebiosEd25519Verify, the audit page's bridge to
	// WebCrypto Ed25519 (see app/webcrypto_wasm.go), which checks the
	// signatures in the Web Workers of Ed25519Worker.
	Ed25519Script = "/web/ed25519.js"
	Ed25519Worker = "/web/ed25519worker.js"
)

// Handler returns the go-app handler that serves the browser app: the
// prerendered pages, app.js, the service worker, the manifest and, under
// /web/, the files of web (including app.wasm built from wasm/app),
// precompressed where they can be. version must change whenever the app
// changes: it names the service worker cache, so a new version is picked
// up as an update and a restart with the same version is not. It registers
// the routes (see [Routes]).
func Handler(version string, web *webassets.Assets) http.Handler {
	return &styledNotFound{appHandler(version, web)}
}

// appHandler is go-app's handler of the app, which Handler wraps and a
// static build uses as it is.
func appHandler(version string, web *webassets.Assets) *app.Handler {
	Routes()
	cacheable := append([]string{IconSVG, Ed25519Worker}, workerResources(web)...)
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
		Styles:  []string{StyleFile},
		Scripts: []string{Ed25519Script},
		// app.js asks for app.wasm only once the page is parsed and its
		// deferred scripts have run (about 0.3 s in); the preload starts
		// the download as the head is read, and app.js's fetch (cors,
		// same-origin credentials, as a crossorigin preload) takes it over.
		RawHeaders:            []string{`<link rel="preload" href="` + web.Resolve("/web/"+webassets.AppWasm) + `" as="fetch" crossorigin>`},
		CacheableResources:    cacheable,
		ServiceWorkerTemplate: serviceWorkerTemplate(),
		Version:               version,
		Resources:             web,
		// The loading bar counts the decompressed bytes it reads, so its
		// total is app.wasm's own size, not the Content-Length of the
		// compressed answer.
		WasmContentLength: strconv.FormatInt(web.Size(webassets.AppWasm), 10),
	}
}

// workerResources lists the analysis worker's files (web/mcworker.js and
// web/mcworker.wasm, built by `make wasm`) for the service worker to cache,
// so that Monte Carlo runs offline: both when web holds the wasm, and none
// when it does not (a missing file would make the service worker's whole
// install fail, and with it the offline app; the Analysis panel then says
// the worker could not start).
func workerResources(web *webassets.Assets) []string {
	for _, f := range []string{MCWorkerScript, MCWorkerWasm} {
		if !web.Has(path.Base(f)) {
			return nil
		}
	}
	return []string{MCWorkerScript, MCWorkerWasm}
}

// styledNotFound answers what its handler does not know (404) with a page
// in the app's style that links to the app's pages, instead of go-app's
// plain text.
type styledNotFound struct{ h http.Handler }

func (s *styledNotFound) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &notFoundWriter{ResponseWriter: w}
	s.h.ServeHTTP(sw, r)
	if !sw.notFound {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Del("Content-Length")
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		io.WriteString(w, notFoundHTML) // #nosec G104 -- a failed write to an http.ResponseWriter is the client's disconnect: nothing to do
	}
}

// notFoundWriter passes a response through unless it is a 404, whose
// body it drops.
type notFoundWriter struct {
	http.ResponseWriter
	notFound, started bool
}

func (w *notFoundWriter) WriteHeader(code int) {
	if w.started {
		return
	}
	w.started = true
	if code == http.StatusNotFound {
		w.notFound = true
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *notFoundWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.notFound {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streamed answers through.
func (w *notFoundWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.notFound {
		f.Flush()
	}
}

const notFoundHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Page not found · eBIOS</title>
<link rel="stylesheet" href="` + StyleFile + `">
</head><body><div class="page">
<header class="top"><h1>eBIOS</h1></header>
<main id="main"><h2>Page not found</h2>
<p>There is no page at this address. The app has these:</p>
<ul><li><a href="/">Calculator</a>: compute with n ± u values, also offline</li>
<li><a href="` + AuditPath + `">Audit</a>: verify an exported ledger bundle against a pinned key</li>
<li><a href="` + ExplorerPath + `">Explorer</a>: browse the server's ledger, every entry re-verified</li></ul>
</main></div></body></html>
`
