// Command docsite builds the eBIOS documentation site and its generated
// pages; `make docs` runs it. See internal/docsite, and `docsite help`.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"

	"github.com/ebios/ebios/internal/docsite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := docsite.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, docsite.ErrUsage):
		os.Exit(2)
	default:
		os.Exit(1)
	}
}
