package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"github.com/ebios/ebios/server/operation"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ledgerstore"
	"golang.org/x/mod/sumdb/tlog"
)

const password = "correct horse battery staple"

type env struct {
	t      testing.TB
	srv    *Server
	h      http.Handler
	store  *ledgerstore.Store
	auth   *auth.Service
	tokens map[auth.Role]string
	vkey   string
}

func newEnv(t *testing.T) *env { return newEnvF(t) }

// newAuth returns an auth service over an empty in-memory users store,
// with a fast password hasher.
func newAuth(t testing.TB) *auth.Service {
	t.Helper()
	us, err := auth.OpenBuntStore(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	as, err := auth.New(us, auth.Options{Secret: secret,
		Hasher: auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// newEnvF builds an API over an in-memory ledger and users store, with one
// logged-in user per role.
func newEnvF(t testing.TB) *env {
	t.Helper()
	skey, vkey, _ := ledger.GenerateKey(rand.Reader, "api.example/log")
	sg, _ := ledger.ParseSignerKey(skey)
	st, err := ledgerstore.Open(":memory:", sg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	as := newAuth(t)
	e := &env{t: t, store: st, auth: as, tokens: map[auth.Role]string{}, vkey: vkey}
	e.srv = New(Config{Store: st, Auth: as, Policies: fakePolicies{}, Backups: &fakeBackups{}, MetricsHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "# metrics\n")
	})})
	e.h = e.srv.Handler()
	for _, r := range auth.Roles {
		name := string(r) + "1"
		if _, err := as.AddUser(context.Background(), name, password, r); err != nil {
			t.Fatal(err)
		}
		pair, _, err := as.Login(context.Background(), name, password)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[r] = pair.AccessToken
	}
	return e
}

type resp struct {
	code int
	body []byte
	hdr  http.Header
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.code, r.body)
	}
	return m
}

func (e *env) do(method, path, token string, body any) resp {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return resp{w.Code, w.Body.Bytes(), w.Header()}
}

// sampleRequest gives each route a path and body that is valid, so that
// only authentication and permission decide the outcome.
func (e *env) sampleRequest(r Route) (string, any) {
	path := r.Path
	path = strings.ReplaceAll(path, "{index}", "0")
	path = strings.ReplaceAll(path, "{op_id}", "seed-op")
	path = strings.ReplaceAll(path, "{name}", "target")
	path = strings.ReplaceAll(path, "{hash}", "00")
	switch {
	case strings.HasSuffix(path, "/operations/execute"):
		return path, map[string]any{"operation": "add", "inputs": [][]float64{{5, 0.1}, {3, 0.2}}}
	case strings.HasSuffix(path, "/operations/batch"):
		return path, map[string]any{"operations": []any{map[string]any{"operation": "flip", "inputs": [][]float64{{1, 1}}}}}
	case strings.HasSuffix(path, "/proofs/inclusion"):
		return path + "?index=0", nil
	case strings.HasSuffix(path, "/proofs/consistency"):
		return path + "?old=0", nil
	case strings.HasSuffix(path, "/auth/login"):
		return path, map[string]any{"username": "nobody", "password": "x"}
	case strings.HasSuffix(path, "/auth/refresh"):
		return path, map[string]any{"refresh_token": "x"}
	case strings.HasSuffix(path, "/auth/setup"):
		return path, map[string]any{"token": "x", "username": "root", "password": password}
	case path == "/api/v1/users" && r.Method == "POST":
		return path, map[string]any{"username": fmt.Sprintf("u%d", len(path)), "password": password, "role": "guest"}
	case strings.HasSuffix(path, "/policies/activate"):
		return path, map[string]any{"policy_hash": "00"}
	case strings.HasSuffix(path, "/password"):
		return path, map[string]any{"password": password}
	case r.Method == "PATCH":
		return path, map[string]any{"role": "guest"}
	case r.Method == "POST":
		return path, map[string]any{}
	}
	return path, nil
}

