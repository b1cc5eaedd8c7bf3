package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

func TestMCP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("tools", func(t *testing.T) { testMCPTools(t, newEnv(t, newStore)) })
		t.Run("auth", func(t *testing.T) { testMCPAuth(t, newEnv(t, newStore)) })
		t.Run("list_changed", func(t *testing.T) { testMCPListChanged(t, newEnv(t, newStore)) })
		t.Run("background", func(t *testing.T) { testMCPBackground(t, newEnv(t, newStore, envOptions{background: true})) })
		t.Run("concurrent", func(t *testing.T) { testMCPConcurrent(t, newEnv(t, newStore)) })
	})
}

// bearerTransport adds an agent key to every request of an MCP client.
type bearerTransport struct {
	key  string
	base http.RoundTripper
	// sseOpen, if set, is closed once the standalone SSE stream (GET) is
	// open: the server only has somewhere to send notifications from then.
	sseOpen   chan struct{}
	closeOnce sync.Once
}

func (b *bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	resp, err := b.base.RoundTrip(r)
	if err == nil && b.sseOpen != nil && r.Method == http.MethodGet && resp.StatusCode == http.StatusOK {
		b.closeOnce.Do(func() { close(b.sseOpen) })
	}
	return resp, err
}

// mcpConnect opens an MCP session over Streamable HTTP with the go-sdk
// client, closed when the test ends.
// With notifications in opts it returns once the session's SSE stream is
// open.
func (e *env) mcpConnect(key string, opts *mcp.ClientOptions) (*mcp.ClientSession, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: "toolgate-test", Version: "1"}, opts)
	bearer := &bearerTransport{key: key, base: e.server.Client().Transport}
	if opts != nil && opts.ToolListChangedHandler != nil {
		bearer.sseOpen = make(chan struct{})
	}
	transport := &mcp.StreamableClientTransport{
		Endpoint:   e.server.URL + "/mcp",
		HTTPClient: &http.Client{Transport: bearer},
		MaxRetries: -1,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, transport, nil)
	if err != nil {
		return nil, err
	}
	e.t.Cleanup(func() { _ = cs.Close() })
	if bearer.sseOpen != nil {
		select {
		case <-bearer.sseOpen:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return cs, nil
}

// mcpPost sends tools/list on an existing session by hand and returns the
// status.
func (e *env) mcpPost(key, sessionID, protocolVersion string) int {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.server.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", sessionID)
	req.Header.Set("Mcp-Protocol-Version", protocolVersion)
	resp, err := e.server.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (e *env) mustMCP(key string, opts *mcp.ClientOptions) *mcp.ClientSession {
	e.t.Helper()
	cs, err := e.mcpConnect(key, opts)
	if err != nil {
		e.t.Fatalf("connecting MCP client: %v", err)
	}
	return cs
}

func orderSchema() map[string]any {
	return map[string]any{"type": "object", "properties": map[string]any{
		"order_id": map[string]any{"type": "string", "description": "The order number the caller gave."}},
		"required": []string{"order_id"}}
}

func callMCP(t *testing.T, cs *mcp.ClientSession, name string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("tools/call %s: %v", name, err)
	}
	return res
}

func textOf(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	if len(res.Content) != 1 {
		t.Fatalf("content = %d items, want 1", len(res.Content))
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("content[0] is %T, want text", res.Content[0])
	}
	return tc.Text
}

// asJSON decodes structured content (or JSON text) to plain Go values.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	var raw []byte
	switch v := v.(type) {
	case string:
		raw = []byte(v)
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return out
}

func testMCPTools(t *testing.T, e *env) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/broken":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":"database down"}`))
			return true
		case "/greeting":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("hello"))
			return true
		}
		return false
	})
	e.publishTool(map[string]any{"name": "get_order", "description": "Look up an order once the caller gave its number.",
		"url": up.URL + "/orders/{{args.order_id}}", "input_schema": orderSchema(),
		"response": map[string]any{"select": []string{"order.status", "order.eta"}}})
	e.publishTool(map[string]any{"name": "broken", "description": "A tool whose service fails.", "url": up.URL + "/broken"})
	e.publishTool(map[string]any{"name": "greeting", "description": "A tool that answers in plain text.", "url": up.URL + "/greeting"})
	e.publishTool(map[string]any{"name": "not_mine", "description": "A tool of another agent.", "url": up.URL + "/x"})
	_, key := e.agentWithKey("bot", "get_order", "broken", "greeting")
	cs := e.mustMCP(key, nil)

	t.Run("list", func(t *testing.T) {
		res, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]any{}
		for _, tool := range res.Tools {
			got[tool.Name] = map[string]any{"description": tool.Description, "inputSchema": asJSON(t, tool.InputSchema)}
		}
		rawSchema, _ := json.Marshal(orderSchema())
		want := map[string]any{
			"get_order": map[string]any{"description": "Look up an order once the caller gave its number.",
				"inputSchema": asJSON(t, string(schema.MCP(rawSchema)))},
			"broken":   map[string]any{"description": "A tool whose service fails.", "inputSchema": map[string]any{"type": "object"}},
			"greeting": map[string]any{"description": "A tool that answers in plain text.", "inputSchema": map[string]any{"type": "object"}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("tools/list (-want +got):\n%s", diff)
		}
	})

	t.Run("success", func(t *testing.T) {
		res := callMCP(t, cs, "get_order", map[string]any{"order_id": "A-17"})
		if res.IsError {
			t.Fatalf("isError with %q", textOf(t, res))
		}
		rest := e.must(200, "POST", "/v1/tools/get_order/call", key, map[string]any{"arguments": map[string]any{"order_id": "A-17"}})
		want := rest.at("result")
		if diff := cmp.Diff(want, asJSON(t, res.StructuredContent)); diff != "" {
			t.Errorf("structuredContent differs from the REST result (-rest +mcp):\n%s", diff)
		}
		if diff := cmp.Diff(want, asJSON(t, textOf(t, res))); diff != "" {
			t.Errorf("text differs from the REST result (-rest +mcp):\n%s", diff)
		}
		if got := up.last(t).Path; got != "/orders/A-17" {
			t.Errorf("upstream path = %q", got)
		}
		runID, _ := res.Meta["io.toolgate/run_id"].(string)
		if runID == "" {
			t.Fatalf("_meta = %v, want the run id", res.Meta)
		}
		run := e.must(200, "GET", "/v1/admin/runs/"+runID, e.admin, nil)
		if got, want := run.str("conversation_id"), cs.ID(); got != want || want == "" {
			t.Errorf("run conversation_id = %q, want the session id %q", got, want)
		}
		if got := run.str("context.channel"); got != "mcp" {
			t.Errorf("run context.channel = %q, want mcp", got)
		}
		if run.str("outcome") != "success" {
			t.Errorf("run outcome = %q", run.str("outcome"))
		}
	})

	t.Run("text result", func(t *testing.T) {
		res := callMCP(t, cs, "greeting", nil)
		if res.IsError {
			t.Fatalf("isError with %q", textOf(t, res))
		}
		want := map[string]any{"result": "hello"}
		if diff := cmp.Diff(want, asJSON(t, res.StructuredContent)); diff != "" {
			t.Errorf("structuredContent (-want +got):\n%s", diff)
		}
	})

	t.Run("invalid arguments", func(t *testing.T) {
		hits := up.hits.Load()
		res := callMCP(t, cs, "get_order", map[string]any{"order": 17})
		if !res.IsError {
			t.Fatalf("isError = false for missing arguments: %+v", res)
		}
		rest := e.must(422, "POST", "/v1/tools/get_order/call", key, map[string]any{"arguments": map[string]any{"order": 17}})
		want := rest.str("error.message") + " " + rest.str("error.hint")
		if got := textOf(t, res); got != want {
			t.Errorf("text = %q, want the engine's message and hint %q", got, want)
		}
		if !strings.Contains(textOf(t, res), "order_id") {
			t.Errorf("text %q does not name the missing argument", textOf(t, res))
		}
		detail, _ := asJSON(t, res.StructuredContent).(map[string]any)
		callErr, _ := detail["error"].(map[string]any)
		if callErr["type"] != "invalid_arguments" || !cmp.Equal(callErr["missing"], []any{"order_id"}) {
			t.Errorf("structured error = %v, want invalid_arguments missing order_id", callErr)
		}
		if up.hits.Load() != hits {
			t.Error("invalid arguments reached the upstream")
		}
	})

	t.Run("arguments not an object", func(t *testing.T) {
		res := callMCP(t, cs, "get_order", []int{1})
		if !res.IsError || !strings.Contains(textOf(t, res), "JSON object") {
			t.Errorf("result = %+v, want a tool error saying arguments are an object", res)
		}
	})

	t.Run("upstream failure", func(t *testing.T) {
		res := callMCP(t, cs, "broken", map[string]any{})
		if !res.IsError {
			t.Fatalf("isError = false for a 500")
		}
		want := prompts.UpstreamFailure(prompts.FailureData{Tool: "broken", Outcome: "server_error", StatusCode: 500})
		if got := textOf(t, res); got != want {
			t.Errorf("text = %q, want %q", got, want)
		}
		detail, _ := asJSON(t, res.StructuredContent).(map[string]any)
		if detail["outcome"] != "server_error" || detail["status_code"] != float64(500) {
			t.Errorf("structured detail = %v", detail)
		}
	})

	t.Run("unknown tool", func(t *testing.T) {
		_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "not_mine", Arguments: map[string]any{}})
		if err == nil || !strings.Contains(err.Error(), "not_mine") {
			t.Errorf("calling another agent's tool: err = %v, want unknown tool", err)
		}
	})
}

func testMCPAuth(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	e.publishTool(map[string]any{"name": "ping", "description": "Check the service.", "url": up.URL + "/ping"})
	_, keyA := e.agentWithKey("a", "ping")
	_, keyB := e.agentWithKey("b", "ping")
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}`

	for _, tc := range []struct {
		name, key  string
		wantStatus int
		wantType   string
	}{
		{"no key", "", 401, "unauthorized"},
		{"unknown key", "tg_not_a_real_key_000000000000000", 401, "unauthorized"},
		{"admin key", e.admin, 403, "forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/mcp", tc.key, initialize)
			if r.status != tc.wantStatus || r.str("error.type") != tc.wantType {
				t.Errorf("status %d %s, want %d %s", r.status, r.raw, tc.wantStatus, tc.wantType)
			}
			if tc.wantStatus == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("client with a bad key", func(t *testing.T) {
		if _, err := e.mcpConnect("tg_not_a_real_key_000000000000000", nil); err == nil {
			t.Error("connect succeeded with an unknown key")
		}
	})

	t.Run("session bound to its key", func(t *testing.T) {
		cs := e.mustMCP(keyA, nil)
		send := func(key string) int {
			return e.mcpPost(key, cs.ID(), cs.InitializeResult().ProtocolVersion)
		}
		if got := send(keyB); got != http.StatusNotFound {
			t.Errorf("another agent's key on the session: status %d, want 404 (not found, as every object of another key)", got)
		}
		if got := send(keyA); got != http.StatusOK {
			t.Errorf("the session's own key: status %d, want 200", got)
		}
	})

	t.Run("revoked key", func(t *testing.T) {
		agent := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "c", "tools": []map[string]any{{"name": "ping"}}})
		k := e.must(201, "POST", "/v1/admin/keys", e.admin, map[string]any{"name": "c-key", "role": "agent", "agent_id": agent.str("id")})
		cs := e.mustMCP(k.str("key"), nil)
		e.must(204, "DELETE", "/v1/admin/keys/"+k.str("id"), e.admin, nil)
		if _, err := cs.ListTools(context.Background(), nil); err == nil {
			t.Error("tools/list succeeded after the key was revoked")
		}
	})
}

