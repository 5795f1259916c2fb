package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strconv"

	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

// FormatVersion is the version byte of the canonical entry encoding.
const FormatVersion = 1

// bodyPrefix starts every canonical body: an ASCII tag, a 0x00 byte and the
// version. The 0x00 makes a body impossible to confuse with a signed note
// text (notes forbid control characters), so one key can safely sign both.
const bodyPrefix = "ebios-ledger-entry\x00\x01"

// SignatureSize is the size of an Ed25519 signature and of the leaf suffix.
const SignatureSize = 64

// AppendBody appends the canonical body of e for the log origin to dst and
// returns the extended slice. The body is what the entry signature covers.
// It is, with big-endian integers, IEEE 754 binary64 floats as their 8-byte
// bit pattern, str = u32 length ‖ UTF-8 bytes, and value = f64 n ‖ f64 u:
//
//	"ebios-ledger-entry" 0x00 0x01        (20 bytes: tag, separator, version)
//	str origin
//	u64 index
//	[32] prev_hash
//	u32 key_id
//	i64 timestamp (Unix nanoseconds)
//	str op_id
//	str parent_op_id
//	str operation
//	str mode
//	str expression
//	u32 number of inputs, then each input as value
//	u8  output present (0 or 1), then value if 1
//	f64 coverage
//	u8  invariant ok (0 or 1)
//	str invariant message
//	u32 number of guard events, then each as
//	    str rule ‖ str level ‖ str message ‖ f64 value ‖ f64 threshold
//	u8  policy hash present (0 or 1; 1 iff the hash is not all zero),
//	    then [32] policy_hash if 1
//
// and then, only for an entry with an [Analysis] (format version 3 on;
// without one the body ends here, as in versions 1 and 2):
//
//	u8  1 (analysis present)
//	u32 number of analysis inputs, then each as
//	    str name ‖ str dist ‖ f64 n ‖ f64 u ‖ f64 lo ‖ f64 hi ‖ f64 dof
//	u8  monte carlo present (0 or 1), then if 1
//	    u64 draws ‖ u64 seed ‖ f64 p ‖ u8 shortest ‖ u8 adaptive ‖
//	    u32 digits ‖ u8 converged ‖ f64 mean ‖ f64 u ‖ f64 lo ‖ f64 hi
//	u8  expanded present (0 or 1), then if 1
//	    f64 k ‖ f64 p ‖ f64 dof ‖ f64 u
//
// docs/ledger-format.md is the full specification with a worked example.
// AppendBody does not validate e; [Seal] and the verifier do.
func (e *Entry) AppendBody(dst []byte, origin string) []byte {
	b := append(dst, bodyPrefix...)
	b = appendStr(b, origin)
	b = binary.BigEndian.AppendUint64(b, e.Index)
	b = append(b, e.PrevHash[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(e.KeyID))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Timestamp)) // #nosec G115 -- the body holds the int64 timestamp's two's-complement bits; parseLeaf converts them back
	b = appendStr(b, e.OpID)
	b = appendStr(b, e.ParentOpID)
	b = appendStr(b, e.Operation)
	b = appendStr(b, e.Mode)
	b = appendStr(b, e.Expression)
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Inputs))) // #nosec G115 -- Draft.Validate bounds it: at most MaxInputs (4096)
	for _, v := range e.Inputs {
		b = appendValue(b, v)
	}
	if e.Output != nil {
		b = append(b, 1)
		b = appendValue(b, *e.Output)
	} else {
		b = append(b, 0)
	}
	b = appendF64(b, float64(e.Coverage))
	b = appendBool(b, e.Invariant.OK)
	b = appendStr(b, e.Invariant.Message)
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Guard))) // #nosec G115 -- Draft.Validate bounds it: at most MaxGuardEvents (256)
	for i := range e.Guard {
		g := &e.Guard[i]
		b = appendStr(b, g.Rule)
		b = appendStr(b, string(g.Level))
		b = appendStr(b, g.Message)
		b = appendF64(b, float64(g.Value))
		b = appendF64(b, float64(g.Threshold))
	}
	if e.PolicyHash != (tlog.Hash{}) {
		b = append(b, 1)
		b = append(b, e.PolicyHash[:]...)
	} else {
		b = append(b, 0)
	}
	if e.Analysis != nil {
		b = e.Analysis.appendBody(b)
	}
	return b
}