// TestPermissionMatrix sends every route as every role (and without a
// token) and checks the outcome against auth.Matrix.
func TestPermissionMatrix(t *testing.T) {
	e := newEnv(t)
	// An entry for the routes that need one.
	if r := e.do("POST", "/api/v1/operations/execute", e.tokens[auth.RoleOperator],
		map[string]any{"operation": "add", "op_id": "seed-op", "inputs": [][]float64{{1, 0}, {2, 0}}}); r.code != 200 {
		t.Fatalf("seed: %d %s", r.code, r.body)
	}
	if _, err := e.auth.AddUser(context.Background(), "target", password, auth.RoleGuest); err != nil {
		t.Fatal(err)
	}
	roles := append([]auth.Role{""}, auth.Roles...)
	for _, rt := range e.srv.Routes() {
		if rt.Path == "/api/v1/auth/logout" {
			continue // logging out ends the session the other rows use; TestLogout covers it
		}
		for _, role := range roles {
			name := fmt.Sprintf("%s %s as %q", rt.Method, rt.Path, role)
			path, body := e.sampleRequest(rt)
			r := e.do(rt.Method, path, e.tokens[role], body)
			denied := r.code == 401 || r.code == 403
			switch {
			case rt.Perm == "":
				if denied && !strings.Contains(rt.Path, "/auth/") {
					t.Errorf("%s: public route answered %d", name, r.code)
				}
			case role == "":
				if r.code != 401 {
					t.Errorf("%s: want 401 without a token, got %d %s", name, r.code, r.body)
				}
			case auth.Allowed(role, rt.Perm):
				if denied || r.code >= 500 {
					t.Errorf("%s: allowed by the matrix, got %d %s", name, r.code, r.body)
				}
			default:
				if r.code != 403 {
					t.Errorf("%s: denied by the matrix, got %d %s", name, r.code, r.body)
				}
			}
			if r.code >= 400 {
				m := r.json(t)
				if _, ok := m["error"].(map[string]any)["code"]; !ok {
					t.Errorf("%s: error without the structured shape: %s", name, r.body)
				}
			}
		}
	}
}

func TestExecuteAndLedger(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[auth.RoleOperator]
	aud := e.tokens[auth.RoleAuditor]
	// The seed's request shape, on the alias path.
	r := e.do("POST", "/operations/execute?proof=1", op, `{"operation":"add","inputs":[[5.0,0.1],[3.0,0.2]]}`)
	if r.code != 200 {
		t.Fatalf("execute: %d %s", r.code, r.body)
	}
	var out opResponse
	json.Unmarshal(r.body, &out)
	if out.Result.N() != 8 || out.Entry.Index != 0 || out.Proof == nil || out.Proof.TreeSize != 1 {
		t.Fatalf("execute response: %s", r.body)
	}
	// u/|n| is relative_uncertainty, and still coverage for old clients.
	if rel := out.Result.U() / 8; float64(out.RelativeUncertainty) != rel || out.Coverage != out.RelativeUncertainty {
		t.Fatalf("relative uncertainty %v, coverage %v, want %v: %s", out.RelativeUncertainty, out.Coverage, rel, r.body)
	}
	r = e.do("POST", "/api/v1/operations/execute", op, map[string]any{"operation": "multiply", "mode": "interval",
		"inputs": []any{map[string]any{"n": 10, "u": 0.5}, []float64{20, 1}}, "parent_op_id": out.Entry.OpID})
	if r.code != 200 || !strings.Contains(string(r.body), `"u":20.5`) {
		t.Fatalf("interval multiply: %d %s", r.code, r.body)
	}
	r = e.do("POST", "/api/v1/operations/execute", op, map[string]any{"operation": "expr", "expression": "compose(10 ± 1, 20 ± 3)"})
	if r.code != 200 || !strings.Contains(string(r.body), `"n":11`) {
		t.Fatalf("expr: %d %s", r.code, r.body)
	}
	r = e.do("POST", "/api/v1/operations/execute", op, map[string]any{"operation": "catch", "inputs": [][]float64{{5, -1}}, "default": 7})
	if r.code != 200 || !strings.Contains(string(r.body), `"u":"+Inf"`) {
		t.Fatalf("catch: %d %s", r.code, r.body)
	}
	r = e.do("POST", "/operations/batch", op, map[string]any{"operations": []any{
		map[string]any{"operation": "sub", "inputs": [][]float64{{5, 3}, {3, 4}}},
		map[string]any{"operation": "scale", "factor": -3, "inputs": [][]float64{{2, 0.5}}, "proof": true},
	}})
	if r.code != 200 || e.store.Len() != 6 {
		t.Fatalf("batch: %d %s (len %d)", r.code, r.body, e.store.Len())
	}
	// Reads.
	r = e.do("GET", "/ledger/query?operation=mul&limit=10", aud, nil)
	if r.code != 200 || len(r.json(t)["entries"].([]any)) != 1 {
		t.Fatalf("query: %d %s", r.code, r.body)
	}
	r = e.do("GET", "/api/v1/ledger/entries?limit=2", aud, nil)
	m := r.json(t)
	if len(m["entries"].([]any)) != 2 || m["next"] == "" {
		t.Fatalf("entries page: %s", r.body)
	}
	r = e.do("GET", "/api/v1/ledger/entries?limit=2&cursor="+m["next"].(string), aud, nil)
	if first := r.json(t)["entries"].([]any)[0].(map[string]any); first["index"].(float64) != 2 {
		t.Fatalf("second page starts at %v", first["index"])
	}
	r = e.do("GET", "/ledger/verify/"+out.Entry.OpID, aud, nil)
	if r.code != 200 || r.json(t)["verified"] != true {
		t.Fatalf("verify op: %d %s", r.code, r.body)
	}
	r = e.do("GET", "/api/v1/ledger/trace/"+out.Entry.OpID, aud, nil)
	if len(r.json(t)["children"].([]any)) != 1 {
		t.Fatalf("trace: %s", r.body)
	}
	r = e.do("GET", "/api/v1/checkpoint", aud, nil)
	cp := r.body
	if r.code != 200 || !bytes.HasPrefix(cp, []byte("api.example/log\n6\n")) {
		t.Fatalf("checkpoint: %s", cp)
	}
	r = e.do("GET", "/api/v1/proofs/consistency?old=1", aud, nil)
	if r.code != 200 || r.json(t)["new_size"].(float64) != 6 {
		t.Fatalf("consistency: %s", r.body)
	}
	r = e.do("GET", "/api/v1/ledger/verify", e.tokens[auth.RoleAdmin], nil)
	if r.code != 200 || r.json(t)["ok"] != true {
		t.Fatalf("verify all: %s", r.body)
	}
	// The export verifies against the pinned key.
	r = e.do("GET", "/api/v1/ledger/export", aud, nil)
	rep, err := ledger.VerifyBundleKey(bytes.NewReader(r.body), e.vkey, nil)
	if err != nil || !rep.OK || rep.Entries != 6 {
		t.Fatalf("export: %+v %v", rep, err)
	}
	// Health.
	r = e.do("GET", "/", "", nil)
	if r.code != 200 || r.json(t)["status"] != "ok" {
		t.Fatalf("root health: %s", r.body)
	}
}

