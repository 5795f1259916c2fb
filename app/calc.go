package app

import (
	"context"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/ebios/ebios/core/expr"
	"github.com/ebios/ebios/core/nu"
)

// HistoryKey is the go-app state (persisted in local storage) that holds the
// calculator history.
const HistoryKey = "ebios.calc.history"

// MaxHistory is how many computations the history keeps, newest first.
const MaxHistory = 20

// maxDrawnInputs bounds how many input literals the picture shows.
const maxDrawnInputs = 8

// HistoryItem is one computation of the calculator history.
type HistoryItem struct {
	Expr   string `json:"expr"`
	Mode   string `json:"mode"`
	Result string `json:"result,omitempty"` // n ± u, 2 significant digits (rounded outward in interval mode)
	Full   string `json:"full,omitempty"`   // n ± u, full precision
	Code   string `json:"code,omitempty"`   // error code when the expression failed
}

// Outcome is what the last computation produced: a value or an error.
type Outcome struct {
	Expr   string
	Mode   nu.Mode
	Value  nu.Value
	Inputs []nu.Value
	Err    *nu.Error
}

// OK reports whether the computation produced a value.
func (o *Outcome) OK() bool { return o != nil && o.Err == nil }

// Calculator is the offline calculator page. Expr and Mode are optional
// initial values set by a parent ("" and "nu" by default); when Expr changes
// the calculator computes it. A page URL "?e=EXPR&mode=interval" does the
// same, so a computation can be linked to.
type Calculator struct {
	app.Compo

	Expr string
	Mode string

	input   string
	mode    nu.Mode
	out     *Outcome
	history []HistoryItem
	copied  string // what the last copy did

	functionsShown bool // the list of functions was opened once (renderFunctions)

	// Recording the result on the server (logged in only).
	apiCaller
	server  bool      // a server is there to log in to (not a static build without an API)
	session bool      // logged in
	rec     *Recorded // the server's answer for out
	recErr  string
	recBusy bool

	// The Analysis panel (budget, expanded uncertainty, Monte Carlo in a
	// Web Worker): analysis.go.
	ana analysisPanel
}

// Compute evaluates src in mode m with core/expr. It never fails: a bad
// expression gives an Outcome whose Err is set.
func Compute(src string, m nu.Mode) *Outcome {
	o := &Outcome{Expr: src, Mode: m}
	if strings.TrimSpace(src) == "" {
		o.Err = &nu.Error{Code: nu.CodeSyntax, Category: nu.CategorySyntax,
			Message: "empty expression", Remediation: "type an expression such as (10 ± 0.5) * (20 ± 1)"}
		return o
	}
	e, err := expr.Parse(src)
	if err == nil {
		o.Inputs = e.Inputs()
		o.Value, err = e.Eval(m)
	}
	if err != nil {
		o.Err = asNUError(err)
		o.Value = nu.Value{}
	}
	return o
}

func asNUError(err error) *nu.Error {
	if ne, ok := err.(*nu.Error); ok {
		return ne
	}
	return &nu.Error{Code: "EBIOS_APP", Category: nu.CategoryOperation, Message: err.Error()}
}

// historyItem is the history record of an outcome.
func (o *Outcome) historyItem() HistoryItem {
	h := HistoryItem{Expr: o.Expr, Mode: o.Mode.String()}
	if o.Err != nil {
		h.Code = o.Err.Code
	} else {
		h.Result = o.Value.FormatIn(o.Mode, 2)
		h.Full = o.Value.FormatFull()
	}
	return h
}

// compute evaluates the current input and mode and shows the outcome. It
// returns the history record of the computation.
func (c *Calculator) compute() HistoryItem {
	c.out = Compute(c.input, c.mode)
	c.rec, c.recErr = nil, ""
	return c.out.historyItem()
}

// run computes and records the computation in the persisted history.
func (c *Calculator) run(ctx app.Context) {
	if strings.TrimSpace(c.input) == "" {
		c.out = Compute(c.input, c.mode)
		return
	}
	c.remember(ctx, c.compute())
	c.copied = ""
	if app.IsClient { // the address is the share link of what is shown
		if u := ctx.Page().URL(); u != nil {
			v := *u
			v.RawQuery = shareQuery(c.input, c.mode)
			ctx.Page().ReplaceURL(&v)
		}
	}
}

// shareQuery is the query of the link to a computation: ?e=EXPR, and
// &mode=M unless M is the default.
func shareQuery(src string, m nu.Mode) string {
	q := url.Values{"e": {src}}
	if m != nu.ModeNU {
		q.Set("mode", m.String())
	}
	return q.Encode()
}

