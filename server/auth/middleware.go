package auth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal that [Service.Authenticate] put in
// ctx, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// maxTokenLen bounds the bearer token read from a request.
const maxTokenLen = 4096

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header: AUTH_001 if there is no Authorization header, AUTH_002 if it is
// not a single bearer token of JWT characters.
func BearerToken(r *http.Request) (string, error) {
	hs := r.Header.Values("Authorization")
	if len(hs) == 0 || hs[0] == "" {
		return "", newErr(CodeMissingToken, "authentication required", "",
			"log in at /auth/login and send Authorization: Bearer <access_token>")
	}
	bad := func(d string) error {
		return newErr(CodeMalformedToken, "malformed Authorization header", d,
			"send exactly one header of the form Authorization: Bearer <access_token>")
	}
	if len(hs) > 1 {
		return "", bad("more than one Authorization header")
	}
	scheme, tok, ok := strings.Cut(hs[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", bad("the scheme is not Bearer")
	}
	if tok == "" || len(tok) > maxTokenLen {
		return "", bad(fmt.Sprintf("the token must have 1 to %d characters", maxTokenLen))
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "", bad("the token has characters a JWT cannot have")
		}
	}
	return tok, nil
}

// Authenticate is middleware that requires a valid access token: it puts
// the [Principal] in the request context for next, or answers 401 with the
// structured error (AUTH_001 missing, AUTH_002 malformed, AUTH_003 invalid,
// AUTH_004 expired, AUTH_005 revoked, AUTH_006 refresh token used as access
// token, AUTH_009 disabled).
func (s *Service) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := BearerToken(r)
		if err != nil {
			WriteError(w, 0, s.fail(err))
			return
		}
		p, err := s.CheckAccess(r.Context(), tok)
		if err != nil {
			WriteError(w, 0, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// Require is middleware that lets a request through only if its principal
// (set by Authenticate, which must run first) has perm: 401 AUTH_001
// without a principal, 403 AUTH_007 when the role lacks the permission.
func (s *Service) Require(perm Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := PrincipalFrom(r.Context())
		if p == nil {
			WriteError(w, 0, s.fail(newErr(CodeMissingToken, "authentication required", "",
				"log in at /auth/login and send Authorization: Bearer <access_token>")))
			return
		}
		if !Allowed(p.Role, perm) {
			WriteError(w, 0, s.fail(newErr(CodeForbidden, "permission denied",
				fmt.Sprintf("role %s lacks permission %s", p.Role, perm),
				"ask an administrator for a role that has this permission")))
			return
		}
		next.ServeHTTP(w, r)
	})
}
