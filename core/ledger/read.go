package ledger

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"time"
	"unsafe"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/strictjson"
	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/mod/sumdb/tlog"
)

// entryReader reads the JSON form of entries strictly, as
// docs/ledger-format.md §3 specifies it, so that what the verifier checks
// is what every other JSON reader reads:
//
//   - member names are exact (case-sensitive; escapes in names are read
//     as JSON defines them), and each appears at most once;
//   - unknown members are errors, and so are missing required ones;
//   - members "omitted when empty" must not be present and empty;
//   - strings are valid UTF-8 without lone surrogates;
//   - every field has exactly one accepted spelling, except numbers: any
//     JSON spelling of the same binary64 value is that value.
//
// Member order inside an entry is free. It is hand-written over jsontext
// (the encoding/json/v2 tokenizer) because it is the hot path of
// verification.
type entryReader struct {
	d   *jsontext.Decoder
	buf []byte // scratch for unquoting strings
}

// Members of an entry, as bits of a presence set.
const (
	mIndex = 1 << iota
	mPrevHash
	mKeyID
	mTimestamp
	mOpID
	mParentOpID
	mOperation
	mMode
	mExpression
	mInputs
	mOutput
	mCoverage
	mInvariant
	mGuard
	mPolicyHash
	mAnalysis
	mSignature

	mRequired = mIndex | mPrevHash | mKeyID | mTimestamp | mOpID | mOperation | mInputs | mCoverage | mInvariant | mSignature
)

var entryMembers = [...]string{"index", "prev_hash", "key_id", "timestamp", "op_id", "parent_op_id", "operation",
	"mode", "expression", "inputs", "output", "coverage", "invariant", "guard", "policy_hash", "analysis", "signature"}

// readErr is a decoding error with the JSON pointer where it happened.
func (r *entryReader) errf(format string, args ...any) error {
	return errMalformed("%s (at %s)", sprintf(format, args...), r.where())
}

func (r *entryReader) where() string {
	if p := string(r.d.StackPointer()); p != "" {
		return p
	}
	return "the entry"
}

// jsonErr converts an error of the tokenizer.
func (r *entryReader) jsonErr(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		if se.JSONPointer != "" {
			return errMalformed("%v (at %s)", se.Err, se.JSONPointer)
		}
		return errMalformed("%v", se.Err)
	}
	return errMalformed("%v", err)
}

// token reads the next token, which must be of kind k.
func (r *entryReader) expect(k jsontext.Kind, what string) error {
	if got := r.d.PeekKind(); got != k {
		if got == 0 {
			_, err := r.d.ReadToken()
			return r.jsonErr(err)
		}
		return r.errf("%s must be a JSON %s, found a JSON %s", what, kindName(k), kindName(got))
	}
	_, err := r.d.ReadToken()
	if err != nil {
		return r.jsonErr(err)
	}
	return nil
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "boolean (true or false)"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}

// raw reads the next value, which must be of kind k, and returns its raw
// bytes, valid until the next read.
func (r *entryReader) raw(k jsontext.Kind, what string) ([]byte, error) {
	if got := r.d.PeekKind(); got != k {
		if got == 0 {
			_, err := r.d.ReadValue()
			return nil, r.jsonErr(err)
		}
		return nil, r.errf("%s must be a JSON %s, found a JSON %s", what, kindName(k), kindName(got))
	}
	v, err := r.d.ReadValue()
	if err != nil {
		return nil, r.jsonErr(err)
	}
	return v, nil
}

// str reads a string value into r.buf and returns it (valid until the next
// read). The tokenizer has already checked UTF-8 and surrogates.
func (r *entryReader) str(what string) ([]byte, error) {
	v, err := r.raw('"', what)
	if err != nil {
		return nil, err
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1], nil
	}
	r.buf, err = jsontext.AppendUnquote(r.buf[:0], v)
	if err != nil {
		return nil, r.errf("%v", err)
	}
	return r.buf, nil
}

