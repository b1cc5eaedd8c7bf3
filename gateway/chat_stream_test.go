package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/store/testdb"
)

// TestChatCompletionsStreamsAsItArrives proves the answer is streamed as
// the model streams it: the model holds the rest of its answer until the
// client has received the first piece, which a runner that waits for the
// whole answer would never send.
func TestChatCompletionsStreamsAsItArrives(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	llm := newScriptedLLM(t)
	llm.hold = make(chan struct{})
	key := chatAgent(t, e, llm, map[string]any{"name": "gpt-4o-mini", "connection": "llm"})
	stream, err := openAIClient(e, key, nil).CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{
		Model: "x", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "Where is A-17?"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var text strings.Builder
	released := false
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunk.Choices {
			text.WriteString(c.Delta.Content)
			if c.Delta.Content != "" && !released {
				released = true
				close(llm.hold)
			}
		}
	}
	if llm.heldTooLong.Load() {
		t.Fatal("the first piece of the answer reached the client only after the model finished")
	}
	if text.String() != "Your order A-17 is shipped." {
		t.Errorf("streamed %q", text.String())
	}
	reqs, _ := llm.seen()
	if len(reqs) != 2 || !reqs[0].Stream || !reqs[1].Stream || reqs[0].StreamOptions != nil {
		t.Errorf("model requests: %d, want 2 streamed ones without stream_options (the client asked no usage)", len(reqs))
	}
}

// TestChatCompletionsWire checks the answer is in OpenAI's own shapes: no
// Azure content_filter_results, no empty system_fingerprint (the model's
// own is passed on), finish_reason null until the end, usage null on each
// chunk when asked for and then given once.
func TestChatCompletionsWire(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	llm := newScriptedLLM(t)
	key := chatAgent(t, e, llm, map[string]any{"name": "gpt-4o-mini", "connection": "llm"})
	msgs := []any{map[string]any{"role": "user", "content": "Where is A-17?"}}

	r := e.must(200, "POST", "/v1/chat/completions", key, map[string]any{"model": "x", "messages": msgs})
	for _, bad := range []string{"content_filter_results", `"system_fingerprint":""`} {
		if bytes.Contains(r.raw, []byte(bad)) {
			t.Errorf("completion has %s: %s", bad, r.raw)
		}
	}
	var got map[string]any
	_ = json.Unmarshal(r.raw, &got)
	choice := got["choices"].([]any)[0].(map[string]any)
	want := map[string]any{"index": 0.0, "finish_reason": "stop", "logprobs": nil,
		"message": map[string]any{"role": "assistant", "content": "Your order A-17 is shipped.", "refusal": nil}}
	if diff := cmp.Diff(want, choice); diff != "" {
		t.Errorf("choice (-want +got):\n%s", diff)
	}
	if got["system_fingerprint"] != "fp_scripted" || got["object"] != "chat.completion" {
		t.Errorf("completion: %s", r.raw)
	}

	for _, includeUsage := range []bool{false, true} {
		body := map[string]any{"model": "x", "messages": msgs, "stream": true}
		if includeUsage {
			body["stream_options"] = map[string]any{"include_usage": true}
		}
		r := e.do("POST", "/v1/chat/completions", key, body)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("stream: %d %s", r.status, r.raw)
		}
		events := strings.Split(strings.TrimSpace(string(r.raw)), "\n\n")
		if events[len(events)-1] != "data: [DONE]" {
			t.Errorf("stream does not end with [DONE]: %q", events[len(events)-1])
		}
		var usages, finishes int
		for _, ev := range events[:len(events)-1] {
			data, ok := strings.CutPrefix(ev, "data: ")
			if !ok {
				t.Fatalf("event %q", ev)
			}
			for _, bad := range []string{"content_filter_results", `"system_fingerprint":""`} {
				if strings.Contains(data, bad) {
					t.Errorf("chunk has %s: %s", bad, data)
				}
			}
			var c map[string]any
			if err := json.Unmarshal([]byte(data), &c); err != nil {
				t.Fatal(err)
			}
			u, hasUsage := c["usage"]
			if hasUsage != includeUsage {
				t.Errorf("include_usage %v: chunk %s", includeUsage, data)
			}
			if u != nil {
				usages++
				if u.(map[string]any)["total_tokens"] != 30.0 || len(c["choices"].([]any)) != 0 {
					t.Errorf("usage chunk %s, want 30 tokens over the two model requests and no choices", data)
				}
			}
			for _, ch := range c["choices"].([]any) {
				ch := ch.(map[string]any)
				if _, ok := ch["finish_reason"]; !ok {
					t.Errorf("chunk without finish_reason: %s", data)
				}
				if ch["finish_reason"] != nil {
					finishes++
				}
			}
		}
		if finishes != 1 || (includeUsage && usages != 1) {
			t.Errorf("include_usage %v: %d finish reasons, %d usage chunks:\n%s", includeUsage, finishes, usages, r.raw)
		}
	}
	reqs, _ := llm.seen()
	if last := reqs[len(reqs)-1]; last.StreamOptions == nil || !last.StreamOptions.IncludeUsage {
		t.Errorf("the model was not asked for usage when the client asked: %+v", last.StreamOptions)
	}
}