// onCopy copies the shown result, or the link to it, to the clipboard.
func (c *Calculator) onCopy(what string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if !c.out.OK() {
			return
		}
		text := c.out.Value.FormatIn(c.out.Mode, 2)
		if what == "link" {
			u := *ctx.Page().URL()
			u.RawQuery = shareQuery(c.out.Expr, c.out.Mode)
			text = u.String()
		}
		clip := app.Window().Get("navigator").Get("clipboard")
		if !clip.Truthy() { // only secure contexts (https, localhost) have it
			c.copied = "The browser does not allow copying here: select the text instead."
			return
		}
		c.copied = ""
		msg := "Copied " + text + "."
		if what == "link" {
			msg = "Link copied."
		}
		clip.Call("writeText", text).Then(func(app.Value) {
			ctx.Dispatch(func(app.Context) { c.copied = msg })
		})
	}
}

func (c *Calculator) remember(ctx app.Context, h HistoryItem) {
	hist := make([]HistoryItem, 0, MaxHistory)
	hist = append(hist, h)
	for _, x := range c.history {
		if len(hist) == MaxHistory {
			break
		}
		if x.Expr == h.Expr && x.Mode == h.Mode {
			continue // the newest copy moves to the top
		}
		hist = append(hist, x)
	}
	c.history = hist
	ctx.SetState(HistoryKey, hist).Persist()
}

// OnInit sets the initial input from the exported fields.
func (c *Calculator) OnInit() {
	c.mode, _ = nu.ParseMode(c.Mode)
	if c.Expr != "" {
		c.input = c.Expr
		c.compute()
	}
}

// OnMount loads the persisted history and looks for a session (browser
// only).
func (c *Calculator) OnMount(ctx app.Context) {
	c.mount(ctx)
	c.loadHistory(ctx)
	if c.ana.seed == "" {
		c.ana.seed = randomSeed()
	}
	c.server = !Serverless()
	c.session = c.server && sessionToken(ctx) != ""
}

// onRecord has the server compute the expression and log it, which puts the
// result through the server's policy; its guard events are shown.
func (c *Calculator) onRecord(ctx app.Context, e app.Event) {
	if !c.out.OK() || c.recBusy {
		return
	}
	out := c.out
	c.recBusy, c.rec, c.recErr = true, nil, ""
	callAPI(&c.apiCaller, ctx, func(a *APIClient, cx context.Context) (*Recorded, error) {
		return a.Execute(cx, out.Expr, out.Mode)
	}, func(ctx app.Context, r *Recorded, err error) {
		c.recBusy = false
		if c.out != out {
			return // computed again meanwhile
		}
		if err != nil {
			c.recErr = err.Error()
			return
		}
		c.rec = r
	})
}

func (c *Calculator) loadHistory(ctx app.Context) {
	var hist []HistoryItem
	ctx.GetState(HistoryKey, &hist)
	if len(hist) > MaxHistory {
		hist = hist[:MaxHistory]
	}
	c.history = hist
}

// OnNav computes the expression of a "?e=...&mode=..." URL, on the server
// (prerendered result) and in the browser, where it is also recorded in the
// history.
func (c *Calculator) OnNav(ctx app.Context) {
	u := ctx.Page().URL()
	if u == nil {
		return
	}
	q := u.Query()
	if m, err := nu.ParseMode(q.Get("mode")); err == nil && q.Has("mode") {
		c.mode = m
	}
	if e := q.Get("e"); e != "" && len(e) <= expr.MaxLen {
		c.input = e
		if app.IsClient {
			c.loadHistory(ctx) // OnNav runs before OnMount
			c.run(ctx)         // in the browser it goes into the history
		} else {
			c.compute()
		}
	}
}

// OnUpdate computes a new Expr or Mode given by a parent.
func (c *Calculator) OnUpdate(ctx app.Context) {
	if m, err := nu.ParseMode(c.Mode); err == nil {
		c.mode = m
	}
	if c.Expr != "" {
		c.input = c.Expr
		c.loadHistory(ctx)
		c.run(ctx)
	}
}

func (c *Calculator) onSubmit(ctx app.Context, e app.Event) {
	preventDefault(e)
	c.run(ctx)
}

func (c *Calculator) onMode(ctx app.Context, e app.Event) {
	m, err := nu.ParseMode(ctx.JSSrc().Get("value").String())
	if err != nil || m == c.mode {
		return
	}
	c.mode = m
	if strings.TrimSpace(c.input) != "" && c.out != nil {
		c.run(ctx)
	}
}

