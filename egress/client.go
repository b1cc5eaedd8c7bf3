package egress

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ErrTooManyRedirects is returned (wrapped) when a call would follow more
// than Config.MaxRedirects redirects. Classify puts it in "network_error".
var ErrTooManyRedirects = errors.New("egress: too many redirects")

// Client sends guarded HTTP requests. It owns one tuned connection pool and
// is safe for concurrent use; build one per process with New and share it.
type Client struct {
	transport        *http.Transport
	http             *http.Client
	maxResponseBytes int64
	maxRedirects     int
}

// Options adjusts one call to Client.Do. The zero value uses the client's
// configuration.
type Options struct {
	// SensitiveHeaders names request headers, beyond Authorization,
	// Proxy-Authorization and Cookie, that carry credentials (such as an
	// API key header) and must not follow a redirect to another origin.
	// Names are matched case-insensitively.
	SensitiveHeaders []string

	// SensitiveBody marks a request body that carries credentials: a 307 or
	// 308 redirect to another origin, which would replay it there, is not
	// followed (the redirect response is returned as it is).
	SensitiveBody bool

	// MaxResponseBytes caps the response body read for this call.
	// Defaults to Config.MaxResponseBytes.
	MaxResponseBytes int64
}

// Response is a fully read upstream response. Its body is already closed.
type Response struct {
	// StatusCode is the status of the final response (after redirects).
	StatusCode int
	// Header is the final response's header.
	Header http.Header
	// Body holds at most the call's MaxResponseBytes bytes of the body,
	// decompressed when the transport negotiated gzip. It may be nil when
	// the body is empty.
	Body []byte
	// Truncated reports that the body was longer than the cap and Body
	// holds only its first MaxResponseBytes bytes.
	Truncated bool
	// Timings says where the time went.
	Timings Timings
	// FinalURL is the URL of the request that produced this response,
	// which differs from the request's URL when redirects were followed.
	// It may carry secrets in its query; redact before recording.
	FinalURL string
}

// New builds a Client from cfg after applying Config.WithDefaults. It does
// not validate cfg; configuration loaders call Config.Validate first.
// Invalid allow-list prefixes are ignored.
func New(cfg Config) *Client {
	cfg = cfg.WithDefaults()
	g := newGuard(cfg.AllowNetworks)
	dialer := &net.Dialer{
		Timeout:   cfg.DialTimeout,
		KeepAlive: cfg.KeepAlive,
		// The guard sees every address actually dialed, after DNS,
		// for the first request and for every redirect hop. The
		// dialer keeps the default resolver, whose own connections to
		// DNS servers (often on loopback) do not pass through here.
		Control: g.control,
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
	}
	transport := &http.Transport{
		// Never route through an environment-configured proxy: the
		// guard must see the real upstream address.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        tlsConfig,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           cfg.MaxIdleConns,
		MaxIdleConnsPerHost:    cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:        cfg.IdleConnTimeout,
		TLSHandshakeTimeout:    cfg.TLSHandshakeTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: cfg.MaxResponseHeaderBytes,
		// ResponseHeaderTimeout stays unset: the caller's context
		// deadline bounds the whole exchange, body included.
	}
	c := &Client{
		transport:        transport,
		maxResponseBytes: cfg.MaxResponseBytes,
		maxRedirects:     cfg.MaxRedirects,
	}
	c.http = &http.Client{Transport: transport, CheckRedirect: c.checkRedirect}
	return c
}

// HTTPClient returns a standard *http.Client that shares this client's
// guarded connection pool and redirect policy, for libraries that need one
// (for example golang.org/x/oauth2 token requests). Responses are not size
// capped and no extra sensitive headers are stripped on redirects; prefer
// Do where possible.
func (c *Client) HTTPClient() *http.Client {
	hc := *c.http
	return &hc
}

// CloseIdleConnections closes pooled connections that are not in use.
func (c *Client) CloseIdleConnections() {
	c.transport.CloseIdleConnections()
}

