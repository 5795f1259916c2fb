package ledger

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

func leaves(n int) []tlog.Hash {
	out := make([]tlog.Hash, n)
	for i := range out {
		out[i] = tlog.RecordHash([]byte(fmt.Sprint("leaf ", i)))
	}
	return out
}

func rootOf(hs []tlog.Hash) tlog.Hash {
	var f frontier
	for _, h := range hs {
		f.push(h)
	}
	return f.root()
}

// TestFrontierMatchesTlog checks the streaming root against tlog.TreeHash
// over stored hashes, for every size up to 130.
func TestFrontierMatchesTlog(t *testing.T) {
	var m MemHashes
	var f frontier
	for n, h := range leaves(130) {
		want, err := tlog.TreeHash(int64(n), &m)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.root(); got != want {
			t.Fatalf("size %d: frontier root %v, tlog %v", n, got, want)
		}
		hs, err := StoredHashes(int64(n), h, &m)
		if err != nil {
			t.Fatal(err)
		}
		m.AppendHashes(hs)
		f.push(h)
	}
	if m.Count() != tlog.StoredHashCount(130) {
		t.Fatalf("stored %d hashes, want %d", m.Count(), tlog.StoredHashCount(130))
	}
	if len(f.stack) != 2 { // 130 = 128 + 2
		t.Fatalf("frontier keeps %d hashes for 130 leaves, want 2", len(f.stack))
	}
	if rootOf(nil) != tlog.Hash([32]byte{0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55}) {
		t.Fatal("empty root is not SHA-256(\"\")")
	}
}

// TestOddLeaf: the last node of an odd level is promoted, not duplicated,
// so the root of [a,b,c] differs from the root of [a,b,c,c].
func TestOddLeaf(t *testing.T) {
	l := leaves(3)
	if rootOf(l) == rootOf(append(l, l[2])) {
		t.Fatal("root([a,b,c]) == root([a,b,c,c])")
	}
	want := tlog.NodeHash(tlog.NodeHash(l[0], l[1]), l[2])
	if rootOf(l) != want {
		t.Fatal("root([a,b,c]) is not H(H(a,b), c)")
	}
}

// TestLeafNodeDistinct: leaves and inner nodes are hashed with different
// prefixes (RFC 6962 second-preimage protection): a leaf whose data is the
// concatenation of two child hashes does not hash like their parent node.
func TestLeafNodeDistinct(t *testing.T) {
	l := leaves(2)
	data := append(l[0][:], l[1][:]...)
	if tlog.RecordHash(data) == tlog.NodeHash(l[0], l[1]) {
		t.Fatal("leaf hash equals node hash")
	}
	if leafHash(data) != tlog.RecordHash(data) {
		t.Fatal("leafHash differs from tlog.RecordHash")
	}
	var f frontier
	if f.node(l[0], l[1]) != tlog.NodeHash(l[0], l[1]) {
		t.Fatal("frontier node hash differs from tlog.NodeHash")
	}
	// A tree of one leaf whose data is two hashes differs from the tree of
	// those two leaves.
	if rootOf([]tlog.Hash{tlog.RecordHash(data)}) == rootOf(l) {
		t.Fatal("one-leaf tree collides with two-leaf tree")
	}
}

// TestProofs checks every inclusion and consistency proof of every tree
// of size 1..20, and that each fails for the wrong leaf, index or tree.
func TestProofs(t *testing.T) {
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 20)
	v := s.Verifier()
	cps := make([]Checkpoint, 21)
	signed := make([][]byte, 21)
	for n := int64(0); n <= 20; n++ {
		msg, err := l.CheckpointAt(n)
		if err != nil {
			t.Fatal(err)
		}
		signed[n] = msg
		if cps[n], err = OpenCheckpoint(msg, v, ""); err != nil {
			t.Fatal(err)
		}
	}
	for n := int64(1); n <= 20; n++ {
		for i := int64(0); i < n; i++ {
			p, err := l.InclusionProof(i, n)
			if err != nil {
				t.Fatal(err)
			}
			e, _ := l.Get(uint64(i))
			if _, err := VerifyInclusion(v, testOrigin, signed[n], e, p); err != nil {
				t.Fatalf("inclusion %d in %d: %v", i, n, err)
			}
			other, _ := l.Get(uint64((i + 1) % n))
			if n > 1 {
				if err := cps[n].CheckInclusion(i, other.Hash(testOrigin), p); !errors.Is(err, &nu.Error{Code: CodeInclusion}) {
					t.Fatalf("inclusion of the wrong entry %d in %d: %v", i, n, err)
				}
			}
		}
		if err := cps[n].CheckInclusion(n, tlog.Hash{}, nil); !errors.Is(err, &nu.Error{Code: CodeInclusion}) {
			t.Fatalf("index %d accepted in tree of size %d", n, n)
		}
		for m := int64(0); m <= n; m++ {
			p, err := l.ConsistencyProof(m, n)
			if err != nil {
				t.Fatal(err)
			}
			if c, err := VerifyConsistency(v, "", signed[m], signed[n], p); err != nil || c.Size != n {
				t.Fatalf("consistency %d → %d: %v", m, n, err)
			}
			if m > 0 && m < n {
				bad := cps[m]
				bad.Root[0] ^= 1
				if err := CheckConsistency(bad, cps[n], p); !errors.Is(err, &nu.Error{Code: CodeFork}) {
					t.Fatalf("consistency %d → %d with a wrong old root: %v", m, n, err)
				}
				if err := CheckConsistency(cps[n], cps[m], p); !errors.Is(err, &nu.Error{Code: CodeRollback}) {
					t.Fatalf("rollback %d → %d: %v", n, m, err)
				}
			}
		}
	}
	for _, bad := range [][2]int64{{-1, 3}, {3, 2}, {0, 21}} {
		if _, err := l.ConsistencyProof(bad[0], bad[1]); err == nil {
			t.Errorf("ConsistencyProof(%d, %d) accepted", bad[0], bad[1])
		}
	}
	for _, bad := range [][2]int64{{-1, 3}, {3, 3}, {0, 21}} {
		if _, err := l.InclusionProof(bad[0], bad[1]); err == nil {
			t.Errorf("InclusionProof(%d, %d) accepted", bad[0], bad[1])
		}
	}
}

