// Package keyfile reads and writes the log's Ed25519 signer key file and
// parses verifier keys given on the command line.
//
// A signer key file holds one line: the key in golang.org/x/mod/sumdb/note
// signer format (PRIVATE+KEY+name+hash+base64). It is written with mode 0600
// and refused when group or others may read it.
package keyfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

// CategoryKey is the error category of this package.
const CategoryKey nu.Category = "key"

// Error codes.
const (
	CodeMissing  = "KEY_001" // no key file, or it cannot be read
	CodeExposed  = "KEY_002" // the key file is readable by group or others
	CodeExists   = "KEY_003" // refusing to overwrite a key file
	CodeBadKey   = "KEY_004" // the file or argument is not a key
	CodeWriteKey = "KEY_005" // writing the key file failed
)

func keyErr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: CategoryKey, Message: msg, Details: details, Remediation: remedy}
}

// Generate makes a new key pair named name (the log origin, e.g.
// "example.com/ebios"), writes the signer key to path with mode 0600 and
// returns the verifier key. It refuses to overwrite an existing file unless
// force is set, so a log's key is never lost by accident.
func Generate(rand io.Reader, path, name string, force bool) (vkey string, err error) {
	skey, vkey, err := ledger.GenerateKey(rand, name)
	if err != nil {
		return "", err
	}
	// A missing directory is made, private, as DevSigner does: "ebios key
	// generate --out data/ledger.key" before the first start must work.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", keyErr(CodeWriteKey, "cannot create the directory of key file "+path, err.Error(), "check the path and its permissions")
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600) // #nosec G304 -- path is the operator's --out (ebios key generate) or the key of the data directory
	if err != nil {
		if os.IsExist(err) {
			return "", keyErr(CodeExists, "key file "+path+" already exists", "",
				"a log's entries can only be verified with the key that signed them: keep that file; use --force only if you mean to replace it")
		}
		return "", keyErr(CodeWriteKey, "cannot create key file "+path, err.Error(), "check the directory exists and is writable")
	}
	_, err = f.WriteString(skey + "\n")
	if err == nil {
		err = f.Chmod(0o600) // also when --force reused an existing file
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // #nosec G104 -- removes the half-written key file; the write's error is the one reported
		return "", keyErr(CodeWriteKey, "cannot write key file "+path, err.Error(), "check free space and permissions")
	}
	return vkey, nil
}

// LoadSigner reads a signer key file written by [Generate].
func LoadSigner(path string) (*ledger.Signer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, keyErr(CodeMissing, "cannot read key file "+path, err.Error(),
			"create one with `ebios key generate --out "+path+"`")
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, keyErr(CodeExposed, fmt.Sprintf("key file %s is readable by others (mode %04o)", path, fi.Mode().Perm()), "",
			"restrict it: chmod 600 "+path)
	}
	b, err := os.ReadFile(path) // #nosec G304 -- path is the operator's key file (--key or the data directory's ledger.key)
	if err != nil {
		return nil, keyErr(CodeMissing, "cannot read key file "+path, err.Error(), "check its permissions")
	}
	s, err := ledger.ParseSignerKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, keyErr(CodeBadKey, path+" does not hold a signer key", "",
			"give the file written by `ebios key generate` (one line PRIVATE+KEY+...)")
	}
	return s, nil
}

// ParseVerifier reads a verifier key given as the key itself
// (name+hash+base64) or as the path of a file holding it.
func ParseVerifier(arg string) (*ledger.Verifier, error) {
	if v, err := ledger.ParseVerifierKey(strings.TrimSpace(arg)); err == nil {
		return v, nil
	}
	b, err := os.ReadFile(arg) // #nosec G304 -- arg is the operator's --key flag of a verifying command (a key, or a file holding it), or a configured trusted key
	if err != nil {
		return nil, keyErr(CodeBadKey, "not a verifier key and not a readable file: "+truncate(arg, 60), "",
			"give the verifier key printed by `ebios key generate` (name+hash+base64), or a file holding it")
	}
	v, err := ledger.ParseVerifierKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, keyErr(CodeBadKey, arg+" does not hold a verifier key", "",
			"give the verifier key printed by `ebios key generate` (name+hash+base64)")
	}
	return v, nil
}

// DevSigner returns the signer key at path, creating it (mode 0600, named
// "ebios.dev/log") when it does not exist yet, as `ebios serve --dev` does.
// It says so on w, since a key made this way is only as safe as the
// directory it lives in.
func DevSigner(rand io.Reader, path string, w io.Writer) (*ledger.Signer, error) {
	if _, err := os.Stat(path); os.IsNotExist(err) {
		dir := filepath.Dir(path)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, keyErr(CodeWriteKey, "cannot create directory "+dir, err.Error(), "check permissions")
		}
		vkey, err := Generate(rand, path, "ebios.dev/log", false)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "--dev: created a development ledger key %s\n       verifier key (pin it to audit this log): %s\n       (for production, create a key with `ebios key generate` and keep a backup)\n", path, vkey)
	}
	return LoadSigner(path)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
