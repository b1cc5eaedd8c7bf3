package gateway_test

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/sqlite"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
)

var orderTool = map[string]any{
	"name":        "get_order",
	"description": "Look up an order's status and ETA. Call only after the caller has given the order id.",
	"method":      "GET", "url": "http://127.0.0.1:1/orders/{{args.order_id}}",
	"input_schema": map[string]any{"type": "object",
		"properties": map[string]any{"order_id": map[string]any{"type": "string"}},
		"required":   []string{"order_id"}},
}

func TestAdminAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("auth", func(t *testing.T) { testAuth(t, newEnv(t, newStore)) })
		t.Run("connections", func(t *testing.T) { testConnections(t, newEnv(t, newStore)) })
		t.Run("tools", func(t *testing.T) { testTools(t, newEnv(t, newStore)) })
		t.Run("requests", func(t *testing.T) { testRequestErrors(t, newEnv(t, newStore)) })
		t.Run("keys", func(t *testing.T) { testKeys(t, newEnv(t, newStore)) })
		t.Run("pagination", func(t *testing.T) { testPagination(t, newEnv(t, newStore)) })
	})
}

func testAuth(t *testing.T, e *env) {
	if r := e.do("GET", "/v1/admin/tools", "", nil); r.status != 401 || r.str("error.type") != "unauthorized" {
		t.Errorf("no key: %d %s, want 401 unauthorized", r.status, r.raw)
	}
	if r := e.do("GET", "/v1/admin/tools", "tg_thisKeyDoesNotExistAnywhere0000", nil); r.status != 401 {
		t.Errorf("unknown key: %d, want 401", r.status)
	}
	if r := e.do("GET", "/v1/admin/tools", "Basic abc", nil); r.status != 401 {
		t.Errorf("garbage key: %d, want 401", r.status)
	}
	toolID := e.publishTool(orderTool)
	_, agentKey := e.agentWithKey("bot", "get_order")
	if r := e.do("GET", "/v1/admin/tools", agentKey, nil); r.status != 403 {
		t.Errorf("agent key on admin API: %d, want 403", r.status)
	}
	if r := e.do("GET", "/v1/tools", e.admin, nil); r.status != 403 {
		t.Errorf("admin key on agent API: %d, want 403", r.status)
	}

	// Another workspace sees nothing of the first: 404, never 403.
	ws2, err := tenant.Create(context.Background(), e.store, e.box, "other")
	if err != nil {
		t.Fatal(err)
	}
	admin2, err := tenant.AddAdminKey(context.Background(), e.store, ws2.ID, "other", "")
	if err != nil {
		t.Fatal(err)
	}
	conn := e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{"name": "crm", "base_url": "https://crm.example.com"})
	agent := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "a2"})
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/admin/tools/" + toolID},
		{"PATCH", "/v1/admin/tools/" + toolID},
		{"DELETE", "/v1/admin/tools/" + toolID},
		{"POST", "/v1/admin/tools/" + toolID + "/publish"},
		{"POST", "/v1/admin/tools/" + toolID + "/validate"},
		{"GET", "/v1/admin/tools/" + toolID + "/versions"},
		{"GET", "/v1/admin/connections/" + conn.str("id")},
		{"PATCH", "/v1/admin/connections/" + conn.str("id")},
		{"DELETE", "/v1/admin/connections/" + conn.str("id")},
		{"GET", "/v1/admin/agents/" + agent.str("id")},
		{"DELETE", "/v1/admin/agents/" + agent.str("id")},
	} {
		body := any(nil)
		if c.method == "PATCH" {
			body = map[string]any{"description": "x"}
		}
		if r := e.do(c.method, c.path, admin2, body); r.status != 404 {
			t.Errorf("other workspace %s %s: %d, want 404; %s", c.method, c.path, r.status, r.raw)
		}
	}
	if r := e.must(200, "GET", "/v1/admin/tools", admin2, nil); len(r.at("items").([]any)) != 0 {
		t.Errorf("other workspace lists tools: %s", r.raw)
	}
	// Its agent key cannot bind to the first workspace's agent.
	if r := e.do("POST", "/v1/admin/keys", admin2, map[string]any{"name": "k", "role": "agent", "agent_id": agent.str("id")}); r.status != 422 {
		t.Errorf("agent key for another workspace's agent: %d, want 422", r.status)
	}
}

