package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

// TestLiteralCredentialsStayHidden: credentials written literally into a
// tool's headers or query (as the voice-platform seed's example does) are
// secrets everywhere: the upstream echoing them back does not show them in
// the result the model reads, the run record or a voice platform's reply;
// validation warns that they belong in a connection.
func TestLiteralCredentialsStayHidden(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		e := newEnv(t, newStore)
		up := newUpstream(t, nil) // echoes every header and the query back
		const bearer, apiKey, queryToken = "your-api-token-7731", "literal-key-5512", "qtok-88231"
		def := map[string]any{"name": "echo_creds", "description": "Echo the request back for a test.", "method": "GET",
			"url": up.URL + "/echo", "query": map[string]string{"access_token": queryToken},
			"headers":      map[string]string{"Authorization": "Bearer " + bearer, "X-Api-Key": apiKey},
			"input_schema": map[string]any{"type": "object"}}
		created := e.must(201, "POST", "/v1/admin/tools", e.admin, def)
		report := e.must(200, "POST", "/v1/admin/tools/"+created.str("id")+"/validate", e.admin, nil)
		warned := map[string]bool{}
		for _, w := range report.at("warnings").([]any) {
			if m := w.(map[string]any); strings.Contains(m["message"].(string), "literal credential") {
				warned[m["path"].(string)] = true
			}
		}
		for _, path := range []string{"headers.Authorization", "headers.X-Api-Key", "query.access_token"} {
			if !warned[path] {
				t.Errorf("no literal-credential warning at %s: %s", path, report.raw)
			}
		}
		e.must(200, "POST", "/v1/admin/tools/"+created.str("id")+"/publish", e.admin, nil)
		agentID, key := e.agentWithKey("bot", "echo_creds")

		r := e.must(200, "POST", "/v1/tools/echo_creds/call", key, map[string]any{"arguments": map[string]any{}})
		if got := http.Header(up.last(t).Header).Get("X-Api-Key"); got != apiKey {
			t.Fatalf("the upstream got X-Api-Key %q, want the literal value", got)
		}
		run := e.must(200, "GET", "/v1/admin/runs/"+r.str("run_id"), e.admin, nil)
		e.must(200, "PATCH", "/v1/admin/agents/"+agentID, e.admin, map[string]any{"adapters": map[string]any{"vapi": map[string]any{"secret": "vapi-secret-1234"}}})
		vapi := e.post("/v1/adapters/vapi/"+agentID, []byte(`{"message":{"type":"tool-calls","toolCallList":[{"id":"c1","name":"echo_creds","arguments":{}}]}}`),
			map[string]string{"X-Vapi-Secret": "vapi-secret-1234"})
		for what, raw := range map[string][]byte{"result": r.raw, "run record": run.raw, "vapi reply": vapi.raw} {
			for _, secret := range []string{bearer, apiKey, queryToken} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("%s shows the literal credential %q: %s", what, secret, raw)
				}
			}
		}
		if !strings.Contains(string(r.raw), "[REDACTED]") {
			t.Errorf("the echoed credentials were not replaced in the result: %s", r.raw)
		}
	})
}

// TestNetworkErrorsHideAddresses: a network failure tells the model a plain
// sentence, never the address or resolver it failed on; the run record
// keeps the detail for admins.
func TestNetworkErrorsHideAddresses(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	e.publishTool(map[string]any{"name": "down", "description": "Call a service that is down, for a test.", "method": "GET",
		"url": "http://127.0.0.1:1/down", "input_schema": map[string]any{"type": "object"}})
	_, key := e.agentWithKey("bot", "down")
	r := e.must(200, "POST", "/v1/tools/down/call", key, map[string]any{"arguments": map[string]any{}})
	if r.str("outcome") != "network_error" {
		t.Fatalf("outcome %q, want network_error: %s", r.str("outcome"), r.raw)
	}
	if msg := r.str("error.message"); strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "dial") || msg == "" {
		t.Errorf("the model reads %q", msg)
	}
	run := e.must(200, "GET", "/v1/admin/runs/"+r.str("run_id"), e.admin, nil)
	if !strings.Contains(run.str("error"), "127.0.0.1:1") {
		t.Errorf("the run record lost the detail admins need: %q", run.str("error"))
	}
}
