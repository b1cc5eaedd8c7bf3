package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

// scriptedLLM is a loopback model API speaking OpenAI chat completions,
// streamed (server-sent chunks, the tool call's arguments in pieces) when
// asked: it asks for get_order until it has a tool result, then answers
// from it.
type scriptedLLM struct {
	*httptest.Server
	mu       sync.Mutex
	requests []openai.ChatCompletionRequest
	bodies   []map[string]json.RawMessage
	auth     []string
	// alwaysCall makes it ask for a tool call on every request.
	alwaysCall bool
	// preamble is text said along with the tool call.
	preamble string
	// hold, when set, holds a streamed answer after its first piece of
	// text until it is closed; heldTooLong records a hold that ran out.
	hold        chan struct{}
	heldTooLong atomic.Bool
	// failMidAnswer makes a streamed answer break off with an error event
	// after its first piece of text.
	failMidAnswer bool
}

func newScriptedLLM(t *testing.T) *scriptedLLM {
	l := &scriptedLLM{}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		var req openai.ChatCompletionRequest
		var raw map[string]json.RawMessage
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		_ = json.Unmarshal(body, &raw)
		l.mu.Lock()
		l.requests = append(l.requests, req)
		l.bodies = append(l.bodies, raw)
		l.auth = append(l.auth, r.Header.Get("Authorization"))
		always := l.alwaysCall
		l.mu.Unlock()
		last := req.Messages[len(req.Messages)-1]
		msg := openai.ChatCompletionMessage{Role: "assistant"}
		finish := openai.FinishReasonStop
		if last.Role == "tool" && !always {
			msg.Content = "Your order A-17 is " + statusIn(last.Content) + "."
		} else {
			msg.Content = l.preamble
			msg.ToolCalls = []openai.ToolCall{{ID: "call_" + string(rune('a'+len(req.Messages))), Type: "function",
				Function: openai.FunctionCall{Name: "get_order", Arguments: `{"order_id":"A-17"}`}}}
			finish = openai.FinishReasonToolCalls
		}
		if req.Stream {
			l.stream(w, &req, msg, finish)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(openai.ChatCompletionResponse{ID: "chatcmpl-upstream", Object: "chat.completion", Model: req.Model,
			Choices:           []openai.ChatCompletionChoice{{Message: msg, FinishReason: finish}},
			Usage:             openai.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15},
			SystemFingerprint: "fp_scripted"})
	}))
	t.Cleanup(l.Close)
	return l
}

// stream sends msg as OpenAI streams it: a role chunk, the text in pieces,
// each tool call's id and name and then its arguments in two pieces, the
// finish reason, and the usage when asked for.
func (l *scriptedLLM) stream(w http.ResponseWriter, req *openai.ChatCompletionRequest, msg openai.ChatCompletionMessage, finish openai.FinishReason) {
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(delta map[string]any, finish any) {
		c := map[string]any{"id": "chatcmpl-upstream", "object": "chat.completion.chunk", "created": 1, "model": req.Model,
			"system_fingerprint": "fp_scripted", "choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
		data, _ := json.Marshal(c)
		fmt.Fprintf(w, "data: %s\n\n", data)
		w.(http.Flusher).Flush()
	}
	send(map[string]any{"role": "assistant", "content": ""}, nil)
	for i, word := range strings.SplitAfter(msg.Content, " ") {
		if word == "" {
			continue
		}
		send(map[string]any{"content": word}, nil)
		if i == 0 && l.failMidAnswer && len(msg.ToolCalls) == 0 {
			fmt.Fprint(w, `data: {"error": {"message": "the model is overloaded", "type": "server_error"}}`+"\n\n")
			return
		}
		if i == 0 && l.hold != nil && len(msg.ToolCalls) == 0 {
			select {
			case <-l.hold:
			case <-time.After(10 * time.Second):
				l.heldTooLong.Store(true)
			}
		}
	}
	for i, tc := range msg.ToolCalls {
		send(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": tc.ID, "type": "function",
			"function": map[string]any{"name": tc.Function.Name, "arguments": ""}}}}, nil)
		half := len(tc.Function.Arguments) / 2
		for _, piece := range []string{tc.Function.Arguments[:half], tc.Function.Arguments[half:]} {
			send(map[string]any{"tool_calls": []any{map[string]any{"index": i, "function": map[string]any{"arguments": piece}}}}, nil)
		}
	}
	send(map[string]any{}, finish)
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		data, _ := json.Marshal(map[string]any{"id": "chatcmpl-upstream", "object": "chat.completion.chunk", "created": 1, "model": req.Model,
			"choices": []any{}, "usage": map[string]any{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
		fmt.Fprintf(w, "data: %s\n\n", data)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// statusIn reads the status out of the tool result the model was given.
func statusIn(content string) string {
	var v map[string]any
	if json.Unmarshal([]byte(content), &v) != nil {
		return "unknown"
	}
	s, _ := v["order.status"].(string)
	return s
}

// sentBodies returns the model requests as JSON objects.
func (l *scriptedLLM) sentBodies() []map[string]json.RawMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]map[string]json.RawMessage(nil), l.bodies...)
}

