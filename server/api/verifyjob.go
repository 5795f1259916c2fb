package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/logstore"
)

// Whole-log verification is a job, not a request: on a large log it takes
// minutes (about 80 µs an entry on one core here; the entry signatures are
// checked on every core, ledger.VerifyOptions.Workers). POST /api/v1/ledger/verify/jobs
// starts one (202 and its Location); at most one runs at a time, and a
// start while one runs answers 409 with that job. GET .../jobs/{id} shows
// its state and progress, GET .../jobs/{id}/report its report when done
// (the report of today's whole-store verify, unchanged), GET
// .../jobs/latest the last job that finished with a report (with the tree
// size it covered), and DELETE .../jobs/{id} cancels it.
//
// Cancelling stops the verification pass (ledgerstore.Store.VerifyContext
// stops within a tile or a chunk of rows): the job is marked cancelled at
// once, "working" stays true until the pass has returned, which is a
// matter of milliseconds, and no new job starts before that (409, naming
// it).

// Job states.
const (
	jobRunning   = "running"
	jobDone      = "done"   // finished with a report (which may name a bad entry)
	jobFailed    = "failed" // the verification could not run to a report
	jobCancelled = "cancelled"
)

// keepJobs is how many finished jobs the server remembers (the latest job
// with a report is kept besides).
const keepJobs = 16

// LegacyVerifyWait is how long GET /ledger/verify waits for a job it
// starts before it answers 202 with the job instead of its report.
var LegacyVerifyWait = 5 * time.Second

type verifyJobs struct {
	mu     sync.Mutex
	busy   *verifyJob   // the job whose verification pass runs (also when cancelled)
	jobs   []*verifyJob // the last jobs, oldest first
	latest *verifyJob   // the last job that finished with a report
}

type verifyJob struct {
	id        string
	startedBy string
	started   time.Time
	size      int64         // the log's size when the job started
	work      chan struct{} // closed when the verification pass returns
	cancel    context.CancelFunc

	phase       atomic.Int32 // 0 checking stored rows, 1 verifying entries, 2 finished
	done, total atomic.Int64

	// guarded by verifyJobs.mu
	state    string
	finished time.Time
	report   *ledger.Report
	err      string
}

var phases = []string{"checking the stored tiles, rows and tree hashes", "verifying signatures, chain and Merkle root", "finished"}

// verifyJobJSON is a job as the API shows it.
type verifyJobJSON struct {
	ID    string `json:"id"`
	State string `json:"state"`
	// Working: the verification pass runs (while running, and after a
	// cancel until the pass has finished).
	Working   bool         `json:"working"`
	Phase     string       `json:"phase"`
	Progress  progressJSON `json:"progress"`
	TreeSize  int64        `json:"tree_size"`
	Started   string       `json:"started"`
	Finished  string       `json:"finished,omitempty"`
	StartedBy string       `json:"started_by,omitempty"`
	// OK is the report's verdict, once there is one.
	OK     *bool          `json:"ok,omitempty"`
	Error  string         `json:"error,omitempty"`
	Report *ledger.Report `json:"report,omitempty"`
	Links  jobLinks       `json:"links"`
}

type progressJSON struct {
	Done  int64 `json:"done"`
	Total int64 `json:"total"`
}

type jobLinks struct {
	Self   string `json:"self"`
	Report string `json:"report"`
}

const jobsPath = "/api/v1/ledger/verify/jobs/"

// view returns the job as JSON. Callers hold verifyJobs.mu.
func (j *verifyJob) view() verifyJobJSON {
	v := verifyJobJSON{ID: j.id, State: j.state, Phase: phases[j.phase.Load()], TreeSize: j.size,
		Progress: progressJSON{Done: j.done.Load(), Total: j.total.Load()},
		Started:  j.started.UTC().Format(time.RFC3339Nano), StartedBy: j.startedBy, Error: j.err, Report: j.report,
		Links: jobLinks{Self: jobsPath + j.id, Report: jobsPath + j.id + "/report"}}
	select {
	case <-j.work:
	default:
		v.Working = true
	}
	if !j.finished.IsZero() {
		v.Finished = j.finished.UTC().Format(time.RFC3339Nano)
	}
	if j.report != nil {
		ok := j.report.OK
		v.OK = &ok
	}
	return v
}

// covered is the tree size the job's report speaks for.
func (j *verifyJob) covered() int64 {
	if j.report != nil && j.report.CheckpointOK {
		return j.report.TreeSize
	}
	return j.size
}

