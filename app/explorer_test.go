//go:build !wasm

package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

const explorerOrigin = "ebios.test/explorer"

type testLog struct {
	log    *ledger.Log
	signer *ledger.Signer
	vkey   string
}

func newTestLog(t testing.TB, n int) *testLog {
	t.Helper()
	s, vkey := testSigner(t, explorerOrigin)
	l, err := ledger.NewLog(explorerOrigin, s, testClock(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for k := range n {
		out := nu.MustNew(float64(k)+1, 0.5+float64(k%5))
		d := ledger.Draft{
			OpID: fmt.Sprintf("op-%04d", k), Operation: "add", Mode: ledger.ModeNU,
			Inputs: []nu.Value{nu.MustNew(float64(k), 0.25), nu.MustNew(1, 0.25)},
			Output: &out, Coverage: nu.Float(out.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true},
		}
		if k > 0 {
			d.ParentOpID = fmt.Sprintf("op-%04d", k-1)
		}
		if k == 3 {
			d.Guard = []ledger.GuardEvent{{Rule: "coverage", Level: ledger.LevelWarning, Message: "wide", Value: 1, Threshold: 0.5}}
		}
		if _, err := l.Append(d); err != nil {
			t.Fatalf("append %d: %v", k, err)
		}
	}
	return &testLog{log: l, signer: s, vkey: vkey}
}

// roundTrip marshals v to JSON and back into a new value, as the API and
// the browser do.
func roundTrip[T any](t testing.TB, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return out
}

// page returns entries [from, to) and their proofs against the latest
// checkpoint, through JSON, plus the entry before from.
func (tl *testLog) page(t testing.TB, from, to int) (cp []byte, prev *ledger.Entry, es []*ledger.Entry, ps []*InclusionProof) {
	t.Helper()
	cp, err := tl.log.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	size := int64(tl.log.Len())
	if from > 0 {
		e, _ := tl.log.Get(uint64(from - 1))
		prev = roundTrip(t, e)
	}
	for i := from; i < to; i++ {
		e, err := tl.log.Get(uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, roundTrip(t, e))
		p, err := tl.log.InclusionProof(int64(i), size)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, roundTrip(t, &InclusionProof{Index: uint64(i), TreeSize: size, Hashes: p, Checkpoint: string(cp)}))
	}
	return cp, prev, es, ps
}

func wantMarks(t *testing.T, v *PageVerification, bad map[uint64]string) {
	t.Helper()
	for _, m := range v.Marks {
		check, isBad := bad[m.Index]
		switch {
		case isBad && (m.OK || m.Check != check):
			t.Errorf("entry %d: mark %+v, want failed %s", m.Index, m, check)
		case !isBad && !m.OK:
			t.Errorf("entry %d: %s", m.Index, m.Label())
		}
	}
}

func TestVerifyPage(t *testing.T) {
	tl := newTestLog(t, 120)

	// First page (entry 0 has a zero prev hash) and a middle one.
	for _, r := range [][2]int{{0, 50}, {50, 100}, {100, 120}} {
		cp, prev, es, ps := tl.page(t, r[0], r[1])
		v := VerifyPage(tl.vkey, cp, prev, es, ps)
		if !v.CheckpointOK || v.Checkpoint.Size != 120 || v.Checkpoint.Origin != explorerOrigin {
			t.Fatalf("checkpoint: %+v", v)
		}
		if v.Verified() != r[1]-r[0] {
			t.Errorf("page %v: %d verified", r, v.Verified())
		}
		wantMarks(t, v, nil)
		if len(v.Marks) > 0 && v.Marks[0].Label() != "verified" {
			t.Errorf("label %q", v.Marks[0].Label())
		}
	}

	// An output changed after signing: that entry's signature fails.
	cp, prev, es, ps := tl.page(t, 50, 100)
	o := nu.MustNew(999, 1)
	es[7].Output = &o
	v := VerifyPage(tl.vkey, cp, prev, es, ps)
	// The next entry's link is to the entry as signed, so it fails too.
	wantMarks(t, v, map[uint64]string{57: "signature", 58: "chain"})
	if m := v.Marks[7]; !strings.Contains(m.Reason, "signature") || !strings.Contains(m.Label(), "failed") {
		t.Errorf("tampered mark %+v", m)
	}

	// A broken chain: entry 60 re-signed (valid signature) with a wrong
	// prev_hash.
	cp, prev, es, ps = tl.page(t, 50, 100)
	forged, err := ledger.Seal(explorerOrigin, tl.signer, 60, tlog.Hash{1}, es[10].Draft)
	if err != nil {
		t.Fatal(err)
	}
	es[10] = roundTrip(t, forged)
	v = VerifyPage(tl.vkey, cp, prev, es, ps)
	wantMarks(t, v, map[uint64]string{60: "chain", 61: "chain"})
	// Without the entry before the page, its first link cannot be checked.
	_, _, es, ps = tl.page(t, 50, 100)
	v = VerifyPage(tl.vkey, cp, nil, es, ps)
	wantMarks(t, v, map[uint64]string{50: "chain"})
	// A missing proof, and a proof of another entry.
	cp, prev, es, ps = tl.page(t, 50, 100)
	ps[3] = nil
	ps[4].Hashes = ps[5].Hashes
	v = VerifyPage(tl.vkey, cp, prev, es, ps)
	wantMarks(t, v, map[uint64]string{53: "inclusion", 54: "inclusion"})

	// A checkpoint signed by another key (same name): every entry fails.
	other := newTestLog(t, 120)
	ocp, _ := other.log.Checkpoint()
	_, prev, es, ps = tl.page(t, 50, 100)
	v = VerifyPage(tl.vkey, ocp, prev, es, ps)
	if v.CheckpointOK || v.CheckpointErr == "" || v.Verified() != 0 {
		t.Fatalf("foreign checkpoint: %+v", v)
	}
	if !strings.Contains(v.Marks[0].Reason, "pinned key") || v.Marks[0].Check != "checkpoint" {
		t.Errorf("mark %+v", v.Marks[0])
	}
	// The other way round: pinning the other key fails signatures too.
	if v := VerifyPage(other.vkey, ocp, prev, es, ps); v.Verified() != 0 || v.Marks[0].Check != "signature" {
		t.Errorf("other key: %+v", v.Marks[0])
	}
	// A proof for a larger tree that carries another key's checkpoint.
	cp, prev, es, ps = tl.page(t, 50, 100)
	ps[2].TreeSize, ps[2].Checkpoint = 121, string(ocp)
	v = VerifyPage(tl.vkey, cp, prev, es, ps)
	wantMarks(t, v, map[uint64]string{52: "inclusion"})
	if !strings.Contains(v.Marks[2].Reason, "pinned key") {
		t.Errorf("mark %+v", v.Marks[2])
	}
	// A proof for a larger tree with a good checkpoint of that tree is fine.
	old, _ := tl.log.Checkpoint()
	cpOld, prev, es, _ := tl.page(t, 50, 100)
	for k := 120; k < 130; k++ {
		if _, err := tl.log.Append(ledger.Draft{OpID: "late-" + strconv.Itoa(k), Operation: "note"}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, _, ps = tl.page(t, 50, 100)
	v = VerifyPage(tl.vkey, cpOld, prev, es, ps)
	if string(old) != string(cpOld) || v.Verified() != 50 {
		t.Errorf("grown log: %d verified; %+v", v.Verified(), v.Marks[0])
	}

	// A bad pinned key.
	if v := VerifyPage("nonsense", cp, prev, es, ps); v.CheckpointOK || v.Verified() != 0 || v.Marks[0].Check != "key" {
		t.Errorf("bad key: %+v", v)
	}
}

// fakeAPI serves the ledger endpoints the explorer uses from a log;
// tamper, when set, changes entries as they are served.
func fakeAPI(t *testing.T, tl *testLog, tamper func(*ledger.Entry)) *httptest.Server {
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer tok" {
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"error":{"code":"missing_token","message":"log in"}}`))
				return
			}
			h(w, r)
		}
	}
	get := func(i uint64) *ledger.Entry {
		e, err := tl.log.Get(i)
		if err != nil {
			return nil
		}
		c := *e
		if tamper != nil {
			tamper(&c)
		}
		return &c
	}
	js := func(w http.ResponseWriter, v any) { json.NewEncoder(w).Encode(v) }
	mux.HandleFunc("POST /api/v1/auth/login", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{"access_token": "tok", "user": map[string]string{"name": "ann", "role": "auditor"}})
	})
	mux.HandleFunc("GET /api/v1/auth/me", auth(func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{"user": map[string]string{"name": "ann", "role": "auditor"}})
	}))
	mux.HandleFunc("GET /api/v1/checkpoint", auth(func(w http.ResponseWriter, r *http.Request) {
		cp, _ := tl.log.Checkpoint()
		w.Write(cp)
	}))
	mux.HandleFunc("GET /api/v1/ledger/entries", auth(func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		var es []*ledger.Entry
		for i := from; i < from+limit && i < int(tl.log.Len()); i++ {
			es = append(es, get(uint64(i)))
		}
		next := ""
		if from+limit < int(tl.log.Len()) {
			next = strconv.Itoa(from + limit)
		}
		js(w, map[string]any{"entries": es, "next": next, "tree_size": tl.log.Len()})
	}))
	mux.HandleFunc("GET /api/v1/ledger/entries/{i}", auth(func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.PathValue("i"))
		js(w, get(uint64(i)))
	}))
	mux.HandleFunc("GET /api/v1/proofs/inclusion", auth(func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Query().Get("index"))
		size := int64(tl.log.Len())
		p, _ := tl.log.InclusionProof(int64(i), size)
		cp, _ := tl.log.Checkpoint()
		js(w, &InclusionProof{Index: uint64(i), TreeSize: size, Hashes: p, Checkpoint: string(cp)})
	}))
	mux.HandleFunc("GET /api/v1/ledger/trace/{op}", auth(func(w http.ResponseWriter, r *http.Request) {
		tr, err := ledger.Trace(tl.log, r.PathValue("op"), 100)
		if err != nil {
			w.WriteHeader(404)
			return
		}
		js(w, map[string]any{"entry": tr.Entry, "ancestors": tr.Ancestors, "children": tr.Children})
	}))
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestLoadExplorerPage(t *testing.T) {
	tl := newTestLog(t, 75)
	ctx := context.Background()
	s := fakeAPI(t, tl, nil)
	c := &APIClient{Base: s.URL}
	if _, err := LoadExplorerPage(ctx, c, tl.vkey, ""); !Unauthorized(err) {
		t.Fatalf("without a token: %v", err)
	}
	r, err := c.Login(ctx, "ann", "pw")
	if err != nil || r.AccessToken != "tok" {
		t.Fatal(r, err)
	}
	c.Token = r.AccessToken
	if me, err := c.Me(ctx); err != nil || me.User.Name != "ann" {
		t.Fatal(me, err)
	}
	d, err := LoadExplorerPage(ctx, c, tl.vkey, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Entries) != 50 || d.Next != "50" || d.Verify.Verified() != 50 {
		t.Fatalf("page 1: %d entries, next %q, %d verified", len(d.Entries), d.Next, d.Verify.Verified())
	}
	d, err = LoadExplorerPage(ctx, c, tl.vkey, d.Next)
	if err != nil || len(d.Entries) != 25 || d.Next != "" || d.Verify.Verified() != 25 {
		t.Fatalf("page 2: %v %+v", err, d)
	}
	tr, err := c.Trace(ctx, "op-0010")
	if err != nil || tr.Entry.OpID != "op-0010" || len(tr.Ancestors) != 10 || len(tr.Children) != 1 {
		t.Fatalf("trace: %v %+v", err, tr)
	}

	// A server that changes entry 60's output: that entry fails.
	s = fakeAPI(t, tl, func(e *ledger.Entry) {
		if e.Index == 60 {
			o := nu.MustNew(1, 1)
			e.Output = &o
		}
	})
	d, err = LoadExplorerPage(ctx, &APIClient{Base: s.URL, Token: "tok"}, tl.vkey, "50")
	if err != nil {
		t.Fatal(err)
	}
	wantMarks(t, d.Verify, map[uint64]string{60: "signature", 61: "chain"})
}

func TestExplorerRenders(t *testing.T) {
	x := &Explorer{}
	load(t, x)
	if err := app.Match(app.H1().Text("eBIOS ledger explorer"), x, 0, 0, 1); err != nil {
		t.Fatal(err)
	}
	h := app.HTMLString(x)
	for _, want := range []string{`id="pinned-key"`, `No key pinned yet`, `id="need-login"`, `href="/login"`,
		`id="prev"`, `id="next"`, `No entries loaded.`, `href="/explorer"`, `aria-current="page"`, `id="nav-login"`} {
		if !strings.Contains(h, want) {
			t.Errorf("explorer lacks %q:\n%s", want, h)
		}
	}
}

type explorerHarness struct {
	Explorer
	ctx app.Context
}

func (h *explorerHarness) OnPreRender(ctx app.Context) { h.ctx = ctx }

func TestExplorerPage(t *testing.T) {
	tl := newTestLog(t, 60)
	h := &explorerHarness{}
	e := load(t, h)
	x := &h.Explorer
	h.ctx.Dispatch(func(ctx app.Context) { x.pin(ctx, tl.vkey) })
	e.ConsumeAll()
	fp, _ := KeyFingerprint(tl.vkey)
	got := app.HTMLString(h)
	for _, want := range []string{fp.KeyID, fp.SHA256, "Forget pinned key"} {
		if !strings.Contains(got, want) {
			t.Errorf("pinned: page lacks %q", want)
		}
	}
	// A page as loaded from a server that tampered with entry 4.
	cp, prev, es, ps := tl.page(t, 0, 50)
	o := nu.MustNew(5, 5)
	es[4].Output = &o
	d := &ExplorerData{Entries: es, Next: "50", TreeSize: 60, Verify: VerifyPage(tl.vkey, cp, prev, es, ps)}
	h.ctx.Dispatch(func(ctx app.Context) { x.pages.first(); x.loaded(d, nil) })
	e.ConsumeAll()
	got = app.HTMLString(h)
	for _, want := range []string{`id="checkpoint"`, "Checkpoint signed by the pinned key", "48 of 50 entries on this page verified",
		`id="entry-0"`, "✓ verified", "✗ failed", "signature does not verify", "op-0003", "warning coverage: wide",
		`<svg class="coverage"`, ">2026-01-02<", ">03:04:"} {
		if !strings.Contains(got, want) {
			t.Errorf("loaded: page lacks %q", want)
		}
	}
	// go-app writes attributes in no fixed order: look inside each element.
	for _, id := range []string{`id="entry-4"`, `id="entry-5"`} {
		if !strings.Contains(element(got, id), `class="bad"`) {
			t.Errorf("row %s: %s", id, element(got, id))
		}
	}
	if !strings.Contains(element(got, `id="next"`), `disabled="false"`) || !strings.Contains(element(got, `id="prev"`), "disabled") {
		t.Errorf("paging buttons: %s %s", element(got, `id="next"`), element(got, `id="prev"`))
	}
	// A trace.
	tr, _ := ledger.Trace(tl.log, "op-0005", 10)
	h.ctx.Dispatch(func(ctx app.Context) {
		x.traceOp, x.trace = "op-0005", &Trace{Entry: tr.Entry, Ancestors: tr.Ancestors, Children: tr.Children}
	})
	e.ConsumeAll()
	got = app.HTMLString(h)
	for _, want := range []string{`id="trace"`, "Causal trace of op-0005", "Ancestors (nearest first)", "signature ✓", "op-0006"} {
		if !strings.Contains(got, want) {
			t.Errorf("trace: page lacks %q", want)
		}
	}
}

func TestLoginRenders(t *testing.T) {
	l := &Login{}
	load(t, l)
	if err := app.Match(app.H1().Text("eBIOS log in"), l, 0, 0, 1); err != nil {
		t.Fatal(err)
	}
	h := app.HTMLString(l)
	for _, want := range []string{`for="username"`, `id="username"`, `for="password"`, `type="password"`,
		`autocomplete="current-password"`, `id="login"`, `session storage`, `href="/explorer"`} {
		if !strings.Contains(h, want) {
			t.Errorf("login lacks %q:\n%s", want, h)
		}
	}
	l.err = "bad_credentials: wrong password"
	b := &UserBadge{name: "ann", role: "auditor"}
	if h := app.HTMLString(b); !strings.Contains(h, "ann (auditor)") || !strings.Contains(h, `id="logout"`) {
		t.Errorf("badge: %s", h)
	}
}
