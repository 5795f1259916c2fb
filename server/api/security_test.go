package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ratelimit"
)

// The tests of this file are the API side of the security review of
// issue 19 (server/auth/security_test.go has the service side).

// from sends a request as the client at addr (its RemoteAddr).
func (e *env) from(h http.Handler, addr, method, path, token string, body any) resp {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.RemoteAddr = addr + ":40000"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return resp{w.Code, w.Body.Bytes(), w.Header()}
}

func errCode(t *testing.T, r resp) string {
	t.Helper()
	var b struct {
		Error struct{ Code, Message, Remediation string }
	}
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("not a JSON error (%d): %s", r.code, r.body)
	}
	if b.Error.Message == "" || b.Error.Remediation == "" {
		t.Fatalf("incomplete error: %s", r.body)
	}
	return b.Error.Code
}

// TestLoginBruteForceAcrossAddresses: 100 guesses at one account, spread
// over client addresses, behind the real per-client rate limiter (the auth
// class allows 10 a minute per client): only the first
// auth.DefaultLoginFailures are evaluated (401 AUTH_008); every later one
// is 429 with Retry-After, AUTH_020 from the per-account limit (or RATE_001
// where the per-client limit comes first), the right password among them
// included, since it is not evaluated. Other accounts still log in.
func TestLoginBruteForceAcrossAddresses(t *testing.T) {
	const guesses = 100
	for _, c := range []struct {
		name      string
		addresses int
	}{
		{"10 loopback addresses", 10},
		{"100 loopback addresses", 100},
		{"one address", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			lim, err := ratelimit.New(ratelimit.Config{Rules: ratelimit.DefaultRules()})
			if err != nil {
				t.Fatal(err)
			}
			limit := func(class string, h http.Handler) http.Handler { // the login's per-client limit only
				if class != ratelimit.ClassAuth {
					return h
				}
				return lim.Middleware(class, h)
			}
			h := New(Config{Store: e.store, Auth: e.auth, Policies: fakePolicies{}, Limit: limit}).Handler()
			codes := map[string]int{}
			for i := range guesses {
				addr := fmt.Sprintf("127.0.0.%d", 1+i%c.addresses)
				pw := fmt.Sprintf("guess number %03d", i)
				if i%25 == 24 {
					pw = password // the right one, at guesses 25, 50, 75 and 100
				}
				r := e.from(h, addr, "POST", "/api/v1/auth/login", "", map[string]string{"username": "operator1", "password": pw})
				code := errCode(t, r)
				codes[code]++
				switch {
				case i < auth.DefaultLoginFailures:
					if r.code != 401 || code != auth.CodeBadCredentials {
						t.Fatalf("guess %d: %d %s", i, r.code, r.body)
					}
				case r.code != 429 || (code != auth.CodeLoginThrottled && code != ratelimit.CodeRateLimited):
					t.Fatalf("guess %d (from %s): %d %s", i, addr, r.code, r.body)
				default:
					if s, err := strconv.Atoi(r.hdr.Get("Retry-After")); err != nil || s < 1 || s > 15*60 {
						t.Fatalf("guess %d: Retry-After %q", i, r.hdr.Get("Retry-After"))
					}
				}
			}
			t.Logf("answers: %v", codes)
			if codes[auth.CodeBadCredentials] != auth.DefaultLoginFailures {
				t.Errorf("%d guesses evaluated, want %d", codes[auth.CodeBadCredentials], auth.DefaultLoginFailures)
			}
			if c.addresses >= 10 && codes[auth.CodeLoginThrottled] != guesses-auth.DefaultLoginFailures {
				t.Errorf("per-account refusals %d", codes[auth.CodeLoginThrottled])
			}
			// The lock is the account's, not the server's.
			if r := e.from(h, "127.0.0.200", "POST", "/api/v1/auth/login", "", map[string]string{"username": "auditor1", "password": password}); r.code != 200 {
				t.Errorf("another account: %d %s", r.code, r.body)
			}
		})
	}
}

