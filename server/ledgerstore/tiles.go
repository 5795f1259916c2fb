package ledgerstore

import (
	"container/list"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/ebios/ebios/core/ledger"
	"github.com/tidwall/buntdb"
	"golang.org/x/mod/sumdb/tlog"
)

// Sealed tiles (store format 4). Every full tile of 256 entries is sealed
// into immutable files in the C2SP tlog-tiles layout, in the directory
// "tile" next to the BuntDB file (one store per directory):
//
//	tile/entries/<N>  the entry bundle of entries 256·N … 256·N+255: each
//	                  entry's leaf data (body ‖ signature) after its length
//	                  as a big-endian uint16 (core/ledger/tile.go)
//	tile/<L>/<N>      a full hash tile: the 256 tree hashes of level 8·L
//	                  from index 256·N, 32 bytes each
//
// N is written in 3-digit groups (x001/x234/067). The store seals the
// entries below meta:sealed (a multiple of 256): their bundles, their
// level-0 hash tiles, and every hash tile of a higher level that those
// complete. Entries from meta:sealed on, and their tree hashes, are read
// from the batch rows in BuntDB; the tree hashes of a partial tile of level
// L ≥ 1 over sealed entries (at most 255 per level, the roots of the full
// tiles of level L-1 to its left) are recomputed from the tiles when the
// store opens and kept in memory (ledger.TileState).
//
// A file is written without a name (O_TMPFILE, on Linux) or to tile-tmp/
// next to tile/, fsynced, linked or renamed into place, and its directory
// fsynced; only when every file of a round is durable does the sealer set
// meta:sealed, and only after that does it
// delete the batch rows whose entries are all sealed. A batch row that
// straddles meta:sealed stays whole until the next seal passes its end, and
// the last batch row (which carries the latest checkpoint) is never
// deleted: the sealer seals only tiles that end before the last entry.
// See seal.go for the sealer and what open recovers.

// tileTmpDir is where tile files are written before they are renamed into
// place; its contents are removed when the store opens.
const tileTmpDir = "tile-tmp"

// missingTile is the error of a tile file that is not there.
type missingTile struct{ t tlog.Tile }

func (e *missingTile) Error() string { return ledger.TilePath(e.t) + " is missing" }

// tileFiles reads and writes the tile files of a store, and caches the
// last tiles read.
type tileFiles struct {
	root string // the directory that holds tile/ and tile-tmp/

	mu    sync.Mutex
	lru   *list.List // of *cachedTile, most recent first
	byKey map[tlog.Tile]*list.Element
	dirs  map[string]bool // directories known to exist (and to be durable)
	// marks[k] holds where every 16th entry of entry bundle k starts in
	// its file, and the file's length (0 when not known): 68 bytes a
	// tile, so that one entry is read without the rest of its bundle.
	marks   [][markGroups + 1]uint32
	touched [touchedSize]tlog.Tile // bundles read in part lately, a ring
	next    int
}

// An entry read alone from an uncached bundle reads its group of 16.
const (
	markEvery   = 16
	markGroups  = ledger.TileWidth / markEvery
	touchedSize = 64
)

type cachedTile struct {
	t       tlog.Tile
	data    []byte
	entries [][]byte // split, for an entry bundle
}

// tileCacheSize is the number of tiles kept in memory (each at most about
// 100 KiB for a bundle and 8 KiB for a hash tile).
const tileCacheSize = 64

func newTileFiles(root string) *tileFiles {
	return &tileFiles{root: root, lru: list.New(), byKey: map[tlog.Tile]*list.Element{}, dirs: map[string]bool{}}
}

// path returns the file of tile t.
func (tf *tileFiles) path(t tlog.Tile) string {
	return filepath.Join(tf.root, filepath.FromSlash(ledger.TilePath(t)))
}

// read returns the data of the full tile t (and, for an entry bundle, its
// entries), from the cache or the file. The data must not be changed.
func (tf *tileFiles) read(t tlog.Tile) (*cachedTile, error) {
	tf.mu.Lock()
	if e, ok := tf.byKey[t]; ok {
		tf.lru.MoveToFront(e)
		c := e.Value.(*cachedTile)
		tf.mu.Unlock()
		return c, nil
	}
	tf.mu.Unlock()
	c, err := tf.load(t)
	if err != nil {
		return nil, err
	}
	tf.remember(c)
	return c, nil
}

