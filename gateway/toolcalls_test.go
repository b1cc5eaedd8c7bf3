package gateway_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

func TestBatchToolCalls(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("openai", func(t *testing.T) { testBatchOpenAI(t, newEnv(t, newStore)) })
		t.Run("anthropic", func(t *testing.T) { testBatchAnthropic(t, newEnv(t, newStore)) })
		t.Run("responses", func(t *testing.T) { testBatchResponses(t, newEnv(t, newStore)) })
		t.Run("gemini", func(t *testing.T) { testBatchGemini(t, newEnv(t, newStore)) })
		t.Run("background", func(t *testing.T) { testBatchBackground(t, newEnv(t, newStore, envOptions{background: true})) })
	})
}

// publishBatchTools publishes get_order (echo upstream, optional verbose),
// and broken (an upstream that fails), and returns an agent key for both.
func publishBatchTools(t *testing.T, e *env, up *upstream) string {
	t.Helper()
	e.publishTool(map[string]any{
		"name": "get_order", "description": "Look up an order once the caller gave the order id.",
		"url": up.URL + "/orders/{{args.order_id}}", "query": map[string]any{"verbose": "{{args.verbose}}"},
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{
			"order_id": map[string]any{"type": "string"}, "verbose": map[string]any{"type": "boolean"}},
			"required": []string{"order_id"}},
		"response": map[string]any{"select": []string{"order.status"}},
	})
	e.publishTool(map[string]any{
		"name": "broken", "description": "A service that is down.", "url": up.URL + "/fail",
	})
	_, key := e.agentWithKey("bot", "get_order", "broken")
	return key
}

func batchUpstream(t *testing.T) *upstream {
	return newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
}

func testBatchOpenAI(t *testing.T, e *env) {
	up := batchUpstream(t)
	key := publishBatchTools(t, e, up)
	call := func(id, name, args string) map[string]any {
		return map[string]any{"id": id, "type": "function", "function": map[string]any{"name": name, "arguments": args}}
	}
	r := e.must(200, "POST", "/v1/tool-calls", key, map[string]any{
		"tool_calls": []any{
			call("call_1", "get_order", `{"order_id":"A-17"}`),
			call("call_2", "get_order", `{"order_id": "A-1`),
			call("call_3", "get_order", `{}`),
			call("call_4", "nope", `{}`),
			call("call_5", "broken", `{}`),
			call("call_6", "get_order", `{"order_id":"B-2","verbose":null}`),
		},
		"context": map[string]any{"conversation_id": "conv-batch"},
	})
	msgs, _ := r.at("messages").([]any)
	if len(msgs) != 6 {
		t.Fatalf("messages: %s", r.raw)
	}
	wants := []string{
		`{"order.status":"shipped"}`,
		"Cannot call get_order: the arguments are not valid JSON",
		"Cannot call get_order: missing required argument order_id",
		"There is no tool named nope.",
		"The broken service had an internal error (HTTP 503).",
		`{"order.status":"shipped"}`,
	}
	for i, m := range msgs {
		msg := m.(map[string]any)
		if msg["role"] != "tool" || msg["tool_call_id"] != "call_"+string(rune('1'+i)) {
			t.Errorf("message %d: %v", i, msg)
		}
		if content, _ := msg["content"].(string); !strings.Contains(content, wants[i]) {
			t.Errorf("message %d content = %q, want it to contain %q", i, content, wants[i])
		}
	}
	// A strict-mode null for an optional argument is the argument left out.
	up.mu.Lock()
	for _, seen := range up.requests {
		if seen.Path == "/orders/B-2" && seen.RawQuery != "" {
			t.Errorf("upstream saw %s?%s, want /orders/B-2 without verbose", seen.Path, seen.RawQuery)
		}
	}
	up.mu.Unlock()
	runs := e.must(200, "GET", "/v1/admin/runs?conversation=conv-batch", e.admin, nil)
	if items, _ := runs.at("items").([]any); len(items) != 5 {
		t.Errorf("runs of the conversation: %d, want 5 (every call but the unknown tool): %s", len(items), runs.raw)
	}

	for name, body := range map[string]any{
		"empty":      map[string]any{"tool_calls": []any{}},
		"both":       map[string]any{"tool_calls": []any{call("a", "get_order", "{}")}, "tool_uses": []any{map[string]any{"type": "tool_use", "id": "b", "name": "get_order", "input": map[string]any{}}}},
		"no id":      map[string]any{"tool_calls": []any{call("", "get_order", "{}")}},
		"bad type":   map[string]any{"tool_calls": []any{map[string]any{"id": "a", "type": "retrieval", "function": map[string]any{"name": "get_order"}}}},
		"unknown":    map[string]any{"tool_calls": []any{call("a", "get_order", "{}")}, "extra": true},
		"not string": map[string]any{"tool_calls": []any{map[string]any{"id": "a", "function": map[string]any{"name": "get_order", "arguments": map[string]any{}}}}},
	} {
		if r := e.do("POST", "/v1/tool-calls", key, body); r.status != 400 || r.str("error.type") != "bad_request" {
			t.Errorf("%s: %d %s, want 400", name, r.status, r.raw)
		}
	}
}

