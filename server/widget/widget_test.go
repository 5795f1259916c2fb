package widget

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/webassets"
)

// fakeWeb is a web directory with a (fake) app and a built widget whose
// loader source is src; it returns the assets and the widget's version.
func fakeWeb(t *testing.T, src string) (*webassets.Assets, string) {
	t.Helper()
	dir := t.TempDir()
	wasm := bytes.Repeat([]byte("\x00asm widget "), 4096)
	v := Version(wasm, []byte(src))
	js, err := Loader([]byte(src), []byte("/* go */"), v)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"app.wasm": []byte("\x00asm app"), "widget/widget.wasm": wasm, "widget/ebios.js": js, "widget/embed.js": []byte("// embed"),
		"widget/ed25519.js": []byte("// pool"), "widget/ed25519worker.js": []byte("// worker"),
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	if err := webassets.Generate(dir, out, io.Discard); err != nil {
		t.Fatal(err)
	}
	web, err := webassets.Dir(out)
	if err != nil {
		t.Fatal(err)
	}
	return web, v
}

const loaderSrc = "(() => { const VERSION = '__EBIOS_WIDGET_VERSION__'; /*WASM_EXEC*/ })();\n"

// TestHandler: the widget's URLs answer with the right type, encoding,
// caching and CORS; other versions and names are 404; other paths go on.
func TestHandler(t *testing.T) {
	web, v := fakeWeb(t, loaderSrc)
	w, err := New(web)
	if err != nil {
		t.Fatal(err)
	}
	if w.Version() != v {
		t.Fatalf("version %q, want %q", w.Version(), v)
	}
	next := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(http.StatusTeapot) })
	h := w.Handler(next)
	cases := []struct {
		method, path, accept string
		status               int
		ctype, cache, enc    string
		cors                 bool
		body                 string
	}{
		{"GET", "/widget/" + v + "/widget.wasm", "gzip, br", 200, "application/wasm", Immutable, "br", true, ""},
		{"GET", "/widget/" + v + "/widget.wasm", "gzip", 200, "application/wasm", Immutable, "gzip", true, ""},
		{"GET", "/widget/" + v + "/widget.wasm", "", 200, "application/wasm", Immutable, "", true, ""},
		{"HEAD", "/widget/" + v + "/ebios.js", "", 200, "text/javascript; charset=utf-8", Immutable, "", true, ""},
		{"GET", "/widget/" + v + "/embed.js", "", 200, "text/javascript; charset=utf-8", Immutable, "", true, "// embed"},
		{"GET", "/widget/ebios.js", "", 200, "text/javascript; charset=utf-8", "no-cache", "", true, header + v + " */"},
		{"GET", "/widget/0123456789ab/widget.wasm", "", 404, "", "no-store", "", true, "version " + v},
		{"GET", "/widget/" + v + "/app.wasm", "", 404, "", "no-store", "", true, ""},
		{"GET", "/widget/widget.wasm", "", 404, "", "no-store", "", true, ""},
		{"POST", "/widget/" + v + "/widget.wasm", "", 405, "", "", "", true, ""},
		{"GET", "/embed/calc", "", 200, "text/html; charset=utf-8", "no-cache", "", false, `src="../widget/` + v + `/ebios.js" async`},
		{"GET", "/embed/verify.html", "", 200, "text/html; charset=utf-8", "no-cache", "", false, `data-embed="verify"`},
		{"GET", "/embed/admin", "", 404, "", "", "", false, ""},
		{"POST", "/embed/calc", "", 405, "", "", "", false, ""},
		{"GET", "/calc", "", http.StatusTeapot, "", "", "", false, ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path+" "+c.accept, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.path, nil)
			if c.accept != "" {
				r.Header.Set("Accept-Encoding", c.accept)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			res := rec.Result()
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.status, rec.Body)
			}
			for k, want := range map[string]string{"Content-Type": c.ctype, "Cache-Control": c.cache, "Content-Encoding": c.enc} {
				if want != "" && res.Header.Get(k) != want {
					t.Errorf("%s %q, want %q", k, res.Header.Get(k), want)
				}
			}
			if c.enc == "" && res.Header.Get("Content-Encoding") != "" {
				t.Errorf("Content-Encoding %q, want none", res.Header.Get("Content-Encoding"))
			}
			if got := res.Header.Get("Access-Control-Allow-Origin") == "*"; got != c.cors {
				t.Errorf("Access-Control-Allow-Origin %q, want * %v", res.Header.Get("Access-Control-Allow-Origin"), c.cors)
			}
			if !strings.Contains(rec.Body.String(), c.body) {
				t.Errorf("body %.300q does not hold %q", rec.Body, c.body)
			}
			if c.enc == "gzip" {
				zr, err := gzip.NewReader(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				plain, _ := io.ReadAll(zr)
				if !bytes.HasPrefix(plain, []byte("\x00asm widget")) {
					t.Errorf("gzip body decodes to %.20q", plain)
				}
			}
		})
	}
}

