package main

import (
	"path/filepath"
	"testing"

	"github.com/ebios/ebios/server/keyfile"
	"github.com/ebios/ebios/server/ledgerstore"
)

// TestGen: gen writes a store the server can open, with the op ids the
// benchmark asks for, the hubs' children and guard events; a second gen
// of the same size adds nothing.
func TestGen(t *testing.T) {
	dir := t.TempDir()
	for range 2 {
		if err := gen([]string{"-n", "3000", "-data", dir}); err != nil {
			t.Fatal(err)
		}
	}
	sg, err := keyfile.LoadSigner(filepath.Join(dir, "ledger.key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ledgerstore.Open(filepath.Join(dir, "ledger.db"), sg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Len() != 3000 {
		t.Fatalf("%d entries", st.Len())
	}
	var parents, hubKids, guarded int
	for i := range st.Len() {
		e, err := st.Get(i)
		if err != nil {
			t.Fatal(err)
		}
		if e.OpID != OpID(int(i)) {
			t.Fatalf("entry %d has op id %s, want %s", i, e.OpID, OpID(int(i)))
		}
		if e.ParentOpID != "" {
			parents++
		}
		if e.ParentOpID == OpID(3) {
			hubKids++
		}
		if len(e.Guard) > 0 {
			guarded++
		}
	}
	if parents < 600 || hubKids < 3 || guarded < 60 {
		t.Fatalf("%d with a parent, %d children of hub 3, %d with guard events", parents, hubKids, guarded)
	}
	if rep, err := st.Verify(nil); err != nil || !rep.OK {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
