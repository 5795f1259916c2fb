//go:build !wasm

package app

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/webassets"
)

func load(t *testing.T, c app.Composer) app.TestEngine {
	t.Helper()
	e := app.NewTestEngine()
	if err := e.Load(c); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	return e
}

func TestCalculatorRenders(t *testing.T) {
	c := &Calculator{}
	load(t, c)
	if err := app.Match(app.Div().Class("page"), c, 0); err != nil {
		t.Fatal(err)
	}
	if err := app.Match(app.H1().Text("eBIOS calculator"), c, 0, 0, 1); err != nil {
		t.Fatal(err)
	}
	h := app.HTMLString(c)
	for _, want := range []string{
		`<label for="expr">Expression</label>`,
		`id="expr"`,
		`type="submit"`,
		`id="mode-nu"`, `id="mode-interval"`,
		`Type an expression and press Enter.`,
		`No computations yet.`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("rendered calculator lacks %q:\n%s", want, h)
		}
	}
}

func TestCompute(t *testing.T) {
	o := Compute("(10 ± 0.5) * (20 ± 1)", nu.ModeNU)
	if !o.OK() {
		t.Fatal(o.Err)
	}
	if got := o.Value.N(); got != 200 {
		t.Errorf("n = %v, want 200", got)
	}
	if len(o.Inputs) != 2 {
		t.Errorf("inputs = %v, want 2", o.Inputs)
	}
	o = Compute("1 +", nu.ModeNU)
	if o.OK() || o.Err.Code != nu.CodeSyntax || o.Err.Column == 0 {
		t.Errorf("bad expression: %+v", o.Err)
	}
	o = Compute("1 / (0 ± 1)", nu.ModeInterval)
	if o.OK() || o.Err.Code != nu.CodeDivByZero {
		t.Errorf("division by an interval holding zero: %+v", o.Err)
	}
	if o := Compute("   ", nu.ModeNU); o.OK() {
		t.Error("empty expression computed")
	}
}

// harness drives a Calculator through its exported fields, the way a parent
// page does, so that the test goes through go-app's update path.
type harness struct {
	app.Compo
	expr, mode string
	ctx        app.Context
}

func (h *harness) OnPreRender(ctx app.Context) { h.ctx = ctx }

func (h *harness) Render() app.UI {
	return app.Div().Body(&Calculator{Expr: h.expr, Mode: h.mode})
}

func TestComputeUpdatesResult(t *testing.T) {
	h := &harness{}
	e := load(t, h)
	if h.ctx.Page() == nil {
		t.Fatal("no context captured")
	}
	before := app.HTMLString(h)
	if !strings.Contains(before, "Type an expression") {
		t.Fatalf("no hint before computing:\n%s", before)
	}

	h.ctx.Dispatch(func(app.Context) { h.expr = "(10 ± 0.5) * (20 ± 1)" })
	e.ConsumeAll()
	got := app.HTMLString(h)
	want := Compute("(10 ± 0.5) * (20 ± 1)", nu.ModeNU).Value
	for _, want := range []string{"200 ± 14", want.FormatFull(), formatCoverage(want.RelativeUncertainty(), &want), `class="intervals"`, "<circle"} {
		if !strings.Contains(got, want) {
			t.Errorf("after computing, page lacks %q:\n%s", want, got)
		}
	}
	// Recorded in the (in-memory, server-side) persisted history.
	var hist []HistoryItem
	h.ctx.GetState(HistoryKey, &hist)
	if len(hist) != 1 || hist[0].Result != "200 ± 14" || hist[0].Mode != "nu" {
		t.Errorf("history = %+v", hist)
	}
	if !strings.Contains(got, "<ol>") {
		t.Errorf("history not shown:\n%s", got)
	}

	// Interval mode, then a bad expression.
	h.ctx.Dispatch(func(app.Context) { h.mode = "interval"; h.expr = "(10 ± 0.5) + (20 ± 1)" })
	e.ConsumeAll()
	if got := app.HTMLString(h); !strings.Contains(got, "30.0 ± 1.5") || !strings.Contains(got, "<dd>interval</dd>") {
		t.Errorf("interval mode:\n%s", got)
	}
	h.ctx.Dispatch(func(app.Context) { h.expr = "(10 ± 0.5) * * 2" })
	e.ConsumeAll()
	got = app.HTMLString(h)
	for _, want := range []string{nu.CodeSyntax, "at column 14", `role="alert"`} {
		if !strings.Contains(got, want) {
			t.Errorf("bad expression: page lacks %q:\n%s", want, got)
		}
	}
	// go-app prints a "true" attribute bare; in the DOM it is set to "true".
	if in := element(got, `id="expr"`); !strings.Contains(in, "aria-invalid") || strings.Contains(in, `aria-invalid="false"`) {
		t.Errorf("input not marked invalid: %s", in)
	}
	if in := element(got, `id="mode-interval"`); !strings.Contains(in, "checked") {
		t.Errorf("interval radio not checked: %s", in)
	}
	if in := element(got, `id="mode-nu"`); strings.Contains(in, "checked") {
		t.Errorf("nu radio checked: %s", in)
	}
	h.ctx.GetState(HistoryKey, &hist)
	if len(hist) != 3 || hist[0].Code != nu.CodeSyntax {
		t.Errorf("history = %+v", hist)
	}
}

