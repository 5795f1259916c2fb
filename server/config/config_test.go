package config

import (
	"errors"
	"flag"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/server/ratelimit"
)

// files is a fake file system for Load.
func files(m map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if s, ok := m[name]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func load(t *testing.T, args []string, env map[string]string, conf string) *Config {
	t.Helper()
	c, err := Load(args, envOf(env), files(map[string]string{"ebios.conf": conf}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func problems(t *testing.T, err error) Problems {
	t.Helper()
	ps, ok := err.(Problems)
	if !ok {
		t.Fatalf("error %v (%T) is not Problems", err, err)
	}
	return ps
}

func TestDefaults(t *testing.T) {
	c, err := Load(nil, nil, files(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.File != "" || c.Listen != "127.0.0.1:8080" || c.DataDir != "./data" || c.Dev || c.LogLevel != slog.LevelInfo ||
		!c.Metrics || c.RequestTimeout != 30*time.Second {
		t.Errorf("server defaults: %+v", c)
	}
	if c.Auth.AccessTTL != 15*time.Minute || c.Auth.RefreshTTL != 7*24*time.Hour ||
		c.Auth.SecretFile != filepath.Join("data", "jwt.secret") || c.Auth.UsersDB != filepath.Join("data", "users.db") {
		t.Errorf("auth defaults: %+v", c.Auth)
	}
	if !c.RateLimit.Enabled || c.RateLimit.MaxClients != ratelimit.DefaultMaxClients || len(c.RateLimit.Allowlist) != 0 {
		t.Errorf("rate limit defaults: %+v", c.RateLimit)
	}
	for class, r := range ratelimit.DefaultRules() {
		if c.RateLimit.Rules[class] != r {
			t.Errorf("rule %s = %v, want %v", class, c.RateLimit.Rules[class], r)
		}
	}
	if c.Ledger.Backend != "buntdb" || c.Ledger.DBPath != filepath.Join("data", "ledger.db") ||
		c.Ledger.KeyFile != filepath.Join("data", "ledger.key") || c.TLS.Enabled() || !c.TLS.HSTS ||
		c.TLS.HSTSMaxAge != 730*24*time.Hour || c.TLS.ACMECacheDir != filepath.Join("data", "acme") {
		t.Errorf("defaults: %+v %+v", c.Ledger, c.TLS)
	}
	for _, k := range keys {
		if s := c.Source(k.id()); s.Kind != FromDefault || s.String() != "default" {
			t.Errorf("%s source %v", k.id(), s)
		}
	}
	if ps := c.Validate(); len(ps) != 0 {
		t.Errorf("defaults do not validate:\n%v", ps)
	}
	rc := c.RateLimiterConfig()
	if _, err := ratelimit.New(rc); err != nil {
		t.Errorf("RateLimiterConfig: %v", err)
	}
}

// TestPrecedence sets listen (and a bool and a derived default) in every
// combination of sources: flag > env > file > default.
func TestPrecedence(t *testing.T) {
	const (
		fileV = "127.0.0.1:1001"
		envV  = "127.0.0.1:1002"
		flagV = "127.0.0.1:1003"
	)
	for _, tc := range []struct {
		name             string
		file, env, flag  bool
		want             string
		wantKind         SourceKind
		wantSourceString string
	}{
		{"default", false, false, false, "127.0.0.1:8080", FromDefault, "default"},
		{"file", true, false, false, fileV, FromFile, "ebios.conf:2"},
		{"env over file", true, true, false, envV, FromEnv, "env EBIOS_SERVER_LISTEN"},
		{"env", false, true, false, envV, FromEnv, "env EBIOS_SERVER_LISTEN"},
		{"flag over env and file", true, true, true, flagV, FromFlag, "flag -listen"},
		{"flag over file", true, false, true, flagV, FromFlag, "flag -listen"},
		{"flag", false, false, true, flagV, FromFlag, "flag -listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf, env, args := "", map[string]string{}, []string(nil)
			if tc.file {
				conf = "[server]\nlisten = " + fileV + "\ndev = true\n"
			}
			if tc.env {
				env["EBIOS_SERVER_LISTEN"] = envV
				env["EBIOS_DEV"] = "false"
			}
			if tc.flag {
				args = []string{"-listen", flagV, "-dev"}
			}
			c := load(t, args, env, conf)
			if c.Listen != tc.want || c.Source("server.listen").Kind != tc.wantKind ||
				c.Source("server.listen").String() != tc.wantSourceString {
				t.Fatalf("listen = %q from %v", c.Listen, c.Source("server.listen"))
			}
			wantDev := tc.flag || (tc.file && !tc.env)
			if c.Dev != wantDev {
				t.Fatalf("dev = %v from %v", c.Dev, c.Source("server.dev"))
			}
		})
	}
	// The canonical env name wins over an alias; an alias alone works.
	c := load(t, nil, map[string]string{"EBIOS_LISTEN": "127.0.0.1:1", "EBIOS_SERVER_LISTEN": "127.0.0.1:2"}, "")
	if c.Listen != "127.0.0.1:2" {
		t.Errorf("alias beat canonical: %s", c.Listen)
	}
	c = load(t, nil, map[string]string{"EBIOS_DB_PATH": "/x/l.db", "EBIOS_BACKEND": "memory"}, "")
	if c.Ledger.DBPath != "/x/l.db" || c.Ledger.Backend != "memory" || c.Source("ledger.db_path").String() != "env EBIOS_DB_PATH" {
		t.Errorf("seed env aliases: %+v", c.Ledger)
	}
	// $DATA defaults follow data_dir from any source.
	c = load(t, []string{"-data-dir", "/srv/ebios"}, nil, "")
	if c.Auth.UsersDB != "/srv/ebios/users.db" || c.Ledger.KeyFile != "/srv/ebios/ledger.key" {
		t.Errorf("derived defaults: %+v %+v", c.Auth, c.Ledger)
	}
}

func TestFileValues(t *testing.T) {
	conf := "\ufeff; comment\r\n# another\r\n[server]\r\nlisten = \"127.0.0.1:9 ;x\" ; trailing comment\r\n" +
		"data_dir = /var/lib/ebios   # comment\n\n[tls]\nacme_domains = a.example.org, ,b.example.org\n" +
		"hsts_max_age = 3600\n[auth]\naccess_ttl = 1h30m\nrefresh_ttl = 30d\n[api]\n" +
		"rate_limit_allowlist = 127.0.0.1, ::1, 10.0.0.0/8\nrate_limit_auth = 5/minute burst 2\n" +
		"trusted_proxies = 192.0.2.0/24\n[monitoring]\nlog_level = WARN\nprometheus_enabled = no\n" +
		"[policies]\ntrusted_keys = a+1+x, b+2+y\n[server]\ndev = yes\n"
	c := load(t, nil, nil, conf)
	if c.Listen != "127.0.0.1:9 ;x" || c.DataDir != "/var/lib/ebios" || !c.Dev {
		t.Errorf("server: %q %q %v", c.Listen, c.DataDir, c.Dev)
	}
	if got := strings.Join(c.TLS.ACMEDomains, "|"); got != "a.example.org|b.example.org" {
		t.Errorf("acme_domains %q", got)
	}
	if c.TLS.HSTSMaxAge != time.Hour || c.Auth.AccessTTL != 90*time.Minute || c.Auth.RefreshTTL != 30*24*time.Hour {
		t.Errorf("durations %v %v %v", c.TLS.HSTSMaxAge, c.Auth.AccessTTL, c.Auth.RefreshTTL)
	}
	want := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.0.0.0/8")}
	if len(c.RateLimit.Allowlist) != 3 || c.RateLimit.Allowlist[0] != want[0] || c.RateLimit.Allowlist[1] != want[1] || c.RateLimit.Allowlist[2] != want[2] {
		t.Errorf("allowlist %v", c.RateLimit.Allowlist)
	}
	if c.RateLimit.Rules["auth"] != (ratelimit.Rule{Requests: 5, Window: time.Minute, Burst: 2}) {
		t.Errorf("auth rule %v", c.RateLimit.Rules["auth"])
	}
	if c.LogLevel != slog.LevelWarn || c.Metrics || len(c.Policies.TrustedKeys) != 2 || len(c.TrustedProxies) != 1 {
		t.Errorf("%v %v %v %v", c.LogLevel, c.Metrics, c.Policies.TrustedKeys, c.TrustedProxies)
	}
	if s := c.Source("api.rate_limit_auth"); s.String() != "ebios.conf:15" {
		t.Errorf("source %v", s)
	}
}

func TestStrictINI(t *testing.T) {
	for _, tc := range []struct {
		name, conf string
		want       []string // one substring per expected problem, in order
	}{
		{"key outside section", "listen = :1\n", []string{"ebios.conf:1: key \"listen\" is outside any [section]"}},
		{"unknown section", "[server]\nlisten = :1\n[database]\npool_size = 20\n", []string{"ebios.conf:4: unknown section [database]"}},
		{"unknown key", "[server]\n\nlistn = :1\n", []string{"ebios.conf:3: unknown key \"listn\" in [server]; did you mean listen?"}},
		{"key in wrong section", "[tls]\nlisten = :1\n", []string{"ebios.conf:2: unknown key \"listen\" in [tls]"}},
		{"seed sqlite key", "[ledger]\nwal_mode = true\n", []string{"ebios.conf:2: [ledger] wal_mode is not a setting of this eBIOS: it was for SQLite"}},
		{"duplicate key", "[server]\nlisten = :1\n[tls]\n[server]\nlisten = :2\n", []string{"ebios.conf:5: [server] listen is set twice (first on line 2)"}},
		{"no equals", "[server]\nlisten\n", []string{"ebios.conf:2: expected key = value"}},
		{"unclosed section", "[server\n", []string{"ebios.conf:1: section header"}},
		{"empty section", "[ ]\n", []string{"ebios.conf:1: empty section name"}},
		{"missing key", "[server]\n= x\n", []string{"ebios.conf:2: missing key"}},
		{"unterminated quote", "[server]\nlisten = \"abc\n", []string{"ebios.conf:2: unterminated quoted value"}},
		{"junk after quote", "[server]\nlisten = \"abc\" def\n", []string{"ebios.conf:2: bad quoted value"}},
		{"bad bool", "[server]\ndev = maybe\n", []string{"ebios.conf:2: server.dev: \"maybe\" is not a boolean"}},
		{"bad duration", "[auth]\naccess_ttl = soon\n", []string{"ebios.conf:2: auth.access_ttl: \"soon\" is not a duration"}},
		{"bad rule", "[api]\nrate_limit_read = lots\n", []string{"ebios.conf:2: api.rate_limit_read: rate limit \"lots\""}},
		{"bad cidr", "[api]\ntrusted_proxies = 10.0.0.0/33, nope, 10.0.0.1/8\n", []string{"ebios.conf:2: api.trusted_proxies: not an IP address or CIDR prefix: 10.0.0.0/33, nope, 10.0.0.1/8 (host bits set; did you mean 10.0.0.0/8?)"}},
		{"bad level", "[monitoring]\nlog_level = loud\n", []string{"ebios.conf:2: monitoring.log_level: \"loud\" is not a log level"}},
		{"bad int", "[api]\nrate_limit_max_clients = many\n", []string{"ebios.conf:2: api.rate_limit_max_clients: \"many\" is not an integer"}},
		{"sqlite backend", "[ledger]\nbackend = sqlite\n", []string{"ebios.conf:2: ledger.backend: sqlite was a backend of the Python eBIOS"}},
		{"several at once", "[server]\nlistn = 1\ndev = maybe\n[nope]\nx = 1\nbroken line\n", []string{
			"ebios.conf:6: expected key = value", // syntax problems come first
			"ebios.conf:2: unknown key \"listn\"",
			"ebios.conf:5: unknown section [nope]",
			"ebios.conf:3: server.dev",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(nil, nil, files(map[string]string{"ebios.conf": tc.conf}))
			if err == nil {
				t.Fatal("no error")
			}
			ps := problems(t, err)
			if len(ps) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(tc.want), ps)
			}
			for i, w := range tc.want {
				if !strings.Contains(ps[i].String(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, ps[i], w)
				}
			}
		})
	}
}

func TestFlagsAndFileSelection(t *testing.T) {
	if _, err := Load([]string{"-h"}, nil, files(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	_, err := Load([]string{"-nope"}, nil, files(nil))
	if ps := problems(t, err); len(ps) != 1 || !strings.Contains(ps[0].Message, "-nope") {
		t.Errorf("unknown flag: %v", ps)
	}
	_, err = Load([]string{"serve"}, nil, files(nil))
	if ps := problems(t, err); len(ps) != 1 || !strings.Contains(ps[0].Message, `unexpected argument "serve"`) {
		t.Errorf("positional: %v", ps)
	}
	_, err = Load([]string{"-config", "missing.conf"}, nil, files(nil))
	if ps := problems(t, err); len(ps) != 1 || !strings.HasPrefix(ps[0].String(), "missing.conf: cannot read the config file") {
		t.Errorf("missing explicit file: %v", ps)
	}
	fsys := files(map[string]string{"a.conf": "[server]\nlisten = 127.0.0.1:1\n", "b.conf": "[server]\nlisten = 127.0.0.1:2\n"})
	c, err := Load(nil, envOf(map[string]string{"EBIOS_CONFIG": "a.conf"}), fsys)
	if err != nil || c.Listen != "127.0.0.1:1" || c.File != "a.conf" {
		t.Errorf("EBIOS_CONFIG: %v %v", c, err)
	}
	c, err = Load([]string{"-config=b.conf"}, envOf(map[string]string{"EBIOS_CONFIG": "a.conf"}), fsys)
	if err != nil || c.Listen != "127.0.0.1:2" || c.Source("server.listen").String() != "b.conf:2" {
		t.Errorf("-config over EBIOS_CONFIG: %v %v", c, err)
	}
	c, err = Load([]string{"-dev=false", "-rate-limit-read", "1/s"}, envOf(map[string]string{"EBIOS_DEV": "true"}), files(nil))
	if err != nil || c.Dev || c.RateLimit.Rules["read"] != (ratelimit.Rule{Requests: 1, Window: time.Second, Burst: 1}) {
		t.Errorf("flags: %+v %v", c, err)
	}
	if u := Usage(); !strings.Contains(u, "-listen value") || !strings.Contains(u, "-dev\n") {
		t.Errorf("Usage:\n%s", u)
	}
}

func TestSeedRateLimitKeys(t *testing.T) {
	c := load(t, nil, nil, "[api]\nrate_limit_enabled = true\nrate_limit_requests = 50\nrate_limit_window = 30\n")
	if r := c.RateLimit.Rules["execute"]; r != (ratelimit.Rule{Requests: 50, Window: 30 * time.Second, Burst: 50}) {
		t.Errorf("seed keys: %v", r)
	}
	c = load(t, nil, map[string]string{"EBIOS_RATE_LIMIT": "7"}, "")
	if r := c.RateLimit.Rules["execute"]; r != (ratelimit.Rule{Requests: 7, Window: time.Minute, Burst: 7}) {
		t.Errorf("EBIOS_RATE_LIMIT: %v", r)
	}
	_, err := Load(nil, nil, files(map[string]string{"ebios.conf": "[api]\nrate_limit_requests = 50\nrate_limit_execute = 5/s\n"}))
	if ps := problems(t, err); len(ps) != 1 || !strings.Contains(ps[0].String(), "ebios.conf:2: api.rate_limit_requests") ||
		!strings.Contains(ps[0].Message, "ebios.conf:3") {
		t.Errorf("conflict: %v", ps)
	}
	_, err = Load(nil, nil, files(map[string]string{"ebios.conf": "[api]\nrate_limit_requests = 0\n"}))
	if ps := problems(t, err); len(ps) != 1 {
		t.Errorf("zero requests: %v", ps)
	}
}

func TestExampleFile(t *testing.T) {
	data, err := os.ReadFile("testdata/ebios.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load([]string{"-config", "testdata/ebios.conf.example"}, nil, nil)
	if err != nil {
		t.Fatalf("the example does not load:\n%v", err)
	}
	def, _ := Load(nil, nil, files(nil))
	for _, k := range keys {
		if !strings.Contains(string(data), "\n"+k.name+" =") && !strings.Contains(string(data), ";   "+k.name+" =") {
			t.Errorf("the example lacks %s", k.id())
		}
	}
	// It shows the defaults.
	for _, c := range []*Config{c, def} {
		for _, p := range []*string{&c.Auth.SecretFile, &c.Auth.UsersDB, &c.Ledger.DBPath, &c.Ledger.KeyFile, &c.TLS.ACMECacheDir} {
			*p = filepath.Clean(*p)
		}
	}
	if c.Listen != def.Listen || c.Auth != def.Auth || c.Ledger != def.Ledger || c.RateLimit.MaxClients != def.RateLimit.MaxClients ||
		c.TLS.HSTSMaxAge != def.TLS.HSTSMaxAge || c.TLS.ACMECacheDir != def.TLS.ACMECacheDir {
		t.Errorf("example differs from defaults:\n%+v\n%+v", c, def)
	}
	for class, r := range def.RateLimit.Rules {
		if c.RateLimit.Rules[class] != r {
			t.Errorf("example rule %s = %v, default %v", class, c.RateLimit.Rules[class], r)
		}
	}
	for name, n := range def.RateLimit.Costs {
		if c.RateLimit.Costs[name] != n {
			t.Errorf("example cost %s = %d, default %d", name, c.RateLimit.Costs[name], n)
		}
	}
	if c.RateLimit.CostPerSecond != def.RateLimit.CostPerSecond || c.RateLimit.HeavyConcurrency != def.RateLimit.HeavyConcurrency {
		t.Errorf("example heavy settings %+v, default %+v", c.RateLimit, def.RateLimit)
	}
}

// TestHeavyCosts: the prices of the heavy routes come from their keys and
// reach the limiter's configuration; bad values are problems.
func TestHeavyCosts(t *testing.T) {
	def := load(t, nil, nil, "")
	rc := def.RateLimiterConfig()
	for _, name := range ratelimit.CostNames {
		if rc.Costs[name] != ratelimit.DefaultCosts()[name] {
			t.Errorf("default cost %s = %+v, want %+v", name, rc.Costs[name], ratelimit.DefaultCosts()[name])
		}
	}
	if rc.Concurrency[ratelimit.ClassHeavy] != ratelimit.DefaultHeavyConcurrency || rc.Rules[ratelimit.ClassHeavy] != ratelimit.DefaultRules()[ratelimit.ClassHeavy] {
		t.Errorf("heavy: %+v", rc)
	}
	c := load(t, []string{"-rate-limit-cost-guard-events", "7", "-rate-limit-heavy", "10/1s burst 50"},
		map[string]string{"EBIOS_API_RATE_LIMIT_COST_PER_SECOND": "0", "EBIOS_API_RATE_LIMIT_HEAVY_CONCURRENCY": "5"},
		"[api]\nrate_limit_cost_verify = 40\n")
	rc = c.RateLimiterConfig()
	if rc.Costs[ratelimit.CostGuardEvents].Tokens != 7 || rc.Costs[ratelimit.CostVerify].Tokens != 40 || rc.Costs[ratelimit.CostTrace].Tokens != 1 ||
		rc.Costs[ratelimit.CostTrace].PerSecond != 0 || rc.Concurrency[ratelimit.ClassHeavy] != 5 || rc.Rules[ratelimit.ClassHeavy].Burst != 50 {
		t.Errorf("configured: %+v", rc)
	}
	if _, err := ratelimit.New(rc); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-rate-limit-cost-trace", "0"}, "api.rate_limit_cost_trace: must be between 1 and"},
		{[]string{"-rate-limit-cost-export", "x"}, "api.rate_limit_cost_export: \"x\" is not an integer"},
		{[]string{"-rate-limit-cost-per-second", "-1"}, "api.rate_limit_cost_per_second: must be between 0"},
		{[]string{"-rate-limit-heavy-concurrency", "-1"}, "api.rate_limit_heavy_concurrency: must not be negative"},
		{[]string{"-rate-limit-cost-verify", "700"}, "warning: api.rate_limit_cost_verify: 700 tokens is more than the burst"},
	} {
		_, ps := Check(tc.args, nil, files(nil))
		if !strings.Contains(ps.Error(), tc.want) {
			t.Errorf("%v: problems %v, want %q", tc.args, ps, tc.want)
		}
	}
}

// TestRedirectHosts parses tls.redirect_hosts.
func TestRedirectHosts(t *testing.T) {
	for _, tc := range []struct {
		in, host, port, err string
	}{
		{in: "ebios.example.org", host: "ebios.example.org"},
		{in: "EBIOS.Example.org.", host: "ebios.example.org"},
		{in: "ebios.example.org:8443", host: "ebios.example.org", port: "8443"},
		{in: "intranet-host", host: "intranet-host"},
		{in: "192.0.2.7", host: "192.0.2.7"},
		{in: "[2001:db8::1]:443", host: "2001:db8::1", port: "443"},
		{in: "[2001:DB8::1]", host: "2001:db8::1"},
		{in: "ebios.example.org:0", err: "port"},
		{in: "ebios.example.org:https", err: "port"},
		{in: "-bad-.example", err: "not a host name"},
		{in: "a b", err: "not a host name"},
		{in: "*.example.org", err: "not a host name"},
		{in: "[fe80::1%eth0]:443", err: "zone"},
	} {
		host, port, err := ParseRedirectHost(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %q %q %v, want an error with %q", tc.in, host, port, err, tc.err)
			}
			continue
		}
		if err != nil || host != tc.host || port != tc.port {
			t.Errorf("%q: %q %q %v, want %q %q", tc.in, host, port, err, tc.host, tc.port)
		}
	}
	c := load(t, []string{"-redirect-hosts", "a.example.org, b.example.org:8443"}, nil, "")
	if strings.Join(c.TLS.RedirectHosts, "|") != "a.example.org|b.example.org:8443" {
		t.Errorf("RedirectHosts %q", c.TLS.RedirectHosts)
	}
	_, ps := Check([]string{"-redirect-hosts", "ok.example.org, bad host"}, nil, files(nil))
	if len(ps) != 1 || ps[0].Key != "tls.redirect_hosts" || ps[0].Warning {
		t.Errorf("a bad redirect host: %v", ps)
	}
}

func TestValidateCollectsAll(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "jwt.secret")
	os.WriteFile(secret, []byte("short"), 0o644)
	conf := "[server]\nlisten = 0.0.0.0:99999\nrequest_timeout = 0\n" +
		"[tls]\ncert_file = " + filepath.Join(dir, "missing.pem") + "\nacme_domains = 1.2.3.4, -bad-.example\nhsts_max_age = 0\n" +
		"[auth]\naccess_ttl = 10s\nrefresh_ttl = 5s\nsecret_file = " + secret + "\nusers_db = same.db\n" +
		"[ledger]\ndb_path = same.db\n" +
		"[api]\nrate_limit_max_clients = 0\ntrusted_proxies = 0.0.0.0/0\n" +
		"[policies]\ntrusted_keys = not-a-key\n"
	c := load(t, nil, map[string]string{"EBIOS_TLS_REDIRECT_HTTP": "nonsense"}, conf)
	ps := c.Validate()
	for _, want := range []string{
		"ebios.conf:2: server.listen: port \"99999\"",
		"ebios.conf:3: server.request_timeout: must be between",
		"default: tls.key_file: cert_file is set (ebios.conf:5) but key_file is not",
		"ebios.conf:6: tls.acme_domains: both certificate files and ACME",
		"ebios.conf:6: tls.acme_domains: \"1.2.3.4\" is not a DNS name",
		"ebios.conf:6: tls.acme_domains: \"-bad-.example\" is not a DNS name",
		"env EBIOS_TLS_REDIRECT_HTTP: tls.redirect_http: \"nonsense\" is not host:port",
		"ebios.conf:7: tls.hsts_max_age: must be between",
		"ebios.conf:9: auth.access_ttl: must be between 1m and 24h, got 10s",
		"ebios.conf:10: auth.refresh_ttl: must be longer than access_ttl",
		"ebios.conf:11: warning: auth.secret_file: " + secret + " is readable by other users",
		"ebios.conf:11: auth.secret_file: " + secret + " holds 5 bytes",
		"ebios.conf:12: auth.users_db: is the same file as ledger.db_path",
		"ebios.conf:16: api.rate_limit_max_clients: must be at least 1",
		"ebios.conf:17: api.trusted_proxies: 0.0.0.0/0 trusts every peer",
		"ebios.conf:19: policies.trusted_keys: \"not-a-key\" is not a note verifier key",
	} {
		found := false
		for _, p := range ps {
			found = found || strings.Contains(p.String(), want)
		}
		if !found {
			t.Errorf("missing problem %q", want)
		}
	}
	if len(ps.Errors()) < 14 || len(ps.Warnings()) < 1 || len(ps.Errors())+len(ps.Warnings()) != len(ps) {
		t.Errorf("%d errors, %d warnings:\n%v", len(ps.Errors()), len(ps.Warnings()), ps)
	}
	if !strings.Contains(ps.Error(), "\n") {
		t.Error("Problems.Error is not one problem a line")
	}
}

func TestValidateGood(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, []byte("cert"), 0o644)
	os.WriteFile(key, []byte("key"), 0o600)
	os.WriteFile(filepath.Join(dir, "jwt.secret"), []byte(strings.Repeat("k", 64)), 0o600)
	conf := "[server]\nlisten = :443\ndata_dir = " + dir + "\n[tls]\ncert_file = " + cert + "\nkey_file = " + key +
		"\nredirect_http = :80\n[policies]\ntrusted_keys = PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n"
	c := load(t, nil, nil, conf)
	if ps := c.Validate(); len(ps) != 0 {
		t.Fatalf("problems:\n%v", ps)
	}
	// Warnings only: public plain HTTP, rate limiting off, memory backend, world-readable key.
	os.Chmod(key, 0o644)
	c = load(t, []string{"-listen", ":8080", "-rate-limit=false"}, map[string]string{"EBIOS_BACKEND": "memory"}, "")
	ps := c.Validate()
	if len(ps.Errors()) != 0 || len(ps.Warnings()) != 3 {
		t.Fatalf("want 3 warnings:\n%v", ps)
	}
	_, ps = Check([]string{"-listen", ":8080", "-dev"}, nil, files(nil))
	if len(ps) != 1 || !ps[0].Warning || ps[0].Key != "server.dev" {
		t.Fatalf("dev on public address: %v", ps)
	}
	_, ps = Check([]string{"-dev=maybe"}, nil, files(nil))
	if len(ps) != 1 || ps[0].Source.String() != "flag -dev" {
		t.Fatalf("Check with a load problem: %v", ps)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"15m": 15 * time.Minute, "3600": time.Hour, "7d": 7 * 24 * time.Hour,
		"1h30m": 90 * time.Minute, "0": 0} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "-5m", "d", "1.5d", "soon", "99999999999999999999"} {
		if _, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) accepted", in)
		}
	}
}

