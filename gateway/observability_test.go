package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/toolgate/toolgate/oauth/oauthtest"
	"github.com/toolgate/toolgate/store/sqlite"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/telemetry"
	"github.com/toolgate/toolgate/telemetry/telemetrytest"
)

// Values that must never appear in a span or a log line.
const (
	bearerSecret = "bearer-secret-7c1d94a2"
	apiKeySecret = "apikey-secret-5be0f3c8"
	argValue     = "arg-value-ORDER-91f2"
	contextValue = "+255700000917"
)

// secretsEnv is a gateway with a bearer connection and an api_key-in-query
// connection, a tool on each that puts its argument in the path and the
// query, and an agent key for both.
type secretsEnv struct {
	*env
	up       *upstream
	agentKey string
}

func newSecretsEnv(t *testing.T, opts envOptions) *secretsEnv {
	t.Helper()
	e := newEnv(t, testdb.SQLite, opts)
	up := newUpstream(t, nil)
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{"name": "bearer", "base_url": up.URL,
		"auth": map[string]any{"type": "bearer"}, "secrets": map[string]any{"token": bearerSecret}})
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{"name": "keyed", "base_url": up.URL,
		"auth": map[string]any{"type": "api_key", "in": "query", "name": "api_key"}, "secrets": map[string]any{"api_key": apiKeySecret}})
	schema := map[string]any{"type": "object", "properties": map[string]any{"order_id": map[string]any{"type": "string"}}, "required": []string{"order_id"}}
	for name, conn := range map[string]string{"get_order": "bearer", "find_order": "keyed"} {
		e.publishTool(map[string]any{"name": name, "description": "Look up an order by its id, for observability tests.",
			"method": "GET", "connection": conn, "path": "/orders/{{args.order_id}}", "query": map[string]any{"q": "{{args.order_id}}"},
			"input_schema": schema})
	}
	_, key := e.agentWithKey("observer", "get_order", "find_order")
	return &secretsEnv{env: e, up: up, agentKey: key}
}

// call calls a tool with the secret argument and context, as REST does.
func (s *secretsEnv) call(tool string, header ...string) *response {
	s.t.Helper()
	body := map[string]any{"arguments": map[string]any{"order_id": argValue}, "context": map[string]any{"user_id": contextValue}}
	var r *response
	if len(header) == 2 {
		r = s.doWithHeader("POST", "/v1/tools/"+tool+"/call", s.agentKey, body, header[0], header[1])
	} else {
		r = s.do("POST", "/v1/tools/"+tool+"/call", s.agentKey, body)
	}
	if r.status != 200 || r.str("outcome") != "success" {
		s.t.Fatalf("call %s: %d %s", tool, r.status, r.raw)
	}
	return r
}

// TestAccessLog: each request has one line naming its route, status and
// run, and no line holds a key, a credential, an argument or the query.
func TestAccessLog(t *testing.T) {
	s := newSecretsEnv(t, envOptions{})
	runs := []string{s.call("get_order").str("run_id"), s.call("find_order").str("run_id")}
	// A client's own query string and an OAuth callback's code stay out.
	s.do("GET", "/v1/tools?api_key="+apiKeySecret, s.agentKey, nil)
	s.do("GET", "/v1/oauth/callback?code="+bearerSecret+"&state="+apiKeySecret, "", nil)
	s.do("GET", "/readyz", "", nil)

	logs := s.logs.String()
	var calls []string
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "msg=request") && strings.Contains(line, "route=/v1/tools/:name/call") {
			calls = append(calls, line)
		}
	}
	if len(calls) != 2 {
		t.Fatalf("%d access lines for calls, want 2:\n%s", len(calls), logs)
	}
	for i, line := range calls {
		for _, want := range []string{"method=POST", "status=200", "run_id=" + runs[i], "duration_ms=", "bytes="} {
			if !strings.Contains(line, want) {
				t.Errorf("access line %q lacks %q", line, want)
			}
		}
	}
	for _, want := range []string{"route=/v1/tools path=/v1/tools status=200", "route=/v1/oauth/callback path=/v1/oauth/callback", "level=DEBUG msg=request method=GET route=/readyz"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{bearerSecret, apiKeySecret, argValue, contextValue, s.agentKey, s.admin} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs)
		}
	}
}

// TestReadyz: ready while the store answers with its migrations applied,
// 503 with the one error shape once it lacks one or does not answer;
// /healthz stays a liveness check.
func TestReadyz(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	r := e.must(200, "GET", "/readyz", "", nil)
	if r.str("status") != "ready" {
		t.Errorf("readyz: %s", r.raw)
	}
	db := e.store.(*sqlite.Store).DB()
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	r = e.must(503, "GET", "/readyz", "", nil)
	if r.str("error.type") != "not_ready" || !strings.Contains(r.str("error.message"), "toolgate migrate") {
		t.Errorf("readyz with a migration missing: %s", r.raw)
	}
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	r = e.must(503, "GET", "/readyz", "", nil)
	if r.str("error.type") != "not_ready" || r.str("error.message") != "the store does not answer" {
		t.Errorf("readyz with the store closed: %s", r.raw)
	}
	e.must(200, "GET", "/healthz", "", nil)
}

