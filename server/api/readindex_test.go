package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ledgerindex"
	"github.com/ebios/ebios/server/ledgerstore"
)

var testLevels = []ledger.Level{ledger.LevelInfo, ledger.LevelWarning, ledger.LevelError, ledger.LevelCritical}

// fillLog appends n entries: about a third with a parent (an earlier entry,
// or one of five hubs), a tenth with guard events of rules r0..r4 at every
// level, a rare operation, and timestamps that are not monotonic.
func fillLog(t *testing.T, e *env, n int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 11))
	v := nu.MustNew(2, 0.25)
	base := e.store.Len() // distinct op ids across calls
	var ds []ledger.Draft
	for i := range n {
		id := fmt.Sprintf("t%d-%05d", base, i)
		d := ledger.Draft{OpID: id, Operation: []string{"add", "mul", "add", "sub"}[rng.IntN(4)], Mode: ledger.ModeNU,
			Inputs: []nu.Value{v, v}, Output: &v, Coverage: nu.Float(v.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true},
			Timestamp: 1.8e18 + int64(i)*1e7 + rng.Int64N(4e9) - 2e9}
		if rng.IntN(200) == 0 {
			d.Operation = "rare.op"
		}
		switch {
		case i >= 5 && i%9 == 0:
			d.ParentOpID = fmt.Sprintf("t%d-%05d", base, i%5)
		case i > 0 && rng.IntN(4) == 0:
			d.ParentOpID = fmt.Sprintf("t%d-%05d", base, rng.IntN(i))
		}
		if rng.IntN(10) == 0 {
			for k := range 1 + rng.IntN(3) {
				d.Guard = append(d.Guard, ledger.GuardEvent{Rule: fmt.Sprint("r", rng.IntN(5)), Level: testLevels[rng.IntN(4)],
					Message: "m", Value: nu.Float(k), Threshold: 0.5})
			}
		}
		ds = append(ds, d)
		if len(ds) == 500 || i == n-1 {
			if _, err := e.store.AppendBatch(context.Background(), ds); err != nil {
				t.Fatal(err)
			}
			ds = nil
		}
	}
}

// readRequests returns random trace, guard events and query requests over
// the log of e.
func readRequests(e *env, rng *rand.Rand, count int) []string {
	n := int(e.store.Len())
	entry := func() *ledger.Entry {
		x, _ := e.store.Get(uint64(rng.IntN(n)))
		return x
	}
	when := func() string {
		return time.Unix(0, entry().Timestamp+rng.Int64N(2e9)-1e9).UTC().Format(time.RFC3339Nano)
	}
	var out []string
	for len(out) < count {
		switch rng.IntN(3) {
		case 0:
			op := entry().OpID
			switch rng.IntN(4) {
			case 0:
				hub, _ := e.store.Get(uint64(rng.IntN(5)))
				op = hub.OpID
			case 1:
				op = "no-such-op"
			}
			out = append(out, "/api/v1/ledger/trace/"+url.PathEscape(op))
		case 1:
			q := url.Values{}
			if rng.IntN(2) == 0 {
				q.Set("level", string(testLevels[rng.IntN(4)]))
			}
			if rng.IntN(2) == 0 {
				q.Set("rule", fmt.Sprint("r", rng.IntN(6)))
			}
			if rng.IntN(3) == 0 {
				q.Set("since", when())
			}
			if rng.IntN(3) == 0 {
				q.Set("until", when())
			}
			if rng.IntN(2) == 0 {
				q.Set("limit", fmt.Sprint(1+rng.IntN(30)))
			}
			if rng.IntN(3) == 0 {
				q.Set("cursor", fmt.Sprint(rng.IntN(n+10)))
			}
			out = append(out, "/api/v1/guard/events?"+q.Encode())
		default:
			q := url.Values{}
			switch rng.IntN(4) {
			case 0:
				q.Set("operation", []string{"mul", "rare.op", "none"}[rng.IntN(3)])
			case 1:
				q.Set("parent_op_id", entry().OpID)
			case 2:
				hub, _ := e.store.Get(uint64(rng.IntN(5)))
				q.Set("parent_op_id", hub.OpID)
			}
			if rng.IntN(2) == 0 {
				q.Set("since", when())
			}
			if rng.IntN(3) == 0 {
				q.Set("until", when())
			}
			if rng.IntN(3) == 0 {
				q.Set("from", fmt.Sprint(rng.IntN(n)))
			}
			if rng.IntN(4) == 0 {
				q.Set("to", fmt.Sprint(rng.IntN(n)))
			}
			q.Set("limit", fmt.Sprint([]int{1, 5, 100}[rng.IntN(3)]))
			out = append(out, "/api/v1/ledger/query?"+q.Encode())
		}
	}
	return out
}

