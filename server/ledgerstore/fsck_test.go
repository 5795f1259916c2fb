package ledgerstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/server/filelock"
	"github.com/tidwall/buntdb"
	"golang.org/x/mod/sumdb/tlog"
)

// fsckEntries is the size of the stores the fsck tests damage
// (sealedStore: batch rows of 40 up to entry 2807, then 20 single
// appends): 11 sealed tiles (2,816 entries) and 12 entries in batch rows.
// The single appends complete the last tile, so that a sealer stopped at
// a step of its last round leaves tile 10's rows (from 2560) behind.
const fsckEntries = 11*256 + 12

// snapshotDir returns every file under dir (but the lock file), path →
// contents.
func snapshotDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".lock") {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameFiles fails unless the two snapshots hold the same files with the
// same bytes.
func sameFiles(t *testing.T, before, after map[string][]byte, what string) {
	t.Helper()
	for p, b := range before {
		a, ok := after[p]
		if !ok {
			t.Fatalf("%s: %s was removed", what, p)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: %s changed", what, p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Fatalf("%s: %s was created", what, p)
		}
	}
}

// copyStore copies the data directory from into a new one and returns the
// path of its ledger.db.
func copyStore(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	for p, b := range snapshotDir(t, from) {
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "ledger.db")
}

// fsckBase makes a sealed store of fsckEntries entries signed by sg
// (with crash set, the sealer stopped at that step of its last round) and
// returns its directory.
func fsckBase(t *testing.T, sg *ledger.Signer, crash string) string {
	t.Helper()
	dir, _ := sealedStore(t, sg, fsckEntries, crash)
	return dir
}

// fsckCase is one kind of damage and what fsck must say about it.
type fsckCase struct {
	name    string
	crash   string                               // the sealer's crash step the store was made with ("": none)
	edit    func(t *testing.T, dir, path string) // the damage
	want    []wantFinding                        // the findings, in order
	repairs bool                                 // --repair leaves a clean store of the fsckEntries entries (otherwise it changes nothing)
	// remains, when --repair repairs some findings only: what it leaves;
	// the files it rewrote must be the undamaged store's.
	remains []wantFinding
}

// wantFinding is what a finding must say.
type wantFinding struct {
	kind, where string
	index       int64 // -1: none
	recoverable bool
	what        string // a part of What
}

// TestFsck: each kind of damage, made in a real store with sealed tiles,
// is reported as one finding naming it, whether it is recoverable and what
// to do; a plain fsck changes no byte of the data directory; --repair
// repairs the recoverable ones (the store then checks clean, has its tile
// files as before the damage, opens and verifies with every entry) and
// changes nothing when there is nothing it may do.
func TestFsck(t *testing.T) {
	signer := newSigner(t, "fsck.example/log")
	bases := map[string]string{"": fsckBase(t, signer, ""), "sealed": fsckBase(t, signer, "sealed")}
	cases := []fsckCase{
		{name: "clean"},
		{
			name: "entry bundle deleted, its rows gone",
			edit: func(t *testing.T, dir, _ string) { os.Remove(filepath.Join(dir, "tile/entries/004")) },
			want: []wantFinding{{FindingTileMissing, "tile/entries/004", 1024, false, "entry bundle of entries 1024 to 1279 is missing"}},
		},
		{
			name:    "hash tile deleted",
			edit:    func(t *testing.T, dir, _ string) { os.Remove(filepath.Join(dir, "tile/0/004")) },
			want:    []wantFinding{{FindingTileMissing, "tile/0/004", 1024, true, "level-0 hash tile of entries 1024 to 1279 is missing"}},
			repairs: true,
		},
		{
			name: "byte flipped in an entry bundle",
			edit: func(t *testing.T, dir, _ string) {
				// Inside entry 3·256+1's signature: the bundle still splits
				// and the entry decodes; only the hashes tell.
				p := filepath.Join(dir, "tile/entries/003")
				b, _ := os.ReadFile(p)
				es, err := ledger.SplitBundle(b)
				if err != nil {
					t.Fatal(err)
				}
				flipFileByte(p, 2+len(es[0])+2+len(es[1])-10)
			},
			want: []wantFinding{{FindingTileMismatch, "tile/entries/003", 3*256 + 1, false, "the entry bundle was altered"}},
		},
		{
			// Two at once: the root check that proves the hash tiles must
			// not blame tile 5's entry bundle for tile 2's damage.
			name: "entry bundle altered and another hash tile deleted",
			edit: func(t *testing.T, dir, _ string) {
				p := filepath.Join(dir, "tile/entries/002")
				b, _ := os.ReadFile(p)
				es, err := ledger.SplitBundle(b)
				if err != nil {
					t.Fatal(err)
				}
				flipFileByte(p, 2+len(es[0])-10)
				os.Remove(filepath.Join(dir, "tile/0/005"))
			},
			want: []wantFinding{
				{FindingTileMismatch, "tile/entries/002", 2 * 256, false, "the entry bundle was altered"},
				{FindingTileMissing, "tile/0/005", 5 * 256, true, "level-0 hash tile of entries 1280 to 1535 is missing"},
			},
			remains: []wantFinding{{FindingTileMismatch, "tile/entries/002", 2 * 256, false, "the entry bundle was altered"}},
		},
		{
			name:    "byte flipped in a hash tile",
			edit:    func(t *testing.T, dir, _ string) { flipFileByte(filepath.Join(dir, "tile/0/002"), 32*17+3) },
			want:    []wantFinding{{FindingTileMismatch, "tile/0/002", 2*256 + 17, true, "the hash tile was altered"}},
			repairs: true,
		},
		{
			name:    "byte flipped in the last hash tile",
			edit:    func(t *testing.T, dir, _ string) { flipFileByte(filepath.Join(dir, "tile/0/010"), 500) },
			want:    []wantFinding{{FindingTileMismatch, "tile/0/010", 10*256 + 15, true, "the hash tile was altered"}},
			repairs: true,
		},
		{
			name: "unsealed batch row deleted",
			edit: func(t *testing.T, _, path string) {
				rawUpdate(t, path, func(tx *buntdb.Tx) error { _, err := tx.Delete(batchKey(2820)); return err })
			},
			want: []wantFinding{{FindingRowsMissing, "ledger.db row " + batchKey(2820), 2820, false,
				`entries 2820 to 2820 are neither sealed nor in a batch row: the batch row "b:00000000000000002820" was deleted`}},
		},
		{
			// Store format 4 commits with the checkpoint of the last batch
			// row; meta:checkpoint is the checkpoint the store had when it
			// was created (or migrated), and the last row's supersedes it.
			// One that is ahead of the last row's, signed by the store's
			// key, says that the rows of the entries between were lost:
			// the checkpoint is ahead of its data.
			name: "meta:checkpoint ahead of the last row's",
			edit: func(t *testing.T, _, path string) {
				cp, err := ledger.Checkpoint{Origin: signer.Name(), Size: 5000, Root: tlog.Hash{7}}.Sign(signer)
				if err != nil {
					t.Fatal(err)
				}
				rawUpdate(t, path, func(tx *buntdb.Tx) error { _, _, err := tx.Set(keyCheckpoint, string(cp), nil); return err })
			},
			want: []wantFinding{{FindingCheckpoint, "ledger.db key meta:checkpoint", fsckEntries, false,
				"the stored checkpoint (meta:checkpoint, tree size 5000) is ahead of the last batch row's (tree size 2828): the rows of entries 2828 to 4999 are lost"}},
		},
		{
			// meta:sealed claims tiles beyond what the checkpoint commits.
			name: "meta:sealed ahead of the checkpoint",
			edit: func(t *testing.T, _, path string) {
				rawUpdate(t, path, func(tx *buntdb.Tx) error { _, _, err := tx.Set(keySealed, "3072", nil); return err })
			},
			want: []wantFinding{{FindingSealed, "ledger.db key meta:sealed", fsckEntries, false, "meta:sealed says 3072 entries are sealed, but the checkpoint is for tree size 2828"}},
		},
		{
			name: "last row's checkpoint does not verify",
			edit: func(t *testing.T, _, path string) { flipByte(t, path, batchKey(fsckEntries-1), -5) },
			want: []wantFinding{{FindingCheckpoint, "ledger.db row " + batchKey(fsckEntries-1), fsckEntries - 1, false, `the checkpoint in batch row "b:00000000000000002827" does not verify`}},
		},
		{
			name: "torn tail",
			edit: func(t *testing.T, dir, path string) {
				// One more append (nothing to seal: the tile is not full),
				// then the file is cut inside its batch row.
				st := openT(t, path, signer)
				if _, err := st.Append(context.Background(), draft("torn")); err != nil {
					t.Fatal(err)
				}
				st.Close()
				data, _ := os.ReadFile(path)
				cmds := parseCommands(t, data)
				last := cmds[len(cmds)-1]
				if last.key != batchKey(fsckEntries) {
					t.Fatalf("the last command sets %s", last.key)
				}
				if err := os.Truncate(path, int64(last.start+(last.end-last.start)/2)); err != nil {
					t.Fatal(err)
				}
			},
			want:    []wantFinding{{FindingTailTorn, "ledger.db byte ", -1, true, "bytes of an unfinished write"}},
			repairs: true,
		},
		{
			name: "garbage at the end",
			edit: func(t *testing.T, _, path string) {
				f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
				f.WriteString("*3\r\n$3\r\nset\r\nxx\r\n")
				f.Close()
			},
			want: []wantFinding{{FindingTailDamaged, "ledger.db byte ", -1, false, "are not the cut or zero-filled tail of a write"}},
		},
		{
			name: "temporary files",
			edit: func(t *testing.T, dir, path string) {
				os.MkdirAll(filepath.Join(dir, tileTmpDir), 0o755)
				os.WriteFile(filepath.Join(dir, tileTmpDir, "tile_0_011-123"), []byte("half"), 0o644)
				os.WriteFile(path+".compact", []byte("half"), 0o644)
			},
			want: []wantFinding{
				{FindingTempFiles, "tile-tmp/", -1, true, "1 temporary tile file(s)"},
				{FindingTempFiles, "ledger.db.compact", -1, true, "compaction"},
			},
			repairs: true,
		},
		{
			name:    "crash between sealing and deleting the rows",
			crash:   "sealed",
			want:    []wantFinding{{FindingRowsLeftover, "ledger.db row " + batchKey(2560), -1, true, "hold only sealed entries (below meta:sealed = 2816)"}},
			repairs: true,
		},
		{
			// The bundle is rebuilt from the rows, and then the rows go.
			name:  "entry bundle deleted, its rows still there",
			crash: "sealed",
			edit:  func(t *testing.T, dir, _ string) { os.Remove(filepath.Join(dir, "tile/entries/010")) },
			want: []wantFinding{
				{FindingTileMissing, "tile/entries/010", 2560, true, "entry bundle of entries 2560 to 2815 is missing"},
				{FindingRowsLeftover, "ledger.db row " + batchKey(2560), -1, true, "hold only sealed entries"},
			},
			repairs: true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := copyStore(t, bases[c.crash])
			dir := filepath.Dir(path)
			if c.edit != nil {
				c.edit(t, dir, path)
			}
			before := snapshotDir(t, dir)
			rep, err := Fsck(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameFiles(t, before, snapshotDir(t, dir), "a plain fsck")
			for _, f := range rep.Findings {
				t.Logf("%s %s: %s / %v: %s", f.Kind, f.Where, f.What, f.Recoverable, f.Action)
			}
			for _, s := range rep.Skipped {
				t.Logf("skipped: %s", s)
			}
			checkFindings(t, rep, c.want)
			if rep.OK != (len(c.want) == 0) || rep.Format != storeFormat {
				t.Fatalf("ok %v, format %q", rep.OK, rep.Format)
			}
			if len(c.want) == 0 {
				if rep.Size != fsckEntries || rep.Sealed != 2816 {
					t.Fatalf("size %d, sealed %d", rep.Size, rep.Sealed)
				}
				return
			}
			// --repair.
			rep, err = Fsck(path, &FsckOptions{Repair: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("repaired: %q", rep.Repaired)
			if c.remains != nil {
				if rep.OK || len(rep.Repaired) == 0 {
					t.Fatalf("--repair: ok %v, repaired %q", rep.OK, rep.Repaired)
				}
				checkFindings(t, rep, c.remains)
				after := snapshotDir(t, dir)
				for p, b := range snapshotDir(t, bases[c.crash]) {
					if !bytes.Equal(after[p], b) && !bytes.Equal(after[p], before[p]) {
						t.Fatalf("after --repair, %s is neither as damaged nor as the undamaged store's", p)
					}
				}
				return
			}
			if !c.repairs {
				// Nothing it may do: not a byte changes, and the damage
				// remains.
				sameFiles(t, before, snapshotDir(t, dir), "--repair of damage it cannot repair")
				if rep.OK || len(rep.Repaired) != 0 {
					t.Fatalf("--repair: ok %v, repaired %q", rep.OK, rep.Repaired)
				}
				checkFindings(t, rep, c.want)
				return
			}
			if !rep.OK || len(rep.Repaired) == 0 {
				t.Fatalf("--repair: ok %v, repaired %q, findings %+v", rep.OK, rep.Repaired, rep.Findings)
			}
			// Every tile file is the undamaged store's again.
			tiles := 0
			for p, b := range snapshotDir(t, bases[c.crash]) {
				if strings.HasPrefix(p, "tile/") {
					tiles++
					if got, _ := os.ReadFile(filepath.Join(dir, p)); !bytes.Equal(got, b) {
						t.Fatalf("after --repair, %s differs from the undamaged store's", p)
					}
				}
			}
			if tiles != 22 {
				t.Fatalf("%d tile files", tiles)
			}
			const want = fsckEntries
			ro, err := OpenReadOnly(path)
			if err != nil {
				t.Fatalf("read-only open after --repair: %v", err)
			}
			if sealedRowsLeft(ro, 2816) {
				t.Fatal("rows below meta:sealed are left after --repair")
			}
			mustVerify(t, ro, want)
			ro.Close()
			st := openT(t, path, signer)
			defer st.Close()
			mustVerify(t, st, want)
			if _, err := st.Append(context.Background(), draft("after-fsck")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func checkFindings(t *testing.T, rep *FsckReport, want []wantFinding) {
	t.Helper()
	if len(rep.Findings) != len(want) {
		t.Fatalf("%d findings, want %d: %+v", len(rep.Findings), len(want), rep.Findings)
	}
	for i, w := range want {
		f := rep.Findings[i]
		idx := int64(-1)
		if f.Index != nil {
			idx = int64(*f.Index)
		}
		if f.Kind != w.kind || !strings.HasPrefix(f.Where, w.where) || idx != w.index || f.Recoverable != w.recoverable || !strings.Contains(f.What, w.what) {
			t.Fatalf("finding %d: %s at %q (index %d, recoverable %v): %s\nwant %s at %q (index %d, recoverable %v): …%s…",
				i, f.Kind, f.Where, idx, f.Recoverable, f.What, w.kind, w.where, w.index, w.recoverable, w.what)
		}
		if f.Action == "" || !f.Recoverable && !strings.Contains(f.Action, "restore") && !strings.Contains(f.Action, "report") {
			t.Fatalf("finding %d: action %q", i, f.Action)
		}
		if f.Recoverable && !strings.Contains(f.Action, "--repair") {
			t.Fatalf("finding %d: recoverable, but the action %q does not say what --repair does", i, f.Action)
		}
	}
}

// TestFsckFormat2: the format-2 fixture is clean; cut inside its last
// commit (checkpoint first, then a cut row), fsck finds the torn tail and
// the unacknowledged checkpoint, and --repair brings it to the commit
// before, as opening it does.
func TestFsckFormat2(t *testing.T) {
	path := copyFixture(t, "format2.db")
	rep, err := Fsck(path, nil)
	if err != nil || !rep.OK || rep.Format != legacyFormat || rep.Size != 28 || rep.Sealed != 0 {
		t.Fatalf("fixture: %+v %v", rep, err)
	}
	data, _ := os.ReadFile(path)
	row := bytes.LastIndex(data, []byte("\r\nb:"))
	os.Truncate(path, int64(row+(len(data)-row)/2))
	before := snapshotDir(t, filepath.Dir(path))
	rep, err = Fsck(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, snapshotDir(t, filepath.Dir(path)), "a plain fsck")
	checkFindings(t, rep, []wantFinding{
		{FindingTailTorn, "ledger.db byte ", -1, true, "unfinished write"},
		{FindingUnfinishedCommit, "ledger.db key meta:checkpoint", -1, true, "written without its batch row"},
	})
	if rep.Size != 27 {
		t.Fatalf("size %d, want 27 (the commit before)", rep.Size)
	}
	rep, err = Fsck(path, &FsckOptions{Repair: true})
	if err != nil || !rep.OK || len(rep.Repaired) != 2 {
		t.Fatalf("--repair: %+v %v", rep, err)
	}
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	mustVerify(t, ro, 27)
}

// writeDrafts writes a format-2 store (as writeLegacy) holding the drafts
// as they are, one commit each: entries the store itself would refuse.
func writeDrafts(t *testing.T, path string, sg *ledger.Signer, ds []ledger.Draft) {
	t.Helper()
	origin := sg.Name()
	db, err := buntdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	set := func(kv ...string) { setKeys(t, db, kv...) }
	sign := func(size int64, root tlog.Hash) string {
		cp, err := ledger.Checkpoint{Origin: origin, Size: size, Root: root}.Sign(sg)
		if err != nil {
			t.Fatal(err)
		}
		return string(cp)
	}
	set(keyFormat, legacyFormat, keyOrigin, origin, keyVerifier, sg.Verifier().String(), keyCheckpoint, sign(0, sha256.Sum256(nil)))
	var mem ledger.MemHashes
	var prev tlog.Hash
	for i, d := range ds {
		d.Timestamp = time.Date(2026, 12, 1, 0, 0, i, 0, time.UTC).UnixNano()
		var row []byte
		row, prev = legacyRow(t, sg, origin, uint64(i), prev, d, &mem)
		root, err := tlog.TreeHash(int64(i+1), &mem)
		if err != nil {
			t.Fatal(err)
		}
		set(batchKey(uint64(i)), string(appendBatchRow(nil, [][]byte{row})), keyCheckpoint, sign(int64(i+1), root))
	}
}

// TestFsckOpIDs: a signed log holding an op id twice, or a parent op id
// no earlier entry has (the store refuses to append either; an altered or
// foreign store can hold them), is reported entry by entry.
func TestFsckOpIDs(t *testing.T) {
	sg := newSigner(t, "opids.example/log")
	child := func(op, parent string) ledger.Draft {
		d := draft(op)
		d.ParentOpID = parent
		return d
	}
	for _, c := range []struct {
		name string
		ds   []ledger.Draft
		want []wantFinding
	}{
		{"clean", []ledger.Draft{draft("a"), child("b", "a"), child("c", "a")}, nil},
		{"op id twice", []ledger.Draft{draft("a"), draft("b"), draft("a"), draft("c")},
			[]wantFinding{{FindingOpID, "ledger.db row " + batchKey(2), 2, false, `entry 2 has op id "a", which entry 0 has already`}}},
		{"unknown parent", []ledger.Draft{draft("a"), child("b", "nope"), child("c", "a")},
			[]wantFinding{{FindingParentOpID, "ledger.db row " + batchKey(1), 1, false, `entry 1 names parent op id "nope", which no earlier entry has`}}},
		{"parent later", []ledger.Draft{draft("a"), child("b", "c"), draft("c")},
			[]wantFinding{{FindingParentOpID, "ledger.db row " + batchKey(1), 1, false, `parent op id "c"`}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger.db")
			writeDrafts(t, path, sg, c.ds)
			rep, err := Fsck(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, rep, c.want)
			if rep.Size != uint64(len(c.ds)) {
				t.Fatalf("size %d", rep.Size)
			}
		})
	}
}

// TestFsckRefusals: fsck says so clearly when there is no store, when the
// store is in use, and when only the tiles are left.
func TestFsckRefusals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	if _, err := Fsck(path, nil); code(err) != ledger.CodeNotFound || !strings.Contains(err.Error(), "no ledger store at "+path) {
		t.Fatalf("no store: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("fsck created ledger.db")
	}
	os.MkdirAll(filepath.Join(dir, "tile", "0"), 0o755)
	rep, err := Fsck(path, nil)
	if err != nil || rep.OK || len(rep.Findings) != 1 || rep.Findings[0].Kind != FindingFile {
		t.Fatalf("tiles without ledger.db: %+v %v", rep, err)
	}
	path = filepath.Join(t.TempDir(), "ledger.db")
	openT(t, path, newSigner(t, "locked.example/log")).Close()
	lock, err := filelock.Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	if _, err := Fsck(path, nil); code(err) != CodeInUse {
		t.Fatalf("in use: %v", err)
	}
}

// TestMigrate: stores of format 2 and 3 are migrated without their key,
// or with it, to format 4 with the same checkpoint, their full tiles
// sealed; a current store is left as it is; another key is refused.
func TestMigrate(t *testing.T) {
	fastSealing(t)
	sg := newSigner(t, "migrate-cmd.example/log")
	makeFormat3 := func(t *testing.T, path string) {
		old := sealRoundTiles
		sealRoundTiles = 0 // no sealing: what format 3 wrote
		st := openT(t, path, sg)
		appendN(t, st, "m3", 700, 90)
		st.Close()
		sealRoundTiles = old
		rawUpdate(t, path, func(tx *buntdb.Tx) error { _, _, err := tx.Set(keyFormat, format3, nil); return err })
	}
	makeFormat2 := func(t *testing.T, path string) { writeLegacy(t, path, sg, []int{200, 1, 300, 13}) }
	for _, c := range []struct {
		name   string
		make   func(t *testing.T, path string)
		key    *ledger.Signer
		format string
		size   int64
	}{
		{"format 3 without the key", makeFormat3, nil, format3, 700},
		{"format 3 with the key", makeFormat3, sg, format3, 700},
		{"format 2 without the key", makeFormat2, nil, legacyFormat, 514},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger.db")
			c.make(t, path)
			ro, err := OpenReadOnly(path)
			if err != nil {
				t.Fatal(err)
			}
			cp := string(ro.Checkpoint())
			ro.Close()
			res, err := Migrate(path, c.key)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Migrated || res.FormatBefore != c.format || res.FormatAfter != storeFormat || res.Before != res.After ||
				res.Before.Size != c.size || res.Sealed != sealable(uint64(c.size)) {
				t.Fatalf("%+v", res)
			}
			ro, err = OpenReadOnly(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(ro.Checkpoint()) != cp || ro.format() != storeFormat {
				t.Fatalf("after: format %s, checkpoint\n%s", ro.format(), ro.Checkpoint())
			}
			mustVerify(t, ro, uint64(c.size))
			ro.Close()
			if rep, err := Fsck(path, nil); err != nil || !rep.OK {
				t.Fatalf("fsck after the migration: %+v %v", rep, err)
			}
			again, err := Migrate(path, nil)
			if err != nil || again.Migrated || again.FormatBefore != storeFormat || again.Before != res.After {
				t.Fatalf("migrating again: %+v %v", again, err)
			}
			st := openT(t, path, sg)
			defer st.Close()
			if _, err := st.Append(context.Background(), draft("after-migrate")); err != nil {
				t.Fatal(err)
			}
			mustVerify(t, st, uint64(c.size)+1)
		})
	}
	t.Run("another key", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ledger.db")
		makeFormat2(t, path)
		before, _ := os.ReadFile(path)
		if _, err := Migrate(path, newSigner(t, "migrate-cmd.example/log")); code(err) != CodeWrongKey {
			t.Fatalf("migrate with another key: %v", err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Fatal("a refused migration changed the store")
		}
	})
	t.Run("damaged", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ledger.db")
		makeFormat2(t, path)
		flipEntryByte(t, path, 100, 40) // an entry's body: its signature fails
		_, err := Migrate(path, nil)
		if code(err) != CodeDamaged || !strings.Contains(err.Error(), "does not verify") {
			t.Fatalf("migrate a damaged store: %v", err)
		}
		var format string
		rawUpdate(t, path, func(tx *buntdb.Tx) error { format, _ = tx.Get(keyFormat); return nil })
		if format != legacyFormat {
			t.Fatalf("format %s after a refused migration", format)
		}
	})
}

// TestFsckJSONShape: the report's JSON, which the help text documents and
// scripts rely on.
func TestFsckJSONShape(t *testing.T) {
	f := FsckFinding{Kind: FindingTileMissing, Where: "tile/0/004", Index: indexPtr(1024), What: "w", Recoverable: true, Action: "a", fix: fixTile}
	b, err := json.Marshal(FsckReport{Path: "p", Findings: []FsckFinding{f}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ok":false,"path":"p","size":0,"sealed":0,"findings":[{"kind":"tile-missing","where":"tile/0/004","index":1024,"what":"w","recoverable":true,"action":"a"}]}`
	if string(b) != want {
		t.Fatalf("JSON\n%s\nwant\n%s", b, want)
	}
}

// TestFsckUpperTiles: with 65,536 entries sealed, a tile of level 1 is
// full; fsck checks it against the level-0 tiles below it, and --repair
// rewrites it from them.
func TestFsckUpperTiles(t *testing.T) {
	if testing.Short() {
		t.Skip("appends 66,000 entries")
	}
	fastSealing(t)
	sg := newSigner(t, "fsck-upper.example/log")
	base := t.TempDir()
	st := openT(t, filepath.Join(base, "ledger.db"), sg)
	const n = 65536 + 2*256 + 40
	appendN(t, st, "u", n, 4096)
	waitSealed(t, st, sealable(n))
	st.Close()
	for _, c := range []struct {
		name, file string
		edit       func(p string)
		want       wantFinding
		repaired   bool
	}{
		{"level-1 tile deleted", "tile/1/000", func(p string) { os.Remove(p) },
			wantFinding{FindingTileMissing, "tile/1/000", 0, true, "the hash tile of level 1 over entries 0 to 65535 is missing"}, true},
		{"level-1 tile altered", "tile/1/000", func(p string) { flipFileByte(p, 32*200+1) },
			wantFinding{FindingTileMismatch, "tile/1/000", 0, true, "does not hold the roots of the tiles below it"}, true},
		{"hash tile under it altered", "tile/0/005", func(p string) { flipFileByte(p, 32*9) },
			wantFinding{FindingTileMismatch, "tile/0/005", 5*256 + 9, true, "the hash tile was altered"}, true},
		{"entry bundle under it altered", "tile/entries/005", func(p string) {
			b, _ := os.ReadFile(p)
			es, _ := ledger.SplitBundle(b)
			flipFileByte(p, 2+len(es[0])-3) // entry 1280's signature
		}, wantFinding{FindingTileMismatch, "tile/entries/005", 5 * 256, false, "the entry bundle was altered"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := copyStore(t, base)
			dir := filepath.Dir(path)
			c.edit(filepath.Join(dir, c.file))
			before := snapshotDir(t, dir)
			rep, err := Fsck(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameFiles(t, before, snapshotDir(t, dir), "a plain fsck")
			checkFindings(t, rep, []wantFinding{c.want})
			rep, err = Fsck(path, &FsckOptions{Repair: true})
			if err != nil || rep.OK != c.repaired {
				t.Fatalf("--repair: %+v %v", rep, err)
			}
			if !c.repaired {
				sameFiles(t, before, snapshotDir(t, dir), "--repair of damage it cannot repair")
				return
			}
			want, _ := os.ReadFile(filepath.Join(base, c.file))
			if got, _ := os.ReadFile(filepath.Join(dir, c.file)); !bytes.Equal(got, want) {
				t.Fatalf("%s not rewritten as it was", c.file)
			}
		})
	}
}
