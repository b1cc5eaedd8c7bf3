package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loopbackNetworks lets test clients reach httptest servers.
var loopbackNetworks = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("::1/128"),
}

// server is an httptest server that counts the connections it accepted.
type server struct {
	*httptest.Server
	newConns atomic.Int64
}

// startServer serves h on a listener bound to addr ("127.0.0.1:0",
// "[::1]:0", ...). It returns an error when the address cannot be bound so
// callers can skip cases the host cannot run.
func startServer(t testing.TB, network, addr string, h http.Handler) (*server, error) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	s := &server{Server: httptest.NewUnstartedServer(h)}
	s.Listener.Close()
	s.Listener = ln
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.newConns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s, nil
}

func mustStartServer(t *testing.T, h http.Handler) *server {
	t.Helper()
	s, err := startServer(t, "tcp4", "127.0.0.1:0", h)
	if err != nil {
		t.Fatalf("listening on loopback: %v", err)
	}
	return s
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c := New(cfg)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func get(t *testing.T, c *Client, rawURL string, opts Options) (*Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	return c.Do(ctx, req, opts)
}

// assertNoNewConnection proves s accepted no connection since it had
// before: a fresh client that may reach loopback connects once, and the
// server's accept loop records connections in arrival order, so any
// earlier connection would already be counted when that call returns.
func assertNoNewConnection(t *testing.T, s *server, before int64) {
	t.Helper()
	probe := newClient(t, Config{AllowNetworks: loopbackNetworks})
	if _, err := get(t, probe, s.URL, Options{}); err != nil {
		t.Fatalf("probe call: %v", err)
	}
	if got := s.newConns.Load() - before; got != 1 {
		t.Errorf("server accepted %d connections counting the probe, want 1 (the blocked call connected)", got)
	}
}

func assertBlocked(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("error = %v, want ErrBlocked", err)
	}
	if got := Classify(err); got != ClassBlocked {
		t.Errorf("Classify(%v) = %q, want %q", err, got, ClassBlocked)
	}
}

func TestDoBlocksLoopbackTargets(t *testing.T) {
	v4 := mustStartServer(t, okHandler())
	v4Port := v4.Listener.Addr().(*net.TCPAddr).Port
	guarded := newClient(t, Config{})

	urls := []string{
		v4.URL,
		fmt.Sprintf("http://localhost:%d/", v4Port),
		fmt.Sprintf("http://0.0.0.0:%d/", v4Port),
		fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/", v4Port),
	}
	for _, u := range urls {
		t.Run(u, func(t *testing.T) {
			before := v4.newConns.Load()
			_, err := get(t, guarded, u, Options{})
			assertBlocked(t, err)
			assertNoNewConnection(t, v4, before)
		})
	}

	t.Run("[::1]", func(t *testing.T) {
		v6, err := startServer(t, "tcp6", "[::1]:0", okHandler())
		if err != nil {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		before := v6.newConns.Load()
		_, err = get(t, guarded, v6.URL, Options{})
		assertBlocked(t, err)
		assertNoNewConnection(t, v6, before)
	})
}

func TestDoBlocksPrivateTargetsBeforeConnecting(t *testing.T) {
	// Nothing listens at these addresses; a connect attempt would hang
	// or fail with a network error. The Control hook refuses the socket
	// before connect(2), so the call ends at once, blocked, well before
	// its deadline.
	guarded := newClient(t, Config{})
	for _, u := range []string{
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/",
		"http://100.64.0.1/",
		"http://192.168.0.1:8080/",
		"http://[64:ff9b::7f00:1]/",
		"http://[fd00::1]/",
		"https://[fe80::1]/",
	} {
		t.Run(u, func(t *testing.T) {
			_, err := get(t, guarded, u, Options{})
			assertBlocked(t, err)
		})
	}
}

func TestDoRefusesOtherSchemes(t *testing.T) {
	c := newClient(t, Config{AllowNetworks: loopbackNetworks})
	for _, u := range []string{"ftp://127.0.0.1/", "file:///etc/passwd", "gopher://127.0.0.1:70/"} {
		_, err := get(t, c, u, Options{})
		assertBlocked(t, err)
	}
}

func TestDoRedirectToBlockedAddress(t *testing.T) {
	targets := map[string]string{"127.0.0.2": "127.0.0.2:0", "[::1]": "[::1]:0"}
	for name, addr := range targets {
		t.Run(name, func(t *testing.T) {
			forbidden, err := startServer(t, "tcp", addr, okHandler())
			if err != nil {
				t.Skipf("cannot listen on %s: %v", addr, err)
			}
			upstream := mustStartServer(t, http.RedirectHandler(forbidden.URL+"/secret", http.StatusFound))
			// Only the upstream's exact address is allowed.
			c := newClient(t, Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
			_, err = get(t, c, upstream.URL, Options{})
			assertBlocked(t, err)
			assertNoNewConnection(t, forbidden, 0)
		})
	}
	t.Run("scheme", func(t *testing.T) {
		upstream := mustStartServer(t, http.RedirectHandler("file:///etc/passwd", http.StatusFound))
		c := newClient(t, Config{AllowNetworks: loopbackNetworks})
		_, err := get(t, c, upstream.URL, Options{})
		assertBlocked(t, err)
	})
}

// redirectChain answers /hop/N with a redirect to /hop/N-1 and /hop/0 with ok.
func redirectChain() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		if err != nil || n == 0 {
			io.WriteString(w, "done")
			return
		}
		http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1), http.StatusFound)
	})
}

