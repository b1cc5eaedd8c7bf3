package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
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
	"time"

	"github.com/toolgate/toolgate/app"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/sqlite"
	"github.com/toolgate/toolgate/tenant"
)

// upstreamPayload is the upstream's answer: a small JSON document of which
// the tool selects two fields.
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

// startUpstream starts the fast upstream API.
func startUpstream() (*http.Server, string, error) {
	return listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(upstreamPayload)
	}))
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

// gatewayInstance is toolgate built in process as `toolgate serve` builds
// it, on SQLite in a temporary directory.
type gatewayInstance struct {
	dbPath   string
	store    store.Store
	app      *app.App
	server   *http.Server
	url      string
	agentKey string
}

// startGateway builds toolgate with package app as cmd/toolgate does, then
// configures, over the admin API, a bearer connection to upstream, a
// published get_order tool and an agent with a key.
func startGateway(ctx context.Context, dir, upstream string) (*gatewayInstance, error) {
	g := &gatewayInstance{dbPath: filepath.Join(dir, "toolgate.db")}
	st, err := sqlite.Open(ctx, g.dbPath)
	if err != nil {
		return nil, err
	}
	g.store = st
	key := make([]byte, secrets.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		return nil, err
	}
	ws, err := tenant.Create(ctx, st, box, "default")
	if err != nil {
		return nil, err
	}
	admin, err := tenant.AddAdminKey(ctx, st, ws.ID, "bench", "")
	if err != nil {
		return nil, err
	}

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, app.Config{Store: st, Box: box, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		WithoutQueue: true, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := a.Start(ctx); err != nil {
		return nil, err
	}
	g.app = a
	srv := a
	if g.server, g.url, err = listen(srv.Handler()); err != nil {
		return nil, err
	}

	api := func(method, path string, body any) (map[string]any, error) {
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
		req.Header.Set("Authorization", "Bearer "+admin)
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
	if _, err := api("POST", "/v1/admin/connections", map[string]any{
		"name": "backend", "base_url": upstream + "/api",
		"auth": map[string]any{"type": "bearer"}, "secrets": map[string]any{"token": "tok-123456"}}); err != nil {
		return nil, err
	}
	tool, err := api("POST", "/v1/admin/tools", map[string]any{
		"name": "get_order", "description": "Look up an order's status and ETA once the caller gave the order id.",
		"method": "GET", "connection": "backend", "path": "/orders/{{args.order_id}}",
		"query":   map[string]any{"verbose": "{{args.verbose}}"},
		"headers": map[string]any{"X-Tenant": "{{context.tenant}}"},
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{
			"order_id": map[string]any{"type": "string"}, "verbose": map[string]any{"type": "boolean"}},
			"required": []string{"order_id"}},
		"response": map[string]any{"select": []string{"order.status", "order.eta"}},
	})
	if err != nil {
		return nil, err
	}
	if _, err := api("POST", "/v1/admin/tools/"+fmt.Sprint(tool["id"])+"/publish", nil); err != nil {
		return nil, err
	}
	agent, err := api("POST", "/v1/admin/agents", map[string]any{"name": "bench-bot", "tools": []map[string]any{{"name": "get_order"}}})
	if err != nil {
		return nil, err
	}
	k, err := api("POST", "/v1/admin/keys", map[string]any{"name": "bench-bot key", "role": "agent", "agent_id": agent["id"]})
	if err != nil {
		return nil, err
	}
	g.agentKey = fmt.Sprint(k["key"])
	return g, nil
}

// stop shuts the HTTP server, writes every queued run and closes the store.
func (g *gatewayInstance) stop(ctx context.Context) {
	_ = g.server.Shutdown(ctx)
	_ = g.app.Stop(ctx)
	_ = g.store.Close()
}

// countRuns counts the runs in the SQLite file, all and succeeded, through
// a connection of its own.
func countRuns(ctx context.Context, dbPath string) (total, succeeded int, err error) {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(status = ?), 0) FROM runs`, store.RunStatusSucceeded).
		Scan(&total, &succeeded)
	return total, succeeded, err
}
