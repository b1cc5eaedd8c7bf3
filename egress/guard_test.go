package egress

import (
	"errors"
	"net/netip"
	"testing"
)

func TestGuardCheck(t *testing.T) {
	loopbackAllowed := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		addr    string
		allow   []netip.Prefix
		blocked bool
	}{
		// IPv4 special-purpose ranges.
		{addr: "0.0.0.0", blocked: true},
		{addr: "0.1.2.3", blocked: true},
		{addr: "10.0.0.1", blocked: true},
		{addr: "100.64.0.1", blocked: true},
		{addr: "100.127.255.255", blocked: true},
		{addr: "127.0.0.1", blocked: true},
		{addr: "127.255.0.9", blocked: true},
		{addr: "169.254.169.254", blocked: true},
		{addr: "169.254.1.1", blocked: true},
		{addr: "172.16.0.1", blocked: true},
		{addr: "172.31.255.255", blocked: true},
		{addr: "192.0.0.8", blocked: true},
		{addr: "192.0.2.1", blocked: true},
		{addr: "192.168.1.1", blocked: true},
		{addr: "198.18.0.1", blocked: true},
		{addr: "198.19.255.255", blocked: true},
		{addr: "198.51.100.7", blocked: true},
		{addr: "203.0.113.9", blocked: true},
		{addr: "224.0.0.1", blocked: true},
		{addr: "239.255.255.250", blocked: true},
		{addr: "240.0.0.1", blocked: true},
		{addr: "255.255.255.255", blocked: true},
		// Public IPv4, including neighbours of blocked ranges.
		{addr: "8.8.8.8"},
		{addr: "1.1.1.1"},
		{addr: "100.63.255.255"},
		{addr: "100.128.0.0"},
		{addr: "172.15.255.255"},
		{addr: "172.32.0.0"},
		{addr: "198.20.0.0"},
		{addr: "223.255.255.255"},
		// IPv6 special-purpose ranges.
		{addr: "::", blocked: true},
		{addr: "::1", blocked: true},
		{addr: "::7f00:1", blocked: true},        // IPv4-compatible
		{addr: "::ffff:0:7f00:1", blocked: true}, // IPv4-translated
		{addr: "fc00::1", blocked: true},
		{addr: "fd12:3456::1", blocked: true},
		{addr: "fe80::1", blocked: true},
		{addr: "fe80::1%eth0", blocked: true},
		{addr: "fec0::1", blocked: true},
		{addr: "ff02::1", blocked: true},
		{addr: "2001:db8::1", blocked: true},
		{addr: "2001::1", blocked: true}, // Teredo
		{addr: "2001:0:4136:e378:8000:63bf:3fff:fdd2", blocked: true},
		{addr: "100::1", blocked: true},
		// IPv4 inside IPv6.
		{addr: "::ffff:127.0.0.1", blocked: true},
		{addr: "::ffff:169.254.169.254", blocked: true},
		{addr: "::ffff:10.1.2.3", blocked: true},
		{addr: "::ffff:8.8.8.8"},
		{addr: "64:ff9b::7f00:1", blocked: true},
		{addr: "64:ff9b::a9fe:a9fe", blocked: true},
		{addr: "64:ff9b::808:808"},
		{addr: "64:ff9b:1::808:808", blocked: true},
		{addr: "2002:7f00:1::1", blocked: true},
		{addr: "2002:a9fe:a9fe::1", blocked: true},
		{addr: "2002:808:808::1"},
		// Public IPv6.
		{addr: "2606:4700:4700::1111"},
		{addr: "2a00:1450:4001::200e"},
		// Allow-list: the dialed form and the unmapped form both count.
		{addr: "127.0.0.1", allow: loopbackAllowed},
		{addr: "::1", allow: loopbackAllowed},
		{addr: "::ffff:127.0.0.1", allow: loopbackAllowed},
		{addr: "10.0.0.1", allow: loopbackAllowed, blocked: true},
		{addr: "64:ff9b::7f00:1", allow: loopbackAllowed, blocked: true},
		{addr: "10.20.3.4", allow: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}},
		{addr: "10.21.3.4", allow: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}, blocked: true},
		{addr: "fe80::1%eth0", allow: []netip.Prefix{netip.MustParsePrefix("fe80::/10")}},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := newGuard(tt.allow).check(netip.MustParseAddr(tt.addr))
			if got := err != nil; got != tt.blocked {
				t.Fatalf("check(%s) = %v, want blocked %v", tt.addr, err, tt.blocked)
			}
			if err == nil {
				return
			}
			var be *BlockedError
			if !errors.As(err, &be) || !errors.Is(err, ErrBlocked) || be.Reason == "" {
				t.Fatalf("check(%s) = %#v, want a *BlockedError with a reason matching ErrBlocked", tt.addr, err)
			}
		})
	}
}

func TestGuardControl(t *testing.T) {
	g := newGuard(nil)
	tests := []struct {
		network, address string
		blocked          bool
	}{
		{"tcp4", "8.8.8.8:443", false},
		{"tcp6", "[2606:4700:4700::1111]:443", false},
		{"tcp4", "169.254.169.254:80", true},
		{"tcp6", "[fe80::1%eth0]:80", true},
		{"udp4", "8.8.8.8:53", true},
		{"unix", "/var/run/docker.sock", true},
		{"tcp4", "not-an-address", true},
	}
	for _, tt := range tests {
		err := g.control(tt.network, tt.address, nil)
		if got := errors.Is(err, ErrBlocked); got != tt.blocked {
			t.Errorf("control(%q, %q) = %v, want blocked %v", tt.network, tt.address, err, tt.blocked)
		}
	}
}
