// Package widget delivers the embeddable eBIOS widget (wasm/widget): its
// loader, wasm and iframe script under versioned, immutable URLs with the
// CORS and MIME types another origin needs, and the iframe pages
// /embed/calc and /embed/verify; for `ebios serve` ([Widget.Handler]) and
// for `ebios static` ([Widget.WriteStatic]). It also builds the loader
// ([Loader], run by `make wasm` through cmd/widgetjs).
//
// URLs, VERSION being a digest of the widget's files:
//
//	/widget/ebios.js            the current loader (revalidated: no-cache)
//	/widget/VERSION/ebios.js    the loader of that version (immutable)
//	/widget/VERSION/widget.wasm its wasm (immutable; brotli or gzip)
//	/widget/VERSION/embed.js    the iframe pages' script (immutable)
//	/widget/VERSION/ed25519.js, ed25519worker.js
//	                            WebCrypto signature checks in Web Workers (immutable)
//	/embed/calc, /embed/verify  the iframe pages (also as NAME.html)
//
// Framing is decided by the server's security headers (server/serve): only
// /embed/* may be framed.
package widget

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/ebios/ebios/server/webassets"
)

// Files of the widget in the web assets (web/widget/ after `make wasm`).
const (
	Dir         = "widget"
	LoaderFile  = "ebios.js"
	WasmFile    = "widget.wasm"
	EmbedScript = "embed.js"
	// PoolScript and PoolWorker check Ed25519 signatures with WebCrypto in
	// Web Workers for verifyBundle: web/ed25519.js and web/ed25519worker.js,
	// the audit page's, copied next to the wasm.
	PoolScript = "ed25519.js"
	PoolWorker = "ed25519worker.js"
)

// files are the versioned files.
var files = []string{LoaderFile, WasmFile, EmbedScript, PoolScript, PoolWorker}

// Pages are the iframe pages, by name under /embed/.
var Pages = []string{"calc", "verify"}

// header starts the built loader and names its version.
const header = "/*! eBIOS widget "

// Immutable is the Cache-Control of the versioned files.
const Immutable = "public, max-age=31536000, immutable"

// ErrNoWidget is returned when the web assets hold no built widget.
var ErrNoWidget = errors.New("no widget built (make wasm builds web/widget)")

// Version is the widget's version: a short digest of its parts (the
// wasm, the loader's source, Go's wasm_exec.js, the iframe script and the
// signature pool's scripts).
func Version(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d\n", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}

// Loader builds ebios.js from its source (wasm/widget/js/ebios.js) and
// Go's wasm_exec.js (of the Go that built the wasm), stamped with version.
func Loader(src, wasmExec []byte, version string) ([]byte, error) {
	const slot, ver = "/*WASM_EXEC*/", "__EBIOS_WIDGET_VERSION__"
	if bytes.Count(src, []byte(slot)) != 1 || bytes.Count(src, []byte(ver)) != 1 {
		return nil, fmt.Errorf("the loader source must hold %s and %s once each", slot, ver)
	}
	out := []byte(header + version + " */\n")
	src = bytes.Replace(stripComments(src), []byte(ver), []byte(version), 1)
	before, after, _ := bytes.Cut(src, []byte(slot))
	out = append(append(append(out, before...), wasmExec...), after...)
	return out, nil
}

// stripComments drops the lines of src that hold only a // comment: the
// loader's source is documented at length, and its size counts (the
// budget is 10 KB gzip). Go's wasm_exec.js, put in later, keeps its
// copyright notice. The source has no line starting with // inside a
// string or template literal.
func stripComments(src []byte) []byte {
	var out []byte
	for line := range bytes.Lines(src) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("//")) {
			out = append(out, line...)
		}
	}
	return out
}

// Widget is a built widget in a set of web assets.
type Widget struct {
	web     *webassets.Assets
	version string
}

// New finds the widget in web, or returns an error wrapping ErrNoWidget.
func New(web *webassets.Assets) (*Widget, error) {
	for _, f := range files {
		if !web.Has(Dir + "/" + f) {
			return nil, fmt.Errorf("%s/%s: %w", Dir, f, ErrNoWidget)
		}
	}
	js, err := web.ReadFile(Dir + "/" + LoaderFile)
	if err != nil {
		return nil, err
	}
	line, _, _ := bytes.Cut(js, []byte("\n"))
	v, ok := strings.CutPrefix(strings.TrimSuffix(string(line), " */"), header)
	if !ok || v == "" || strings.ContainsAny(v, "/ ") {
		return nil, fmt.Errorf("%s/%s does not start with its version: rebuild it with make wasm", Dir, LoaderFile)
	}
	return &Widget{web: web, version: v}, nil
}

