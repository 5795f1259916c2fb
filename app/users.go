package app

import (
	"context"
	"slices"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// UsersPath is the route of the user administration page.
const UsersPath = "/users"

// UsersPage lists the users (admins only: users:manage), changes their
// role, disables/enables them and deletes them (after a confirmation).
//
// Your own row, and the row of the last enabled admin, offer none of
// demote, disable and delete: the server refuses to leave no enabled admin
// (AUTH_019), and an admin who disabled or demoted herself would lose this
// page at once.
type UsersPage struct {
	app.Compo

	apiCaller
	loggedIn bool

	loading bool
	err     string
	users   []UserInfo
	me      string // the logged-in user's name (GET /api/v1/auth/me)

	busy          map[string]bool // users with a change under way
	confirmDelete string          // the user whose deletion awaits confirmation
	actionErr     string
	actionOK      string
}

// userList is what load fetches: the users and who is looking.
type userList struct {
	users []UserInfo
	me    string
}

// OnNav sets the title.
func (u *UsersPage) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("eBIOS users")
}

// OnMount loads the users.
func (u *UsersPage) OnMount(ctx app.Context) {
	u.loggedIn = u.api != nil || sessionToken(ctx) != ""
	u.mount(ctx)
	u.load(ctx)
}

func (u *UsersPage) load(ctx app.Context) {
	if !u.loggedIn || u.loading {
		return
	}
	u.loading, u.err = true, ""
	callAPI(&u.apiCaller, ctx,
		func(c *APIClient, cx context.Context) (userList, error) {
			me, err := c.Me(cx)
			if err != nil {
				return userList{}, err
			}
			us, err := c.Users(cx)
			return userList{users: us, me: me.User.Name}, err
		},
		func(_ app.Context, l userList, err error) { u.loaded(l, err) })
}

func (u *UsersPage) loaded(l userList, err error) {
	u.loading = false
	if err != nil {
		u.err = apiErrText(err)
		return
	}
	u.users, u.me = l.users, l.me
	if u.confirmDelete != "" && !slices.ContainsFunc(u.users, func(x UserInfo) bool { return x.Name == u.confirmDelete }) {
		u.confirmDelete = ""
	}
}

// enabledAdmins counts the enabled admins in the list.
func (u *UsersPage) enabledAdmins() int {
	n := 0
	for _, us := range u.users {
		if us.Role == "admin" && !us.Disabled {
			n++
		}
	}
	return n
}

// protected reports whether the row of us offers no demote, disable or
// delete: it is the logged-in user's own row, or that of the last enabled
// admin.
func (u *UsersPage) protected(us UserInfo) bool {
	return us.Name == u.me || (us.Role == "admin" && !us.Disabled && u.enabledAdmins() <= 1)
}

func (u *UsersPage) onReload(ctx app.Context, e app.Event) { u.load(ctx) }

// The handlers below read which user from the element's data-user
// attribute, and the user's state from the page, when the event comes: go-app
// keeps an element's first handler when a re-render brings a handler made
// by the same function literal (it compares code pointers), so a handler
// must not carry a row's data (rows move when users are added, and Disable
// becomes Enable).

func (u *UsersPage) onRole(ctx app.Context, e app.Event) {
	name := ctx.JSSrc().Get("dataset").Get("user").String()
	role := ctx.JSSrc().Get("value").String()
	u.patch(ctx, name, UserPatch{Role: &role})
}

// onToggle disables an active user and enables a disabled one.
func (u *UsersPage) onToggle(ctx app.Context, e app.Event) {
	name := ctx.JSSrc().Get("dataset").Get("user").String()
	for _, us := range u.users {
		if us.Name == name {
			disable := !us.Disabled
			u.patch(ctx, name, UserPatch{Disabled: &disable})
			return
		}
	}
}

// onDeleteAsk asks to confirm the deletion of the row's user.
func (u *UsersPage) onDeleteAsk(ctx app.Context, e app.Event) {
	u.askDelete(ctx.JSSrc().Get("dataset").Get("user").String())
}

