package serve

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebios/ebios/server/config"
)

// TestACMEHostPolicy: certificates are asked, and http-01 challenges
// answered, only for acme_domains, with or without a port in the Host.
func TestACMEHostPolicy(t *testing.T) {
	m, err := acmeManager(config.TLS{ACMEDomains: []string{"ebios.example.org"}, ACMECacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"ebios.example.org", true},
		{"ebios.example.org:5002", true},
		{"other.example.org", false},
		{"other.example.org:80", false},
		{"ebios.example.org.evil.example", false},
	} {
		if err := m.HostPolicy(context.Background(), tc.host); (err == nil) != tc.ok {
			t.Errorf("HostPolicy(%q) = %v, want allowed %v", tc.host, err, tc.ok)
		}
	}
	if m.Client != nil {
		t.Error("without acme_directory_url the default client (Let's Encrypt) must be used")
	}
}

// TestACMEBadCAFile: a CA file that cannot be used stops the start with
// the file's name.
func TestACMEBadCAFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	_, err := acmeManager(config.TLS{ACMEDomains: []string{"ebios.example.org"}, ACMEDirectoryURL: "https://ca.example/dir", ACMECAFile: missing})
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("a missing acme_ca_file: %v", err)
	}
}
