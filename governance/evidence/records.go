package evidence

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// A record is one "### ID: title" section of a governance source and its
// fields, the bullets "- **Key**: value" that follow the heading (a value
// may continue on indented lines). Text between the fields and the next
// heading is kept as the record's body.
type record struct {
	line   int
	id     string
	kind   string // "(goal)" and the like after the id in a safety case, without parentheses
	title  string
	fields map[string]*field
	order  []string
}

// field is a record's field.
type field struct {
	line  int
	value string
}

var (
	recordHeadRE = regexp.MustCompile(`^###\s+([A-Za-z]+[A-Za-z0-9.-]*)(?:\s+\(([a-z ]+)\))?:\s+(.+?)\s*$`)
	fieldRE      = regexp.MustCompile(`^[-*]\s+(?:\*\*)?([A-Z][A-Za-z ]*?)(?:\*\*)?:(?:\*\*)?\s*(.*)$`)
	codeSpanRE   = regexp.MustCompile("`([^`]+)`")
)

// parseRecords returns the records of a Markdown source and the problems
// of its form (a repeated id, a repeated field).
func parseRecords(src []byte) ([]*record, []string) {
	var recs []*record
	var probs []string
	var cur *record
	var last *field
	seen := map[string]int{}
	inFence := false
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		if strings.HasPrefix(line, "#") {
			last = nil
			cur = nil
			if m := recordHeadRE.FindStringSubmatch(line); m != nil {
				cur = &record{line: n, id: m[1], kind: m[2], title: m[3], fields: map[string]*field{}}
				if prev, dup := seen[cur.id]; dup {
					probs = append(probs, fmt.Sprintf("line %d: %s is already defined on line %d", n, cur.id, prev))
				}
				seen[cur.id] = n
				recs = append(recs, cur)
			}
			continue
		}
		if cur == nil {
			continue
		}
		if m := fieldRE.FindStringSubmatch(line); m != nil {
			key := strings.ToLower(m[1])
			if _, dup := cur.fields[key]; dup {
				probs = append(probs, fmt.Sprintf("line %d: %s has a second %q field", n, cur.id, m[1]))
			}
			last = &field{line: n, value: strings.TrimSpace(m[2])}
			cur.fields[key] = last
			cur.order = append(cur.order, key)
			continue
		}
		if last != nil && trim != "" && (strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "\t")) {
			last.value += " " + trim
			continue
		}
		last = nil
	}
	return recs, probs
}

// get returns the value of the field key ("" if absent) and its line.
func (r *record) get(key string) (string, int) {
	if f, ok := r.fields[key]; ok {
		return f.value, f.line
	}
	return "", r.line
}

// spans returns the texts of the code spans of s.
func spans(s string) []string {
	var out []string
	for _, m := range codeSpanRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// refList is a field that lists references, or says "none: reason".
type refList struct {
	// Line is the line of the field in its source.
	Line int
	Refs []Ref
	// None is the reason given when the field says "none: ...".
	None string
}

// parseRefList reads a field value: code spans, or "none: reason" (the
// reason required). It returns a problem text when the value is neither.
func parseRefList(v string) (refList, string) {
	low := strings.ToLower(v)
	if strings.HasPrefix(low, "none") {
		reason := strings.TrimSpace(strings.TrimLeft(v[len("none"):], " :—-–"))
		if reason == "" {
			return refList{}, "says none without saying why: write \"none: the reason\""
		}
		return refList{None: reason}, ""
	}
	ss := spans(v)
	if len(ss) == 0 {
		return refList{}, "names nothing: list names in backquotes, or write \"none: the reason\""
	}
	var l refList
	for _, s := range ss {
		l.Refs = append(l.Refs, ParseRef(s))
	}
	return l, ""
}
