package app

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/ebios/ebios/app/mcjob"
	"github.com/ebios/ebios/core/analysis"
	"github.com/ebios/ebios/core/mc"
	"github.com/ebios/ebios/core/nu"
)

// MCWorkerScript is the analysis worker's script (web/mcworker.js), which
// runs MCWorkerWasm (built from wasm/mcworker) in a Web Worker.
const (
	MCWorkerScript = "/web/mcworker.js"
	MCWorkerWasm   = "/web/mcworker.wasm"
)

// Defaults of the Analysis panel.
const (
	defaultDraws = "1000000"
	defaultK     = "2"
	defaultP     = "0.95"
)

// Expanded uncertainty choices of the panel.
const (
	expandNone = "none"
	expandK    = "k"
	expandP    = "p"
)

// workerEvent is a message of the analysis worker (see app/mcjob).
type workerEvent struct {
	Type          string // ready, progress, done, fatal
	Done, Planned int
	Report, Error string // JSON texts of a done message
	FirstOrder    *firstOrder
	Millis        float64
	Message       string // fatal
}

type firstOrder = mcjob.FirstOrder

// analysisPanel is the state of the calculator's Analysis panel: the
// options, the worker and its run, and the last result.
type analysisPanel struct {
	inited             bool
	budget             bool
	expand             string // expandNone, expandK or expandP
	k, p               string
	mc                 bool
	draws, seed        string
	adaptive, shortest bool
	formErr            string
	copied             string // what Copy JSON did

	worker        *mcWorker
	gen           int // the worker's generation: messages of a terminated one are ignored
	ready         bool
	running       bool
	done, planned int
	status        string
	started       float64 // page clock (ms) when the run was posted
	job           mcjob.Job

	res *analysisResult
}

// analysisResult is one finished analysis: its job and the report, or the
// error.
type analysisResult struct {
	Job        mcjob.Job
	Report     *analysis.Report
	JSON       string // the report as the worker made it, indented
	Err        *nu.Error
	FirstOrder *firstOrder
	Millis     float64 // time the worker took
	Wall       float64 // from posting the job to its answer, on the page
}

func (a *analysisPanel) init() {
	if a.inited {
		return
	}
	a.inited = true
	a.budget, a.mc = true, true
	a.expand, a.k, a.p = expandP, defaultK, defaultP
	a.draws = defaultDraws
}

// randomSeed returns a seed from the browser's (or the system's) random
// source.
func randomSeed() string {
	var b [8]byte
	rand.Read(b[:])
	return strconv.FormatUint(binary.BigEndian.Uint64(b[:]), 10)
}

// request reads the panel's options into an analysis request for mode m.
// Interval mode gives bounds: it has no budget and no expanded uncertainty,
// only Monte Carlo (whose coverage probability p still applies).
func (a *analysisPanel) request(m nu.Mode) (analysis.Request, string) {
	var r analysis.Request
	interval := m == nu.ModeInterval
	r.Budget = a.budget && !interval
	switch a.expand {
	case expandK:
		if interval {
			break
		}
		k, err := strconv.ParseFloat(strings.TrimSpace(a.k), 64)
		if err != nil || !(k > 0) || math.IsInf(k, 0) {
			return r, "The coverage factor k must be a number greater than 0, such as 2."
		}
		r.K = k
	case expandP:
		p, err := strconv.ParseFloat(strings.TrimSpace(a.p), 64)
		if err != nil || !(p > 0 && p < 1) {
			return r, "The coverage probability p must be a number between 0 and 1, such as 0.95."
		}
		if !interval || a.mc {
			r.P = p
		}
	}
	if a.mc {
		d, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(a.draws), ",", ""))
		if err != nil || d < 1 || d > mc.MaxDraws {
			return r, "The number of draws must be a whole number from 1 to " + groupDigits(mc.MaxDraws) + "."
		}
		seed, err := strconv.ParseUint(strings.TrimSpace(a.seed), 10, 64)
		if err != nil {
			return r, "The seed must be a whole number from 0 to 18446744073709551615."
		}
		r.MonteCarlo = &analysis.MonteCarlo{Draws: d, Seed: seed, Adaptive: a.adaptive, Shortest: a.shortest}
	}
	if !r.Any() {
		return r, "Choose what to compute: the budget, an expanded uncertainty or Monte Carlo."
	}
	return r, ""
}