func testMCPListChanged(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	pingID := e.publishTool(map[string]any{"name": "ping", "description": "Check the service.", "url": up.URL + "/ping"})
	agentID, key := e.agentWithKey("bot", "ping")
	_, otherKey := e.agentWithKey("other", "ping")

	changed := make(chan struct{}, 16)
	cs := e.mustMCP(key, &mcp.ClientOptions{ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
		changed <- struct{}{}
	}})
	otherChanged := make(chan struct{}, 16)
	e.mustMCP(otherKey, &mcp.ClientOptions{ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
		otherChanged <- struct{}{}
	}})
	wait := func(what string) {
		t.Helper()
		select {
		case <-changed:
		case <-time.After(10 * time.Second):
			t.Fatalf("no notifications/tools/list_changed after %s", what)
		}
	}
	tools := func() map[string]string {
		t.Helper()
		res, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, tool := range res.Tools {
			out[tool.Name] = tool.Description
		}
		return out
	}

	// The agent gets a new tool.
	e.publishTool(map[string]any{"name": "lookup", "description": "Look something up.", "url": up.URL + "/lookup"})
	e.must(200, "PATCH", "/v1/admin/agents/"+agentID, e.admin, map[string]any{"tools": []map[string]any{{"name": "ping"}, {"name": "lookup"}}})
	wait("adding a tool to the agent")
	if diff := cmp.Diff(map[string]string{"ping": "Check the service.", "lookup": "Look something up."}, tools()); diff != "" {
		t.Errorf("tools after adding (-want +got):\n%s", diff)
	}
	if res := callMCP(t, cs, "lookup", nil); res.IsError {
		t.Errorf("calling the new tool: %q", textOf(t, res))
	}

	// A new version of a tool is published.
	e.must(200, "PATCH", "/v1/admin/tools/"+pingID, e.admin, map[string]any{"description": "Check that the service is up."})
	e.must(200, "POST", "/v1/admin/tools/"+pingID+"/publish", e.admin, nil)
	wait("publishing a new version")
	if got := tools()["ping"]; got != "Check that the service is up." {
		t.Errorf("ping description = %q after publishing", got)
	}
	select {
	case <-otherChanged:
	case <-time.After(10 * time.Second):
		t.Error("the other agent's session was not told about the new version of its tool")
	}

	// A tool is taken away.
	e.must(200, "PATCH", "/v1/admin/agents/"+agentID, e.admin, map[string]any{"tools": []map[string]any{{"name": "lookup"}}})
	wait("removing a tool")
	if diff := cmp.Diff(map[string]string{"lookup": "Look something up."}, tools()); diff != "" {
		t.Errorf("tools after removing (-want +got):\n%s", diff)
	}
	if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "ping"}); err == nil {
		t.Error("calling a removed tool succeeded")
	}
}

