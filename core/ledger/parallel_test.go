package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// tamper is one change to the entry at position at of a bundle.
type tamper struct {
	kind string
	at   int
}

// applyTampers changes a clone of base as the tampers say (re-signing with
// s where the change must pass the signature) and returns it with its
// bytes. A "format" tamper breaks the JSON of an entry in the bytes only.
func applyTampers(t *testing.T, s *Signer, base *Bundle, ts []tamper) (*Bundle, []byte) {
	t.Helper()
	b := clone(t, base)
	resign := func(e *Entry) {
		if err := e.sign(testOrigin, s, nil); err != nil {
			t.Fatal(err)
		}
	}
	var formats []int
	for _, tm := range ts {
		e := b.Entries[tm.at]
		switch tm.kind {
		case "signature":
			e.Signature[7] ^= 0x10
		case "key_id":
			e.KeyID ^= 1
		case "fields": // signed, but breaks a field rule
			e.Mode = "fuzzy"
			resign(e)
		case "op_id": // signed, but repeats the op id of entry 0
			e.OpID = b.Entries[0].OpID
			resign(e)
		case "index": // the entry and the next one swapped
			b.Entries[tm.at], b.Entries[tm.at+1] = b.Entries[tm.at+1], b.Entries[tm.at]
		case "format":
			formats = append(formats, tm.at)
		case "end":
			formats = append(formats, -1)
		default:
			t.Fatalf("unknown tamper %q", tm.kind)
		}
	}
	data := bundleBytes(t, b)
	for _, at := range formats {
		if at < 0 { // "end": the bundle cut after its entries
			data = data[:len(data)-3]
			continue
		}
		idx := []byte(`{"index":` + strconv.FormatUint(b.Entries[at].Index, 10) + `,`)
		k := bytes.Index(data, idx)
		if k < 0 {
			t.Fatalf("entry %d not found in the bytes", at)
		}
		data = append(append(bytes.Clone(data[:k]), `{"index":"x",`...), data[k+len(idx):]...)
	}
	return b, data
}

// TestParallelFirstFailure: whatever the number of goroutines, the batch
// and chunk sizes (so that later signatures are often checked before
// earlier ones), the report is the sequential verifier's: the first failure
// in entry order, with several tampered entries at once.
func TestParallelFirstFailure(t *testing.T) {
	s := newSigner(t, testOrigin)
	const n = 150
	base := mustBundle(t, newTestLog(t, s, n))
	type tc struct {
		name  string
		ts    []tamper
		check string
		index int64
	}
	cases := []tc{{"none", nil, "", -1}}
	for _, at := range []int{0, 1, 2, 6, 7, 8, 63, 64, 65, 100, 127, 128, 148, 149} {
		cases = append(cases, tc{fmt.Sprintf("signature at %d", at), []tamper{{"signature", at}}, CheckSignature, int64(at)})
	}
	for _, kind := range []string{"key_id", "fields", "op_id", "index", "format"} {
		for _, at := range []int{3, 64, 130} {
			cases = append(cases, tc{fmt.Sprintf("%s at %d", kind, at), []tamper{{kind, at}}, kind, int64(at)})
		}
	}
	cases = append(cases,
		tc{"two signatures, the later in an earlier batch's time", []tamper{{"signature", 140}, {"signature", 20}}, CheckSignature, 20},
		tc{"signatures in one chunk", []tamper{{"signature", 31}, {"signature", 30}, {"signature", 33}}, CheckSignature, 30},
		tc{"signature before a field rule", []tamper{{"fields", 50}, {"signature", 49}}, CheckSignature, 49},
		tc{"field rule before a signature", []tamper{{"signature", 51}, {"fields", 50}}, CheckFields, 50},
		tc{"signature after a broken chain", []tamper{{"signature", 90}, {"index", 80}}, CheckIndex, 80},
		tc{"signature before a broken chain", []tamper{{"index", 80}, {"signature", 79}}, CheckSignature, 79},
		tc{"signature of a swapped entry", []tamper{{"signature", 81}, {"index", 80}}, CheckSignature, 80},
		tc{"key id before signatures", []tamper{{"signature", 12}, {"signature", 140}, {"key_id", 11}}, CheckKeyID, 11},
		tc{"signature before a malformed entry", []tamper{{"format", 70}, {"signature", 69}}, CheckSignature, 69},
		tc{"malformed entry before signatures", []tamper{{"signature", 71}, {"signature", 149}, {"format", 70}}, CheckFormat, 70},
		tc{"cut after the entries", []tamper{{"end", 0}}, CheckFormat, -1},
		tc{"signature before the cut", []tamper{{"end", 0}, {"signature", 120}}, CheckSignature, 120},
		tc{"op id before a signature", []tamper{{"signature", 100}, {"op_id", 99}}, CheckOpID, 99},
		tc{"every signature", everySignature(n), CheckSignature, 0},
	)
	defer func(b, c int) { sigBatch, sigChunk = b, c }(sigBatch, sigChunk)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, data := applyTampers(t, s, base, c.ts)
			want, _ := VerifyBundle(bytes.NewReader(data), s.Verifier(), &VerifyOptions{Workers: 1})
			if c.check == "" {
				if !want.OK {
					t.Fatalf("the untampered bundle fails: %+v", want.FirstBad)
				}
			} else {
				wantFailure(t, want, c.check, c.index)
			}
			formatOnly := false
			for _, tm := range c.ts {
				formatOnly = formatOnly || tm.kind == "format" || tm.kind == "end"
			}
			// workers 0: an asynchronous SignatureChecker (the browser's).
			for _, cfg := range []struct{ batch, chunk, workers int }{{1, 1, 2}, {7, 3, 3}, {7, 64, 8}, {64, 1, 8}, {1024, 64, 2}, {5, 0, 0}} {
				sigBatch, sigChunk = cfg.batch, cfg.chunk
				opts := &VerifyOptions{Workers: cfg.workers}
				if cfg.workers == 0 {
					opts.Signatures = asyncChecker{}
				}
				got, err := VerifyBundle(bytes.NewReader(data), s.Verifier(), opts)
				if !reflect.DeepEqual(got, want) || (err == nil) != want.OK {
					t.Fatalf("%+v: stream report\n%+v %+v\nwant\n%+v %+v", cfg, got, got.FirstBad, want, want.FirstBad)
				}
				if formatOnly {
					continue
				}
				mem, _ := b.Verify(s.Verifier(), opts)
				if !reflect.DeepEqual(mem, want) {
					t.Fatalf("%+v: in-memory report\n%+v %+v\nwant\n%+v %+v", cfg, mem, mem.FirstBad, want, want.FirstBad)
				}
			}
		})
	}
}

