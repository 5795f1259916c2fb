package webassets

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// fakeWasm is a compressible stand-in for app.wasm.
func fakeWasm() []byte {
	var b bytes.Buffer
	b.WriteString("\x00asm\x01\x00\x00\x00")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "func%d:%x;", i, i*i)
	}
	return b.Bytes()
}

// built copies testdata/web with fakeWasm as app.wasm into a source
// directory and runs Generate into an output directory.
func built(t *testing.T) (src, out string) {
	t.Helper()
	src, out = t.TempDir(), filepath.Join(t.TempDir(), "dist")
	entries, err := os.ReadDir("testdata/web")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata/web", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(src, e.Name()), b)
	}
	write(t, filepath.Join(src, AppWasm), fakeWasm())
	if err := Generate(src, out, io.Discard); err != nil {
		t.Fatal(err)
	}
	return src, out
}

func write(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func decode(t *testing.T, enc string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch enc {
	case "":
		return b
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	default:
		t.Fatalf("unexpected Content-Encoding %q", enc)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s: %v", enc, err)
	}
	return out
}

func TestPickEncoding(t *testing.T) {
	tests := []struct {
		accept         string
		haveBr, haveGz bool
		want           string
	}{
		{"", true, true, ""},
		{"identity", true, true, ""},
		{"br", true, true, "br"},
		{"gzip", true, true, "gzip"},
		{"gzip, deflate, br, zstd", true, true, "br"}, // Chromium's
		{"gzip, deflate, br", false, true, "gzip"},
		{"br", false, true, ""},
		{"br;q=0, gzip", true, true, "gzip"},
		{"br;q=0.5, gzip;q=0.8", true, true, "gzip"},
		{"BR ; Q=1.0, GZIP;q=1", true, true, "br"},
		{"*", true, true, "br"},
		{"*;q=0, gzip", true, true, "gzip"},
		{"gzip;q=0", true, true, ""}, // brotli is not named and there is no "*"
		{"gzip;q=nonsense", false, true, ""},
		{"deflate", true, true, ""},
	}
	for _, tc := range tests {
		if got := pickEncoding(tc.accept, tc.haveBr, tc.haveGz); got != tc.want {
			t.Errorf("pickEncoding(%q, br %v, gz %v) = %q, want %q", tc.accept, tc.haveBr, tc.haveGz, got, tc.want)
		}
	}
}

// TestServe: every Accept-Encoding gets bytes that decode to the same
// app.wasm, with the matching Content-Encoding, a Content-Length equal to
// the bytes sent, the uncompressed size, Vary, the type and an ETag per
// encoding that answers If-None-Match with 304; HEAD gets the same
// headers and no body.
func TestServe(t *testing.T) {
	_, out := built(t)
	a, err := Dir(out)
	if err != nil {
		t.Fatal(err)
	}
	raw := fakeWasm()
	etags := map[string]string{}
	for _, tc := range []struct{ accept, enc string }{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"", ""},
		{"br;q=0, gzip;q=0", ""},
	} {
		for _, method := range []string{"GET", "HEAD"} {
			req := httptest.NewRequest(method, "/web/app.wasm", nil)
			req.Header.Set("Accept-Encoding", tc.accept)
			w := httptest.NewRecorder()
			a.ServeHTTP(w, req)
			h := w.Result().Header
			if w.Code != 200 || h.Get("Content-Encoding") != tc.enc || h.Get("Content-Type") != "application/wasm" ||
				h.Get("Vary") != "Accept-Encoding" || h.Get(UncompressedLengthHeader) != strconv.Itoa(len(raw)) {
				t.Fatalf("%s %q: %d %v", method, tc.accept, w.Code, h)
			}
			if method == "HEAD" {
				if w.Body.Len() != 0 || h.Get("ETag") != etags[tc.enc] || h.Get("Content-Length") == "" {
					t.Errorf("HEAD %q: body %d bytes, headers %v", tc.accept, w.Body.Len(), h)
				}
				continue
			}
			if h.Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
				t.Errorf("%q: Content-Length %s, sent %d", tc.accept, h.Get("Content-Length"), w.Body.Len())
			}
			if tc.enc != "" && w.Body.Len() >= len(raw)/2 {
				t.Errorf("%q: %s sends %d of %d bytes", tc.accept, tc.enc, w.Body.Len(), len(raw))
			}
			if got := decode(t, tc.enc, w.Body.Bytes()); !bytes.Equal(got, raw) {
				t.Errorf("%q: decodes to %d bytes, not app.wasm", tc.accept, len(got))
			}
			etags[tc.enc] = h.Get("ETag")
			// Revalidation.
			req = httptest.NewRequest("GET", "/web/app.wasm", nil)
			req.Header.Set("Accept-Encoding", tc.accept)
			req.Header.Set("If-None-Match", etags[tc.enc])
			w = httptest.NewRecorder()
			a.ServeHTTP(w, req)
			if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
				t.Errorf("%q: If-None-Match %s: %d, %d bytes", tc.accept, etags[tc.enc], w.Code, w.Body.Len())
			}
		}
	}
	if etags["br"] == etags["gzip"] || etags["gzip"] == etags[""] || etags[""] == "" {
		t.Errorf("ETags per encoding %v", etags)
	}

	// Other files, ranges, unknown names.
	for _, tc := range []struct {
		method, path, accept, rng string
		code                      int
		ctype, enc, body          string
	}{
		{"GET", "/web/style.css", "gzip", "", 200, "text/css; charset=utf-8", "gzip", ""},
		{"GET", "/web/icon-192.png", "gzip, br", "", 200, "image/png", "", ""},
		{"HEAD", "/web/icon.svg", "br", "", 200, "image/svg+xml", "br", ""},
		{"GET", "/web/app.wasm", "", "bytes=0-3", 206, "application/wasm", "", "\x00asm"},
		{"GET", "/web/app.wasm.br", "", "", 404, "", "", ""},
		{"GET", "/web/README.md", "", "", 404, "", "", ""},
		{"GET", "/web/nope.js", "", "", 404, "", "", ""},
		{"POST", "/web/app.wasm", "", "", 405, "", "", ""},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("Accept-Encoding", tc.accept)
		if tc.rng != "" {
			req.Header.Set("Range", tc.rng)
		}
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		h := w.Result().Header
		if w.Code != tc.code || (tc.ctype != "" && h.Get("Content-Type") != tc.ctype) || h.Get("Content-Encoding") != tc.enc ||
			(tc.body != "" && w.Body.String() != tc.body) || (tc.method == "HEAD" && w.Body.Len() != 0) {
			t.Errorf("%s %s (%q, %q): %d %v %q", tc.method, tc.path, tc.accept, tc.rng, w.Code, h, w.Body.String())
		}
	}
	if got := a.Resolve("/web/app.wasm"); got != "/web/app.wasm" {
		t.Errorf("Resolve = %q", got)
	}
	if got := a.Resolve("/app.js"); got != "/app.js" {
		t.Errorf("Resolve(/app.js) = %q", got)
	}
}