// TestBadInput: every malformed request gets a 4xx with the structured
// error, none a 5xx, and the ledger is unchanged afterwards.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[auth.RoleOperator]
	exec := "/api/v1/operations/execute"
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	big := `{"operation":"add","inputs":[[1,1],[2,2]],"op_id":"` + strings.Repeat("a", 11<<20) + `"}`
	alg := func(header string) string { // a token with a forged header
		parts := strings.Split(e.tokens[auth.RoleOperator], ".")
		return header + "." + parts[1] + "." + parts[2]
	}
	pair, _, _ := e.auth.Login(context.Background(), "operator1", password)
	e.auth.Refresh(context.Background(), pair.RefreshToken) // spends it
	revoked, _, _ := e.auth.Login(context.Background(), "operator1", password)
	e.auth.Logout(context.Background(), revoked.AccessToken)
	cases := []struct {
		name, path, token, body string
		code                    int
		errCode                 string
	}{
		{"NaN as string", exec, op, `{"operation":"add","inputs":[["NaN",1],[1,1]]}`, 400, ""},
		{"NaN bare", exec, op, `{"operation":"add","inputs":[[NaN,1],[1,1]]}`, 400, CodeBadJSON},
		{"Infinity bare", exec, op, `{"operation":"add","inputs":[[Infinity,1],[1,1]]}`, 400, CodeBadJSON},
		{"+Inf nominal", exec, op, `{"operation":"add","inputs":[["+Inf",1],[1,1]]}`, 400, nu.CodeInfiniteN},
		{"-Inf as string", exec, op, `{"operation":"add","inputs":[[1,"-Inf"],[1,1]]}`, 400, ""},
		{"1e999 overflow literal", exec, op, `{"operation":"add","inputs":[[1e999,1],[1,1]]}`, 400, ""},
		{"negative u", exec, op, `{"operation":"add","inputs":[[5,-1],[1,1]]}`, 400, nu.CodeNegativeU},
		{"negative u object", exec, op, `{"operation":"add","inputs":[{"n":5,"u":-1},[1,1]]}`, 400, nu.CodeNegativeU},
		{"overflow result", exec, op, `{"operation":"mul","inputs":[[1e200,0],[1e200,0]]}`, 422, nu.CodeOverflow},
		{"division by zero", exec, op, `{"operation":"div","inputs":[[1,0],[0,1]]}`, 422, nu.CodeDivByZero},
		{"interval zero-crossing divisor", exec, op, `{"operation":"div","mode":"interval","inputs":[[1,0],[0.5,1]]}`, 422, nu.CodeDivByZero},
		{"contradiction", exec, op, `{"operation":"compose","inputs":[[1,0],[2,0]]}`, 422, nu.CodeContradiction},
		{"unknown operation", exec, op, `{"operation":"sqrt","inputs":[[1,1]]}`, 400, operation.CodeUnknownOp},
		{"unknown mode", exec, op, `{"operation":"add","mode":"fuzzy","inputs":[[1,1],[1,1]]}`, 400, nu.CodeBadMode},
		{"too few inputs", exec, op, `{"operation":"add","inputs":[[1,1]]}`, 400, operation.CodeArity},
		{"too many inputs", exec, op, `{"operation":"div","inputs":[[1,1],[1,1],[1,1]]}`, 400, operation.CodeArity},
		{"missing inputs", exec, op, `{"operation":"add"}`, 400, operation.CodeArity},
		{"missing operation", exec, op, `{"inputs":[[1,1],[1,1]]}`, 400, CodeBadJSON},
		{"extra field", exec, op, `{"operation":"add","inputs":[[1,1],[1,1]],"lambda":2}`, 400, CodeBadJSON},
		{"extra field in input", exec, op, `{"operation":"add","inputs":[{"n":1,"u":1,"x":1},[1,1]]}`, 400, nu.CodeSyntax},
		{"input of three", exec, op, `{"operation":"add","inputs":[[1,1,1],[1,1]]}`, 400, nu.CodeSyntax},
		{"input as number", exec, op, `{"operation":"add","inputs":[1,2]}`, 400, nu.CodeSyntax},
		{"number as string", exec, op, `{"operation":"add","inputs":[["1","1"],[1,1]]}`, 400, nu.CodeSyntax},
		{"operation as number", exec, op, `{"operation":5,"inputs":[[1,1],[1,1]]}`, 400, CodeBadJSON},
		{"factor on add", exec, op, `{"operation":"add","factor":2,"inputs":[[1,1],[1,1]]}`, 400, operation.CodeBadField},
		{"scale without factor", exec, op, `{"operation":"scale","inputs":[[1,1]]}`, 400, operation.CodeBadField},
		{"expr syntax error", exec, op, `{"operation":"expr","expression":"(1 ± 2"}`, 400, nu.CodeSyntax},
		{"body is array", exec, op, `[1,2]`, 400, CodeBadJSON},
		{"empty body", exec, op, ``, 400, CodeBadJSON},
		{"truncated JSON", exec, op, `{"operation":"add","inputs":[[1,1]`, 400, CodeBadJSON},
		{"trailing data", exec, op, `{"operation":"flip","inputs":[[1,1]]} {}`, 400, CodeBadJSON},
		{"invalid UTF-8", exec, op, "{\"operation\":\"add\xff\",\"inputs\":[[1,1],[1,1]]}", 400, CodeBadJSON},
		{"deeply nested", exec, op, deep, 400, CodeBadJSON},
		{"10 MB body", exec, op, big, 413, CodeTooLarge},
		{"bad op id", exec, op, `{"operation":"flip","inputs":[[1,1]],"op_id":"a\nb"}`, 400, ledger.CodeInvalidEntry},
		{"unknown parent", exec, op, `{"operation":"flip","inputs":[[1,1]],"parent_op_id":"nope"}`, 409, ledger.CodeOpID},
		{"empty batch", "/api/v1/operations/batch", op, `{"operations":[]}`, 400, CodeBadBatch},
		{"oversized batch", "/api/v1/operations/batch", op, `{"operations":[` + strings.TrimSuffix(strings.Repeat(`{"operation":"flip","inputs":[[1,1]]},`, 1001), ",") + `]}`, 400, CodeBadBatch},
		{"batch with one bad op", "/api/v1/operations/batch", op, `{"operations":[{"operation":"flip","inputs":[[1,1]]},{"operation":"div","inputs":[[1,1],[0,0]]}]}`, 422, nu.CodeDivByZero},
		{"batch duplicate op ids", "/api/v1/operations/batch", op, `{"operations":[{"operation":"flip","op_id":"d","inputs":[[1,1]]},{"operation":"flip","op_id":"d","inputs":[[1,1]]}]}`, 409, ledger.CodeOpID},
		{"no token", exec, "", `{"operation":"flip","inputs":[[1,1]]}`, 401, ""},
		{"alg none", exec, alg("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"), `{"operation":"flip","inputs":[[1,1]]}`, 401, ""},
		{"alg HS512", exec, alg("eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9"), `{"operation":"flip","inputs":[[1,1]]}`, 401, ""},
		{"garbage token", exec, "not.a.jwt", `{"operation":"flip","inputs":[[1,1]]}`, 401, ""},
		{"wrong key", exec, wrongKeyToken(t), `{"operation":"flip","inputs":[[1,1]]}`, 401, ""},
		{"refresh token as access", exec, pair.RefreshToken, `{"operation":"flip","inputs":[[1,1]]}`, 401, ""},
		{"revoked token", exec, revoked.AccessToken, `{"operation":"flip","inputs":[[1,1]]}`, 401, ""},
		{"refresh reuse", "/auth/refresh", "", `{"refresh_token":"` + pair.RefreshToken + `"}`, 401, ""},
		{"login bad password", "/auth/login", "", `{"username":"operator1","password":"wrong password!!"}`, 401, ""},
		{"login extra field", "/auth/login", "", `{"username":"a","password":"b","admin":true}`, 400, CodeBadJSON},
		// One reading only (issue 15): what encoding/json would read by
		// keeping the last duplicate, matching names case-insensitively or
		// replacing bad text with U+FFFD is refused, and names the place.
		{"duplicate operation", exec, op, `{"operation":"add","operation":"div","inputs":[[1,1],[1,1]]}`, 400, CodeBadJSON},
		{"duplicate escaped name", exec, op, `{"operation":"add","oper\u0061tion":"div","inputs":[[1,1],[1,1]]}`, 400, CodeBadJSON},
		{"duplicate inputs", exec, op, `{"operation":"add","inputs":[[1,1],[1,1]],"inputs":[[1,1],[9,9]]}`, 400, CodeBadJSON},
		{"duplicate in input object", exec, op, `{"operation":"add","inputs":[{"n":1,"u":0,"n":2},[1,1]]}`, 400, CodeBadJSON},
		{"duplicate in batch", "/api/v1/operations/batch", op, `{"operations":[{"operation":"flip","inputs":[[1,1]]}],"operations":[{"operation":"flip","inputs":[[2,1]]}]}`, 400, CodeBadJSON},
		{"duplicate in batch op", "/operations/batch", op, `{"operations":[{"operation":"flip","inputs":[[1,1]]},{"operation":"add","operation":"flip","inputs":[[1,1]]}]}`, 400, CodeBadJSON},
		{"duplicate login username", "/auth/login", "", `{"username":"admin1","username":"operator1","password":"` + password + `"}`, 400, CodeBadJSON},
		{"duplicate login password", "/api/v1/auth/login", "", `{"username":"operator1","password":"x","password":"` + password + `"}`, 400, CodeBadJSON},
		{"duplicate refresh token", "/auth/refresh", "", `{"refresh_token":"x","refresh_token":"` + pair.AccessToken + `"}`, 400, CodeBadJSON},
		{"duplicate policy hash", "/api/v1/policies/activate", e.tokens[auth.RoleAdmin], `{"policy_hash":"00","policy_hash":"11"}`, 400, CodeBadJSON},
		{"duplicate policy", "/policies/activate", e.tokens[auth.RoleAdmin], `{"policy":{},"policy":{"config":{}}}`, 400, CodeBadJSON},
		{"duplicate inside policy", "/policies/activate", e.tokens[auth.RoleAdmin], `{"policy":{"config":{},"config":{}}}`, 400, CodeBadJSON},
		{"duplicate user role", "/api/v1/users", e.tokens[auth.RoleAdmin], `{"username":"dupuser","password":"` + password + `","role":"guest","role":"admin"}`, 400, CodeBadJSON},
		{"duplicate user patch", "/api/v1/users/operator1", e.tokens[auth.RoleAdmin], `{"disabled":false,"disabled":true}`, 400, CodeBadJSON},
		{"case variant OPERATION", exec, op, `{"OPERATION":"add","inputs":[[1,1],[1,1]]}`, 400, CodeBadJSON},
		{"case variant Inputs", exec, op, `{"operation":"add","Inputs":[[1,1],[1,1]]}`, 400, CodeBadJSON},
		{"case variant both", exec, op, `{"operation":"add","Operation":"div","inputs":[[1,1],[1,1]]}`, 400, CodeBadJSON},
		{"case variant input member", exec, op, `{"operation":"add","inputs":[{"N":1,"u":0},[1,1]]}`, 400, nu.CodeSyntax},
		{"case variant Username", "/auth/login", "", `{"Username":"operator1","password":"` + password + `"}`, 400, CodeBadJSON},
		{"case variant batch", "/api/v1/operations/batch", op, `{"Operations":[{"operation":"flip","inputs":[[1,1]]}]}`, 400, CodeBadJSON},
		{"lone surrogate", exec, op, `{"operation":"add","inputs":[[1,1],[1,1]],"op_id":"a\ud800"}`, 400, CodeBadJSON},
		{"lone low surrogate in name", exec, op, `{"operation":"add","inputs":[[1,1],[1,1]],"\udc00":1}`, 400, CodeBadJSON},
		{"invalid UTF-8 in op id", exec, op, "{\"operation\":\"flip\",\"inputs\":[[1,1]],\"op_id\":\"a\xc3\"}", 400, CodeBadJSON},
		{"invalid UTF-8 in password", "/auth/login", "", "{\"username\":\"operator1\",\"password\":\"\xff\"}", 400, CodeBadJSON},
		{"null required member", exec, op, `{"operation":null,"inputs":[[1,1],[1,1]]}`, 400, CodeBadJSON},
		{"null optional member", exec, op, `{"operation":"flip","inputs":[[1,1]],"mode":null}`, 400, CodeBadJSON},
		{"null input", exec, op, `{"operation":"flip","inputs":[null]}`, 400, CodeBadJSON},
		{"null username", "/auth/login", "", `{"username":null,"password":"` + password + `"}`, 400, CodeBadJSON},
		{"missing password", "/auth/login", "", `{"username":"operator1"}`, 400, CodeBadJSON},
		{"missing batch operations", "/api/v1/operations/batch", op, `{}`, 400, CodeBadJSON},
		{"missing user role", "/api/v1/users", e.tokens[auth.RoleAdmin], `{"username":"norole","password":"` + password + `"}`, 400, CodeBadJSON},
		{"unknown batch member", "/api/v1/operations/batch", op, `{"operations":[{"operation":"flip","inputs":[[1,1]]}],"atomic":true}`, 400, CodeBadJSON},
		{"unknown refresh member", "/auth/refresh", "", `{"refresh_token":"x","access_token":"y"}`, 400, CodeBadJSON},
		{"escaped +Inf", exec, op, `{"operation":"catch","inputs":[[1,"\u002bInf"]]}`, 400, nu.CodeSyntax},
		{"bad query limit", "/api/v1/ledger/entries?limit=-1", e.tokens[auth.RoleAuditor], "", 400, CodeBadParam},
		{"bad cursor", "/api/v1/ledger/entries?cursor=zzz", e.tokens[auth.RoleAuditor], "", 400, ledger.CodeQuery},
		{"no such entry", "/api/v1/ledger/entries/99", e.tokens[auth.RoleAuditor], "", 404, ledger.CodeNotFound},
		{"no such route", "/api/v1/nothing", op, "", 404, CodeNotFound},
	}
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
	// The details of a refusal by the strict reader name the place.
	details := map[string]string{
		"duplicate operation":        `duplicate member "operation" at /operation`,
		"duplicate escaped name":     `duplicate member "operation" at /operation`,
		"duplicate in input object":  "at /inputs/0/n",
		"duplicate in batch op":      "at /operations/1/operation",
		"duplicate login username":   `duplicate member "username" at /username`,
		"duplicate inside policy":    "at /policy/config",
		"duplicate user role":        "at /role",
		"case variant OPERATION":     `unknown member "OPERATION"`,
		"case variant Inputs":        `unknown member "Inputs"`,
		"case variant input member":  "(at /inputs/0)",
		"case variant Username":      `unknown member "Username"`,
		"lone surrogate":             "surrogate",
		"lone low surrogate in name": "surrogate",
		"invalid UTF-8":              "invalid UTF-8 at /operation",
		"null required member":       "null is not accepted here; omit optional members instead at /operation",
		"null input":                 "at /inputs/0",
		"missing operation":          `missing member "operation"`,
		"missing password":           `missing member "password"`,
		"missing user role":          `missing member "role"`,
		"extra field":                `unknown member "lambda"`,
		"unknown batch member":       `unknown member "atomic"`,
	}
	for _, c := range cases {
		method := "POST"
		switch {
		case c.body == "" && !strings.Contains(c.path, "execute"):
			method = "GET"
		case strings.HasPrefix(c.path, "/api/v1/users/"):
			method = "PATCH"
		}
		before := e.store.Len()
		r := e.do(method, c.path, c.token, c.body)
		if after := e.store.Len(); after != before {
			t.Errorf("%s: the ledger changed: %d -> %d entries", c.name, before, after)
		}
		if r.code >= 500 || r.code < 400 || (c.code != 0 && r.code != c.code) {
			t.Errorf("%s: status %d, want %d: %s", c.name, r.code, c.code, truncate(r.body))
			continue
		}
		var m struct {
			Error *nu.Error `json:"error"`
		}
		if err := json.Unmarshal(r.body, &m); err != nil || m.Error == nil || m.Error.Code == "" || m.Error.Message == "" {
			t.Errorf("%s: not a structured error: %s", c.name, truncate(r.body))
			continue
		}
		if c.errCode != "" && m.Error.Code != c.errCode {
			t.Errorf("%s: code %s, want %s (%s)", c.name, m.Error.Code, c.errCode, m.Error.Message)
		}
		if d, ok := details[c.name]; ok && !strings.Contains(m.Error.Details, d) {
			t.Errorf("%s: details %q, want them to say %q", c.name, m.Error.Details, d)
		}
		if m.Error.Code == CodeBadJSON && c.code == 400 && m.Error.Remediation == "" {
			t.Errorf("%s: no remediation", c.name)
		}
	}
	for name := range details {
		if !slices.ContainsFunc(cases, func(c struct {
			name, path, token, body string
			code                    int
			errCode                 string
		}) bool {
			return c.name == name
		}) {
			t.Errorf("details for %q, which is not a case", name)
		}
	}
	// Nothing else changed either: no user made, none disabled.
	if _, err := e.auth.GetUser(context.Background(), "dupuser"); err == nil {
		t.Error("a user body with a duplicate member made the user")
	}
	if u, err := e.auth.GetUser(context.Background(), "operator1"); err != nil || u.Disabled {
		t.Errorf("operator1 after a duplicate patch: %+v %v", u, err)
	}
	if rep, err := e.store.Verify(nil); err != nil || !rep.OK {
		t.Fatal(rep, err)
	}
}

