// Package webassets holds the browser app's files served under /web/
// (app.wasm, mcworker.wasm, the icons, styles and scripts of web/) and
// serves them: precompressed with brotli or gzip as the client's
// Accept-Encoding allows, with ETags, and answering HEAD.
//
// `make wasm` fills dist/ (see [Generate]) and the files there are embedded
// into the binary, so that one binary serves the app from any working
// directory. Without a build, dist/ holds only a placeholder and [Embedded]
// reports that the app is missing.
package webassets

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AppWasm is the browser app's WebAssembly file, which a usable set of
// assets must hold.
const AppWasm = "app.wasm"

// UncompressedLengthHeader carries a file's uncompressed size on every
// answer, also the compressed ones: go-app's loading bar counts the
// decompressed bytes it reads against it.
const UncompressedLengthHeader = "X-Uncompressed-Content-Length"

// placeholder is dist/'s committed file, not an asset.
const placeholder = "README.md"

// Encodings of the precompressed forms: a file NAME may come with NAME.br
// and NAME.gz.
const (
	encBrotli = "br"
	encGzip   = "gzip"
)

//go:embed dist
var dist embed.FS

// ErrNoApp is returned when a set of assets has no app.wasm.
var ErrNoApp = errors.New("no " + AppWasm)

// Assets is a set of files served under /web/. It implements go-app's
// ResourceResolver as app.LocalDir("") does, and http.Handler for paths
// /web/NAME. It is safe for concurrent use.
type Assets struct {
	files  map[string]*file
	names  []string
	digest string
	origin string
	dir    string
}

// file is one asset and its precompressed forms.
type file struct {
	ctype string
	plain variant
	br    *variant
	gz    *variant
}

// variant is one encoding of a file's bytes.
type variant struct {
	data io.ReaderAt
	size int64
	etag string
}

// Embedded returns the assets built into the binary, or an error wrapping
// ErrNoApp when it was built without `make wasm`.
func Embedded() (*Assets, error) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, err
	}
	return load(sub, "built into this binary")
}

// Dir returns the assets in the directory dir (a web/ directory built by
// `make wasm`). It fails, wrapping ErrNoApp, when dir has no app.wasm.
func Dir(dir string) (*Assets, error) {
	a, err := load(os.DirFS(dir), dir)
	if err != nil {
		return nil, err
	}
	a.dir = dir
	return a, nil
}

// load returns the assets of fsys; origin says where they come from, for
// messages.
func load(fsys fs.FS, origin string) (*Assets, error) {
	a := &Assets{files: map[string]*file{}, origin: origin}
	present := map[string]bool{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && p != placeholder {
			present[p] = true
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("web assets %s: %w", origin, err)
	}
	for p := range present {
		if base, ok := compressedOf(p); ok && present[base] {
			continue // a compressed form, attached to base below
		}
		// Only the plain file is hashed: a compressed form's ETag is the
		// plain file's with its encoding, so it changes with it.
		v, err := openVariant(fsys, p, true)
		if err != nil {
			return nil, fmt.Errorf("web assets %s: %w", origin, err)
		}
		f := &file{ctype: contentType(p), plain: v}
		for _, c := range []struct {
			ext string
			to  **variant
		}{{".br", &f.br}, {".gz", &f.gz}} {
			if !present[p+c.ext] {
				continue
			}
			cv, err := openVariant(fsys, p+c.ext, false)
			if err != nil {
				return nil, fmt.Errorf("web assets %s: %w", origin, err)
			}
			cv.etag = strings.TrimSuffix(v.etag, `"`) + "-" + c.ext[1:] + `"`
			*c.to = &cv
		}
		a.files[p] = f
		a.names = append(a.names, p)
	}
	if _, ok := a.files[AppWasm]; !ok {
		return nil, fmt.Errorf("web assets %s: %w (build it with `make wasm`)", origin, ErrNoApp)
	}
	sort.Strings(a.names)
	h := sha256.New()
	for _, n := range a.names {
		fmt.Fprintf(h, "%s %s\n", n, a.files[n].plain.etag)
	}
	a.digest = hex.EncodeToString(h.Sum(nil)[:6])
	return a, nil
}

// openVariant opens p in fsys for reading at any offset (embed.FS and
// os.DirFS files both can) and, if etag, computes its ETag from its
// content.
func openVariant(fsys fs.FS, p string, etag bool) (variant, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return variant{}, err
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		f.Close() // #nosec G104 -- the file is unusable anyway; the error says why
		return variant{}, fmt.Errorf("%s: cannot be read at an offset", p)
	}
	st, err := f.Stat()
	if err != nil {
		return variant{}, err
	}
	v := variant{data: ra, size: st.Size()}
	if etag {
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(ra, 0, v.size)); err != nil {
			return variant{}, fmt.Errorf("reading %s: %w", p, err)
		}
		v.etag = `"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`
	}
	return v, nil
}

// compressedOf reports whether p is the precompressed form of another
// file, and which.
func compressedOf(p string) (string, bool) {
	for _, ext := range []string{".br", ".gz"} {
		if base, ok := strings.CutSuffix(p, ext); ok {
			return base, true
		}
	}
	return "", false
}