func (u *UsersPage) askDelete(name string) {
	for _, us := range u.users {
		if us.Name == name && !u.protected(us) {
			u.confirmDelete, u.actionErr, u.actionOK = name, "", ""
			return
		}
	}
}

func (u *UsersPage) onDeleteConfirm(ctx app.Context, e app.Event) { u.deleteConfirmed(ctx) }

func (u *UsersPage) onDeleteCancel(ctx app.Context, e app.Event) { u.confirmDelete = "" }

// deleteConfirmed deletes the user whose deletion was confirmed.
func (u *UsersPage) deleteConfirmed(ctx app.Context) {
	name := u.confirmDelete
	if name == "" || u.busy[name] {
		return
	}
	if u.busy == nil {
		u.busy = map[string]bool{}
	}
	u.busy[name] = true
	u.confirmDelete, u.actionErr, u.actionOK = "", "", ""
	callAPI(&u.apiCaller, ctx,
		func(c *APIClient, cx context.Context) (struct{}, error) { return struct{}{}, c.DeleteUser(cx, name) },
		func(_ app.Context, _ struct{}, err error) { u.deleted(name, err) })
}

func (u *UsersPage) deleted(name string, err error) {
	delete(u.busy, name)
	if err != nil {
		u.actionErr = "Could not delete " + name + ": " + apiErrText(err)
		return
	}
	u.users = slices.DeleteFunc(u.users, func(x UserInfo) bool { return x.Name == name })
	u.actionOK = name + " is deleted; its sessions are ended. The ledger keeps what it recorded."
}

// patch sends a change of user name and shows its outcome.
func (u *UsersPage) patch(ctx app.Context, name string, p UserPatch) {
	if u.busy[name] {
		return
	}
	if u.busy == nil {
		u.busy = map[string]bool{}
	}
	u.busy[name] = true
	u.actionErr, u.actionOK = "", ""
	callAPI(&u.apiCaller, ctx,
		func(c *APIClient, cx context.Context) (*UserInfo, error) { return c.PatchUser(cx, name, p) },
		func(_ app.Context, got *UserInfo, err error) { u.patched(name, p, got, err) })
}

func (u *UsersPage) patched(name string, p UserPatch, got *UserInfo, err error) {
	delete(u.busy, name)
	if err != nil {
		u.actionErr = "Could not change " + name + ": " + apiErrText(err)
		return
	}
	for i := range u.users {
		if u.users[i].Name != name {
			continue
		}
		switch {
		case got != nil && got.Role != "":
			u.users[i] = *got
		default: // an answer without the user: apply the change
			if p.Role != nil {
				u.users[i].Role = *p.Role
			}
			if p.Disabled != nil {
				u.users[i].Disabled = *p.Disabled
			}
		}
	}
	switch {
	case p.Role != nil:
		u.actionOK = name + " is now " + *p.Role + "."
	case p.Disabled != nil && *p.Disabled:
		u.actionOK = name + " is disabled; its sessions are ended."
	default:
		u.actionOK = name + " is enabled."
	}
}

// Render draws the page.
func (u *UsersPage) Render() app.UI {
	return app.Div().Class("page wide").Body(
		app.Header().Class("top").Body(
			logo(),
			app.H1().Text("eBIOS users"),
			navBar(UsersPath),
		),
		app.Main().ID("main").TabIndex(-1).Body(
			app.If(!u.loggedIn, func() app.UI {
				return app.P().ID("need-login").Class("hint").Body(
					app.Text("User administration needs an administrator's login: "), app.A().Href(Href(LoginPath)).Text("log in"), app.Text("."))
			}),
			app.Section().ID("users").Class("result").Aria("busy", strconv.FormatBool(u.loading)).Body(
				app.Div().Class("hist-head").Body(
					app.H2().Text("Users"),
					app.Button().Type("button").ID("reload").Text("Reload").Disabled(!u.loggedIn || u.loading).OnClick(u.onReload),
				),
				app.If(u.loading, func() app.UI { return app.P().Class("hint").Text("Loading…") }),
				app.If(u.err != "", func() app.UI { return app.P().ID("users-error").Class("error").Role("alert").Text(u.err) }),
				app.Div().Aria("live", "polite").Body(
					app.If(u.actionErr != "", func() app.UI {
						return app.P().ID("user-action-error").Class("error").Role("alert").Text(u.actionErr)
					}),
					app.If(u.actionOK != "", func() app.UI {
						return app.P().ID("user-action-ok").Class("mark ok").Role("status").Text(u.actionOK)
					}),
				),
				app.If(u.confirmDelete != "", func() app.UI { return u.renderConfirm() }),
				app.If(u.users != nil && len(u.users) == 0, func() app.UI { return app.P().Class("hint").Text("No users.") }),
				app.If(len(u.users) > 0, func() app.UI { return u.renderTable() }),
			),
		),
	)
}

