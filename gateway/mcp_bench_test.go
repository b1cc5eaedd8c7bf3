package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolgate/toolgate/store/testdb"
)

// The MCP and REST benchmarks call the same tool on the same kind of
// upstream, so their figures compare the two surfaces:
//
//	go test ./gateway -run '^$' -bench 'MCPToolsCall|RESTCall' -benchmem

// setupSurfaceBench publishes get_order (benchToolDef without the header
// from the caller's context, which MCP calls do not carry) on a connection
// to a small, fast upstream, and returns an agent key.
func (e *benchEnv) setupSurfaceBench() (key string) {
	e.tb.Helper()
	payload := []byte(`{"order":{"id":"A-17","status":"shipped","eta":"tomorrow","secret_note":"internal"}}`)
	up := newBenchUpstream(e.tb, payload)
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "backend", "base_url": up + "/api",
		"auth": map[string]any{"type": "bearer"}, "secrets": map[string]any{"token": "tok-123456"}})
	def := benchToolDef("get_order", "backend")
	delete(def, "headers")
	tool := e.must(201, "POST", "/v1/admin/tools", e.admin, def)
	e.must(200, "POST", "/v1/admin/tools/"+tool["id"].(string)+"/publish", e.admin, nil)
	agent := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "bot", "tools": []map[string]any{{"name": "get_order"}}})
	k := e.must(201, "POST", "/v1/admin/keys", e.admin, map[string]any{"name": "bot-key", "role": "agent", "agent_id": agent["id"]})
	return k["key"].(string)
}

func newBenchUpstream(tb testing.TB, payload []byte) string {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	}))
	tb.Cleanup(up.Close)
	return up.URL
}

// mcpSession opens an MCP session over Streamable HTTP with the go-sdk
// client on the benchmark's connection pool.
func (e *benchEnv) mcpSession(key string) (*mcp.ClientSession, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
	transport := &mcp.StreamableClientTransport{
		Endpoint:             e.server.URL + "/mcp",
		HTTPClient:           &http.Client{Transport: &bearerTransport{key: key, base: e.client.Transport}},
		DisableStandaloneSSE: true, // calls only: no notifications needed
	}
	return client.Connect(context.Background(), transport, nil)
}

// BenchmarkMCPToolsCall is tools/call over Streamable HTTP with the go-sdk
// client: auth, the session, catalog, validation, rendering, the upstream
// exchange over loopback and run recording. Sequential uses one session;
// parallel one session per goroutine.
func BenchmarkMCPToolsCall(b *testing.B) {
	e := newBenchEnv(b, testdb.SQLite)
	key := e.setupSurfaceBench()
	params := &mcp.CallToolParams{Name: "get_order", Arguments: map[string]any{"order_id": "A-17", "verbose": true}}
	call := func(cs *mcp.ClientSession) error {
		res, err := cs.CallTool(context.Background(), params)
		if err == nil && res.IsError {
			err = &mcpToolError{res.Content[0].(*mcp.TextContent).Text}
		}
		return err
	}
	cs, err := e.mcpSession(key)
	if err != nil {
		b.Fatal(err)
	}
	defer cs.Close()
	if err := call(cs); err != nil { // warm the catalog and the connection pools
		b.Fatal(err)
	}

	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := call(cs); err != nil {
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
			cs, err := e.mcpSession(key)
			if err != nil {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			defer cs.Close()
			for pb.Next() {
				if err := call(cs); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
		if n := failures.Load(); n > 0 {
			b.Fatalf("%d calls failed, first: %v", n, firstErr.Load())
		}
	})
	if err := e.recorder.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRESTCall is POST /v1/tools/{name}/call of the same tool with the
// same arguments as BenchmarkMCPToolsCall.
func BenchmarkRESTCall(b *testing.B) {
	e := newBenchEnv(b, testdb.SQLite)
	key := e.setupSurfaceBench()
	body := []byte(`{"arguments": {"order_id": "A-17", "verbose": true}}`)
	call := e.poster("/v1/tools/get_order/call", key, body)
	if err := call(); err != nil {
		b.Fatal(err)
	}
	runSequentialAndParallel(b, call)
	if err := e.recorder.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}
