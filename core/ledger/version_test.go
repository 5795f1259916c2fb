package ledger

import (
	"os"
	"strings"
	"testing"
)

// TestBundleVersions: a version-1 bundle written before version 2 existed
// (the old worked example of docs/ledger-format.md, kept byte for byte)
// still verifies; an entry in mode "gum" verifies in a version-2 bundle and
// fails, naming the entry, in a version-1 one.
func TestBundleVersions(t *testing.T) {
	old, err := os.ReadFile("testdata/bundle-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadBundle(strings.NewReader(string(old)))
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseVerifierKey(b.Key)
	if err != nil {
		t.Fatal(err)
	}
	if b.Version != 1 {
		t.Fatalf("testdata/bundle-v1.json says version %d", b.Version)
	}
	if rep := verifyBoth(t, b, key, nil); !rep.OK || rep.Entries != 2 {
		t.Fatalf("the version-1 bundle: %+v %+v", rep, rep.FirstBad)
	}

	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 3)
	d := draft(3)
	d.Mode, d.Operation, d.Expression = ModeGUM, "expr", "x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = 0.5; x*y"
	if _, err := l.Append(d); err != nil {
		t.Fatal(err)
	}
	gb := mustBundle(t, l)
	if gb.Version != BundleVersion || BundleVersion != 2 {
		t.Fatalf("a new bundle has version %d", gb.Version)
	}
	if rep := verifyBoth(t, gb, s.Verifier(), nil); !rep.OK || rep.Entries != 4 {
		t.Fatalf("a version-2 bundle with a gum entry: %+v %+v", rep, rep.FirstBad)
	}
	gb.Version = 1
	rep := verifyBoth(t, gb, s.Verifier(), nil)
	if rep.OK || rep.FirstBad == nil || rep.FirstBad.Index != 3 || rep.FirstBad.Check != CheckFields ||
		!strings.Contains(rep.FirstBad.Reason, `"gum" needs bundle version 2`) {
		t.Fatalf("a version-1 bundle with a gum entry: %+v %+v", rep, rep.FirstBad)
	}
}
