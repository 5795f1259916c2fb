package backup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/logstore"
)

// Error codes of this package (category "backup").
const (
	CodeIO       = "BACKUP_001" // a backup or restore could not read or write its files
	CodeInvalid  = "BACKUP_002" // a backup's manifest, files or bundle do not verify
	CodeNotEmpty = "BACKUP_003" // restore into a data directory that is not empty
	CodeKey      = "BACKUP_004" // the signing key given to restore is not the backup's log key
	CodeRollback = "BACKUP_005" // the backup's log is not a prefix of the pinned checkpoint's log
	CodeBusy     = "BACKUP_006" // a backup is already running
)

// Category is the error category of this package.
const Category = "backup"

func berr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: Category, Message: msg, Details: details, Remediation: remedy}
}

// File names inside a backup.
const (
	ManifestFile   = "manifest.json"
	BundleFile     = "ledger.bundle"
	CheckpointFile = "checkpoint"
	UsersFile      = "users.db"
	PoliciesFile   = "policies.db"
	KeyFile        = "ledger.key"
)

// Prefix starts the name of every backup directory; partialPrefix the
// name of one being written.
const (
	Prefix        = "ebios-backup-"
	partialPrefix = ".partial-" + Prefix
)

// Observer is told the outcome of every backup (the server's metrics:
// ebios_backup_last_success_timestamp_seconds, ebios_backup_runs_total).
type Observer interface {
	BackupSucceeded(t time.Time)
	BackupFailed()
}

// Snapshotter writes a consistent copy of a store while it is in use
// (auth.BuntStore and policystore.Store).
type Snapshotter interface {
	Snapshot(w io.Writer) error
}

// Source is what a backup copies: the open stores of a running server, or
// of a stopped data directory opened by the command line.
type Source struct {
	Log      logstore.Log
	Users    Snapshotter
	Policies Snapshotter
	// KeyFile is the log's signing key file, copied only with
	// Options.IncludeKey.
	KeyFile string
}

// Options tune Take.
type Options struct {
	// IncludeKey copies the signing key into the backup. Off by default:
	// the key has a backup procedure of its own (docs/operations.md).
	IncludeKey bool
	// Progress, when not nil, sees the entries exported and verified
	// (done of total, twice: export then verification).
	Progress func(phase string, done, total int64)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Result is a backup that was written.
type Result struct {
	Path     string    `json:"path"`
	Manifest *Manifest `json:"manifest"`
	Duration float64   `json:"seconds"`
}

// Take writes a backup of src into a new directory under dir and returns
// it. Nothing is left under dir when it fails or ctx ends.
func Take(ctx context.Context, dir string, src Source, opts Options) (res *Result, err error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	progress := func(string, int64, int64) {}
	if opts.Progress != nil {
		progress = opts.Progress
	}
	start := now()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, berr(CodeIO, "cannot create the backup directory "+dir, err.Error(), "check the path and its permissions (backup_dir)")
	}
	tmp, err := os.MkdirTemp(dir, partialPrefix)
	if err != nil {
		return nil, berr(CodeIO, "cannot write in the backup directory "+dir, err.Error(), "check its permissions and free space")
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp) // #nosec G104 -- cleanup of a failed backup; the error returned is the one to report
		}
	}()
	m := &Manifest{Format: Format, Version: Version, Created: start.UTC(), Origin: src.Log.Origin(), VerifierKey: src.Log.VerifierKey()}
	write := func(name string, f func(w io.Writer) error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		fe, err := writeFile(filepath.Join(tmp, name), f)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, fe)
		return nil
	}
	// Policies, then users, then the log (see the package comment).
	if err := write(PoliciesFile, src.Policies.Snapshot); err != nil {
		return nil, err
	}
	if err := write(UsersFile, src.Users.Snapshot); err != nil {
		return nil, err
	}
	if err := write(BundleFile, func(w io.Writer) error {
		return src.Log.WriteBundle(ctxWriter{ctx, w}, -1, func(done, total int64) { progress("exporting", done, total) })
	}); err != nil {
		return nil, err
	}
	// Verify what was written, as restore will, and take the checkpoint
	// from the verified bundle.
	v, err := ledger.ParseVerifierKey(m.VerifierKey)
	if err != nil {
		return nil, err
	}
	rep, cp, err := verifyBundleFile(ctx, filepath.Join(tmp, BundleFile), v, m.Origin, func(done, total int64) { progress("verifying", done, total) })
	if err != nil {
		return nil, err
	}
	m.TreeSize, m.Root = rep.TreeSize, b64(rep.Root[:])
	if err := write(CheckpointFile, func(w io.Writer) error { _, err := w.Write(cp); return err }); err != nil {
		return nil, err
	}
	if opts.IncludeKey {
		if src.KeyFile == "" {
			return nil, berr(CodeIO, "no signing key file to include", "", "give the key file, or back up without the key")
		}
		key, err := os.ReadFile(src.KeyFile) // #nosec G304 -- the server's configured key file (ledger.key_file)
		if err != nil {
			return nil, berr(CodeIO, "cannot read the signing key "+src.KeyFile, err.Error(), "check ledger.key_file")
		}
		if err := write(KeyFile, func(w io.Writer) error { _, err := w.Write(key); return err }); err != nil {
			return nil, err
		}
		m.KeyIncluded = true
	}
	// The manifest, last; it does not list itself.
	if _, err := writeFile(filepath.Join(tmp, ManifestFile), m.write); err != nil {
		return nil, err
	}
	if err := syncDir(tmp); err != nil {
		return nil, err
	}
	final := filepath.Join(dir, Prefix+start.UTC().Format(backupTime))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, berr(CodeIO, "cannot move the finished backup into place", err.Error(), "check the backup directory")
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return &Result{Path: final, Manifest: m, Duration: now().Sub(start).Seconds()}, nil
}

