package app

import (
	"context"
	"html"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// ExplorerPath is the route of the ledger explorer.
const ExplorerPath = "/explorer"

// Explorer pages through the ledger from the API and re-verifies every entry
// in the browser against the pinned log key (the audit page's pin).
type Explorer struct {
	app.Compo

	keyInput string
	keyErr   string
	pinned   string
	pinnedFP Fingerprint
	loggedIn bool

	pages   pager
	loading bool
	err     string
	data    *ExplorerData

	traceOp  string
	trace    *Trace
	traceErr string

	apiCaller
}

// OnNav sets the title.
func (x *Explorer) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("eBIOS ledger explorer")
}

// OnMount loads the pinned key and, when logged in, the first page.
func (x *Explorer) OnMount(ctx app.Context) {
	var k string
	ctx.GetState(PinnedKeyState, &k)
	if fp, err := KeyFingerprint(k); err == nil {
		x.pinned, x.pinnedFP, x.keyInput = strings.TrimSpace(k), fp, strings.TrimSpace(k)
	}
	x.loggedIn = sessionToken(ctx) != ""
	x.mount(ctx)
	x.load(ctx)
}

func (x *Explorer) onPin(ctx app.Context, e app.Event) {
	preventDefault(e)
	x.pin(ctx, x.keyInput)
}

func (x *Explorer) pin(ctx app.Context, key string) {
	key = strings.TrimSpace(key)
	fp, err := KeyFingerprint(key)
	if err != nil {
		x.keyErr = err.Error()
		return
	}
	x.keyErr = ""
	x.pinned, x.pinnedFP, x.keyInput = key, fp, key
	ctx.SetState(PinnedKeyState, key).Persist()
	x.load(ctx)
}

func (x *Explorer) onUnpin(ctx app.Context, e app.Event) {
	x.pinned, x.pinnedFP, x.data = "", Fingerprint{}, nil
	ctx.DelState(PinnedKeyState)
}

// load fetches and verifies the current page.
func (x *Explorer) load(ctx app.Context) {
	if x.pinned == "" || !x.loggedIn || x.loading {
		return
	}
	x.loading, x.err = true, ""
	key, cursor := x.pinned, x.pages.cursor()
	callAPI(&x.apiCaller, ctx,
		func(c *APIClient, cx context.Context) (*ExplorerData, error) {
			return LoadExplorerPage(cx, c, key, cursor)
		},
		func(_ app.Context, d *ExplorerData, err error) { x.loaded(d, err) })
}

func (x *Explorer) loaded(d *ExplorerData, err error) {
	x.loading = false
	if err != nil {
		x.err = err.Error()
		if Unauthorized(err) {
			x.err += " — log in again."
		}
		return
	}
	x.data = d
}

func (x *Explorer) onNext(ctx app.Context, e app.Event) {
	if x.data == nil || x.data.Next == "" || x.loading {
		return
	}
	x.pages.next(x.data.Next)
	x.load(ctx)
}

func (x *Explorer) onPrev(ctx app.Context, e app.Event) {
	if !x.pages.hasPrev() || x.loading {
		return
	}
	x.pages.prev()
	x.load(ctx)
}

func (x *Explorer) onReload(ctx app.Context, e app.Event) { x.load(ctx) }

// onTrace shows the causal trace of the op id in the link's data-op
// attribute, read when clicked: go-app keeps a link's first handler across
// re-renders (paging), so the handler must not carry the row's op id.
func (x *Explorer) onTrace(ctx app.Context, e app.Event) {
	op := ctx.JSSrc().Get("dataset").Get("op").String()
	preventDefault(e)
	x.traceOp, x.trace, x.traceErr = op, nil, ""
	callAPI(&x.apiCaller, ctx,
		func(c *APIClient, cx context.Context) (*Trace, error) { return c.Trace(cx, op) },
		func(ctx app.Context, t *Trace, err error) {
			if op != x.traceOp {
				return
			}
			if err != nil {
				x.traceErr = err.Error()
				return
			}
			x.trace = t
			ctx.Defer(func(app.Context) { focus("trace") })
		})
}

func (x *Explorer) onCloseTrace(ctx app.Context, e app.Event) {
	x.traceOp, x.trace, x.traceErr = "", nil, ""
}

