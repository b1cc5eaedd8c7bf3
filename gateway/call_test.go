package gateway_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

// echoed is what the echo upstream saw.
type echoed struct {
	Method   string              `json:"method"`
	Path     string              `json:"path"`
	RawPath  string              `json:"raw_path"`
	RawQuery string              `json:"raw_query"`
	URI      string              `json:"uri"` // the request target as sent
	Query    map[string][]string `json:"query"`
	Header   map[string][]string `json:"header"`
	Body     string              `json:"body"`
}

// upstream is a loopback HTTP server that records what it receives.
type upstream struct {
	*httptest.Server
	mu       sync.Mutex
	requests []echoed
	hits     atomic.Int64
}

// newUpstream starts an echo server; handle, if set, answers instead.
func newUpstream(t *testing.T, handle func(w http.ResponseWriter, r *http.Request) bool) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		e := echoed{Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, URI: r.RequestURI,
			Query: r.URL.Query(), Header: r.Header, Body: string(body)}
		u.mu.Lock()
		u.requests = append(u.requests, e)
		u.mu.Unlock()
		if handle != nil && handle(w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"echo": e, "order": map[string]any{"status": "shipped", "eta": "tomorrow", "secret_note": "internal"}})
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) last(t *testing.T) echoed {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.requests) == 0 {
		t.Fatal("upstream received no request")
	}
	return u.requests[len(u.requests)-1]
}

func TestCall(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("success", func(t *testing.T) { testCallSuccess(t, newEnv(t, newStore)) })
		t.Run("outcomes", func(t *testing.T) { testCallOutcomes(t, newEnv(t, newStore)) })
		t.Run("injection", func(t *testing.T) { testCallInjection(t, newEnv(t, newStore)) })
		t.Run("redaction", func(t *testing.T) { testCallRedaction(t, newEnv(t, newStore)) })
		t.Run("runs", func(t *testing.T) { testRuns(t, newEnv(t, newStore)) })
	})
}