func (l *scriptedLLM) seen() ([]openai.ChatCompletionRequest, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]openai.ChatCompletionRequest(nil), l.requests...), append([]string(nil), l.auth...)
}

// chatAgent sets up get_order on an echo upstream, a connection holding
// the model API key, and an agent with model settings; it returns the
// agent key.
func chatAgent(t *testing.T, e *env, llm *scriptedLLM, model map[string]any) string {
	t.Helper()
	up := newUpstream(t, nil)
	e.publishTool(map[string]any{
		"name": "get_order", "description": "Look up an order's status once the caller gave the order id.",
		"url": up.URL + "/orders/{{args.order_id}}",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{
			"order_id": map[string]any{"type": "string"}}, "required": []string{"order_id"}},
		"response": map[string]any{"select": []string{"order.status"}},
	})
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "llm", "base_url": llm.URL + "/v1", "secrets": map[string]any{"api_key": "sk-test-123"}})
	a := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{
		"name": "shop", "instructions": "You are Acme Shop's assistant.",
		"tools": []any{map[string]any{"name": "get_order"}}, "model": model})
	k := e.must(201, "POST", "/v1/admin/keys", e.admin, map[string]any{"name": "shop-key", "role": "agent", "agent_id": a.str("id")})
	return k.str("key")
}

// openAIClient is the official Go client pointed at the gateway.
func openAIClient(e *env, key string, header http.Header) *openai.Client {
	cfg := openai.DefaultConfig(key)
	cfg.BaseURL = e.server.URL + "/v1"
	cfg.HTTPClient = &http.Client{Transport: headerTransport{header: header}}
	return openai.NewClientWithConfig(cfg)
}