func (c *Calculator) onPlusMinus(ctx app.Context, e app.Event) {
	c.input = strings.TrimRight(c.input, " ") + " ± "
	ctx.Defer(func(app.Context) { focus("expr") })
}

func (c *Calculator) onRecall(h HistoryItem) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		c.input = h.Expr
		c.mode, _ = nu.ParseMode(h.Mode)
		c.run(ctx)
	}
}

func (c *Calculator) onClearHistory(ctx app.Context, e app.Event) {
	c.history = nil
	ctx.DelState(HistoryKey)
}

func preventDefault(e app.Event) {
	if e.Value != nil && app.IsClient {
		e.PreventDefault()
	}
}

func focus(id string) {
	if !app.IsClient {
		return
	}
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Call("focus")
	}
}

// Render draws the page.
func (c *Calculator) Render() app.UI {
	return app.Div().Class("page").Body(
		app.Header().Class("top").Body(
			logo(),
			app.H1().Text("eBIOS calculator"),
			navBar("/"),
		),
		app.Main().ID("main").TabIndex(-1).Body(
			c.renderForm(),
			c.renderResult(),
			c.renderAnalysis(),
			c.renderRecord(),
			c.renderHistory(),
		),
		app.Footer().Class("foot").Body(
			app.P().Text("Computed in your browser; works offline. nu mode propagates standard uncertainties of independent inputs in quadrature; "+
				"interval mode is rigorous interval arithmetic; gum mode is first-order propagation with correlations, as the GUM describes it."),
		),
	)
}

func (c *Calculator) renderForm() app.UI {
	return app.Form().Class("calc").Aria("label", "Calculator").OnSubmit(c.onSubmit).Body(
		app.Label().For("expr").Text("Expression"),
		app.Div().Class("row").Body(
			app.Input().ID("expr").Name("e").Type("text").
				Value(c.input).
				Placeholder("(10 ± 0.5) * (20 ± 1)").
				AutoComplete(false).Spellcheck(false).AutoFocus(true).
				Attr("autocapitalize", "off").Attr("enterkeyhint", "go").
				Aria("describedby", "expr-help").
				Aria("invalid", strconv.FormatBool(c.out != nil && c.out.Err != nil)).
				OnInput(c.ValueTo(&c.input)),
			app.Button().Type("button").Class("pm").Title("Insert ±").
				Aria("label", "Insert plus-minus sign").
				Text("±").OnClick(c.onPlusMinus),
			app.Button().Type("submit").Class("go").Text("Compute"),
		),
		app.P().ID("expr-help").Class("help").Text(
			"Write ± as +- or +/- if you like (5 + -0.1, with a space, adds a negative number), 5 ± 2% for a relative uncertainty, "+
				"x^2 for a power. Variables and correlations come first: x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = 0.5; x*y. Press Enter to compute."),
		app.FieldSet().Class("mode").Body(
			app.Legend().Text("Mode"),
			c.modeRadio(nu.ModeNU, "nu (quadrature)"),
			c.modeRadio(nu.ModeInterval, "interval (rigorous)"),
			c.modeRadio(nu.ModeGUM, "gum (first order, correlations)"),
		),
		c.renderFunctions(),
	)
}

// renderFunctions is the list of functions and constants, with short help,
// in a closed <details>. The server's prerendered page holds the list; the
// app fills it in when the details are first opened, so that its first
// render (about half of the page's elements are the list's) is shorter.
func (c *Calculator) renderFunctions() app.UI {
	var list app.UI
	if c.functionsShown || app.IsServer {
		list = app.Dl().Body(app.Range(expr.Functions).Slice(func(i int) app.UI {
			f := expr.Functions[i]
			return app.Div().Body(app.Dt().Body(app.Code().Text(f.Name+f.Args)), app.Dd().Text(f.Help))
		}))
	}
	return app.Details().ID("functions").Class("functions").OnToggle(c.onFunctionsToggle).Body(
		app.Summary().Text("Functions and constants"),
		list,
	)
}

// onFunctionsToggle renders the list of functions once the details open.
func (c *Calculator) onFunctionsToggle(ctx app.Context, _ app.Event) {
	if ctx.JSSrc().Get("open").Bool() {
		c.functionsShown = true
	}
}

func (c *Calculator) modeRadio(m nu.Mode, label string) app.UI {
	id := "mode-" + m.String()
	in := app.Input().Type("radio").ID(id).Name("mode").Value(m.String()).OnChange(c.onMode)
	if c.mode == m {
		// Only the checked one carries the attribute: go-app writes a false
		// boolean as checked="false", which the prerendered HTML would read
		// as checked.
		in = in.Checked(true)
	}
	return app.Label().For(id).Class("radio").Body(in, app.Span().Text(label))
}

