package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// navBar is the navigation between the pages; current is the path of the
// page showing it.
func navBar(current string) app.UI {
	return &Nav{Current: current}
}

// permsKey is the session storage key of the permissions of the session's
// token (GET /api/v1/auth/me), so that each page does not ask again.
const permsKey = "ebios.permissions"

// navPerms is what permsKey holds: the permissions and a digest of the
// token they belong to.
type navPerms struct {
	Token string   `json:"token"`
	Perms []string `json:"perms"`
}

func tokenDigest(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:8])
}

// Nav is the navigation bar. Logged in, it shows the pages the user's
// permissions open: Policies with policies:read, Users with users:manage.
type Nav struct {
	app.Compo

	// Current is the path of the page showing the bar.
	Current string

	perms []string
	api   *APIClient // tests: the client to use instead of the session's
}

// OnMount tells the service worker that the app has started (every page
// shows the bar) and loads the permissions of the session's token.
func (n *Nav) OnMount(ctx app.Context) {
	announceStarted()
	tok := sessionToken(ctx)
	if tok == "" {
		return
	}
	d := tokenDigest(tok)
	var cached navPerms
	ctx.SessionStorage().Get(permsKey, &cached) // #nosec G104 -- a cache: unreadable, it misses and the server is asked
	if cached.Token == d {
		n.perms = cached.Perms
		return
	}
	c := apiClient(ctx)
	if n.api != nil {
		c = n.api
	}
	ctx.Async(func() {
		cx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		me, err := c.Me(cx)
		if err != nil {
			return // the badge deals with expired tokens
		}
		ctx.Dispatch(func(ctx app.Context) {
			n.perms = me.Permissions
			ctx.SessionStorage().Set(permsKey, navPerms{Token: d, Perms: me.Permissions}) // #nosec G104 -- a cache: if it cannot be kept, the next page asks the server again
		})
	})
}

func (n *Nav) can(p string) bool { return slices.Contains(n.perms, p) }

// Render draws the bar.
func (n *Nav) Render() app.UI {
	link := func(path, text string) app.UI {
		a := app.A().Href(Href(path)).Text(text)
		if path == n.Current {
			a = a.Aria("current", "page")
		}
		return app.Li().Body(a)
	}
	server := !Serverless() // a static build without an API has no server pages
	return app.Nav().Class("nav").Aria("label", "Pages").Body(
		// The first thing a keyboard reaches: past the navigation.
		app.A().Class("skip").Href("#main").Text("Skip to content"),
		app.Ul().Body(
			link("/", "Calculator"),
			link(AuditPath, "Audit"),
			app.If(server, func() app.UI { return link(ExplorerPath, "Explorer") }),
			app.If(server && n.can(PermPoliciesRead), func() app.UI { return link(PoliciesPath, "Policies") }),
			app.If(server && n.can(PermUsersManage), func() app.UI { return link(UsersPath, "Users") }),
			app.If(server, func() app.UI { return app.Li().Body(&UserBadge{}) }),
		),
	)
}

// logo is the icon at the head of every page. It is decoration (the page's
// heading follows it), so it is presentational: go-app drops an empty alt
// attribute, which would leave the image without a text alternative.
func logo() app.UI {
	return app.Img().Src("/web/icon.svg").Role("presentation").Width(32).Height(32)
}
