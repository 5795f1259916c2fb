package ledgerstore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/tidwall/buntdb"
	"golang.org/x/mod/sumdb/tlog"
)

// The sealer. After each commit the syncer wakes it; it waits sealPause
// (so that one round takes the tiles of several commits), then seals every
// full tile of entries that ends before the last committed entry, at most
// sealRoundTiles tiles a round:
//
//  1. it reads the tile's 256 entries and their level-0 hashes from the
//     batch rows, and checks that the hashes are those of the entries;
//  2. it writes the entry bundles, the level-0 hash tiles and every hash
//     tile of a higher level they complete, each to a file without a name
//     (or a temporary one), fsyncs them all and only then links (or
//     renames) each into place (tiles.go), then fsyncs the directories;
//  3. it sets meta:sealed to the new sealed size (one BuntDB command) and
//     publishes the new sealed state to readers;
//  4. it deletes the batch rows whose entries are all sealed (never the
//     last row, which carries the latest checkpoint);
//  5. when the BuntDB file is larger than compactMinSize and than
//     compactRatio times its live keys (the deleted rows are still in it:
//     BuntDB appends a delete), it compacts it: it writes the live keys to
//     a new file, fsyncs it and renames it over the old one, with appends
//     paused meanwhile (a few milliseconds). It also checks this when the
//     store opens.
//
// Sealing runs beside the append pipeline: it reads and deletes rows in
// short BuntDB transactions of its own and never holds up a commit for
// longer than that. Its cost is mostly the file system's (two new files
// and their fsyncs per 256 entries), and it competes with the appends for
// the CPU; so while many appends wait for their answer (sealBusy or more:
// the cores are busy signing), it waits for them, up to sealBacklog
// unsealed entries, and then seals at full speed whatever the load, so
// that the unsealed rows in memory stay bounded. A failure to write a
// tile (a full disk) leaves the rows where they are and is retried a
// second later; the store keeps taking appends.
//
// What open recovers (recoverSealed):
//
//   - temporary files in tile-tmp/ (a crash while writing a tile): removed;
//   - tile files beyond meta:sealed (a crash after writing them, before
//     meta:sealed was set): ignored, and rewritten by the next seal;
//   - batch rows below meta:sealed (a crash after setting it, before the
//     rows were deleted): deleted;
//   - a tile file below meta:sealed that is missing or cut: rewritten, a
//     hash tile from the tiles or bundle below it, an entry bundle from the
//     batch rows when they are still in ledger.db; when they are not, the
//     store is refused (LEDGER_020) naming the file;
//   - the last sealed bundle is checked against its hash tile, and the
//     checkpoint's root against the tree hashes read through the tiles;
//     Verify checks every tile.
//
// An entry whose leaf data is longer than 65,535 bytes does not fit in an
// entry bundle (C2SP's uint16 length). Appends refuse such entries, but a
// store written before that rule may hold one: the sealer then stops
// before its tile, and the rows from there on stay in ledger.db (the store
// works as in format 3, memory growing with them); SealStatus says so.

// Tunables; tests change them.
var (
	sealPause             = 20 * time.Millisecond
	sealRoundTiles        = 64
	sealRetry             = time.Second
	sealBusy       int64  = 16      // appends in flight that make the sealer wait
	sealBacklog    uint64 = 1 << 16 // unsealed entries beyond which it does not
	sealDefer             = 50 * time.Millisecond
	compactMinSize int64  = 64 << 20
	compactRatio   int64  = 4
	// sealCrash, when set, is asked after each step of a round ("files":
	// the tile files are durable; "sealed": meta:sealed is set); true
	// stops the sealer there for good, as a crash would (tests).
	sealCrash func(step string) bool
)

// crashed stops the sealer when the test hook says so.
func (s *Store) crashed(step string) bool {
	if sealCrash == nil || !sealCrash(step) {
		return false
	}
	s.mu.Lock()
	s.sealStop = errors.New("stopped by a test after step " + step)
	s.mu.Unlock()
	return true
}

