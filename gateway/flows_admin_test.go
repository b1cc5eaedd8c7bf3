package gateway_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
)

// orderFlow is the example: ask for an order number, look the
// order up on my_backend, show its status.
const orderFlow = `{"start": "ask_order",
 "states": {
  "ask_order": {"message": "What is your order number?",
                "input": {"save_to": "order_id", "schema": {"type": "string", "pattern": "^[A-Z0-9]{4,12}$"},
                          "retry_message": "Order numbers look like AB1234. What is yours?"},
                "transitions": [{"to": "fetch_order"}]},
  "fetch_order": {"message": "Looking that up for you...",
                  "actions": [{"type": "API_CALL", "integration": "my_backend", "path": "/orders/{{variables.order_id}}",
                               "method": "GET", "save_to": "order",
                               "success_transition": "show_status", "failure_transition": "order_error"}]},
  "show_status": {"message": "Your order is {{variables.order.status}}, arriving {{variables.order.eta}}.",
                  "transitions": [{"if": "variables.order.status == 'delayed'", "to": "offer_callback"}, {"to": "done"}]},
  "order_error": {"message": "I could not find that order.", "transitions": [{"to": "ask_order"}]},
  "offer_callback": {"message": "Sorry for the delay. We will call you back.", "transitions": [{"to": "done"}]},
  "done": {"message": "Anything else?", "end": true}}}`

// helloFlow ends at once: the smallest flow that publishes.
const helloFlow = `{"start": "hello", "states": {"hello": {"message": "Hi {{context.user_id}}", "end": true}}}`

// rawJSON decodes a JSON constant for a request body.
func rawJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decoding %.60s: %v", s, err)
	}
	return m
}

// keysOf returns the sorted keys of a JSON object.
func keysOf(v any) []string {
	m, _ := v.(map[string]any)
	return slices.Sorted(maps.Keys(m))
}

// details returns an error body's details as path → message.
func (r *response) details() map[string]string {
	out := map[string]string{}
	list, _ := r.at("error.details").([]any)
	for _, d := range list {
		m, _ := d.(map[string]any)
		path, _ := m["path"].(string)
		msg, _ := m["message"].(string)
		out[path] = msg
	}
	return out
}

func TestFlowsAdminAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("lifecycle", func(t *testing.T) { testFlowsLifecycle(t, newEnv(t, newStore)) })
		t.Run("create", func(t *testing.T) { testFlowsCreate(t, newEnv(t, newStore)) })
		t.Run("validate", func(t *testing.T) { testFlowsValidate(t, newEnv(t, newStore)) })
		t.Run("delete", func(t *testing.T) { testFlowsDelete(t, newEnv(t, newStore)) })
		t.Run("isolation", func(t *testing.T) { testFlowsIsolation(t, newEnv(t, newStore)) })
	})
}

// flowObjectKeys are the fields of the flow object, exactly.
var flowObjectKeys = []string{"agent_id", "created_at", "flow", "id", "name", "published_at", "status", "type", "updated_at", "version"}

