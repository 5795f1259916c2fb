// Package ledgerstore keeps an eBIOS ledger durably in a BuntDB file and,
// once they are full, in C2SP tlog-tiles files next to it.
//
// The store runs the log engine of core/ledger, pipelined, over its
// driver (driver.go, a ledger.Storage). One sequencer goroutine orders
// appends (ledger.Sequencer): it assigns indexes and chain links and
// builds each entry's canonical body. Signers, one per core, sign the
// bodies in parallel as they come (the chain link covers the body, not the
// signature, see docs/ledger-format.md). One committer takes every entry
// signed since its last write (group commit), computes the RFC 6962 tree
// hashes and signs a checkpoint of the new tree (ledger.Tree); the driver
// writes the batch's entries with their tree hashes and that checkpoint as
// one BuntDB row (one command in the file); a syncer fsyncs the file
// (driver Sync) while the next batch is written. Only then are the callers
// answered: an acknowledged append survives a crash.
//
// The signed checkpoint in each batch row is the commit record (store
// format 3). BuntDB writes the commands of a transaction in map order and,
// on load, keeps every complete command of a file whose end was cut off, so
// a transaction of several rows is not atomic on disk; one command is. A
// crash, or a power loss, can only leave the file's end cut or zero-filled
// in its last write. Open recovers from that in two steps:
//
//   - before BuntDB reads the file, the bytes after its last complete
//     command are cut off, if and only if they are a prefix of one command
//     followed by zero bytes (tail.go; BuntDB refuses a zero-filled tail on
//     its own). Bytes that are not such a tail are damage: refused.
//   - the checkpoint is taken from the last batch row, which is whole, and
//     so are the rows before it: the store opens at the last complete
//     commit, a prefix of the log that holds every acknowledged append.
//
// Then the store checks that the checkpoint verifies against the store's
// key, that the stored tree hashes give the checkpoint's root, and that the
// last entry verifies and is the last leaf; a store that fails any of these
// is refused with a LEDGER_020 error naming what is wrong. Verify checks
// every entry, every stored tree hash and every batch row's checkpoint.
//
// Store format 4 bounds the memory: every full tile of 256 entries is
// sealed, off the commit path, into immutable files in the directory
// "tile" next to the BuntDB file (the C2SP tlog-tiles layout: entry
// bundles and hash tiles, tiles.go), meta:sealed records how many entries
// are, and the batch rows whose entries are all sealed are deleted; the
// BuntDB file, which grows by appends, is compacted (rewritten with its
// live keys) when the deleted rows make up most of it. Old entries and
// tree hashes are then read from the tiles. Every step is ordered so that
// a crash leaves something open recovers: tile files are durable before
// meta:sealed says they exist, and rows go only after that. seal.go has
// the sealer and the recovery rules.
//
// Format 2 stores (written before format 3) have no checkpoint in their
// rows: the latest one is meta:checkpoint, written in the same transaction
// as the row, in either order. They are recovered on their own terms — a
// row written without its checkpoint was never acknowledged and is removed;
// a checkpoint written without its row is rolled back to the checkpoint
// before it (which is still in the file) when it is the file's last
// command, that is the tail of the unfinished write, and is damage
// otherwise — and then migrated: opening a store of format 2 or 3 with
// its key marks it format 4 (meta:checkpoint, the checkpoint of its last
// format-2 row, stays), so rows from then on carry their checkpoint and
// the sealer seals the full tiles of the rows there are; the checkpoint is
// unchanged. OpenReadOnly reads formats 2 to 4 and migrates nothing. The
// op-id index is kept in memory, compact (opindex.go), and rebuilt from
// the entry bundles and rows on open.
//
// Open(":memory:", ...) gives the same store without a file, for tests.
package ledgerstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/filelock"
	"github.com/ebios/ebios/server/logstore"
	"github.com/tidwall/buntdb"
	"golang.org/x/mod/sumdb/tlog"
)

// Key layout in the BuntDB file (store format 3; see rows.go for the
// batch rows).
const (
	keyFormat   = "meta:format"
	keyOrigin   = "meta:origin"
	keyVerifier = "meta:verifier"
	// keyCheckpoint holds the checkpoint of the store when it was created
	// (the empty tree) or migrated from format 2, which wrote it with
	// every batch. The checkpoint of the last batch row, when it has one,
	// supersedes it.
	keyCheckpoint = "meta:checkpoint"
	prefixBatch   = "b:" // b:<20-digit index of its first entry> → batch row

	// storeFormat is the format this code writes: each batch row carries
	// its checkpoint, and full tiles are sealed into tile files (their
	// rows deleted, meta:sealed says how many entries are). format3 is
	// the same without tiles: it never deletes a row. legacyFormat kept
	// only the latest checkpoint, in keyCheckpoint. Both are read, and
	// migrated when opened with the key. Format 1 kept each entry, tree
	// hash and op id in a row of its own.
	storeFormat  = "4"
	format3      = "3"
	legacyFormat = "2"
)

// Error codes of this package (category "ledger", like core/ledger's).
const (
	CodeDamaged  = "LEDGER_020" // the store on disk is inconsistent or was altered
	CodeIO       = "LEDGER_021" // reading or writing the store failed
	CodeClosed   = "LEDGER_022" // the store is closed
	CodeWrongKey = "LEDGER_023" // the store was written with another key
	CodeInUse    = "LEDGER_024" // another process has the store open
	CodeFormat   = "LEDGER_025" // the store was written in another store format
)

func storeErr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: ledger.CategoryLedger, Message: msg, Details: details, Remediation: remedy}
}

func damaged(details string) error {
	return storeErr(CodeDamaged, "the ledger store is damaged or was altered; refusing to serve it", details,
		"this is not the unfinished last write of a crash (that is recovered when the store opens): the file was changed, or the disk lost data. "+
			"Keep a copy of the data directory for investigation, and restore the data directory (ledger.db and the tile directory next to it) from a backup made while no ebios process had it open; never edit the store by hand")
}

