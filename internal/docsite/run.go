package docsite

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// ErrUsage is returned by Run when the command line is wrong (exit status
// 2); the message has been printed.
var ErrUsage = errors.New("usage error")

const usage = `docsite builds the eBIOS documentation.

Usage:
  docsite gen   [--root DIR] [--check]   write docs/api.md and docs/errors.md from the code
  docsite build [--root DIR] [--out DIR] render README.md and docs/*.md into a static site
  docsite check [--out DIR]              check every link and anchor of a built site

gen writes the API reference (from server/api/openapi.json and the server's
route table) and the list of error codes (from the code's Code... constants);
with --check it writes nothing and fails when they are stale.

build writes one HTML page per Markdown file (README.md becomes index.html)
into --out (default build/docs), with style.css and copies of the repository
files the pages link to under _src/, then checks every link and anchor. Links
are relative: open build/docs/index.html in a browser, or serve the directory
from any static host. It fails, after writing the site, when a link is broken.

make docs runs gen, then build.
`

// Run is the docsite command: args are its arguments without the program
// name. Problems found are printed to stderr and returned as an error.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	_ = ctx
	_ = stdin
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ErrUsage
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("docsite "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage+"\nFlags of "+cmd+":\n")
		fs.PrintDefaults()
	}
	root := fs.String("root", ".", "the repository root (holding go.mod, README.md and docs/)")
	var out *string
	var check *bool
	switch cmd {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	case "gen":
		check = fs.Bool("check", false, "write nothing; fail when the generated pages are stale")
	case "build", "check":
		out = fs.String("out", "build/docs", "the directory of the site")
	default:
		fmt.Fprintf(stderr, "docsite: unknown command %q\n\n%s", cmd, usage)
		return ErrUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return ErrUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "docsite %s: unexpected arguments: %s\n", cmd, strings.Join(fs.Args(), " "))
		return ErrUsage
	}
	switch cmd {
	case "gen":
		gen, err := Generate(*root)
		if err != nil {
			return report(stderr, cmd, err)
		}
		stale := Stale(*root, gen)
		if *check {
			if len(stale) > 0 {
				return report(stderr, cmd, fmt.Errorf("%s stale: regenerate with `make docs` (or go run ./internal/docsite/cmd/docsite gen) and commit the result", strings.Join(stale, " and ")+map[bool]string{true: " is", false: " are"}[len(stale) == 1]))
			}
			fmt.Fprintf(stdout, "%s and %s are up to date\n", APIDoc, ErrorsDoc)
			return nil
		}
		if err := WriteGenerated(*root, gen); err != nil {
			return report(stderr, cmd, err)
		}
		if len(stale) == 0 {
			fmt.Fprintf(stdout, "%s and %s were up to date\n", APIDoc, ErrorsDoc)
		} else {
			fmt.Fprintf(stdout, "wrote %s\n", strings.Join(stale, " and "))
		}
		return nil
	case "build":
		if err := Build(*root, *out); err != nil {
			return report(stderr, cmd, err)
		}
		fmt.Fprintf(stdout, "wrote the documentation site to %s; open %s/index.html\n", *out, *out)
		return nil
	default: // check
		if ps := CheckLinks(*out); len(ps) > 0 {
			return report(stderr, cmd, Problems(ps))
		}
		fmt.Fprintf(stdout, "every link of %s resolves\n", *out)
		return nil
	}
}

// report prints err and returns it.
func report(stderr io.Writer, cmd string, err error) error {
	fmt.Fprintf(stderr, "docsite %s: %v\n", cmd, err)
	return err
}