func TestComputeMethodAndError(t *testing.T) {
	c := &Calculator{}
	c.input = "2 ± -1"
	item := c.compute()
	if item.Code != nu.CodeNegativeU {
		t.Fatalf("history item = %+v", item)
	}
	if c.out.Err.Column != 5 {
		t.Errorf("column = %d, want 5", c.out.Err.Column)
	}
	load(t, c)
	h := app.HTMLString(c)
	for _, want := range []string{nu.CodeNegativeU, "at column 5", "Fix: ", "    ^"} {
		if !strings.Contains(h, want) {
			t.Errorf("error view lacks %q:\n%s", want, h)
		}
	}
}

// element returns the first start tag of s that contains attr.
func element(s, attr string) string {
	i := strings.Index(s, attr)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(s[:i], "<")
	end := strings.Index(s[i:], ">")
	return s[start : i+end+1]
}

func TestIntervalSVG(t *testing.T) {
	for _, src := range []string{"1 ± inf", "0 ± 1", "5", "1e300 ± 1e299 * 2", "catch(1/(0 ± 1), 3)"} {
		for _, m := range []nu.Mode{nu.ModeNU, nu.ModeInterval} {
			o := Compute(src, m)
			if !o.OK() {
				continue
			}
			s := intervalSVG(o)
			if !strings.HasPrefix(s, "<svg") || !strings.HasSuffix(s, "</svg>") || strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
				t.Errorf("%s (%v): bad svg %s", src, m, s)
			}
		}
	}
}

