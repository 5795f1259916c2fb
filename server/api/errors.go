package api

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/ledgerstore"
)

// CategoryAPI is the category of request errors found by this package.
const CategoryAPI nu.Category = "api"

// Error codes of the API layer; those of operations that cannot be
// computed (API_001 to API_003, API_014) are server/operation's. Codes of
// the algebra (NUCORE_*), the ledger (LEDGER_*) and auth (AUTH_*) pass
// through unchanged.
const (
	CodeTooLarge    = "API_004" // request body over the limit
	CodeBadJSON     = "API_005" // malformed JSON, unknown field, wrong type, trailing data
	CodeBadBatch    = "API_006" // empty or oversized batch
	CodeNotFound    = "API_007" // no such route or resource
	CodeBadParam    = "API_008" // bad query or path parameter
	CodeBusy        = "API_009" // a long-running job is already running
	CodeUnavailable = "API_010" // the ledger cannot take writes
	CodeInternal    = "API_011" // an unexpected error; the server log has it
	CodeJobState    = "API_012" // a verify job is running, or not in the state the request needs
	CodeIndexing    = "API_013" // the read index is still being built (503, Retry-After)
)

func apiErr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: CategoryAPI, Message: msg, Details: details, Remediation: remedy}
}

// status maps an error code to its HTTP status.
func status(e *nu.Error) int {
	c := e.Code
	switch {
	case strings.HasPrefix(c, "AUTH_"):
		return auth.HTTPStatus(c)
	case c == CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case c == CodeNotFound || c == ledger.CodeNotFound || c == "POLICY_010":
		return http.StatusNotFound
	case c == "POLICY_011" || c == "BACKUP_006": // BACKUP_006: a backup is running
		return http.StatusConflict
	case c == "POLICY_012":
		return http.StatusServiceUnavailable
	case strings.HasPrefix(c, "POLICY_"):
		return http.StatusBadRequest
	case c == CodeBusy:
		return http.StatusTooManyRequests
	case c == CodeJobState:
		return http.StatusConflict
	case c == CodeIndexing:
		return http.StatusServiceUnavailable
	case c == CodeUnavailable || c == ledgerstore.CodeClosed || c == ledgerstore.CodeIO || c == ledgerstore.CodeDamaged:
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

// writeError writes err in the shared JSON error shape with its status.
func writeError(w http.ResponseWriter, err error) {
	e, ok := nu.AsError(err)
	if !ok {
		slog.Error("internal error", "err", err)
		auth.WriteError(w, http.StatusInternalServerError, apiErr(CodeInternal, "internal error", "",
			"try again later; the server log has the details"))
		return
	}
	if e.Code == CodeIndexing {
		w.Header().Set("Retry-After", "2")
	}
	auth.WriteError(w, status(e), e)
}
