package app

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// LoginPath is the route of the login page.
const LoginPath = "/login"

// apiTimeout bounds one page load from the API.
const apiTimeout = 60 * time.Second

// sessionToken returns the access token kept in session storage.
func sessionToken(ctx app.Context) string {
	var t string
	ctx.SessionStorage().Get(tokenKey, &t) // #nosec G104 -- a missing or unreadable token reads as empty: the page acts logged out
	return t
}

// apiClient is the API client (same origin unless a static build
// configured another, see [APIBase]) with the session's token.
// A refused access token is refreshed silently with the session's refresh
// token, and the new pair kept.
func apiClient(ctx app.Context) *APIClient {
	var refresh string
	ctx.SessionStorage().Get(refreshKey, &refresh) // #nosec G104 -- a missing refresh token reads as empty: the session ends at its access token's expiry
	return &APIClient{Base: APIBase(), Token: sessionToken(ctx), Refresh: refresh,
		OnRefresh: func(access, refresh string) {
			ctx.Dispatch(func(ctx app.Context) {
				if err := ctx.SessionStorage().Set(tokenKey, access); err != nil {
					app.Logf("keeping the refreshed session: %v (the page keeps it in memory until it is left)", err)
				}
				if err := ctx.SessionStorage().Set(refreshKey, refresh); err != nil {
					app.Logf("keeping the refreshed session: %v (the page keeps it in memory until it is left)", err)
				}
			})
		}}
}

// Login is the login page: username and password, POST /api/v1/auth/login;
// the access token is kept in session storage (gone when the tab closes).
type Login struct {
	app.Compo

	username string
	password string
	busy     bool
	err      string
	user     string // logged in as

	// While no admin exists (GET /api/v1/auth/setup), the page offers the
	// first admin's setup: the one-time token the server printed, a name
	// and a passphrase.
	setup                            bool
	setupToken, setupUser, setupPass string
}

// OnNav sets the title.
func (l *Login) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("eBIOS log in")
}

// OnMount shows who is logged in.
func (l *Login) OnMount(ctx app.Context) {
	ctx.SessionStorage().Get(userKey, &l.user) // #nosec G104 -- a missing name reads as empty: no one is shown as logged in
	if Serverless() {
		return
	}
	ctx.Async(func() {
		c, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		needed, err := (&APIClient{Base: APIBase()}).SetupNeeded(c)
		ctx.Dispatch(func(ctx app.Context) { l.setup = err == nil && needed })
	})
}

func (l *Login) onSetup(ctx app.Context, e app.Event) {
	preventDefault(e)
	if l.busy {
		return
	}
	if l.setupToken == "" || l.setupUser == "" || l.setupPass == "" {
		l.err = "Paste the setup token the server printed, and choose a name and a passphrase."
		return
	}
	l.busy, l.err = true, ""
	tok, user, pass := strings.TrimSpace(l.setupToken), l.setupUser, l.setupPass
	ctx.Async(func() {
		c, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		client := &APIClient{Base: APIBase()}
		err := client.Setup(c, tok, user, pass)
		var r *LoginResult
		if err == nil {
			r, err = client.Login(c, user, pass)
		}
		ctx.Dispatch(func(ctx app.Context) {
			l.busy, l.setupPass = false, ""
			if err != nil {
				l.err = err.Error()
				return
			}
			l.setup = false
			l.loggedIn(ctx, r, user)
		})
	})
}

func (l *Login) onSubmit(ctx app.Context, e app.Event) {
	preventDefault(e)
	l.submit(ctx)
}

func (l *Login) submit(ctx app.Context) {
	if l.busy || l.username == "" || l.password == "" {
		if l.username == "" || l.password == "" {
			l.err = "Type your username and password."
		}
		return
	}
	l.busy, l.err = true, ""
	user, pass := l.username, l.password
	ctx.Async(func() {
		c, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		r, err := (&APIClient{Base: APIBase()}).Login(c, user, pass)
		ctx.Dispatch(func(ctx app.Context) {
			l.busy, l.password = false, ""
			if err != nil {
				l.err = err.Error()
				return
			}
			l.loggedIn(ctx, r, user)
		})
	})
}

// loggedIn keeps the session's tokens and goes on (afterLogin).
func (l *Login) loggedIn(ctx app.Context, r *LoginResult, user string) {
	name := r.User.Name
	if name == "" {
		name = user
	}
	for _, kv := range [][2]string{{tokenKey, r.AccessToken}, {refreshKey, r.RefreshToken}, {userKey, name}} {
		if err := ctx.SessionStorage().Set(kv[0], kv[1]); err != nil {
			// Going on would land on a page that finds no session.
			l.busy = false
			l.err = "This browser does not let the page keep your session (session storage is blocked or full): allow storage for this site, or leave private browsing, and log in again."
			return
		}
	}
	l.user = name
	ctx.Navigate(afterLogin(ctx.Page().URL().Query().Get("next")))
}

// afterLogin is where the login page goes once logged in: back to the
// page next names when it is one of the app's own (a path, not a URL),
// else the explorer.
func afterLogin(next string) string {
	if strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\:") {
		return next
	}
	return Href(ExplorerPath)
}

