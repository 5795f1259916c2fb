//go:build !wasm

package app

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/ebios/ebios/app/mcjob"
	"github.com/ebios/ebios/core/analysis"
	"github.com/ebios/ebios/core/nu"
)

func TestAnalysisRequest(t *testing.T) {
	a := &analysisPanel{}
	a.init()
	a.seed = "18446744073709551615"
	r, bad := a.request(nu.ModeGUM)
	if bad != "" || !r.Budget || r.P != 0.95 || r.K != 0 || r.MonteCarlo == nil ||
		r.MonteCarlo.Draws != 1_000_000 || r.MonteCarlo.Seed != 18446744073709551615 {
		t.Fatalf("defaults: %+v %+v %q", r, r.MonteCarlo, bad)
	}
	// Interval mode: Monte Carlo only (p still sets its interval).
	r, bad = a.request(nu.ModeInterval)
	if bad != "" || r.Budget || r.K != 0 || r.P != 0.95 || r.MonteCarlo == nil {
		t.Errorf("interval: %+v %q", r, bad)
	}
	a.expand, a.k, a.draws = expandK, "2", "1,000"
	if r, bad = a.request(nu.ModeNU); bad != "" || r.K != 2 || r.P != 0 || r.MonteCarlo.Draws != 1000 {
		t.Errorf("k: %+v %q", r, bad)
	}
	for _, tc := range []struct {
		set  func(*analysisPanel)
		want string
	}{
		{func(a *analysisPanel) { a.expand, a.k = expandK, "0" }, "coverage factor"},
		{func(a *analysisPanel) { a.expand, a.p = expandP, "1" }, "coverage probability"},
		{func(a *analysisPanel) { a.draws = "0" }, "number of draws"},
		{func(a *analysisPanel) { a.draws = "10000001" }, "10,000,000"},
		{func(a *analysisPanel) { a.seed = "-1" }, "seed"},
		{func(a *analysisPanel) { a.budget, a.mc, a.expand = false, false, expandNone }, "Choose what"},
	} {
		b := &analysisPanel{}
		b.init()
		b.seed = "1"
		tc.set(b)
		if _, bad := b.request(nu.ModeGUM); !strings.Contains(bad, tc.want) {
			t.Errorf("got %q, want %q", bad, tc.want)
		}
	}
}

// runPanel gives the calculator's panel a running job and the worker's
// answer to it, as the browser would.
func runPanel(t *testing.T, src string, mode nu.Mode, req analysis.Request) *Calculator {
	t.Helper()
	c := &Calculator{input: src, mode: mode}
	c.ana.init()
	c.out = Compute(src, mode)
	job := mcjob.Job{Expression: src, Mode: mode.String(), Request: req}
	c.ana.worker, c.ana.running, c.ana.job = &mcWorker{}, true, job
	gen := c.ana.gen
	if req.MonteCarlo != nil {
		c.ana.planned = req.MonteCarlo.Draws
	}
	c.onWorkerEvent(gen, workerEvent{Type: "ready"})
	o := mcjob.Do(job, func(done, planned int) bool {
		c.onWorkerEvent(gen, workerEvent{Type: "progress", Done: done, Planned: planned})
		return true
	})
	ev := workerEvent{Type: "done", FirstOrder: o.FirstOrder, Millis: 12}
	if o.Err != nil {
		ev.Error = string(mcjob.ErrorJSON(o.Err))
	} else {
		ev.Report = string(o.Report)
	}
	c.onWorkerEvent(gen, ev)
	return c
}

func TestAnalysisResult(t *testing.T) {
	src := "x = 1.2 ± 0.1 uniform; y = 3 ± 0.2 t(8); z = 2 ± 0.05 triangular; corr(x, y) = 0; x * y^2 / z"
	req := analysis.Request{Budget: true, P: 0.95, MonteCarlo: &analysis.MonteCarlo{Draws: 50_000, Seed: 42}}
	c := runPanel(t, src, nu.ModeGUM, req)
	a := c.ana
	if a.running || a.res == nil || a.res.Err != nil || a.done != 50_000 || !strings.HasPrefix(a.status, "Done in") {
		t.Fatalf("panel after the run: %+v", a)
	}
	var rep analysis.Report
	if err := json.Unmarshal([]byte(a.res.JSON), &rep); err != nil || rep.MonteCarlo.Seed != 42 {
		t.Fatalf("JSON shown: %v\n%s", err, a.res.JSON)
	}
	h := app.HTMLString(c.renderAnalysisResult())
	for _, want := range []string{
		`id="an-budget-table"`, "Sensitivity", `>27.4 %<`, // x's share
		`id="an-expanded-u"`, "U = 1.823", "k = t", `<span class="sub">95</span>`, "(16) = 2.12",
		`id="an-mc-draws">50,000<`, `id="an-mc-seed">42<`,
		`class="chart hist"`, `<path class="normal"`, `class="mc"`, `class="fo"`, `class="chart shares"`,
		`normal curve of the first-order result`, `first-order coverage interval`,
		`than the GUM-S1 §8 tolerance (δ = 0.005): use the Monte Carlo result.`,
		`id="an-json-text"`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("the analysis result lacks %q:\n%s", want, h)
		}
	}
	p := app.HTMLString(c.renderAnalysisProgress())
	if !strings.Contains(p, `50,000 of 50,000 draws`) || !strings.Contains(p, `<progress`) {
		t.Errorf("progress: %s", p)
	}
	// A message of a terminated worker changes nothing.
	c.stopWorker()
	c.onWorkerEvent(0, workerEvent{Type: "progress", Done: 1, Planned: 2})
	if c.ana.done != 50_000 {
		t.Errorf("a stale worker's progress was shown")
	}
}

