package app

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/ebios/ebios/core/ledger"
)

// PoliciesPath is the route of the policies and guard events page.
const PoliciesPath = "/policies"

// GuardPageSize is the number of ledger entries per page of guard events.
const GuardPageSize = 50

// guardLevels are the guard levels, least to most severe.
var guardLevels = []ledger.Level{ledger.LevelInfo, ledger.LevelWarning, ledger.LevelError, ledger.LevelCritical}

// PoliciesPage shows the policy in force, the stored policies and the guard
// events recorded in the ledger, filtered by minimum level and rule.
type PoliciesPage struct {
	app.Compo

	apiCaller
	loggedIn bool

	polLoading bool
	polErr     string
	pols       *PolicyList

	levelInput string // the filter form
	ruleInput  string
	filter     GuardFilter // the filter applied (Level, Rule)

	pages     pager // the guard event pages
	evLoading bool
	evErr     string
	events    *GuardEventsPage
	evSeq     int // drops the answers of superseded loads
}

// OnNav sets the title.
func (p *PoliciesPage) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("eBIOS policies and guard events")
}

// OnMount loads the policies and the first page of events.
func (p *PoliciesPage) OnMount(ctx app.Context) {
	p.loggedIn = p.api != nil || sessionToken(ctx) != ""
	p.mount(ctx)
	p.loadPolicies(ctx)
	p.loadEvents(ctx)
}

func (p *PoliciesPage) loadPolicies(ctx app.Context) {
	if !p.loggedIn || p.polLoading {
		return
	}
	p.polLoading, p.polErr = true, ""
	callAPI(&p.apiCaller, ctx, (*APIClient).Policies,
		func(_ app.Context, l *PolicyList, err error) { p.policiesLoaded(l, err) })
}

func (p *PoliciesPage) policiesLoaded(l *PolicyList, err error) {
	p.polLoading = false
	if err != nil {
		p.polErr = apiErrText(err)
		return
	}
	p.pols = l
}

func (p *PoliciesPage) loadEvents(ctx app.Context) {
	if !p.loggedIn {
		return
	}
	p.evSeq++
	p.evLoading, p.evErr = true, ""
	seq := p.evSeq
	f := GuardFilter{Level: p.filter.Level, Rule: p.filter.Rule, Limit: GuardPageSize, Cursor: p.pages.cursor()}
	callAPI(&p.apiCaller, ctx,
		func(c *APIClient, cx context.Context) (*GuardEventsPage, error) { return c.GuardEvents(cx, f) },
		func(_ app.Context, pg *GuardEventsPage, err error) {
			if seq == p.evSeq {
				p.eventsLoaded(pg, err)
			}
		})
}

func (p *PoliciesPage) eventsLoaded(pg *GuardEventsPage, err error) {
	p.evLoading = false
	if err != nil {
		p.evErr = apiErrText(err)
		return
	}
	p.events = pg
}

// apiErrText is the message shown for a failed API call.
func apiErrText(err error) string {
	s := err.Error()
	if Unauthorized(err) {
		s += " — log in again."
	}
	return s
}

func (p *PoliciesPage) onFilter(ctx app.Context, e app.Event) {
	preventDefault(e)
	p.applyFilter(ctx, p.levelInput, p.ruleInput)
}

// applyFilter shows the first page of the events at or above level and of
// rule ("" for any).
func (p *PoliciesPage) applyFilter(ctx app.Context, level, rule string) {
	if !ledger.Level(level).Valid() {
		level = "" // "any" (an option without a value sends its text)
	}
	p.levelInput, p.ruleInput = level, strings.TrimSpace(rule)
	p.filter = GuardFilter{Level: p.levelInput, Rule: p.ruleInput}
	p.pages.first()
	p.loadEvents(ctx)
}

func (p *PoliciesPage) onClear(ctx app.Context, e app.Event) { p.applyFilter(ctx, "", "") }

func (p *PoliciesPage) onNext(ctx app.Context, e app.Event) {
	if p.events == nil || p.events.Next == "" || p.evLoading {
		return
	}
	p.pages.next(p.events.Next)
	p.loadEvents(ctx)
}

func (p *PoliciesPage) onPrev(ctx app.Context, e app.Event) {
	if !p.pages.hasPrev() || p.evLoading {
		return
	}
	p.pages.prev()
	p.loadEvents(ctx)
}

func (p *PoliciesPage) onReload(ctx app.Context, e app.Event) {
	p.loadPolicies(ctx)
	p.loadEvents(ctx)
}

