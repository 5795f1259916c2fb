package backup

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ebios/ebios/server/api"
)

// Runner takes the backups of one server into one directory, one at a
// time: those asked for through the API and those of the schedule. After
// each successful backup it keeps the newest Keep backups and removes the
// older ones (never before a new one has succeeded). It implements
// api.Backups.
type Runner struct {
	ctx    context.Context // the server's: a backup running at shutdown is cancelled
	dir    string
	keep   int
	src    Source
	obs    Observer
	logger *slog.Logger

	mu      sync.Mutex
	status  api.BackupStatus
	running sync.WaitGroup
}

var _ api.Backups = (*Runner)(nil)

// NewRunner returns a Runner writing into dir and keeping keep backups
// (0 keeps all). obs and logger may be nil. Backups stop when ctx ends.
func NewRunner(ctx context.Context, dir string, keep int, src Source, obs Observer, logger *slog.Logger) *Runner {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{ctx: ctx, dir: dir, keep: keep, src: src, obs: obs, logger: logger, status: api.BackupStatus{State: "none"}}
}

// begin marks a backup as running, or fails if one is.
func (r *Runner) begin(by string) (api.BackupStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status.State == "running" {
		return r.status, berr(CodeBusy, "a backup is already running (started by "+r.status.StartedBy+" at "+r.status.Started.Format(time.RFC3339)+")", "",
			"wait for it: GET /api/v1/admin/backup shows its progress")
	}
	r.status = api.BackupStatus{State: "running", StartedBy: by, Started: time.Now().UTC(), LastSuccess: r.status.LastSuccess}
	r.running.Add(1)
	return r.status, nil
}

// StartBackup starts a backup in the background (api.Backups).
func (r *Runner) StartBackup(by string, includeKey bool) (api.BackupStatus, error) {
	st, err := r.begin(by)
	if err != nil {
		return st, err
	}
	go r.run(includeKey) // #nosec G118 -- the backup outlives the request on purpose; it stops with the server's context (r.ctx)
	return st, nil
}

// Run takes a backup now and waits for it.
func (r *Runner) Run(by string, includeKey bool) (*Result, error) {
	if _, err := r.begin(by); err != nil {
		return nil, err
	}
	return r.run(includeKey)
}

func (r *Runner) run(includeKey bool) (*Result, error) {
	defer r.running.Done()
	res, err := Take(r.ctx, r.dir, r.src, Options{IncludeKey: includeKey, Progress: func(phase string, done, total int64) {
		r.mu.Lock()
		r.status.Phase, r.status.Done, r.status.Total = phase, done, total
		r.mu.Unlock()
	}})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.Finished = time.Now().UTC()
	r.status.Phase = ""
	if err != nil {
		r.status.State, r.status.Error = "failed", err.Error()
		if r.ctx.Err() != nil { // the server is stopping: not a failure to alert on
			r.logger.Info("backup cancelled: the server is stopping", "dir", r.dir)
			return nil, err
		}
		r.logger.Error("backup failed", "dir", r.dir, "err", err)
		if r.obs != nil {
			r.obs.BackupFailed()
		}
		return nil, err
	}
	r.status.State, r.status.Path, r.status.LastSuccess = "done", res.Path, r.status.Finished
	r.status.TreeSize, r.status.Root, r.status.KeyIncluded = res.Manifest.TreeSize, res.Manifest.Root, res.Manifest.KeyIncluded
	r.logger.Info("backup written", "path", res.Path, "entries", res.Manifest.TreeSize, "seconds", res.Duration)
	if r.obs != nil {
		r.obs.BackupSucceeded(r.status.Finished)
	}
	if removed, err := Prune(r.dir, r.keep); err != nil {
		r.logger.Warn("removing old backups failed", "dir", r.dir, "err", err)
	} else if len(removed) > 0 {
		r.logger.Info("removed old backups", "removed", removed, "keep", r.keep)
	}
	return res, nil
}

// BackupStatus returns the running or last backup (api.Backups).
func (r *Runner) BackupStatus() api.BackupStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// Wait waits for a running backup to end.
func (r *Runner) Wait() { r.running.Wait() }

// StartDelay is the least time from the start of the schedule to its
// first backup, so that a server that runs only briefly (a test, a crash
// loop) does not back up at every start. A variable for tests.
var StartDelay = time.Minute

// Schedule takes a backup every interval until ctx ends; a backup that
// fails is logged (and observed) and the schedule goes on. The first one
// is due interval after the newest backup in the directory, or after
// StartDelay if there is none or it is older, so that restarts do not put
// it off. A turn that finds a backup running (one asked for through the
// API) is skipped.
func (r *Runner) Schedule(ctx context.Context, interval time.Duration) {
	wait := StartDelay
	if newest, ok := r.newest(); ok {
		wait = max(StartDelay, interval-time.Since(newest))
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := r.Run("schedule", false); err != nil && ctx.Err() == nil {
				r.logger.Debug("scheduled backup did not complete", "err", err)
			}
			t.Reset(interval)
		}
	}
}

// backupTime is the layout of the time in a backup's name.
const backupTime = "20060102T150405.000Z"

// newest returns when the newest backup in the directory was taken.
func (r *Runner) newest() (time.Time, bool) {
	all, err := List(r.dir)
	if err != nil || len(all) == 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(backupTime, strings.TrimPrefix(filepath.Base(all[len(all)-1]), Prefix))
	return t, err == nil
}

// List returns the paths of the finished backups in dir, oldest first.
func List(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, berr(CodeIO, "cannot list the backup directory "+dir, err.Error(), "check backup_dir")
	}
	return backupsIn(dir, des), nil
}

// backupsIn returns the backups among dir's entries des, oldest first.
func backupsIn(dir string, des []os.DirEntry) []string {
	var out []string
	for _, de := range des {
		if de.IsDir() && isBackupName(de.Name()) {
			out = append(out, filepath.Join(dir, de.Name()))
		}
	}
	slices.Sort(out) // the names hold the UTC time: sorted is oldest first
	return out
}

// Prune removes all but the newest keep backups in dir (none when keep
// is 0), and what failed backups left half-written. Call it only when no
// backup is being written into dir.
func Prune(dir string, keep int) (removed []string, err error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, berr(CodeIO, "cannot list the backup directory "+dir, err.Error(), "check backup_dir")
	}
	for _, de := range des {
		if strings.HasPrefix(de.Name(), partialPrefix) {
			if err := os.RemoveAll(filepath.Join(dir, de.Name())); err != nil {
				return removed, berr(CodeIO, "cannot remove the unfinished backup "+de.Name(), err.Error(), "check backup_dir")
			}
		}
	}
	all := backupsIn(dir, des)
	if keep <= 0 || len(all) <= keep {
		return nil, nil
	}
	for _, p := range all[:len(all)-keep] {
		if err := os.RemoveAll(p); err != nil {
			return removed, berr(CodeIO, "cannot remove the old backup "+p, err.Error(), "check backup_dir")
		}
		removed = append(removed, p)
	}
	return removed, nil
}
