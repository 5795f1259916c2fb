package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// caPEM is a CA certificate made for the test.
func caPEM(t *testing.T) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ACME CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestACMEServer checks acme_directory_url and acme_ca_file as `ebios
// config check` does: each bad value is one error naming the key, and
// either without acme_domains is a warning.
func TestACMEServer(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := caPEM(t)
	good := write("ca.pem", ca)
	two := write("two.pem", append(append([]byte{}, ca...), caPEM(t)...))
	empty := write("empty.pem", []byte("not PEM at all\n"))
	other := write("other.pem", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: []byte{1}}))
	broken := write("broken.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("garbage")}))
	acme := []string{"-acme-domains", "ebios.example.org", "-listen", ":443"}
	for _, tc := range []struct {
		name string
		args []string
		want string // the one problem, "" for none
	}{
		{"unset", acme, ""},
		{"private CA", append(acme, "-acme-directory-url", "https://ca.internal.example:9000/acme/directory", "-acme-ca-file", good), ""},
		{"two CAs", append(acme, "-acme-ca-file", two), ""},
		{"plain http", append(acme, "-acme-directory-url", "http://ca.example/dir"), "flag -acme-directory-url: tls.acme_directory_url: \"http://ca.example/dir\" is not an https:// URL"},
		{"no host", append(acme, "-acme-directory-url", "https:///dir"), "is not an https:// URL"},
		{"user info", append(acme, "-acme-directory-url", "https://u:p@ca.example/dir"), "is not an https:// URL"},
		{"not a URL", append(acme, "-acme-directory-url", "https://ca example/%zz"), "is not a URL"},
		{"missing CA file", append(acme, "-acme-ca-file", filepath.Join(dir, "missing.pem")), "tls.acme_ca_file: cannot read the CA file " + filepath.Join(dir, "missing.pem") + ": no such file"},
		{"no PEM", append(acme, "-acme-ca-file", empty), "holds no PEM certificate"},
		{"other PEM block", append(acme, "-acme-ca-file", other), "holds a \"X509 CRL\" PEM block"},
		{"certificate does not parse", append(acme, "-acme-ca-file", broken), "certificate 1 does not parse"},
		{"URL without ACME", []string{"-acme-directory-url", "https://ca.example/dir"}, "warning: tls.acme_directory_url: is set but acme_domains is empty"},
		{"CA file without ACME", []string{"-acme-ca-file", good}, "warning: tls.acme_ca_file: is set but acme_domains is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := load(t, append([]string{"-data-dir", dir}, tc.args...), nil, "")
			var ps []string
			for _, p := range c.Validate() {
				if strings.Contains(p.Key, "acme") {
					ps = append(ps, p.String())
				}
			}
			switch {
			case tc.want == "" && len(ps) != 0:
				t.Errorf("want no problem, got %q", ps)
			case tc.want != "" && (len(ps) != 1 || !strings.Contains(ps[0], tc.want)):
				t.Errorf("want one problem with %q, got %q", tc.want, ps)
			}
		})
	}
}

// TestReadCAFile: the pool has the file's CA, so a certificate it signed
// verifies.
func TestReadCAFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ca.pem")
	ca := caPEM(t)
	os.WriteFile(p, ca, 0o644)
	pool, err := ReadCAFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(ca)
	c, _ := x509.ParseCertificate(b.Bytes)
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
		t.Fatalf("the file's CA is not in the pool: %v", err)
	}
}
