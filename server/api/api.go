// Package api is the eBIOS HTTP API: operations that are computed and
// appended to the signed ledger, ledger queries, proofs and checkpoints,
// authentication and user management. It is plain net/http: every route is
// registered on a ServeMux with its method and pattern, under /api/v1 and,
// for the original eBIOS paths, as an alias at the root.
//
// Every handler decodes JSON strictly (size limit; core/strictjson: exact
// member names, no duplicate, unknown or missing members, valid UTF-8, no
// trailing data), answers errors in the shared structured shape
// ({"error": {"code", "category", "message", "details", "remediation"}}) and
// writes nothing to the ledger unless the whole request is valid.
package api

import (
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ebios/ebios/core/analysis"
	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/strictjson"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ledgerindex"
	"github.com/ebios/ebios/server/logstore"
)

// Defaults of [Config].
const (
	DefaultMaxBody  = 1 << 20 // bytes of a request body
	DefaultMaxBatch = 1000    // operations in one batch
	// DefaultMaxDraws bounds the Monte Carlo draws of one request (all the
	// operations of a batch together): about 0.2 s of one core for a
	// 5-input formula (docs/benchmarks.md, "Monte Carlo").
	DefaultMaxDraws = 1_000_000
)

// Config wires the API to the rest of the server.
type Config struct {
	Store logstore.Log
	Auth  *auth.Service
	// Limit wraps a handler with the rate limit of its route class
	// ("execute", "read", "auth", "admin"), or, for the routes whose work
	// grows with the log, with its price in the "heavy" class (a
	// ratelimit.CostNames name: "verify", "export", "trace",
	// "guard_events"); nil means no limits.
	Limit func(class string, h http.Handler) http.Handler
	// Observe wraps the whole mux (metrics, request ids, logs); may be nil.
	Observe func(h http.Handler) http.Handler
	// Policies judges results and manages policies; nil means no guard
	// (entries record no policy) and no policy endpoints.
	Policies Policies
	// Metrics for operations; may be nil.
	OnOperation func(op, mode string, invariantOK bool)
	// MetricsHandler serves /metrics (admin only); nil means 404.
	MetricsHandler http.Handler
	// MetricsToken, if not empty, is a bearer token that may also read
	// /metrics (Authorization: Bearer <token>), for a scraper such as
	// Prometheus that cannot log in; config monitoring.metrics_token_file.
	MetricsToken string
	// OnVerify, if set, is told the verdict of each verification: scope
	// "entry" (GET /api/v1/ledger/verify/{op_id}) or "log" (a whole-log
	// verify job), ok false when it did not pass or could not run.
	OnVerify func(scope string, ok bool)
	// App serves the dashboard at "/" for browsers; nil shows a short page.
	App     http.Handler
	Logger  *slog.Logger
	Version string
	// MaxBody and MaxBatch bound requests (defaults above).
	MaxBody  int64
	MaxBatch int
	// MaxDraws bounds the Monte Carlo draws of one request (default
	// DefaultMaxDraws); an adaptive run counts as its limit.
	MaxDraws int
	// Index is the read index of Store (trace, guard events, query); nil
	// makes one that catches up when read (serve feeds it from OnCommit).
	Index *ledgerindex.Index
	// Backups takes online backups (POST and GET /api/v1/admin/backup);
	// nil means the endpoints are not registered.
	Backups Backups
	// LogPublic serves the log's checkpoint and tiles (/api/v1/log/...)
	// without authentication (config log_public); see tiles.go.
	LogPublic bool
}

// Server is the API. Create it with [New] and serve [Server.Handler].
type Server struct {
	cfg       Config
	mux       *http.ServeMux
	routes    []Route
	index     *ledgerindex.Index // read index of the store: trace, guard events, query
	verifying verifyJobs         // whole-log verification jobs, one at a time
	verifier  *ledger.Verifier   // the log's key, parsed once
	started   time.Time
}

// Route is one registered endpoint: what the permission matrix, the
// OpenAPI document and the tests iterate.
type Route struct {
	Method, Path string
	Aliases      []string        // the original eBIOS paths of the same endpoint
	Perm         auth.Permission // "" for public endpoints
	Class        string          // rate-limit class, or the price of a heavy route (see Config.Limit)
}

// New builds the API.
func New(cfg Config) *Server {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxDraws <= 0 {
		cfg.MaxDraws = DefaultMaxDraws
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), started: time.Now()}
	s.verifier, _ = ledger.ParseVerifierKey(cfg.Store.VerifierKey()) // the store's own key always parses
	if s.index = cfg.Index; s.index == nil {
		s.index = ledgerindex.New(cfg.Store)
	}
	s.register()
	return s
}