// TestLoginRefusalsLookAlike: a disabled user with the right password, a
// disabled user with a wrong one, a wrong password and an unknown user get
// byte-identical answers; the server's log says which it was.
func TestLoginRefusalsLookAlike(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	h := New(Config{Store: e.store, Auth: e.auth, Policies: fakePolicies{},
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))}).Handler()
	if _, err := e.auth.Disable(context.Background(), "guest1"); err != nil {
		t.Fatal(err)
	}
	var first resp
	for i, c := range []struct {
		name, user, password, logged string
	}{
		{"disabled, right password", "guest1", password, `"reason":"disabled"`},
		{"disabled, wrong password", "guest1", "wrong password!!", `"cause":"wrong password"`},
		{"wrong password", "operator1", "wrong password!!", `"cause":"wrong password"`},
		{"unknown user", "nobody", password, `"cause":"no such user"`},
	} {
		logs.Reset()
		r := e.from(h, "192.0.2.1", "POST", "/api/v1/auth/login", "", map[string]string{"username": c.user, "password": c.password})
		if r.code != 401 || errCode(t, r) != auth.CodeBadCredentials || strings.Contains(string(r.body), "disabled") {
			t.Errorf("%s: %d %s", c.name, r.code, r.body)
		}
		if i == 0 {
			first = r
		} else if !bytes.Equal(r.body, first.body) || r.hdr.Get("WWW-Authenticate") != first.hdr.Get("WWW-Authenticate") {
			t.Errorf("%s: answer %s differs from %s", c.name, r.body, first.body)
		}
		if l := logs.String(); !strings.Contains(l, `"msg":"login refused"`) || !strings.Contains(l, c.logged) ||
			!strings.Contains(l, `"user":"`+c.user+`"`) {
			t.Errorf("%s: log %s", c.name, l)
		}
	}
}

// TestLastAdminAPI: the only admin cannot disable, demote or delete her
// own account (409 AUTH_019 with a remediation); nothing changes; once
// there is a second admin, she can.
func TestLastAdminAPI(t *testing.T) {
	tok := func(e *env) string { return e.tokens[auth.RoleAdmin] }
	for _, c := range []struct {
		name, method, path string
		body               any
		second             bool // another enabled admin exists
		want               int
	}{
		{"disable herself", "PATCH", "/api/v1/users/admin1", map[string]any{"disabled": true}, false, 409},
		{"demote herself", "PATCH", "/api/v1/users/admin1", map[string]any{"role": "operator"}, false, 409},
		{"demote and disable", "PATCH", "/api/v1/users/admin1", map[string]any{"role": "guest", "disabled": true}, false, 409},
		{"delete herself", "DELETE", "/api/v1/users/admin1", nil, false, 409},
		{"disable with a second admin", "PATCH", "/api/v1/users/admin1", map[string]any{"disabled": true}, true, 200},
		{"demote with a second admin", "PATCH", "/api/v1/users/admin1", map[string]any{"role": "auditor"}, true, 200},
		{"delete with a second admin", "DELETE", "/api/v1/users/admin1", nil, true, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			if c.second {
				if _, err := e.auth.AddUser(context.Background(), "admin2", password, auth.RoleAdmin); err != nil {
					t.Fatal(err)
				}
			}
			r := e.do(c.method, c.path, tok(e), c.body)
			if r.code != c.want {
				t.Fatalf("%d %s", r.code, r.body)
			}
			if c.want != 409 {
				return
			}
			if code := errCode(t, r); code != auth.CodeLastAdmin || !strings.Contains(string(r.body), "another user an admin") {
				t.Errorf("error %s", r.body)
			}
			u, err := e.auth.GetUser(context.Background(), "admin1")
			if err != nil || u.Role != auth.RoleAdmin || u.Disabled {
				t.Errorf("admin1 changed: %+v %v", u, err)
			}
			if r := e.do("GET", "/api/v1/users", tok(e), nil); r.code != 200 {
				t.Errorf("admin locked out: %d", r.code)
			}
		})
	}
}