// appendBody appends the analysis section of a canonical body.
func (a *Analysis) appendBody(b []byte) []byte {
	b = append(b, 1)
	b = binary.BigEndian.AppendUint32(b, uint32(len(a.Inputs))) // #nosec G115 -- Analysis.validate bounds it: at most MaxInputs (4096)
	for i := range a.Inputs {
		in := &a.Inputs[i]
		b = appendStr(b, in.Name)
		b = appendStr(b, in.Dist)
		b = appendF64(b, float64(in.N))
		b = appendF64(b, float64(in.U))
		b = appendF64(b, float64(in.Lo))
		b = appendF64(b, float64(in.Hi))
		b = appendF64(b, float64(in.DoF))
	}
	if m := a.MonteCarlo; m != nil {
		b = append(b, 1)
		b = binary.BigEndian.AppendUint64(b, m.Draws)
		b = binary.BigEndian.AppendUint64(b, uint64(m.Seed))
		b = appendF64(b, float64(m.P))
		b = appendBool(b, m.Shortest)
		b = appendBool(b, m.Adaptive)
		b = binary.BigEndian.AppendUint32(b, m.Digits)
		b = appendBool(b, m.Converged)
		b = appendF64(b, float64(m.Mean))
		b = appendF64(b, float64(m.U))
		b = appendF64(b, float64(m.Lo))
		b = appendF64(b, float64(m.Hi))
	} else {
		b = append(b, 0)
	}
	if x := a.Expanded; x != nil {
		b = append(b, 1)
		b = appendF64(b, float64(x.K))
		b = appendF64(b, float64(x.P))
		b = appendF64(b, float64(x.DoF))
		b = appendF64(b, float64(x.U))
	} else {
		b = append(b, 0)
	}
	return b
}

// AppendLeaf appends the Merkle leaf data of e to dst: the canonical body
// followed by the 64-byte signature. The leaf data is the record that the
// RFC 6962 tree hashes, as SHA-256(0x00 ‖ leaf data).
func (e *Entry) AppendLeaf(dst []byte, origin string) []byte {
	return append(e.AppendBody(dst, origin), e.Signature[:]...)
}

// Leaf returns the Merkle leaf data of e (see [Entry.AppendLeaf]).
func (e *Entry) Leaf(origin string) []byte { return e.AppendLeaf(nil, origin) }

// Hash returns the entry hash of e: the RFC 6962 leaf hash of its leaf data,
// SHA-256(0x00 ‖ body ‖ signature), the level-0 hash of the Merkle tree.
func (e *Entry) Hash(origin string) tlog.Hash {
	var buf [512]byte
	return leafHash(e.AppendLeaf(buf[:0], origin))
}

// LinkHash returns the chain hash of e: SHA-256 of its canonical body, which
// starts with the "ebios-ledger-entry" domain prefix. It is the PrevHash of
// the next entry. The signature is not part of it, so a writer can sign a
// batch of sequenced entries in parallel; the Merkle tree (leaf = body ‖
// signature) covers the signatures.
func (e *Entry) LinkHash(origin string) tlog.Hash {
	var buf [512]byte
	return sha256.Sum256(e.AppendBody(buf[:0], origin))
}

// leafHash is tlog.RecordHash without its allocation.
func leafHash(leaf []byte) tlog.Hash {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	var out tlog.Hash
	h.Sum(out[:0])
	return out
}

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s))) // #nosec G115 -- Draft.Validate bounds every string of a body to MaxExpressionLen or MaxMessageLen (4096 bytes); the origin is a log name
	return append(b, s...)
}

func appendF64(b []byte, x float64) []byte {
	return binary.BigEndian.AppendUint64(b, math.Float64bits(x))
}

func appendValue(b []byte, v nu.Value) []byte {
	return appendF64(appendF64(b, v.N()), v.U())
}

func appendBool(b []byte, ok bool) []byte {
	if ok {
		return append(b, 1)
	}
	return append(b, 0)
}

