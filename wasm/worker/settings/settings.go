// Package settings reads the Worker's vars and secrets (what
// `wrangler secret put` and wrangler.toml's [vars] give it) and checks
// them, so that a misconfigured Worker answers every request with one
// structured error saying what to set, rather than failing half-way.
package settings

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/config"
)

// CodeConfig is the code of every error of this package: the Worker is
// misconfigured (HTTP 500 through the API's error mapping).
const CodeConfig = "WORKER_001"

// CategoryConfig is the category of those errors.
const CategoryConfig nu.Category = "config"

// Names of the vars and secrets.
//
//gosec:disable G101 -- the names of the Worker's variables (EBIOS_JWT_SECRET), not credentials
const (
	LedgerKey  = "EBIOS_LEDGER_KEY"  // secret: note signer key of the log (its name is the origin)
	JWTSecret  = "EBIOS_JWT_SECRET"  // secret: HMAC key of the tokens
	SetupToken = "EBIOS_SETUP_TOKEN" // secret, optional: makes the first admin
	Argon2     = "EBIOS_ARGON2"      // var, optional: "m=KiB,t=N,p=N" of new password hashes
	LogPublic  = "EBIOS_LOG_PUBLIC"  // var, optional: "true" serves checkpoint and tiles without a token
	Sequencer  = "EBIOS_SEQUENCER"   // set by entry.mjs in the Durable Object: this instance appends
	// CORSOrigins is `ebios serve`'s variable of [api] cors_origins, read
	// by server/config's rules: comma-separated web origins whose pages
	// may call the API; none by default; "*" refused.
	CORSOrigins = "EBIOS_API_CORS_ORIGINS"
)

// Settings are the Worker's checked settings.
type Settings struct {
	Signer     *ledger.Signer
	JWTSecret  []byte
	SetupToken string
	Argon2     auth.Params
	LogPublic  bool
	Sequencer  bool
	// CORSOrigins are the normalised origins of CORSOrigins.
	CORSOrigins []string
}

// Err returns the package's error.
func Err(msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: CodeConfig, Category: CategoryConfig, Message: msg, Details: details, Remediation: remedy}
}

// Load reads the settings through getenv.
func Load(getenv func(string) string) (*Settings, error) {
	skey := strings.TrimSpace(getenv(LedgerKey))
	if skey == "" {
		return nil, Err("the ledger signing key is not set", "secret "+LedgerKey+" is empty",
			"make a key with `ebios key generate` and set it with `wrangler secret put "+LedgerKey+"`")
	}
	signer, err := ledger.ParseSignerKey(skey)
	if err != nil {
		return nil, Err("the ledger signing key cannot be read", "secret "+LedgerKey+": "+err.Error(),
			"set it to a private key in note format (PRIVATE+KEY+name+hash+base64), as `ebios key generate` writes")
	}
	s := &Settings{Signer: signer, SetupToken: getenv(SetupToken), Argon2: auth.DefaultParams,
		LogPublic: getenv(LogPublic) == "true", Sequencer: getenv(Sequencer) == "1"}
	s.JWTSecret = []byte(getenv(JWTSecret))
	if len(s.JWTSecret) < auth.MinSecretLen {
		return nil, Err("the token secret is too short", fmt.Sprintf("secret %s has %d bytes, at least %d are needed", JWTSecret, len(s.JWTSecret), auth.MinSecretLen),
			"set it to a random string: `openssl rand -base64 48 | wrangler secret put "+JWTSecret+"`")
	}
	if s.CORSOrigins, err = corsOrigins(getenv(CORSOrigins)); err != nil {
		return nil, err
	}
	if v := getenv(Argon2); v != "" {
		if s.Argon2, err = parseArgon2(v); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// corsOrigins reads the origins as `ebios serve` reads its
// EBIOS_API_CORS_ORIGINS (server/config), from v alone.
func corsOrigins(v string) ([]string, error) {
	c, err := config.Load(nil, func(k string) string {
		if k == CORSOrigins {
			return v
		}
		return ""
	}, func(string) ([]byte, error) { return nil, fs.ErrNotExist })
	if err != nil {
		return nil, Err("bad CORS origins", err.Error(),
			"set var "+CORSOrigins+" to the comma-separated origins whose pages may call the API, such as https://app.example.org; leave it empty for none")
	}
	return c.CORSOrigins, nil
}

// parseArgon2 reads "m=KiB,t=N,p=N".
func parseArgon2(v string) (auth.Params, error) {
	p := auth.DefaultParams
	bad := func(why string) (auth.Params, error) {
		return p, Err("bad argon2id parameters", fmt.Sprintf("var %s = %q: %s", Argon2, v, why),
			`write "m=KiB,t=N,p=N", e.g. "m=19456,t=2,p=1" (memory 19 MiB, 2 passes, 1 lane; at least m=8192)`)
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || seen[k] {
			return bad("each of m, t, p once, as key=value")
		}
		seen[k] = true
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil || n == 0 {
			return bad(k + " must be a positive integer")
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Iterations = uint32(n)
		case "p":
			if n > 255 {
				return bad("p is at most 255")
			}
			p.Parallelism = uint8(n)
		default:
			return bad("unknown key " + strconv.Quote(k))
		}
	}
	if p.Memory < 8*uint32(p.Parallelism) || p.Memory > 1<<20 || p.Iterations > 64 {
		return bad("m from 8·p to 1048576 KiB, t at most 64")
	}
	return p, nil
}

// Auth returns the auth service over users with these settings. Each
// Go instance serves one request, so the per-account login throttle of
// `ebios serve` holds for one request only (docs/worker.md).
func (s *Settings) Auth(users auth.Store) (*auth.Service, error) {
	return auth.New(users, auth.Options{Secret: s.JWTSecret, Hasher: auth.NewHasher(s.Argon2, 1)})
}