// onRunAnalysis computes the expression (as Compute does) and posts the
// analysis to the worker, which it starts if there is none.
func (c *Calculator) onRunAnalysis(ctx app.Context, e app.Event) {
	preventDefault(e)
	a := &c.ana
	if a.running {
		return
	}
	req, bad := a.request(c.mode)
	a.formErr = bad
	if bad != "" {
		ctx.Defer(func(app.Context) { focus("an-form-error") })
		return
	}
	if c.out == nil || c.out.Expr != c.input || c.out.Mode != c.mode {
		c.run(ctx)
	}
	if !c.out.OK() {
		a.status = "Fix the expression first: the result above says what is wrong."
		return
	}
	job := mcjob.Job{Expression: c.input, Mode: c.mode.String(), Request: req}
	text, err := json.Marshal(job)
	if err != nil {
		a.status = "The analysis could not be sent: " + err.Error()
		return
	}
	if a.worker == nil {
		if err := c.startWorker(ctx); err != nil {
			a.status = "The analysis cannot run here: " + err.Error() + "."
			return
		}
	}
	a.job, a.res, a.copied = job, nil, ""
	a.running, a.done, a.planned = true, 0, 0
	if req.MonteCarlo != nil {
		a.planned = req.MonteCarlo.Draws
	}
	a.status = "Running…"
	if !a.ready {
		a.status = "Starting the analysis worker…"
	}
	a.started = now()
	a.worker.post(string(text))
}

// startWorker starts a new analysis worker; its messages reach the
// component through the context of OnMount (an event's element may be
// re-rendered away).
func (c *Calculator) startWorker(ctx app.Context) error {
	a := &c.ana
	a.gen++
	gen := a.gen
	if c.isMounted {
		ctx = c.mounted
	}
	w, err := newMCWorker(ctx.ResolveStaticResource(MCWorkerScript), func(ev workerEvent) {
		ctx.Dispatch(func(ctx app.Context) { c.onWorkerEvent(gen, ev) })
	})
	if err != nil {
		return err
	}
	a.worker, a.ready = w, false
	return nil
}

// onWorkerEvent handles a message of the worker of generation gen.
func (c *Calculator) onWorkerEvent(gen int, ev workerEvent) {
	a := &c.ana
	if gen != a.gen || a.worker == nil {
		return // a terminated worker's
	}
	switch ev.Type {
	case "ready":
		a.ready = true
		if a.running {
			a.status = "Running…"
		}
	case "progress":
		if a.running {
			a.ready = true
			a.done, a.planned = ev.Done, ev.Planned
			a.status = "Running…"
		}
	case "done":
		if !a.running {
			return
		}
		a.running = false
		res := &analysisResult{Job: a.job, FirstOrder: ev.FirstOrder, Millis: ev.Millis, Wall: now() - a.started}
		switch {
		case ev.Error != "":
			var ne nu.Error
			if err := json.Unmarshal([]byte(ev.Error), &ne); err != nil || ne.Code == "" {
				ne = nu.Error{Code: "EBIOS_APP", Category: nu.CategoryOperation, Message: "the analysis worker sent an unreadable error"}
			}
			res.Err = &ne
			a.status = "The analysis failed: " + ne.Code + "."
		default:
			var rep analysis.Report
			if err := json.Unmarshal([]byte(ev.Report), &rep); err != nil {
				res.Err = &nu.Error{Code: "EBIOS_APP", Category: nu.CategoryOperation, Message: "the analysis worker sent an unreadable report", Details: err.Error()}
				a.status = "The analysis failed."
				break
			}
			res.Report = &rep
			var b bytes.Buffer
			if json.Indent(&b, []byte(ev.Report), "", "  ") == nil {
				res.JSON = b.String()
			} else {
				res.JSON = ev.Report
			}
			if m := rep.MonteCarlo; m != nil {
				a.done, a.planned = m.Draws, m.Draws
			}
			a.status = "Done in " + seconds(res.Wall) + "."
		}
		a.res = res
	case "fatal":
		c.stopWorker()
		a.running = false
		a.status = ev.Message + "."
	}
}