// name reads a member name (see str).
func (r *entryReader) name() ([]byte, error) {
	v, err := r.d.ReadValue()
	if err != nil {
		return nil, r.jsonErr(err)
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1], nil
	}
	r.buf, err = jsontext.AppendUnquote(r.buf[:0], v)
	if err != nil {
		return nil, r.errf("%v", err)
	}
	return r.buf, nil
}

// text reads a string value as a Go string.
func (r *entryReader) text(what string) (string, error) {
	s, err := r.str(what)
	return string(s), err
}

// nonEmpty reads a string member that is omitted when empty.
func (r *entryReader) nonEmpty(what string) (string, error) {
	s, err := r.text(what)
	if err == nil && s == "" {
		return "", r.errf("%s is empty; omit the member instead", what)
	}
	return s, err
}

// float reads a JSON number or "+Inf" (the only non-finite value, as
// everywhere in eBIOS).
func (r *entryReader) float(what string) (float64, error) {
	switch r.d.PeekKind() {
	case '"':
		s, err := r.str(what)
		if err != nil {
			return 0, err
		}
		if string(s) != nu.InfString {
			return 0, r.errf("%s: expected a JSON number or %q, got %q", what, nu.InfString, truncate(string(s), 20))
		}
		return math.Inf(1), nil
	}
	v, err := r.raw('0', what)
	if err != nil {
		return 0, err
	}
	x, err := strconv.ParseFloat(transient(v), 64)
	if err != nil {
		return 0, r.errf("%s: number %s is out of the binary64 range", what, truncate(string(v), 40))
	}
	return x, nil
}

// hash reads the strict base64 of 32 bytes.
func (r *entryReader) hash(what string) (tlog.Hash, error) {
	var h tlog.Hash
	s, err := r.str(what)
	if err != nil {
		return h, err
	}
	var tmp [33]byte
	if len(s) != 44 {
		return h, r.errf("%s must be the base64 of 32 bytes", what)
	}
	if n, err := strictB64.Decode(tmp[:], s); err != nil || n != len(h) {
		return h, r.errf("%s must be the base64 of 32 bytes (standard alphabet, padding, zero pad bits)", what)
	}
	copy(h[:], tmp[:32])
	return h, nil
}

// object reads an object, calling member for each member name; member
// reads the value.
func (r *entryReader) object(what string, member func(name []byte) error) error {
	if err := r.expect('{', what); err != nil {
		return err
	}
	for r.d.PeekKind() != '}' {
		if r.d.PeekKind() == 0 {
			_, err := r.d.ReadToken()
			return r.jsonErr(err)
		}
		n, err := r.name()
		if err != nil {
			return err
		}
		if err := member(n); err != nil {
			return err
		}
	}
	if _, err := r.d.ReadToken(); err != nil {
		return r.jsonErr(err)
	}
	return nil
}

// array reads an array, calling elem for each element.
func (r *entryReader) array(what string, elem func() error) error {
	if err := r.expect('[', what); err != nil {
		return err
	}
	for r.d.PeekKind() != ']' {
		if r.d.PeekKind() == 0 {
			_, err := r.d.ReadToken()
			return r.jsonErr(err)
		}
		if err := elem(); err != nil {
			return err
		}
	}
	if _, err := r.d.ReadToken(); err != nil {
		return r.jsonErr(err)
	}
	return nil
}

func (r *entryReader) unknown(n []byte) error {
	return r.errf("unknown member %q (member names are case-sensitive)", truncate(string(n), 40))
}

// value reads {"n":..,"u":..}.
func (r *entryReader) value(what string) (nu.Value, error) {
	var n, u float64
	var seen int
	err := r.object(what, func(name []byte) error {
		var err error
		switch string(name) {
		case "n":
			seen |= 1
			n, err = r.float("n")
		case "u":
			seen |= 2
			u, err = r.float("u")
		default:
			return r.unknown(name)
		}
		return err
	})
	if err != nil {
		return nu.Value{}, err
	}
	if seen != 3 {
		return nu.Value{}, r.errf("%s must have the members n and u", what)
	}
	v, err := nu.New(n, u)
	if err != nil {
		return nu.Value{}, errMalformed("%s: %v", what, err)
	}
	return v, nil
}

