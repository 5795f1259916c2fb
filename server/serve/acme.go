package serve

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"time"

	"github.com/ebios/ebios/server/config"
	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// acmeManager returns the ACME client of the [tls] section: certificates
// for acme_domains from the CA at acme_directory_url (Let's Encrypt if
// empty), whose own HTTPS is verified against the system's roots and those
// of acme_ca_file.
func acmeManager(t config.TLS) (*autocert.Manager, error) {
	allowed := autocert.HostWhitelist(t.ACMEDomains...)
	m := &autocert.Manager{Prompt: autocert.AcceptTOS, Cache: autocert.DirCache(t.ACMECacheDir), Email: t.ACMEEmail,
		// The policy also sees the Host of http-01 requests, which names a
		// port when the CA validates on another port than 80 (a test CA):
		// the name is what is checked.
		HostPolicy: func(ctx context.Context, host string) error {
			if h, _, err := net.SplitHostPort(host); err == nil {
				host = h
			}
			return allowed(ctx, host)
		}}
	if t.ACMEDirectoryURL == "" && t.ACMECAFile == "" {
		return m, nil
	}
	m.Client = &acme.Client{DirectoryURL: t.ACMEDirectoryURL}
	if t.ACMECAFile != "" {
		roots, err := config.ReadCAFile(t.ACMECAFile)
		if err != nil {
			return nil, err
		}
		// The one outbound client of the server (TestNoOutboundRequests):
		// to the ACME CA the operator configured, never a URL a client sends.
		m.Client.HTTPClient = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			Proxy:           http.ProxyFromEnvironment,
			TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, TLSHandshakeTimeout: 10 * time.Second}}
	}
	return m, nil
}
