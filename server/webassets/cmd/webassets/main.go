// Command webassets prepares the browser app's files for embedding into
// the ebios binary: it copies web/ (with app.wasm and mcworker.wasm built)
// into server/webassets/dist and writes brotli and gzip forms of them at
// best compression. `make wasm` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ebios/ebios/server/webassets"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "webassets:", err)
			os.Exit(1)
		}
	}
}

func run(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("webassets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: webassets [--web DIR] [--out DIR]

Copy the browser app's files (DIR must hold app.wasm, built by make wasm)
into the directory that go:embed puts into the ebios binary, with brotli
(.br) and gzip (.gz) forms at best compression. Unchanged files are not
compressed again.

Flags:
`)
		fs.PrintDefaults()
	}
	web := fs.String("web", "web", "directory of the built app (app.wasm, mcworker.wasm, icons, styles, scripts)")
	out := fs.String("out", "server/webassets/dist", "directory to fill (embedded by server/webassets)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return webassets.Generate(*web, *out, stdout)
}
