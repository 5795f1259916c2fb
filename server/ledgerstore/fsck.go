package ledgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/filelock"
	"github.com/tidwall/buntdb"
	"golang.org/x/mod/sumdb/tlog"
)

// Fsck: checking a store that may not open (ebios ledger fsck).
//
// Open refuses a damaged store at the first thing it finds wrong, and it
// repairs what a crash leaves as it goes; Fsck looks at everything and
// changes nothing unless asked. It never opens the store: it takes the
// store's file lock, copies ledger.db to a temporary file and examines the
// copy (repairTail and BuntDB's load may change the file they read: here
// they change the copy), and reads the tile files in place, through
// functions that only read. Each damaged thing is one finding, which
// names it (the byte of ledger.db, the batch row, the tile file, the
// entry), says whether it is recoverable and what --repair does about it,
// or what to do instead.
//
// What Fsck checks, in order, with what Open checks and a little more:
//
//   - the file's tail: the bytes after the last complete command must be
//     a torn write (tail.go); when they are not, the commands before them
//     are examined;
//   - the metadata (format, origin, verifier key), and for format 2 the
//     last commit (recoverLegacy, run on the copy);
//   - the batch rows: each parses, none overlaps another, no entry between
//     meta:sealed and the last row is missing (a deleted row is named),
//     and rows wholly below meta:sealed are the leftovers of a crash;
//   - the checkpoint: the last row's, which must verify against the store's
//     key (meta:verifier) and end where the row ends, and meta:checkpoint,
//     which must verify and not be ahead of it; meta:sealed must not be
//     ahead of it either;
//   - every sealed tile: its entry bundle reads, and its entries decode and
//     have their index; its level-0 hash tile holds their hashes; each full
//     hash tile of a higher level holds the roots of the tiles below it;
//   - the Merkle root: the entry bundles (or, for a bundle that is lost,
//     the batch rows it was sealed from) and the hashes stored in the
//     batch rows must give the checkpoint's root. When they do, the
//     checkpoint proves every bundle, and a hash tile that differs from
//     its bundle is the altered one; when they do not, but do with the
//     hash tiles of the tiles in question, those bundles are the altered
//     ones;
//   - the batch rows' entries, tree hashes and checkpoints (checkRows), the
//     last entry's signature, and the op ids: no op id twice, and every
//     parent op id that of an earlier entry.
//
// Repair (FsckOptions.Repair) does only what opening the store does
// anyway, and only what the checks proved safe: it cuts a torn tail
// (repairTail), finishes an unfinished format-2 commit (recoverLegacy),
// removes temporary files, rewrites a tile file that is missing, cut or
// altered from the data the checkpoint proves (a hash tile from its entry
// bundle, a bundle from the batch rows it was sealed from, a hash tile of
// a higher level from the tiles below it: rebuildTile), and deletes the
// batch rows a crash left below meta:sealed once every sealed tile is
// whole. It never deletes an acknowledged entry, never writes a
// checkpoint and never migrates. Then it checks again; what remains is
// reported.

// Kinds of finding (FsckFinding.Kind).
const (
	// FindingTailTorn: ledger.db ends inside an unfinished write.
	FindingTailTorn = "tail-torn"
	// FindingTailDamaged: ledger.db holds bytes that are no command and
	// not the tail of a write.
	FindingTailDamaged = "tail-damaged"
	// FindingFile: ledger.db is missing or BuntDB cannot load it.
	FindingFile = "file"
	// FindingMetadata: the store's format, origin or verifier key is
	// missing or wrong.
	FindingMetadata = "metadata"
	// FindingUnfinishedCommit: a format-2 commit was cut short.
	FindingUnfinishedCommit = "unfinished-commit"
	// FindingCheckpoint: a checkpoint does not verify, or is ahead of the
	// data.
	FindingCheckpoint = "checkpoint"
	// FindingSealed: meta:sealed is malformed or ahead of the checkpoint.
	FindingSealed = "sealed"
	// FindingRow: a batch row cannot be parsed, overlaps another, or
	// holds an entry, tree hash or checkpoint that does not check.
	FindingRow = "row"
	// FindingRowsMissing: entries that are neither sealed nor in a batch
	// row.
	FindingRowsMissing = "rows-missing"
	// FindingRowsLeftover: batch rows below meta:sealed, which a crash
	// left.
	FindingRowsLeftover = "rows-leftover"
	// FindingTileMissing: a sealed tile file is missing.
	FindingTileMissing = "tile-missing"
	// FindingTileDamaged: a sealed tile file cannot be read, is cut, or
	// holds an entry that does not decode.
	FindingTileDamaged = "tile-damaged"
	// FindingTileMismatch: a tile file does not match the tiles it is
	// derived from or that are derived from it.
	FindingTileMismatch = "tile-mismatch"
	// FindingRoot: the stored data does not give the checkpoint's root.
	FindingRoot = "root"
	// FindingLastEntry: the last entry does not verify.
	FindingLastEntry = "last-entry"
	// FindingOpID: an op id is in the log twice.
	FindingOpID = "op-id"
	// FindingParentOpID: a parent op id names no earlier entry.
	FindingParentOpID = "parent-op-id"
	// FindingTempFiles: temporary files a crash left.
	FindingTempFiles = "temp-files"
)

// FsckOptions tune Fsck. The zero value checks and changes nothing.
type FsckOptions struct {
	// Repair repairs what is safe (see Fsck), then checks again.
	Repair bool
	// Progress, when set, is called as the sealed tiles are checked.
	Progress func(done, total int64)
}

// FsckReport is what Fsck found and, with Repair, repaired.
type FsckReport struct {
	// OK is set when no finding remains.
	OK bool `json:"ok"`
	// Path is the BuntDB file checked.
	Path string `json:"path"`
	// Format is the store format (meta:format), when it could be read.
	Format string `json:"format,omitempty"`
	// Size is the tree size of the checkpoint that commits the store, 0
	// when no checkpoint verifies.
	Size uint64 `json:"size"`
	// Sealed is the number of entries sealed into tile files (meta:sealed).
	Sealed uint64 `json:"sealed"`
	// Findings are the damaged things that remain, one each, in the order
	// they were checked.
	Findings []FsckFinding `json:"findings"`
	// Repaired says what Repair did, one sentence per repair.
	Repaired []string `json:"repaired,omitempty"`
	// Skipped names the checks that could not run, and why (an earlier
	// finding).
	Skipped []string `json:"skipped,omitempty"`
}

// FsckFinding is one damaged thing.
type FsckFinding struct {
	// Kind is one of the Finding constants.
	Kind string `json:"kind"`
	// Where names the damaged thing: "ledger.db byte 1234", "ledger.db row
	// b:00000000000000000256", "ledger.db key meta:sealed",
	// "tile/entries/003", "tile-tmp/".
	Where string `json:"where"`
	// Index is the first entry concerned, when there is one.
	Index *uint64 `json:"index,omitempty"`
	// What says what is wrong.
	What string `json:"what"`
	// Recoverable is set when --repair repairs it (possibly after what it
	// repairs first) without losing an acknowledged entry.
	Recoverable bool `json:"recoverable"`
	// Action says what --repair does about it or, when it is not
	// recoverable, what to do instead.
	Action string `json:"action"`

	fix  fixKind
	tile tlog.Tile // for fixTile
}

// fixKind is what Repair does for a finding.
type fixKind int

const (
	fixNone      fixKind = iota
	fixTail              // cut the torn tail (repairTail)
	fixLegacy            // finish the format-2 commit (recoverLegacy)
	fixTemps             // remove tile-tmp/ and ledger.db.compact
	fixTile              // rebuild the tile (rebuildTile)
	fixLeftovers         // delete the rows below meta:sealed
)

// restoreAction is what to do about damage that cannot be repaired.
const restoreAction = "restore the data directory (ledger.db and tile/ together) from a backup made while no ebios process had it open; " +
	"keep a copy of this one for investigation, and never edit the store by hand"

// fsckRounds caps the rounds of repairing and checking again (a repair
// can make another possible: rows go once the tiles they rebuilt are
// whole).
const fsckRounds = 3

