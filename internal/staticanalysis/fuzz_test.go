package staticanalysis

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestFuzzTargetsListed keeps the Makefile's FUZZ_TARGETS (what make fuzz
// runs, and what the fuzz campaign of docs/security.md goes through) equal
// to the fuzz targets the tests define: a new target that is not listed, or
// a listed one that is gone, fails here.
func TestFuzzTargetsListed(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	listed := makefileFuzzTargets(t, filepath.Join(root, "Makefile"))
	defined := definedFuzzTargets(t, root)
	for _, d := range defined {
		if !slices.Contains(listed, d) {
			t.Errorf("fuzz target %s is not in the Makefile's FUZZ_TARGETS: add it, so make fuzz runs it", d)
		}
	}
	for _, l := range listed {
		if !slices.Contains(defined, l) {
			t.Errorf("the Makefile's FUZZ_TARGETS lists %s, which no test defines: remove it", l)
		}
	}
	if len(defined) == 0 {
		t.Fatal("found no fuzz target at all: the scan is broken")
	}
}

// makefileFuzzTargets reads the FUZZ_TARGETS := a:b \ c:d ... list.
func makefileFuzzTargets(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path) // #nosec G304 -- test: the repository's own Makefile
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "FUZZ_TARGETS :=") {
			in = true
			line = strings.TrimPrefix(line, "FUZZ_TARGETS :=")
		}
		if !in {
			continue
		}
		cont := strings.HasSuffix(strings.TrimSpace(line), `\`)
		out = append(out, strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), `\`))...)
		if !cont {
			break
		}
	}
	if len(out) == 0 {
		t.Fatal("the Makefile has no FUZZ_TARGETS list")
	}
	return out
}

var fuzzFunc = regexp.MustCompile(`(?m)^func (Fuzz\w+)\(\w+ \*testing\.F\)`)

// definedFuzzTargets finds func FuzzX(f *testing.F) in the repository's
// test files, as package-dir:FuzzX, skipping testdata and node_modules.
func definedFuzzTargets(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "node_modules", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path) // #nosec G304 -- test: a file of the repository being scanned
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		for _, m := range fuzzFunc.FindAllStringSubmatch(string(src), -1) {
			out = append(out, filepath.ToSlash(rel)+":"+m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
