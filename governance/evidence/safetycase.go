package evidence

import (
	"fmt"
	"regexp"
	"strings"
)

// GSN node types of the safety case.
const (
	NodeGoal          = "goal"
	NodeStrategy      = "strategy"
	NodeContext       = "context"
	NodeAssumption    = "assumption"
	NodeJustification = "justification"
	NodeSolution      = "solution"
)

// Node is one node of governance/safety-case.md, a "### ID (type): text"
// section.
type Node struct {
	Line int    // the heading's line in safety-case.md
	ID   string // G1, S2, Sn3 ...
	Type string // one of the Node* constants
	Text string // the claim, strategy, context ... of the heading
	// SupportedBy are the goals, strategies and solutions that support a
	// goal or a strategy; InContextOf its contexts, assumptions and
	// justifications.
	SupportedBy, InContextOf []string
	// Undeveloped says why a goal or strategy has no support yet.
	Undeveloped string
	// Evidence are the files of the evidence bundle a solution points at;
	// Tests the test functions it names.
	Evidence []string
	Tests    refList // test functions a solution names (optional)
}

// SafetyCase is the parsed argument; Nodes[0] is the top goal.
type SafetyCase struct {
	Nodes []Node // in the order of the file
	byID  map[string]int
}

var nodeIDRE = regexp.MustCompile(`^[A-Z][A-Za-z]*[0-9]+(?:\.[0-9]+)*$`)

// idListRE finds node ids in a field's text.
var idListRE = regexp.MustCompile(`\b[A-Z][A-Za-z]*[0-9]+(?:\.[0-9]+)*\b`)

// ParseSafetyCase reads governance/safety-case.md.
func ParseSafetyCase(src []byte) (*SafetyCase, []string) {
	recs, probs := parseRecords(src)
	sc := &SafetyCase{byID: map[string]int{}}
	for _, r := range recs {
		where := fmt.Sprintf("line %d: %s", r.line, r.id)
		switch r.kind {
		case NodeGoal, NodeStrategy, NodeContext, NodeAssumption, NodeJustification, NodeSolution:
		default:
			probs = append(probs, fmt.Sprintf("%s: a node's heading is \"### ID (goal|strategy|context|assumption|justification|solution): text\"", where))
			continue
		}
		if !nodeIDRE.MatchString(r.id) {
			probs = append(probs, fmt.Sprintf("%s: a node id is letters and a number, e.g. G1, S2, Sn3", where))
			continue
		}
		n := Node{Line: r.line, ID: r.id, Type: r.kind, Text: r.title}
		sb, _ := r.get("supported by")
		n.SupportedBy = idListRE.FindAllString(sb, -1)
		ic, _ := r.get("in context of")
		n.InContextOf = idListRE.FindAllString(ic, -1)
		n.Undeveloped, _ = r.get("undeveloped")
		if ev, ok := r.fields["evidence"]; ok {
			n.Evidence = spans(ev.value)
			if len(n.Evidence) == 0 {
				probs = append(probs, fmt.Sprintf("line %d: %s: evidence names no file of the bundle in backquotes", ev.line, r.id))
			}
		}
		if ts, ok := r.fields["tests"]; ok {
			l, p := parseRefList(ts.value)
			if p != "" {
				probs = append(probs, fmt.Sprintf("line %d: %s: tests %s", ts.line, r.id, p))
			}
			l.Line = ts.line
			n.Tests = l
		}
		sc.byID[n.ID] = len(sc.Nodes)
		sc.Nodes = append(sc.Nodes, n)
	}
	if len(sc.Nodes) == 0 || sc.Nodes[0].Type != NodeGoal {
		probs = append(probs, "the first node must be the top goal")
	}
	return sc, probs
}

// Node returns the node with the id, or nil.
func (sc *SafetyCase) Node(id string) *Node {
	if i, ok := sc.byID[id]; ok {
		return &sc.Nodes[i]
	}
	return nil
}

