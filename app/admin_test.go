//go:build !wasm

package app

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// adminAPI is a fake of the policy, guard and user endpoints.
type adminAPI struct {
	*httptest.Server
	vkey string

	mu      sync.Mutex
	users   []UserInfo
	queries []string // guard event queries, as received
	patches []string // PATCH bodies, as received
	deletes []string // DELETE targets, as received
	forbid  bool     // answer 403 to everything
}

func newAdminAPI(t *testing.T) *adminAPI {
	t.Helper()
	_, vkey, err := ledger.GenerateKey(rand.Reader, "ebios.test/policy")
	if err != nil {
		t.Fatal(err)
	}
	a := &adminAPI{vkey: vkey, users: []UserInfo{
		{Name: "root", Role: "admin", CreatedAt: "2026-01-02T03:04:05Z", LastLogin: "2026-02-03T04:05:06.5Z"},
		{Name: "ann", Role: "auditor", CreatedAt: "2026-01-02T03:04:05Z"},
		{Name: "bob", Role: "operator", Disabled: true, CreatedAt: "2026-01-02T03:04:05Z"},
	}}
	js := func(w http.ResponseWriter, v any) { json.NewEncoder(w).Encode(v) }
	fail := func(w http.ResponseWriter, status int, code, msg string) {
		w.WriteHeader(status)
		js(w, map[string]any{"error": map[string]string{"code": code, "message": msg}})
	}
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer tok" {
				fail(w, 401, "missing_token", "log in")
				return
			}
			if a.forbid {
				fail(w, 403, "forbidden", "permission denied")
				return
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			h(w, r)
		}
	}
	pol := func(name, hash string, active bool) map[string]any {
		return map[string]any{"policy_hash": hash, "name": name, "version": "1.2", "description": "test policy " + name,
			"public_key": vkey, "active": active, "rules": 3, "halt_on_critical": active}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/auth/me", auth(func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{"user": map[string]string{"name": "root", "role": "admin"},
			"permissions": []string{"auth:self", "policies:read", "guard:read", "users:manage"}})
	}))
	mux.HandleFunc("GET /api/v1/policies", auth(func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{"policies": []any{pol("strict", "aaaabbbbccccddddeeee0001", true), pol("lax", "ffff000011112222", false)},
			"active": pol("strict", "aaaabbbbccccddddeeee0001", true)})
	}))
	mux.HandleFunc("GET /api/v1/guard/events", auth(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		a.queries = append(a.queries, q.Encode())
		from, _ := strconv.Atoi(q.Get("cursor"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		if limit == 0 {
			limit = 100
		}
		levels := map[string]int{"info": 0, "warning": 1, "error": 2, "critical": 3}
		var out []GuardHit
		const n = 70
		for i := from; i < n && i < from+limit; i++ {
			h := GuardHit{Index: uint64(i), OpID: "op-" + strconv.Itoa(i), Operation: "mul",
				Timestamp: "2026-01-02T03:04:05Z", PolicyHash: "aaaabbbbccccddddeeee0001"}
			for _, ev := range []ledger.GuardEvent{
				{Rule: "coverage", Level: ledger.LevelWarning, Message: "wide", Value: 0.25, Threshold: 0.1},
				{Rule: "finite", Level: ledger.LevelCritical, Message: "infinite", Value: nu.Float(math.Inf(1)), Threshold: 1e300},
			} {
				if (q.Get("rule") == "" || q.Get("rule") == ev.Rule) && levels[string(ev.Level)] >= levels[q.Get("level")] {
					h.Events = append(h.Events, ev)
				}
			}
			out = append(out, h)
		}
		next := ""
		if from+limit < n {
			next = strconv.Itoa(from + limit)
		}
		js(w, map[string]any{"events": out, "next": next})
	}))
	mux.HandleFunc("GET /api/v1/users", auth(func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{"users": a.users})
	}))
	mux.HandleFunc("PATCH /api/v1/users/{name}", auth(func(w http.ResponseWriter, r *http.Request) {
		var p map[string]any
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			fail(w, 400, "bad_request", err.Error())
			return
		}
		b, _ := json.Marshal(p)
		a.patches = append(a.patches, r.PathValue("name")+" "+string(b))
		name := r.PathValue("name")
		if name == "root" {
			fail(w, 409, "last_admin", "the last admin cannot be changed")
			return
		}
		for i := range a.users {
			if a.users[i].Name != name {
				continue
			}
			if role, ok := p["role"].(string); ok {
				a.users[i].Role = role
			}
			if d, ok := p["disabled"].(bool); ok {
				a.users[i].Disabled = d
			}
			js(w, map[string]any{"user": a.users[i]})
			return
		}
		fail(w, 404, "not_found", "no such user")
	}))
	mux.HandleFunc("DELETE /api/v1/users/{name}", auth(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		a.deletes = append(a.deletes, name)
		if name == "root" {
			fail(w, 409, "AUTH_019", "the last enabled admin cannot be disabled, demoted or deleted")
			return
		}
		for i := range a.users {
			if a.users[i].Name == name {
				u := a.users[i]
				a.users = append(a.users[:i], a.users[i+1:]...)
				js(w, map[string]any{"user": u, "status": "deleted"})
				return
			}
		}
		fail(w, 404, "AUTH_014", "no such user")
	}))
	a.Server = httptest.NewServer(mux)
	t.Cleanup(a.Close)
	return a
}