// Fsck checks the store at path (a ledger.db, with the tile directory
// next to it) and reports every damaged thing it finds; it works on
// stores that Open refuses. Without opts.Repair it changes nothing (it
// examines a copy of ledger.db, in the system's temporary directory). With
// it, it repairs what is safe (see the top of this file) and checks again,
// up to three rounds; the report is that of the last check, with what was
// repaired. It returns an error only when it cannot check: no store at
// path (LEDGER_017), the store in use (LEDGER_024), or a read or write
// failing (LEDGER_021); damage is in the report. With Repair, a report can
// come back with an error: what was repaired before the failure.
func Fsck(path string, opts *FsckOptions) (*FsckReport, error) {
	if opts == nil {
		opts = &FsckOptions{}
	}
	if _, err := os.Stat(path); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, ioErr("stat "+path, err)
		}
		tiles := filepath.Join(tileDirOf(path), "tile")
		if _, terr := os.Stat(tiles); terr != nil {
			return nil, storeErr(ledger.CodeNotFound, "no ledger store at "+path, "neither "+path+" nor "+tiles+" exists",
				"give the data directory of an existing log (--data-dir DIR: the directory that holds ledger.db and tile/)")
		}
		return &FsckReport{Path: path, Findings: []FsckFinding{{Kind: FindingFile, Where: filepath.Base(path),
			What:   "the BuntDB file is missing, but the tile directory " + tiles + " is there: the store's metadata, checkpoints and latest entries are lost",
			Action: restoreAction}}}, nil
	}
	lock, err := filelock.Acquire(path)
	if errors.Is(err, filelock.ErrLocked) {
		return nil, storeErr(CodeInUse, "the ledger store "+path+" is in use by another process", "",
			"stop the server (or the other ebios command) first: fsck needs the store to itself")
	}
	if err != nil {
		return nil, ioErr("lock "+path, err)
	}
	defer lock.Unlock()
	var repaired []string
	for round := 0; ; round++ {
		rep, err := fsckCheck(path, opts.Progress)
		if rep != nil {
			rep.Repaired = repaired
		}
		if err != nil || !opts.Repair || round == fsckRounds || !rep.fixable() {
			return rep, err
		}
		did, err := fsckRepair(path, rep)
		repaired = append(repaired, did...)
		if err != nil {
			rep.Repaired = repaired
			return rep, err
		}
		if len(did) == 0 {
			return rep, nil
		}
	}
}

func (r *FsckReport) fixable() bool {
	for _, f := range r.Findings {
		if f.fix != fixNone {
			return true
		}
	}
	return false
}

// fsckChecker is one check of a store (fsckCheck).
type fsckChecker struct {
	path     string // the store's BuntDB file, as findings name it
	work     string // the copy the checks read
	dir      string // the directory holding tile/
	s        *Store // on work, with the tile files of dir; never opened
	readErr  error  // the first read of the copy that failed (view)
	rep      *FsckReport
	progress func(done, total int64)

	tail   fileTail
	format string

	sealed   uint64 // meta:sealed
	sealedOK bool   // meta:sealed is well-formed and not ahead of the checkpoint
	rows     []rowSpan
	rowsOK   bool // every row parses, none overlaps, none is missing
	rowsEnd  uint64

	c        ledger.Checkpoint // the checkpoint that commits the store
	cpOK     bool              // c verifies
	rootable bool              // the data can be checked against c's root

	tileTrouble bool   // a sealed tile file has a finding
	lastHashes  []byte // the hashes of the last tile checkTile found whole
	rootChecked bool   // the Merkle root check ran
	rootOK      bool   // the tiles and rows give c's root (the primary choice)

	// Op ids, read once as the entries are checked.
	seed     maphash.Seed
	shift    uint
	keys     []uint64    // pack(hash(op id), index)
	children [][2]uint64 // hash(parent op id), index
	unread   bool        // an entry could not be read
}

// rowSpan is a batch row that parses.
type rowSpan struct {
	key         string
	first, next uint64
}

// fsckCheck checks the store at path once, on a copy of ledger.db.
func fsckCheck(path string, progress func(done, total int64)) (*FsckReport, error) {
	tmp, err := os.MkdirTemp("", "ebios-fsck-")
	if err != nil {
		return nil, ioErr("create a temporary directory for a copy of "+path, err)
	}
	defer os.RemoveAll(tmp)
	work := filepath.Join(tmp, filepath.Base(path))
	if err := fsckCopy(path, work); err != nil {
		return nil, ioErr("copy "+path+" to "+work+" (fsck examines a copy; it needs as much free space in the temporary directory, $TMPDIR)", err)
	}
	c := &fsckChecker{path: path, work: work, dir: tileDirOf(path), rep: &FsckReport{Path: path, Findings: []FsckFinding{}},
		progress: progress, seed: maphash.MakeSeed()}
	err = c.run()
	c.rep.OK = len(c.rep.Findings) == 0
	return c.rep, err
}

// fsckCopy copies the file from to a new file to.
func fsckCopy(from, to string) error {
	src, err := os.Open(from) // #nosec G304 -- from is the store's ledger.db, named by the operator (ebios ledger fsck --data-dir)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600) // #nosec G304 -- to is a new file in a temporary directory fsck made for the copy
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	if e := dst.Close(); err == nil {
		err = e
	}
	return err
}

// names replaces the copy's path with the store's in a message.
func (c *fsckChecker) names(s string) string { return strings.ReplaceAll(s, c.work, c.path) }

// namesErr is err with the copy's path replaced by the store's.
func (c *fsckChecker) namesErr(err error) error {
	e, ok := nu.AsError(err)
	if !ok {
		return errors.New(c.names(err.Error()))
	}
	n := *e
	n.Message, n.Details, n.Remediation = c.names(e.Message), c.names(e.Details), c.names(e.Remediation)
	return &n
}

func (c *fsckChecker) add(f FsckFinding) { c.rep.Findings = append(c.rep.Findings, f) }

func (c *fsckChecker) skip(what string) { c.rep.Skipped = append(c.rep.Skipped, what) }

// view runs f in a read transaction of the copy. The copy is open for the
// whole check, so this fails only if BuntDB cannot read; the first failure
// ends the check with an error (run), so that a scan that read nothing
// does not pass for a clean one.
func (c *fsckChecker) view(f func(tx *buntdb.Tx) error) {
	if err := c.s.view(f); err != nil && c.readErr == nil {
		c.readErr = err
	}
}

// indexPtr returns a pointer to i, for FsckFinding.Index.
func indexPtr(i uint64) *uint64 { return &i }

// base is how findings name ledger.db.
func (c *fsckChecker) base() string { return filepath.Base(c.path) }

func (c *fsckChecker) rowWhere(key string) string { return c.base() + " row " + key }

// entryWhere names where entry i is kept.
func (c *fsckChecker) entryWhere(i uint64) string {
	if i < c.sealed && c.sealedOK {
		return ledger.TilePath(bundleOf(i))
	}
	k, ok := slices.BinarySearchFunc(c.rows, i, func(r rowSpan, i uint64) int {
		switch {
		case r.next <= i:
			return -1
		case r.first > i:
			return 1
		}
		return 0
	})
	if ok {
		return c.rowWhere(c.rows[k].key)
	}
	return c.base()
}

// run runs the checks; it returns an error only when it cannot go on
// (a read failing).
func (c *fsckChecker) run() error {
	if err := c.checkTail(); err != nil {
		return err
	}
	db, err := buntdb.Open(c.work)
	if err != nil {
		c.add(FsckFinding{Kind: FindingFile, Where: c.base(), What: "BuntDB cannot load the file: " + c.names(err.Error()), Action: restoreAction})
		return nil
	}
	defer db.Close()
	if err := db.SetConfig(buntdb.Config{SyncPolicy: buntdb.Never, AutoShrinkDisabled: true}); err != nil {
		return ioErr("configure the copy of "+c.path, err)
	}
	c.s = &Store{path: c.work, db: db, tiles: newTileFiles(c.dir)}
	c.s.seal.Store(&ledger.TileState{})
	if !c.checkMeta() {
		return nil
	}
	c.checkLegacy()
	c.checkTemps()
	c.readSealed()
	c.checkRowLayout()
	c.checkCheckpoint()
	c.rootable = c.cpOK && c.sealedOK && c.rowsOK && c.rowsEnd == treeSize(c.c.Size)
	c.checkTiles()
	c.scanRowEntries()
	c.checkRowContents()
	c.checkLastEntry()
	c.checkLeftovers()
	c.checkOpIDs()
	if c.readErr != nil {
		return ioErr("read the copy of "+c.path, c.readErr)
	}
	return nil
}

