package ledger

import (
	"fmt"

	"github.com/ebios/ebios/core/nu"
)

// CategoryLedger is the error category of every error this package returns.
// Errors are *[nu.Error] values, so the API, the CLI and the browser render
// ledger errors in the same JSON shape as value errors.
const CategoryLedger nu.Category = "ledger"

// Error codes. Codes are stable: clients and scripts match on them with
// errors.Is(err, &nu.Error{Code: ledger.CodeSignature}).
const (
	CodeInvalidEntry  = "LEDGER_001" // an entry or draft breaks a field rule
	CodeMalformed     = "LEDGER_002" // canonical bytes or JSON of an entry cannot be decoded
	CodeBadKey        = "LEDGER_003" // a signer or verifier key cannot be parsed
	CodeSignature     = "LEDGER_004" // an entry signature does not verify
	CodeChain         = "LEDGER_005" // prev_hash does not match the previous entry
	CodeIndex         = "LEDGER_006" // entries out of order, missing or duplicated
	CodeOpID          = "LEDGER_007" // duplicate op id or parent op id not seen earlier
	CodeKeyMismatch   = "LEDGER_008" // entry key id or bundle key differs from the pinned key
	CodeCheckpoint    = "LEDGER_009" // a checkpoint cannot be parsed
	CodeCheckpointSig = "LEDGER_010" // a checkpoint is not validly signed by the pinned key
	CodeOrigin        = "LEDGER_011" // origin differs from the expected one
	CodeRoot          = "LEDGER_012" // Merkle root or tree size differs from the checkpoint
	CodeFork          = "LEDGER_013" // consistency proof fails: the log forked
	CodeRollback      = "LEDGER_014" // a checkpoint is older than one already seen
	CodeInclusion     = "LEDGER_015" // an inclusion proof fails
	CodeBundle        = "LEDGER_016" // a bundle is malformed or of an unknown version
	CodeNotFound      = "LEDGER_017" // index or op id not in the log
	CodeQuery         = "LEDGER_018" // bad query parameters or cursor
	CodeStore         = "LEDGER_019" // the hash store or entry source failed
)

func newErr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: CategoryLedger, Message: msg, Details: details, Remediation: remedy}
}

func errInvalid(format string, args ...any) *nu.Error {
	return newErr(CodeInvalidEntry, "invalid entry: "+fmt.Sprintf(format, args...), "",
		"fix the field named in the message before appending; entries are immutable once signed")
}

func errMalformed(format string, args ...any) *nu.Error {
	return newErr(CodeMalformed, "malformed entry: "+fmt.Sprintf(format, args...), "",
		"the entry bytes were damaged or produced by an incompatible writer; re-export the log from its source")
}

func errBadKey(what string, err error) *nu.Error {
	d := ""
	if err != nil {
		d = err.Error()
	}
	return newErr(CodeBadKey, "cannot parse "+what, d,
		"give the key in golang.org/x/mod/sumdb/note format (name+hash+base64); generate one with GenerateKey")
}

func errStore(op string, err error) *nu.Error {
	return newErr(CodeStore, "hash store failed during "+op, err.Error(),
		"check the storage backend; the log was not changed")
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
