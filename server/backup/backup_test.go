package backup

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/policystore"
)

// fixture is a data directory with its stores open, as a server has it.
type fixture struct {
	dir     string
	keyFile string
	signer  *ledger.Signer
	log     *ledgerstore.Store
	users   *auth.BuntStore
	pols    *policystore.Store
}

func (f *fixture) source() Source {
	return Source{Log: f.log, Users: f.users, Policies: f.pols, KeyFile: f.keyFile}
}

func newSigner(t *testing.T, keyFile string) *ledger.Signer {
	t.Helper()
	skey, _, err := ledger.GenerateKey(rand.Reader, "backup.example/log")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(skey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := ledger.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newFixture makes a data directory with n entries and one user.
func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	f := &fixture{dir: filepath.Join(t.TempDir(), "data"), keyFile: filepath.Join(t.TempDir(), "ledger.key")}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f.signer = newSigner(t, f.keyFile)
	var err error
	if f.log, err = ledgerstore.Open(filepath.Join(f.dir, "ledger.db"), f.signer, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.log.Close() })
	if f.users, err = auth.OpenBuntStore(filepath.Join(f.dir, "users.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.users.Close() })
	if err := f.users.CreateUser(context.Background(), &auth.User{Name: "alice", Role: auth.RoleAdmin, PasswordHash: "$argon2id$fake", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if f.pols, _, err = policystore.Open(filepath.Join(f.dir, "policies.db"), nil, f.log); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.pols.Close() })
	f.append(t, n)
	return f
}

var opSeq atomic.Int64

func (f *fixture) append(t *testing.T, n int) {
	t.Helper()
	v := nu.MustNew(1.5, 0.1)
	ds := make([]ledger.Draft, 0, 100)
	for i := range n {
		ds = append(ds, ledger.Draft{OpID: "op-" + strconv.FormatInt(opSeq.Add(1), 10), Operation: "add", Mode: ledger.ModeNU, Inputs: []nu.Value{v, v},
			Output: &v, Coverage: nu.Float(v.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true}})
		if len(ds) == cap(ds) || i == n-1 {
			if _, err := f.log.AppendBatch(context.Background(), ds); err != nil {
				t.Fatal(err)
			}
			ds = ds[:0]
		}
	}
}

func code(err error) string {
	if e, ok := nu.AsError(err); ok {
		return e.Code
	}
	return ""
}

func take(t *testing.T, f *fixture, opts Options) *Result {
	t.Helper()
	res, err := Take(context.Background(), filepath.Join(filepath.Dir(f.dir), "backups"), f.source(), opts)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return res
}

// TestTakeRestoreRoundTrip: a backup of a log that spans sealed tiles
// restores to the same checkpoint, the same entries and the same users,
// and the restored store takes new appends.
func TestTakeRestoreRoundTrip(t *testing.T) {
	f := newFixture(t, 700) // two sealed tiles and a partial one
	var phases = map[string]bool{}
	res := take(t, f, Options{Progress: func(p string, _, _ int64) { phases[p] = true }})
	if !phases["exporting"] || !phases["verifying"] {
		t.Errorf("progress saw phases %v, want exporting and verifying", phases)
	}
	m := res.Manifest
	if m.TreeSize != 700 || m.KeyIncluded || len(m.Files) != 4 {
		t.Fatalf("manifest: size %d, key %v, %d files; want 700, false, 4", m.TreeSize, m.KeyIncluded, len(m.Files))
	}
	if _, err := os.Stat(filepath.Join(res.Path, KeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the signing key is in a backup that did not ask for it (%v)", err)
	}
	f.append(t, 10) // after the backup: not in it

	target := filepath.Join(t.TempDir(), "restored")
	rr, err := Restore(context.Background(), res.Path, target, RestoreOptions{Signer: f.signer})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if rr.Checkpoint != string(mustRead(t, filepath.Join(res.Path, CheckpointFile))) {
		t.Errorf("restore reports checkpoint %q, the backup has another", rr.Checkpoint)
	}
	st, err := ledgerstore.Open(filepath.Join(target, "ledger.db"), f.signer, nil)
	if err != nil {
		t.Fatalf("the restored store does not open: %v", err)
	}
	defer st.Close()
	if got := string(st.Checkpoint()); got != rr.Checkpoint {
		t.Errorf("restored checkpoint\n%s\nwant the backup's\n%s", got, rr.Checkpoint)
	}
	for _, i := range []uint64{0, 255, 256, 511, 699} {
		a, _ := f.log.Get(i)
		b, err := st.Get(i)
		if err != nil || a.Signature != b.Signature || a.OpID != b.OpID || a.Timestamp != b.Timestamp {
			t.Errorf("entry %d differs after restore (err %v)", i, err)
		}
	}
	if rep, _ := st.Verify(nil); !rep.OK {
		t.Errorf("the restored store does not verify: %+v", rep.FirstBad)
	}
	if _, err := st.Append(context.Background(), ledger.Draft{OpID: "after-restore", Operation: "note", Invariant: ledger.Invariant{OK: true}}); err != nil {
		t.Errorf("the restored store refuses an append: %v", err)
	}
	us, err := auth.OpenBuntStore(filepath.Join(target, UsersFile))
	if err != nil {
		t.Fatal(err)
	}
	defer us.Close()
	if u, err := us.GetUser(context.Background(), "alice"); err != nil || u.Role != auth.RoleAdmin || u.PasswordHash != "$argon2id$fake" {
		t.Errorf("user alice after restore: %+v, %v", u, err)
	}
	if _, err := os.Stat(filepath.Join(target, PoliciesFile)); err != nil {
		t.Errorf("policies.db not restored: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIncludeKey: with IncludeKey the key is in the backup, and restore
// without a key takes it from there into the data directory.
func TestIncludeKey(t *testing.T) {
	f := newFixture(t, 3)
	res := take(t, f, Options{IncludeKey: true})
	if !res.Manifest.KeyIncluded {
		t.Fatal("manifest says the key is not included")
	}
	target := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(context.Background(), res.Path, target, RestoreOptions{}); err != nil {
		t.Fatalf("Restore with the backup's key: %v", err)
	}
	if string(mustRead(t, filepath.Join(target, KeyFile))) != string(mustRead(t, f.keyFile)) {
		t.Error("the restored ledger.key is not the log's key")
	}
}

// TestVerifyRefusesDamage: every kind of damage to a backup is found and
// named, and a restore of it writes nothing.
func TestVerifyRefusesDamage(t *testing.T) {
	f := newFixture(t, 300)
	other := newSigner(t, filepath.Join(t.TempDir(), "other.key"))
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string)
		signer *ledger.Signer
		code   string
		msg    string
	}{
		{"bundle byte flipped", func(t *testing.T, dir string) { flip(t, filepath.Join(dir, BundleFile), 400) }, f.signer, CodeInvalid, "ledger.bundle of the backup is not the file"},
		{"users.db removed", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, UsersFile)) }, f.signer, CodeInvalid, "cannot read users.db"},
		{"file added", func(t *testing.T, dir string) { os.WriteFile(filepath.Join(dir, "extra"), []byte("x"), 0o600) }, f.signer, CodeInvalid, "which its manifest does not list"},
		{"manifest missing", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, ManifestFile)) }, f.signer, CodeInvalid, "no backup manifest"},
		{"manifest unknown member", func(t *testing.T, dir string) {
			p := filepath.Join(dir, ManifestFile)
			os.WriteFile(p, []byte(strings.Replace(string(mustRead(t, p)), "{", `{"extra": 1,`, 1)), 0o600)
		}, f.signer, CodeInvalid, "is not valid"},
		{"bundle and manifest rewritten", func(t *testing.T, dir string) {
			// A consistent forgery: the bundle changed and the manifest
			// updated to match. Only the signatures catch it.
			p := filepath.Join(dir, BundleFile)
			flip(t, p, 2000)
			m, _ := ReadManifest(dir)
			for i := range m.Files {
				if m.Files[i].Name == BundleFile {
					m.Files[i].Size, m.Files[i].SHA256, _ = hashFile(p)
				}
			}
			w, _ := os.Create(filepath.Join(dir, ManifestFile))
			m.write(w)
			w.Close()
		}, f.signer, CodeInvalid, "does not verify"},
		{"another log's key", func(*testing.T, string) {}, other, CodeKey, "not by the pinned key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := take(t, f, Options{})
			c.damage(t, res.Path)
			target := filepath.Join(t.TempDir(), "restored")
			_, err := Restore(context.Background(), res.Path, target, RestoreOptions{Signer: c.signer})
			if code(err) != c.code || err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("Restore: %v; want %s containing %q", err, c.code, c.msg)
			}
			if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused restore created %s", target)
			}
			assertNoLeftovers(t, filepath.Dir(target))
		})
	}
}

