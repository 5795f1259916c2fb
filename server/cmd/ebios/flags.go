package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// newFlags returns a FlagSet that prints its usage (synopsis, description,
// flags) to stderr and returns errors instead of exiting.
func newFlags(name, synopsis, description string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ebios %s %s\n\n%s\nFlags:\n", name, synopsis, description)
		fs.PrintDefaults()
	}
	return fs
}

// dataDirFlag registers --data-dir, the flag of every command that takes a
// data directory, and --data, its deprecated alias (parseFlags warns when
// it is used).
func dataDirFlag(fs *flag.FlagSet, def, usage string) *string {
	p := new(string)
	fs.StringVar(p, "data-dir", def, usage)
	fs.StringVar(p, "data", def, "deprecated: use --data-dir")
	return p
}

// parseFlags parses args, allowing flags after positional arguments (as in
// `ebios ledger verify BUNDLE --key VKEY`); "--" ends the flags. A usage
// error becomes exitError{exitUsage} (the flag package has already printed
// the message and usage). The positional arguments are returned.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, exitError{exitUsage}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			warnDeprecated(fs)
			return pos, nil
		}
		// fs stopped at a non-flag; "--" stops parsing for good.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			warnDeprecated(fs)
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// warnDeprecated says so when a deprecated flag was given.
func warnDeprecated(fs *flag.FlagSet) {
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "data" {
			fmt.Fprintf(fs.Output(), "ebios %s: --data is deprecated, use --data-dir\n", fs.Name())
		}
	})
}

// groupUsage prints the usage of a command group (ebios ledger, user, ...)
// when args name no known subcommand: success for an explicit --help,
// exitUsage otherwise.
func groupUsage(stderr io.Writer, args []string, usage string) error {
	fmt.Fprint(stderr, usage)
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
		return nil
	}
	return exitError{exitUsage}
}

// writeFileAtomic writes path through a temporary file in the same
// directory, fsynced and renamed into place, so that no half-written file is
// ever left. write produces the content. The file gets the mode any new
// file gets (0666 less the umask), as if the shell had made it.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := createTemp(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err = write(tmp); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path) // #nosec G703 -- path is the operator's --out flag
	}
	return err
}

// createTemp creates a new file .ebios-RANDOM in dir with mode 0666 less
// the umask (os.CreateTemp makes 0600 files).
func createTemp(dir string) (*os.File, error) {
	for range 100 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		// #nosec G304 G302 G703 -- a new name in the directory of the operator's --out; 0666 is what the umask is applied to, as for any file the shell makes
		f, err := os.OpenFile(filepath.Join(dir, ".ebios-"+hex.EncodeToString(b[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, errors.New("no free temporary name in " + dir)
}

// wantArgs checks the number of positional arguments.
// requireFlag fails with a usage error when a required flag's value is
// empty; flag names it as the usage shows it ("--out FILE").
func requireFlag(fs *flag.FlagSet, value, flag string) error {
	if value != "" {
		return nil
	}
	fmt.Fprintf(fs.Output(), "ebios %s: %s is required\n", fs.Name(), flag)
	return exitError{exitUsage}
}

func wantArgs(fs *flag.FlagSet, pos []string, n int, what string) error {
	if len(pos) != n {
		fmt.Fprintf(fs.Output(), "ebios %s: want %s, got %d argument(s): %s\n", fs.Name(), what, len(pos), strings.Join(pos, " "))
		fs.Usage()
		return exitError{exitUsage}
	}
	return nil
}
