package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ebios/ebios/server/ratelimit"
)

// Config is the server configuration. Load fills it; every field has a
// default, so a Config from Load with no flags, no environment and no file
// is complete.
type Config struct {
	File    string // the config file read, "" if none
	Listen  string // [server] listen
	DataDir string // [server] data_dir
	Dev     bool   // [server] dev
	// Store ([server] store) is "" for the data directory (BuntDB), or
	// the postgres:// URL of the database every instance shares.
	Store string
	// AdvertiseURL ([server] advertise_url) is where the other servers on
	// the same store reach this one; "" derives it from the listen address.
	AdvertiseURL   string
	RequestTimeout time.Duration // [server] request_timeout
	LogLevel       slog.Level    // [monitoring] log_level
	Metrics        bool          // [monitoring] prometheus_enabled
	TLS            TLS
	Auth           Auth
	RateLimit      RateLimit
	TrustedProxies []netip.Prefix // [api] trusted_proxies
	// CORSOrigins ([api] cors_origins) are the web origins
	// (scheme://host[:port]) whose pages may call the API from a browser;
	// none by default.
	CORSOrigins []string
	// EmbedFrameAncestors ([embed] frame_ancestors) is the CSP
	// frame-ancestors source list of the embeddable widget's iframe pages
	// (/embed/*): "*" (any site, the default), origins, or "'none'".
	// Every other page refuses framing.
	EmbedFrameAncestors string
	Ledger              Ledger
	Policies            Policies
	Backup              Backup

	// MetricsTokenFile ([monitoring] metrics_token_file) holds a bearer
	// token that may read /metrics without logging in, for Prometheus;
	// "" means only admins' tokens may. Read it with ReadMetricsToken.
	MetricsTokenFile string

	sources      map[string]Source
	seedRequests int           // [api] rate_limit_requests
	seedWindow   time.Duration // [api] rate_limit_window
}

// TLS is the [tls] section.
type TLS struct {
	CertFile         string        // cert_file: PEM certificate chain
	KeyFile          string        // key_file: PEM private key
	ACMEDomains      []string      // acme_domains: get certificates by ACME for these names
	ACMEEmail        string        // acme_email: contact address for the ACME account
	ACMECacheDir     string        // acme_cache_dir: where ACME certificates are kept
	ACMEDirectoryURL string        // acme_directory_url: the ACME CA's directory ("" = Let's Encrypt)
	ACMECAFile       string        // acme_ca_file: PEM CAs, besides the system's, of the ACME server's own HTTPS
	RedirectHTTP     string        // redirect_http: address of a plain-HTTP listener that redirects to HTTPS ("" = none)
	RedirectHosts    []string      // redirect_hosts: "name" or "name:port" the redirect may send to (nil: ACMEDomains or the certificate's names)
	HSTS             bool          // hsts: send Strict-Transport-Security over HTTPS
	HSTSMaxAge       time.Duration // hsts_max_age
}

// Enabled reports whether the server serves HTTPS (files or ACME).
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" || len(t.ACMEDomains) > 0 }

// Auth is the [auth] section.
type Auth struct {
	AccessTTL  time.Duration // access_ttl
	RefreshTTL time.Duration // refresh_ttl
	SecretFile string        // secret_file: HMAC key for tokens, made at first start
	UsersDB    string        // users_db: BuntDB file of users and revocations
	// LoginFailures (login_failures) is how many failed logins one account
	// name may have in LoginWindow (login_window) before its logins are
	// refused (AUTH_020); 0 turns the per-account limit off.
	LoginFailures int
	LoginWindow   time.Duration
}

// RateLimit is the rate-limiting part of the [api] section.
type RateLimit struct {
	Enabled          bool                      // rate_limit_enabled
	Rules            map[string]ratelimit.Rule // rate_limit_<class>, per ratelimit.Classes
	Costs            map[string]int            // rate_limit_cost_<name>, per ratelimit.CostNames: tokens of the heavy class
	CostPerSecond    int                       // rate_limit_cost_per_second: heavy tokens per second of a heavy route's time
	HeavyConcurrency int                       // rate_limit_heavy_concurrency: heavy requests running at once per client (0: no cap)
	Allowlist        []netip.Prefix            // rate_limit_allowlist
	MaxClients       int                       // rate_limit_max_clients
}

