package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenType is the "typ" claim: an access token is never accepted where a
// refresh token is expected, nor the reverse.
type TokenType string

// Token types.
const (
	AccessToken  TokenType = "access"
	RefreshToken TokenType = "refresh"
)

// Claims are the JWT claims of eBIOS tokens: sub (user name), role, typ,
// jti, fid (the token family: one login and all the refreshes that follow
// it), gen (the user's generation when issued), iss, iat and exp.
type Claims struct {
	Role       Role      `json:"role"`
	Type       TokenType `json:"typ"`
	Family     string    `json:"fid"`
	Generation uint64    `json:"gen"`
	jwt.RegisteredClaims
}

// TokenPair is what login and refresh return. The JSON names follow OAuth 2
// (RFC 6749 §5.1).
type TokenPair struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	TokenType        string `json:"token_type"`         // always "Bearer"
	ExpiresIn        int64  `json:"expires_in"`         // access token lifetime, seconds
	RefreshExpiresIn int64  `json:"refresh_expires_in"` // refresh token lifetime, seconds
}

// MinSecretLen is the minimum length of the HMAC-SHA256 signing secret.
const MinSecretLen = 32

// signingMethod is the only algorithm issued and accepted. Parsing pins it:
// "none", RS256, ES256, HS384, ... are rejected before any key is used.
var signingMethod = jwt.SigningMethodHS256

// tokens issues and parses JWTs.
type tokens struct {
	secret     []byte
	issuer     string
	accessTTL  time.Duration
	refreshTTL time.Duration
	leeway     time.Duration
	now        func() time.Time
	parser     *jwt.Parser
}

func newTokens(secret []byte, issuer string, accessTTL, refreshTTL, leeway time.Duration, now func() time.Time) *tokens {
	t := &tokens{secret: secret, issuer: issuer, accessTTL: accessTTL, refreshTTL: refreshTTL, leeway: leeway, now: now}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{signingMethod.Alg()}),
		jwt.WithLeeway(leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(issuer),
		jwt.WithTimeFunc(now),
	)
	return t
}

// randomID returns 128 random bits in unpadded base64url.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand panics on failure since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (t *tokens) sign(u *User, typ TokenType, family string, now time.Time, ttl time.Duration) (string, error) {
	c := Claims{
		Role: u.Role, Type: typ, Family: family, Generation: u.Generation,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   u.Name,
			ID:        randomID(),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	return jwt.NewWithClaims(signingMethod, c).SignedString(t.secret)
}

// issue signs a new access + refresh pair for u in family.
func (t *tokens) issue(u *User, family string) (*TokenPair, error) {
	now := t.now()
	a, err := t.sign(u, AccessToken, family, now, t.accessTTL)
	if err != nil {
		return nil, err
	}
	r, err := t.sign(u, RefreshToken, family, now, t.refreshTTL)
	if err != nil {
		return nil, err
	}
	return &TokenPair{AccessToken: a, RefreshToken: r, TokenType: "Bearer",
		ExpiresIn: int64(t.accessTTL / time.Second), RefreshExpiresIn: int64(t.refreshTTL / time.Second)}, nil
}

// parse verifies s and returns its claims. want "" accepts either type.
// Errors are AUTH_002 (malformed), AUTH_003 (invalid), AUTH_004 (expired)
// or AUTH_006 (wrong type). Revocation is checked by the caller.
func (t *tokens) parse(s string, want TokenType) (*Claims, error) {
	var c Claims
	_, err := t.parser.ParseWithClaims(s, &c, func(tok *jwt.Token) (any, error) {
		if tok.Method != signingMethod { // belt and braces: WithValidMethods already checked
			return nil, fmt.Errorf("unexpected signing method %v", tok.Header["alg"])
		}
		return t.secret, nil
	})
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, newErr(CodeMalformedToken, "the token is malformed", err.Error(),
			"send the token exactly as the server issued it: Authorization: Bearer <access_token>")
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, newErr(CodeExpiredToken, "the token has expired", "",
			"get a new access token from /auth/refresh, or log in again")
	default:
		// Signature, algorithm, issuer, iat/nbf in the future, missing exp.
		return nil, newErr(CodeInvalidToken, "the token is not valid", err.Error(),
			"log in again to get a token signed by this server")
	}
	if c.Subject == "" || c.ID == "" || c.Family == "" || !c.Role.Valid() ||
		(c.Type != AccessToken && c.Type != RefreshToken) {
		return nil, newErr(CodeInvalidToken, "the token is not valid", "required claims are missing",
			"log in again to get a token signed by this server")
	}
	if want != "" && c.Type != want {
		return nil, newErr(CodeWrongTokenType, fmt.Sprintf("a %s token was given where an %s token is required", c.Type, want),
			"", map[TokenType]string{
				AccessToken:  "send the access_token in the Authorization header; the refresh_token is only for /auth/refresh",
				RefreshToken: "send the refresh_token to /auth/refresh, not the access_token",
			}[want])
	}
	return &c, nil
}

// GenerateSecret returns a new random signing secret: 32 random bytes as 64
// hex characters.
func GenerateSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return []byte(hex.EncodeToString(b))
}

// LoadOrCreateSecret reads the signing secret from path (surrounding white
// space removed). If the file does not exist it writes a new one made by
// [GenerateSecret] with mode 0600, so tokens survive restarts. A secret
// shorter than [MinSecretLen] bytes is refused.
func LoadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- path is the token secret in the operator's data directory (jwt.secret), never a request's input
	if errors.Is(err, fs.ErrNotExist) {
		s := GenerateSecret()
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- path is the token secret in the operator's data directory (jwt.secret), never a request's input
		if err != nil {
			return nil, newErr(CodeConfig, "cannot create the token secret file", err.Error(),
				"check that the data directory exists and is writable")
		}
		_, werr := f.Write(append(s, '\n'))
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, newErr(CodeConfig, "cannot write the token secret file", werr.Error(),
				"check free space and permissions of the data directory")
		}
		return s, nil
	}
	if err != nil {
		return nil, newErr(CodeConfig, "cannot read the token secret file", err.Error(),
			"check the file's permissions, or remove it to have a new secret made (all sessions end)")
	}
	s := []byte(strings.TrimSpace(string(b)))
	if len(s) < MinSecretLen {
		return nil, newErr(CodeConfig, "the token secret is too short", fmt.Sprintf("%s has %d bytes, at least %d are required", path, len(s), MinSecretLen),
			"remove the file to have a new secret made, or write at least 32 random bytes into it")
	}
	return s, nil
}