// Routes lists the registered endpoints.
func (s *Server) Routes() []Route { return s.routes }

// Handler returns the API as an http.Handler.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.mux
	if s.cfg.Observe != nil {
		h = s.cfg.Observe(h)
	}
	return h
}

func (s *Server) register() {
	v1 := "/api/v1"
	type R = Route
	add := func(r Route, h http.HandlerFunc) {
		s.routes = append(s.routes, r)
		var handler http.Handler = h
		if r.Perm != "" {
			handler = s.cfg.Auth.Authenticate(s.cfg.Auth.Require(r.Perm, handler))
			if r.Perm == auth.PermMetricsRead && s.cfg.MetricsToken != "" {
				handler = scrapeToken(s.cfg.MetricsToken, h, handler)
			}
		}
		if s.cfg.Limit != nil && r.Class != "" {
			handler = s.cfg.Limit(r.Class, handler)
		}
		for _, p := range append([]string{r.Path}, r.Aliases...) {
			s.mux.Handle(r.Method+" "+p, handler)
		}
	}
	// Health: public, for load balancers and probes.
	add(R{Method: "GET", Path: "/healthz"}, s.healthz)
	add(R{Method: "GET", Path: "/readyz"}, s.readyz)
	add(R{Method: "GET", Path: v1 + "/status", Perm: auth.PermHealth, Class: "read"}, s.status)
	add(R{Method: "GET", Path: v1 + "/openapi.json"}, s.openapi)
	// Operations.
	add(R{Method: "POST", Path: v1 + "/operations/execute", Aliases: []string{"/operations/execute"},
		Perm: auth.PermExecute, Class: "execute"}, s.execute)
	add(R{Method: "POST", Path: v1 + "/operations/batch", Aliases: []string{"/operations/batch"},
		Perm: auth.PermExecute, Class: "execute"}, s.batch)
	// Ledger reads.
	add(R{Method: "GET", Path: v1 + "/ledger/entries", Aliases: []string{"/ledger/entries"},
		Perm: auth.PermLedgerRead, Class: "read"}, s.entries)
	add(R{Method: "GET", Path: v1 + "/ledger/query", Aliases: []string{"/ledger/query"},
		Perm: auth.PermLedgerRead, Class: "read"}, s.entries)
	add(R{Method: "GET", Path: v1 + "/ledger/entries/{index}", Perm: auth.PermLedgerRead, Class: "read"}, s.entry)
	add(R{Method: "GET", Path: v1 + "/ledger/trace/{op_id}", Perm: auth.PermLedgerRead, Class: "trace"}, s.trace)
	add(R{Method: "GET", Path: v1 + "/ledger/export", Perm: auth.PermLedgerRead, Class: "export"}, s.export)
	add(R{Method: "GET", Path: v1 + "/ledger/key", Perm: auth.PermLedgerRead, Class: "read"}, s.key)
	add(R{Method: "GET", Path: v1 + "/checkpoint", Perm: auth.PermLedgerRead, Class: "read"}, s.checkpoint)
	// The log as C2SP tlog-tiles (tiles.go).
	add(R{Method: "GET", Path: v1 + "/log/checkpoint", Perm: s.logPerm(), Class: "read"}, s.logCheckpoint)
	add(R{Method: "GET", Path: v1 + "/log/tile/{L}/{N...}", Perm: s.logPerm(), Class: "read"}, s.logTile)
	add(R{Method: "GET", Path: v1 + "/log/tile/entries/{N...}", Perm: s.logPerm(), Class: "read"}, s.logEntries)
	add(R{Method: "GET", Path: v1 + "/proofs/inclusion", Perm: auth.PermLedgerRead, Class: "read"}, s.inclusion)
	add(R{Method: "GET", Path: v1 + "/proofs/consistency", Perm: auth.PermLedgerRead, Class: "read"}, s.consistency)
	add(R{Method: "GET", Path: v1 + "/ledger/verify/{op_id}", Aliases: []string{"/ledger/verify/{op_id}"},
		Perm: auth.PermLedgerVerify, Class: "read"}, s.verifyOp)
	add(R{Method: "GET", Path: v1 + "/ledger/verify", Aliases: []string{"/ledger/verify"},
		Perm: auth.PermLedgerVerify, Class: "verify"}, s.verifyAll)
	add(R{Method: "POST", Path: v1 + "/ledger/verify/jobs", Perm: auth.PermLedgerVerifyRun, Class: "verify"}, s.startVerifyJob)
	add(R{Method: "GET", Path: v1 + "/ledger/verify/jobs/latest", Perm: auth.PermLedgerVerify, Class: "read"}, s.latestVerifyJob)
	add(R{Method: "GET", Path: v1 + "/ledger/verify/jobs/{id}", Perm: auth.PermLedgerVerify, Class: "read"}, s.getVerifyJob)
	add(R{Method: "GET", Path: v1 + "/ledger/verify/jobs/{id}/report", Perm: auth.PermLedgerVerify, Class: "read"}, s.verifyJobReport)
	add(R{Method: "DELETE", Path: v1 + "/ledger/verify/jobs/{id}", Perm: auth.PermLedgerVerifyRun, Class: "admin"}, s.cancelVerifyJob)
	// Auth.
	add(R{Method: "POST", Path: v1 + "/auth/login", Aliases: []string{"/auth/login"}, Class: "auth"}, s.login)
	add(R{Method: "POST", Path: v1 + "/auth/refresh", Aliases: []string{"/auth/refresh"}, Class: "auth"}, s.refresh)
	add(R{Method: "POST", Path: v1 + "/auth/setup", Class: "auth"}, s.setup)
	add(R{Method: "GET", Path: v1 + "/auth/setup", Class: "auth"}, s.setupStatus)
	add(R{Method: "GET", Path: v1 + "/auth/me", Aliases: []string{"/auth/me"}, Perm: auth.PermSelf, Class: "read"}, s.me)
	add(R{Method: "POST", Path: v1 + "/auth/logout", Aliases: []string{"/auth/logout"}, Perm: auth.PermSelf, Class: "auth"}, s.logout)
	// Users.
	add(R{Method: "GET", Path: v1 + "/users", Perm: auth.PermUsersManage, Class: "admin"}, s.listUsers)
	add(R{Method: "POST", Path: v1 + "/users", Perm: auth.PermUsersManage, Class: "admin"}, s.addUser)
	add(R{Method: "PATCH", Path: v1 + "/users/{name}", Perm: auth.PermUsersManage, Class: "admin"}, s.patchUser)
	add(R{Method: "POST", Path: v1 + "/users/{name}/password", Perm: auth.PermUsersManage, Class: "admin"}, s.resetPassword)
	add(R{Method: "DELETE", Path: v1 + "/users/{name}", Perm: auth.PermUsersManage, Class: "admin"}, s.deleteUser)
	// Policies and the guard.
	if s.cfg.Policies != nil {
		add(R{Method: "GET", Path: v1 + "/policies", Perm: auth.PermPoliciesRead, Class: "read"}, s.listPolicies)
		add(R{Method: "GET", Path: v1 + "/policies/{hash}", Perm: auth.PermPoliciesRead, Class: "read"}, s.getPolicy)
		add(R{Method: "POST", Path: v1 + "/policies/activate", Aliases: []string{"/policies/activate"},
			Perm: auth.PermPoliciesWrite, Class: "admin"}, s.activatePolicy)
		add(R{Method: "POST", Path: v1 + "/policies/deactivate", Aliases: []string{"/policies/deactivate"},
			Perm: auth.PermPoliciesWrite, Class: "admin"}, s.deactivatePolicy)
		add(R{Method: "GET", Path: v1 + "/guard/events", Perm: auth.PermGuardRead, Class: "guard_events"}, s.guardEvents)
	}
	// Backups (backups.go).
	if s.cfg.Backups != nil {
		add(R{Method: "POST", Path: v1 + "/admin/backup", Perm: auth.PermBackup, Class: "admin"}, s.startBackup)
		add(R{Method: "GET", Path: v1 + "/admin/backup", Perm: auth.PermBackup, Class: "admin"}, s.backupStatus)
	}
	// Metrics.
	add(R{Method: "GET", Path: "/metrics", Aliases: []string{v1 + "/metrics"}, Perm: auth.PermMetricsRead, Class: "admin"}, s.metrics)
	// Root: health JSON for API clients, the dashboard for browsers.
	s.mux.HandleFunc("GET /{$}", s.root)
	s.mux.HandleFunc("/", s.notFound)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if s.cfg.App != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !strings.HasPrefix(r.URL.Path, "/api/") {
		s.cfg.App.ServeHTTP(w, r)
		return
	}
	WriteNoRoute(w, r.Method, r.URL.Path)
}

