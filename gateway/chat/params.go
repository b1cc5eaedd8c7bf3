package chat

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/problem"
)

// PassedParams are the request parameters passed through to the model on
// every request of the tool loop: the parameters of go-openai's
// ChatCompletionRequest (the runner's model client) that do not conflict
// with the runner's own work. max_tokens and max_completion_tokens bound
// each model request, not the whole turn.
var PassedParams = []string{
	"chat_template_kwargs", "frequency_penalty", "guided_choice", "logit_bias", "logprobs",
	"max_completion_tokens", "max_tokens", "metadata", "parallel_tool_calls", "presence_penalty",
	"reasoning_effort", "response_format", "safety_identifier", "seed", "service_tier", "stop", "store",
	"temperature", "top_logprobs", "top_p", "user", "verbosity",
}

// runnerParams are read by the runner itself: messages; model, which is
// taken and ignored (the agent's own model answers); stream and
// stream_options; n, which must be 1.
var runnerParams = []string{"messages", "model", "n", "stream", "stream_options"}

// RefusedParams are parameters go-openai could send that the runner
// refuses, with the reason the 400 gives.
var RefusedParams = map[string]string{
	"tools":         "tools are the agent's own: this endpoint attaches and runs them; send no tools or functions",
	"functions":     "tools are the agent's own: this endpoint attaches and runs them; send no tools or functions",
	"tool_choice":   "the runner decides when the agent's tools may be called; send no tool_choice",
	"function_call": "the runner decides when the agent's tools may be called; send no function_call",
	"prediction":    "prediction is refused: predicted outputs cannot be combined with tools, and every model request of the runner offers the agent's tools",
}

// streamOptions are the keys of stream_options the runner reads.
var streamOptions = []string{"include_usage"}

// chatRequest is a decoded request: the parameters as go-openai holds them
// and which keys the client sent.
type chatRequest struct {
	openai.ChatCompletionRequest
	includeUsage bool
}

// parseRequest decodes a chat completion request. Every key must be one
// the runner reads, passes through or refuses with a reason; any other is
// a 400 naming it, so nothing a client asks for is silently dropped. A key
// whose value is null counts as absent.
func parseRequest(body []byte) (*chatRequest, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, problem.FromJSON(err)
	}
	var unknown []string
	for key, value := range raw {
		if isNull(value) {
			delete(raw, key)
			continue
		}
		if reason, ok := RefusedParams[key]; ok {
			return nil, problem.BadRequestf(key, "%s", reason)
		}
		if !slices.Contains(PassedParams, key) && !slices.Contains(runnerParams, key) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, &problem.Error{Kind: problem.BadRequest,
			Message: "this endpoint does not support " + strings.Join(unknown, ", ") +
				": the runner's model client cannot send them, and they are refused rather than dropped; leave them out",
			Details: map[string]any{"unsupported": unknown, "supported": slices.Concat(runnerParams, PassedParams)}}
	}
	if err := checkStreamOptions(raw["stream_options"]); err != nil {
		return nil, err
	}
	// OpenAI takes stop as a string or a list; go-openai only as a list.
	if stop := bytes.TrimSpace(raw["stop"]); len(stop) > 0 && stop[0] == '"' {
		raw["stop"] = append(append([]byte{'['}, stop...), ']')
	}
	normalized, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	req := &chatRequest{}
	if err := json.Unmarshal(normalized, &req.ChatCompletionRequest); err != nil {
		return nil, problem.FromJSON(err)
	}
	switch {
	case len(req.Messages) == 0:
		return nil, problem.BadRequestf("messages", "messages is required and must not be empty")
	case req.N > 1:
		return nil, problem.BadRequestf("n", "n must be 1: the runner answers one choice")
	}
	// go-openai leaves out a temperature or top_p of 0 (its fields are
	// omitempty), which the model would read as the default of 1: send the
	// smallest value above 0 instead, as go-openai's docs advise.
	if _, ok := raw["temperature"]; ok && req.Temperature == 0 {
		req.Temperature = math.SmallestNonzeroFloat32
	}
	if _, ok := raw["top_p"]; ok && req.TopP == 0 {
		req.TopP = math.SmallestNonzeroFloat32
	}
	req.includeUsage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	return req, nil
}

// checkStreamOptions refuses keys of stream_options the runner does not
// read.
func checkStreamOptions(raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var opts map[string]json.RawMessage
	if err := json.Unmarshal(raw, &opts); err != nil {
		return problem.BadRequestf("stream_options", "stream_options must be an object")
	}
	for key, value := range opts {
		if !slices.Contains(streamOptions, key) && !isNull(value) {
			return problem.BadRequestf("stream_options", "this endpoint does not support stream_options.%s; it reads only include_usage", key)
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// stepRequest is the request of one step of the tool loop: the client's
// passed parameters with the agent's model, the conversation so far and
// the agent's tools.
func (r *chatRequest) stepRequest(model string, messages []openai.ChatCompletionMessage, tools []openai.Tool, last bool) openai.ChatCompletionRequest {
	req := r.ChatCompletionRequest
	req.Model = model
	req.Messages = messages
	req.Tools = tools
	req.N = 0
	req.Stream = false
	req.StreamOptions = nil
	req.ToolChoice = nil
	if last && len(tools) > 0 {
		req.ToolChoice = "none" // the last step must answer
	}
	if len(tools) == 0 {
		req.ParallelToolCalls = nil // meaningless without tools, and refused by OpenAI
	}
	return req
}