// renderConfirm asks to confirm a deletion.
func (u *UsersPage) renderConfirm() app.UI {
	name := u.confirmDelete
	return app.Div().ID("delete-confirm").Class("result").Role("group").Aria("label", "Confirm the deletion of "+name).Body(
		app.P().ID("delete-question").Text("Delete "+name+"? Their sessions end at once and they can no longer log in. "+
			"The ledger keeps what it recorded under the name. This cannot be undone."),
		app.Button().Type("button").ID("confirm-delete").Aria("label", "Delete "+name+" for good").
			Text("Delete "+name).OnClick(u.onDeleteConfirm),
		app.Text(" "),
		app.Button().Type("button").ID("cancel-delete").Text("Cancel").OnClick(u.onDeleteCancel),
	)
}

func (u *UsersPage) renderTable() app.UI {
	return app.Div().Class("table-wrap").Body(app.Table().ID("user-table").Class("entries users").Body(
		app.THead().Body(app.Tr().Body(
			app.Th().Text("Name"), app.Th().Text("Role"), app.Th().Text("Status"),
			app.Th().Text("Created (UTC)"), app.Th().Text("Last login (UTC)"), app.Th().Text("Access"),
		)),
		app.TBody().Body(app.Range(u.users).Slice(func(i int) app.UI {
			us := u.users[i]
			busy := u.busy[us.Name]
			status, cls, action, actionID := "active", "ok", "Disable", "disable-"+us.Name
			if us.Disabled {
				status, cls, action, actionID = "disabled", "bad", "Enable", "enable-"+us.Name
			}
			protected := u.protected(us)
			name := app.Td().Text(us.Name)
			if us.Name == u.me {
				name = app.Td().Body(app.Text(us.Name+" "), app.Span().Class("hint").Text("(you)"))
			}
			return app.Tr().ID("user-"+us.Name).Class(cls).Body(
				name,
				app.Td().Body(
					app.If(protected, func() app.UI {
						return app.Span().ID("role-" + us.Name).Text(us.Role)
					}).Else(func() app.UI {
						return app.Select().ID("role-"+us.Name).DataSet("user", us.Name).Aria("label", "Role of "+us.Name).Disabled(busy).
							OnChange(u.onRole).Body(
							app.Range(Roles).Slice(func(k int) app.UI {
								return app.Option().Value(Roles[k]).Text(Roles[k]).Selected(Roles[k] == us.Role)
							}),
						)
					}),
				),
				app.Td().Body(app.Span().Class("status "+status).Text(status)),
				timeCell(guardTime(us.CreatedAt)),
				timeCell(guardTime(us.LastLogin)),
				app.Td().Body(
					app.If(protected, func() app.UI {
						why := "the last enabled admin"
						if us.Name == u.me {
							why = "your own account"
						}
						return app.Span().ID("protected-" + us.Name).Class("hint").Text("(" + why + ")")
					}).Else(func() app.UI {
						return app.Span().Body(
							app.Button().Type("button").ID(actionID).DataSet("user", us.Name).Aria("label", action+" "+us.Name).
								Disabled(busy).Text(action).OnClick(u.onToggle),
							app.Text(" "),
							app.Button().Type("button").ID("delete-"+us.Name).DataSet("user", us.Name).Aria("label", "Delete "+us.Name).
								Disabled(busy).Text("Delete").OnClick(u.onDeleteAsk),
						)
					}),
				),
			)
		})),
	))
}