func TestAnalysisError(t *testing.T) {
	c := runPanel(t, "x = 0.1 ± 1; sqrt(x)", nu.ModeGUM, analysis.Request{MonteCarlo: &analysis.MonteCarlo{Draws: 10_000, Seed: 1}})
	if c.ana.res == nil || c.ana.res.Err == nil || c.ana.res.Err.Code != "MC_004" {
		t.Fatalf("%+v", c.ana.res)
	}
	h := app.HTMLString(c.renderAnalysisResult())
	for _, want := range []string{"MC_004", "the model is undefined at draw", "Fix: ", `role="alert"`} {
		if !strings.Contains(h, want) {
			t.Errorf("the error lacks %q:\n%s", want, h)
		}
	}
}

func TestAnalysisCancel(t *testing.T) {
	c := &Calculator{}
	c.ana.init()
	c.ana.worker, c.ana.running, c.ana.done, c.ana.planned = &mcWorker{}, true, 123456, 5_000_000
	gen := c.ana.gen
	c.cancelAnalysis()
	if c.ana.running || c.ana.worker != nil || c.ana.status != "Cancelled after 123,456 of 5,000,000 draws." {
		t.Fatalf("%+v", c.ana)
	}
	c.onWorkerEvent(gen, workerEvent{Type: "done", Report: "{}"})
	if c.ana.res != nil {
		t.Errorf("the cancelled worker's answer was shown")
	}
}

func TestCharts(t *testing.T) {
	if got := groupDigits(1234567); got != "1,234,567" {
		t.Errorf("groupDigits: %s", got)
	}
	if got := groupDigits(999); got != "999" {
		t.Errorf("groupDigits: %s", got)
	}
	ts, step := niceTicks(4.55, 19.65, 5)
	if step != 5 || len(ts) != 3 || ts[0] != 5 || ts[2] != 15 {
		t.Errorf("ticks %v step %v", ts, step)
	}
	if got := tickLabel(-0.25, 0.05); got != "−0.25" {
		t.Errorf("tick label %q", got)
	}
	// A correlation term that reduces the variance has a negative share:
	// its bar goes left of 0 %.
	o := mcjob.Do(mcjob.Job{Expression: "x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = -0.5; x + y", Mode: "gum", Request: analysis.Request{Budget: true}}, nil)
	var rep analysis.Report
	if err := json.Unmarshal(o.Report, &rep); err != nil {
		t.Fatal(err)
	}
	svg := sharesSVG(rep.Budget)
	if !strings.Contains(svg, `class="bar pair"`) || !strings.Contains(svg, "r(x, y)") || !strings.Contains(svg, "−") && !strings.Contains(svg, "-") {
		t.Errorf("shares chart: %s", svg)
	}
	for _, want := range []string{">0 %<", ">" + pct(rep.Budget.Terms[0].Share) + "<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("shares chart lacks the tick %s: %s", want, svg)
		}
	}
	h := app.HTMLString(renderBudget(rep.Budget))
	if !strings.Contains(h, `class="pair"`) || !strings.Contains(h, "r(x, y)") || !strings.Contains(h, ">-0.5<") {
		t.Errorf("budget table: %s", h)
	}
}

// TestWorkerResources: the service worker caches the analysis worker's
// files when they were built, so that Monte Carlo runs offline, and the
// app's version changes with them.
func TestWorkerResources(t *testing.T) {
	if got := workerResources(testWeb(t)); got != nil {
		t.Errorf("no worker built, yet %v", got)
	}
	web := testWeb(t, "mcworker.wasm")
	if got := workerResources(web); len(got) != 2 || got[0] != MCWorkerScript || got[1] != MCWorkerWasm {
		t.Errorf("worker resources %v", got)
	}
	// The server's handler lists them for the service worker.
	w := httptest.NewRecorder()
	Handler("test-2", web).ServeHTTP(w, httptest.NewRequest("GET", "/app-worker.js", nil))
	for _, want := range []string{`"/web/mcworker.js"`, `"/web/mcworker.wasm"`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("app-worker.js does not cache %s", want)
		}
	}
}

// TestMCWorkerBuilds: the analysis worker's main is js-only, so native
// builds and vet never see it; build it here.
func TestMCWorkerBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the wasm worker")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	out := filepath.Join(t.TempDir(), "mcworker.wasm")
	cmd := exec.Command(gotool, "build", "-o", out, "github.com/ebios/ebios/wasm/mcworker")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wasm build: %v\n%s", err, b)
	}
	cmd = exec.Command(gotool, "vet", "github.com/ebios/ebios/wasm/mcworker")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vet: %v\n%s", err, b)
	}
}

// TestAnalysisAdaptive: an adaptive run says how many rounds it made and
// whether it became stable; a shortest interval says so.
func TestAnalysisAdaptive(t *testing.T) {
	c := runPanel(t, "x = 1 ± 0.1; y = 2 ± 0.1 uniform; x * y", nu.ModeGUM,
		analysis.Request{MonteCarlo: &analysis.MonteCarlo{Draws: 400_000, Seed: 3, Adaptive: true, Shortest: true}})
	m := c.ana.res.Report.MonteCarlo
	if m == nil || !m.Adaptive || m.Rounds == 0 {
		t.Fatalf("%+v", c.ana.res)
	}
	if c.ana.done != m.Draws || c.ana.planned != m.Draws {
		t.Errorf("progress %d of %d after %d draws", c.ana.done, c.ana.planned, m.Draws)
	}
	h := app.HTMLString(c.renderAnalysisResult())
	for _, want := range []string{"Adaptive", strconv.Itoa(m.Rounds) + " rounds", "significant digits of u", "(shortest)"} {
		if !strings.Contains(h, want) {
			t.Errorf("the result lacks %q:\n%s", want, h)
		}
	}
}
