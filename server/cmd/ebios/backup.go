package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/api"
	"github.com/ebios/ebios/server/backup"
	"github.com/ebios/ebios/server/keyfile"
)

const backupHelp = `Take an online, consistent backup of an eBIOS server's data.

  ebios backup [--server URL] --user NAME [--password-file FILE] [--include-key] [--json]
  ebios backup [--server URL] --token-file FILE [--include-key] [--json]
      ask the running server (POST /api/v1/admin/backup, an admin's permission
      backup:run) to write a backup into its backup_dir while it serves; shows
      its progress and prints where it is
  ebios backup --data-dir DIR --out BACKUP_DIR [--include-key [--key KEYFILE]] [--json]
      back up the data directory of a stopped server into BACKUP_DIR
  ebios backup verify BACKUP [--key VKEY] [--json]
      check a backup: its manifest, every file's SHA-256 and the log's
      signatures and Merkle root (against VKEY, the verifier key you trust;
      without it, against the key the backup names)

A backup is a directory ebios-backup-<UTC time> holding a verified export
bundle of the log, its signed checkpoint, users.db, policies.db and
manifest.json (every file's size and SHA-256). It is written into a hidden
directory and renamed into place when complete: a failed or interrupted
backup leaves nothing. The signing key (ledger.key) is copied only with
--include-key: keep it apart (docs/operations.md, "The signing key").
The password comes from --password-file, standard input, or a prompt.
Restore a backup with "ebios restore".
`

func runBackup(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "verify" {
		return backupVerify(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("backup", "[--server URL --user NAME | --data-dir DIR --out BACKUP_DIR] [flags]", backupHelp, stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "URL of the running server")
	user := fs.String("user", "", "admin user to log in as (online)")
	pwFile := fs.String("password-file", "", "read the password from this file (online)")
	tokenFile := fs.String("token-file", "", "read a bearer access token from this file instead of logging in (online)")
	dataDir := dataDirFlag(fs, "", "back up this data directory of a stopped server instead (offline)")
	out := fs.String("out", "", "directory to write the backup into (offline)")
	key := fs.String("key", "", "the signing key file to include (offline; default DIR/ledger.key)")
	includeKey := fs.Bool("include-key", false, "copy the log's signing key into the backup")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, "no arguments"); err != nil {
		return err
	}
	if *dataDir != "" {
		if err := requireFlag(fs, *out, "--out BACKUP_DIR"); err != nil {
			return err
		}
		return backupOffline(ctx, *dataDir, *out, *key, *includeKey, *asJSON, stdout, stderr)
	}
	if *user == "" && *tokenFile == "" {
		fmt.Fprintln(stderr, "ebios backup: give --user NAME or --token-file FILE to back up through the server, or --data-dir DIR --out BACKUP_DIR for a stopped one")
		return exitError{exitUsage}
	}
	c := &client{base: strings.TrimRight(*server, "/"), http: &http.Client{Timeout: time.Minute}}
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile) // #nosec G304 G703 -- the operator's own --token-file flag
		if err != nil {
			return reportErr(stdout, stderr, *asJSON, "", fmt.Errorf("reading the token file: %w", err))
		}
		c.token = strings.TrimSpace(string(b))
	} else {
		pw, err := readPassword(*pwFile, stdin, stderr, false) // a login: asked once
		if err != nil {
			return reportErr(stdout, stderr, *asJSON, "", err)
		}
		if err := c.login(ctx, *user, pw); err != nil {
			return reportErr(stdout, stderr, *asJSON, "", err)
		}
	}
	st, err := c.backup(ctx, *includeKey, progress(stderr, "backing up"))
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	if *asJSON {
		return writeJSON(stdout, st)
	}
	fmt.Fprintf(stdout, "backup written on the server: %s\n  %d entries, root %s, signing key included: %v\n", st.Path, st.TreeSize, st.Root, st.KeyIncluded)
	return nil
}

func backupOffline(ctx context.Context, dataDir, out, key string, includeKey, asJSON bool, stdout, stderr io.Writer) error {
	src, closeSrc, err := backup.OpenDataDir(dataDir, key)
	if err != nil {
		return reportErr(stdout, stderr, asJSON, "", err)
	}
	defer closeSrc()
	res, err := backup.Take(ctx, out, src, backup.Options{IncludeKey: includeKey, Progress: phaseProgress(stderr)})
	if err != nil {
		return reportErr(stdout, stderr, asJSON, "", err)
	}
	if asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "backup written: %s\n  %d entries, root %s, signing key included: %v, %.1f s\n", res.Path, res.Manifest.TreeSize, res.Manifest.Root, res.Manifest.KeyIncluded, res.Duration)
	return nil
}

func backupVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup verify", "BACKUP [--key VKEY] [--json]", backupHelp, stderr)
	key := fs.String("key", "", "the verifier key you trust (or a file holding it)")
	asJSON := fs.Bool("json", false, "print the manifest as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "one BACKUP directory"); err != nil {
		return err
	}
	var pinned *ledger.Verifier
	if *key != "" {
		if pinned, err = keyfile.ParseVerifier(*key); err != nil {
			return reportErr(stdout, stderr, *asJSON, "", err)
		}
	}
	bar := progress(stderr, "verifying")
	m, _, err := backup.Verify(ctx, pos[0], pinned, bar)
	if err != nil {
		return reportErr(stdout, stderr, *asJSON, "", err)
	}
	if *asJSON {
		return writeJSON(stdout, m)
	}
	fmt.Fprintf(stdout, "OK: backup %s of log %q, %d entries, root %s, taken %s\n", pos[0], m.Origin, m.TreeSize, m.Root, m.Created.Format(time.RFC3339))
	if *key == "" {
		fmt.Fprintf(stdout, "  checked against the key it names, %s: give --key to pin the key you trust\n", m.VerifierKey)
	}
	return nil
}

// phaseProgress draws one progress bar per phase on a terminal.
func phaseProgress(stderr io.Writer) func(phase string, done, total int64) {
	bars := map[string]func(int64, int64){}
	return func(phase string, done, total int64) {
		bar, ok := bars[phase]
		if !ok {
			bar = progress(stderr, phase)
			bars[phase] = bar
		}
		if bar != nil {
			bar(done, total)
		}
	}
}

// client talks to a running server's API.
type client struct {
	base, token string
	http        *http.Client
}

// do sends a JSON request and decodes a JSON answer into out; an error
// answer comes back as its *nu.Error.
func (c *client) do(ctx context.Context, method, path string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("bad --server %q: %w", c.base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req) // #nosec G704 -- the server is the operator's --server flag
	if err != nil {
		return fmt.Errorf("cannot reach the server at %s: %w (is it running? give its URL with --server)", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading the answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		var e struct {
			Error *nu.Error `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != nil && e.Error.Code != "" {
			if resp.StatusCode == http.StatusNotFound && strings.HasPrefix(path, "/api/v1/admin/backup") {
				e.Error.Remediation = "the server takes no backups: set server.backup_dir in its configuration and restart it"
			}
			return e.Error
		}
		return fmt.Errorf("%s %s answered %s: %.200s", method, path, resp.Status, b)
	}
	return json.Unmarshal(b, out)
}

func (c *client) login(ctx context.Context, user, password string) error {
	var res struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.do(ctx, "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": password}, &res, http.StatusOK); err != nil {
		return err
	}
	c.token = res.AccessToken
	return nil
}

// backupPoll is how often the CLI asks for a running backup's progress.
var backupPoll = 200 * time.Millisecond

// backup starts a backup on the server and waits for it to finish.
func (c *client) backup(ctx context.Context, includeKey bool, bar func(done, total int64)) (*api.BackupStatus, error) {
	var st api.BackupStatus
	if err := c.do(ctx, "POST", "/api/v1/admin/backup", map[string]bool{"include_key": includeKey}, &st, http.StatusAccepted); err != nil {
		return nil, err
	}
	started := st.Started
	for st.State == "running" {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting (%w); the backup goes on on the server: GET /api/v1/admin/backup shows it", ctx.Err())
		case <-time.After(backupPoll):
		}
		if err := c.do(ctx, "GET", "/api/v1/admin/backup", nil, &st, http.StatusOK); err != nil {
			return nil, err
		}
		if !st.Started.Equal(started) {
			return nil, fmt.Errorf("another backup (started %s by %s) replaced ours in the status; check the server's backup_dir", st.Started, st.StartedBy)
		}
		if bar != nil && st.Phase == "exporting" {
			bar(st.Done, st.Total)
		}
	}
	if st.State != "done" {
		return nil, &nu.Error{Code: backup.CodeIO, Category: backup.Category, Message: "the server's backup failed: " + st.Error,
			Remediation: "see the server's log; check its backup_dir (free space, permissions)"}
	}
	return &st, nil
}