// stopWorker terminates the worker, busy or not.
func (c *Calculator) stopWorker() {
	a := &c.ana
	if a.worker != nil {
		a.worker.terminate()
		a.worker = nil
	}
	a.gen++
	a.ready = false
}

// onCancelAnalysis stops a run (see cancelAnalysis).
func (c *Calculator) onCancelAnalysis(ctx app.Context, e app.Event) {
	if c.cancelAnalysis() {
		ctx.Defer(func(app.Context) { focus("an-run") })
	}
}

// cancelAnalysis stops a run, if one is going: a busy Go worker reads no
// messages, so the worker is terminated, and the next run starts a new
// one.
func (c *Calculator) cancelAnalysis() bool {
	a := &c.ana
	if !a.running {
		return false
	}
	c.stopWorker()
	a.running = false
	switch {
	case a.planned > 0 && a.done >= a.planned:
		a.status = "Cancelled while summarising the " + groupDigits(a.done) + " draws."
	case a.planned > 0:
		a.status = "Cancelled after " + groupDigits(a.done) + " of " + groupDigits(a.planned) + " draws."
	default:
		a.status = "Cancelled."
	}
	return true
}

// OnDismount stops the analysis worker when the page goes.
func (c *Calculator) OnDismount() { c.stopWorker() }

func (c *Calculator) onNewSeed(ctx app.Context, e app.Event) { c.ana.seed = randomSeed() }

// onCheck stores a checkbox's state in *b.
func onCheck(b *bool) app.EventHandler {
	return func(ctx app.Context, e app.Event) { *b = ctx.JSSrc().Get("checked").Bool() }
}

// onValue stores an input's value in *s.
func onValue(s *string) app.EventHandler {
	return func(ctx app.Context, e app.Event) { *s = ctx.JSSrc().Get("value").String() }
}

func (c *Calculator) onCopyJSON(ctx app.Context, e app.Event) {
	r := c.ana.res
	if r == nil || r.JSON == "" {
		return
	}
	clip := app.Window().Get("navigator").Get("clipboard")
	if !clip.Truthy() { // only secure contexts (https, localhost) have it
		c.ana.copied = "The browser does not allow copying here: select the text instead."
		return
	}
	c.ana.copied = ""
	clip.Call("writeText", r.JSON).Then(func(app.Value) {
		ctx.Dispatch(func(app.Context) { c.ana.copied = "Copied." })
	})
}

// checkbox is an input of type checkbox with its label. In the browser it
// always says whether it is checked: go-app sets the checked property, and
// once set, removing the attribute would not clear it (interval mode
// unchecks the budget). Prerendered, only a checked one carries the
// attribute (see modeRadio).
func checkbox(id, label string, on bool, disabled bool, h app.EventHandler) app.UI {
	in := app.Input().Type("checkbox").ID(id).OnChange(h)
	if on || app.IsClient {
		in = in.Checked(on)
	}
	if disabled {
		in = in.Disabled(true)
	}
	return app.Label().For(id).Class("check").Body(in, app.Span().Text(label))
}

func (c *Calculator) expandRadio(value, label string, disabled bool) app.UI {
	id := "an-expand-" + value
	in := app.Input().Type("radio").ID(id).Name("an-expand").Value(value).
		OnChange(func(ctx app.Context, e app.Event) { c.ana.expand = value })
	if on := c.ana.expand == value; on || app.IsClient {
		in = in.Checked(on) // see checkbox
	}
	if disabled {
		in = in.Disabled(true)
	}
	return app.Label().For(id).Class("radio").Body(in, app.Span().Text(label))
}