func TestAdminClient(t *testing.T) {
	a := newAdminAPI(t)
	ctx := context.Background()
	if _, err := (&APIClient{Base: a.URL}).Policies(ctx); !Unauthorized(err) {
		t.Fatalf("without a token: %v", err)
	}
	c := &APIClient{Base: a.URL, Token: "tok"}
	me, err := c.Me(ctx)
	if err != nil || !me.Can(PermPoliciesRead) || !me.Can(PermUsersManage) || me.Can("metrics:read") {
		t.Fatalf("me: %v %+v", err, me)
	}
	if (*Me)(nil).Can(PermUsersManage) {
		t.Error("nil Me can")
	}
	pl, err := c.Policies(ctx)
	if err != nil || len(pl.Policies) != 2 || pl.Active == nil || pl.Active.Name != "strict" || pl.Active.Rules != 3 ||
		!pl.Active.HaltOnCritical || pl.Policies[1].Active || pl.Policies[0].PublicKey != a.vkey {
		t.Fatalf("policies: %v %+v", err, pl)
	}
	pg, err := c.GuardEvents(ctx, GuardFilter{Level: "critical", Rule: "finite", Limit: 50})
	if err != nil || len(pg.Events) != 50 || pg.Next != "50" || len(pg.Events[0].Events) != 1 {
		t.Fatalf("events: %v %+v", err, pg)
	}
	if ev := pg.Events[3].Events[0]; ev.Rule != "finite" || ev.Level != ledger.LevelCritical || !math.IsInf(float64(ev.Value), 1) || pg.Events[3].OpID != "op-3" {
		t.Errorf("event: %+v", ev)
	}
	pg, err = c.GuardEvents(ctx, GuardFilter{Cursor: pg.Next, Limit: 50})
	if err != nil || len(pg.Events) != 20 || pg.Next != "" || len(pg.Events[0].Events) != 2 || pg.Events[0].Index != 50 {
		t.Fatalf("page 2: %v %+v", err, pg)
	}
	if got := strings.Join(a.queries, "|"); got != "level=critical&limit=50&rule=finite|cursor=50&limit=50" {
		t.Errorf("queries %s", got)
	}
	us, err := c.Users(ctx)
	if err != nil || len(us) != 3 || us[2].Name != "bob" || !us[2].Disabled || us[0].LastLogin == "" {
		t.Fatalf("users: %v %+v", err, us)
	}
	role, off := "guest", true
	u, err := c.PatchUser(ctx, "ann", UserPatch{Role: &role})
	if err != nil || u.Role != "guest" || u.Name != "ann" {
		t.Fatalf("patch role: %v %+v", err, u)
	}
	if u, err = c.PatchUser(ctx, "ann", UserPatch{Disabled: &off}); err != nil || !u.Disabled {
		t.Fatalf("patch disabled: %v %+v", err, u)
	}
	_, err = c.PatchUser(ctx, "root", UserPatch{Disabled: &off})
	var ae *APIError
	if !asAPIError(err, &ae) || ae.Status != 409 || ae.Code != "last_admin" {
		t.Fatalf("refused patch: %v", err)
	}
	if got := strings.Join(a.patches, "|"); got != `ann {"role":"guest"}|ann {"disabled":true}|root {"disabled":true}` {
		t.Errorf("patches %s", got)
	}
	if err := c.DeleteUser(ctx, "ann"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	err = c.DeleteUser(ctx, "root")
	if !asAPIError(err, &ae) || ae.Status != 409 || ae.Code != "AUTH_019" {
		t.Fatalf("refused delete: %v", err)
	}
	if err := c.DeleteUser(ctx, "a/b"); !asAPIError(err, &ae) || ae.Status != 404 {
		t.Fatalf("delete unknown: %v", err)
	}
	if got := strings.Join(a.deletes, "|"); got != "ann|root|a/b" {
		t.Errorf("deletes %s", got)
	}
	a.forbid = true
	if _, err := c.Users(ctx); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("forbidden: %v", err)
	}
}