func testConnections(t *testing.T, e *env) {
	const token, apiKey = "tok-SUPER-secret-1234", "key-SUPER-secret-5678"
	r := e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "backend", "base_url": "https://api.example.com/v1",
		"headers": map[string]any{"X-Env": "prod"}, "config": map[string]any{"region": "eu"},
		"auth":    map[string]any{"type": "bearer"},
		"secrets": map[string]any{"token": token, "other": apiKey},
	})
	id := r.str("id")
	want := map[string]any{"token": map[string]any{"set": true}, "other": map[string]any{"set": true}}
	if diff := cmp.Diff(want, r.at("secrets")); diff != "" {
		t.Errorf("secrets view (-want +got):\n%s", diff)
	}
	for _, path := range []string{"/v1/admin/connections/" + id, "/v1/admin/connections"} {
		got := e.must(200, "GET", path, e.admin, nil)
		if bytes.Contains(got.raw, []byte(token)) || bytes.Contains(got.raw, []byte(apiKey)) {
			t.Errorf("GET %s returned a secret: %s", path, got.raw)
		}
	}
	// Stored sealed: the raw row holds no plaintext.
	stored, err := e.store.ConnectionGetByName(context.Background(), mustWorkspace(t, e), "backend")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored.Secrets, []byte(token)) || len(stored.Secrets) == 0 {
		t.Errorf("stored secrets are not sealed: %q", stored.Secrets)
	}

	// PATCH: null deletes a secret, other fields merge.
	p := e.must(200, "PATCH", "/v1/admin/connections/"+id, e.admin, map[string]any{
		"secrets": map[string]any{"other": nil}, "config": map[string]any{"tier": "gold"}})
	if diff := cmp.Diff(map[string]any{"token": map[string]any{"set": true}}, p.at("secrets")); diff != "" {
		t.Errorf("secrets after delete (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"region": "eu", "tier": "gold"}, p.at("config")); diff != "" {
		t.Errorf("config after patch (-want +got):\n%s", diff)
	}
	if p.str("base_url") != "https://api.example.com/v1" {
		t.Errorf("base_url lost in patch: %s", p.raw)
	}

	for _, c := range []struct {
		name string
		body map[string]any
		path string
	}{
		{"bad name", map[string]any{"name": "a b", "base_url": "https://x.example"}, "name"},
		{"bad url", map[string]any{"name": "c1", "base_url": "ftp://x.example"}, "base_url"},
		{"api key without name", map[string]any{"name": "c2", "base_url": "https://x.example", "auth": map[string]any{"type": "api_key", "in": "header"}}, "auth.name"},
		{"unknown auth", map[string]any{"name": "c3", "base_url": "https://x.example", "auth": map[string]any{"type": "magic"}}, "auth.type"},
		{"header CRLF", map[string]any{"name": "c4", "base_url": "https://x.example", "headers": map[string]any{"X-A": "a\r\nB: c"}}, "headers.X-A"},
		{"reserved header", map[string]any{"name": "c5", "base_url": "https://x.example", "headers": map[string]any{"Host": "evil"}}, "headers.Host"},
	} {
		r := e.do("POST", "/v1/admin/connections", e.admin, c.body)
		if r.status != 422 || !strings.Contains(string(r.raw), `"path":"`+c.path+`"`) {
			t.Errorf("%s: %d %s, want 422 naming %s", c.name, r.status, r.raw, c.path)
		}
	}
	if r := e.do("POST", "/v1/admin/connections", e.admin, map[string]any{"name": "backend", "base_url": "https://x.example"}); r.status != 409 {
		t.Errorf("duplicate name: %d, want 409", r.status)
	}
	e.must(204, "DELETE", "/v1/admin/connections/"+id, e.admin, nil)
	e.must(404, "GET", "/v1/admin/connections/"+id, e.admin, nil)
}