// load reads and checks the file of the full tile t, without the cache.
func (tf *tileFiles) load(t tlog.Tile) (*cachedTile, error) {
	data, err := os.ReadFile(tf.path(t))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &missingTile{t}
	}
	if err != nil {
		return nil, ioErr("read "+ledger.TilePath(t), err)
	}
	c := &cachedTile{t: t, data: data}
	if t.L == ledger.BundleLevel {
		c.entries, err = ledger.SplitBundle(data)
		if err == nil && len(c.entries) != ledger.TileWidth {
			err = fmt.Errorf("it holds %d entries, not %d", len(c.entries), ledger.TileWidth)
		}
		if err != nil {
			return nil, damagedTile(t, "cannot be read: "+err.Error())
		}
		tf.mark(t, c.entries)
	} else if len(data) != ledger.TileWidth*tlog.HashSize {
		return nil, damagedTile(t, fmt.Sprintf("is %d bytes long, not %d", len(data), ledger.TileWidth*tlog.HashSize))
	}
	return c, nil
}

// mark records where the groups of entries of bundle t start in its file,
// from its entries (ledger.SplitBundle).
func (tf *tileFiles) mark(t tlog.Tile, entries [][]byte) {
	if len(entries) != ledger.TileWidth {
		return
	}
	var m [markGroups + 1]uint32
	off := 0
	for j, e := range entries {
		if j%markEvery == 0 {
			m[j/markEvery] = uint32(off)
		}
		off += 2 + len(e) // each entry is a uint16 length and the entry
	}
	m[markGroups] = uint32(off)
	tf.mu.Lock()
	defer tf.mu.Unlock()
	for int64(len(tf.marks)) <= t.N {
		tf.marks = append(tf.marks, [markGroups + 1]uint32{})
	}
	tf.marks[t.N] = m
}

// entry returns the leaf data of entry j of the full entry bundle t: from
// the cache; or, when the bundle was not read lately, by reading only the
// group of 16 entries that holds it (a trace's entries lie in as many
// bundles as entries); else by reading the bundle (and caching it).
func (tf *tileFiles) entry(t tlog.Tile, j int) ([]byte, error) {
	tf.mu.Lock()
	if e, ok := tf.byKey[t]; ok {
		tf.lru.MoveToFront(e)
		tf.mu.Unlock()
		return e.Value.(*cachedTile).entries[j], nil
	}
	var m [markGroups + 1]uint32
	if t.N < int64(len(tf.marks)) {
		m = tf.marks[t.N]
	}
	again := slices.Contains(tf.touched[:], t)
	if !again {
		tf.touched[tf.next] = t
		tf.next = (tf.next + 1) % touchedSize
	}
	tf.mu.Unlock()
	if m[markGroups] != 0 && !again {
		if leaf, ok := tf.readGroup(t, j, m); ok {
			return leaf, nil
		}
	}
	c, err := tf.read(t)
	if err != nil {
		return nil, err
	}
	return c.entries[j], nil
}

// readGroup reads entry j of bundle t from the group of entries that holds
// it, as marks m say; ok is false when the file does not agree with m.
func (tf *tileFiles) readGroup(t tlog.Tile, j int, m [markGroups + 1]uint32) (leaf []byte, ok bool) {
	g := j / markEvery
	f, err := os.Open(tf.path(t))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != int64(m[markGroups]) {
		return nil, false
	}
	buf := make([]byte, m[g+1]-m[g])
	if _, err := f.ReadAt(buf, int64(m[g])); err != nil {
		return nil, false
	}
	// The group is itself a sequence of length-prefixed entries.
	es, err := ledger.SplitBundle(buf)
	if err != nil || len(es) != markEvery {
		return nil, false
	}
	return es[j%markEvery], true
}

// data reads the data of full tile t (through the cache).
func (tf *tileFiles) data(t tlog.Tile) ([]byte, error) {
	c, err := tf.read(t)
	if err != nil {
		return nil, err
	}
	return c.data, nil
}

func (tf *tileFiles) remember(c *cachedTile) {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if e, ok := tf.byKey[c.t]; ok {
		tf.lru.MoveToFront(e)
		return
	}
	tf.byKey[c.t] = tf.lru.PushFront(c)
	for tf.lru.Len() > tileCacheSize {
		e := tf.lru.Back()
		delete(tf.byKey, e.Value.(*cachedTile).t)
		tf.lru.Remove(e)
	}
}

// forget drops t from the cache (after it was rewritten).
func (tf *tileFiles) forget(t tlog.Tile) {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if e, ok := tf.byKey[t]; ok {
		delete(tf.byKey, t)
		tf.lru.Remove(e)
	}
}

// write writes the file of tile t crash-safely (writeAll).
func (tf *tileFiles) write(t tlog.Tile, data []byte, dirty map[string]bool) error {
	return tf.writeAll([]ledger.TileWrite{{Tile: t, Data: data}}, dirty)
}

