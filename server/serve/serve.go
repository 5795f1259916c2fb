// Package serve runs the eBIOS server: it loads the configuration, opens the
// ledger and the users store, wires authentication, rate limits, metrics and
// the API, listens on HTTP or HTTPS (certificate files or ACME), and on
// cancellation drains requests and flushes the ledger before it returns.
package serve

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
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
	"github.com/ebios/ebios/server/config"
	"github.com/ebios/ebios/server/filelock"
	"github.com/ebios/ebios/server/keyfile"
	"github.com/ebios/ebios/server/ledgerindex"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/metrics"
	"github.com/ebios/ebios/server/policystore"
	"github.com/ebios/ebios/server/ratelimit"
	"golang.org/x/crypto/acme/autocert"
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
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating the data directory %s: %w", cfg.DataDir, err)
	}
	signer, err := loadSigner(cfg, o.Stdout)
	if err != nil {
		return err
	}
	m := metrics.New()
	dbPath := cfg.Ledger.DBPath
	if cfg.Ledger.Backend == "memory" {
		dbPath = ":memory:"
	}
	var fed atomic.Pointer[ledgerindex.Index] // the read index, fed after every commit
	store, err := ledgerstore.Open(dbPath, signer, &ledgerstore.Options{OnCommit: func(size uint64, es []*ledger.Entry) {
		m.SetLedgerEntries(size)
		if x := fed.Load(); x != nil {
			x.Offer(size-uint64(len(es)), es)
		}
	}})
	if err != nil {
		return err
	}
	defer store.Close() // after the HTTP server has drained: queued appends are flushed
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

	users, unlock, err := OpenUsers(cfg)
	if err != nil {
		return err
	}
	defer unlock()
	defer users.Close()
	secret, err := auth.LoadOrCreateSecret(cfg.Auth.SecretFile)
	if err != nil {
		return err
	}
	as, err := auth.New(users, auth.Options{Secret: secret, AccessTTL: cfg.Auth.AccessTTL, RefreshTTL: cfg.Auth.RefreshTTL,
		OnFailure: m.AuthFailed})
	if err != nil {
		return err
	}
	var limit func(string, http.Handler) http.Handler
	if cfg.RateLimit.Enabled {
		rc := cfg.RateLimiterConfig()
		rc.OnLimited = m.RateLimited
		l, err := ratelimit.New(rc)
		if err != nil {
			return err
		}
		limit = l.Middleware
	}
	trusted, err := policy.ParseTrustedKeys(cfg.Policies.TrustedKeys)
	if err != nil {
		return err
	}
	policies, notices, err := policystore.Open(filepath.Join(cfg.DataDir, "policies.db"), trusted, store)
	if err != nil {
		return err
	}
	defer policies.Close()
	for _, n := range notices {
		fmt.Fprintln(o.Stdout, "policies:", n)
		logger.Warn(n)
	}
	var metricsHandler http.Handler
	if cfg.Metrics {
		metricsHandler = m.Handler()
	}
	a := api.New(api.Config{Store: store, Index: index, Auth: as, Limit: limit, Logger: logger, Version: o.Version, App: o.App, Policies: policies, LogPublic: cfg.Ledger.LogPublic,
		MetricsHandler: metricsHandler,
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
	handler := secure(a.Handler(), cfg.TLS)

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
			ln.Close()
			return err
		}
		srv.TLSConfig = tcfg
		ln = tls.NewListener(ln, tcfg)
		if cfg.TLS.RedirectHTTP != "" {
			redirect = &http.Server{Addr: cfg.TLS.RedirectHTTP, Handler: challenge(redirectHandler()), ReadHeaderTimeout: 10 * time.Second}
			rl, err := net.Listen("tcp", cfg.TLS.RedirectHTTP)
			if err != nil {
				ln.Close()
				return fmt.Errorf("listening on %s for the HTTP redirect: %w", cfg.TLS.RedirectHTTP, err)
			}
			go redirect.Serve(rl)
		}
	}
	addr := ln.Addr().String()
	url := scheme + "://" + displayHost(addr)
	fmt.Fprintf(o.Stdout, "eBIOS serving on %s  (ledger %s, %d entries, key %s)\n", url, store.Origin(), store.Len(), signer.Verifier())
	if err := announceSetup(ctx, as, cfg, url, o.Stdout); err != nil {
		ln.Close()
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
		redirect.Shutdown(sctx)
	}
	err = srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
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
func OpenUsers(cfg *config.Config) (*auth.BuntStore, func(), error) {
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
	us, err := auth.OpenBuntStore(cfg.Auth.UsersDB)
	if err != nil {
		lock.Unlock()
		return nil, nil, err
	}
	return us, lock.Unlock, nil
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
		m := &autocert.Manager{Prompt: autocert.AcceptTOS, HostPolicy: autocert.HostWhitelist(cfg.TLS.ACMEDomains...),
			Cache: autocert.DirCache(cfg.TLS.ACMECacheDir), Email: cfg.TLS.ACMEEmail}
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

// redirectHandler sends plain-HTTP requests to the same URL over HTTPS.
func redirectHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
}

// CSP allows the wasm app ('wasm-unsafe-eval') and nothing from elsewhere.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'self'"

// secure adds the security headers to every response.
func secure(next http.Handler, t config.TLS) http.Handler {
	hsts := ""
	if t.Enabled() && t.HSTS {
		hsts = "max-age=" + strconv.FormatInt(int64(t.HSTSMaxAge.Seconds()), 10) + "; includeSubDomains"
	}
	// The values are shared by every response (net/http copies them when
	// it writes); the keys are already canonical.
	csp, nosniff, noReferrer, sts := []string{CSP}, []string{"nosniff"}, []string{"no-referrer"}, []string{hsts}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Security-Policy"] = csp
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