func wrongKeyToken(t *testing.T) string {
	us, _ := auth.OpenBuntStore(":memory:")
	secret := bytes.Repeat([]byte{7}, 32)
	as, _ := auth.New(us, auth.Options{Secret: secret, Hasher: auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 0)})
	as.AddUser(context.Background(), "operator1", password, auth.RoleOperator)
	p, _, err := as.Login(context.Background(), "operator1", password)
	if err != nil {
		t.Fatal(err)
	}
	return p.AccessToken
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	tok := e.tokens[auth.RoleAuditor]
	if r := e.do("GET", "/auth/me", tok, nil); r.code != 200 {
		t.Fatalf("me: %d %s", r.code, r.body)
	}
	if r := e.do("POST", "/auth/logout", tok, `{}`); r.code != 200 {
		t.Fatalf("logout: %d %s", r.code, r.body)
	}
	if r := e.do("GET", "/auth/me", tok, nil); r.code != 401 {
		t.Fatalf("me after logout: %d", r.code)
	}
}

// fakePolicies registers the policy routes without a policy store (the
// real one, server/policystore, has its own end-to-end tests).
type fakePolicies struct{}

func (fakePolicies) Judge(nu.Value) Judgement { return Judgement{} }
func (fakePolicies) List() []PolicyInfo       { return nil }
func (fakePolicies) Active() *PolicyInfo      { return nil }
func (fakePolicies) Get(string) ([]byte, error) {
	return nil, apiErr(CodeNotFound, "no such policy", "", "")
}
func (fakePolicies) Activate(context.Context, []byte, string, string) (*PolicyInfo, *ledger.Entry, error) {
	return nil, nil, apiErr(operation.CodeBadField, "not in this test", "", "")
}
func (fakePolicies) Deactivate(context.Context, string) (*PolicyInfo, *ledger.Entry, error) {
	return nil, nil, apiErr(operation.CodeBadField, "not in this test", "", "")
}

