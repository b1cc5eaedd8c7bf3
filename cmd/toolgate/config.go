package main

import (
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/toolgate/toolgate/app"
	"github.com/toolgate/toolgate/background"
	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/oauth"
	"github.com/toolgate/toolgate/tools"
)

// Defaults of the configuration.
const (
	AddrDefault         = "127.0.0.1:8080"
	DatabaseURLDefault  = "toolgate.db"
	RunRetentionDefault = 7 * 24 * time.Hour
	LogFormatDefault    = "text"
	LogLevelDefault     = "info"
	// GatewayURLDefault is where the client commands (apply, export,
	// import) find the gateway: serve's default address.
	GatewayURLDefault = "http://" + AddrDefault
)

// config is the binary's configuration. Every field is a flag and a
// TOOLGATE_* environment variable (see settings); a flag given on the
// command line wins. A command fills only the settings it declares.
type config struct {
	// Addr is the listen address. Defaults to AddrDefault.
	Addr string
	// DatabaseURL selects the store: postgres:// or postgresql:// for
	// PostgreSQL, sqlite:PATH or a plain path for SQLite. Defaults to
	// DatabaseURLDefault.
	DatabaseURL string
	// AdminKey is the bootstrap admin key of the default workspace.
	AdminKey string
	// SecretKey is base64 of 32 bytes for sealing secrets. Generated into a
	// file beside a SQLite database when empty; required with PostgreSQL.
	SecretKey string
	// AllowNetworks are CIDRs upstream calls may reach despite the guard.
	AllowNetworks []netip.Prefix
	// RunRetention is how long runs are kept. Defaults to RunRetentionDefault.
	RunRetention time.Duration
	// MetricsPublic serves /metrics without a key.
	MetricsPublic bool
	// Workers is the number of background jobs this process works at once.
	// Defaults to background.WorkersDefault.
	Workers int
	// JobRescueAfter is how long a background job may run before it is
	// taken to have lost its worker and is run again. Defaults to
	// background.RescueAfterDefault.
	JobRescueAfter time.Duration
	// PublicURL is the gateway's external base URL, used for the OAuth2
	// callback (PublicURL + /v1/oauth/callback). Defaults to http://Addr.
	PublicURL string
	// OAuthRefreshSkew is how long before expiry OAuth2 access tokens are
	// refreshed. Defaults to oauth.SkewDefault (60s).
	OAuthRefreshSkew time.Duration
	// CORSOrigins are the origins of browser-based MCP clients allowed to
	// call /mcp ("*" for any). Defaults to none.
	CORSOrigins []string
	// RunRecording says what happens when runs cannot be written:
	// tools.RecordingRequired (refuse new calls once the buffer is full)
	// or tools.RecordingBestEffort (drop runs, logged and counted).
	RunRecording string
	// RunBuffer and RunBufferBytes bound the runs kept in memory while the
	// database cannot take them.
	RunBuffer      int
	RunBufferBytes int64
	// RunBodyMax bounds the bytes of each request and response body a run
	// record keeps. Defaults to tools.RunBodyMaxDefault.
	RunBodyMax int
	// GuardrailSweepInterval is how often expired approvals end and the
	// response cache is trimmed. Defaults to app.GuardrailSweepIntervalDefault.
	GuardrailSweepInterval time.Duration
	// CacheMaxBytes bounds each workspace's response cache. Defaults to
	// invoke.CacheWorkspaceMaxBytesDefault.
	CacheMaxBytes int64
	// Log is how the process logs. Defaults to text at info level.
	Log logConfig
	// GatewayURL is the base URL of the running gateway the client
	// commands call. Defaults to GatewayURLDefault.
	GatewayURL string
}

// setting is one configuration value: a flag and the environment variable
// that sets it when the flag is not given.
type setting struct {
	flag  string
	env   string
	def   string
	usage string
	// set parses a value into the config; its error need not name the
	// setting.
	set func(c *config, v string) error
}

