package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ebios/ebios/core/nu"
)

// CategoryAuth is the error category of every error this package returns.
// Errors are *[nu.Error] values, so the API renders them in the same JSON
// shape as every other eBIOS error.
const CategoryAuth nu.Category = "auth"

// Error codes. Codes are stable: clients and scripts match on them with
// errors.Is(err, &nu.Error{Code: auth.CodeExpired}). [HTTPStatus] maps each
// code to its HTTP status.
//
//gosec:disable G101 -- error codes ("AUTH_001"), not credentials: gosec takes names such as CodeMissingToken for secrets
const (
	CodeMissingToken   = "AUTH_001" // no bearer token in the request
	CodeMalformedToken = "AUTH_002" // the Authorization header or the token cannot be parsed
	CodeInvalidToken   = "AUTH_003" // bad signature, wrong algorithm, wrong issuer or not yet valid
	CodeExpiredToken   = "AUTH_004" // the token has expired
	CodeRevokedToken   = "AUTH_005" // the token's family was revoked (logout, reuse, password reset, user removed)
	CodeWrongTokenType = "AUTH_006" // a refresh token used as an access token or the reverse
	CodeForbidden      = "AUTH_007" // the role lacks the permission
	CodeBadCredentials = "AUTH_008" // unknown user, wrong password, or a disabled user's login
	CodeDisabled       = "AUTH_009" // the user is disabled (a token of a disabled user; a login says AUTH_008)
	CodeRefreshReuse   = "AUTH_010" // a spent refresh token was presented again; its family is revoked
	CodeWeakPassword   = "AUTH_011" // the password breaks the password policy
	CodeSetupToken     = "AUTH_012" // the setup token is wrong, used or no longer needed
	CodeUserExists     = "AUTH_013" // a user with that name exists
	CodeUserNotFound   = "AUTH_014" // no user with that name
	CodeBadRole        = "AUTH_015" // unknown role name
	CodeBadUsername    = "AUTH_016" // the user name breaks the naming rule
	CodeStore          = "AUTH_017" // the user store failed
	CodeConfig         = "AUTH_018" // the auth service is misconfigured (secret, TTLs)
	CodeLastAdmin      = "AUTH_019" // the change would leave no enabled admin
	CodeLoginThrottled = "AUTH_020" // too many failed logins for this account name; wait (429, Retry-After)
)

// Reason labels auth failures for metrics (ebios_auth_failures_total{reason}).
// The set is fixed, so the label has bounded cardinality.
type Reason string

// Failure reasons passed to [Options.OnFailure].
const (
	ReasonMissing        Reason = "missing"
	ReasonMalformed      Reason = "malformed"
	ReasonInvalid        Reason = "invalid"
	ReasonExpired        Reason = "expired"
	ReasonRevoked        Reason = "revoked"
	ReasonWrongType      Reason = "wrong_type"
	ReasonForbidden      Reason = "forbidden"
	ReasonBadCredentials Reason = "bad_credentials"
	ReasonDisabled       Reason = "disabled"
	ReasonRefreshReuse   Reason = "refresh_reuse"
	ReasonSetupToken     Reason = "setup_token"
	ReasonThrottled      Reason = "throttled" // a login refused by the per-account limit
)

// Reasons lists every [Reason], for pre-initialising metric label values.
var Reasons = []Reason{ReasonMissing, ReasonMalformed, ReasonInvalid, ReasonExpired,
	ReasonRevoked, ReasonWrongType, ReasonForbidden, ReasonBadCredentials, ReasonDisabled,
	ReasonRefreshReuse, ReasonSetupToken, ReasonThrottled}

// reasonOf gives the metrics reason of an error code, or "" when the code is
// not an authentication failure (e.g. a store error).
func reasonOf(code string) Reason {
	switch code {
	case CodeMissingToken:
		return ReasonMissing
	case CodeMalformedToken:
		return ReasonMalformed
	case CodeInvalidToken:
		return ReasonInvalid
	case CodeExpiredToken:
		return ReasonExpired
	case CodeRevokedToken:
		return ReasonRevoked
	case CodeWrongTokenType:
		return ReasonWrongType
	case CodeForbidden:
		return ReasonForbidden
	case CodeBadCredentials:
		return ReasonBadCredentials
	case CodeDisabled:
		return ReasonDisabled
	case CodeRefreshReuse:
		return ReasonRefreshReuse
	case CodeSetupToken:
		return ReasonSetupToken
	case CodeLoginThrottled:
		return ReasonThrottled
	}
	return ""
}

