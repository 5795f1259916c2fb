package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// PinnedKeyState is the go-app state (persisted in local storage) that holds
// the pinned log verifier key of the audit page.
const PinnedKeyState = "ebios.audit.pinned-key"

// AuditPath is the route of the audit page.
const AuditPath = "/audit"

// Progress of an audit is shown at most this often, so that the UI
// goroutine and the browser's painting take little of the verification's
// time.
const (
	auditProgressEvery    = 256
	auditProgressInterval = 80 * time.Millisecond
)

// Fingerprint identifies a log verifier key for a person comparing it with
// the one the log operator published.
type Fingerprint struct {
	// Name is the key name (by convention the log origin).
	Name string
	// KeyID is the note key hash, 8 hex digits, as in the key and in every
	// entry's key_id.
	KeyID string
	// SHA256 is the first 16 bytes of SHA-256 of the Ed25519 public key, in
	// hex, in groups of four digits.
	SHA256 string
}

// String is "name · keyid · sha256".
func (f Fingerprint) String() string {
	return f.Name + " · " + f.KeyID + " · " + f.SHA256
}

// KeyFingerprint parses a verifier key in note format (name+hash+base64)
// and returns its fingerprint.
func KeyFingerprint(key string) (Fingerprint, error) {
	key = strings.TrimSpace(key)
	v, err := ledger.ParseVerifierKey(key)
	if err != nil {
		return Fingerprint{}, err
	}
	parts := strings.SplitN(key, "+", 3)
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) < 2 {
		return Fingerprint{}, err // cannot happen: ParseVerifierKey checked it
	}
	sum := sha256.Sum256(raw[1:]) // without the algorithm byte
	h := hex.EncodeToString(sum[:16])
	var groups []string
	for i := 0; i < len(h); i += 4 {
		groups = append(groups, h[i:i+4])
	}
	return Fingerprint{Name: v.Name(), KeyID: ledger.KeyID(v.KeyHash()).String(), SHA256: strings.Join(groups, " ")}, nil
}

// AuditResult is the view model of one verification of a bundle.
type AuditResult struct {
	// OK reports that every check passed.
	OK bool
	// Key is the pinned key, and Fingerprint its fingerprint.
	Key         string
	Fingerprint Fingerprint
	// Origin, TreeSize and Root are the checkpoint's, when its signature
	// verified (CheckpointOK); Root is in base64 as in checkpoints.
	CheckpointOK bool
	Origin       string
	TreeSize     int64
	Root         string
	// Entries is the number of entries that passed every check before the
	// first failure (all of them when OK).
	Entries int64
	// Fail is the first failure, or nil when OK.
	Fail *ledger.Failure
	// Bytes is the size of the bundle.
	Bytes int
	// Elapsed is how long the verification took, and PerSecond the number
	// of entries verified per second.
	Elapsed   time.Duration
	PerSecond float64
	// SignaturesBy names the Ed25519 implementation that checked the entry
	// signatures.
	SignaturesBy string
}

// Checks lists what an OK verification established, for the summary.
func (r *AuditResult) Checks() []string {
	n := strconv.FormatInt(r.Entries, 10)
	return []string{
		"the checkpoint is signed by the pinned key (" + r.Fingerprint.KeyID + ") for origin " + strconv.Quote(r.Origin),
		"the bundle names the pinned key (its own key is not trusted: only the pinned one is used)",
		"every entry's Ed25519 signature verifies under the pinned key (checked by " + r.SignaturesBy + "), and its key id is the pinned key's (" + n + " entries)",
		"every entry satisfies the field rules",
		"indexes are 0, 1, 2, … in order, with none missing or repeated",
		"every entry's prev_hash is the link hash of the entry before it (the chain is unbroken)",
		"op ids are unique and every parent op id names an earlier entry",
		"the number of entries equals the checkpoint's tree size " + strconv.FormatInt(r.TreeSize, 10),
		"the RFC 6962 Merkle root of the entries equals the checkpoint's root " + r.Root,
	}
}