// timestampOf parses the one accepted spelling of a timestamp: RFC 3339 in
// UTC ("Z"), with the fraction of a second as Go's time.RFC3339Nano writes
// it (1 to 9 digits without trailing zeros, omitted when zero).
func timestampOf(s []byte) (int64, bool) {
	t, err := time.Parse(time.RFC3339Nano, transient(s))
	if err != nil {
		return 0, false
	}
	ns := t.UnixNano()
	var tmp [40]byte
	if !bytes.Equal(time.Unix(0, ns).UTC().AppendFormat(tmp[:0], time.RFC3339Nano), s) {
		return 0, false
	}
	return ns, true
}

// transient views b as a string without copying, for parsers that do not
// keep their argument (the error values they return may, and are dropped).
// b must not change while the string is in use.
func transient(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b)) // #nosec G103 -- the string is a read-only view for parsers that do not keep it; see the comment above
}

// keyIDOf parses exactly 8 lower-case hex digits.
func keyIDOf(s []byte) (KeyID, bool) {
	if len(s) != 8 {
		return 0, false
	}
	var k uint32
	for _, c := range s {
		switch {
		case '0' <= c && c <= '9':
			k = k<<4 | uint32(c-'0')
		case 'a' <= c && c <= 'f':
			k = k<<4 | uint32(c-'a'+10)
		default:
			return 0, false
		}
	}
	return KeyID(k), true
}

// entry reads one entry into e, reusing e's slices. It checks that values
// are valid N/U values, but not the field rules (the verifier does, after
// the signature).
func (r *entryReader) entry(e *Entry) error {
	inputs, guard := e.Inputs[:0], e.Guard[:0]
	*e = Entry{}
	var seen int
	err := r.object("entry", func(name []byte) error {
		bit := 0
		for i, m := range entryMembers {
			if string(name) == m {
				bit = 1 << i
				break
			}
		}
		if bit == 0 {
			return r.unknown(name)
		}
		if seen&bit != 0 {
			return r.errf("duplicate member %q", name)
		}
		seen |= bit
		return r.member(bit, e, &inputs, &guard)
	})
	if err != nil {
		return err
	}
	if missing := mRequired &^ seen; missing != 0 {
		for i, m := range entryMembers {
			if missing&(1<<i) != 0 {
				return errMalformed("missing member %q (at %s)", m, r.where())
			}
		}
	}
	if len(inputs) > 0 {
		e.Inputs = inputs
	}
	if len(guard) > 0 {
		e.Guard = guard
	}
	return nil
}