// HTTPStatus is the HTTP status for an error code of this package: 401 for
// authentication failures, 403 for missing permissions, 400/404/409 for bad
// user-management requests, 429 for a login refused by the per-account
// limit and 500 for store or configuration failures.
func HTTPStatus(code string) int {
	switch code {
	case CodeMissingToken, CodeMalformedToken, CodeInvalidToken, CodeExpiredToken,
		CodeRevokedToken, CodeWrongTokenType, CodeBadCredentials, CodeDisabled,
		CodeRefreshReuse, CodeSetupToken:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeWeakPassword, CodeBadRole, CodeBadUsername:
		return http.StatusBadRequest
	case CodeUserExists, CodeLastAdmin:
		return http.StatusConflict
	case CodeLoginThrottled:
		return http.StatusTooManyRequests
	case CodeUserNotFound:
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

func newErr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: CategoryAuth, Message: msg, Details: details, Remediation: remedy}
}

func errStore(err error) *nu.Error {
	return newErr(CodeStore, "the user store failed", err.Error(),
		"check the data directory (disk space, permissions) and the server log")
}

func errUserNotFound(name string) *nu.Error {
	return newErr(CodeUserNotFound, "no such user", "user "+quote(name),
		"list the users with `ebios user list`")
}

func errUserExists(name string) *nu.Error {
	return newErr(CodeUserExists, "the user exists", "user "+quote(name),
		"choose another name, or change the existing user with set-role or reset-password")
}

func errBadCredentials() *nu.Error {
	return newErr(CodeBadCredentials, "invalid user name or password", "",
		"check the user name and password; an administrator can reset the password")
}

func errDisabled() *nu.Error {
	return newErr(CodeDisabled, "the user is disabled", "",
		"ask an administrator to enable the account")
}

func errLastAdmin(name, change string) *nu.Error {
	return newErr(CodeLastAdmin, "the last enabled admin cannot be disabled, demoted or deleted",
		fmt.Sprintf("user %s is the only enabled admin; %s would leave no one to manage users", quote(name), change),
		"make another user an admin (or enable a disabled admin) first, then change this one")
}

func errThrottled(r loginRule, retry time.Duration) *nu.Error {
	return newErr(CodeLoginThrottled, "too many failed logins for this account",
		fmt.Sprintf("at most %d failed logins per account in %v; retry in %d s", r.max, r.window, retrySeconds(retry)),
		"wait the number of seconds in the Retry-After header, then log in with the right password; "+
			"an administrator can reset the password")
}

// retrySeconds rounds d up to whole seconds, at least 1, for Retry-After.
func retrySeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// LoginError is the error of a refused login ([Service.Login]). What the
// client learns is Public, which Error and Unwrap return: AUTH_008 alike
// for an unknown user, a wrong password and a disabled account, or
// AUTH_020 when the account name is over the per-account limit of failed
// logins. Reason and Cause are the real reason, for the server's metrics
// and log only; RetryAfter is set with AUTH_020.
type LoginError struct {
	Public     *nu.Error
	Reason     Reason        // metrics label of the real reason
	Cause      string        // the real reason in words, for the log
	RetryAfter time.Duration // with AUTH_020: when a login may be tried again
}

func (e *LoginError) Error() string { return e.Public.Error() }
func (e *LoginError) Unwrap() error { return e.Public }

// RetryAfter returns how long the client should wait before trying again
// after err (a [LoginError] with AUTH_020), or 0.
func RetryAfter(err error) time.Duration {
	var le *LoginError
	if errors.As(err, &le) {
		return le.RetryAfter
	}
	return 0
}

// SetRetryAfter sets the Retry-After header (whole seconds, at least 1) when
// err says when to try again ([RetryAfter]).
func SetRetryAfter(h http.Header, err error) {
	if d := RetryAfter(err); d > 0 {
		h.Set("Retry-After", strconv.FormatInt(retrySeconds(d), 10))
	}
}

func errRevoked(details string) *nu.Error {
	return newErr(CodeRevokedToken, "the token was revoked", details, "log in again")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// errorBody is the JSON body of every error response:
// {"error": {"code":..,"category":..,"message":..,"details":..,"remediation":..}}.
type errorBody struct {
	Error *nu.Error `json:"error"`
}

// WriteError writes err as the structured JSON error body with status. A
// status of 0 means [HTTPStatus] of the code. An error that is not a
// *[nu.Error] is written as an opaque internal error, never with its text.
func WriteError(w http.ResponseWriter, status int, err error) {
	e, ok := nu.AsError(err)
	if !ok {
		e = newErr(CodeStore, "internal error", "", "try again later; the server log has the details")
	}
	if status == 0 {
		status = HTTPStatus(e.Code)
	}
	if status >= 500 { // never leak internals: the log has them
		c := *e
		c.Details = ""
		e = &c
	}
	h := w.Header()
	SetRetryAfter(h, err)
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="ebios", error="invalid_token"`)
		if e.Code == CodeMissingToken {
			h.Set("WWW-Authenticate", `Bearer realm="ebios"`)
		}
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Error: e})
}

// codeOf returns the code of err if it is a *nu.Error.
func codeOf(err error) string {
	var e *nu.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