// Render draws the page.
func (x *Explorer) Render() app.UI {
	return app.Div().Class("page wide").Body(
		app.Header().Class("top").Body(
			logo(),
			app.H1().Text("eBIOS ledger explorer"),
			navBar(ExplorerPath),
		),
		app.Main().ID("main").TabIndex(-1).Body(
			app.P().Class("help").Text("Entries come from the server, which is not trusted: each one is re-verified here, in your browser, against the pinned log key."),
			x.renderKey(),
			app.If(!x.loggedIn, func() app.UI {
				return app.P().ID("need-login").Class("hint").Body(
					app.Text("The ledger API needs a login: "), app.A().Href(Href(LoginPath)).Text("log in"), app.Text("."))
			}),
			x.renderPage(),
			x.renderTrace(),
		),
		app.Footer().Class("foot").Body(
			app.P().Text("An entry is verified when its Ed25519 signature verifies under the pinned key, its prev_hash is the link hash of the entry before it, and its RFC 6962 inclusion proof leads to a checkpoint signed by the pinned key."),
		),
	)
}

func (x *Explorer) renderKey() app.UI {
	if x.pinned != "" {
		return app.Section().Class("pinned").ID("explorer-key").Body(
			app.P().Body(app.Strong().Text("Pinned log key: "), app.Code().Text(x.pinnedFP.Name)),
			app.Dl().Body(
				app.Dt().Text("Key id"), app.Dd().Text(x.pinnedFP.KeyID),
				app.Dt().Text("SHA-256"), app.Dd().Text(x.pinnedFP.SHA256),
			),
			app.Button().Type("button").ID("unpin").Text("Forget pinned key").OnClick(x.onUnpin),
		)
	}
	return app.Section().Class("panel key").Aria("labelledby", "key-h").Body(
		app.H2().ID("key-h").Text("Pin the log's key"),
		app.P().ID("no-key").Class("hint").Text("No key pinned yet: the explorer verifies entries against a key you trust, never one the server sends."),
		app.Form().Aria("label", "Pin the log key").OnSubmit(x.onPin).Body(
			app.Label().For("pinned-key").Text("Log verifier key (name+hash+base64)"),
			app.Textarea().ID("pinned-key").Name("key").Rows(2).
				Placeholder("ebios.example/log+1a2b3c4d+AXx…").
				Spellcheck(false).Attr("autocapitalize", "off").Attr("autocomplete", "off").
				Aria("invalid", strconv.FormatBool(x.keyErr != "")).
				Text(x.keyInput).OnInput(x.ValueTo(&x.keyInput)),
			app.Div().Class("row").Body(app.Button().Type("submit").ID("pin").Class("go").Text("Pin key")),
		),
		app.If(x.keyErr != "", func() app.UI {
			return app.P().Class("error").Role("alert").Text(x.keyErr)
		}),
	)
}

func (x *Explorer) renderPage() app.UI {
	d := x.data
	return app.Section().ID("entries").Class("result").Aria("live", "polite").Aria("busy", strconv.FormatBool(x.loading)).Body(
		app.Div().Class("hist-head").Body(
			app.H2().Text("Entries"),
			app.Div().Class("row").Body(
				app.Button().Type("button").ID("prev").Text("← Previous").Disabled(!x.pages.hasPrev() || x.loading).OnClick(x.onPrev),
				app.Button().Type("button").ID("next").Text("Next →").Disabled(d == nil || d.Next == "" || x.loading).OnClick(x.onNext),
				app.Button().Type("button").ID("reload").Text("Reload").Disabled(x.loading || x.pinned == "" || !x.loggedIn).OnClick(x.onReload),
			),
		),
		app.If(x.loading, func() app.UI { return app.P().Class("hint").Text("Loading and verifying…") }),
		app.If(x.err != "", func() app.UI { return app.P().ID("explorer-error").Class("error").Role("alert").Text(x.err) }),
		app.If(d == nil && !x.loading && x.err == "", func() app.UI {
			return app.P().Class("hint").Text("No entries loaded.")
		}),
		app.If(d != nil, func() app.UI { return x.renderData(d) }),
	)
}

