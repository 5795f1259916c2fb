//go:build unix

package ledger

import (
	"bytes"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// BenchmarkVerifyCores measures in one run what the issue compares: the
// bare Ed25519 verify rate on one core (crypto/ed25519, which
// [Verifier.Verify] uses, over the real entry bodies and signatures) and
// the full verification of a 20,000-entry bundle from its bytes on every
// core (VerifyBundle with the default Workers), alternating the two in
// each iteration. It reports both rates and ratio = full / (cores × bare),
// where cores is GOMAXPROCS, and cpu-ratio, the same with the CPU time
// the process used instead of the wall time (1 when the verification
// costs nothing beyond its signatures): on a machine whose cores other
// programs share, ratio falls with their load and cpu-ratio does not. Run
// it with
//
//	go test -run '^$' -bench VerifyCores -benchtime 5x ./core/ledger
func BenchmarkVerifyCores(b *testing.B) {
	const n = 20000
	s := newSigner(b, testOrigin)
	bd := mustBundle(b, newTestLog(b, s, n))
	data := bundleBytes(b, bd)
	v := s.Verifier()
	bodies := make([][]byte, n)
	for i, e := range bd.Entries {
		bodies[i] = e.AppendBody(nil, testOrigin)
	}
	var bare, full, bareCPU, fullCPU time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime(b)
		for i, e := range bd.Entries {
			if !v.Verify(bodies[i], e.Signature[:]) {
				b.Fatal("bad signature")
			}
		}
		t1, c1 := time.Now(), cpuTime(b)
		rep, err := VerifyBundle(bytes.NewReader(data), v, nil)
		if err != nil || !rep.OK {
			b.Fatal(err)
		}
		bare, full = bare+t1.Sub(t0), full+time.Since(t1)
		bareCPU, fullCPU = bareCPU+c1-c0, fullCPU+cpuTime(b)-c1
	}
	cores := runtime.GOMAXPROCS(0)
	bareRate := float64(b.N*n) / bare.Seconds()
	fullRate := float64(b.N*n) / full.Seconds()
	b.ReportMetric(bareRate, "bare-verifies/s")
	b.ReportMetric(fullRate, "full-entries/s")
	b.ReportMetric(float64(cores), "cores")
	b.ReportMetric(fullRate/(float64(cores)*bareRate), "ratio")
	b.ReportMetric(bareCPU.Seconds()/fullCPU.Seconds(), "cpu-ratio")
}

// cpuTime returns the CPU time the process has used (user and system).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
