package backup

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/strictjson"
	"github.com/ebios/ebios/server/keyfile"
	"github.com/ebios/ebios/server/ledgerstore"
	"golang.org/x/mod/sumdb/tlog"
)

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Signer is the log's signing key: the store is rebuilt with it.
	// When nil, the key in the backup is used (a backup taken with
	// IncludeKey), and written into the data directory as ledger.key.
	Signer *ledger.Signer
	// Pin, when not empty, is a checkpoint of the log newer than (or as
	// new as) the backup, as `ebios ledger checkpoint` prints it, or the
	// JSON answer of GET /api/v1/proofs/consistency or of `ebios ledger
	// consistency --json` (a checkpoint with the proof that an older tree
	// is a prefix of it). See [Restore].
	Pin []byte
	// Progress, when not nil, sees the entries verified, then restored.
	Progress func(phase string, done, total int64)
}

// RestoreResult says what Restore restored.
type RestoreResult struct {
	Manifest   *Manifest `json:"manifest"`
	Checkpoint string    `json:"checkpoint"`
	// PinnedSize is the pinned checkpoint's tree size (0 without a pin);
	// Lost is how many entries the pinned log has that the backup has
	// not: the rollback the restore accepted, proven a prefix.
	PinnedSize int64 `json:"pinned_size"`
	Lost       int64 `json:"lost"`
}

// restoreChunk is how many entries Restore appends per commit.
const restoreChunk = 256

// Restore restores the backup in backupDir into dataDir, which must not
// exist or be empty. It verifies the backup (Verify, pinned to the
// signing key's verifier), checks it against the pinned checkpoint, if
// any, rebuilds the ledger from the bundle and checks that every entry
// and the checkpoint come out as they were, and copies the users and
// policies. Everything is built in a temporary directory next to dataDir
// and renamed into place at the end: on failure nothing is left.
//
// The pin detects a rollback: the backup's log must be a prefix of the
// pinned one. When the pin is no newer than the backup, the restored tree
// at the pin's size must have the pin's root. When it is newer, only a
// consistency proof from the backup's size to the pin can show that the
// backup is its prefix: give the JSON of GET
// /api/v1/proofs/consistency?old=BACKUP_SIZE saved from the live server
// (or an auditor); a bare newer checkpoint is refused, naming both sizes.
func Restore(ctx context.Context, backupDir, dataDir string, opts RestoreOptions) (res *RestoreResult, err error) {
	progress := func(string, int64, int64) {}
	if opts.Progress != nil {
		progress = opts.Progress
	}
	if err := checkEmpty(dataDir); err != nil {
		return nil, err
	}
	signer, keyBytes := opts.Signer, []byte(nil)
	if signer == nil {
		if signer, keyBytes, err = backupKey(backupDir); err != nil {
			return nil, err
		}
	}
	m, cp, err := Verify(ctx, backupDir, signer.Verifier(), func(done, total int64) { progress("verifying", done, total) })
	if err != nil {
		return nil, err
	}
	res = &RestoreResult{Manifest: m, Checkpoint: string(cp)}
	var pin *ledger.Checkpoint
	if len(opts.Pin) > 0 {
		if pin, err = checkPin(opts.Pin, signer.Verifier(), m.Origin, cp, m.TreeSize); err != nil {
			return nil, err
		}
		res.PinnedSize = pin.Size
		if pin.Size > m.TreeSize {
			res.Lost = pin.Size - m.TreeSize
		}
	}

	parent := filepath.Dir(filepath.Clean(dataDir))
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, berr(CodeIO, "cannot create "+parent, err.Error(), "check the path and its permissions")
	}
	tmp, err := os.MkdirTemp(parent, ".restore-")
	if err != nil {
		return nil, berr(CodeIO, "cannot write next to the data directory "+dataDir, err.Error(), "check the permissions and free space of "+parent)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp) // #nosec G104 -- cleanup of a failed restore; the error returned is the one to report
		}
	}()
	if err := rebuildLog(ctx, backupDir, tmp, signer, m, pin, func(done, total int64) { progress("restoring", done, total) }); err != nil {
		return nil, err
	}
	for _, name := range []string{UsersFile, PoliciesFile} {
		if err := copyFile(filepath.Join(backupDir, name), filepath.Join(tmp, name)); err != nil {
			return nil, err
		}
	}
	if keyBytes != nil {
		if _, err := writeFile(filepath.Join(tmp, KeyFile), func(w io.Writer) error { _, err := w.Write(keyBytes); return err }); err != nil {
			return nil, err
		}
	}
	if err := syncDir(tmp); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// dataDir is absent or empty (checked above): an empty one goes, so
	// that the rename can take its place.
	if err := os.Remove(dataDir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, berr(CodeNotEmpty, "cannot replace the empty data directory "+dataDir, err.Error(), "make sure nothing writes into it during the restore")
	}
	if err := os.Rename(tmp, dataDir); err != nil {
		return nil, berr(CodeIO, "cannot move the restored data directory into place", err.Error(), "check "+parent)
	}
	return res, syncDir(parent)
}

