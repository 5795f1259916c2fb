package api

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/ebios/ebios/server/operation"
	"net/http"
	"strconv"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/policy"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ledgerindex"
	"golang.org/x/mod/sumdb/tlog"
)

// CodeHalted is the error of a result refused by the active policy.
const CodeHalted = "GUARD_001"

// Judgement is what the guard says of one result.
type Judgement struct {
	Events     []ledger.GuardEvent
	PolicyHash tlog.Hash // hash of the policy in force; zero when none
	Halt       bool      // the policy refuses the result (halt_on_critical)
}

// Policies is the policy side of the server: the active policy that judges
// every result, and the lifecycle of policies. Activation and deactivation
// append ledger entries themselves.
type Policies interface {
	// Judge evaluates a result against the active policy.
	Judge(v nu.Value) Judgement
	// List returns every stored policy; Active the one in force (nil if none).
	List() []PolicyInfo
	Active() *PolicyInfo
	// Get returns a stored policy document by its hash (hex).
	Get(hash string) ([]byte, error)
	// Activate stores and activates a signed policy document (or, when doc
	// is nil, the stored policy with the given hash), logging it by user.
	Activate(ctx context.Context, doc []byte, hash, user string) (*PolicyInfo, *ledger.Entry, error)
	// Deactivate ends the active policy, logging it by user.
	Deactivate(ctx context.Context, user string) (*PolicyInfo, *ledger.Entry, error)
}

// PolicyInfo describes a stored policy.
type PolicyInfo struct {
	Hash        string `json:"policy_hash"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
	Key         string `json:"public_key"`
	Active      bool   `json:"active"`
	Rules       int    `json:"rules"`
	Halt        bool   `json:"halt_on_critical"`
}

// judge applies the guard to a computed draft: events and policy hash go
// into the entry; it reports whether the result is refused.
func (s *Server) judge(c *computed) bool {
	if s.cfg.Policies == nil {
		return false
	}
	j := s.cfg.Policies.Judge(c.Value)
	c.Draft.Guard, c.Draft.PolicyHash = j.Events, j.PolicyHash
	return j.Halt
}

// halted answers a request whose result the policy refused. The attempt
// and its events are already in the ledger.
func halted(w http.ResponseWriter, c *computed, e *ledger.Entry) {
	details := ""
	for _, ev := range c.Draft.Guard {
		if ev.Level == ledger.LevelCritical {
			details += ev.Rule + " (" + string(ev.Level) + "): " + ev.Message + "; "
		}
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"error": &nu.Error{Code: CodeHalted, Category: "guard", Message: "the active policy refused the result",
			Details:     details + "logged as entry " + strconv.FormatUint(e.Index, 10) + ", op id " + e.OpID,
			Remediation: "the attempt and its guard events are in the ledger; change the inputs, or ask an admin about the policy"},
		"entry": ref(e), "guard": c.Draft.Guard})
}

// ---- policy endpoints ----

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) {
	ps := s.cfg.Policies.List()
	if ps == nil {
		ps = []PolicyInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"policies": ps, "active": s.cfg.Policies.Active()})
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) {
	doc, err := s.cfg.Policies.Get(r.PathValue("hash"))
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(doc) // #nosec G104 G705 -- write errors to an http.ResponseWriter are the client's disconnect; the document is a stored signed policy (JSON) sent as application/json with nosniff (serve.secure), never rendered as HTML
}

type activateRequest struct {
	PolicyHash string          `json:"policy_hash,omitempty"`
	Policy     json.RawMessage `json:"policy,omitempty"`
}

func (s *Server) activatePolicy(w http.ResponseWriter, r *http.Request) {
	var req activateRequest
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if (req.PolicyHash == "") == (len(req.Policy) == 0) {
		writeError(w, apiErr(operation.CodeBadField, "give either policy_hash (a stored policy) or policy (a signed policy document)", "", ""))
		return
	}
	info, e, err := s.cfg.Policies.Activate(r.Context(), req.Policy, req.PolicyHash, principal(r))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"policy": info, "entry": ref(e)})
}

func (s *Server) deactivatePolicy(w http.ResponseWriter, r *http.Request) {
	var req struct{}
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &req); err != nil {
			writeError(w, err)
			return
		}
	}
	info, e, err := s.cfg.Policies.Deactivate(r.Context(), principal(r))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"policy": info, "entry": ref(e)})
}

func principal(r *http.Request) string {
	if p := auth.PrincipalFrom(r.Context()); p != nil {
		return p.User
	}
	return ""
}

// guardEvents lists ledger entries with guard events, filtered by level
// (at least), rule and time, newest first is not promised: index order.
// The read index finds the entries with a matching event, so a page costs
// in proportion to its hits, not to the entries between them.
func (s *Server) guardEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	minLevel := ledger.Level(q.Get("level"))
	if minLevel != "" && !minLevel.Valid() {
		writeError(w, apiErr(CodeBadParam, "level must be info, warning, error or critical", "got "+strconv.Quote(string(minLevel)), ""))
		return
	}
	rule := q.Get("rule")
	var since, until int64
	for name, dst := range map[string]*int64{"since": &since, "until": &until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				writeError(w, apiErr(CodeBadParam, name+" must be an RFC 3339 time", "got "+strconv.Quote(v), ""))
				return
			}
			*dst = t.UnixNano()
		}
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, apiErr(CodeBadParam, "limit must be 1 to 1000", "got "+strconv.Quote(v), ""))
			return
		}
		limit = n
	}
	from := uint64(0)
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseUint(v, 10, 63)
		if err != nil {
			writeError(w, apiErr(CodeBadParam, "bad cursor", "", "use the next of the previous page"))
			return
		}
		from = n
	}
	idx, err := s.readIndex()
	if err != nil {
		writeError(w, err)
		return
	}
	gf := ledgerindex.GuardFilter{Rule: rule, Since: since, Until: until}
	if minLevel != "" {
		gf.MinRank = policy.Rank(minLevel)
	}
	out := []policy.GuardHit{}
	n := s.cfg.Store.Len()
	next := ""
	for i := from; i < n; i++ {
		// The index skips the entries without a matching event.
		if i = idx.SeekGuard(&gf, i, n); i >= n {
			break
		}
		e, err := s.cfg.Store.Get(i)
		if err != nil {
			writeError(w, err)
			return
		}
		if len(e.Guard) == 0 || (since != 0 && e.Timestamp < since) || (until != 0 && e.Timestamp >= until) {
			continue
		}
		var evs []ledger.GuardEvent
		for _, ev := range e.Guard {
			if (rule == "" || ev.Rule == rule) && (minLevel == "" || policy.Rank(ev.Level) >= policy.Rank(minLevel)) {
				evs = append(evs, ev)
			}
		}
		if len(evs) == 0 {
			continue
		}
		if len(out) == limit {
			next = strconv.FormatUint(i, 10)
			break
		}
		out = append(out, policy.GuardHit{Index: e.Index, OpID: e.OpID, Operation: e.Operation, PolicyHash: hexHash(e.PolicyHash),
			Timestamp: time.Unix(0, e.Timestamp).UTC().Format(time.RFC3339Nano), Events: evs})
	}
	writeJSON(w, http.StatusOK, policy.GuardEventsPage{Events: out, Next: next})
}

func hexHash(h tlog.Hash) string {
	if h == (tlog.Hash{}) {
		return ""
	}
	return fmt.Sprintf("%x", h[:])
}