// Settings, grouped by the commands that take them.
var (
	// storeSettings choose the database.
	storeSettings = []setting{
		{"database-url", "TOOLGATE_DATABASE_URL", DatabaseURLDefault, "postgres://... or a SQLite path",
			func(c *config, v string) error { return nonEmpty(&c.DatabaseURL, v) }},
	}
	// secretSettings open stored secrets.
	secretSettings = []setting{
		{"secret-key", "TOOLGATE_SECRET_KEY", "", "base64 of 32 bytes sealing stored secrets",
			func(c *config, v string) error { c.SecretKey = v; return nil }},
	}
	// logSettings shape the process's log.
	logSettings = []setting{
		{"log-format", "TOOLGATE_LOG_FORMAT", LogFormatDefault, "log line format: text or json",
			func(c *config, v string) error { return c.Log.setFormat(v) }},
		{"log-level", "TOOLGATE_LOG_LEVEL", LogLevelDefault, "least severe level logged: debug, info, warn or error",
			func(c *config, v string) error { return c.Log.setLevel(v) }},
	}
	// serveSettings run the gateway.
	serveSettings = []setting{
		{"addr", "TOOLGATE_ADDR", AddrDefault, "listen address",
			func(c *config, v string) error { return nonEmpty(&c.Addr, v) }},
		{"admin-key", "TOOLGATE_ADMIN_KEY", "", "bootstrap admin key of the default workspace",
			func(c *config, v string) error { c.AdminKey = v; return nil }},
		{"allow-networks", "TOOLGATE_ALLOW_NETWORKS", "", "comma-separated CIDRs upstream calls may reach despite the private-address guard",
			func(c *config, v string) (err error) { c.AllowNetworks, err = egress.ParseAllowNetworks(v); return err }},
		{"run-retention", "TOOLGATE_RUN_RETENTION", "7d", "how long runs are kept, e.g. 168h or 7d",
			func(c *config, v string) (err error) { c.RunRetention, err = parseRetention(v); return err }},
		{"metrics-public", "TOOLGATE_METRICS_PUBLIC", "false", "serve /metrics without a key",
			func(c *config, v string) (err error) {
				if c.MetricsPublic, err = strconv.ParseBool(v); err != nil {
					return fmt.Errorf("%q is not a boolean", v)
				}
				return nil
			}},
		{"workers", "TOOLGATE_WORKERS", strconv.Itoa(background.WorkersDefault), "background jobs worked at once by this process",
			func(c *config, v string) (err error) {
				if c.Workers, err = strconv.Atoi(v); err != nil || c.Workers < 1 {
					return fmt.Errorf("%q is not a positive integer", v)
				}
				return nil
			}},
		{"job-rescue-after", "TOOLGATE_JOB_RESCUE_AFTER", background.RescueAfterDefault.String(), "rerun a background job running longer than this",
			func(c *config, v string) (err error) {
				if c.JobRescueAfter, err = time.ParseDuration(v); err != nil || c.JobRescueAfter <= 0 {
					return fmt.Errorf("%q is not a positive duration", v)
				}
				return nil
			}},
		{"public-url", "TOOLGATE_PUBLIC_URL", "", "external base URL of the gateway, for the OAuth2 callback; defaults to http://ADDR",
			func(c *config, v string) error {
				c.PublicURL = strings.TrimRight(v, "/")
				if c.PublicURL == "" {
					return nil
				}
				if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("%q is not an http or https URL", v)
				}
				return nil
			}},
		{"oauth-refresh-skew", "TOOLGATE_OAUTH_REFRESH_SKEW", oauth.SkewDefault.String(), "refresh OAuth2 access tokens this long before they expire",
			func(c *config, v string) (err error) {
				if c.OAuthRefreshSkew, err = time.ParseDuration(v); err != nil || c.OAuthRefreshSkew < 0 {
					return fmt.Errorf("%q is not a duration", v)
				}
				return nil
			}},
		{"cors-origins", "TOOLGATE_CORS_ORIGINS", "", "comma-separated origins of browser-based MCP clients allowed to call /mcp, or *",
			func(c *config, v string) (err error) { c.CORSOrigins, err = parseOrigins(v); return err }},
		{"run-recording", "TOOLGATE_RUN_RECORDING", string(tools.RecordingRequired),
			"required: refuse calls (503) once runs the database cannot take fill the buffer; best_effort: drop them, logged and counted",
			func(c *config, v string) error {
				mode, err := tools.ParseRecordingMode(v)
				c.RunRecording = string(mode)
				return err
			}},
		{"run-buffer", "TOOLGATE_RUN_BUFFER", strconv.Itoa(tools.RecorderMaxPendingDefault), "runs kept in memory while the database cannot take them",
			func(c *config, v string) (err error) {
				if c.RunBuffer, err = strconv.Atoi(v); err != nil || c.RunBuffer < 1 {
					return fmt.Errorf("%q is not a positive integer", v)
				}
				return nil
			}},
		{"run-buffer-bytes", "TOOLGATE_RUN_BUFFER_BYTES", strconv.FormatInt(tools.RecorderMaxPendingBytesDefault, 10), "bytes of runs kept in memory while the database cannot take them",
			func(c *config, v string) (err error) {
				if c.RunBufferBytes, err = strconv.ParseInt(v, 10, 64); err != nil || c.RunBufferBytes < 1 {
					return fmt.Errorf("%q is not a positive integer", v)
				}
				return nil
			}},
		{"run-body-max", "TOOLGATE_RUN_BODY_MAX", strconv.Itoa(tools.RunBodyMaxDefault),
			"bytes of each request and response body a run record keeps; a longer body is recorded with its size and SHA-256",
			func(c *config, v string) (err error) {
				if c.RunBodyMax, err = strconv.Atoi(v); err != nil || c.RunBodyMax < 1 {
					return fmt.Errorf("%q is not a positive integer", v)
				}
				return nil
			}},
		{"guardrail-sweep-interval", "TOOLGATE_GUARDRAIL_SWEEP_INTERVAL", app.GuardrailSweepIntervalDefault.String(),
			"how often expired approvals end and the response cache is trimmed",
			func(c *config, v string) (err error) {
				if c.GuardrailSweepInterval, err = time.ParseDuration(v); err != nil || c.GuardrailSweepInterval <= 0 {
					return fmt.Errorf("%q is not a positive duration", v)
				}
				return nil
			}},
		{"cache-max-bytes", "TOOLGATE_CACHE_MAX_BYTES", strconv.FormatInt(invoke.CacheWorkspaceMaxBytesDefault, 10),
			"bytes of cached tool results kept per workspace",
			func(c *config, v string) (err error) {
				if c.CacheMaxBytes, err = strconv.ParseInt(v, 10, 64); err != nil || c.CacheMaxBytes < 1 {
					return fmt.Errorf("%q is not a positive integer", v)
				}
				return nil
			}},
	}
)