func flip(t *testing.T, path string, at int) {
	t.Helper()
	b := mustRead(t, path)
	b[at] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func assertNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".") {
			t.Errorf("left behind: %s", filepath.Join(dir, de.Name()))
		}
	}
}

// TestRestoreRefusesNonEmptyDir: a data directory with anything in it is
// refused and left as it was.
func TestRestoreRefusesNonEmptyDir(t *testing.T) {
	f := newFixture(t, 2)
	res := take(t, f, Options{})
	target := t.TempDir()
	os.WriteFile(filepath.Join(target, "ledger.db"), []byte("old"), 0o600)
	_, err := Restore(context.Background(), res.Path, target, RestoreOptions{Signer: f.signer})
	if code(err) != CodeNotEmpty || !strings.Contains(err.Error(), "ledger.db") {
		t.Fatalf("Restore into a non-empty directory: %v; want %s naming ledger.db", err, CodeNotEmpty)
	}
	if string(mustRead(t, filepath.Join(target, "ledger.db"))) != "old" {
		t.Error("the non-empty directory was changed")
	}
	// An empty existing directory is fine.
	empty := t.TempDir()
	if _, err := Restore(context.Background(), res.Path, empty, RestoreOptions{Signer: f.signer}); err != nil {
		t.Fatalf("Restore into an empty directory: %v", err)
	}
}

