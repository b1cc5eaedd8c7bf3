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
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/toolgate/toolgate/app"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// benchEnv is a gateway on a real store for benchmarks. It mirrors newEnv,
// which needs a *testing.T, without its debug logging or the echo upstream's
// request log (both grow without bound over millions of calls).
type benchEnv struct {
	tb       testing.TB
	server   *httptest.Server
	client   *http.Client
	recorder *tools.Recorder
	admin    string
}

func newBenchEnv(tb testing.TB, newStore func(testing.TB) store.Store) *benchEnv {
	tb.Helper()
	return newBenchEnvQueue(tb, newStore, false)
}

// newBenchEnvQueue is newBenchEnv with, when withQueue is set, a job queue
// of 10 workers.
func newBenchEnvQueue(tb testing.TB, newStore func(testing.TB) store.Store, withQueue bool) *benchEnv {
	tb.Helper()
	st := newStore(tb)
	box, err := secrets.NewBox(bytes.Repeat([]byte{42}, secrets.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	ws, err := tenant.Create(ctx, st, box, "default")
	if err != nil {
		tb.Fatal(err)
	}
	admin, err := tenant.AddAdminKey(ctx, st, ws.ID, "bench", "")
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, app.Config{Store: st, Box: box, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		WithoutQueue: !withQueue, Workers: 10, Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	rec := a.Recorder
	hs := httptest.NewServer(a.Handler())
	transport := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}
	tb.Cleanup(func() {
		transport.CloseIdleConnections()
		hs.Close()
		_ = a.Stop(ctx)
	})
	return &benchEnv{tb: tb, server: hs, client: &http.Client{Transport: transport}, recorder: rec, admin: admin}
}

// do sends one request and returns the status and body.
func (e *benchEnv) do(method, path, key string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.server.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// must sends a request during setup and returns the decoded body.
func (e *benchEnv) must(want int, method, path, key string, body any) map[string]any {
	e.tb.Helper()
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			e.tb.Fatal(err)
		}
	}
	status, raw, err := e.do(method, path, key, data)
	if err != nil {
		e.tb.Fatal(err)
	}
	if status != want {
		e.tb.Fatalf("%s %s: status %d, want %d; body %s", method, path, status, want, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

// benchToolDef is the tool every benchmark calls: GET with a path argument,
// a query argument, a header from the context and a selected result.
func benchToolDef(name, connection string) map[string]any {
	return map[string]any{
		"name": name, "description": "Look up an order's status and ETA once the caller gave the order id.",
		"method": "GET", "connection": connection, "path": "/orders/{{args.order_id}}",
		"query":   map[string]any{"verbose": "{{args.verbose}}"},
		"headers": map[string]any{"X-Tenant": "{{context.tenant}}"},
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{
			"order_id": map[string]any{"type": "string"}, "verbose": map[string]any{"type": "boolean"}},
			"required": []string{"order_id"}},
		"response": map[string]any{"select": []string{"order.status", "order.eta"}},
	}
}

// setupCall publishes get_order on a connection to a small, fast upstream
// and returns an agent key that may call it.
func (e *benchEnv) setupCall() (key string) {
	e.tb.Helper()
	payload := []byte(`{"order":{"id":"A-17","status":"shipped","eta":"tomorrow","secret_note":"internal"}}`)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	}))
	e.tb.Cleanup(up.Close)
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "backend", "base_url": up.URL + "/api",
		"auth": map[string]any{"type": "bearer"}, "secrets": map[string]any{"token": "tok-123456"}})
	tool := e.must(201, "POST", "/v1/admin/tools", e.admin, benchToolDef("get_order", "backend"))
	e.must(200, "POST", "/v1/admin/tools/"+tool["id"].(string)+"/publish", e.admin, nil)
	agent := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "bot", "tools": []map[string]any{{"name": "get_order"}}})
	k := e.must(201, "POST", "/v1/admin/keys", e.admin, map[string]any{"name": "bot-key", "role": "agent", "agent_id": agent["id"]})
	return k["key"].(string)
}

// BenchmarkCallEndpoint is POST /v1/tools/{name}/call through the real HTTP
// server on SQLite: auth, catalog, validation, rendering, the upstream
// exchange over loopback and run recording.
func BenchmarkCallEndpoint(b *testing.B) {
	e := newBenchEnv(b, testdb.SQLite)
	key := e.setupCall()
	body := []byte(`{"arguments": {"order_id": "A-17", "verbose": true}, "context": {"tenant": "acme", "user_id": "+255700000001", "channel": "voice"}}`)
	call := e.poster("/v1/tools/get_order/call", key, body)
	if err := call(); err != nil { // warm the catalog and the connection pools
		b.Fatal(err)
	}
	runSequentialAndParallel(b, call)
	if err := e.recorder.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// poster returns a function that POSTs body to path with key and fails
// unless the answer is 200.
func (e *benchEnv) poster(path, key string, body []byte) func() error {
	url, auth := e.server.URL+path, "Bearer "+key
	return func() error {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.client.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = &statusError{resp.StatusCode}
		}
		return err
	}
}

// runSequentialAndParallel benchmarks call one at a time and from 8
// goroutines per CPU (enough to keep the server busy).
func runSequentialAndParallel(b *testing.B, call func() error) {
	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := call(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8)
		var failures atomic.Int64
		var firstErr atomic.Value
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := call(); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
		if n := failures.Load(); n > 0 {
			b.Fatalf("%d calls failed, first: %v", n, firstErr.Load())
		}
	})
}

type statusError struct{ status int }

func (e *statusError) Error() string { return "status " + strconv.Itoa(e.status) }

// benchStores runs f on SQLite and, when TOOLGATE_TEST_DATABASE_URL is set,
// PostgreSQL, as testdb.Each does for tests.
func benchStores(b *testing.B, f func(b *testing.B, newStore func(testing.TB) store.Store)) {
	b.Run("sqlite", func(b *testing.B) { f(b, testdb.SQLite) })
	b.Run("postgres", func(b *testing.B) { f(b, testdb.Postgres) })
}

// BenchmarkAdminToolCreate is POST /v1/admin/tools of a new draft.
func BenchmarkAdminToolCreate(b *testing.B) {
	benchStores(b, func(b *testing.B, newStore func(testing.TB) store.Store) {
		e := newBenchEnv(b, newStore)
		defs := make(map[string]any)
		for k, v := range benchToolDef("", "backend") {
			defs[k] = v
		}
		var n int
		b.ReportAllocs()
		for b.Loop() {
			n++
			defs["name"] = "tool_" + strconv.Itoa(n)
			data, err := json.Marshal(defs)
			if err != nil {
				b.Fatal(err)
			}
			status, raw, err := e.do(http.MethodPost, "/v1/admin/tools", e.admin, data)
			if err != nil || status != http.StatusCreated {
				b.Fatalf("create: %d %v %s", status, err, raw)
			}
		}
	})
}

// BenchmarkAdminToolGet is GET /v1/admin/tools/{id}.
func BenchmarkAdminToolGet(b *testing.B) {
	benchStores(b, func(b *testing.B, newStore func(testing.TB) store.Store) {
		e := newBenchEnv(b, newStore)
		tool := e.must(201, "POST", "/v1/admin/tools", e.admin, benchToolDef("get_order", "backend"))
		path := "/v1/admin/tools/" + tool["id"].(string)
		b.ReportAllocs()
		for b.Loop() {
			status, raw, err := e.do(http.MethodGet, path, e.admin, nil)
			if err != nil || status != http.StatusOK {
				b.Fatalf("get: %d %v %s", status, err, raw)
			}
		}
	})
}
