package settings

import (
	"crypto/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
)

// TestLoad: good settings are read; each bad one is refused with
// WORKER_001 naming the variable and what to set.
func TestLoad(t *testing.T) {
	skey, _, err := ledger.GenerateKey(rand.Reader, "settings.test/log")
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]string{LedgerKey: skey, JWTSecret: strings.Repeat("s", 32)}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name  string
		env   map[string]string
		names string // in the error's details, "" when accepted
		check func(*Settings) bool
	}{
		{"defaults", good, "", func(s *Settings) bool {
			return s.Signer.Name() == "settings.test/log" && s.Argon2 == auth.DefaultParams && !s.LogPublic && !s.Sequencer && s.CORSOrigins == nil
		}},
		{"all set", with(Argon2, "m=19456,t=2,p=1"), "", func(s *Settings) bool {
			return s.Argon2.Memory == 19456 && s.Argon2.Iterations == 2 && s.Argon2.Parallelism == 1
		}},
		{"origins", with(CORSOrigins, "https://App.example.org:443, http://localhost:8081"), "", func(s *Settings) bool {
			return reflect.DeepEqual(s.CORSOrigins, []string{"https://app.example.org", "http://localhost:8081"})
		}},
		{"no key", with(LedgerKey, ""), LedgerKey, nil},
		{"bad key", with(LedgerKey, "PRIVATE+KEY+x+1+abc"), LedgerKey, nil},
		{"short secret", with(JWTSecret, "short"), JWTSecret, nil},
		{"argon2 unknown key", with(Argon2, "m=19456,x=2"), Argon2, nil},
		{"argon2 twice", with(Argon2, "m=1,m=2"), Argon2, nil},
		{"argon2 too little memory", with(Argon2, "m=4,t=1,p=1"), Argon2, nil},
		{"any origin", with(CORSOrigins, "*"), CORSOrigins, nil},
		{"origin with a path", with(CORSOrigins, "https://a.example/app"), CORSOrigins, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load(func(k string) string { return tc.env[k] })
			if tc.names == "" {
				if err != nil || !tc.check(s) {
					t.Fatalf("Load: %+v, %v", s, err)
				}
				return
			}
			e, ok := nu.AsError(err)
			if !ok || e.Code != CodeConfig || !strings.Contains(e.Details, tc.names) || e.Remediation == "" {
				t.Fatalf("Load: %v; want %s naming %s", err, CodeConfig, tc.names)
			}
		})
	}
}
