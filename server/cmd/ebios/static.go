package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	webapp "github.com/ebios/ebios/app"
	"github.com/ebios/ebios/server/webassets"
	"github.com/ebios/ebios/server/widget"
)

const staticHelp = `Write the browser app as a static website that any static host can serve.

DIR gets index.html (the calculator) and one NAME.html per page, app.js,
app-worker.js (the service worker), app.css, wasm_exec.js,
manifest.webmanifest and, in DIR/web, the app's files with their .br and
.gz forms: app.wasm, mcworker.wasm (the calculator's analyses, Monte Carlo
in a Web Worker), styles and icons. They come from --web DIR when given,
else from this binary (make build embeds them), else from ./web built by
` + "`make wasm`" + `. The embeddable widget goes to DIR/widget/VERSION/
(immutable: cache it for a year), DIR/widget/ebios.js (the current loader)
and DIR/embed/calc.html and verify.html (the iframe pages);
docs/embedding.md lists the headers the host should send. Serve DIR at the
root of a host (for a try: python3 -m http.server -d DIR); the host should
send .wasm files as application/wasm.

The calculator and the audit page run in the browser and work offline after
the first visit. The online pages (log in, explorer, policies, users) call
the API at --api URL, and without --api the site is offline-only: it does
not offer them. Put the site and the API behind one origin (a reverse proxy
sending /api/ to ebios serve) and give that origin as --api; or, for an API
on another origin, list the site's origin in that server's [api]
cors_origins.

--version names the service worker's cache; by default it is derived from
this binary's version and the app's files, so every new build is picked up
by the browsers as an update.
`

func runStatic(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("static", "--out DIR [--api URL] [--version V] [--web DIR]", staticHelp, stderr)
	out := fs.String("out", "", "directory to write the site to (required)")
	api := fs.String("api", "", "base URL of the eBIOS API for the online pages, as in https://ebios.example.org (default: none, an offline-only site)")
	ver := fs.String("version", "", "app version naming the service worker cache (default: derived from the binary and app.wasm)")
	webDir := fs.String("web", "", "directory holding app.wasm, the icons and ebios.css (default: the app built into this binary, else ./web)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, "no arguments"); err != nil {
		return err
	}
	if err := requireFlag(fs, *out, "--out DIR"); err != nil {
		return err
	}
	base, err := webapp.CheckAPIURL(*api)
	if err != nil {
		fmt.Fprintf(stderr, "ebios static: --api: %v\n", err)
		return exitError{exitUsage}
	}
	var web *webassets.Assets
	if *webDir == "" {
		web = webAssets(stderr, "static", "web")
	} else if web, err = webassets.Dir(*webDir); err != nil {
		fmt.Fprintf(stderr, "ebios static: --web: %v\n", err)
	} else if !web.Has("mcworker.wasm") {
		fmt.Fprintf(stderr, "ebios static: %s not found: the calculator's analyses (Monte Carlo) will not run in the browser (build it with `make wasm`)\n", filepath.Join(*webDir, "mcworker.wasm"))
	}
	if web == nil {
		return exitError{exitFail}
	}
	v := *ver
	if v == "" {
		v = version() + "-" + web.Digest()
	}
	if err := webapp.GenerateStatic(webapp.StaticOptions{Dir: *out, Web: web, Version: v, APIURL: base}); err != nil {
		return reportErr(stdout, stderr, false, "", err)
	}
	embedded := ""
	if w, err := widget.New(web); err != nil {
		fmt.Fprintf(stderr, "ebios static: the embeddable widget is not in the site (%v)\n", err)
	} else if err := w.WriteStatic(*out); err != nil {
		return reportErr(stdout, stderr, false, "", err)
	} else {
		embedded = fmt.Sprintf("with the embeddable widget (version %s): %s/widget/ebios.js, %s/embed/calc.html, %s/embed/verify.html\n", w.Version(), *out, *out, *out)
	}
	pages := "offline-only: the calculator and the audit page (give --api URL for the online pages)"
	if base != "" {
		pages = "online pages call the API at " + base
	}
	fmt.Fprintf(stdout, "wrote the static site (version %s) to %s; %s\n%s", v, *out, pages, embedded)
	fmt.Fprintf(stderr, "try it: python3 -m http.server -d %s 8080, then open http://localhost:8080/\n", *out)
	return nil
}
