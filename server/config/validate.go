package config

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ebios/ebios/server/ratelimit"
	"golang.org/x/mod/sumdb/note"
)

// Validate checks the values against each other and the file system and
// returns every problem found (nil if none), each naming the key and where
// its value came from. Warnings (Problem.Warning) do not make the
// configuration invalid: `ebios config check` prints them and exits 0 if
// there is no other problem. Validate reads files but never writes.
func (c *Config) Validate() Problems {
	v := &validator{c: c}
	v.server()
	v.monitoring()
	v.tls()
	v.auth()
	v.rateLimits()
	v.ledger()
	v.policies()
	return v.probs
}

// Check is Load followed by Validate: every problem of the configuration,
// as `ebios config check` shows them.
func Check(args []string, getenv func(string) string, readFile func(string) ([]byte, error)) (*Config, Problems) {
	c, err := Load(args, getenv, readFile)
	if err != nil {
		ps, ok := err.(Problems)
		if !ok {
			return c, Problems{{Message: err.Error()}}
		}
		return c, ps // values may be half-parsed: do not validate them
	}
	return c, c.Validate()
}

type validator struct {
	c     *Config
	probs Problems
}

func (v *validator) errorf(key, format string, args ...any) {
	v.probs = append(v.probs, Problem{Key: key, Source: v.c.sources[key], Message: fmt.Sprintf(format, args...)})
}

func (v *validator) warnf(key, format string, args ...any) {
	v.probs = append(v.probs, Problem{Key: key, Source: v.c.sources[key], Message: fmt.Sprintf(format, args...), Warning: true})
}

// backup checks the backup keys.
func (v *validator) backup() {
	b := v.c.Backup
	if b.Interval < 0 || (b.Interval > 0 && b.Interval < time.Minute) {
		v.errorf("server.backup_interval", "must be 0 (no schedule) or at least 1m, got %v", b.Interval)
	}
	if b.Keep < 0 {
		v.errorf("server.backup_keep", "must be 0 (keep all) or more, got %d", b.Keep)
	}
	if b.Dir == "" {
		if b.Interval > 0 {
			v.errorf("server.backup_dir", "must not be empty while backup_interval is set (%v); set backup_interval = 0 to turn backups off", b.Interval)
		}
		return
	}
	if fi, err := os.Stat(b.Dir); err == nil && !fi.IsDir() {
		v.errorf("server.backup_dir", "%s exists and is not a directory", b.Dir)
	}
	if b.Interval == 0 {
		v.warnf("server.backup_interval", "scheduled backups are off: nothing bounds what a lost disk loses (set an interval, or back up with `ebios backup` from cron)")
	}
}

// hostPort checks a listen address; it returns the host.
func (v *validator) hostPort(key, addr string) (string, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.errorf(key, "%q is not host:port (e.g. 127.0.0.1:8080 or :8080)", addr)
		return "", false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.errorf(key, "port %q is not a number from 0 to 65535", port)
		return "", false
	}
	return host, true
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func (v *validator) server() {
	c := v.c
	host, ok := v.hostPort("server.listen", c.Listen)
	if fi, err := os.Stat(c.DataDir); err == nil && !fi.IsDir() {
		v.errorf("server.data_dir", "%s exists and is not a directory", c.DataDir)
	}
	if c.RequestTimeout <= 0 || c.RequestTimeout > 10*time.Minute {
		v.errorf("server.request_timeout", "must be between 1s and 10m, got %v", c.RequestTimeout)
	}
	v.backup()
	if !ok {
		return
	}
	public := !isLoopback(host)
	switch {
	case c.Dev && public:
		v.warnf("server.dev", "development mode on a non-loopback address (%s); do not run dev mode in production", c.Listen)
	case !c.Dev && public && !c.TLS.Enabled() && len(c.TrustedProxies) == 0:
		v.warnf("server.listen", "plain HTTP on a non-loopback address (%s): passwords and tokens cross the network in clear; "+
			"configure [tls], or a TLS-terminating proxy in [api] trusted_proxies", c.Listen)
	}
}