// checkEmpty refuses a data directory that holds anything.
func checkEmpty(dir string) error {
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return berr(CodeIO, "cannot read the data directory "+dir, err.Error(), "give an empty directory, or one that does not exist yet")
	}
	if len(des) > 0 {
		return berr(CodeNotEmpty, fmt.Sprintf("the data directory %s is not empty (it holds %s, and %d entries in all)", dir, des[0].Name(), len(des)), "",
			"restore into an empty or new directory; move the old one aside first if it is the one you are replacing")
	}
	return nil
}

// backupKey reads the signing key a backup holds.
func backupKey(dir string) (*ledger.Signer, []byte, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path) // #nosec G304 -- the key of the backup the operator names
	if err != nil {
		return nil, nil, berr(CodeKey, "the backup holds no signing key, and none was given", err.Error(),
			"give the log's signing key (--key FILE): it is backed up apart from the data (docs/operations.md)")
	}
	s, err := keyfile.LoadSigner(path)
	if err != nil {
		return nil, nil, berr(CodeKey, "the signing key in the backup does not parse", err.Error(), "give the log's signing key (--key FILE)")
	}
	return s, b, nil
}

// consistencyJSON is the answer of GET /api/v1/proofs/consistency (the
// proof in hashes) or of `ebios ledger consistency --json` (in proof).
type consistencyJSON struct {
	OldSize    int64    `json:"old_size"`
	NewSize    int64    `json:"new_size"`
	Hashes     []string `json:"hashes,omitempty"`
	Proof      []string `json:"proof,omitempty"`
	Checkpoint string   `json:"checkpoint"`
}

// checkPin opens the pinned checkpoint and, when it is newer than the
// backup's checkpoint cp, checks the proof that comes with it.
func checkPin(pinFile []byte, v *ledger.Verifier, origin string, cp []byte, size int64) (*ledger.Checkpoint, error) {
	text, proof := pinFile, tlog.TreeProof(nil)
	var cj *consistencyJSON
	if t := bytes.TrimSpace(pinFile); len(t) > 0 && t[0] == '{' {
		cj = new(consistencyJSON)
		if err := strictjson.Unmarshal(t, cj); err != nil {
			return nil, berr(CodeRollback, "the pinned file is not the JSON of GET /api/v1/proofs/consistency", err.Error(),
				"pin a checkpoint (ebios ledger checkpoint) or that endpoint's answer")
		}
		text = []byte(cj.Checkpoint)
		for _, h := range append(cj.Hashes, cj.Proof...) {
			raw, err := base64.StdEncoding.DecodeString(h)
			if err != nil || len(raw) != tlog.HashSize {
				return nil, berr(CodeRollback, "the pinned consistency proof has a hash that is not 32 bytes of base64", h, "save the endpoint's answer as it came")
			}
			proof = append(proof, tlog.Hash(raw))
		}
	}
	pin, err := ledger.OpenCheckpoint(text, v, origin)
	if err != nil {
		return nil, err
	}
	if pin.Size <= size {
		return &pin, nil // checked against the restored tree (rebuildLog)
	}
	if cj == nil || cj.OldSize != size || cj.NewSize != pin.Size {
		return nil, berr(CodeRollback, fmt.Sprintf("the backup holds %d entries, the pinned checkpoint %d: restoring it rolls the log back by %d entries, and nothing proves the backup is a prefix of the pinned log",
			size, pin.Size, pin.Size-size), "",
			fmt.Sprintf("pin the answer of GET /api/v1/proofs/consistency?old=%d (from the live server or an auditor) to prove it, restore a newer backup, or restore without --pin-checkpoint to accept an unproven rollback", size))
	}
	if _, err := ledger.VerifyConsistency(v, origin, cp, text, proof); err != nil {
		return nil, berr(CodeRollback, fmt.Sprintf("the backup's log (%d entries) is not a prefix of the pinned log (%d entries): the log forked", size, pin.Size),
			err.Error(), "do not serve this backup as the log: keep both for investigation and tell the auditors")
	}
	return &pin, nil
}

