package evidence

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Statuses of a compliance item.
const (
	ComplianceHolds         = "holds"
	CompliancePartly        = "partly"
	ComplianceDoesNotHold   = "does not hold"
	ComplianceNotApplicable = "not applicable"
)

// ComplianceItem is one row of a checklist table of
// governance/compliance.md.
type ComplianceItem struct {
	Line      int    // the row's line in compliance.md
	Table     string // the heading above the table
	Ref       string // the item's number in the standard's table
	Objective string // the technique, measure or objective, as the standard names it
	Status    string // one of the Compliance* constants
	Evidence  string // the evidence, and what is missing
}

var complianceHeadRE = regexp.MustCompile(`^\|\s*Item\s*\|\s*[^|]+\|\s*Status\s*\|\s*[^|]+\|\s*$`)

// ParseCompliance reads the checklist tables of governance/compliance.md:
// every table whose header is "| Item | ... | Status | ... |", under the
// nearest heading above it.
func ParseCompliance(src []byte) ([]ComplianceItem, []string) {
	var items []ComplianceItem
	var probs []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	heading := ""
	in, sep := false, false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#"):
			heading = strings.TrimSpace(strings.TrimLeft(line, "#"))
			in = false
			continue
		case complianceHeadRE.MatchString(line):
			in, sep = true, false
			continue
		case !in:
			continue
		case !strings.HasPrefix(line, "|"):
			in = false
			continue
		case !sep:
			sep = true
			continue
		}
		cells := splitRow(line)
		if len(cells) != 4 {
			probs = append(probs, fmt.Sprintf("line %d: want 4 cells (item, objective, status, evidence), got %d", n, len(cells)))
			continue
		}
		it := ComplianceItem{Line: n, Table: heading, Ref: cells[0], Objective: cells[1],
			Status: strings.ToLower(strings.Trim(cells[2], "* ")), Evidence: cells[3]}
		switch it.Status {
		case ComplianceHolds, CompliancePartly, ComplianceDoesNotHold, ComplianceNotApplicable:
		default:
			probs = append(probs, fmt.Sprintf("line %d: status %q is not %q, %q, %q or %q", n, cells[2],
				ComplianceHolds, CompliancePartly, ComplianceDoesNotHold, ComplianceNotApplicable))
		}
		if it.Evidence == "" {
			probs = append(probs, fmt.Sprintf("line %d: item %s says nothing about its evidence or what is missing", n, it.Ref))
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		probs = append(probs, "no checklist table: write tables \"| Item | Objective | Status | Evidence |\"")
	}
	return items, probs
}

// splitRow splits a table row into trimmed cells; "|" inside code spans
// does not split.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	var cells []string
	var cur strings.Builder
	inCode := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '`':
			inCode = !inCode
		case c == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
			continue
		case c == '|' && !inCode:
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// CheckCompliance checks the names the checklist's evidence cites: Go
// names, tests, theorems and documentation headings in code spans (other
// code spans, such as commands and files of the bundle, are not checked).
func CheckCompliance(ix *Index, items []ComplianceItem) []string {
	var probs []string
	for _, it := range items {
		for _, s := range spans(it.Evidence) {
			if p := ix.Check(ParseRef(s), ""); p != "" {
				probs = append(probs, fmt.Sprintf("line %d: %s %s: %s", it.Line, it.Table, it.Ref, p))
			}
		}
	}
	return probs
}