func (c *Calculator) renderResult() app.UI {
	o := c.out
	var body app.UI
	switch {
	case o == nil:
		body = app.P().Class("hint").Text("Type an expression and press Enter.")
	case o.Err != nil:
		body = renderError(o)
	default:
		body = app.Div().Body(
			renderValue(o),
			app.Div().Class("actions").Body(
				app.Button().ID("copy").Type("button").Text("Copy result").OnClick(c.onCopy("result")),
				app.Button().ID("copy-link").Type("button").Text("Copy link").OnClick(c.onCopy("link")),
				app.A().ID("share").Href(Href("/")+"?"+shareQuery(o.Expr, o.Mode)).Text("Link to this computation"),
				app.Span().ID("copied").Class("hint").Text(c.copied),
			),
		)
	}
	return app.Section().ID("result").Class("result").
		Aria("live", "polite").Aria("labelledby", "result-h").Body(
		app.H2().ID("result-h").Text("Result"),
		body,
	)
}

func renderError(o *Outcome) app.UI {
	e := o.Err
	return app.Div().Class("error").Role("alert").Body(
		app.P().Class("msg").Text(e.Message),
		app.P().Class("code").Body(
			app.Strong().Text(e.Code),
			app.Text(" "),
			app.Span().Class("cat").Text(string(e.Category)),
		),
		app.If(e.Column > 0, func() app.UI {
			return app.Div().Class("where").Body(
				app.P().Text("at column "+strconv.Itoa(e.Column)),
				app.Pre().Aria("hidden", "true").Text(o.Expr+"\n"+caret(e.Column)),
			)
		}),
		app.If(e.Details != "", func() app.UI {
			return app.P().Class("details").Text(e.Details)
		}),
		app.If(e.Remediation != "", func() app.UI {
			return app.P().Class("fix").Body(app.Strong().Text("Fix: "), app.Text(e.Remediation))
		}),
	)
}

func caret(col int) string {
	if col < 1 {
		col = 1
	}
	return strings.Repeat(" ", col-1) + "^"
}

func renderValue(o *Outcome) app.UI {
	v := o.Value
	return app.Div().Class("value").Body(
		app.P().Class("big").Body(app.Output().For("expr").Text(display(v, o.Mode))),
		app.Dl().Body(
			app.Dt().Text("Full precision"), app.Dd().Class("full").Text(v.FormatFull()),
			app.Dt().Text("Relative uncertainty u/|n|"), app.Dd().Class("coverage").Text(formatCoverage(v.RelativeUncertainty(), &v)),
			app.Dt().Text("Interval [n−u, n+u]"), app.Dd().Class("interval").Text(formatInterval(v, o.Mode)),
			app.Dt().Text("Mode"), app.Dd().Text(o.Mode.String()),
		),
		app.Raw(intervalSVG(o)),
	)
}

// display writes a result for reading: u to two significant digits, n
// rounded to match (outward in interval mode), and scientific notation
// typeset, as (1.230 ± 0.020)×10⁻⁴. Copies and the history keep the ASCII
// form, which the calculator reads back.
func display(v nu.Value, m nu.Mode) string {
	return v.FormatStyle(m, nu.Style{Unicode: true})
}

// formatCoverage writes a relative uncertainty u/|n| (the ledger's field
// "coverage") in percent. v, when known, is the value it belongs to and
// says why it is infinite.
func formatCoverage(c float64, v *nu.Value) string {
	switch {
	case math.IsInf(c, 1) && v != nil && math.IsInf(v.U(), 1):
		return "∞ (u = ∞)"
	case math.IsInf(c, 1) && v != nil && v.N() == 0:
		return "∞ (n = 0)"
	case math.IsInf(c, 1):
		return "∞"
	case c == 0:
		return "0 (exact)"
	}
	return strconv.FormatFloat(c*100, 'g', 3, 64) + " %"
}

// formatInterval writes [n−u, n+u] with 6 significant digits: rounded
// outward in interval mode, so that the shown interval contains the computed
// one, and to nearest in nu mode.
func formatInterval(v nu.Value, m nu.Mode) string {
	if m == nu.ModeInterval && !math.IsInf(v.U(), 1) {
		lo, hi := v.FormatBounds(6)
		return "[" + lo + ", " + hi + "]"
	}
	return "[" + formatFloat(v.Lo()) + ", " + formatFloat(v.Hi()) + "]"
}

func formatFloat(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "+∞"
	case math.IsInf(x, -1):
		return "−∞"
	}
	return strconv.FormatFloat(x, 'g', 6, 64)
}