func testBatchAnthropic(t *testing.T, e *env) {
	up := batchUpstream(t)
	key := publishBatchTools(t, e, up)
	r := e.must(200, "POST", "/v1/tool-calls", key, map[string]any{
		"tool_uses": []any{
			map[string]any{"type": "tool_use", "id": "toolu_1", "name": "get_order", "input": map[string]any{"order_id": "A-17"}},
			map[string]any{"type": "tool_use", "id": "toolu_2", "name": "broken", "input": map[string]any{}},
		},
	})
	blocks, _ := r.at("tool_results").([]any)
	if len(blocks) != 2 {
		t.Fatalf("tool_results: %s", r.raw)
	}
	first, second := blocks[0].(map[string]any), blocks[1].(map[string]any)
	if first["type"] != "tool_result" || first["tool_use_id"] != "toolu_1" || first["content"] != `{"order.status":"shipped"}` || first["is_error"] != nil {
		t.Errorf("first block: %v", first)
	}
	if second["tool_use_id"] != "toolu_2" || second["is_error"] != true || !strings.Contains(second["content"].(string), "internal error") {
		t.Errorf("second block: %v", second)
	}
}

func testBatchResponses(t *testing.T, e *env) {
	up := batchUpstream(t)
	key := publishBatchTools(t, e, up)
	item := func(callID, name, args string) map[string]any {
		return map[string]any{"type": "function_call", "id": "fc_" + callID, "call_id": callID, "name": name, "arguments": args, "status": "completed"}
	}
	r := e.must(200, "POST", "/v1/tool-calls", key, map[string]any{"function_calls": []any{
		item("call_1", "get_order", `{"order_id":"A-17"}`),
		item("call_2", "get_order", `{}`),
		item("call_3", "broken", ``),
	}})
	want := map[string]any{"function_call_outputs": []any{
		map[string]any{"type": "function_call_output", "call_id": "call_1", "output": `{"order.status":"shipped"}`},
		map[string]any{"type": "function_call_output", "call_id": "call_2", "output": "(missing)"},
		map[string]any{"type": "function_call_output", "call_id": "call_3", "output": "(failed)"},
	}}
	got := r.body
	outs := got["function_call_outputs"].([]any)
	if len(outs) == 3 {
		for i, marker := range map[int]string{1: "missing required argument order_id", 2: "internal error"} {
			if out, _ := outs[i].(map[string]any)["output"].(string); strings.Contains(out, marker) {
				outs[i].(map[string]any)["output"] = want["function_call_outputs"].([]any)[i].(map[string]any)["output"]
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("function_call_outputs (-want +got):\n%s\n%s", diff, r.raw)
	}
	for name, body := range map[string]any{
		"not a function call": map[string]any{"function_calls": []any{map[string]any{"type": "message", "call_id": "c", "name": "get_order"}}},
		"no call_id":          map[string]any{"function_calls": []any{map[string]any{"type": "function_call", "name": "get_order", "arguments": "{}"}}},
		"object arguments":    map[string]any{"function_calls": []any{map[string]any{"type": "function_call", "call_id": "c", "name": "get_order", "arguments": map[string]any{}}}},
		"two protocols":       map[string]any{"function_calls": []any{item("c", "get_order", "{}")}, "parts": []any{map[string]any{"functionCall": map[string]any{"name": "get_order"}}}},
	} {
		if r := e.do("POST", "/v1/tool-calls", key, body); r.status != 400 || r.str("error.type") != "bad_request" {
			t.Errorf("%s: %d %s, want 400", name, r.status, r.raw)
		}
	}
}

func testBatchGemini(t *testing.T, e *env) {
	up := batchUpstream(t)
	key := publishBatchTools(t, e, up)
	r := e.must(200, "POST", "/v1/tool-calls", key, map[string]any{"parts": []any{
		map[string]any{"functionCall": map[string]any{"id": "g1", "name": "get_order", "args": map[string]any{"order_id": "A-17"}},
			"thoughtSignature": "c2lnbmF0dXJl"},
		map[string]any{"functionCall": map[string]any{"name": "get_order", "args": map[string]any{"order_id": 17}}},
		map[string]any{"functionCall": map[string]any{"name": "broken"}},
	}})
	parts, _ := r.at("parts").([]any)
	if len(parts) != 3 {
		t.Fatalf("parts: %s", r.raw)
	}
	first := parts[0].(map[string]any)["functionResponse"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"id": "g1", "name": "get_order", "response": map[string]any{"output": map[string]any{"order.status": "shipped"}}}, first); diff != "" {
		t.Errorf("first functionResponse (-want +got):\n%s", diff)
	}
	for i, want := range map[int]string{1: "order_id", 2: "internal error"} {
		fr := parts[i].(map[string]any)["functionResponse"].(map[string]any)
		resp := fr["response"].(map[string]any)
		if _, hasID := fr["id"]; hasID || fr["name"] == "" || resp["output"] != nil || !strings.Contains(resp["error"].(string), want) {
			t.Errorf("functionResponse %d = %v, want an error naming %s and no id", i, fr, want)
		}
	}
	for name, body := range map[string]any{
		"text part":   map[string]any{"parts": []any{map[string]any{"text": "Let me look."}}},
		"string args": map[string]any{"parts": []any{map[string]any{"functionCall": map[string]any{"name": "get_order", "args": `{"order_id":"A-17"}`}}}},
		"no name":     map[string]any{"parts": []any{map[string]any{"functionCall": map[string]any{"args": map[string]any{}}}}},
	} {
		if r := e.do("POST", "/v1/tool-calls", key, body); r.status != 400 || r.str("error.type") != "bad_request" {
			t.Errorf("%s: %d %s, want 400", name, r.status, r.raw)
		}
	}
}

func testBatchBackground(t *testing.T, e *env) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		return false
	})
	e.publishTool(map[string]any{
		"name": "create_lead", "description": "Create a callback lead.", "method": "POST", "url": up.URL + "/leads",
		"background": true,
	})
	_, key := e.agentWithKey("bot", "create_lead")
	r := e.must(200, "POST", "/v1/tool-calls", key, map[string]any{"tool_calls": []any{
		map[string]any{"id": "c1", "type": "function", "function": map[string]any{"name": "create_lead", "arguments": "{}"}},
	}})
	msgs, _ := r.at("messages").([]any)
	if len(msgs) != 1 || !strings.Contains(msgs[0].(map[string]any)["content"].(string), "was accepted and is being processed") {
		t.Errorf("background acknowledgement: %s", r.raw)
	}
}

// TestBatchToolCallsConcurrent proves a batch's calls run at the same time:
// the upstream holds each request until the other has arrived.
func TestBatchToolCallsConcurrent(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	arrived := make(chan struct{}, 2)
	both := make(chan struct{})
	var timedOut atomic.Bool
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		arrived <- struct{}{}
		select {
		case <-both:
		case <-time.After(10 * time.Second):
			timedOut.Store(true)
		}
		return false
	})
	go func() {
		<-arrived
		<-arrived
		close(both)
	}()
	e.publishTool(map[string]any{"name": "slow", "description": "A slow lookup.", "url": up.URL + "/slow"})
	_, key := e.agentWithKey("bot", "slow")
	call := func(id string) map[string]any {
		return map[string]any{"id": id, "type": "function", "function": map[string]any{"name": "slow", "arguments": "{}"}}
	}
	r := e.must(200, "POST", "/v1/tool-calls", key, map[string]any{"tool_calls": []any{call("a"), call("b")}})
	if timedOut.Load() {
		t.Fatalf("the two calls of a batch did not run concurrently: %s", r.raw)
	}
}
