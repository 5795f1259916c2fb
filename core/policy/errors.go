package policy

import (
	"fmt"
	"strings"

	"github.com/ebios/ebios/core/nu"
)

// CategoryPolicy is the error category of every error this package returns.
// Errors are *[nu.Error] values, so the API, the CLI and the browser render
// policy errors in the same JSON shape as value and ledger errors.
const CategoryPolicy nu.Category = "policy"

// Error codes. Codes are stable: clients and scripts match on them with
// errors.Is(err, &nu.Error{Code: policy.CodeUnsigned}).
const (
	CodeSyntax       = "POLICY_001" // the document is not valid JSON, too large, too deep, or has duplicate keys
	CodeInvalid      = "POLICY_002" // the document breaks a validation rule (see Validate)
	CodeUnsigned     = "POLICY_003" // the document carries no signature or no public key
	CodeBadSignature = "POLICY_004" // the signature does not verify: the config was changed after signing
	CodeUntrusted    = "POLICY_005" // the signing key is not one of the trusted policy keys
	CodeBadKey       = "POLICY_006" // the public key or signer key cannot be parsed
	CodeHashMismatch = "POLICY_007" // policy_hash differs from the hash of the signed config
)

func newErr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: CategoryPolicy, Message: msg, Details: details, Remediation: remedy}
}

func errSyntax(format string, args ...any) *nu.Error {
	return newErr(CodeSyntax, "malformed policy document: "+fmt.Sprintf(format, args...), "",
		"a policy is one JSON object (at most 64 KiB, valid UTF-8 without lone surrogate escapes, no duplicate keys) with the fields config, signature, public_key and policy_hash")
}

func errInvalid(issues []Issue) *nu.Error {
	var errs []string
	for _, is := range issues {
		if is.Severity == SeverityError {
			errs = append(errs, is.String())
		}
	}
	msg := "invalid policy"
	if len(errs) > 0 {
		msg += ": " + strings.TrimPrefix(errs[0], "error ")
	}
	return newErr(CodeInvalid, msg, strings.Join(errs, "\n"),
		"run `ebios policy validate FILE` to list every problem with its path, fix them, and sign again")
}

func errUnsigned(what string) *nu.Error {
	return newErr(CodeUnsigned, "policy is not signed: "+what, "",
		"sign the policy with a trusted key: ebios policy sign TEMPLATE --key SIGNER.key --out POLICY.json")
}

func errBadSignature(details string) *nu.Error {
	return newErr(CodeBadSignature, "policy signature does not verify", details,
		"the config was changed after it was signed, or the signature was damaged; sign the intended config again")
}

func errUntrusted(key, details string) *nu.Error {
	return newErr(CodeUntrusted, "policy is signed by an untrusted key", "public_key "+key+details,
		"sign the policy with one of the keys in policies.trusted_keys, or add this key there if it is meant to be trusted")
}

func errBadKey(what string, err error) *nu.Error {
	d := ""
	if err != nil {
		d = err.Error()
	}
	return newErr(CodeBadKey, "cannot parse "+what, d,
		"give keys in golang.org/x/mod/sumdb/note format (name+hash+base64); generate a pair with `ebios key generate`")
}

func errHashMismatch(got, want string) *nu.Error {
	return newErr(CodeHashMismatch, "policy_hash does not match the signed config",
		"document says "+got+", the config hashes to "+want,
		"policy_hash is derived from the config; re-create the document with `ebios policy sign` instead of editing it")
}
