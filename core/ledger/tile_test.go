package ledger

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

func tileErrCode(err error) string {
	if e, ok := nu.AsError(err); ok {
		return e.Code
	}
	return ""
}

func TestTilePath(t *testing.T) {
	for _, c := range []struct {
		t    tlog.Tile
		path string
	}{
		{tlog.Tile{H: 8, L: 0, N: 0, W: 256}, "tile/0/000"},
		{tlog.Tile{H: 8, L: 0, N: 67, W: 256}, "tile/0/067"},
		{tlog.Tile{H: 8, L: 1, N: 1234067, W: 256}, "tile/1/x001/x234/067"},
		{tlog.Tile{H: 8, L: 0, N: 1000, W: 5}, "tile/0/x001/000.p/5"},
		{tlog.Tile{H: 8, L: -1, N: 1234067, W: 256}, "tile/entries/x001/x234/067"},
		{tlog.Tile{H: 8, L: -1, N: 0, W: 255}, "tile/entries/000.p/255"},
		{tlog.Tile{H: 8, L: 2, N: 999, W: 1}, "tile/2/999.p/1"},
	} {
		if got := TilePath(c.t); got != c.path {
			t.Errorf("TilePath(%+v) = %q, want %q", c.t, got, c.path)
		}
		got, err := ParseTilePath(c.path)
		if err != nil || got != c.t {
			t.Errorf("ParseTilePath(%q) = %+v, %v", c.path, got, err)
		}
	}
}

// TestTilePathMatchesTlog: the C2SP path is tlog's tile/H/L/N path with the
// height dropped and "data" spelled "entries" (what filippo.io/torchwood
// does), for many indexes.
func TestTilePathMatchesTlog(t *testing.T) {
	for _, n := range []int64{0, 1, 9, 10, 999, 1000, 1001, 123456, 999999, 1000000, 1234567890, 1 << 40} {
		for _, l := range []int{-1, 0, 1, 3} {
			for _, w := range []int{1, 17, 255, 256} {
				tl := tlog.Tile{H: 8, L: l, N: n, W: w}
				if l > 0 && n > 1<<30 {
					continue // beyond a tree of 2^63 entries
				}
				want := "tile/" + strings.TrimPrefix(tl.Path(), "tile/8/")
				if l == -1 {
					want = "tile/entries/" + strings.TrimPrefix(tl.Path(), "tile/8/data/")
				}
				if got := TilePath(tl); got != want {
					t.Fatalf("TilePath(%+v) = %q, tlog says %q", tl, got, want)
				}
				if back, err := ParseTilePath(want); err != nil || back != tl {
					t.Fatalf("ParseTilePath(%q) = %+v, %v", want, back, err)
				}
			}
		}
	}
}

func TestParseTilePathRefuses(t *testing.T) {
	for _, p := range []string{
		"", "tile", "tile/", "tile/0", "tile/0/", "tile/0/1", "tile/0/0001", "tile/0/x000/001", "tile/0/001/002",
		"tile/0/x001", "tile/0/001.p/0", "tile/0/001.p/256", "tile/0/001.p/05", "tile/0/001.p/", "tile/0/001.p/x",
		"tile/00/001", "tile/-1/001", "tile/8/001", "tile/data/001", "tile/entries/", "tile/entries/x1/001",
		"tile/0/00a", "tile/0/x001/", "/tile/0/001", "tile//001", "tiles/0/001", "tile/0/001/", "tile/0/+01",
		"tile/0/x999/x999/x999/x999/x999/x999/999", "tile/1/x999/x999/x999/x999/x999/999",
	} {
		if tl, err := ParseTilePath(p); err == nil {
			t.Errorf("ParseTilePath(%q) = %+v, want an error", p, tl)
		} else if tileErrCode(err) != CodeNotFound {
			t.Errorf("ParseTilePath(%q): %v, want %s", p, err, CodeNotFound)
		}
	}
}

