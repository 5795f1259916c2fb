package api

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ledgerstore"
)

// job fetches a job by id as the auditor.
func (e *env) job(t *testing.T, id string) map[string]any {
	t.Helper()
	r := e.do("GET", "/api/v1/ledger/verify/jobs/"+id, e.tokens[auth.RoleAuditor], nil)
	if r.code != 200 {
		t.Fatalf("job %s: %d %s", id, r.code, r.body)
	}
	return r.json(t)
}

// waitJob polls job id until done says so.
func (e *env) waitJob(t *testing.T, id string, done func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j := e.job(t, id)
		if done(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s never got there: %v", id, j)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func notWorking(j map[string]any) bool { return j["working"] == false }

// reportBody is the whole-store verify answer of before: the report as JSON.
func reportBody(t *testing.T, e *env) []byte {
	t.Helper()
	rep, _ := e.store.Verify(nil)
	w := httptest.NewRecorder()
	writeJSON(w, 200, rep)
	return w.Body.Bytes()
}

// TestVerifyJob: a job started by an operator runs the store's verification,
// shows its progress and answers the same report as the whole-store verify
// did; the latest report is kept with its tree size, and the original GET
// /ledger/verify answers it at once.
func TestVerifyJob(t *testing.T) {
	e := newEnv(t)
	fillLog(t, e, 3000, 4)
	op, aud := e.tokens[auth.RoleOperator], e.tokens[auth.RoleAuditor]
	if r := e.do("GET", "/api/v1/ledger/verify/jobs/latest", aud, nil); r.code != 404 {
		t.Fatalf("latest before any job: %d %s", r.code, r.body)
	}
	var progress []int64
	old := storeVerify
	defer func() { storeVerify = old }()
	phases := map[ledgerstore.VerifyPhase]int{}
	storeVerify = func(ctx context.Context, s *Server, p func(phase ledgerstore.VerifyPhase, done, total int64)) (*ledger.Report, error) {
		return s.cfg.Store.VerifyContext(ctx, func(phase ledgerstore.VerifyPhase, done, total int64) {
			phases[phase]++
			if phase == ledgerstore.PhaseEntries {
				progress = append(progress, done)
			}
			p(phase, done, total)
		})
	}
	r := e.do("POST", "/api/v1/ledger/verify/jobs", op, nil)
	if r.code != 202 || r.hdr.Get("Location") == "" {
		t.Fatalf("start: %d %s", r.code, r.body)
	}
	id := r.json(t)["id"].(string)
	if r.hdr.Get("Location") != "/api/v1/ledger/verify/jobs/"+id {
		t.Fatalf("Location %q", r.hdr.Get("Location"))
	}
	j := e.waitJob(t, id, notWorking)
	p := j["progress"].(map[string]any)
	if j["state"] != "done" || j["ok"] != true || p["done"].(float64) != 3000 || p["total"].(float64) != 3000 ||
		j["phase"] != "finished" || j["finished"] == "" || j["started_by"] != "operator1" || j["tree_size"].(float64) != 3000 {
		t.Fatalf("job: %v", j)
	}
	if len(progress) < 2 || phases[ledgerstore.PhaseStored] < 2 {
		t.Fatalf("progress reported %v, %v calls per phase", progress, phases)
	}
	want := reportBody(t, e)
	r = e.do("GET", "/api/v1/ledger/verify/jobs/"+id+"/report", aud, nil)
	if r.code != 200 || !bytes.Equal(r.body, want) || r.hdr.Get("X-Verify-Tree-Size") != "3000" {
		t.Fatalf("report: %d %v %s\nwant %s", r.code, r.hdr, r.body, want)
	}
	r = e.do("GET", "/api/v1/ledger/verify/jobs/latest", aud, nil)
	if r.code != 200 || r.json(t)["id"] != id || r.json(t)["report"] == nil {
		t.Fatalf("latest: %d %s", r.code, r.body)
	}
	for _, path := range []string{"/api/v1/ledger/verify", "/ledger/verify"} {
		for _, role := range []auth.Role{auth.RoleAuditor, auth.RoleAdmin} {
			r = e.do("GET", path, e.tokens[role], nil)
			if r.code != 200 || !bytes.Equal(r.body, want) || r.hdr.Get("X-Verify-Job") != id {
				t.Fatalf("%s as %s: %d %s", path, role, r.code, r.body)
			}
		}
	}
}

// TestVerifyJobLifecycle: one job at a time (409 with the running job),
// progress while it runs, no report before it ends, roles, cancelling (a
// cancelled pass still blocks a new start until it has finished), and the
// original GET /ledger/verify for each role and state.
func TestVerifyJobLifecycle(t *testing.T) {
	e := newEnv(t)
	fillLog(t, e, 50, 5)
	op, aud, admin := e.tokens[auth.RoleOperator], e.tokens[auth.RoleAuditor], e.tokens[auth.RoleAdmin]
	release := make(chan struct{})
	old, oldWait := storeVerify, LegacyVerifyWait
	defer func() { storeVerify, LegacyVerifyWait = old, oldWait }()
	LegacyVerifyWait = 20 * time.Millisecond
	// This pass ignores its context until released: a pass that takes a
	// while to stop.
	storeVerify = func(ctx context.Context, s *Server, p func(phase ledgerstore.VerifyPhase, done, total int64)) (*ledger.Report, error) {
		p(ledgerstore.PhaseEntries, 10, 50)
		<-release
		return s.cfg.Store.VerifyContext(context.Background(), p)
	}

	// Without any report, an auditor is told how to get one.
	if r := e.do("GET", "/api/v1/ledger/verify", aud, nil); r.code != 404 {
		t.Fatalf("auditor, no report: %d %s", r.code, r.body)
	}
	// Auditors may not start or cancel.
	if r := e.do("POST", "/api/v1/ledger/verify/jobs", aud, nil); r.code != 403 {
		t.Fatalf("auditor start: %d", r.code)
	}
	r := e.do("POST", "/api/v1/ledger/verify/jobs", op, "{}")
	if r.code != 202 {
		t.Fatalf("start: %d %s", r.code, r.body)
	}
	id := r.json(t)["id"].(string)
	if r := e.do("POST", "/api/v1/ledger/verify/jobs", op, `{"x":1}`); r.code != 400 {
		t.Fatalf("start with a body: %d %s", r.code, r.body)
	}
	r = e.do("POST", "/api/v1/ledger/verify/jobs", admin, nil)
	if m := r.json(t); r.code != 409 || m["job"].(map[string]any)["id"] != id || m["error"].(map[string]any)["code"] != CodeJobState ||
		r.hdr.Get("Location") != "/api/v1/ledger/verify/jobs/"+id {
		t.Fatalf("second start: %d %s", r.code, r.body)
	}
	j := e.waitJob(t, id, func(j map[string]any) bool { return j["progress"].(map[string]any)["done"].(float64) == 10 })
	if j["state"] != "running" || j["working"] != true || j["phase"] != phases[1] || j["progress"].(map[string]any)["total"].(float64) != 50 {
		t.Fatalf("running job: %v", j)
	}
	if r := e.do("GET", "/api/v1/ledger/verify/jobs/"+id+"/report", aud, nil); r.code != 409 {
		t.Fatalf("report while running: %d %s", r.code, r.body)
	}
	// The original endpoint: an auditor gets the running job, an admin
	// joins it and, after the wait, gets it too.
	for _, tok := range []string{aud, admin} {
		r := e.do("GET", "/ledger/verify", tok, nil)
		if r.code != 202 || r.json(t)["id"] != id || r.hdr.Get("Location") != "/api/v1/ledger/verify/jobs/"+id {
			t.Fatalf("legacy verify while running: %d %s", r.code, r.body)
		}
	}
	if r := e.do("DELETE", "/api/v1/ledger/verify/jobs/"+id, aud, nil); r.code != 403 {
		t.Fatalf("auditor cancel: %d", r.code)
	}
	r = e.do("DELETE", "/api/v1/ledger/verify/jobs/"+id, op, nil)
	if m := r.json(t); r.code != 200 || m["state"] != "cancelled" || m["working"] != true || m["finished"] == "" {
		t.Fatalf("cancel: %d %s", r.code, r.body)
	}
	if r := e.do("DELETE", "/api/v1/ledger/verify/jobs/"+id, op, nil); r.code != 409 {
		t.Fatalf("cancel twice: %d %s", r.code, r.body)
	}
	r = e.do("POST", "/api/v1/ledger/verify/jobs", op, nil)
	if r.code != 409 || !bytes.Contains(r.body, []byte("cancelled whole-log verification is still finishing")) {
		t.Fatalf("start while a cancelled pass finishes: %d %s", r.code, r.body)
	}
	release <- struct{}{}
	j = e.waitJob(t, id, notWorking)
	if j["state"] != "cancelled" || j["report"] != nil {
		t.Fatalf("cancelled job after its pass: %v", j)
	}
	if r := e.do("GET", "/api/v1/ledger/verify/jobs/"+id+"/report", aud, nil); r.code != 409 {
		t.Fatalf("report of a cancelled job: %d %s", r.code, r.body)
	}
	if r := e.do("GET", "/api/v1/ledger/verify/jobs/latest", aud, nil); r.code != 404 {
		t.Fatalf("latest after a cancel only: %d %s", r.code, r.body)
	}

	// The original endpoint as an admin: starts a job, which finishes
	// within the wait: the report.
	close(release)
	LegacyVerifyWait = 20 * time.Second
	want := reportBody(t, e)
	r = e.do("GET", "/api/v1/ledger/verify", admin, nil)
	if r.code != 200 || !bytes.Equal(r.body, want) || r.hdr.Get("X-Verify-Tree-Size") != "50" {
		t.Fatalf("legacy verify as admin: %d %s", r.code, r.body)
	}
	second := r.hdr.Get("X-Verify-Job")
	if second == "" || second == id {
		t.Fatalf("legacy verify ran job %q", second)
	}
	// The log grows: an auditor still gets the last report, which says
	// what it covers; an admin gets a new one.
	fillLog(t, e, 10, 6)
	r = e.do("GET", "/api/v1/ledger/verify", aud, nil)
	if r.code != 200 || !bytes.Equal(r.body, want) || r.hdr.Get("X-Verify-Tree-Size") != "50" || r.hdr.Get("X-Verify-Job") != second {
		t.Fatalf("auditor, stale report: %d %v %s", r.code, r.hdr, r.body)
	}
	r = e.do("GET", "/api/v1/ledger/verify", admin, nil)
	if r.code != 200 || r.hdr.Get("X-Verify-Tree-Size") != "60" || r.json(t)["tree_size"].(float64) != 60 {
		t.Fatalf("admin, grown log: %d %v %s", r.code, r.hdr, r.body)
	}
	// Unknown jobs.
	for _, path := range []string{"/api/v1/ledger/verify/jobs/nope", "/api/v1/ledger/verify/jobs/nope/report"} {
		if r := e.do("GET", path, aud, nil); r.code != 404 {
			t.Fatalf("%s: %d", path, r.code)
		}
	}
	if r := e.do("DELETE", "/api/v1/ledger/verify/jobs/nope", op, nil); r.code != 404 {
		t.Fatalf("cancel unknown: %d", r.code)
	}
	// The server remembers the last jobs only.
	for range keepJobs + 2 {
		r := e.do("POST", "/api/v1/ledger/verify/jobs", op, nil)
		if r.code != 202 {
			t.Fatalf("start: %d %s", r.code, r.body)
		}
		e.waitJob(t, r.json(t)["id"].(string), notWorking)
	}
	if r := e.do("GET", "/api/v1/ledger/verify/jobs/"+id, aud, nil); r.code != 404 {
		t.Fatalf("an old job is still kept: %d", r.code)
	}
	if n := len(e.srv.verifying.jobs); n != keepJobs {
		t.Fatalf("%d jobs kept", n)
	}
}

// TestVerifyJobCancelStopsPass: cancelling a job stops the store's real
// verification pass in the middle (in each phase), instead of letting it
// run to its end: the pass returns the context's error, the job is
// cancelled with no report, and a new job can start at once after.
func TestVerifyJobCancelStopsPass(t *testing.T) {
	e := newEnv(t)
	fillLog(t, e, 3000, 4)
	op := e.tokens[auth.RoleOperator]
	old := storeVerify
	defer func() { storeVerify = old }()
	for _, phase := range []ledgerstore.VerifyPhase{ledgerstore.PhaseStored, ledgerstore.PhaseEntries} {
		reached := make(chan struct{})
		result := make(chan error, 1)
		storeVerify = func(ctx context.Context, s *Server, p func(ledgerstore.VerifyPhase, int64, int64)) (*ledger.Report, error) {
			var once bool
			rep, err := s.cfg.Store.VerifyContext(ctx, func(ph ledgerstore.VerifyPhase, done, total int64) {
				p(ph, done, total)
				if ph == phase && !once {
					once = true
					close(reached)
					<-ctx.Done() // hold the pass here until the job is cancelled
				}
			})
			if rep != nil {
				err = errors.New("the cancelled pass gave a report")
			}
			result <- err
			return rep, err
		}
		r := e.do("POST", "/api/v1/ledger/verify/jobs", op, nil)
		if r.code != 202 {
			t.Fatalf("start: %d %s", r.code, r.body)
		}
		id := r.json(t)["id"].(string)
		<-reached
		if r := e.do("DELETE", "/api/v1/ledger/verify/jobs/"+id, op, nil); r.code != 200 {
			t.Fatalf("cancel: %d %s", r.code, r.body)
		}
		if err := <-result; !errors.Is(err, context.Canceled) {
			t.Fatalf("phase %d: the pass returned %v, want context.Canceled", phase, err)
		}
		j := e.waitJob(t, id, notWorking)
		if j["state"] != "cancelled" || j["report"] != nil || j["progress"].(map[string]any)["done"].(float64) >= 3000 {
			t.Fatalf("phase %d: cancelled job: %v", phase, j)
		}
	}
	storeVerify = old
	r := e.do("POST", "/api/v1/ledger/verify/jobs", op, nil)
	if r.code != 202 {
		t.Fatalf("start after cancels: %d %s", r.code, r.body)
	}
	if j := e.waitJob(t, r.json(t)["id"].(string), notWorking); j["state"] != "done" || j["ok"] != true {
		t.Fatalf("job after cancels: %v", j)
	}
}