// numberField is a labelled text input for a number.
func numberField(id, label, value string, disabled bool, h app.EventHandler) app.UI {
	in := app.Input().ID(id).Type("text").Attr("inputmode", "decimal").Value(value).
		AutoComplete(false).Spellcheck(false).OnInput(h)
	if disabled {
		in = in.Disabled(true)
	}
	return app.Div().Class("field").Body(app.Label().For(id).Text(label), in)
}

// renderAnalysis is the Analysis panel: options, Run and Cancel, the
// progress of a Monte Carlo run and the last result.
func (c *Calculator) renderAnalysis() app.UI {
	a := &c.ana
	a.init()
	interval := c.mode == nu.ModeInterval
	cancel := app.Button().ID("an-cancel").Type("button").Text("Cancel").OnClick(c.onCancelAnalysis)
	if !a.running {
		cancel = cancel.Disabled(true)
	}
	run := app.Button().ID("an-run").Type("submit").Class("go").Text("Run analysis")
	if a.running {
		run = run.Disabled(true)
	}
	return app.Details().ID("analysis").Class("analysis").Body(
		app.Summary().Body(app.H2().Text("Analysis: budget, expanded uncertainty, Monte Carlo")),
		app.P().Class("help").Text("Runs in a background worker of this page, offline too, on the expression and mode above. "+
			"Write distributions in the expression: 5 ± 0.1 uniform, 5 ± 0.1 triangular, 5 ± 0.1 t(9), uniform(4.9, 5.1), triangular(4.9, 5.1); "+
			"a value written n ± u is normal."),
		app.Form().ID("analysis-form").Class("analysis-form").Aria("label", "Analysis options").OnSubmit(c.onRunAnalysis).Body(
			app.FieldSet().Class("opts").Body(
				app.Legend().Text("First order"),
				checkbox("an-opt-budget", "Uncertainty budget (inputs' shares of the variance)", a.budget && !interval, interval, onCheck(&a.budget)),
				app.If(interval, func() app.UI {
					return app.P().Class("hint").Text("Interval mode gives bounds, not standard uncertainties: budgets and expanded uncertainties need nu or gum mode.")
				}),
			),
			app.FieldSet().Class("opts").Body(
				app.Legend().Text("Expanded uncertainty U = k·u"),
				app.Div().Class("choices").Body(
					c.expandRadio(expandNone, "none", interval),
					c.expandRadio(expandK, "by coverage factor k", interval),
					c.expandRadio(expandP, "by coverage probability p", false),
				),
				app.Div().Class("fields").Body(
					numberField("an-k", "k", a.k, interval || a.expand != expandK, onValue(&a.k)),
					numberField("an-p", "p (also the Monte Carlo interval's)", a.p, a.expand != expandP, onValue(&a.p)),
				),
			),
			app.FieldSet().Class("opts").Body(
				app.Legend().Text("Monte Carlo (GUM Supplement 1)"),
				checkbox("an-opt-mc", "Monte Carlo propagation of the distributions", a.mc, false, onCheck(&a.mc)),
				app.Div().Class("fields").Body(
					numberField("an-draws", "Draws", a.draws, !a.mc, onValue(&a.draws)),
					app.Div().Class("field seed").Body(
						app.Label().For("an-seed").Text("Seed (the same seed repeats a run)"),
						app.Div().Class("row").Body(
							func() app.UI {
								in := app.Input().ID("an-seed").Type("text").Attr("inputmode", "numeric").Value(a.seed).
									AutoComplete(false).Spellcheck(false).OnInput(onValue(&a.seed))
								if !a.mc {
									in = in.Disabled(true)
								}
								return in
							}(),
							app.Button().ID("an-new-seed").Type("button").Text("New seed").OnClick(c.onNewSeed),
						),
					),
				),
				checkbox("an-opt-adaptive", "Adaptive (GUM-S1 7.9): stop once stable, at most the draws above", a.adaptive, !a.mc, onCheck(&a.adaptive)),
				checkbox("an-opt-shortest", "Shortest coverage interval (instead of probabilistically symmetric)", a.shortest, !a.mc, onCheck(&a.shortest)),
			),
			app.If(a.formErr != "", func() app.UI {
				return app.P().ID("an-form-error").Class("error").Role("alert").TabIndex(-1).Text(a.formErr)
			}),
			app.Div().Class("actions").Body(run, cancel),
		),
		c.renderAnalysisProgress(),
		c.renderAnalysisResult(),
	)
}