// writeAll writes tile files crash-safely: each file's data goes to a
// file without a name yet (O_TMPFILE, on Linux) or to a temporary file in
// tile-tmp/, which is fsynced and only then linked or renamed into place,
// so that a tile's path only ever names a whole file. On Linux the files
// of a batch are all written before any is fsynced, so that the file
// system commits their metadata together rather than once a file. The
// directories written into are added to dirty; syncDirs makes the new
// names durable.
func (tf *tileFiles) writeAll(ws []ledger.TileWrite, dirty map[string]bool) error {
	dsts := make([]string, len(ws))
	datas := make([][]byte, len(ws))
	for i, w := range ws {
		dsts[i], datas[i] = tf.path(w.Tile), w.Data
		if err := tf.mkdirs(filepath.Dir(dsts[i]), dirty); err != nil {
			return err
		}
	}
	done, err := writeAnonymous(dsts, datas)
	if err != nil {
		return ioErr("write tile files", err)
	}
	for i, w := range ws {
		if w.Tile.L == ledger.BundleLevel {
			if es, err := ledger.SplitBundle(w.Data); err == nil {
				tf.mark(w.Tile, es)
			}
		}
		if !done[i] {
			if err := tf.writeRenamed(w.Tile, dsts[i], w.Data, dirty); err != nil {
				return err
			}
		}
		dirty[filepath.Dir(dsts[i])] = true
		tf.forget(w.Tile)
	}
	return nil
}