func asAPIError(err error, ae **APIError) bool {
	e, ok := err.(*APIError)
	*ae = e
	return ok
}

type policiesHarness struct {
	PoliciesPage
	ctx app.Context
}

func (h *policiesHarness) OnPreRender(ctx app.Context) { h.ctx = ctx }

func TestPoliciesRendersLoggedOut(t *testing.T) {
	p := &PoliciesPage{}
	load(t, p)
	if err := app.Match(app.H1().Text("eBIOS policies and guard events"), p, 0, 0, 1); err != nil {
		t.Fatal(err)
	}
	h := app.HTMLString(p)
	for _, want := range []string{`id="need-login"`, `href="/login"`, `id="guard-level"`, `for="guard-level"`, `for="guard-rule"`,
		`>critical</option>`, `id="nav-login"`, `id="prev"`, `id="next"`} {
		if !strings.Contains(h, want) {
			t.Errorf("policies lacks %q:\n%s", want, h)
		}
	}
	// Logged out, the nav has neither Policies nor Users.
	for _, bad := range []string{`href="/policies"`, `href="/users"`} {
		if strings.Contains(h, bad) {
			t.Errorf("logged out nav has %s", bad)
		}
	}
}

func TestPoliciesPage(t *testing.T) {
	a := newAdminAPI(t)
	h := &policiesHarness{}
	h.api = &APIClient{Base: a.URL, Token: "tok"}
	e := load(t, h)
	p := &h.PoliciesPage
	h.ctx.Dispatch(p.OnMount) // natively, go-app does not call OnMount
	e.ConsumeAll()
	fp, _ := KeyFingerprint(a.vkey)
	got := app.HTMLString(h)
	for _, want := range []string{`id="active-policy"`, "In force: ", "strict 1.2", "aaaabbbbccccddddeeee0001", fp.KeyID,
		"Halt on critical", `id="policy-table"`, `id="policy-ffff000011112222"`, "aaaabbbbccccdddd…", "✓ in force",
		`id="event-table"`, `id="event-0"`, `id="event-49"`, "op-49", "coverage", "finite", `class="level critical"`,
		"+∞", "1e+300", "0.25", ">2026-01-02<", ">03:04:05.000<", "wide"} {
		if !strings.Contains(got, want) {
			t.Errorf("loaded: page lacks %q", want)
		}
	}
	if strings.Contains(got, `id="event-50"`) || strings.Contains(got, `need-login`) {
		t.Error("page 1 shows entry 50 or asks for a login")
	}
	if !strings.Contains(element(got, `id="next"`), `disabled="false"`) {
		t.Errorf("next: %s", element(got, `id="next"`))
	}
	// Next page, then back.
	h.ctx.Dispatch(func(ctx app.Context) { p.onNext(ctx, app.Event{}) })
	e.ConsumeAll()
	got = app.HTMLString(h)
	if !strings.Contains(got, `id="event-69"`) || strings.Contains(got, `id="event-0"`) {
		t.Errorf("page 2 wrong")
	}
	h.ctx.Dispatch(func(ctx app.Context) { p.onPrev(ctx, app.Event{}) })
	e.ConsumeAll()
	if got = app.HTMLString(h); !strings.Contains(got, `id="event-0"`) {
		t.Errorf("back to page 1 wrong")
	}
	// Filter on critical events of rule finite.
	h.ctx.Dispatch(func(ctx app.Context) { p.applyFilter(ctx, "critical", " finite ") })
	e.ConsumeAll()
	got = app.HTMLString(h)
	if !strings.Contains(got, `id="filter-summary"`) || !strings.Contains(got, "of level critical or above of rule finite") {
		t.Errorf("filtered: %s", element(got, `id="filter-summary"`))
	}
	if tbl := got[strings.Index(got, `id="event-table"`):]; strings.Contains(tbl, ">coverage<") || !strings.Contains(tbl, ">finite<") {
		t.Error("filtered table shows the coverage rule or lacks finite")
	}
	if q := a.queries[len(a.queries)-1]; q != "level=critical&limit=50&rule=finite" {
		t.Errorf("filter query %s", q)
	}
	// "any" level (the option without a value sends its text) clears it.
	h.ctx.Dispatch(func(ctx app.Context) { p.applyFilter(ctx, "any", "") })
	e.ConsumeAll()
	if q := a.queries[len(a.queries)-1]; q != "limit=50" || strings.Contains(app.HTMLString(h), `id="filter-summary"`) {
		t.Errorf("cleared filter query %s", q)
	}
	// An API error is shown.
	a.forbid = true
	h.ctx.Dispatch(func(ctx app.Context) { p.onReload(ctx, app.Event{}) })
	e.ConsumeAll()
	got = app.HTMLString(h)
	for _, id := range []string{`id="policies-error"`, `id="events-error"`} {
		if !strings.Contains(element(got, id), `role="alert"`) || !strings.Contains(got, "permission denied") {
			t.Errorf("error %s not shown", id)
		}
	}
}