// TestAppAnswersHead: the browser app's pages and assets answer HEAD as
// they answer GET; other methods, and paths under /api/, are not the app's.
func TestAppAnswersHead(t *testing.T) {
	e := newEnv(t)
	stub := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-App", r.URL.Path)
		io.WriteString(w, "app page")
	})
	h := New(Config{Store: e.store, Auth: e.auth, Policies: fakePolicies{}, App: stub}).Handler()
	tests := []struct {
		method, path string
		wantApp      bool
		wantCode     int
	}{
		{"GET", "/app.js", true, 200},
		{"HEAD", "/app.js", true, 200},
		{"HEAD", "/web/ebios.css", true, 200},
		{"HEAD", "/audit", true, 200},
		{"HEAD", "/", true, 200},
		{"POST", "/audit", false, 404},
		{"HEAD", "/api/v1/no-such-thing", false, 404},
	}
	for _, tc := range tests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if got := w.Header().Get("X-App") != ""; got != tc.wantApp || w.Code != tc.wantCode {
			t.Errorf("%s %s: %d, served by the app: %v", tc.method, tc.path, w.Code, got)
		}
	}
}

// firingPolicies raises an error-level event about every result whose u
// is above 1, without halting.
type firingPolicies struct{ fakePolicies }

func (firingPolicies) Judge(v nu.Value) Judgement {
	if v.U() <= 1 {
		return Judgement{}
	}
	return Judgement{Events: []ledger.GuardEvent{{Rule: "max_uncertainty", Level: ledger.LevelError,
		Message: "u above 1", Value: nu.Float(v.U()), Threshold: 1}}, PolicyHash: tlog.Hash{1}}
}

