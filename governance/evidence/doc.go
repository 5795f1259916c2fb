// Package evidence builds the eBIOS certification evidence bundle that
// `make certify` writes, and keeps its checked-in sources true.
//
// The sources are Markdown files of governance/, written by people and
// read by this package:
//
//   - requirements.md: the requirements, taken from the success criteria of
//     the seed roadmaps (and a few derived safety requirements), each with
//     an id, a status, and its design (documentation sections), code
//     (package.Name), tests (package.TestName) and proofs (theorems of
//     proofs/theorems.txt), or a plain reason why it has none;
//   - fmea.md: the failure modes and effects analysis of the computation and
//     the ledger, each failure mode with severity, occurrence, detection,
//     its mitigation and the tests that show it;
//   - safety-case.md: the safety case, a GSN-style argument whose solutions
//     point at files of the bundle;
//   - compliance.md: the IEC 61508-3 and DO-178C checklist.
//
// [Check] reads them and checks every name they cite against the
// repository: Go functions, methods, types, constants and variables, test
// functions, theorems, and documentation headings (the anchors GitHub and
// the documentation site give them). TestGovernanceSources runs it on the
// repository, so a renamed test or function fails `go test`.
//
// [Build] writes the bundle: the sources, a generated traceability matrix,
// the test results and per-package coverage of a `go test -json
// -coverprofile` run, the proof manifest, the fuzz record, the benchmark
// figures, a README that indexes it, and its manifest.json, sealed with
// governance/certify (whose package documentation specifies the manifest
// and its Merkle root). docs/certification.md describes the bundle for its
// readers.
package evidence
