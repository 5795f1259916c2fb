package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// TestOldBundlesVerify: bundles written by older versions, kept byte for
// byte, still verify, as files (streaming) and read back (in memory):
//
//   - testdata/bundle-v1.json: the worked example of docs/ledger-format.md
//     as the version-1 code wrote it (two entries);
//   - testdata/bundle-v2.json: the same two entries and a third in mode
//     "gum", written by the version-2 code (commit 95bf224) with the public
//     example key (exampleSigner), entry op-3 being
//     Draft{OpID: "op-3", Operation: "expr", Mode: ModeGUM,
//     Expression: "x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = 0.5; x*y",
//     Inputs: 3 ± 0.1, 2 ± 0.2, Output: 6 ± sqrt(0.04+0.36+2·0.5·0.2·0.6)}.
//
// Their signatures cover the canonical bodies this code rebuilds, so they
// also prove that the bodies of entries without an analysis are what they
// were.
func TestOldBundlesVerify(t *testing.T) {
	for _, tc := range []struct {
		file    string
		version int
		entries int64
	}{
		{"testdata/bundle-v1.json", 1, 2},
		{"testdata/bundle-v2.json", 2, 3},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ReadBundle(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if b.Version != tc.version {
				t.Fatalf("%s says version %d", tc.file, b.Version)
			}
			key, err := ParseVerifierKey(b.Key)
			if err != nil {
				t.Fatal(err)
			}
			if rep, err := VerifyBundle(bytes.NewReader(data), key, nil); err != nil || !rep.OK || rep.Entries != tc.entries {
				t.Fatalf("the file: %v %+v", err, rep)
			}
			if rep := verifyBoth(t, b, key, nil); !rep.OK || rep.Entries != tc.entries {
				t.Fatalf("read back: %+v %+v", rep, rep.FirstBad)
			}
			for _, e := range b.Entries {
				if e.Analysis != nil {
					t.Fatalf("entry %d has an analysis", e.Index)
				}
				leaf := e.Leaf(b.Origin)
				if back, err := ParseLeaf(b.Origin, leaf); err != nil || !bytes.Equal(back.Leaf(b.Origin), leaf) {
					t.Fatalf("entry %d: leaf does not round-trip: %v", e.Index, err)
				}
			}
		})
	}
}

// TestBodiesWithoutAnalysisUnchanged: the leaves of the 60 varied test
// drafts (guard events, +Inf, catch, policy hashes, failed invariants),
// signed with the public example key, hash to what the version-2 code
// (commit 95bf224, before analyses existed) made of them. If draft or
// fixedClock change, recompute the hash with the version-2 code.
func TestBodiesWithoutAnalysisUnchanged(t *testing.T) {
	const want = "beb948fdf98ebf5b5e59bfddad433ee35d31b1236f8e000d9f47ee80846d9462"
	s, _ := exampleSigner(t)
	l, err := NewLog(exampleOrigin, s, fixedClock())
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for i := range 60 {
		e, err := l.Append(draft(i))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(e.Leaf(exampleOrigin))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("the leaves of entries without an analysis changed: SHA-256 %s, want %s", got, want)
	}
}

// TestBundleVersions: what each bundle version may hold. Mode "gum" needs
// version 2 and an analysis needs version 3; in an older bundle the entry
// fails the fields check, named by its index.
func TestBundleVersions(t *testing.T) {
	if BundleVersion != 3 || MinBundleVersion != 1 {
		t.Fatalf("versions %d to %d", MinBundleVersion, BundleVersion)
	}
	s := newSigner(t, testOrigin)
	gum := draft(3)
	gum.Mode, gum.Operation, gum.Expression = ModeGUM, "expr", "x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = 0.5; x*y"
	analysed := analysisDraft("op-0003", fullAnalysis())
	analysed.Mode = ModeNU
	for _, tc := range []struct {
		name    string
		d       Draft
		version int
		reason  string // "" when the bundle verifies
	}{
		{"gum in version 3", gum, 3, ""},
		{"gum in version 2", gum, 2, ""},
		{"gum in version 1", gum, 1, `mode: "gum" needs bundle version 2, and this bundle says version 1`},
		{"analysis in version 3", analysed, 3, ""},
		{"analysis in version 2", analysed, 2, "analysis: an entry with an analysis needs bundle version 3, and this bundle says version 2"},
		{"analysis in version 1", analysed, 1, "analysis: an entry with an analysis needs bundle version 3, and this bundle says version 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLog(t, s, 3)
			if _, err := l.Append(tc.d); err != nil {
				t.Fatal(err)
			}
			b := mustBundle(t, l)
			if b.Version != BundleVersion {
				t.Fatalf("a new bundle has version %d", b.Version)
			}
			b.Version = tc.version
			rep := verifyBoth(t, b, s.Verifier(), nil)
			if tc.reason == "" {
				if !rep.OK || rep.Entries != 4 {
					t.Fatalf("%+v %+v", rep, rep.FirstBad)
				}
				return
			}
			if rep.OK || rep.FirstBad == nil || rep.FirstBad.Index != 3 || rep.FirstBad.Check != CheckFields ||
				rep.FirstBad.Code != CodeInvalidEntry || !strings.Contains(rep.FirstBad.Reason, "entry 3: "+tc.reason) || rep.Entries != 3 {
				t.Fatalf("%+v %+v", rep, rep.FirstBad)
			}
		})
	}
}