func TestDoRedirectLimit(t *testing.T) {
	s := mustStartServer(t, redirectChain())
	c := newClient(t, Config{AllowNetworks: loopbackNetworks})

	resp, err := get(t, c, s.URL+"/hop/5", Options{})
	if err != nil {
		t.Fatalf("5 redirects: %v", err)
	}
	if string(resp.Body) != "done" || resp.FinalURL != s.URL+"/hop/0" {
		t.Errorf("5 redirects: body %q final URL %q, want done at %s/hop/0", resp.Body, resp.FinalURL, s.URL)
	}

	_, err = get(t, c, s.URL+"/hop/6", Options{})
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("6 redirects: error = %v, want ErrTooManyRedirects", err)
	}
	if got := Classify(err); got != ClassNetworkError {
		t.Errorf("Classify(too many redirects) = %q, want %q", got, ClassNetworkError)
	}

	noFollow := newClient(t, Config{AllowNetworks: loopbackNetworks, MaxRedirects: -1})
	resp, err = get(t, noFollow, s.URL+"/hop/1", Options{})
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Errorf("MaxRedirects -1: status %v error %v, want 302 returned as is", resp, err)
	}
}

func TestDoRedirectStripsCredentialsAcrossOrigins(t *testing.T) {
	var mu sync.Mutex
	var seen []http.Header
	record := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusTemporaryRedirect)
			return
		}
		io.WriteString(w, "ok")
	})
	first := mustStartServer(t, record)
	other := mustStartServer(t, record) // same host, other port: another origin
	c := newClient(t, Config{AllowNetworks: loopbackNetworks})

	call := func(t *testing.T, u string) []http.Header {
		t.Helper()
		mu.Lock()
		seen = nil
		mu.Unlock()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		req.Header.Set("Proxy-Authorization", "Basic cHJveHk=")
		req.Header.Set("Cookie", "session=abc")
		req.Header["x-api-key"] = []string{"k3y"} // not canonical on purpose
		req.Header.Set("X-Trace", "keep-me")
		if _, err := c.Do(t.Context(), req, Options{SensitiveHeaders: []string{"X-Api-Key"}}); err != nil {
			t.Fatalf("Do: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
	credentials := []string{"Authorization", "Proxy-Authorization", "Cookie", "x-api-key", "Referer"}

	t.Run("cross origin", func(t *testing.T) {
		hops := call(t, first.URL+"/?to="+other.URL+"/landing")
		if len(hops) != 2 {
			t.Fatalf("saw %d requests, want 2", len(hops))
		}
		if hops[0].Get("Authorization") == "" {
			t.Errorf("first hop lost Authorization")
		}
		for _, name := range credentials {
			if v := hops[1].Values(name); len(v) > 0 {
				t.Errorf("cross-origin hop got %s: %q, want it stripped", name, v)
			}
		}
		if got := hops[1].Get("X-Trace"); got != "keep-me" {
			t.Errorf("cross-origin hop X-Trace = %q, want keep-me", got)
		}
	})

	t.Run("same origin", func(t *testing.T) {
		hops := call(t, first.URL+"/?to=/landing")
		if len(hops) != 2 {
			t.Fatalf("saw %d requests, want 2", len(hops))
		}
		if got := hops[1].Get("Authorization"); got != "Bearer s3cret" {
			t.Errorf("same-origin hop Authorization = %q, want it kept", got)
		}
		if got := hops[1].Get("X-Api-Key"); got != "k3y" {
			t.Errorf("same-origin hop x-api-key = %q, want it kept", got)
		}
	})

	t.Run("back to origin stays stripped", func(t *testing.T) {
		back := first.URL + "/landing"
		hops := call(t, first.URL+"/?to="+other.URL+"/%3Fto%3D"+back)
		if len(hops) != 3 {
			t.Fatalf("saw %d requests, want 3", len(hops))
		}
		if v := hops[2].Get("Authorization"); v != "" {
			t.Errorf("hop back to the origin got Authorization %q, want it stripped", v)
		}
	})
}

func TestDoRedirect307ReplaysBody(t *testing.T) {
	s := mustStartServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
			return
		}
		io.Copy(w, r.Body)
	}))
	c := newClient(t, Config{AllowNetworks: loopbackNetworks})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/old", strings.NewReader(`{"a":1}`))
	resp, err := c.Do(t.Context(), req, Options{})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if string(resp.Body) != `{"a":1}` {
		t.Errorf("body after 307 = %q, want the request body replayed", resp.Body)
	}
}

