package api

import (
	"github.com/ebios/ebios/server/operation"
	"strings"
	"testing"

	"github.com/ebios/ebios/server/auth"
)

// TestExecuteAnalysis: operation expr takes an "analysis" and answers with
// the report; its Monte Carlo draws are bounded per request.
func TestExecuteAnalysis(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[auth.RoleOperator]
	const src = "x = 1 ± 0.1 uniform; y = 2 ± 0.3 t(5); x / y"
	for _, tc := range []struct {
		name string
		body string
		code int
		want []string
	}{
		{"budget and p", `{"operation":"expr","mode":"gum","expression":"` + src + `","analysis":{"budget":true,"p":0.95}}`, 200,
			[]string{`"budget":{`, `"dof":5`, `"expanded":{"k":`, `"terms":[{"input":0,"name":"x"`}},
		{"monte carlo", `{"operation":"expr","mode":"gum","expression":"` + src + `","analysis":{"monte_carlo":{"draws":20000,"seed":"18446744073709551615"}}}`, 200,
			[]string{`"monte_carlo":{"draws":20000,"seed":"18446744073709551615"`, `"validation":{`, `"inputs":[{"name":"x","dist":"uniform"`}},
		{"too many draws", `{"operation":"expr","expression":"1 ± 0.1","analysis":{"monte_carlo":{"draws":2000000,"seed":"1"}}}`, 400,
			[]string{operation.CodeTooMuchWork}},
		{"seed as a number", `{"operation":"expr","expression":"1 ± 0.1","analysis":{"monte_carlo":{"draws":2000,"seed":1}}}`, 400,
			[]string{"seed"}},
		{"analysis on add", `{"operation":"add","inputs":[[1,0.1],[2,0.1]],"analysis":{"budget":true}}`, 400,
			[]string{operation.CodeBadField}},
		{"unknown member", `{"operation":"expr","expression":"1 ± 0.1","analysis":{"budgets":true}}`, 400,
			[]string{"budgets"}},
		{"bad probability", `{"operation":"expr","expression":"1 ± 0.1","analysis":{"p":2}}`, 400,
			[]string{"COVER_001"}},
	} {
		r := e.do("POST", "/api/v1/operations/execute", op, tc.body)
		if r.code != tc.code {
			t.Errorf("%s: %d %s", tc.name, r.code, r.body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(string(r.body), w) {
				t.Errorf("%s: the answer lacks %s: %s", tc.name, w, r.body)
			}
		}
	}
	// A batch shares one request's draws.
	r := e.do("POST", "/api/v1/operations/batch", op, `{"operations":[`+
		`{"operation":"expr","expression":"1 ± 0.1","analysis":{"monte_carlo":{"draws":600000,"seed":"1"}}},`+
		`{"operation":"expr","expression":"1 ± 0.1","analysis":{"monte_carlo":{"draws":600000,"seed":"2"}}}]}`)
	if r.code != 400 || !strings.Contains(string(r.body), operation.CodeTooMuchWork) || !strings.Contains(string(r.body), "operations[1]") {
		t.Errorf("batch over the limit: %d %s", r.code, r.body)
	}
}

// TestAnalysisErrorStatus: the errors of a computation's analysis are the
// client's (400), or its model's (422), never the server's.
func TestAnalysisErrorStatus(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[auth.RoleOperator]
	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"operation":"expr","mode":"gum","expression":"x = 1 ± 1; y = 1 ± 1; z = 1 ± 1; corr(x, y) = 0.9; corr(y, z) = 0.9; corr(x, z) = -0.9; x-y+z"}`, 400},
		{`{"operation":"expr","mode":"interval","expression":"1 ± 0.1","analysis":{"budget":true}}`, 400},
		{`{"operation":"expr","expression":"1 ± 0.1 t(0.5)"}`, 400},
		{`{"operation":"expr","expression":"x = 0.1 ± 1; sqrt(abs(x))","analysis":{"monte_carlo":{"draws":2000,"seed":"1"}}}`, 200},
		{`{"operation":"expr","expression":"x = 0.5 ± 0.1; sqrt(x)","analysis":{"monte_carlo":{"draws":2000,"seed":"1"}}}`, 200},
		{`{"operation":"expr","expression":"x = 0.1 ± 1; sqrt(x)","analysis":{"monte_carlo":{"draws":100000,"seed":"1"}}}`, 422},
		{`{"operation":"expr","expression":"x = 1 ± 0.1; x","analysis":{"monte_carlo":{"draws":10,"seed":"1"}}}`, 400},
	} {
		if r := e.do("POST", "/api/v1/operations/execute", op, tc.body); r.code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.body, r.code, r.body, tc.code)
		}
	}
}

// TestExecuteAnalysisLogged: the entry of an expr with a Monte Carlo
// analysis records it, as the answer gave it.
func TestExecuteAnalysisLogged(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/v1/operations/execute", e.tokens[auth.RoleOperator],
		`{"operation":"expr","mode":"gum","expression":"x = 1 ± 0.1 triangular; x^2","analysis":{"k":2,"monte_carlo":{"draws":5000,"seed":"77"}}}`)
	if r.code != 200 {
		t.Fatalf("%d %s", r.code, r.body)
	}
	r = e.do("GET", "/api/v1/ledger/entries/0", e.tokens[auth.RoleAuditor], nil)
	body := string(r.body)
	if r.code != 200 || !strings.Contains(body, `"analysis":{"inputs":[{"name":"x","dist":"triangular"`) ||
		!strings.Contains(body, `"seed":"77"`) || !strings.Contains(body, `"expanded":{"k":2,`) {
		t.Fatalf("entry: %d %s", r.code, body)
	}
}
