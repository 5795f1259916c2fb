package ledgerstore

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// analysisDraft is an "expr" draft whose output carries an analysis.
func analysisDraft(op string, seed ledger.Seed) ledger.Draft {
	d := draft(op)
	d.Operation, d.Mode, d.Expression = "expr", ledger.ModeGUM, "x * y"
	inf := nu.Float(math.Inf(1))
	d.Analysis = &ledger.Analysis{
		Inputs: []ledger.InputDist{
			{Name: "x", Dist: ledger.DistNormal, N: 1.5, U: 0.1, DoF: inf},
			{Name: "y", Dist: ledger.DistUniform, N: 1.5, U: nu.Float(0.1), Lo: nu.Float(1.5 - 0.1*math.Sqrt(3)), Hi: nu.Float(1.5 + 0.1*math.Sqrt(3)), DoF: 12},
		},
		MonteCarlo: &ledger.MonteCarlo{Draws: 100_000, Seed: seed, P: 0.95, Mean: 2.25, U: 0.21, Lo: 1.84, Hi: 2.66},
		Expanded:   &ledger.Expanded{K: 2, DoF: inf, U: 0.42},
	}
	return d
}

// TestAnalysisEntries: the store keeps entries as their leaf data, so
// entries with an analysis (bundle format version 3) need no new store
// format: they are appended, read back from batch rows and from sealed
// tiles after a reopen, verified, and exported in a version-3 bundle that
// verifies.
func TestAnalysisEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	sg := newSigner(t, "test.example/log")
	st := openT(t, path, sg)
	ctx := context.Background()
	want := map[uint64]*ledger.Entry{}
	for b := 0; b < 30; b++ { // 300 entries: the first 256 are sealed into a tile
		var ds []ledger.Draft
		for k := 0; k < 10; k++ {
			op := fmt.Sprintf("op-%d-%d", b, k)
			if k == 3 {
				ds = append(ds, analysisDraft(op, ledger.Seed(math.MaxUint64-uint64(b))))
			} else {
				ds = append(ds, draft(op))
			}
		}
		es, err := st.AppendBatch(ctx, ds)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Analysis != nil {
				want[e.Index] = e
			}
		}
	}
	waitSealed(t, st, 256)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openT(t, path, sg)
	defer st.Close()
	if st.format() != storeFormat {
		t.Fatalf("store format %q", st.format())
	}
	for i, e := range want {
		got, err := st.Get(i)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("entry %d read back as %+v, want %+v", i, got.Analysis, e.Analysis)
		}
	}
	if rep, err := st.Verify(nil); err != nil || !rep.OK || rep.Entries != 300 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	var buf bytes.Buffer
	if err := st.WriteBundle(&buf, -1, nil); err != nil {
		t.Fatal(err)
	}
	b, err := ledger.ReadBundle(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if b.Version != 3 {
		t.Fatalf("export of version %d", b.Version)
	}
	if rep, err := ledger.VerifyBundle(bytes.NewReader(buf.Bytes()), sg.Verifier(), nil); err != nil || !rep.OK || rep.Entries != 300 {
		t.Fatalf("verify the export: %+v %v", rep, err)
	}
}