// TestRestorePin: the backup's log must be a prefix of the pinned one.
func TestRestorePin(t *testing.T) {
	f := newFixture(t, 300)
	older := f.log.Checkpoint() // size 300
	res := take(t, f, Options{})
	f.append(t, 50)
	newer := f.log.Checkpoint() // size 350
	proof, err := f.log.ConsistencyProof(300, 350)
	if err != nil {
		t.Fatal(err)
	}
	hs := make([]string, len(proof))
	for i, h := range proof {
		hs[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	withProof, _ := json.Marshal(map[string]any{"old_size": 300, "new_size": 350, "hashes": hs, "checkpoint": string(newer)})
	badProof, _ := json.Marshal(map[string]any{"old_size": 300, "new_size": 350, "hashes": hs[1:], "checkpoint": string(newer)})

	// A fork: another log under the same key with other entries.
	fork := newFixture(t, 0)
	fork.log.Close()
	os.RemoveAll(fork.dir)
	st, err := ledgerstore.Open(filepath.Join(t.TempDir(), "ledger.db"), f.signer, nil)
	if err != nil {
		t.Fatal(err)
	}
	fork.log = st
	fork.append(t, 200)
	forked := st.Checkpoint()
	st.Close()

	cases := []struct {
		name string
		pin  []byte
		code string
		msg  string
		lost int64
	}{
		{"same checkpoint", older, "", "", 0},
		{"newer with its consistency proof", withProof, "", "", 50},
		{"newer without a proof", newer, CodeRollback, "the backup holds 300 entries, the pinned checkpoint 350", 0},
		{"newer with a wrong proof", badProof, CodeRollback, "is not a prefix of the pinned log (350 entries)", 0},
		{"older checkpoint of a fork", forked, CodeRollback, "the pinned checkpoint (200 entries) is not a prefix of the backup's log (300 entries)", 0},
		{"not a checkpoint", []byte("hello\n"), ledger.CodeCheckpoint, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "restored")
			rr, err := Restore(context.Background(), res.Path, target, RestoreOptions{Signer: f.signer, Pin: c.pin})
			if c.code == "" {
				if err != nil {
					t.Fatalf("Restore: %v", err)
				}
				if rr.Lost != c.lost {
					t.Errorf("lost %d entries, want %d", rr.Lost, c.lost)
				}
				return
			}
			if code(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("Restore: %v; want %s containing %q", err, c.code, c.msg)
			}
			if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused restore created %s", target)
			}
			assertNoLeftovers(t, filepath.Dir(target))
		})
	}
}