func (r *entryReader) member(bit int, e *Entry, inputs *[]nu.Value, guard *[]GuardEvent) error {
	var err error
	switch bit {
	case mIndex:
		var v []byte
		if v, err = r.raw('0', "index"); err != nil {
			return err
		}
		if e.Index, err = strconv.ParseUint(transient(v), 10, 64); err != nil {
			return r.errf("index must be an integer from 0 to 2^64-1 written in decimal digits, got %s", truncate(string(v), 40))
		}
	case mPrevHash:
		e.PrevHash, err = r.hash("prev_hash")
	case mKeyID:
		var s []byte
		if s, err = r.str("key_id"); err != nil {
			return err
		}
		var ok bool
		if e.KeyID, ok = keyIDOf(s); !ok {
			return r.errf("key_id must be 8 lower-case hex digits, got %q", truncate(string(s), 20))
		}
	case mTimestamp:
		var s []byte
		if s, err = r.str("timestamp"); err != nil {
			return err
		}
		var ok bool
		if e.Timestamp, ok = timestampOf(s); !ok {
			return r.errf("timestamp %q is not RFC 3339 in UTC as written by eBIOS (2006-01-02T15:04:05.999999999Z: \"Z\", 0 to 9 fraction digits without trailing zeros)", truncate(string(s), 40))
		}
	case mOpID:
		e.OpID, err = r.text("op_id")
	case mParentOpID:
		e.ParentOpID, err = r.nonEmpty("parent_op_id")
	case mOperation:
		e.Operation, err = r.text("operation")
	case mMode:
		e.Mode, err = r.nonEmpty("mode")
	case mExpression:
		e.Expression, err = r.nonEmpty("expression")
	case mInputs:
		err = r.array("inputs", func() error {
			if len(*inputs) >= MaxInputs {
				return r.errf("more than %d inputs", MaxInputs)
			}
			v, err := r.value("input")
			*inputs = append(*inputs, v)
			return err
		})
	case mOutput:
		var v nu.Value
		if v, err = r.value("output"); err == nil {
			e.Output = &v
		}
	case mCoverage:
		var x float64
		x, err = r.float("coverage")
		e.Coverage = nu.Float(x)
	case mInvariant:
		err = r.invariant(&e.Invariant)
	case mGuard:
		err = r.array("guard", func() error {
			if len(*guard) >= MaxGuardEvents {
				return r.errf("more than %d guard events", MaxGuardEvents)
			}
			var g GuardEvent
			err := r.guardEvent(&g)
			*guard = append(*guard, g)
			return err
		})
		if err == nil && len(*guard) == 0 {
			return r.errf("guard is empty; omit the member instead")
		}
	case mPolicyHash:
		if e.PolicyHash, err = r.hash("policy_hash"); err == nil && e.PolicyHash == (tlog.Hash{}) {
			return r.errf("policy_hash is all zero; omit it when no policy was active")
		}
	case mAnalysis:
		e.Analysis, err = r.analysis()
	case mSignature:
		var s []byte
		if s, err = r.str("signature"); err != nil {
			return err
		}
		if err := e.Signature.UnmarshalText(s); err != nil {
			return r.errf("signature must be the base64 of 64 bytes (standard alphabet, padding, zero pad bits)")
		}
	}
	return err
}

func (r *entryReader) invariant(inv *Invariant) error {
	var seen int
	err := r.object("invariant", func(name []byte) error {
		switch string(name) {
		case "ok":
			seen |= 1
			switch r.d.PeekKind() {
			case 't', 'f':
				tok, err := r.d.ReadToken()
				if err != nil {
					return r.jsonErr(err)
				}
				inv.OK = tok.Bool()
				return nil
			}
			return r.expect('t', "invariant.ok")
		case "message":
			seen |= 2
			var err error
			inv.Message, err = r.nonEmpty("invariant.message")
			return err
		}
		return r.unknown(name)
	})
	if err == nil && seen&1 == 0 {
		return r.errf("missing member \"ok\"")
	}
	return err
}

func (r *entryReader) guardEvent(g *GuardEvent) error {
	var seen int
	err := r.object("guard event", func(name []byte) error {
		var err error
		switch string(name) {
		case "rule":
			seen |= 1
			g.Rule, err = r.text("guard.rule")
		case "level":
			seen |= 2
			var l string
			l, err = r.text("guard.level")
			g.Level = Level(l)
		case "message":
			g.Message, err = r.nonEmpty("guard.message")
		case "value":
			seen |= 4
			var x float64
			x, err = r.float("guard.value")
			g.Value = nu.Float(x)
		case "threshold":
			seen |= 8
			var x float64
			x, err = r.float("guard.threshold")
			g.Threshold = nu.Float(x)
		default:
			return r.unknown(name)
		}
		return err
	})
	if err == nil && seen != 15 {
		return r.errf("a guard event must have the members rule, level, value and threshold")
	}
	return err
}