// Render draws the page.
func (p *PoliciesPage) Render() app.UI {
	return app.Div().Class("page wide").Body(
		app.Header().Class("top").Body(
			logo(),
			app.H1().Text("eBIOS policies and guard events"),
			navBar(PoliciesPath),
		),
		app.Main().ID("main").TabIndex(-1).Body(
			app.If(!p.loggedIn, func() app.UI {
				return app.P().ID("need-login").Class("hint").Body(
					app.Text("Policies and guard events need a login: "), app.A().Href(Href(LoginPath)).Text("log in"), app.Text("."))
			}),
			p.renderPolicies(),
			p.renderEvents(),
		),
	)
}

func (p *PoliciesPage) renderPolicies() app.UI {
	l := p.pols
	return app.Section().ID("policies").Class("result").Aria("live", "polite").Aria("busy", strconv.FormatBool(p.polLoading)).Body(
		app.Div().Class("hist-head").Body(
			app.H2().Text("Policies"),
			app.Button().Type("button").ID("reload").Text("Reload").Disabled(!p.loggedIn || p.polLoading).OnClick(p.onReload),
		),
		app.If(p.polLoading, func() app.UI { return app.P().Class("hint").Text("Loading…") }),
		app.If(p.polErr != "", func() app.UI { return app.P().ID("policies-error").Class("error").Role("alert").Text(p.polErr) }),
		app.If(l != nil, func() app.UI {
			var active app.UI
			if l.Active == nil {
				active = app.P().ID("no-active").Class("hint").Text("No policy in force: operations are not guarded.")
			} else {
				a := l.Active
				active = app.Div().ID("active-policy").Class("pinned").Body(
					app.P().Body(app.Strong().Text("In force: "), app.Text(a.Name+" "+a.Version)),
					app.If(a.Description != "", func() app.UI { return app.P().Class("hint").Text(a.Description) }),
					app.Dl().Body(
						app.Dt().Text("Hash"), app.Dd().Text(a.Hash),
						app.Dt().Text("Key id"), app.Dd().Text(policyKeyID(a.PublicKey)),
						app.Dt().Text("Rules"), app.Dd().Text(strconv.Itoa(a.Rules)),
						app.Dt().Text("Halt on critical"), app.Dd().Text(yesNo(a.HaltOnCritical)),
					),
				)
			}
			var stored app.UI
			if len(l.Policies) == 0 {
				stored = app.P().ID("no-policies").Class("hint").Text("No policies stored.")
			} else {
				stored = app.Div().Class("table-wrap").Body(app.Table().ID("policy-table").Class("entries").Body(
					app.Caption().Text("Stored policies"),
					app.THead().Body(app.Tr().Body(
						app.Th().Text("Name"), app.Th().Text("Version"), app.Th().Text("Hash"), app.Th().Text("Key id"),
						app.Th().Text("Rules"), app.Th().Text("Halt on critical"), app.Th().Text("In force"),
					)),
					app.TBody().Body(app.Range(l.Policies).Slice(func(i int) app.UI {
						q := l.Policies[i]
						return app.Tr().ID("policy-"+q.Hash).Class(map[bool]string{true: "active", false: ""}[q.Active]).Body(
							app.Td().Text(q.Name), app.Td().Text(q.Version),
							app.Td().Body(app.Code().Class("hash").Title(q.Hash).Text(shortHash(q.Hash))),
							app.Td().Text(policyKeyID(q.PublicKey)),
							app.Td().Class("num").Text(strconv.Itoa(q.Rules)),
							app.Td().Text(yesNo(q.HaltOnCritical)),
							app.Td().Text(map[bool]string{true: "✓ in force", false: "—"}[q.Active]),
						)
					})),
				))
			}
			return app.Div().Body(active, stored)
		}),
	)
}