type usersHarness struct {
	UsersPage
	ctx app.Context
}

func (h *usersHarness) OnPreRender(ctx app.Context) { h.ctx = ctx }

func TestUsersRendersLoggedOut(t *testing.T) {
	u := &UsersPage{}
	load(t, u)
	if err := app.Match(app.H1().Text("eBIOS users"), u, 0, 0, 1); err != nil {
		t.Fatal(err)
	}
	if h := app.HTMLString(u); !strings.Contains(h, `id="need-login"`) || strings.Contains(h, `id="user-table"`) {
		t.Errorf("logged out users page:\n%s", h)
	}
}

func TestUsersPage(t *testing.T) {
	a := newAdminAPI(t)
	h := &usersHarness{}
	h.api = &APIClient{Base: a.URL, Token: "tok"}
	e := load(t, h)
	u := &h.UsersPage
	h.ctx.Dispatch(u.OnMount)
	e.ConsumeAll()
	got := app.HTMLString(h)
	for _, want := range []string{`id="user-table"`, `id="user-root"`, `id="role-ann"`, `aria-label="Role of ann"`,
		`id="disable-ann"`, `id="enable-bob"`,
		">2026-02-03<", ">04:05:06.500<", "disabled"} {
		if !strings.Contains(got, want) {
			t.Errorf("users: page lacks %q\n", want)
		}
	}
	if !optionSelected(row(got, "user-ann"), "auditor") || optionSelected(row(got, "user-ann"), "admin") ||
		!strings.Contains(element(got, `id="user-bob"`), `class="bad"`) {
		t.Errorf("roles or status not shown: %s", row(got, "user-ann"))
	}
	role, off, on := "operator", true, false
	h.ctx.Dispatch(func(ctx app.Context) { u.patch(ctx, "ann", UserPatch{Role: &role}) })
	e.ConsumeAll()
	got = app.HTMLString(h)
	if !strings.Contains(got, "ann is now operator.") || !optionSelected(row(got, "user-ann"), "operator") {
		t.Errorf("role change not shown: %s", element(got, `id="user-action-ok"`))
	}
	h.ctx.Dispatch(func(ctx app.Context) { u.patch(ctx, "ann", UserPatch{Disabled: &off}) })
	e.ConsumeAll()
	got = app.HTMLString(h)
	if !strings.Contains(got, `id="enable-ann"`) || !strings.Contains(element(got, `id="user-ann"`), `class="bad"`) || !strings.Contains(got, "ann is disabled") {
		t.Error("disable not shown")
	}
	h.ctx.Dispatch(func(ctx app.Context) { u.patch(ctx, "bob", UserPatch{Disabled: &on}) })
	e.ConsumeAll()
	if got = app.HTMLString(h); !strings.Contains(got, `id="disable-bob"`) || !strings.Contains(got, "bob is enabled.") {
		t.Error("enable not shown")
	}
	// A refused change (the page offers none on root's row: a stale page,
	// or another client) shows the server's error and changes nothing.
	h.ctx.Dispatch(func(ctx app.Context) { u.patch(ctx, "root", UserPatch{Disabled: &off}) })
	e.ConsumeAll()
	got = app.HTMLString(h)
	if !strings.Contains(element(got, `id="user-action-error"`), `role="alert"`) ||
		!strings.Contains(got, "Could not change root: the last admin cannot be changed [last_admin]") ||
		!strings.Contains(got, `id="protected-root"`) || strings.Contains(row(got, "user-root"), "disabled</span>") {
		t.Errorf("refusal not shown")
	}
	if strings.Contains(got, `id="user-action-ok"`) {
		t.Error("stale success message")
	}
	// Delete: a confirmation first; cancel keeps the user.
	h.ctx.Dispatch(func(ctx app.Context) { u.askDelete("bob") })
	e.ConsumeAll()
	got = app.HTMLString(h)
	if !strings.Contains(got, `id="delete-confirm"`) || !strings.Contains(got, "Delete bob? ") || len(a.deletes) != 0 {
		t.Fatalf("no confirmation: %s", element(got, `id="delete-confirm"`))
	}
	h.ctx.Dispatch(func(ctx app.Context) { u.onDeleteCancel(ctx, app.Event{}) })
	e.ConsumeAll()
	if got = app.HTMLString(h); strings.Contains(got, `id="delete-confirm"`) || !strings.Contains(got, `id="user-bob"`) || len(a.deletes) != 0 {
		t.Fatal("cancel did not keep bob")
	}
	// Confirmed, the user goes.
	h.ctx.Dispatch(func(ctx app.Context) { u.askDelete("bob") })
	h.ctx.Dispatch(func(ctx app.Context) { u.deleteConfirmed(ctx) })
	e.ConsumeAll()
	got = app.HTMLString(h)
	if strings.Contains(got, `id="user-bob"`) || !strings.Contains(got, "bob is deleted") || strings.Join(a.deletes, "|") != "bob" ||
		strings.Contains(got, `id="delete-confirm"`) {
		t.Errorf("delete not shown: %s", element(got, `id="user-action-ok"`))
	}
	// One's own row (root, the only admin, here) cannot be asked to go.
	h.ctx.Dispatch(func(ctx app.Context) { u.askDelete("root") })
	e.ConsumeAll()
	if got = app.HTMLString(h); strings.Contains(got, `id="delete-confirm"`) {
		t.Error("deletion of one's own account offered")
	}
	// A refused deletion shows the server's error and keeps the row.
	u.users = append(u.users, UserInfo{Name: "ghost", Role: "guest"})
	h.ctx.Dispatch(func(ctx app.Context) { u.askDelete("ghost") })
	h.ctx.Dispatch(func(ctx app.Context) { u.deleteConfirmed(ctx) })
	e.ConsumeAll()
	if got = app.HTMLString(h); !strings.Contains(got, "Could not delete ghost: no such user [AUTH_014]") || !strings.Contains(got, `id="user-ghost"`) {
		t.Errorf("refused delete not shown: %s", element(got, `id="user-action-error"`))
	}
	// A non-admin gets the list's error.
	a.forbid = true
	h.ctx.Dispatch(func(ctx app.Context) { u.load(ctx) })
	e.ConsumeAll()
	if got = app.HTMLString(h); !strings.Contains(element(got, `id="users-error"`), `role="alert"`) {
		t.Error("list error not shown")
	}
}

