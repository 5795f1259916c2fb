package ledger

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

// opSet is a committed op-id index for sequencer tests.
type opSet map[string]uint64

func (o opSet) IndexOfOp(op string) (uint64, bool) { i, ok := o[op]; return i, ok }

// TestSequencer: drafts are sequenced all or none; duplicate op ids (in the
// committed log, earlier in the same call, or sequenced but not yet
// committed), unknown parents and entries too long for a bundle are
// refused with LEDGER_007 or LEDGER_001, and a refusal changes nothing.
func TestSequencer(t *testing.T) {
	long := draft(1)
	long.OpID, long.ParentOpID = "long", ""
	long.Invariant = Invariant{OK: false, Message: strings.Repeat("x", MaxBundleEntry)}
	withParent := func(op, parent string) Draft {
		d := draft(2)
		d.OpID, d.ParentOpID = op, parent
		return d
	}
	plain := func(op string) Draft { return withParent(op, "") }
	tests := []struct {
		name     string
		first    []Draft // sequenced (not committed) before
		ds       []Draft
		wantCode string // "" means accepted
	}{
		{"new ops", nil, []Draft{plain("a"), plain("b")}, ""},
		{"parent committed", nil, []Draft{withParent("a", "committed-1")}, ""},
		{"parent earlier in the call", nil, []Draft{plain("a"), withParent("b", "a")}, ""},
		{"parent sequenced before", []Draft{plain("p")}, []Draft{withParent("a", "p")}, ""},
		{"duplicate of committed", nil, []Draft{plain("a"), plain("committed-0")}, CodeOpID},
		{"duplicate in the call", nil, []Draft{plain("a"), plain("a")}, CodeOpID},
		{"duplicate of sequenced", []Draft{plain("p")}, []Draft{plain("p")}, CodeOpID},
		{"unknown parent", nil, []Draft{plain("a"), withParent("b", "nowhere")}, CodeOpID},
		{"parent later in the call", nil, []Draft{withParent("b", "a"), plain("a")}, CodeOpID},
		{"too long for a bundle", nil, []Draft{plain("a"), long}, CodeInvalidEntry},
	}
	committed := opSet{"committed-0": 0, "committed-1": 1}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prev := tlog.RecordHash([]byte("entry 1"))
			q := NewSequencer(testOrigin, 7, 2, prev)
			if _, err := q.Sequence(tc.first, 1, committed); err != nil {
				t.Fatal(err)
			}
			size, last, pending := q.Size(), q.Last(), q.Pending()
			ps, err := q.Sequence(tc.ds, 99, committed)
			if tc.wantCode != "" {
				if !errors.Is(err, &nu.Error{Code: tc.wantCode}) || ps != nil {
					t.Fatalf("got %v, %d entries; want %s", err, len(ps), tc.wantCode)
				}
				if q.Size() != size || q.Last() != last || q.Pending() != pending {
					t.Fatalf("a refusal changed the sequencer: size %d→%d, pending %d→%d", size, q.Size(), pending, q.Pending())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			link := last
			for k, p := range ps {
				e := p.Entry
				if e.Index != size+uint64(k) || e.PrevHash != link || e.KeyID != 7 || e.Timestamp != tc.ds[k].Timestamp && e.Timestamp != 99 {
					t.Fatalf("entry %d: index %d prev %v key %v ts %d", k, e.Index, e.PrevHash, e.KeyID, e.Timestamp)
				}
				if !bytes.Equal(p.Body, e.AppendBody(nil, testOrigin)) {
					t.Fatalf("entry %d: body is not the canonical body", k)
				}
				link = sha256.Sum256(p.Body)
				if p.Link != link {
					t.Fatalf("entry %d: link is not SHA-256 of the body", k)
				}
			}
			if q.Size() != size+uint64(len(ps)) || q.Last() != link {
				t.Fatalf("sequencer at %d %v", q.Size(), q.Last())
			}
			q.Forget(q.Size())
			if q.Pending() != 0 {
				t.Fatalf("Forget kept %d op ids", q.Pending())
			}
		})
	}
}

// TestTree: hashes and roots from a Tree, started at every size from 0 to
// 40 over the hashes of a reference log, match tlog's for every size.
func TestTree(t *testing.T) {
	var ref MemHashes
	var leaves [][]byte
	for i := range 300 {
		leaves = append(leaves, []byte(fmt.Sprint("leaf ", i)))
		hs, err := tlog.StoredHashes(int64(i), leaves[i], &ref)
		if err != nil {
			t.Fatal(err)
		}
		ref.AppendHashes(hs)
	}
	for start := int64(0); start <= 40; start++ {
		tr, err := NewTree(start, &ref)
		if err != nil {
			t.Fatal(err)
		}
		for n := start; n < int64(len(leaves)); n++ {
			hs, err := tr.AddHash(tlog.RecordHash(leaves[n]))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := ref.ReadHashes(indexRange(tlog.StoredHashCount(n), len(hs)))
			if fmt.Sprint(hs) != fmt.Sprint(want) {
				t.Fatalf("start %d, record %d: hashes differ", start, n)
			}
			if n%17 == 0 {
				root, _ := tr.Root()
				if want, _ := tlog.TreeHash(n+1, &ref); root != want {
					t.Fatalf("start %d, size %d: root differs", start, n+1)
				}
				tr.trim()
			}
		}
	}
	if _, err := NewTree(5, &MemHashes{}); !errors.Is(err, &nu.Error{Code: CodeStore}) {
		t.Fatalf("a tree over missing hashes: %v", err)
	}
}