func (p *PoliciesPage) renderEvents() app.UI {
	pg := p.events
	return app.Section().ID("guard-events").Class("result").Aria("live", "polite").Aria("busy", strconv.FormatBool(p.evLoading)).Body(
		app.Div().Class("hist-head").Body(
			app.H2().Text("Guard events"),
			app.Div().Class("row").Body(
				app.Button().Type("button").ID("prev").Text("← Previous").Disabled(!p.pages.hasPrev() || p.evLoading).OnClick(p.onPrev),
				app.Button().Type("button").ID("next").Text("Next →").Disabled(pg == nil || pg.Next == "" || p.evLoading).OnClick(p.onNext),
			),
		),
		app.Form().Class("filters").Aria("label", "Filter guard events").OnSubmit(p.onFilter).Body(
			app.Div().Class("field").Body(
				app.Label().For("guard-level").Text("Minimum level"),
				app.Select().ID("guard-level").Name("level").OnChange(p.ValueTo(&p.levelInput)).Body(
					app.Option().Value("").Text("any").Selected(p.levelInput == ""),
					app.Range(guardLevels).Slice(func(i int) app.UI {
						l := string(guardLevels[i])
						return app.Option().Value(l).Text(l).Selected(p.levelInput == l)
					}),
				),
			),
			app.Div().Class("field").Body(
				app.Label().For("guard-rule").Text("Rule"),
				app.Input().ID("guard-rule").Name("rule").Type("text").Placeholder("any rule").
					Attr("autocapitalize", "off").Attr("autocomplete", "off").Spellcheck(false).
					Value(p.ruleInput).OnInput(p.ValueTo(&p.ruleInput)),
			),
			app.Div().Class("row").Body(
				app.Button().Type("submit").ID("apply-filter").Class("go").Text("Apply").Disabled(!p.loggedIn),
				app.Button().Type("button").ID("clear-filter").Text("Clear").Disabled(!p.loggedIn).OnClick(p.onClear),
			),
		),
		app.If(p.filter.Level != "" || p.filter.Rule != "", func() app.UI {
			s := "Showing events"
			if p.filter.Level != "" {
				s += " of level " + p.filter.Level + " or above"
			}
			if p.filter.Rule != "" {
				s += " of rule " + p.filter.Rule
			}
			return app.P().ID("filter-summary").Class("hint").Text(s + ".")
		}),
		app.If(p.evLoading, func() app.UI { return app.P().Class("hint").Text("Loading…") }),
		app.If(p.evErr != "", func() app.UI { return app.P().ID("events-error").Class("error").Role("alert").Text(p.evErr) }),
		app.If(pg != nil && len(pg.Events) == 0, func() app.UI {
			return app.P().ID("no-events").Class("hint").Text("No guard events match.")
		}),
		app.If(pg != nil && len(pg.Events) > 0, func() app.UI { return p.renderEventTable(pg) }),
	)
}

// guardRow is one guard event of one entry: a row of the events table.
type guardRow struct {
	hit   *GuardHit
	ev    ledger.GuardEvent
	first bool
}

func (p *PoliciesPage) renderEventTable(pg *GuardEventsPage) app.UI {
	var rows []guardRow
	for i := range pg.Events {
		h := &pg.Events[i]
		for k, ev := range h.Events {
			rows = append(rows, guardRow{hit: h, ev: ev, first: k == 0})
		}
	}
	return app.Div().Class("table-wrap").Body(app.Table().ID("event-table").Class("entries guard").Body(
		app.THead().Body(app.Tr().Body(
			app.Th().Text("#"), app.Th().Text("Op id"), app.Th().Text("Operation"), app.Th().Text("Time (UTC)"),
			app.Th().Text("Rule"), app.Th().Text("Level"), app.Th().Text("Message"),
			app.Th().Text("Value"), app.Th().Text("Threshold"),
		)),
		app.TBody().Body(app.Range(rows).Slice(func(i int) app.UI {
			r := rows[i]
			tr := app.Tr().Class("level-" + string(r.ev.Level))
			if r.first {
				tr = tr.ID("event-" + u64(r.hit.Index))
			}
			return tr.Body(
				app.Td().Class("num").Text(u64(r.hit.Index)),
				app.Td().Body(app.Code().Text(r.hit.OpID)),
				app.Td().Text(r.hit.Operation),
				timeCell(guardTime(r.hit.Timestamp)),
				app.Td().Text(r.ev.Rule),
				app.Td().Body(app.Span().Class("level "+string(r.ev.Level)).Text(string(r.ev.Level))),
				app.Td().Text(orDash(r.ev.Message)),
				app.Td().Class("num").Text(formatFloat(float64(r.ev.Value))),
				app.Td().Class("num").Text(formatFloat(float64(r.ev.Threshold))),
			)
		})),
	))
}

// policyKeyID is the key id of a policy's verifier key, or the key itself
// when it does not parse.
func policyKeyID(key string) string {
	if key == "" {
		return "—"
	}
	if fp, err := KeyFingerprint(key); err == nil {
		return fp.KeyID
	}
	return key
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return orDash(h)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// guardTime writes an RFC 3339 time of the API in UTC, to the millisecond.
func guardTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return orDash(s)
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}