// ParseLeaf decodes Merkle leaf data (canonical body ‖ signature) of the log
// origin into an entry. It is strict: every length, count, boolean and float
// must be in range and nothing may follow the signature. The analysis
// section is there when more than the signature follows the policy hash;
// it must then start with the byte 1. It checks neither
// the signature nor the field rules; see [Entry.Verify] and [Draft.Validate].
func ParseLeaf(origin string, leaf []byte) (*Entry, error) {
	e := new(Entry)
	if err := parseLeaf(e, origin, leaf); err != nil {
		return nil, err
	}
	return e, nil
}

// LeafOpID returns the op id of the entry whose leaf data is leaf, reading
// only up to it: for indexing op ids quickly. It checks nothing else (not
// the origin, not the signature); ok is false when leaf is not leaf data.
func LeafOpID(leaf []byte) (opID string, ok bool) {
	r := &reader{b: leaf}
	if string(r.take(len(bodyPrefix), "prefix")) != bodyPrefix {
		return "", false
	}
	r.take(int(r.u32("origin length")), "origin")
	r.take(8+32+4+8, "index to timestamp")
	opID = r.str("op_id", MaxOpIDLen)
	return opID, r.err == ""
}

type reader struct {
	b   []byte
	err string
}

func (r *reader) fail(what string) {
	if r.err == "" {
		r.err = what
	}
	r.b = nil
}

