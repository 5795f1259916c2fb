package edge

import (
	"errors"
	"net/http"
	"strings"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
)

// CategoryAPI is the category of request errors found here: the same as
// `ebios serve`'s (server/api), with the same codes.
const CategoryAPI nu.Category = "api"

// Error codes of the API layer: mirrors of server/api's (which owns them),
// unexported so that each code has one exported constant. The codes of
// operations are server/operation's.
const (
	codeTooLarge    = "API_004" // request body over the limit
	codeBadJSON     = "API_005" // malformed JSON, unknown field, wrong type, trailing data
	codeBadBatch    = "API_006" // empty or oversized batch
	codeNotFound    = "API_007" // no such route or resource
	codeBadParam    = "API_008" // bad query or path parameter
	codeUnavailable = "API_010" // the ledger cannot take writes
	codeInternal    = "API_011" // an unexpected error
)

func apiErr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: CategoryAPI, Message: msg, Details: details, Remediation: remedy}
}

// status maps an error code to its HTTP status, as server/api does.
func status(e *nu.Error) int {
	c := e.Code
	switch {
	case strings.HasPrefix(c, "AUTH_"):
		return auth.HTTPStatus(c)
	case c == codeTooLarge:
		return http.StatusRequestEntityTooLarge
	case c == codeNotFound || c == ledger.CodeNotFound:
		return http.StatusNotFound
	case c == codeUnavailable || c == ledger.CodeStore:
		return http.StatusServiceUnavailable
	case c == ledger.CodeOpID:
		return http.StatusConflict
	case e.Category == nu.CategoryOperation:
		return http.StatusUnprocessableEntity
	case strings.HasPrefix(c, "NUCORE_") || strings.HasPrefix(c, "API_") || strings.HasPrefix(c, "GUM_") ||
		strings.HasPrefix(c, "COVER_") || strings.HasPrefix(c, "MC_") || strings.HasPrefix(c, "ANALYSIS_") ||
		c == ledger.CodeInvalidEntry || c == ledger.CodeQuery:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// writeError writes err in the shared JSON error shape with its status;
// an error that is not a structured one is an internal error.
func writeError(w http.ResponseWriter, err error) {
	e, ok := nu.AsError(err)
	if !ok {
		e = apiErr(codeInternal, "internal error", err.Error(), "try again later")
	}
	auth.WriteError(w, status(e), e)
}

// Unavailable returns the API's error for a store of the Worker that failed
// (API_010, 503).
func Unavailable(msg, details, remedy string) error {
	return apiErr(codeUnavailable, msg, details, remedy)
}

// WriteError writes err as the API does: the shared JSON error shape, with
// the status of its code.
func WriteError(w http.ResponseWriter, err error) { writeError(w, err) }

// isConflict reports whether err is a commit refused because another
// sequencer committed first.
func isConflict(err error) bool { return errors.Is(err, ledger.ErrConflict) }