// TestUsersProtectedRows: one's own row and the last enabled admin's offer
// no demote (a select), disable or delete; other rows offer all three.
func TestUsersProtectedRows(t *testing.T) {
	root := UserInfo{Name: "root", Role: "admin"}
	adm2 := UserInfo{Name: "adm2", Role: "admin"}
	old := UserInfo{Name: "old", Role: "admin", Disabled: true}
	ann := UserInfo{Name: "ann", Role: "auditor"}
	for _, c := range []struct {
		name      string
		users     []UserInfo
		me        string
		protected []string // the rest have actions
	}{
		{"the only admin is me", []UserInfo{root, ann}, "root", []string{"root"}},
		{"two admins: only my row", []UserInfo{root, adm2, ann}, "root", []string{"root"}},
		{"two admins, seen by the other", []UserInfo{root, adm2, ann}, "adm2", []string{"adm2"}},
		{"a disabled admin does not count", []UserInfo{root, old, ann}, "root", []string{"root"}},
		{"the last admin, me unknown", []UserInfo{root, old, ann}, "", []string{"root"}},
		{"two admins, me unknown", []UserInfo{root, adm2, ann}, "", nil},
		{"a non-admin viewer's own row", []UserInfo{root, adm2, ann}, "ann", []string{"ann"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := &UsersPage{loggedIn: true, users: c.users, me: c.me}
			load(t, u)
			h := app.HTMLString(u)
			for _, us := range c.users {
				r := row(h, "user-"+us.Name)
				prot := slices.Contains(c.protected, us.Name)
				toggle := `id="disable-` + us.Name + `"`
				if us.Disabled {
					toggle = `id="enable-` + us.Name + `"`
				}
				has := map[string]bool{
					"select":    strings.Contains(r, "<select"),
					"toggle":    strings.Contains(r, toggle),
					"delete":    strings.Contains(r, `id="delete-`+us.Name+`"`),
					"protected": strings.Contains(r, `id="protected-`+us.Name+`"`),
				}
				for what, got := range has {
					if want := prot == (what == "protected"); got != want {
						t.Errorf("row %s: %s %v, want %v:\n%s", us.Name, what, got, want, r)
					}
				}
				if mine := strings.Contains(r, "(you)"); mine != (us.Name == c.me) {
					t.Errorf("row %s: (you) %v", us.Name, mine)
				}
			}
		})
	}
}