func ioErr(op string, err error) error {
	return storeErr(CodeIO, "ledger store: "+op+" failed", err.Error(),
		"check the disk (space, permissions, errors in the system log); appends that returned this error were not acknowledged")
}

// NewOpID returns a fresh random op id (128 bits, hex) for an entry whose
// caller gave none.
func NewOpID() string { return ledger.NewOpID() }

// Options tune a Store. The zero value is the production setting.
type Options struct {
	// MaxBatch caps the appends committed together; 0 means 4096.
	MaxBatch int
	// Now is the clock for drafts without a timestamp; nil means time.Now.
	Now func() time.Time
	// OnCommit, when set, is called by the sequencer after each durable
	// commit with the new tree size and the entries it made durable, in
	// order (the last has index size-1): for metrics and the read index,
	// which must not change the entries or hold up the caller.
	OnCommit func(size uint64, es []*ledger.Entry)
	// OnWrite, when set, is called by the committer after each batch row
	// is written (before its fsync) with the number of entries in it and
	// the time the write took, and OnSync by the syncer after each fsync
	// of the ledger file with its duration: for latency metrics, without
	// this package knowing of any metrics library. Both must return
	// quickly.
	OnWrite func(entries int, d time.Duration)
	OnSync  func(d time.Duration)
}

// Store is a durable, append-only ledger. It is safe for concurrent use.
type Store struct {
	path string // the BuntDB file, or ":memory:"
	// dbmu guards db and file, which compaction replaces: every use of
	// them holds it for reading (view, update, sync), compaction for
	// writing.
	dbmu     sync.RWMutex
	db       *buntdb.DB
	file     *os.File // our own handle on the BuntDB file, used for fsync
	lock     *filelock.Lock
	tiles    *tileFiles // nil for a store in memory
	seal     atomic.Pointer[ledger.TileState]
	origin   string
	signer   *ledger.Signer
	verifier *ledger.Verifier
	opts     Options

	reqs chan *request
	quit chan struct{}
	done chan struct{}

	mu     sync.RWMutex // guards the fields below
	size   uint64
	last   tlog.Hash // link hash of the last entry
	cp     []byte    // latest signed checkpoint
	root   tlog.Hash
	failed error // set when a write failed in a way that leaves the file unknown
	closed bool

	drv     *driver  // the ledger.Storage the pipeline commits through (driver.go)
	ops     *opIndex // op id → index, for every entry sequenced
	opsOnce sync.Once

	// The sealer (seal.go); nil channels when there is none.
	sealKick, sealQuit, sealDone chan struct{}
	inflight                     atomic.Int64 // appends waiting for their answer
	sealErr, sealStop            error        // under mu: the last round's error; why sealing stopped
	compactions                  int          // under dbmu
	rebuilt                      []string     // tile files rebuilt when the store opened
	notices                      []string     // file modes made private when the store opened (filemode.go)
}

// request is one Append or AppendBatch: its drafts are committed together
// or not at all.
type request struct {
	drafts []ledger.Draft
	reply  chan reply
	// unsigned counts the request's entries not yet signed; the signer
	// of the last one closes signed.
	unsigned atomic.Int64
	signed   chan struct{}
}

type reply struct {
	es  []*ledger.Entry
	err error
}

var _ ledger.EntrySource = (*Store)(nil)
var _ ledger.OpIndexer = (*Store)(nil)

// Open opens (or creates) the store at path, signed by signer. The origin of
// the log is the signer's key name. A store written with another key is
// refused (LEDGER_023), a damaged one too (LEDGER_020), and so is a store
// that another process has open (LEDGER_024).
func Open(path string, signer *ledger.Signer, opts *Options) (*Store, error) {
	return open(path, signer, opts)
}

// OpenReadOnly opens an existing store without its signing key, to read,
// verify and export it. The key it checks the store against is the one the
// store records; that proves consistency, not authenticity (an auditor pins
// the key). Append fails on a read-only store. It reads stores of format 2
// and 3 and migrates nothing, but it does recover a store from an
// unfinished last write, as Open does (BuntDB opens the file for writing).
func OpenReadOnly(path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, storeErr(ledger.CodeNotFound, "no ledger store at "+path, err.Error(),
			"give the data directory of an existing log (--data DIR)")
	}
	return open(path, nil, nil)
}

