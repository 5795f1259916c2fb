package ledger

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a signed tree head in the C2SP tlog-checkpoint form
// (https://c2sp.org/tlog-checkpoint). Its note text is
//
//	<origin>\n
//	<tree size in decimal>\n
//	<base64 root hash>\n
//	[<extension line>\n ...]
//
// and it is signed as a C2SP signed note (golang.org/x/mod/sumdb/note) by the
// log key.
type Checkpoint struct {
	Origin     string
	Size       int64
	Root       tlog.Hash
	Extensions []string // optional non-empty lines after the root hash
}

// maxCheckpointLen bounds the note text we are willing to parse.
const maxCheckpointLen = 64 << 10

// Format returns the note text of c. It fails if a line would be empty or
// contain a newline, since that would change the meaning of the text.
func (c Checkpoint) Format() ([]byte, error) {
	if c.Origin == "" || strings.ContainsAny(c.Origin, "\n") || !utf8.ValidString(c.Origin) {
		return nil, errCheckpoint("origin must be a non-empty line of UTF-8")
	}
	if c.Size < 0 {
		return nil, errCheckpoint("tree size must be >= 0")
	}
	var b bytes.Buffer
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Root[:]))
	b.WriteByte('\n')
	for _, x := range c.Extensions {
		if x == "" || strings.Contains(x, "\n") || !utf8.ValidString(x) {
			return nil, errCheckpoint("extension lines must be non-empty single lines")
		}
		b.WriteString(x)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// ParseCheckpoint parses the note text of a checkpoint (without the
// signatures). It is strict: the tree size has no sign and no leading
// zeros, the root is the padded standard base64 of 32 bytes, and there are
// no empty lines.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	var c Checkpoint
	if len(text) > maxCheckpointLen || !utf8.Valid(text) || len(text) == 0 || text[len(text)-1] != '\n' {
		return c, errCheckpoint("note text must be UTF-8 lines ending in a newline")
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if len(lines) < 3 {
		return c, errCheckpoint("need at least 3 lines (origin, tree size, root hash)")
	}
	for _, l := range lines {
		if l == "" {
			return c, errCheckpoint("empty line")
		}
	}
	c.Origin = lines[0]
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || lines[1] != strconv.FormatInt(n, 10) {
		return c, errCheckpoint("tree size " + quote(lines[1]) + " is not a decimal number without sign or leading zeros")
	}
	c.Size = n
	h, err := strictB64.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return c, errCheckpoint("root hash is not the base64 of 32 bytes")
	}
	copy(c.Root[:], h)
	if len(lines) > 3 {
		c.Extensions = lines[3:]
	}
	return c, nil
}

// Sign returns c as a signed note, signed by s.
func (c Checkpoint) Sign(s note.Signer) ([]byte, error) {
	text, err := c.Format()
	if err != nil {
		return nil, err
	}
	msg, err := note.Sign(&note.Note{Text: string(text)}, s)
	if err != nil {
		return nil, newErr(CodeCheckpointSig, "cannot sign checkpoint", err.Error(),
			"sign with a key whose name is a valid note key name")
	}
	return msg, nil
}

// OpenCheckpoint verifies the signed checkpoint msg against the pinned key
// and checks that its origin is origin (when origin is empty, the pinned
// key's name is expected). Signatures by other keys are ignored; there must
// be a valid one by the pinned key, and every signature line that names the
// pinned key must be valid: C2SP signed-note says a note with a failed
// signature by a known key fails, whatever the order of the lines
// (note.Open checks only the first line of each key).
func OpenCheckpoint(msg []byte, pinned note.Verifier, origin string) (Checkpoint, error) {
	if origin == "" {
		origin = pinned.Name()
	}
	n, err := note.Open(msg, note.VerifierList(pinned))
	if err == nil && !allPinnedSigsValid(msg, pinned) {
		err = &note.InvalidSignatureError{Name: pinned.Name(), Hash: pinned.KeyHash()}
	}
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			signers := ""
			for _, s := range unverified.Note.UnverifiedSigs {
				signers += " " + s.Name + "+" + KeyID(s.Hash).String()
			}
			return Checkpoint{}, newErr(CodeCheckpointSig,
				"checkpoint is not signed by the pinned key "+pinned.Name()+"+"+KeyID(pinned.KeyHash()).String(),
				"signed by:"+signers,
				"get the checkpoint from the log you trust, or pin that log's key if you trust it")
		case errors.As(err, &invalid):
			return Checkpoint{}, newErr(CodeCheckpointSig, "checkpoint signature by the pinned key is invalid", "",
				"the checkpoint was altered after signing; do not trust it")
		}
		return Checkpoint{}, newErr(CodeCheckpoint, "checkpoint is not a well-formed signed note", err.Error(),
			"give the checkpoint exactly as the log published it (text, blank line, signature lines)")
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != origin {
		return c, errOrigin(c.Origin, origin)
	}
	return c, nil
}

