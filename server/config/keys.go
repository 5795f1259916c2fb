package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ebios/ebios/server/ratelimit"
)

type kind int

const (
	kindString kind = iota
	kindBool
	kindInt
	kindDuration
	kindList
	kindPrefixes
	kindRule
	kindLevel
)

func (k kind) String() string {
	return [...]string{"string", "bool", "int", "duration", "list", "CIDR list", "rate rule", "level"}[k]
}

// key is one setting: its INI section and name, its flag, its environment
// variables (EBIOS_<SECTION>_<NAME>, then aliases), its default and how to
// store it. keys drives Load, Usage and Reference.
type key struct {
	section, name string
	flag          string
	aliases       []string
	kind          kind
	def           string // "$DATA/x" is x in the data directory
	doc           string
	set           func(*Config, string) error
}

func (k key) id() string { return k.section + "." + k.name }

func (k key) env() string {
	return "EBIOS_" + strings.ToUpper(k.section+"_"+k.name)
}

func (k key) envs() []string { return append([]string{k.env()}, k.aliases...) }

func str(f func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *f(c) = v; return nil }
}

func boolean(f func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := parseBool(v)
		*f(c) = b
		return err
	}
}

func duration(f func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := parseDuration(v)
		*f(c) = d
		return err
	}
}

func integer(f func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%q is not an integer", v)
		}
		*f(c) = n
		return nil
	}
}

// classDocs describe the route classes whose rule needs more than the
// generic words.
var classDocs = map[string]string{
	ratelimit.ClassHeavy: "token bucket per client for the routes whose work grows with the log (whole-log verify, export, trace, guard events), " +
		"in tokens of work (rate_limit_cost_per_second): <tokens>/<window>[ burst <n>]; each route takes its rate_limit_cost_* and is charged for its time",
}

// costDocs describe the price of each priced route.
var costDocs = map[string]string{
	ratelimit.CostVerify: "tokens of rate_limit_heavy that starting a whole-log verification takes (POST /api/v1/ledger/verify/jobs, GET /ledger/verify): " +
		"its estimated work, as it runs in the background after the request",
	ratelimit.CostExport:      "tokens of rate_limit_heavy that GET /api/v1/ledger/export (the whole log) takes before it runs; its time is charged too",
	ratelimit.CostTrace:       "tokens of rate_limit_heavy that GET /api/v1/ledger/trace/{op_id} takes before it runs; its time is charged too",
	ratelimit.CostGuardEvents: "tokens of rate_limit_heavy that a page of GET /api/v1/guard/events takes before it runs; its time is charged too",
}

func rule(class string) func(*Config, string) error {
	return func(c *Config, v string) error {
		r, err := ratelimit.ParseRule(v)
		if err == nil {
			c.RateLimit.Rules[class] = r
		}
		return err
	}
}

func init() {
	for _, class := range ratelimit.Classes {
		doc := classDocs[class]
		if doc == "" {
			doc = fmt.Sprintf("token bucket per client for the %s routes: <requests>/<window>[ burst <n>]", class)
		}
		keys = append(keys, key{
			section: "api", name: "rate_limit_" + class, flag: "rate-limit-" + class, kind: kindRule,
			def: ratelimit.DefaultRules()[class].String(),
			doc: doc,
			set: rule(class),
		})
	}
	for _, name := range ratelimit.CostNames {
		keys = append(keys, key{
			section: "api", name: "rate_limit_cost_" + name, flag: "rate-limit-cost-" + strings.ReplaceAll(name, "_", "-"), kind: kindInt,
			def: strconv.Itoa(ratelimit.DefaultCosts()[name].Tokens),
			doc: costDocs[name],
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil {
					return fmt.Errorf("%q is not an integer", v)
				}
				c.RateLimit.Costs[name] = n
				return nil
			},
		})
	}
	keys = append(keys, tail...)
	for _, k := range keys {
		sections[k.section] = true
		keyByID[k.id()] = k
	}
}

var (
	sections = map[string]bool{}
	keyByID  = map[string]key{}
)