// Rate formats the throughput as "N entries/s".
func (r *AuditResult) Rate() string {
	if r.Elapsed <= 0 || r.Entries == 0 {
		return "—"
	}
	return strconv.FormatFloat(r.PerSecond, 'f', 0, 64) + " entries/s"
}

// signatureChecker returns what checks entry signatures in the audit (nil:
// the verifier's own Go crypto/ed25519) and says which implementation that
// is. In the browser it is WebCrypto when the browser has Ed25519 (see
// webcrypto_wasm.go).
var signatureChecker = func() (ledger.SignatureChecker, string) { return nil, "Go crypto/ed25519" }

// VerifyBundleBytes verifies the bundle data against pinnedKey (note
// verifier format) with core/ledger and returns the view model. Only the
// pinned key is trusted: a bundle naming another key fails. progress, when
// not nil, is called as the verification goes (see
// [ledger.VerifyOptions.Progress]).
func VerifyBundleBytes(data []byte, pinnedKey string, progress func(done, total int64)) *AuditResult {
	pinnedKey = strings.TrimSpace(pinnedKey)
	res := &AuditResult{Key: pinnedKey, Bytes: len(data)}
	fp, err := KeyFingerprint(pinnedKey)
	if err != nil {
		res.Fail = keyFailure(err)
		return res
	}
	res.Fingerprint = fp
	v, err := ledger.ParseVerifierKey(pinnedKey)
	if err != nil {
		res.Fail = keyFailure(err)
		return res
	}
	start := time.Now()
	checker, by := signatureChecker()
	res.SignaturesBy = by
	rep, _ := ledger.VerifyBundle(bytes.NewReader(data), v, &ledger.VerifyOptions{
		Progress: progress, ProgressEvery: auditProgressEvery, Signatures: checker})
	res.Elapsed = time.Since(start)
	res.OK = rep.OK
	res.CheckpointOK = rep.CheckpointOK
	res.Entries = rep.Entries
	res.Fail = rep.FirstBad
	if rep.CheckpointOK {
		res.Origin, res.TreeSize, res.Root = rep.Origin, rep.TreeSize, rep.Root.String()
	}
	if s := res.Elapsed.Seconds(); s > 0 {
		res.PerSecond = float64(rep.Entries) / s
	}
	return res
}

func keyFailure(err error) *ledger.Failure {
	f := &ledger.Failure{Index: -1, Check: ledger.CheckKey, Code: ledger.CodeBadKey, Reason: err.Error(),
		Remediation: "paste the log's verifier key (name+hash+base64), as published by the log operator"}
	if ne, ok := nu.AsError(err); ok {
		f.Code, f.Reason = ne.Code, ne.Message
		if ne.Details != "" {
			f.Reason += " (" + ne.Details + ")"
		}
	}
	return f
}

// BundleInfo is what a bundle says about itself, shown before it is
// verified. None of it is trusted.
type BundleInfo struct {
	Origin string
	Key    string
	KeyFP  Fingerprint
	Err    string
}

// ReadBundleInfo reads the header of a bundle.
func ReadBundleInfo(data []byte) BundleInfo {
	br, err := ledger.NewBundleReader(bytes.NewReader(data))
	if err != nil {
		return BundleInfo{Err: err.Error()}
	}
	bi := BundleInfo{Origin: br.Header.Origin, Key: br.Header.Key}
	bi.KeyFP, _ = KeyFingerprint(bi.Key)
	return bi
}

// auditPhase is the state of the audit page.
type auditPhase int

const (
	phaseIdle auditPhase = iota
	phaseReading
	phaseVerifying
	phaseDone
)

