package api

import (
	"sync"
	"testing"
	"time"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
)

// fakeBackups stands in for server/backup's Runner (which imports this
// package): a started backup stays running until finish is called.
type fakeBackups struct {
	mu         sync.Mutex
	st         BackupStatus
	includeKey bool
}

func (f *fakeBackups) StartBackup(user string, includeKey bool) (BackupStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.st.State == "running" {
		return f.st, &nu.Error{Code: "BACKUP_006", Category: "backup", Message: "a backup is already running"}
	}
	f.st = BackupStatus{State: "running", StartedBy: user, Started: time.Now()}
	f.includeKey = includeKey
	return f.st, nil
}

func (f *fakeBackups) BackupStatus() BackupStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.st.State == "" {
		return BackupStatus{State: "none"}
	}
	return f.st
}

// TestBackupEndpoints: an admin starts a backup (202, with who started it
// and the include_key asked for), a second start while it runs is 409
// BACKUP_006, GET shows it, other roles get 403, and the body is read
// strictly.
func TestBackupEndpoints(t *testing.T) {
	e := newEnv(t)
	fb := e.srv.cfg.Backups.(*fakeBackups)
	admin := e.tokens[auth.RoleAdmin]
	cases := []struct {
		name, method, token string
		body                any
		code                int
		errCode             string
	}{
		{"status before any", "GET", admin, nil, 200, ""},
		{"operator may not start", "POST", e.tokens[auth.RoleOperator], nil, 403, "AUTH_007"},
		{"auditor may not read", "GET", e.tokens[auth.RoleAuditor], nil, 403, "AUTH_007"},
		{"no token", "POST", "", nil, 401, ""},
		{"unknown member", "POST", admin, `{"include_keys":true}`, 400, CodeBadJSON},
		{"start with the key", "POST", admin, `{"include_key":true}`, 202, ""},
		{"start while running", "POST", admin, nil, 409, "BACKUP_006"},
		{"status while running", "GET", admin, nil, 200, ""},
	}
	for _, c := range cases {
		r := e.do(c.method, "/api/v1/admin/backup", c.token, c.body)
		if r.code != c.code {
			t.Fatalf("%s: %d %s, want %d", c.name, r.code, r.body, c.code)
		}
		m := r.json(t)
		if c.errCode != "" {
			if got := m["error"].(map[string]any)["code"]; got != c.errCode {
				t.Errorf("%s: error %v, want %s", c.name, got, c.errCode)
			}
			continue
		}
		if c.code >= 400 {
			continue
		}
		want := "running"
		if c.name == "status before any" {
			want = "none"
		}
		if m["state"] != want {
			t.Errorf("%s: state %v, want %s", c.name, m["state"], want)
		}
		if c.code == 202 && (m["started_by"] != "admin1" || !fb.includeKey || r.hdr.Get("Location") != "/api/v1/admin/backup") {
			t.Errorf("%s: %s (include_key %v, Location %q)", c.name, r.body, fb.includeKey, r.hdr.Get("Location"))
		}
	}
}