func mustWorkspace(t *testing.T, e *env) string {
	t.Helper()
	ws, err := e.store.WorkspaceGetByName(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	return ws.ID
}

func testTools(t *testing.T, e *env) {
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "backend", "base_url": "https://api.example.com", "config": map[string]any{"region": "eu"}})
	def := map[string]any{
		"name":        "get_order",
		"description": "Look up an order's status and ETA. Call only after the caller has given the order id.",
		"method":      "GET", "connection": "backend", "path": "/orders/{{args.order_id}}",
		"query":   map[string]any{"verbose": "{{args.verbose}}"},
		"headers": map[string]any{"X-Tenant": "{{context.tenant}}"},
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{
			"order_id": map[string]any{"type": "string"}, "verbose": map[string]any{"type": "boolean"}},
			"required": []string{"order_id"}},
		"timeout_ms": 5000, "response": map[string]any{"select": []string{"order.status", "order.eta"}, "max_bytes": 4000},
	}
	created := e.must(201, "POST", "/v1/admin/tools", e.admin, def)
	if created.str("status") != "draft" || created.at("version") != float64(0) {
		t.Errorf("created tool: %s, want status draft version 0", created.raw)
	}
	id := created.str("id")
	v := e.must(200, "POST", "/v1/admin/tools/"+id+"/validate", e.admin, nil)
	if v.at("valid") != true {
		t.Fatalf("validate: %s, want valid", v.raw)
	}

	// Publishing makes immutable versions 1, 2...
	p1 := e.must(200, "POST", "/v1/admin/tools/"+id+"/publish", e.admin, nil)
	if p1.at("version") != float64(1) || p1.str("status") != "published" {
		t.Errorf("publish 1: %s", p1.raw)
	}
	e.must(200, "PATCH", "/v1/admin/tools/"+id, e.admin, map[string]any{"timeout_ms": 7000})
	got := e.must(200, "GET", "/v1/admin/tools/"+id, e.admin, nil)
	if got.at("timeout_ms") != float64(7000) || got.at("version") != float64(1) || got.str("path") != "/orders/{{args.order_id}}" {
		t.Errorf("after patch: %s", got.raw)
	}
	p2 := e.must(200, "POST", "/v1/admin/tools/"+id+"/publish", e.admin, nil)
	if p2.at("version") != float64(2) {
		t.Errorf("publish 2: %s", p2.raw)
	}
	vs := e.must(200, "GET", "/v1/admin/tools/"+id+"/versions", e.admin, nil)
	items := vs.at("items").([]any)
	if len(items) != 2 {
		t.Fatalf("versions: %s", vs.raw)
	}
	if items[0].(map[string]any)["timeout_ms"] != float64(5000) || items[1].(map[string]any)["timeout_ms"] != float64(7000) {
		t.Errorf("versions are not the published drafts: %s", vs.raw)
	}

	// Errors and warnings.
	bad := e.must(201, "POST", "/v1/admin/tools", e.admin, map[string]any{
		"name": "bad_tool", "description": "short", "method": "GET",
		"url": "https://api.example.com/x/{{args.nope}}", "connection": "backend",
		"timeout_ms":   50,
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "nonsense"}}},
	})
	r := e.must(200, "POST", "/v1/admin/tools/"+bad.str("id")+"/validate", e.admin, nil)
	if r.at("valid") != false {
		t.Errorf("bad tool validated: %s", r.raw)
	}
	paths := map[string]bool{}
	for _, it := range r.at("errors").([]any) {
		paths[it.(map[string]any)["path"].(string)] = true
	}
	for _, want := range []string{"url", "timeout_ms"} {
		if !paths[want] {
			t.Errorf("validate errors %s lack path %s", r.raw, want)
		}
	}
	if !strings.Contains(string(r.raw), "input_schema") {
		t.Errorf("validate errors do not mention input_schema: %s", r.raw)
	}
	warn := e.must(201, "POST", "/v1/admin/tools", e.admin, map[string]any{
		"name": "warn_tool", "description": "short", "url": "https://api.example.com/x/{{args.nope}}",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "string"}}, "required": []string{"a"}},
	})
	w := e.must(200, "POST", "/v1/admin/tools/"+warn.str("id")+"/validate", e.admin, nil)
	ws := string(w.raw)
	if w.at("valid") != true || !strings.Contains(ws, `"path":"description"`) || !strings.Contains(ws, "{{args.nope}}") || !strings.Contains(ws, "required property a") {
		t.Errorf("warnings: %s, want description, unknown placeholder and unused required property", ws)
	}
	pub := e.do("POST", "/v1/admin/tools/"+bad.str("id")+"/publish", e.admin, nil)
	if pub.status != 422 || pub.str("error.type") != "validation_failed" {
		t.Errorf("publishing an invalid tool: %d %s, want 422", pub.status, pub.raw)
	}
	if r := e.do("POST", "/v1/admin/tools", e.admin, map[string]any{"name": "get_order"}); r.status != 409 {
		t.Errorf("duplicate tool name: %d, want 409", r.status)
	}
	if r := e.do("POST", "/v1/admin/tools", e.admin, map[string]any{"name": "no spaces"}); r.status != 422 {
		t.Errorf("bad tool name: %d, want 422", r.status)
	}
}

func testRequestErrors(t *testing.T, e *env) {
	r := e.do("POST", "/v1/admin/tools", e.admin, `{"name": "x", "colour": "red"}`)
	if r.status != 400 || !strings.Contains(r.str("error.message"), "colour") {
		t.Errorf("unknown field: %d %s, want 400 naming colour", r.status, r.raw)
	}
	r = e.do("POST", "/v1/admin/tools", e.admin, `{"name": `)
	if r.status != 400 || r.str("error.type") != "bad_request" {
		t.Errorf("malformed JSON: %d %s, want 400", r.status, r.raw)
	}
	big := `{"name": "x", "description": "` + strings.Repeat("a", 1<<20) + `"}`
	r = e.do("POST", "/v1/admin/tools", e.admin, big)
	if r.status != 413 || r.str("error.type") != "request_too_large" {
		t.Errorf("body over 1 MiB: %d %.200s, want 413", r.status, r.raw)
	}
	if r := e.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Errorf("healthz: %d", r.status)
	}
	if r := e.do("GET", "/nope", "", nil); r.status != 404 || r.str("error.type") != "not_found" {
		t.Errorf("unknown route: %d %s", r.status, r.raw)
	}
}