// Audit is the audit page: it verifies an exported ledger bundle in the
// browser, offline, against a pinned log key.
type Audit struct {
	app.Compo

	keyInput  string // the key text area
	keyErr    string
	pinned    string // the pinned key, remembered in local storage
	pinnedFP  Fingerprint
	fileName  string
	data      []byte
	info      BundleInfo
	readErr   string
	phase     auditPhase
	done      int64
	total     int64
	result    *AuditResult
	dragOver  bool
	readStart time.Time
	readTime  time.Duration
}

// OnNav sets the page title.
func (a *Audit) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("eBIOS audit")
}

// OnMount loads the pinned key (browser only).
func (a *Audit) OnMount(ctx app.Context) {
	a.loadPinned(ctx)
}

func (a *Audit) loadPinned(ctx app.Context) {
	var k string
	ctx.GetState(PinnedKeyState, &k)
	if fp, err := KeyFingerprint(k); err == nil {
		a.pinned, a.pinnedFP = strings.TrimSpace(k), fp
		if a.keyInput == "" {
			a.keyInput = a.pinned
		}
	}
}

func (a *Audit) onPin(ctx app.Context, e app.Event) {
	preventDefault(e)
	a.pin(ctx, a.keyInput)
}

// pin pins key if it parses, and remembers it.
func (a *Audit) pin(ctx app.Context, key string) {
	key = strings.TrimSpace(key)
	fp, err := KeyFingerprint(key)
	if err != nil {
		a.keyErr = err.Error()
		return
	}
	a.keyErr = ""
	if key != a.pinned {
		a.result = nil // a result was for the other key
	}
	a.pinned, a.pinnedFP, a.keyInput = key, fp, key
	ctx.SetState(PinnedKeyState, key).Persist()
}

func (a *Audit) onUnpin(ctx app.Context, e app.Event) {
	a.pinned, a.pinnedFP, a.result = "", Fingerprint{}, nil
	ctx.DelState(PinnedKeyState)
}

func (a *Audit) onFileChange(ctx app.Context, e app.Event) {
	files := ctx.JSSrc().Get("files")
	if !files.Truthy() || files.Length() == 0 {
		return
	}
	a.openFile(ctx, files.Index(0))
}

func (a *Audit) onDragOver(ctx app.Context, e app.Event) {
	preventDefault(e) // allows the drop
	if !a.dragOver {
		a.dragOver = true
	} else {
		ctx.PreventUpdate()
	}
}

func (a *Audit) onDragLeave(ctx app.Context, e app.Event) {
	a.dragOver = false
}

func (a *Audit) onDrop(ctx app.Context, e app.Event) {
	preventDefault(e) // the browser would open the file
	a.dragOver = false
	if e.Value == nil {
		return
	}
	files := e.Get("dataTransfer").Get("files")
	if !files.Truthy() || files.Length() == 0 {
		return
	}
	a.openFile(ctx, files.Index(0))
}

// openFile reads a File (from the picker or a drop) into memory.
func (a *Audit) openFile(ctx app.Context, f app.Value) {
	if a.phase == phaseReading || a.phase == phaseVerifying {
		return
	}
	a.fileName = f.Get("name").String()
	a.data, a.info, a.readErr, a.result = nil, BundleInfo{}, "", nil
	a.phase = phaseReading
	a.readStart = time.Now()
	readFile(f, func(b []byte, err error) {
		ctx.Dispatch(func(ctx app.Context) { a.loaded(b, err) })
	})
}

// loaded takes the bytes of a file read by openFile.
func (a *Audit) loaded(b []byte, err error) {
	a.phase = phaseIdle
	a.readTime = time.Since(a.readStart)
	if err != nil {
		a.readErr = err.Error()
		return
	}
	a.data = b
	a.info = ReadBundleInfo(b)
}

func (a *Audit) canVerify() bool {
	return a.pinned != "" && a.data != nil && a.phase != phaseVerifying && a.phase != phaseReading
}

func (a *Audit) onVerify(ctx app.Context, e app.Event) {
	preventDefault(e)
	a.verify(ctx)
}