func testCallSuccess(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "backend", "base_url": up.URL + "/api", "headers": map[string]any{"X-Env": "{{conn.env}}"},
		"config": map[string]any{"env": "prod"}, "auth": map[string]any{"type": "bearer"},
		"secrets": map[string]any{"token": "tok-123456"}})
	e.publishTool(map[string]any{
		"name": "get_order", "description": "Look up an order's status and ETA once the caller gave the order id.",
		"method": "GET", "connection": "backend", "path": "/orders/{{args.order_id}}",
		"query":   map[string]any{"verbose": "{{args.verbose}}"},
		"headers": map[string]any{"X-Tenant": "{{context.tenant}}"},
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{
			"order_id": map[string]any{"type": "string"}, "verbose": map[string]any{"type": "boolean"}},
			"required": []string{"order_id"}},
		"response": map[string]any{"select": []string{"order.status", "order.eta"}},
	})
	agentID, key := e.agentWithKey("bot", "get_order")

	r := e.must(200, "POST", "/v1/tools/get_order/call", key, map[string]any{
		"arguments": map[string]any{"order_id": "A-17", "verbose": true},
		"context":   map[string]any{"tenant": "acme", "user_id": "+255700000001", "channel": "voice", "conversation_id": "conv-1"}})
	if r.str("outcome") != "success" || r.at("ok") != true || r.at("status_code") != float64(200) || r.at("version") != float64(1) {
		t.Fatalf("call: %s", r.raw)
	}
	if got := string(mustJSON(t, r.at("result"))); got != `{"order.eta":"tomorrow","order.status":"shipped"}` && got != `{"order.status":"shipped","order.eta":"tomorrow"}` {
		t.Errorf("result = %s, want the selected fields", got)
	}
	seen := up.last(t)
	runID := r.str("run_id")
	checks := map[string]string{
		"Authorization":       "Bearer tok-123456",
		"X-Env":               "prod",
		"X-Tenant":            "acme",
		"X-Toolgate-Run-Id":   runID,
		"Idempotency-Key":     runID,
		"X-Toolgate-Tool":     "get_order",
		"X-Toolgate-Agent-Id": agentID,
		"X-Toolgate-User-Id":  "+255700000001",
		"X-Toolgate-Channel":  "voice",
	}
	for h, want := range checks {
		if got := strings.Join(seen.Header[h], ","); got != want {
			t.Errorf("upstream header %s = %q, want %q", h, got, want)
		}
	}
	if seen.Path != "/api/orders/A-17" || seen.RawQuery != "verbose=true" || seen.Method != "GET" || seen.Body != "" {
		t.Errorf("upstream saw %s %s?%s body %q", seen.Method, seen.Path, seen.RawQuery, seen.Body)
	}

	// Optional argument absent: its query parameter is dropped.
	e.must(200, "POST", "/v1/tools/get_order/call", key, map[string]any{
		"arguments": map[string]any{"order_id": "B"}, "context": map[string]any{"tenant": "acme"}})
	if seen := up.last(t); seen.RawQuery != "" {
		t.Errorf("absent optional argument sent query %q", seen.RawQuery)
	}

	// Listing in the OpenAI shape.
	list := e.must(200, "GET", "/v1/tools", key, nil)
	tools := list.at("tools").([]any)
	if len(tools) != 1 {
		t.Fatalf("tools: %s", list.raw)
	}
	fn := tools[0].(map[string]any)["function"].(map[string]any)
	if tools[0].(map[string]any)["type"] != "function" || fn["name"] != "get_order" || fn["parameters"].(map[string]any)["type"] != "object" {
		t.Errorf("listed tool: %s", list.raw)
	}
	// A tool not activated for this agent is 404.
	e.publishTool(map[string]any{"name": "other", "description": "Another tool that this agent does not have activated.", "url": up.URL})
	if r := e.do("POST", "/v1/tools/other/call", key, map[string]any{}); r.status != 404 {
		t.Errorf("tool not activated: %d, want 404", r.status)
	}
	if r := e.do("POST", "/v1/tools/nope/call", key, map[string]any{}); r.status != 404 {
		t.Errorf("unknown tool: %d, want 404", r.status)
	}

	// POST with no body template sends the validated arguments.
	e.publishTool(map[string]any{"name": "create_lead", "description": "Create a callback lead once name and phone number are known.",
		"method": "POST", "url": up.URL + "/leads",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{
			"name": map[string]any{"type": "string"}, "phone_number": map[string]any{"type": "string"}, "n": map[string]any{"type": "integer"}},
			"required": []string{"phone_number", "name"}}})
	e.must(200, "PATCH", "/v1/admin/agents/"+agentID, e.admin, map[string]any{"tools": []map[string]any{{"name": "get_order"}, {"name": "create_lead"}}})
	e.must(200, "POST", "/v1/tools/create_lead/call", key, map[string]any{"arguments": map[string]any{"name": "Asha", "phone_number": "+255", "n": 12345678901234}})
	var body map[string]any
	if err := json.Unmarshal([]byte(up.last(t).Body), &body); err != nil {
		t.Fatalf("body %q: %v", up.last(t).Body, err)
	}
	if body["name"] != "Asha" || body["phone_number"] != "+255" || !strings.Contains(up.last(t).Body, "12345678901234") {
		t.Errorf("default body = %s", up.last(t).Body)
	}
	if ct := up.last(t).Header["Content-Type"]; len(ct) != 1 || !strings.HasPrefix(ct[0], "application/json") {
		t.Errorf("Content-Type = %v", ct)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testCallOutcomes(t *testing.T, e *env) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/404":
			http.Error(w, `{"error":"no such order"}`, 404)
		case "/500":
			http.Error(w, "boom", 500)
		case "/hang":
			<-r.Context().Done() // until the gateway gives up
		default:
			return false
		}
		return true
	})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String()
	closed.Close()
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "notoken", "base_url": up.URL, "auth": map[string]any{"type": "bearer"}})

	schema := map[string]any{"type": "object", "properties": map[string]any{"phone_number": map[string]any{"type": "string"},
		"email": map[string]any{"type": "string", "format": "email"}}, "required": []string{"phone_number"}}
	cases := []struct {
		name, outcome string
		def           map[string]any
		args          map[string]any
		status        int
	}{
		{"success", "success", map[string]any{"url": up.URL + "/ok"}, nil, 200},
		{"client_error", "client_error", map[string]any{"url": up.URL + "/404"}, nil, 200},
		{"server_error", "server_error", map[string]any{"url": up.URL + "/500"}, nil, 200},
		{"timeout", "timeout", map[string]any{"url": up.URL + "/hang", "timeout_ms": 100}, nil, 200},
		{"network_error", "network_error", map[string]any{"url": closedURL}, nil, 200},
		{"blocked", "blocked", map[string]any{"url": "http://10.0.0.1/x"}, nil, 200},
		{"auth_error", "auth_error", map[string]any{"connection": "notoken", "path": "/ok"}, nil, 200},
		{"invalid_arguments", "invalid_arguments", map[string]any{"url": up.URL + "/ok", "input_schema": schema}, map[string]any{"email": "nope"}, 422},
	}
	names := []string{}
	for _, c := range cases {
		def := map[string]any{"name": "t_" + c.name, "description": "A test tool that exercises the " + c.name + " outcome of a call."}
		for k, v := range c.def {
			def[k] = v
		}
		e.publishTool(def)
		names = append(names, "t_"+c.name)
	}
	_, key := e.agentWithKey("bot", names...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := up.hits.Load()
			args := c.args
			if args == nil {
				args = map[string]any{}
			}
			r := e.must(c.status, "POST", "/v1/tools/t_"+c.name+"/call", key, map[string]any{"arguments": args})
			if r.str("outcome") != c.outcome || (r.at("ok") == true) != (c.outcome == "success") || r.str("run_id") == "" {
				t.Errorf("outcome: %s, want %s", r.raw, c.outcome)
			}
			if c.outcome != "success" && r.str("error.message") == "" {
				t.Errorf("failure without a message: %s", r.raw)
			}
			if c.outcome == "invalid_arguments" {
				if up.hits.Load() != before {
					t.Errorf("invalid arguments reached the upstream")
				}
				if got := r.at("error.missing"); len(got.([]any)) != 1 || got.([]any)[0] != "phone_number" {
					t.Errorf("missing = %v, want [phone_number]", got)
				}
				if !strings.Contains(r.str("error.hint"), "phone_number") || !strings.Contains(r.str("error.message"), "phone_number") {
					t.Errorf("message/hint do not name phone_number: %s", r.raw)
				}
				if !strings.Contains(string(r.raw), `"path":"email"`) {
					t.Errorf("details lack the email issue: %s", r.raw)
				}
			}
		})
	}
}