// Ledger is the [ledger] section.
type Ledger struct {
	Backend string // backend: "buntdb" or "memory"
	DBPath  string // db_path
	KeyFile string // key_file: the log's Ed25519 signing key (note format)
	// LogPublic (log_public) serves /api/v1/log/ (checkpoint and tiles)
	// without authentication.
	LogPublic bool
}

// Backup is the online backup part of the [server] section.
type Backup struct {
	Dir      string        // backup_dir: where backups are written
	Interval time.Duration // backup_interval: time between scheduled backups, 0 for none
	Keep     int           // backup_keep: backups kept, 0 for all
}

// Policies is the [policies] section.
type Policies struct {
	TrustedKeys []string // trusted_keys: note verifier keys that may sign policies
}

// RateLimiterConfig returns the ratelimit.Config this configuration asks
// for; the caller adds hooks (OnLimited).
func (c *Config) RateLimiterConfig() ratelimit.Config {
	rules := make(map[string]ratelimit.Rule, len(c.RateLimit.Rules))
	for k, v := range c.RateLimit.Rules {
		rules[k] = v
	}
	costs := make(map[string]ratelimit.Cost, len(c.RateLimit.Costs))
	for name, n := range c.RateLimit.Costs {
		costs[name] = ratelimit.Cost{Class: ratelimit.ClassHeavy, Tokens: n, PerSecond: float64(c.RateLimit.CostPerSecond)}
	}
	return ratelimit.Config{Rules: rules, Costs: costs, Concurrency: map[string]int{ratelimit.ClassHeavy: c.RateLimit.HeavyConcurrency},
		Allowlist: c.RateLimit.Allowlist, TrustedProxies: c.TrustedProxies, MaxClients: c.RateLimit.MaxClients}
}

// SourceKind says where a value came from.
type SourceKind int

// Value sources, from lowest to highest precedence.
const (
	FromDefault SourceKind = iota
	FromFile
	FromEnv
	FromFlag
)

// Source is where one value came from.
type Source struct {
	Kind SourceKind
	Name string // file path, environment variable or flag name
	Line int    // line in the file, for FromFile
}

// String formats s as "default", "ebios.conf:12", "env EBIOS_SERVER_LISTEN"
// or "flag -listen".
func (s Source) String() string {
	switch s.Kind {
	case FromFile:
		if s.Line > 0 {
			return fmt.Sprintf("%s:%d", s.Name, s.Line)
		}
		return s.Name
	case FromEnv:
		return "env " + s.Name
	case FromFlag:
		return "flag -" + s.Name
	}
	return "default"
}

// Source returns where the value of key ("section.key", e.g.
// "server.listen") came from.
func (c *Config) Source(key string) Source { return c.sources[key] }

// Problem is one error or warning about the configuration.
type Problem struct {
	Key     string // "section.key", or "" for a problem of the file itself
	Source  Source // where the offending value came from
	Message string
	Warning bool // a warning does not make the configuration invalid
}

// String formats p as "<source>: [warning: ]<key>: <message>".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Source.String())
	b.WriteString(": ")
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is a list of problems; as an error it lists them one a line.
type Problems []Problem

