//go:build !wasm

package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// TestExecute reads the server's three kinds of answer to an executed
// expression: a result with its guard events, a result the policy refused
// (422, logged all the same), and an error.
func TestExecute(t *testing.T) {
	var got map[string]string
	answers := map[string]struct {
		status int
		body   string
	}{
		"ok": {200, `{"result":{"n":200,"u":14.142135623730951},"mode":"nu","relative_uncertainty":0.07,"coverage":0.07,"operation":"expr",
			"guard":[{"rule":"max_coverage","level":"error","message":"too wide","value":0.07,"threshold":0.05}],
			"entry":{"index":7,"op_id":"op-7","timestamp":"2026-12-07T10:00:00Z"}}`},
		"none": {200, `{"result":{"n":3,"u":0},"mode":"interval","relative_uncertainty":0,"coverage":0,"operation":"expr",
			"entry":{"index":8,"op_id":"op-8","timestamp":"2026-12-07T10:00:01Z"}}`},
		"halt": {422, `{"error":{"code":"GUARD_001","category":"guard","message":"the active policy refused the result","details":"invariant (critical): bad; logged as entry 9, op id op-9"},
			"entry":{"index":9,"op_id":"op-9","timestamp":"2026-12-07T10:00:02Z"},
			"guard":[{"rule":"invariant","level":"critical","message":"bad","value":1,"threshold":0}]}`},
		"forbidden": {403, `{"error":{"code":"AUTH_010","message":"permission denied"}}`},
		"syntax":    {400, `{"error":{"code":"NU_001","message":"unexpected end"}}`},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/api/v1/operations/execute" {
			http.Error(w, "wrong call "+r.Method+" "+r.URL.Path, 404)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got = nil
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("request body %s: %v", b, err)
		}
		a := answers[got["expression"]]
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	defer srv.Close()
	c := &APIClient{Base: srv.URL, Token: "tok"}

	for _, tc := range []struct {
		expr    string
		mode    nu.Mode
		index   uint64
		events  []string // rule/level
		halted  bool
		result  string
		wantErr string
	}{
		{expr: "ok", mode: nu.ModeNU, index: 7, events: []string{"max_coverage/error"}, result: "200 ± 14"},
		{expr: "none", mode: nu.ModeInterval, index: 8, result: "3"},
		{expr: "halt", mode: nu.ModeNU, index: 9, events: []string{"invariant/critical"}, halted: true},
		{expr: "forbidden", mode: nu.ModeNU, wantErr: "permission denied [AUTH_010]"},
		{expr: "syntax", mode: nu.ModeNU, wantErr: "unexpected end [NU_001]"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			r, err := c.Execute(context.Background(), tc.expr, tc.mode)
			want := map[string]string{"operation": "expr", "expression": tc.expr, "mode": tc.mode.String()}
			if len(got) != len(want) || got["operation"] != "expr" || got["expression"] != tc.expr || got["mode"] != tc.mode.String() {
				t.Errorf("request %v, want %v", got, want)
			}
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Entry.Index != tc.index || r.Entry.OpID == "" {
				t.Errorf("entry %+v, want index %d", r.Entry, tc.index)
			}
			var evs []string
			for _, ev := range r.Guard {
				evs = append(evs, ev.Rule+"/"+string(ev.Level))
			}
			if strings.Join(evs, ",") != strings.Join(tc.events, ",") {
				t.Errorf("events %v, want %v", evs, tc.events)
			}
			if (r.Halted != nil) != tc.halted {
				t.Fatalf("halted %v, want %v", r.Halted, tc.halted)
			}
			if tc.halted {
				if r.Halted.Code != "GUARD_001" || r.Guard[0].Level != ledger.LevelCritical {
					t.Errorf("halted %+v", r.Halted)
				}
				return
			}
			if s := r.Result.FormatIn(r.Mode, 2); s != tc.result || r.Mode != tc.mode {
				t.Errorf("result %s in %v, want %s in %v", s, r.Mode, tc.result, tc.mode)
			}
		})
	}
}

type calcHarness struct {
	Calculator
	ctx app.Context
}

func (h *calcHarness) OnPreRender(ctx app.Context) { h.ctx = ctx }

// TestCalculatorRecords: logged in, the calculator offers to record the
// result on the server and shows the guard events the server's policy
// raised, or its refusal; logged out it offers the login instead; a new
// computation drops the previous answer.
func TestCalculatorRecords(t *testing.T) {
	answer := `{"result":{"n":200,"u":14.142135623730951},"mode":"nu","operation":"expr",
		"guard":[{"rule":"max_coverage","level":"error","message":"too wide","value":0.0707,"threshold":0.05}],
		"entry":{"index":7,"op_id":"op-7","timestamp":"2026-12-07T10:00:00Z"}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "execute") {
			if r.Header.Get("Authorization") != "Bearer tok" {
				w.WriteHeader(401)
				io.WriteString(w, `{"error":{"code":"AUTH_004","message":"log in"}}`)
				return
			}
			io.WriteString(w, answer)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()

	h := &calcHarness{Calculator: Calculator{Expr: "(10 ± 0.5) * (20 ± 1)"}}
	e := load(t, h)
	c := &h.Calculator
	h.ctx.Dispatch(c.OnMount) // natively, go-app does not call OnMount
	e.ConsumeAll()
	got := app.HTMLString(h)
	if !strings.Contains(got, `id="record-login"`) || strings.Contains(got, `id="record-go"`) {
		t.Fatalf("logged out: want the login offer, not the button:\n%s", got)
	}

	c.session, c.api = true, &APIClient{Base: srv.URL, Token: "tok"}
	h.ctx.Dispatch(func(ctx app.Context) { c.onRecord(ctx, app.Event{}) })
	e.ConsumeAll()
	got = app.HTMLString(h)
	for _, want := range []string{`id="record-go"`, `id="record-ok"`, "200 ± 14", "entry 7", "op-7",
		`id="record-events"`, "max_coverage", `class="level error"`, "too wide", "0.0707", "0.05"} {
		if !strings.Contains(got, want) {
			t.Errorf("recorded: page lacks %q", want)
		}
	}
	if strings.Contains(got, `id="record-error"`) {
		t.Errorf("recorded: shows an error:\n%s", got)
	}

	// A new computation drops the answer about the previous one.
	c.input = "1 ± 0.1"
	h.ctx.Dispatch(func(ctx app.Context) { c.onSubmit(ctx, app.Event{}) })
	e.ConsumeAll()
	if got = app.HTMLString(h); strings.Contains(got, `id="recorded"`) {
		t.Error("the previous answer is still shown after a new computation")
	}

	// A refused token: the error is shown, nothing recorded.
	c.api = &APIClient{Base: srv.URL, Token: "expired"}
	h.ctx.Dispatch(func(ctx app.Context) { c.onRecord(ctx, app.Event{}) })
	e.ConsumeAll()
	got = app.HTMLString(h)
	if !strings.Contains(got, `id="record-error"`) || !strings.Contains(got, "AUTH_004") || strings.Contains(got, `id="recorded"`) {
		t.Errorf("refused: want the error only:\n%s", got)
	}
}
