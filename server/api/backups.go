package api

import (
	"net/http"
	"time"
)

// Backups takes online backups into the server's backup directory
// (server/backup implements it). A backup runs in the background: POST
// /api/v1/admin/backup starts one and answers 202 at once, GET shows its
// progress and, when it is done, where it is. One runs at a time.
type Backups interface {
	// StartBackup starts a backup for user; it fails with a *nu.Error
	// (BACKUP_006, 409) while one runs.
	StartBackup(user string, includeKey bool) (BackupStatus, error)
	// BackupStatus is the running backup, or the last one.
	BackupStatus() BackupStatus
}

// BackupStatus is the state of the running or last backup.
type BackupStatus struct {
	// State is "none" (no backup since the server started), "running",
	// "done" or "failed".
	State     string    `json:"state"`
	StartedBy string    `json:"started_by,omitempty"`
	Started   time.Time `json:"started,omitzero"`
	Finished  time.Time `json:"finished,omitzero"`
	// Phase ("exporting", "verifying"), Done and Total show progress in
	// entries while it runs.
	Phase string `json:"phase,omitempty"`
	Done  int64  `json:"done"`
	Total int64  `json:"total"`
	// Path, TreeSize, Root and KeyIncluded describe the finished backup.
	Path        string `json:"path,omitempty"`
	TreeSize    int64  `json:"tree_size"`
	Root        string `json:"root,omitempty"`
	KeyIncluded bool   `json:"key_included"`
	// Error says why it failed.
	Error string `json:"error,omitempty"`
	// LastSuccess is when the last successful backup finished.
	LastSuccess time.Time `json:"last_success,omitzero"`
}

// backupRequest is the body of POST /api/v1/admin/backup (optional).
type backupRequest struct {
	IncludeKey bool `json:"include_key,omitempty"`
}

func (s *Server) startBackup(w http.ResponseWriter, r *http.Request) {
	var req backupRequest
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &req); err != nil {
			writeError(w, err)
			return
		}
	}
	st, err := s.cfg.Backups.StartBackup(principal(r), req.IncludeKey)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", "/api/v1/admin/backup")
	writeJSON(w, http.StatusAccepted, st)
}

func (s *Server) backupStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Backups.BackupStatus())
}