// TestReferenceInDoc keeps the package documentation equal to Reference.
func TestReferenceInDoc(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(Reference(), "\n"), "\n") {
		if l == "" {
			b.WriteString("//\n")
		} else {
			b.WriteString("//\t" + l + "\n")
		}
	}
	if !strings.Contains(string(doc), b.String()) {
		t.Fatalf("doc.go does not carry Reference(); update its # Settings section to:\n%s", b.String())
	}
	for _, k := range keys {
		if k.doc == "" || k.flag == "" {
			t.Errorf("%s lacks doc or flag", k.id())
		}
	}
}

func FuzzParseINI(f *testing.F) {
	data, _ := os.ReadFile("testdata/ebios.conf.example")
	f.Add(string(data))
	f.Add("[server]\nlisten = \"a\\\"b\" ; c\n")
	f.Fuzz(func(t *testing.T, s string) {
		vals, probs := parseINI("f", []byte(s))
		lines := strings.Count(s, "\n") + 1
		for _, v := range vals {
			if v.line < 1 || v.line > lines || v.section == "" || v.key == "" {
				t.Fatalf("bad value %+v", v)
			}
		}
		for _, p := range probs {
			if p.Source.Line < 1 || p.Source.Line > lines {
				t.Fatalf("bad line in %v", p)
			}
		}
		_, _ = Load(nil, nil, files(map[string]string{"ebios.conf": s}))
	})
}