// keySealed holds the number of sealed entries (a multiple of 256).
const keySealed = "meta:sealed"

func (s *Store) startSealer() {
	s.sealKick = make(chan struct{}, 1)
	s.sealQuit = make(chan struct{})
	s.sealDone = make(chan struct{})
	go s.sealLoop()
	s.kickSealer()
}

// kickSealer wakes the sealer, if there is one, when a tile can be sealed.
func (s *Store) kickSealer() {
	if s.sealKick == nil {
		return
	}
	select {
	case s.sealKick <- struct{}{}:
	default:
	}
}

func (s *Store) stopSealer() {
	if s.sealQuit != nil {
		close(s.sealQuit)
		<-s.sealDone
	}
}

func (s *Store) sealLoop() {
	defer close(s.sealDone)
	first := true
	wait := func(d time.Duration) bool {
		select {
		case <-s.sealQuit:
			return false
		case <-time.After(d):
			return true
		}
	}
	for {
		select {
		case <-s.sealQuit:
			return
		case <-s.sealKick:
		}
		if first {
			// A file that a crash or a lagging sealer left large.
			first = false
			s.setSealErr(s.maybeCompact())
		}
		if !wait(sealPause) {
			return
		}
		for {
			if s.sealDeferred() {
				if !wait(sealDefer) {
					return
				}
				continue
			}
			n, err := s.sealRound()
			s.setSealErr(err)
			if err != nil {
				if !wait(sealRetry) {
					return
				}
				s.kickSealer()
				break
			}
			if n == 0 {
				break
			}
			select {
			case <-s.sealQuit:
				return
			default:
			}
		}
	}
}

// sealDeferred reports whether the sealer should wait for the appends in
// flight (see the top of this file).
func (s *Store) sealDeferred() bool {
	if s.inflight.Load() < sealBusy {
		return false
	}
	return s.Len()-s.seal.Load().Size() < sealBacklog
}

func (s *Store) setSealErr(err error) {
	s.mu.Lock()
	s.sealErr = err
	s.mu.Unlock()
}

// SealStatus returns the number of entries sealed into tile files, and why
// sealing is stopped or failing, if it is.
func (s *Store) SealStatus() (sealed uint64, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	err = s.sealErr
	if s.sealStop != nil {
		err = s.sealStop
	}
	return s.seal.Load().Size(), err
}

// sealable returns the sealed size the committed entries allow: whole
// tiles that end before the last entry.
func sealable(committed uint64) uint64 {
	if committed == 0 {
		return 0
	}
	return (committed - 1) / ledger.TileWidth * ledger.TileWidth
}