// Error implements error.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Errors returns the problems that are not warnings.
func (ps Problems) Errors() Problems {
	var out Problems
	for _, p := range ps {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Warnings returns the problems that are warnings.
func (ps Problems) Warnings() Problems {
	var out Problems
	for _, p := range ps {
		if p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// DefaultFile is the config file read when neither -config nor EBIOS_CONFIG
// names one; it is optional.
const DefaultFile = "ebios.conf"

// Load builds the configuration from, in order of precedence, the flags in
// args, the environment (getenv, e.g. os.Getenv; nil for none), the config
// file and the defaults. The file is the one named by -config or
// EBIOS_CONFIG, else ebios.conf in the working directory if it exists; it
// is read with readFile (nil means os.ReadFile).
//
// Load checks syntax and types: unknown sections and keys, malformed
// values, unknown flags. It returns the configuration together with every
// such problem (as Problems), so that `ebios config check` can show them
// all; the configuration is complete but must not be used when the error is
// non-nil. -h and -help return flag.ErrHelp (see Usage). Call Validate next
// for the checks that relate values to each other and to the file system.
func Load(args []string, getenv func(string) string, readFile func(string) ([]byte, error)) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if readFile == nil {
		readFile = os.ReadFile
	}
	var probs Problems

	// Flags.
	fset := flag.NewFlagSet("ebios", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	flagVals := map[string]*flagValue{}
	configFlag := &flagValue{}
	fset.Var(configFlag, "config", "")
	for _, k := range keys {
		fv := &flagValue{isBool: k.kind == kindBool}
		flagVals[k.flag] = fv
		fset.Var(fv, k.flag, k.doc)
	}
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, flag.ErrHelp
		}
		probs = append(probs, Problem{Source: Source{Kind: FromFlag, Name: "?"}, Message: err.Error()})
	} else if fset.NArg() > 0 {
		probs = append(probs, Problem{Source: Source{Kind: FromFlag, Name: "?"},
			Message: fmt.Sprintf("unexpected argument %q", fset.Arg(0))})
	}

	// The file.
	c := &Config{sources: map[string]Source{}, RateLimit: RateLimit{Rules: map[string]ratelimit.Rule{}, Costs: map[string]int{}}}
	file, explicit := DefaultFile, false
	if configFlag.set {
		file, explicit = configFlag.value, true
	} else if v := getenv("EBIOS_CONFIG"); v != "" {
		file, explicit = v, true
	}
	fileVals := map[string]iniValue{}
	data, err := readFile(file)
	switch {
	case err == nil:
		c.File = file
		vals, ps := parseINI(file, data)
		probs = append(probs, ps...)
		for _, v := range vals {
			id := v.section + "." + v.key
			src := Source{Kind: FromFile, Name: file, Line: v.line}
			if _, ok := keyByID[id]; !ok {
				probs = append(probs, Problem{Source: src, Message: unknownKey(v.section, v.key)})
				continue
			}
			fileVals[id] = v
		}
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		// No ebios.conf: defaults.
	default:
		probs = append(probs, Problem{Source: Source{Kind: FromFile, Name: file}, Message: "cannot read the config file: " + err.Error()})
	}

	// Resolve every key: flag > env > file > default.
	for _, k := range keys {
		id := k.id()
		val, src := k.def, Source{Kind: FromDefault}
		if strings.HasPrefix(val, "$DATA/") {
			val = filepath.Join(c.DataDir, strings.TrimPrefix(val, "$DATA/"))
		}
		if v, ok := fileVals[id]; ok {
			val, src = v.value, Source{Kind: FromFile, Name: file, Line: v.line}
		}
		for i := len(k.envs()) - 1; i >= 0; i-- { // the canonical name (first) wins over aliases
			name := k.envs()[i]
			if v := getenv(name); v != "" {
				val, src = v, Source{Kind: FromEnv, Name: name}
			}
		}
		if fv := flagVals[k.flag]; fv.set {
			val, src = fv.value, Source{Kind: FromFlag, Name: k.flag}
		}
		c.sources[id] = src
		if err := k.set(c, val); err != nil {
			probs = append(probs, Problem{Key: id, Source: src, Message: err.Error()})
		}
	}
	probs = append(probs, c.resolveRateLimits()...)
	if len(probs) > 0 {
		return c, probs
	}
	return c, nil
}

// resolveRateLimits applies the seed's rate_limit_requests and
// rate_limit_window, if either is set, to the execute class.
func (c *Config) resolveRateLimits() Problems {
	req, win := c.sources["api.rate_limit_requests"], c.sources["api.rate_limit_window"]
	if req.Kind == FromDefault && win.Kind == FromDefault {
		return nil
	}
	src := req
	if src.Kind == FromDefault {
		src = win
	}
	if ex := c.sources["api.rate_limit_execute"]; ex.Kind != FromDefault {
		return Problems{{Key: "api.rate_limit_requests", Source: src,
			Message: "rate_limit_requests/rate_limit_window and rate_limit_execute (" + ex.String() +
				") both set the execute limit; keep only rate_limit_execute"}}
	}
	r := ratelimit.Rule{Requests: c.seedRequests, Window: c.seedWindow, Burst: c.seedRequests}
	if err := r.Validate(); err != nil {
		return Problems{{Key: "api.rate_limit_requests", Source: src, Message: err.Error()}}
	}
	c.RateLimit.Rules[ratelimit.ClassExecute] = r
	return nil
}

// flagValue records a flag's text and whether it was given.
type flagValue struct {
	value  string
	set    bool
	isBool bool
}

func (f *flagValue) String() string   { return f.value }
func (f *flagValue) IsBoolFlag() bool { return f.isBool }
func (f *flagValue) Set(s string) error {
	f.value, f.set = s, true
	return nil
}

func unknownKey(section, key string) string {
	if hint, ok := obsolete[section+"."+key]; ok {
		return fmt.Sprintf("[%s] %s is not a setting of this eBIOS: %s", section, key, hint)
	}
	if _, ok := sections[section]; !ok {
		names := make([]string, 0, len(sections))
		for s := range sections {
			names = append(names, "["+s+"]")
		}
		sort.Strings(names)
		return fmt.Sprintf("unknown section [%s] (key %s); the sections are %s", section, key, strings.Join(names, " "))
	}
	msg := fmt.Sprintf("unknown key %q in [%s]", key, section)
	best, bestD := "", 4
	for _, k := range keys {
		if k.section == section {
			if d := editDistance(key, k.name); d < bestD {
				best, bestD = k.name, d
			}
		}
	}
	if best != "" {
		msg += fmt.Sprintf("; did you mean %s?", best)
	}
	return msg
}

// obsolete are keys of the Python eBIOS's ebios.conf, with what to do.
var obsolete = map[string]string{
	"ledger.wal_mode":             "it was for SQLite; the BuntDB ledger fsyncs every commit; remove it",
	"ledger.auto_vacuum":          "it was for SQLite; remove it",
	"monitoring.auto_log":         "every operation is always logged in the ledger; remove it",
	"monitoring.halt_on_critical": "invariant failures are refused per request and never halt the server; remove it",
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Value parsers.

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (use true or false)", s)
}

// parseDuration accepts Go durations ("15m", "1h30m"), whole days ("7d")
// and plain seconds ("3600", as in the seed's jwt_expiry).
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n < 1<<33 {
		return time.Duration(n) * time.Second, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.ParseInt(d, 10, 64); err == nil && n >= 0 && n < 1<<16 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (e.g. 15m, 1h30m, 7d, or seconds)", s)
	}
	return d, nil
}

func parseList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var bad []string
	for _, f := range parseList(s) {
		if p, err := netip.ParsePrefix(f); err == nil {
			if p != p.Masked() {
				bad = append(bad, f+" (host bits set; did you mean "+p.Masked().String()+"?)")
				continue
			}
			out = append(out, p)
		} else if a, err := netip.ParseAddr(f); err == nil && a.Zone() == "" {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		} else {
			bad = append(bad, f)
		}
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("not an IP address or CIDR prefix: %s", strings.Join(bad, ", "))
	}
	return out, nil
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not a log level (debug, info, warn, error)", s)
}

