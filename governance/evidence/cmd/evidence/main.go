// Command evidence is the body of `make certify`: it checks the governance
// sources and builds the certification evidence bundle (package
// governance/evidence; docs/certification.md).
//
// Usage:
//
//	evidence check [--root DIR]
//	evidence build [--root DIR] [--out DIR] [--version V] --test-json FILE --cover FILE
//	               [--test-command CMD] [--test-exit N | --test-exit-file FILE]
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ebios/ebios/governance/evidence"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "evidence: error: %v\n", err)
		os.Exit(1)
	}
}

// usageError is a wrong command line: exit status 2.
type usageError struct{}

// Error implements error; the usage was printed already.
func (usageError) Error() string { return "usage" }

const usage = `Usage:
  evidence check [--root DIR]
      checks governance/requirements.md, fmea.md, safety-case.md and
      compliance.md: their form, and that every name they cite exists
  evidence build [--root DIR] [--out DIR] [--version V] --test-json FILE --cover FILE
                 [--test-command CMD] [--test-exit N | --test-exit-file FILE]
      writes the evidence bundle OUT/ebios-evidence-V from the sources and
      a go test -json -coverprofile run, and seals it with its manifest;
      fails (after writing it) when the run failed
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "check" && args[0] != "build") {
		fmt.Fprint(stderr, usage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return usageError{}
	}
	fs := flag.NewFlagSet("evidence "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage+"\nFlags:\n"); fs.PrintDefaults() }
	root := fs.String("root", ".", "the repository")
	out := fs.String("out", "build/certify", "build: the directory the bundle directory is made in")
	version := fs.String("version", "", "build: the version in the bundle's name (default: git describe --tags --always --dirty)")
	testJSON := fs.String("test-json", "", "build: the go test -json output of the run")
	cover := fs.String("cover", "", "build: the coverage profile of the run")
	testCmd := fs.String("test-command", "go test -json -coverprofile ./...", "build: the command line of the run, for the record")
	testExit := fs.Int("test-exit", -1, "build: the exit status of the run (-1: unknown)")
	testExitFile := fs.String("test-exit-file", "", "build: a file holding the exit status of the run")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{}
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "evidence %s: no arguments, got %q\n", args[0], fs.Args())
		return usageError{}
	}
	if args[0] == "check" {
		probs := evidence.Check(*root)
		if len(probs) > 0 {
			return &evidence.SourcesError{Problems: probs}
		}
		fmt.Fprintln(stdout, "governance sources: OK (requirements, FMEA, safety case and compliance checklist; every name they cite exists)")
		return nil
	}
	if *testJSON == "" || *cover == "" {
		fmt.Fprintln(stderr, "evidence build: --test-json FILE and --cover FILE are required")
		return usageError{}
	}
	if *testExitFile != "" {
		b, err := os.ReadFile(*testExitFile) // #nosec G304 G703 -- the Makefile's own --test-exit file
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return fmt.Errorf("%s: not an exit status: %q", *testExitFile, b)
		}
		*testExit = n
	}
	commit, dirty := gitState(*root)
	if *version == "" {
		*version = gitOutput(*root, "describe", "--tags", "--always", "--dirty")
		if *version == "" {
			*version = "unknown"
		}
	}
	gover := strings.TrimSpace(goEnv("GOVERSION"))
	res, err := evidence.Build(evidence.Options{
		Root: *root, Out: *out, Version: *version, Commit: commit, Dirty: dirty,
		TestJSON: *testJSON, CoverProfile: *cover, TestCommand: *testCmd, TestExit: *testExit, GoVersion: gover,
	})
	if err != nil {
		return err
	}
	c := res.Run.Counts()
	fmt.Fprintf(stdout, "wrote %s: %d files, root %s\n", res.Dir, len(res.Manifest.Files), res.Manifest.Root)
	fmt.Fprintf(stdout, "tests: %d passed, %d failed, %d skipped; statement coverage %.1f %%; run took %s\n",
		c[evidence.ResultPass], c[evidence.ResultFail], c[evidence.ResultSkip], res.Total.Percent(), res.Run.End.Sub(res.Run.Start).Round(1e9))
	fmt.Fprintf(stdout, "verify it:  ebios certify verify --bundle %s\n", res.Dir)
	fmt.Fprintf(stdout, "attest it:  ebios certify attest --data-dir DIR --key FILE --bundle %s\n", res.Dir)
	if res.TestsFailed {
		return fmt.Errorf("the test run failed: the bundle records it (%s), but it is no evidence that the requirements hold",
			filepath.Join(res.Dir, "tests", "results.md"))
	}
	return nil
}

// gitState returns the commit of HEAD and whether the tree has changes.
func gitState(root string) (commit string, dirty bool) {
	commit = gitOutput(root, "rev-parse", "HEAD")
	if commit == "" {
		commit = "unknown"
	}
	return commit, gitOutput(root, "status", "--porcelain", "--untracked-files=no") != ""
}

func gitOutput(root string, args ...string) string {
	cmd := exec.Command("git", append([]string{"-C", root}, args...)...) // #nosec G204 G702 -- git with this program's fixed arguments on the repository root it was given
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return ""
	}
	return strings.TrimSpace(out.String())
}

func goEnv(name string) string {
	out, err := exec.Command("go", "env", name).Output() // #nosec G204 -- go env with a variable name from this program
	if err != nil {
		return "unknown"
	}
	return string(out)
}
