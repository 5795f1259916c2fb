// Package serve runs the eBIOS server: it loads the configuration, opens the
// ledger and the users store, wires authentication, rate limits, metrics and
// the API, listens on HTTP or HTTPS (certificate files or ACME), and on
// cancellation drains requests and flushes the ledger before it returns.
package serve

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/policy"
	"github.com/ebios/ebios/server/api"
	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/backup"
	"github.com/ebios/ebios/server/config"
	"github.com/ebios/ebios/server/filelock"
	"github.com/ebios/ebios/server/keyfile"
	"github.com/ebios/ebios/server/ledgerindex"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/metrics"
	"github.com/ebios/ebios/server/ratelimit"
)

// Options are the process's surroundings, so that Run can be tested.
type Options struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	ReadFile       func(string) ([]byte, error)
	// Version is reported by the health endpoints.
	Version string
	// App serves the browser dashboard at "/"; nil serves a short page.
	App http.Handler
	// Listening, if set, is called with the address once the server
	// accepts connections.
	Listening func(addr string)
}

// ShutdownTimeout bounds how long Run waits for requests in flight.
const ShutdownTimeout = 30 * time.Second

// Run serves until ctx is cancelled, then shuts down gracefully.
func Run(ctx context.Context, args []string, o Options) error {
	cfg, err := config.Load(args, o.Getenv, o.ReadFile)
	if err != nil {
		return err
	}
	logger := metrics.NewLogger(o.Stderr, cfg.LogLevel)
	var metricsToken string // read before anything is created, so that a bad file changes nothing
	if cfg.Metrics && cfg.MetricsTokenFile != "" {
		if metricsToken, err = config.ReadMetricsToken(cfg.MetricsTokenFile); err != nil {
			return err
		}
	}
	// Everything this process creates is its own (files 0600, directories
	// 0700), also what libraries create with 0666 less the umask (BuntDB
	// when it rewrites users.db); the stores set these modes themselves
	// as well. The umask is put back when Run returns.
	defer RestrictUmask()()
	notice := func(n string) {
		fmt.Fprintln(o.Stdout, "files:", n)
		logger.Warn(n)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating the data directory %s: %w", cfg.DataDir, err)
	}
	// The keys are created 0600; one found readable by others is made
	// private before it is read.
	for _, path := range []string{cfg.Ledger.KeyFile, cfg.Auth.SecretFile} {
		if n, _ := privateIfExists(path); n != "" {
			notice(n)
		}
	}
	signer, err := loadSigner(cfg, o.Stdout)
	if err != nil {
		return err
	}
	m := metrics.New()
	var fed atomic.Pointer[ledgerindex.Index] // the read index, fed after every commit
	st, err := openStores(ctx, cfg, signer, m, notice, func(size uint64, es []*ledger.Entry) {
		m.SetLedgerEntries(size)
		m.CheckpointSigned(time.Now())
		if x := fed.Load(); x != nil {
			x.Offer(size-uint64(len(es)), es)
		}
	})
	if err != nil {
		return err
	}
	store := st.log
	defer st.close()
	defer store.Close() // after the HTTP server has drained: queued appends are flushed
	for _, n := range st.notices {
		notice(n)
	}
	m.SetLedgerEntries(store.Len())
	index := ledgerindex.New(store)
	fed.Store(index)    // from now on, commits notify it
	defer index.Close() // before the store closes
	index.Notify()      // reads the log in the background; trace and guard events answer 503 until it is near the end
	go func() {
		select {
		case <-index.Built():
			st := index.Status()
			logger.Info("read index built", "entries", st.Indexed, "seconds", st.BuildTime.Seconds(), "memory", index.Memory())
		case <-ctx.Done():
		}
	}()

	users := st.users
	defer users.Close()
	secret, err := auth.LoadOrCreateSecret(cfg.Auth.SecretFile)
	if err != nil {
		return err
	}
	failures := cfg.Auth.LoginFailures
	if failures == 0 {
		failures = -1 // no per-account limit
	}
	as, err := auth.New(users, auth.Options{Secret: secret, AccessTTL: cfg.Auth.AccessTTL, RefreshTTL: cfg.Auth.RefreshTTL,
		LoginFailures: failures, LoginWindow: cfg.Auth.LoginWindow, OnFailure: m.AuthFailed, Shared: st.pg != nil})
	if err != nil {
		return err
	}
	st.watchAuth(ctx, as)
	var limit func(string, http.Handler) http.Handler
	clientAddr := func(r *http.Request) netip.Addr { // the address a request is limited under
		ap, _ := netip.ParseAddrPort(r.RemoteAddr)
		return ap.Addr().Unmap()
	}
	if cfg.RateLimit.Enabled {
		rc := cfg.RateLimiterConfig()
		rc.OnLimited = m.RateLimited
		if st.pg != nil {
			rc.Shared = st.rateUsage()
		}
		l, err := ratelimit.New(rc)
		if err != nil {
			return err
		}
		limit, clientAddr = l.Middleware, l.ClientAddr
		if rc.Shared != nil {
			go syncLimits(ctx, l, logger)
		}
	}
	trusted, err := policy.ParseTrustedKeys(cfg.Policies.TrustedKeys)
	if err != nil {
		return err
	}
	policies, notices, err := openPolicies(cfg, st, trusted)
	if err != nil {
		return err
	}
	defer policies.Close()
	for _, n := range notices {
		fmt.Fprintln(o.Stdout, "policies:", n)
		logger.Warn(n)
	}
	var backups api.Backups // online backups: the schedule and POST /api/v1/admin/backup
	var runner *backup.Runner
	if cfg.Backup.Dir != "" && st.bunt != nil { // on PostgreSQL, backups are the database's (pg_dump, PITR)
		src := backup.Source{Log: store, Users: st.users.(*auth.BuntStore), Policies: policies, KeyFile: cfg.Ledger.KeyFile}
		runner = backup.NewRunner(ctx, cfg.Backup.Dir, cfg.Backup.Keep, src, m, logger)
		backups = runner
		if cfg.Backup.Interval > 0 {
			go runner.Schedule(ctx, cfg.Backup.Interval)
		}
	}
	var metricsHandler http.Handler
	if cfg.Metrics {
		metricsHandler = m.Handler()
	}
	a := api.New(api.Config{Store: store, Index: index, Auth: as, Limit: limit, Logger: logger, Version: o.Version, App: o.App, Policies: policies, LogPublic: cfg.Ledger.LogPublic,
		Backups:        backups,
		MetricsHandler: metricsHandler, MetricsToken: metricsToken,
		OnVerify: func(scope string, ok bool) {
			if !ok {
				m.VerificationFailed(scope)
			}
		},
		OnOperation: func(op, mode string, ok bool) {
			m.Operation(op, mode)
			if !ok {
				m.InvariantFailure(op)
			}
		},
		Observe: func(h http.Handler) http.Handler {
			// The metrics middleware must see the mux's pattern, so it
			// wraps the mux directly; ids and logs go around it.
			return metrics.RequestID(metrics.AccessLog(logger, m.Middleware(h)))
		}})
	apiHandler := a.Handler()
	var fw *forwarder // on PostgreSQL: appends go to the holder of the sequencer lease
	if st.pg != nil {
		fw = &forwarder{next: apiHandler, seq: st.pg.Sequencer, key: forwardKey(secret), client: clientAddr, logger: logger}
		apiHandler = fw
	}
	handler := secure(withCORS(cfg.CORSOrigins, apiHandler), cfg.TLS, cfg.EmbedFrameAncestors)

	srv := &http.Server{Handler: handler, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: cfg.RequestTimeout, WriteTimeout: cfg.RequestTimeout + 5*time.Second,
		IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (set --listen to a free host:port)", cfg.Listen, err)
	}
	scheme := "http"
	var redirect *http.Server
	if cfg.TLS.Enabled() {
		scheme = "https"
		tcfg, challenge, err := tlsConfig(cfg)
		if err != nil {
			ln.Close() // #nosec G104 -- cleanup on an error path: the error returned is the one to report
			return err
		}
		srv.TLSConfig = tcfg
		ln = tls.NewListener(ln, tcfg)
		if cfg.TLS.RedirectHTTP != "" {
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			hosts, err := newRedirectHosts(cfg.TLS, tcfg, port)
			if err != nil {
				ln.Close() // #nosec G104 -- cleanup on an error path: the error returned is the one to report
				return err
			}
			redirect = &http.Server{Addr: cfg.TLS.RedirectHTTP, Handler: secure(challenge(redirectHandler(hosts)), config.TLS{}, ""),
				ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxHeaderBytes: 16 << 10,
				ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
			rl, err := net.Listen("tcp", cfg.TLS.RedirectHTTP)
			if err != nil {
				ln.Close() // #nosec G104 -- cleanup on an error path: the error returned is the one to report
				return fmt.Errorf("listening on %s for the HTTP redirect: %w", cfg.TLS.RedirectHTTP, err)
			}
			go redirect.Serve(rl)
		}
	}
	addr := ln.Addr().String()
	url := scheme + "://" + displayHost(addr)
	if fw != nil {
		own := advertised(cfg.AdvertiseURL, scheme, addr)
		fw.self.Store(&own)
		go st.pg.Lease(ctx, own)
	}
	fmt.Fprintf(o.Stdout, "eBIOS serving on %s  (ledger %s, %d entries, key %s)\n", url, store.Origin(), store.Len(), signer.Verifier())
	if err := announceSetup(ctx, as, cfg, url, o.Stdout); err != nil {
		ln.Close() // #nosec G104 -- cleanup on an error path: the error returned is the one to report
		return err
	}
	logger.Info("serving", "url", url, "ledger_entries", store.Len(), "origin", store.Origin())
	if o.Listening != nil {
		o.Listening(addr)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining requests")
	fmt.Fprintln(o.Stdout, "eBIOS shutting down: draining requests, then flushing the ledger")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if redirect != nil {
		if err := redirect.Shutdown(sctx); err != nil {
			logger.Warn("the HTTP redirect listener did not drain in time", "err", err)
		}
	}
	err = srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if runner != nil {
		runner.Wait() // a backup running now was cancelled with ctx: it removes what it wrote
	}
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	logger.Info("stopped", "ledger_entries", store.Len())
	fmt.Fprintf(o.Stdout, "eBIOS stopped: %d ledger entries on disk\n", store.Len())
	return err
}

// loadSigner reads the log's key. Without one the server refuses to start,
// except in dev mode, which creates it and says so.
func loadSigner(cfg *config.Config, stdout io.Writer) (*ledger.Signer, error) {
	path := cfg.Ledger.KeyFile
	if cfg.Dev {
		return keyfile.DevSigner(rand.Reader, path, stdout)
	}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return nil, &nu.Error{Code: keyfile.CodeMissing, Category: keyfile.CategoryKey,
			Message: "no ledger signing key at " + path,
			Remediation: "create one with `ebios key generate --out " + path + "` (and keep a backup), " +
				"point --ledger-key at yours, or start with --dev to have a development key made"}
	}
	return keyfile.LoadSigner(path)
}

// OpenUsers opens the users store of cfg, locked against other processes.
// The file holds password hashes: it is created with mode 0600, and made
// private if it is readable by others (saying so on standard error).
func OpenUsers(cfg *config.Config) (*auth.BuntStore, func(), error) {
	return openUsers(cfg, func(n string) { fmt.Fprintln(os.Stderr, "ebios:", n) })
}

func openUsers(cfg *config.Config, notice func(string)) (*auth.BuntStore, func(), error) {
	if err := os.MkdirAll(filepath.Dir(cfg.Auth.UsersDB), 0o700); err != nil {
		return nil, nil, err
	}
	lock, err := filelock.Acquire(cfg.Auth.UsersDB)
	if errors.Is(err, filelock.ErrLocked) {
		return nil, nil, &nu.Error{Code: "AUTH_017", Category: auth.CategoryAuth,
			Message:     "the users database " + cfg.Auth.UsersDB + " is in use by another process",
			Remediation: "stop the server to manage users from the command line, or use the users API (/api/v1/users) as an admin"}
	}
	if err != nil {
		return nil, nil, err
	}
	// auth.OpenBuntStore opens the file with BuntDB, which would create it
	// 0666 less the umask: it finds it made private here.
	n, err := ledgerstore.PrivateFile(cfg.Auth.UsersDB)
	if err != nil {
		lock.Unlock()
		return nil, nil, fmt.Errorf("creating the users database %s: %w", cfg.Auth.UsersDB, err)
	}
	if n != "" {
		notice(n)
	}
	us, err := auth.OpenBuntStore(cfg.Auth.UsersDB)
	if err != nil {
		lock.Unlock()
		return nil, nil, err
	}
	return us, lock.Unlock, nil
}

// privateIfExists makes the file at path private if it exists and others
// may read it (see ledgerstore.PrivateFile); it creates nothing.
func privateIfExists(path string) (notice string, err error) {
	if _, err := os.Stat(path); err != nil {
		return "", nil // made 0600 by whoever creates it, or reported by its reader
	}
	return ledgerstore.PrivateFile(path)
}

// announceSetup prints how to create the first admin while there is none.
func announceSetup(ctx context.Context, as *auth.Service, cfg *config.Config, url string, w io.Writer) error {
	tok, err := as.SetupToken(ctx)
	if err != nil || tok == "" {
		return err
	}
	fmt.Fprintf(w, `No admin user yet. Create the first one, either:
  - stop the server and run:  %s user add --data-dir %s --role admin NAME
  - or, once, with this setup token (valid 24 h, shown only now):
      curl -X POST %s/api/v1/auth/setup -H 'Content-Type: application/json' \
        -d '{"token":"%s","username":"NAME","password":"A LONG PASSPHRASE"}'
`, binaryName(), cfg.DataDir, url, tok)
	return nil
}

// binaryName is how this binary was started (./bin/ebios, ebios, ...), for
// the commands it prints.
func binaryName() string {
	if len(os.Args) > 0 && os.Args[0] != "" && !strings.HasSuffix(os.Args[0], ".test") {
		return os.Args[0]
	}
	return "ebios"
}

// tlsConfig returns the TLS configuration and a wrapper that answers ACME
// http-01 challenges on the plain-HTTP listener.
func tlsConfig(cfg *config.Config) (*tls.Config, func(http.Handler) http.Handler, error) {
	if len(cfg.TLS.ACMEDomains) > 0 {
		m, err := acmeManager(cfg.TLS)
		if err != nil {
			return nil, nil, err
		}
		tc := m.TLSConfig()
		tc.MinVersion = tls.VersionTLS12
		return tc, m.HTTPHandler, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("loading the TLS certificate %s and key %s: %w", cfg.TLS.CertFile, cfg.TLS.KeyFile, err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	return tc, func(h http.Handler) http.Handler { return h }, nil
}

// redirectHosts are the hosts the HTTP redirect sends to HTTPS: a request
// names one in its Host header and is sent to it, with its HTTPS port. It
// never echoes a Host it does not know (an open redirect, and a way to
// poison caches and links with another site's name).
type redirectHosts struct {
	ports     map[string]string // host (lower case, IPv6 without brackets) → ":port", "" for 443
	wildcards map[string]string // "example.org" of a certificate's "*.example.org" → ":port"
}

// newRedirectHosts collects the hosts the redirect may send to:
// tls.redirect_hosts if set, else the ACME domains, else the DNS names and
// IP addresses of the certificate. httpsPort is the port the server
// listens on for HTTPS; a host without a port of its own is sent there
// (no port in the URL when it is 443).
func newRedirectHosts(t config.TLS, tc *tls.Config, httpsPort string) (redirectHosts, error) {
	rh := redirectHosts{ports: map[string]string{}, wildcards: map[string]string{}}
	suffix := func(port string) string {
		if port == "" {
			port = httpsPort
		}
		if port == "443" || port == "" {
			return ""
		}
		return ":" + port
	}
	names := t.RedirectHosts
	if len(names) == 0 {
		names = t.ACMEDomains
	}
	if len(names) == 0 && tc != nil && len(tc.Certificates) > 0 {
		leaf := tc.Certificates[0].Leaf
		if leaf == nil && len(tc.Certificates[0].Certificate) > 0 {
			leaf, _ = x509.ParseCertificate(tc.Certificates[0].Certificate[0])
		}
		if leaf != nil {
			for _, n := range leaf.DNSNames {
				if base, ok := strings.CutPrefix(strings.ToLower(n), "*."); ok {
					rh.wildcards[base] = suffix("")
				} else {
					names = append(names, n)
				}
			}
			for _, ip := range leaf.IPAddresses {
				names = append(names, ip.String())
			}
		}
	}
	for _, n := range names {
		host, port, err := config.ParseRedirectHost(n)
		if err != nil {
			return rh, fmt.Errorf("tls.redirect_hosts: %w", err)
		}
		rh.ports[host] = suffix(port)
	}
	if len(rh.ports) == 0 && len(rh.wildcards) == 0 {
		return rh, errors.New("the HTTP redirect (tls.redirect_http) has no host name to send requests to: " +
			"the certificate names no DNS name or IP address, and tls.redirect_hosts is empty " +
			"(set tls.redirect_hosts, --redirect-hosts, to the names clients use, e.g. ebios.example.org)")
	}
	return rh, nil
}

// target returns the HTTPS URL of r, or false if r's Host is not one of
// the redirect's hosts. The path and query are kept as they were sent.
func (rh redirectHosts) target(r *http.Request) (string, bool) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if a, err := netip.ParseAddr(host); err == nil && a.Zone() == "" {
		host = a.String()
	}
	port, ok := rh.ports[host]
	if !ok {
		if _, base, cut := strings.Cut(host, "."); cut && dnsLabel(host[:len(host)-len(base)-1]) {
			port, ok = rh.wildcards[base]
		}
		if !ok {
			return "", false
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	uri := r.URL.RequestURI()
	if !strings.HasPrefix(uri, "/") { // "*" of OPTIONS *
		uri = "/"
	}
	return "https://" + host + port + uri, true
}

// dnsLabel reports whether s is one DNS label (letters, digits, inner
// hyphens), as the part of a host a wildcard certificate name covers.
func dnsLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// redirectHandler sends plain-HTTP requests to the same URL over HTTPS
// with 308 Permanent Redirect, which keeps the method and the body (a 301
// turns a POST into a GET), on one of hosts. A request for any other host
// is refused with 421 Misdirected Request, one without a Host with 400.
func redirectHandler(hosts redirectHosts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "" {
			http.Error(w, "400 Bad Request: no Host header; this address redirects to HTTPS", http.StatusBadRequest)
			return
		}
		url, ok := hosts.target(r)
		if !ok {
			http.Error(w, "421 Misdirected Request: this server does not serve that host name", http.StatusMisdirectedRequest)
			return
		}
		http.Redirect(w, r, url, http.StatusPermanentRedirect) // #nosec G710 -- target builds the URL from a configured host name and the request's path; any other Host got 421 above (TestRedirect)
	})
}

// CSP allows the wasm app ('wasm-unsafe-eval') and nothing from elsewhere,
// and no page of the server in a frame (frame-ancestors 'none', against
// clickjacking: the admin pages act on a click).
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'self'; " +
	"frame-ancestors 'none'"

// EmbedCSP is the CSP of the embeddable widget's iframe pages (/embed/*):
// CSP's rules, except that the verifier may fetch a bundle from wherever
// the embedding site names (the page holds no credentials) and that the
// sites in frameAncestors may frame it.
func EmbedCSP(frameAncestors string) string {
	return "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data:; connect-src *; object-src 'none'; base-uri 'self'; frame-ancestors " + frameAncestors
}

// secure adds the security headers to every response: the CSP, which
// forbids framing, and X-Frame-Options: DENY for browsers that predate
// frame-ancestors. The one exception is the widget's iframe pages
// (/embed/*): they get [EmbedCSP] with embedAncestors ([embed]
// frame_ancestors; "" or 'none' keeps them unframeable too) and no
// X-Frame-Options, which cannot name origins.
func secure(next http.Handler, t config.TLS, embedAncestors string) http.Handler {
	hsts := ""
	if t.Enabled() && t.HSTS {
		hsts = "max-age=" + strconv.FormatInt(int64(t.HSTSMaxAge.Seconds()), 10) + "; includeSubDomains"
	}
	// The values are shared by every response (net/http copies them when
	// it writes); the keys are already canonical.
	csp, frames, nosniff, noReferrer, sts := []string{CSP}, []string{"DENY"}, []string{"nosniff"}, []string{"no-referrer"}, []string{hsts}
	frameable := embedAncestors != "" && embedAncestors != "'none'"
	embedCSP := []string{EmbedCSP(embedAncestors)}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if frameable && strings.HasPrefix(r.URL.Path, "/embed/") {
			h["Content-Security-Policy"] = embedCSP
		} else {
			h["Content-Security-Policy"] = csp
			h["X-Frame-Options"] = frames
		}
		h["X-Content-Type-Options"] = nosniff
		h["Referrer-Policy"] = noReferrer
		if hsts != "" {
			h["Strict-Transport-Security"] = sts
		}
		next.ServeHTTP(w, r)
	})
}

func displayHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}