func (c *Calculator) renderAnalysisProgress() app.UI {
	a := &c.ana
	label := ""
	if a.planned > 0 {
		label = groupDigits(a.done) + " of " + groupDigits(a.planned) + " draws"
	}
	max := a.planned
	if max <= 0 {
		max = 1
	}
	return app.Div().ID("an-progress-box").Class("progress").Aria("busy", strconv.FormatBool(a.running)).Body(
		app.If(a.planned > 0, func() app.UI {
			return app.Div().Body(
				app.Label().For("an-progress").Text("Monte Carlo progress"),
				app.Progress().ID("an-progress").Max(max).Value(a.done).Aria("valuetext", label),
				app.P().ID("an-progress-text").Class("hint").Text(label),
			)
		}),
		app.P().ID("an-status").Role("status").Text(a.status),
	)
}

func (c *Calculator) renderAnalysisResult() app.UI {
	r := c.ana.res
	if r == nil {
		return app.Section().ID("an-result").Class("an-result").Aria("label", "Analysis result")
	}
	mode := r.Job.Mode
	if mode == "" {
		mode = "nu"
	}
	head := app.P().Class("an-of").Body(
		app.Text("Analysis of "), app.Code().Text(r.Job.Expression), app.Text(" in "+mode+" mode"),
	)
	if r.Err != nil {
		return app.Section().ID("an-result").Class("an-result").Aria("label", "Analysis result").Body(
			head,
			renderError(&Outcome{Expr: r.Job.Expression, Err: r.Err}),
		)
	}
	rep := r.Report
	return app.Section().ID("an-result").Class("an-result").Aria("label", "Analysis result").Body(
		head,
		app.If(rep.Budget != nil, func() app.UI { return renderBudget(rep.Budget) }),
		app.If(rep.Expanded != nil, func() app.UI { return renderExpanded(rep.Expanded) }),
		app.If(rep.MonteCarlo != nil, func() app.UI { return renderMonteCarlo(rep, r) }),
		app.Details().ID("an-json").Class("functions").Body(
			app.Summary().Text("Report as JSON"),
			app.Div().Class("actions").Body(
				app.Button().ID("an-copy-json").Type("button").Text("Copy JSON").OnClick(c.onCopyJSON),
				app.Span().ID("an-copied").Class("hint").Aria("live", "polite").Text(c.ana.copied),
			),
			app.Pre().ID("an-json-text").Class("json").TabIndex(0).Aria("label", "The analysis report as JSON").Text(r.JSON),
		),
	)
}

