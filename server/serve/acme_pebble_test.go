package serve

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/internal/debpkg"
	"golang.org/x/net/dns/dnsmessage"
)

// acmeDomain is the name eBIOS gets a certificate for from pebble; the
// test's DNS server resolves it to 127.0.0.1.
const acmeDomain = "ebios.test"

// TestACMEPebble gets a certificate by ACME from a real CA: Debian's
// pebble on loopback, which validates a real challenge against the eBIOS
// server. Each case lets pebble reach one challenge only (the other port
// is closed): tls-alpn-01 on eBIOS's TLS listener, http-01 on its redirect
// listener. The certificate eBIOS then serves must name the domain and
// chain to pebble's root.
func TestACMEPebble(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test starts pebble (an ACME CA) and a DNS server on loopback")
	}
	pebble := debpkg.Program(t, "pebble", "TestACMEPebble needs the pebble ACME test server", "pebble")
	for _, challenge := range []string{"tls-alpn-01", "http-01"} {
		t.Run(challenge, func(t *testing.T) { acmePebble(t, pebble, challenge) })
	}
}

// acmePebble is TestACMEPebble with pebble validating only challenge.
func acmePebble(t *testing.T, pebble, challenge string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()

	// pebble's own HTTPS (its ACME API and management interface) uses a
	// certificate from a CA made here: eBIOS trusts it by acme_ca_file.
	caFile, certFile, keyFile, caPool := caSigned(t, dir, "localhost", "127.0.0.1")
	dns := dnsServer(t, acmeDomain)
	acmeAddr, mgmtAddr, tlsAddr, httpAddr, closed := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	// pebble validates tls-alpn-01 on tlsPort, http-01 on httpPort: the
	// challenge not under test goes to a port where nothing listens.
	tlsPort, httpPort := port(t, tlsAddr), port(t, closed)
	if challenge == "http-01" {
		tlsPort, httpPort = port(t, closed), port(t, httpAddr)
	}
	conf, _ := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress": acmeAddr, "managementListenAddress": mgmtAddr,
		"certificate": certFile, "privateKey": keyFile,
		"httpPort": json.Number(httpPort), "tlsPort": json.Number(tlsPort),
		"ocspResponderURL": "", "externalAccountBindingRequired": false}})
	confFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(confFile, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	log := &syncBuf{}
	cmd := exec.CommandContext(ctx, pebble, "-config", confFile, "-dnsserver", dns) // #nosec G204 -- test: the pebble binary found on PATH, with the test's own config
	// Validation for real (no PEBBLE_VA_ALWAYS_VALID), without pebble's
	// random sleeps, no nonce refused at random (autocert retries a
	// refused nonce, but a test should not depend on chance), and no
	// authorization reused between orders.
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting pebble: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })

	// pebble's issuing root, from its management interface (it makes new
	// ones at every start).
	mgmt := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: caPool}}}
	var root []byte
	for root == nil {
		select {
		case <-exited:
			t.Fatalf("pebble exited:\n%s", log)
		case <-ctx.Done():
			t.Fatalf("pebble's management interface did not answer /roots/0 in time:\n%s", log)
		case <-time.After(50 * time.Millisecond):
		}
		if resp, err := mgmt.Get("https://" + mgmtAddr + "/roots/0"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				root = b
			}
		}
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(root) {
		t.Fatalf("pebble's /roots/0 is not a PEM certificate: %q", root)
	}

	r := start(t, "--dev", "--data-dir", filepath.Join(dir, "data"), "--listen", tlsAddr, "--redirect-http", httpAddr,
		"--acme-domains", acmeDomain, "--acme-directory-url", "https://"+acmeAddr+"/dir", "--acme-ca-file", caFile)

	// The first handshake for the domain makes eBIOS order the
	// certificate; pebble validates the challenge before it is served.
	c := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, r.addr)
		}}}
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://"+acmeDomain+":"+port(t, tlsAddr)+"/healthz", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("HTTPS to eBIOS with a certificate from pebble: %v\npebble:\n%s\neBIOS:\n%s", err, log, r.out)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/healthz over HTTPS: %d", resp.StatusCode)
	}
	leaf := resp.TLS.PeerCertificates[0]
	chain := resp.TLS.VerifiedChains[0]
	if err := leaf.VerifyHostname(acmeDomain); err != nil || len(chain) < 2 || !strings.Contains(chain[len(chain)-1].Subject.CommonName, "Pebble") {
		t.Fatalf("served certificate %v (names %v) chains to %v: %v", leaf.Subject, leaf.DNSNames, chain[len(chain)-1].Subject, err)
	}
	if !strings.Contains(log.String(), "set VALID by completed challenge") {
		t.Errorf("pebble's log shows no validated authorization:\n%s", log)
	}
	// The certificate and the account key are kept in acme_cache_dir.
	if ents, err := os.ReadDir(filepath.Join(dir, "data", "acme")); err != nil || len(ents) < 2 {
		t.Errorf("acme_cache_dir: %v %v", ents, err)
	}
}

// caSigned writes a CA (ca.pem) and a certificate it signs for names (DNS
// names or IP addresses) with its key, and returns their files and a pool
// of the CA.
func caSigned(t *testing.T, dir string, names ...string) (caFile, certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "eBIOS test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for f, b := range map[string]*pem.Block{caFile: {Type: "CERTIFICATE", Bytes: caDER},
		certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: kb}} {
		if err := os.WriteFile(f, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	roots = x509.NewCertPool()
	roots.AddCert(ca)
	return caFile, certFile, keyFile, roots
}

// dnsServer answers DNS over UDP on loopback: A 127.0.0.1 for name, an
// empty answer for its other types, NXDOMAIN for other names. It returns
// its address.
func dnsServer(t *testing.T, name string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	want := dnsmessage.MustNewName(name + ".")
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
			if !strings.EqualFold(q.Name.String(), want.String()) {
				rh.RCode = dnsmessage.RCodeNameError
			}
			b := dnsmessage.NewBuilder(nil, rh)
			b.EnableCompression()
			b.StartQuestions()
			b.Question(q)
			b.StartAnswers()
			if rh.RCode == dnsmessage.RCodeSuccess && q.Type == dnsmessage.TypeA {
				b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}})
			}
			if msg, err := b.Finish(); err == nil {
				pc.WriteTo(msg, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

// freeAddr returns a loopback address with a port free now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