// TestGuardEventsInAnswers: the execute and batch answers carry the guard
// events the policy raised (as their ledger entries do), and no guard
// member when none fired.
func TestGuardEventsInAnswers(t *testing.T) {
	e := newEnv(t)
	e.srv = New(Config{Store: e.store, Auth: e.auth, Policies: firingPolicies{}})
	e.h = e.srv.Handler()
	op := e.tokens[auth.RoleOperator]
	tests := []struct {
		name, path string
		body       string
		fired      []bool // per result
	}{
		{"execute, fires", "/api/v1/operations/execute", `{"operation":"add","inputs":[[100,30],[1,0]]}`, []bool{true}},
		{"execute, quiet", "/api/v1/operations/execute", `{"operation":"add","inputs":[[5,0.1],[3,0.2]]}`, []bool{false}},
		{"batch", "/api/v1/operations/batch", `{"operations":[{"operation":"add","inputs":[[5,0.1],[3,0.2]]},{"operation":"add","inputs":[[100,30],[1,0]]}]}`, []bool{false, true}},
	}
	for _, tc := range tests {
		r := e.do("POST", tc.path, op, tc.body)
		if r.code != 200 {
			t.Fatalf("%s: %d %s", tc.name, r.code, r.body)
		}
		var outs []opResponse
		if len(tc.fired) == 1 {
			var o opResponse
			json.Unmarshal(r.body, &o)
			outs = []opResponse{o}
		} else {
			var b struct{ Results []opResponse }
			json.Unmarshal(r.body, &b)
			outs = b.Results
		}
		if len(outs) != len(tc.fired) {
			t.Fatalf("%s: %d results: %s", tc.name, len(outs), r.body)
		}
		for i, o := range outs {
			entry, err := e.store.Get(o.Entry.Index)
			if err != nil {
				t.Fatal(err)
			}
			got := len(o.Guard) == 1 && o.Guard[0].Rule == "max_uncertainty" && o.Guard[0].Level == ledger.LevelError
			if got != tc.fired[i] || len(o.Guard) != len(entry.Guard) {
				t.Fatalf("%s: result %d: guard %+v, entry's %+v: %s", tc.name, i, o.Guard, entry.Guard, r.body)
			}
			if !tc.fired[i] && len(tc.fired) == 1 && strings.Contains(string(r.body), `"guard"`) {
				t.Fatalf("%s: a guard member without events: %s", tc.name, r.body)
			}
		}
	}
}