func testCallInjection(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	e.publishTool(map[string]any{"name": "get", "description": "Fetch an item by its id once the caller has given it.",
		"url": up.URL + "/items/{{args.id}}/detail", "query": map[string]any{"q": "{{args.q}}"},
		"headers": map[string]any{"X-Note": "{{args.note}}"},
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{
			"id": map[string]any{"type": "string"}, "q": map[string]any{"type": "string"}, "note": map[string]any{"type": "string"}},
			"required": []string{"id"}}})
	_, key := e.agentWithKey("bot", "get")
	for _, c := range []struct {
		id, wantRaw string
	}{
		{"../admin", "/items/..%2Fadmin/detail"},
		{"a/b", "/items/a%2Fb/detail"},
		{"x#y", "/items/x%23y/detail"},
		{"x?y=1", "/items/x%3Fy=1/detail"},
		{"%2e%2e", "/items/%252e%252e/detail"},
	} {
		r := e.must(200, "POST", "/v1/tools/get/call", key, map[string]any{"arguments": map[string]any{"id": c.id}})
		seen := up.last(t)
		if seen.Path != "/items/"+c.id+"/detail" || seen.RawQuery != "" {
			t.Errorf("id %q: upstream path %q (raw %q) query %q; outcome %s", c.id, seen.Path, seen.RawPath, seen.RawQuery, r.str("outcome"))
		}
		if !strings.EqualFold(seen.URI, c.wantRaw) {
			t.Errorf("id %q: request target %q, want %q", c.id, seen.URI, c.wantRaw)
		}
	}
	for _, id := range []string{"..", "."} {
		before := up.hits.Load()
		r := e.do("POST", "/v1/tools/get/call", key, map[string]any{"arguments": map[string]any{"id": id}})
		if r.status != 422 || r.str("outcome") != "invalid_arguments" || up.hits.Load() != before {
			t.Errorf("id %q: %d %s, want 422 and no upstream request", id, r.status, r.raw)
		}
	}
	e.must(200, "POST", "/v1/tools/get/call", key, map[string]any{"arguments": map[string]any{"id": "1", "q": "a&admin=true"}})
	if seen := up.last(t); len(seen.Query) != 1 || len(seen.Query["q"]) != 1 || seen.Query["q"][0] != "a&admin=true" {
		t.Errorf("query injection: upstream saw %v", seen.Query)
	}
	before := up.hits.Load()
	r := e.do("POST", "/v1/tools/get/call", key, map[string]any{"arguments": map[string]any{"id": "1", "note": "a\r\nX-Injected: 1"}})
	if r.status != 422 || up.hits.Load() != before {
		t.Errorf("CRLF header: %d %s, want 422 and no request", r.status, r.raw)
	}
}

