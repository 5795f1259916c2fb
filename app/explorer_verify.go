package app

import (
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ebios/ebios/core/ledger"
)

// InclusionProof is the JSON of GET /api/v1/proofs/inclusion: the proof of
// one entry in the tree of the checkpoint it carries. LeafHash is the
// server's claim and is not used: the leaf hash is recomputed from the entry.
type InclusionProof struct {
	Index      uint64      `json:"index"`
	TreeSize   int64       `json:"tree_size"`
	LeafHash   string      `json:"leaf_hash"`
	Hashes     []tlog.Hash `json:"hashes"`
	Checkpoint string      `json:"checkpoint"`
}

// Mark is the verdict of the browser on one entry.
type Mark struct {
	Index uint64
	// OK reports that the signature, the chain link and the inclusion
	// proof all checked.
	OK bool
	// Check names the first check that failed ("signature", "chain",
	// "inclusion", "checkpoint"), and Reason says why; both empty when OK.
	Check  string
	Reason string
}

// Label is "verified" or "failed: <check>: <reason>".
func (m Mark) Label() string {
	if m.OK {
		return "verified"
	}
	return "failed: " + m.Check + ": " + m.Reason
}

// PageVerification is the result of [VerifyPage].
type PageVerification struct {
	// CheckpointOK reports that the checkpoint verified against the pinned
	// key; Checkpoint is then its content, else CheckpointErr says why not.
	CheckpointOK  bool
	Checkpoint    ledger.Checkpoint
	CheckpointErr string
	// Marks has one mark per entry, in the order of the entries.
	Marks []Mark
}

// Verified counts the verified entries.
func (p *PageVerification) Verified() int {
	n := 0
	for _, m := range p.Marks {
		if m.OK {
			n++
		}
	}
	return n
}

// VerifyPage verifies a page of entries as served by the API, trusting only
// pinnedKey (a note verifier key whose name is the log origin):
//
//   - checkpoint must be signed by the pinned key for its origin;
//   - each entry's signature must verify under the pinned key;
//   - each entry's prev_hash must be the link hash of the entry before it
//     (prev for the first entry of the page, when its index is not 0; all
//     zero for entry 0);
//   - each entry's inclusion proof (proofs, matched by index) must lead to
//     the verified checkpoint's root; a proof for a larger tree (the log grew
//     between the requests) is checked against the checkpoint it carries,
//     which must itself be signed by the pinned key.
//
// It is pure: it does no I/O.
func VerifyPage(pinnedKey string, checkpoint []byte, prev *ledger.Entry, entries []*ledger.Entry, proofs []*InclusionProof) *PageVerification {
	res := &PageVerification{Marks: make([]Mark, len(entries))}
	for i, e := range entries {
		if e == nil {
			res.Marks[i].Check, res.Marks[i].Reason = "format", "missing entry"
			continue
		}
		res.Marks[i].Index = e.Index
	}
	failAll := func(check, reason string) *PageVerification {
		for i := range res.Marks {
			if res.Marks[i].Check != "" {
				continue
			}
			res.Marks[i].OK, res.Marks[i].Check, res.Marks[i].Reason = false, check, reason
		}
		return res
	}
	v, err := ledger.ParseVerifierKey(strings.TrimSpace(pinnedKey))
	if err != nil {
		res.CheckpointErr = "pinned key: " + err.Error()
		return failAll("key", res.CheckpointErr)
	}
	origin := v.Name()
	cp, err := ledger.OpenCheckpoint(checkpoint, v, origin)
	if err != nil {
		res.CheckpointErr = err.Error()
		return failAll("checkpoint", "the checkpoint does not verify against the pinned key: "+err.Error())
	}
	res.CheckpointOK, res.Checkpoint = true, cp

	byIndex := make(map[uint64]*InclusionProof, len(proofs))
	for _, p := range proofs {
		if p != nil {
			byIndex[p.Index] = p
		}
	}
	// Checkpoints carried by proofs, opened once each.
	opened := map[string]struct {
		c   ledger.Checkpoint
		err error
	}{}

	before := prev
	for i, e := range entries {
		m := &res.Marks[i]
		if e == nil {
			before = nil
			continue
		}
		m.Check, m.Reason = checkEntry(e, before, origin, v, cp, byIndex[e.Index], func(text string) (ledger.Checkpoint, error) {
			o, ok := opened[text]
			if !ok {
				o.c, o.err = ledger.OpenCheckpoint([]byte(text), v, origin)
				opened[text] = o
			}
			return o.c, o.err
		})
		m.OK = m.Check == ""
		before = e
	}
	return res
}

// checkEntry returns the first failed check of e and why, or "", "".
func checkEntry(e, before *ledger.Entry, origin string, v *ledger.Verifier, cp ledger.Checkpoint, p *InclusionProof,
	open func(string) (ledger.Checkpoint, error)) (check, reason string) {
	if err := e.Verify(origin, v); err != nil {
		return "signature", err.Error()
	}
	var zero tlog.Hash
	switch {
	case e.Index == 0:
		if e.PrevHash != zero {
			return "chain", "entry 0 must have an all-zero prev_hash"
		}
	case before == nil || before.Index != e.Index-1:
		return "chain", "entry " + u64(e.Index-1) + " (the one before) is not available to check the link"
	default:
		if e.PrevHash != before.LinkHash(origin) {
			return "chain", "prev_hash is not the link hash of entry " + u64(before.Index) + ": the chain is broken"
		}
	}
	if p == nil {
		return "inclusion", "no inclusion proof for entry " + u64(e.Index)
	}
	c := cp
	if p.TreeSize != cp.Size {
		if p.Checkpoint == "" {
			return "inclusion", "the proof is for tree size " + strconv.FormatInt(p.TreeSize, 10) +
				", not the checkpoint's " + strconv.FormatInt(cp.Size, 10)
		}
		pc, err := open(p.Checkpoint)
		if err != nil {
			return "inclusion", "the proof's checkpoint does not verify against the pinned key: " + err.Error()
		}
		if pc.Size != p.TreeSize {
			return "inclusion", "the proof is for tree size " + strconv.FormatInt(p.TreeSize, 10) +
				", its checkpoint for " + strconv.FormatInt(pc.Size, 10)
		}
		c = pc
	}
	if e.Index > 1<<62 {
		return "inclusion", "index out of range"
	}
	if err := c.CheckInclusion(int64(e.Index), e.Hash(origin), tlog.RecordProof(p.Hashes)); err != nil {
		return "inclusion", err.Error()
	}
	return "", ""
}

func u64(i uint64) string { return strconv.FormatUint(i, 10) }
