package config

import (
	"fmt"
	"os"
	"strings"
)

// MinMetricsToken is the shortest metrics token accepted, in bytes.
const MinMetricsToken = 32

// makeTokenHint says how to make a metrics token file.
const makeTokenHint = "make one with: head -c 32 /dev/urandom | base64 > FILE && chmod 600 FILE"

// ReadMetricsToken reads the bearer token of metrics_token_file: one line
// of at least MinMetricsToken printable ASCII characters without spaces
// (surrounding white space, such as a final newline, is dropped), in a
// regular file that neither group nor others may read. Errors say what is
// wrong and how to fix it.
func ReadMetricsToken(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("cannot use the metrics token file %s: %v; %s", path, unwrapPath(err), makeTokenHint)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("the metrics token file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return "", fmt.Errorf("the metrics token file %s is readable by other users (mode %04o); chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path) // #nosec G304 -- path is the metrics token file the operator's configuration names (monitoring.metrics_token_file)
	if err != nil {
		return "", fmt.Errorf("cannot read the metrics token file %s: %v", path, unwrapPath(err))
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < MinMetricsToken {
		return "", fmt.Errorf("the metrics token in %s is %d bytes, at least %d are required; %s", path, len(tok), MinMetricsToken, makeTokenHint)
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] <= ' ' || tok[i] > '~' {
			return "", fmt.Errorf("the metrics token in %s holds a space, a control character or a non-ASCII byte at byte %d; it must be one line of printable ASCII (%s)", path, i, makeTokenHint)
		}
	}
	return tok, nil
}

func (v *validator) monitoring() {
	if p := v.c.MetricsTokenFile; p != "" {
		if _, err := ReadMetricsToken(p); err != nil {
			v.errorf("monitoring.metrics_token_file", "%v", err)
		}
	}
}