// TestValidateBackup: the backup keys' limits, each problem naming its key.
func TestValidateBackup(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o600)
	cases := []struct {
		args []string
		want string // "" for no problem
	}{
		{nil, ""},
		{[]string{"-backup-interval", "0"}, "warning: server.backup_interval: scheduled backups are off"},
		{[]string{"-backup-interval", "30s"}, "server.backup_interval: must be 0 (no schedule) or at least 1m, got 30s"},
		{[]string{"-backup-keep", "-1"}, "server.backup_keep: must be 0 (keep all) or more, got -1"},
		{[]string{"-backup-dir", ""}, "server.backup_dir: must not be empty while backup_interval is set (1h0m0s)"},
		{[]string{"-backup-dir", notDir}, "server.backup_dir: " + notDir + " exists and is not a directory"},
	}
	for _, c := range cases {
		_, ps := Check(c.args, nil, files(nil))
		if c.want == "" {
			if len(ps) != 0 {
				t.Errorf("%v: %v, want no problem", c.args, ps)
			}
			continue
		}
		if len(ps) != 1 || !strings.Contains(ps[0].String(), c.want) {
			t.Errorf("%v: %v, want one problem containing %q", c.args, ps, c.want)
		}
	}
}

func TestMetricsTokenFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := strings.Repeat("A", 31) + "=\n"
	cases := []struct {
		name, path, want string // want: "" for accepted, else part of the error
	}{
		{"good", write("good", good, 0o600), ""},
		{"short", write("short", "abc\n", 0o600), "is 3 bytes, at least 32 are required; make one with: head -c 32 /dev/urandom"},
		{"readable by others", write("open", good, 0o644), "readable by other users (mode 0644); chmod 600"},
		{"inner space", write("space", strings.Repeat("A", 20)+" "+strings.Repeat("B", 20), 0o600), "holds a space, a control character or a non-ASCII byte at byte 20"},
		{"missing", filepath.Join(dir, "nope"), "cannot use the metrics token file"},
		{"directory", dir, "is not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := ReadMetricsToken(c.path)
			if c.want == "" {
				if err != nil || tok != strings.TrimSpace(good) {
					t.Fatalf("ReadMetricsToken = %q, %v", tok, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
			// config check reports the same problem under the key's name.
			_, ps := Check([]string{"-data-dir", dir, "-metrics-token-file", c.path}, nil, files(nil))
			found := false
			for _, p := range ps {
				found = found || p.Key == "monitoring.metrics_token_file" && !p.Warning
			}
			if found != (c.want != "") {
				t.Fatalf("config check problems %v; want a metrics_token_file error: %v", ps, c.want != "")
			}
		})
	}
}

// TestCORSOrigins: cors_origins takes origins as browsers send them
// (normalised: lower-case host, no default port) and refuses anything
// else, "*" included.
func TestCORSOrigins(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"https://app.example.org", []string{"https://app.example.org"}, ""},
		{"https://App.Example.org:443/, http://localhost:8081", []string{"https://app.example.org", "http://localhost:8081"}, ""},
		{"http://example.org:80", []string{"http://example.org"}, ""},
		{"http://[::1]:8081", []string{"http://[::1]:8081"}, ""},
		{"*", nil, `"*" is not allowed`},
		{"null", nil, `"null" is not allowed`},
		{"https://app.example.org/path", nil, "is not a web origin"},
		{"ftp://app.example.org", nil, "is not a web origin"},
		{"app.example.org", nil, "is not a web origin"},
		{"https://user@app.example.org", nil, "is not a web origin"},
		{"https://app.example.org?x=1", nil, "is not a web origin"},
	}
	for _, c := range cases {
		cfg, err := Load([]string{"-cors-origins", c.in}, nil, files(nil))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "cors_origins") {
				t.Errorf("%q: err %v, want one naming cors_origins and saying %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !slices.Equal(cfg.CORSOrigins, c.want) {
			t.Errorf("%q: %q, want %q", c.in, cfg.CORSOrigins, c.want)
		}
	}
}

