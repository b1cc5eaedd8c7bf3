package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/toolgate/toolgate/app"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/sqlite"
	"github.com/toolgate/toolgate/tenant"
)

// upstreamPayload is the upstream's order: a small JSON document of which
// the get_order tool selects two fields.
var upstreamPayload = []byte(`{"order":{"id":"A-17","status":"shipped","eta":"tomorrow","carrier":"DHL","secret_note":"internal"}}`)

// listen serves h on a fresh loopback port and returns its base URL.
func listen(h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	go srv.Serve(ln)
	return srv, "http://" + ln.Addr().String(), nil
}

// upstream is the fast upstream API every target calls:
//
//	GET  /api/orders/{id}  the small order document
//	GET  /api/docs/{size}  a JSON document of about size bytes (e.g. 100KB)
//	POST /api/notes        {"saved":true}
type upstream struct {
	mu   sync.Mutex
	docs map[string][]byte
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/docs/"):
		doc, err := u.doc(strings.TrimPrefix(r.URL.Path, "/api/docs/"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		_, _ = w.Write(doc)
	case r.URL.Path == "/api/notes":
		_, _ = w.Write([]byte(`{"saved":true}`))
	default:
		_, _ = w.Write(upstreamPayload)
	}
}

// doc returns the document of a size, built once.
func (u *upstream) doc(size string) ([]byte, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if d, ok := u.docs[size]; ok {
		return d, nil
	}
	n, err := parseSize(size)
	if err != nil {
		return nil, err
	}
	d := jsonDocument(n)
	if u.docs == nil {
		u.docs = map[string][]byte{}
	}
	u.docs[size] = d
	return d, nil
}

// jsonDocument is a compact JSON document of about n bytes: a list of
// records as a search API returns them.
func jsonDocument(n int) []byte {
	var b bytes.Buffer
	b.Grow(n + 256)
	b.WriteString(`{"total":0,"items":[`)
	for i := 0; b.Len() < n-2; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"sku":"SKU-%06d","name":"Item number %d","price":%d.%02d,"in_stock":%t,"tags":["a","b"],"note":"Ships in 2-3 days; returns accepted within 30 days."}`,
			i, i, i, 10+i%90, i%100, i%3 != 0)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// parseSize parses 1000, 1KB, 100KB or 1MB (decimal units).
func parseSize(s string) (int, error) {
	mult := 1
	num := strings.ToUpper(strings.TrimSpace(s))
	switch {
	case strings.HasSuffix(num, "MB"):
		mult, num = 1000*1000, strings.TrimSuffix(num, "MB")
	case strings.HasSuffix(num, "KB"):
		mult, num = 1000, strings.TrimSuffix(num, "KB")
	case strings.HasSuffix(num, "B"):
		num = strings.TrimSuffix(num, "B")
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n*mult > 64<<20 {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, KB or MB, at most 64 MiB", s)
	}
	return n * mult, nil
}

// startUpstream starts the fast upstream API.
func startUpstream() (*http.Server, string, error) {
	return listen(&upstream{})
}

// startProxy starts a reverse proxy to upstream with a shared, tuned
// keep-alive transport: the baseline of what any HTTP hop costs.
func startProxy(upstream string) (*http.Server, string, *http.Transport, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, "", nil, err
	}
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	proxy := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u) },
		Transport: transport,
	}
	srv, base, err := listen(proxy)
	return srv, base, transport, err
}

// gatewayOptions choose how toolgate is built.
type gatewayOptions struct {
	// dir holds the SQLite file when databaseURL is empty.
	dir string
	// databaseURL is a PostgreSQL database: the instance works in a new
	// schema of it, dropped by stop.
	databaseURL string
	// queue runs background tools on the job queue (else in the
	// foreground).
	queue bool
	// config adjusts the app's configuration.
	config func(*app.Config)
}

// gatewayInstance is toolgate built in process as `toolgate serve` builds
// it, on SQLite in a temporary directory or in a schema of PostgreSQL.
type gatewayInstance struct {
	dbPath   string // SQLite
	pgURL    string // PostgreSQL: the base URL and the instance's schema
	pgSchema string
	store    store.Store
	box      *secrets.Box
	app      *app.App
	server   *http.Server
	url      string
	ws       *store.Workspace
	adminKey string
	stopped  bool
}

// startGateway builds toolgate with package app as cmd/toolgate does and
// serves it on loopback, with a workspace and an admin key.
func startGateway(ctx context.Context, opts gatewayOptions) (*gatewayInstance, error) {
	g := &gatewayInstance{}
	if opts.databaseURL != "" {
		if err := g.openPostgres(ctx, opts.databaseURL); err != nil {
			return nil, err
		}
	} else {
		g.dbPath = filepath.Join(opts.dir, "toolgate.db")
		st, err := sqlite.Open(ctx, g.dbPath)
		if err != nil {
			return nil, err
		}
		g.store = st
	}
	key := make([]byte, secrets.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	var err error
	if g.box, err = secrets.NewBox(key); err != nil {
		return nil, err
	}
	if g.ws, err = tenant.Create(ctx, g.store, g.box, "default"); err != nil {
		return nil, err
	}
	if g.adminKey, err = tenant.AddAdminKey(ctx, g.store, g.ws.ID, "bench", ""); err != nil {
		return nil, err
	}
	if err := g.startApp(ctx, opts); err != nil {
		return nil, err
	}
	return g, nil
}

// startApp builds and starts the app on the instance's store and serves it.
func (g *gatewayInstance) startApp(ctx context.Context, opts gatewayOptions) error {
	cfg := app.Config{Store: g.store, Box: g.box, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		WithoutQueue: !opts.queue, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if opts.config != nil {
		opts.config(&cfg)
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	g.app = a
	g.server, g.url, err = listen(a.Handler())
	return err
}

// restart stops the app and builds a new one on the same store: nothing
// cached survives, as after a restart of the process.
func (g *gatewayInstance) restart(ctx context.Context, opts gatewayOptions) error {
	_ = g.server.Shutdown(ctx)
	if err := g.app.Stop(ctx); err != nil {
		return err
	}
	return g.startApp(ctx, opts)
}

// openPostgres creates a schema for the instance and opens the store in it.
func (g *gatewayInstance) openPostgres(ctx context.Context, base string) error {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	g.pgSchema = "bench_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+g.pgSchema); err != nil {
		return fmt.Errorf("creating schema: %w", err)
	}
	g.pgURL = base
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("search_path", g.pgSchema)
	u.RawQuery = q.Encode()
	st, err := postgres.Open(ctx, u.String())
	if err != nil {
		return err
	}
	g.store = st
	return nil
}

// api calls the admin API and decodes the answer.
func (g *gatewayInstance) api(ctx context.Context, method, path string, body any) (map[string]any, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.url+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+g.adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, raw)
	}
	var out map[string]any
	return out, json.Unmarshal(raw, &out)
}

// publish creates and publishes a tool over the admin API.
func (g *gatewayInstance) publish(ctx context.Context, def map[string]any) error {
	tool, err := g.api(ctx, "POST", "/v1/admin/tools", def)
	if err != nil {
		return err
	}
	_, err = g.api(ctx, "POST", "/v1/admin/tools/"+fmt.Sprint(tool["id"])+"/publish", nil)
	return err
}

// connect creates the bearer connection "backend" to upstream.
func (g *gatewayInstance) connect(ctx context.Context, upstream string) error {
	_, err := g.api(ctx, "POST", "/v1/admin/connections", map[string]any{
		"name": "backend", "base_url": upstream + "/api",
		"auth": map[string]any{"type": "bearer"}, "secrets": map[string]any{"token": "tok-123456"}})
	return err
}

// agentKey creates an agent with the named tools and returns its key and
// ID.
func (g *gatewayInstance) agentKey(ctx context.Context, name string, toolNames ...string) (key, agentID string, err error) {
	activated := make([]map[string]any, len(toolNames))
	for i, n := range toolNames {
		activated[i] = map[string]any{"name": n}
	}
	agent, err := g.api(ctx, "POST", "/v1/admin/agents", map[string]any{"name": name, "tools": activated})
	if err != nil {
		return "", "", err
	}
	k, err := g.api(ctx, "POST", "/v1/admin/keys", map[string]any{"name": name + " key", "role": "agent", "agent_id": agent["id"]})
	if err != nil {
		return "", "", err
	}
	return fmt.Sprint(k["key"]), fmt.Sprint(agent["id"]), nil
}

// stop shuts the HTTP server, writes every queued run and closes the store
// (dropping a PostgreSQL schema). It is idempotent.
func (g *gatewayInstance) stop(ctx context.Context) {
	if g.stopped {
		return
	}
	g.stopped = true
	if g.server != nil {
		_ = g.server.Shutdown(ctx)
	}
	if g.app != nil {
		_ = g.app.Stop(ctx)
	}
	_ = g.store.Close()
	if g.pgSchema != "" {
		if conn, err := pgx.Connect(ctx, g.pgURL); err == nil {
			_, _ = conn.Exec(ctx, "DROP SCHEMA "+g.pgSchema+" CASCADE")
			conn.Close(ctx)
		}
	}
}

// query runs a one-row query on the instance's database through a
// connection of its own (the store may be stopped).
func (g *gatewayInstance) query(ctx context.Context, q string, dest ...any) error {
	if g.pgSchema != "" {
		conn, err := pgx.Connect(ctx, g.pgURL)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		q = strings.ReplaceAll(q, "runs", g.pgSchema+".runs")
		return conn.QueryRow(ctx, q).Scan(dest...)
	}
	db, err := openSQLiteReadOnly(g.dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRowContext(ctx, q).Scan(dest...)
}

// countRuns counts the runs, all and succeeded.
func (g *gatewayInstance) countRuns(ctx context.Context) (total, succeeded int, err error) {
	err = g.query(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = '`+store.RunStatusSucceeded+`' THEN 1 ELSE 0 END), 0) FROM runs`,
		&total, &succeeded)
	return total, succeeded, err
}

// anyUnfinished reports whether a run has not ended. It asks the store as
// the console does (through its index of unfinished runs): polled while
// runs complete, it must cost little next to what it measures.
func (g *gatewayInstance) anyUnfinished(ctx context.Context) (bool, error) {
	for _, status := range []string{store.RunStatusQueued, store.RunStatusRunning} {
		runs, err := g.store.RunList(ctx, g.ws.ID, store.RunListParams{ListParams: store.ListParams{Limit: 1}, Status: status})
		if err != nil || len(runs) > 0 {
			return true, err
		}
	}
	return false, nil
}
