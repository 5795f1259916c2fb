package pgstore

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/policy"
	"github.com/ebios/ebios/server/policystore"
)

// TestPoliciesAcrossInstances: a policy activated through one server
// judges results on the other within the refresh, and a deactivation too;
// each change is one ledger entry.
func TestPoliciesAcrossInstances(t *testing.T) {
	pg := startDB(t)
	ctx := context.Background()
	logKey := newSigner(t, "example.org/log")
	polKey := newSigner(t, "example.org/policies")
	trusted := []*ledger.Verifier{polKey.Verifier()}
	open := func(name string) *policystore.Store {
		st := openT(t, pg.URL, logKey, &Options{Instance: name})
		ps, _, err := policystore.OpenShared(NewPolicies(st.Pool()), trusted, st, 50*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ps.Close() })
		return ps
	}
	a, b := open("a"), open("b")
	tmpl, _ := json.Marshal(map[string]any{"config": map[string]any{
		"version": "1.0.0", "name": "strict", "description": "test policy",
		"rules": []any{map[string]any{"type": "threshold", "name": "max_u", "max_uncertainty": 0.1, "level": "critical"}},
	}})
	doc, err := policy.SignTemplate(tmpl, polKey)
	if err != nil {
		t.Fatal(err)
	}
	info, e, err := a.Activate(ctx, doc, "", "root")
	if err != nil {
		t.Fatal(err)
	}
	judged := func(s *policystore.Store) bool { return len(s.Judge(nu.MustNew(1, 0.5)).Events) > 0 }
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for start := time.Now(); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("%s: not within 5 s", what)
			}
		}
	}
	waitFor("b judges by the policy a activated", func() bool { return judged(b) })
	if got := b.Active(); got == nil || got.Hash != info.Hash {
		t.Fatalf("b's active policy: %+v", got)
	}
	if l := b.List(); len(l) != 1 || l[0].Name != "strict" || !l[0].Active {
		t.Errorf("b lists %+v", l)
	}
	if _, _, err := b.Deactivate(ctx, "root"); err != nil {
		t.Fatal(err)
	}
	waitFor("a stops judging after b deactivated", func() bool { return !judged(a) })
	// Each change is one entry of the shared log.
	st := openT(t, pg.URL, logKey, nil)
	if n := st.Len(); n != 2 {
		t.Fatalf("the log has %d entries, want 2 (activate, deactivate)", n)
	}
	if got, _ := st.Get(0); got.OpID != e.OpID || got.Operation != policystore.OpActivate {
		t.Errorf("entry 0: %+v", got)
	}
}
