// Package edge is the eBIOS API as the Cloudflare Worker serves it
// (wasm/worker): the routes, request and response shapes, error codes and
// permissions of `ebios serve`'s API (server/api), over any
// [ledger.Storage] (D1 in the Worker, memory in the tests) and the
// server's auth service (server/auth). It is plain Go: it builds and is
// tested natively and under GOOS=js.
//
// Why the handlers are not server/api's: that package is built around the
// BuntDB store (*ledgerstore.Store, which needs file locks and files), so
// it does not compile for js/wasm. What it has that is pure, the
// computation of an operation (ops.go) and the JSON shapes, is copied
// here until server/api works over a store interface and moves its
// computation into a package of its own (docs/worker.md lists the pieces).
//
// A Worker runs a fresh Go instance for every request, so a [Server] is
// built for each; the store is opened per request ([Config.Open]). Appends
// go through one sequencer per log: the Worker's entry (entry.mjs) sends
// execute and batch to the log's Durable Object, which hosts one long-lived
// Go instance of this same handler; its appends are committed in groups
// ([AppendGroups]). The commit is a compare-and-swap on the log's size
// (d1log), so an append that reached another instance cannot fork the log:
// it fails or retries.
package edge

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/strictjson"
	"github.com/ebios/ebios/server/auth"
)

// Store is what the handlers read and append to: the log engine's storage,
// entries by index, and the log's origin.
type Store interface {
	ledger.Storage
	ledger.EntrySource
	Origin() string
}

// Defaults of [Config], those of `ebios serve`.
const (
	DefaultMaxBody  = 1 << 20
	DefaultMaxBatch = 1000
	DefaultMaxDraws = 1_000_000
)

// Config wires the handlers to the Worker's stores and secrets.
type Config struct {
	// Signer is the ledger signing key (secret EBIOS_LEDGER_KEY); its name
	// is the log's origin.
	Signer *ledger.Signer
	// Open opens the log for one request.
	Open func(ctx context.Context) (Store, error)
	// Auth is the auth service over the Worker's user store.
	Auth *auth.Service
	// Objects keeps exported bundles (R2), as bundles/<size>.json; nil:
	// exports are made for each request and not kept.
	Objects Objects
	// LogPublic serves the checkpoint and tiles without authentication.
	LogPublic bool
	Version   string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxBody, MaxBatch and MaxDraws bound requests (defaults above).
	MaxBody  int64
	MaxBatch int
	MaxDraws int
}

// Objects is an object store (R2 in the Worker). Export bundles are kept
// there by the tree size they cover: a bundle of a size never changes, so
// it is made once.
type Objects interface {
	// Get returns the object at key, or nil if there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores data at key.
	Put(ctx context.Context, key string, data []byte) error
}

// Server is the Worker's API.
type Server struct {
	cfg      Config
	commits  committer // group commit of this instance's appends
	mux      *http.ServeMux
	routes   []Route
	verifier *ledger.Verifier
}

// Route is one endpoint: method, path (under /api/v1, with the original
// eBIOS alias where `ebios serve` has one) and the permission it needs.
type Route struct {
	Method, Path string
	Aliases      []string
	Perm         auth.Permission
}

// New returns the API over cfg.
func New(cfg Config) *Server {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxDraws <= 0 {
		cfg.MaxDraws = DefaultMaxDraws
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), verifier: cfg.Signer.Verifier()}
	s.commits.srv = s
	s.register()
	return s
}

// Handler returns the API as an http.Handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Routes lists the endpoints the Worker serves.
func (s *Server) Routes() []Route { return s.routes }