// renderBudget is the budget as a table and a bar chart of the shares.
func renderBudget(b *analysis.Budget) app.UI {
	summary := "u_c = " + g4(float64(b.U)) + ", effective degrees of freedom ν_eff = " + dofText(b.DoF)
	return app.Div().ID("an-budget").Class("an-part").Body(
		app.H3().Text("Uncertainty budget (first order)"),
		app.P().Body(app.Text("y = "+formatFloat(float64(b.N))+", "+summary+".")),
		app.If(b.Correlated, func() app.UI {
			return app.P().Class("hint").Text("The inputs are correlated: correlation terms carry a share of their own " +
				"(negative when they reduce the variance), and ν_eff is approximate.")
		}),
		// The table scrolls in its box on a phone: the box takes the focus
		// so that a keyboard can scroll it.
		app.Div().Class("table-wrap").TabIndex(0).Role("region").Aria("label", "Uncertainty budget table").Body(app.Table().ID("an-budget-table").Class("entries budget").Body(
			app.Caption().Text("Shares of the combined variance"),
			app.THead().Body(app.Tr().Body(
				app.Th().Scope("col").Text("Input"),
				app.Th().Scope("col").Text("Value"),
				app.Th().Scope("col").Text("u"),
				app.Th().Scope("col").Body(app.Text("Sensitivity "), app.Span().Class("var").Text("c")),
				app.Th().Scope("col").Body(app.Text("Contribution "), app.Span().Class("var").Text("c·u")),
				app.Th().Scope("col").Text("ν"),
				app.Th().Scope("col").Text("Share"),
			)),
			app.TBody().Body(app.Range(b.Terms).Slice(func(i int) app.UI {
				t := b.Terms[i]
				if t.Pair {
					return app.Tr().Class("pair").Body(
						app.Th().Scope("row").Class("name").Text("r("+t.Name+", "+t.WithName+")"),
						app.Td().Class("num").Text(g4(t.R)),
						app.Td().ColSpan(4).Text("correlation term"),
						app.Td().Class("num").Text(pct(t.Share)),
					)
				}
				return app.Tr().Body(
					app.Th().Scope("row").Class("name").Text(t.Name),
					app.Td().Class("num").Text(formatFloat(t.N)),
					app.Td().Class("num").Text(g4(t.U)),
					app.Td().Class("num").Text(g4(t.Sensitivity)),
					app.Td().Class("num").Text(g4(t.Contribution)),
					app.Td().Class("num").Text(dofText(t.DoF)),
					app.Td().Class("num").Text(pct(t.Share)),
				)
			})),
		)),
		app.Raw(sharesSVG(b)),
	)
}

// renderExpanded is the expanded uncertainty and its interval.
func renderExpanded(x *analysis.Expanded) app.UI {
	var how []app.UI
	if x.P != 0 {
		how = []app.UI{app.Text("k = t"), app.Span().Class("sub").Text(g4(100 * x.P)), app.Text("(" + dofText(x.DoF) + ") = " + g3(x.K))}
	} else {
		how = []app.UI{app.Text("k = " + g4(x.K) + ", given")}
	}
	line := append([]app.UI{app.Text("U = " + g4(x.U) + " (")}, how...)
	line = append(line, app.Text(")"))
	return app.Div().ID("an-expanded").Class("an-part").Body(
		app.H3().Text("Expanded uncertainty"),
		app.P().Class("big").ID("an-expanded-u").Body(line...),
		app.Dl().Body(
			app.Dt().Text("Coverage interval y ± U"), app.Dd().ID("an-expanded-interval").Text("["+formatFloat(x.Lo)+", "+formatFloat(x.Hi)+"]"),
			app.If(x.P != 0, func() app.UI {
				return app.Div().Class("pairs").Body(
					app.Dt().Text("Coverage probability"), app.Dd().Text(g4(100*x.P)+" %"),
				)
			}),
			app.Dt().Text("Effective degrees of freedom ν_eff"), app.Dd().Text(dofText(x.DoF)),
		),
	)
}