// TestNew: a web directory without a widget, or with a loader that does
// not name its version, is refused with a reason.
func TestNew(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.wasm"), []byte("x"), 0o644)
	web, err := webassets.Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(web); !errors.Is(err, ErrNoWidget) {
		t.Errorf("no widget: %v, want ErrNoWidget", err)
	}
	os.MkdirAll(filepath.Join(dir, "widget"), 0o755)
	for _, f := range files {
		os.WriteFile(filepath.Join(dir, "widget", f), []byte("// not built by widgetjs\n"), 0o644)
	}
	web, _ = webassets.Dir(dir)
	if _, err := New(web); err == nil || !strings.Contains(err.Error(), "make wasm") {
		t.Errorf("unstamped loader: %v, want an error saying to rebuild", err)
	}
}

// TestLoader: the build puts wasm_exec.js in its slot and the version in
// its place, and refuses a source without them.
func TestLoader(t *testing.T) {
	js, err := Loader([]byte(loaderSrc), []byte("GO_RUNTIME();"), "abc123")
	if err != nil {
		t.Fatal(err)
	}
	want := header + "abc123 */\n(() => { const VERSION = 'abc123'; GO_RUNTIME(); })();\n"
	if string(js) != want {
		t.Errorf("loader\n%s\nwant\n%s", js, want)
	}
	// Lines of only a comment go; code, and comments after code, stay;
	// wasm_exec.js is put in whole.
	js, err = Loader([]byte("// about\n  // more\nconst V = '__EBIOS_WIDGET_VERSION__'; // v\n/*WASM_EXEC*/\nconst u = 'http://x';\n"),
		[]byte("// Copyright\nGO();"), "v1")
	if err != nil {
		t.Fatal(err)
	}
	if want := header + "v1 */\nconst V = 'v1'; // v\n// Copyright\nGO();\nconst u = 'http://x';\n"; string(js) != want {
		t.Errorf("loader\n%s\nwant\n%s", js, want)
	}
	for _, src := range []string{"no slots", "/*WASM_EXEC*/ only", "__EBIOS_WIDGET_VERSION__ /*WASM_EXEC*/ /*WASM_EXEC*/"} {
		if _, err := Loader([]byte(src), nil, "v"); err == nil {
			t.Errorf("%q: no error", src)
		}
	}
	if Version([]byte("ab"), []byte("c")) == Version([]byte("a"), []byte("bc")) {
		t.Error("the version does not tell parts apart")
	}
}