// spanTree indexes received spans.
type spanTree []telemetrytest.Span

func (tr spanTree) children(parent telemetrytest.Span) []telemetrytest.Span {
	var out []telemetrytest.Span
	for _, s := range tr {
		if s.ParentSpanID == parent.SpanID && s.TraceID == parent.TraceID {
			out = append(out, s)
		}
	}
	return out
}

func (tr spanTree) find(t *testing.T, match func(telemetrytest.Span) bool, what string) telemetrytest.Span {
	t.Helper()
	for _, s := range tr {
		if match(s) {
			return s
		}
	}
	t.Fatalf("no span %s among %d", what, len(tr))
	return telemetrytest.Span{}
}

// traceparentTransport sends an agent key and a traceparent with every
// request.
type traceparentTransport struct {
	key, traceparent string
	base             http.RoundTripper
}

func (tt *traceparentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+tt.key)
	r.Header.Set("traceparent", tt.traceparent)
	return tt.base.RoundTrip(r)
}

// mcpWithTraceparent opens an MCP session whose every request carries
// traceparent.
func mcpWithTraceparent(t *testing.T, e *env, key, traceparent string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "toolgate-test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: e.server.URL + "/mcp",
		HTTPClient: &http.Client{Transport: &traceparentTransport{key: key, traceparent: traceparent, base: e.server.Client().Transport}},
		MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func names(spans []telemetrytest.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	slices.Sort(out)
	return out
}

// TestTraces exports a gateway's spans to an in-process OTLP receiver: a
// server span per request continuing the client's trace, an execute_tool
// span per call with the GenAI attributes, its steps as children, the
// upstream sees the traceparent of the upstream span, and no span holds an
// argument or a secret.
func TestTraces(t *testing.T) {
	rcv := telemetrytest.NewReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL)
	ctx := context.Background()
	tracing, err := telemetry.Setup(ctx, telemetry.Config{ServiceVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tracing.Shutdown(context.Background()) })
	s := newSecretsEnv(t, envOptions{tracing: tracing.TracerProvider()})
	o := setupOAuth(s.env, oauthtest.NewClock(), "oauth2_client_credentials")

	const clientTrace, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	bearerRun := s.call("get_order", "traceparent", "00-"+clientTrace+"-"+clientSpan+"-01").str("run_id")
	upstreamSaw := s.up.last(t).Header["Traceparent"]
	keyedRun := s.call("find_order").str("run_id")
	oauthRun := o.call().str("run_id")
	s.must(200, "POST", "/v1/tool-calls", s.agentKey, map[string]any{"tool_calls": []any{map[string]any{
		"id": "call_obs_1", "type": "function", "function": map[string]any{"name": "get_order", "arguments": `{"order_id":"` + argValue + `"}`}}}})
	s.must(422, "POST", "/v1/tools/get_order/call", s.agentKey, map[string]any{"arguments": map[string]any{}})
	const mcpTrace, mcpSpan = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	callMCP(t, mcpWithTraceparent(t, s.env, s.agentKey, "00-"+mcpTrace+"-"+mcpSpan+"-01"), "get_order", map[string]any{"order_id": argValue})

	if err := tracing.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	tree := spanTree(rcv.Spans())

	// The REST call with a client's traceparent.
	server := tree.find(t, func(sp telemetrytest.Span) bool {
		return sp.TraceID == clientTrace && sp.Kind == tracepb.Span_SPAN_KIND_SERVER
	}, "server in the client's trace")
	if server.ParentSpanID != clientSpan || server.Name != "POST /v1/tools/:name/call" {
		t.Errorf("server span %q under %s, want POST /v1/tools/:name/call under the client's %s", server.Name, server.ParentSpanID, clientSpan)
	}
	if diff := cmp.Diff(map[string]any{"http.request.method": "POST", "http.route": "/v1/tools/:name/call", "http.response.status_code": int64(200)}, server.Attributes); diff != "" {
		t.Errorf("server span attributes (-want +got):\n%s", diff)
	}
	calls := tree.children(server)
	if len(calls) != 1 || calls[0].Name != "execute_tool get_order" {
		t.Fatalf("server span's children: %v, want execute_tool get_order", names(calls))
	}
	call := calls[0]
	agentID, _ := call.Attributes["gen_ai.agent.id"].(string)
	wantCall := map[string]any{
		"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_order", "gen_ai.agent.id": agentID,
		"toolgate.run_id": bearerRun, "toolgate.outcome": "success", "toolgate.tool.version": int64(1),
		"toolgate.workspace_id": call.Attributes["toolgate.workspace_id"], "http.response.status_code": int64(200),
	}
	if diff := cmp.Diff(wantCall, call.Attributes); diff != "" || agentID == "" || call.StatusCode != tracepb.Status_STATUS_CODE_UNSET {
		t.Errorf("execute_tool span (status %v) attributes (-want +got):\n%s", call.StatusCode, diff)
	}
	steps := tree.children(call)
	if diff := cmp.Diff([]string{"GET", "toolgate.record", "toolgate.render", "toolgate.validate"}, names(steps)); diff != "" {
		t.Errorf("execute_tool's children (-want +got):\n%s", diff)
	}
	get := tree.find(t, func(sp telemetrytest.Span) bool { return sp.ParentSpanID == call.SpanID && sp.Name == "GET" }, "GET")
	if get.Kind != tracepb.Span_SPAN_KIND_CLIENT || get.Attributes["server.address"] != "127.0.0.1" || get.Attributes["http.response.status_code"] != int64(200) {
		t.Errorf("upstream span: kind %v, attributes %v", get.Kind, get.Attributes)
	}
	if want := []string{"00-" + clientTrace + "-" + get.SpanID + "-01"}; !slices.Equal(upstreamSaw, want) {
		t.Errorf("the upstream saw traceparent %q, want %q (the upstream span's)", upstreamSaw, want)
	}

	// The other calls: their runs, an OAuth token step, the model's call ID,
	// and a refused call's failed step.
	byRun := func(run string) telemetrytest.Span {
		return tree.find(t, func(sp telemetrytest.Span) bool { return sp.Attributes["toolgate.run_id"] == run }, "of run "+run)
	}
	if sp := byRun(keyedRun); sp.Name != "execute_tool find_order" {
		t.Errorf("find_order's span is %q", sp.Name)
	}
	oauthCall := byRun(oauthRun)
	if diff := cmp.Diff([]string{"GET", "toolgate.oauth_token", "toolgate.record", "toolgate.render", "toolgate.validate"}, names(tree.children(oauthCall))); diff != "" {
		t.Errorf("OAuth call's children (-want +got):\n%s", diff)
	}
	tree.find(t, func(sp telemetrytest.Span) bool { return sp.Attributes["gen_ai.tool.call.id"] == "call_obs_1" }, "with the model's tool call id")
	invalid := tree.find(t, func(sp telemetrytest.Span) bool { return sp.Attributes["toolgate.outcome"] == "invalid_arguments" }, "of the invalid call")
	if invalid.StatusCode != tracepb.Status_STATUS_CODE_ERROR || invalid.Attributes["error.type"] != "invalid_arguments" {
		t.Errorf("invalid call's span: status %v, attributes %v", invalid.StatusCode, invalid.Attributes)
	}
	if diff := cmp.Diff([]string{"toolgate.record", "toolgate.validate"}, names(tree.children(invalid))); diff != "" {
		t.Errorf("invalid call's children (-want +got):\n%s", diff)
	}
	validate := tree.find(t, func(sp telemetrytest.Span) bool {
		return sp.ParentSpanID == invalid.SpanID && sp.Name == "toolgate.validate"
	}, "validate")
	if validate.StatusCode != tracepb.Status_STATUS_CODE_ERROR || validate.Attributes["error.type"] != "invalid_arguments" {
		t.Errorf("invalid call's validation: status %v, attributes %v; want the failure", validate.StatusCode, validate.Attributes)
	}

	// An MCP session's call belongs to the trace of the request carrying it,
	// not under the ended span of the request that opened the session.
	mcpCall := tree.find(t, func(sp telemetrytest.Span) bool {
		return sp.TraceID == mcpTrace && sp.Name == "execute_tool get_order"
	}, "of the MCP call")
	if mcpCall.ParentSpanID != mcpSpan {
		t.Errorf("the MCP call's span is under %s, want the client's %s", mcpCall.ParentSpanID, mcpSpan)
	}

	// Nothing secret anywhere: names, attributes, resource.
	secrets := []string{bearerSecret, apiKeySecret, argValue, contextValue, s.agentKey, s.admin, oauthtest.ClientSecret}
	for _, issued := range o.as.Issued() {
		secrets = append(secrets, issued.AccessToken, issued.RefreshToken)
	}
	for _, sp := range tree {
		text := fmt.Sprint(sp.Name, sp.Attributes, sp.Resource, sp.StatusMessage)
		for _, secret := range secrets {
			if secret != "" && strings.Contains(text, secret) {
				t.Errorf("span %q holds %q: %s", sp.Name, secret, text)
			}
		}
	}
}
