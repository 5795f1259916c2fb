package api

import (
	"math"
	"net/http"
	"strconv"

	"github.com/ebios/ebios/core/nu"
)

// writeOp writes the answer to one executed operation. Without a proof it
// is encoded by appendOpJSON, without reflection (this is every execute's
// response); the bytes are what writeJSON would write, which a test checks.
func writeOp(w http.ResponseWriter, resp *opResponse) {
	b, ok := appendOpJSON(make([]byte, 0, 256), resp)
	if !ok {
		writeJSON(w, http.StatusOK, resp)
		return
	}
	writeJSONHeader(w, http.StatusOK)
	w.Write(b) // #nosec G104 -- write errors to an http.ResponseWriter are the client's disconnect; nothing to do
}

// appendOpJSON appends resp as encoding/json writes it (with a newline),
// or returns false for what it does not handle (a proof, a string that
// would need escaping, a number JSON cannot hold, an analysis).
func appendOpJSON(b []byte, resp *opResponse) ([]byte, bool) {
	if resp.Proof != nil || len(resp.Guard) > 0 || resp.Analysis != nil {
		return nil, false
	}
	var ok bool
	b = append(b, `{"result":{"n":`...)
	if b, ok = appendNum(b, resp.Result.N()); !ok {
		return nil, false
	}
	b = append(b, `,"u":`...)
	if b, ok = appendNum(b, resp.Result.U()); !ok {
		return nil, false
	}
	b = append(b, `},"mode":`...)
	if b, ok = appendStr(b, resp.Mode.String()); !ok {
		return nil, false
	}
	b = append(b, `,"relative_uncertainty":`...)
	if b, ok = appendNum(b, float64(resp.RelativeUncertainty)); !ok {
		return nil, false
	}
	b = append(b, `,"coverage":`...)
	if b, ok = appendNum(b, float64(resp.Coverage)); !ok {
		return nil, false
	}
	b = append(b, `,"operation":`...)
	if b, ok = appendStr(b, resp.Operation); !ok {
		return nil, false
	}
	b = append(b, `,"entry":{"index":`...)
	b = strconv.AppendUint(b, resp.Entry.Index, 10)
	b = append(b, `,"op_id":`...)
	if b, ok = appendStr(b, resp.Entry.OpID); !ok {
		return nil, false
	}
	b = append(b, `,"timestamp":`...)
	if b, ok = appendStr(b, resp.Entry.Timestamp); !ok {
		return nil, false
	}
	return append(b, "}}\n"...), true
}

// appendNum appends x as nu.Float encodes it: +Inf as "+Inf", otherwise
// strconv's shortest 'g' form, which is what nu's MarshalJSON writes.
func appendNum(b []byte, x float64) ([]byte, bool) {
	switch {
	case math.IsInf(x, 1):
		return append(b, `"`+nu.InfString+`"`...), true
	case math.IsNaN(x) || math.IsInf(x, -1):
		return nil, false
	}
	return strconv.AppendFloat(b, x, 'g', -1, 64), true
}

// appendStr appends s quoted when it needs no escaping in JSON.
func appendStr(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return nil, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}