func TestNavPermissions(t *testing.T) {
	for _, c := range []struct {
		perms      []string
		pol, users bool
	}{
		{nil, false, false},
		{[]string{"auth:self", "ledger:read", "policies:read", "guard:read"}, true, false},
		{[]string{"policies:read", "users:manage"}, true, true},
	} {
		n := &Nav{Current: PoliciesPath, perms: c.perms}
		load(t, n)
		h := app.HTMLString(n)
		if strings.Contains(h, `href="/policies"`) != c.pol || strings.Contains(h, `href="/users"`) != c.users {
			t.Errorf("%v: nav %s", c.perms, h)
		}
		if c.pol && !strings.Contains(element(h, `href="/policies"`), `aria-current="page"`) {
			t.Errorf("current page not marked: %s", h)
		}
		if !strings.Contains(h, `href="/explorer"`) || !strings.Contains(h, `id="nav-login"`) {
			t.Errorf("nav lacks the common links: %s", h)
		}
	}
}

type navHarness struct {
	Nav
	ctx app.Context
}

func (h *navHarness) OnPreRender(ctx app.Context) { h.ctx = ctx }

func TestNavLoadsPermissions(t *testing.T) {
	a := newAdminAPI(t)
	h := &navHarness{}
	h.Current = UsersPath
	e := load(t, h)
	n := &h.Nav
	// Logged out: no request, no admin links.
	h.ctx.Dispatch(n.OnMount)
	e.ConsumeAll()
	if got := app.HTMLString(h); strings.Contains(got, `href="/policies"`) || strings.Contains(got, `href="/users"`) {
		t.Errorf("logged out: %s", got)
	}
	// Logged in: the permissions come from /auth/me and are cached for the
	// token.
	n.api = &APIClient{Base: a.URL, Token: "tok"}
	h.ctx.Dispatch(func(ctx app.Context) {
		ctx.SessionStorage().Set(tokenKey, "tok")
		n.OnMount(ctx)
	})
	e.ConsumeAll()
	got := app.HTMLString(h)
	if !strings.Contains(got, `href="/policies"`) || !strings.Contains(element(got, `href="/users"`), `aria-current="page"`) {
		t.Errorf("admin nav: %s", got)
	}
	var cached navPerms
	h.ctx.SessionStorage().Get(permsKey, &cached)
	if cached.Token != tokenDigest("tok") || len(cached.Perms) != 4 {
		t.Errorf("cache %+v", cached)
	}
	// The cache is used while the token is the same: no request.
	a.forbid = true
	n.perms = nil
	h.ctx.Dispatch(n.OnMount)
	e.ConsumeAll()
	if got := app.HTMLString(h); !strings.Contains(got, `href="/users"`) {
		t.Errorf("cached permissions unused: %s", got)
	}
	// Another token: asked again (and refused here): no admin links.
	n.perms = nil
	h.ctx.Dispatch(func(ctx app.Context) {
		ctx.SessionStorage().Set(tokenKey, "other")
		n.OnMount(ctx)
	})
	e.ConsumeAll()
	if got := app.HTMLString(h); strings.Contains(got, `href="/users"`) {
		t.Errorf("stale permissions: %s", got)
	}
}