// TestDeleteUserAPI: DELETE /api/v1/users/{name} removes the user and ends
// their sessions at once (access and refresh tokens); the ledger keeps
// every entry as it was; unknown names are 404; only users:manage may.
func TestDeleteUserAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if r := e.do("POST", "/api/v1/operations/execute", e.tokens[auth.RoleOperator],
		map[string]any{"operation": "add", "op_id": "by-operator1", "inputs": [][]float64{{1, 0}, {2, 0}}}); r.code != 200 {
		t.Fatalf("execute: %d %s", r.code, r.body)
	}
	before := e.do("GET", "/api/v1/ledger/entries", e.tokens[auth.RoleAuditor], nil)
	pair, _, err := e.auth.Login(ctx, "operator1", password)
	if err != nil {
		t.Fatal(err)
	}
	admin := e.tokens[auth.RoleAdmin]
	for _, c := range []struct {
		name, method, path, token string
		body                      any
		want                      int
		code                      string
	}{
		{"an auditor may not", "DELETE", "/api/v1/users/operator1", e.tokens[auth.RoleAuditor], nil, 403, auth.CodeForbidden},
		{"an operator may not", "DELETE", "/api/v1/users/operator1", e.tokens[auth.RoleOperator], nil, 403, auth.CodeForbidden},
		{"the admin deletes", "DELETE", "/api/v1/users/operator1", admin, nil, 200, ""},
		{"the access token is dead", "GET", "/api/v1/auth/me", e.tokens[auth.RoleOperator], nil, 401, auth.CodeRevokedToken},
		{"the refresh token is dead", "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": pair.RefreshToken}, 401, auth.CodeRevokedToken},
		{"the new access token is dead", "POST", "/api/v1/operations/execute", pair.AccessToken,
			map[string]any{"operation": "add", "inputs": [][]float64{{1, 0}, {2, 0}}}, 401, auth.CodeRevokedToken},
		{"login fails", "POST", "/api/v1/auth/login", "", map[string]string{"username": "operator1", "password": password}, 401, auth.CodeBadCredentials},
		{"deleting again", "DELETE", "/api/v1/users/operator1", admin, nil, 404, auth.CodeUserNotFound},
		{"an unknown user", "DELETE", "/api/v1/users/nobody", admin, nil, 404, auth.CodeUserNotFound},
	} {
		r := e.do(c.method, c.path, c.token, c.body)
		if r.code != c.want || (c.code != "" && errCode(t, r) != c.code) {
			t.Errorf("%s: %d %s", c.name, r.code, r.body)
		}
		if c.want == 200 {
			m := r.json(t)
			if m["status"] != "deleted" || m["user"].(map[string]any)["name"] != "operator1" {
				t.Errorf("%s: %s", c.name, r.body)
			}
		}
	}
	r := e.do("GET", "/api/v1/users", admin, nil)
	if r.code != 200 || strings.Contains(string(r.body), `"operator1"`) {
		t.Errorf("users: %d %s", r.code, r.body)
	}
	if after := e.do("GET", "/api/v1/ledger/entries", e.tokens[auth.RoleAuditor], nil); !bytes.Equal(after.body, before.body) {
		t.Errorf("the ledger changed:\n%s\n%s", before.body, after.body)
	}
}

// TestPlaceholderPasswordAPI: the setup hint's placeholder passphrase is
// refused (400 AUTH_011) by setup, user creation and password reset.
func TestPlaceholderPasswordAPI(t *testing.T) {
	for _, pw := range []string{"A LONG PASSPHRASE", " a long passphrase "} {
		for _, c := range []struct {
			name, path string
			body       map[string]string
		}{
			{"add user", "/api/v1/users", map[string]string{"username": "new", "password": pw, "role": "operator"}},
			{"reset password", "/api/v1/users/operator1/password", map[string]string{"password": pw}},
			{"setup", "/api/v1/auth/setup", map[string]string{"token": "", "username": "first", "password": pw}},
		} {
			t.Run(c.name+" "+pw, func(t *testing.T) {
				e := newEnv(t)
				h := e.h
				if c.name == "setup" {
					as := newAuth(t)
					tok, err := as.SetupToken(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					c.body["token"] = tok
					h = New(Config{Store: e.store, Auth: as, Policies: fakePolicies{}}).Handler()
				}
				r := e.from(h, "192.0.2.1", "POST", c.path, e.tokens[auth.RoleAdmin], c.body)
				if r.code != 400 || errCode(t, r) != auth.CodeWeakPassword || !strings.Contains(string(r.body), "placeholder") {
					t.Fatalf("%d %s", r.code, r.body)
				}
			})
		}
	}
}