// Version is the widget's version, as in its URLs.
func (w *Widget) Version() string { return w.version }

// LoaderURL is the path of the versioned loader.
func (w *Widget) LoaderURL() string { return "/" + Dir + "/" + w.version + "/" + LoaderFile }

// Handler serves the widget's URLs and passes any other request to next.
func (w *Widget) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if rest, ok := strings.CutPrefix(p, "/"+Dir+"/"); ok {
			w.serveFile(rw, r, rest)
			return
		}
		if name, ok := strings.CutPrefix(p, "/embed/"); ok {
			w.servePage(rw, r, strings.TrimSuffix(name, ".html"))
			return
		}
		next.ServeHTTP(rw, r)
	})
}

func (w *Widget) serveFile(rw http.ResponseWriter, r *http.Request, rest string) {
	h := rw.Header()
	// Any page may load the widget: the wasm is fetched with CORS, and a
	// page isolated with COEP needs CORP cross-origin.
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if rest == LoaderFile {
		w.web.ServeFile(rw, r, Dir+"/"+LoaderFile, "no-cache")
		return
	}
	ver, name, _ := strings.Cut(rest, "/")
	known := false
	for _, f := range files {
		known = known || f == name
	}
	if ver != w.version || !known {
		h.Set("Cache-Control", "no-store")
		http.Error(rw, "404 not found: this server has eBIOS widget version "+w.version+
			" ("+w.LoaderURL()+"); /widget/"+LoaderFile+" is always the current one", http.StatusNotFound)
		return
	}
	w.web.ServeFile(rw, r, Dir+"/"+name, Immutable)
}

func (w *Widget) servePage(rw http.ResponseWriter, r *http.Request, name string) {
	page, err := w.Page(name)
	if err != nil {
		http.NotFound(rw, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rw.Header().Set("Allow", "GET, HEAD")
		http.Error(rw, "method not allowed: the embed pages answer GET and HEAD", http.StatusMethodNotAllowed)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-cache")
	if r.Method == http.MethodGet {
		rw.Write(page) // #nosec G104 -- a failed write is the client's disconnect: nothing to do
	}
}

var pageTmpl = template.Must(template.New("embed").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>html,body{margin:0;background:transparent}body{font:16px/1.4 system-ui,sans-serif;padding:2px}
ebios-calc,ebios-verify{--ebios-border:0}</style>
<script src="../{{.Dir}}/{{.Version}}/ebios.js" async></script>
<script src="../{{.Dir}}/{{.Version}}/embed.js" defer></script>
</head><body data-embed="{{.Name}}"><noscript>The eBIOS {{.Name}} widget needs JavaScript and WebAssembly.</noscript></body></html>
`))

// Page returns the iframe page name ("calc" or "verify"). It loads the
// versioned scripts by relative URLs, so it works at /embed/NAME and, in a
// static site, at /embed/NAME.html.
func (w *Widget) Page(name string) ([]byte, error) {
	titles := map[string]string{"calc": "eBIOS calculator", "verify": "eBIOS bundle verifier"}
	if titles[name] == "" {
		return nil, fmt.Errorf("no embed page %q (there are %v)", name, Pages)
	}
	var b bytes.Buffer
	err := pageTmpl.Execute(&b, map[string]string{"Title": titles[name], "Dir": Dir, "Version": w.version, "Name": name})
	return b.Bytes(), err
}

// WriteStatic writes the widget for a static site into dir: the versioned
// files (with their .br and .gz forms) in widget/VERSION/, the current
// loader as widget/ebios.js, and the iframe pages as embed/NAME.html.
// Static hosts set no headers by themselves: docs/embedding.md lists the
// ones to configure.
func (w *Widget) WriteStatic(dir string) error {
	for _, f := range files {
		if err := w.web.CopyFile(Dir+"/"+f, filepath.Join(dir, Dir, w.version, f)); err != nil {
			return err
		}
	}
	if err := w.web.CopyFile(Dir+"/"+LoaderFile, filepath.Join(dir, Dir, LoaderFile)); err != nil {
		return err
	}
	for _, name := range Pages {
		page, err := w.Page(name)
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, "embed", name+".html"), page); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil { // #nosec G301 -- a static website for any host: world-readable on purpose
		return err
	}
	return os.WriteFile(name, b, 0o644) // #nosec G306 -- a static website for any host: world-readable on purpose
}