func testCallRedaction(t *testing.T, e *env) {
	const secret = "sk-live-VERY-secret-0042"
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		// A careless upstream echoes the credential back in every form.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo-Key", r.Header.Get("X-Api-Key"))
		w.Header().Set("Set-Cookie", "session="+secret)
		_ = json.NewEncoder(w).Encode(map[string]any{"key": r.Header.Get("X-Api-Key"), "b64": base64.StdEncoding.EncodeToString([]byte(secret)),
			"url": r.URL.String()})
		return true
	})
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "leaky", "base_url": up.URL, "auth": map[string]any{"type": "api_key", "in": "header", "name": "X-Api-Key"},
		"secrets": map[string]any{"api_key": secret, "sig": "another-secret-value"}})
	e.publishTool(map[string]any{"name": "leak", "description": "Calls an upstream that echoes credentials back, for redaction tests.",
		"method": "POST", "connection": "leaky", "path": "/x", "query": map[string]any{"s": "{{secret.sig}}"},
		"body":         map[string]any{"k": "{{secret.api_key}}", "note": "{{args.note}}"},
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"note": map[string]any{"type": "string"}}}})
	_, key := e.agentWithKey("bot", "leak")
	r := e.must(200, "POST", "/v1/tools/leak/call", key, map[string]any{"arguments": map[string]any{"note": "hi"}})
	if up.last(t).Header["X-Api-Key"][0] != secret {
		t.Fatalf("upstream did not get the key")
	}
	if err := e.recorder.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	run := e.must(200, "GET", "/v1/admin/runs/"+r.str("run_id"), e.admin, nil)
	stored, err := e.store.RunGet(context.Background(), mustWorkspace(t, e), r.str("run_id"))
	if err != nil {
		t.Fatal(err)
	}
	everything := string(r.raw) + string(run.raw) + e.logs.String() + string(stored.Request) + string(stored.Response) + string(stored.Result) + stored.Error
	for _, form := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), "another-secret-value"} {
		if strings.Contains(everything, form) {
			t.Errorf("secret form %q leaked into the call response, run record or logs", form)
		}
	}
	if !strings.Contains(string(run.raw), "[REDACTED]") {
		t.Errorf("run shows no redaction marker: %s", run.raw)
	}
}