// checkTail looks for a torn or damaged tail of ledger.db (on the copy,
// which it cuts as Open would cut the file).
func (c *fsckChecker) checkTail() error {
	t, err := repairTail(c.work)
	if err != nil && !isDamaged(err) {
		return c.namesErr(err)
	}
	if err != nil {
		e, _ := nu.AsError(err)
		good := t.complete
		c.add(FsckFinding{Kind: FindingTailDamaged, Where: fmt.Sprintf("%s byte %d", c.base(), good),
			What: c.names(e.Details), Action: c.names(e.Remediation)})
		c.skip(fmt.Sprintf("the commands of %s after byte %d: the checks below read the file up to there", c.base(), good))
		if err := os.Truncate(c.work, good); err != nil {
			return ioErr("cut the copy of "+c.path, err)
		}
		if t, err = repairTail(c.work); err != nil {
			return c.namesErr(err)
		}
	}
	if t.cut > 0 {
		c.add(FsckFinding{Kind: FindingTailTorn, Where: fmt.Sprintf("%s byte %d", c.base(), t.cutFrom),
			What:        fmt.Sprintf("the file ends with %d bytes of an unfinished write (a cut or zero-filled command from byte %d on): a commit that was never acknowledged", t.cut, t.cutFrom),
			Recoverable: true, fix: fixTail,
			Action: fmt.Sprintf("--repair cuts the file at byte %d, as opening the store does: the store keeps every commit before it, which holds every acknowledged append", t.cutFrom)})
	}
	c.tail = t
	return nil
}

// checkMeta reads and checks the metadata as load does; it returns false
// when nothing more can be checked.
func (c *fsckChecker) checkMeta() bool {
	var format, origin, vkey string
	meta, onlyMeta := 0, true
	c.view(func(tx *buntdb.Tx) error {
		get := func(k string) string {
			v, err := tx.Get(k)
			if err == nil {
				meta++
			}
			return v
		}
		format, origin, vkey, _ = get(keyFormat), get(keyOrigin), get(keyVerifier), get(keyCheckpoint)
		return tx.Ascend("", func(k, _ string) bool {
			switch k {
			case keyFormat, keyOrigin, keyVerifier, keyCheckpoint, keySealed:
				return true
			}
			onlyMeta = false
			return false
		})
	})
	if c.readErr != nil {
		return false
	}
	c.format, c.rep.Format = format, format
	where := func(k string) string { return c.base() + " key " + k }
	if onlyMeta && meta < 4 {
		c.add(FsckFinding{Kind: FindingMetadata, Where: c.base(),
			What:   fmt.Sprintf("the store holds no entry, and %d of its 4 metadata keys: its creation was cut short", meta),
			Action: "nothing in it was ever acknowledged: start the server with the log's key, which creates the store again"})
		return false
	}
	if format != storeFormat && format != format3 && format != legacyFormat {
		if format == "" {
			format = "1"
		}
		c.add(FsckFinding{Kind: FindingMetadata, Where: where(keyFormat),
			What:   "the store is in store format " + format + "; this ebios reads formats " + legacyFormat + ", " + format3 + " and " + storeFormat,
			Action: "export the log with the ebios that wrote it (ebios ledger export) and keep the bundle; start a new store with this version"})
		return false
	}
	v, err := ledger.ParseVerifierKey(vkey)
	if err != nil {
		c.add(FsckFinding{Kind: FindingMetadata, Where: where(keyVerifier),
			What:   "the stored verifier key cannot be parsed, so nothing the store signed can be checked: " + err.Error(),
			Action: restoreAction})
		return false
	}
	c.s.verifier, c.s.origin = v, v.Name()
	if origin != v.Name() {
		c.add(FsckFinding{Kind: FindingMetadata, Where: where(keyOrigin),
			What:   "the stored origin " + strconv.Quote(origin) + " differs from the key name " + strconv.Quote(v.Name()),
			Action: restoreAction})
	}
	return true
}

// checkLegacy finishes, on the copy, a format-2 commit that was cut short
// (recoverLegacy), and reports it.
func (c *fsckChecker) checkLegacy() {
	if c.format != legacyFormat {
		return
	}
	state := func() (meta string, rows []string) {
		c.view(func(tx *buntdb.Tx) error {
			meta, _ = tx.Get(keyCheckpoint)
			return tx.AscendGreaterOrEqual("", prefixBatch, func(k, _ string) bool {
				if !strings.HasPrefix(k, prefixBatch) {
					return false
				}
				rows = append(rows, k)
				return true
			})
		})
		return meta, rows
	}
	meta, rows := state()
	if err := c.s.recoverLegacy(c.tail); err != nil {
		c.add(FsckFinding{Kind: FindingCheckpoint, Where: c.base() + " key " + keyCheckpoint, What: c.names(detailsOf(err)), Action: restoreAction})
		return
	}
	meta2, rows2 := state()
	switch {
	case len(rows2) < len(rows):
		c.add(FsckFinding{Kind: FindingUnfinishedCommit, Where: c.rowWhere(rows[len(rows2)]),
			What:        fmt.Sprintf("%d batch row(s) from %s on were written without their checkpoint (store format %s): a commit that was never acknowledged", len(rows)-len(rows2), rows[len(rows2)], legacyFormat),
			Recoverable: true, fix: fixLegacy,
			Action: "--repair deletes them, as opening the store does; every acknowledged append is in the rows before them"})
	case meta2 != meta:
		c.add(FsckFinding{Kind: FindingUnfinishedCommit, Where: c.base() + " key " + keyCheckpoint,
			What:        "meta:checkpoint was written without its batch row (store format " + legacyFormat + "): a commit that was never acknowledged",
			Recoverable: true, fix: fixLegacy,
			Action: "--repair sets meta:checkpoint back to the checkpoint before it, which is still in the file and commits the rows there are, as opening the store does"})
	}
}

// checkTemps looks for the temporary files a crash leaves.
func (c *fsckChecker) checkTemps() {
	if es, err := os.ReadDir(filepath.Join(c.dir, tileTmpDir)); err == nil && len(es) > 0 {
		c.add(FsckFinding{Kind: FindingTempFiles, Where: tileTmpDir + "/",
			What:        fmt.Sprintf("%d temporary tile file(s) that a crash while sealing left", len(es)),
			Recoverable: true, fix: fixTemps, Action: "--repair removes them, as opening the store does"})
	}
	if _, err := os.Stat(c.path + ".compact"); err == nil {
		c.add(FsckFinding{Kind: FindingTempFiles, Where: filepath.Base(c.path) + ".compact",
			What:        "the temporary file of a compaction that a crash interrupted (ledger.db is whole without it)",
			Recoverable: true, fix: fixTemps, Action: "--repair removes it, as opening the store does"})
	}
}

