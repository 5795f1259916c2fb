package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ebios/ebios/server/config"
)

const healthUsage = `Ask a running server whether it is healthy: GET /healthz (the process
answers) or, with --ready, GET /readyz (the ledger takes appends). Exit 0 on
200, 1 otherwise, with what failed on standard error. It is the container
image's HEALTHCHECK (the image has no curl).

The URL is --url, else derived from the configuration exactly as
"ebios serve" loads it (flags --config, then EBIOS_* environment variables,
then ebios.conf, then defaults): server.listen, with a wildcard host
(":8080", "0.0.0.0:8080") asked on loopback, and https when [tls] is set.
`

func runHealth(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("health", "[--ready] [--url URL | --config FILE] [--timeout D]", healthUsage, stderr)
	base := fs.String("url", "", "base URL of the server, e.g. http://127.0.0.1:8080 (default: from the configuration)")
	cfgFile := fs.String("config", "", "config file to derive the URL from (default ebios.conf if it exists; env EBIOS_CONFIG)")
	ready := fs.Bool("ready", false, "check /readyz (ready for appends) instead of /healthz (alive)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, "no arguments"); err != nil {
		return err
	}
	var serverName string
	if *base == "" {
		var cargs []string
		if *cfgFile != "" {
			cargs = []string{"--config", *cfgFile}
		}
		cfg, err := config.Load(cargs, os.Getenv, os.ReadFile)
		if err != nil {
			return fmt.Errorf("cannot derive the server's URL from the configuration (fix it, or pass --url):\n%w", err)
		}
		*base, serverName = healthURL(cfg)
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	url := strings.TrimSuffix(*base, "/") + path
	if err := checkHealth(ctx, url, serverName, *timeout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ebios health: %s: OK\n", url)
	return nil
}

// healthURL derives the base URL of the server that cfg configures, and
// the TLS server name to ask for ("" for the URL's host): a wildcard
// listen host is asked on loopback; with TLS, the first ACME domain names
// the certificate wanted.
func healthURL(cfg *config.Config) (base, serverName string) {
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil { // config.Validate refuses it; let the request say what is wrong
		host, port = cfg.Listen, ""
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	scheme := "http"
	if cfg.TLS.Enabled() {
		scheme = "https"
		if len(cfg.TLS.ACMEDomains) > 0 {
			serverName = cfg.TLS.ACMEDomains[0]
		}
	}
	if port == "" {
		return scheme + "://" + host, serverName
	}
	return scheme + "://" + net.JoinHostPort(host, port), serverName
}

// checkHealth GETs url and fails unless the answer is 200 within timeout.
func checkHealth(ctx context.Context, url, serverName string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("bad URL %q: %w", url, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // a health check asks the server itself, never a proxy of the environment
	if serverName != "" {
		tr.TLSClientConfig = &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("GET %s: no answer within %s: is the server overloaded or stuck? (--timeout to wait longer)", url, timeout)
		}
		return fmt.Errorf("GET %s: %w: is `ebios serve` running there? (--url or --config to ask another address)", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
