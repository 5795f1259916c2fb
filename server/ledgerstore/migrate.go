package ledgerstore

import (
	"fmt"

	"github.com/ebios/ebios/core/ledger"
	"github.com/tidwall/buntdb"
	"golang.org/x/mod/sumdb/tlog"
)

// Migrating a store explicitly (ebios ledger migrate).
//
// Open migrates a store of format 2 or 3 when it opens it with its key:
// it marks the store format 4, keeps the checkpoint as it is (format 2's
// meta:checkpoint stays; every batch row written from then on carries its
// own), and the sealer then seals the full tiles of the rows there are.
// None of that signs anything: the checkpoint is not rewritten, and tiles
// are derived data. Migrate does the same without starting the server,
// and so needs no key; given one, it checks that the store was written
// with it, as Open does. It migrates only a store that verifies (Verify),
// seals the tiles there and then, and reopens the store to report the
// format and checkpoint it then has, which must be the one it had.

// TreeHead is a tree size and its Merkle root.
type TreeHead struct {
	Size int64     `json:"size"`
	Root tlog.Hash `json:"root"` // base64 in JSON
}

// MigrateResult says what Migrate did.
type MigrateResult struct {
	// Migrated is false when the store was in the current format already.
	Migrated bool `json:"migrated"`
	// FormatBefore and FormatAfter are the store formats (meta:format).
	FormatBefore string `json:"format_before"`
	FormatAfter  string `json:"format_after"`
	// Before and After are the tree size and root of the store's
	// checkpoint; the migration keeps them.
	Before TreeHead `json:"before"`
	After  TreeHead `json:"after"`
	// Sealed is the number of entries in tile files afterwards.
	Sealed uint64 `json:"sealed"`
	// SealStopped says why sealing stopped before the last full tile, if
	// it did (an entry too long for an entry bundle).
	SealStopped string `json:"seal_stopped,omitempty"`
}

// Migrate brings the store at path to the current store format (4), as
// Open does when it opens it with its key, without signing anything:
// signer may be nil, and when it is not, the store must have been written
// with it (LEDGER_023). A store that is current already is left as it is
// (Migrated false). The store must not be open elsewhere (LEDGER_024) and
// must verify (LEDGER_020, naming the first bad entry: run ebios ledger
// fsck). It recovers an unfinished last write first, as OpenReadOnly does.
func Migrate(path string, signer *ledger.Signer) (*MigrateResult, error) {
	s, err := OpenReadOnly(path)
	if err != nil {
		return nil, err
	}
	defer func() { s.Close() }() // #nosec G104 -- on the error paths; the way through closes s itself and checks that Close, and a second Close is a no-op
	if signer != nil && signer.Verifier().String() != s.VerifierKey() {
		return nil, storeErr(CodeWrongKey, "the ledger store was written with another key", "store key: "+s.VerifierKey()+"; given key: "+signer.Verifier().String(),
			"give the key this store was created with, or no key: migrating signs nothing")
	}
	res := &MigrateResult{FormatBefore: s.format(), Before: s.head(), Sealed: s.seal.Load().Size()}
	if res.FormatBefore == storeFormat {
		res.FormatAfter, res.After = res.FormatBefore, res.Before
		return res, nil
	}
	rep, err := s.Verify(nil)
	if rep == nil || !rep.OK {
		details := ""
		switch {
		case rep != nil && rep.FirstBad != nil:
			details = fmt.Sprintf("entry %d, check %q: %s", rep.FirstBad.Index, rep.FirstBad.Check, rep.FirstBad.Reason)
		case err != nil:
			details = detailsOf(err)
		}
		return nil, storeErr(CodeDamaged, "refusing to migrate a ledger store that does not verify", details,
			"run `ebios ledger fsck` on the data directory to see what is damaged, and migrate once it is clean (a migration changes no entry, but seals them into tile files)")
	}
	// As load does: from now on every batch row carries its checkpoint,
	// and full tiles are sealed. meta:checkpoint stays.
	err = s.update(func(tx *buntdb.Tx) error {
		_, _, err := tx.Set(keyFormat, storeFormat, nil)
		return err
	})
	if err == nil {
		err = s.sync()
	}
	if err != nil {
		return nil, ioErr("migrate the store to format "+storeFormat, err)
	}
	// Seal the full tiles of the rows there are, as the sealer of an open
	// store would.
	for {
		n, err := s.sealRound()
		if err != nil {
			return nil, storeErr(CodeIO, "the store is in format "+storeFormat+" now, but sealing its tiles failed", detailsOf(err),
				"check the disk (space, permissions); the store is consistent, and the server seals the tiles when it opens it")
		}
		if n == 0 {
			break
		}
	}
	if _, stop := s.SealStatus(); stop != nil {
		res.SealStopped = detailsOf(stop)
	}
	if err := s.Close(); err != nil {
		return nil, ioErr("close "+path, err)
	}
	// What is on disk now.
	if s, err = OpenReadOnly(path); err != nil {
		return nil, err
	}
	res.Migrated, res.FormatAfter, res.After, res.Sealed = true, s.format(), s.head(), s.seal.Load().Size()
	if res.After != res.Before {
		return res, damaged(fmt.Sprintf("the checkpoint changed in the migration: tree size %d, root %s before; tree size %d, root %s after", res.Before.Size, res.Before.Root, res.After.Size, res.After.Root))
	}
	return res, nil
}

// format returns the store format the file records.
func (s *Store) format() string {
	var f string
	s.view(func(tx *buntdb.Tx) error { // #nosec G104 -- the view only reads one key of a store open for the whole call, and a missing key reads as ""
		f, _ = tx.Get(keyFormat)
		return nil
	})
	return f
}

// head returns the tree size and root of the store's checkpoint.
func (s *Store) head() TreeHead {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return TreeHead{Size: int64(s.size), Root: s.root} // #nosec G115 -- the store's size is a tree size, below 2^63 (tlog sizes are int64)
}