func indexRange(first int64, n int) []int64 {
	xs := make([]int64, n)
	for i := range xs {
		xs[i] = first + int64(i)
	}
	return xs
}

// TestTileState: sealing tile after tile gives the full hash tiles tlog
// computes from the stored hashes (levels 0 and 1), a state rebuilt from
// the tiles equals the one built up, and Hash answers every sealed hash.
func TestTileState(t *testing.T) {
	const tiles = TileWidth + 3 // one full tile of level 1, and a partial one
	var ref MemHashes
	files := map[string][]byte{}
	read := func(tl tlog.Tile) ([]byte, error) {
		d, ok := files[TilePath(tl)]
		if !ok {
			return nil, fmt.Errorf("%s missing", TilePath(tl))
		}
		return d, nil
	}
	st := &TileState{}
	for k := int64(0); k < tiles; k++ {
		leaves := make([][]byte, TileWidth)
		for j := range leaves {
			leaves[j] = []byte(fmt.Sprint("leaf ", k, " ", j))
			n := k*TileWidth + int64(j)
			hs, _ := tlog.StoredHashes(n, leaves[j], &ref)
			ref.AppendHashes(hs)
		}
		bundle, hashes, err := SealTile(leaves)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := BundleHashes(bundle); !bytes.Equal(got, hashes) {
			t.Fatalf("tile %d: bundle and hash tile disagree", k)
		}
		next := st.Clone()
		ws, err := next.Add(nil, k, hashes)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != uint64(k)*TileWidth {
			t.Fatal("Add changed the state it was cloned from")
		}
		for _, w := range ws {
			want, err := tlog.ReadTileData(w.Tile, &ref)
			if err != nil || !bytes.Equal(w.Data, want) {
				t.Fatalf("tile %s differs from tlog's (%v)", TilePath(w.Tile), err)
			}
			files[TilePath(w.Tile)] = w.Data
		}
		want := 1 // the level-0 tile, and the level-1 tile it completes
		if (k+1)%TileWidth == 0 {
			want = 2
		}
		if len(ws) != want {
			t.Fatalf("tile %d completed %d hash tiles", k, len(ws))
		}
		st = next
		if _, err := st.Add(nil, k+2, hashes); err == nil {
			t.Fatal("a tile out of order was sealed")
		}
	}
	re, err := NewTileState(st.Size(), read)
	if err != nil {
		t.Fatal(err)
	}
	if re.Levels() != st.Levels() {
		t.Fatalf("rebuilt %d levels, built %d", re.Levels(), st.Levels())
	}
	for l := 1; l < st.Levels(); l++ {
		if !bytes.Equal(re.Upper(l), st.Upper(l)) {
			t.Fatalf("level %d: rebuilt partial tile differs", l)
		}
	}
	for x := int64(0); x < tlog.StoredHashCount(int64(st.Size())); x++ {
		level, n := tlog.SplitStoredHashIndex(x)
		if level > 16 || (n+1)<<level > int64(st.Size()) {
			continue
		}
		got, err := st.Hash(x, read)
		want, _ := ref.ReadHashes([]int64{x})
		if err != nil || got != want[0] {
			t.Fatalf("hash %d (level %d): %v", x, level, err)
		}
	}
	if _, err := NewTileState(100, read); err == nil {
		t.Fatal("a sealed size that is not whole tiles was accepted")
	}
	if _, _, err := SealTile(make([][]byte, 3)); err == nil {
		t.Fatal("a tile of 3 entries was sealed")
	}
}

// TestMemStorageConflict: a batch that does not follow the committed log
// is refused with ErrConflict and changes nothing.
func TestMemStorageConflict(t *testing.T) {
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 3)
	st := l.Storage()
	cp, n := st.Head()
	err := st.Commit(&Batch{First: 2, Checkpoint: []byte("x")})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("stale batch: %v", err)
	}
	if cp2, n2 := st.Head(); n2 != n || !bytes.Equal(cp, cp2) {
		t.Fatal("a refused batch changed the head")
	}
	if _, err := OpenCheckpoint(cp, s.Verifier(), testOrigin); err != nil {
		t.Fatalf("head: %v", err)
	}
	for _, tl := range []tlog.Tile{{H: TileHeight, L: BundleLevel, W: 3}, {H: TileHeight, L: 0, W: 3}} {
		data, err := st.ReadTile(tl)
		if err != nil {
			t.Fatal(err)
		}
		if tl.L == BundleLevel {
			es, _ := SplitBundle(data)
			if len(es) != 3 {
				t.Fatalf("partial bundle of %d entries", len(es))
			}
		}
	}
}