// verify runs the verification in a goroutine and shows its progress.
func (a *Audit) verify(ctx app.Context) {
	if !a.canVerify() {
		return
	}
	a.phase, a.done, a.total, a.result = phaseVerifying, 0, 0, nil
	data, key := a.data, a.pinned
	ctx.Async(func() {
		last := time.Now()
		res := VerifyBundleBytes(data, key, func(done, total int64) {
			if now := time.Now(); now.Sub(last) >= auditProgressInterval {
				last = now
				ctx.Dispatch(func(app.Context) { a.done, a.total = done, total })
				yieldToBrowser() // let the UI goroutine run and the browser paint
			}
		})
		ctx.Dispatch(func(ctx app.Context) {
			a.phase, a.result = phaseDone, res
			a.done, a.total = res.Entries, res.TreeSize
			ctx.Defer(func(app.Context) { focus("audit-result") })
		})
	})
}

// Render draws the page.
func (a *Audit) Render() app.UI {
	return app.Div().Class("page").Body(
		app.Header().Class("top").Body(
			logo(),
			app.H1().Text("eBIOS audit"),
			navBar(AuditPath),
		),
		app.Main().ID("main").TabIndex(-1).Body(
			app.P().Class("help").Text("Verify an exported ledger bundle in this browser, offline: nothing is sent anywhere."),
			a.renderKey(),
			a.renderBundle(),
			a.renderVerify(),
			a.renderResult(),
		),
		app.Footer().Class("foot").Body(
			app.P().Text("Verified in this browser, by eBIOS's verifier in WebAssembly: the checkpoint signature, chain links, op ids and the RFC 6962 Merkle root. Entry signatures (Ed25519) are checked by the browser's own WebCrypto where it has Ed25519, in Web Workers alongside the other checks, and otherwise by the WebAssembly code."),
		),
	)
}

func (a *Audit) renderKey() app.UI {
	return app.Section().Class("panel key").Aria("labelledby", "key-h").Body(
		app.H2().ID("key-h").Text("1. Pin the log's key"),
		app.Form().Aria("label", "Pin the log key").OnSubmit(a.onPin).Body(
			app.Label().For("pinned-key").Text("Log verifier key (name+hash+base64)"),
			app.Textarea().ID("pinned-key").Name("key").Rows(2).
				Placeholder("ebios.example/log+1a2b3c4d+AXx…").
				Spellcheck(false).Attr("autocapitalize", "off").Attr("autocomplete", "off").
				Aria("describedby", "key-help").
				Aria("invalid", strconv.FormatBool(a.keyErr != "")).
				Text(a.keyInput).
				OnInput(a.ValueTo(&a.keyInput)),
			app.P().ID("key-help").Class("help").Text(
				"Get this key from the log operator by a channel you trust. A bundle carries its own key, but that proves nothing: the verification uses the pinned key only. The pinned key is remembered in this browser."),
			app.Div().Class("row").Body(
				app.Button().Type("submit").ID("pin").Class("go").Text("Pin key"),
				app.If(a.pinned != "", func() app.UI {
					return app.Button().Type("button").ID("unpin").Text("Forget pinned key").OnClick(a.onUnpin)
				}),
			),
		),
		app.If(a.keyErr != "", func() app.UI {
			return app.Div().Class("error").Role("alert").Body(app.P().Text("Not a verifier key: " + a.keyErr))
		}),
		app.If(a.pinned != "", func() app.UI {
			return app.Div().ID("pinned").Class("pinned").Body(
				app.P().Body(app.Strong().Text("Pinned key")),
				renderFingerprint(a.pinnedFP),
			)
		}).Else(func() app.UI {
			return app.P().ID("pinned").Class("hint").Text("No key pinned yet.")
		}),
	)
}