// keys lists every setting, in the order of the docs. data_dir comes first:
// defaults under $DATA depend on it.
var keys = []key{
	{section: "server", name: "data_dir", flag: "data-dir", aliases: []string{"EBIOS_DATA_DIR"}, def: "./data",
		doc: "directory of the ledger, the users file, keys and ACME certificates",
		set: func(c *Config, v string) error {
			c.DataDir = v
			if v == "" {
				return fmt.Errorf("must not be empty")
			}
			return nil
		}},
	{section: "server", name: "listen", flag: "listen", aliases: []string{"EBIOS_LISTEN"}, def: "127.0.0.1:8080",
		doc: "host:port to serve on; \":8080\" listens on every interface",
		set: str(func(c *Config) *string { return &c.Listen })},
	{section: "server", name: "store", flag: "store", aliases: []string{"EBIOS_STORE", "DATABASE_URL"},
		doc: "empty: the log, users and policies live in the data directory (BuntDB); a postgres:// URL keeps them in PostgreSQL, shared by every ebios serve given the same URL (docs/operations.md, PostgreSQL)",
		set: func(c *Config, v string) error {
			c.Store = v
			if v == "" || strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://") {
				return nil
			}
			return fmt.Errorf("not a PostgreSQL URL: give postgres://user@host:5432/db?sslmode=verify-full, or nothing for the data directory")
		}},
	{section: "server", name: "advertise_url", flag: "advertise-url",
		doc: "with store: the URL at which the other servers reach this one (http://10.0.0.5:8080), to send it their appends while it holds the sequencer lease; empty: the listen address, or the first non-loopback IPv4 address of the host when it listens on every interface",
		set: str(func(c *Config) *string { return &c.AdvertiseURL })},
	{section: "server", name: "dev", flag: "dev", aliases: []string{"EBIOS_DEV"}, kind: kindBool, def: "false",
		doc: "development mode: creates a development ledger key if there is none, and relaxes the production warnings of `ebios config check`",
		set: boolean(func(c *Config) *bool { return &c.Dev })},
	{section: "server", name: "request_timeout", flag: "request-timeout", kind: kindDuration, def: "30s",
		doc: "longest time to read a request and write its response",
		set: duration(func(c *Config) *time.Duration { return &c.RequestTimeout })},
	{section: "server", name: "backup_dir", flag: "backup-dir", def: "$DATA/backups",
		doc: "directory the server writes its online backups into (the schedule and POST /api/v1/admin/backup); put it on another disk, and ship it off the host",
		set: str(func(c *Config) *string { return &c.Backup.Dir })},
	{section: "server", name: "backup_interval", flag: "backup-interval", kind: kindDuration, def: "1h",
		doc: "time between scheduled backups (the recovery point objective); 0 turns the schedule off",
		set: duration(func(c *Config) *time.Duration { return &c.Backup.Interval })},
	{section: "server", name: "backup_keep", flag: "backup-keep", kind: kindInt, def: "24",
		doc: "how many backups to keep in backup_dir; the oldest is removed only after a new one succeeded; 0 keeps all",
		set: integer(func(c *Config) *int { return &c.Backup.Keep })},

	{section: "monitoring", name: "log_level", flag: "log-level", aliases: []string{"EBIOS_LOG_LEVEL"}, kind: kindLevel, def: "info",
		doc: "debug, info, warn or error; logs are JSON lines on standard error",
		set: func(c *Config, v string) error {
			l, err := parseLevel(v)
			c.LogLevel = l
			return err
		}},
	{section: "monitoring", name: "prometheus_enabled", flag: "metrics", kind: kindBool, def: "true",
		doc: "serve Prometheus metrics at /metrics (admin only)",
		set: boolean(func(c *Config) *bool { return &c.Metrics })},
	{section: "monitoring", name: "metrics_token_file", flag: "metrics-token-file",
		doc: "file holding a bearer token (at least 32 bytes, mode 0600) that may read /metrics, for Prometheus; make one with head -c 32 /dev/urandom | base64",
		set: str(func(c *Config) *string { return &c.MetricsTokenFile })},

	{section: "tls", name: "cert_file", flag: "tls-cert", doc: "PEM certificate chain; with key_file, serve HTTPS",
		set: str(func(c *Config) *string { return &c.TLS.CertFile })},
	{section: "tls", name: "key_file", flag: "tls-key", doc: "PEM private key of cert_file",
		set: str(func(c *Config) *string { return &c.TLS.KeyFile })},
	{section: "tls", name: "acme_domains", flag: "acme-domains", kind: kindList,
		doc: "comma-separated host names to get certificates for by ACME (Let's Encrypt); instead of cert_file",
		set: func(c *Config, v string) error { c.TLS.ACMEDomains = parseList(v); return nil }},
	{section: "tls", name: "acme_email", flag: "acme-email", doc: "contact e-mail of the ACME account (optional)",
		set: str(func(c *Config) *string { return &c.TLS.ACMEEmail })},
	{section: "tls", name: "acme_cache_dir", flag: "acme-cache-dir", def: "$DATA/acme",
		doc: "directory where ACME keys and certificates are kept",
		set: str(func(c *Config) *string { return &c.TLS.ACMECacheDir })},
	{section: "tls", name: "acme_directory_url", flag: "acme-directory-url",
		doc: "directory URL (https) of the ACME certificate authority; empty for Let's Encrypt. For a private or test CA (step-ca, pebble)",
		set: str(func(c *Config) *string { return &c.TLS.ACMEDirectoryURL })},
	{section: "tls", name: "acme_ca_file", flag: "acme-ca-file",
		doc: "PEM file of CA certificates, added to the system's, that sign the HTTPS certificate of acme_directory_url's server (a private or test CA); empty for the system's only",
		set: str(func(c *Config) *string { return &c.TLS.ACMECAFile })},
	{section: "tls", name: "redirect_http", flag: "redirect-http",
		doc: "host:port of a plain-HTTP listener that redirects to HTTPS (and answers ACME http-01); empty for none",
		set: str(func(c *Config) *string { return &c.TLS.RedirectHTTP })},
	{section: "tls", name: "redirect_hosts", flag: "redirect-hosts", kind: kindList,
		doc: "comma-separated host names (host or host:port) the HTTP redirect may send to; a request for another Host is refused (421). " +
			"Empty: acme_domains, or the DNS names and IP addresses of cert_file's certificate. Without a port, the port of server.listen (omitted when 443)",
		set: func(c *Config, v string) error { c.TLS.RedirectHosts = parseList(v); return nil }},
	{section: "tls", name: "hsts", flag: "hsts", kind: kindBool, def: "true",
		doc: "send Strict-Transport-Security on HTTPS responses",
		set: boolean(func(c *Config) *bool { return &c.TLS.HSTS })},
	{section: "tls", name: "hsts_max_age", flag: "hsts-max-age", kind: kindDuration, def: "730d",
		doc: "max-age of Strict-Transport-Security",
		set: duration(func(c *Config) *time.Duration { return &c.TLS.HSTSMaxAge })},

	{section: "auth", name: "access_ttl", flag: "access-ttl", kind: kindDuration, def: "15m",
		doc: "lifetime of access tokens (1m to 24h)",
		set: duration(func(c *Config) *time.Duration { return &c.Auth.AccessTTL })},
	{section: "auth", name: "refresh_ttl", flag: "refresh-ttl", kind: kindDuration, def: "7d",
		doc: "lifetime of refresh tokens (longer than access_ttl, at most 90d)",
		set: duration(func(c *Config) *time.Duration { return &c.Auth.RefreshTTL })},
	{section: "auth", name: "login_failures", flag: "login-failures", kind: kindInt, def: "10",
		doc: "failed logins one account name may have in login_window; past it, its logins are refused (AUTH_020, 429) from any address until the window ends; on PostgreSQL counted over every server. 0: no per-account limit",
		set: integer(func(c *Config) *int { return &c.Auth.LoginFailures })},
	{section: "auth", name: "login_window", flag: "login-window", kind: kindDuration, def: "15m",
		doc: "the window of login_failures, and so the longest an account stays locked (1m to 24h)",
		set: duration(func(c *Config) *time.Duration { return &c.Auth.LoginWindow })},
	{section: "auth", name: "secret_file", flag: "auth-secret-file", def: "$DATA/jwt.secret",
		doc: "HMAC key that signs tokens; made (mode 0600) at first start if missing",
		set: str(func(c *Config) *string { return &c.Auth.SecretFile })},
	{section: "auth", name: "users_db", flag: "users-db", def: "$DATA/users.db",
		doc: "BuntDB file of users, the setup token and token revocations",
		set: str(func(c *Config) *string { return &c.Auth.UsersDB })},

	{section: "api", name: "rate_limit_enabled", flag: "rate-limit", kind: kindBool, def: "true",
		doc: "apply the rate limits below (per client; on PostgreSQL every server shares its usage, so they hold across servers)",
		set: boolean(func(c *Config) *bool { return &c.RateLimit.Enabled })},
	{section: "api", name: "rate_limit_requests", flag: "rate-limit-requests", aliases: []string{"EBIOS_RATE_LIMIT"}, kind: kindInt, def: "100",
		doc: "the seed's key: requests per rate_limit_window for the execute routes (shorthand for rate_limit_execute)",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%q is not an integer", v)
			}
			c.seedRequests = n
			return nil
		}},
	{section: "api", name: "rate_limit_window", flag: "rate-limit-window", kind: kindDuration, def: "60",
		doc: "the seed's key: window of rate_limit_requests (seconds or a duration)",
		set: duration(func(c *Config) *time.Duration { return &c.seedWindow })},
}