// testFlowsLifecycle: create, list, get, patch, publish, edit after
// publishing, publish again, versions.
func testFlowsLifecycle(t *testing.T, e *env) {
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{"name": "my_backend", "base_url": "https://api.example.com"})
	agentID, _ := e.agentWithKey("support")
	base := "/v1/admin/agents/" + agentID + "/flows"

	created := e.must(201, "POST", base, e.admin, map[string]any{"name": "Onboarding Flow", "type": "conversation"})
	if diff := cmp.Diff(flowObjectKeys, keysOf(created.body)); diff != "" {
		t.Errorf("flow object fields (-want +got):\n%s", diff)
	}
	id := created.str("id")
	want := map[string]any{"id": id, "agent_id": agentID, "name": "Onboarding Flow", "type": "conversation",
		"status": "draft", "version": 0.0, "flow": map[string]any{}, "published_at": nil}
	got := maps.Clone(created.body)
	delete(got, "created_at")
	delete(got, "updated_at")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created flow (-want +got):\n%s", diff)
	}

	// The list leaves the definitions out and counts every flow.
	e.must(201, "POST", base, e.admin, map[string]any{"name": "Order status", "type": "conversation", "flow": rawJSON(t, orderFlow)})
	e.must(201, "POST", base, e.admin, map[string]any{"name": "Returns", "flow": rawJSON(t, helloFlow)})
	first := e.must(200, "GET", base+"?limit=2", e.admin, nil)
	if diff := cmp.Diff([]string{"items", "next_cursor", "total"}, keysOf(first.body)); diff != "" {
		t.Errorf("list fields (-want +got):\n%s", diff)
	}
	items := first.at("items").([]any)
	if first.at("total") != 3.0 || len(items) != 2 || first.str("next_cursor") == "" {
		t.Fatalf("first page: %s", first.raw)
	}
	for _, it := range items {
		if _, ok := it.(map[string]any)["flow"]; ok {
			t.Errorf("a listed flow carries its definition: %v", it)
		}
	}
	second := e.must(200, "GET", base+"?limit=2&cursor="+url.QueryEscape(first.str("next_cursor")), e.admin, nil)
	names := []string{}
	for _, it := range append(items, second.at("items").([]any)...) {
		names = append(names, it.(map[string]any)["name"].(string))
	}
	if diff := cmp.Diff([]string{"Onboarding Flow", "Order status", "Returns"}, names); diff != "" || second.str("next_cursor") != "" {
		t.Errorf("pages (-want +got):\n%s\nsecond page: %s", diff, second.raw)
	}

	// PATCH: flow replaces the draft entirely; name renames.
	patched := e.must(200, "PATCH", base+"/"+id, e.admin, map[string]any{"flow": rawJSON(t, helloFlow)})
	if diff := cmp.Diff(rawJSON(t, helloFlow), patched.at("flow")); diff != "" {
		t.Errorf("patched definition (-want +got):\n%s", diff)
	}
	renamed := e.must(200, "PATCH", base+"/"+id, e.admin, map[string]any{"name": "Welcome"})
	if renamed.str("name") != "Welcome" || renamed.at("flow.start") != "hello" {
		t.Errorf("rename: %s", renamed.raw)
	}
	if r := e.do("PATCH", base+"/"+id, e.admin, map[string]any{"name": "Returns"}); r.status != 409 {
		t.Errorf("rename to a taken name: %d %s, want 409", r.status, r.raw)
	}
	if r := e.do("PATCH", base+"/"+id, e.admin, map[string]any{"states": map[string]any{}}); r.status != 400 {
		t.Errorf("patch with an unknown field: %d %s, want 400", r.status, r.raw)
	}
	r := e.do("PATCH", base+"/"+id, e.admin, map[string]any{"flow": map[string]any{"start": "a", "states": map[string]any{"a": map[string]any{"mesage": "x"}}}})
	if r.status != 422 || !strings.Contains(r.details()["states.a.mesage"], "unknown field") {
		t.Errorf("patch with a definition that does not decode: %d %s, want 422 naming states.a.mesage", r.status, r.raw)
	}
	if r := e.do("PATCH", base+"/"+id, e.admin, map[string]any{"flow": []any{}}); r.status != 422 {
		t.Errorf("patch with a definition that is not an object: %d %s, want 422", r.status, r.raw)
	}

	// Publish, then edit the draft: the version stays as published.
	pub := e.must(200, "POST", base+"/"+id+"/publish", e.admin, nil)
	if diff := cmp.Diff([]string{"id", "published_at", "status", "version"}, keysOf(pub.body)); diff != "" ||
		pub.str("id") != id || pub.str("status") != "published" || pub.at("version") != 1.0 {
		t.Errorf("publish: %s (fields -want +got:\n%s)", pub.raw, diff)
	}
	got1 := e.must(200, "GET", base+"/"+id, e.admin, nil)
	if got1.str("status") != "published" || got1.at("version") != 1.0 || got1.str("published_at") != pub.str("published_at") {
		t.Errorf("after publish: %s", got1.raw)
	}
	e.must(200, "PATCH", base+"/"+id, e.admin, map[string]any{"flow": rawJSON(t, strings.Replace(helloFlow, "Hi", "Hello", 1))})
	pub2 := e.must(200, "POST", base+"/"+id+"/publish", e.admin, nil)
	if pub2.at("version") != 2.0 {
		t.Errorf("second publish: %s", pub2.raw)
	}
	versions := e.must(200, "GET", base+"/"+id+"/versions", e.admin, nil)
	vs := versions.at("items").([]any)
	if len(vs) != 2 {
		t.Fatalf("versions: %s", versions.raw)
	}
	for i, wantMessage := range []string{"Hi {{context.user_id}}", "Hello {{context.user_id}}"} {
		v := vs[i].(map[string]any)
		msg := v["flow"].(map[string]any)["states"].(map[string]any)["hello"].(map[string]any)["message"]
		if v["version"] != float64(i+1) || msg != wantMessage || v["name"] != "Welcome" {
			t.Errorf("version %d: %v", i+1, v)
		}
	}
}

