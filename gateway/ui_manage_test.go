package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

// TestUIManage manages connections, agents, keys and tools through the
// console's forms, as a browser without script would.
func TestUIManage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("connections", func(t *testing.T) { testUIConnections(t, newEnv(t, newStore)) })
		t.Run("agents", func(t *testing.T) { testUIAgents(t, newEnv(t, newStore)) })
		t.Run("keys", func(t *testing.T) { testUIKeys(t, newEnv(t, newStore)) })
		t.Run("validate", func(t *testing.T) { testUIValidate(t, newEnv(t, newStore)) })
	})
}

// testUIConnections: a connection is created and edited through the form;
// its secrets and literal credential headers never reach a page, a blank
// field keeps them, a checked box deletes one, and deleting asks first.
func testUIConnections(t *testing.T, e *env) {
	const token = "sekrit-token-4f1a9"
	const literal = "sekrit-literal-key-77c2"
	up := newUpstream(t, nil) // echoes the request
	b := e.signedIn()
	if body := b.mustGet("/ui/connections/new"); !strings.Contains(body, `id="connection-form"`) {
		t.Fatal("new connection page lacks the form")
	}
	loc := b.mustPost("/ui/connections", url.Values{
		"name": {"crm"}, "base_url": {up.URL}, "auth_type": {"bearer"}, "config": {`{"region":"eu"}`},
		"header_name_0": {"X-Api-Key"}, "header_value_0": {literal},
		"header_name_1": {"X-Client"}, "header_value_1": {"toolgate-console"},
		"secret_name_0": {"token"}, "secret_value_0": {token},
	})
	m := regexp.MustCompile(`^/ui/connections/([0-9a-f-]+)\?saved=1$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("create redirects to %q", loc)
	}
	id := m[1]
	page := b.mustGet(loc)
	for _, want := range []string{"Connection saved", `data-secret="token">set`, `value="toolgate-console"`, "X-Api-Key", "&#34;region&#34;: &#34;eu&#34;"} {
		if !strings.Contains(page, want) {
			t.Errorf("edit page lacks %q", want)
		}
	}
	e.publishTool(map[string]any{
		"name": "lookup", "description": "Looks a customer up in the CRM by id; call it after the caller gives the id.",
		"method": "GET", "connection": "crm", "path": "/customers/{{args.id}}",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"id": map[string]any{"type": "string"}}, "required": []string{"id"}},
	})
	_, key := e.agentWithKey("support", "lookup")
	call := func(wantAuth, wantKey string) {
		t.Helper()
		e.must(200, "POST", "/v1/tools/lookup/call", key, map[string]any{"arguments": map[string]any{"id": "c-1"}})
		got := up.last(t)
		if a := http.Header(got.Header).Get("Authorization"); a != wantAuth {
			t.Errorf("upstream Authorization %q, want %q", a, wantAuth)
		}
		if k := http.Header(got.Header).Get("X-Api-Key"); k != wantKey {
			t.Errorf("upstream X-Api-Key %q, want %q", k, wantKey)
		}
	}
	call("Bearer "+token, literal)

	// Save the form as the page shows it: blank secret and blank literal
	// header keep their values; the other header changes.
	b.mustPost("/ui/connections/"+id, url.Values{
		"name": {"crm"}, "base_url": {up.URL}, "auth_type": {"bearer"}, "config": {`{"region":"us"}`},
		"header_name_0": {"X-Api-Key"}, "header_value_0": {""},
		"header_name_1": {"X-Client"}, "header_value_1": {"console-2"},
		"secret_name_0": {"token"}, "secret_value_0": {""},
	})
	call("Bearer "+token, literal)
	if got := http.Header(up.last(t).Header).Get("X-Client"); got != "console-2" {
		t.Errorf("X-Client %q after the edit, want console-2", got)
	}
	for _, path := range []string{"/ui/connections", "/ui/connections/" + id} {
		body := b.mustGet(path)
		for _, secret := range []string{token, literal} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows a secret value %.10s…", path, secret)
			}
		}
	}

	// A refused save shows the form again with the problem, and nothing
	// typed into a secret field.
	p := b.post("/ui/connections/"+id, url.Values{"name": {"crm"}, "base_url": {"ftp://nope"}, "auth_type": {"bearer"},
		"secret_name_0": {"token"}, "secret_value_0": {"typed-but-refused-9"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "base_url") || strings.Contains(p.body, "typed-but-refused-9") {
		t.Errorf("invalid save: %d, want 422 naming base_url without echoing the secret: %.400s", p.status, p.body)
	}

	// Deleting a secret, then the connection (after a confirmation page).
	b.mustPost("/ui/connections/"+id, url.Values{"name": {"crm"}, "base_url": {up.URL}, "auth_type": {"bearer"},
		"header_name_0": {"X-Api-Key"}, "secret_name_0": {"token"}, "secret_clear_0": {"1"}})
	if page := b.mustGet("/ui/connections/" + id); !strings.Contains(page, `data-secret="token">unset`) {
		t.Errorf("the deleted secret is not shown unset")
	}
	confirm := b.mustGet("/ui/connections/" + id + "/delete")
	if !strings.Contains(confirm, `id="confirm-form"`) || !strings.Contains(confirm, `action="/ui/connections/`+id+`/delete"`) {
		t.Fatalf("delete confirmation lacks its form: %.500s", confirm)
	}
	e.must(200, "GET", "/v1/admin/connections/"+id, e.admin, nil) // the GET deleted nothing
	if loc := b.mustPost("/ui/connections/"+id+"/delete", nil); loc != "/ui/connections?deleted=1" {
		t.Errorf("delete redirects to %q", loc)
	}
	e.must(404, "GET", "/v1/admin/connections/"+id, e.admin, nil)
}

// testUIAgents: an agent is created, given a pinned tool and a voice
// secret through its form (write-only, blank keeps), and deleted after a
// confirmation.
func testUIAgents(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	e.publishTool(map[string]any{"name": "get_order", "description": "Look up an order's status and ETA. Call only after the caller gives the order id.",
		"method": "GET", "url": up.URL + "/orders/{{args.id}}",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"id": map[string]any{"type": "string"}}, "required": []string{"id"}}})
	b := e.signedIn()
	loc := b.mustPost("/ui/agents", url.Values{"name": {"support"}, "instructions": {"Be brief."}})
	m := regexp.MustCompile(`^/ui/agents/([0-9a-f-]+)\?saved=1$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("create redirects to %q", loc)
	}
	id := m[1]
	if p := b.post("/ui/agents", url.Values{"name": {""}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "name") {
		t.Errorf("agent without a name: %d, want 422 naming the field", p.status)
	}
	const vapiSecret = "sekrit-vapi-31d"
	form := func(secret string, extra url.Values) url.Values {
		f := url.Values{"name": {"support"}, "instructions": {"Be brief and kind."}, "tool": {"get_order"}, "pin_get_order": {"1"},
			"adapter_vapi_secret": {secret}, "model": {`{"model":"gpt-4o-mini"}`}}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	type agentView struct {
		Instructions string            `json:"instructions"`
		Tools        []store.AgentTool `json:"tools"`
		Model        map[string]any    `json:"model"`
		Adapters     map[string]map[string]struct {
			Set bool `json:"set"`
		} `json:"adapters"`
	}
	agent := func() agentView {
		t.Helper()
		var v agentView
		if err := json.Unmarshal(e.must(200, "GET", "/v1/admin/agents/"+id, e.admin, nil).raw, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	b.mustPost("/ui/agents/"+id, form(vapiSecret, nil))
	if a := agent(); a.Instructions != "Be brief and kind." || len(a.Tools) != 1 || a.Tools[0] != (store.AgentTool{Name: "get_order", Version: 1}) ||
		!a.Adapters["vapi"]["secret"].Set || a.Model["model"] != "gpt-4o-mini" {
		t.Errorf("agent after the form: %+v", a)
	}
	page := b.mustGet("/ui/agents/" + id)
	if strings.Contains(page, vapiSecret) || !strings.Contains(page, `data-adapter="vapi.secret">set`) {
		t.Errorf("agent page shows the voice secret, or not that it is set")
	}
	// Blank keeps it; the box deletes it; unpinning goes back to latest.
	b.mustPost("/ui/agents/"+id, form("", url.Values{"pin_get_order": {""}}))
	if a := agent(); !a.Adapters["vapi"]["secret"].Set || len(a.Tools) != 1 || a.Tools[0].Version != 0 {
		t.Errorf("after a save with a blank secret and no pin: %+v", a)
	}
	b.mustPost("/ui/agents/"+id, form("", url.Values{"adapter_clear_vapi_secret": {"1"}, "tool": nil}))
	if a := agent(); a.Adapters["vapi"]["secret"].Set || len(a.Tools) != 0 {
		t.Errorf("after deleting the secret and the tool: %+v", a)
	}
	if p := b.post("/ui/agents/"+id, form("", url.Values{"pin_get_order": {"7"}})); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "no published version 7") {
		t.Errorf("pin to a missing version: %d, want 422 saying so: %.300s", p.status, p.body)
	}

	if body := b.mustGet("/ui/agents/" + id + "/delete"); !strings.Contains(body, `id="confirm-form"`) {
		t.Fatal("agent delete confirmation lacks its form")
	}
	if p := b.postRaw("/ui/agents/"+id+"/delete", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("delete without the CSRF token: %d, want 403", p.status)
	}
	b.mustPost("/ui/agents/"+id+"/delete", nil)
	e.must(404, "GET", "/v1/admin/agents/"+id, e.admin, nil)
}

// testUIKeys: an admin key is created (shown once), works, and is revoked
// after a confirmation; revoking the session's own key signs it out.
func testUIKeys(t *testing.T, e *env) {
	b := e.signedIn()
	created := b.post("/ui/keys", url.Values{"name": {"ops"}})
	m := regexp.MustCompile(`id="new-key">(tg_[^<]+)<`).FindStringSubmatch(created.body)
	if created.status != http.StatusOK || m == nil {
		t.Fatalf("create admin key: %d, want 200 showing the key: %.500s", created.status, created.body)
	}
	opsKey := m[1]
	e.must(200, "GET", "/v1/admin/tools", opsKey, nil)
	if page := b.mustGet("/ui/keys"); strings.Contains(page, opsKey) || !strings.Contains(page, "ops") {
		t.Errorf("keys page shows the key again, or not its name")
	}
	var opsID string
	for _, k := range e.must(200, "GET", "/v1/admin/keys", e.admin, nil).at("items").([]any) {
		if k.(map[string]any)["name"] == "ops" {
			opsID = k.(map[string]any)["id"].(string)
		}
	}
	if body := b.mustGet("/ui/keys/" + opsID + "/revoke"); !strings.Contains(body, `action="/ui/keys/`+opsID+`/revoke"`) {
		t.Fatal("revoke confirmation lacks its form")
	}
	e.must(200, "GET", "/v1/admin/tools", opsKey, nil) // the GET revoked nothing
	if loc := b.mustPost("/ui/keys/"+opsID+"/revoke", nil); loc != "/ui/keys" {
		t.Errorf("revoke redirects to %q", loc)
	}
	if r := e.do("GET", "/v1/admin/tools", opsKey, nil); r.status != http.StatusUnauthorized {
		t.Errorf("revoked admin key: %d, want 401", r.status)
	}

	// A session signed in with a key that revokes it is signed out.
	other := e.must(201, "POST", "/v1/admin/keys", e.admin, map[string]any{"name": "temp", "role": "admin"})
	b2 := e.browser()
	if p := b2.signIn(other.str("key")); p.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", p.status)
	}
	if body := b2.mustGet("/ui/keys/" + other.str("id") + "/revoke"); !strings.Contains(body, "signs you out") {
		t.Errorf("revoking one's own key does not warn")
	}
	if loc := b2.mustPost("/ui/keys/"+other.str("id")+"/revoke", nil); loc != "/ui/signin" {
		t.Errorf("revoking one's own key redirects to %q, want /ui/signin", loc)
	}
	if p := b2.get("/ui/keys"); p.status != http.StatusSeeOther {
		t.Errorf("after revoking its own key the session still works: %d", p.status)
	}
}

// testUIValidate: the editor's endpoint validates an edited definition
// without saving it, needs the CSRF token, and reports a definition that
// does not parse as invalid rather than failing.
func testUIValidate(t *testing.T, e *env) {
	b := e.signedIn()
	validate := func(def string, token string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.server.URL+"/ui/tools-validate", strings.NewReader(url.Values{"definition": {def}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		p := b.send(req)
		var out map[string]any
		_ = json.Unmarshal([]byte(p.body), &out)
		return p.status, out
	}
	paths := func(report map[string]any, kind string) string {
		var out []string
		for _, issue := range report[kind].([]any) {
			out = append(out, issue.(map[string]any)["path"].(string))
		}
		return strings.Join(out, " ")
	}
	good := `{"name":"get_order","description":"Look up an order's status and ETA. Call only after the caller gives the order id.",
		"url":"https://api.example.com/orders/{{args.id}}","input_schema":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}}`
	token := b.csrf
	tests := []struct {
		name      string
		def       string
		valid     bool
		errorPath string
	}{
		{"valid", good, true, ""},
		{"bad method", strings.Replace(good, `"url"`, `"method":"FETCH","url"`, 1), false, "method"},
		{"unknown connection", `{"name":"x","description":"Looks something up when the caller asks for it by its id.","connection":"nope","path":"/x"}`, false, "connection"},
		{"not JSON", `{"name": "x",`, false, ""},
		{"unknown field", `{"name":"x","colour":"red"}`, false, "colour"},
		{"missing description", `{"name":"x","url":"https://api.example.com/x"}`, false, "description"},
	}
	for _, tt := range tests {
		status, report := validate(tt.def, token)
		if status != http.StatusOK || report["valid"] != tt.valid {
			t.Errorf("%s: %d %v, want 200 and valid=%v", tt.name, status, report, tt.valid)
			continue
		}
		if !tt.valid && (len(report["errors"].([]any)) == 0 || !strings.Contains(paths(report, "errors"), tt.errorPath)) {
			t.Errorf("%s: errors at %q, want one at %q", tt.name, paths(report, "errors"), tt.errorPath)
		}
	}
	if status, _ := validate(good, ""); status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", status)
	}
	if items := e.must(200, "GET", "/v1/admin/tools", e.admin, nil).at("items").([]any); len(items) != 0 {
		t.Errorf("validating saved %d tools", len(items))
	}

	// The editor is wired to it, and a tool is deleted after confirmation.
	loc := b.mustPost("/ui/tools", url.Values{"definition": {good}})
	page := b.mustGet(loc)
	if !strings.Contains(page, `data-validate="/ui/tools-validate"`) || !strings.Contains(page, `id="live-validation"`) {
		t.Errorf("tool page's editor is not wired to the validation endpoint")
	}
	if body := b.mustGet(loc + "/delete"); !strings.Contains(body, `id="confirm-form"`) {
		t.Fatal("tool delete confirmation lacks its form")
	}
	b.mustPost(loc+"/delete", nil)
	if items := e.must(200, "GET", "/v1/admin/tools", e.admin, nil).at("items").([]any); len(items) != 0 {
		t.Errorf("tool not deleted")
	}
}
