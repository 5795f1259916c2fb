// Package config loads and checks the eBIOS server configuration.
//
// # Sources
//
// Every setting comes from the first of these that gives it:
//
//  1. a command-line flag (-listen :8080);
//  2. an environment variable, EBIOS_<SECTION>_<KEY> (EBIOS_SERVER_LISTEN),
//     or for a few settings a shorter alias (EBIOS_LISTEN, EBIOS_DB_PATH,
//     the seed's EBIOS_BACKEND and EBIOS_RATE_LIMIT); the long name wins
//     over an alias;
//  3. the config file: the one named by -config or EBIOS_CONFIG, else
//     ebios.conf in the working directory if there is one;
//  4. the default.
//
// [Config.Source] tells which one gave each value, and every [Problem]
// names it ("flag -listen", "env EBIOS_SERVER_LISTEN", "ebios.conf:12",
// "default").
//
// # The file
//
// ebios.conf is INI, as in the seed, read strictly: an unknown section or
// key, a key set twice, a line that is neither a comment, a [section] nor
// key = value, or a malformed value is an error with its line number. Lines
// starting with ; or # are comments, and so is the rest of an unquoted
// value after " ;" or " #". A value may be written in double quotes with Go
// escapes. Keys of the Python eBIOS that have no meaning here (wal_mode,
// auto_vacuum, auto_log, halt_on_critical) are errors that say so.
//
// Values: a bool is true/false (yes/no, on/off, 1/0); a duration is a Go
// duration (15m, 1h30m), whole days (7d) or plain seconds (3600, the seed's
// style); a list is comma-separated; a CIDR list holds addresses or
// prefixes (10.0.0.0/8, ::1); a rate rule is <requests>/<window>[ burst
// <n>] (100/minute, 20/1s burst 40); "$DATA/x" in a default means x in
// data_dir. testdata/ebios.conf.example sets every key.
//
// # Checking
//
// [Load] reports syntax and type problems; [Config.Validate] then checks
// values against each other and the file system (certificate files exist,
// TTLs are ordered, keys parse, the users file is not the ledger file) and
// warns about risky settings (plain HTTP on a public address, world-readable
// key files, rate limiting off). Both return every problem, not just the
// first; [Check] does both, for `ebios config check`.
//
// # Settings
//
//	[server] data_dir = ./data
//		flag -data-dir, env EBIOS_SERVER_DATA_DIR (or EBIOS_DATA_DIR); string
//		directory of the ledger, the users file, keys and ACME certificates
//
//	[server] listen = 127.0.0.1:8080
//		flag -listen, env EBIOS_SERVER_LISTEN (or EBIOS_LISTEN); string
//		host:port to serve on; ":8080" listens on every interface
//
//	[server] store = ""
//		flag -store, env EBIOS_SERVER_STORE (or EBIOS_STORE, DATABASE_URL); string
//		empty: the log, users and policies live in the data directory (BuntDB); a postgres:// URL keeps them in PostgreSQL, shared by every ebios serve given the same URL (docs/operations.md, PostgreSQL)
//
//	[server] advertise_url = ""
//		flag -advertise-url, env EBIOS_SERVER_ADVERTISE_URL; string
//		with store: the URL at which the other servers reach this one (http://10.0.0.5:8080), to send it their appends while it holds the sequencer lease; empty: the listen address, or the first non-loopback IPv4 address of the host when it listens on every interface
//
//	[server] dev = false
//		flag -dev, env EBIOS_SERVER_DEV (or EBIOS_DEV); bool
//		development mode: creates a development ledger key if there is none, and relaxes the production warnings of `ebios config check`
//
//	[server] request_timeout = 30s
//		flag -request-timeout, env EBIOS_SERVER_REQUEST_TIMEOUT; duration
//		longest time to read a request and write its response
//
//	[server] backup_dir = $DATA/backups
//		flag -backup-dir, env EBIOS_SERVER_BACKUP_DIR; string
//		directory the server writes its online backups into (the schedule and POST /api/v1/admin/backup); put it on another disk, and ship it off the host
//
//	[server] backup_interval = 1h
//		flag -backup-interval, env EBIOS_SERVER_BACKUP_INTERVAL; duration
//		time between scheduled backups (the recovery point objective); 0 turns the schedule off
//
//	[server] backup_keep = 24
//		flag -backup-keep, env EBIOS_SERVER_BACKUP_KEEP; int
//		how many backups to keep in backup_dir; the oldest is removed only after a new one succeeded; 0 keeps all
//
//	[monitoring] log_level = info
//		flag -log-level, env EBIOS_MONITORING_LOG_LEVEL (or EBIOS_LOG_LEVEL); level
//		debug, info, warn or error; logs are JSON lines on standard error
//
//	[monitoring] prometheus_enabled = true
//		flag -metrics, env EBIOS_MONITORING_PROMETHEUS_ENABLED; bool
//		serve Prometheus metrics at /metrics (admin only)
//
//	[monitoring] metrics_token_file = ""
//		flag -metrics-token-file, env EBIOS_MONITORING_METRICS_TOKEN_FILE; string
//		file holding a bearer token (at least 32 bytes, mode 0600) that may read /metrics, for Prometheus; make one with head -c 32 /dev/urandom | base64
//
//	[tls] cert_file = ""
//		flag -tls-cert, env EBIOS_TLS_CERT_FILE; string
//		PEM certificate chain; with key_file, serve HTTPS
//
//	[tls] key_file = ""
//		flag -tls-key, env EBIOS_TLS_KEY_FILE; string
//		PEM private key of cert_file
//
//	[tls] acme_domains = ""
//		flag -acme-domains, env EBIOS_TLS_ACME_DOMAINS; list
//		comma-separated host names to get certificates for by ACME (Let's Encrypt); instead of cert_file
//
//	[tls] acme_email = ""
//		flag -acme-email, env EBIOS_TLS_ACME_EMAIL; string
//		contact e-mail of the ACME account (optional)
//
//	[tls] acme_cache_dir = $DATA/acme
//		flag -acme-cache-dir, env EBIOS_TLS_ACME_CACHE_DIR; string
//		directory where ACME keys and certificates are kept
//
//	[tls] acme_directory_url = ""
//		flag -acme-directory-url, env EBIOS_TLS_ACME_DIRECTORY_URL; string
//		directory URL (https) of the ACME certificate authority; empty for Let's Encrypt. For a private or test CA (step-ca, pebble)
//
//	[tls] acme_ca_file = ""
//		flag -acme-ca-file, env EBIOS_TLS_ACME_CA_FILE; string
//		PEM file of CA certificates, added to the system's, that sign the HTTPS certificate of acme_directory_url's server (a private or test CA); empty for the system's only
//
//	[tls] redirect_http = ""
//		flag -redirect-http, env EBIOS_TLS_REDIRECT_HTTP; string
//		host:port of a plain-HTTP listener that redirects to HTTPS (and answers ACME http-01); empty for none
//
//	[tls] redirect_hosts = ""
//		flag -redirect-hosts, env EBIOS_TLS_REDIRECT_HOSTS; list
//		comma-separated host names (host or host:port) the HTTP redirect may send to; a request for another Host is refused (421). Empty: acme_domains, or the DNS names and IP addresses of cert_file's certificate. Without a port, the port of server.listen (omitted when 443)
//
//	[tls] hsts = true
//		flag -hsts, env EBIOS_TLS_HSTS; bool
//		send Strict-Transport-Security on HTTPS responses
//
//	[tls] hsts_max_age = 730d
//		flag -hsts-max-age, env EBIOS_TLS_HSTS_MAX_AGE; duration
//		max-age of Strict-Transport-Security
//
//	[auth] access_ttl = 15m
//		flag -access-ttl, env EBIOS_AUTH_ACCESS_TTL; duration
//		lifetime of access tokens (1m to 24h)
//
//	[auth] refresh_ttl = 7d
//		flag -refresh-ttl, env EBIOS_AUTH_REFRESH_TTL; duration
//		lifetime of refresh tokens (longer than access_ttl, at most 90d)
//
//	[auth] login_failures = 10
//		flag -login-failures, env EBIOS_AUTH_LOGIN_FAILURES; int
//		failed logins one account name may have in login_window; past it, its logins are refused (AUTH_020, 429) from any address until the window ends; on PostgreSQL counted over every server. 0: no per-account limit
//
//	[auth] login_window = 15m
//		flag -login-window, env EBIOS_AUTH_LOGIN_WINDOW; duration
//		the window of login_failures, and so the longest an account stays locked (1m to 24h)
//
//	[auth] secret_file = $DATA/jwt.secret
//		flag -auth-secret-file, env EBIOS_AUTH_SECRET_FILE; string
//		HMAC key that signs tokens; made (mode 0600) at first start if missing
//
//	[auth] users_db = $DATA/users.db
//		flag -users-db, env EBIOS_AUTH_USERS_DB; string
//		BuntDB file of users, the setup token and token revocations
//
//	[api] rate_limit_enabled = true
//		flag -rate-limit, env EBIOS_API_RATE_LIMIT_ENABLED; bool
//		apply the rate limits below (per client; on PostgreSQL every server shares its usage, so they hold across servers)
//
//	[api] rate_limit_requests = 100
//		flag -rate-limit-requests, env EBIOS_API_RATE_LIMIT_REQUESTS (or EBIOS_RATE_LIMIT); int
//		the seed's key: requests per rate_limit_window for the execute routes (shorthand for rate_limit_execute)
//
//	[api] rate_limit_window = 60
//		flag -rate-limit-window, env EBIOS_API_RATE_LIMIT_WINDOW; duration
//		the seed's key: window of rate_limit_requests (seconds or a duration)
//
//	[api] rate_limit_execute = 100/1m0s burst 100
//		flag -rate-limit-execute, env EBIOS_API_RATE_LIMIT_EXECUTE; rate rule
//		token bucket per client for the execute routes: <requests>/<window>[ burst <n>]
//
//	[api] rate_limit_read = 600/1m0s burst 200
//		flag -rate-limit-read, env EBIOS_API_RATE_LIMIT_READ; rate rule
//		token bucket per client for the read routes: <requests>/<window>[ burst <n>]
//
//	[api] rate_limit_auth = 10/1m0s burst 10
//		flag -rate-limit-auth, env EBIOS_API_RATE_LIMIT_AUTH; rate rule
//		token bucket per client for the auth routes: <requests>/<window>[ burst <n>]
//
//	[api] rate_limit_admin = 60/1m0s burst 60
//		flag -rate-limit-admin, env EBIOS_API_RATE_LIMIT_ADMIN; rate rule
//		token bucket per client for the admin routes: <requests>/<window>[ burst <n>]
//
//	[api] rate_limit_heavy = 120/1m0s burst 600
//		flag -rate-limit-heavy, env EBIOS_API_RATE_LIMIT_HEAVY; rate rule
//		token bucket per client for the routes whose work grows with the log (whole-log verify, export, trace, guard events), in tokens of work (rate_limit_cost_per_second): <tokens>/<window>[ burst <n>]; each route takes its rate_limit_cost_* and is charged for its time
//
//	[api] rate_limit_cost_verify = 600
//		flag -rate-limit-cost-verify, env EBIOS_API_RATE_LIMIT_COST_VERIFY; int
//		tokens of rate_limit_heavy that starting a whole-log verification takes (POST /api/v1/ledger/verify/jobs, GET /ledger/verify): its estimated work, as it runs in the background after the request
//
//	[api] rate_limit_cost_export = 100
//		flag -rate-limit-cost-export, env EBIOS_API_RATE_LIMIT_COST_EXPORT; int
//		tokens of rate_limit_heavy that GET /api/v1/ledger/export (the whole log) takes before it runs; its time is charged too
//
//	[api] rate_limit_cost_trace = 1
//		flag -rate-limit-cost-trace, env EBIOS_API_RATE_LIMIT_COST_TRACE; int
//		tokens of rate_limit_heavy that GET /api/v1/ledger/trace/{op_id} takes before it runs; its time is charged too
//
//	[api] rate_limit_cost_guard_events = 1
//		flag -rate-limit-cost-guard-events, env EBIOS_API_RATE_LIMIT_COST_GUARD_EVENTS; int
//		tokens of rate_limit_heavy that a page of GET /api/v1/guard/events takes before it runs; its time is charged too
//
//	[api] rate_limit_cost_per_second = 10
//		flag -rate-limit-cost-per-second, env EBIOS_API_RATE_LIMIT_COST_PER_SECOND; int
//		tokens of rate_limit_heavy charged per second a heavy route's handler ran, beyond the time its cost paid for (the bucket may go into debt, down to minus its burst); 0 charges no time
//
//	[api] rate_limit_heavy_concurrency = 2
//		flag -rate-limit-heavy-concurrency, env EBIOS_API_RATE_LIMIT_HEAVY_CONCURRENCY; int
//		most heavy requests (verify, export, trace, guard events) one client may have running at once; 0 for no cap
//
//	[api] rate_limit_allowlist = ""
//		flag -rate-limit-allowlist, env EBIOS_API_RATE_LIMIT_ALLOWLIST; CIDR list
//		comma-separated IP addresses or CIDR prefixes that are never rate limited
//
//	[api] rate_limit_max_clients = 65536
//		flag -rate-limit-max-clients, env EBIOS_API_RATE_LIMIT_MAX_CLIENTS; int
//		most client buckets kept in memory (about 250 bytes each)
//
//	[api] trusted_proxies = ""
//		flag -trusted-proxies, env EBIOS_API_TRUSTED_PROXIES; CIDR list
//		comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For is believed
//
//	[api] cors_origins = ""
//		flag -cors-origins, env EBIOS_API_CORS_ORIGINS; list
//		comma-separated web origins (https://app.example.org) whose pages may call the API from a browser (CORS); empty: none, the API answers only pages of its own origin
//
//	[embed] frame_ancestors = *
//		flag -embed-frame-ancestors, env EBIOS_EMBED_FRAME_ANCESTORS; list
//		the sites whose pages may show the embeddable widget's iframe pages (/embed/calc, /embed/verify): * for any, comma-separated origins (https://blog.example.org), or none; every other page refuses framing
//
//	[ledger] backend = buntdb
//		flag -ledger-backend, env EBIOS_LEDGER_BACKEND (or EBIOS_BACKEND); string
//		buntdb (a durable file) or memory (tests and demos: nothing is kept)
//
//	[ledger] db_path = $DATA/ledger.db
//		flag -ledger-db, env EBIOS_LEDGER_DB_PATH (or EBIOS_DB_PATH); string
//		BuntDB file of the ledger
//
//	[ledger] key_file = $DATA/ledger.key
//		flag -ledger-key, env EBIOS_LEDGER_KEY_FILE; string
//		the log's Ed25519 signing key (golang.org/x/mod/sumdb/note format); keep it secret and backed up
//
//	[ledger] log_public = false
//		flag -log-public, env EBIOS_LEDGER_LOG_PUBLIC (or EBIOS_LOG_PUBLIC); bool
//		serve the log's checkpoint and C2SP tiles (/api/v1/log/...) without authentication, for a public transparency log; otherwise they need ledger:read
//
//	[policies] trusted_keys = ""
//		flag -policy-keys, env EBIOS_POLICIES_TRUSTED_KEYS; list
//		comma-separated note verifier keys (name+hash+base64) allowed to sign policies
package config