// parseOrigins reads a comma-separated list of web origins as browsers send
// them in the Origin header: scheme (http or https) and host, with a port
// unless it is the scheme's default; nothing else. "*" is refused: every
// origin that may call the API is named.
// parseFrameAncestors reads [embed] frame_ancestors: "*", "none" (or
// "'none'"), or origins; it returns the CSP source list.
func parseFrameAncestors(s string) (string, error) {
	switch f := parseList(s); {
	case len(f) == 0 || len(f) == 1 && (f[0] == "none" || f[0] == "'none'"):
		return "'none'", nil
	case len(f) == 1 && f[0] == "*":
		return "*", nil
	}
	o, err := parseOrigins(s)
	if err != nil {
		return "", fmt.Errorf("%w; or * for any site, or none", err)
	}
	return strings.Join(o, " "), nil
}

func parseOrigins(s string) ([]string, error) {
	var out []string
	for _, f := range parseList(s) {
		if f == "*" || f == "null" {
			return nil, fmt.Errorf("%q is not allowed: name each origin whose pages may call the API (https://app.example.org)", f)
		}
		u, err := url.Parse(f)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			return nil, fmt.Errorf("%q is not a web origin: give scheme and host only, such as https://app.example.org or http://localhost:8081", f)
		}
		host, port := strings.ToLower(u.Hostname()), u.Port()
		if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
			port = ""
		}
		o := u.Scheme + "://" + host
		if strings.Contains(host, ":") {
			o = u.Scheme + "://[" + host + "]"
		}
		if port != "" {
			o += ":" + port
		}
		out = append(out, o)
	}
	return out, nil
}