func renderFingerprint(fp Fingerprint) app.UI {
	return app.Dl().Class("fp").Body(
		app.Dt().Text("Name"), app.Dd().Class("fp-name").Text(fp.Name),
		app.Dt().Text("Key id"), app.Dd().Class("fp-id").Text(fp.KeyID),
		app.Dt().Text("SHA-256 of the key"), app.Dd().Class("fp-sha").Text(fp.SHA256),
	)
}

func (a *Audit) renderBundle() app.UI {
	zone := "dropzone"
	if a.dragOver {
		zone += " over"
	}
	return app.Section().Class("panel bundle").Aria("labelledby", "bundle-h").Body(
		app.H2().ID("bundle-h").Text("2. Open a bundle"),
		app.Div().ID("dropzone").Class(zone).
			OnDragEnter(a.onDragOver).OnDragOver(a.onDragOver).
			OnDragLeave(a.onDragLeave).OnDrop(a.onDrop).Body(
			app.P().Class("drop-text").Text("Drop an exported bundle (JSON) here, or"),
			app.Label().For("bundle-file").Class("filelabel").Text("Choose a bundle file"),
			app.Input().Type("file").ID("bundle-file").Name("bundle").
				Accept(".json,application/json").
				Aria("describedby", "bundle-status").
				OnChange(a.onFileChange),
		),
		app.Div().ID("bundle-status").Aria("live", "polite").Body(a.renderBundleStatus()),
	)
}

func (a *Audit) renderBundleStatus() app.UI {
	switch {
	case a.phase == phaseReading:
		return app.P().Class("hint").Text("Reading " + a.fileName + "…")
	case a.readErr != "":
		return app.Div().Class("error").Role("alert").Body(app.P().Text("Could not read " + a.fileName + ": " + a.readErr))
	case a.data == nil:
		return app.P().Class("hint").Text("No bundle loaded.")
	}
	bi := a.info
	return app.Div().Class("loaded").Body(
		app.P().Body(app.Strong().Text(a.fileName), app.Text(" · "+formatBytes(len(a.data)))),
		app.If(bi.Err != "", func() app.UI {
			return app.P().Class("hint").Text("This does not look like a bundle: " + bi.Err)
		}).Else(func() app.UI {
			claim := bi.KeyFP.KeyID
			if claim == "" {
				claim = strconv.Quote(bi.Key)
			}
			match := "differs from the pinned key: verification will fail"
			switch {
			case a.pinned == "":
				match = "pin a key to verify it"
			case bi.Key == a.pinned:
				match = "same as the pinned key"
			}
			return app.P().Class("hint").Text("The bundle says: origin " + strconv.Quote(bi.Origin) +
				", key " + claim + " (" + match + "). None of this is trusted until it is verified.")
		}),
	)
}

func (a *Audit) renderVerify() app.UI {
	why := ""
	switch {
	case a.pinned == "":
		why = "Pin a key first."
	case a.data == nil:
		why = "Open a bundle first."
	}
	btn := app.Button().Type("button").ID("verify").Class("go").Text("Verify").
		Aria("describedby", "verify-why").OnClick(a.onVerify)
	if !a.canVerify() {
		btn = btn.Disabled(true)
	}
	return app.Section().Class("panel verify").Aria("labelledby", "verify-h").Body(
		app.H2().ID("verify-h").Text("3. Verify"),
		app.Div().Class("row").Body(btn),
		app.P().ID("verify-why").Class("hint").Text(why),
		app.If(a.phase == phaseVerifying || a.phase == phaseDone, func() app.UI {
			return a.renderProgress()
		}),
	)
}

func (a *Audit) renderProgress() app.UI {
	max := a.total
	if max <= 0 {
		max = 1
	}
	label := "Verifying…"
	switch {
	case a.total > 0:
		label = strconv.FormatInt(a.done, 10) + " of " + strconv.FormatInt(a.total, 10) + " entries checked"
	case a.phase == phaseDone:
		label = "No entries checked: the bundle failed before them."
	}
	return app.Div().Class("progress").Body(
		app.Label().For("audit-progress").Text("Progress"),
		app.Progress().ID("audit-progress").Max(max).Value(a.done).Aria("valuetext", label),
		app.P().ID("progress-text").Class("hint").Text(label),
	)
}

