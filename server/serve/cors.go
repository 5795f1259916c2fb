package serve

import (
	"net/http"

	"github.com/rs/cors"
)

// withCORS lets pages of the configured origins ([api] cors_origins) call
// the API from a browser: a static copy of the browser app (`ebios static
// --api URL`) or a site embedding eBIOS, on another origin. With no origin
// configured it returns h unchanged: no CORS header is ever sent.
//
// Preflight requests (OPTIONS with Access-Control-Request-Method) are
// answered here, before authentication and rate limits. The API
// authenticates with a bearer token in the Authorization header, never
// with cookies, so credentials are not allowed
// (Access-Control-Allow-Credentials is not sent): a page sends its token
// explicitly, and a browser's ambient credentials never reach the API
// from another origin.
func withCORS(origins []string, h http.Handler) http.Handler {
	if len(origins) == 0 {
		return h
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPatch, http.MethodDelete},
		AllowedHeaders: []string{"Authorization", "Content-Type", "If-None-Match"},
		// What a page may read of an answer beyond the safelisted headers.
		ExposedHeaders: []string{"X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
			"X-RateLimit-Cost", "Retry-After", "Location", "ETag"},
		AllowCredentials: false,
		MaxAge:           600,
	}).Handler(h)
}