func testRuns(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	e.publishTool(map[string]any{"name": "echo", "description": "Echo the arguments back, for run history tests only.",
		"method": "POST", "url": up.URL + "/echo",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"n": map[string]any{"type": "integer"}}}})
	_, key := e.agentWithKey("bot", "echo")
	_, key2 := e.agentWithKey("bot2", "echo")
	r := e.must(200, "POST", "/v1/tools/echo/call", key, map[string]any{"arguments": map[string]any{"n": 1}, "context": map[string]any{"conversation_id": "c-9"}})
	runID := r.str("run_id")
	// Visible at once (before the recorder writes it) to its agent only.
	got := e.must(200, "GET", "/v1/runs/"+runID, key, nil)
	if got.str("run_id") != runID || got.str("outcome") != "success" || got.str("status") != "succeeded" {
		t.Errorf("agent run: %s", got.raw)
	}
	e.must(404, "GET", "/v1/runs/"+runID, key2, nil)
	if err := e.recorder.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	full := e.must(200, "GET", "/v1/admin/runs/"+runID, e.admin, nil)
	if full.str("request.method") != "POST" || !strings.Contains(full.str("request.url"), "/echo") || full.at("response.status_code") != float64(200) ||
		full.str("conversation_id") != "c-9" || full.at("timings.total_ms") == nil {
		t.Errorf("admin run: %s", full.raw)
	}
	// Replay with edited arguments makes a new, linked run.
	rep := e.must(200, "POST", "/v1/admin/runs/"+runID+"/replay", e.admin, map[string]any{"arguments": map[string]any{"n": 2}})
	if rep.str("run_id") == runID || rep.str("outcome") != "success" || !strings.Contains(up.last(t).Body, `"n":2`) {
		t.Errorf("replay: %s; upstream body %s", rep.raw, up.last(t).Body)
	}
	if err := e.recorder.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	repRun := e.must(200, "GET", "/v1/admin/runs/"+rep.str("run_id"), e.admin, nil)
	if repRun.str("replay_of") != runID {
		t.Errorf("replayed run does not link to the old one: %s", repRun.raw)
	}
	list := e.must(200, "GET", "/v1/admin/runs?tool=echo&limit=1", e.admin, nil)
	if items := list.at("items").([]any); len(items) != 1 || items[0].(map[string]any)["id"] != rep.str("run_id") || list.str("next_cursor") == "" {
		t.Errorf("newest-first list: %s", list.raw)
	}
	if l := e.must(200, "GET", "/v1/admin/runs?outcome=timeout", e.admin, nil); len(l.at("items").([]any)) != 0 {
		t.Errorf("outcome filter: %s", l.raw)
	}
	// Dry run renders without sending.
	toolList := e.must(200, "GET", "/v1/admin/tools", e.admin, nil)
	toolID := toolList.at("items").([]any)[0].(map[string]any)["id"].(string)
	before := up.hits.Load()
	dry := e.must(200, "POST", "/v1/admin/tools/"+toolID+"/test", e.admin, map[string]any{"arguments": map[string]any{"n": 5}, "dry_run": true})
	if up.hits.Load() != before || dry.str("request.method") != "POST" || !strings.Contains(dry.str("request.body"), `"n":5`) {
		t.Errorf("dry run: %s (upstream hits %d→%d)", dry.raw, before, up.hits.Load())
	}
}

// TestSSRF proves blocked destinations end as outcome blocked with no
// connection made.
func TestSSRF(t *testing.T) {
	var accepted atomic.Int64
	target := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	target.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			accepted.Add(1)
		}
	}
	target.Start()
	defer target.Close()
	_, port, _ := net.SplitHostPort(target.Listener.Addr().String())

	// Only 127.0.0.2 is allowed: it redirects to the loopback target.
	redirector := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:"+port+"/", http.StatusFound)
	})}
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	go redirector.Serve(ln)
	defer redirector.Close()

	e := newEnv(t, testdb.SQLite, envOptions{allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}})
	urls := map[string]string{
		"metadata":    "http://169.254.169.254/latest/meta-data/",
		"private":     "http://10.0.0.1/",
		"ipv6 loop":   "http://[::1]:" + port + "/",
		"mapped loop": "http://[::ffff:127.0.0.1]:" + port + "/",
		"localhost":   "http://localhost:" + port + "/",
		"loopback":    "http://127.0.0.1:" + port + "/",
		"redirect":    "http://" + ln.Addr().String() + "/go",
	}
	var names []string
	for name, u := range urls {
		tn := strings.ReplaceAll(name, " ", "_")
		e.publishTool(map[string]any{"name": tn, "description": "A tool pointing at a destination the guard must refuse.", "url": u})
		names = append(names, tn)
	}
	_, key := e.agentWithKey("bot", names...)
	for _, n := range names {
		r := e.must(200, "POST", "/v1/tools/"+n+"/call", key, map[string]any{})
		if r.str("outcome") != "blocked" {
			t.Errorf("%s: outcome %s, want blocked; %s", n, r.str("outcome"), r.raw)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the blocked target accepted %d connections", n)
	}
}
