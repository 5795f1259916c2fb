package ledger

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

// entryJSON is the JSON form of an Entry. Hashes are standard base64 (as
// tlog.Hash and checkpoints write them), the signature is standard base64,
// the key id is 8 hex digits and the timestamp is RFC 3339 with nanoseconds
// in UTC.
type entryJSON struct {
	Index      uint64       `json:"index"`
	PrevHash   tlog.Hash    `json:"prev_hash"`
	KeyID      KeyID        `json:"key_id"`
	Timestamp  timestamp    `json:"timestamp"`
	OpID       string       `json:"op_id"`
	ParentOpID string       `json:"parent_op_id,omitempty"`
	Operation  string       `json:"operation"`
	Mode       string       `json:"mode,omitempty"`
	Expression string       `json:"expression,omitempty"`
	Inputs     []valueJSON  `json:"inputs"`
	Output     *valueJSON   `json:"output,omitempty"`
	Coverage   jfloat       `json:"coverage"`
	Invariant  Invariant    `json:"invariant"`
	Guard      []GuardEvent `json:"guard,omitempty"`
	PolicyHash *tlog.Hash   `json:"policy_hash,omitempty"`
	Signature  Signature    `json:"signature"`
}

// valueJSON decodes {"n":..,"u":..} strictly and without the detour
// through a map that nu.Value.UnmarshalJSON takes; the result is checked
// with nu.New.
type valueJSON struct {
	N jfloat `json:"n"`
	U jfloat `json:"u"`
}

// jfloat is nu.Float with a decoder that parses the number in place
// instead of calling json.Unmarshal again (the hot path of verification).
// It accepts exactly what nu.Float accepts: a JSON number or "+Inf".
type jfloat float64

func (f jfloat) MarshalJSON() ([]byte, error) { return nu.Float(f).MarshalJSON() }

func (f *jfloat) UnmarshalJSON(b []byte) error {
	// The decoder has already checked that b is one valid JSON value; a
	// JSON number is the only one that starts with '-' or a digit.
	if len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9') {
		x, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return errMalformed("number %s is out of range", truncate(string(b), 40))
		}
		*f = jfloat(x)
		return nil
	}
	var g nu.Float
	if err := g.UnmarshalJSON(b); err != nil {
		return err
	}
	*f = jfloat(g)
	return nil
}

// timestamp is Unix nanoseconds written as an RFC 3339 UTC string.
type timestamp int64

func (t timestamp) MarshalText() ([]byte, error) {
	return time.Unix(0, int64(t)).UTC().AppendFormat(nil, time.RFC3339Nano), nil
}

func (t *timestamp) UnmarshalText(b []byte) error {
	x, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return errMalformed("timestamp %q is not RFC 3339", truncate(string(b), 40))
	}
	ns := x.UnixNano()
	if !time.Unix(0, ns).Equal(x) {
		return errMalformed("timestamp %q is outside the range of Unix nanoseconds", truncate(string(b), 40))
	}
	*t = timestamp(ns)
	return nil
}

// reset clears w for reuse, keeping the capacity of its slices. The
// backing arrays are zeroed because encoding/json decodes into existing
// elements without clearing absent fields.
func (w *entryJSON) reset() {
	in, g := w.Inputs[:cap(w.Inputs)], w.Guard[:cap(w.Guard)]
	clear(in)
	clear(g)
	*w = entryJSON{Inputs: in[:0], Guard: g[:0]}
}

// toEntry converts w into e, reusing e's slices. It checks that values are
// valid nu values, but not the field rules (the verifier does, after the
// signature).
func (w *entryJSON) toEntry(e *Entry) error {
	inputs, guard := e.Inputs[:0], e.Guard[:0]
	*e = Entry{Index: w.Index, PrevHash: w.PrevHash, KeyID: w.KeyID, Signature: w.Signature}
	e.Timestamp = int64(w.Timestamp)
	e.OpID, e.ParentOpID, e.Operation, e.Mode, e.Expression = w.OpID, w.ParentOpID, w.Operation, w.Mode, w.Expression
	for i, v := range w.Inputs {
		x, err := nu.New(float64(v.N), float64(v.U))
		if err != nil {
			return errMalformed("inputs[%d]: %v", i, err)
		}
		inputs = append(inputs, x)
	}
	if len(inputs) > 0 {
		e.Inputs = inputs
	}
	if w.Output != nil {
		x, err := nu.New(float64(w.Output.N), float64(w.Output.U))
		if err != nil {
			return errMalformed("output: %v", err)
		}
		e.Output = &x
	}
	e.Coverage = nu.Float(w.Coverage)
	e.Invariant = w.Invariant
	if len(w.Guard) > 0 {
		e.Guard = append(guard, w.Guard...)
	}
	if w.PolicyHash != nil {
		if *w.PolicyHash == (tlog.Hash{}) {
			return errMalformed("policy_hash is all zero; omit it when no policy was active")
		}
		e.PolicyHash = *w.PolicyHash
	}
	return nil
}

func (w *entryJSON) fromEntry(e *Entry) {
	*w = entryJSON{Index: e.Index, PrevHash: e.PrevHash, KeyID: e.KeyID, Timestamp: timestamp(e.Timestamp),
		OpID: e.OpID, ParentOpID: e.ParentOpID, Operation: e.Operation, Mode: e.Mode, Expression: e.Expression,
		Coverage: jfloat(e.Coverage), Invariant: e.Invariant, Guard: e.Guard, Signature: e.Signature}
	w.Inputs = make([]valueJSON, len(e.Inputs))
	for i, v := range e.Inputs {
		w.Inputs[i] = valueJSON{jfloat(v.N()), jfloat(v.U())}
	}
	if e.Output != nil {
		w.Output = &valueJSON{jfloat(e.Output.N()), jfloat(e.Output.U())}
	}
	if e.PolicyHash != (tlog.Hash{}) {
		h := e.PolicyHash
		w.PolicyHash = &h
	}
}

// MarshalJSON writes the JSON form of e, as in export bundles and API
// responses:
//
//	{"index":0,"prev_hash":"<base64>","key_id":"<8 hex>",
//	 "timestamp":"2026-01-02T03:04:05.000000006Z","op_id":"...",
//	 "parent_op_id":"...","operation":"add","mode":"nu",
//	 "inputs":[{"n":1,"u":0.1}],"output":{"n":..,"u":..},"coverage":0.1,
//	 "invariant":{"ok":true},"guard":[...],"policy_hash":"<base64>",
//	 "signature":"<base64>"}
//
// parent_op_id, mode, output, guard and policy_hash are omitted when empty.
func (e Entry) MarshalJSON() ([]byte, error) {
	var w entryJSON
	w.fromEntry(&e)
	return json.Marshal(&w)
}

// UnmarshalJSON reads the JSON form of an entry strictly: unknown fields and
// invalid values are errors. It checks neither the signature nor the field
// rules; see [Entry.Verify] and [Draft.Validate].
func (e *Entry) UnmarshalJSON(b []byte) error {
	var w entryJSON
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&w); err != nil {
		return jsonErr(err)
	}
	if d.More() {
		return errMalformed("data after the entry object")
	}
	return w.toEntry(e)
}

func jsonErr(err error) error {
	return errMalformed("%v", err)
}