// WriteNoRoute answers 404, API_007 "no such endpoint", for a method
// and path the API has no route for.
func WriteNoRoute(w http.ResponseWriter, method, path string) {
	writeError(w, apiErr(CodeNotFound, "no such endpoint: "+method+" "+path, "",
		"see /api/v1/openapi.json for the endpoints"))
}

// decode reads a JSON body strictly into v: at most MaxBody bytes (413
// beyond), by the rules of core/strictjson (one value; exact,
// case-sensitive member names, each once; no unknown members; every
// required member present and not null; valid UTF-8 without lone
// surrogates). The error names the JSON pointer and the reason.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return apiErr(CodeBadJSON, "the body must be JSON", "Content-Type is "+ct, "send Content-Type: application/json")
	}
	body, err := readBody(w, r, s.cfg.MaxBody)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apiErr(CodeTooLarge, "request body is larger than the limit", "limit "+itoa(s.cfg.MaxBody)+" bytes",
				"send smaller requests; split large batches")
		}
		return apiErr(CodeBadJSON, "cannot read the request body", err.Error(), "send the whole body")
	}
	if err := strictjson.Unmarshal(body, v); err != nil {
		return bodyError(err)
	}
	return nil
}

// readBody reads the whole request body, at most limit bytes (an
// *http.MaxBytesError beyond), into a buffer sized by Content-Length up to
// 16 KiB (a client does not make the server hold memory for bytes it has
// only announced); larger bodies grow it as they arrive.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, limit)
	size := r.ContentLength
	if size < 0 || size > limit {
		size = 512
	}
	size = min(size, 16<<10)
	b := make([]byte, 0, size+1) // +1: the read that finds EOF needs room
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

