package config

import (
	"fmt"
	"strconv"
	"strings"
)

// iniValue is one key = value line of the file.
type iniValue struct {
	section, key, value string
	line                int
}

// parseINI parses the strict INI dialect of ebios.conf:
//
//   - blank lines and lines starting with ; or # are comments;
//   - [section] starts a section (a section may appear more than once);
//   - key = value sets a key of the current section; a key outside any
//     section, or set twice in the file, is an error;
//   - white space around keys and values is ignored; a value may be
//     written in double quotes with Go escapes ("a \"b\" #c"); an unquoted
//     value ends at " ;" or " #" (a comment after white space);
//   - a UTF-8 byte order mark at the start and CR line ends are accepted.
//
// Which sections and keys exist is checked by the caller, which knows them;
// syntax errors are returned as problems with line numbers.
func parseINI(name string, data []byte) ([]iniValue, []Problem) {
	var out []iniValue
	var probs []Problem
	text := strings.TrimPrefix(string(data), "\ufeff")
	section := ""
	seen := map[string]int{}
	for i, raw := range strings.Split(text, "\n") {
		n := i + 1
		src := Source{Kind: FromFile, Name: name, Line: n}
		fail := func(format string, args ...any) {
			probs = append(probs, Problem{Source: src, Message: fmt.Sprintf(format, args...)})
		}
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") {
				fail("section header %q has no closing ]", line)
				continue
			}
			section = strings.TrimSpace(line[1 : len(line)-1])
			if section == "" {
				fail("empty section name")
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			fail("expected key = value or [section], got %q", line)
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" {
			fail("missing key before =")
			continue
		}
		if section == "" {
			fail("key %q is outside any [section]", k)
			continue
		}
		if strings.HasPrefix(v, `"`) {
			end := closingQuote(v)
			if end < 0 {
				fail("unterminated quoted value for %s", k)
				continue
			}
			uq, err := strconv.Unquote(v[:end+1])
			rest := strings.TrimSpace(v[end+1:])
			if err != nil || (rest != "" && rest[0] != ';' && rest[0] != '#') {
				fail("bad quoted value for %s: %s", k, v)
				continue
			}
			v = uq
		} else {
			for _, c := range []string{" ;", " #", "\t;", "\t#"} {
				if j := strings.Index(v, c); j >= 0 {
					v = strings.TrimSpace(v[:j])
				}
			}
		}
		id := section + "." + k
		if first, dup := seen[id]; dup {
			fail("[%s] %s is set twice (first on line %d)", section, k, first)
			continue
		}
		seen[id] = n
		out = append(out, iniValue{section: section, key: k, value: v, line: n})
	}
	return out, probs
}

// closingQuote returns the index of the quote that closes the Go string
// literal starting at s[0], or -1.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