// sealRound seals the tiles that can be sealed, up to sealRoundTiles; it
// returns how many it sealed.
func (s *Store) sealRound() (int, error) {
	s.mu.RLock()
	stop, failed := s.sealStop, s.failed
	s.mu.RUnlock()
	if stop != nil || failed != nil {
		return 0, nil
	}
	st := s.seal.Load()
	target := min(sealable(s.Len()), st.Size()+uint64(sealRoundTiles)*ledger.TileWidth) // #nosec G115 -- sealRoundTiles is a positive tunable (64)
	if target <= st.Size() {
		return 0, nil
	}
	next := st.Clone()
	dirty := map[string]bool{}
	var ws []ledger.TileWrite
	k0 := int64(st.Size() / ledger.TileWidth) // #nosec G115 -- a tree size over TileWidth, below 2^55
	for k := k0; next.Size() < target; k++ {
		bundle, hashes, err := s.tileFromRows(k)
		var tooLong *entryTooLong
		if errors.As(err, &tooLong) {
			s.mu.Lock()
			s.sealStop = storeErr(CodeDamaged, "sealing stopped before entry "+strconv.FormatUint(tooLong.i, 10), err.Error(),
				"this entry was written before appends were limited to 65,535 bytes; the entries from its tile on stay in ledger.db")
			s.mu.Unlock()
			break
		}
		if err != nil {
			return 0, err
		}
		ws = append(ws, ledger.TileWrite{Tile: ledger.FullTile(ledger.BundleLevel, k), Data: bundle})
		if ws, err = next.Add(ws, k, hashes); err != nil {
			return 0, err
		}
	}
	if next.Size() == st.Size() {
		return 0, nil
	}
	if err := s.tiles.writeAll(ws, dirty); err != nil {
		return 0, err
	}
	if err := syncDirs(dirty); err != nil {
		return 0, err
	}
	if s.crashed("files") {
		return 0, nil
	}
	err := s.update(func(tx *buntdb.Tx) error {
		_, _, err := tx.Set(keySealed, strconv.FormatUint(next.Size(), 10), nil)
		return err
	})
	if err != nil {
		return 0, ioErr("record the sealed tiles", err)
	}
	s.seal.Store(next)
	if s.crashed("sealed") {
		return 0, nil
	}
	if err := s.dropSealedRows(next.Size()); err != nil {
		return 0, err
	}
	if err := s.maybeCompact(); err != nil {
		return 0, err
	}
	return int((next.Size() - st.Size()) / ledger.TileWidth), nil // #nosec G115 -- at most sealRoundTiles tiles were sealed
}

// entryTooLong is the error of an entry that does not fit in a bundle.
type entryTooLong struct {
	i uint64
	n int
}

func (e *entryTooLong) Error() string {
	return fmt.Sprintf("entry %d's leaf data is %d bytes, and an entry bundle holds at most %d", e.i, e.n, ledger.MaxBundleEntry)
}

// tileFromRows reads entries 256k … 256k+255 from the batch rows and
// returns their entry bundle and level-0 hash tile, after checking the
// stored hashes against the entries.
func (s *Store) tileFromRows(k int64) (bundle, hashes []byte, err error) {
	first := uint64(k) * ledger.TileWidth // #nosec G115 -- k is a tile index, never negative
	err = s.view(func(tx *buntdb.Tx) error {
		r := &rows{tx: tx}
		leaves := make([][]byte, ledger.TileWidth)
		for j := range leaves {
			i := first + uint64(j)
			leaf, err := r.leaf(i)
			if err != nil {
				return err
			}
			if len(leaf) > ledger.MaxBundleEntry {
				return &entryTooLong{i, len(leaf)}
			}
			leaves[j] = unsafe.Slice(unsafe.StringData(leaf), len(leaf)) // #nosec G103 -- a read-only view of the row's bytes for SealTile, which does not change or keep it
		}
		var err error
		if bundle, hashes, err = ledger.SealTile(leaves); err != nil {
			return err
		}
		for j := range leaves {
			i := first + uint64(j)
			stored, err := r.hash(tlog.StoredHashIndex(0, int64(i))) // #nosec G115 -- i is an entry index of the store, below its size (a tree size, below 2^63)
			if err != nil {
				return damaged(err.Error())
			}
			if string(stored[:]) != string(hashes[j*tlog.HashSize:(j+1)*tlog.HashSize]) {
				return damaged(fmt.Sprintf("the stored hash of entry %d does not match the entry", i))
			}
		}
		// The root of the tile must be the stored hash of level 8.
		root, _ := ledger.TileRoot(hashes)
		stored, err := r.hash(tlog.StoredHashIndex(ledger.TileHeight, k))
		if err != nil || stored != root {
			return damaged(fmt.Sprintf("the stored tree hash of entries %d to %d does not match them", first, first+ledger.TileWidth-1))
		}
		return nil
	})
	return bundle, hashes, err
}