// members reads an object whose members are among names, each at most
// once, calling read with the position of each member in names to read
// its value. It returns the set of members seen (bit i for names[i]) and
// fails when a member of required (a set of the same kind) is missing.
func (r *entryReader) members(what string, names []string, required uint32, read func(i int) error) (uint32, error) {
	var seen uint32
	err := r.object(what, func(name []byte) error {
		for i, m := range names {
			if string(name) == m {
				if seen&(1<<i) != 0 {
					return r.errf("duplicate member %q", name)
				}
				seen |= 1 << i
				return read(i)
			}
		}
		return r.unknown(name)
	})
	if err != nil {
		return seen, err
	}
	if missing := required &^ seen; missing != 0 {
		for i, m := range names {
			if missing&(1<<i) != 0 {
				return seen, r.errf("%s: missing member %q", what, m)
			}
		}
	}
	return seen, nil
}

// boolean reads true or false.
func (r *entryReader) boolean(what string) (bool, error) {
	switch r.d.PeekKind() {
	case 't', 'f':
		tok, err := r.d.ReadToken()
		if err != nil {
			return false, r.jsonErr(err)
		}
		return tok.Bool(), nil
	}
	return false, r.expect('t', what)
}

// trueOnly reads a boolean member that is omitted when false.
func (r *entryReader) trueOnly(what string) (bool, error) {
	b, err := r.boolean(what)
	if err == nil && !b {
		return false, r.errf("%s is false; omit the member instead", what)
	}
	return b, err
}

// uint reads a plain decimal integer of at most bits bits.
func (r *entryReader) uint(what string, bits int) (uint64, error) {
	v, err := r.raw('0', what)
	if err != nil {
		return 0, err
	}
	x, err := strconv.ParseUint(transient(v), 10, bits)
	if err != nil {
		return 0, r.errf("%s must be an integer from 0 to 2^%d-1 written in decimal digits, got %s", what, bits, truncate(string(v), 40))
	}
	return x, nil
}

// floatInto reads a float (see float) into *x.
func (r *entryReader) floatInto(x *nu.Float, what string) error {
	f, err := r.float(what)
	*x = nu.Float(f)
	return err
}

var (
	analysisMembers   = []string{"inputs", "monte_carlo", "expanded"}
	inputDistMembers  = []string{"name", "dist", "n", "u", "lo", "hi", "dof"}
	monteCarloMembers = []string{"draws", "seed", "p", "shortest", "adaptive", "digits", "converged", "mean", "u", "lo", "hi"}
	expandedMembers   = []string{"k", "p", "dof", "u"}
)

// analysis reads the analysis member: {"inputs":[...]} with the optional
// monte_carlo and expanded. It checks the JSON form only; the verifier
// checks the field rules.
func (r *entryReader) analysis() (*Analysis, error) {
	a := new(Analysis)
	_, err := r.members("analysis", analysisMembers, 1, func(i int) error {
		switch i {
		case 0:
			return r.array("analysis.inputs", func() error {
				if len(a.Inputs) >= MaxInputs {
					return r.errf("more than %d analysis inputs", MaxInputs)
				}
				a.Inputs = append(a.Inputs, InputDist{})
				return r.inputDist(&a.Inputs[len(a.Inputs)-1])
			})
		case 1:
			a.MonteCarlo = new(MonteCarlo)
			return r.monteCarlo(a.MonteCarlo)
		default:
			a.Expanded = new(Expanded)
			return r.expanded(a.Expanded)
		}
	})
	if len(a.Inputs) == 0 {
		a.Inputs = nil
	}
	return a, err
}