func (s *Server) register() {
	const v1 = "/api/v1"
	type R = Route
	logPerm := auth.PermLedgerRead
	if s.cfg.LogPublic {
		logPerm = ""
	}
	add := func(r Route, h http.HandlerFunc) {
		s.routes = append(s.routes, r)
		var handler http.Handler = h
		if r.Perm != "" {
			handler = s.cfg.Auth.Authenticate(s.cfg.Auth.Require(r.Perm, handler))
		}
		for _, p := range append([]string{r.Path}, r.Aliases...) {
			s.mux.Handle(r.Method+" "+p, handler)
		}
	}
	add(R{Method: "GET", Path: "/healthz"}, s.healthz)
	add(R{Method: "GET", Path: "/readyz"}, s.readyz)
	add(R{Method: "GET", Path: v1 + "/status", Perm: auth.PermHealth}, s.status)
	add(R{Method: "GET", Path: v1 + "/openapi.json"}, s.openapi)
	// In the Worker, entry.mjs sends these two to the log's Durable Object,
	// whose Go instance commits them in groups (append.go).
	add(R{Method: "POST", Path: v1 + "/operations/execute", Aliases: []string{"/operations/execute"}, Perm: auth.PermExecute}, s.execute)
	add(R{Method: "POST", Path: v1 + "/operations/batch", Aliases: []string{"/operations/batch"}, Perm: auth.PermExecute}, s.batch)
	add(R{Method: "GET", Path: v1 + "/ledger/entries", Aliases: []string{"/ledger/entries"}, Perm: auth.PermLedgerRead}, s.entries)
	add(R{Method: "GET", Path: v1 + "/ledger/query", Aliases: []string{"/ledger/query"}, Perm: auth.PermLedgerRead}, s.entries)
	add(R{Method: "GET", Path: v1 + "/ledger/entries/{index}", Perm: auth.PermLedgerRead}, s.entry)
	add(R{Method: "GET", Path: v1 + "/ledger/trace/{op_id}", Perm: auth.PermLedgerRead}, s.trace)
	add(R{Method: "GET", Path: v1 + "/ledger/export", Perm: auth.PermLedgerRead}, s.export)
	add(R{Method: "GET", Path: v1 + "/ledger/key", Perm: auth.PermLedgerRead}, s.key)
	add(R{Method: "GET", Path: v1 + "/checkpoint", Perm: auth.PermLedgerRead}, s.checkpoint)
	add(R{Method: "GET", Path: v1 + "/log/checkpoint", Perm: logPerm}, s.logCheckpoint)
	add(R{Method: "GET", Path: v1 + "/log/tile/{L}/{N...}", Perm: logPerm}, s.logTile)
	add(R{Method: "GET", Path: v1 + "/log/tile/entries/{N...}", Perm: logPerm}, s.logEntries)
	add(R{Method: "GET", Path: v1 + "/proofs/inclusion", Perm: auth.PermLedgerRead}, s.inclusion)
	add(R{Method: "GET", Path: v1 + "/proofs/consistency", Perm: auth.PermLedgerRead}, s.consistency)
	add(R{Method: "GET", Path: v1 + "/ledger/verify/{op_id}", Aliases: []string{"/ledger/verify/{op_id}"}, Perm: auth.PermLedgerVerify}, s.verifyOp)
	add(R{Method: "POST", Path: v1 + "/auth/login", Aliases: []string{"/auth/login"}}, s.login)
	add(R{Method: "POST", Path: v1 + "/auth/refresh", Aliases: []string{"/auth/refresh"}}, s.refresh)
	add(R{Method: "POST", Path: v1 + "/auth/setup"}, s.setup)
	add(R{Method: "GET", Path: v1 + "/auth/setup"}, s.setupStatus)
	add(R{Method: "GET", Path: v1 + "/auth/me", Aliases: []string{"/auth/me"}, Perm: auth.PermSelf}, s.me)
	add(R{Method: "POST", Path: v1 + "/auth/logout", Aliases: []string{"/auth/logout"}, Perm: auth.PermSelf}, s.logout)
	add(R{Method: "GET", Path: v1 + "/users", Perm: auth.PermUsersManage}, s.listUsers)
	add(R{Method: "POST", Path: v1 + "/users", Perm: auth.PermUsersManage}, s.addUser)
	s.mux.HandleFunc("GET /{$}", s.status)
	s.mux.HandleFunc("/", s.notFound)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, apiErr(codeNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path, "the Cloudflare Worker serves part of the eBIOS API",
		"see /api/v1/openapi.json for the endpoints (x-worker: false marks those only ebios serve has)"))
}

// open opens the log for r, writing the error when it cannot.
func (s *Server) open(w http.ResponseWriter, r *http.Request) (Store, bool) {
	st, err := s.cfg.Open(r.Context())
	if err != nil {
		writeError(w, err)
		return nil, false
	}
	return st, true
}