const strictRemedy = "send one JSON object as documented in /api/v1/openapi.json: member names exactly as documented " +
	"(case-sensitive), each at most once, no other members, every required member present and not null, valid UTF-8"

// bodyError turns a refusal of the strict reader into the API's error. An
// operand's own error (an input that is not [n, u] or {"n", "u"}) keeps its
// code and gains the place.
func bodyError(err error) error {
	var se *strictjson.Error
	if !errors.As(err, &se) {
		return apiErr(CodeBadJSON, "malformed request body", err.Error(), strictRemedy)
	}
	if e, ok := nu.AsError(err); ok {
		c := *e
		if se.Pointer != "" {
			if c.Details != "" {
				c.Details += " "
			}
			c.Details += "(at " + se.Pointer + ")"
		}
		return &c
	}
	return apiErr(CodeBadJSON, "malformed request body", se.Error(), strictRemedy)
}

// wantProof reports whether the query asks for the inclusion proof
// (?proof=1 or ?proof=true).
func wantProof(r *http.Request) bool {
	if r.URL.RawQuery == "" { // the common case: no query to parse
		return false
	}
	p := r.URL.Query().Get("proof")
	return p == "1" || p == "true"
}

// Header values every JSON response carries, set without re-canonicalising
// the keys on each response (net/http copies them when it writes).
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noStore         = []string{"no-store"}
	noSniff         = []string{"nosniff"}
)

// writeJSONHeader writes the headers of a JSON response with status.
func writeJSONHeader(w http.ResponseWriter, status int) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	h["X-Content-Type-Options"] = noSniff
	w.WriteHeader(status)
}

// writeJSON writes v with status 200 (or the given status).
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONHeader(w, status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// ---- health ----

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Store.Ready(); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) health() map[string]any {
	st := "ok"
	if s.cfg.Store.Ready() != nil {
		st = "degraded"
	}
	return map[string]any{"status": st, "service": "ebios", "version": s.cfg.Version,
		"ledger":         map[string]any{"origin": s.cfg.Store.Origin(), "size": s.cfg.Store.Len()},
		"uptime_seconds": int64(time.Since(s.started).Seconds())}
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.health())
}

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if s.cfg.App != nil && !strings.Contains(r.Header.Get("Accept"), "application/json") {
		s.cfg.App.ServeHTTP(w, r)
		return
	}
	writeJSON(w, http.StatusOK, s.health())
}