func (r *entryReader) inputDist(in *InputDist) error {
	_, err := r.members("analysis input", inputDistMembers, 1<<len(inputDistMembers)-1, func(i int) error {
		var err error
		switch i {
		case 0:
			in.Name, err = r.text("analysis.inputs.name")
		case 1:
			in.Dist, err = r.text("analysis.inputs.dist")
		case 2:
			err = r.floatInto(&in.N, "analysis.inputs.n")
		case 3:
			err = r.floatInto(&in.U, "analysis.inputs.u")
		case 4:
			err = r.floatInto(&in.Lo, "analysis.inputs.lo")
		case 5:
			err = r.floatInto(&in.Hi, "analysis.inputs.hi")
		case 6:
			err = r.floatInto(&in.DoF, "analysis.inputs.dof")
		}
		return err
	})
	return err
}

func (r *entryReader) monteCarlo(m *MonteCarlo) error {
	const required = 1<<0 | 1<<1 | 1<<2 | 1<<7 | 1<<8 | 1<<9 | 1<<10 // all but the four omitted when empty
	_, err := r.members("analysis.monte_carlo", monteCarloMembers, required, func(i int) error {
		var err error
		switch i {
		case 0:
			m.Draws, err = r.uint("analysis.monte_carlo.draws", 64)
		case 1:
			var s []byte
			if s, err = r.str("analysis.monte_carlo.seed"); err != nil {
				return err
			}
			v, ok := seedOf(s)
			if !ok {
				return r.errf("analysis.monte_carlo.seed must be a string of decimal digits from \"0\" to \"18446744073709551615\" without sign or leading zeros, got %s", truncate(strconv.Quote(string(s)), 40))
			}
			m.Seed = Seed(v)
		case 2:
			err = r.floatInto(&m.P, "analysis.monte_carlo.p")
		case 3:
			m.Shortest, err = r.trueOnly("analysis.monte_carlo.shortest")
		case 4:
			m.Adaptive, err = r.trueOnly("analysis.monte_carlo.adaptive")
		case 5:
			var d uint64
			d, err = r.uint("analysis.monte_carlo.digits", 32)
			if err == nil && d == 0 {
				return r.errf("analysis.monte_carlo.digits is 0; omit the member instead")
			}
			m.Digits = uint32(d) // #nosec G115 -- r.uint(..., 32) bounds d to 32 bits
		case 6:
			m.Converged, err = r.trueOnly("analysis.monte_carlo.converged")
		case 7:
			err = r.floatInto(&m.Mean, "analysis.monte_carlo.mean")
		case 8:
			err = r.floatInto(&m.U, "analysis.monte_carlo.u")
		case 9:
			err = r.floatInto(&m.Lo, "analysis.monte_carlo.lo")
		case 10:
			err = r.floatInto(&m.Hi, "analysis.monte_carlo.hi")
		}
		return err
	})
	return err
}

func (r *entryReader) expanded(x *Expanded) error {
	_, err := r.members("analysis.expanded", expandedMembers, 1<<len(expandedMembers)-1, func(i int) error {
		switch i {
		case 0:
			return r.floatInto(&x.K, "analysis.expanded.k")
		case 1:
			return r.floatInto(&x.P, "analysis.expanded.p")
		case 2:
			return r.floatInto(&x.DoF, "analysis.expanded.dof")
		default:
			return r.floatInto(&x.U, "analysis.expanded.u")
		}
	})
	return err
}

// newEntryDecoder returns a strict tokenizer over rd.
func newEntryDecoder(rd io.Reader) *jsontext.Decoder {
	return jsontext.NewDecoder(rd, strictjson.DecoderOptions)
}

// UnmarshalJSON reads the JSON form of an entry strictly (see
// docs/ledger-format.md §3): exact member names, no duplicate, unknown or
// missing members, one spelling per field. It checks neither the
// signature nor the field rules; see [Entry.Verify] and [Draft.Validate].
func (e *Entry) UnmarshalJSON(b []byte) error {
	r := entryReader{d: newEntryDecoder(bytes.NewReader(b))}
	if err := r.entry(e); err != nil {
		return err
	}
	if _, err := r.d.ReadToken(); err != io.EOF {
		return errMalformed("data after the entry object")
	}
	return nil
}