// TestEmbedFrameAncestors: [embed] frame_ancestors is * by default, and
// takes none, or origins (normalised as cors_origins's), as a CSP source
// list; anything else is refused with the key named.
func TestEmbedFrameAncestors(t *testing.T) {
	cases := []struct {
		args []string
		want string
		err  string
	}{
		{nil, "*", ""},
		{[]string{"-embed-frame-ancestors", "*"}, "*", ""},
		{[]string{"-embed-frame-ancestors", "none"}, "'none'", ""},
		{[]string{"-embed-frame-ancestors", "'none'"}, "'none'", ""},
		{[]string{"-embed-frame-ancestors", ""}, "'none'", ""},
		{[]string{"-embed-frame-ancestors", "https://Blog.example.org:443, http://localhost:8081"}, "https://blog.example.org http://localhost:8081", ""},
		{[]string{"-embed-frame-ancestors", "*, https://blog.example.org"}, "", "or * for any site"},
		{[]string{"-embed-frame-ancestors", "blog.example.org"}, "", "is not a web origin"},
		{[]string{"-embed-frame-ancestors", "https://blog.example.org; script-src *"}, "", "is not a web origin"},
	}
	for _, c := range cases {
		cfg, err := Load(c.args, nil, files(nil))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "frame_ancestors") {
				t.Errorf("%q: err %v, want one naming frame_ancestors and saying %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || cfg.EmbedFrameAncestors != c.want {
			t.Errorf("%q: %q, %v; want %q", c.args, cfg.EmbedFrameAncestors, err, c.want)
		}
	}
}