// TestIntervalSVGRelative: every row is drawn on one relative scale, so
// inputs and a result of very different magnitudes are all readable: the
// bars' widths are in the ratio of the relative uncertainties.
func TestIntervalSVGRelative(t *testing.T) {
	o := Compute("(10 ± 0.5) * (2000 ± 100)", nu.ModeNU)
	s := intervalSVG(o)
	var widths []float64
	for _, m := range regexp.MustCompile(`<rect class="bar" x="[-0-9.]+" y="[-0-9.]+" width="([0-9.]+)"`).FindAllStringSubmatch(s, -1) {
		w, _ := strconv.ParseFloat(m[1], 64)
		widths = append(widths, w)
	}
	if len(widths) != 3 {
		t.Fatalf("want 3 bars, got %v in %s", widths, s)
	}
	// Result 7.08 %, inputs 5 % each: the widths in that ratio (to the drawing's 0.1 unit).
	if r := widths[0] / widths[1]; math.Abs(r-o.Value.RelativeUncertainty()/0.05) > 0.01 || widths[1] != widths[2] {
		t.Errorf("bar widths %v: ratio %v, want %v", widths, r, o.Value.RelativeUncertainty()/0.05)
	}
	pct := strconv.FormatFloat(o.Value.RelativeUncertainty()*100, 'g', 3, 64) + " %" // 7.08 %
	for _, want := range []string{"+" + pct, "−" + pct, "Relative uncertainty of the result"} {
		if !strings.Contains(s, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
}

// testWeb returns the committed files of ../web (styles, icons, scripts)
// with a stand-in app.wasm and the named extra files, as the handler
// serves them.
func testWeb(t *testing.T, extra ...string) *webassets.Assets {
	t.Helper()
	dir := t.TempDir()
	for _, name := range append([]string{"ebios.css", "ed25519.js", "icon-192.png", "icon-512.png", "icon.svg", "mcworker.js"}, extra...) {
		b, err := os.ReadFile(filepath.Join("..", "web", name))
		if os.IsNotExist(err) && strings.HasSuffix(name, ".wasm") {
			b, err = []byte("\x00asm stand-in for "+name), nil
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "app.wasm"), []byte("\x00asm stand-in"), 0o644); err != nil {
		t.Fatal(err)
	}
	web, err := webassets.Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return web
}

func TestHandler(t *testing.T) {
	h := Handler("test-1", testWeb(t))
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w
	}

	for _, p := range Pages {
		w := get(p)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", p, w.Code, w.Header().Get("Content-Type"))
		}
		body := w.Body.String()
		wants := []string{"eBIOS calculator", `id="expr"`, "/web/ebios.css"}
		if p == AuditPath {
			wants = []string{"eBIOS audit", `id="bundle-file"`, "/web/ebios.css"}
		}
		for _, want := range wants {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s lacks %q", p, want)
			}
		}
	}
	if w := get("/nope"); w.Code != http.StatusNotFound {
		t.Errorf("GET /nope: %d", w.Code)
	}

	// A linked computation is prerendered on the server.
	w := get("/calc?mode=interval&e=" + url.QueryEscape("(10 ± 0.5) + (20 ± 1)"))
	if !strings.Contains(w.Body.String(), "30.0 ± 1.5") {
		t.Errorf("prerendered result missing:\n%s", w.Body.String())
	}

	// Manifest: local icons only, all of which exist.
	w = get("/manifest.webmanifest")
	if w.Code != http.StatusOK {
		t.Fatalf("manifest: %d", w.Code)
	}
	var m struct {
		Name  string `json:"name"`
		Icons []struct {
			Src string `json:"src"`
		} `json:"icons"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err, w.Body.String())
	}
	if m.Name != "eBIOS" || len(m.Icons) == 0 {
		t.Errorf("manifest = %s", w.Body.String())
	}
	for _, ic := range m.Icons {
		if !strings.HasPrefix(ic.Src, "/web/") {
			t.Errorf("manifest icon %q is not local", ic.Src)
			continue
		}
		if r := get(ic.Src); r.Code != http.StatusOK || r.Body.Len() == 0 {
			t.Errorf("icon %s: %d", ic.Src, r.Code)
		}
	}

	// The service worker caches every page, the styles and the icons, and
	// nothing remote.
	w = get("/app-worker.js")
	sw := w.Body.String()
	for _, want := range append([]string{StyleFile, Icon192, Icon512, IconSVG, "test-1"}, Pages...) {
		if !strings.Contains(sw, `"`+want+`"`) && !strings.Contains(sw, want) {
			t.Errorf("app-worker.js does not cache %q", want)
		}
	}
	if strings.Contains(sw, "http://") || strings.Contains(sw, "https://") {
		t.Errorf("app-worker.js references remote URLs:\n%s", sw)
	}
	// Its install waits for the app to start, and the page preloads
	// app.wasm (see serviceWorkerTemplate and appHandler).
	if !strings.Contains(sw, appStartedMessage) || strings.Contains(sw, goappInstall) {
		t.Errorf("app-worker.js does not wait for %q before it caches:\n%s", appStartedMessage, sw)
	}
	if page := get("/").Body.String(); !strings.Contains(page, `<link rel="preload" href="/web/app.wasm" as="fetch" crossorigin>`) {
		t.Errorf("the page does not preload app.wasm:\n%s", page)
	}
	if w := get(StyleFile); w.Code != http.StatusOK {
		t.Errorf("GET %s: %d", StyleFile, w.Code)
	}
}

// TestServiceWorkerTemplate fails when go-app's app-worker.js template no
// longer holds the install handler that serviceWorkerTemplate replaces
// (after a go-app update): the worker would then cache as the page loads.
func TestServiceWorkerTemplate(t *testing.T) {
	if !strings.Contains(app.DefaultAppWorkerJS, goappInstall) {
		t.Fatalf("go-app's DefaultAppWorkerJS has no install handler like goappInstall; update goappInstall and ebiosInstall to its new one:\n%s", app.DefaultAppWorkerJS)
	}
	tmpl := serviceWorkerTemplate()
	if strings.Count(tmpl, "addEventListener(\"install\"") != 1 || !strings.Contains(tmpl, ebiosInstall) {
		t.Errorf("the template does not hold exactly one install handler, ebiosInstall:\n%s", tmpl)
	}
}

func TestWasmMainBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the wasm main")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	out := filepath.Join(t.TempDir(), "app.wasm")
	cmd := exec.Command(gotool, "build", "-o", out, "github.com/ebios/ebios/wasm/app")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wasm build: %v\n%s", err, b)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("app.wasm: %d bytes", fi.Size())
}