type headerTransport struct{ header http.Header }

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.header {
		r.Header[k] = v
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestChatCompletions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		e := newEnv(t, newStore)
		llm := newScriptedLLM(t)
		key := chatAgent(t, e, llm, map[string]any{"name": "gpt-4o-mini", "connection": "llm"})
		ctx := context.Background()
		question := []openai.ChatCompletionMessage{{Role: "user", Content: "Where is my order A-17?"}}

		t.Run("tool loop", func(t *testing.T) {
			client := openAIClient(e, key, http.Header{"X-Toolgate-Conversation-Id": {"conv-chat-1"}})
			resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: "anything", Messages: question})
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Choices[0].Message.Content; got != "Your order A-17 is shipped." {
				t.Errorf("answer = %q", got)
			}
			if resp.Model != "gpt-4o-mini" || resp.Object != "chat.completion" || resp.Choices[0].FinishReason != "stop" || resp.Usage.TotalTokens != 30 {
				t.Errorf("completion = %+v", resp)
			}
			if got := resp.Header().Get("X-Toolgate-Conversation-Id"); got != "conv-chat-1" {
				t.Errorf("conversation header = %q", got)
			}
			reqs, auth := llm.seen()
			if len(reqs) != 2 {
				t.Fatalf("model requests: %d, want 2", len(reqs))
			}
			first, second := reqs[0], reqs[1]
			if first.Model != "gpt-4o-mini" || auth[0] != "Bearer sk-test-123" {
				t.Errorf("model request: model %q, auth %q", first.Model, auth[0])
			}
			sys := first.Messages[0]
			if sys.Role != "system" || !strings.HasPrefix(sys.Content, "You are Acme Shop's assistant.") ||
				!strings.Contains(sys.Content, "- get_order: Look up an order's status once the caller gave the order id.") ||
				!strings.Contains(sys.Content, "Never invent") {
				t.Errorf("system message = %q", sys.Content)
			}
			if len(first.Tools) != 1 || first.Tools[0].Function.Name != "get_order" {
				t.Errorf("tools offered: %+v", first.Tools)
			}
			toolMsg := second.Messages[len(second.Messages)-1]
			if toolMsg.Role != "tool" || toolMsg.ToolCallID == "" || toolMsg.Content != `{"order.status":"shipped"}` {
				t.Errorf("tool message fed back = %+v", toolMsg)
			}
			if call := second.Messages[len(second.Messages)-2]; call.Role != "assistant" || len(call.ToolCalls) != 1 {
				t.Errorf("assistant tool-call message = %+v", call)
			}
			runs := e.must(200, "GET", "/v1/admin/runs?conversation=conv-chat-1", e.admin, nil)
			if items, _ := runs.at("items").([]any); len(items) != 1 || items[0].(map[string]any)["tool"] != "get_order" && items[0].(map[string]any)["tool_name"] != "get_order" {
				t.Errorf("runs of the conversation: %s", runs.raw)
			}
		})

		t.Run("stream", func(t *testing.T) {
			client := openAIClient(e, key, nil)
			stream, err := client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{Model: "anything", Messages: question, Stream: true,
				StreamOptions: &openai.StreamOptions{IncludeUsage: true}})
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			var text strings.Builder
			var finish openai.FinishReason
			var usage *openai.Usage
			for {
				chunk, err := stream.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if chunk.Object != "chat.completion.chunk" {
					t.Errorf("chunk object = %q", chunk.Object)
				}
				if chunk.Usage != nil {
					usage = chunk.Usage
				}
				for _, c := range chunk.Choices {
					text.WriteString(c.Delta.Content)
					if c.FinishReason != "" {
						finish = c.FinishReason
					}
				}
			}
			if text.String() != "Your order A-17 is shipped." || finish != "stop" || usage == nil || usage.TotalTokens != 30 {
				t.Errorf("streamed %q, finish %q, usage %+v", text.String(), finish, usage)
			}
			if conv := stream.Header().Get("X-Toolgate-Conversation-Id"); conv == "" {
				t.Error("no conversation id on the stream")
			}
		})

		t.Run("requests refused", func(t *testing.T) {
			for name, body := range map[string]any{
				"no messages": map[string]any{"model": "x", "messages": []any{}},
				"own tools": map[string]any{"model": "x", "messages": []any{map[string]any{"role": "user", "content": "hi"}},
					"tools": []any{map[string]any{"type": "function", "function": map[string]any{"name": "f"}}}},
			} {
				if r := e.do("POST", "/v1/chat/completions", key, body); r.status != 400 {
					t.Errorf("%s: %d %s, want 400", name, r.status, r.raw)
				}
			}
		})
	})
}

