package evidence

import (
	"fmt"
	"regexp"
	"strings"
)

// Statuses of a requirement.
const (
	StatusMet       = "met"
	StatusPartlyMet = "partly met"
	StatusNotMet    = "not met"
)

// Requirement is one requirement of governance/requirements.md.
type Requirement struct {
	Line   int    // the heading's line in requirements.md
	ID     string // REQ-01
	Title  string // the requirement, as the heading states it
	Source string // where it comes from: the seed and its criterion, or the FMEA item it is derived from
	Status string // one of the Status* constants
	// StatusNote is what follows the status after a colon.
	StatusNote string
	Design     refList // documentation sections
	Code       refList // Go declarations
	Tests      refList // test functions
	Benchmarks refList // benchmark functions (optional)
	Proofs     refList // theorems
	Note       string  // anything else the requirement says
}

var reqIDRE = regexp.MustCompile(`^REQ-[0-9]{2,3}[a-z]?$`)

// requirementFields are the fields every requirement has.
var requirementFields = []string{"source", "status", "design", "code", "tests", "proofs"}

// ParseRequirements reads governance/requirements.md. It returns the
// requirements and the problems of their form; names are checked by
// [CheckRequirements].
func ParseRequirements(src []byte) ([]Requirement, []string) {
	recs, probs := parseRecords(src)
	var reqs []Requirement
	for _, r := range recs {
		where := fmt.Sprintf("line %d: %s", r.line, r.id)
		if !reqIDRE.MatchString(r.id) || r.kind != "" {
			probs = append(probs, fmt.Sprintf("%s: a requirement's heading is \"### REQ-NN: title\"", where))
			continue
		}
		q := Requirement{Line: r.line, ID: r.id, Title: r.title}
		for _, k := range requirementFields {
			if _, ok := r.fields[k]; !ok {
				probs = append(probs, fmt.Sprintf("%s has no %q field", where, k))
			}
		}
		q.Source, _ = r.get("source")
		st, _ := r.get("status")
		q.Status, q.StatusNote, _ = strings.Cut(st, ":")
		q.Status, q.StatusNote = strings.TrimSpace(strings.ToLower(q.Status)), strings.TrimSpace(q.StatusNote)
		switch q.Status {
		case StatusMet:
		case StatusPartlyMet, StatusNotMet:
			if q.StatusNote == "" {
				probs = append(probs, fmt.Sprintf("%s: status %q needs a reason after a colon: what is missing", where, q.Status))
			}
		default:
			if st != "" {
				probs = append(probs, fmt.Sprintf("%s: status %q is not %q, %q or %q", where, st, StatusMet, StatusPartlyMet, StatusNotMet))
			}
		}
		q.Note, _ = r.get("note")
		for _, f := range []struct {
			key string
			dst *refList
		}{{"design", &q.Design}, {"code", &q.Code}, {"tests", &q.Tests}, {"benchmarks", &q.Benchmarks}, {"proofs", &q.Proofs}} {
			v, ok := r.fields[f.key]
			if !ok {
				continue
			}
			l, p := parseRefList(v.value)
			if p != "" {
				probs = append(probs, fmt.Sprintf("line %d: %s: %s %s", v.line, r.id, f.key, p))
			}
			l.Line = v.line
			*f.dst = l
		}
		reqs = append(reqs, q)
	}
	if len(reqs) == 0 {
		probs = append(probs, "no requirement: write \"### REQ-NN: title\" sections")
	}
	return reqs, probs
}

// checkList checks every reference of l against ix, wanting kind.
func checkList(ix *Index, where, key string, l refList, kind string) []string {
	var probs []string
	if l.Line > 0 {
		// where is "line N: ID": name the field's own line
		if _, id, ok := strings.Cut(where, ": "); ok {
			where = fmt.Sprintf("line %d: %s", l.Line, id)
		}
	}
	for _, r := range l.Refs {
		if p := ix.Check(r, kind); p != "" {
			probs = append(probs, fmt.Sprintf("%s: %s: %s", where, key, p))
		}
	}
	return probs
}

// checkProse checks the references in the code spans of prose: Go names,
// tests, theorems and documentation headings (other spans are not checked).
func checkProse(ix *Index, where string, texts ...string) []string {
	var probs []string
	for _, t := range texts {
		for _, s := range spans(t) {
			if p := ix.Check(ParseRef(s), ""); p != "" {
				probs = append(probs, where+": "+p)
			}
		}
	}
	return probs
}

// CheckRequirements checks every name the requirements cite against the
// repository: design refs are documentation headings, code refs Go
// declarations, tests test functions, benchmarks benchmark functions and
// proofs theorems.
func CheckRequirements(ix *Index, reqs []Requirement) []string {
	var probs []string
	for _, q := range reqs {
		where := fmt.Sprintf("line %d: %s", q.Line, q.ID)
		probs = append(probs, checkList(ix, where, "design", q.Design, RefDoc)...)
		probs = append(probs, checkList(ix, where, "code", q.Code, RefCode)...)
		probs = append(probs, checkList(ix, where, "tests", q.Tests, RefTest)...)
		probs = append(probs, checkList(ix, where, "benchmarks", q.Benchmarks, RefBenchmark)...)
		probs = append(probs, checkList(ix, where, "proofs", q.Proofs, RefTheorem)...)
		probs = append(probs, checkProse(ix, where, q.Source, q.StatusNote, q.Note, q.Tests.None, q.Proofs.None, q.Code.None, q.Design.None)...)
	}
	return probs
}
