package egress

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Defaults applied by [Config.WithDefaults].
const (
	// MaxResponseBytesDefault is the default cap on a response body.
	MaxResponseBytesDefault int64 = 1 << 20
	// MaxRedirectsDefault is the default number of redirects followed.
	MaxRedirectsDefault = 5
	// MaxIdleConnsDefault is the default size of the idle connection pool
	// across all upstream hosts.
	MaxIdleConnsDefault = 1024
	// MaxIdleConnsPerHostDefault is the default number of idle keep-alive
	// connections kept per upstream host. It is sized for many concurrent
	// agent calls to the same API, far above net/http's default of 2.
	MaxIdleConnsPerHostDefault = 256
	// IdleConnTimeoutDefault is how long an idle connection stays pooled.
	IdleConnTimeoutDefault = 90 * time.Second
	// DialTimeoutDefault bounds one TCP connect.
	DialTimeoutDefault = 10 * time.Second
	// KeepAliveDefault is the TCP keep-alive probe interval.
	KeepAliveDefault = 30 * time.Second
	// TLSHandshakeTimeoutDefault bounds one TLS handshake.
	TLSHandshakeTimeoutDefault = 10 * time.Second
	// MaxResponseHeaderBytesDefault caps the size of response headers.
	MaxResponseHeaderBytesDefault int64 = 1 << 20
)

// Config configures a [Client]. The zero value is usable: every field has a
// default that suits a gateway on a laptop or in production.
type Config struct {
	// AllowNetworks lists address prefixes that are reachable even though
	// the guard would otherwise refuse them (for example an internal API
	// on 10.20.0.0/16). An address is allowed when it, or its unmapped
	// IPv4 form, lies inside one of these prefixes. Defaults to none.
	AllowNetworks []netip.Prefix

	// MaxResponseBytes caps how much of a response body is read; the rest
	// is discarded and the response marked truncated. Options can lower or
	// raise it per request. Defaults to MaxResponseBytesDefault (1 MiB).
	MaxResponseBytes int64

	// MaxRedirects is how many redirects one call follows before failing
	// with ErrTooManyRedirects. A negative value disables following: the
	// 3xx response is returned as is. Defaults to MaxRedirectsDefault (5).
	MaxRedirects int

	// MaxIdleConns caps idle keep-alive connections across all hosts.
	// Defaults to MaxIdleConnsDefault (1024).
	MaxIdleConns int

	// MaxIdleConnsPerHost caps idle keep-alive connections per host.
	// Defaults to MaxIdleConnsPerHostDefault (256).
	MaxIdleConnsPerHost int

	// IdleConnTimeout is how long an idle connection is kept.
	// Defaults to IdleConnTimeoutDefault (90s).
	IdleConnTimeout time.Duration

	// DialTimeout bounds establishing one TCP connection; the request
	// context may end it sooner. Defaults to DialTimeoutDefault (10s).
	DialTimeout time.Duration

	// KeepAlive is the TCP keep-alive interval of upstream connections.
	// Defaults to KeepAliveDefault (30s).
	KeepAlive time.Duration

	// TLSHandshakeTimeout bounds one TLS handshake.
	// Defaults to TLSHandshakeTimeoutDefault (10s).
	TLSHandshakeTimeout time.Duration

	// MaxResponseHeaderBytes caps the size of response headers.
	// Defaults to MaxResponseHeaderBytesDefault (1 MiB).
	MaxResponseHeaderBytes int64

	// TLSConfig is the TLS configuration for HTTPS upstreams; it is cloned.
	// Defaults to the system roots with TLS 1.2 as the minimum version.
	TLSConfig *tls.Config
}

// WithDefaults returns a copy of c with every unset field set to its default.
func (c Config) WithDefaults() Config {
	c.MaxResponseBytes = cmp.Or(c.MaxResponseBytes, MaxResponseBytesDefault)
	c.MaxRedirects = cmp.Or(c.MaxRedirects, MaxRedirectsDefault)
	c.MaxIdleConns = cmp.Or(c.MaxIdleConns, MaxIdleConnsDefault)
	c.MaxIdleConnsPerHost = cmp.Or(c.MaxIdleConnsPerHost, MaxIdleConnsPerHostDefault)
	c.IdleConnTimeout = cmp.Or(c.IdleConnTimeout, IdleConnTimeoutDefault)
	c.DialTimeout = cmp.Or(c.DialTimeout, DialTimeoutDefault)
	c.KeepAlive = cmp.Or(c.KeepAlive, KeepAliveDefault)
	c.TLSHandshakeTimeout = cmp.Or(c.TLSHandshakeTimeout, TLSHandshakeTimeoutDefault)
	c.MaxResponseHeaderBytes = cmp.Or(c.MaxResponseHeaderBytes, MaxResponseHeaderBytesDefault)
	return c
}

// Validate reports the first invalid field of c, by name. Zero values are
// valid (they mean "use the default").
func (c Config) Validate() error {
	for i, p := range c.AllowNetworks {
		if !p.IsValid() {
			return fmt.Errorf("AllowNetworks[%d]: invalid prefix", i)
		}
	}
	switch {
	case c.MaxResponseBytes < 0:
		return errors.New("MaxResponseBytes: must not be negative")
	case c.MaxIdleConns < 0:
		return errors.New("MaxIdleConns: must not be negative")
	case c.MaxIdleConnsPerHost < 0:
		return errors.New("MaxIdleConnsPerHost: must not be negative")
	case c.IdleConnTimeout < 0:
		return errors.New("IdleConnTimeout: must not be negative")
	case c.DialTimeout < 0:
		return errors.New("DialTimeout: must not be negative")
	case c.KeepAlive < 0:
		return errors.New("KeepAlive: must not be negative")
	case c.TLSHandshakeTimeout < 0:
		return errors.New("TLSHandshakeTimeout: must not be negative")
	case c.MaxResponseHeaderBytes < 0:
		return errors.New("MaxResponseHeaderBytes: must not be negative")
	}
	return nil
}

// ParseAllowNetworks parses a comma-separated list of CIDR prefixes and bare
// IP addresses (a bare address allows exactly that address), as found in the
// TOOLGATE_EGRESS_ALLOW_NETWORKS setting. Blanks around entries and empty
// entries are ignored. The error names the first entry that does not parse.
func ParseAllowNetworks(s string) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := parseAllowEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("allow network %q: %w", entry, err)
		}
		prefixes = append(prefixes, p)
	}
	return prefixes, nil
}

func parseAllowEntry(entry string) (netip.Prefix, error) {
	if strings.Contains(entry, "/") {
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	addr, err := netip.ParseAddr(entry)
	if err != nil {
		return netip.Prefix{}, err
	}
	if addr.Zone() != "" {
		return netip.Prefix{}, errors.New("IPv6 zones are not allowed")
	}
	return netip.PrefixFrom(addr, addr.BitLen()), nil
}
