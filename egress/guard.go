package egress

import (
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
)

// ErrBlocked is matched (with errors.Is) by every error caused by the guard
// refusing a destination: a forbidden address, scheme or network. Use
// errors.As with *BlockedError for the address and reason.
var ErrBlocked = errors.New("egress: destination blocked")

// BlockedError reports a destination the guard refused. It arrives wrapped
// in *url.Error and often *net.OpError; errors.Is(err, ErrBlocked) sees
// through both.
type BlockedError struct {
	// Addr is the refused address; it is the zero Addr when the request
	// was refused before any address was known (for example its scheme).
	Addr netip.Addr
	// Reason says which rule refused it, e.g. "loopback" or
	// "scheme \"ftp\" is not allowed".
	Reason string
}

// Error implements error.
func (e *BlockedError) Error() string {
	if !e.Addr.IsValid() {
		return "egress: destination blocked: " + e.Reason
	}
	return "egress: destination " + e.Addr.String() + " blocked: " + e.Reason
}

// Is reports whether target is ErrBlocked.
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// rule is one refused range and why.
type rule struct {
	prefix netip.Prefix
	reason string
}

func rules(pairs ...string) []rule {
	out := make([]rule, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, rule{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return out
}

// blockedV4 lists the IPv4 ranges that are not the public internet (IANA
// special-purpose registry). More specific entries come first so the reason
// is the most precise one.
var blockedV4 = rules(
	"0.0.0.0/8", "this network",
	"10.0.0.0/8", "private",
	"100.64.0.0/10", "carrier-grade NAT",
	"127.0.0.0/8", "loopback",
	"169.254.169.254/32", "cloud metadata",
	"169.254.0.0/16", "link-local",
	"172.16.0.0/12", "private",
	"192.0.0.0/24", "IETF protocol assignments",
	"192.0.2.0/24", "documentation",
	"192.88.99.0/24", "6to4 relay anycast",
	"192.168.0.0/16", "private",
	"198.18.0.0/15", "benchmarking",
	"198.51.100.0/24", "documentation",
	"203.0.113.0/24", "documentation",
	"224.0.0.0/4", "multicast",
	"255.255.255.255/32", "broadcast",
	"240.0.0.0/4", "reserved",
)

// blockedV6 lists the IPv6 ranges refused outright. IPv4-mapped addresses
// never reach it (they are unmapped first); NAT64 64:ff9b::/96 and 6to4
// 2002::/16 are judged by the IPv4 address they embed (see embeddedV4).
var blockedV6 = rules(
	"::/128", "unspecified",
	"::1/128", "loopback",
	"::/96", "IPv4-compatible (deprecated)",
	"::ffff:0:0:0/96", "IPv4-translated",
	"64:ff9b:1::/48", "NAT64 local-use",
	"100::/64", "discard-only",
	"2001::/32", "Teredo",
	"2001:2::/48", "benchmarking",
	"2001:20::/28", "ORCHIDv2",
	"2001:db8::/32", "documentation",
	"3fff::/20", "documentation",
	"fc00::/7", "unique local (private)",
	"fe80::/10", "link-local",
	"fec0::/10", "site-local (deprecated)",
	"ff00::/8", "multicast",
)

var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// guard decides which addresses may be dialed.
type guard struct {
	allow []netip.Prefix
}

func newGuard(allow []netip.Prefix) *guard {
	g := &guard{allow: make([]netip.Prefix, 0, len(allow))}
	for _, p := range allow {
		if p.IsValid() {
			g.allow = append(g.allow, p.Masked())
		}
	}
	return g
}

// control is the net.Dialer Control hook: it runs after the socket is
// created and before it connects, once per address tried, with the resolved
// "ip:port" being dialed.
func (g *guard) control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return &BlockedError{Reason: "network " + network + " is not allowed"}
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{Reason: "unparsable dial address"}
	}
	return g.check(ap.Addr())
}

// check returns a *BlockedError when addr may not be dialed.
func (g *guard) check(addr netip.Addr) error {
	addr = addr.WithZone("") // Prefix.Contains never matches zoned addresses.
	unmapped := addr.Unmap()
	if g.allowed(addr) || g.allowed(unmapped) {
		return nil
	}
	if reason := blockedReason(unmapped); reason != "" {
		return &BlockedError{Addr: addr, Reason: reason}
	}
	return nil
}

func (g *guard) allowed(addr netip.Addr) bool {
	for _, p := range g.allow {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// blockedReason returns why addr (already unmapped) is refused, or "" when
// it is a public address.
func blockedReason(addr netip.Addr) string {
	if !addr.IsValid() {
		return "invalid address"
	}
	if addr.Is4() {
		return match(blockedV4, addr)
	}
	if reason := match(blockedV6, addr); reason != "" {
		return reason
	}
	if v4, kind, ok := embeddedV4(addr); ok {
		if reason := match(blockedV4, v4); reason != "" {
			return kind + " of " + reason + " " + v4.String()
		}
	}
	return ""
}

// embeddedV4 extracts the IPv4 address carried inside a NAT64 (well-known
// prefix) or 6to4 address, which a translator or relay would forward to.
func embeddedV4(addr netip.Addr) (netip.Addr, string, bool) {
	b := addr.As16()
	switch {
	case nat64Prefix.Contains(addr):
		return netip.AddrFrom4([4]byte(b[12:16])), "NAT64", true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte(b[2:6])), "6to4", true
	}
	return netip.Addr{}, "", false
}

func match(rs []rule, addr netip.Addr) string {
	for _, r := range rs {
		if r.prefix.Contains(addr) {
			return r.reason
		}
	}
	return ""
}

// checkScheme refuses every URL scheme but http and https before anything
// is dialed.
func checkScheme(u *url.URL) error {
	switch u.Scheme {
	case "http", "https":
		return nil
	}
	return &BlockedError{Reason: "scheme " + strconv.Quote(u.Scheme) + " is not allowed"}
}
