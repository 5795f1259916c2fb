package widgetapi

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ebios/ebios/core/nu"
)

// Methods lists the calls [Call] answers, in the order of docs/embedding.md.
var Methods = []string{"calc", "parse", "format", "verifyEntry"}

// Call runs the method with args, the JSON array of its JS arguments, and
// returns {"ok": RESULT} or {"error": ERROR} (ERROR in the shape of core
// errors). It never panics: a panic inside becomes a [CodeInternal] error,
// so one bad call does not stop the wasm.
func Call(method string, args []byte) (answer []byte) {
	defer func() {
		if v := recover(); v != nil {
			answer = ErrorJSON(Internal(v))
		}
	}()
	return Answer(dispatch(method, args))
}

// Answer is the JSON answer of a call: {"ok": res}, or {"error": ERROR}
// when err is not nil.
func Answer(res any, err error) []byte {
	if err != nil {
		return ErrorJSON(err)
	}
	b, err := json.Marshal(map[string]any{"ok": res})
	if err != nil {
		return ErrorJSON(Internal(err))
	}
	return b
}

func dispatch(method string, raw []byte) (any, error) {
	var args []json.RawMessage
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, BadArgument("arguments", "not a JSON array: "+err.Error())
	}
	arg := func(i int, name string, v any, required bool) error {
		if i >= len(args) || string(args[i]) == "null" {
			if required {
				return BadArgument(name, "it is missing")
			}
			return nil
		}
		d := json.NewDecoder(bytes.NewReader(args[i]))
		d.DisallowUnknownFields()
		if err := d.Decode(v); err != nil {
			return BadArgument(name, err.Error())
		}
		return nil
	}
	switch method {
	case "calc":
		var src string
		var o CalcOptions
		if err := first(arg(0, "expression (a string)", &src, true), arg(1, "options ({mode})", &o, false)); err != nil {
			return nil, err
		}
		return Calc(src, o)
	case "parse":
		var text string
		if err := arg(0, "text (a string)", &text, true); err != nil {
			return nil, err
		}
		return Parse(text)
	case "format":
		var v Value
		var o FormatOptions
		if err := first(arg(0, "value ({n, u})", &v, true), arg(1, "options ({mode, digits, pdg, notation, unicode})", &o, false)); err != nil {
			return nil, err
		}
		return Format(v, o)
	case "verifyEntry":
		var entry json.RawMessage
		var checkpoint, key string
		var proof proofArg
		if err := first(arg(0, "entry (the entry's JSON)", &entry, true), arg(1, "checkpoint (the signed note text)", &checkpoint, true),
			arg(2, "proof (the inclusion proof's hashes)", &proof, true), arg(3, "pinnedKey (the log's verifier key)", &key, true)); err != nil {
			return nil, err
		}
		// An entry given as its JSON text is read as the object it holds.
		var text string
		if json.Unmarshal(entry, &text) == nil {
			entry = json.RawMessage(text)
		}
		return VerifyEntry(entry, checkpoint, proof, key)
	}
	return nil, BadArgument("method", fmt.Sprintf("no method %q: the widget answers %v", method, Methods))
}

// proofArg is an inclusion proof as a page has it: the array of base64
// hashes, or the API's /api/v1/proofs/inclusion object holding them.
type proofArg []string

func (p *proofArg) UnmarshalJSON(b []byte) error {
	var hashes []string
	if err := json.Unmarshal(b, &hashes); err == nil {
		*p = hashes
		return nil
	}
	var obj struct {
		Hashes *[]string `json:"hashes"`
	}
	if err := json.Unmarshal(b, &obj); err != nil || obj.Hashes == nil {
		return fmt.Errorf("want an array of base64 hashes or an object with \"hashes\"")
	}
	*p = *obj.Hashes
	return nil
}

func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ErrorJSON is err as {"error": ERROR}: a core error as it is, any other
// as a [CodeInternal] one.
func ErrorJSON(err error) []byte {
	e, ok := nu.AsError(err)
	if !ok {
		e = Internal(err)
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return b
}
