package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id parameters. They are stored in every hash, so changing
// them affects only new hashes; old ones keep verifying.
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32 // passes over memory (argon2 "t")
	Parallelism uint8  // lanes (argon2 "p")
	SaltLen     uint32 // bytes
	KeyLen      uint32 // bytes
}

// DefaultParams follow the second recommended option of RFC 9106 §4
// (argon2id, m = 64 MiB, t = 3, p = 4), with a 128-bit salt and a 256-bit
// tag. One hash takes about a tenth of a second on a current core and holds
// 64 MiB while it runs; [Hasher] bounds how many run at once.
var DefaultParams = Params{Memory: 64 * 1024, Iterations: 3, Parallelism: 4, SaltLen: 16, KeyLen: 32}

// Limits on parameters read back from a stored hash, so a damaged or hostile
// user store cannot make verification allocate unbounded memory or time.
const (
	maxMemory     = 1 << 20 // KiB (1 GiB)
	maxIterations = 64
	maxKeyLen     = 128
	maxSaltLen    = 128
)

// Password policy.
const (
	MinPasswordLen = 12   // characters (Unicode code points), from the seed
	MaxPasswordLen = 1024 // bytes; longer inputs are refused before hashing
)

// Placeholders are the passphrases that eBIOS's own instructions show as
// examples to replace (the setup hint the server prints has
// "A LONG PASSPHRASE"). They pass the length rule, so a command pasted
// unedited would otherwise set one as a real password. They are compared
// after [normalizePlaceholder]: case-insensitively, with the white space
// around and inside them trimmed and collapsed.
var Placeholders = []string{
	"a long passphrase",
	"a long password",
	"your passphrase here",
	"your password here",
	"<a long passphrase>",
	"<passphrase>",
}

// normalizePlaceholder lower-cases pw and trims and collapses its white
// space, for comparing with [Placeholders].
func normalizePlaceholder(pw string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(pw), unicode.IsSpace), " ")
}

// isPlaceholder reports whether pw is one of [Placeholders].
func isPlaceholder(pw string) bool {
	n := normalizePlaceholder(pw)
	for _, p := range Placeholders {
		if n == normalizePlaceholder(p) {
			return true
		}
	}
	return false
}

// CheckPasswordPolicy returns an AUTH_011 error unless pw is valid UTF-8 of
// at least [MinPasswordLen] characters and at most [MaxPasswordLen] bytes,
// not one character repeated, and not one of the [Placeholders] of the
// instructions. Every way of setting a password (setup, adding a user,
// resetting a password, the CLI) goes through it.
func CheckPasswordPolicy(pw string) error {
	remedy := fmt.Sprintf("choose a password of at least %d characters; a passphrase of several words is easiest", MinPasswordLen)
	if !utf8.ValidString(pw) {
		return newErr(CodeWeakPassword, "the password is not valid UTF-8", "", remedy)
	}
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return newErr(CodeWeakPassword, fmt.Sprintf("the password is too short: at least %d characters are required", MinPasswordLen),
			fmt.Sprintf("got %d characters", n), remedy)
	}
	if len(pw) > MaxPasswordLen {
		return newErr(CodeWeakPassword, fmt.Sprintf("the password is too long: at most %d bytes are allowed", MaxPasswordLen),
			fmt.Sprintf("got %d bytes", len(pw)), remedy)
	}
	first, _ := utf8.DecodeRuneInString(pw)
	if strings.Count(pw, string(first)) == n {
		return newErr(CodeWeakPassword, "the password is one character repeated", "", remedy)
	}
	if isPlaceholder(pw) {
		return newErr(CodeWeakPassword, "the password is a placeholder from the instructions",
			"it is one of the example passphrases eBIOS prints or documents (such as \"A LONG PASSPHRASE\"), which anyone can guess",
			"replace the placeholder with a passphrase of your own of at least 12 characters")
	}
	return nil
}

// Hasher hashes and verifies passwords with argon2id. At most a fixed number
// of hashes run at once (each holds Params.Memory), so a burst of logins
// cannot exhaust memory; the rest wait or give up with their context.
type Hasher struct {
	params Params
	sem    chan struct{}
	runs   atomic.Int64 // argon2 computations run by Hash and Verify (tests count them)
}

// NewHasher returns a Hasher for p that runs at most concurrency hashes at
// once (0 means GOMAXPROCS). Tests may pass cheap parameters.
func NewHasher(p Params, concurrency int) *Hasher {
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	return &Hasher{params: p, sem: make(chan struct{}, concurrency)}
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

// Hash returns the PHC-style encoding of the argon2id hash of pw under a
// fresh random salt:
//
//	$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>
//
// with salt and hash in unpadded standard base64, as the reference
// implementation writes them. It does not check the password policy.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	p := h.params
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
	h.release()
	h.runs.Add(1)
	return encodeHash(p, salt, key), nil
}

// Verify reports whether pw matches the encoded hash, comparing in constant
// time. A malformed encoding or parameters out of bounds give an error.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Iterations, p.Memory, p.Parallelism, uint32(len(key))) // #nosec G115 -- decodeHash bounds the key to maxKeyLen bytes
	h.release()
	h.runs.Add(1)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// dummyHash returns a well-formed hash with the hasher's parameters, a
// random salt and a random tag: no password matches it (a match would
// need a 256-bit tag guessed), and verifying against it costs exactly what
// verifying against a real hash of these parameters costs. Login verifies
// against it when the user does not exist.
func (h *Hasher) dummyHash() string {
	p := h.params
	salt, key := make([]byte, p.SaltLen), make([]byte, p.KeyLen)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(key)
	return encodeHash(p, salt, key)
}

// NeedsRehash reports whether encoded was made with parameters other than
// the hasher's, so the caller may store a fresh hash after a good login.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return true
	}
	q := h.params
	return p.Memory != q.Memory || p.Iterations != q.Iterations || p.Parallelism != q.Parallelism ||
		uint32(len(salt)) != q.SaltLen || uint32(len(key)) != q.KeyLen // #nosec G115 -- decodeHash bounds the salt and key to maxSaltLen and maxKeyLen bytes
}

var b64 = base64.RawStdEncoding

func encodeHash(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errBadHash = errors.New("auth: malformed password hash")

func decodeHash(s string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, errBadHash
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, nil, nil, errBadHash
		}
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil {
			return p, nil, nil, errBadHash
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Iterations = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, errBadHash
			}
			p.Parallelism = uint8(n)
		default:
			return p, nil, nil, errBadHash
		}
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, errBadHash
	}
	if p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemory || p.Iterations < 1 || p.Iterations > maxIterations ||
		p.Parallelism < 1 || len(salt) < 8 || len(salt) > maxSaltLen || len(key) < 16 || len(key) > maxKeyLen {
		return p, nil, nil, errBadHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key)) // #nosec G115 -- range checked above: len(salt) <= maxSaltLen, len(key) <= maxKeyLen
	return p, salt, key, nil
}