// Do sends req with ctx (which replaces req's context) and reads the whole
// response. The deadline of ctx covers everything: dialing, redirects and
// reading the body. The response body is always closed.
//
// Errors come wrapped in *url.Error as from net/http; sort them with
// Classify. A refused destination matches ErrBlocked, a deadline
// context.DeadlineExceeded, and too many redirects ErrTooManyRedirects.
func (c *Client) Do(ctx context.Context, req *http.Request, opts Options) (*Response, error) {
	cl := newCall(opts.SensitiveHeaders)
	cl.sensitiveBody = opts.SensitiveBody
	if err := checkScheme(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &url.Error{Op: urlErrorOp(req.Method), URL: req.URL.Redacted(), Err: err}
	}
	ctx = httptrace.WithClientTrace(ctx, &cl.trace)
	if len(opts.SensitiveHeaders) > 0 || opts.SensitiveBody {
		ctx = context.WithValue(ctx, callKey{}, cl)
	}
	resp, err := c.http.Do(req.WithContext(ctx))
	if err != nil {
		// On a CheckRedirect error net/http also returns the last
		// response, with its body already closed; it is not needed.
		return nil, err
	}
	defer resp.Body.Close()

	limit := cmp0(opts.MaxResponseBytes, c.maxResponseBytes)
	var body []byte
	var truncated bool
	if resp.Request.Method != http.MethodHead {
		body, truncated, err = readBody(resp.Body, resp.ContentLength, limit)
		if err != nil {
			return nil, &url.Error{Op: urlErrorOp(req.Method), URL: resp.Request.URL.Redacted(),
				Err: fmt.Errorf("reading response body: %w", err)}
		}
	}
	return &Response{
		StatusCode: resp.StatusCode,
		Header:     resp.Header,
		Body:       body,
		Truncated:  truncated,
		Timings:    cl.timings(),
		FinalURL:   resp.Request.URL.String(),
	}, nil
}

// cmp0 returns v when it is positive and def otherwise.
func cmp0(v, def int64) int64 {
	if v > 0 {
		return v
	}
	return def
}

func urlErrorOp(method string) string {
	if method == "" {
		return "Get"
	}
	if lower := strings.ToLower(method); len(lower) > 1 {
		return method[:1] + lower[1:]
	}
	return method
}

// bodyBuffers recycles the buffers of bodies of unknown length; the caller
// gets an exact-size copy.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps one huge body from pinning memory in the pool.
const maxPooledBuffer = 256 << 10

// readBody reads at most limit bytes of body and reports whether more was
// there. It never reads more than limit+1 bytes.
func readBody(body io.Reader, contentLength, limit int64) ([]byte, bool, error) {
	if contentLength >= 0 && contentLength <= limit {
		// The transport enforces Content-Length, so exactly this much
		// arrives or the read fails.
		buf := make([]byte, contentLength)
		if _, err := io.ReadFull(body, buf); err != nil {
			return nil, false, err
		}
		return buf, false, nil
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			bodyBuffers.Put(buf)
		}
	}()
	buf.Reset()
	n, err := buf.ReadFrom(&io.LimitedReader{R: body, N: min(limit, math.MaxInt64-1) + 1})
	if err != nil {
		return nil, false, err
	}
	data := buf.Bytes()
	truncated := n > limit
	if truncated {
		data = data[:limit]
	}
	if len(data) == 0 {
		return nil, truncated, nil
	}
	return bytes.Clone(data), truncated, nil
}

// callKey finds the *call of a request in its context during redirects.
type callKey struct{}

// crossOriginStripped are the headers never sent to another origin:
// credentials, and Referer, which can carry a query-string API key.
var crossOriginStripped = []string{"Authorization", "Proxy-Authorization", "Cookie", "Cookie2", "Referer"}

// checkRedirect is the http.Client redirect policy: bounded hops, http(s)
// only, and credentials stripped once the chain leaves the first origin.
// The destination address of each hop is checked by the dial guard.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if c.maxRedirects < 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > c.maxRedirects {
		return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, c.maxRedirects)
	}
	if err := checkScheme(req.URL); err != nil {
		return err
	}
	if !leftOrigin(req, via) {
		return nil
	}
	// net/http copies the first request's headers onto every hop; it
	// strips Authorization and Cookie only for unrelated domains and
	// knows nothing of API key headers or of Referer carrying secrets
	// in a query string.
	deleteFold(req.Header, crossOriginStripped)
	if cl, ok := req.Context().Value(callKey{}).(*call); ok {
		deleteFold(req.Header, cl.sensitive)
		if cl.sensitiveBody && req.GetBody != nil && req.ContentLength != 0 {
			return http.ErrUseLastResponse // would replay the body to another origin
		}
	}
	return nil
}

// leftOrigin reports whether req or any earlier hop has a different
// scheme, host or port than the first request. Once the chain has left the
// origin, credentials stay stripped even if it comes back.
func leftOrigin(req *http.Request, via []*http.Request) bool {
	first := origin(via[0].URL)
	if origin(req.URL) != first {
		return true
	}
	for _, r := range via[1:] {
		if origin(r.URL) != first {
			return true
		}
	}
	return false
}

// origin returns scheme://host:port with the default port made explicit.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return u.Scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// deleteFold removes every header whose name equals one of names ignoring
// case, including keys set without canonicalization.
func deleteFold(h http.Header, names []string) {
	for key := range h {
		for _, name := range names {
			if strings.EqualFold(key, name) {
				delete(h, key)
				break
			}
		}
	}
}