// renderMonteCarlo is the Monte Carlo result: the summary, the histogram
// with the first-order normal curve and both intervals, and the validation.
func renderMonteCarlo(rep *analysis.Report, r *analysisResult) app.UI {
	m := rep.MonteCarlo
	kind := "probabilistically symmetric"
	if m.Shortest {
		kind = "shortest"
	}
	v := rep.Validation
	return app.Div().ID("an-mc").Class("an-part").Body(
		app.H3().Text("Monte Carlo (GUM-S1)"),
		app.Dl().Body(
			app.Dt().Text("Mean"), app.Dd().ID("an-mc-mean").Text(formatFloat(m.Mean)),
			app.Dt().Text("Standard uncertainty u"), app.Dd().ID("an-mc-u").Text(g4(m.U)),
			app.Dt().Text(g4(100*m.P)+" % coverage interval ("+kind+")"), app.Dd().ID("an-mc-interval").Text("["+formatFloat(m.Lo)+", "+formatFloat(m.Hi)+"]"),
			app.Dt().Text("Draws"), app.Dd().ID("an-mc-draws").Text(groupDigits(m.Draws)),
			app.Dt().Text("Seed"), app.Dd().ID("an-mc-seed").Text(strconv.FormatUint(m.Seed, 10)),
			app.If(m.Adaptive, func() app.UI {
				state := "stable"
				if !m.Converged {
					state = "not stable within the draws allowed: raise the draws"
				}
				return app.Div().Class("pairs").Body(app.Dt().Text("Adaptive"),
					app.Dd().Text(strconv.Itoa(m.Rounds)+" rounds, "+state+" to "+strconv.Itoa(m.Digits)+" significant digits of u (δ = "+g2(m.Tolerance)+")"))
			}),
			app.Dt().Text("Time in the worker"), app.Dd().ID("an-mc-time").DataSet("ms", strconv.FormatFloat(r.Millis, 'f', 1, 64)).Text(seconds(r.Millis)),
		),
		app.Figure().Class("chart").Body(
			app.Raw(histogramSVG(m, r.FirstOrder, v)),
			app.FigCaption().Body(histogramLegend(r.FirstOrder != nil, v != nil)),
		),
		app.If(v != nil, func() app.UI { return renderValidation(v) }),
	)
}

// histogramLegend says what the histogram's marks are.
func histogramLegend(curve, firstOrder bool) app.UI {
	return app.Ul().Class("legend").Body(
		app.Li().Body(app.Span().Class("swatch bins").Aria("hidden", "true"), app.Text("Monte Carlo draws per bin")),
		app.Li().Body(app.Span().Class("swatch mc").Aria("hidden", "true"), app.Text("Monte Carlo coverage interval")),
		app.If(curve, func() app.UI {
			return app.Li().Body(app.Span().Class("swatch normal").Aria("hidden", "true"), app.Text("normal curve of the first-order result"))
		}),
		app.If(firstOrder, func() app.UI {
			return app.Li().Body(app.Span().Class("swatch fo").Aria("hidden", "true"), app.Text("first-order coverage interval"))
		}),
	)
}

// renderValidation is GUM-S1 §8's comparison of the two intervals.
func renderValidation(v *analysis.Validation) app.UI {
	detail := "First-order interval [" + formatFloat(v.Lo) + ", " + formatFloat(v.Hi) + "]: its ends differ from the Monte Carlo ones by " +
		g2(v.DLow) + " and " + g2(v.DHigh) + "; the tolerance is δ = " + g2(v.Tolerance) + "."
	if v.Agree {
		return app.Div().ID("an-validation").Class("verdict ok").Body(
			app.P().Body(app.Strong().Text("The first-order result is validated"), app.Text(" by Monte Carlo (GUM-S1 §8). ")),
			app.P().Class("hint").Text(detail),
		)
	}
	return app.Div().ID("an-validation").Class("error disagree").Role("note").Body(
		app.P().Class("msg").Text("The first-order interval differs from the Monte Carlo one by more than the GUM-S1 §8 tolerance (δ = "+
			g2(v.Tolerance)+"): use the Monte Carlo result."),
		app.P().Class("details").Text(detail),
	)
}

// groupDigits writes n with thousands separators: 1,000,000.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

func g2(x float64) string { return fg(x, 2) }
func g3(x float64) string { return fg(x, 3) }
func g4(x float64) string { return fg(x, 4) }

// fg writes x with n significant digits (∞ for infinities).
func fg(x float64, n int) string {
	if math.IsInf(x, 0) {
		return formatFloat(x)
	}
	return strconv.FormatFloat(x, 'g', n, 64)
}

// pct writes a share in percent, 3 significant digits.
func pct(share float64) string { return fg(100*share, 3) + " %" }

// dofText writes degrees of freedom: a number, or ∞.
func dofText(d nu.Float) string {
	if math.IsInf(float64(d), 1) {
		return "∞"
	}
	return fg(float64(d), 4)
}

// seconds writes a time given in milliseconds.
func seconds(ms float64) string {
	if ms < 1000 {
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
}
