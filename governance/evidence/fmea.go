package evidence

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// FailureMode is one failure mode of governance/fmea.md.
type FailureMode struct {
	Line  int    // the heading's line in fmea.md
	ID    string // FM-01
	Title string // the failure mode, as the heading names it
	Item  string // the part of the system that fails
	// Effect, Cause, Mitigation and Residual are prose.
	Effect, Cause, Mitigation, Residual string
	// Severity, Occurrence and Detection are 1 to 10 (10: worst,
	// most frequent, least detectable).
	Severity, Occurrence, Detection int
	Code                            refList // the code of the mitigation
	Tests                           refList // the tests that show the mitigation works
	// Requirements are the ids of the requirements that ask for the mitigation.
	Requirements []string
}

// RPN is the risk priority number, S × O × D.
func (f FailureMode) RPN() int { return f.Severity * f.Occurrence * f.Detection }

var (
	fmIDRE      = regexp.MustCompile(`^FM-[0-9]{2}$`)
	reqRefRE    = regexp.MustCompile(`REQ-[0-9]{2,3}[a-z]?`)
	leadingIntR = regexp.MustCompile(`^([0-9]+)\b`)
)

var fmeaFields = []string{"item", "effect", "cause", "severity", "occurrence", "detection", "mitigation", "tests"}

// ParseFMEA reads governance/fmea.md: its failure modes and the problems
// of their form, including a summary table ("| Id | Failure mode | S | O |
// D | RPN |") that does not match the sections.
func ParseFMEA(src []byte) ([]FailureMode, []string) {
	recs, probs := parseRecords(src)
	var fms []FailureMode
	for _, r := range recs {
		where := fmt.Sprintf("line %d: %s", r.line, r.id)
		if !fmIDRE.MatchString(r.id) || r.kind != "" {
			probs = append(probs, fmt.Sprintf("%s: a failure mode's heading is \"### FM-NN: title\"", where))
			continue
		}
		f := FailureMode{Line: r.line, ID: r.id, Title: r.title}
		for _, k := range fmeaFields {
			if _, ok := r.fields[k]; !ok {
				probs = append(probs, fmt.Sprintf("%s has no %q field", where, k))
			}
		}
		f.Item, _ = r.get("item")
		f.Effect, _ = r.get("effect")
		f.Cause, _ = r.get("cause")
		f.Mitigation, _ = r.get("mitigation")
		f.Residual, _ = r.get("residual risk")
		for _, s := range []struct {
			key string
			dst *int
		}{{"severity", &f.Severity}, {"occurrence", &f.Occurrence}, {"detection", &f.Detection}} {
			v, line := r.get(s.key)
			m := leadingIntR.FindStringSubmatch(v)
			n := 0
			if m != nil {
				n, _ = strconv.Atoi(m[1])
			}
			if n < 1 || n > 10 {
				if _, ok := r.fields[s.key]; ok {
					probs = append(probs, fmt.Sprintf("line %d: %s: %s must start with a rating from 1 to 10, got %q", line, r.id, s.key, v))
				}
			}
			*s.dst = n
		}
		for _, l := range []struct {
			key string
			dst *refList
		}{{"code", &f.Code}, {"tests", &f.Tests}} {
			v, ok := r.fields[l.key]
			if !ok {
				continue
			}
			rl, p := parseRefList(v.value)
			if p != "" {
				probs = append(probs, fmt.Sprintf("line %d: %s: %s %s", v.line, r.id, l.key, p))
			}
			rl.Line = v.line
			*l.dst = rl
		}
		rq, _ := r.get("requirements")
		f.Requirements = reqRefRE.FindAllString(rq, -1)
		fms = append(fms, f)
	}
	if len(fms) == 0 {
		probs = append(probs, "no failure mode: write \"### FM-NN: title\" sections")
	}
	return fms, append(probs, checkSummary(src, fms)...)
}

var summaryHeadRE = regexp.MustCompile(`^\|\s*Id\s*\|\s*Failure mode\s*\|\s*S\s*\|\s*O\s*\|\s*D\s*\|\s*RPN\s*\|`)

// checkSummary compares the summary table of fmea.md with the sections.
func checkSummary(src []byte, fms []FailureMode) []string {
	var probs []string
	rows := map[string][4]int{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	in, found := false, false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case summaryHeadRE.MatchString(line):
			in, found = true, true
			continue
		case !in:
			continue
		case !strings.HasPrefix(line, "|"):
			in = false
			continue
		case strings.HasPrefix(line, "|-") || strings.HasPrefix(line, "| -"):
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 6 {
			probs = append(probs, fmt.Sprintf("line %d: summary row with %d cells, want 6", n, len(cells)))
			continue
		}
		id := strings.Trim(strings.TrimSpace(cells[0]), "[]")
		if i := strings.Index(id, "]("); i >= 0 { // [FM-01](#fm-01-...)
			id = id[:i]
		}
		var v [4]int
		for i := range 4 {
			v[i], _ = strconv.Atoi(strings.TrimSpace(strings.Trim(cells[2+i], "*")))
		}
		rows[id] = v
		order = append(order, id)
	}
	if !found {
		return []string{"no summary table: add \"| Id | Failure mode | S | O | D | RPN |\" with one row per failure mode"}
	}
	var ids []string
	for _, f := range fms {
		ids = append(ids, f.ID)
		v, ok := rows[f.ID]
		switch {
		case !ok:
			probs = append(probs, fmt.Sprintf("summary table: no row for %s", f.ID))
		case v != [4]int{f.Severity, f.Occurrence, f.Detection, f.RPN()}:
			probs = append(probs, fmt.Sprintf("summary table: %s is S %d O %d D %d RPN %d, its section says S %d O %d D %d (RPN %d)",
				f.ID, v[0], v[1], v[2], v[3], f.Severity, f.Occurrence, f.Detection, f.RPN()))
		}
	}
	for _, id := range order {
		if !slices.Contains(ids, id) {
			probs = append(probs, fmt.Sprintf("summary table: row %s has no section", id))
		}
	}
	return probs
}

// CheckFMEA checks the names the failure modes cite, and that each names a
// test (or says why not) and requirements that exist.
func CheckFMEA(ix *Index, fms []FailureMode, reqs []Requirement) []string {
	var probs []string
	known := map[string]bool{}
	for _, q := range reqs {
		known[q.ID] = true
	}
	for _, f := range fms {
		where := fmt.Sprintf("line %d: %s", f.Line, f.ID)
		probs = append(probs, checkList(ix, where, "code", f.Code, RefCode)...)
		probs = append(probs, checkList(ix, where, "tests", f.Tests, RefTest)...)
		probs = append(probs, checkProse(ix, where, f.Item, f.Effect, f.Cause, f.Mitigation, f.Residual, f.Tests.None, f.Code.None)...)
		for _, id := range f.Requirements {
			if !known[id] {
				probs = append(probs, fmt.Sprintf("%s: requirements: %s is not in governance/requirements.md", where, id))
			}
		}
	}
	return probs
}