// TestSetupStatus: GET /api/v1/auth/setup says whether the first admin is
// still to be made: true until the setup token makes one, then false, and
// the token does not work twice.
func TestSetupStatus(t *testing.T) {
	e := newEnv(t) // has an admin
	status := func(h http.Handler) bool {
		t.Helper()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/auth/setup", nil))
		var b struct{ Needed bool }
		if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &b) != nil {
			t.Fatalf("setup status: %d %s", w.Code, w.Body)
		}
		return b.Needed
	}
	if status(e.h) {
		t.Fatal("setup needed while an admin exists")
	}
	as := newAuth(t) // no users, so no admin
	h := New(Config{Store: e.store, Auth: as, Policies: fakePolicies{}}).Handler()
	if !status(h) {
		t.Fatal("no setup needed without an admin")
	}
	tok, err := as.SetupToken(context.Background())
	if err != nil || tok == "" {
		t.Fatalf("setup token: %q %v", tok, err)
	}
	body := `{"token":"` + tok + `","username":"first","password":"a long enough passphrase"}`
	for i, want := range []int{201, 401} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/api/v1/auth/setup", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(w, r)
		if w.Code/100 != want/100 {
			t.Fatalf("setup %d: %d %s", i, w.Code, w.Body)
		}
	}
	if status(h) {
		t.Fatal("setup still needed after the first admin")
	}
}
