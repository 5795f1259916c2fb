package attest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Theorem names a Coq theorem: the .v file that declares it and its name,
// written "File.v:name" as in theorems.txt.
type Theorem struct {
	File, Name string
}

func (t Theorem) String() string { return t.File + ":" + t.Name }

// ParseTheorem parses "File.v:name".
func ParseTheorem(s string) (Theorem, error) {
	file, name, ok := strings.Cut(s, ":")
	if !ok {
		return Theorem{}, errors.New(`want "File.v:name"`)
	}
	if !strings.HasSuffix(file, ".v") || !validPath(file) {
		return Theorem{}, fmt.Errorf("%q is not a .v file name", file)
	}
	if !identRE.MatchString(name) {
		return Theorem{}, fmt.Errorf("%q is not a Coq identifier", name)
	}
	return Theorem{file, name}, nil
}

// ReadTheorems reads theorems.txt in dir with the rules of check.sh: lines
// that are empty or start with '#' (after blanks) are skipped, blanks are
// removed, and every other line must be "File.v:name". The order of the
// file is kept; a duplicate line is an error.
func ReadTheorems(dir string) ([]Theorem, error) {
	b, err := os.ReadFile(filepath.Join(dir, "theorems.txt")) // #nosec G304 -- theorems.txt of the proofs directory the operator names (--dir, default proofs/)
	if err != nil {
		return nil, errDir("%v", err)
	}
	var ts []Theorem
	seen := make(map[Theorem]bool)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		s = strings.Join(strings.Fields(s), "")
		t, err := ParseTheorem(s)
		if err != nil {
			return nil, errDir("theorems.txt:%d: %v", line, err)
		}
		if seen[t] {
			return nil, errDir("theorems.txt:%d: %s is listed twice", line, t)
		}
		seen[t] = true
		ts = append(ts, t)
	}
	if err := sc.Err(); err != nil {
		return nil, errDir("theorems.txt: %v", err)
	}
	return ts, nil
}

// theoremRE is check.sh's pattern for a Theorem declaration (outside
// comments): the keyword at the start of a line or after a blank or a dot.
var theoremRE = regexp.MustCompile(`(?:^|[\s.])Theorem\s+([A-Za-z_][A-Za-z0-9_']*)`)

// DeclaredTheorems returns the Theorems declared in the .v files of dir,
// found outside comments as check.sh finds them (Lemmas are not theorems
// here), sorted.
func DeclaredTheorems(dir string) ([]Theorem, error) {
	vs, err := filepath.Glob(filepath.Join(dir, "*.v"))
	if err != nil {
		return nil, errDir("%v", err)
	}
	var ts []Theorem
	for _, p := range vs {
		b, err := os.ReadFile(p) // #nosec G304 -- a .v file listed in the proofs directory the operator names
		if err != nil {
			return nil, errDir("%v", err)
		}
		for _, m := range theoremRE.FindAllSubmatch(StripComments(b), -1) {
			ts = append(ts, Theorem{filepath.Base(p), string(m[1])})
		}
	}
	slices.SortFunc(ts, func(a, b Theorem) int { return strings.Compare(a.String(), b.String()) })
	return ts, nil
}

// StripComments replaces every Coq comment, (* ... *) with nesting, by one
// blank. A string literal "..." ("" escapes a quote) is kept as it is, and
// inside a comment a string is skipped whole, as Coq's lexer does.
func StripComments(src []byte) []byte {
	out := make([]byte, 0, len(src))
	depth := 0
	for i := 0; i < len(src); {
		switch {
		case src[i] == '"':
			j := skipString(src, i)
			if depth == 0 {
				out = append(out, src[i:j]...)
			}
			i = j
		case i+1 < len(src) && src[i] == '(' && src[i+1] == '*':
			if depth == 0 {
				out = append(out, ' ')
			}
			depth++
			i += 2
		case depth > 0 && i+1 < len(src) && src[i] == '*' && src[i+1] == ')':
			depth--
			i += 2
		default:
			if depth == 0 {
				out = append(out, src[i])
			}
			i++
		}
	}
	return out
}

// skipString returns the index just past the string literal at src[i].
func skipString(src []byte, i int) int {
	for j := i + 1; j < len(src); j++ {
		if src[j] == '"' {
			if j+1 < len(src) && src[j+1] == '"' {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(src)
}

// theoremDeclProblems compares the theorems of theorems.txt with those
// declared in the .v files of dir.
func theoremDeclProblems(dir string, listed []Theorem) []Problem {
	decl, err := DeclaredTheorems(dir)
	if err != nil {
		return []Problem{{ProblemTheoremsFile, dir, err.Error()}}
	}
	var ps []Problem
	isDecl := make(map[Theorem]bool)
	for _, t := range decl {
		isDecl[t] = true
	}
	isListed := make(map[Theorem]bool)
	for _, t := range listed {
		isListed[t] = true
	}
	for _, t := range listed {
		if !isDecl[t] {
			ps = append(ps, Problem{ProblemTheoremUndeclared, t.String(), "listed in theorems.txt but " + t.File + " declares no Theorem " + t.Name})
		}
	}
	for _, t := range decl {
		if !isListed[t] {
			ps = append(ps, Problem{ProblemTheoremUnlisted, t.String(), "declared in " + t.File + " but not listed in theorems.txt"})
		}
	}
	return ps
}

var flocqVersionRE = regexp.MustCompile(`parse\s+"([0-9][0-9A-Za-z.+~-]*)"%string`)

// DetectToolchain returns the installed Coq and Flocq versions: Coq from
// `coqc --print-version`, Flocq from the Flocq_version definition in
// Flocq/Version.v under `coqc -where`/user-contrib. It fails when coqc is
// not on PATH or Flocq is not found.
func DetectToolchain(ctx context.Context) (Toolchain, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var tc Toolchain
	out, err := exec.CommandContext(ctx, "coqc", "--print-version").Output()
	if err != nil {
		return tc, fmt.Errorf("coqc --print-version: %w", err)
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return tc, errors.New("coqc --print-version printed nothing")
	}
	tc.Coq = f[0]
	out, err = exec.CommandContext(ctx, "coqc", "-where").Output()
	if err != nil {
		return tc, fmt.Errorf("coqc -where: %w", err)
	}
	where := strings.TrimSpace(string(out))
	b, err := os.ReadFile(filepath.Join(where, "user-contrib", "Flocq", "Version.v")) // #nosec G304 -- Flocq's Version.v under the directory coqc -where prints
	if err != nil {
		return tc, fmt.Errorf("flocq: %w", err)
	}
	m := flocqVersionRE.FindSubmatch(b)
	if m == nil {
		return tc, errors.New("flocq: no version string in Flocq/Version.v")
	}
	tc.Flocq = string(m[1])
	return tc, nil
}