// compareReads sends each request to the API (through the read index) and
// to the scanning handlers of before, and compares status and body, byte
// for byte; it follows next cursors a few pages. It returns the number of
// rows compared.
func compareReads(t *testing.T, e *env, reqs []string) (rows int) {
	t.Helper()
	aud := e.tokens[auth.RoleAuditor]
	for _, path := range reqs {
		for page := 0; page < 4 && path != ""; page++ {
			got := e.do("GET", path, aud, nil)
			r := httptest.NewRequest("GET", path, nil)
			w := httptest.NewRecorder()
			switch u, _ := url.Parse(path); {
			case bytes.HasPrefix([]byte(u.Path), []byte("/api/v1/ledger/trace/")):
				r.SetPathValue("op_id", u.Path[len("/api/v1/ledger/trace/"):])
				e.srv.scanTrace(w, r)
			case u.Path == "/api/v1/guard/events":
				e.srv.scanGuardEvents(w, r)
			default:
				e.srv.scanEntries(w, r)
			}
			if got.code != w.Code || !bytes.Equal(got.body, w.Body.Bytes()) {
				t.Fatalf("%s:\nindexed %d %s\nscan    %d %s", path, got.code, got.body, w.Code, w.Body.Bytes())
			}
			m := got.json(t)
			for _, k := range []string{"entries", "events", "children"} {
				if l, ok := m[k].([]any); ok {
					rows += len(l)
				}
			}
			next, _ := m["next"].(string)
			cur := path
			path = ""
			if next != "" {
				u, _ := url.Parse(cur)
				q := u.Query()
				q.Set("cursor", next)
				path = u.Path + "?" + q.Encode()
			}
		}
	}
	return rows
}

// TestIndexedReadsMatchScans: trace, guard events and the query answer
// byte for byte what the scans of before answered, on a few thousand
// random entries with parents and guard events: while the index is behind
// the log (its tail is read by the request), and when it has caught up.
func TestIndexedReadsMatchScans(t *testing.T) {
	e := newEnv(t)
	fillLog(t, e, 3000, 1)
	rng := rand.New(rand.NewPCG(5, 6))
	rows := compareReads(t, e, readRequests(e, rng, 80)) // the index starts on the first read
	waitIndexed(t, e)
	rows += compareReads(t, e, readRequests(e, rng, 250))
	fillLog(t, e, 1000, 2) // the log grows: the index lags, then follows
	rows += compareReads(t, e, readRequests(e, rng, 80))
	waitIndexed(t, e)
	rows += compareReads(t, e, readRequests(e, rng, 120))
	if rows < 3000 {
		t.Fatalf("only %d rows compared", rows)
	}
	t.Logf("530 requests (and their next pages), %d rows, identical", rows)
}

func waitIndexed(t *testing.T, e *env) {
	t.Helper()
	e.srv.index.Notify()
	deadline := time.Now().Add(20 * time.Second)
	for e.srv.index.Indexed() < e.store.Len() {
		if time.Now().After(deadline) {
			t.Fatalf("the index is at %d of %d", e.srv.index.Indexed(), e.store.Len())
		}
		time.Sleep(time.Millisecond)
	}
}

// unreadable is a log whose entries cannot be read (by the index).
type unreadable struct{ *ledgerstore.Store }

func (unreadable) Get(uint64) (*ledger.Entry, error) { return nil, errors.New("disk on fire") }

// TestIndexLagging: while the index lags by more than MaxIndexLag entries,
// trace and guard events answer 503 with Retry-After and say how far it
// is; the query (bounded by its scan budget) still answers.
func TestIndexLagging(t *testing.T) {
	e := newEnv(t)
	fillLog(t, e, 20, 3)
	e.srv = New(Config{Store: e.store, Auth: e.auth, Policies: fakePolicies{}, Index: ledgerindex.New(unreadable{e.store})})
	e.h = e.srv.Handler()
	aud := e.tokens[auth.RoleAuditor]
	first, _ := e.store.Get(0)
	old := MaxIndexLag
	MaxIndexLag = 5
	defer func() { MaxIndexLag = old }()
	for _, path := range []string{"/api/v1/ledger/trace/" + first.OpID, "/api/v1/guard/events"} {
		r := e.do("GET", path, aud, nil)
		if r.code != 503 || r.hdr.Get("Retry-After") == "" || !bytes.Contains(r.body, []byte(`"API_013"`)) ||
			!bytes.Contains(r.body, []byte("0 of 20 entries indexed")) {
			t.Fatalf("%s: %d %v %s", path, r.code, r.hdr, r.body)
		}
	}
	if r := e.do("GET", "/api/v1/ledger/query?operation=mul", aud, nil); r.code != 200 {
		t.Fatalf("query: %d %s", r.code, r.body)
	}
}