// readSealed reads meta:sealed.
func (c *fsckChecker) readSealed() {
	var v string
	c.view(func(tx *buntdb.Tx) error {
		v, _ = tx.Get(keySealed)
		return nil
	})
	c.sealedOK = true
	if v == "" {
		return
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n%ledger.TileWidth != 0 || strconv.FormatUint(n, 10) != v {
		c.sealedOK = false
		c.add(FsckFinding{Kind: FindingSealed, Where: c.base() + " key " + keySealed,
			What:   fmt.Sprintf("%s is %q, not a multiple of %d", keySealed, v, ledger.TileWidth),
			Action: restoreAction})
		c.skip("the tile files, and the rows against them: " + keySealed + " does not say which entries are sealed")
		return
	}
	c.sealed, c.rep.Sealed = n, n
}

// checkRowLayout checks that the batch rows parse and hold every entry
// from meta:sealed on, once.
func (c *fsckChecker) checkRowLayout() {
	c.rowsOK = true
	c.view(func(tx *buntdb.Tx) error {
		return tx.AscendGreaterOrEqual("", prefixBatch, func(k, v string) bool {
			if !strings.HasPrefix(k, prefixBatch) {
				return false
			}
			b, err := parseBatch(k, v)
			if err != nil {
				c.rowsOK = false
				c.add(FsckFinding{Kind: FindingRow, Where: c.rowWhere(k), What: "the batch row cannot be parsed (its header or entry offsets are wrong)", Action: restoreAction})
				return true
			}
			c.rows = append(c.rows, rowSpan{key: k, first: b.first, next: b.next()})
			return true
		})
	})
	if len(c.rows) > 0 {
		c.rowsEnd = c.rows[len(c.rows)-1].next
	}
	if !c.sealedOK {
		c.rowsOK = false
		return
	}
	// The deleted rows the file's commands show (tail.go): a row deleted
	// in format 3, which deletes none, or an unsealed one in format 4.
	deleted := map[string]string{} // row key → why its deletion is damage
	if c.tail.deletedRow != "" {
		deleted[c.tail.deletedRow] = fmt.Sprintf("while it was in store format %s, which never deletes a row", format3)
	}
	if c.tail.lastSealedDelete != "" && c.tail.lastSealedDeleteFirst >= c.sealed {
		deleted[c.tail.lastSealedDelete] = fmt.Sprintf("but its entries are not sealed (%s is %d): the store deletes only sealed rows", keySealed, c.sealed)
	}
	named := func(from, to uint64) string {
		for k := range deleted {
			if first, err := strconv.ParseUint(k[len(prefixBatch):], 10, 64); err == nil && first >= from && first < to {
				delete(deleted, k)
				return fmt.Sprintf(": the batch row %q was deleted from %s", k, c.base())
			}
		}
		return ""
	}
	next := c.sealed
	for _, r := range c.rows {
		switch {
		case r.next <= c.sealed: // a leftover: checkLeftovers
			continue
		case r.first > next:
			c.rowsOK = false
			c.add(FsckFinding{Kind: FindingRowsMissing, Where: c.rowWhere(batchKey(next)), Index: indexPtr(next),
				What:   fmt.Sprintf("entries %d to %d are neither sealed nor in a batch row%s", next, r.first-1, named(next, r.first)),
				Action: "acknowledged entries are lost from ledger.db: " + restoreAction})
		case r.first < next && next > c.sealed:
			c.rowsOK = false
			c.add(FsckFinding{Kind: FindingRow, Where: c.rowWhere(r.key), Index: indexPtr(r.first),
				What: fmt.Sprintf("the batch row holds entries %d to %d, but the row before it ends at %d: they overlap", r.first, r.next-1, next), Action: restoreAction})
		}
		next = max(next, r.next)
	}
	for _, k := range slices.Sorted(maps.Keys(deleted)) {
		c.rowsOK = false
		c.add(FsckFinding{Kind: FindingRowsMissing, Where: c.rowWhere(k),
			What:   fmt.Sprintf("the batch row %q was deleted from %s %s", k, c.base(), deleted[k]),
			Action: restoreAction})
	}
}

// checkCheckpoint finds the checkpoint that commits the store, as load
// does, and checks it against the rows and meta:sealed.
func (c *fsckChecker) checkCheckpoint() {
	st, err := c.s.readTail()
	if err != nil { // the last row does not parse: checkRowLayout said so
		c.skip("the checkpoint, and what it proves (the Merkle root, the tiles): the last batch row cannot be parsed")
		return
	}
	metaWhere := c.base() + " key " + keyCheckpoint
	cp := st.metaCP
	ok := st.metaErr == nil
	if st.hasLast && st.last.cp != "" {
		rowWhere := c.rowWhere(batchKey(st.last.first))
		if st.metaErr != nil {
			c.add(FsckFinding{Kind: FindingCheckpoint, Where: metaWhere,
				What: "the stored checkpoint (" + keyCheckpoint + ") does not verify against the store's key: " + st.metaErr.Error(), Action: restoreAction})
		}
		rc, err := ledger.OpenCheckpoint([]byte(st.last.cp), c.s.verifier, c.s.origin)
		switch {
		case err != nil:
			ok = false
			c.add(FsckFinding{Kind: FindingCheckpoint, Where: rowWhere, Index: indexPtr(st.last.first),
				What: fmt.Sprintf("the checkpoint in batch row %q does not verify: %v", batchKey(st.last.first), err), Action: restoreAction})
		case treeSize(rc.Size) != st.last.next():
			ok = false
			c.add(FsckFinding{Kind: FindingCheckpoint, Where: rowWhere, Index: indexPtr(st.last.first),
				What: fmt.Sprintf("the checkpoint in batch row %q is for tree size %d, but the row ends at %d", batchKey(st.last.first), rc.Size, st.last.next()), Action: restoreAction})
		default:
			if st.metaErr == nil && cp.Size > rc.Size {
				c.add(FsckFinding{Kind: FindingCheckpoint, Where: metaWhere, Index: indexPtr(treeSize(rc.Size)),
					What: fmt.Sprintf("the stored checkpoint (%s, tree size %d) is ahead of the last batch row's (tree size %d): the rows of entries %d to %d are lost",
						keyCheckpoint, cp.Size, rc.Size, rc.Size, cp.Size-1),
					Action: restoreAction})
			}
			cp, ok = rc, true
		}
		if c.format == legacyFormat {
			c.add(FsckFinding{Kind: FindingRow, Where: rowWhere,
				What: fmt.Sprintf("the batch row %q carries a checkpoint, which store format %s never writes", batchKey(st.last.first), legacyFormat), Action: restoreAction})
		}
	} else if st.metaErr != nil {
		c.add(FsckFinding{Kind: FindingCheckpoint, Where: metaWhere,
			What: "the stored checkpoint does not verify against the store's key: " + st.metaErr.Error(), Action: restoreAction})
	}
	if !ok {
		c.skip("what the checkpoint proves (the Merkle root, the tiles, the last entry): no checkpoint verifies")
		return
	}
	c.c, c.cpOK, c.rep.Size = cp, true, treeSize(cp.Size)
	size, end := treeSize(cp.Size), st.end()
	switch {
	case end != size && c.format != legacyFormat && st.hasLast && st.last.cp == "":
		c.add(FsckFinding{Kind: FindingCheckpoint, Where: c.rowWhere(batchKey(st.last.first)),
			What:   fmt.Sprintf("the last batch row %q has no checkpoint of its own, and the stored checkpoint is for tree size %d, not %d (the row's end)", batchKey(st.last.first), size, end),
			Action: restoreAction})
	case end < size:
		c.add(FsckFinding{Kind: FindingCheckpoint, Where: metaWhere, Index: indexPtr(end),
			What:   fmt.Sprintf("the stored checkpoint (tree size %d) is ahead of the stored entries (%d): entries %d to %d are lost", size, end, end, size-1),
			Action: restoreAction})
	case end > size:
		c.add(FsckFinding{Kind: FindingRow, Where: c.rowWhere(batchKey(st.last.first)), Index: indexPtr(size),
			What:   fmt.Sprintf("the batch row holding entry %d runs past the checkpoint's tree size %d", size, size),
			Action: restoreAction})
	}
	if c.sealedOK && c.sealed > size {
		c.sealedOK = false
		c.add(FsckFinding{Kind: FindingSealed, Where: c.base() + " key " + keySealed, Index: indexPtr(size),
			What:   fmt.Sprintf("%s says %d entries are sealed, but the checkpoint is for tree size %d", keySealed, c.sealed, size),
			Action: restoreAction})
		c.skip("the tile files, and the rows against them: " + keySealed + " is ahead of the checkpoint")
	}
}

// tileCheck is what checkTiles learnt about a level-0 tile and its bundle
// that do not simply agree.
type tileCheck struct {
	k         int64
	bundleErr error  // reading the entry bundle
	badEntry  int    // the first entry of the bundle that does not decode, or -1
	badWhy    string // why
	derived   []byte // the hashes of the bundle's entries
	rows      []byte // the hashes of the entries in the batch rows, when they are still there
	hashErr   error  // reading the hash tile
	stored    []byte // the hash tile
}

// primary returns the hashes checkTiles takes for the tile: those of the
// entries (from the bundle, or from the rows when the bundle is lost),
// and otherwise the hash tile's.
func (p *tileCheck) primary() []byte {
	switch {
	case p.bundleErr == nil:
		return p.derived
	case p.rows != nil:
		return p.rows
	}
	return p.stored
}

// proven returns the hashes of the tile that the checkpoint's root proves:
// those the root check took (primary) when it held (rootOK), or, when only
// the check with the hash tiles of the tiles in question held (altOK),
// the hash tile's (or primary's, for a tile without one); else nil.
func (p *tileCheck) proven(rootOK, altOK bool) []byte {
	switch {
	case rootOK:
		return p.primary()
	case altOK && p.stored != nil:
		return p.stored
	case altOK:
		return p.primary()
	}
	return nil
}

// checkTiles checks every sealed tile file and the Merkle root.
func (c *fsckChecker) checkTiles() {
	tiles := int64(0)
	if c.sealedOK {
		tiles = int64(c.sealed / ledger.TileWidth) // #nosec G115 -- sealed over TileWidth is below 2^56
	}
	c.shift = shiftFor(max(c.rowsEnd, c.sealed))
	roots := make([]tlog.Hash, tiles)
	known := true
	var probs []*tileCheck
	for k := range tiles {
		if c.progress != nil {
			c.progress(k, tiles)
		}
		p := c.checkTile(k)
		if p == nil { // the bundle and the hash tile agree
			roots[k], _ = ledger.TileRoot(c.lastHashes)
			continue
		}
		c.tileTrouble = true
		probs = append(probs, p)
		if h := p.primary(); h != nil {
			roots[k], _ = ledger.TileRoot(h)
		} else {
			known = false
		}
	}
	if c.progress != nil && tiles > 0 {
		c.progress(tiles, tiles)
	}
	// The Merkle root, with the entries' hashes (primary); and, when that
	// fails, with the hash tiles of the tiles in question (alt).
	alt := slices.Clone(roots)
	for _, p := range probs {
		if p.stored != nil && !bytes.Equal(p.primary(), p.stored) {
			alt[p.k], _ = ledger.TileRoot(p.stored)
		}
	}
	altOK := false
	switch {
	case !c.rootable:
		if c.cpOK {
			c.skip("the Merkle root, and so which tile files the checkpoint proves: see the findings about the checkpoint, meta:sealed and the rows")
		}
	case !known:
		c.skip("the Merkle root: a tile has neither its entry bundle, nor its rows, nor its hash tile")
	default:
		c.rootChecked = true
		root, err := c.treeRoot(roots)
		c.rootOK = err == nil && root == c.c.Root
		if !c.rootOK && err == nil && len(probs) > 0 {
			r, err := c.treeRoot(alt)
			altOK = err == nil && r == c.c.Root
		}
		switch {
		case err != nil:
			c.add(FsckFinding{Kind: FindingRoot, Where: c.base(), What: "tree hashes missing: " + c.names(detailsOf(err)), Action: restoreAction})
		case !c.rootOK && !altOK:
			c.add(FsckFinding{Kind: FindingRoot, Where: "tile/ and " + c.base(),
				What:   fmt.Sprintf("the entries (in the entry bundles and the batch rows) and the tree hashes stored with them give root %s, the checkpoint (tree size %d) says %s", root, c.c.Size, c.c.Root),
				Action: restoreAction})
		}
	}
	for _, p := range probs {
		c.classify(p, altOK)
	}
	if known {
		c.checkUpperTiles(roots, alt, altOK)
	}
}

// checkUpperTiles checks the full hash tiles above level 0 against the
// roots of the level-0 tiles: the roots the checkpoint proves (primary or
// alt), or when it proves neither, either of them.
func (c *fsckChecker) checkUpperTiles(primary, alt []tlog.Hash, altOK bool) {
	var expect [][][]tlog.Hash // per candidate, per level, the roots of the tiles of that level
	switch {
	case c.rootOK:
		expect = [][][]tlog.Hash{{primary}}
	case altOK:
		expect = [][][]tlog.Hash{{alt}}
	default:
		expect = [][][]tlog.Hash{{primary}, {alt}}
	}
	for l := 1; ; l++ {
		n := int64(c.sealed >> (ledger.TileHeight * (l + 1))) // #nosec G115 -- sealed shifted right by 8 bits or more is below 2^56
		if n == 0 {
			return
		}
		for m := range n {
			t := ledger.FullTile(l, m)
			got, err := c.s.tiles.load(t)
			matched := false
			for e := range expect {
				below := expect[e][l-1][m*ledger.TileWidth : (m+1)*ledger.TileWidth]
				want := make([]byte, 0, ledger.TileWidth*tlog.HashSize)
				for _, h := range below {
					want = append(want, h[:]...)
				}
				root, _ := ledger.TileRoot(want)
				if m == 0 {
					expect[e] = append(expect[e], nil)
				}
				expect[e][l] = append(expect[e][l], root)
				matched = matched || err == nil && bytes.Equal(got.data, want)
			}
			if matched {
				continue
			}
			first := uint64(m) << (ledger.TileHeight * (l + 1))
			f := FsckFinding{Where: ledger.TilePath(t), Index: indexPtr(first), tile: t}
			var missing *missingTile
			switch {
			case errors.As(err, &missing):
				f.Kind, f.What = FindingTileMissing, fmt.Sprintf("the hash tile of level %d over entries %d to %d is missing", l, first, first+(uint64(1)<<(ledger.TileHeight*(l+1)))-1)
			case err != nil:
				f.Kind, f.What = FindingTileDamaged, c.names(detailsOf(err))
			default:
				f.Kind, f.What = FindingTileMismatch, "the hash tile does not hold the roots of the tiles below it"
			}
			c.tileTrouble = true
			if c.rootOK || altOK {
				f.Recoverable, f.fix = true, fixTile
				f.Action = "--repair writes it again from the tiles below it (the checkpoint's root proves them)"
			} else {
				f.Action = c.unproven()
			}
			c.add(f)
		}
	}
}

// checkTile checks sealed tile k: its entry bundle and its level-0 hash
// tile. It returns nil when they agree (their hashes are then in
// c.lastHashes), and what it learnt otherwise. It collects the op ids of
// the entries.
func (c *fsckChecker) checkTile(k int64) *tileCheck {
	p := &tileCheck{k: k, badEntry: -1}
	first := uint64(k) * ledger.TileWidth // #nosec G115 -- k is a tile index, never negative
	b, err := c.s.tiles.load(ledger.FullTile(ledger.BundleLevel, k))
	if err != nil { // missing, cut, or unreadable (an I/O error is damage too)
		p.bundleErr = err
	} else {
		for j, leaf := range b.entries {
			e, err := ledger.ParseLeaf(c.s.origin, leaf)
			if err == nil && e.Index != first+uint64(j) {
				err = fmt.Errorf("it holds index %d", e.Index)
			}
			if err != nil {
				if p.badEntry < 0 {
					p.badEntry, p.badWhy = j, err.Error()
				}
				continue
			}
			c.op(first+uint64(j), e)
		}
		p.derived, _ = ledger.BundleHashes(b.data)
	}
	h, err := c.s.tiles.load(ledger.FullTile(0, k))
	if err != nil {
		p.hashErr = err
	} else {
		p.stored = h.data
	}
	if p.bundleErr == nil && p.badEntry < 0 && p.hashErr == nil && bytes.Equal(p.derived, p.stored) {
		c.lastHashes = p.derived
		return nil
	}
	// Trouble: the entries may still be in the batch rows (a crash between
	// sealing and deleting them).
	if bundle, hashes, err := c.s.tileFromRows(k); err == nil {
		p.rows = hashes
		if p.bundleErr != nil || p.badEntry >= 0 {
			entries, _ := ledger.SplitBundle(bundle)
			for j, leaf := range entries {
				if e, err := ledger.ParseLeaf(c.s.origin, leaf); err == nil && (p.bundleErr != nil || j == p.badEntry) {
					c.op(first+uint64(j), e)
				}
			}
			if p.bundleErr == nil { // the entries that do not decode in the bundle: read from the rows
				c.unread = true
			}
			return p
		}
	}
	if p.bundleErr != nil || p.badEntry >= 0 {
		c.unread = true
	}
	return p
}

// unproven is the action for a tile file fsck cannot prove a repair of.
func (c *fsckChecker) unproven() string {
	if !c.rootChecked {
		return "fsck rewrites a tile file only from data the checkpoint's root proves, and the root could not be checked (see the other findings): " + restoreAction
	}
	return "fsck rewrites a tile file only from data the checkpoint's root proves, and the tiles do not give it: " + restoreAction
}

// classify turns what checkTile learnt about tile k into findings, once
// the root check has said which data the checkpoint proves: the entries'
// hashes (c.rootOK) or, for the tiles in question, the hash tiles'
// (altOK).
func (c *fsckChecker) classify(p *tileCheck, altOK bool) {
	first := uint64(p.k) * ledger.TileWidth // #nosec G115 -- k is a tile index, never negative
	bt, ht := ledger.FullTile(ledger.BundleLevel, p.k), ledger.FullTile(0, p.k)
	bp, hp := ledger.TilePath(bt), ledger.TilePath(ht)
	span := fmt.Sprintf("entries %d to %d", first, first+ledger.TileWidth-1)
	// The hashes of the tile that the checkpoint's root proves, if any;
	// the rows are proven when they hold them.
	proven := p.proven(c.rootOK, altOK)
	rowsProven := p.rows != nil && proven != nil && bytes.Equal(p.rows, proven)
	fromRows := "--repair writes it again from the batch rows still in " + c.base() + ", as opening the store does (the checkpoint's root proves them)"
	bundleOK := p.bundleErr == nil && p.badEntry < 0
	// The entry bundle.
	switch {
	case p.bundleErr != nil:
		f := c.unreadable(bt, first, p.bundleErr, "the entry bundle of "+span+" is missing")
		switch {
		case rowsProven:
			f.Recoverable, f.fix, f.Action = true, fixTile, fromRows
		case p.rows == nil:
			f.Action = "its entries are no longer in " + c.base() + " (the rows of sealed entries are deleted): " + restoreAction
		default:
			f.Action = c.unproven()
		}
		c.add(f)
	case c.rootOK && p.badEntry >= 0:
		// The checkpoint commits the bundle as it is.
		c.add(FsckFinding{Kind: FindingTileDamaged, Where: bp, Index: indexPtr(first + uint64(p.badEntry)),
			What:   fmt.Sprintf("entry %d cannot be decoded (%s), yet the checkpoint's root commits it as it is", first+uint64(p.badEntry), p.badWhy),
			Action: "the log was written so: it cannot be repaired; keep the store and report it"})
		bundleOK = true
	case c.rootOK:
		// The checkpoint proves the bundle: the hash tile is the altered one.
	case p.badEntry >= 0 || proven != nil && !bytes.Equal(p.derived, proven) || proven == nil && p.stored != nil && !bytes.Equal(p.derived, p.stored):
		f := FsckFinding{Kind: FindingTileMismatch, Where: bp, Index: indexPtr(first), tile: bt}
		switch {
		case p.badEntry >= 0:
			f.Kind, f.Index = FindingTileDamaged, indexPtr(first+uint64(p.badEntry))
			f.What = fmt.Sprintf("entry %d cannot be decoded: %s", first+uint64(p.badEntry), p.badWhy)
		case p.stored != nil:
			f.Index = indexPtr(first + uint64(firstDiff(p.derived, p.stored))) // #nosec G115 -- firstDiff returns an index into a tile, 0 to TileWidth-1
			f.What = fmt.Sprintf("the entry bundle does not match the hash tile %s from entry %d on", hp, *f.Index)
		default:
			f.What = "the entry bundle's entries do not give the checkpoint's root"
		}
		if proven != nil {
			f.What += ": the entry bundle was altered (the hash tile gives the checkpoint's root)"
		}
		switch {
		case rowsProven:
			f.Recoverable, f.fix, f.Action = true, fixTile, fromRows
		case altOK && p.rows == nil:
			f.Action = "its entries are no longer in " + c.base() + " (the rows of sealed entries are deleted): " + restoreAction
		default:
			f.Action = c.unproven()
		}
		c.add(f)
		return
	}
	// The hash tile.
	src := "from the entry bundle " + bp
	if !bundleOK {
		src = "from the batch rows, once the entry bundle is rewritten"
	}
	canRebuild := proven != nil && (bundleOK || rowsProven)
	switch {
	case p.hashErr != nil:
		f := c.unreadable(ht, first, p.hashErr, "the level-0 hash tile of "+span+" is missing")
		if canRebuild {
			f.Recoverable, f.fix, f.Action = true, fixTile, "--repair writes it again "+src+", as opening the store does (the checkpoint's root proves it)"
		} else {
			f.Action = c.unproven()
		}
		c.add(f)
	case canRebuild && !bytes.Equal(proven, p.stored):
		j := firstDiff(proven, p.stored)
		c.add(FsckFinding{Kind: FindingTileMismatch, Where: hp, Index: indexPtr(first + uint64(j)), tile: ht, // #nosec G115 -- j is an index into a tile, 0 to TileWidth-1
			What:        fmt.Sprintf("the hash tile does not match the entry bundle %s from entry %d on: the hash tile was altered (the entries give the checkpoint's root)", bp, first+uint64(j)), // #nosec G115 -- j is an index into a tile, 0 to TileWidth-1
			Recoverable: true, fix: fixTile,
			Action: "--repair writes it again " + src + " (the checkpoint's root proves it)"})
	}
}

// unreadable is the finding of tile t, whose first entry is first, which
// could not be read (err): missing says so when the file is missing.
func (c *fsckChecker) unreadable(t tlog.Tile, first uint64, err error, missing string) FsckFinding {
	f := FsckFinding{Kind: FindingTileDamaged, Where: ledger.TilePath(t), Index: indexPtr(first), What: c.names(detailsOf(err)), tile: t}
	var m *missingTile
	if errors.As(err, &m) {
		f.Kind, f.What = FindingTileMissing, missing
	}
	return f
}

// firstDiff returns the index of the first hash in which a and b differ.
func firstDiff(a, b []byte) int {
	j := 0
	for ; (j+1)*tlog.HashSize <= min(len(a), len(b)); j++ {
		if !bytes.Equal(a[j*tlog.HashSize:(j+1)*tlog.HashSize], b[j*tlog.HashSize:(j+1)*tlog.HashSize]) {
			break
		}
	}
	return j
}

// treeRoot returns the root of the checkpoint's tree read with roots, the
// roots of the sealed level-0 tiles, and the hashes stored in the rows.
func (c *fsckChecker) treeRoot(roots []tlog.Hash) (root tlog.Hash, err error) {
	err = c.s.view(func(tx *buntdb.Tx) error {
		root, err = tlog.TreeHash(c.c.Size, &fsckHashes{roots: roots, sealed: c.sealed, rows: &rows{tx: tx}})
		return err
	})
	return root, err
}

// fsckHashes reads tree hashes for checkTiles: those of subtrees wholly
// below the sealed entries from the roots of the level-0 tiles (tree level
// 8), the others from the batch rows.
type fsckHashes struct {
	roots  []tlog.Hash
	sealed uint64
	rows   *rows
}

func (h *fsckHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for k, x := range indexes {
		level, n := tlog.SplitStoredHashIndex(x)
		last := uint64(n+1)<<level - 1 // #nosec G115 -- n is from tlog.SplitStoredHashIndex of a stored hash index, never negative
		if last >= h.sealed {
			hash, err := h.rows.hash(x)
			if err != nil {
				return nil, err
			}
			out[k] = hash
			continue
		}
		if level < ledger.TileHeight {
			return nil, fmt.Errorf("tree hash %d is inside a sealed tile", x)
		}
		w := int64(1) << (level - ledger.TileHeight)
		out[k] = subtreeRoot(h.roots[n*w : (n+1)*w])
	}
	return out, nil
}

// subtreeRoot returns the root of a complete subtree whose hashes, at one
// level, are hs (a power of two of them).
func subtreeRoot(hs []tlog.Hash) tlog.Hash {
	if len(hs) == 1 {
		return hs[0]
	}
	m := len(hs) / 2
	return tlog.NodeHash(subtreeRoot(hs[:m]), subtreeRoot(hs[m:]))
}

// scanRowEntries reads the entries of the batch rows from meta:sealed on
// for the op-id checks (checkRows checks them).
func (c *fsckChecker) scanRowEntries() {
	if !c.sealedOK {
		c.unread = true
		return
	}
	c.view(func(tx *buntdb.Tx) error {
		r := &rows{tx: tx}
		for i := c.sealed; i < c.rowsEnd; i++ {
			leaf, err := r.leaf(i)
			if err != nil {
				c.unread = true
				continue
			}
			e, err := ledger.ParseLeaf(c.s.origin, []byte(leaf))
			if err != nil {
				c.unread = true
				continue
			}
			c.op(i, e)
		}
		return nil
	})
}

// checkRowContents checks the entries, tree hashes and checkpoints of the
// batch rows (checkRows), which reads the hashes of the sealed tiles.
func (c *fsckChecker) checkRowContents() {
	switch {
	case !c.sealedOK:
		c.skip("the entries, tree hashes and checkpoints of the batch rows: " + keySealed + " does not say where they start")
		return
	case !c.rowsOK:
		c.skip("the entries, tree hashes and checkpoints of the batch rows: rows are missing or cannot be parsed")
		return
	case c.tileTrouble:
		c.skip("the entries, tree hashes and checkpoints of the batch rows: they are checked against the sealed tiles, which are damaged; check again once they are repaired")
		return
	}
	size := c.rowsEnd
	if c.cpOK {
		size = treeSize(c.c.Size)
	}
	// The tiles are whole (no finding): the partial tiles above level 0
	// are read from them, as the store does when it opens.
	st, err := ledger.NewTileState(c.sealed, c.s.tiles.data)
	if err != nil {
		c.add(FsckFinding{Kind: FindingTileDamaged, Where: "tile/", What: c.names(detailsOf(tileErr(err))), Action: restoreAction})
		return
	}
	c.s.seal.Store(st)
	bad := func(i uint64, check, reason string) (*ledger.Report, error) {
		f := &ledger.Failure{Index: int64(i), Check: check, Code: CodeDamaged, Reason: reason} // #nosec G115 -- checkRows reports entries below size, a tree size (below 2^63)
		return &ledger.Report{FirstBad: f, Entries: int64(i)}, f.Err()                         // #nosec G115 -- checkRows reports entries below size, a tree size (below 2^63)
	}
	rep, err, _ := c.s.checkRows(context.Background(), st, size, bad, func(int64, int64) {})
	if rep == nil || rep.FirstBad == nil {
		if err != nil {
			c.add(FsckFinding{Kind: FindingRow, Where: c.base(), What: c.names(detailsOf(err)), Action: restoreAction})
		}
		return
	}
	for _, f := range c.rep.Findings {
		if f.What == rep.FirstBad.Reason { // the last row's checkpoint: checkCheckpoint said so
			return
		}
	}
	i := uint64(rep.FirstBad.Index) // #nosec G115 -- the index bad (above) made from an entry index
	c.add(FsckFinding{Kind: FindingRow, Where: c.entryWhere(i), Index: indexPtr(i), What: rep.FirstBad.Reason + " (the first bad entry of the batch rows; the rows after it are not checked)", Action: restoreAction})
}

// checkLastEntry checks, as load does, that the last entry verifies and is
// the last leaf of the tree.
func (c *fsckChecker) checkLastEntry() {
	if !c.rootable || c.c.Size == 0 {
		return
	}
	i := uint64(c.c.Size - 1) // #nosec G115 -- rootable holds, so the checkpoint's size is at least 1 here (checked above)
	var why string
	c.view(func(tx *buntdb.Tx) error {
		r := &rows{tx: tx}
		leaf, err := r.leaf(i)
		if err != nil {
			why = detailsOf(err)
			return nil
		}
		e, err := ledger.ParseLeaf(c.s.origin, []byte(leaf))
		if err != nil {
			why = "it cannot be decoded: " + err.Error()
			return nil
		}
		if err := e.Verify(c.s.origin, c.s.verifier); err != nil || e.Index != i {
			why = fmt.Sprintf("it does not verify (index %d): %v", e.Index, err)
			return nil
		}
		x := tlog.StoredHashIndex(0, int64(i)) // #nosec G115 -- i is the checkpoint's size less 1, below 2^63
		if h, err := r.hash(x); err != nil || h != tlog.RecordHash([]byte(leaf)) {
			why = "it is not the leaf the tree commits to"
		}
		return nil
	})
	if why != "" {
		c.add(FsckFinding{Kind: FindingLastEntry, Where: c.entryWhere(i), Index: indexPtr(i), What: fmt.Sprintf("entry %d, the last: %s", i, why), Action: restoreAction})
	}
}

// checkLeftovers reports the batch rows below meta:sealed.
func (c *fsckChecker) checkLeftovers() {
	if !c.sealedOK {
		return
	}
	var n int
	var firstKey string
	for _, r := range c.rows {
		if r.next <= c.sealed {
			if n == 0 {
				firstKey = r.key
			}
			n++
		}
	}
	if n == 0 {
		return
	}
	f := FsckFinding{Kind: FindingRowsLeftover, Where: c.rowWhere(firstKey),
		What: fmt.Sprintf("%d batch row(s) hold only sealed entries (below %s = %d): a crash between sealing their tiles and deleting them", n, keySealed, c.sealed)}
	allRecoverable := true
	for _, g := range c.rep.Findings {
		if (g.Kind == FindingTileMissing || g.Kind == FindingTileDamaged || g.Kind == FindingTileMismatch) && !g.Recoverable {
			allRecoverable = false
		}
	}
	switch {
	case c.rootOK && !c.tileTrouble:
		f.Recoverable, f.fix = true, fixLeftovers
		f.Action = "--repair deletes them, as opening the store does: their entries are in the tile files, which the checkpoint's root proves"
	case c.rootOK && allRecoverable:
		f.Recoverable = true
		f.Action = "--repair deletes them once it has rewritten the damaged tile files (from these rows, where need be)"
	default:
		f.Action = "kept: while tile files are damaged they may be the only copy of their entries; " + restoreAction
	}
	c.add(f)
}

// op records the op id and parent op id of entry i.
func (c *fsckChecker) op(i uint64, e *ledger.Entry) {
	c.keys = append(c.keys, pack(maphash.String(c.seed, e.OpID), i, c.shift))
	if e.ParentOpID != "" {
		c.children = append(c.children, [2]uint64{maphash.String(c.seed, e.ParentOpID), i})
	}
}

// leafAt reads entry i for the op-id checks: from its entry bundle, or
// from the rows it was sealed from when the bundle cannot be read.
func (c *fsckChecker) leafAt(i uint64) (*ledger.Entry, bool) {
	var leaf []byte
	if i < c.sealed {
		k := int64(i / ledger.TileWidth) // #nosec G115 -- i/TileWidth is below 2^56
		if t, err := c.s.tiles.read(bundleOf(i)); err == nil {
			leaf = t.entries[i%ledger.TileWidth]
		} else if b, _, err := c.s.tileFromRows(k); err == nil {
			es, _ := ledger.SplitBundle(b)
			leaf = es[i%ledger.TileWidth]
		}
	} else {
		c.view(func(tx *buntdb.Tx) error {
			if l, err := (&rows{tx: tx}).leaf(i); err == nil {
				leaf = []byte(l)
			}
			return nil
		})
	}
	if leaf == nil {
		return nil, false
	}
	e, err := ledger.ParseLeaf(c.s.origin, leaf)
	return e, err == nil
}

// checkOpIDs checks that no op id is in the log twice and that every
// parent op id is that of an earlier entry. It compares hashes of op ids
// (8 bytes an entry in memory, as the store's op-id index) and confirms
// each hit by reading the entries.
func (c *fsckChecker) checkOpIDs() {
	slices.Sort(c.keys)
	mask := uint64(1)<<c.shift - 1
	for j := 1; j < len(c.keys); j++ {
		if c.keys[j]>>c.shift != c.keys[j-1]>>c.shift {
			continue
		}
		a, b := c.keys[j-1]&mask, c.keys[j]&mask
		ea, oka := c.leafAt(a)
		eb, okb := c.leafAt(b)
		if oka && okb && ea.OpID == eb.OpID {
			c.add(FsckFinding{Kind: FindingOpID, Where: c.entryWhere(b), Index: indexPtr(b),
				What:   fmt.Sprintf("entry %d has op id %q, which entry %d has already", b, eb.OpID, a),
				Action: "the entries are signed as they are and cannot be changed; if the store was altered, " + restoreAction + "; otherwise keep it and report it"})
		}
	}
	if c.unread {
		c.skip("the parent op ids: entries that cannot be read might be parents")
		return
	}
	for _, ch := range c.children {
		want, i := ch[0]>>c.shift, ch[1]
		k, _ := slices.BinarySearch(c.keys, want<<c.shift)
		found := false
		var child *ledger.Entry
		for ; k < len(c.keys) && c.keys[k]>>c.shift == want && !found; k++ {
			j := c.keys[k] & mask
			if j >= i {
				continue
			}
			if child == nil {
				var ok bool
				if child, ok = c.leafAt(i); !ok {
					found = true // it was read once; it cannot be now: not this check's finding
					break
				}
			}
			if e, ok := c.leafAt(j); ok && e.OpID == child.ParentOpID {
				found = true
			}
		}
		if !found {
			if child == nil {
				child, _ = c.leafAt(i)
			}
			parent := "?"
			if child != nil {
				parent = child.ParentOpID
			}
			c.add(FsckFinding{Kind: FindingParentOpID, Where: c.entryWhere(i), Index: indexPtr(i),
				What:   fmt.Sprintf("entry %d names parent op id %q, which no earlier entry has", i, parent),
				Action: "the entries are signed as they are and cannot be changed; if the store was altered, " + restoreAction + "; otherwise keep it and report it"})
		}
	}
}

// fsckRepair does the repairs the findings of rep call for, on the store
// at path (whose lock the caller holds), and says what it did.
func fsckRepair(path string, rep *FsckReport) (_ []string, err error) {
	need := map[fixKind]bool{}
	var tiles []tlog.Tile
	blocked := false
	for _, f := range rep.Findings {
		need[f.fix] = true
		if f.fix == fixTile {
			tiles = append(tiles, f.tile)
		}
		if f.Kind == FindingTailDamaged || f.Kind == FindingFile {
			blocked = true
		}
	}
	var did []string
	dir := tileDirOf(path)
	if need[fixTemps] {
		if err := newTileFiles(dir).removeTemps(); err != nil {
			return did, err
		}
		if err := os.Remove(path + ".compact"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return did, ioErr("remove "+path+".compact", err)
		}
		did = append(did, "removed the temporary files a crash left ("+tileTmpDir+"/, "+filepath.Base(path)+".compact)")
	}
	if blocked || !need[fixTail] && !need[fixLegacy] && !need[fixTile] && !need[fixLeftovers] {
		// BuntDB must not load a file that is damaged beyond its tail: it
		// could write at the wrong place.
		return did, nil
	}
	tail, err := repairTail(path)
	if err != nil {
		return did, err
	}
	if tail.cut > 0 {
		did = append(did, fmt.Sprintf("cut the unfinished last write off %s: %d bytes from byte %d", filepath.Base(path), tail.cut, tail.cutFrom))
	}
	if !need[fixLegacy] && !need[fixTile] && !need[fixLeftovers] {
		return did, nil
	}
	s, err := openForRepair(path)
	if err != nil {
		return did, err
	}
	defer func() {
		// The repairs fsynced what they wrote; a failure to close is
		// still reported, as the last word on the file.
		if e := s.db.Close(); e != nil && err == nil {
			err = ioErr("close "+path, e)
		}
		if e := s.file.Close(); e != nil && err == nil {
			err = ioErr("close "+path, e)
		}
	}()
	if need[fixLegacy] {
		if err := s.recoverLegacy(tail); err != nil {
			return did, err
		}
		did = append(did, "finished the unacknowledged format-2 commit at the end of "+filepath.Base(path)+" (as opening the store does)")
	}
	// Bundles first, then the hash tiles, level by level: each is rebuilt
	// from what is below it.
	slices.SortFunc(tiles, func(a, b tlog.Tile) int {
		if a.L != b.L {
			return a.L - b.L
		}
		return int(a.N - b.N)
	})
	for _, t := range tiles {
		data, err := s.rebuildTile(t)
		if err != nil {
			return did, damaged(fmt.Sprintf("the tile file %s cannot be rebuilt: %v", ledger.TilePath(t), err))
		}
		dirty := map[string]bool{}
		if err := s.tiles.write(t, data, dirty); err != nil {
			return did, err
		}
		if err := syncDirs(dirty); err != nil {
			return did, err
		}
		from := "the batch rows"
		switch {
		case t.L == 0:
			from = ledger.TilePath(ledger.FullTile(ledger.BundleLevel, t.N))
		case t.L > 0:
			from = "the tiles below it"
		}
		did = append(did, "rebuilt "+ledger.TilePath(t)+" from "+from)
	}
	if need[fixLeftovers] {
		var n int
		err := s.view(func(tx *buntdb.Tx) error {
			return forEachBatch(tx, 0, func(b *batch) bool {
				if b.next() > rep.Sealed {
					return false
				}
				n++
				return true
			})
		})
		if err != nil {
			return did, ioErr("read "+path, err)
		}
		if err := s.dropSealedRows(rep.Sealed); err != nil {
			return did, err
		}
		if err := s.sync(); err != nil {
			return did, ioErr("fsync "+path, err)
		}
		did = append(did, fmt.Sprintf("deleted %d batch row(s) below %s = %d, whose entries are in the tile files (as opening the store does)", n, keySealed, rep.Sealed))
	}
	return did, nil
}

// openForRepair opens the BuntDB file at path for fsckRepair, with what
// the repairs use of a Store: the file for fsync, the tile files, and the
// store's verifier key.
func openForRepair(path string) (*Store, error) {
	db, err := buntdb.Open(path)
	if err != nil {
		return nil, ioErr("open "+path, err)
	}
	s := &Store{path: path, db: db, tiles: newTileFiles(tileDirOf(path))}
	s.seal.Store(&ledger.TileState{})
	if err := db.SetConfig(buntdb.Config{SyncPolicy: buntdb.Never, AutoShrinkDisabled: true}); err != nil {
		db.Close() // #nosec G104 -- cleanup after a failed open, whose error is the one reported
		return nil, ioErr("configure", err)
	}
	s.file, err = os.Open(path) // #nosec G304 -- path is the store's ledger.db, named by the operator (ebios ledger fsck --repair --data-dir)
	if err != nil {
		db.Close() // #nosec G104 -- cleanup after a failed open, whose error is the one reported
		return nil, ioErr("open "+path+" for fsync", err)
	}
	var vkey string
	err = s.view(func(tx *buntdb.Tx) error {
		vkey, _ = tx.Get(keyVerifier) // a missing key is "", which does not parse below
		return nil
	})
	if err != nil {
		s.closeFiles()
		return nil, ioErr("read "+path, err)
	}
	v, err := ledger.ParseVerifierKey(vkey)
	if err != nil {
		s.closeFiles()
		return nil, damaged("the stored verifier key cannot be parsed: " + err.Error())
	}
	s.verifier, s.origin = v, v.Name()
	return s, nil
}
