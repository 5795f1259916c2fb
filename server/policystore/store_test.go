package policystore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/policy"
	"github.com/ebios/ebios/server/api"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ledgerstore"
)

const password = "correct horse battery staple"

func signer(t testing.TB, name string) *ledger.Signer {
	skey, _, err := ledger.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ledger.ParseSignerKey(skey)
	return s
}

// signed makes a policy document: one threshold rule on u at the given
// level, with halt_on_critical as given.
func signed(t testing.TB, s *ledger.Signer, name string, maxU float64, level string, halt bool) []byte {
	t.Helper()
	tmpl := map[string]any{"config": map[string]any{
		"version": "1.0.0", "name": name, "description": "test policy",
		"rules": []any{
			map[string]any{"type": "invariant", "name": "invariant", "level": "critical"},
			map[string]any{"type": "threshold", "name": "max_u", "max_uncertainty": maxU, "level": level},
			map[string]any{"type": "coverage", "name": "max_coverage", "threshold": 0.5, "level": "warning"},
		},
		"escalation": map[string]any{"halt_on_critical": halt, "auto_log": true},
	}}
	b, _ := json.Marshal(tmpl)
	doc, err := policy.SignTemplate(b, s)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

type env struct {
	t     *testing.T
	h     http.Handler
	log   *ledgerstore.Store
	ps    *Store
	admin string
	op    string
	aud   string
	vkey  string
	psig  *ledger.Signer
}

func newEnv(t *testing.T, dir string) *env {
	t.Helper()
	lsk, lvk, _ := ledger.GenerateKey(rand.Reader, "guard.example/log")
	ls, _ := ledger.ParseSignerKey(lsk)
	psig := signer(t, "guard.example/policies")
	st, err := ledgerstore.Open(filepath.Join(dir, "ledger.db"), ls, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, notices, err := Open(filepath.Join(dir, "policies.db"), []*ledger.Verifier{psig.Verifier()}, st)
	if err != nil || len(notices) != 0 {
		t.Fatal(err, notices)
	}
	us, _ := auth.OpenBuntStore(":memory:")
	secret := make([]byte, 32)
	rand.Read(secret)
	as, _ := auth.New(us, auth.Options{Secret: secret, Hasher: auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 0)})
	e := &env{t: t, log: st, ps: ps, vkey: lvk, psig: psig}
	e.h = api.New(api.Config{Store: st, Auth: as, Policies: ps}).Handler()
	tok := func(name string, r auth.Role) string {
		as.AddUser(context.Background(), name, password, r)
		p, _, err := as.Login(context.Background(), name, password)
		if err != nil {
			t.Fatal(err)
		}
		return p.AccessToken
	}
	e.admin, e.op, e.aud = tok("admin1", auth.RoleAdmin), tok("op1", auth.RoleOperator), tok("aud1", auth.RoleAuditor)
	t.Cleanup(func() { ps.Close(); st.Close() })
	return e
}

func (e *env) do(method, path, token string, body any) (int, map[string]any) {
	var b []byte
	switch v := body.(type) {
	case nil:
	case []byte:
		b = v
	default:
		b, _ = json.Marshal(v)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	var m map[string]any
	json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m
}

func (e *env) activate(doc []byte) string {
	e.t.Helper()
	code, m := e.do("POST", "/policies/activate", e.admin, map[string]any{"policy": json.RawMessage(doc)})
	if code != 200 {
		e.t.Fatalf("activate: %d %v", code, m)
	}
	return m["policy"].(map[string]any)["policy_hash"].(string)
}

func (e *env) exec(n1, u1, n2, u2 float64) (int, map[string]any) {
	return e.do("POST", "/operations/execute", e.op, map[string]any{"operation": "add", "inputs": [][]float64{{n1, u1}, {n2, u2}}})
}

func code(m map[string]any) string {
	if er, ok := m["error"].(map[string]any); ok {
		return er["code"].(string)
	}
	return ""
}

// TestHaltVersusLogOnly: a critical event refuses the result under
// halt_on_critical (422, still logged with its events) and only records it
// without; warnings never refuse.
func TestHaltVersusLogOnly(t *testing.T) {
	e := newEnv(t, t.TempDir())
	e.activate(signed(t, e.psig, "halting", 1.0, "critical", true))
	before := e.log.Len()
	code1, m := e.exec(5, 2, 1, 1) // u = √5 > 1: critical
	if code1 != 422 || code(m) != api.CodeHalted || !strings.Contains(m["error"].(map[string]any)["details"].(string), "max_u") {
		t.Fatalf("halt: %d %v", code1, m)
	}
	if e.log.Len() != before+1 {
		t.Fatal("a halted attempt must still be logged")
	}
	ent, _ := e.log.Get(before)
	if len(ent.Guard) == 0 || ent.Guard[0].Level != ledger.LevelCritical || ent.PolicyHash == [32]byte{} {
		t.Fatalf("halted entry: %+v", ent)
	}
	if c, _ := e.exec(5, 0.1, 1, 0.1); c != 200 { // within the policy
		t.Fatalf("ok result: %d", c)
	}
	e.activate(signed(t, e.psig, "log-only", 1.0, "critical", false))
	c, m := e.exec(5, 2, 1, 1)
	if c != 200 {
		t.Fatalf("log-only: %d %v", c, m)
	}
	ent, _ = e.log.Get(e.log.Len() - 1)
	if len(ent.Guard) == 0 || ent.Guard[0].Rule != "max_u" {
		t.Fatalf("log-only entry lacks its event: %+v", ent.Guard)
	}
	// Guard events are queryable by level and rule.
	c, m = e.do("GET", "/api/v1/guard/events?level=critical&rule=max_u", e.aud, nil)
	if c != 200 || len(m["events"].([]any)) != 2 {
		t.Fatalf("guard events: %d %v", c, m)
	}
	c, _ = e.do("GET", "/api/v1/guard/events?level=bogus", e.aud, nil)
	if c != 400 {
		t.Fatalf("bad level: %d", c)
	}
}

// TestRefusedPolicies: unsigned, tampered and untrusted policies are refused
// with their own codes, and nothing is activated or logged.
func TestRefusedPolicies(t *testing.T) {
	e := newEnv(t, t.TempDir())
	good := signed(t, e.psig, "p", 1, "warning", true)
	var unsigned map[string]any
	json.Unmarshal(good, &unsigned)
	unsigned["signature"], unsigned["public_key"], unsigned["policy_hash"] = nil, nil, nil
	unsignedDoc, _ := json.Marshal(unsigned)
	tampered := bytes.Replace(good, []byte(`"max_uncertainty": 1`), []byte(`"max_uncertainty": 100`), 1)
	if bytes.Equal(tampered, good) {
		t.Fatal("tamper did not apply")
	}
	foreign := signed(t, signer(t, "guard.example/policies"), "p", 1, "warning", true)
	for _, c := range []struct {
		name string
		doc  []byte
		code string
	}{
		{"unsigned", unsignedDoc, policy.CodeUnsigned},
		{"tampered", tampered, policy.CodeBadSignature},
		{"untrusted key", foreign, policy.CodeUntrusted},
	} {
		before := e.log.Len()
		st, m := e.do("POST", "/policies/activate", e.admin, map[string]any{"policy": json.RawMessage(c.doc)})
		if st != 400 || code(m) != c.code {
			t.Errorf("%s: %d %v, want 400 %s", c.name, st, m, c.code)
		}
		if e.log.Len() != before || e.ps.Active() != nil {
			t.Errorf("%s: refused policy changed the state", c.name)
		}
	}
	if st, m := e.do("POST", "/policies/activate", e.op, map[string]any{"policy": json.RawMessage(good)}); st != 403 {
		t.Errorf("operator activating: %d %v", st, m)
	}
	if st, m := e.do("POST", "/policies/deactivate", e.admin, nil); st != 409 {
		t.Errorf("deactivate with none active: %d %v", st, m)
	}
}

// TestAuditorReconstructs: after a scripted session of activations and
// operations, the exported ledger verifies, and an auditor who fetches the
// policies by hash can tell which policy judged each entry and recompute
// its guard events from the policy and the entry's output.
func TestAuditorReconstructs(t *testing.T) {
	e := newEnv(t, t.TempDir())
	a := signed(t, e.psig, "A", 1.0, "error", true)
	b := signed(t, e.psig, "B", 0.1, "warning", false)
	e.exec(1, 1, 1, 1) // before any policy
	ha := e.activate(a)
	e.exec(1, 2, 3, 4)
	e.exec(1, 0.1, 3, 0.1)
	hb := e.activate(b)
	e.exec(1, 2, 3, 4)
	if st, _ := e.do("POST", "/policies/deactivate", e.admin, nil); st != 200 {
		t.Fatal("deactivate")
	}
	e.exec(1, 2, 3, 4)
	e.activate(storedDoc(t, e, ha)) // re-activate A by hash

	// The auditor: export, verify against the pinned key, fetch policies.
	req := httptest.NewRequest("GET", "/api/v1/ledger/export", nil)
	req.Header.Set("Authorization", "Bearer "+e.aud)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	bundle, err := ledger.ReadBundle(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := bundle.Verify(mustVerifier(t, e.vkey), nil); err != nil || !rep.OK {
		t.Fatalf("bundle: %+v %v", rep, err)
	}
	trusted := []*ledger.Verifier{e.psig.Verifier()}
	policies := map[[32]byte]*policy.Policy{}
	for _, h := range []string{ha, hb} {
		_, m := e.do("GET", "/api/v1/policies/"+h, e.aud, nil)
		doc, _ := json.Marshal(m)
		p, err := policy.Parse(doc, trusted)
		if err != nil {
			t.Fatalf("fetched policy %s: %v", h, err)
		}
		policies[p.Hash()] = p
	}
	var inForce [32]byte
	wantOps := []string{"add", OpActivate, "add", "add", OpActivate, "add", OpDeactivate, "add", OpActivate}
	if len(bundle.Entries) != len(wantOps) {
		t.Fatalf("%d entries, want %d", len(bundle.Entries), len(wantOps))
	}
	for i, en := range bundle.Entries {
		if en.Operation != wantOps[i] {
			t.Fatalf("entry %d is %s, want %s", i, en.Operation, wantOps[i])
		}
		switch en.Operation {
		case OpActivate:
			inForce = en.PolicyHash
			continue
		case OpDeactivate:
			if en.PolicyHash != inForce {
				t.Fatalf("entry %d deactivates %x, not the policy in force", i, en.PolicyHash)
			}
			inForce = [32]byte{}
			continue
		}
		if en.PolicyHash != inForce {
			t.Fatalf("entry %d was judged by %x, but %x was in force", i, en.PolicyHash, inForce)
		}
		if inForce == ([32]byte{}) {
			if len(en.Guard) != 0 {
				t.Fatalf("entry %d has events without a policy", i)
			}
			continue
		}
		got, _ := json.Marshal(en.Guard)
		want, _ := json.Marshal(policies[inForce].EvaluateValue(*en.Output))
		if string(got) != string(want) && !(len(en.Guard) == 0 && string(want) == "null") {
			t.Fatalf("entry %d: logged events %s, the policy gives %s", i, got, want)
		}
	}
}

func storedDoc(t *testing.T, e *env, hash string) []byte {
	doc, err := e.ps.Get(hash)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func mustVerifier(t *testing.T, k string) *ledger.Verifier {
	v, err := ledger.ParseVerifierKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestRestart: the active policy survives a restart; one whose key is no
// longer trusted is deactivated, and that is logged.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, dir)
	h := e.activate(signed(t, e.psig, "A", 1, "warning", true))
	lg := e.log
	e.ps.Close()
	ps, notices, err := Open(filepath.Join(dir, "policies.db"), []*ledger.Verifier{e.psig.Verifier()}, lg)
	if err != nil || len(notices) != 0 || ps.Active() == nil || ps.Active().Hash != h {
		t.Fatalf("reopen: %v %v %+v", err, notices, ps.Active())
	}
	ps.Close()
	before := lg.Len()
	ps, notices, err = Open(filepath.Join(dir, "policies.db"), nil, lg) // key no longer trusted
	if err != nil || len(notices) != 1 || ps.Active() != nil {
		t.Fatalf("untrusted at startup: %v %v", err, notices)
	}
	last, _ := lg.Get(lg.Len() - 1)
	if lg.Len() != before+1 || last.Operation != OpDeactivate {
		t.Fatalf("the forced deactivation must be logged: %+v", last)
	}
	ps.Close()
	e.ps, _, _ = Open(filepath.Join(dir, "policies.db"), nil, lg) // for Cleanup
}

// TestUnloggedChangeIsLoggedOnOpen: a crash after the policies file took a
// change but before its ledger entry: the next open logs it.
func TestUnloggedChangeIsLoggedOnOpen(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, dir)
	doc := signed(t, e.psig, "A", 1, "warning", true)
	p, _ := policy.Parse(doc, []*ledger.Verifier{e.psig.Verifier()})
	c := change{OpID: "crashed-activation", Op: OpActivate, Hash: p.HashHex(), User: "admin1"}
	pend, _ := json.Marshal(c)
	e.ps.set(prefixDoc+c.Hash, string(p.Marshal()))
	e.ps.set(keyActive, c.Hash)
	e.ps.set(keyPending, string(pend))
	e.ps.Close()
	before := e.log.Len()
	ps, notices, err := Open(filepath.Join(dir, "policies.db"), []*ledger.Verifier{e.psig.Verifier()}, e.log)
	if err != nil || len(notices) != 1 || ps.Active() == nil {
		t.Fatalf("reopen: %v %v", err, notices)
	}
	e.ps = ps
	i, ok := e.log.IndexOfOp("crashed-activation")
	if !ok || i != before {
		t.Fatal("the unlogged activation was not logged on open")
	}
	en, _ := e.log.Get(i)
	if en.Operation != OpActivate || en.PolicyHash != p.Hash() || !strings.Contains(en.Expression, "by admin1") {
		t.Fatalf("recovered entry: %+v", en)
	}
}
