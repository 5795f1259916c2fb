package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

func runVersion(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("version", "", "Print the version of this binary (stamped by make build from git describe, else\nthe module version) and the VCS revision it was built from. `ebios --version` does the same.", stderr)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	v, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = " " + s.Value
			}
		}
	}
	if buildVersion != "" {
		v = buildVersion
	}
	fmt.Fprintf(stdout, "ebios %s%s\n", v, rev)
	return nil
}