// writeRenamed writes data to a temporary file in tile-tmp/, fsyncs it
// and renames it to dst.
func (tf *tileFiles) writeRenamed(t tlog.Tile, dst string, data []byte, dirty map[string]bool) error {
	tmpDir := filepath.Join(tf.root, tileTmpDir)
	if err := tf.mkdirs(tmpDir, dirty); err != nil {
		return err
	}
	f, err := os.CreateTemp(tmpDir, strings.ReplaceAll(ledger.TilePath(t), "/", "_")+"-*")
	if err != nil {
		return ioErr("write "+ledger.TilePath(t), err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if e := f.Close(); err == nil {
		err = e
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp) // #nosec G104 -- cleanup on the error path, whose error is returned; removeTemps clears tile-tmp/ at the next open
		return ioErr("write "+ledger.TilePath(t), err)
	}
	return nil
}

// mkdirs creates dir and its parents below root, and marks the parents of
// the directories it created as dirty (to fsync).
func (tf *tileFiles) mkdirs(dir string, dirty map[string]bool) error {
	tf.mu.Lock()
	known := tf.dirs[dir]
	tf.mu.Unlock()
	if known {
		return nil
	}
	if _, err := os.Stat(dir); err != nil {
		if parent := filepath.Dir(dir); parent != dir && len(parent) >= len(tf.root) {
			if err := tf.mkdirs(parent, dirty); err != nil {
				return err
			}
		}
		if err := os.Mkdir(dir, privateDirMode); err != nil && !errors.Is(err, fs.ErrExist) {
			return ioErr("create "+dir, err)
		}
		dirty[filepath.Dir(dir)] = true
	}
	tf.mu.Lock()
	tf.dirs[dir] = true
	tf.mu.Unlock()
	return nil
}

// fsyncDirs fsyncs the directories in dirty, deepest first (syncDirs,
// where the platform has nothing better).
//
//lint:ignore U1000 used by syncDirs on platforms without syncfs (tmpfile_other.go)
func fsyncDirs(dirty map[string]bool) error {
	ds := make([]string, 0, len(dirty))
	for d := range dirty {
		ds = append(ds, d)
	}
	// Deeper directories first: a directory's entry in its parent is
	// durable only once the parent is fsynced, which comes after.
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && len(ds[j]) > len(ds[j-1]); j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
	for _, d := range ds {
		f, err := os.Open(d) // #nosec G304 -- d is a directory of the store's tile tree, below the operator's data directory
		if err != nil {
			return ioErr("open "+d, err)
		}
		err = f.Sync()
		f.Close() // #nosec G104 -- a directory opened read-only to fsync it, whose error is checked: closing it loses nothing
		if err != nil {
			return ioErr("fsync "+d, err)
		}
	}
	return nil
}

// removeTemps removes the temporary files a crash left behind.
func (tf *tileFiles) removeTemps() error {
	if err := os.RemoveAll(filepath.Join(tf.root, tileTmpDir)); err != nil {
		return ioErr("remove "+tileTmpDir, err)
	}
	return nil
}

func damagedTile(t tlog.Tile, what string) error {
	return damaged("the tile file " + ledger.TilePath(t) + " " + what)
}

// bundleOf returns the entry bundle coordinate of entry i.
func bundleOf(i uint64) tlog.Tile {
	return ledger.FullTile(ledger.BundleLevel, int64(i/ledger.TileWidth)) // #nosec G115 -- i/TileWidth is below 2^56
}

// reader reads entries and tree hashes in a BuntDB transaction: sealed
// ones from the tile files, the others from the batch rows. The sealed
// state is read inside the transaction, and the sealer deletes rows in a
// transaction of its own after publishing the state that seals them, so a
// reader never misses an entry.
type reader struct {
	s    *Store
	st   *ledger.TileState
	rows rows
}

func (s *Store) reader(tx *buntdb.Tx) *reader {
	return &reader{s: s, st: s.seal.Load(), rows: rows{tx: tx}}
}

// leaf returns entry i's leaf data.
func (r *reader) leaf(i uint64) (string, error) {
	if i < r.st.Size() {
		c, err := r.s.tiles.read(bundleOf(i))
		if err != nil {
			return "", tileErr(err)
		}
		return string(c.entries[i%ledger.TileWidth]), nil
	}
	return r.rows.leaf(i)
}

// ReadHashes reads stored tree hashes (tlog.HashReader).
func (r *reader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, err := r.hash(x)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

func (r *reader) hash(x int64) (tlog.Hash, error) {
	level, n := tlog.SplitStoredHashIndex(x)
	last := uint64(n+1)<<level - 1 // #nosec G115 -- the entry whose append stored it; n is from tlog.SplitStoredHashIndex, never negative
	if last >= r.st.Size() {
		return r.rows.hash(x)
	}
	h, err := r.st.Hash(x, r.s.tiles.data)
	return h, tileErr(err)
}

// tileErr turns a missing tile into the damage it is (the store opened
// with it: open rebuilds what it can).
func tileErr(err error) error {
	var m *missingTile
	if errors.As(err, &m) {
		return damagedTile(m.t, "is missing")
	}
	return err
}

// ReadTile returns tile t of the log (C2SP tlog-tiles; t.L is -1 for an
// entry bundle, t.H must be 8) as of its current tree: a full tile that is
// sealed is read from its file; a partial tile, or a full one not sealed
// yet, is computed from the stored tree hashes and entries (a partial
// tile of a sealed one is a prefix of it). A tile the tree does not reach
// yet is LEDGER_017. The data must not be changed.
func (s *Store) ReadTile(t tlog.Tile) ([]byte, error) {
	size := s.Len()
	if t.H != ledger.TileHeight || t.L < ledger.BundleLevel || t.L > 7 || t.W < 1 || t.W > ledger.TileWidth || t.N < 0 {
		return nil, storeErr(ledger.CodeNotFound, "no such tile", fmt.Sprintf("%+v", t), "tiles have height 8 and width 1 to 256")
	}
	// The entries the tile covers: its last hash is that of the subtree
	// ending at entry (N·256+W) << 8L.
	shift := uint(ledger.TileHeight * max(t.L, 0))
	end := uint64(t.N)*ledger.TileWidth + uint64(t.W)
	if end > uint64(1)<<(63-shift) || end<<shift > size {
		return nil, storeErr(ledger.CodeNotFound, "no tile "+ledger.TilePath(t)+" in the log yet",
			fmt.Sprintf("the log has %d entries", size), "fetch the checkpoint first and ask for the tiles of its tree size")
	}
	st := s.seal.Load()
	fullT := ledger.FullTile(t.L, t.N)
	sealed := t.L == ledger.BundleLevel && uint64(t.N) < st.Size()/ledger.TileWidth || t.L >= 0 && t.N < st.FullTiles(t.L)
	if sealed {
		c, err := s.tiles.read(fullT)
		if err != nil {
			return nil, tileErr(err)
		}
		if t.W == ledger.TileWidth {
			return c.data, nil
		}
		if t.L >= 0 {
			return c.data[:t.W*tlog.HashSize], nil
		}
		n := 0
		for _, e := range c.entries[:t.W] {
			n += 2 + len(e)
		}
		return c.data[:n], nil
	}
	if t.L >= 0 {
		var data []byte
		err := s.readHashes(func(r tlog.HashReader) (err error) {
			data, err = tlog.ReadTileData(t, r)
			return err
		})
		if err != nil {
			return nil, tileErr(err)
		}
		return data, nil
	}
	first := uint64(t.N) * ledger.TileWidth
	var data []byte
	err := s.leaves(first, first+uint64(t.W), func(i uint64, leaf []byte) error {
		var err error
		data, err = ledger.AppendBundleEntry(data, leaf)
		return err
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}