func TestBundle(t *testing.T) {
	var b []byte
	var leaves [][]byte
	for i := range 256 {
		leaf := bytes.Repeat([]byte{byte(i)}, i*37%300)
		var err error
		if b, err = AppendBundleEntry(b, leaf); err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, leaf)
	}
	got, err := SplitBundle(b)
	if err != nil || len(got) != 256 {
		t.Fatalf("SplitBundle: %d, %v", len(got), err)
	}
	for i := range got {
		if !bytes.Equal(got[i], leaves[i]) {
			t.Fatalf("entry %d differs", i)
		}
	}
	hs, err := BundleHashes(b)
	if err != nil || len(hs) != 256*32 {
		t.Fatal(len(hs), err)
	}
	for i, l := range leaves {
		if h := tlog.RecordHash(l); !bytes.Equal(hs[32*i:32*i+32], h[:]) {
			t.Fatalf("hash %d differs", i)
		}
	}
	if _, err := AppendBundleEntry(nil, make([]byte, MaxBundleEntry+1)); tileErrCode(err) != CodeInvalidEntry {
		t.Fatalf("an entry over the limit: %v", err)
	}
	if one, err := AppendBundleEntry(nil, make([]byte, MaxBundleEntry)); err != nil || len(one) != MaxBundleEntry+2 {
		t.Fatalf("an entry at the limit: %v", err)
	}
	for _, bad := range [][]byte{nil, {0}, {0, 5, 1, 2}, append(append([]byte{}, b...), 0, 0)} {
		if _, err := SplitBundle(bad); tileErrCode(err) != CodeMalformed {
			t.Errorf("SplitBundle(% x...): %v", bad[:min(len(bad), 8)], err)
		}
	}
}

// TestTilesOfATree builds a tree of 70,000 leaves, reads every full tile
// with tlog.ReadTileData and checks TileRoot, TilesCompleted and
// tlog.HashFromTile against the tree.
func TestTilesOfATree(t *testing.T) {
	const n = 256*256 + 4464
	var mem MemHashes
	for i := range int64(n) {
		var leaf [8]byte
		leaf[0], leaf[1], leaf[2] = byte(i), byte(i>>8), byte(i>>16)
		hs, err := tlog.StoredHashes(i, leaf[:], &mem)
		if err != nil {
			t.Fatal(err)
		}
		mem.AppendHashes(hs)
	}
	full := TilesCompleted(0, n)
	var got []tlog.Tile
	for size := int64(0); size < n; size += 1000 {
		got = append(got, TilesCompleted(size, min(size+1000, n))...)
	}
	byLevel := func(ts []tlog.Tile) []tlog.Tile {
		slices.SortStableFunc(ts, func(a, b tlog.Tile) int { return a.L - b.L })
		return ts
	}
	if fmt.Sprint(byLevel(got)) != fmt.Sprint(full) {
		t.Fatal("TilesCompleted in steps differs from at once")
	}
	if len(full) != n/256+1 || full[len(full)-1] != (tlog.Tile{H: 8, L: 1, N: 0, W: 256}) {
		t.Fatalf("%d tiles completed, last %+v", len(full), full[len(full)-1])
	}
	for _, tl := range full {
		data, err := tlog.ReadTileData(tl, &mem)
		if err != nil {
			t.Fatal(err)
		}
		root, err := TileRoot(data)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := mem.ReadHashes([]int64{tlog.StoredHashIndex(8*(tl.L+1), tl.N)})
		if root != want[0] {
			t.Fatalf("TileRoot of %s", TilePath(tl))
		}
		for k := range int64(256) {
			x := tlog.StoredHashIndex(8*tl.L, tl.N*256+k)
			h, err := tlog.HashFromTile(tl, data, x)
			if err != nil {
				t.Fatal(err)
			}
			if w, _ := mem.ReadHashes([]int64{x}); h != w[0] {
				t.Fatalf("hash %d from %s", x, TilePath(tl))
			}
		}
	}
	if _, err := TileRoot(make([]byte, 31)); tileErrCode(err) != CodeMalformed {
		t.Fatal(err)
	}
}