func TestChatCompletionsMaxSteps(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	llm := newScriptedLLM(t)
	llm.alwaysCall = true
	key := chatAgent(t, e, llm, map[string]any{"name": "gpt-4o-mini", "connection": "llm", "max_steps": 3})
	r := e.must(200, "POST", "/v1/chat/completions", key, map[string]any{"model": "x", "user": "conv-steps",
		"messages": []any{map[string]any{"role": "user", "content": "Where is A-17?"}}})
	if got := r.at("choices").([]any)[0].(map[string]any)["finish_reason"]; got != "length" {
		t.Errorf("finish_reason = %v, want length: %s", got, r.raw)
	}
	reqs, _ := llm.seen()
	if len(reqs) != 3 {
		t.Fatalf("model requests: %d, want max_steps = 3", len(reqs))
	}
	if reqs[2].ToolChoice != "none" || reqs[0].ToolChoice != nil {
		t.Errorf("tool_choice: first %v, last %v; want the last step to forbid tool calls", reqs[0].ToolChoice, reqs[2].ToolChoice)
	}
	runs := e.must(200, "GET", "/v1/admin/runs?conversation=conv-steps", e.admin, nil)
	if items, _ := runs.at("items").([]any); len(items) != 2 {
		t.Errorf("runs: %d, want 2 (steps 1 and 2 ran tools)", len(items))
	}
}

func TestChatCompletionsNotRunnable(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	_, key := e.agentWithKey("plain")
	msg := map[string]any{"model": "x", "messages": []any{map[string]any{"role": "user", "content": "hi"}}}
	r := e.must(409, "POST", "/v1/chat/completions", key, msg)
	if !strings.Contains(r.str("error.message"), "no model") {
		t.Errorf("no model settings: %s", r.raw)
	}

	// A model API that fails is a 502 saying what it answered, without the
	// key it echoes back.
	const llmKey = "sk-live-model-key-0123456789"
	llm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		sent := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		_, _ = w.Write([]byte(`{"error":{"message":"Incorrect API key provided: ` + sent + `","type":"invalid_request_error"}}`))
	}))
	t.Cleanup(llm.Close)
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{"name": "llm", "base_url": llm.URL,
		"secrets": map[string]any{"api_key": llmKey}})
	a := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "bad-llm", "model": map[string]any{"name": "m", "connection": "llm"}})
	k := e.must(201, "POST", "/v1/admin/keys", e.admin, map[string]any{"name": "k2", "role": "agent", "agent_id": a.str("id")})
	r = e.must(502, "POST", "/v1/chat/completions", k.str("key"), msg)
	if r.str("error.type") != "model_error" || !strings.Contains(r.str("error.message"), "401") || !strings.Contains(r.str("error.message"), "[REDACTED]") {
		t.Errorf("model API failure: %s", r.raw)
	}
	if strings.Contains(string(r.raw), llmKey) || strings.Contains(e.logs.String(), llmKey) {
		t.Errorf("the model API key reached the answer or the logs")
	}
}

// TestChatCompletionsEgressGuard checks the model API is reached through
// the guarded client: with loopback not allowed, the call is refused.
func TestChatCompletionsEgressGuard(t *testing.T) {
	e := newEnv(t, testdb.SQLite, envOptions{allow: []netip.Prefix{}})
	llm := newScriptedLLM(t)
	a := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "guarded", "model": map[string]any{"name": "m", "base_url": llm.URL + "/v1"}})
	k := e.must(201, "POST", "/v1/admin/keys", e.admin, map[string]any{"name": "k", "role": "agent", "agent_id": a.str("id")})
	r := e.must(502, "POST", "/v1/chat/completions", k.str("key"), map[string]any{"model": "x", "messages": []any{map[string]any{"role": "user", "content": "hi"}}})
	if !strings.Contains(r.str("error.message"), "blocked") {
		t.Errorf("blocked model API: %s", r.raw)
	}
	if reqs, _ := llm.seen(); len(reqs) != 0 {
		t.Errorf("the model API got %d requests through the guard", len(reqs))
	}
}