func open(path string, signer *ledger.Signer, opts *Options) (*Store, error) {
	s := &Store{path: path, reqs: make(chan *request, 4096), quit: make(chan struct{}), done: make(chan struct{})}
	s.seal.Store(&ledger.TileState{})
	if signer != nil {
		s.origin, s.signer, s.verifier = signer.Name(), signer, signer.Verifier()
	}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.MaxBatch <= 0 {
		s.opts.MaxBatch = 4096
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	if path != ":memory:" {
		// BuntDB has no locking of its own, and opening a file that another
		// process is writing could truncate it: one process at a time.
		lock, err := filelock.Acquire(path)
		if errors.Is(err, filelock.ErrLocked) {
			return nil, storeErr(CodeInUse, "the ledger store "+path+" is in use by another process", "",
				"stop the server (or the other ebios command) first, or use the server's API to read the ledger")
		}
		if err != nil {
			return nil, ioErr("lock "+path, err)
		}
		s.lock = lock
	}
	var tail fileTail
	if path != ":memory:" {
		// Cut off the unfinished last write, if the file has one, before
		// BuntDB reads it (see tail.go).
		var err error
		if tail, err = repairTail(path); err != nil {
			s.unlock()
			return nil, err
		}
		// Private files, whatever the umask (filemode.go).
		if s.notices, err = privateStoreFiles(path); err != nil {
			s.unlock()
			return nil, err
		}
	}
	db, err := buntdb.Open(path)
	if err != nil {
		s.unlock()
		if errors.Is(err, buntdb.ErrInvalid) {
			return nil, damaged("the BuntDB file " + path + " cannot be parsed: " + err.Error())
		}
		return nil, ioErr("open "+path, err)
	}
	s.db = db
	// BuntDB ignores fsync errors; the store fsyncs the file itself and
	// treats a failed fsync as fatal.
	if err := db.SetConfig(buntdb.Config{SyncPolicy: buntdb.Never, AutoShrinkDisabled: true}); err != nil {
		s.closeFiles()
		return nil, ioErr("configure", err)
	}
	if path != ":memory:" {
		s.file, err = os.Open(path) // #nosec G304 -- path is the store the caller opens (the ledger.db of the operator's data directory), never a request's input
		if err != nil {
			s.closeFiles()
			return nil, ioErr("open "+path+" for fsync", err)
		}
		s.tiles = newTileFiles(tileDirOf(path))
	}
	if err := s.load(tail); err != nil {
		s.closeFiles()
		return nil, err
	}
	if s.signer == nil {
		close(s.done)
		return s, nil
	}
	s.drv = &driver{s: s, written: s.size}
	go s.sequence()
	if s.tiles != nil {
		s.startSealer()
	}
	return s, nil
}

// view runs f in a BuntDB read transaction.
func (s *Store) view(f func(tx *buntdb.Tx) error) error {
	s.dbmu.RLock()
	defer s.dbmu.RUnlock()
	return s.db.View(f)
}

// update runs f in a BuntDB write transaction.
func (s *Store) update(f func(tx *buntdb.Tx) error) error {
	s.dbmu.RLock()
	defer s.dbmu.RUnlock()
	return s.db.Update(f)
}

// closeFiles cleans up after a failed open, whose error is the one to report.
func (s *Store) closeFiles() {
	s.db.Close() // #nosec G104 -- cleanup after a failed open: the open's error is reported
	if s.file != nil {
		s.file.Close() // #nosec G104 -- cleanup after a failed open: the open's error is reported
	}
	s.unlock()
}

func (s *Store) unlock() { s.lock.Unlock() }

func (s *Store) sync() error {
	s.dbmu.RLock()
	defer s.dbmu.RUnlock()
	if s.file == nil {
		return nil
	}
	return s.file.Sync()
}

// key is prefix followed by i in 20 zero-padded decimal digits, so that
// keys sort in index order.
func key(prefix string, i uint64) string {
	var b [24]byte
	n := copy(b[:], prefix)
	d := strconv.AppendUint(b[n:n], i, 10)
	out := make([]byte, 0, n+20)
	out = append(out, prefix...)
	for range 20 - len(d) {
		out = append(out, '0')
	}
	return string(append(out, d...))
}

// load checks the store on open, recovers it from an unfinished last
// write and reads its state; tail is what repairTail found in the file.
func (s *Store) load(tail fileTail) error {
	var format, origin, vkey string
	var meta int     // metadata keys present
	onlyMeta := true // no key but metadata
	err := s.view(func(tx *buntdb.Tx) error {
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
	if err != nil {
		return ioErr("read metadata", err)
	}
	if onlyMeta && meta < 4 {
		// A new store, or one whose creation was cut short (its four keys
		// are one transaction, written in any order): nothing in it was
		// ever acknowledged.
		if s.signer == nil {
			return storeErr(ledger.CodeNotFound, "the ledger store is empty", "", "append an entry first (ebios calc --log)")
		}
		return s.initEmpty()
	}
	if format != storeFormat && format != format3 && format != legacyFormat {
		if format == "" {
			format = "1"
		}
		return storeErr(CodeFormat, "the ledger store is in store format "+format+"; this ebios reads formats "+legacyFormat+", "+format3+" and "+storeFormat, "",
			"export the log with the ebios that wrote it (ebios ledger export) and keep the bundle; start a new store with this version")
	}
	if s.signer == nil { // read-only: check against the key the store records
		v, err := ledger.ParseVerifierKey(vkey)
		if err != nil {
			return damaged("the stored verifier key cannot be parsed: " + err.Error())
		}
		s.verifier, s.origin = v, v.Name()
	}
	if vkey != s.verifier.String() {
		return storeErr(CodeWrongKey, "the ledger store was written with another key", "store key: "+vkey+"; given key: "+s.verifier.String(),
			"start with the key this store was created with; a new key cannot sign old entries")
	}
	if origin != s.origin {
		return damaged("stored origin " + strconv.Quote(origin) + " differs from the key name " + strconv.Quote(s.origin))
	}
	if tail.deletedRow != "" {
		return damaged(fmt.Sprintf("the batch row %q was deleted from the file while it was in store format %s, which never deletes a row", tail.deletedRow, format3))
	}
	if format == legacyFormat {
		if err := s.recoverLegacy(tail); err != nil {
			return err
		}
	}
	st, err := s.readTail()
	if err != nil {
		return err
	}
	cp, c := st.meta, st.metaCP
	if st.hasLast && st.last.cp != "" {
		if st.metaErr != nil {
			return damaged("the stored checkpoint (" + keyCheckpoint + ") does not verify: " + st.metaErr.Error())
		}
		rc, err := ledger.OpenCheckpoint([]byte(st.last.cp), s.verifier, s.origin)
		if err != nil {
			return damaged(fmt.Sprintf("the checkpoint in batch row %q does not verify: %v", batchKey(st.last.first), err))
		}
		rsize := treeSize(rc.Size)
		if rsize != st.last.next() {
			return damaged(fmt.Sprintf("the checkpoint in batch row %q is for tree size %d, but the row ends at %d", batchKey(st.last.first), rc.Size, st.last.next()))
		}
		if c.Size > rc.Size {
			return damaged(fmt.Sprintf("the stored checkpoint (%s, tree size %d) is ahead of the last batch row's (tree size %d)", keyCheckpoint, c.Size, rc.Size))
		}
		cp, c = st.last.cp, rc
	} else if st.metaErr != nil {
		return damaged("the stored checkpoint does not verify: " + st.metaErr.Error())
	}
	if format == legacyFormat && st.hasLast && st.last.cp != "" {
		return damaged(fmt.Sprintf("the batch row %q carries a checkpoint, which store format %s never writes", batchKey(st.last.first), legacyFormat))
	}
	size := treeSize(c.Size)
	if end := st.end(); end != size && format != legacyFormat && st.hasLast && st.last.cp == "" {
		return damaged(fmt.Sprintf("the last batch row %q has no checkpoint of its own, and the stored checkpoint is for tree size %d, not %d (the row's end)", batchKey(st.last.first), size, end))
	} else if end < size {
		return damaged(fmt.Sprintf("the stored checkpoint (tree size %d) is ahead of the stored entries (%d)", size, end))
	}
	// The tile files: meta:sealed, what a crash left half done, and the
	// hashes of the partial tiles above level 0 (seal.go).
	if err := s.recoverSealed(c, tail); err != nil {
		return err
	}
	if err := s.checkSealedRoot(c); err != nil {
		return err
	}
	var last tlog.Hash
	err = s.view(func(tx *buntdb.Tx) error {
		r := s.reader(tx)
		if _, err := r.rows.row(size); err == nil {
			return damaged(fmt.Sprintf("the batch row holding entry %d runs past the checkpoint's tree size %d", size, size))
		}
		root, err := tlog.TreeHash(c.Size, r)
		if err != nil {
			return damaged("tree hashes missing: " + detailsOf(err))
		}
		if root != c.Root {
			return damaged(fmt.Sprintf("the stored tree hashes (in the batch rows and the tile files) give root %s, the checkpoint says %s", root, c.Root))
		}
		if size == 0 {
			return nil
		}
		leaf, err := r.leaf(size - 1)
		if err != nil {
			return err
		}
		e, err := ledger.ParseLeaf(s.origin, []byte(leaf))
		if err != nil {
			return damaged(fmt.Sprintf("entry %d cannot be decoded: %v", size-1, err))
		}
		if err := e.Verify(s.origin, s.verifier); err != nil || e.Index != size-1 {
			return damaged(fmt.Sprintf("entry %d does not verify: %v", size-1, err))
		}
		hs, err := r.ReadHashes([]int64{tlog.StoredHashIndex(0, c.Size-1)})
		if err != nil || hs[0] != tlog.RecordHash([]byte(leaf)) {
			return damaged(fmt.Sprintf("entry %d is not the leaf the tree commits to", size-1))
		}
		last = e.LinkHash(s.origin)
		return nil
	})
	if err == nil && s.signer != nil {
		// The sequencer needs the op-id index (readers build it when
		// first asked). Building it reads every sealed entry bundle and
		// rebuilds missing tiles; then the rows a crash left below
		// meta:sealed go.
		s.ops, err = s.loadOpIndex(size, true)
		if err == nil {
			err = s.dropRowsBelowSealed()
		}
	}
	if err != nil {
		return err
	}
	if format != storeFormat && s.signer != nil {
		// Migrate: from now on every batch row carries its checkpoint,
		// and the sealer seals the full tiles of the rows there are (from
		// format 2 or 3) into tile files and deletes those rows.
		// meta:checkpoint (the checkpoint of the last format-2 row, when
		// there was one) stays; the checkpoint is unchanged.
		err := s.update(func(tx *buntdb.Tx) error {
			_, _, err := tx.Set(keyFormat, storeFormat, nil)
			return err
		})
		if err == nil {
			err = s.sync()
		}
		if err != nil {
			return ioErr("migrate the store to format "+storeFormat, err)
		}
	}
	s.size, s.last, s.cp, s.root = size, last, []byte(cp), c.Root
	return nil
}

// storeTail is the state load reads: meta:checkpoint and the last batch
// row.
type storeTail struct {
	meta    string            // meta:checkpoint
	metaCP  ledger.Checkpoint // meta parsed, when metaErr is nil
	metaErr error
	last    batch // the last batch row, when hasLast
	hasLast bool
}

// end returns the size of the tree the stored rows hold.
func (st *storeTail) end() uint64 {
	if !st.hasLast {
		return 0
	}
	return st.last.next()
}

func (s *Store) readTail() (*storeTail, error) {
	st := &storeTail{}
	var err error
	verr := s.view(func(tx *buntdb.Tx) error {
		st.meta, _ = tx.Get(keyCheckpoint)
		st.last, st.hasLast, err = lastBatch(tx)
		return nil
	})
	if verr != nil {
		return nil, ioErr("read", verr)
	}
	if err != nil {
		return nil, err
	}
	st.metaCP, st.metaErr = ledger.OpenCheckpoint([]byte(st.meta), s.verifier, s.origin)
	return st, nil
}

// lastBatch returns the last batch row, if there is one.
func lastBatch(tx *buntdb.Tx) (b batch, ok bool, err error) {
	scan := tx.DescendLessOrEqual("", prefixBatch+"\xff", func(k, v string) bool {
		if strings.HasPrefix(k, prefixBatch) {
			b, err = parseBatch(k, v)
			ok = err == nil
		}
		return false
	})
	if scan != nil {
		return batch{}, false, scan
	}
	return b, ok, err
}

// recoverLegacy brings a format-2 store back to a consistent state after an
// unfinished last write. Format 2 wrote a batch row and meta:checkpoint, the
// checkpoint of the tree the row ends, in one transaction, which BuntDB
// writes in either order; the file can end after either.
func (s *Store) recoverLegacy(tail fileTail) error {
	var meta string
	var beyond bool
	err := s.view(func(tx *buntdb.Tx) error {
		meta, _ = tx.Get(keyCheckpoint) // a missing checkpoint is "", which does not verify below
		return nil
	})
	if err != nil {
		return ioErr("read "+keyCheckpoint, err)
	}
	c, err := ledger.OpenCheckpoint([]byte(meta), s.verifier, s.origin)
	if err != nil {
		return damaged("the stored checkpoint does not verify: " + err.Error())
	}
	size := uint64(c.Size) // #nosec G115 -- a verified checkpoint's tree size is never negative
	err = s.view(func(tx *buntdb.Tx) error {
		return tx.AscendGreaterOrEqual("", batchKey(size), func(k, _ string) bool {
			beyond = strings.HasPrefix(k, prefixBatch)
			return false
		})
	})
	if err != nil {
		return ioErr("read the batch rows", err)
	}
	if beyond {
		// The row without its checkpoint: the batch was never
		// acknowledged.
		return s.dropUncommitted(size)
	}
	st, err := s.readTail()
	if err != nil {
		return err
	}
	if st.hasLast && st.last.cp != "" {
		return damaged(fmt.Sprintf("the batch row %q carries a checkpoint, which store format %s never writes", batchKey(st.last.first), legacyFormat))
	}
	end := st.end()
	if end >= size { // equal, or a row runs past the checkpoint: load names it
		return nil
	}
	// The checkpoint without its row: it was written first and the write
	// was cut before the row was whole. Then nothing came after it (it is
	// the last command in the file, the tail of the unfinished write), and
	// the checkpoint it replaced, still in the file before it, commits
	// exactly the rows there are. Anything else is not a torn write.
	ahead := fmt.Sprintf("the stored checkpoint (tree size %d) is ahead of the stored entries (%d)", size, end)
	if tail.lastKey != keyCheckpoint {
		return damaged(ahead + ", and it is not the end of an unfinished write (more was written after it)")
	}
	if len(tail.checkpoints) < 2 || tail.checkpoints[0] != st.meta {
		return damaged(ahead + ", and the checkpoint it replaced is not in the file")
	}
	prev := tail.checkpoints[1]
	pc, err := ledger.OpenCheckpoint([]byte(prev), s.verifier, s.origin)
	if err != nil {
		return damaged(ahead + "; the checkpoint before it does not verify: " + err.Error())
	}
	psize := treeSize(pc.Size)
	if psize != end {
		return damaged(fmt.Sprintf("%s; the checkpoint before it is for tree size %d", ahead, pc.Size))
	}
	err = s.view(func(tx *buntdb.Tx) error {
		root, err := tlog.TreeHash(pc.Size, &rows{tx: tx})
		if err != nil {
			return damaged(ahead + "; tree hashes missing: " + err.Error())
		}
		if root != pc.Root {
			return damaged(fmt.Sprintf("%s; the stored tree hashes give root %s, the checkpoint before it says %s", ahead, root, pc.Root))
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = s.update(func(tx *buntdb.Tx) error {
		_, _, err := tx.Set(keyCheckpoint, prev, nil)
		return err
	})
	if err == nil {
		err = s.sync()
	}
	if err != nil {
		return ioErr("roll back the checkpoint of an unacknowledged batch", err)
	}
	return nil
}

// dropUncommitted removes the batch rows written after the last
// checkpoint of a format-2 store: a batch whose commit record never made
// it to disk.
func (s *Store) dropUncommitted(size uint64) error {
	var stale []string
	err := s.view(func(tx *buntdb.Tx) error {
		return tx.AscendGreaterOrEqual("", batchKey(size), func(k, _ string) bool {
			if !strings.HasPrefix(k, prefixBatch) {
				return false
			}
			stale = append(stale, k)
			return true
		})
	})
	if err != nil || len(stale) == 0 {
		return err
	}
	err = s.update(func(tx *buntdb.Tx) error {
		for _, k := range stale {
			if _, err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = s.sync()
	}
	if err != nil {
		return ioErr("remove an unacknowledged batch", err)
	}
	return nil
}

// initEmpty writes the metadata and the signed checkpoint of the empty tree.
func (s *Store) initEmpty() error {
	c := ledger.Checkpoint{Origin: s.origin, Size: 0, Root: tlog.Hash(sha256.Sum256(nil))}
	cp, err := c.Sign(s.signer)
	if err != nil {
		return err
	}
	err = s.update(func(tx *buntdb.Tx) error {
		for _, kv := range [][2]string{{keyFormat, storeFormat}, {keyOrigin, s.origin}, {keyVerifier, s.verifier.String()}, {keyCheckpoint, string(cp)}} {
			if _, _, err := tx.Set(kv[0], kv[1], nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = s.sync()
	}
	if err != nil {
		return ioErr("initialise", err)
	}
	s.cp, s.root, s.ops = cp, c.Root, newOpIndex()
	return nil
}

// Origin returns the log's origin (the signer's key name).
func (s *Store) Origin() string { return s.origin }

// VerifierKey returns the verifier key of the log in note format.
func (s *Store) VerifierKey() string { return s.verifier.String() }

// Ready returns nil when the store takes appends, and otherwise why not
// (closed, read-only, or stopped after a failed write).
func (s *Store) Ready() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.closed:
		return errClosed()
	case s.failed != nil:
		return s.failed
	case s.signer == nil:
		return storeErr(CodeClosed, "the ledger store is open read-only", "", "open it with its signing key to append")
	}
	return nil
}

// Len returns the number of durable entries.
func (s *Store) Len() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.size
}

// Checkpoint returns the latest signed checkpoint (a C2SP signed note).
func (s *Store) Checkpoint() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cp
}

// Latest returns the latest signed checkpoint and its tree size, read
// together (the size is Len at the moment the checkpoint was current).
func (s *Store) Latest() (cp []byte, size int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cp, int64(s.size) // #nosec G115 -- the store's size is a tree size, below 2^63 (tlog sizes are int64)
}

// Get returns entry i.
func (s *Store) Get(i uint64) (*ledger.Entry, error) {
	if i >= s.Len() {
		return nil, storeErr(ledger.CodeNotFound, "no entry "+strconv.FormatUint(i, 10), "the log has "+strconv.FormatUint(s.Len(), 10)+" entries",
			"ask for an index below the tree size of the latest checkpoint")
	}
	leaf, err := s.leaf(i)
	if err != nil {
		return nil, err
	}
	return ledger.ParseLeaf(s.origin, []byte(leaf))
}

// IndexOfOp returns the index of the entry with the given op id.
func (s *Store) IndexOfOp(opID string) (uint64, bool) {
	i, ok := s.opIndex().lookup(opID, s.opAt)
	return i, ok && i < s.Len()
}

// opIndex returns the op-id index. A writable store builds it when it
// opens (its sequencer needs it); a read-only one when first asked, so that
// verifying or exporting a large log does not pay for it. An entry whose op
// id cannot be read is left out (verification reports it).
func (s *Store) opIndex() *opIndex {
	s.opsOnce.Do(func() {
		if s.ops != nil {
			return
		}
		s.ops, _ = s.loadOpIndex(s.Len(), false)
	})
	return s.ops
}

// opAt reads the op id of entry i (which may be written but not yet
// durable).
func (s *Store) opAt(i uint64) (op string, ok bool) {
	if leaf, err := s.leaf(i); err == nil {
		op, ok = ledger.LeafOpID([]byte(leaf))
	}
	return op, ok
}

// leaf reads entry i's leaf data: a sealed entry from its bundle, without
// holding a BuntDB transaction while the file is read; another from its
// batch row.
func (s *Store) leaf(i uint64) (leaf string, err error) {
	if i < s.seal.Load().Size() {
		leaf, err := s.tiles.entry(bundleOf(i), int(i%ledger.TileWidth))
		if err != nil {
			return "", tileErr(err)
		}
		return string(leaf), nil
	}
	err = s.view(func(tx *buntdb.Tx) error {
		leaf, err = s.reader(tx).leaf(i)
		return err
	})
	return leaf, err
}

// hashReader returns a HashReader over the committed tree.
func (s *Store) readHashes(f func(r tlog.HashReader) error) error {
	return s.view(func(tx *buntdb.Tx) error { return f(s.reader(tx)) })
}

// InclusionProof proves entry index in the tree of size treeSize.
func (s *Store) InclusionProof(index, treeSize int64) (tlog.RecordProof, error) {
	if err := s.checkSizes(index+1, treeSize); err != nil {
		return nil, err
	}
	var p tlog.RecordProof
	err := s.readHashes(func(r tlog.HashReader) (err error) {
		p, err = tlog.ProveRecord(treeSize, index, r)
		return err
	})
	return p, err
}

// ConsistencyProof proves that the tree of size oldSize is a prefix of the
// tree of size newSize.
func (s *Store) ConsistencyProof(oldSize, newSize int64) (tlog.TreeProof, error) {
	if err := s.checkSizes(oldSize, newSize); err != nil {
		return nil, err
	}
	var p tlog.TreeProof
	err := s.readHashes(func(r tlog.HashReader) (err error) {
		p, err = tlog.ProveTree(newSize, oldSize, r)
		return err
	})
	return p, err
}

// TreeHash returns the root of the tree of the first n entries.
func (s *Store) TreeHash(n int64) (tlog.Hash, error) {
	if err := s.checkSizes(n, n); err != nil {
		return tlog.Hash{}, err
	}
	var h tlog.Hash
	err := s.readHashes(func(r tlog.HashReader) (err error) {
		h, err = tlog.TreeHash(n, r)
		return err
	})
	return h, err
}

func (s *Store) checkSizes(small, big int64) error {
	n := int64(s.Len()) // #nosec G115 -- the store's size is a tree size, below 2^63 (tlog sizes are int64)
	if small < 0 || small > big || big > n {
		return storeErr(ledger.CodeNotFound, fmt.Sprintf("no proof between sizes %d and %d", small, big),
			fmt.Sprintf("the log has %d entries", s.Len()), "ask for sizes 0 <= old <= new <= the current tree size")
	}
	return nil
}

// WriteBundle writes an export bundle of the first n entries (all entries
// when n < 0) with a checkpoint for exactly that size, streaming entry by
// entry.
func (s *Store) WriteBundle(w io.Writer, n int64, progress func(done, total int64)) error {
	s.mu.RLock()
	size, cp := int64(s.size), s.cp // #nosec G115 -- the store's size is a tree size, below 2^63 (tlog sizes are int64)
	s.mu.RUnlock()
	if n >= 0 && n < size {
		if s.signer == nil {
			return storeErr(CodeClosed, "a partial export needs the signing key", "", "export the whole log, or open the store with its key")
		}
		root, err := s.TreeHash(n)
		if err != nil {
			return err
		}
		if cp, err = (ledger.Checkpoint{Origin: s.origin, Size: n, Root: root}).Sign(s.signer); err != nil {
			return err
		}
		size = n
	}
	return logstore.WriteBundle(w, ledger.BundleHeader{Origin: s.origin, Key: s.verifier.String(), Checkpoint: string(cp)}, size, s.leaves, progress,
		func(_ uint64, err error) error { return damaged(err.Error()) })
}

// Verify re-verifies the whole store as an auditor would verify its export
// (every signature, chain link, and the Merkle root against the signed
// checkpoint), and also checks every stored tree hash against the entries,
// since proofs are served from those. The report names the first bad entry.
// progress, when not nil, sees the second phase (VerifyContext has both).
func (s *Store) Verify(progress func(done, total int64)) (*ledger.Report, error) {
	var p func(VerifyPhase, int64, int64)
	if progress != nil {
		p = func(ph VerifyPhase, done, total int64) {
			if ph == PhaseEntries {
				progress(done, total)
			}
		}
	}
	return s.VerifyContext(context.Background(), p)
}

// VerifyPhase is a phase of a whole-store verification.
type VerifyPhase = logstore.VerifyPhase

// The phases of VerifyContext, in order.
const (
	// PhaseStored checks the sealed tiles, the batch rows and their tree
	// hashes and checkpoints (what proofs and reads are served from).
	PhaseStored = logstore.PhaseStored
	// PhaseEntries verifies the log as its export: signatures, chain
	// links and the Merkle root against the signed checkpoint.
	PhaseEntries = logstore.PhaseEntries
)

var _ logstore.Log = (*Store)(nil)

// VerifyContext is Verify with a context and progress in both phases:
// progress (when not nil) is called with the phase, the entries done and
// the entries to do, every few thousand entries. When ctx ends, the
// verification stops within one tile or row chunk and returns ctx's error
// with no report. No read holds BuntDB for more than a chunk of rows, so
// appends go on meanwhile.
func (s *Store) VerifyContext(ctx context.Context, progress func(phase VerifyPhase, done, total int64)) (*ledger.Report, error) {
	if progress == nil {
		progress = func(VerifyPhase, int64, int64) {}
	}
	if rep, err := s.checkStoredContext(ctx, func(done, total int64) { progress(PhaseStored, done, total) }); rep != nil || err != nil {
		return rep, err
	}
	return logstore.VerifyExport(ctx, func(w io.Writer) error { return s.WriteBundle(w, -1, nil) }, s.verifier, progress)
}

// Append logs d and returns the signed entry once it is durable. A draft
// with a zero timestamp gets the store's clock. Invalid drafts, duplicate op
// ids and unknown parent op ids are refused before anything is written. If
// ctx ends first, Append returns ctx.Err(); the entry may still be committed.
func (s *Store) Append(ctx context.Context, d ledger.Draft) (*ledger.Entry, error) {
	es, err := s.AppendBatch(ctx, []ledger.Draft{d})
	if err != nil {
		return nil, err
	}
	return es[0], nil
}

// AppendBatch logs the drafts as consecutive entries, atomically: all of
// them become durable in one transaction, or none is written (a draft may
// name an earlier draft of the batch as its parent).
func (s *Store) AppendBatch(ctx context.Context, ds []ledger.Draft) ([]*ledger.Entry, error) {
	if len(ds) == 0 {
		return nil, storeErr(ledger.CodeInvalidEntry, "nothing to append", "", "give at least one entry")
	}
	for i := range ds {
		if err := ds[i].Validate(); err != nil {
			return nil, err
		}
	}
	s.mu.RLock()
	closed, failed := s.closed, s.failed
	s.mu.RUnlock()
	if closed {
		return nil, errClosed()
	}
	if s.signer == nil {
		return nil, storeErr(CodeClosed, "the ledger store is open read-only", "", "open it with its signing key to append")
	}
	if failed != nil {
		return nil, failed
	}
	r := &request{drafts: ds, reply: make(chan reply, 1)}
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	select {
	case s.reqs <- r:
	case <-s.quit:
		return nil, errClosed()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case rep := <-r.reply:
		return rep.es, rep.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func errClosed() error {
	return storeErr(CodeClosed, "the ledger store is closed", "", "reopen the store")
}

// Close commits the appends already queued, stops the sequencer and closes
// the file.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	if s.signer != nil {
		close(s.quit)
	}
	<-s.done
	s.stopSealer()
	err := s.db.Close()
	if s.file != nil {
		if e := s.file.Close(); err == nil {
			err = e
		}
	}
	s.unlock()
	return err
}

// The writer is a streaming pipeline of four kinds of goroutine:
//
//   - the sequencer orders appends: it checks op ids, assigns indexes and
//     chain links and builds each entry's canonical body;
//   - signers (one per core) sign bodies as they come, in parallel;
//   - the committer takes every entry signed since its last write, in
//     index order and whole requests only (group commit), computes the tree
//     hashes, signs the checkpoint of the new tree and writes one
//     transaction;
//   - the syncer fsyncs what the committer wrote (one fsync for every batch
//     written meanwhile), and only then publishes the new state and answers
//     the callers.
//
// Signing never waits for a write, and the next batch is written while the
// last one is fsynced, so the cores stay busy while a batch waits for the
// disk. Readers see only what is published: entries written but not yet
// fsynced are beyond Len.

// job is one entry on its way to disk.
type job struct {
	req  *request
	p    ledger.Pending
	last bool // the last entry of its request
}

const pipelineDepth = 8192 // entries sequenced but not yet committed, at most

// sequence is the sequencer; it starts the signers and the committer and
// stops them when the store closes.
func (s *Store) sequence() {
	signq := make(chan *job, pipelineDepth)
	order := make(chan *job, pipelineDepth)
	var signers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		signers.Add(1)
		go func() {
			defer signers.Done()
			s.signLoop(signq)
		}()
	}
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		s.committer(order)
	}()
	defer func() {
		close(signq)
		close(order)
		signers.Wait()
		<-committed
		close(s.done)
	}()
	s.mu.RLock()
	st := ledger.NewSequencer(s.origin, ledger.KeyID(s.signer.KeyHash()), s.size, s.last)
	s.mu.RUnlock()
	for {
		select {
		case r := <-s.reqs:
			s.admit(st, r, signq, order)
		case <-s.quit:
			for {
				select {
				case r := <-s.reqs:
					s.admit(st, r, signq, order)
				default:
					return
				}
			}
		}
	}
}

// admit sequences one request, or refuses it whole.
func (s *Store) admit(st *ledger.Sequencer, r *request, signq, order chan<- *job) {
	s.mu.RLock()
	committedSize, failed := s.size, s.failed
	s.mu.RUnlock()
	if failed != nil {
		r.reply <- reply{err: failed}
		return
	}
	if st.Pending() > 2*pipelineDepth { // forget what is on disk now
		st.Forget(committedSize)
	}
	ps, err := st.Sequence(r.drafts, s.opts.Now().UnixNano(), sequencedOps{s})
	if err != nil {
		r.reply <- reply{err: err}
		return
	}
	jobs := make([]job, len(ps))
	for i := range ps {
		jobs[i] = job{req: r, p: ps[i]}
		s.ops.add(ps[i].Entry.OpID, ps[i].Entry.Index)
	}
	jobs[len(jobs)-1].last = true
	r.signed = make(chan struct{})
	r.unsigned.Store(int64(len(jobs)))
	for i := range jobs {
		order <- &jobs[i]
		signq <- &jobs[i]
	}
}

// sequencedOps is the op-id index the sequencer asks about op ids it
// does not remember: every entry written, durable or not. It looks at
// BuntDB only when the compact index has a candidate, so the sequencer
// rarely waits for the committer's write lock.
type sequencedOps struct{ s *Store }

func (o sequencedOps) IndexOfOp(op string) (uint64, bool) { return o.s.ops.lookup(op, o.s.opAt) }

// signLoop signs the entries of signq as they come.
func (s *Store) signLoop(signq <-chan *job) {
	for j := range signq {
		j.p.Sign(s.signer) // #nosec G104 -- s.signer is a *ledger.Signer (Ed25519 in memory), whose Sign never fails
		if j.req.unsigned.Add(-1) == 0 {
			close(j.req.signed)
		}
	}
}

// written is a batch in the file but not yet fsynced, with the state it
// makes.
type written struct {
	batch []*job
	size  uint64
	cp    []byte
	root  tlog.Hash
}

// committer writes signed entries in index order, whole requests in each
// batch (group commit), and hands each written batch to the syncer, so
// that the next batch is written while the last one is fsynced. The hand
// over waits until the syncer is free: while it waits, entries gather
// for the next batch, so there are about as many writes (and checkpoint
// signatures) as fsyncs.
func (s *Store) committer(order <-chan *job) {
	tosync := make(chan written)
	synced := make(chan struct{})
	go func() {
		defer close(synced)
		s.syncer(tosync)
	}()
	defer func() {
		close(tosync)
		<-synced
	}()
	s.mu.RLock()
	size := s.size
	s.mu.RUnlock()
	// #nosec G115 -- the store's size is a tree size, below 2^63 (tlog sizes are int64)
	tree, err := ledger.NewTree(int64(size), s.drv)
	if err != nil { // load checked these hashes: the file changed under us
		s.mu.Lock()
		s.failed = damaged("tree hashes missing: " + err.Error())
		s.mu.Unlock()
	}
	for j := range order {
		batch := []*job{j}
		// Take every entry already sequenced, up to MaxBatch, but always
		// whole requests.
	more:
		for len(batch) < s.opts.MaxBatch || !batch[len(batch)-1].last {
			if !batch[len(batch)-1].last {
				k, ok := <-order
				if !ok {
					break
				}
				batch = append(batch, k)
				continue
			}
			select {
			case k, ok := <-order:
				if !ok {
					break more
				}
				batch = append(batch, k)
			default:
				break more
			}
		}
		for _, k := range batch {
			if k.last { // a batch holds whole requests
				<-k.req.signed
			}
		}
		w, err := s.write(batch, size, tree)
		if err != nil {
			s.fail(batch, err, true)
			continue
		}
		size = w.size
		tosync <- w
	}
}

// write commits one batch after the first size entries: the engine's
// tree gives each entry's tree hashes and signs the checkpoint of the new
// tree, and the driver writes them (as one batch row, driver.go).
func (s *Store) write(batch []*job, size uint64, tree *ledger.Tree) (written, error) {
	s.mu.RLock()
	failed := s.failed
	s.mu.RUnlock()
	if failed != nil {
		return written{}, failed
	}
	b := &ledger.Batch{First: size, Entries: make([]ledger.Pending, len(batch)), Hashes: make([][]tlog.Hash, len(batch))}
	var err error
	for i, j := range batch {
		b.Entries[i] = j.p
		if b.Hashes[i], err = tree.AddHash(j.p.LeafHash()); err != nil {
			break
		}
	}
	var root tlog.Hash
	if err == nil {
		b.Checkpoint, root, err = tree.Checkpoint(s.origin, s.signer)
	}
	if err == nil {
		start := time.Now()
		err = s.drv.Commit(b)
		if err == nil && s.opts.OnWrite != nil {
			s.opts.OnWrite(len(batch), time.Since(start))
		}
	}
	if err != nil {
		// Later entries are already chained to these: stop appending.
		// Reopening the store recovers to the last durable checkpoint.
		return written{}, ioErr("write", err)
	}
	return written{batch: batch, size: size + uint64(len(batch)), cp: b.Checkpoint, root: root}, nil
}

// syncer fsyncs written batches (one fsync for all that are waiting), and
// only then publishes the new state and answers the callers.
func (s *Store) syncer(tosync <-chan written) {
	var ws []written
	for w := range tosync {
		ws = append(ws[:0], w)
	more:
		for {
			select {
			case w, ok := <-tosync:
				if !ok {
					break more
				}
				ws = append(ws, w)
			default:
				break more
			}
		}
		s.mu.RLock()
		err := s.failed
		s.mu.RUnlock()
		if err == nil {
			start := time.Now()
			if err = s.drv.Sync(); err != nil {
				// After a failed fsync the file's state is unknown.
				err = ioErr("fsync", err)
			} else if s.opts.OnSync != nil {
				s.opts.OnSync(time.Since(start))
			}
		}
		if err != nil {
			for _, w := range ws {
				s.fail(w.batch, err, true)
			}
			continue
		}
		last := ws[len(ws)-1]
		s.mu.Lock()
		s.size, s.last, s.cp, s.root = last.size, last.batch[len(last.batch)-1].p.Link, last.cp, last.root
		s.mu.Unlock()
		var all []*ledger.Entry // what the commits made durable, for OnCommit
		hook := s.opts.OnCommit != nil
		for _, w := range ws {
			// The entries of one request are consecutive and whole in a batch.
			var es []*ledger.Entry
			for _, j := range w.batch {
				es = append(es, j.p.Entry)
				if j.last {
					j.req.reply <- reply{es: es}
					if hook {
						all = append(all, es...)
					}
					es = nil
				}
			}
		}
		if s.opts.OnCommit != nil {
			s.opts.OnCommit(last.size, all)
		}
		if sealable(last.size) > s.seal.Load().Size() {
			s.kickSealer()
		}
	}
}

// fail answers every request of a batch with err; fatal stops the store
// from taking appends.
func (s *Store) fail(batch []*job, err error, fatal bool) {
	if fatal {
		s.mu.Lock()
		if s.failed == nil {
			s.failed = err
		}
		s.mu.Unlock()
	}
	for _, j := range batch {
		if j.last {
			j.req.reply <- reply{err: err}
		}
	}
}

// treeSize is a checkpoint's tree size as an entry index bound. A parsed
// checkpoint's size is never negative (ledger.ParseCheckpoint).
func treeSize(size int64) uint64 {
	return uint64(size) // #nosec G115 -- never negative, see above
}
