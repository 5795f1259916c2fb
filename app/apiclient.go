package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// APIClient calls the eBIOS JSON API. In the browser the requests go
// through the Fetch API directly (fetch_wasm.go), which keeps net/http and
// its TLS stack out of app.wasm; natively (tests) through net/http.
type APIClient struct {
	// Base is prepended to the paths ("" in the browser, the test server's
	// URL in tests).
	Base string
	// Token is the bearer access token, or empty.
	Token string
	// Refresh is the session's refresh token, or empty. When a request
	// is refused (401) because the access token expired, the client
	// trades it for a new pair (POST /api/v1/auth/refresh), hands the
	// pair to OnRefresh, and sends the request again, once.
	Refresh   string
	OnRefresh func(access, refresh string)
}

// APIURLEnv names the go-app environment variable (app.Handler.Env, read
// in the browser with app.Getenv) that holds the API's base URL, as in
// "https://ebios.example.org". Empty or unset means the same origin as the
// page, which is how `ebios serve` serves the app; a static build made with
// `ebios static --api URL` sets it, and one without --api has no API
// ([Serverless]).
const APIURLEnv = "EBIOS_API_URL"

// StaticEnv is set (to "1") in the environment of a static build (ebios
// static), which has a server only when [APIURLEnv] names one.
const StaticEnv = "EBIOS_STATIC"

// Serverless reports whether the app runs as a static site without an
// API: the pages that need a server (log in, explorer, policies, users)
// cannot work, and are not offered.
func Serverless() bool {
	return app.Getenv(StaticEnv) != "" && APIBase() == ""
}

// APIBase returns the API base URL the browser app calls: the value of
// [APIURLEnv] without a trailing slash, or "" (same origin).
func APIBase() string {
	return strings.TrimRight(app.Getenv(APIURLEnv), "/")
}

// APIError is an error answer of the API.
type APIError struct {
	Status      int
	Code        string `json:"code"`
	Message     string `json:"message"`
	Details     string `json:"details"`
	Remediation string `json:"remediation"`

	body []byte // the whole answer, for the calls whose errors carry more
}

func (e *APIError) Error() string {
	s := e.Message
	if s == "" {
		s = "HTTP status " + strconv.Itoa(e.Status)
	}
	if e.Details != "" {
		s += " (" + e.Details + ")"
	}
	if e.Code != "" {
		s += " [" + e.Code + "]" // the message first, the code after it
	}
	return s
}

// UnreachableError is the error of a request that got no answer: the
// browser is offline, or the server is down. For an API on another
// origin (a static site built with `ebios static --api URL`), the browser
// also gives no answer when the server does not allow the page's origin.
type UnreachableError struct {
	Cause string
	// Origin is the page's origin when the API is on another one, else "".
	Origin string
}

func (e *UnreachableError) Error() string {
	msg := "Cannot reach the server: you may be offline, or the server is down. "
	if e.Origin != "" {
		msg += "If the server is up, it does not allow this site's origin: its operator adds " +
			e.Origin + " to [api] cors_origins. "
	}
	return msg + "The calculator and the audit page work offline; the explorer, policies and users need the server."
}

// crossOrigin returns page, the page's origin, when url is absolute and on
// another origin, else "".
func crossOrigin(page, url string) string {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return ""
	}
	if url == page || strings.HasPrefix(url, page+"/") {
		return ""
	}
	return page
}

// Unauthorized reports whether err is an API 401 (log in again).
func Unauthorized(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == 401
}

// maxResponse bounds what one API answer may hold.
const maxResponse = 32 << 20

func (c *APIClient) do(ctx context.Context, method, path string, body any) ([]byte, error) {
	var payload []byte
	hdr := map[string]string{}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		payload = b
		hdr["Content-Type"] = "application/json"
	}
	if c.Token != "" {
		hdr["Authorization"] = "Bearer " + c.Token
	}
	status, b, err := send(ctx, method, c.Base+path, hdr, payload)
	if err == nil && status == 401 && c.Refresh != "" && !noRefresh[path] && c.refresh(ctx) == nil {
		hdr["Authorization"] = "Bearer " + c.Token
		status, b, err = send(ctx, method, c.Base+path, hdr, payload)
	}
	if err != nil {
		return nil, err
	}
	if status/100 != 2 {
		var eb struct {
			Error APIError `json:"error"`
		}
		_ = json.Unmarshal(b, &eb)
		eb.Error.Status, eb.Error.body = status, b
		return nil, &eb.Error
	}
	return b, nil
}

