package app

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// navBar is the navigation between the pages; current is the path of the
// page showing it.
func navBar(current string) app.UI {
	link := func(path, text string) app.UI {
		a := app.A().Href(path).Text(text)
		if path == current {
			a = a.Aria("current", "page")
		}
		return app.Li().Body(a)
	}
	return app.Nav().Class("nav").Aria("label", "Pages").Body(
		app.Ul().Body(
			link("/", "Calculator"),
			link(AuditPath, "Audit"),
			link(ExplorerPath, "Explorer"),
			app.Li().Body(&UserBadge{}),
		),
	)
}