// tail follows the per-class rate limit keys and the prices (added by init).
var tail = []key{
	{section: "api", name: "rate_limit_cost_per_second", flag: "rate-limit-cost-per-second", kind: kindInt,
		def: strconv.Itoa(ratelimit.DefaultCostPerSecond),
		doc: "tokens of rate_limit_heavy charged per second a heavy route's handler ran, beyond the time its cost paid for " +
			"(the bucket may go into debt, down to minus its burst); 0 charges no time",
		set: integer(func(c *Config) *int { return &c.RateLimit.CostPerSecond })},
	{section: "api", name: "rate_limit_heavy_concurrency", flag: "rate-limit-heavy-concurrency", kind: kindInt,
		def: strconv.Itoa(ratelimit.DefaultHeavyConcurrency),
		doc: "most heavy requests (verify, export, trace, guard events) one client may have running at once; 0 for no cap",
		set: integer(func(c *Config) *int { return &c.RateLimit.HeavyConcurrency })},
	{section: "api", name: "rate_limit_allowlist", flag: "rate-limit-allowlist", kind: kindPrefixes,
		doc: "comma-separated IP addresses or CIDR prefixes that are never rate limited",
		set: func(c *Config, v string) (err error) { c.RateLimit.Allowlist, err = parsePrefixes(v); return err }},
	{section: "api", name: "rate_limit_max_clients", flag: "rate-limit-max-clients", kind: kindInt,
		def: strconv.Itoa(ratelimit.DefaultMaxClients),
		doc: "most client buckets kept in memory (about 250 bytes each)",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%q is not an integer", v)
			}
			c.RateLimit.MaxClients = n
			return nil
		}},
	{section: "api", name: "trusted_proxies", flag: "trusted-proxies", kind: kindPrefixes,
		doc: "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For is believed",
		set: func(c *Config, v string) (err error) { c.TrustedProxies, err = parsePrefixes(v); return err }},
	{section: "api", name: "cors_origins", flag: "cors-origins", kind: kindList,
		doc: "comma-separated web origins (https://app.example.org) whose pages may call the API from a browser (CORS); empty: none, the API answers only pages of its own origin",
		set: func(c *Config, v string) (err error) { c.CORSOrigins, err = parseOrigins(v); return err }},
	{section: "embed", name: "frame_ancestors", flag: "embed-frame-ancestors", kind: kindList, def: "*",
		doc: "the sites whose pages may show the embeddable widget's iframe pages (/embed/calc, /embed/verify): * for any, comma-separated origins (https://blog.example.org), or none; every other page refuses framing",
		set: func(c *Config, v string) (err error) { c.EmbedFrameAncestors, err = parseFrameAncestors(v); return err }},

	{section: "ledger", name: "backend", flag: "ledger-backend", aliases: []string{"EBIOS_BACKEND"}, def: "buntdb",
		doc: "buntdb (a durable file) or memory (tests and demos: nothing is kept)",
		set: func(c *Config, v string) error {
			c.Ledger.Backend = v
			switch v {
			case "buntdb", "memory":
				return nil
			case "sqlite", "postgres", "postgresql":
				return fmt.Errorf("%s was a backend of the Python eBIOS; this one keeps the ledger in BuntDB (backend = buntdb)", v)
			}
			return fmt.Errorf("unknown backend %q (buntdb or memory)", v)
		}},
	{section: "ledger", name: "db_path", flag: "ledger-db", aliases: []string{"EBIOS_DB_PATH"}, def: "$DATA/ledger.db",
		doc: "BuntDB file of the ledger",
		set: str(func(c *Config) *string { return &c.Ledger.DBPath })},
	{section: "ledger", name: "key_file", flag: "ledger-key", def: "$DATA/ledger.key",
		doc: "the log's Ed25519 signing key (golang.org/x/mod/sumdb/note format); keep it secret and backed up",
		set: str(func(c *Config) *string { return &c.Ledger.KeyFile })},
	{section: "ledger", name: "log_public", flag: "log-public", aliases: []string{"EBIOS_LOG_PUBLIC"}, kind: kindBool, def: "false",
		doc: "serve the log's checkpoint and C2SP tiles (/api/v1/log/...) without authentication, for a public transparency log; otherwise they need ledger:read",
		set: boolean(func(c *Config) *bool { return &c.Ledger.LogPublic })},

	{section: "policies", name: "trusted_keys", flag: "policy-keys", kind: kindList,
		doc: "comma-separated note verifier keys (name+hash+base64) allowed to sign policies",
		set: func(c *Config, v string) error { c.Policies.TrustedKeys = parseList(v); return nil }},
}
