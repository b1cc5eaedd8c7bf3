// Package egress is toolgate's one shared, guarded outbound HTTP client.
//
// Every request toolgate sends on behalf of an agent goes through a
// [Client]. The client refuses to connect to addresses that belong to the
// gateway's own network neighbourhood — loopback, private and unique-local
// ranges, link-local (including the 169.254.169.254 cloud metadata
// endpoint), carrier-grade NAT, multicast, reserved and documentation
// ranges, and IPv6 forms that embed such an IPv4 address (IPv4-mapped,
// NAT64, 6to4) — unless the address falls inside an admin-configured
// allow-list ([Config.AllowNetworks]).
//
// The check runs in the dialer's Control hook, on the address actually being
// connected to, after DNS resolution. That placement covers DNS rebinding
// (a name that resolves to a public address at validation time and to a
// private one later) and redirects (every hop dials through the same hook)
// without resolving names twice.
//
// A Client also bounds what comes back: redirects are limited and stripped
// of credentials when they leave the original origin, response bodies are
// read up to a cap and marked truncated beyond it, and the caller's context
// deadline covers the whole exchange including the body. Errors are sorted
// into the outcome classes toolgate records with [Classify].
package egress