func (c *APIClient) getJSON(ctx context.Context, path string, v any) error {
	b, err := c.do(ctx, "GET", path, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// LoginResult is what POST /api/v1/auth/login returns.
type LoginResult struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	User         User   `json:"user"`
}

// User is an API user.
type User struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// Me is what GET /api/v1/auth/me returns.
type Me struct {
	User        User     `json:"user"`
	Permissions []string `json:"permissions"`
	ExpiresAt   string   `json:"expires_at"`
}

// Login logs in.
func (c *APIClient) Login(ctx context.Context, username, password string) (*LoginResult, error) {
	b, err := c.do(ctx, "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password})
	if err != nil {
		return nil, err
	}
	var r LoginResult
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	if r.AccessToken == "" {
		return nil, errors.New("the server sent no access token")
	}
	return &r, nil
}

// noRefresh are the requests a refused access token has nothing to do with.
var noRefresh = map[string]bool{"/api/v1/auth/login": true, "/api/v1/auth/refresh": true, "/api/v1/auth/setup": true}

// refreshed remembers the last refresh token traded and what it gave:
// requests refused at the same time share one trade, since the server
// takes a refresh token used twice for a stolen one and ends the session.
var refreshed struct {
	sync.Mutex
	from          string
	access, fresh string
}

// refresh trades the refresh token for a new pair of tokens (or takes
// the pair another request just got for it); on failure it forgets the
// refresh token (it is spent, revoked or expired).
func (c *APIClient) refresh(ctx context.Context) error {
	r := c.Refresh
	c.Refresh = ""
	refreshed.Lock()
	defer refreshed.Unlock()
	if refreshed.from == r {
		c.Token, c.Refresh = refreshed.access, refreshed.fresh
		return nil
	}
	b, err := c.do(ctx, "POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": r})
	if err != nil {
		return err
	}
	var p LoginResult
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if p.AccessToken == "" || p.RefreshToken == "" {
		return errors.New("the server sent no tokens")
	}
	refreshed.from, refreshed.access, refreshed.fresh = r, p.AccessToken, p.RefreshToken
	c.Token, c.Refresh = p.AccessToken, p.RefreshToken
	if c.OnRefresh != nil {
		c.OnRefresh(p.AccessToken, p.RefreshToken)
	}
	return nil
}

// SetupNeeded reports whether the server has no admin yet (GET
// /api/v1/auth/setup).
func (c *APIClient) SetupNeeded(ctx context.Context) (bool, error) {
	var s struct {
		Needed bool `json:"needed"`
	}
	err := c.getJSON(ctx, "/api/v1/auth/setup", &s)
	return s.Needed, err
}

// Setup makes the first admin with the server's one-time setup token.
func (c *APIClient) Setup(ctx context.Context, token, username, password string) error {
	_, err := c.do(ctx, "POST", "/api/v1/auth/setup", map[string]string{"token": token, "username": username, "password": password})
	return err
}

// Me returns the logged-in user.
func (c *APIClient) Me(ctx context.Context) (*Me, error) {
	var m Me
	return &m, c.getJSON(ctx, "/api/v1/auth/me", &m)
}

// Logout revokes the session's tokens.
func (c *APIClient) Logout(ctx context.Context) error {
	_, err := c.do(ctx, "POST", "/api/v1/auth/logout", nil)
	return err
}

// Recorded is the server's answer to an expression it computed and logged
// (POST /api/v1/operations/execute): its result, the ledger entry, and the
// guard events the active policy raised about the result.
type Recorded struct {
	Result nu.Value            `json:"result"`
	Mode   nu.Mode             `json:"mode"`
	Guard  []ledger.GuardEvent `json:"guard"`
	Entry  EntryRef            `json:"entry"`
	// Halted is the error the server answered when the policy refused
	// the result (GUARD_001); the attempt and its events are logged all
	// the same, and Result is then unset.
	Halted *APIError `json:"-"`
}

// EntryRef names a ledger entry.
type EntryRef struct {
	Index     uint64 `json:"index"`
	OpID      string `json:"op_id"`
	Timestamp string `json:"timestamp"`
}

// codeHalted is the API's error code for a result the policy refused.
const codeHalted = "GUARD_001"

// Execute has the server compute expression in mode and log it, which puts
// the result through the server's active policy.
func (c *APIClient) Execute(ctx context.Context, expression string, mode nu.Mode) (*Recorded, error) {
	b, err := c.do(ctx, "POST", "/api/v1/operations/execute",
		map[string]string{"operation": "expr", "expression": expression, "mode": mode.String()})
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == codeHalted {
		var r struct {
			Guard []ledger.GuardEvent `json:"guard"`
			Entry EntryRef            `json:"entry"`
		}
		if json.Unmarshal(ae.body, &r) == nil && r.Entry.OpID != "" {
			return &Recorded{Guard: r.Guard, Entry: r.Entry, Mode: mode, Halted: ae}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	var r Recorded
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// EntriesPage is what GET /api/v1/ledger/entries returns.
type EntriesPage struct {
	Entries  []*ledger.Entry `json:"entries"`
	Next     string          `json:"next"`
	TreeSize int64           `json:"tree_size"`
}

// Entries returns a page of entries.
func (c *APIClient) Entries(ctx context.Context, limit int, cursor string) (*EntriesPage, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var p EntriesPage
	return &p, c.getJSON(ctx, "/api/v1/ledger/entries?"+q.Encode(), &p)
}

// Entry returns entry i.
func (c *APIClient) Entry(ctx context.Context, i uint64) (*ledger.Entry, error) {
	var e ledger.Entry
	return &e, c.getJSON(ctx, "/api/v1/ledger/entries/"+u64(i), &e)
}

// Checkpoint returns the latest signed checkpoint (unverified).
func (c *APIClient) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.do(ctx, "GET", "/api/v1/checkpoint", nil)
}

// Inclusion returns the inclusion proof of entry i.
func (c *APIClient) Inclusion(ctx context.Context, i uint64) (*InclusionProof, error) {
	var p InclusionProof
	return &p, c.getJSON(ctx, "/api/v1/proofs/inclusion?index="+u64(i), &p)
}

// Trace is what GET /api/v1/ledger/trace/{op_id} returns.
type Trace struct {
	Entry     *ledger.Entry   `json:"entry"`
	Ancestors []*ledger.Entry `json:"ancestors"`
	Children  []*ledger.Entry `json:"children"`
}

// Trace returns the causal trace of an operation.
func (c *APIClient) Trace(ctx context.Context, opID string) (*Trace, error) {
	var t Trace
	return &t, c.getJSON(ctx, "/api/v1/ledger/trace/"+url.PathEscape(opID), &t)
}

// ExplorerPageSize is the number of entries per explorer page.
const ExplorerPageSize = 50

// ExplorerData is one explorer page: the entries, as served, and the
// browser's verdict on each.
type ExplorerData struct {
	Entries  []*ledger.Entry
	Next     string
	TreeSize int64
	Verify   *PageVerification
}

// LoadExplorerPage fetches the latest checkpoint, the page of entries at
// cursor, the entry before the first one and an inclusion proof per entry,
// and verifies them all with [VerifyPage] against pinnedKey. Failures to
// fetch a proof or the previous entry become failed marks, not errors.
func LoadExplorerPage(ctx context.Context, c *APIClient, pinnedKey, cursor string) (*ExplorerData, error) {
	cp, err := c.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	page, err := c.Entries(ctx, ExplorerPageSize, cursor)
	if err != nil {
		return nil, err
	}
	var prev *ledger.Entry
	if len(page.Entries) > 0 && page.Entries[0].Index > 0 {
		prev, _ = c.Entry(ctx, page.Entries[0].Index-1) // a missing one fails the first link
	}
	proofs := make([]*InclusionProof, len(page.Entries))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 6)
	for i, e := range page.Entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if p, err := c.Inclusion(ctx, e.Index); err == nil {
				proofs[i] = p
			}
		}()
	}
	wg.Wait()
	return &ExplorerData{
		Entries:  page.Entries,
		Next:     page.Next,
		TreeSize: page.TreeSize,
		Verify:   VerifyPage(pinnedKey, cp, prev, page.Entries, proofs),
	}, nil
}

// tokenKey is the session storage key of the access token.
const tokenKey = "ebios.access-token"

// userKey is the session storage key of the logged-in user's name.
const userKey = "ebios.user"

// refreshKey is the session storage key of the refresh token.
const refreshKey = "ebios.refresh-token"
