package ledger

import (
	"encoding/json"
	"time"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

// entryJSON is the JSON form of an Entry as [Entry.MarshalJSON] writes it
// (read.go reads it). Hashes are standard base64 (as
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
	Analysis   *Analysis    `json:"analysis,omitempty"`
	Signature  Signature    `json:"signature"`
}

// valueJSON is the JSON form of an N/U value.
type valueJSON struct {
	N jfloat `json:"n"`
	U jfloat `json:"u"`
}

// jfloat is nu.Float for the JSON writer: a JSON number or "+Inf".
type jfloat float64

func (f jfloat) MarshalJSON() ([]byte, error) { return nu.Float(f).MarshalJSON() }

// timestamp is Unix nanoseconds written as an RFC 3339 UTC string.
type timestamp int64

func (t timestamp) MarshalText() ([]byte, error) {
	return time.Unix(0, int64(t)).UTC().AppendFormat(nil, time.RFC3339Nano), nil
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
	if e.Analysis != nil {
		a := *e.Analysis
		if a.Inputs == nil {
			a.Inputs = []InputDist{} // "inputs":[], not null
		}
		w.Analysis = &a
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
//	 "analysis":{"inputs":[{"name":"x","dist":"normal","n":1.5,"u":0.1,
//	   "lo":0,"hi":0,"dof":"+Inf"}],
//	  "monte_carlo":{"draws":1000000,"seed":"42","p":0.95,"mean":..,
//	   "u":..,"lo":..,"hi":..},
//	  "expanded":{"k":2,"p":0,"dof":"+Inf","u":..}},
//	 "signature":"<base64>"}
//
// parent_op_id, mode, output, guard, policy_hash and analysis are omitted
// when empty, and so are monte_carlo, expanded and the monte_carlo members
// shortest, adaptive, digits and converged. The seed is a string of decimal
// digits ([Seed]).
func (e Entry) MarshalJSON() ([]byte, error) {
	var w entryJSON
	w.fromEntry(&e)
	return json.Marshal(&w)
}
