package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ebios/ebios/server/webassets"
	"github.com/ebios/ebios/server/widget"
)

// webAssets returns the browser app's files for serve and static: those
// built into this binary (make build), or else the ones in dir when it
// holds a build of app.wasm (make wasm, for development). It says on
// stderr where they come from, or why there are none, and returns nil
// then.
func webAssets(stderr io.Writer, cmd, dir string) *webassets.Assets {
	web, err := webassets.Embedded()
	if err != nil {
		var derr error
		web, derr = webassets.Dir(dir)
		if derr != nil {
			if errors.Is(derr, webassets.ErrNoApp) {
				fmt.Fprintf(stderr, "ebios %s: the browser app is not built into this binary and %s/app.wasm is not there: build the binary with `make build`, which embeds the app (or run `make wasm` and run ebios from the directory that holds web/)\n", cmd, dir)
			} else {
				fmt.Fprintf(stderr, "ebios %s: the browser app is not built into this binary and %v\n", cmd, derr)
			}
			return nil
		}
		fmt.Fprintf(stderr, "ebios %s: serving the browser app from %s/ (not built into this binary)\n", cmd, dir)
	}
	if !web.Has("mcworker.wasm") {
		fmt.Fprintf(stderr, "ebios %s: mcworker.wasm is not in the browser app's files (%s): the calculator's analyses (Monte Carlo) will not run in the browser (build it with `make wasm`)\n", cmd, web.Origin())
	}
	return web
}

// withWidget serves the embeddable widget (/widget/..., /embed/...) of web
// in front of h, or says on stderr why it cannot and returns h.
func withWidget(stderr io.Writer, cmd string, web *webassets.Assets, h http.Handler) http.Handler {
	w, err := widget.New(web)
	if err != nil {
		fmt.Fprintf(stderr, "ebios %s: the embeddable widget is not served (%v)\n", cmd, err)
		return h
	}
	return w.Handler(h)
}