func errOrigin(got, want string) error {
	return newErr(CodeOrigin, "checkpoint is for log "+quote(got)+", expected "+quote(want), "",
		"verify against the log the data came from, or pass its origin explicitly")
}

func errCheckpoint(reason string) error {
	return newErr(CodeCheckpoint, "malformed checkpoint: "+reason, "",
		"give the checkpoint exactly as the log published it; see https://c2sp.org/tlog-checkpoint")
}

// CheckInclusion verifies that the entry with leaf hash leaf (see
// [Entry.Hash]) is record index of the tree c describes.
func (c Checkpoint) CheckInclusion(index int64, leaf tlog.Hash, proof tlog.RecordProof) error {
	if index < 0 || index >= c.Size {
		return newErr(CodeInclusion, "entry "+itoa64(index)+" is not in a tree of size "+itoa64(c.Size), "",
			"use a checkpoint newer than the entry")
	}
	if err := tlog.CheckRecord(proof, c.Size, c.Root, index, leaf); err != nil {
		return newErr(CodeInclusion, "inclusion proof of entry "+itoa64(index)+" in tree of size "+itoa64(c.Size)+" fails",
			err.Error(), "the entry is not in the log the checkpoint describes, or the proof is for another tree size")
	}
	return nil
}

// VerifyInclusion checks, against the pinned key, the signed checkpoint of
// the log origin, the signature of e, and that e is included in the
// checkpoint's tree by proof (from [Log.InclusionProof]). It returns the
// checkpoint.
func VerifyInclusion(pinned note.Verifier, origin string, checkpoint []byte, e *Entry, proof tlog.RecordProof) (Checkpoint, error) {
	c, err := OpenCheckpoint(checkpoint, pinned, origin)
	if err != nil {
		return c, err
	}
	if err := e.Verify(c.Origin, pinned); err != nil {
		return c, err
	}
	if e.Index > uint64(1<<63-1) {
		return c, errInvalid("index out of range")
	}
	return c, c.CheckInclusion(int64(e.Index), e.Hash(c.Origin), proof)
}

// VerifyConsistency checks that the log grew append-only from the checkpoint
// old (one seen before) to the checkpoint new: both must be signed by the
// pinned key for the same origin, new must not be smaller than old
// ([CodeRollback]), and proof (from [Log.ConsistencyProof]) must show that
// old's tree is a prefix of new's ([CodeFork] otherwise). It returns the new
// checkpoint, which the caller should remember as the latest seen.
func VerifyConsistency(pinned note.Verifier, origin string, old, new []byte, proof tlog.TreeProof) (Checkpoint, error) {
	oc, err := OpenCheckpoint(old, pinned, origin)
	if err != nil {
		return Checkpoint{}, err
	}
	nc, err := OpenCheckpoint(new, pinned, oc.Origin)
	if err != nil {
		return Checkpoint{}, err
	}
	return nc, CheckConsistency(oc, nc, proof)
}

// CheckConsistency is [VerifyConsistency] for checkpoints already opened.
func CheckConsistency(old, new Checkpoint, proof tlog.TreeProof) error {
	if new.Size < old.Size {
		return newErr(CodeRollback, "checkpoint rolled back: tree size "+itoa64(new.Size)+
			" is smaller than "+itoa64(old.Size)+" already seen", "",
			"a log never shrinks: the log or whoever served this checkpoint is rolling history back; report it and keep the newer checkpoint")
	}
	if old.Size == 0 {
		if len(proof) != 0 || old.Root != emptyRoot {
			return errFork(old, new, "bad proof for an empty tree")
		}
		return nil
	}
	if err := tlog.CheckTree(proof, new.Size, new.Root, old.Size, old.Root); err != nil {
		return errFork(old, new, err.Error())
	}
	return nil
}

func errFork(old, new Checkpoint, details string) error {
	return newErr(CodeFork, "tree of size "+itoa64(new.Size)+" is not an extension of the tree of size "+itoa64(old.Size)+" seen before",
		details, "the log forked or rewrote history (or the proof is wrong): keep both checkpoints as evidence and report it")
}

// allPinnedSigsValid checks every signature line of the signed note msg
// (already opened by note.Open, so well-formed) that names the pinned key.
func allPinnedSigsValid(msg []byte, pinned note.Verifier) bool {
	split := bytes.LastIndex(msg, []byte("\n\n"))
	text, sigs := msg[:split+1], msg[split+2:]
	for len(sigs) > 0 {
		i := bytes.IndexByte(sigs, '\n')
		line := strings.TrimPrefix(string(sigs[:i]), "— ")
		sigs = sigs[i+1:]
		name, b64, _ := strings.Cut(line, " ")
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(sig) < 5 || name != pinned.Name() || binary.BigEndian.Uint32(sig) != pinned.KeyHash() {
			continue
		}
		if !pinned.Verify(text, sig[4:]) {
			return false
		}
	}
	return true
}