// TestForkAndRollback: two logs with the same key that diverge, and a
// checkpoint that goes back in time.
func TestForkAndRollback(t *testing.T) {
	s := newSigner(t, testOrigin)
	v := s.Verifier()
	a := newTestLog(t, s, 12)
	b := newTestLog(t, s, 5)
	for i := 5; i < 12; i++ {
		d := draft(i)
		d.Operation = "forked"
		b.Append(d)
	}
	cp := func(l *Log, n int64) []byte {
		c, err := l.CheckpointAt(n)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	proof := func(l *Log, m, n int64) tlog.TreeProof {
		p, err := l.ConsistencyProof(m, n)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name     string
		old, new []byte
		proof    tlog.TreeProof
		code     string
	}{
		{"same history", cp(a, 5), cp(b, 12), proof(b, 5, 12), ""},
		{"fork, proof from the new log", cp(a, 8), cp(b, 12), proof(b, 8, 12), CodeFork},
		{"fork, proof from the old log", cp(a, 8), cp(b, 12), proof(a, 8, 12), CodeFork},
		{"fork at equal size", cp(a, 12), cp(b, 12), nil, CodeFork},
		{"rolled back", cp(a, 12), cp(a, 8), proof(a, 8, 12), CodeRollback},
		{"rolled back to a fork", cp(a, 12), cp(b, 8), nil, CodeRollback},
		{"new checkpoint by another key", cp(a, 8), cp(newTestLog(t, newSigner(t, testOrigin), 12), 12), proof(a, 8, 12), CodeCheckpointSig},
		{"old checkpoint of another origin", func() []byte {
			o, _ := NewLog("other.test/log", s, nil)
			o.Append(draft(0))
			c, _ := o.Checkpoint()
			return c
		}(), cp(a, 12), proof(a, 1, 12), CodeOrigin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyConsistency(v, testOrigin, tc.old, tc.new, tc.proof)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, &nu.Error{Code: tc.code}) {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
			e, _ := nu.AsError(err)
			if e.Category != CategoryLedger || e.Remediation == "" {
				t.Fatalf("error lacks category or remediation: %+v", e)
			}
		})
	}
}

func TestCheckpointFormat(t *testing.T) {
	// The example of https://c2sp.org/tlog-checkpoint.
	text := "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	c, err := ParseCheckpoint([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if c.Origin != "example.com/behind-the-sofa" || c.Size != 20852163 || c.Root.String() != "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=" {
		t.Fatalf("%+v", c)
	}
	c.Extensions = []string{"ext one", "ext two"}
	out, err := c.Format()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != text+"ext one\next two\n" {
		t.Fatalf("Format = %q", out)
	}
	back, err := ParseCheckpoint(out)
	if err != nil || back.Origin != c.Origin || len(back.Extensions) != 2 {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	for _, bad := range []string{
		"", "o\n1\n", "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
		"o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n+1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n",
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n", // non-zero padding bits
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\next\n",
		"\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n1\n" + strings.Repeat("A", 44) + "\n",
	} {
		if _, err := ParseCheckpoint([]byte(bad)); !errors.Is(err, &nu.Error{Code: CodeCheckpoint}) {
			t.Errorf("ParseCheckpoint(%q) = %v", bad, err)
		}
	}
	for _, bad := range []Checkpoint{{Origin: ""}, {Origin: "a\nb"}, {Origin: "o", Size: -1}, {Origin: "o", Extensions: []string{""}}} {
		if _, err := bad.Format(); err == nil {
			t.Errorf("Format(%+v) accepted", bad)
		}
	}
	// A signed checkpoint carries the extension lines, and a second
	// signature by an unknown key does not get in the way.
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 3)
	msg, err := l.Checkpoint("witness-hint")
	if err != nil {
		t.Fatal(err)
	}
	w := newSigner(t, "witness.test")
	cosigned := append(msg, []byte(strings.SplitAfter(string(mustSign(t, msg, w)), "\n\n")[1])...)
	c2, err := OpenCheckpoint(cosigned, s.Verifier(), "")
	if err != nil || c2.Size != 3 || len(c2.Extensions) != 1 {
		t.Fatalf("%+v %v", c2, err)
	}
	if _, err := OpenCheckpoint(mustSign(t, msg, w), s.Verifier(), ""); !errors.Is(err, &nu.Error{Code: CodeCheckpointSig}) {
		t.Fatalf("checkpoint signed only by a witness: %v", err)
	}
}

// mustSign re-signs the text of a signed note with s alone.
func mustSign(t *testing.T, msg []byte, s *Signer) []byte {
	text := strings.SplitAfter(string(msg), "\n\n")[0]
	c, err := ParseCheckpoint([]byte(text[:len(text)-1]))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