func testKeys(t *testing.T, e *env) {
	agentID, key := e.agentWithKey("bot")
	if !strings.HasPrefix(key, "tg_") {
		t.Fatalf("agent key %q", key)
	}
	e.must(200, "GET", "/v1/tools", key, nil)
	list := e.must(200, "GET", "/v1/admin/keys", e.admin, nil)
	if bytes.Contains(list.raw, []byte(key)) || bytes.Contains(list.raw, []byte(e.admin)) {
		t.Errorf("key list shows a key: %s", list.raw)
	}
	var keyID string
	for _, it := range list.at("items").([]any) {
		if m := it.(map[string]any); m["agent_id"] == agentID {
			keyID = m["id"].(string)
		}
	}
	e.must(204, "DELETE", "/v1/admin/keys/"+keyID, e.admin, nil)
	if r := e.do("GET", "/v1/tools", key, nil); r.status != 401 {
		t.Errorf("revoked key: %d, want 401", r.status)
	}
	for _, body := range []map[string]any{
		{"name": "k", "role": "agent"},
		{"name": "k", "role": "root"},
		{"name": "k", "role": "admin", "agent_id": agentID},
		{"name": "", "role": "admin"},
	} {
		if r := e.do("POST", "/v1/admin/keys", e.admin, body); r.status != 422 {
			t.Errorf("key %v: %d, want 422", body, r.status)
		}
	}
}

func testPagination(t *testing.T, e *env) {
	for i := range 7 {
		e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "agent-" + string(rune('a'+i))})
	}
	var names []string
	cursor := ""
	for range 10 {
		r := e.must(200, "GET", "/v1/admin/agents?limit=3&cursor="+cursor, e.admin, nil)
		for _, it := range r.at("items").([]any) {
			names = append(names, it.(map[string]any)["name"].(string))
		}
		cursor = r.str("next_cursor")
		if cursor == "" {
			break
		}
	}
	want := []string{"agent-a", "agent-b", "agent-c", "agent-d", "agent-e", "agent-f", "agent-g"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("paged agents (-want +got):\n%s", diff)
	}
	if r := e.do("GET", "/v1/admin/agents?limit=0", e.admin, nil); r.status != 400 {
		t.Errorf("limit=0: %d, want 400", r.status)
	}
}

// TestSecretsNotInSQLiteFile reads the raw database files: no secret value
// is stored in plaintext anywhere.
func TestSecretsNotInSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "toolgate.db")
	e := newEnv(t, func(tb testing.TB) store.Store {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { st.Close() })
		return st
	})
	const secret = "plaintext-NEVER-on-disk-9876"
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "c", "base_url": "https://x.example", "auth": map[string]any{"type": "bearer"},
		"secrets": map[string]any{"token": secret}})
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("%s contains the secret in plaintext", filepath.Base(f))
		}
	}
}

// TestDraftsRefusePlainMistakes: a draft may be incomplete, but a method no
// tool can use or an input schema that is not an object is answered 422 at
// once, on create and on patch.
func TestDraftsRefusePlainMistakes(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	ok := map[string]any{"name": "get_order", "description": "Look up an order once the caller gave its id.",
		"method": "GET", "url": "https://api.example.com/orders", "input_schema": map[string]any{"type": "object"}}
	with := func(k string, v any) map[string]any {
		d := maps.Clone(ok)
		d[k] = v
		return d
	}
	for _, tt := range []struct {
		name, path string
		def        map[string]any
	}{
		{"method", "method", with("method", "FETCH")},
		{"schema type", "input_schema.type", with("input_schema", map[string]any{"type": "objekt"})},
	} {
		r := e.must(422, "POST", "/v1/admin/tools", e.admin, tt.def)
		if d, _ := r.at("error.details").([]any); len(d) != 1 || d[0].(map[string]any)["path"] != tt.path {
			t.Errorf("%s: details %s, want one at %s", tt.name, r.raw, tt.path)
		}
	}
	id := e.must(201, "POST", "/v1/admin/tools", e.admin, ok).str("id")
	e.must(422, "PATCH", "/v1/admin/tools/"+id, e.admin, map[string]any{"method": "FETCH"})
	e.must(200, "PATCH", "/v1/admin/tools/"+id, e.admin, map[string]any{"method": "post"})
}