func testMCPBackground(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	e.publishTool(map[string]any{"name": "crm_note", "description": "Save a note to the CRM; slow, so it runs in the background.",
		"method": "POST", "url": up.URL + "/notes", "background": true,
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"text": map[string]any{"type": "string"}}, "required": []string{"text"}}})
	_, key := e.agentWithKey("bot", "crm_note")
	cs := e.mustMCP(key, nil)

	res := callMCP(t, cs, "crm_note", map[string]any{"text": "call back tomorrow"})
	if res.IsError {
		t.Fatalf("isError with %q", textOf(t, res))
	}
	if got, want := textOf(t, res), prompts.BackgroundAccepted("crm_note"); got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	ack, _ := asJSON(t, res.StructuredContent).(map[string]any)
	runID, _ := ack["run_id"].(string)
	if ack["status"] != "queued" || runID == "" {
		t.Fatalf("structuredContent = %v, want run_id and status queued", ack)
	}
	// The run is the agent's to poll.
	if r := e.must(200, "GET", "/v1/runs/"+runID, key, nil); r.str("run_id") != runID {
		t.Errorf("GET /v1/runs/%s: %s", runID, r.raw)
	}

	// Invalid arguments are refused at once, as over REST.
	res = callMCP(t, cs, "crm_note", map[string]any{})
	if !res.IsError || !strings.Contains(textOf(t, res), "text") {
		t.Errorf("invalid background call: %+v", res)
	}
}

