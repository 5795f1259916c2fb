package app

import (
	"context"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// apiCaller is what a page that calls the API embeds: the client (a test
// seam) and the component's own context. An event handler's context
// belongs to its element, and go-app drops a Dispatch whose element has been
// re-rendered away (the key form after pinning, a row's select after its
// change), so answers are dispatched through the context from OnMount.
type apiCaller struct {
	api       *APIClient // tests: the client to use instead of the session's
	mounted   app.Context
	isMounted bool
}

// mount keeps the component's context; call it from OnMount.
func (a *apiCaller) mount(ctx app.Context) { a.mounted, a.isMounted = ctx, true }

func (a *apiCaller) client(ctx app.Context) *APIClient {
	if a.api != nil {
		return a.api
	}
	return apiClient(ctx)
}

// callAPI runs fn in the background with the API timeout and hands its
// result to done on the UI goroutine, through the component's context.
func callAPI[T any](a *apiCaller, ctx app.Context, fn func(*APIClient, context.Context) (T, error), done func(app.Context, T, error)) {
	c := a.client(ctx)
	if a.isMounted {
		ctx = a.mounted
	}
	ctx.Async(func() {
		cx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		v, err := fn(c, cx)
		ctx.Dispatch(func(ctx app.Context) { done(ctx, v, err) })
	})
}