func contentType(p string) string {
	if ct := mime.TypeByExtension(path.Ext(p)); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// Origin says where the assets come from: "built into this binary" or
// the directory they were read from.
func (a *Assets) Origin() string { return a.origin }

// Dir is the directory the assets were read from, or "" for the ones
// built into the binary.
func (a *Assets) Dir() string { return a.dir }

// Names lists the assets' files (without their compressed forms), sorted.
func (a *Assets) Names() []string { return append([]string(nil), a.names...) }

// Has reports whether the assets hold the file name (as in "mcworker.wasm").
func (a *Assets) Has(name string) bool { _, ok := a.files[name]; return ok }

// Size returns the uncompressed size of the file name, or -1.
func (a *Assets) Size(name string) int64 {
	if f, ok := a.files[name]; ok {
		return f.plain.size
	}
	return -1
}

// ReadFile returns the content of the file name (uncompressed).
func (a *Assets) ReadFile(name string) ([]byte, error) {
	f := a.files[name]
	if f == nil {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	b := make([]byte, f.plain.size)
	if n, err := f.plain.data.ReadAt(b, 0); err != nil && !(err == io.EOF && int64(n) == f.plain.size) {
		return nil, err
	}
	return b, nil
}

// Digest is a short digest of every file's name and content: it changes
// with any new build of the app, its worker, styles or icons.
func (a *Assets) Digest() string { return a.digest }

// Resolve maps a resource location to its URL as go-app's
// app.LocalDir("") does: "/web/NAME" and "web/NAME" to "/web/NAME", other
// locations unchanged.
func (a *Assets) Resolve(location string) string {
	if location == "/" || location == "" {
		return "/"
	}
	if strings.HasPrefix(location, "https://") || strings.HasPrefix(location, "http://") ||
		!(location == "web" || location == "/web" || strings.HasPrefix(location, "web/") || strings.HasPrefix(location, "/web/")) {
		return location
	}
	return "/" + strings.Trim(location, "/")
}

// ServeHTTP serves /web/NAME: the brotli or gzip form when the file has
// one and the request's Accept-Encoding allows it (Vary: Accept-Encoding),
// else the file itself, which also answers Range requests. Every answer
// carries the Content-Type of NAME, the length of the bytes sent, the
// uncompressed size (UncompressedLengthHeader), an ETag per encoding and
// Cache-Control: no-cache, so that a browser revalidates (304) instead of
// downloading again. HEAD gets the headers only; unknown names get 404.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/web/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	a.ServeFile(w, r, name, "no-cache")
}

// ServeFile serves the file name as ServeHTTP does, with the given
// Cache-Control (the embeddable widget's versioned files are immutable).
func (a *Assets) ServeFile(w http.ResponseWriter, r *http.Request, name, cacheControl string) {
	f := a.files[name]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: the app's files answer GET and HEAD", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", cacheControl)
	h.Set(UncompressedLengthHeader, strconv.FormatInt(f.plain.size, 10))
	if f.br != nil || f.gz != nil {
		h.Add("Vary", "Accept-Encoding")
	}
	v, enc := &f.plain, pickEncoding(r.Header.Get("Accept-Encoding"), f.br != nil, f.gz != nil)
	switch enc {
	case encBrotli:
		v = f.br
	case encGzip:
		v = f.gz
	}
	h.Set("ETag", v.etag)
	if enc == "" {
		http.ServeContent(w, r, "", time.Time{}, io.NewSectionReader(v.data, 0, v.size))
		return
	}
	// A compressed form: whole, never a range of it.
	h.Set("Content-Encoding", enc)
	if etagMatch(r.Header.Get("If-None-Match"), v.etag) {
		h.Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.FormatInt(v.size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.Copy(w, io.NewSectionReader(v.data, 0, v.size)) // #nosec G104 -- a failed write is the client's disconnect: nothing to do
	}
}

// pickEncoding chooses "br", "gzip" or "" (the file as it is) by the
// q-values of an Accept-Encoding header (RFC 9110 12.5.3): the allowed
// available form with the highest q, brotli on a tie.
func pickEncoding(accept string, haveBr, haveGz bool) string {
	q := map[string]float64{}
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		weight := 1.0
		for _, p := range strings.Split(params, ";") {
			k, val, _ := strings.Cut(p, "=")
			if strings.TrimSpace(strings.ToLower(k)) == "q" {
				f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				weight = f
			}
		}
		q[name] = weight
	}
	weight := func(enc string) float64 {
		if w, ok := q[enc]; ok {
			return w
		}
		return q["*"]
	}
	best, bestQ := "", 0.0
	if haveBr && weight(encBrotli) > bestQ {
		best, bestQ = encBrotli, weight(encBrotli)
	}
	if haveGz && weight(encGzip) > bestQ {
		best = encGzip
	}
	return best
}

// etagMatch reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 13.1.2 asks) or is "*".
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// CopyTo writes every file, with its compressed forms, into dir (created
// when missing), for a static website; except the files whose names
// start with one of skip (a directory, as in "widget/").
func (a *Assets) CopyTo(dir string, skip ...string) error {
	for _, n := range a.names {
		if slices.ContainsFunc(skip, func(prefix string) bool { return strings.HasPrefix(n, prefix) }) {
			continue
		}
		if err := a.CopyFile(n, filepath.Join(dir, filepath.FromSlash(n))); err != nil {
			return err
		}
	}
	return nil
}

// CopyFile writes the file name to the path to, and its compressed forms
// to to.br and to.gz.
func (a *Assets) CopyFile(name, to string) error {
	f := a.files[name]
	if f == nil {
		return fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	for suffix, v := range map[string]*variant{"": &f.plain, ".br": f.br, ".gz": f.gz} {
		if v == nil {
			continue
		}
		if err := writeFile(to+suffix, v); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(name string, v *variant) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil { // #nosec G301 -- a static website for any host: world-readable on purpose
		return err
	}
	out, err := os.Create(name) // #nosec G304 -- name is under the operator's --out directory
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, io.NewSectionReader(v.data, 0, v.size)); err != nil {
		out.Close() // #nosec G104 -- the copy's error is the one reported
		return err
	}
	return out.Close()
}