// rebuildLog appends the bundle's entries to a new store in dir and
// checks that the store is the backup's log.
func rebuildLog(ctx context.Context, backupDir, dir string, signer *ledger.Signer, m *Manifest, pin *ledger.Checkpoint, progress func(done, total int64)) error {
	f, err := os.Open(filepath.Join(backupDir, BundleFile)) // #nosec G304 -- the bundle of a backup just verified
	if err != nil {
		return berr(CodeIO, "cannot open the backup's bundle", err.Error(), "")
	}
	defer f.Close()
	br, err := ledger.NewBundleReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return berr(CodeInvalid, "cannot read the backup's bundle", err.Error(), "")
	}
	st, err := ledgerstore.Open(filepath.Join(dir, "ledger.db"), signer, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	if st.Origin() != m.Origin {
		return berr(CodeKey, "the signing key names the log "+st.Origin()+", the backup holds "+m.Origin, "", "give the key of this backup's log")
	}
	var want []*ledger.Entry
	var done int64
	flush := func() error {
		if len(want) == 0 {
			return nil
		}
		ds := make([]ledger.Draft, len(want))
		for i, e := range want {
			ds[i] = e.Draft
		}
		got, err := st.AppendBatch(ctx, ds)
		if err != nil {
			return err
		}
		for i, e := range got {
			if e.Index != want[i].Index || e.Signature != want[i].Signature || e.PrevHash != want[i].PrevHash {
				return berr(CodeInvalid, fmt.Sprintf("entry %d restores differently from the backup", want[i].Index), "",
					"the backup's entries were not all signed by this key and store: use the key of this log, or another backup")
			}
		}
		done += int64(len(got))
		progress(done, m.TreeSize)
		want = want[:0]
		return nil
	}
	for {
		e, err := br.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return berr(CodeInvalid, "cannot read the backup's bundle", err.Error(), "")
		}
		if want = append(want, e); len(want) == restoreChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	c, err := ledger.OpenCheckpoint(st.Checkpoint(), signer.Verifier(), m.Origin)
	if err != nil {
		return err
	}
	if c.Size != m.TreeSize || b64(c.Root[:]) != m.Root {
		return berr(CodeInvalid, fmt.Sprintf("the restored log has size %d root %s, the backup size %d root %s", c.Size, b64(c.Root[:]), m.TreeSize, m.Root), "", "use another backup")
	}
	if pin != nil && pin.Size <= c.Size {
		h, err := st.TreeHash(pin.Size)
		if err != nil {
			return err
		}
		if h != pin.Root {
			return berr(CodeRollback, fmt.Sprintf("the pinned checkpoint (%d entries) is not a prefix of the backup's log (%d entries): the log forked", pin.Size, c.Size), "",
				"do not serve this backup as the log: keep both for investigation and tell the auditors")
		}
	}
	return st.Close()
}

// copyFile copies a backup's file into the data directory being built.
func copyFile(from, to string) error {
	in, err := os.Open(from) // #nosec G304 -- a file of a backup just verified
	if err != nil {
		return berr(CodeIO, "cannot read "+from, err.Error(), "")
	}
	defer in.Close()
	_, err = writeFile(to, func(w io.Writer) error { _, err := io.Copy(w, in); return err })
	return err
}
