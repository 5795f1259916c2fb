package auth

import (
	"net/http/httptest"
	"testing"
)

func FuzzDecodeHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=4294967295,t=1,p=255$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := decodeHash(s)
		if err != nil {
			return
		}
		if p.Memory > maxMemory || p.Iterations > maxIterations || len(salt) > maxSaltLen || len(key) > maxKeyLen {
			t.Fatalf("accepted out-of-bounds parameters %+v", p)
		}
		if _, _, _, err := decodeHash(encodeHash(p, salt, key)); err != nil {
			t.Fatalf("re-encoding of an accepted hash fails: %v", err)
		}
	})
}

func FuzzBearerToken(f *testing.F) {
	f.Add("Bearer a.b.c")
	f.Add("bearer  x")
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", h)
		tok, err := BearerToken(r)
		if err == nil && (tok == "" || len(tok) > maxTokenLen) {
			t.Fatalf("accepted %q", tok)
		}
	})
}
