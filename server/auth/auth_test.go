package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebios/ebios/core/nu"
	"github.com/golang-jwt/jwt/v5"
	"github.com/tidwall/buntdb"
)

// cheap are argon2id parameters fast enough for tests.
var cheap = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

const testPassword = "correct horse battery staple"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t      *testing.T
	svc    *Service
	store  *BuntStore
	path   string
	clock  *clock
	secret []byte

	mu       sync.Mutex
	failures map[Reason]int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "users.db"), clock: &clock{t: time.Now()},
		secret: []byte("0123456789abcdef0123456789abcdef"), failures: map[Reason]int{}}
	st, err := OpenBuntStore(e.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store = st
	e.svc = e.service(st)
	return e
}

func (e *env) service(st Store) *Service {
	svc, err := New(st, Options{Secret: e.secret, Hasher: NewHasher(cheap, 0), Now: e.clock.Now,
		OnFailure: func(r Reason) { e.mu.Lock(); e.failures[r]++; e.mu.Unlock() }})
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

func (e *env) addUser(name string, role Role) {
	e.t.Helper()
	if _, err := e.svc.AddUser(context.Background(), name, testPassword, role); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) login(name string) *TokenPair {
	e.t.Helper()
	p, _, err := e.svc.Login(context.Background(), name, testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	e, ok := nu.AsError(err)
	if !ok {
		t.Fatalf("got %v, want error %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("got %s (%s), want %s", e.Code, e.Message, code)
	}
	if e.Category != CategoryAuth || e.Message == "" || e.Remediation == "" {
		t.Fatalf("incomplete structured error: %+v", e)
	}
}

// expected is the seed's matrix written out independently of Matrix.
var expected = map[Role]map[Permission]bool{
	RoleGuest: {PermHealth: true, PermSelf: true},
	RoleAuditor: {PermHealth: true, PermSelf: true, PermLedgerRead: true, PermLedgerVerify: true,
		PermPoliciesRead: true, PermGuardRead: true},
	RoleOperator: {PermHealth: true, PermSelf: true, PermExecute: true, PermLedgerRead: true,
		PermLedgerVerify: true, PermLedgerVerifyRun: true, PermPoliciesRead: true, PermGuardRead: true},
	RoleAdmin: {PermHealth: true, PermSelf: true, PermExecute: true, PermLedgerRead: true,
		PermLedgerVerify: true, PermLedgerVerifyRun: true, PermPoliciesRead: true, PermPoliciesWrite: true, PermGuardRead: true,
		PermUsersManage: true, PermMetricsRead: true, PermBackup: true},
}

func TestAllowedMatrix(t *testing.T) {
	if len(Matrix) != len(Roles) {
		t.Fatalf("Matrix has %d roles, want %d", len(Matrix), len(Roles))
	}
	for _, r := range Roles {
		for _, p := range Permissions {
			if got, want := Allowed(r, p), expected[r][p]; got != want {
				t.Errorf("Allowed(%s, %s) = %v, want %v", r, p, got, want)
			}
		}
	}
	if Allowed("root", PermHealth) || Allowed(RoleAdmin, "everything") || Allowed("", "") {
		t.Error("unknown role or permission allowed")
	}
	for _, p := range Permissions {
		if !Allowed(RoleAdmin, p) {
			t.Errorf("admin lacks %s", p)
		}
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"admin": RoleAdmin, " Operator ": RoleOperator, "AUDITOR": RoleAuditor, "guest": RoleGuest} {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "root", "admins"} {
		_, err := ParseRole(in)
		wantCode(t, err, CodeBadRole)
	}
}

// TestRequireEveryRolePermission logs in a user of every role and calls an
// endpoint guarded by every permission through the real middleware.
func TestRequireEveryRolePermission(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	for _, p := range Permissions {
		mux.Handle("GET /p/"+string(p), e.svc.Authenticate(e.svc.Require(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if PrincipalFrom(r.Context()) == nil {
				t.Error("no principal in context")
			}
			w.WriteHeader(http.StatusNoContent)
		}))))
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, r := range Roles {
		name := "u-" + string(r)
		e.addUser(name, r)
		tok := e.login(name).AccessToken
		for _, p := range Permissions {
			req, _ := http.NewRequest("GET", srv.URL+"/p/"+string(p), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := decodeError(t, resp)
			if expected[r][p] {
				if resp.StatusCode != http.StatusNoContent {
					t.Errorf("%s %s: status %d %+v, want 204", r, p, resp.StatusCode, body)
				}
			} else if resp.StatusCode != http.StatusForbidden || body == nil || body.Code != CodeForbidden {
				t.Errorf("%s %s: status %d %+v, want 403 %s", r, p, resp.StatusCode, body, CodeForbidden)
			}
		}
	}
}

// decodeError returns the structured error of resp, or nil if the body is
// not one. It closes the body.
func decodeError(t *testing.T, resp *http.Response) *nu.Error {
	t.Helper()
	defer resp.Body.Close()
	if resp.StatusCode < 400 {
		return nil
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error content type %q", ct)
	}
	var b struct {
		Error *nu.Error `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || b.Error == nil {
		t.Fatalf("error body not structured: %v", err)
	}
	if b.Error.Category != CategoryAuth || b.Error.Message == "" || b.Error.Remediation == "" {
		t.Errorf("incomplete error %+v", b.Error)
	}
	return b.Error
}

func TestPasswordHash(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap, 2)
	enc, err := h.Hash(ctx, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Count(enc, "$") != 5 {
		t.Fatalf("encoding %q", enc)
	}
	if ok, err := h.Verify(ctx, testPassword, enc); !ok || err != nil {
		t.Fatalf("Verify(right) = %v, %v", ok, err)
	}
	if ok, err := h.Verify(ctx, testPassword+"x", enc); ok || err != nil {
		t.Fatalf("Verify(wrong) = %v, %v", ok, err)
	}
	enc2, _ := h.Hash(ctx, testPassword)
	if enc2 == enc {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	if h.NeedsRehash(enc) {
		t.Error("NeedsRehash with the same parameters")
	}
	if !NewHasher(DefaultParams, 1).NeedsRehash(enc) {
		t.Error("NeedsRehash false with other parameters")
	}
	parts := strings.Split(enc, "$")
	for name, bad := range map[string]string{
		"empty":        "",
		"argon2i":      strings.Replace(enc, "argon2id", "argon2i", 1),
		"version":      strings.Replace(enc, "v=19", "v=16", 1),
		"huge memory":  strings.Replace(enc, "m=64", "m=4194304", 1),
		"many passes":  strings.Replace(enc, "t=1", "t=1000", 1),
		"zero lanes":   strings.Replace(enc, "p=1", "p=0", 1),
		"unknown key":  strings.Replace(enc, "p=1", "p=1,x=2", 1),
		"bad salt":     strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"short tag":    strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
		"extra fields": enc + "$x",
	} {
		if ok, err := h.Verify(ctx, testPassword, bad); ok || err == nil {
			t.Errorf("%s: Verify(%q) = %v, %v; want error", name, bad, ok, err)
		}
	}
}

func TestHasherContext(t *testing.T) {
	h := NewHasher(cheap, 1)
	if err := h.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer h.release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, testPassword); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash with full semaphore and cancelled context: %v", err)
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{"", false},
		{"short", false},
		{"elevenchars", false},
		{"twelve chars", true},
		{"aaaaaaaaaaaaaaaa", false},
		{"ünïcödé-pässwörd", true},
		{"ääääääääääää", false},
		{"\xff\xfe invalid utf-8 bytes", false},
		{strings.Repeat("ab", 512), true},
		{strings.Repeat("ab", 513), false},
	} {
		err := CheckPasswordPolicy(tc.pw)
		if tc.ok && err != nil {
			t.Errorf("%q: %v", tc.pw, err)
		}
		if !tc.ok {
			wantCode(t, err, CodeWeakPassword)
		}
	}
}

// forge signs claims with method and key, for bad-token tests.
func forge(t *testing.T, m jwt.SigningMethod, key any, c Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBadTokens(t *testing.T) {
	e := newEnv(t)
	e.addUser("op", RoleOperator)
	pair := e.login("op")
	revoked := e.login("op")
	if err := e.svc.Logout(context.Background(), revoked.AccessToken); err != nil {
		t.Fatal(err)
	}
	good, err := e.svc.tok.parse(pair.AccessToken, AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	claims := func(f func(*Claims)) Claims {
		c := *good
		c.ID = randomID()
		f(&c)
		return c
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	parts := strings.Split(pair.AccessToken, ".")
	adminPayload := strings.Split(forge(t, jwt.SigningMethodHS256, []byte("x"), claims(func(c *Claims) { c.Role = RoleAdmin })), ".")[1]

	for _, tc := range []struct {
		name   string
		header []string // Authorization header values; nil = none
		code   string
	}{
		{"missing", nil, CodeMissingToken},
		{"empty", []string{""}, CodeMissingToken},
		{"basic scheme", []string{"Basic b3A6cGFzc3dvcmQ="}, CodeMalformedToken},
		{"bearer without token", []string{"Bearer "}, CodeMalformedToken},
		{"two headers", []string{"Bearer " + pair.AccessToken, "Bearer " + pair.AccessToken}, CodeMalformedToken},
		{"bad characters", []string{"Bearer a b"}, CodeMalformedToken},
		{"too long", []string{"Bearer " + strings.Repeat("a", maxTokenLen+1)}, CodeMalformedToken},
		{"garbage", []string{"Bearer not-a-jwt"}, CodeMalformedToken},
		{"two segments", []string{"Bearer " + parts[0] + "." + parts[1]}, CodeMalformedToken},
		{"bad base64", []string{"Bearer " + parts[0] + ".%%%." + parts[2]}, CodeMalformedToken},
		{"alg none", []string{"Bearer " + forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(func(*Claims) {}))}, CodeInvalidToken},
		{"wrong key", []string{"Bearer " + forge(t, jwt.SigningMethodHS256, []byte("another secret of thirty-two bytes!!"), claims(func(*Claims) {}))}, CodeInvalidToken},
		{"HS512 same key", []string{"Bearer " + forge(t, jwt.SigningMethodHS512, e.secret, claims(func(*Claims) {}))}, CodeInvalidToken},
		{"ES256", []string{"Bearer " + forge(t, jwt.SigningMethodES256, ecKey, claims(func(*Claims) {}))}, CodeInvalidToken},
		{"payload swapped to admin", []string{"Bearer " + parts[0] + "." + adminPayload + "." + parts[2]}, CodeInvalidToken},
		{"signature stripped", []string{"Bearer " + parts[0] + "." + parts[1] + "."}, CodeInvalidToken},
		{"wrong issuer", []string{"Bearer " + forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c *Claims) { c.Issuer = "other" }))}, CodeInvalidToken},
		{"issued in the future", []string{"Bearer " + forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c *Claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour)) }))}, CodeInvalidToken},
		{"no exp", []string{"Bearer " + forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c *Claims) { c.ExpiresAt = nil }))}, CodeInvalidToken},
		{"no family", []string{"Bearer " + forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c *Claims) { c.Family = "" }))}, CodeInvalidToken},
		{"bad role", []string{"Bearer " + forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c *Claims) { c.Role = "root" }))}, CodeInvalidToken},
		{"unknown typ", []string{"Bearer " + forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c *Claims) { c.Type = "id" }))}, CodeInvalidToken},
		{"expired", []string{"Bearer " + forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c *Claims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(-time.Hour))
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute))
		}))}, CodeExpiredToken},
		{"revoked", []string{"Bearer " + revoked.AccessToken}, CodeRevokedToken},
		{"refresh as access", []string{"Bearer " + pair.RefreshToken}, CodeWrongTokenType},
		{"old generation", []string{"Bearer " + forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c *Claims) { c.Generation = 7 }))}, CodeRevokedToken},
		{"unknown user", []string{"Bearer " + forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c *Claims) { c.Subject = "ghost" }))}, CodeRevokedToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := e.svc.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				t.Error("handler reached")
			}))
			req := httptest.NewRequest("GET", "/", nil)
			for _, v := range tc.header {
				req.Header.Add("Authorization", v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", rec.Code)
			}
			if rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate header")
			}
			body := decodeError(t, rec.Result())
			if body.Code != tc.code {
				t.Fatalf("code %s (%s: %s), want %s", body.Code, body.Message, body.Details, tc.code)
			}
		})
	}
	// The good token still works.
	if _, err := e.svc.CheckAccess(context.Background(), pair.AccessToken); err != nil {
		t.Fatal(err)
	}
}

func TestExpiryAndLeeway(t *testing.T) {
	e := newEnv(t)
	e.addUser("op", RoleOperator)
	p := e.login("op")
	ctx := context.Background()
	e.clock.Add(DefaultAccessTTL + DefaultLeeway/2) // expired, but within leeway
	if _, err := e.svc.CheckAccess(ctx, p.AccessToken); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	e.clock.Add(DefaultLeeway)
	_, err := e.svc.CheckAccess(ctx, p.AccessToken)
	wantCode(t, err, CodeExpiredToken)
	// The refresh token lives on.
	if _, err := e.svc.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(DefaultRefreshTTL + DefaultLeeway + time.Second)
	_, err = e.svc.Refresh(ctx, e.login("op").RefreshToken) // fresh one still fine
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Refresh(ctx, p.RefreshToken)
	wantCode(t, err, CodeExpiredToken)
}

func TestRefreshRotationAndReuse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser("op", RoleOperator)
	p1 := e.login("op")
	other := e.login("op") // another session of the same user

	// Access token used as refresh token.
	_, err := e.svc.Refresh(ctx, p1.AccessToken)
	wantCode(t, err, CodeWrongTokenType)

	p2, err := e.svc.Refresh(ctx, p1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if p2.RefreshToken == p1.RefreshToken || p2.AccessToken == p1.AccessToken {
		t.Fatal("refresh did not rotate")
	}
	c1, _ := e.svc.tok.parse(p1.RefreshToken, RefreshToken)
	c2, _ := e.svc.tok.parse(p2.RefreshToken, RefreshToken)
	if c1.Family != c2.Family || c1.ID == c2.ID {
		t.Fatalf("family %s → %s, jti %s → %s", c1.Family, c2.Family, c1.ID, c2.ID)
	}
	p3, err := e.svc.Refresh(ctx, p2.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{p1.AccessToken, p2.AccessToken, p3.AccessToken} {
		if _, err := e.svc.CheckAccess(ctx, a); err != nil {
			t.Fatalf("before reuse: %v", err)
		}
	}

	// Reuse of the spent p1 refresh token revokes the whole family.
	_, err = e.svc.Refresh(ctx, p1.RefreshToken)
	wantCode(t, err, CodeRefreshReuse)
	_, err = e.svc.Refresh(ctx, p3.RefreshToken)
	wantCode(t, err, CodeRevokedToken)
	for _, a := range []string{p1.AccessToken, p2.AccessToken, p3.AccessToken} {
		_, err := e.svc.CheckAccess(ctx, a)
		wantCode(t, err, CodeRevokedToken)
	}
	// The other session is untouched.
	if _, err := e.svc.CheckAccess(ctx, other.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Refresh(ctx, other.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if e.failures[ReasonRefreshReuse] != 1 || e.failures[ReasonWrongType] != 1 || e.failures[ReasonRevoked] != 4 {
		t.Errorf("failures %v", e.failures)
	}
}

func TestConcurrentRefreshOneWins(t *testing.T) {
	e := newEnv(t)
	e.addUser("op", RoleOperator)
	p := e.login("op")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.svc.Refresh(context.Background(), p.RefreshToken)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if c := codeOf(err); c != CodeRefreshReuse && c != CodeRevokedToken {
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d refreshes succeeded, want 1", ok)
	}
	c, _ := e.svc.tok.parse(p.RefreshToken, RefreshToken)
	if r, _ := e.store.FamilyRevoked(context.Background(), c.Family); !r {
		t.Fatal("family not revoked after concurrent reuse")
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser("op", RoleOperator)
	for _, which := range []string{"access", "refresh"} {
		p := e.login("op")
		tok := p.AccessToken
		if which == "refresh" {
			tok = p.RefreshToken
		}
		if err := e.svc.Logout(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Logout(ctx, tok); err != nil {
			t.Fatalf("second logout: %v", err)
		}
		_, err := e.svc.CheckAccess(ctx, p.AccessToken)
		wantCode(t, err, CodeRevokedToken)
		_, err = e.svc.Refresh(ctx, p.RefreshToken)
		wantCode(t, err, CodeRevokedToken)
	}
	wantCode(t, e.svc.Logout(ctx, "x.y.z"), CodeMalformedToken)
}

func TestRevocationPersistsWithTTL(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser("op", RoleOperator)
	p := e.login("op")
	if _, err := e.svc.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Logout(ctx, p.AccessToken); err != nil {
		t.Fatal(err)
	}
	e.store.Close()

	db, err := buntdb.Open(e.path)
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *buntdb.Tx) error {
		n := 0
		for _, prefix := range []string{prefixRevoked, prefixSpent} {
			err := tx.AscendKeys(prefix+"*", func(k, _ string) bool {
				n++
				ttl, err := tx.TTL(k)
				if err != nil || ttl <= 0 || ttl > DefaultRefreshTTL+DefaultLeeway {
					t.Errorf("%s: TTL %v, %v", k, ttl, err)
				}
				return true
			})
			if err != nil {
				return err
			}
		}
		if n != 2 {
			t.Errorf("%d revocation keys, want 2", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Reopened through the store, the revocation still holds.
	st := NewBuntStore(db)
	defer db.Close()
	_, err = e.service(st).CheckAccess(ctx, p.AccessToken)
	wantCode(t, err, CodeRevokedToken)
}

func TestSetupToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok1, err := e.svc.SetupToken(ctx)
	if err != nil || !strings.HasPrefix(tok1, "ebios-setup-") || len(tok1) < 50 {
		t.Fatalf("SetupToken = %q, %v", tok1, err)
	}
	tok, err := e.svc.SetupToken(ctx) // a restart before setup: a new token replaces the old
	if err != nil || tok == tok1 {
		t.Fatalf("second SetupToken = %q, %v", tok, err)
	}
	_, err = e.svc.Setup(ctx, tok1, "root", testPassword)
	wantCode(t, err, CodeSetupToken)
	_, err = e.svc.Setup(ctx, "ebios-setup-guess", "root", testPassword)
	wantCode(t, err, CodeSetupToken)
	_, err = e.svc.Setup(ctx, tok, "root", "short")
	wantCode(t, err, CodeWeakPassword)

	raw, _ := os.ReadFile(e.path)
	if strings.Contains(string(raw), tok) || strings.Contains(string(raw), strings.TrimPrefix(tok, "ebios-setup-")) {
		t.Fatal("setup token stored in plain text")
	}

	u, err := e.svc.Setup(ctx, tok, "root", testPassword)
	if err != nil || u.Role != RoleAdmin {
		t.Fatalf("Setup = %+v, %v", u, err)
	}
	_, err = e.svc.Setup(ctx, tok, "root2", testPassword)
	wantCode(t, err, CodeSetupToken)
	if p := e.login("root"); p.AccessToken == "" {
		t.Fatal("no token")
	}
	if tok, err := e.svc.SetupToken(ctx); tok != "" || err != nil {
		t.Fatalf("SetupToken with an admin = %q, %v", tok, err)
	}
	if e.failures[ReasonSetupToken] != 3 {
		t.Errorf("failures %v", e.failures)
	}
}

func TestSetupTokenAfterUserAdd(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok, _ := e.svc.SetupToken(ctx)
	e.addUser("admin", RoleAdmin) // `ebios user add` while the token is pending
	_, err := e.svc.Setup(ctx, tok, "second", testPassword)
	wantCode(t, err, CodeSetupToken)
	if _, err := e.svc.GetUser(ctx, "second"); codeOf(err) != CodeUserNotFound {
		t.Fatalf("second admin created: %v", err)
	}
}

func TestUserManagement(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser("bob", RoleAuditor)
	e.addUser("alice", RoleOperator)
	_, err := e.svc.AddUser(ctx, "bob", testPassword, RoleGuest)
	wantCode(t, err, CodeUserExists)
	for _, bad := range []string{"", "a:b", "user*", "-x", strings.Repeat("a", 65), "sp ace", "ü"} {
		_, err := e.svc.AddUser(ctx, bad, testPassword, RoleGuest)
		wantCode(t, err, CodeBadUsername)
	}
	_, err = e.svc.AddUser(ctx, "carol", testPassword, "root")
	wantCode(t, err, CodeBadRole)
	_, err = e.svc.AddUser(ctx, "carol", "short", RoleGuest)
	wantCode(t, err, CodeWeakPassword)

	us, err := e.svc.ListUsers(ctx)
	if err != nil || len(us) != 2 || us[0].Name != "alice" || us[1].Name != "bob" {
		t.Fatalf("ListUsers = %v, %v", us, err)
	}
	b, _ := json.Marshal(us[0])
	if strings.Contains(string(b), "argon2") || strings.Contains(string(b), "generation") {
		t.Fatalf("user JSON leaks the hash: %s", b)
	}

	// Role change applies to existing tokens at once.
	p := e.login("bob")
	pr, _ := e.svc.CheckAccess(ctx, p.AccessToken)
	if pr.Role != RoleAuditor {
		t.Fatal(pr.Role)
	}
	if _, err := e.svc.SetRole(ctx, "bob", RoleOperator); err != nil {
		t.Fatal(err)
	}
	pr, _ = e.svc.CheckAccess(ctx, p.AccessToken)
	if pr.Role != RoleOperator {
		t.Fatalf("role after SetRole = %s", pr.Role)
	}
	_, err = e.svc.SetRole(ctx, "nobody", RoleGuest)
	wantCode(t, err, CodeUserNotFound)
	_, err = e.svc.SetRole(ctx, "bob", "wizard")
	wantCode(t, err, CodeBadRole)

	// Disable revokes tokens and blocks login; enable allows login again.
	if _, err := e.svc.Disable(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CheckAccess(ctx, p.AccessToken)
	wantCode(t, err, CodeDisabled)
	_, _, err = e.svc.Login(ctx, "bob", testPassword)
	wantCode(t, err, CodeBadCredentials) // disabled state not revealed, even with the password
	_, _, err = e.svc.Login(ctx, "bob", "wrong password!!")
	wantCode(t, err, CodeBadCredentials)
	if _, err := e.svc.Enable(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CheckAccess(ctx, p.AccessToken)
	wantCode(t, err, CodeRevokedToken) // old tokens stay dead
	p = e.login("bob")

	// Reset password revokes tokens; the old password stops working.
	const newPW = "a brand new passphrase"
	_, err = e.svc.ResetPassword(ctx, "bob", "tiny")
	wantCode(t, err, CodeWeakPassword)
	if _, err := e.svc.ResetPassword(ctx, "bob", newPW); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CheckAccess(ctx, p.AccessToken)
	wantCode(t, err, CodeRevokedToken)
	_, err = e.svc.Refresh(ctx, p.RefreshToken)
	wantCode(t, err, CodeRevokedToken)
	_, _, err = e.svc.Login(ctx, "bob", testPassword)
	wantCode(t, err, CodeBadCredentials)
	if _, u, err := e.svc.Login(ctx, "bob", newPW); err != nil || u.LastLogin.IsZero() {
		t.Fatalf("login with new password: %v", err)
	}
	_, err = e.svc.ResetPassword(ctx, "nobody", newPW)
	wantCode(t, err, CodeUserNotFound)
}

func TestLoginFailuresLookAlike(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser("op", RoleOperator)
	_, _, err1 := e.svc.Login(ctx, "op", "wrong password!!")
	_, _, err2 := e.svc.Login(ctx, "nobody", "wrong password!!")
	_, _, err3 := e.svc.Login(ctx, "op", strings.Repeat("x", MaxPasswordLen+1))
	wantCode(t, err1, CodeBadCredentials)
	wantCode(t, err2, CodeBadCredentials)
	wantCode(t, err3, CodeBadCredentials)
	if err1.Error() != err2.Error() {
		t.Fatalf("errors differ: %v / %v", err1, err2)
	}
	if e.failures[ReasonBadCredentials] != 3 {
		t.Fatalf("failures %v", e.failures)
	}
}

func TestLoginRehash(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser("op", RoleOperator)
	stronger := cheap
	stronger.Iterations = 2
	e.svc.hasher = NewHasher(stronger, 0)
	e.login("op")
	u, _ := e.svc.GetUser(ctx, "op")
	if !strings.Contains(u.PasswordHash, "t=2") {
		t.Fatalf("hash not upgraded: %s", u.PasswordHash)
	}
	e.login("op")
}

func TestNewOptions(t *testing.T) {
	st, _ := OpenBuntStore(":memory:")
	defer st.Close()
	secret := GenerateSecret()
	for name, o := range map[string]Options{
		"short secret":        {Secret: []byte("short")},
		"refresh < access":    {Secret: secret, AccessTTL: time.Hour, RefreshTTL: time.Minute},
		"negative leeway":     {Secret: secret, Leeway: -time.Second},
		"negative access ttl": {Secret: secret, AccessTTL: -time.Second},
	} {
		_, err := New(st, o)
		wantCode(t, err, CodeConfig)
		_ = name
	}
	if _, err := New(st, Options{Secret: secret}); err != nil {
		t.Fatal(err)
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jwt.secret")
	s1, err := LoadOrCreateSecret(path)
	if err != nil || len(s1) < MinSecretLen {
		t.Fatalf("%q, %v", s1, err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	s2, err := LoadOrCreateSecret(path)
	if err != nil || string(s1) != string(s2) {
		t.Fatalf("reread %q != %q (%v)", s2, s1, err)
	}
	os.WriteFile(path, []byte("too short\n"), 0o600)
	_, err = LoadOrCreateSecret(path)
	wantCode(t, err, CodeConfig)
	_, err = LoadOrCreateSecret(filepath.Join(t.TempDir(), "missing-dir", "x"))
	wantCode(t, err, CodeConfig)
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, 0, errStore(errors.New("/secret/path: disk on fire")))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "disk on fire") {
		t.Fatalf("500 leaks internals: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	WriteError(rec, 0, errors.New("plain error text"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "plain error text") {
		t.Fatalf("plain error: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	WriteError(rec, 0, errUserNotFound("x"))
	var b map[string]map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	e := b["error"]
	if rec.Code != 404 || e["code"] != CodeUserNotFound || e["category"] != "auth" || e["message"] == "" ||
		e["details"] == "" || e["remediation"] == "" {
		t.Fatalf("%d %v", rec.Code, b)
	}
}

func TestHTTPStatusEveryCode(t *testing.T) {
	codes := map[string]int{
		CodeMissingToken: 401, CodeMalformedToken: 401, CodeInvalidToken: 401, CodeExpiredToken: 401,
		CodeRevokedToken: 401, CodeWrongTokenType: 401, CodeForbidden: 403, CodeBadCredentials: 401,
		CodeDisabled: 401, CodeRefreshReuse: 401, CodeWeakPassword: 400, CodeSetupToken: 401,
		CodeUserExists: 409, CodeUserNotFound: 404, CodeBadRole: 400, CodeBadUsername: 400,
		CodeStore: 500, CodeConfig: 500, CodeLastAdmin: 409, CodeLoginThrottled: 429,
	}
	for c, want := range codes {
		if got := HTTPStatus(c); got != want {
			t.Errorf("HTTPStatus(%s) = %d, want %d", c, got, want)
		}
	}
	for _, r := range Reasons {
		found := false
		for c := range codes {
			found = found || reasonOf(c) == r
		}
		if !found {
			t.Errorf("reason %s has no code", r)
		}
	}
}

// BenchmarkCheckAccess is the per-request cost of Authenticate: JWT
// verification plus the revocation and user look-ups in BuntDB.
func BenchmarkCheckAccess(b *testing.B) {
	st, err := OpenBuntStore(filepath.Join(b.TempDir(), "users.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc, _ := New(st, Options{Secret: GenerateSecret(), Hasher: NewHasher(cheap, 0)})
	ctx := context.Background()
	if _, err := svc.AddUser(ctx, "op", testPassword, RoleOperator); err != nil {
		b.Fatal(err)
	}
	p, _, err := svc.Login(ctx, "op", testPassword)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.CheckAccess(ctx, p.AccessToken); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHashDefault is the cost of one login with DefaultParams.
func BenchmarkHashDefault(b *testing.B) {
	h := NewHasher(DefaultParams, 0)
	for b.Loop() {
		if _, err := h.Hash(context.Background(), testPassword); err != nil {
			b.Fatal(err)
		}
	}
}