// testFlowsCreate: what a create refuses.
func testFlowsCreate(t *testing.T, e *env) {
	agentID, _ := e.agentWithKey("support")
	otherAgent, _ := e.agentWithKey("sales")
	base := "/v1/admin/agents/" + agentID + "/flows"
	e.must(201, "POST", base, e.admin, map[string]any{"name": "Orders", "type": "conversation"})
	// Names are unique per agent, not per workspace.
	e.must(201, "POST", "/v1/admin/agents/"+otherAgent+"/flows", e.admin, map[string]any{"name": "Orders", "type": "conversation"})

	for _, c := range []struct {
		name   string
		body   any
		status int
		// path and message name a detail of a 422.
		path, message string
	}{
		{"meta", map[string]any{"name": "Menu", "type": "meta"}, 422, "type", "not supported"},
		{"unknown type", map[string]any{"name": "Menu", "type": "chat"}, 422, "type", "conversation"},
		{"taken name", map[string]any{"name": "Orders", "type": "conversation"}, 409, "", ""},
		{"taken name, spaces trimmed", map[string]any{"name": " Orders ", "type": "conversation"}, 409, "", ""},
		{"empty name", map[string]any{"name": "  ", "type": "conversation"}, 422, "name", "printable"},
		{"line break", map[string]any{"name": "Orders\r\nX-Evil: 1", "type": "conversation"}, 422, "name", "printable"},
		{"control character", map[string]any{"name": "Or\x00ders"}, 422, "name", "printable"},
		{"too long", map[string]any{"name": strings.Repeat("n", 101)}, 422, "name", "printable"},
		{"unknown field", map[string]any{"name": "X", "flows": map[string]any{}}, 400, "", ""},
		{"definition that does not decode", map[string]any{"name": "X", "flow": map[string]any{"start": 1}}, 422, "start", ""},
		{"definition not an object", map[string]any{"name": "X", "flow": "hi"}, 422, "flow", "JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", base, e.admin, c.body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.raw)
			}
			if c.path == "" {
				return
			}
			msg, ok := r.details()[c.path]
			if !ok || !strings.Contains(msg, c.message) {
				t.Errorf("details %v, want %s: ...%s...", r.details(), c.path, c.message)
			}
		})
	}
	if r := e.do("POST", "/v1/admin/agents/"+store.NewID()+"/flows", e.admin, map[string]any{"name": "X"}); r.status != 404 {
		t.Errorf("create for a missing agent: %d %s, want 404", r.status, r.raw)
	}
	if r := e.do("GET", "/v1/admin/agents/"+store.NewID()+"/flows", e.admin, nil); r.status != 404 {
		t.Errorf("list of a missing agent: %d %s, want 404", r.status, r.raw)
	}
	// Printable text beyond ASCII is a name.
	r := e.must(201, "POST", base, e.admin, map[string]any{"name": "Hali ya oda · 注文"})
	if r.str("name") != "Hali ya oda · 注文" {
		t.Errorf("unicode name: %s", r.raw)
	}
}