// TestGenerate: the output holds copies and smaller .br and .gz forms (not
// of PNGs); a second run compresses nothing again; a changed file gets
// new forms and a new digest; a file gone from the source goes from the
// output; a source without app.wasm is refused.
func TestGenerate(t *testing.T) {
	src, out := built(t)
	for _, name := range []string{"app.wasm", "app.wasm.br", "app.wasm.gz", "style.css", "style.css.br", "style.css.gz", "icon.svg", "icon-192.png"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("missing %s", name)
		}
	}
	for _, name := range []string{"icon-192.png.br", "icon-192.png.gz"} {
		if _, err := os.Stat(filepath.Join(out, name)); err == nil {
			t.Errorf("%s made", name)
		}
	}
	a1, err := Dir(out)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if err := Generate(src, out, &log); err != nil || log.Len() != 0 {
		t.Errorf("second run: %v, log %q", err, log.String())
	}
	write(t, filepath.Join(src, "style.css"), []byte("body { color: #333; } body { color: #333; } body { color: #333; }"))
	if err := os.Remove(filepath.Join(src, "icon.svg")); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	if err := Generate(src, out, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "style.css.br") || !strings.Contains(log.String(), "removing icon.svg") || strings.Contains(log.String(), "app.wasm") {
		t.Errorf("third run log:\n%s", log.String())
	}
	a2, err := Dir(out)
	if err != nil {
		t.Fatal(err)
	}
	if a1.Digest() == a2.Digest() || a2.Has("icon.svg") || !a2.Has("style.css") {
		t.Errorf("digests %s %s, names %v", a1.Digest(), a2.Digest(), a2.Names())
	}
	if err := Generate(t.TempDir(), t.TempDir(), io.Discard); !errors.Is(err, ErrNoApp) {
		t.Errorf("no app.wasm: %v", err)
	}
	if _, err := Dir(t.TempDir()); !errors.Is(err, ErrNoApp) || !strings.Contains(err.Error(), "make wasm") {
		t.Errorf("Dir without app.wasm: %v", err)
	}
}

// TestCopyTo: a static site gets every file with its compressed forms.
func TestCopyTo(t *testing.T) {
	_, out := built(t)
	a, err := Dir(out)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "web")
	if err := a.CopyTo(dst); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app.wasm", "app.wasm.br", "app.wasm.gz", "style.css", "icon-192.png"} {
		want, _ := os.ReadFile(filepath.Join(out, name))
		got, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v, %d bytes, want %d", name, err, len(got), len(want))
		}
	}
	// Names that start with a skipped prefix are left out, and only they.
	skipped := filepath.Join(t.TempDir(), "web")
	if err := a.CopyTo(skipped, "icon", "style.css/"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"icon-192.png": false, "icon.svg": false, "style.css": true, "app.wasm.br": true} {
		if _, err := os.Stat(filepath.Join(skipped, name)); (err == nil) != want {
			t.Errorf("CopyTo skipping icon*: %s present %v, want %v", name, err == nil, want)
		}
	}
}
