package api

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/nu"
)

// reference is what writeJSON writes for v.
func reference(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOpJSONMatchesEncodingJSON: the fast encoding of an operation's
// answer is byte for byte encoding/json's, over random and edge values;
// what it declines (a proof, strings that need escaping) falls back.
func TestOpJSONMatchesEncodingJSON(t *testing.T) {
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-320, 5e-324, math.MaxFloat64, -math.MaxFloat64,
		1e21, 1e20, 123456789012345678, 1e-7, 1e-6, 0.223606797749979, math.Inf(1)}
	r := rand.New(rand.NewPCG(3, 5))
	rnd := func() float64 {
		if r.IntN(4) == 0 {
			return floats[r.IntN(len(floats))]
		}
		return math.Float64frombits(r.Uint64()&^(0x7ff<<52) | uint64(r.IntN(0x7ff))<<52) // any finite
	}
	ops := []string{"0123456789abcdef0123456789abcdef", "my-op_1.2:3", "", "quote\"d", "back\\slash", "tab\t", "é", "<script>"}
	for i := range 20000 {
		n, u := rnd(), math.Abs(rnd())
		if math.IsInf(n, 0) {
			n = 1
		}
		v, err := nu.New(n, u)
		if err != nil {
			t.Fatal(err)
		}
		rel := nu.Float(math.Abs(rnd()))
		resp := opResponse{Result: v, Mode: nu.Mode(r.IntN(2)), RelativeUncertainty: rel, Coverage: rel, Operation: "add",
			Entry: entryRef{Index: r.Uint64() >> r.IntN(64), OpID: ops[r.IntN(len(ops))], Timestamp: "2026-11-24T10:10:42.503381579Z"}}
		if i%1000 == 0 {
			resp.Proof = &proofJSON{}
		}
		want := reference(t, &resp)
		got, ok := appendOpJSON(nil, &resp)
		if !ok {
			if resp.Proof == nil && !strings.ContainsAny(resp.Entry.OpID, "\"\\\té") {
				t.Fatalf("declined a plain response: %s", want)
			}
			continue
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("fast encoding differs:\n got %s\nwant %s", got, want)
		}
	}
}