// ctxWriter fails writes once ctx ends, so that a long export stops.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// writeFile creates path (0600), fills it with f, syncs it and returns
// its manifest entry.
func writeFile(path string, f func(w io.Writer) error) (File, error) {
	name := filepath.Base(path)
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- a file of the backup being written, in its own temporary directory
	if err != nil {
		return File{}, berr(CodeIO, "cannot create "+name+" in the backup", err.Error(), "check the backup directory")
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(fh, h)}
	bw := bufio.NewWriterSize(cw, 1<<16)
	err = f(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if _, ok := nu.AsError(err); ok || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return File{}, err
		}
		return File{}, berr(CodeIO, "cannot write "+name+" in the backup", err.Error(), "check the free space of the backup directory")
	}
	return File{Name: name, Size: cw.n, SHA256: hexSum(h)}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// syncDir makes the entries of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir) // #nosec G304 -- a directory this package writes
	if err == nil {
		err = d.Sync()
		if cerr := d.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return berr(CodeIO, "cannot sync the directory "+dir, err.Error(), "check the file system")
	}
	return nil
}

// verifyBundleFile verifies the bundle at path against v and origin and
// returns the report and the bundle's checkpoint.
func verifyBundleFile(ctx context.Context, path string, v *ledger.Verifier, origin string, progress func(done, total int64)) (*ledger.Report, []byte, error) {
	f, err := os.Open(path) // #nosec G304 -- the bundle of a backup
	if err != nil {
		return nil, nil, berr(CodeInvalid, "cannot open the backup's bundle", err.Error(), "the backup is incomplete: use another one")
	}
	defer f.Close()
	rep, err := ledger.VerifyBundle(bufio.NewReaderSize(ctxReader{ctx, f}, 1<<16), v, &ledger.VerifyOptions{Origin: origin, Progress: progress})
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	if err == nil && !rep.OK {
		why := "the bundle does not verify"
		if rep.FirstBad != nil {
			why = fmt.Sprintf("entry %d, check %q: %s %s", rep.FirstBad.Index, rep.FirstBad.Check, rep.FirstBad.Code, rep.FirstBad.Reason)
		}
		return nil, nil, berr(CodeInvalid, "the backup's log does not verify", why, "use another backup; keep this one for investigation")
	}
	if err != nil {
		return nil, nil, berr(CodeInvalid, "the backup's log does not verify", err.Error(), "use another backup; keep this one for investigation")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, nil, berr(CodeIO, "cannot read the backup's bundle", err.Error(), "")
	}
	br, err := ledger.NewBundleReader(bufio.NewReader(f))
	if err != nil {
		return nil, nil, berr(CodeInvalid, "cannot read the backup's bundle", err.Error(), "")
	}
	return rep, []byte(br.Header.Checkpoint), nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// b64 is the standard base64 of a hash, as checkpoints write roots.
func b64(h []byte) string { return base64.StdEncoding.EncodeToString(h) }

// isBackupName reports whether name is a finished backup's directory name.
func isBackupName(name string) bool { return strings.HasPrefix(name, Prefix) }