// TestChatCompletionsTurnText checks the answer holds what the model said
// over the whole turn, the same streamed or not: its words before a tool
// call, a blank line, then its answer.
func TestChatCompletionsTurnText(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	llm := newScriptedLLM(t)
	llm.preamble = "Let me check."
	key := chatAgent(t, e, llm, map[string]any{"name": "gpt-4o-mini", "connection": "llm"})
	client := openAIClient(e, key, nil)
	q := []openai.ChatCompletionMessage{{Role: "user", Content: "Where is A-17?"}}
	const want = "Let me check.\n\nYour order A-17 is shipped."
	resp, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{Model: "x", Messages: q})
	if err != nil || resp.Choices[0].Message.Content != want {
		t.Errorf("completion %+v (%v), want %q", resp.Choices, err, want)
	}
	stream, err := client.CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{Model: "x", Messages: q})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var text strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunk.Choices {
			text.WriteString(c.Delta.Content)
		}
	}
	if text.String() != want {
		t.Errorf("streamed %q, want %q", text.String(), want)
	}
	// The model's words before its call are in the conversation it is
	// given back.
	reqs, _ := llm.seen()
	if call := reqs[1].Messages[len(reqs[1].Messages)-2]; call.Content != "Let me check." || len(call.ToolCalls) != 1 ||
		call.ToolCalls[0].Function.Arguments != `{"order_id":"A-17"}` || call.ToolCalls[0].ID == "" {
		t.Errorf("assistant message fed back: %+v", call)
	}
}

// TestChatCompletionsStreamFailure checks a model that fails after the
// answer started streaming ends the stream with an error event, which the
// client library raises.
func TestChatCompletionsStreamFailure(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	llm := newScriptedLLM(t)
	llm.failMidAnswer = true
	key := chatAgent(t, e, llm, map[string]any{"name": "gpt-4o-mini", "connection": "llm"})
	stream, err := openAIClient(e, key, nil).CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{
		Model: "x", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "Where is A-17?"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var text strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			t.Fatalf("the stream ended normally after %q", text.String())
		}
		if err != nil {
			if !strings.Contains(err.Error(), "overloaded") {
				t.Errorf("stream error = %v, want the model's", err)
			}
			break
		}
		for _, c := range chunk.Choices {
			text.WriteString(c.Delta.Content)
		}
	}
	if text.String() != "Your " {
		t.Errorf("before the failure: %q", text.String())
	}
}