// TestWriteStatic: a static site gets the versioned files with their
// compressed forms, the unversioned loader and the iframe pages.
func TestWriteStatic(t *testing.T) {
	web, v := fakeWeb(t, loaderSrc)
	w, _ := New(web)
	dir := t.TempDir()
	if err := w.WriteStatic(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"widget/" + v + "/ebios.js", "widget/" + v + "/widget.wasm", "widget/" + v + "/widget.wasm.br",
		"widget/" + v + "/widget.wasm.gz", "widget/" + v + "/embed.js", "widget/" + v + "/ed25519.js", "widget/" + v + "/ed25519worker.js",
		"widget/ebios.js", "embed/calc.html", "embed/verify.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "embed/calc.html"))
	if !bytes.Contains(page, []byte(`src="../widget/`+v+`/ebios.js"`)) {
		t.Errorf("calc.html does not load the versioned loader:\n%s", page)
	}
}

// TestJSAPI builds the real widget (wasm/widget and its loader) and runs
// the JS API under node (testdata/api.mjs): calc, parse, format,
// verifyBundle (bytes, URL, Response; progress; cancellation) and
// verifyEntry, with structured errors, on bundles made here.
func TestJSAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the node test of the widget's JS API (builds the wasm; needs node)")
	}
	if out, err := exec.Command("sh", "../../scripts/need-node.sh").CombinedOutput(); err != nil {
		t.Fatalf("node is needed: %v\n%s", err, out)
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, WasmFile), "../../wasm/widget")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the widget: %v\n%s", err, out)
	}
	src, err := os.ReadFile("../../wasm/widget/js/ebios.js")
	if err != nil {
		t.Fatal(err)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	goJS, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := Loader(src, goJS, "testversion1")
	if err != nil {
		t.Fatal(err)
	}
	writeTestBundles(t, dir)
	os.WriteFile(filepath.Join(dir, LoaderFile), js, 0o644)
	cmd := exec.Command("node", "testdata/api.mjs", dir, "testversion1")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("node: %v", err)
	}
}

// writeTestBundles writes into dir a good bundle of 3000 entries, the same
// with entry 1234 altered, the key, and entry 7 as GET
// /api/v1/ledger/verify/{op_id} serves it.
func writeTestBundles(t *testing.T, dir string) {
	skey, vkey, err := ledger.GenerateKey(rand.Reader, "widget.test/log")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ledger.ParseSignerKey(skey)
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l, err := ledger.NewLog("widget.test/log", s, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		a := nu.MustNew(float64(i), 0.5)
		out, _ := nu.Add(a, a)
		if _, err := l.Append(ledger.Draft{OpID: fmt.Sprintf("op-%d", i), Operation: "add", Mode: ledger.ModeNU,
			Inputs: []nu.Value{a, a}, Output: &out, Invariant: ledger.Invariant{OK: true}}); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := l.Bundle()
	var buf bytes.Buffer
	if err := ledger.WriteBundle(&buf, b); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	bad := bytes.Replace(good, []byte(`"op_id":"op-1234","operation":"add"`), []byte(`"op_id":"op-1234","operation":"sub"`), 1)
	if bytes.Equal(bad, good) {
		t.Fatal("could not alter entry 1234")
	}
	cp, _ := l.Checkpoint()
	e, _ := l.Get(7)
	proof, _ := l.InclusionProof(7, 3000)
	rec, _ := json.Marshal(map[string]any{"verified": true, "entry": e,
		"inclusion_proof": map[string]any{"index": 7, "tree_size": 3000, "hashes": proof, "checkpoint": string(cp)}})
	for name, b := range map[string][]byte{"good.json": good, "bad.json": bad, "key.txt": []byte(vkey), "entry.json": rec} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWasmDeps: the widget's wasm is built from core alone (and the
// WebCrypto bridge, wasm/webcrypto): neither go-app nor net/http (nor the
// server's packages) is linked into it.
func TestWasmDeps(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "../../wasm/widget")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 {
		t.Fatalf("go list -deps listed only %q", deps)
	}
	for _, d := range deps {
		if d == "net/http" || strings.Contains(d, "go-app") || strings.HasPrefix(d, "github.com/ebios/ebios/") &&
			!strings.HasPrefix(d, "github.com/ebios/ebios/core/") && !strings.HasPrefix(d, "github.com/ebios/ebios/wasm/widget") &&
			d != "github.com/ebios/ebios/wasm/webcrypto" {
			t.Errorf("the widget's wasm links %s", d)
		}
	}
}