func (x *Explorer) renderData(d *ExplorerData) app.UI {
	v := d.Verify
	var cp app.UI
	if v.CheckpointOK {
		cp = app.P().ID("checkpoint").Class("mark ok").Text("✓ Checkpoint signed by the pinned key: origin " + v.Checkpoint.Origin +
			", tree size " + strconv.FormatInt(v.Checkpoint.Size, 10) + ", root " + v.Checkpoint.Root.String())
	} else {
		cp = app.P().ID("checkpoint").Class("mark bad error").Role("alert").Text("✗ Checkpoint failed: " + v.CheckpointErr)
	}
	summary := strconv.Itoa(v.Verified()) + " of " + strconv.Itoa(len(d.Entries)) + " entries on this page verified"
	return app.Div().Body(
		cp,
		app.P().ID("page-summary").Text(summary),
		app.If(len(d.Entries) > 1, func() app.UI {
			return app.Figure().Class("chart").Body(
				app.FigCaption().Text("Relative uncertainty u/|n| of the entries on this page, by entry index"),
				app.Raw(coverageSVG(d.Entries)),
			)
		}),
		app.Div().Class("table-wrap").Body(
			app.Table().Class("entries").Body(
				app.THead().Body(app.Tr().Body(
					app.Th().Text("#"), app.Th().Text("Mark"), app.Th().Text("Op id"), app.Th().Text("Operation"),
					app.Th().Text("Expression / inputs"), app.Th().Text("Output"), app.Th().Text("Rel. uncertainty").Title("relative uncertainty u/|n| (the signed field coverage)"),
					app.Th().Text("Time (UTC)"), app.Th().Text("Guard"),
				)),
				app.TBody().Body(app.Range(d.Entries).Slice(func(i int) app.UI {
					return x.renderEntry(d.Entries[i], v.Marks[i])
				})),
			),
		),
	)
}

func (x *Explorer) renderEntry(e *ledger.Entry, m Mark) app.UI {
	var mark app.UI
	if m.OK {
		mark = app.Span().Class("mark ok").Text("✓ verified")
	} else {
		mark = app.Span().Class("mark bad").Title(m.Reason).Body(
			app.Strong().Text("✗ failed"), app.Br(), app.Small().Text(m.Check+": "+m.Reason))
	}
	return app.Tr().ID("entry-"+u64(e.Index)).Class(map[bool]string{true: "ok", false: "bad"}[m.OK]).Body(
		app.Td().Text(u64(e.Index)),
		app.Td().Body(mark),
		app.Td().Body(app.A().Href("#trace").Class("op").DataSet("op", e.OpID).Text(e.OpID).OnClick(x.onTrace)),
		app.Td().Text(e.Operation),
		app.Td().Class("num").Text(entryInputs(e)),
		app.Td().Class("num").Text(entryOutput(e)),
		app.Td().Class("num").Text(formatCoverage(float64(e.Coverage), e.Output)),
		timeCell(entryTime(e)),
		app.Td().Text(entryGuard(e)),
	)
}

func entryInputs(e *ledger.Entry) string {
	if e.Expression != "" {
		return e.Expression
	}
	m := entryMode(e)
	var s []string
	for _, v := range e.Inputs {
		s = append(s, display(v, m))
	}
	return strings.Join(s, ", ")
}

func entryOutput(e *ledger.Entry) string {
	if e.Output == nil {
		return "—"
	}
	return display(*e.Output, entryMode(e))
}

// entryMode is the mode an entry was computed in, for display: its values
// are rounded outward in interval mode. An unknown mode is shown as interval,
// whose rounding is safe for both.
func entryMode(e *ledger.Entry) nu.Mode {
	if m, err := nu.ParseMode(e.Mode); err == nil {
		return m
	}
	return nu.ModeInterval
}

func entryTime(e *ledger.Entry) string {
	return time.Unix(0, e.Timestamp).UTC().Format("2006-01-02 15:04:05.000")
}

func entryGuard(e *ledger.Entry) string {
	var s []string
	for _, g := range e.Guard {
		t := string(g.Level) + " " + g.Rule
		if g.Message != "" {
			t += ": " + g.Message
		}
		s = append(s, t)
	}
	if len(s) == 0 {
		return "—"
	}
	return strings.Join(s, "; ")
}

func (x *Explorer) renderTrace() app.UI {
	if x.traceOp == "" {
		return app.Text("")
	}
	body := []app.UI{
		app.Div().Class("hist-head").Body(
			app.H2().Text("Causal trace of "+x.traceOp),
			app.Button().Type("button").ID("close-trace").Text("Close").OnClick(x.onCloseTrace),
		),
	}
	switch {
	case x.traceErr != "":
		body = append(body, app.P().Class("error").Role("alert").Text(x.traceErr))
	case x.trace == nil:
		body = append(body, app.P().Class("hint").Text("Loading…"))
	default:
		t := x.trace
		list := func(title string, es []*ledger.Entry) app.UI {
			if len(es) == 0 {
				return app.P().Class("hint").Text(title + ": none")
			}
			return app.Div().Body(
				app.H3().Text(title),
				app.Ol().Body(app.Range(es).Slice(func(i int) app.UI { return x.traceItem(es[i]) })),
			)
		}
		body = append(body,
			app.H3().Text("Operation"), app.Ul().Body(x.traceItem(t.Entry)),
			list("Ancestors (nearest first)", t.Ancestors),
			list("Children", t.Children),
		)
	}
	return app.Section().ID("trace").Class("result trace").TabIndex(-1).Aria("live", "polite").Body(body...)
}

