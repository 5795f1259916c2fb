package backup

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/strictjson"
)

// The manifest's format name and version.
const (
	Format  = "ebios-backup"
	Version = 1
)

// Manifest describes a backup: manifest.json, written last.
type Manifest struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	// Origin and VerifierKey are the log's; TreeSize and Root those of
	// the bundle's checkpoint (the root in standard base64).
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key"`
	TreeSize    int64  `json:"tree_size"`
	Root        string `json:"root"`
	// KeyIncluded says whether the signing key (ledger.key) is in it.
	KeyIncluded bool `json:"key_included"`
	// Files lists every other file of the backup.
	Files []File `json:"files"`
}

// File is one file of a backup, with its size and SHA-256 (hex).
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func (m *Manifest) write(w io.Writer) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// maxManifest bounds the manifest file read.
const maxManifest = 1 << 20

// ReadManifest reads the manifest of the backup in dir, strictly.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	f, err := os.Open(path) // #nosec G304 -- the backup the operator names
	if err != nil {
		return nil, berr(CodeInvalid, "no backup manifest at "+path, err.Error(),
			"give the directory of a finished backup (ebios-backup-...); a directory without manifest.json is not one")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxManifest+1))
	if err == nil && len(b) > maxManifest {
		err = fmt.Errorf("larger than %d bytes", maxManifest)
	}
	var m Manifest
	if err == nil {
		err = strictjson.Unmarshal(b, &m)
	}
	if err == nil && (m.Format != Format || m.Version != Version) {
		err = fmt.Errorf("format %q version %d, this ebios reads %q version %d", m.Format, m.Version, Format, Version)
	}
	if err != nil {
		return nil, berr(CodeInvalid, "the backup manifest "+path+" is not valid", err.Error(), "use another backup, or the ebios version that wrote it")
	}
	return &m, nil
}

// Verify checks the backup in dir: the manifest, the size and SHA-256 of
// every file it lists and that no other file is there, and the bundle
// against the pinned verifier key (the manifest's key when pinned is nil:
// then it proves only that the backup is whole, not whose it is). It
// returns the manifest and the bundle's signed checkpoint.
func Verify(ctx context.Context, dir string, pinned *ledger.Verifier, progress func(done, total int64)) (*Manifest, []byte, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, nil, err
	}
	if err := checkFiles(dir, m); err != nil {
		return nil, nil, err
	}
	if pinned == nil {
		if pinned, err = ledger.ParseVerifierKey(m.VerifierKey); err != nil {
			return nil, nil, berr(CodeInvalid, "the backup manifest's verifier key does not parse", err.Error(), "use another backup")
		}
	} else if pinned.String() != m.VerifierKey {
		return nil, nil, berr(CodeKey, "the backup is of the log signed by "+m.VerifierKey+", not by the pinned key "+pinned.String(), "",
			"restore the backup of your log, or give the key of this one")
	}
	rep, cp, err := verifyBundleFile(ctx, filepath.Join(dir, BundleFile), pinned, m.Origin, progress)
	if err != nil {
		return nil, nil, err
	}
	saved, err := os.ReadFile(filepath.Join(dir, CheckpointFile)) // #nosec G304 -- a file of the backup, listed in its manifest
	if err != nil || string(saved) != string(cp) {
		return nil, nil, berr(CodeInvalid, "the backup's checkpoint file is not its bundle's checkpoint", "", "use another backup")
	}
	if rep.TreeSize != m.TreeSize || b64(rep.Root[:]) != m.Root {
		return nil, nil, berr(CodeInvalid, fmt.Sprintf("the manifest says tree size %d root %s, the bundle's checkpoint size %d root %s",
			m.TreeSize, m.Root, rep.TreeSize, b64(rep.Root[:])), "", "use another backup")
	}
	return m, cp, nil
}

// checkFiles checks that dir holds exactly the manifest's files, with
// their sizes and hashes.
func checkFiles(dir string, m *Manifest) error {
	want := []string{BundleFile, CheckpointFile, UsersFile, PoliciesFile}
	if m.KeyIncluded {
		want = append(want, KeyFile)
	}
	listed := map[string]File{}
	for _, f := range m.Files {
		if !slices.Contains(want, f.Name) {
			return berr(CodeInvalid, "the backup manifest lists an unknown file "+f.Name, "", "use another backup")
		}
		if _, dup := listed[f.Name]; dup {
			return berr(CodeInvalid, "the backup manifest lists "+f.Name+" twice", "", "use another backup")
		}
		listed[f.Name] = f
	}
	for _, name := range want {
		if _, ok := listed[name]; !ok {
			return berr(CodeInvalid, "the backup manifest does not list "+name, "", "use another backup")
		}
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return berr(CodeIO, "cannot list the backup "+dir, err.Error(), "check the path")
	}
	for _, de := range des {
		if _, ok := listed[de.Name()]; !ok && de.Name() != ManifestFile {
			return berr(CodeInvalid, "the backup holds "+de.Name()+", which its manifest does not list", "",
				"remove what was added to the backup, or use another one")
		}
	}
	for _, name := range want {
		f := listed[name]
		size, sum, err := hashFile(filepath.Join(dir, name))
		if err != nil {
			return berr(CodeInvalid, "cannot read "+name+" of the backup", err.Error(), "the backup is incomplete: use another one")
		}
		if size != f.Size || sum != f.SHA256 {
			return berr(CodeInvalid, name+" of the backup is not the file its manifest lists",
				fmt.Sprintf("manifest: %d bytes, SHA-256 %s; file: %d bytes, SHA-256 %s", f.Size, f.SHA256, size, sum),
				"the backup was altered or damaged: use another one")
		}
	}
	return nil
}

func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path) // #nosec G304 -- a file of a backup, listed in its manifest
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return n, hexSum(h), err
}
