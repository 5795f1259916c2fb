package pgstore

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/logstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/mod/sumdb/tlog"
)

// querier runs queries: a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// readChunk is how many rows one query of a long read fetches.
const readChunk = 4096

// Get returns entry i. A full tile read from several times is read whole
// and cached (its entries never change): walks of the log (the read index
// at start, exports) cost a query per tile, random reads one row each.
func (s *Store) Get(i uint64) (*ledger.Entry, error) {
	if h := s.head.Load(); h == nil || i >= uint64(h.size) { // #nosec G115 -- a tree size
		if size := s.Len(); i >= size { // sizes only grow: ask the database only beyond the last size read
			return nil, notFound("no entry "+strconv.FormatUint(i, 10), "the log has "+strconv.FormatUint(size, 10)+" entries")
		}
	}
	k := i / ledger.TileWidth
	full := (k+1)*ledger.TileWidth <= uint64(s.head.Load().size) // #nosec G115 -- a tree size
	if es, ok := s.tiles.lookup(k, full); ok {
		return es[i%ledger.TileWidth], nil
	}
	if !full || !s.tiles.hot(k) {
		var e *ledger.Entry
		err := s.ReadLeaves(i, i+1, func(_ uint64, leaf []byte) (err error) {
			e, err = s.parse(i, leaf)
			return err
		})
		return e, err
	}
	es := make([]*ledger.Entry, 0, ledger.TileWidth)
	err := s.ReadLeaves(k*ledger.TileWidth, (k+1)*ledger.TileWidth, func(j uint64, leaf []byte) error {
		e, err := s.parse(j, leaf)
		es = append(es, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.tiles.put(k, es)
	return es[i%ledger.TileWidth], nil
}

// parse decodes the leaf of row i, which must hold entry i.
func (s *Store) parse(i uint64, leaf []byte) (*ledger.Entry, error) {
	e, err := ledger.ParseLeaf(s.origin, leaf)
	if err != nil {
		return nil, damaged(fmt.Sprintf("entry %d: %v", i, err))
	}
	if e.Index != i {
		return nil, damaged(fmt.Sprintf("the row of index %d holds entry %d", i, e.Index))
	}
	return e, nil
}

// IndexOfOp returns the index of the committed entry with op id op.
func (s *Store) IndexOfOp(op string) (uint64, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	var i int64
	if err := s.pool.QueryRow(ctx, "SELECT idx FROM ebios_entries WHERE op_id = $1", op).Scan(&i); err != nil {
		return 0, false
	}
	return uint64(i), true // #nosec G115 -- CHECK idx >= 0
}

// ReadLeaves calls f with the leaf data of entries from … to-1, in order,
// reading readChunk rows a query. A missing row is reported as damage.
func (s *Store) ReadLeaves(from, to uint64, f func(i uint64, leaf []byte) error) error {
	var leaf []byte
	return readRows(s.pool, from, to, "leaf", func(i uint64) error { return f(i, leaf) }, &leaf)
}

// readRows reads the columns cols (comma separated) of the rows from … to-1
// in order, readChunk rows a query, scanning each into dst and calling f
// with its index; a missing row is damage.
func readRows(db querier, from, to uint64, cols string, f func(i uint64) error, dst ...any) error {
	ctx := context.Background()
	var idx int64
	dst = append([]any{&idx}, dst...)
	for from < to {
		end := min(to, from+readChunk)
		rows, err := db.Query(ctx, "SELECT idx, "+cols+" FROM ebios_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
			int64(from), int64(end)) // #nosec G115 -- tree sizes, below 2^63
		if err != nil {
			return connErr("reading entries", err)
		}
		next := from
		for rows.Next() {
			if err := rows.Scan(dst...); err != nil {
				rows.Close()
				return connErr("reading entries", err)
			}
			if uint64(idx) != next { // #nosec G115 -- CHECK idx >= 0
				rows.Close()
				return &missingRow{i: next, detail: fmt.Sprintf("entry %d is missing from ebios_entries (the next row is %d)", next, idx)}
			}
			if err := f(next); err != nil {
				rows.Close()
				return err
			}
			next++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return connErr("reading entries", err)
		}
		if next != end {
			return &missingRow{i: next, detail: fmt.Sprintf("entry %d is missing from ebios_entries", next)}
		}
		from = end
	}
	return nil
}

// missingRow is the error of a read that found no row for entry i: damage
// (it unwraps to a CodeDamaged error), with the entry's index.
type missingRow struct {
	i      uint64
	detail string
}

func (e *missingRow) Error() string { return e.detail }
func (e *missingRow) Unwrap() error { return damaged(e.detail) }

// hashReader reads stored tree hashes (tlog.HashReader) from the rows of
// the entries that stored them.
type hashReader struct {
	db querier
}

// entryOfHash returns the entry whose row stores tree hash x, and the
// position of x among its hashes.
func entryOfHash(x int64) (n int64, k int) {
	lo, hi := int64(0), x // StoredHashCount(n) >= n, so n <= x
	for lo < hi {         // the last n with StoredHashCount(n) <= x
		mid := lo + (hi-lo+1)/2
		if tlog.StoredHashCount(mid) <= x {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, int(x - tlog.StoredHashCount(lo))
}

// ReadHashes reads the stored hashes at indexes, in one query.
func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	ns := make([]int64, len(indexes))
	for i, x := range indexes {
		ns[i], _ = entryOfHash(x)
	}
	rows, err := r.db.Query(context.Background(), "SELECT idx, hashes FROM ebios_entries WHERE idx = ANY($1)", ns)
	if err != nil {
		return nil, connErr("reading tree hashes", err)
	}
	got := make(map[int64][]byte, len(ns))
	var idx int64
	var hs []byte
	_, err = pgx.ForEachRow(rows, []any{&idx, &hs}, func() error {
		got[idx] = hs
		return nil
	})
	if err != nil {
		return nil, connErr("reading tree hashes", err)
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		n, k := entryOfHash(x)
		row, ok := got[n]
		if !ok {
			return nil, notFound(fmt.Sprintf("no tree hash %d", x), fmt.Sprintf("entry %d, which stores it, is not in the log", n))
		}
		if len(row) < (k+1)*tlog.HashSize {
			return nil, damaged(fmt.Sprintf("entry %d: its row has %d bytes of tree hashes, not %d", n, len(row), hashesOf(n)*tlog.HashSize))
		}
		copy(out[i][:], row[k*tlog.HashSize:])
	}
	return out, nil
}

// hashesOf is how many tree hashes entry n stores.
func hashesOf(n int64) int { return int(tlog.StoredHashCount(n+1) - tlog.StoredHashCount(n)) }

// ReadTile returns a tile of the committed tree, partial ones included.
func (s *Store) ReadTile(t tlog.Tile) ([]byte, error) {
	if t.L != ledger.BundleLevel { // a hash it lacks is not found
		data, err := tlog.ReadTileData(t, hashReader{s.pool})
		if err != nil {
			return nil, connErr("reading tile "+ledger.TilePath(t), err)
		}
		return data, nil
	}
	size := int64(s.Len()) // #nosec G115 -- a tree size
	first := t.N * ledger.TileWidth
	if t.N < 0 || t.W < 1 || first+int64(t.W) > size {
		return nil, notFound("no tile "+ledger.TilePath(t), "the log has "+strconv.FormatInt(size, 10)+" entries")
	}
	var bundle []byte
	err := s.ReadLeaves(uint64(first), uint64(first+int64(t.W)), func(_ uint64, leaf []byte) (err error) { // #nosec G115 -- checked above
		bundle, err = ledger.AppendBundleEntry(bundle, leaf)
		return err
	})
	return bundle, err
}

// InclusionProof proves entry index in the tree of size treeSize.
func (s *Store) InclusionProof(index, treeSize int64) (tlog.RecordProof, error) {
	if err := s.checkSizes(index+1, treeSize); err != nil {
		return nil, err
	}
	p, err := tlog.ProveRecord(treeSize, index, hashReader{s.pool})
	if err != nil {
		return nil, connErr("proving inclusion", err)
	}
	return p, nil
}

// ConsistencyProof proves that the tree of size oldSize is a prefix of the
// tree of size newSize.
func (s *Store) ConsistencyProof(oldSize, newSize int64) (tlog.TreeProof, error) {
	if err := s.checkSizes(oldSize, newSize); err != nil {
		return nil, err
	}
	p, err := tlog.ProveTree(newSize, oldSize, hashReader{s.pool})
	if err != nil {
		return nil, connErr("proving consistency", err)
	}
	return p, nil
}

func (s *Store) checkSizes(small, big int64) error {
	n := int64(s.Len()) // #nosec G115 -- a tree size
	if small < 0 || small > big || big > n {
		return pgErr(ledger.CodeNotFound, fmt.Sprintf("no proof between sizes %d and %d", small, big),
			fmt.Sprintf("the log has %d entries", n), "ask for sizes 0 <= old <= new <= the current tree size")
	}
	return nil
}

// WriteBundle writes an export bundle of the first n entries (all when
// n < 0) with a checkpoint for exactly that size, entry by entry.
func (s *Store) WriteBundle(w io.Writer, n int64, progress func(done, total int64)) error {
	cp, size := s.Latest()
	if n >= 0 && n < size {
		if s.signer == nil {
			return pgErr(ledgerstore.CodeClosed, "a partial export needs the signing key", "", "export the whole log, or open the store with its key")
		}
		root, err := tlog.TreeHash(n, hashReader{s.pool})
		if err != nil {
			return connErr("computing the tree hash", err)
		}
		if cp, err = (ledger.Checkpoint{Origin: s.origin, Size: n, Root: root}).Sign(s.signer); err != nil {
			return err
		}
		size = n
	}
	return logstore.WriteBundle(w, ledger.BundleHeader{Origin: s.origin, Key: s.verifier.String(), Checkpoint: string(cp)}, size, s.ReadLeaves, progress,
		func(i uint64, err error) error { return damaged(fmt.Sprintf("entry %d: %v", i, err)) })
}

// tileCache keeps the entries of full tiles that were read from several
// times, and counts the reads of the others.
type tileCache struct {
	mu    sync.Mutex
	tiles map[uint64][]*ledger.Entry
	order []uint64          // FIFO of the cached tiles
	reads map[uint64]uint32 // reads of tiles not cached, forgotten with the cache
}

const (
	// cachedTiles bounds the cache: 256 tiles of 256 entries.
	cachedTiles = 256
	// hotReads is how many reads of one tile make it read whole.
	hotReads = 4
)

func (c *tileCache) init() {
	c.tiles, c.reads = map[uint64][]*ledger.Entry{}, map[uint64]uint32{}
}

// lookup returns tile k's entries if they are cached.
func (c *tileCache) lookup(k uint64, full bool) ([]*ledger.Entry, bool) {
	if !full {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	es, ok := c.tiles[k]
	return es, ok
}

// hot counts a read of tile k and says whether it is read often enough
// to be read whole.
func (c *tileCache) hot(k uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.reads) >= 4*cachedTiles {
		clear(c.reads)
	}
	c.reads[k]++
	return c.reads[k] >= hotReads
}

// put caches tile k's entries.
func (c *tileCache) put(k uint64, es []*ledger.Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.tiles[k]; ok {
		return
	}
	delete(c.reads, k)
	c.tiles[k] = es
	c.order = append(c.order, k)
	if len(c.order) > cachedTiles {
		delete(c.tiles, c.order[0])
		c.order = c.order[1:]
	}
}

// readTimeout bounds a single-row read.
const readTimeout = 10 * time.Second