// start starts a job, or returns the job whose pass is running.
func (s *Server) startJob(user string) (started, busy *verifyJob) {
	v := &s.verifying
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.busy != nil {
		return nil, v.busy
	}
	var id [8]byte
	rand.Read(id[:])
	ctx, cancel := context.WithCancel(context.Background())
	j := &verifyJob{id: hex.EncodeToString(id[:]), startedBy: user, started: time.Now(), size: int64(s.cfg.Store.Len()), // #nosec G115 -- the log's length is a tree size, below 2^63 (tlog sizes are int64)
		work: make(chan struct{}), cancel: cancel, state: jobRunning}
	j.total.Store(j.size)
	v.busy = j
	v.jobs = append(v.jobs, j)
	if len(v.jobs) > keepJobs {
		v.jobs = append(v.jobs[:0:0], v.jobs[len(v.jobs)-keepJobs:]...)
	}
	go s.runJob(ctx, j)
	return j, nil
}

// storeVerify runs the store's whole verification (tests replace it).
var storeVerify = func(ctx context.Context, s *Server, progress func(phase logstore.VerifyPhase, done, total int64)) (*ledger.Report, error) {
	return s.cfg.Store.VerifyContext(ctx, progress)
}

func (s *Server) runJob(ctx context.Context, j *verifyJob) {
	defer j.cancel()
	rep, err := storeVerify(ctx, s, func(phase logstore.VerifyPhase, done, total int64) {
		j.phase.Store(int32(phase)) // #nosec G115 -- a VerifyPhase is 0 or 1
		j.done.Store(done)
		j.total.Store(total)
	})
	j.phase.Store(2)
	v := &s.verifying
	v.mu.Lock()
	defer v.mu.Unlock()
	v.busy = nil
	close(j.work)
	if j.state == jobCancelled {
		return // its result is dropped
	}
	j.finished = time.Now()
	switch {
	case rep != nil && (rep.OK || rep.FirstBad != nil):
		j.state, j.report = jobDone, rep
		v.latest = j
	default:
		j.state, j.report = jobFailed, rep
		j.err = "the verification did not run to a verdict"
		if err != nil {
			j.err = err.Error()
		}
	}
	s.verified("log", j.state == jobDone && rep.OK)
	s.cfg.Logger.Info("verify job finished", "job", j.id, "state", j.state, "ok", rep != nil && rep.OK,
		"entries", j.done.Load(), "seconds", j.finished.Sub(j.started).Seconds())
}

// job returns the job with id ("latest": the last one with a report).
func (s *Server) job(id string) *verifyJob {
	v := &s.verifying
	if id == "latest" {
		return v.latest
	}
	for _, j := range v.jobs {
		if j.id == id {
			return j
		}
	}
	if v.latest != nil && v.latest.id == id {
		return v.latest
	}
	return nil
}

func noJob(id string) error {
	return apiErr(CodeNotFound, "no verify job "+strconv.Quote(id), "the server keeps the last "+strconv.Itoa(keepJobs)+" jobs, and the latest with a report, until it restarts",
		"list the latest with GET "+jobsPath+"latest, or start one with POST /api/v1/ledger/verify/jobs")
}

// busyError answers a start while j's pass runs: 409, with the job.
func busyError(w http.ResponseWriter, j verifyJobJSON) {
	msg := "a whole-log verification is already running"
	remedy := "follow the running job (its links.self), or cancel it first"
	if j.State == jobCancelled {
		msg = "a cancelled whole-log verification is still finishing"
		remedy = "retry in a moment: the cancelled pass stops within a tile of entries (its working turns false)"
	}
	w.Header().Set("Location", j.Links.Self)
	writeJSON(w, http.StatusConflict, map[string]any{"error": apiErr(CodeJobState, msg, "job "+j.ID, remedy), "job": j})
}

// startVerifyJob: POST /api/v1/ledger/verify/jobs.
func (s *Server) startVerifyJob(w http.ResponseWriter, r *http.Request) {
	var req struct{}
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &req); err != nil {
			writeError(w, err)
			return
		}
	}
	j, busy := s.startJob(principal(r))
	s.verifying.mu.Lock()
	defer s.verifying.mu.Unlock()
	if j == nil {
		busyError(w, busy.view())
		return
	}
	w.Header().Set("Location", jobsPath+j.id)
	writeJSON(w, http.StatusAccepted, j.view())
}

