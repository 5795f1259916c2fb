package ratelimit

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func FuzzClientAddr(f *testing.F) {
	f.Add("10.0.0.1:1", "198.51.100.9, 10.0.0.2")
	f.Add("203.0.113.5:1", "1.2.3.4")
	l, err := New(Config{Rules: DefaultRules(), TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got := l.ClientAddr(r)
		peer := parsePeer(remote)
		if !contains(l.trusted, peer) && got != peer {
			t.Fatalf("untrusted peer %s became %s", peer, got)
		}
		l.Allow(ClassRead, got)
	})
}

func FuzzParseRule(f *testing.F) {
	f.Add("100/minute burst 20")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		if back, err := ParseRule(r.String()); err != nil || back != r {
			t.Fatalf("%q → %v → %v, %v", s, r, back, err)
		}
	})
}