// TestChatCompletionsParameters checks the client's parameters reach the
// model on every request, and that those the runner cannot pass are
// refused with a 400 naming them, never dropped.
func TestChatCompletionsParameters(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	llm := newScriptedLLM(t)
	key := chatAgent(t, e, llm, map[string]any{"name": "gpt-4o-mini", "connection": "llm"})
	msgs := []any{map[string]any{"role": "user", "content": "Where is A-17?"}}
	body := map[string]any{
		"model": "x", "messages": msgs, "n": 1,
		"response_format": map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "answer", "strict": true,
			"schema": map[string]any{"type": "object", "properties": map[string]any{"status": map[string]any{"type": "string"}},
				"required": []string{"status"}, "additionalProperties": false}}},
		"reasoning_effort": "low", "metadata": map[string]any{"team": "support"}, "store": true,
		"temperature": 0, "top_p": 0.5, "stop": "END", "seed": 7, "max_completion_tokens": 300,
		"presence_penalty": 0.5, "frequency_penalty": -0.5, "logit_bias": map[string]any{"1639": 6},
		"parallel_tool_calls": false, "service_tier": "flex", "verbosity": "low", "safety_identifier": "u-hash",
		"user": "conv-params", "tool_choice": nil,
	}
	e.must(200, "POST", "/v1/chat/completions", key, body)
	sent := llm.sentBodies()
	if len(sent) != 2 {
		t.Fatalf("model requests: %d", len(sent))
	}
	for i, req := range sent {
		for _, k := range []string{"response_format", "reasoning_effort", "metadata", "store", "top_p", "seed", "max_completion_tokens",
			"presence_penalty", "frequency_penalty", "logit_bias", "parallel_tool_calls", "service_tier", "verbosity", "safety_identifier", "user"} {
			want, _ := json.Marshal(body[k])
			if got := req[k]; !jsonEqual(t, got, want) {
				t.Errorf("request %d: %s = %s, want %s", i, k, got, want)
			}
		}
		var temperature float64
		if err := json.Unmarshal(req["temperature"], &temperature); err != nil || temperature != 0 && temperature > 1e-40 {
			t.Errorf("request %d: temperature = %s, want (next to) 0", i, req["temperature"])
		}
		if string(req["stop"]) != `["END"]` {
			t.Errorf("request %d: stop = %s", i, req["stop"])
		}
		if string(req["model"]) != `"gpt-4o-mini"` {
			t.Errorf("request %d: model = %s, want the agent's", i, req["model"])
		}
		var tools []openai.Tool
		if err := json.Unmarshal(req["tools"], &tools); err != nil || len(tools) != 1 || !tools[0].Function.Strict ||
			!strings.Contains(string(req["tools"]), `"additionalProperties":false`) {
			t.Errorf("request %d: tools = %s, want get_order in strict form", i, req["tools"])
		}
	}

	for name, tc := range map[string]struct {
		body  map[string]any
		names []string
	}{
		"own tools":   {map[string]any{"tools": []any{map[string]any{"type": "function", "function": map[string]any{"name": "f"}}}}, []string{"tools"}},
		"functions":   {map[string]any{"functions": []any{map[string]any{"name": "f"}}}, []string{"functions"}},
		"tool_choice": {map[string]any{"tool_choice": "required"}, []string{"tool_choice"}},
		"prediction":  {map[string]any{"prediction": map[string]any{"type": "content", "content": "x"}}, []string{"prediction"}},
		"unknown to go-openai": {map[string]any{"audio": map[string]any{"voice": "alloy", "format": "wav"}, "modalities": []string{"text", "audio"}},
			[]string{"audio, modalities"}},
		"web search":    {map[string]any{"web_search_options": map[string]any{}}, []string{"web_search_options"}},
		"stream option": {map[string]any{"stream": true, "stream_options": map[string]any{"include_obfuscation": false}}, []string{"include_obfuscation"}},
		"n":             {map[string]any{"n": 2}, []string{"n must be 1"}},
		"wrong type":    {map[string]any{"temperature": "hot"}, []string{"temperature"}},
		"no messages":   {map[string]any{"messages": []any{}}, []string{"messages"}},
	} {
		t.Run(name, func(t *testing.T) {
			before := len(llm.sentBodies())
			req := map[string]any{"model": "x", "messages": msgs}
			for k, v := range tc.body {
				req[k] = v
			}
			r := e.do("POST", "/v1/chat/completions", key, req)
			if r.status != 400 || r.str("error.type") != "bad_request" {
				t.Fatalf("%d %s, want 400", r.status, r.raw)
			}
			for _, n := range tc.names {
				if !strings.Contains(r.str("error.message"), n) {
					t.Errorf("message %q does not name %s", r.str("error.message"), n)
				}
			}
			if len(llm.sentBodies()) != before {
				t.Error("the model was asked")
			}
		})
	}
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return cmp.Equal(x, y)
}