// Render draws the page.
func (l *Login) Render() app.UI {
	return app.Div().Class("page").Body(
		app.Header().Class("top").Body(
			logo(),
			app.H1().Text("eBIOS log in"),
			navBar(LoginPath),
		),
		app.Main().ID("main").TabIndex(-1).Body(
			app.If(l.user != "", func() app.UI {
				return app.P().ID("login-as").Class("pinned").Text("Logged in as " + l.user + ".")
			}),
			app.If(l.setup, func() app.UI {
				return app.Form().ID("setup").Class("panel login").Aria("label", "Create the first admin").OnSubmit(l.onSetup).Body(
					app.H2().Text("Create the first admin"),
					app.P().Class("help").Text("This server has no admin yet. When it started it printed a one-time setup token: paste it here, and choose the admin's name and passphrase."),
					app.Label().For("setup-token").Text("Setup token"),
					app.Input().ID("setup-token").Type("text").Attr("autocomplete", "off").Attr("autocapitalize", "off").Required(true).
						Value(l.setupToken).OnInput(l.ValueTo(&l.setupToken)),
					app.Label().For("setup-username").Text("Admin name"),
					app.Input().ID("setup-username").Type("text").Attr("autocomplete", "username").Attr("autocapitalize", "off").Required(true).
						Value(l.setupUser).OnInput(l.ValueTo(&l.setupUser)),
					app.Label().For("setup-password").Text("Passphrase"),
					app.Input().ID("setup-password").Type("password").Attr("autocomplete", "new-password").Required(true).
						Value(l.setupPass).OnInput(l.ValueTo(&l.setupPass)),
					app.Div().Class("row").Body(
						app.Button().Type("submit").ID("setup-submit").Class("go").Disabled(l.busy).Text("Create and log in"),
					),
				)
			}),
			app.Form().Class("panel login").Aria("label", "Log in").OnSubmit(l.onSubmit).Body(
				app.Label().For("username").Text("Username"),
				app.Input().ID("username").Name("username").Type("text").
					Attr("autocomplete", "username").Attr("autocapitalize", "off").Required(true).
					Value(l.username).OnInput(l.ValueTo(&l.username)),
				app.Label().For("password").Text("Password"),
				app.Input().ID("password").Name("password").Type("password").
					Attr("autocomplete", "current-password").Required(true).
					Value(l.password).OnInput(l.ValueTo(&l.password)),
				app.Div().Class("row").Body(
					app.Button().Type("submit").ID("login").Class("go").Disabled(l.busy).Text("Log in"),
				),
				app.P().Class("help").Text("The access token is kept in this tab's session storage only, and is forgotten when you log out or close the tab."),
			),
			app.If(l.err != "", func() app.UI {
				return app.P().ID("login-error").Class("error").Role("alert").Text(l.err)
			}),
		),
	)
}

// UserBadge shows, in the nav bar, who is logged in (GET /api/v1/auth/me)
// with a Log out button, or a Log in link.
type UserBadge struct {
	app.Compo

	name string
	role string
}

// OnMount asks the server who the token belongs to.
func (b *UserBadge) OnMount(ctx app.Context) {
	c := apiClient(ctx)
	if c.Token == "" {
		return
	}
	ctx.SessionStorage().Get(userKey, &b.name) // #nosec G104 -- a missing name reads as empty: the badge asks the server
	ctx.Async(func() {
		cx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		me, err := c.Me(cx)
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case err == nil:
				b.name, b.role = me.User.Name, me.User.Role
			case Unauthorized(err): // expired or revoked, and no refresh helped
				b.forget(ctx)
				if p := ctx.Page().URL().Path; slices.Contains(OnlinePages, pageRoute(p)) && pageRoute(p) != LoginPath {
					// Log in again, and come back here.
					ctx.Navigate(Href(LoginPath + "?next=" + url.QueryEscape(p)))
				}
			}
		})
	})
}

func (b *UserBadge) forget(ctx app.Context) {
	ctx.SessionStorage().Del(tokenKey)
	ctx.SessionStorage().Del(refreshKey)
	ctx.SessionStorage().Del(userKey)
	b.name, b.role = "", ""
}

func (b *UserBadge) onLogout(ctx app.Context, e app.Event) {
	c := apiClient(ctx)
	b.forget(ctx)
	ctx.Async(func() {
		cx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		_ = c.Logout(cx) // the token is forgotten either way
		ctx.Dispatch(func(ctx app.Context) { ctx.Navigate(Href(LoginPath)) })
	})
}

// Render draws the badge.
func (b *UserBadge) Render() app.UI {
	if b.name == "" {
		return app.Span().Class("user").Body(app.A().ID("nav-login").Href(Href(LoginPath)).Text("Log in"))
	}
	who := b.name
	if b.role != "" {
		who += " (" + b.role + ")"
	}
	return app.Span().Class("user").Body(
		app.Span().ID("nav-user").Text(who),
		app.Button().Type("button").ID("logout").Text("Log out").OnClick(b.onLogout),
	)
}