// traceItem draws one entry of a trace, with its signature checked against
// the pinned key (the trace does not come with proofs).
func (x *Explorer) traceItem(e *ledger.Entry) app.UI {
	if e == nil {
		return app.Li().Text("—")
	}
	sig := "signature ✓"
	cls := "mark ok"
	if v, err := ledger.ParseVerifierKey(x.pinned); err != nil {
		sig, cls = "no pinned key", "mark"
	} else if err := e.Verify(v.Name(), v); err != nil {
		sig, cls = "signature ✗ "+err.Error(), "mark bad"
	}
	return app.Li().Body(
		app.A().Href("#trace").Class("op").DataSet("op", e.OpID).Text(e.OpID).OnClick(x.onTrace),
		app.Text(" #"+u64(e.Index)+" "+e.Operation+" → "+entryOutput(e)+" "),
		app.Span().Class(cls).Text(sig),
	)
}

// timeCell is a table cell with a date and time ("2026-12-07
// 08:43:39.359"), which may wrap between the two but never inside either.
func timeCell(s string) app.UI {
	date, clock, ok := strings.Cut(s, " ")
	if !ok {
		return app.Td().Class("num").Body(app.Span().Class("nw").Text(s))
	}
	return app.Td().Class("num").Body(app.Span().Class("nw").Text(date), app.Text(" "), app.Span().Class("nw").Text(clock))
}

// coverageSVG plots the relative uncertainty (u/|n|, in %; the field
// coverage) of entries against their index; infinite ones are drawn at the
// top as crosses.
func coverageSVG(es []*ledger.Entry) string {
	const w, h, l, r, t, b = 600.0, 160.0, 56.0, 12.0, 10.0, 24.0
	maxC := 0.0
	for _, e := range es {
		if c := float64(e.Coverage); !math.IsInf(c, 0) && c > maxC {
			maxC = c
		}
	}
	if maxC == 0 {
		maxC = 1e-9
	}
	lo, hi := float64(es[0].Index), float64(es[len(es)-1].Index)
	if hi == lo {
		hi = lo + 1
	}
	px := func(i uint64) float64 { return l + (float64(i)-lo)/(hi-lo)*(w-l-r) }
	py := func(c float64) float64 { return h - b - c/maxC*(h-t-b) }
	var sb strings.Builder
	sb.WriteString(`<svg class="coverage" viewBox="0 0 600 160" role="img" aria-label="Relative uncertainty of the entries on this page, by index">`)
	sb.WriteString(`<title>Relative uncertainty u/|n| by entry index</title>`)
	sb.WriteString(`<line class="axis" x1="56" y1="136" x2="588" y2="136"/><line class="axis" x1="56" y1="10" x2="56" y2="136"/>`)
	sb.WriteString(`<text class="tick" x="52" y="14" text-anchor="end">` + html.EscapeString(formatCoverage(maxC, nil)) + `</text>`)
	sb.WriteString(`<text class="tick" x="52" y="136" text-anchor="end">0</text>`)
	sb.WriteString(`<text class="tick" x="56" y="154">#` + u64(es[0].Index) + `</text>`)
	sb.WriteString(`<text class="tick" x="588" y="154" text-anchor="end">#` + u64(es[len(es)-1].Index) + `</text>`)
	sb.WriteString(`<text class="name" x="322" y="154" text-anchor="middle">entry index</text>`)
	sb.WriteString(`<text class="name" x="14" y="73" text-anchor="middle" transform="rotate(-90 14 73)">u/|n|</text>`)
	var pts []string
	for _, e := range es {
		c := float64(e.Coverage)
		x := px(e.Index)
		if math.IsInf(c, 0) {
			sb.WriteString(`<text class="inf" x="` + ff(x) + `" y="` + ff(t+8) + `" text-anchor="middle">×</text>`)
			continue
		}
		pts = append(pts, ff(x)+","+ff(py(c)))
	}
	if len(pts) > 0 {
		sb.WriteString(`<polyline class="line" points="` + strings.Join(pts, " ") + `"/>`)
	}
	sb.WriteString(`</svg>`)
	return sb.String()
}