// CheckSafetyCase checks the structure of the argument: every reference
// names a node of the right type, goals and strategies are supported (or
// say why not), solutions point at files of the bundle (inBundle) and name
// tests that exist, the support relation has no cycle, and every node
// hangs from the top goal.
func CheckSafetyCase(ix *Index, sc *SafetyCase, inBundle func(path string) bool) []string {
	var probs []string
	for _, n := range sc.Nodes {
		where := fmt.Sprintf("line %d: %s", n.Line, n.ID)
		probs = append(probs, checkProse(ix, where, n.Text, n.Undeveloped)...)
		for _, id := range n.SupportedBy {
			m := sc.Node(id)
			switch {
			case m == nil:
				probs = append(probs, fmt.Sprintf("%s: supported by %s, which is not a node", where, id))
			case m.Type != NodeGoal && m.Type != NodeStrategy && m.Type != NodeSolution:
				probs = append(probs, fmt.Sprintf("%s: supported by %s, a %s: only goals, strategies and solutions support", where, id, m.Type))
			}
		}
		for _, id := range n.InContextOf {
			m := sc.Node(id)
			switch {
			case m == nil:
				probs = append(probs, fmt.Sprintf("%s: in context of %s, which is not a node", where, id))
			case m.Type != NodeContext && m.Type != NodeAssumption && m.Type != NodeJustification:
				probs = append(probs, fmt.Sprintf("%s: in context of %s, a %s: only contexts, assumptions and justifications", where, id, m.Type))
			}
		}
		switch n.Type {
		case NodeGoal, NodeStrategy:
			if len(n.SupportedBy) == 0 && n.Undeveloped == "" {
				probs = append(probs, fmt.Sprintf("%s: a %s needs \"Supported by\", or \"Undeveloped: why\"", where, n.Type))
			}
		case NodeSolution:
			if len(n.Evidence) == 0 {
				probs = append(probs, fmt.Sprintf("%s: a solution needs \"Evidence\": files of the bundle in backquotes", where))
			}
			for _, p := range n.Evidence {
				if !inBundle(p) {
					probs = append(probs, fmt.Sprintf("%s: evidence `%s` is not a file of the evidence bundle", where, p))
				}
			}
			probs = append(probs, checkList(ix, where, "tests", n.Tests, RefTest)...)
			probs = append(probs, checkProse(ix, where, n.Tests.None)...)
			if len(n.SupportedBy) > 0 {
				probs = append(probs, fmt.Sprintf("%s: a solution is supported by nothing; it is evidence", where))
			}
		default:
			if len(n.SupportedBy) > 0 || len(n.InContextOf) > 0 {
				probs = append(probs, fmt.Sprintf("%s: a %s has no support and no context of its own", where, n.Type))
			}
		}
	}
	if len(sc.Nodes) == 0 {
		return probs
	}
	// Reachability from the top goal, and cycles of the support relation.
	state := map[string]int{} // 1: on the path, 2: done
	var visit func(id string, path []string)
	visit = func(id string, path []string) {
		n := sc.Node(id)
		if n == nil {
			return
		}
		switch state[id] {
		case 1:
			probs = append(probs, fmt.Sprintf("the argument has a cycle: %s → %s", strings.Join(path, " → "), id))
			return
		case 2:
			return
		}
		state[id] = 1
		for _, c := range n.InContextOf {
			if state[c] == 0 {
				state[c] = 2
			}
		}
		for _, s := range n.SupportedBy {
			visit(s, append(path, id))
		}
		state[id] = 2
	}
	visit(sc.Nodes[0].ID, nil)
	for _, n := range sc.Nodes {
		if state[n.ID] == 0 {
			probs = append(probs, fmt.Sprintf("line %d: %s is not connected to the top goal %s", n.Line, n.ID, sc.Nodes[0].ID))
		}
	}
	return probs
}

// Outline returns the argument as an indented list, top goal first, for
// the bundle: each node with its type and text, its context, and the
// evidence of each solution. A node reached twice is written in full once.
func (sc *SafetyCase) Outline() string {
	var b strings.Builder
	done := map[string]bool{}
	var write func(id string, depth int)
	write = func(id string, depth int) {
		n := sc.Node(id)
		if n == nil {
			return
		}
		ind := strings.Repeat("  ", depth)
		if done[id] {
			fmt.Fprintf(&b, "%s- **%s** (%s, above)\n", ind, n.ID, n.Type)
			return
		}
		done[id] = true
		fmt.Fprintf(&b, "%s- **%s** (%s): %s\n", ind, n.ID, n.Type, n.Text)
		for _, c := range n.InContextOf {
			if m := sc.Node(c); m != nil {
				fmt.Fprintf(&b, "%s  - *in context of* %s (%s): %s\n", ind, m.ID, m.Type, m.Text)
			}
		}
		if n.Undeveloped != "" {
			fmt.Fprintf(&b, "%s  - *undeveloped*: %s\n", ind, n.Undeveloped)
		}
		if len(n.Evidence) > 0 {
			links := make([]string, len(n.Evidence))
			for i, e := range n.Evidence {
				links[i] = "[" + e + "](../" + e + ")"
			}
			fmt.Fprintf(&b, "%s  - *evidence*: %s\n", ind, strings.Join(links, ", "))
		}
		for _, s := range n.SupportedBy {
			write(s, depth+1)
		}
	}
	write(sc.Nodes[0].ID, 0)
	return b.String()
}