func (v *validator) file(key, path, what string) {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		v.errorf(key, "cannot use %s %s: %v", what, path, unwrapPath(err))
	case fi.IsDir():
		v.errorf(key, "%s %s is a directory", what, path)
	default:
		f, err := os.Open(path) // #nosec G304 -- path is a file the operator's configuration names; config check only tries to open it
		if err != nil {
			v.errorf(key, "cannot read %s %s: %v", what, path, unwrapPath(err))
			return
		}
		f.Close() // #nosec G104 -- a file opened only to see that it can be: closing it loses nothing
	}
}

func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// secretFile checks a file that need not exist yet (it is made at first
// start), but if it exists must be a private regular file.
func (v *validator) secretFile(key, path string, minLen int) {
	fi, err := os.Stat(path)
	if err != nil {
		if !os.IsNotExist(err) {
			v.errorf(key, "cannot use %s: %v", path, unwrapPath(err))
		}
		return
	}
	if !fi.Mode().IsRegular() {
		v.errorf(key, "%s is not a regular file", path)
		return
	}
	if fi.Mode().Perm()&0o077 != 0 {
		v.warnf(key, "%s is readable by other users (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	if minLen > 0 {
		b, err := os.ReadFile(path) // #nosec G304 -- path is a secret file the operator's configuration names (auth.secret_file, tls.key_file)
		if err != nil {
			v.errorf(key, "cannot read %s: %v", path, unwrapPath(err))
		} else if n := len(strings.TrimSpace(string(b))); n < minLen {
			v.errorf(key, "%s holds %d bytes, at least %d are required; remove it to have a new one made", path, n, minLen)
		}
	}
}

func validHostname(s string) bool {
	if !strings.Contains(s, ".") {
		return false
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return false // ACME does not issue for IP addresses here
	}
	return validDNSName(s)
}

// validDNSName reports whether s is labels of letters, digits and inner
// hyphens, joined by dots.
func validDNSName(s string) bool {
	if len(s) == 0 || len(s) > 253 || strings.HasSuffix(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// ParseRedirectHost parses an entry of tls.redirect_hosts: a DNS name or an
// IP address, optionally with a port ("ebios.example.org:8443",
// "[2001:db8::1]:443"). It returns the host in lower case (an IPv6
// address without brackets) and the port, "" if none.
func ParseRedirectHost(s string) (host, port string, err error) {
	host = s
	if h, p, e := net.SplitHostPort(s); e == nil {
		host, port = h, p
		if n, e := strconv.Atoi(p); e != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("%q: port %q is not a number from 1 to 65535", s, p)
		}
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if a, e := netip.ParseAddr(host); e == nil {
		if a.Zone() != "" {
			return "", "", fmt.Errorf("%q: an address with a zone cannot be redirected to", s)
		}
		return a.String(), port, nil
	}
	if !validDNSName(host) {
		return "", "", fmt.Errorf("%q is not a host name, an IP address, or either with :port", s)
	}
	return host, port, nil
}

func (v *validator) tls() {
	t := v.c.TLS
	files := t.CertFile != "" || t.KeyFile != ""
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		v.errorf("tls.key_file", "cert_file is set (%s) but key_file is not; give both", v.c.sources["tls.cert_file"])
	case t.KeyFile != "" && t.CertFile == "":
		v.errorf("tls.cert_file", "key_file is set (%s) but cert_file is not; give both", v.c.sources["tls.key_file"])
	case files:
		v.file("tls.cert_file", t.CertFile, "certificate")
		v.file("tls.key_file", t.KeyFile, "key")
		v.secretFile("tls.key_file", t.KeyFile, 0)
	}
	if files && len(t.ACMEDomains) > 0 {
		v.errorf("tls.acme_domains", "both certificate files and ACME are configured; choose one")
	}
	for _, d := range t.ACMEDomains {
		if !validHostname(d) {
			v.errorf("tls.acme_domains", "%q is not a DNS name ACME can issue a certificate for", d)
		}
	}
	if t.ACMEEmail != "" && !strings.Contains(t.ACMEEmail, "@") {
		v.errorf("tls.acme_email", "%q is not an e-mail address", t.ACMEEmail)
	}
	v.acmeCA(t)
	if len(t.ACMEDomains) > 0 && t.ACMECacheDir == "" {
		v.errorf("tls.acme_cache_dir", "ACME needs a cache directory, or certificates are requested at every start")
	}
	for _, h := range t.RedirectHosts {
		if _, _, err := ParseRedirectHost(h); err != nil {
			v.errorf("tls.redirect_hosts", "%v", err)
		}
	}
	if t.RedirectHTTP != "" {
		if !t.Enabled() {
			v.errorf("tls.redirect_http", "redirect to HTTPS needs TLS: set cert_file and key_file, or acme_domains")
		}
		if _, ok := v.hostPort("tls.redirect_http", t.RedirectHTTP); ok && t.RedirectHTTP == v.c.Listen {
			v.errorf("tls.redirect_http", "is the same address as server.listen (%s)", v.c.Listen)
		}
	}
	if len(t.ACMEDomains) > 0 && t.RedirectHTTP == "" {
		if _, port, err := net.SplitHostPort(v.c.Listen); err == nil && port != "443" {
			v.warnf("tls.acme_domains", "ACME validates on port 443 (tls-alpn-01) or 80 (http-01): listen on :443 or set redirect_http = :80")
		}
	}
	if t.HSTS && (t.HSTSMaxAge <= 0 || t.HSTSMaxAge > 2*366*24*time.Hour) {
		v.errorf("tls.hsts_max_age", "must be between 1s and 732d, got %v", t.HSTSMaxAge)
	}
}

func (v *validator) auth() {
	a := v.c.Auth
	if a.AccessTTL < time.Minute || a.AccessTTL > 24*time.Hour {
		v.errorf("auth.access_ttl", "must be between 1m and 24h, got %v", a.AccessTTL)
	}
	if a.LoginFailures < 0 || a.LoginFailures > 1000 {
		v.errorf("auth.login_failures", "must be between 0 (no limit) and 1000, got %d", a.LoginFailures)
	}
	if a.LoginWindow < time.Minute || a.LoginWindow > 24*time.Hour {
		v.errorf("auth.login_window", "must be between 1m and 24h, got %v", a.LoginWindow)
	}
	if a.RefreshTTL <= a.AccessTTL || a.RefreshTTL > 90*24*time.Hour {
		v.errorf("auth.refresh_ttl", "must be longer than access_ttl (%v) and at most 90d, got %v", a.AccessTTL, a.RefreshTTL)
	}
	if a.SecretFile == "" {
		v.errorf("auth.secret_file", "must not be empty")
	} else {
		v.secretFile("auth.secret_file", a.SecretFile, 32)
	}
	if a.UsersDB == "" {
		v.errorf("auth.users_db", "must not be empty")
	} else if a.UsersDB == v.c.Ledger.DBPath {
		v.errorf("auth.users_db", "is the same file as ledger.db_path (%s); users live in a file of their own", a.UsersDB)
	}
}

func (v *validator) rateLimits() {
	r := v.c.RateLimit
	if r.MaxClients < 1 {
		v.errorf("api.rate_limit_max_clients", "must be at least 1, got %d", r.MaxClients)
	}
	if !r.Enabled && !v.c.Dev {
		v.warnf("api.rate_limit_enabled", "rate limiting is off: one client can exhaust the server")
	}
	heavy := r.Rules[ratelimit.ClassHeavy]
	for _, name := range ratelimit.CostNames {
		key := "api.rate_limit_cost_" + name
		switch n := r.Costs[name]; {
		case n < 1 || n > 1_000_000:
			v.errorf(key, "must be between 1 and 1000000 tokens, got %d", n)
		case n > heavy.Burst:
			v.warnf(key, "%d tokens is more than the burst of rate_limit_heavy (%d): the route takes the whole burst", n, heavy.Burst)
		}
	}
	if r.CostPerSecond < 0 || r.CostPerSecond > 1_000_000 {
		v.errorf("api.rate_limit_cost_per_second", "must be between 0 and 1000000, got %d", r.CostPerSecond)
	}
	if r.HeavyConcurrency < 0 {
		v.errorf("api.rate_limit_heavy_concurrency", "must not be negative, got %d", r.HeavyConcurrency)
	}
	for _, p := range r.Allowlist {
		if p.Bits() == 0 {
			v.warnf("api.rate_limit_allowlist", "%s allowlists every address: rate limiting is in effect off", p)
		}
	}
	for _, p := range v.c.TrustedProxies {
		if p.Bits() == 0 {
			v.errorf("api.trusted_proxies", "%s trusts every peer: any client could choose its address with X-Forwarded-For", p)
		}
	}
}

func (v *validator) ledger() {
	l := v.c.Ledger
	if l.Backend == "memory" && !v.c.Dev {
		v.warnf("ledger.backend", "the memory backend keeps nothing across restarts; use buntdb in production")
	}
	if l.Backend == "buntdb" && l.DBPath == "" {
		v.errorf("ledger.db_path", "must not be empty with the buntdb backend")
	}
	if l.KeyFile == "" {
		v.errorf("ledger.key_file", "must not be empty")
	} else {
		v.secretFile("ledger.key_file", l.KeyFile, 0)
	}
}

func (v *validator) policies() {
	seen := map[string]bool{}
	for _, k := range v.c.Policies.TrustedKeys {
		if _, err := note.NewVerifier(k); err != nil {
			v.errorf("policies.trusted_keys", "%q is not a note verifier key (name+hash+base64): %v", k, err)
		} else if seen[k] {
			v.warnf("policies.trusted_keys", "%q is listed twice", k)
		}
		seen[k] = true
	}
}

// acmeCA checks acme_directory_url and acme_ca_file: an https URL of an
// ACME directory, and a PEM file of CA certificates.
func (v *validator) acmeCA(t TLS) {
	if t.ACMEDirectoryURL != "" {
		if err := checkDirectoryURL(t.ACMEDirectoryURL); err != nil {
			v.errorf("tls.acme_directory_url", "%v", err)
		}
		if len(t.ACMEDomains) == 0 {
			v.warnf("tls.acme_directory_url", "is set but acme_domains is empty, so ACME is not used")
		}
	}
	if t.ACMECAFile != "" {
		if _, err := ReadCAFile(t.ACMECAFile); err != nil {
			v.errorf("tls.acme_ca_file", "%v", err)
		}
		if len(t.ACMEDomains) == 0 {
			v.warnf("tls.acme_ca_file", "is set but acme_domains is empty, so ACME is not used")
		}
	}
}

func checkDirectoryURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL: %v", s, err)
	case u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "":
		return fmt.Errorf("%q is not an https:// URL of an ACME directory (e.g. https://ca.example.org/acme/directory); ACME needs HTTPS", s)
	}
	return nil
}

// ReadCAFile returns the system's root certificates (none if the system
// has no pool) with the CA certificates of the PEM file at path added: the
// roots the ACME client trusts for the ACME server's own HTTPS
// (tls.acme_ca_file). It fails if the file cannot be read, holds no
// certificate, or holds one that does not parse.
func ReadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- path is the CA file the operator's configuration names (tls.acme_ca_file)
	if err != nil {
		return nil, fmt.Errorf("cannot read the CA file %s: %v", path, unwrapPath(err))
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	n := 0
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("the CA file %s holds a %q PEM block; want only CERTIFICATE blocks", path, b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("the CA file %s: certificate %d does not parse: %v", path, n+1, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, errors.New("the CA file " + path + " holds no PEM certificate (want -----BEGIN CERTIFICATE----- blocks)")
	}
	return pool, nil
}
