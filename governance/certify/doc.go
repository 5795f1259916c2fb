// Package certify seals and checks the eBIOS evidence bundle that
// `make certify` writes (the requirements and their traceability, test
// results and coverage, the proof manifest, the fuzz record, benchmark
// figures, the FMEA, the safety case and the compliance checklist; see
// docs/certification.md and package governance/evidence, which builds it):
// the bundle's manifest, its Merkle root, the signed ledger entry that
// attests the root, and `ebios certify verify`, which checks all of them.
//
// # Bundle and manifest
//
// An evidence bundle is a directory. Its manifest, manifest.json at the top
// of the directory, lists every other regular file under it, at any depth,
// with the SHA-256 of its bytes:
//
//	{
//	  "format": "ebios-evidence-manifest",
//	  "version": 1,
//	  "bundle": "ebios-evidence-1a2b3c4",
//	  "files": [{"path": "README.md", "sha256": "<64 hex>"}, ...],
//	  "root": "<64 hex>"
//	}
//
// Paths are relative to the bundle directory, separated by "/", and every
// element is a plain name (letters, digits, '.', '_', '+', '-', not starting
// with '.'); files are sorted by path; hex is lower case; the bundle name
// (letters, digits, '.', '_', '+', '-') is the name `make certify` gave the
// directory, with the version in it. [Manifest.Marshal] writes the members
// in this order with two-space indentation and a trailing newline, so the
// same bundle always gives the same bytes. [Parse] reads it strictly
// (core/strictjson): every member once, exact names, no unknown members.
// Nothing else may be in the directory: a file that is not listed is
// reported as extra, a symbolic link or other special file as special.
//
// # Merkle root
//
// The root is computed the way proofs/attest computes the root of the proof
// manifest, with [attest.MerkleRoot]. Each item is one record, a line of
// ASCII text ending in "\n", fields separated by one space:
//
//	bundle <name>\n
//	file <path> <sha256 hex>\n          one per file
//
// The records are sorted by their bytes and become, in that order, the
// leaves of an RFC 6962 Merkle tree (leaf hash SHA-256(0x00 ‖ record),
// interior hash SHA-256(0x01 ‖ left ‖ right)). So the root binds the name
// and every file's path and content; `sha256sum` of a file gives the hash
// its record holds.
//
// # Attestation entry
//
// [Attestation] returns the ledger draft that attests a manifest, the way
// `ebios proofs attest` attests the proof manifest: operation
// "certify.attest", no mode, no inputs, no output, coverage 0, invariant
// ok, and the expression (the only free-text field of an entry)
//
//	evidence-manifest-root:<root hex> bundle:<name> files:<n>
//
// [VerifyAttestation] requires exactly this string, recomputed from the
// manifest. [Verify] checks the files against the manifest and, given an
// exported ledger bundle and the verifier key the auditor pins, verifies
// the ledger bundle and looks in it for such an entry, as `ebios proofs
// verify` does ([attest.VerifyBundleScan], [attest.ScanAttestations]).
//
// # Errors
//
// Errors are *nu.Error values with category "certify" and codes
// CERTIFY_001 ... ([CodeManifest] ...), in the JSON shape the rest of
// eBIOS uses.
package certify
