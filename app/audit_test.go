//go:build !wasm

package app

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

const auditOrigin = "ebios.test/audit"

// testSigner makes a fresh key named origin: its signer and verifier key.
func testSigner(t testing.TB, origin string) (*ledger.Signer, string) {
	t.Helper()
	skey, vkey, err := ledger.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ledger.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

// testClock is a clock for test logs: 2026-01-02 03:04:05 UTC plus step on
// every reading.
func testClock(step time.Duration) func() time.Time {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	i := 0
	return func() time.Time { i++; return t0.Add(time.Duration(i) * step) }
}

// testBundle makes a log of n entries signed by a fresh key and returns its
// exported bundle and the verifier key to pin.
func testBundle(t testing.TB, n int) (data []byte, vkey string) {
	t.Helper()
	s, vkey := testSigner(t, auditOrigin)
	l, err := ledger.NewLog(auditOrigin, s, testClock(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for k := range n {
		out := nu.MustNew(float64(k)+1, 0.5)
		d := ledger.Draft{
			OpID:      fmt.Sprintf("op-%04d", k),
			Operation: "add",
			Mode:      ledger.ModeNU,
			Inputs:    []nu.Value{nu.MustNew(float64(k), 0.25), nu.MustNew(1, 0.25)},
			Output:    &out,
			Coverage:  nu.Float(out.RelativeUncertainty()),
			Invariant: ledger.Invariant{OK: true},
		}
		if k > 0 {
			d.ParentOpID = fmt.Sprintf("op-%04d", k-1)
		}
		if _, err := l.Append(d); err != nil {
			t.Fatalf("append %d: %v", k, err)
		}
	}
	b, err := l.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ledger.WriteBundle(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), vkey
}

func TestKeyFingerprint(t *testing.T) {
	_, vkey := testBundle(t, 0)
	fp, err := KeyFingerprint("  " + vkey + "\n")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(vkey, "+")
	if fp.Name != auditOrigin || fp.KeyID != parts[1] {
		t.Errorf("fingerprint %+v of %s", fp, vkey)
	}
	if len(fp.SHA256) != 32+7 || strings.Count(fp.SHA256, " ") != 7 {
		t.Errorf("sha256 part %q", fp.SHA256)
	}
	if !strings.Contains(fp.String(), fp.KeyID) {
		t.Errorf("String() = %q", fp.String())
	}
	// Another key of the same name has another fingerprint.
	_, other := testBundle(t, 0)
	fp2, err := KeyFingerprint(other)
	if err != nil {
		t.Fatal(err)
	}
	if fp2.SHA256 == fp.SHA256 || fp2.Name != fp.Name {
		t.Errorf("fingerprints %+v and %+v", fp, fp2)
	}
	for _, bad := range []string{"", "nonsense", "a+b+c", "PRIVATE+KEY+x+12345678+AAAA"} {
		if _, err := KeyFingerprint(bad); err == nil {
			t.Errorf("KeyFingerprint(%q) did not fail", bad)
		}
	}
}

func TestVerifyBundleBytes(t *testing.T) {
	const n = 40
	data, vkey := testBundle(t, n)

	var calls, last int64
	r := VerifyBundleBytes(data, vkey, func(done, total int64) { calls++; last = done })
	if !r.OK || r.Fail != nil {
		t.Fatalf("good bundle: %+v %+v", r, r.Fail)
	}
	if r.Entries != n || r.TreeSize != n || r.Origin != auditOrigin || !r.CheckpointOK || r.Root == "" {
		t.Errorf("result %+v", r)
	}
	if calls == 0 || last != n {
		t.Errorf("progress: %d calls, last %d", calls, last)
	}
	if r.Elapsed <= 0 || r.PerSecond <= 0 || !strings.HasSuffix(r.Rate(), "entries/s") {
		t.Errorf("timing %v %v %q", r.Elapsed, r.PerSecond, r.Rate())
	}
	if r.Bytes != len(data) || r.Fingerprint.Name != auditOrigin {
		t.Errorf("result %+v", r)
	}
	if len(r.Checks()) < 8 {
		t.Errorf("checks %v", r.Checks())
	}

	// One byte changed in entry 7: its signature fails, and the first bad
	// entry is 7.
	const bad = 7
	needle := []byte(fmt.Sprintf(`"op_id":"op-%04d"`, bad))
	if bytes.Count(data, needle) != 1 {
		t.Fatalf("%s occurs %d times", needle, bytes.Count(data, needle))
	}
	tampered := bytes.Replace(data, needle, []byte(fmt.Sprintf(`"op_id":"op-%04d"`, 9999)), 1)
	r = VerifyBundleBytes(tampered, vkey, nil)
	if r.OK || r.Fail == nil || r.Fail.Index != bad || r.Fail.Check != ledger.CheckSignature || r.Fail.Code != ledger.CodeSignature {
		t.Fatalf("tampered bundle: %+v %+v", r, r.Fail)
	}
	if r.Entries != bad || !r.CheckpointOK {
		t.Errorf("tampered: %d entries passed, checkpoint ok %v", r.Entries, r.CheckpointOK)
	}
	// A changed digit in an output value, same length.
	i := bytes.Index(data, []byte(`"op_id":"op-0012"`))
	j := i + bytes.Index(data[i:], []byte(`"output":{"n":13`))
	tampered = append([]byte(nil), data...)
	tampered[j+len(`"output":{"n":1`)] = '4'
	if r = VerifyBundleBytes(tampered, vkey, nil); r.OK || r.Fail.Index != 12 {
		t.Errorf("tampered output: %+v %+v", r, r.Fail)
	}

	// Another key, even with the same name: the bundle fails on the key,
	// before any entry.
	_, other := testBundle(t, 0)
	r = VerifyBundleBytes(data, other, nil)
	if r.OK || r.Fail == nil || r.Fail.Check != ledger.CheckKey || r.Fail.Code != ledger.CodeKeyMismatch || r.Fail.Index != -1 {
		t.Fatalf("wrong key: %+v %+v", r, r.Fail)
	}
	if r.Entries != 0 || r.CheckpointOK {
		t.Errorf("wrong key: %+v", r)
	}
	// Not a key at all.
	r = VerifyBundleBytes(data, "not a key", nil)
	if r.OK || r.Fail == nil || r.Fail.Check != ledger.CheckKey || r.Fail.Code != ledger.CodeBadKey {
		t.Errorf("bad key: %+v %+v", r, r.Fail)
	}
	// Not a bundle.
	r = VerifyBundleBytes([]byte("hello"), vkey, nil)
	if r.OK || r.Fail == nil || r.Fail.Check != ledger.CheckFormat {
		t.Errorf("not a bundle: %+v %+v", r, r.Fail)
	}
}

func TestReadBundleInfo(t *testing.T) {
	data, vkey := testBundle(t, 3)
	bi := ReadBundleInfo(data)
	if bi.Err != "" || bi.Origin != auditOrigin || bi.Key != vkey || bi.KeyFP.KeyID == "" {
		t.Errorf("info %+v", bi)
	}
	if bi := ReadBundleInfo([]byte("{}")); bi.Err == "" {
		t.Errorf("info of {}: %+v", bi)
	}
}

func TestAuditRenders(t *testing.T) {
	a := &Audit{}
	load(t, a)
	if err := app.Match(app.H1().Text("eBIOS audit"), a, 0, 0, 1); err != nil {
		t.Fatal(err)
	}
	h := app.HTMLString(a)
	for _, want := range []string{
		`id="dropzone"`,
		`for="bundle-file"`, `type="file"`, `id="bundle-file"`,
		`for="pinned-key"`, `id="pinned-key"`,
		`id="verify"`, `Verify</button>`,
		`No key pinned yet.`, `No bundle loaded.`,
		`proves nothing`,
		`<nav`, `href="/"`, `href="/audit"`, `aria-current="page"`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("rendered audit page lacks %q:\n%s", want, h)
		}
	}
	if b := element(h, `id="verify"`); !strings.Contains(b, "disabled") {
		t.Errorf("verify enabled without key and bundle: %s", b)
	}
	// The calculator links to the audit page.
	c := &Calculator{}
	load(t, c)
	if h := app.HTMLString(c); !strings.Contains(h, `href="/audit"`) {
		t.Errorf("calculator has no link to the audit page:\n%s", h)
	}
}

// auditHarness is the audit page with its context captured, so that the
// test can drive it.
type auditHarness struct {
	Audit
	ctx app.Context
}

func (h *auditHarness) OnPreRender(ctx app.Context) { h.ctx = ctx }

// waitDone runs the engine's dispatched work until the verification a
// runs in the background is done (at most a second).
func waitDone(t *testing.T, a *Audit, e app.TestEngine) {
	t.Helper()
	for range 100 {
		if a.phase == phaseDone {
			return
		}
		time.Sleep(10 * time.Millisecond)
		e.ConsumeAll()
	}
	t.Fatal("the verification did not finish within a second")
}

func TestAuditPage(t *testing.T) {
	data, vkey := testBundle(t, 25)
	h := &auditHarness{}
	e := load(t, h)
	a := &h.Audit

	// Pinning a bad key shows an error; a good one its fingerprint, and it
	// is remembered.
	h.ctx.Dispatch(func(ctx app.Context) { a.pin(ctx, "nope") })
	e.ConsumeAll()
	if got := app.HTMLString(h); !strings.Contains(got, "Not a verifier key") {
		t.Errorf("bad key not reported:\n%s", got)
	}
	h.ctx.Dispatch(func(ctx app.Context) { a.pin(ctx, vkey) })
	e.ConsumeAll()
	fp, _ := KeyFingerprint(vkey)
	got := app.HTMLString(h)
	for _, want := range []string{fp.KeyID, fp.SHA256, auditOrigin, "Forget pinned key"} {
		if !strings.Contains(got, want) {
			t.Errorf("pinned key: page lacks %q:\n%s", want, got)
		}
	}
	var stored string
	h.ctx.GetState(PinnedKeyState, &stored)
	if stored != vkey {
		t.Errorf("stored key %q", stored)
	}

	// A loaded bundle, then Verify.
	h.ctx.Dispatch(func(app.Context) { a.fileName = "log.json"; a.loaded(data, nil) })
	e.ConsumeAll()
	got = app.HTMLString(h)
	if !strings.Contains(got, "same as the pinned key") || strings.Contains(element(got, `id="verify"`), "disabled") {
		t.Errorf("loaded bundle:\n%s", got)
	}
	h.ctx.Dispatch(func(ctx app.Context) { a.verify(ctx) })
	e.ConsumeAll()
	waitDone(t, a, e)
	got = app.HTMLString(h)
	for _, want := range []string{`id="audit-ok"`, "✓ OK", `<progress`, "25 of 25 entries checked", "entries/s", "Merkle root"} {
		if !strings.Contains(got, want) {
			t.Errorf("verified: page lacks %q:\n%s", want, got)
		}
	}

	// A tampered bundle names the bad entry.
	bad := bytes.Replace(data, []byte(`"op_id":"op-0004"`), []byte(`"op_id":"op-9999"`), 1)
	h.ctx.Dispatch(func(ctx app.Context) { a.loaded(bad, nil); a.verify(ctx) })
	e.ConsumeAll()
	waitDone(t, a, e)
	got = app.HTMLString(h)
	for _, want := range []string{`id="audit-failed"`, "FAILED at entry 4", ledger.CodeSignature, `role="alert"`, "4 entries passed"} {
		if !strings.Contains(got, want) {
			t.Errorf("tampered: page lacks %q:\n%s", want, got)
		}
	}

	// Forgetting the key disables Verify.
	h.ctx.Dispatch(func(ctx app.Context) { a.onUnpin(ctx, app.Event{}) })
	e.ConsumeAll()
	if got := app.HTMLString(h); !strings.Contains(element(got, `id="verify"`), "disabled") {
		t.Errorf("verify enabled without a key")
	}
}

func TestHandlerServesAudit(t *testing.T) {
	h := Handler("test-audit", testWeb(t))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", AuditPath, nil))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %d %s", AuditPath, w.Code, w.Header().Get("Content-Type"))
	}
	for _, want := range []string{"eBIOS audit", `id="dropzone"`, `id="bundle-file"`, `id="pinned-key"`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("GET /audit lacks %q", want)
		}
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/app-worker.js", nil))
	if !strings.Contains(w.Body.String(), `"`+AuditPath+`"`) {
		t.Errorf("app-worker.js does not cache %s:\n%s", AuditPath, w.Body.String())
	}
}
