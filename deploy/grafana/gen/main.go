// Command gen writes the eBIOS Grafana dashboards as JSON to
// deploy/grafana/dashboards/: `go run ./deploy/grafana/gen`.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/ebios/ebios/deploy/grafana"
)

func main() {
	err := grafana.Run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