// row is the HTML of the table row with the id.
func row(h, id string) string {
	i := strings.Index(h, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(h[i:], "</tr>")
	return h[i : i+j]
}

// optionSelected reports whether the option of value v in h is selected.
func optionSelected(h, v string) bool {
	tag := element(h, `value="`+v+`"`)
	return strings.Contains(tag, "selected") && !strings.Contains(tag, `selected="false"`)
}

// TestNavServerless: a static build without an API offers no page that
// needs the server; with an API, or served by ebios serve, it does. A
// static build links to the pages' .html files, which any static host
// serves.
func TestNavServerless(t *testing.T) {
	for _, c := range []struct {
		static, api string
		server      bool
		suffix      string
	}{
		{"", "", true, ""},
		{"1", "", false, ".html"},
		{"1", "https://ebios.example.org", true, ".html"},
	} {
		t.Setenv(StaticEnv, c.static)
		t.Setenv(APIURLEnv, c.api)
		n := &Nav{Current: "/", perms: []string{"policies:read", "users:manage"}}
		load(t, n)
		h := app.HTMLString(n)
		for _, link := range []string{`href="/explorer` + c.suffix + `"`, `href="/policies` + c.suffix + `"`,
			`href="/users` + c.suffix + `"`, `id="nav-login"`} {
			if strings.Contains(h, link) != c.server {
				t.Errorf("static %q, api %q: %s shown: %v", c.static, c.api, link, !c.server)
			}
		}
		if !strings.Contains(h, `href="/audit`+c.suffix+`"`) || !strings.Contains(h, `href="/"`) {
			t.Errorf("static %q: the offline pages are not linked: %s", c.static, h)
		}
	}
}

// TestHref: links and the login page's way back in a static build name the
// .html files; served by ebios serve, the clean routes.
func TestHref(t *testing.T) {
	for _, c := range []struct {
		static, path, want string
	}{
		{"", "/audit", "/audit"},
		{"", "/login?next=%2F", "/login?next=%2F"},
		{"1", "/", "/"},
		{"1", "/audit", "/audit.html"},
		{"1", "/login?next=%2Fexplorer.html", "/login.html?next=%2Fexplorer.html"},
	} {
		t.Setenv(StaticEnv, c.static)
		if got := Href(c.path); got != c.want {
			t.Errorf("static %q: Href(%q) = %q, want %q", c.static, c.path, got, c.want)
		}
	}
	t.Setenv(StaticEnv, "1")
	if got := afterLogin(""); got != "/explorer.html" {
		t.Errorf("static: after login to %q, want /explorer.html", got)
	}
	if got := afterLogin("/users.html"); got != "/users.html" {
		t.Errorf("static: after login to %q, want /users.html", got)
	}
	if pageRoute("/users.html") != UsersPath || pageRoute(UsersPath) != UsersPath {
		t.Error("pageRoute does not strip .html")
	}
}