func (r *reader) take(n int, what string) []byte {
	if r.err != "" || n > len(r.b) || n < 0 {
		r.fail("truncated at " + what)
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) u8(what string) byte {
	p := r.take(1, what)
	if p == nil {
		return 0
	}
	return p[0]
}

func (r *reader) u32(what string) uint32 {
	p := r.take(4, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

func (r *reader) u64(what string) uint64 {
	p := r.take(8, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

func (r *reader) f64(what string) float64 {
	x := math.Float64frombits(r.u64(what))
	if math.IsNaN(x) || math.IsInf(x, -1) {
		r.fail(what + " is NaN or -Inf")
	}
	return x
}

func (r *reader) bool(what string) bool {
	switch r.u8(what) {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail(what + " is not 0 or 1")
	return false
}

func (r *reader) str(what string, max int) string {
	n := r.u32(what + " length")
	if int64(n) > int64(max) {
		r.fail(what + " longer than " + itoa(max) + " bytes")
		return ""
	}
	return string(r.take(int(n), what))
}

func (r *reader) value(what string) nu.Value {
	n, u := r.f64(what+".n"), r.f64(what+".u")
	if r.err != "" {
		return nu.Value{}
	}
	v, err := nu.New(n, u)
	if err != nil {
		r.fail(what + ": " + err.Error())
	}
	return v
}

func parseLeaf(e *Entry, origin string, leaf []byte) error {
	r := &reader{b: leaf}
	if string(r.take(len(bodyPrefix), "prefix")) != bodyPrefix {
		return errMalformed("does not start with the ebios-ledger-entry tag and version %d", FormatVersion)
	}
	if o := r.str("origin", len(leaf)); r.err == "" && o != origin {
		return newErr(CodeOrigin, "entry belongs to log "+quote(o)+", not "+quote(origin), "",
			"verify the entry against the log it was written to")
	}
	*e = Entry{}
	e.Index = r.u64("index")
	copy(e.PrevHash[:], r.take(32, "prev_hash"))
	e.KeyID = KeyID(r.u32("key_id"))
	e.Timestamp = int64(r.u64("timestamp")) // #nosec G115 -- the two's-complement bits of the int64 timestamp, as AppendBody wrote them
	e.OpID = r.str("op_id", MaxOpIDLen)
	e.ParentOpID = r.str("parent_op_id", MaxOpIDLen)
	e.Operation = r.str("operation", MaxOperationLen)
	e.Mode = r.str("mode", 16)
	e.Expression = r.str("expression", MaxExpressionLen)
	if n := r.u32("inputs count"); n > MaxInputs {
		r.fail("more than " + itoa(MaxInputs) + " inputs")
	} else if n > 0 {
		e.Inputs = make([]nu.Value, n)
		for i := range e.Inputs {
			e.Inputs[i] = r.value("inputs[" + itoa(i) + "]")
		}
	}
	if r.bool("output present") {
		v := r.value("output")
		e.Output = &v
	}
	e.Coverage = nu.Float(r.f64("coverage"))
	e.Invariant.OK = r.bool("invariant ok")
	e.Invariant.Message = r.str("invariant message", MaxMessageLen)
	if n := r.u32("guard count"); n > MaxGuardEvents {
		r.fail("more than " + itoa(MaxGuardEvents) + " guard events")
	} else if n > 0 {
		e.Guard = make([]GuardEvent, n)
		for i := range e.Guard {
			g := &e.Guard[i]
			g.Rule = r.str("guard rule", MaxRuleLen)
			g.Level = Level(r.str("guard level", 16))
			g.Message = r.str("guard message", MaxMessageLen)
			g.Value = nu.Float(r.f64("guard value"))
			g.Threshold = nu.Float(r.f64("guard threshold"))
		}
	}
	if r.bool("policy hash present") {
		copy(e.PolicyHash[:], r.take(32, "policy_hash"))
		if r.err == "" && e.PolicyHash == (tlog.Hash{}) {
			r.fail("policy hash present but all zero")
		}
	}
	if len(r.b) > SignatureSize { // more than the signature: an analysis section
		if r.u8("analysis present") != 1 {
			r.fail("analysis present is not 1 (the body must end after the policy hash or continue with an analysis)")
		}
		e.Analysis = r.analysis()
	}
	copy(e.Signature[:], r.take(SignatureSize, "signature"))
	if r.err != "" {
		return errMalformed("%s", r.err)
	}
	if len(r.b) != 0 {
		return errMalformed("%d bytes after the signature", len(r.b))
	}
	return nil
}

// analysis reads the analysis section after its presence byte.
func (r *reader) analysis() *Analysis {
	const minInput = 4 + 4 + 5*8 // an input with an empty name and dist
	a := new(Analysis)
	if n := r.u32("analysis inputs count"); n > MaxInputs {
		r.fail("more than " + itoa(MaxInputs) + " analysis inputs")
	} else if int(n)*minInput > len(r.b) {
		r.fail("truncated in analysis.inputs")
	} else if n > 0 {
		a.Inputs = make([]InputDist, n)
		for i := range a.Inputs {
			in := &a.Inputs[i]
			in.Name = r.str("name", MaxInputNameLen)
			in.Dist = r.str("dist", 16)
			in.N = nu.Float(r.f64("n"))
			in.U = nu.Float(r.f64("u"))
			in.Lo = nu.Float(r.f64("lo"))
			in.Hi = nu.Float(r.f64("hi"))
			in.DoF = nu.Float(r.f64("dof"))
			if r.err != "" {
				r.err = "analysis.inputs[" + itoa(i) + "]: " + r.err
				return a
			}
		}
	}
	if r.bool("analysis.monte_carlo present") {
		m := new(MonteCarlo)
		m.Draws = r.u64("analysis.monte_carlo.draws")
		m.Seed = Seed(r.u64("analysis.monte_carlo.seed"))
		m.P = nu.Float(r.f64("analysis.monte_carlo.p"))
		m.Shortest = r.bool("analysis.monte_carlo.shortest")
		m.Adaptive = r.bool("analysis.monte_carlo.adaptive")
		m.Digits = r.u32("analysis.monte_carlo.digits")
		m.Converged = r.bool("analysis.monte_carlo.converged")
		m.Mean = nu.Float(r.f64("analysis.monte_carlo.mean"))
		m.U = nu.Float(r.f64("analysis.monte_carlo.u"))
		m.Lo = nu.Float(r.f64("analysis.monte_carlo.lo"))
		m.Hi = nu.Float(r.f64("analysis.monte_carlo.hi"))
		a.MonteCarlo = m
	}
	if r.bool("analysis.expanded present") {
		x := new(Expanded)
		x.K = nu.Float(r.f64("analysis.expanded.k"))
		x.P = nu.Float(r.f64("analysis.expanded.p"))
		x.DoF = nu.Float(r.f64("analysis.expanded.dof"))
		x.U = nu.Float(r.f64("analysis.expanded.u"))
		a.Expanded = x
	}
	return a
}

func itoa(i int) string { return strconv.Itoa(i) }

func quote(s string) string { return strconv.Quote(truncate(s, 80)) }

func itoa64(i int64) string { return strconv.FormatInt(i, 10) }

func utoa(i uint64) string { return strconv.FormatUint(i, 10) }
