// Package policy implements eBIOS guard policies: signed documents of rules
// that every result is checked against ("policy is data, not code"), the
// guard events the rules raise, and the escalation decision ("failure is
// allowed, lying about failure is not"). docs/policies.md is the full
// specification with a worked example.
//
// # Document
//
// A policy document is a JSON object of at most [MaxDocumentSize] bytes:
//
//	{"config": {"version": "1.0.0", "name": "...", "description": "...",
//	            "rules": [...], "escalation": {"halt_on_critical": true, "auto_log": true},
//	            "metadata": {...}},
//	 "signature": "<base64 Ed25519 signature>",
//	 "public_key": "<note verifier key name+hash+base64>",
//	 "policy_hash": "<hex SHA-256>"}
//
// Only config is signed. Its canonical bytes are the RFC 8785 (JSON
// Canonicalization Scheme) form of config exactly as written ([Canonical]);
// policy_hash is SHA-256 of them ([Policy.Hash], the ledger's PolicyHash);
// the signature is Ed25519 over [SignaturePrefix] ‖ canonical bytes with a
// key in golang.org/x/mod/sumdb/note format ([ledger.Signer]).
//
// # Rules and events
//
// [InvariantRule] (always critical), [CoverageRule] (u/|n| > threshold),
// [ThresholdRule] (u > max_uncertainty) and [CompositeRule] (and/or over
// nested rules). [Config.Evaluate] takes a raw (n, u) pair, which may be
// invalid, and returns [ledger.GuardEvent] values; [Config.Decide] turns
// them into a [Decision] (halt or log only); [MaxLevel] and [Rank] order
// levels.
//
// # Life cycle
//
// A template ([LoadTemplate], [NewTemplate]) is signed ([Template.Sign],
// [SignTemplate], [Sign]); [Parse] accepts a signed document only when its
// key is trusted, its signature verifies and its config is valid, and
// refuses it otherwise with a structured *[nu.Error] of category "policy"
// ([CodeUnsigned], [CodeBadSignature], [CodeUntrusted], ...). [Validate]
// lists every error and warning with its path in the document. [Show] and
// [ShowTemplate] print a summary.
//
// The package does no I/O and builds for GOOS=js GOARCH=wasm.
package policy
