package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/toolgate/toolgate/app"
	"github.com/toolgate/toolgate/oauth"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// env is a running gateway on a real store, with loopback upstreams
// allowed, and the admin key of its first workspace.
type env struct {
	t        *testing.T
	store    store.Store
	box      *secrets.Box
	server   *httptest.Server
	recorder *tools.Recorder
	admin    string
	logs     *lockedWriter
	// oauth is the gateway's token manager (its clock is envOptions.now).
	oauth *oauth.Manager
	// app is the running gateway's parts.
	app  *app.App
	opts envOptions
}

type envOptions struct {
	// allow replaces the allow-list (loopback by default); set it to an
	// empty, non-nil slice to allow nothing.
	allow []netip.Prefix
	// background starts a job queue; without it background tools run in
	// the foreground.
	background bool
	// now is the OAuth token manager's clock. Defaults to time.Now.
	now func() time.Time
	// tracing makes the gateway's spans. Optional.
	tracing trace.TracerProvider
	// cors are the origins allowed to call /mcp from a browser.
	cors []string
}

func newEnv(t *testing.T, newStore func(testing.TB) store.Store, opts ...envOptions) *env {
	t.Helper()
	var o envOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	st := newStore(t)
	box, err := secrets.NewBox(bytes.Repeat([]byte{42}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ws, err := tenant.Create(ctx, st, box, "default")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := tenant.AddAdminKey(ctx, st, ws.ID, "test", "")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, box: box, admin: admin, opts: o}
	e.start()
	return e
}

// start builds and serves a gateway over e's store and box.
func (e *env) start() {
	t, st, box, o := e.t, e.store, e.box, e.opts
	ctx := context.Background()
	logs := &lockedWriter{changed: make(chan struct{}, 1)}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	allow := o.allow
	if allow == nil {
		allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	// The handler is set once the app exists; the URL is needed first,
	// for the OAuth callback.
	var handler http.Handler
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	a, err := app.New(ctx, app.Config{Store: st, Box: box, AllowNetworks: allow, OAuthPublicURL: hs.URL, Now: o.now,
		WithoutQueue: !o.background, Workers: 8, BackoffBase: 20 * time.Millisecond, CORSOrigins: o.cors, Logger: log, TracerProvider: o.tracing})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	handler = a.Handler()
	t.Cleanup(func() {
		hs.Close()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := a.Stop(sctx); err != nil {
			t.Errorf("stopping the gateway: %v", err)
		}
	})
	rec, tokens := a.Recorder, a.OAuth
	e.app = a
	e.server, e.recorder, e.logs, e.oauth = hs, rec, logs, tokens
}

// replica starts a second gateway over another store handle of the same
// database, sharing e's box, admin key and options.
func (e *env) replica(st store.Store) *env {
	r := &env{t: e.t, store: st, box: e.box, admin: e.admin, opts: e.opts}
	r.start()
	return r
}

// response is a decoded API answer.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// str returns the string at a dot path of the body ("error.type").
func (r *response) str(path string) string {
	v, _ := r.at(path).(string)
	return v
}

func (r *response) at(path string) any {
	var cur any = r.body
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// do sends a request with a key and a JSON body (a string is sent as is).
func (e *env) do(method, path, key string, body any) *response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.server.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.server.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := &response{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// must sends a request and fails the test unless the status is want.
func (e *env) must(want int, method, path, key string, body any) *response {
	e.t.Helper()
	r := e.do(method, path, key, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.raw)
	}
	return r
}

// agentWithKey creates an agent with the given tools and an agent key.
func (e *env) agentWithKey(name string, toolNames ...string) (agentID, key string) {
	e.t.Helper()
	ts := []map[string]any{}
	for _, n := range toolNames {
		ts = append(ts, map[string]any{"name": n})
	}
	a := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": name, "tools": ts})
	agentID = a.str("id")
	k := e.must(201, "POST", "/v1/admin/keys", e.admin, map[string]any{"name": name + "-key", "role": "agent", "agent_id": agentID})
	return agentID, k.str("key")
}

// publishTool creates and publishes a tool, returning its id.
func (e *env) publishTool(def map[string]any) string {
	e.t.Helper()
	r := e.must(201, "POST", "/v1/admin/tools", e.admin, def)
	id := r.str("id")
	e.must(200, "POST", "/v1/admin/tools/"+id+"/publish", e.admin, nil)
	return id
}

// lockedWriter serialises writes to a buffer shared by goroutines.
// Every write signals changed, so a test can wait for a log line.
type lockedWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
	return l.buf.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitLog waits (bounded) until something is logged.
func (e *env) waitLog() {
	select {
	case <-e.logs.changed:
	case <-time.After(10 * time.Second):
	}
}

// doWithHeader is do with one extra request header.
func (e *env) doWithHeader(method, path, key string, body any, name, value string) *response {
	e.t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequest(method, e.server.URL+path, bytes.NewReader(data))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set(name, value)
	resp, err := e.server.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &response{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}
