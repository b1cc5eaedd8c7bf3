package gateway_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

func TestMCPTasks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		testMCPTasks(t, newEnv(t, newStore, envOptions{background: true}))
	})
}

func testMCPTasks(t *testing.T, e *env) {
	var flaky atomic.Int64
	slowHit := make(chan struct{}, 8)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/flaky":
			if flaky.Add(1) == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"saved":true}`))
			return true
		case "/slow":
			// Busy: come back in a minute, so the run waits, queued.
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
			slowHit <- struct{}{}
			return true
		}
		return false
	})
	e.publishTool(map[string]any{"name": "crm_note", "description": "Save a note.", "method": "POST", "url": up.URL + "/flaky", "background": true})
	e.publishTool(map[string]any{"name": "slow_note", "description": "Save a note slowly.", "method": "POST", "url": up.URL + "/slow",
		"background": true, "retry": map[string]any{"max_attempts": 5}})
	e.publishTool(map[string]any{"name": "lookup", "description": "Look up, in the background if asked.", "url": up.URL + "/lookup",
		"allow_background_override": true})
	e.publishTool(map[string]any{"name": "get_order", "description": "Look up an order.", "url": up.URL + "/orders"})
	e.publishTool(map[string]any{"name": "refund", "description": "Refund an order once a colleague approved it.", "method": "POST",
		"url": up.URL + "/refund", "background": true, "approval": map[string]any{"required": true}})
	_, key := e.agentWithKey("bot", "crm_note", "slow_note", "lookup", "get_order", "refund")
	_, otherKey := e.agentWithKey("other", "crm_note")
	m := e.mcpRaw(key)
	other := e.mcpRaw(otherKey)

	t.Run("capability and tool support", func(t *testing.T) {
		init := (&mcpRaw{t: t, url: m.url, client: m.client, key: key}).call("initialize", map[string]any{"protocolVersion": "2025-11-25",
			"capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "raw", "version": "1"}}).mustResult(t, "initialize")
		caps, _ := init["capabilities"].(map[string]any)
		want := map[string]any{"list": map[string]any{}, "cancel": map[string]any{}, "requests": map[string]any{"tools": map[string]any{"call": map[string]any{}}}}
		if diff := cmp.Diff(want, caps["tasks"]); diff != "" {
			t.Errorf("capabilities.tasks (-want +got):\n%s", diff)
		}
		list := m.call("tools/list", map[string]any{}).mustResult(t, "tools/list")
		got := map[string]any{}
		for _, tool := range list["tools"].([]any) {
			tool := tool.(map[string]any)
			got[tool["name"].(string)] = tool["execution"]
		}
		optional := map[string]any{"taskSupport": "optional"}
		if diff := cmp.Diff(map[string]any{"crm_note": optional, "slow_note": optional, "lookup": optional, "get_order": nil, "refund": optional}, got); diff != "" {
			t.Errorf("execution by tool (-want +got):\n%s", diff)
		}
	})

	var taskID string
	t.Run("a retried run", func(t *testing.T) {
		created := m.call("tools/call", map[string]any{"name": "crm_note", "arguments": map[string]any{"text": "hi"}, "task": map[string]any{"ttl": 60000}}).
			mustResult(t, "task-augmented tools/call")
		task, _ := created["task"].(map[string]any)
		taskID, _ = task["taskId"].(string)
		if taskID == "" || task["status"] != "working" || task["createdAt"] == nil || task["lastUpdatedAt"] == nil || task["pollInterval"] == nil {
			t.Fatalf("CreateTaskResult = %v", created)
		}
		meta, _ := created["_meta"].(map[string]any)
		if meta["io.modelcontextprotocol/model-immediate-response"] != prompts.BackgroundAccepted("crm_note") || meta["io.toolgate/run_id"] != taskID {
			t.Errorf("_meta = %v", meta)
		}
		// tasks/result waits for the end: the first attempt fails (503),
		// the retry succeeds.
		res := m.call("tasks/result", map[string]any{"taskId": taskID}).mustResult(t, "tasks/result")
		if res["isError"] == true || !cmp.Equal(res["structuredContent"], map[string]any{"saved": true}) {
			t.Errorf("tasks/result = %v", res)
		}
		meta, _ = res["_meta"].(map[string]any)
		if !cmp.Equal(meta["io.modelcontextprotocol/related-task"], map[string]any{"taskId": taskID}) {
			t.Errorf("tasks/result _meta = %v", meta)
		}
		got := m.call("tasks/get", map[string]any{"taskId": taskID}).mustResult(t, "tasks/get")
		if got["status"] != "completed" || got["taskId"] != taskID {
			t.Errorf("tasks/get = %v", got)
		}
		run := e.must(200, "GET", "/v1/admin/runs/"+taskID, e.admin, nil)
		if attempts, _ := run.at("attempts").([]any); len(attempts) != 2 || run.str("conversation_id") != m.session {
			t.Errorf("run: %d attempts, conversation %q; want 2 and the session %q", len(attempts), run.str("conversation_id"), m.session)
		}
	})

	t.Run("list", func(t *testing.T) {
		list := m.call("tasks/list", map[string]any{}).mustResult(t, "tasks/list")
		found := false
		for _, task := range list["tasks"].([]any) {
			found = found || task.(map[string]any)["taskId"] == taskID
		}
		if !found {
			t.Errorf("tasks/list = %v, want %s in it", list, taskID)
		}
		if r := m.call("tasks/list", map[string]any{"cursor": "not-a-cursor"}); r.code() != -32602 {
			t.Errorf("tasks/list with a bad cursor: %s, want -32602", r)
		}
	})

	t.Run("another agent's task is not found", func(t *testing.T) {
		for _, method := range []string{"tasks/get", "tasks/result", "tasks/cancel"} {
			if r := other.call(method, map[string]any{"taskId": taskID}); r.code() != -32602 || !strings.Contains(r.errMessage(), "not found") {
				t.Errorf("%s of another agent's task: %s, want -32602 not found", method, r)
			}
		}
		list := other.call("tasks/list", map[string]any{}).mustResult(t, "tasks/list")
		if tasks, _ := list["tasks"].([]any); len(tasks) != 0 {
			t.Errorf("the other agent lists %v", tasks)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		created := m.call("tools/call", map[string]any{"name": "slow_note", "arguments": map[string]any{}, "task": map[string]any{}}).
			mustResult(t, "task-augmented tools/call")
		id := created["task"].(map[string]any)["taskId"].(string)
		select {
		case <-slowHit:
		case <-time.After(10 * time.Second):
			t.Fatal("the upstream was never called")
		}
		cancelled := m.call("tasks/cancel", map[string]any{"taskId": id}).mustResult(t, "tasks/cancel")
		if cancelled["status"] != "cancelled" || cancelled["taskId"] != id {
			t.Errorf("tasks/cancel = %v", cancelled)
		}
		if got := m.call("tasks/get", map[string]any{"taskId": id}).mustResult(t, "tasks/get"); got["status"] != "cancelled" {
			t.Errorf("tasks/get after cancel = %v", got)
		}
		res := m.call("tasks/result", map[string]any{"taskId": id}).mustResult(t, "tasks/result")
		if res["isError"] != true {
			t.Errorf("tasks/result of a cancelled task = %v, want a tool error", res)
		}
		if r := m.call("tasks/cancel", map[string]any{"taskId": id}); r.code() != -32602 || !strings.Contains(r.errMessage(), "'cancelled'") {
			t.Errorf("cancelling again: %s, want -32602 already cancelled", r)
		}
		if r := m.call("tasks/cancel", map[string]any{"taskId": taskID}); r.code() != -32602 || !strings.Contains(r.errMessage(), "'completed'") {
			t.Errorf("cancelling a completed task: %s, want -32602", r)
		}
		run := e.must(200, "GET", "/v1/admin/runs/"+id, e.admin, nil)
		if run.str("status") != "failed" || run.str("outcome") != "cancelled" {
			t.Errorf("cancelled run: status %q outcome %q", run.str("status"), run.str("outcome"))
		}
	})

	t.Run("cancel while awaiting approval", func(t *testing.T) {
		created := m.call("tools/call", map[string]any{"name": "refund", "arguments": map[string]any{}, "task": map[string]any{}}).
			mustResult(t, "task-augmented tools/call")
		id := created["task"].(map[string]any)["taskId"].(string)
		cancelled := m.call("tasks/cancel", map[string]any{"taskId": id}).mustResult(t, "tasks/cancel")
		if cancelled["status"] != "cancelled" {
			t.Errorf("tasks/cancel of a call awaiting approval = %v, want cancelled", cancelled)
		}
		run := e.must(200, "GET", "/v1/admin/runs/"+id, e.admin, nil)
		if run.str("status") != "failed" || run.str("outcome") != "cancelled" {
			t.Errorf("withdrawn run: status %q outcome %q", run.str("status"), run.str("outcome"))
		}
		// An admin can no longer approve what the agent withdrew.
		if r := e.do("POST", "/v1/admin/runs/"+id+"/approve", e.admin, nil); r.status != 409 && r.status != 404 {
			t.Errorf("approving a withdrawn run: %d %s", r.status, r.raw)
		}
	})

	t.Run("a foreground tool that may run in the background", func(t *testing.T) {
		created := m.call("tools/call", map[string]any{"name": "lookup", "arguments": map[string]any{}, "task": map[string]any{}}).
			mustResult(t, "task-augmented tools/call")
		id := created["task"].(map[string]any)["taskId"].(string)
		res := m.call("tasks/result", map[string]any{"taskId": id}).mustResult(t, "tasks/result")
		if res["isError"] == true {
			t.Errorf("tasks/result = %v", res)
		}
		if r := e.must(200, "GET", "/v1/admin/runs/"+id, e.admin, nil); r.str("status") != "succeeded" {
			t.Errorf("run status %q", r.str("status"))
		}
	})

	t.Run("refused task calls", func(t *testing.T) {
		for _, tc := range []struct {
			name, tool string
			args       any
			wantCode   int
		}{
			{"tool without task support", "get_order", map[string]any{}, -32601},
			{"unknown tool", "nope", map[string]any{}, -32602},
			{"arguments not an object", "crm_note", []int{1}, -32602},
		} {
			r := m.call("tools/call", map[string]any{"name": tc.tool, "arguments": tc.args, "task": map[string]any{}})
			if r.status != 200 || r.code() != tc.wantCode {
				t.Errorf("%s: %s, want %d", tc.name, r, tc.wantCode)
			}
		}
		if r := m.call("tasks/get", map[string]any{"taskId": "no-such-task"}); r.code() != -32602 {
			t.Errorf("tasks/get of an unknown task: %s", r)
		}
	})
}
