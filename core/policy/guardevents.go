package policy

import "github.com/ebios/ebios/core/ledger"

// GuardHit is one ledger entry with the guard events that matched a
// GET /api/v1/guard/events query: the wire type the server writes and the
// browser app reads.
type GuardHit struct {
	Index      uint64              `json:"index"`
	OpID       string              `json:"op_id"`
	Operation  string              `json:"operation"`
	Timestamp  string              `json:"timestamp"` // RFC 3339, UTC
	PolicyHash string              `json:"policy_hash"`
	Events     []ledger.GuardEvent `json:"events"`
}

// GuardEventsPage is one page of GET /api/v1/guard/events; Next is the
// cursor of the next page, "" on the last.
type GuardEventsPage struct {
	Events []GuardHit `json:"events"`
	Next   string     `json:"next"`
}