// dropSealedRows deletes the batch rows whose entries are all below
// sealed. The last row is never among them (sealable).
func (s *Store) dropSealedRows(sealed uint64) error {
	var stale []string
	err := s.view(func(tx *buntdb.Tx) error {
		return forEachBatch(tx, 0, func(b *batch) bool {
			if b.next() > sealed {
				return false
			}
			stale = append(stale, batchKey(b.first))
			return true
		})
	})
	if err != nil {
		return err
	}
	for len(stale) > 0 {
		// In slices, so that one transaction stays short.
		n := min(len(stale), 256)
		err := s.update(func(tx *buntdb.Tx) error {
			for _, k := range stale[:n] {
				if _, err := tx.Delete(k); err != nil && err != buntdb.ErrNotFound {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return ioErr("delete sealed rows", err)
		}
		stale = stale[n:]
	}
	return nil
}

// maybeCompact compacts the BuntDB file when it is larger than
// compactMinSize and than compactRatio times its live keys.
func (s *Store) maybeCompact() error {
	s.dbmu.RLock()
	fi, err := s.file.Stat()
	s.dbmu.RUnlock()
	if err != nil {
		return ioErr("stat "+s.path, err)
	}
	if fi.Size() < compactMinSize {
		return nil
	}
	var live int64
	err = s.view(func(tx *buntdb.Tx) error {
		return tx.Ascend("", func(k, v string) bool {
			live += int64(len(k) + len(v) + 32)
			return true
		})
	})
	if err != nil {
		return ioErr("read "+s.path, err)
	}
	if fi.Size() < compactRatio*live {
		return nil
	}
	return s.compact()
}

// compact rewrites the BuntDB file with only its live keys, in two
// phases, so that appends wait only for the second, short one:
//
//  1. beside the appends: it notes where the file ends, writes every live
//     key to ledger.db.compact (reading them in slices of 1,000, in read
//     transactions of their own), fsyncs that file and opens it as a new
//     BuntDB database;
//  2. with appends and reads paused: it applies to the new database the
//     commands written to the old file since the point it noted (the
//     commits made meanwhile; the sealer, which compacts, writes nothing
//     else), fsyncs the new file, renames it over ledger.db, fsyncs the
//     directory, and swaps the two.
//
// A crash before the rename leaves the old file, which is whole, and open
// removes the temporary one; after it, the new file holds every commit.
func (s *Store) compact() error {
	tmp := s.path + ".compact"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600) // #nosec G304 -- tmp is ledger.db.compact beside the store, in the operator's data directory
	if err != nil {
		return ioErr("compact "+s.path, err)
	}
	discard := func(err error) error {
		f.Close()      // #nosec G104 -- the file is dropped: err is the error to report
		os.Remove(tmp) // #nosec G104 -- the file is dropped: err is the error to report; open removes a leftover
		return ioErr("compact "+s.path, err)
	}
	var from int64 // end of the old file when the snapshot began
	w := bufio.NewWriterSize(f, 1<<20)
	pivot, first := "", true
	for done := false; !done; {
		err := s.view(func(tx *buntdb.Tx) error {
			if first {
				fi, err := s.file.Stat()
				if err != nil {
					return err
				}
				from, first = fi.Size(), false
			}
			done = true
			var werr error
			n := 0
			err := tx.AscendGreaterOrEqual("", pivot, func(k, v string) bool {
				if n == 1000 {
					pivot, done = k, false
					return false
				}
				n++
				werr = writeSet(w, k, v)
				return werr == nil
			})
			if err != nil {
				return err
			}
			return werr
		})
		if err != nil {
			return discard(err)
		}
	}
	if err := w.Flush(); err != nil {
		return discard(err)
	}
	if err := f.Sync(); err != nil {
		return discard(err)
	}
	db, err := buntdb.Open(tmp)
	if err == nil {
		err = db.SetConfig(buntdb.Config{SyncPolicy: buntdb.Never, AutoShrinkDisabled: true})
		if err != nil {
			db.Close() // #nosec G104 -- the new file is dropped: the SetConfig error is the one reported
		}
	}
	if err != nil {
		return discard(err)
	}

	s.dbmu.Lock()
	locked := true
	unlock := func() {
		if locked {
			locked = false
			s.dbmu.Unlock()
		}
	}
	defer unlock()
	// The commits written since the snapshot began.
	fi, err := s.file.Stat()
	var tail []byte
	if err == nil {
		tail = make([]byte, fi.Size()-from)
		_, err = s.file.ReadAt(tail, from)
	}
	var cmds []respCommand
	if err == nil {
		cmds, err = parseRESP(tail)
	}
	if err == nil && len(cmds) > 0 {
		err = db.Update(func(tx *buntdb.Tx) error {
			for _, c := range cmds {
				var err error
				if c.verb == "del" {
					_, err = tx.Delete(c.key)
					if err == buntdb.ErrNotFound {
						err = nil
					}
				} else {
					_, _, err = tx.Set(c.key, c.val, nil)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		db.Close() // #nosec G104 -- the new file is dropped: err is the error to report
		return discard(err)
	}
	// From here on a failure leaves the store without a usable handle on
	// its file: it stops taking appends (reopening it recovers).
	if err := os.Rename(tmp, s.path); err != nil {
		db.Close() // #nosec G104 -- the new file is dropped: the rename's error is the one reported
		return discard(err)
	}
	old, oldFile := s.db, s.file
	s.db, s.file = db, f
	s.compactions++
	err = syncDirs(map[string]bool{filepath.Dir(s.path): true})
	unlock()
	// The old file is unlinked now; closing it (BuntDB fsyncs it first)
	// need not hold up appends, and its errors lose nothing: every key of
	// it is in the new file, fsynced.
	old.Close()     // #nosec G104 -- an unlinked file whose keys are all in the new, fsynced one
	oldFile.Close() // #nosec G104 -- an unlinked file whose keys are all in the new, fsynced one
	if err != nil {
		s.mu.Lock()
		if s.failed == nil {
			s.failed = err
		}
		s.mu.Unlock()
		return err
	}
	return nil
}

// respCommand is a set or del command of a BuntDB file.
type respCommand struct{ verb, key, val string }

// parseRESP parses whole set and del commands, as BuntDB writes them.
func parseRESP(b []byte) ([]respCommand, error) {
	var out []respCommand
	bad := errors.New("cannot parse the commands written during the compaction")
	num := func(prefix byte) (int, error) {
		if len(b) == 0 || b[0] != prefix {
			return 0, bad
		}
		i := 1
		n := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			n = n*10 + int(b[i]-'0')
		}
		if i+1 >= len(b) || b[i] != '\r' || b[i+1] != '\n' {
			return 0, bad
		}
		b = b[i+2:]
		return n, nil
	}
	for len(b) > 0 {
		n, err := num('*')
		if err != nil || n < 2 || n > 3 {
			return nil, bad
		}
		parts := make([]string, n)
		for i := range parts {
			l, err := num('$')
			if err != nil || len(b) < l+2 {
				return nil, bad
			}
			parts[i], b = string(b[:l]), b[l+2:]
		}
		c := respCommand{verb: strings.ToLower(parts[0]), key: parts[1]}
		switch {
		case c.verb == "set" && n == 3:
			c.val = parts[2]
		case c.verb == "del" && n == 2:
		default:
			return nil, bad
		}
		out = append(out, c)
	}
	return out, nil
}

// writeSet writes a BuntDB set command.
func writeSet(w *bufio.Writer, k, v string) error {
	w.WriteString("*3\r\n$3\r\nset\r\n$")
	w.WriteString(strconv.Itoa(len(k)))
	w.WriteString("\r\n")
	w.WriteString(k)
	w.WriteString("\r\n$")
	w.WriteString(strconv.Itoa(len(v)))
	w.WriteString("\r\n")
	w.WriteString(v)
	_, err := w.WriteString("\r\n")
	return err
}

// recoverSealed reads meta:sealed when the store opens, recovers the tile
// files from a crash (see the top of this file) and publishes the sealed
// state. size is the tree size of the checkpoint.
func (s *Store) recoverSealed(c ledger.Checkpoint, tail fileTail) error {
	size := treeSize(c.Size)
	var v string
	err := s.view(func(tx *buntdb.Tx) error {
		v, _ = tx.Get(keySealed) // a missing key is "": nothing sealed
		return nil
	})
	if err != nil {
		return ioErr("read "+keySealed, err)
	}
	var sealed uint64
	if v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n%ledger.TileWidth != 0 || strconv.FormatUint(n, 10) != v {
			return damaged(fmt.Sprintf("%s is %q, not a multiple of %d", keySealed, v, ledger.TileWidth))
		}
		if n > size {
			return damaged(fmt.Sprintf("%s says %d entries are sealed, but the checkpoint is for tree size %d", keySealed, n, size))
		}
		sealed = n
	}
	if tail.lastSealedDelete != "" && tail.lastSealedDeleteFirst >= sealed {
		return damaged(fmt.Sprintf("the batch row %q was deleted from the file, but its entries are not sealed (%s is %d): store format %s deletes only sealed rows",
			tail.lastSealedDelete, keySealed, sealed, storeFormat))
	}
	if s.tiles == nil {
		if sealed != 0 {
			return damaged("a store in memory has no tile files")
		}
		return nil
	}
	os.Remove(s.path + ".compact") // #nosec G104 -- a crashed compaction's leftover, usually absent; compact truncates it anyway
	if err := s.tiles.removeTemps(); err != nil {
		return err
	}
	if sealed == 0 {
		return nil
	}
	// The hashes of the partial tiles of level ≥ 1, from the full tiles
	// below them (rebuilt if missing or cut).
	st, err := ledger.NewTileState(sealed, func(t tlog.Tile) ([]byte, error) {
		c, err := s.sealedTile(t)
		if err != nil {
			return nil, err
		}
		return c.data, nil
	})
	if err != nil {
		return err
	}
	// The last sealed bundle against its hash tile.
	k := int64(st.Size()/ledger.TileWidth) - 1 // #nosec G115 -- a tree size over TileWidth, below 2^55
	b, err := s.sealedTile(ledger.FullTile(ledger.BundleLevel, k))
	if err != nil {
		return err
	}
	h, err := s.sealedTile(ledger.FullTile(0, k))
	if err != nil {
		return err
	}
	s.seal.Store(st)
	if got, _ := ledger.BundleHashes(b.data); !bytes.Equal(got, h.data) {
		return s.repairLevel0(st, c, fmt.Sprintf("the entry bundle %s does not match the hash tile %s", ledger.TilePath(b.t), ledger.TilePath(h.t)))
	}
	return nil
}

// checkSealedRoot checks, when the store opens, that the tree hashes read
// through the tiles give the root of checkpoint c; when they do not, it
// looks for the level-0 hash tiles that do not match their entry bundles
// and repairs them (repairLevel0).
func (s *Store) checkSealedRoot(c ledger.Checkpoint) error {
	st := s.seal.Load()
	if st.Size() == 0 {
		return nil
	}
	root, err := s.rootWith(st, c.Size)
	if err == nil && root == c.Root {
		return nil
	}
	why := fmt.Sprintf("the stored tree hashes (in the batch rows and the tile files) give root %s, the checkpoint says %s", root, c.Root)
	if err != nil {
		why = "tree hashes missing: " + detailsOf(err)
	}
	return s.repairLevel0(st, c, why)
}

// rootWith returns the root of the tree of size n, read with the sealed
// state st.
func (s *Store) rootWith(st *ledger.TileState, n int64) (root tlog.Hash, err error) {
	err = s.view(func(tx *buntdb.Tx) error {
		r := s.reader(tx)
		r.st = st
		root, err = tlog.TreeHash(n, r)
		return err
	})
	return root, tileErr(err)
}

// repairLevel0 is called when the tiles do not agree with the checkpoint
// c, or the last sealed bundle does not match its hash tile; why says what
// is wrong. A level-0 hash tile is derived data: the record
// hashes of its bundle's entries. For the level-0 tiles the open-time
// checks read (those under the partial tile of level 1, and the last), it
// compares each with its bundle; a tile that differs is rewritten from its
// bundle when the bundle's hashes are what the tree above commits to (the
// checkpoint's root, or the full tile of level 1 that holds its root).
// Otherwise the bundle is the altered one, and the store is refused
// naming it.
func (s *Store) repairLevel0(st *ledger.TileState, c ledger.Checkpoint, why string) error {
	last := int64(st.Size()/ledger.TileWidth) - 1 // #nosec G115 -- a tree size over TileWidth, below 2^55
	from := st.FullTiles(1) * ledger.TileWidth
	cands := []int64{}
	for m := from; m <= last; m++ {
		cands = append(cands, m)
	}
	if from > last {
		cands = append(cands, last)
	}
	derived := map[int64][]byte{}
	var bad []int64
	for _, m := range cands {
		b, err := s.tiles.load(ledger.FullTile(ledger.BundleLevel, m))
		if err != nil {
			return err
		}
		h, err := s.tiles.load(ledger.FullTile(0, m))
		if err != nil {
			return err
		}
		d, _ := ledger.BundleHashes(b.data)
		if !bytes.Equal(d, h.data) {
			bad = append(bad, m)
			derived[m] = d
		}
	}
	if len(bad) == 0 {
		return damaged(why)
	}
	name := func(m int64) string {
		return fmt.Sprintf("the entry bundle %s does not match the hash tile %s", ledger.TilePath(ledger.FullTile(ledger.BundleLevel, m)), ledger.TilePath(ledger.FullTile(0, m)))
	}
	next, err := ledger.NewTileState(st.Size(), func(t tlog.Tile) ([]byte, error) {
		if data := derived[t.N]; t.L == 0 && data != nil {
			return data, nil
		}
		c, err := s.tiles.read(t)
		if err != nil {
			return nil, tileErr(err)
		}
		return c.data, nil
	})
	if err != nil {
		return err
	}
	for _, m := range bad {
		if m >= from {
			continue
		}
		// Under a full tile of level 1: it holds the tile's root.
		up, err := s.tiles.read(ledger.FullTile(1, m/ledger.TileWidth))
		if err != nil {
			return tileErr(err)
		}
		root, _ := ledger.TileRoot(derived[m])
		if !bytes.Equal(up.data[(m%ledger.TileWidth)*tlog.HashSize:][:tlog.HashSize], root[:]) {
			return damaged(name(m) + ", nor does the bundle match the hash tile " + ledger.TilePath(up.t) + " above it: the entry bundle was altered")
		}
	}
	if root, err := s.rootWith(next, c.Size); err != nil || root != c.Root {
		return damaged(name(bad[0]) + ", and its entries do not give the checkpoint's root either: the entry bundle was altered")
	}
	dirty := map[string]bool{}
	for _, m := range bad {
		if err := s.tiles.write(ledger.FullTile(0, m), derived[m], dirty); err != nil {
			return err
		}
		s.rebuilt = append(s.rebuilt, ledger.TilePath(ledger.FullTile(0, m)))
	}
	if err := syncDirs(dirty); err != nil {
		return err
	}
	s.seal.Store(next)
	return nil
}

// sealedTile reads the full tile t of the sealed state st; a tile that is
// missing or cut is rebuilt (rebuildTile) and written again.
func (s *Store) sealedTile(t tlog.Tile) (*cachedTile, error) {
	c, err := s.tiles.read(t)
	var m *missingTile
	if err == nil || !errors.As(err, &m) && !isDamaged(err) {
		return c, err
	}
	data, rerr := s.rebuildTile(t)
	if rerr != nil {
		if errors.As(err, &m) {
			return nil, damaged(fmt.Sprintf("the tile file %s is missing, and %s", ledger.TilePath(t), rerr))
		}
		return nil, damaged(fmt.Sprintf("%s, and %s", detailsOf(err), rerr))
	}
	dirty := map[string]bool{}
	if err := s.tiles.write(t, data, dirty); err != nil {
		return nil, err
	}
	if err := syncDirs(dirty); err != nil {
		return nil, err
	}
	s.rebuilt = append(s.rebuilt, ledger.TilePath(t))
	return s.tiles.read(t)
}

// rebuildTile computes the data of the sealed full tile t again: an entry
// bundle from the batch rows, if they are still there; a hash tile of
// level 0 from its entry bundle, and one of a higher level from the tiles
// below it. It returns why it cannot.
func (s *Store) rebuildTile(t tlog.Tile) ([]byte, error) {
	switch {
	case t.L == ledger.BundleLevel:
		bundle, _, err := s.tileFromRows(t.N)
		if err != nil {
			return nil, fmt.Errorf("its entries are no longer in %s (they were deleted once sealed): restore the data directory from a backup", filepath.Base(s.path))
		}
		return bundle, nil
	case t.L == 0:
		b, err := s.sealedTile(ledger.FullTile(ledger.BundleLevel, t.N))
		if err != nil {
			return nil, fmt.Errorf("its entry bundle cannot be read: %s", detailsOf(err))
		}
		return ledger.BundleHashes(b.data)
	default:
		data := make([]byte, 0, ledger.TileWidth*tlog.HashSize)
		for j := range int64(ledger.TileWidth) {
			c, err := s.sealedTile(ledger.FullTile(t.L-1, t.N*ledger.TileWidth+j))
			if err != nil {
				return nil, fmt.Errorf("a tile below it cannot be read: %s", detailsOf(err))
			}
			root, _ := ledger.TileRoot(c.data)
			data = append(data, root[:]...)
		}
		return data, nil
	}
}

func isDamaged(err error) bool {
	e, ok := nu.AsError(err)
	return ok && e.Code == CodeDamaged
}

func detailsOf(err error) string {
	if e, ok := nu.AsError(err); ok && e.Details != "" {
		return e.Details
	}
	return err.Error()
}

// checkSealedFiles reads every sealed entry bundle and checks that every
// sealed hash tile is there, rebuilding what is missing (sealedTile); each
// entry's leaf data goes to f. Open runs it to build the op-id index.
func (s *Store) checkSealedFiles(st *ledger.TileState, f func(i uint64, leaf []byte)) error {
	tiles := int64(st.Size() / ledger.TileWidth) // #nosec G115 -- a tree size over TileWidth, below 2^55
	for k := range tiles {
		b, err := s.tiles.load(ledger.FullTile(ledger.BundleLevel, k))
		if err != nil {
			c, err := s.sealedTile(ledger.FullTile(ledger.BundleLevel, k))
			if err != nil {
				return err
			}
			b = c
		}
		for j, leaf := range b.entries {
			f(uint64(k)*ledger.TileWidth+uint64(j), leaf)
		}
		if _, err := os.Stat(s.tiles.path(ledger.FullTile(0, k))); err != nil {
			if _, err := s.sealedTile(ledger.FullTile(0, k)); err != nil {
				return err
			}
		}
	}
	for l := 1; st.FullTiles(l) > 0; l++ {
		for n := range st.FullTiles(l) {
			if _, err := os.Stat(s.tiles.path(ledger.FullTile(l, n))); err != nil {
				if _, err := s.sealedTile(ledger.FullTile(l, n)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// dropRowsBelowSealed deletes, when the store opens, the batch rows that
// a crash left below meta:sealed.
func (s *Store) dropRowsBelowSealed() error {
	st := s.seal.Load()
	if st.Size() == 0 {
		return nil
	}
	if err := s.dropSealedRows(st.Size()); err != nil {
		return err
	}
	return s.sync()
}

// tileDirOf returns the directory that holds the tile/ directory of the
// store at path.
func tileDirOf(path string) string { return filepath.Dir(path) }