// TestTakeCancelled: a cancelled backup leaves nothing in the directory.
func TestTakeCancelled(t *testing.T) {
	f := newFixture(t, 600)
	dir := filepath.Join(t.TempDir(), "backups")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Take(ctx, dir, f.source(), Options{Progress: func(string, int64, int64) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Take cancelled: %v, want context.Canceled", err)
	}
	if des, _ := os.ReadDir(dir); len(des) != 0 {
		t.Errorf("a cancelled backup left %d entries in %s", len(des), dir)
	}
}

type countingObserver struct{ ok, failed atomic.Int32 }

func (o *countingObserver) BackupSucceeded(time.Time) { o.ok.Add(1) }
func (o *countingObserver) BackupFailed()             { o.failed.Add(1) }

// TestRunnerRetention: the runner keeps the newest backups, removes what
// a failed backup left, reports outcomes to its observer, and runs one
// backup at a time.
func TestRunnerRetention(t *testing.T) {
	f := newFixture(t, 5)
	dir := filepath.Join(t.TempDir(), "backups")
	os.MkdirAll(filepath.Join(dir, partialPrefix+"crashed"), 0o700)
	obs := &countingObserver{}
	r := NewRunner(context.Background(), dir, 2, f.source(), obs, nil)
	var paths []string
	for range 3 {
		res, err := r.Run("test", false)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, res.Path)
		time.Sleep(2 * time.Millisecond) // names have millisecond resolution
	}
	got, _ := List(dir)
	if len(got) != 2 || got[0] != paths[1] || got[1] != paths[2] {
		t.Errorf("kept %v, want the newest two of %v", got, paths)
	}
	if des, _ := os.ReadDir(dir); len(des) != 2 {
		t.Errorf("the backup directory holds %d entries, want 2 (the partial one removed)", len(des))
	}
	if st := r.BackupStatus(); st.State != "done" || st.TreeSize != 5 || st.Path != paths[2] {
		t.Errorf("status %+v", st)
	}
	// A failure: the log store is closed.
	f.log.Close()
	if _, err := r.Run("test", false); err == nil {
		t.Error("a backup of a closed store succeeded")
	}
	if obs.ok.Load() != 3 || obs.failed.Load() != 1 {
		t.Errorf("observer saw %d successes and %d failures, want 3 and 1", obs.ok.Load(), obs.failed.Load())
	}
	if got, _ := List(dir); len(got) != 2 {
		t.Errorf("a failed backup changed the kept backups: %v", got)
	}
	if st := r.BackupStatus(); st.State != "failed" || st.Error == "" || st.LastSuccess.IsZero() {
		t.Errorf("status after a failure %+v", st)
	}
	// One at a time.
	r.mu.Lock()
	r.status.State = "running"
	r.mu.Unlock()
	if _, err := r.StartBackup("bob", false); code(err) != CodeBusy {
		t.Errorf("a second backup while one runs: %v, want %s", err, CodeBusy)
	}
}

// TestScheduleFirstTurn: the first scheduled backup is due an interval
// after the newest one in the directory, and after StartDelay (here 0)
// when there is none.
func TestScheduleFirstTurn(t *testing.T) {
	defer func(d time.Duration) { StartDelay = d }(StartDelay)
	StartDelay = 0
	f := newFixture(t, 1)
	dir := filepath.Join(t.TempDir(), "backups")
	cases := []struct {
		name     string
		existing time.Duration // age of a backup already there; < 0 for none
		interval time.Duration
		wantRun  bool
	}{
		{"no backup yet", -1, time.Hour, true},
		{"the last is older than the interval", 2 * time.Hour, time.Hour, true},
		{"the last is recent", time.Minute, time.Hour, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.RemoveAll(dir)
			os.MkdirAll(dir, 0o700)
			if c.existing >= 0 {
				os.Mkdir(filepath.Join(dir, Prefix+time.Now().Add(-c.existing).UTC().Format(backupTime)), 0o700)
			}
			obs := &countingObserver{}
			ctx, cancel := context.WithCancel(context.Background())
			r := NewRunner(ctx, dir, 0, f.source(), obs, nil)
			done := make(chan struct{})
			go func() { r.Schedule(ctx, c.interval); close(done) }()
			wait := 300 * time.Millisecond // long enough to see a backup that should not start
			if c.wantRun {
				wait = 10 * time.Second // the backup itself may take a while on a busy machine
			}
			deadline := time.Now().Add(wait)
			for obs.ok.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			<-done
			r.Wait()
			if got := obs.ok.Load() > 0; got != c.wantRun {
				t.Errorf("a backup at start: %v, want %v", got, c.wantRun)
			}
		})
	}
}

// TestSchedule: the schedule takes backups at its interval, keeps
// backup_keep of them, and stops with its context.
func TestSchedule(t *testing.T) {
	defer func(d time.Duration) { StartDelay = d }(StartDelay)
	StartDelay = 0
	f := newFixture(t, 5)
	dir := filepath.Join(t.TempDir(), "backups")
	obs := &countingObserver{}
	ctx, cancel := context.WithCancel(context.Background())
	r := NewRunner(ctx, dir, 1, f.source(), obs, nil)
	done := make(chan struct{})
	go func() { r.Schedule(ctx, 50*time.Millisecond); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for obs.ok.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	r.Wait()
	if n := obs.ok.Load(); n < 3 || obs.failed.Load() != 0 {
		t.Fatalf("the schedule took %d backups (%d failed), want at least 3", n, obs.failed.Load())
	}
	got, _ := List(dir)
	if len(got) != 1 {
		t.Fatalf("kept %v, want only the last backup", got)
	}
	if _, _, err := Verify(context.Background(), got[0], f.signer.Verifier(), nil); err != nil {
		t.Errorf("the backup kept does not verify: %v", err)
	}
	if st := r.BackupStatus(); st.StartedBy != "schedule" {
		t.Errorf("started by %q, want schedule", st.StartedBy)
	}
	if des, _ := os.ReadDir(dir); len(des) != 1 {
		t.Errorf("the backup directory holds %d entries after the schedule stopped, want 1 (nothing half-written)", len(des))
	}
}
