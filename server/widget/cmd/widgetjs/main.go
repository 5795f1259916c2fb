// Command widgetjs builds the embeddable widget's scripts next to its
// wasm: web/widget/ebios.js (the loader: wasm/widget/js/ebios.js with Go's
// wasm_exec.js inside, stamped with the widget's version) and
// web/widget/embed.js (the iframe pages' script), and copies the audit
// page's WebCrypto signature pool (web/ed25519.js, web/ed25519worker.js)
// next to them. `make wasm` runs it after building web/widget/widget.wasm.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ebios/ebios/server/widget"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "widgetjs:", err)
			os.Exit(1)
		}
	}
}

func run(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("widgetjs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: widgetjs [--src DIR] [--pool DIR] [--out DIR] [--wasm-exec FILE]

Build the widget's loader (ebios.js, with Go's wasm_exec.js inside) and
iframe script (embed.js) into DIR, which must hold widget.wasm, built with
the same Go, and copy the signature pool (ed25519.js, ed25519worker.js)
there. The loader is stamped with the widget's version, a digest of all
these files, which names the widget's immutable URLs.

Flags:
`)
		fs.PrintDefaults()
	}
	src := fs.String("src", "wasm/widget/js", "directory of ebios.js and embed.js (the sources)")
	pool := fs.String("pool", "web", "directory of ed25519.js and ed25519worker.js (the WebCrypto signature pool)")
	out := fs.String("out", "web/widget", "directory holding widget.wasm, where the scripts are written")
	wasmExec := fs.String("wasm-exec", "", "Go's wasm_exec.js, of the Go that built widget.wasm: $(go env GOROOT)/lib/wasm/wasm_exec.js (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *wasmExec == "" {
		return errors.New(`--wasm-exec is required: give "$(go env GOROOT)/lib/wasm/wasm_exec.js"`)
	}
	read := func(dir, name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name)) // #nosec G304 -- build inputs named by the Makefile
		if err != nil {
			return nil, fmt.Errorf("%w (build the wasm first: make wasm)", err)
		}
		return b, nil
	}
	wasm, err := read(*out, widget.WasmFile)
	if err != nil {
		return err
	}
	loader, err := read(*src, widget.LoaderFile)
	if err != nil {
		return err
	}
	embed, err := read(*src, widget.EmbedScript)
	if err != nil {
		return err
	}
	poolJS, err := read(*pool, widget.PoolScript)
	if err != nil {
		return err
	}
	poolWorker, err := read(*pool, widget.PoolWorker)
	if err != nil {
		return err
	}
	goJS, err := os.ReadFile(*wasmExec)
	if err != nil {
		return err
	}
	v := widget.Version(wasm, loader, goJS, embed, poolJS, poolWorker)
	js, err := widget.Loader(loader, goJS, v)
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{widget.LoaderFile: js, widget.EmbedScript: embed, widget.PoolScript: poolJS, widget.PoolWorker: poolWorker} {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil { // #nosec G306 -- public web files
			return err
		}
	}
	fmt.Fprintf(stdout, "widgetjs: widget version %s: %s/%s (%d bytes), %s\n", v, *out, widget.LoaderFile, len(js), widget.EmbedScript)
	return nil
}