func (a *Audit) renderResult() app.UI {
	r := a.result
	if r == nil {
		return app.Section().ID("audit-result").Class("result").TabIndex(-1).Aria("live", "polite").Body(
			app.H2().Text("Result"),
			app.P().Class("hint").Text("Pin a key, open a bundle and press Verify."),
		)
	}
	return app.Section().ID("audit-result").Class("result").TabIndex(-1).Aria("live", "polite").Body(
		app.H2().Text("Result"),
		renderAuditResult(r),
	)
}

// renderAuditResult draws a verification result.
func renderAuditResult(r *AuditResult) app.UI {
	timing := app.Dl().Class("timing").Body(
		app.Dt().Text("Entries verified"), app.Dd().ID("audit-entries").Text(strconv.FormatInt(r.Entries, 10)),
		app.Dt().Text("Elapsed"), app.Dd().ID("audit-elapsed").Text(formatDuration(r.Elapsed)),
		app.Dt().Text("Throughput"), app.Dd().ID("audit-rate").Text(r.Rate()),
		app.Dt().Text("Bundle size"), app.Dd().Text(formatBytes(r.Bytes)),
	)
	if r.OK {
		checks := r.Checks()
		return app.Div().ID("audit-ok").Class("verdict ok").Body(
			app.P().Class("big").Text("✓ OK"),
			app.P().Text("The bundle verifies against the pinned key "+r.Fingerprint.Name+" ("+r.Fingerprint.KeyID+"):"),
			app.Ul().Class("checks").Body(
				app.Range(checks).Slice(func(i int) app.UI { return app.Li().Text(checks[i]) }),
			),
			app.Dl().Body(
				app.Dt().Text("Origin"), app.Dd().ID("audit-origin").Text(r.Origin),
				app.Dt().Text("Tree size"), app.Dd().ID("audit-size").Text(strconv.FormatInt(r.TreeSize, 10)),
				app.Dt().Text("Merkle root"), app.Dd().Text(r.Root),
			),
			timing,
		)
	}
	f := r.Fail
	where := "the bundle as a whole"
	if f.Index >= 0 {
		where = "entry " + strconv.FormatInt(f.Index, 10)
	}
	return app.Div().ID("audit-failed").Class("verdict bad error").Role("alert").Body(
		app.P().Class("big").Text("✗ FAILED at "+where),
		app.Dl().Body(
			app.Dt().Text("First bad entry"), app.Dd().ID("fail-index").Text(failIndex(f)),
			app.Dt().Text("Check"), app.Dd().ID("fail-check").Text(f.Check),
			app.Dt().Text("Code"), app.Dd().ID("fail-code").Text(f.Code),
		),
		app.P().Class("msg").Body(app.Strong().Text("Why: "), app.Text(f.Reason)),
		app.If(f.Remediation != "", func() app.UI {
			return app.P().Class("fix").Body(app.Strong().Text("What to do: "), app.Text(f.Remediation))
		}),
		app.If(r.CheckpointOK, func() app.UI {
			return app.P().Class("hint").Text("The checkpoint was signed by the pinned key (origin " +
				strconv.Quote(r.Origin) + ", tree size " + strconv.FormatInt(r.TreeSize, 10) + "); " +
				strconv.FormatInt(r.Entries, 10) + " entries passed every check before the failure.")
		}),
		timing,
	)
}

func failIndex(f *ledger.Failure) string {
	if f.Index < 0 {
		return "none (not about one entry)"
	}
	return strconv.FormatInt(f.Index, 10)
}

func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
}

func formatBytes(n int) string {
	switch {
	case n < 1<<10:
		return strconv.Itoa(n) + " B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}