// clientSettings are those of the commands that call a running gateway's
// admin API (apply, export, import). Their admin key is the same variable
// serve bootstraps the default workspace with, so one exported
// TOOLGATE_ADMIN_KEY serves both.
var clientSettings = []setting{
	{"url", "TOOLGATE_URL", GatewayURLDefault, "base URL of the running gateway to call",
		func(c *config, v string) error {
			c.GatewayURL = strings.TrimRight(v, "/")
			u, err := url.Parse(c.GatewayURL)
			if err != nil {
				// The parser's message repeats the URL, and what it holds
				// (a password) is not printed.
				return fmt.Errorf("is not an http or https URL such as %s", GatewayURLDefault)
			}
			if u.User != nil {
				// Not printed: a user name may be a token too.
				return fmt.Errorf("holds a user or password: the admin key is the credential (TOOLGATE_ADMIN_KEY); leave them out of the URL")
			}
			if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				// Not printed: a query may hold a token.
				return fmt.Errorf("is not an http or https URL without a query, such as %s", GatewayURLDefault)
			}
			return nil
		}},
	{"admin-key", "TOOLGATE_ADMIN_KEY", "", "admin key of the workspace to work on",
		func(c *config, v string) error {
			if v == "" {
				return fmt.Errorf("is required: an admin key of the workspace (tg_...)")
			}
			c.AdminKey = v
			return nil
		}},
}

// bindSettings declares settings on fs and returns the function that
// builds the config once fs is parsed: each value comes from its flag when
// the flag was given, else from its environment variable when that is set,
// else from its default. Flags show their built-in defaults in help, never
// a value from the environment (which may be a secret).
func bindSettings(fs *flag.FlagSet, getenv func(string) string, groups ...[]setting) func() (*config, error) {
	type bound struct {
		setting
		value *string
	}
	var all []bound
	for _, group := range groups {
		for _, s := range group {
			all = append(all, bound{s, fs.String(s.flag, s.def, s.usage+" ("+s.env+")")})
		}
	}
	return func() (*config, error) {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		cfg := &config{}
		for _, b := range all {
			v := *b.value
			if !given[b.flag] {
				if env := getenv(b.env); env != "" {
					v = env
				}
			}
			if err := b.set(cfg, v); err != nil {
				return nil, fmt.Errorf("%s (-%s): %w", b.env, b.flag, err)
			}
		}
		if cfg.PublicURL == "" && cfg.Addr != "" {
			cfg.PublicURL = defaultPublicURL(cfg.Addr)
		}
		return cfg, nil
	}
}

// nonEmpty sets *dst to v, which must not be empty.
func nonEmpty(dst *string, v string) error {
	if v == "" {
		return fmt.Errorf("must not be empty")
	}
	*dst = v
	return nil
}

// parseRetention accepts Go durations and whole days ("7d"), positive.
func parseRetention(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", s)
	}
	return d, nil
}

// defaultPublicURL is http://addr, with a wildcard or empty host replaced
// by localhost so a browser can reach it.
func defaultPublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// isPostgres reports whether a database URL selects PostgreSQL.
func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// sqlitePath returns the file of a SQLite database URL.
func sqlitePath(url string) string {
	return strings.TrimPrefix(url, "sqlite:")
}

// parseOrigins reads a comma-separated list of web origins (or "*").
func parseOrigins(list string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(list, ",") {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		if o != "*" {
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
				return nil, fmt.Errorf("%q is not an origin such as https://app.example.com", o)
			}
		}
		out = append(out, o)
	}
	return out, nil
}
