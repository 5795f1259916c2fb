// Package attest ties the Coq proofs in proofs/ to the eBIOS ledger: it
// builds and checks proofs/manifest.json (the SHA-256 of every proof file,
// the theorem list, the toolchain and a Merkle root over all of them), makes
// the signed ledger entry that attests a manifest, and verifies files,
// manifest and attestation together for `ebios proofs verify`.
//
// # Files
//
// The manifest covers every file that `make -C proofs check` and
// `make -C proofs test` read, the same set check_test.sh copies:
//
//   - every *.v file and every *.sh file in the proofs directory
//     (check.sh, check_test.sh, install-deps.sh);
//   - _CoqProject, Makefile, theorems.txt and allowed-axioms.txt.
//
// Only the top level of the directory is read. Not covered: README.md
// (prose, checked by nobody), manifest.json itself, this package, and build
// output (*.vo, *.glob, Makefile.coq, .check/ ...), which is neither
// reproducible byte for byte nor a source. A file that matches the rule but
// is not in the manifest is reported as extra by [Check]. Hashes are over
// the raw bytes, so `sha256sum proofs/NUReal.v` gives the same value.
//
// # Manifest format, version 1
//
// manifest.json is the output of [Manifest.Marshal]: JSON with the members in
// this order, two-space indentation, and a trailing newline.
//
//	{
//	  "format": "ebios-proofs-manifest",
//	  "version": 1,
//	  "toolchain": {"coq": "8.16.1", "flocq": "4.1.0"},
//	  "files": [{"path": "Enclosure.v", "sha256": "<64 hex>"}, ...],
//	  "theorems": ["Enclosure.v:nu_add_encloses_sqrt2", ...],
//	  "root": "<64 hex>"
//	}
//
// files are sorted by path and theorems by their text; paths are plain file
// names (letters, digits, '.', '_', '-'; not starting with '.'), theorems are
// "File.v:name" exactly as in theorems.txt, and all hex is lower case. The
// toolchain is the Coq and Flocq versions the proofs are checked with
// ([CheckedWith]); TestToolchainInstalled compares it with the installed
// coqc and Flocq whenever they are present.
//
// [Parse] reads it strictly (core/strictjson): every member is required and
// appears once, names match exactly (case-sensitive), unknown members, null,
// invalid UTF-8 and lone surrogate escapes are refused, and nothing may follow
// the object.
//
// # Merkle root
//
// The root commits to every member except format, version and root itself.
// Each item of the manifest is one record, a line of ASCII text ending in
// "\n" (LF), with fields separated by one space:
//
//	file <path> <sha256 hex>\n          one per file
//	theorem <File.v>:<name>\n           one per theorem
//	toolchain coq <version>\n
//	toolchain flocq <version>\n
//
// The records are sorted by their bytes (bytes.Compare) and become the
// leaves, in that order, of an RFC 6962 Merkle tree: leaf hash
// SHA-256(0x00 ‖ record), interior hash SHA-256(0x01 ‖ left ‖ right), the
// largest power of two below n on the left (computed with
// golang.org/x/mod/sumdb/tlog: RecordHash, StoredHashes, TreeHash). An
// inclusion proof of one record can be made with tlog.ProveRecord over the
// same leaves ([Manifest.Records]). [Parse] rejects a manifest whose root is
// not the root of its records. [MerkleRoot] computes the root of any list of
// records; the evidence bundles of governance/certify (`make certify`) have
// their root computed by it too, over records of the same shape.
//
// # Attestation entry
//
// [Attestation] returns the ledger draft that attests a manifest: operation
// "proofs.attest", no mode, no inputs, no output, coverage 0, invariant ok,
// and the expression field (the only free-text field of an entry) set to
//
//	proofs-manifest-root:<root hex> files:<n> theorems:<n> coq:<version> flocq:<version>
//
// [VerifyAttestation] requires exactly this string, recomputed from the
// manifest, so an entry attests one manifest and nothing else. The root
// alone already binds everything; the counts and versions are there for
// people who read the ledger. docs/traceability.md describes it for users.
//
// # Errors
//
// Errors are *nu.Error values with category "proofs" and codes PROOFS_001...
// ([CodeManifest] ...), in the JSON shape the rest of eBIOS uses.
package attest