// testFlowsValidate: errors and warnings, status unchanged; publishing a
// draft with errors is 422 with them; a tool action needs a published tool
// the agent has activated.
func testFlowsValidate(t *testing.T, e *env) {
	agentID, _ := e.agentWithKey("support")
	base := "/v1/admin/agents/" + agentID + "/flows"
	id := e.must(201, "POST", base, e.admin, map[string]any{"name": "Orders", "flow": rawJSON(t, orderFlow)}).str("id")

	// my_backend does not exist yet.
	r := e.must(200, "POST", base+"/"+id+"/validate", e.admin, nil)
	if diff := cmp.Diff([]string{"errors", "valid", "warnings"}, keysOf(r.body)); diff != "" {
		t.Errorf("report fields (-want +got):\n%s", diff)
	}
	if r.at("valid") != false || !strings.Contains(reportPaths(r, "errors")["states.fetch_order.actions[0].integration"], "my_backend") {
		t.Errorf("validate without the connection: %s", r.raw)
	}
	if g := e.must(200, "GET", base+"/"+id, e.admin, nil); g.str("status") != "draft" || g.at("version") != 0.0 {
		t.Errorf("validate changed the flow: %s", g.raw)
	}
	p := e.do("POST", base+"/"+id+"/publish", e.admin, nil)
	if p.status != 422 || !strings.Contains(p.details()["states.fetch_order.actions[0].integration"], "my_backend") {
		t.Errorf("publish with errors: %d %s, want 422 with the error", p.status, p.raw)
	}
	if v := e.must(200, "GET", base+"/"+id+"/versions", e.admin, nil); len(v.at("items").([]any)) != 0 {
		t.Errorf("a refused publish made a version: %s", v.raw)
	}

	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{"name": "my_backend", "base_url": "https://api.example.com"})
	r = e.must(200, "POST", base+"/"+id+"/validate", e.admin, nil)
	if r.at("valid") != true || len(r.at("errors").([]any)) != 0 {
		t.Errorf("validate with the connection: %s", r.raw)
	}

	// Warnings do not block; a broken definition reports its problems.
	withWarnings := `{"start": "a", "states": {"a": {"message": "x", "input": {}, "transitions": [{"if": "message == '1'", "to": "b"}]},
	  "b": {"message": "{{variables.never_set}}", "end": true}, "orphan": {"message": "o", "end": true}}}`
	e.must(200, "PATCH", base+"/"+id, e.admin, map[string]any{"flow": rawJSON(t, withWarnings)})
	r = e.must(200, "POST", base+"/"+id+"/validate", e.admin, nil)
	warnings := reportPaths(r, "warnings")
	if r.at("valid") != true || warnings["states.a.transitions"] != "No fallback transition defined - users may get stuck." ||
		warnings["states.orphan"] == "" {
		t.Errorf("warnings: %s", r.raw)
	}
	broken := `{"start": "nowhere", "states": {"a": {"transitions": [{"if": "variables.x ==", "to": "b"}]}}}`
	e.must(200, "PATCH", base+"/"+id, e.admin, map[string]any{"flow": rawJSON(t, broken)})
	errs := reportPaths(e.must(200, "POST", base+"/"+id+"/validate", e.admin, nil), "errors")
	for _, path := range []string{"start", "states.a.transitions[0].if", "states.a.transitions[0].to"} {
		if errs[path] == "" {
			t.Errorf("no error at %s: %v", path, errs)
		}
	}

	// A tool action: the tool must be published and activated for the agent.
	toolFlow := `{"start": "a", "states": {"a": {"actions": [{"type": "API_CALL", "tool": "get_order", "args": {"order_id": "A1"},
	  "success_transition": "b", "failure_transition": "b"}]}, "b": {"message": "ok", "end": true}}}`
	e.must(200, "PATCH", base+"/"+id, e.admin, map[string]any{"flow": rawJSON(t, toolFlow)})
	toolPath := "states.a.actions[0].tool"
	e.publishTool(orderTool)
	if errs := reportPaths(e.must(200, "POST", base+"/"+id+"/validate", e.admin, nil), "errors"); errs[toolPath] == "" {
		t.Errorf("a tool the agent has not activated validates: %v", errs)
	}
	e.must(200, "PATCH", "/v1/admin/agents/"+agentID, e.admin, map[string]any{"tools": []any{map[string]any{"name": "get_order"}}})
	if r := e.must(200, "POST", base+"/"+id+"/validate", e.admin, nil); r.at("valid") != true {
		t.Errorf("an activated published tool does not validate: %s", r.raw)
	}
}

// reportPaths returns a report's errors or warnings as path → message.
func reportPaths(r *response, list string) map[string]string {
	out := map[string]string{}
	items, _ := r.at(list).([]any)
	for _, it := range items {
		m := it.(map[string]any)
		out[m["path"].(string)] = m["message"].(string)
	}
	return out
}

