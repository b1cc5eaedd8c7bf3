package gateway_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
)

func TestUIFlows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("pages", func(t *testing.T) { testUIFlowPages(t, newEnv(t, newStore)) })
		t.Run("edit", func(t *testing.T) { testUIFlowEdit(t, newEnv(t, newStore)) })
	})
}

// testUIFlowPages: the agent page links its flows; the flows page lists
// them and their sessions; a session page shows the states visited, the
// messages, the inputs and a link to each API call's run. Whatever users
// and admins typed is shown as text.
func testUIFlowPages(t *testing.T, e *env) {
	up := newFlowUpstream(t)
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{"name": "my_backend", "base_url": up.srv.URL + "/api"})
	agentID, key := e.agentWithKey("support")
	name := "Orders " + hostile
	flowID := e.publishFlow(agentID, name, orderFlow)
	start := e.must(201, "POST", sessionsPath(name), key, map[string]any{"context": map[string]any{"user_id": "u-1", "channel": "web"}})
	sessionID := start.str("session_id")
	e.must(200, "POST", "/v1/flows/sessions/"+sessionID+"/messages", key, map[string]any{"text": hostile})
	turn := e.must(200, "POST", "/v1/flows/sessions/"+sessionID+"/messages", key, map[string]any{"text": "AB1234"})
	runID := strs(turn.at("runs"))[0]

	b := e.signedIn()
	flowsPath := "/ui/agents/" + agentID + "/flows"
	flowPath := flowsPath + "/" + flowID
	sessionPath := "/ui/flow-sessions/" + sessionID
	if body := b.mustGet("/ui/agents/" + agentID); !strings.Contains(body, `href="`+flowsPath+`"`) {
		t.Errorf("the agent page does not link its flows")
	}
	list := b.mustGet(flowsPath)
	for _, want := range []string{`href="` + flowPath + `"`, `href="` + sessionPath + `"`, ">published<", "1 in all"} {
		if !strings.Contains(list, want) {
			t.Errorf("flows page lacks %q", want)
		}
	}
	page := b.mustGet(flowPath)
	for _, want := range []string{`id="validation"`, "No problems found.", `id="versions"`, "v1", "Looking that up for you...", `href="` + sessionPath + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("flow page lacks %q", want)
		}
	}
	session := b.mustGet(sessionPath)
	for _, want := range []string{
		"ask_order → fetch_order → show_status → done",                                 // the states visited
		"What is your order number?", "Your order is in_transit, arriving 2026-06-01.", // messages
		"AB1234", "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;", // inputs, as text
		`href="/ui/runs/` + runID + `"`, // the API call's run
		`href="/ui/conversations/` + sessionID + `"`,
		`href="` + flowPath + `"`,
	} {
		if !strings.Contains(session, want) {
			t.Errorf("session page lacks %q", want)
		}
	}
	// The run's page leads back to the session (not to a tool page).
	if run := b.mustGet("/ui/runs/" + runID); strings.Count(run, `href="`+sessionPath+`"`) != 2 || strings.Contains(run, `href="/ui/tools/`+flowID+`"`) {
		t.Errorf("the run page does not link its session")
	}
	for path, body := range map[string]string{flowsPath: list, flowPath: page, sessionPath: session} {
		for _, bad := range []string{"<script>alert", "<img src=x"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q unescaped", path, bad)
			}
		}
	}

	// Another workspace's admin sees none of it.
	ws2, err := tenant.Create(context.Background(), e.store, e.box, "other")
	if err != nil {
		t.Fatal(err)
	}
	admin2, err := tenant.AddAdminKey(context.Background(), e.store, ws2.ID, "other", "")
	if err != nil {
		t.Fatal(err)
	}
	other := e.browser()
	if p := other.signIn(admin2); p.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", p.status)
	}
	for _, path := range []string{flowsPath, flowPath, sessionPath} {
		if p := other.get(path); p.status != http.StatusNotFound {
			t.Errorf("other workspace GET %s: %d, want 404", path, p.status)
		}
	}
	if p := other.post(flowPath+"/publish", nil); p.status != http.StatusNotFound {
		t.Errorf("other workspace publish: %d, want 404", p.status)
	}

	// Deleting the flow keeps its sessions' pages.
	if loc := b.mustPost(flowPath+"/delete", nil); loc != flowsPath {
		t.Errorf("delete redirects to %q, want %q", loc, flowsPath)
	}
	if p := b.get(flowPath); p.status != http.StatusNotFound {
		t.Errorf("deleted flow page: %d, want 404", p.status)
	}
	if body := b.mustGet(sessionPath); strings.Contains(body, `href="`+flowPath+`"`) {
		t.Errorf("the session page links the deleted flow")
	}
}

// testUIFlowEdit: create a draft, see its errors, save a fix, publish; every
// form needs the session's CSRF token.
func testUIFlowEdit(t *testing.T, e *env) {
	agentID, _ := e.agentWithKey("support")
	b := e.signedIn()
	flowsPath := "/ui/agents/" + agentID + "/flows"
	b.mustGet(flowsPath)
	if p := b.postRaw(flowsPath, url.Values{"name": {"Orders"}, "definition": {orderFlow}}); p.status != http.StatusForbidden {
		t.Errorf("create without a token: %d, want 403", p.status)
	}
	loc := b.mustPost(flowsPath, url.Values{"name": {"Orders"}, "definition": {orderFlow}})
	if !strings.HasPrefix(loc, flowsPath+"/") {
		t.Fatalf("create redirects to %q", loc)
	}
	page := b.mustGet(loc)
	// my_backend does not exist: an error, and publishing is disabled.
	if !strings.Contains(page, "states.fetch_order.actions[0].integration") || !strings.Contains(page, "Fix the errors first") {
		t.Errorf("the draft's errors are not shown")
	}
	if p := b.post(loc+"/publish", nil); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "my_backend") {
		t.Errorf("publish with errors: %d, want 422 naming the integration: %.300s", p.status, p.body)
	}
	if p := b.post(loc, url.Values{"name": {"Orders"}, "definition": {`{"start": 1}`}}); p.status != http.StatusUnprocessableEntity {
		t.Errorf("save a definition that does not decode: %d, want 422", p.status)
	}
	if got := b.mustPost(loc, url.Values{"name": {"Hello"}, "definition": {helloFlow}}); got != loc+"?saved=1" {
		t.Errorf("save redirects to %q", got)
	}
	if p := b.postRaw(loc+"/publish", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("publish without a token: %d, want 403", p.status)
	}
	if got := b.mustPost(loc+"/publish", nil); got != loc+"?published=1" {
		t.Errorf("publish redirects to %q", got)
	}
	page = b.mustGet(loc + "?published=1")
	for _, want := range []string{"Published version 1.", "published v1", "Hello", "Hi {{context.user_id}}"} {
		if !strings.Contains(page, want) {
			t.Errorf("after publishing, the page lacks %q", want)
		}
	}
	flowID := strings.TrimPrefix(loc, flowsPath+"/")
	if r := e.must(200, "GET", "/v1/admin/agents/"+agentID+"/flows/"+flowID, e.admin, nil); r.str("name") != "Hello" || r.at("version") != 1.0 {
		t.Errorf("the flow after the console's edits: %s", r.raw)
	}
}
