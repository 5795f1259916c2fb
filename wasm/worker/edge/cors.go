package edge

import (
	"net/http"

	"github.com/rs/cors"
)

// WithCORS lets pages of origins call the Worker from a browser, as
// `ebios serve` does ([api] cors_origins, server/serve): none when origins
// is empty (no CORS header is ever sent), preflights answered before
// authentication, credentials never allowed (the API takes a bearer token,
// not cookies). The Worker has no rate limits, so it exposes no
// X-RateLimit headers.
func WithCORS(origins []string, h http.Handler) http.Handler {
	if len(origins) == 0 {
		return h
	}
	return cors.New(cors.Options{
		AllowedOrigins:   origins,
		AllowedMethods:   []string{http.MethodGet, http.MethodHead, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "If-None-Match"},
		ExposedHeaders:   []string{"Retry-After", "Content-Disposition"},
		AllowCredentials: false,
		MaxAge:           600,
	}).Handler(h)
}
