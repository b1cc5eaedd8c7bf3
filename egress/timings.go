package egress

import (
	"crypto/tls"
	"net/http/httptrace"
	"sync/atomic"
	"time"
)

// Timings says where the time of one call went. Phases that did not happen
// (DNS for an IP literal, connect and TLS on a reused connection) are zero.
// With redirects, DNS, Connect and TLS are summed over all hops.
type Timings struct {
	// DNS is the time spent resolving host names.
	DNS time.Duration
	// Connect is the time spent establishing TCP connections.
	Connect time.Duration
	// TLS is the time spent in TLS handshakes.
	TLS time.Duration
	// TTFB is the time from the start of the call until the first byte of
	// the final response arrived.
	TTFB time.Duration
	// Total is the time from the start of the call until the body was
	// read and closed.
	Total time.Duration
}

// call carries the per-call state reached from the request context: the
// trace hooks and what the redirect policy needs.
//
// It is allocated per call rather than pooled on purpose: net/http keeps
// dialing after a request is cancelled (the connection may serve a later
// request) and that dial keeps the request context's values, so DNS,
// connect and TLS hooks can fire after Do has returned. A pooled struct
// could then be written by a stranger's dial. Fields the hooks write are
// atomics for the same reason: Do reads them while a late hook may run.
type call struct {
	start     time.Time
	sensitive []string
	// sensitiveBody refuses to replay the body to another origin.
	sensitiveBody bool
	trace         httptrace.ClientTrace

	// Offsets from start, in nanoseconds, of the latest phase starts.
	dnsStart, connectStart, tlsStart atomic.Int64
	// Accumulated phase durations and the TTFB offset, in nanoseconds.
	dns, connect, tls, ttfb atomic.Int64
}

func newCall(sensitive []string) *call {
	c := &call{start: time.Now(), sensitive: sensitive}
	c.trace = httptrace.ClientTrace{
		DNSStart:             c.onDNSStart,
		DNSDone:              c.onDNSDone,
		ConnectStart:         c.onConnectStart,
		ConnectDone:          c.onConnectDone,
		TLSHandshakeStart:    c.onTLSStart,
		TLSHandshakeDone:     c.onTLSDone,
		GotFirstResponseByte: c.onFirstByte,
	}
	return c
}

func (c *call) since() int64 { return int64(time.Since(c.start)) }

func (c *call) onDNSStart(httptrace.DNSStartInfo) { c.dnsStart.Store(c.since()) }

func (c *call) onDNSDone(httptrace.DNSDoneInfo) { c.dns.Add(c.since() - c.dnsStart.Load()) }

func (c *call) onConnectStart(_, _ string) { c.connectStart.Store(c.since()) }

func (c *call) onConnectDone(_, _ string, err error) {
	if err == nil {
		c.connect.Add(c.since() - c.connectStart.Load())
	}
}

func (c *call) onTLSStart() { c.tlsStart.Store(c.since()) }

func (c *call) onTLSDone(_ tls.ConnectionState, err error) {
	if err == nil {
		c.tls.Add(c.since() - c.tlsStart.Load())
	}
}

func (c *call) onFirstByte() { c.ttfb.Store(c.since()) }

func (c *call) timings() Timings {
	return Timings{
		DNS:     time.Duration(c.dns.Load()),
		Connect: time.Duration(c.connect.Load()),
		TLS:     time.Duration(c.tls.Load()),
		TTFB:    time.Duration(c.ttfb.Load()),
		Total:   time.Since(c.start),
	}
}