func everySignature(n int) []tamper {
	ts := make([]tamper, n)
	for i := range ts {
		ts[i] = tamper{"signature", i}
	}
	return ts
}

// failingReader gives the bytes of data up to at, then err: a bundle cut
// off by a cancelled download or pipe.
type failingReader struct {
	data []byte
	at   int
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.at <= 0 {
		return 0, r.err
	}
	n := copy(p, r.data[:min(r.at, len(r.data))])
	r.data, r.at = r.data[n:], r.at-n
	return n, nil
}

// TestParallelStops: a verification cut off in the middle (a cancelled
// context closes the store's pipe with its error; an auditor's download
// ends) reports the entry it stopped at, as the sequential verifier does,
// and ends every goroutine it started before it returns.
func TestParallelStops(t *testing.T) {
	s := newSigner(t, testOrigin)
	data := bundleBytes(t, mustBundle(t, newTestLog(t, s, 300)))
	defer func(b int) { sigBatch = b }(sigBatch)
	sigBatch = 16
	before := runtime.NumGoroutine()
	for _, at := range []int{len(data) / 10, len(data) / 2, len(data) - 10} {
		want, _ := VerifyBundle(&failingReader{data: data, at: at, err: errors.New("context canceled")}, s.Verifier(), &VerifyOptions{Workers: 1})
		got, err := VerifyBundle(&failingReader{data: data, at: at, err: errors.New("context canceled")}, s.Verifier(), &VerifyOptions{Workers: 4})
		if err == nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("cut at byte %d: %+v %+v, want %+v %+v", at, got, got.FirstBad, want, want.FirstBad)
		}
		if want.FirstBad.Check != CheckFormat {
			t.Fatalf("cut at byte %d: %+v", at, want.FirstBad)
		}
	}
	// The goroutines have ended (the runtime may take a moment to count
	// them out).
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before, %d after", before, runtime.NumGoroutine())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestParallelProgress: progress reaches the total once, at the end, and
// never goes back.
func TestParallelProgress(t *testing.T) {
	s := newSigner(t, testOrigin)
	data := bundleBytes(t, mustBundle(t, newTestLog(t, s, 100)))
	var calls []int64
	rep, err := VerifyBundle(bytes.NewReader(data), s.Verifier(), &VerifyOptions{Workers: 3, ProgressEvery: 10,
		Progress: func(done, total int64) {
			if total != 100 {
				t.Errorf("total %d", total)
			}
			calls = append(calls, done)
		}})
	if err != nil || !rep.OK {
		t.Fatal(err)
	}
	want := []int64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 100}
	if !reflect.DeepEqual(calls, want) {
		t.Fatalf("progress %v, want %v", calls, want)
	}
}

var _ io.Reader = (*failingReader)(nil)