// renderRecord offers to log the result on the server, and shows what the
// server answered: the entry and the guard events of its policy.
func (c *Calculator) renderRecord() app.UI {
	if !c.out.OK() || !c.server {
		return nil
	}
	if !c.session {
		return app.P().ID("record-login").Class("hint").Body(
			app.A().Href(Href(LoginPath+"?next=/")).Text("Log in"),
			app.Text(" to record results in the server's signed ledger, where its policy checks them."))
	}
	r, label := c.rec, "Record on the server"
	if c.recBusy {
		label = "Recording…"
	}
	return app.Section().ID("record").Class("record").Aria("live", "polite").Aria("labelledby", "record-h").Body(
		app.H2().ID("record-h").Text("On the server"),
		app.P().Class("help").Text("The server computes the expression again, checks the result against its policy and logs both in its signed ledger."),
		app.Button().ID("record-go").Type("button").Disabled(c.recBusy).OnClick(c.onRecord).Text(label),
		app.If(c.recErr != "", func() app.UI {
			return app.P().ID("record-error").Class("error").Role("alert").Text(c.recErr)
		}),
		app.If(r != nil, func() app.UI { return renderRecorded(r) }),
	)
}

func renderRecorded(r *Recorded) app.UI {
	logged := "Logged as entry " + u64(r.Entry.Index) + ", op id " + r.Entry.OpID + "."
	return app.Div().ID("recorded").Body(
		app.If(r.Halted != nil, func() app.UI {
			return app.Div().ID("record-halted").Class("error").Role("alert").Body(
				app.P().Class("msg").Text("The server's policy refused the result. "+logged),
				app.P().Class("code").Body(app.Strong().Text(r.Halted.Code)),
			)
		}).Else(func() app.UI {
			return app.P().ID("record-ok").Body(
				app.Text("The server computed "), app.Strong().Text(display(r.Result, r.Mode)), app.Text(". "+logged))
		}),
		app.If(len(r.Guard) == 0, func() app.UI {
			return app.P().ID("record-no-events").Class("hint").Text("The server's policy raised no guard events.")
		}).Else(func() app.UI {
			return app.Div().Class("table-wrap").Body(app.Table().ID("record-events").Class("entries guard").Body(
				app.Caption().Text("Guard events the server's policy raised"),
				app.THead().Body(app.Tr().Body(
					app.Th().Text("Level"), app.Th().Text("Rule"), app.Th().Text("Message"),
					app.Th().Text("Value"), app.Th().Text("Threshold"),
				)),
				app.TBody().Body(app.Range(r.Guard).Slice(func(i int) app.UI {
					ev := r.Guard[i]
					return app.Tr().Class("level-"+string(ev.Level)).Body(
						app.Td().Body(app.Span().Class("level "+string(ev.Level)).Text(string(ev.Level))),
						app.Td().Text(ev.Rule),
						app.Td().Text(orDash(ev.Message)),
						app.Td().Class("num").Text(formatFloat(float64(ev.Value))),
						app.Td().Class("num").Text(formatFloat(float64(ev.Threshold))),
					)
				})),
			))
		}),
	)
}

func (c *Calculator) renderHistory() app.UI {
	return app.Section().Class("history").Aria("labelledby", "hist-h").Body(
		app.Div().Class("hist-head").Body(
			app.H2().ID("hist-h").Text("History"),
			app.If(len(c.history) > 0, func() app.UI {
				return app.Button().Type("button").Class("clear").Text("Clear").OnClick(c.onClearHistory)
			}),
		),
		app.If(len(c.history) == 0, func() app.UI {
			return app.P().Class("hint").Text("No computations yet. They are kept in this browser only.")
		}).Else(func() app.UI {
			return app.Ol().Body(
				app.Range(c.history).Slice(func(i int) app.UI {
					h := c.history[i]
					res := h.Result
					if h.Code != "" {
						res = h.Code
					}
					return app.Li().Body(
						// The accessible name is the visible text, then what a press does.
						app.Button().Type("button").Class("recall").
							Title("Compute again").
							OnClick(c.onRecall(h)).Body(
							app.Code().Text(h.Expr),
							app.Span().Class("arrow").Text(" → "),
							app.Span().Class(resultClass(h)).Text(res),
							app.Span().Class("tag").Text(h.Mode),
							app.Span().Class("sr-only").Text(" (compute again)"),
						),
					)
				}),
			)
		}),
	)
}

func resultClass(h HistoryItem) string {
	if h.Code != "" {
		return "res bad"
	}
	return "res"
}