func TestDoResponseSizeCap(t *testing.T) {
	const limit = 1000
	s := mustStartServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Has("chunked") {
			w.(http.Flusher).Flush() // no Content-Length
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		io.WriteString(w, strings.Repeat("x", n))
	}))
	c := newClient(t, Config{AllowNetworks: loopbackNetworks, MaxResponseBytes: limit})
	tests := []struct {
		query         string
		opts          Options
		wantLen       int
		wantTruncated bool
	}{
		{query: "n=999", wantLen: 999},
		{query: "n=1000", wantLen: 1000},
		{query: "n=1001", wantLen: 1000, wantTruncated: true},
		{query: "n=50000", wantLen: 1000, wantTruncated: true},
		{query: "n=1000&chunked", wantLen: 1000},
		{query: "n=1001&chunked", wantLen: 1000, wantTruncated: true},
		{query: "n=50000&chunked", wantLen: 1000, wantTruncated: true},
		{query: "n=0", wantLen: 0},
		{query: "n=50000", opts: Options{MaxResponseBytes: 10}, wantLen: 10, wantTruncated: true},
		{query: "n=5000", opts: Options{MaxResponseBytes: 8000}, wantLen: 5000},
	}
	for _, tt := range tests {
		resp, err := get(t, c, s.URL+"/?"+tt.query, tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		if len(resp.Body) != tt.wantLen || resp.Truncated != tt.wantTruncated {
			t.Errorf("%s %+v: got %d bytes truncated %v, want %d truncated %v",
				tt.query, tt.opts, len(resp.Body), resp.Truncated, tt.wantLen, tt.wantTruncated)
		}
	}
}