// testFlowsDelete: deleting a flow ends its open sessions, saying why; their
// history stays readable and they take no more messages.
func testFlowsDelete(t *testing.T, e *env) {
	agentID, agentKey := e.agentWithKey("support")
	base := "/v1/admin/agents/" + agentID + "/flows"
	waiting := `{"start": "ask", "states": {"ask": {"message": "Name?", "input": {"save_to": "name"}, "transitions": [{"to": "bye"}]},
	  "bye": {"message": "Bye {{variables.name}}", "end": true}}}`
	id := e.must(201, "POST", base, e.admin, map[string]any{"name": "Ask", "flow": rawJSON(t, waiting)}).str("id")
	e.must(200, "POST", base+"/"+id+"/publish", e.admin, nil)
	start := map[string]any{"context": map[string]any{"user_id": "u-1"}}
	open := e.must(201, "POST", "/v1/flows/Ask/sessions", agentKey, start).str("session_id")
	done := e.must(201, "POST", "/v1/flows/Ask/sessions", agentKey, start).str("session_id")
	e.must(200, "POST", "/v1/flows/sessions/"+done+"/messages", agentKey, map[string]any{"text": "Ann"})

	e.must(204, "DELETE", base+"/"+id, e.admin, nil)
	if r := e.do("GET", base+"/"+id, e.admin, nil); r.status != 404 {
		t.Errorf("deleted flow: %d, want 404", r.status)
	}
	s := e.must(200, "GET", "/v1/flows/sessions/"+open, agentKey, nil)
	if s.str("status") != "ended" || s.str("reason") != "the flow was deleted" || len(s.at("history").([]any)) == 0 {
		t.Errorf("open session after the delete: %s", s.raw)
	}
	if s := e.must(200, "GET", "/v1/flows/sessions/"+done, agentKey, nil); s.str("status") != "ended" || s.str("reason") != "" {
		t.Errorf("a finished session changed: %s", s.raw)
	}
	if r := e.do("POST", "/v1/flows/sessions/"+open+"/messages", agentKey, map[string]any{"text": "Ann"}); r.status != 409 || r.str("error.type") != "session_closed" {
		t.Errorf("message to an ended session: %d %s, want 409 session_closed", r.status, r.raw)
	}
	if r := e.do("POST", "/v1/flows/Ask/sessions", agentKey, start); r.status != 404 {
		t.Errorf("start of a deleted flow: %d %s, want 404", r.status, r.raw)
	}
	if r := e.do("DELETE", base+"/"+id, e.admin, nil); r.status != 404 {
		t.Errorf("second delete: %d, want 404", r.status)
	}
}

// testFlowsIsolation: an agent key is 403; another workspace's admin sees
// nothing (404) and cannot reach the flow through its own agent either.
func testFlowsIsolation(t *testing.T, e *env) {
	agentID, agentKey := e.agentWithKey("support")
	base := "/v1/admin/agents/" + agentID + "/flows"
	id := e.must(201, "POST", base, e.admin, map[string]any{"name": "Hello", "flow": rawJSON(t, helloFlow)}).str("id")

	ctx := context.Background()
	ws2, err := tenant.Create(ctx, e.store, e.box, "other")
	if err != nil {
		t.Fatal(err)
	}
	admin2, err := tenant.AddAdminKey(ctx, e.store, ws2.ID, "other", "")
	if err != nil {
		t.Fatal(err)
	}
	agent2 := e.must(201, "POST", "/v1/admin/agents", admin2, map[string]any{"name": "theirs"}).str("id")

	endpoints := []struct{ method, path string }{
		{"GET", base},
		{"POST", base},
		{"GET", base + "/" + id},
		{"PATCH", base + "/" + id},
		{"DELETE", base + "/" + id},
		{"POST", base + "/" + id + "/validate"},
		{"POST", base + "/" + id + "/publish"},
		{"GET", base + "/" + id + "/versions"},
		// The flow through the other workspace's own agent.
		{"GET", "/v1/admin/agents/" + agent2 + "/flows/" + id},
		{"PATCH", "/v1/admin/agents/" + agent2 + "/flows/" + id},
		{"DELETE", "/v1/admin/agents/" + agent2 + "/flows/" + id},
		{"POST", "/v1/admin/agents/" + agent2 + "/flows/" + id + "/publish"},
	}
	body := func(method string) any {
		switch method {
		case "POST":
			return map[string]any{"name": "Intruder"}
		case "PATCH":
			return map[string]any{"name": "Renamed"}
		}
		return nil
	}
	for _, c := range endpoints {
		if r := e.do(c.method, c.path, agentKey, body(c.method)); r.status != 403 {
			t.Errorf("agent key %s %s: %d, want 403", c.method, c.path, r.status)
		}
		if r := e.do(c.method, c.path, admin2, body(c.method)); r.status != 404 {
			t.Errorf("other workspace %s %s: %d %s, want 404", c.method, c.path, r.status, r.raw)
		}
	}
	// Nothing changed.
	g := e.must(200, "GET", base+"/"+id, e.admin, nil)
	if g.str("name") != "Hello" || g.str("status") != "draft" {
		t.Errorf("the flow changed: %s", g.raw)
	}
	if l := e.must(200, "GET", base, e.admin, nil); l.at("total") != 1.0 {
		t.Errorf("the agent's flows changed: %s", l.raw)
	}
}
