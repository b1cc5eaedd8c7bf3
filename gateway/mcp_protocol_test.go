package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

func TestMCPProtocol(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("json-rpc", func(t *testing.T) { testMCPJSONRPC(t, newEnv(t, newStore)) })
		t.Run("cors", func(t *testing.T) {
			testMCPCORS(t, newEnv(t, newStore, envOptions{cors: []string{"https://app.example.com"}}))
		})
		t.Run("tool shape", func(t *testing.T) { testMCPToolShape(t, newEnv(t, newStore)) })
		t.Run("session end", func(t *testing.T) { testMCPSessionEnd(t, newEnv(t, newStore)) })
		t.Run("idle expiry", func(t *testing.T) {
			clock := &testClock{t: time.Now()}
			testMCPIdleExpiry(t, newEnv(t, newStore, envOptions{now: clock.Now}), clock)
		})
	})
}

// testClock is a clock a test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testMCPJSONRPC: every refusal is a JSON-RPC error with the status the
// Streamable HTTP transport gives it.
func testMCPJSONRPC(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	e.publishTool(map[string]any{"name": "ping", "description": "Check the service.", "url": up.URL + "/ping"})
	_, key := e.agentWithKey("bot", "ping")
	m := e.mcpRaw(key)
	noSession := &mcpRaw{t: t, url: m.url, client: m.client, key: key}
	unknownSession := &mcpRaw{t: t, url: m.url, client: m.client, key: key, session: "not-a-session", version: m.version}

	for _, tc := range []struct {
		name       string
		raw        *mcpRaw
		body       string
		wantStatus int
		wantCode   int
		wantID     any
	}{
		{"unknown method", m, `{"jsonrpc":"2.0","id":1,"method":"foo/bar","params":{}}`, 200, -32601, float64(1)},
		{"tasks without a queue", m, `{"jsonrpc":"2.0","id":"t","method":"tasks/list","params":{}}`, 200, -32601, "t"},
		{"prompts are not offered", m, `{"jsonrpc":"2.0","id":2,"method":"prompts/list"}`, 200, -32601, float64(2)},
		{"request without a session", noSession, `{"jsonrpc":"2.0","id":7,"method":"tools/list"}`, 400, -32000, float64(7)},
		{"notification without a session", noSession, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, 400, -32000, nil},
		{"unknown session", unknownSession, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`, 404, -32001, float64(3)},
		{"not JSON", m, `{"jsonrpc":`, 400, -32700, nil},
		{"not JSON-RPC 2.0", m, `{"jsonrpc":"1.0","id":4,"method":"ping"}`, 400, -32600, float64(4)},
		{"null id", m, `{"jsonrpc":"2.0","id":null,"method":"ping"}`, 400, -32600, nil},
		{"no method", m, `{"jsonrpc":"2.0","id":5}`, 400, -32600, float64(5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.raw.post(tc.body)
			if r.status != tc.wantStatus || r.code() != tc.wantCode {
				t.Fatalf("got %s; want status %d, code %d", r, tc.wantStatus, tc.wantCode)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if r.msg["jsonrpc"] != "2.0" || !cmp.Equal(r.msg["id"], tc.wantID) || r.errMessage() == "" {
				t.Errorf("answer %s: want jsonrpc 2.0, id %v and a message", r.raw, tc.wantID)
			}
		})
	}

	t.Run("served methods still work", func(t *testing.T) {
		m.call("ping", nil).mustResult(t, "ping")
		res := m.call("tools/list", map[string]any{}).mustResult(t, "tools/list")
		if list, _ := res["tools"].([]any); len(list) != 1 {
			t.Errorf("tools/list = %v", res)
		}
	})
	t.Run("GET without a session", func(t *testing.T) {
		if r := noSession.send("GET", "", "Accept", "text/event-stream"); r.status != 400 || r.code() != -32000 {
			t.Errorf("got %s, want 400 -32000", r)
		}
	})
	t.Run("GET not accepting SSE", func(t *testing.T) {
		if r := m.send("GET", "", "Accept", "application/json"); r.status != http.StatusNotAcceptable {
			t.Errorf("got %s, want 406", r)
		}
	})
	t.Run("other HTTP methods", func(t *testing.T) {
		if r := m.send("PUT", "{}"); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, POST, DELETE, OPTIONS" { // OPTIONS: the CORS preflight
			t.Errorf("PUT: got %s (Allow %q), want 405", r, r.header.Get("Allow"))
		}
	})
	t.Run("wrong content type", func(t *testing.T) {
		if r := m.post(`{"jsonrpc":"2.0","id":1,"method":"ping"}`, "Content-Type", "text/plain"); r.status != http.StatusUnsupportedMediaType {
			t.Errorf("got %s, want 415", r)
		}
	})
	t.Run("official client sees the error", func(t *testing.T) {
		cs := e.mustMCP(key, nil)
		_, err := cs.ListPrompts(context.Background(), nil)
		if err == nil {
			t.Fatal("prompts/list succeeded")
		}
		// The session survives a refused method.
		if _, err := cs.ListTools(context.Background(), nil); err != nil {
			t.Errorf("tools/list after a refused method: %v", err)
		}
	})
}

// testMCPCORS: a browser client of a configured origin gets its preflight
// answered without a key and can read Mcp-Session-Id; other origins are
// refused.
func testMCPCORS(t *testing.T, e *env) {
	_, key := e.agentWithKey("bot")
	preflight := func(origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("OPTIONS", e.server.URL+"/mcp", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, mcp-session-id")
		resp, err := e.server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight("https://app.example.com")
	got := map[string]string{}
	for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Expose-Headers"} {
		got[h] = resp.Header.Get(h)
	}
	want := map[string]string{
		"Access-Control-Allow-Origin":   "https://app.example.com",
		"Access-Control-Allow-Methods":  "GET, POST, DELETE, OPTIONS",
		"Access-Control-Allow-Headers":  "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID",
		"Access-Control-Expose-Headers": "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate",
	}
	if resp.StatusCode != http.StatusNoContent || !cmp.Equal(want, got) {
		t.Errorf("preflight: status %d, headers (-want +got):\n%s", resp.StatusCode, cmp.Diff(want, got))
	}
	if resp := preflight("https://evil.example.com"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of another origin: status %d, Allow-Origin %q; want 403 and none", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}

	m := &mcpRaw{t: t, url: e.server.URL + "/mcp", client: e.server.Client(), key: key}
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"browser","version":"1"}}}`
	r := m.post(init, "Origin", "https://app.example.com")
	if r.status != 200 || r.header.Get("Mcp-Session-Id") == "" || r.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		r.header.Get("Access-Control-Expose-Headers") != want["Access-Control-Expose-Headers"] {
		t.Errorf("initialize from the allowed origin: %s, headers %v", r, r.header)
	}
	if r := m.post(init, "Origin", "https://evil.example.com"); r.status != http.StatusForbidden || r.code() != -32000 {
		t.Errorf("initialize from another origin: %s, want 403", r)
	}
	// Without a key the request is still refused: CORS opens no door.
	m.key = ""
	if r := m.post(init, "Origin", "https://app.example.com"); r.status != http.StatusUnauthorized {
		t.Errorf("initialize without a key: %s, want 401", r)
	}
}

// testMCPToolShape: tools carry a title, annotations from their method and
// their output schema; results conform to it.
func testMCPToolShape(t *testing.T, e *env) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/orders":
			_, _ = w.Write([]byte(`{"status":"shipped","eta":"tomorrow"}`))
		case "/tags":
			_, _ = w.Write([]byte(`["a","b"]`))
		case "/odd":
			_, _ = w.Write([]byte(`{"state":"unexpected"}`))
		default:
			_, _ = w.Write([]byte(`{}`))
		}
		return true
	})
	orderOut := map[string]any{"type": "object", "properties": map[string]any{"status": map[string]any{"type": "string"}}, "required": []string{"status"}}
	e.publishTool(map[string]any{"name": "get_order", "description": "Look up an order.", "url": up.URL + "/orders", "output_schema": orderOut})
	e.publishTool(map[string]any{"name": "list_tags", "description": "List tags.", "url": up.URL + "/tags",
		"output_schema": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}})
	e.publishTool(map[string]any{"name": "odd_answer", "description": "A service that answers off schema.", "url": up.URL + "/odd", "output_schema": orderOut})
	e.publishTool(map[string]any{"name": "selected", "description": "Selected fields.", "url": up.URL + "/orders", "output_schema": orderOut,
		"response": map[string]any{"select": []string{"status"}}})
	e.publishTool(map[string]any{"name": "delete-note", "description": "Delete a note.", "method": "DELETE", "url": up.URL + "/notes"})
	e.publishTool(map[string]any{"name": "put_note", "description": "Replace a note.", "method": "PUT", "url": up.URL + "/notes"})
	e.publishTool(map[string]any{"name": "add_note", "description": "Add a note.", "method": "POST", "url": up.URL + "/notes"})
	_, key := e.agentWithKey("bot", "get_order", "list_tags", "odd_answer", "selected", "delete-note", "put_note", "add_note")
	cs := e.mustMCP(key, nil)

	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	type shape struct {
		Title        string
		Annotations  map[string]any
		OutputSchema any
	}
	got := map[string]shape{}
	for _, tool := range res.Tools {
		got[tool.Name] = shape{Title: tool.Title, Annotations: asJSON(t, tool.Annotations).(map[string]any), OutputSchema: asJSON(t, tool.OutputSchema)}
	}
	read := map[string]any{"title": "", "readOnlyHint": true, "idempotentHint": true, "openWorldHint": true}
	withTitle := func(m map[string]any, title string) map[string]any {
		out := map[string]any{"title": title}
		for k, v := range m {
			if k != "title" {
				out[k] = v
			}
		}
		return out
	}
	orderSchemaJSON := asJSON(t, orderOut)
	want := map[string]shape{
		"get_order": {"Get order", withTitle(read, "Get order"), orderSchemaJSON},
		"list_tags": {"List tags", withTitle(read, "List tags"), map[string]any{"type": "object", "required": []any{"result"},
			"properties": map[string]any{"result": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}}},
		"odd_answer":  {"Odd answer", withTitle(read, "Odd answer"), orderSchemaJSON},
		"selected":    {"Selected", withTitle(read, "Selected"), nil},
		"delete-note": {"Delete note", map[string]any{"title": "Delete note", "readOnlyHint": false, "destructiveHint": true, "idempotentHint": true, "openWorldHint": true}, nil},
		"put_note":    {"Put note", map[string]any{"title": "Put note", "readOnlyHint": false, "idempotentHint": true, "openWorldHint": true}, nil},
		"add_note":    {"Add note", map[string]any{"title": "Add note", "readOnlyHint": false, "idempotentHint": false, "openWorldHint": true}, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tools (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		tool       string
		wantError  bool
		structured any
	}{
		{"get_order", false, map[string]any{"status": "shipped", "eta": "tomorrow"}},
		{"list_tags", false, map[string]any{"result": []any{"a", "b"}}},
		{"odd_answer", true, nil},
	} {
		t.Run("result of "+tc.tool, func(t *testing.T) {
			res := callMCP(t, cs, tc.tool, map[string]any{})
			if res.IsError != tc.wantError {
				t.Fatalf("isError = %v (%q), want %v", res.IsError, textOf(t, res), tc.wantError)
			}
			if tc.wantError {
				return
			}
			if diff := cmp.Diff(tc.structured, asJSON(t, res.StructuredContent)); diff != "" {
				t.Errorf("structuredContent (-want +got):\n%s", diff)
			}
		})
	}
}

// testMCPSessionEnd: DELETE ends the session for every later request and
// closes its stream; a revoked key's session ends too.
func testMCPSessionEnd(t *testing.T, e *env) {
	_, key := e.agentWithKey("bot")
	m := e.mcpRaw(key)
	if r := m.send("DELETE", ""); r.status != http.StatusNoContent {
		t.Fatalf("DELETE: %s", r)
	}
	if r := m.call("ping", nil); r.status != http.StatusNotFound || r.code() != -32001 {
		t.Errorf("ping after DELETE: %s, want 404", r)
	}
	if r := m.send("DELETE", ""); r.status != http.StatusNotFound {
		t.Errorf("DELETE again: %s, want 404", r)
	}

	// A client holding its GET stream sees it end when its key is revoked.
	agent := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "c"})
	k := e.must(201, "POST", "/v1/admin/keys", e.admin, map[string]any{"name": "c-key", "role": "agent", "agent_id": agent.str("id")})
	cs := e.mustMCP(k.str("key"), &mcp.ClientOptions{ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {}})
	ended := make(chan error, 1)
	go func() { ended <- cs.Wait() }()
	e.must(204, "DELETE", "/v1/admin/keys/"+k.str("id"), e.admin, nil)
	ws, err := e.store.WorkspaceGetByName(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.MCPSessionGet(context.Background(), ws.ID, cs.ID()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the revoked key's session: err %v, want it deleted", err)
	}
	if _, err := cs.ListTools(context.Background(), nil); err == nil {
		t.Error("tools/list succeeded after the key was revoked")
	}
	_ = cs.Close()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Error("the client session did not end")
	}
}

// testMCPIdleExpiry: a session unused for the idle timeout is gone on
// every replica.
func testMCPIdleExpiry(t *testing.T, e *env, clock *testClock) {
	_, key := e.agentWithKey("bot")
	m := e.mcpRaw(key)
	clock.Advance(29 * time.Minute)
	m.call("ping", nil).mustResult(t, "ping within the idle timeout")
	clock.Advance(29 * time.Minute)
	m.call("ping", nil).mustResult(t, "ping within the idle timeout of the last use")
	clock.Advance(31 * time.Minute)
	if r := m.call("ping", nil); r.status != http.StatusNotFound || r.code() != -32001 {
		t.Errorf("ping after the idle timeout: %s, want 404", r)
	}
	// The rest of the session is unchanged by a refused request.
	if r := m.call("ping", nil); r.status != http.StatusNotFound {
		t.Errorf("ping again: %s, want 404", r)
	}
}
