package ledger

import (
	"encoding/binary"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Tiles (C2SP tlog-tiles, https://c2sp.org/tlog-tiles). The tree hashes
// and the entries of a log are cut into tiles of height 8, so that any
// reader — a static file host, a CDN, a browser — can fetch the parts of
// the log it needs and check them against a signed checkpoint:
//
//   - a hash tile tile/<L>/<N>[.p/<W>] holds the W hashes (W = 256 when it
//     is full) of tree level 8·L, from index 256·N, concatenated (32 bytes
//     each); the other levels of the tree are recomputed from them
//     ([tlog.HashFromTile], [TileRoot]);
//   - an entry bundle tile/entries/<N>[.p/<W>] holds the leaf data
//     ([Entry.AppendLeaf]) of entries 256·N to 256·N+W-1, each preceded by
//     its length as a big-endian uint16 ([AppendBundleEntry]).
//
// N is written in groups of three decimal digits, every group but the last
// prefixed with "x" (1234067 is x001/x234/067). A tile is full when W is
// 256; a full tile never changes. tlog's [tlog.Tile] is the coordinate
// (H = 8; L = -1 for an entry bundle); [TilePath] and [ParseTilePath]
// convert it from and to the C2SP path, which is not tlog's own
// (tile/H/L/N) path.
//
// The leaf data of an entry in a bundle is at most [MaxBundleEntry] bytes
// (the uint16 length); docs/ledger-format.md §11 says what a log does with
// a longer one.

// Tile geometry.
const (
	TileHeight = 8               // levels of the tree in one tile
	TileWidth  = 1 << TileHeight // hashes or entries in a full tile
	// MaxBundleEntry is the longest leaf data an entry bundle can hold.
	MaxBundleEntry = 0xFFFF
)

// BundleLevel is the tlog.Tile level (L) of an entry bundle.
const BundleLevel = -1

// TilePath returns the C2SP tlog-tiles path of t ("tile/0/x001/234",
// "tile/entries/005.p/17"). t.H must be [TileHeight].
func TilePath(t tlog.Tile) string {
	b := make([]byte, 0, 32)
	b = append(b, "tile/"...)
	if t.L == BundleLevel {
		b = append(b, "entries"...)
	} else {
		b = strconv.AppendInt(b, int64(t.L), 10)
	}
	b = append(b, '/')
	b = appendTileIndex(b, t.N)
	if t.W != TileWidth {
		b = append(b, ".p/"...)
		b = strconv.AppendInt(b, int64(t.W), 10)
	}
	return string(b)
}

// appendTileIndex appends n in 3-digit groups, all but the last prefixed
// with "x".
func appendTileIndex(b []byte, n int64) []byte {
	var groups [8]int64 // 1000^7 > 2^63
	k := 0
	for {
		groups[k] = n % 1000
		k++
		n /= 1000
		if n == 0 {
			break
		}
	}
	for i := k - 1; i >= 0; i-- {
		if i > 0 {
			b = append(b, 'x')
		}
		g := groups[i]
		b = append(b, byte('0'+g/100), byte('0'+g/10%10), byte('0'+g%10)) // #nosec G115 -- g is a group of three decimal digits, 0 to 999: each digit fits a byte
		if i > 0 {
			b = append(b, '/')
		}
	}
	return b
}

// ParseTilePath parses a C2SP tlog-tiles path, as [TilePath] writes it.
// Only the canonical spelling is accepted (no leading zero groups, no
// ".p/256", no width 0), so that one tile has one path. The error is a
// LEDGER_017 (not found) error naming the path.
func ParseTilePath(p string) (tlog.Tile, error) {
	bad := func(why string) (tlog.Tile, error) {
		return tlog.Tile{}, newErr(CodeNotFound, "no such tile: "+quote(p), why,
			"tile paths are tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>] (C2SP tlog-tiles), N in 3-digit groups: x001/x234/067")
	}
	rest, ok := strings.CutPrefix(p, "tile/")
	if !ok {
		return bad("not under tile/")
	}
	t := tlog.Tile{H: TileHeight, W: TileWidth}
	lvl, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return bad("no tile index")
	}
	if lvl == "entries" {
		t.L = BundleLevel
	} else {
		l, err := strconv.Atoi(lvl)
		if err != nil || l < 0 || l > 63/TileHeight || strconv.Itoa(l) != lvl {
			return bad("bad level " + quote(lvl))
		}
		t.L = l
	}
	idx, width, partial := strings.Cut(rest, ".p/")
	if partial {
		w, err := strconv.Atoi(width)
		if err != nil || w < 1 || w >= TileWidth || strconv.Itoa(w) != width {
			return bad("bad width " + quote(width) + " (a partial tile has 1 to 255)")
		}
		t.W = w
	}
	// The first entry a tile covers must be an int64 (a tree size).
	maxN := int64(1<<63-1) >> (TileHeight * (max(t.L, 0) + 1))
	var n int64
	groups := strings.Split(idx, "/")
	for i, g := range groups {
		if i < len(groups)-1 {
			var ok bool
			if g, ok = strings.CutPrefix(g, "x"); !ok {
				return bad("index group " + quote(g) + " lacks its x prefix")
			}
		}
		if len(g) != 3 || g[0] < '0' || g[0] > '9' || g[1] < '0' || g[1] > '9' || g[2] < '0' || g[2] > '9' {
			return bad("index group " + quote(g) + " is not 3 digits")
		}
		if n > maxN/1000 {
			return bad("tile index too large")
		}
		n = n*1000 + int64(g[0]-'0')*100 + int64(g[1]-'0')*10 + int64(g[2]-'0')
		if n > maxN {
			return bad("tile index too large")
		}
	}
	t.N = n
	if TilePath(t) != p {
		return bad("not the canonical spelling " + quote(TilePath(t)))
	}
	return t, nil
}

// AppendBundleEntry appends one entry's leaf data to an entry bundle: its
// length as a big-endian uint16, then the data. Leaf data longer than
// [MaxBundleEntry] bytes does not fit (LEDGER_001).
func AppendBundleEntry(bundle, leaf []byte) ([]byte, error) {
	if len(leaf) > MaxBundleEntry {
		return bundle, errInvalid("the leaf data is %d bytes, and an entry bundle (C2SP tlog-tiles) holds at most %d", len(leaf), MaxBundleEntry)
	}
	bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(leaf))) // #nosec G115 -- range checked above: len(leaf) <= MaxBundleEntry (0xFFFF)
	return append(bundle, leaf...), nil
}