// getVerifyJob: GET /api/v1/ledger/verify/jobs/{id}.
func (s *Server) getVerifyJob(w http.ResponseWriter, r *http.Request) {
	s.verifying.mu.Lock()
	defer s.verifying.mu.Unlock()
	j := s.job(r.PathValue("id"))
	if j == nil {
		writeError(w, noJob(r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, j.view())
}

// latestVerifyJob: GET /api/v1/ledger/verify/jobs/latest, the last job
// that finished with a report, the report included.
func (s *Server) latestVerifyJob(w http.ResponseWriter, r *http.Request) {
	s.verifying.mu.Lock()
	defer s.verifying.mu.Unlock()
	j := s.verifying.latest
	if j == nil {
		writeError(w, apiErr(CodeNotFound, "no whole-log verification has finished since the server started", "",
			"an operator or admin starts one with POST /api/v1/ledger/verify/jobs"))
		return
	}
	writeJSON(w, http.StatusOK, j.view())
}

// verifyJobReport: GET /api/v1/ledger/verify/jobs/{id}/report, the same
// report as the whole-store verify has always answered.
func (s *Server) verifyJobReport(w http.ResponseWriter, r *http.Request) {
	s.verifying.mu.Lock()
	defer s.verifying.mu.Unlock()
	id := r.PathValue("id")
	j := s.job(id)
	switch {
	case j == nil:
		writeError(w, noJob(id))
	case j.report != nil:
		writeReport(w, j)
	default:
		v := j.view()
		details := "job " + j.id + " is " + j.state
		if j.state == jobRunning {
			details += " (" + v.Phase + ", " + strconv.FormatInt(v.Progress.Done, 10) + " of " + strconv.FormatInt(v.Progress.Total, 10) + " entries)"
		}
		if j.err != "" {
			details += ": " + j.err
		}
		writeJSON(w, http.StatusConflict, map[string]any{"error": apiErr(CodeJobState, "the job has no report", details,
			"poll "+v.Links.Self+" until its state is done"), "job": v})
	}
}

// writeReport answers j's report, saying which job and tree size it is of.
func writeReport(w http.ResponseWriter, j *verifyJob) {
	w.Header().Set("Content-Location", jobsPath+j.id+"/report")
	w.Header().Set("X-Verify-Job", j.id)
	w.Header().Set("X-Verify-Tree-Size", strconv.FormatInt(j.covered(), 10))
	writeJSON(w, http.StatusOK, j.report)
}

// cancelVerifyJob: DELETE /api/v1/ledger/verify/jobs/{id}.
func (s *Server) cancelVerifyJob(w http.ResponseWriter, r *http.Request) {
	s.verifying.mu.Lock()
	defer s.verifying.mu.Unlock()
	id := r.PathValue("id")
	j := s.job(id)
	if j == nil {
		writeError(w, noJob(id))
		return
	}
	if j.state != jobRunning {
		writeJSON(w, http.StatusConflict, map[string]any{"error": apiErr(CodeJobState, "the job is not running", "job "+j.id+" is "+j.state, ""),
			"job": j.view()})
		return
	}
	j.state, j.finished = jobCancelled, time.Now()
	j.err = "cancelled by " + principal(r)
	j.cancel()
	writeJSON(w, http.StatusOK, j.view())
}

// verifyAll is the original whole-store verify, GET /ledger/verify, which
// no longer verifies inside the request:
//   - when the last report covers the log as it is now, it answers that
//     report (200), at once;
//   - otherwise a caller who may start jobs (operator, admin) starts one,
//     or joins the running one, and waits up to LegacyVerifyWait: the
//     report (200) if it is done by then, else 202 with the job and its
//     Location to poll;
//   - a caller who may not (auditor) gets the last report even if the log
//     has grown since (200; X-Verify-Tree-Size says what it covers), or the
//     running job (202), or 404 when there is neither.
func (s *Server) verifyAll(w http.ResponseWriter, r *http.Request) {
	size := int64(s.cfg.Store.Len()) // #nosec G115 -- the log's length is a tree size, below 2^63 (tlog sizes are int64)
	v := &s.verifying
	v.mu.Lock()
	latest := v.latest
	if latest != nil && latest.covered() == size {
		defer v.mu.Unlock()
		writeReport(w, latest)
		return
	}
	busy := v.busy
	v.mu.Unlock()
	p := auth.PrincipalFrom(r.Context())
	if p == nil || !auth.Allowed(p.Role, auth.PermLedgerVerifyRun) {
		v.mu.Lock()
		defer v.mu.Unlock()
		switch {
		case latest != nil:
			writeReport(w, latest)
		case busy != nil && busy.state == jobRunning:
			w.Header().Set("Location", jobsPath+busy.id)
			writeJSON(w, http.StatusAccepted, busy.view())
		default:
			writeError(w, apiErr(CodeNotFound, "no whole-log verification has run since the server started", "",
				"an operator or admin starts one with POST /api/v1/ledger/verify/jobs; then read GET /api/v1/ledger/verify/jobs/latest"))
		}
		return
	}
	j, busy := s.startJob(p.User)
	if j == nil {
		j = busy
	}
	t := time.NewTimer(LegacyVerifyWait)
	defer t.Stop()
	select {
	case <-j.work:
	case <-t.C:
	case <-r.Context().Done():
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case j.report != nil:
		writeReport(w, j)
	case j.state == jobCancelled:
		busyError(w, j.view())
	default:
		w.Header().Set("Location", jobsPath+j.id)
		writeJSON(w, http.StatusAccepted, j.view())
	}
}
