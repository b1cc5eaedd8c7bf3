package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/toolgate/toolgate/background"
	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/oauth"
)

// Defaults of the configuration.
const (
	AddrDefault         = "127.0.0.1:8080"
	DatabaseURLDefault  = "toolgate.db"
	RunRetentionDefault = 7 * 24 * time.Hour
)

// config is the binary's configuration. Every field is a flag and a
// TOOLGATE_* environment variable; a flag given on the command line wins.
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
}

// parseConfig reads flags (for the serve-like commands) over environment.
func parseConfig(name string, args []string, getenv func(string) string) (*config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	addr := fs.String("addr", env("TOOLGATE_ADDR", AddrDefault), "listen address (TOOLGATE_ADDR)")
	dbURL := fs.String("database-url", env("TOOLGATE_DATABASE_URL", DatabaseURLDefault), "postgres://... or a SQLite path (TOOLGATE_DATABASE_URL)")
	adminKey := fs.String("admin-key", env("TOOLGATE_ADMIN_KEY", ""), "bootstrap admin key of the default workspace (TOOLGATE_ADMIN_KEY)")
	secretKey := fs.String("secret-key", env("TOOLGATE_SECRET_KEY", ""), "base64 of 32 bytes sealing stored secrets (TOOLGATE_SECRET_KEY)")
	allow := fs.String("allow-networks", env("TOOLGATE_ALLOW_NETWORKS", ""), "comma-separated CIDRs upstream calls may reach despite the private-address guard (TOOLGATE_ALLOW_NETWORKS)")
	retention := fs.String("run-retention", env("TOOLGATE_RUN_RETENTION", RunRetentionDefault.String()), "how long runs are kept, e.g. 168h or 7d (TOOLGATE_RUN_RETENTION)")
	metricsPublic := fs.String("metrics-public", env("TOOLGATE_METRICS_PUBLIC", "false"), "serve /metrics without a key (TOOLGATE_METRICS_PUBLIC)")
	workers := fs.String("workers", env("TOOLGATE_WORKERS", strconv.Itoa(background.WorkersDefault)), "background jobs worked at once by this process (TOOLGATE_WORKERS)")
	rescue := fs.String("job-rescue-after", env("TOOLGATE_JOB_RESCUE_AFTER", background.RescueAfterDefault.String()), "rerun a background job running longer than this (TOOLGATE_JOB_RESCUE_AFTER)")
	publicURL := fs.String("public-url", env("TOOLGATE_PUBLIC_URL", ""), "external base URL of the gateway, for the OAuth2 callback; defaults to http://ADDR (TOOLGATE_PUBLIC_URL)")
	skew := fs.String("oauth-refresh-skew", env("TOOLGATE_OAUTH_REFRESH_SKEW", oauth.SkewDefault.String()), "refresh OAuth2 access tokens this long before they expire (TOOLGATE_OAUTH_REFRESH_SKEW)")
	cors := fs.String("cors-origins", env("TOOLGATE_CORS_ORIGINS", ""), "comma-separated origins of browser-based MCP clients allowed to call /mcp, or * (TOOLGATE_CORS_ORIGINS)")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	cfg := &config{Addr: *addr, DatabaseURL: *dbURL, AdminKey: *adminKey, SecretKey: *secretKey}
	var err error
	if cfg.AllowNetworks, err = egress.ParseAllowNetworks(*allow); err != nil {
		return nil, nil, fmt.Errorf("TOOLGATE_ALLOW_NETWORKS: %w", err)
	}
	if cfg.RunRetention, err = parseRetention(*retention); err != nil {
		return nil, nil, fmt.Errorf("TOOLGATE_RUN_RETENTION: %w", err)
	}
	if cfg.MetricsPublic, err = strconv.ParseBool(*metricsPublic); err != nil {
		return nil, nil, fmt.Errorf("TOOLGATE_METRICS_PUBLIC: %q is not a boolean", *metricsPublic)
	}
	if cfg.Workers, err = strconv.Atoi(*workers); err != nil || cfg.Workers < 1 {
		return nil, nil, fmt.Errorf("TOOLGATE_WORKERS: %q is not a positive integer", *workers)
	}
	if cfg.JobRescueAfter, err = time.ParseDuration(*rescue); err != nil || cfg.JobRescueAfter <= 0 {
		return nil, nil, fmt.Errorf("TOOLGATE_JOB_RESCUE_AFTER: %q is not a positive duration", *rescue)
	}
	if cfg.OAuthRefreshSkew, err = time.ParseDuration(*skew); err != nil || cfg.OAuthRefreshSkew < 0 {
		return nil, nil, fmt.Errorf("TOOLGATE_OAUTH_REFRESH_SKEW: %q is not a duration", *skew)
	}
	if cfg.CORSOrigins, err = parseOrigins(*cors); err != nil {
		return nil, nil, fmt.Errorf("TOOLGATE_CORS_ORIGINS: %w", err)
	}
	cfg.PublicURL = strings.TrimRight(*publicURL, "/")
	if cfg.PublicURL == "" {
		cfg.PublicURL = defaultPublicURL(cfg.Addr)
	} else if u, err := url.Parse(cfg.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, fmt.Errorf("TOOLGATE_PUBLIC_URL: %q is not an http or https URL", *publicURL)
	}
	return cfg, fs.Args(), cfg.validate()
}

func (c *config) validate() error {
	if c.Addr == "" {
		return errors.New("TOOLGATE_ADDR: must not be empty")
	}
	if c.DatabaseURL == "" {
		return errors.New("TOOLGATE_DATABASE_URL: must not be empty")
	}
	if c.RunRetention <= 0 {
		return errors.New("TOOLGATE_RUN_RETENTION: must be positive")
	}
	return nil
}

// parseRetention accepts Go durations and whole days ("7d").
func parseRetention(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration", s)
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

// parseOrigins reads a comma-separated list of origins (scheme://host[:port])
// or "*".
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