// testMCPConcurrent runs several sessions calling at once (for -race) and
// checks each ends cleanly.
func testMCPConcurrent(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	e.publishTool(map[string]any{"name": "get_order", "description": "Look up an order.",
		"url": up.URL + "/orders/{{args.order_id}}", "input_schema": orderSchema()})
	_, key := e.agentWithKey("bot", "get_order")
	const sessions, calls = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, sessions*calls)
	var opened []*mcp.ClientSession
	for range sessions {
		cs := e.mustMCP(key, nil)
		opened = append(opened, cs)
		for range calls {
			wg.Go(func() {
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "get_order", Arguments: map[string]any{"order_id": "A"}})
				if err != nil {
					errs <- err
				} else if res.IsError {
					errs <- &mcpToolError{fmt.Sprint(res.Content)}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// A closed session is gone from the server.
	for _, cs := range opened {
		id, version := cs.ID(), cs.InitializeResult().ProtocolVersion
		if err := cs.Close(); err != nil {
			t.Fatal(err)
		}
		if got := e.mcpPost(key, id, version); got != http.StatusNotFound {
			t.Errorf("closed session %s: status %d, want 404", id, got)
		}
	}
}

type mcpToolError struct{ text string }

func (e *mcpToolError) Error() string { return "tool error: " + e.text }