// SplitBundle returns the leaf data of the entries of an entry bundle, in
// order (slices of bundle). A bundle cut inside an entry, an empty bundle,
// or one of more than [TileWidth] entries is malformed (LEDGER_002).
func SplitBundle(bundle []byte) ([][]byte, error) {
	var out [][]byte
	for len(bundle) > 0 {
		if len(out) == TileWidth {
			return nil, errMalformed("entry bundle of more than %d entries", TileWidth)
		}
		if len(bundle) < 2 {
			return nil, errMalformed("entry bundle cut inside the length of entry %d", len(out))
		}
		n := int(binary.BigEndian.Uint16(bundle))
		if len(bundle)-2 < n {
			return nil, errMalformed("entry bundle cut inside entry %d (%d bytes announced, %d left)", len(out), n, len(bundle)-2)
		}
		out = append(out, bundle[2:2+n:2+n])
		bundle = bundle[2+n:]
	}
	if len(out) == 0 {
		return nil, errMalformed("empty entry bundle")
	}
	return out, nil
}

// BundleHashes returns the record hashes (tree level 0) of the entries of
// an entry bundle: what the level-0 hash tile of the same N and W holds.
func BundleHashes(bundle []byte) ([]byte, error) {
	leaves, err := SplitBundle(bundle)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(leaves)*tlog.HashSize)
	for _, l := range leaves {
		h := leafHash(l)
		out = append(out, h[:]...)
	}
	return out, nil
}

// TileRoot returns the Merkle root of the hashes of a full hash tile: the
// tree hash at level 8·(L+1), index N, which the tile at level L+1 holds.
func TileRoot(data []byte) (tlog.Hash, error) {
	if len(data) != TileWidth*tlog.HashSize {
		return tlog.Hash{}, errMalformed("a full hash tile is %d bytes, not %d", TileWidth*tlog.HashSize, len(data))
	}
	var level [TileWidth]tlog.Hash
	for i := range level {
		copy(level[i][:], data[i*tlog.HashSize:])
	}
	for n := TileWidth; n > 1; n /= 2 {
		for i := 0; i < n/2; i++ {
			level[i] = tlog.NodeHash(level[2*i], level[2*i+1])
		}
	}
	return level[0], nil
}

// TilesCompleted returns the full tiles (hash tiles of every level, not
// entry bundles) that growing a tree from oldSize to newSize entries
// completes, lowest level first.
func TilesCompleted(oldSize, newSize int64) []tlog.Tile {
	var out []tlog.Tile
	for l := 0; ; l++ {
		shift := uint(TileHeight * (l + 1))
		if shift >= 63 || newSize>>shift == 0 {
			return out
		}
		for n := oldSize >> shift; n < newSize>>shift; n++ {
			out = append(out, tlog.Tile{H: TileHeight, L: l, N: n, W: TileWidth})
		}
	}
}