// scrapeToken serves metrics to a request that carries the metrics token
// (Authorization: Bearer <token>) and passes any other to next, the route
// with its authentication, where a wrong token fails as a bad JWT (401)
// and is counted as an auth failure. The token is compared in constant
// time, as SHA-256 hashes so that its length does not leak either.
func scrapeToken(token string, metrics, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			sum := sha256.Sum256([]byte(got))
			if subtle.ConstantTimeCompare(sum[:], want[:]) == 1 {
				metrics.ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.cfg.MetricsHandler == nil {
		s.notFound(w, r)
		return
	}
	s.cfg.MetricsHandler.ServeHTTP(w, r)
}

// ---- operations ----

// opResponse is the answer to one executed operation.
type opResponse struct {
	Result nu.Value `json:"result"`
	Mode   nu.Mode  `json:"mode"`
	// RelativeUncertainty is u/|n|; Coverage is its name before, kept
	// for the clients that read it.
	RelativeUncertainty nu.Float `json:"relative_uncertainty"`
	Coverage            nu.Float `json:"coverage"`
	Operation           string   `json:"operation"`
	// Guard holds the events the active policy raised about the result
	// (also in its ledger entry).
	Guard []ledger.GuardEvent `json:"guard,omitempty"`
	// Analysis is what the request's "analysis" asked for (operation expr).
	Analysis *analysis.Report `json:"analysis,omitempty"`
	Entry    entryRef         `json:"entry"`
	Proof    *proofJSON       `json:"inclusion_proof,omitempty"`
}

type entryRef struct {
	Index     uint64 `json:"index"`
	OpID      string `json:"op_id"`
	Timestamp string `json:"timestamp"`
}

func ref(e *ledger.Entry) entryRef {
	return entryRef{Index: e.Index, OpID: e.OpID, Timestamp: time.Unix(0, e.Timestamp).UTC().Format(time.RFC3339Nano)}
}

func (s *Server) execute(w http.ResponseWriter, r *http.Request) {
	var req OpRequest
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	budget := s.cfg.MaxDraws
	c, err := compute(r.Context(), &req, -1, &budget)
	if err != nil {
		writeError(w, err)
		return
	}
	halt := s.judge(c)
	e, err := s.cfg.Store.Append(r.Context(), c.Draft)
	if err != nil {
		writeError(w, err)
		return
	}
	s.observe(c)
	if halt {
		halted(w, c, e)
		return
	}
	resp := opResponse{Result: c.Value, Mode: c.Mode, RelativeUncertainty: c.Draft.Coverage, Coverage: c.Draft.Coverage, Operation: c.Draft.Operation,
		Guard: c.Draft.Guard, Analysis: c.Analysis, Entry: ref(e)}
	if req.Proof || wantProof(r) {
		if resp.Proof, _, err = s.proveEntry(e); err != nil {
			writeError(w, err)
			return
		}
	}
	writeOp(w, &resp)
}

func (s *Server) observe(c *computed) {
	if s.cfg.OnOperation != nil {
		s.cfg.OnOperation(c.Draft.Operation, c.Draft.Mode, c.Draft.Invariant.OK)
	}
}

type batchRequest struct {
	Operations []OpRequest `json:"operations"`
}

func (s *Server) batch(w http.ResponseWriter, r *http.Request) {
	var req batchRequest
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if n := len(req.Operations); n == 0 || n > s.cfg.MaxBatch {
		writeError(w, apiErr(CodeBadBatch, "a batch holds 1 to "+itoa(int64(s.cfg.MaxBatch))+" operations", "got "+itoa(int64(n)),
			"split the work into batches of at most "+itoa(int64(s.cfg.MaxBatch))))
		return
	}
	// Compute everything first: one bad operation refuses the whole batch
	// and nothing is written.
	haltAt := -1             // the first operation the policy refuses
	budget := s.cfg.MaxDraws // Monte Carlo draws, for the whole batch
	cs := make([]*computed, len(req.Operations))
	ds := make([]ledger.Draft, len(req.Operations))
	for i := range req.Operations {
		c, err := compute(r.Context(), &req.Operations[i], i, &budget)
		if err != nil {
			writeError(w, err)
			return
		}
		if s.judge(c) && haltAt < 0 {
			haltAt = i
		}
		cs[i], ds[i] = c, c.Draft
	}
	es, err := s.cfg.Store.AppendBatch(r.Context(), ds)
	if err != nil {
		writeError(w, err)
		return
	}
	for i := range es {
		s.observe(cs[i])
	}
	if haltAt >= 0 { // every attempt is logged; the batch's results are refused
		halted(w, cs[haltAt], es[haltAt])
		return
	}
	out := make([]opResponse, len(es))
	for i, e := range es {
		out[i] = opResponse{Result: cs[i].Value, Mode: cs[i].Mode, RelativeUncertainty: cs[i].Draft.Coverage, Coverage: cs[i].Draft.Coverage, Operation: cs[i].Draft.Operation,
			Guard: cs[i].Draft.Guard, Analysis: cs[i].Analysis, Entry: ref(e)}
		if req.Operations[i].Proof {
			if out[i].Proof, _, err = s.proveEntry(e); err != nil {
				writeError(w, err)
				return
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
}
