package ledger

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

const testOrigin = "ebios.test/log"

// newSigner generates a fresh key at test time.
func newSigner(t testing.TB, name string) *Signer {
	t.Helper()
	skey, _, err := GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fixedClock returns a clock that ticks one millisecond per call.
func fixedClock() func() time.Time {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	i := 0
	return func() time.Time { i++; return t0.Add(time.Duration(i) * time.Millisecond) }
}

// draft returns a varied draft for entry i: some with parents, outputs,
// guard events, policy hashes and infinite uncertainties.
func draft(i int) Draft {
	d := Draft{
		OpID:      fmt.Sprintf("op-%04d", i),
		Operation: []string{"add", "multiply", "compose", "catch", "policy.activate"}[i%5],
		Mode:      []string{ModeNU, ModeInterval}[i%2],
		Inputs:    []nu.Value{nu.MustNew(float64(i), 0.5), nu.MustNew(-2.25, 0.125)},
		Coverage:  nu.Float(0.25 + float64(i)),
		Invariant: Invariant{OK: true},
	}
	out := nu.MustNew(float64(i)-2.25, 0.5+float64(i)/8)
	d.Output = &out
	if i > 0 && i%3 != 0 {
		d.ParentOpID = fmt.Sprintf("op-%04d", i-1-((i+1)%2))
	}
	if i%4 == 1 {
		d.Guard = []GuardEvent{
			{Rule: "max_coverage", Level: LevelWarning, Message: "coverage above 0.2", Value: d.Coverage, Threshold: 0.2},
			{Rule: "catch", Level: LevelCritical, Value: nu.Float(math.Inf(1)), Threshold: 1},
		}
	}
	if i%5 == 3 {
		d.Catch()
	}
	if i%5 == 4 {
		d.Mode, d.Inputs, d.Output, d.Coverage = "", nil, nil, 0
		d.PolicyHash = tlog.RecordHash([]byte(fmt.Sprint("policy", i)))
	}
	if i%7 == 6 {
		d.Invariant = Invariant{OK: false, Message: "u < 0 after rounding\nsecond line"}
	}
	return d
}

// Catch turns a draft into the output of catch: (0 ± +Inf), coverage +Inf.
func (d *Draft) Catch() {
	v := nu.MustNew(0, math.Inf(1))
	d.Output, d.Coverage = &v, nu.Float(math.Inf(1))
}

func newTestLog(t testing.TB, s *Signer, n int) *Log {
	t.Helper()
	l, err := NewLog(s.Name(), s, fixedClock())
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := l.Append(draft(i)); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	return l
}

func bundleBytes(t testing.TB, b *Bundle) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteBundle(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustBundle(t testing.TB, l *Log) *Bundle {
	t.Helper()
	b, err := l.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