// decode reads a JSON body strictly into v (core/strictjson), at most
// MaxBody bytes.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return apiErr(codeBadJSON, "the body must be JSON", "Content-Type is "+ct, "send Content-Type: application/json")
	}
	if r.Body == nil { // the Worker runtime gives no body rather than an empty one
		r.Body = http.NoBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apiErr(codeTooLarge, "request body is larger than the limit", "limit "+strconv.FormatInt(s.cfg.MaxBody, 10)+" bytes",
				"send smaller requests; split large batches")
		}
		return apiErr(codeBadJSON, "cannot read the request body", err.Error(), "send the whole body")
	}
	if err := strictjson.Unmarshal(body, v); err != nil {
		var se *strictjson.Error
		if e, ok := nu.AsError(err); ok && errors.As(err, &se) && se.Pointer != "" {
			c := *e
			c.Details = strings.TrimSpace(c.Details + " (at " + se.Pointer + ")")
			return &c
		} else if ok {
			return e
		}
		return apiErr(codeBadJSON, "malformed request body", err.Error(),
			"send one JSON object as documented in /api/v1/openapi.json: exact member names, each once, no others, valid UTF-8")
	}
	return nil
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// ---- health ----

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.open(w, r); ok {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, ok := s.open(w, r)
	if !ok {
		return
	}
	_, size := st.Head()
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "service": "ebios", "edition": "cloudflare-worker",
		"version": s.cfg.Version, "ledger": map[string]any{"origin": st.Origin(), "size": size}})
}

// ---- operations ----

type opResponse struct {
	Result              nu.Value            `json:"result"`
	Mode                nu.Mode             `json:"mode"`
	RelativeUncertainty nu.Float            `json:"relative_uncertainty"`
	Coverage            nu.Float            `json:"coverage"`
	Operation           string              `json:"operation"`
	Guard               []ledger.GuardEvent `json:"guard,omitempty"`
	Analysis            any                 `json:"analysis,omitempty"`
	Entry               entryRef            `json:"entry"`
	Proof               *proofJSON          `json:"inclusion_proof,omitempty"`
}

type entryRef struct {
	Index     uint64 `json:"index"`
	OpID      string `json:"op_id"`
	Timestamp string `json:"timestamp"`
}

func response(c *computed, e *ledger.Entry) opResponse {
	out := opResponse{Result: c.Value, Mode: c.Mode, RelativeUncertainty: c.Draft.Coverage, Coverage: c.Draft.Coverage,
		Operation: c.Draft.Operation, Guard: c.Draft.Guard,
		Entry: entryRef{Index: e.Index, OpID: e.OpID, Timestamp: time.Unix(0, e.Timestamp).UTC().Format(time.RFC3339Nano)}}
	if c.Analysis != nil {
		out.Analysis = c.Analysis
	}
	return out
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
	st, es, err := s.commits.append(r.Context(), []ledger.Draft{c.Draft})
	if err != nil {
		writeError(w, err)
		return
	}
	resp := response(c, es[0])
	if req.Proof || r.URL.Query().Get("proof") == "1" || r.URL.Query().Get("proof") == "true" {
		if resp.Proof, _, err = s.prove(st, es[0]); err != nil {
			writeError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) batch(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Operations []OpRequest `json:"operations"`
	}
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if n := len(req.Operations); n == 0 || n > s.cfg.MaxBatch {
		writeError(w, apiErr(codeBadBatch, "a batch holds 1 to "+strconv.Itoa(s.cfg.MaxBatch)+" operations", "got "+strconv.Itoa(n),
			"split the work into batches of at most "+strconv.Itoa(s.cfg.MaxBatch)))
		return
	}
	budget := s.cfg.MaxDraws
	cs := make([]*computed, len(req.Operations))
	ds := make([]ledger.Draft, len(req.Operations))
	for i := range req.Operations {
		c, err := compute(r.Context(), &req.Operations[i], i, &budget)
		if err != nil {
			writeError(w, err) // nothing is written
			return
		}
		cs[i], ds[i] = c, c.Draft
	}
	st, es, err := s.commits.append(r.Context(), ds)
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]opResponse, len(es))
	for i, e := range es {
		out[i] = response(cs[i], e)
		if req.Operations[i].Proof {
			if out[i].Proof, _, err = s.prove(st, e); err != nil {
				writeError(w, err)
				return
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
}