func TestDoTimeout(t *testing.T) {
	release := make(chan struct{})
	s := mustStartServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			w.Header().Set("Content-Length", "10")
			io.WriteString(w, "12345")
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) }) // runs before s.Close
	c := newClient(t, Config{AllowNetworks: loopbackNetworks})

	for _, path := range []string{"/headers", "/body"} {
		t.Run(path, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
			_, err := c.Do(ctx, req, Options{})
			if got := Classify(err); got != ClassTimeout {
				t.Errorf("Classify(%v) = %q, want %q", err, got, ClassTimeout)
			}
		})
	}

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/headers", nil)
		errc := make(chan error, 1)
		go func() {
			_, err := c.Do(ctx, req, Options{})
			errc <- err
		}()
		cancel()
		if got := Classify(<-errc); got != ClassNetworkError {
			t.Errorf("Classify(cancelled) = %q, want %q", got, ClassNetworkError)
		}
	})
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&BlockedError{Reason: "loopback"}, ClassBlocked},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), ClassTimeout},
		{&net.OpError{Op: "dial", Err: &BlockedError{Reason: "x"}}, ClassBlocked},
		{context.Canceled, ClassNetworkError},
		{io.ErrUnexpectedEOF, ClassNetworkError},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestDoReusesConnections(t *testing.T) {
	s := mustStartServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	chunked := mustStartServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.(http.Flusher).Flush()
		io.WriteString(w, `{"ok":true}`)
	}))
	c := newClient(t, Config{AllowNetworks: loopbackNetworks})
	for _, srv := range []*server{s, chunked} {
		for i := range 2000 {
			if _, err := get(t, c, srv.URL, Options{}); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		if got := srv.newConns.Load(); got > 2 {
			t.Errorf("2000 sequential calls opened %d connections, want at most 2", got)
		}
	}
}

func TestDoConcurrent(t *testing.T) {
	s := mustStartServer(t, okHandler())
	c := newClient(t, Config{AllowNetworks: loopbackNetworks})
	const workers, calls = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range calls {
				resp, err := get(t, c, s.URL, Options{SensitiveHeaders: []string{"X-Api-Key"}})
				if err == nil && string(resp.Body) != "ok" {
					err = fmt.Errorf("body %q", resp.Body)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// A connection returns to the pool just after its body is read, so a
	// worker may occasionally dial while its previous one is on its way
	// back; the bound only catches leaks.
	if got := s.newConns.Load(); got > workers*calls/4 {
		t.Errorf("%d workers opened %d connections for %d calls, want connections reused", workers, got, workers*calls)
	}
}

func TestDoTimings(t *testing.T) {
	s := httptest.NewTLSServer(okHandler())
	t.Cleanup(s.Close)
	tlsConfig := s.Client().Transport.(*http.Transport).TLSClientConfig
	c := newClient(t, Config{AllowNetworks: loopbackNetworks, TLSConfig: tlsConfig})
	port := s.Listener.Addr().(*net.TCPAddr).Port

	resp, err := get(t, c, fmt.Sprintf("https://127.0.0.1:%d/", port), Options{})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	tm := resp.Timings
	if tm.Connect <= 0 || tm.TLS <= 0 || tm.TTFB <= 0 || tm.Total < tm.TTFB || tm.DNS < 0 {
		t.Errorf("first call timings = %+v, want connect, TLS and TTFB set and Total >= TTFB", tm)
	}
	resp, err = get(t, c, fmt.Sprintf("https://127.0.0.1:%d/", port), Options{})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if tm := resp.Timings; tm.Connect != 0 || tm.TLS != 0 || tm.TTFB <= 0 {
		t.Errorf("reused connection timings = %+v, want no connect or TLS time", tm)
	}
	if resp.Header.Get("Content-Type") == "" || resp.StatusCode != http.StatusOK {
		t.Errorf("response = %d %v, want 200 with headers", resp.StatusCode, resp.Header)
	}
}

func TestHTTPClientIsGuarded(t *testing.T) {
	s := mustStartServer(t, okHandler())
	hc := newClient(t, Config{}).HTTPClient()
	_, err := hc.Get(s.URL)
	assertBlocked(t, err)
	assertNoNewConnection(t, s, 0)
}
