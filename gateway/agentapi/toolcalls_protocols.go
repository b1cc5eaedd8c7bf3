package agentapi

import (
	"bytes"
	"encoding/json"

	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/invoke"
)

// OpenAI chat completions: a tool_call of an assistant message, answered
// by a tool message.

// toolMessage is an OpenAI chat message with a tool's result.
type toolMessage struct {
	Role       string `json:"role"`
	ToolCallID string `json:"tool_call_id"`
	Content    string `json:"content"`
}

func decodeOpenAIToolCall(raw json.RawMessage, i int) (pendingCall, error) {
	var tc openai.ToolCall
	if err := json.Unmarshal(raw, &tc); err != nil {
		return pendingCall{}, badCall("tool_calls", i, "is not an OpenAI tool call object: %v", err)
	}
	if tc.ID == "" || tc.Function.Name == "" {
		return pendingCall{}, badCall("tool_calls", i, "needs an id and a function name")
	}
	if tc.Type != "" && tc.Type != openai.ToolTypeFunction {
		return pendingCall{}, badCall("tool_calls", i, "type must be function")
	}
	return pendingCall{id: tc.ID, name: tc.Function.Name, args: json.RawMessage(tc.Function.Arguments), token: confirmationToken(raw)}, nil
}

func encodeOpenAIToolMessage(c pendingCall, a invoke.Answer) any {
	return toolMessage{Role: openai.ChatMessageRoleTool, ToolCallID: c.id, Content: a.Text}
}

// Anthropic Messages: a tool_use content block, answered by a tool_result
// block.

// anthropicToolUse is an Anthropic tool_use content block.
type anthropicToolUse struct {
	Type  string          `json:"type"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

// toolResultBlock is an Anthropic tool_result content block.
type toolResultBlock struct {
	Type      string `json:"type"`
	ToolUseID string `json:"tool_use_id"`
	Content   string `json:"content"`
	IsError   bool   `json:"is_error,omitempty"`
}

func decodeAnthropicToolUse(raw json.RawMessage, i int) (pendingCall, error) {
	var tu anthropicToolUse
	if err := json.Unmarshal(raw, &tu); err != nil {
		return pendingCall{}, badCall("tool_uses", i, "is not an Anthropic tool_use block: %v", err)
	}
	if tu.ID == "" || tu.Name == "" || (tu.Type != "" && tu.Type != "tool_use") {
		return pendingCall{}, badCall("tool_uses", i, "needs type tool_use, an id and a name")
	}
	return pendingCall{id: tu.ID, name: tu.Name, args: tu.Input, token: confirmationToken(raw)}, nil
}

func encodeAnthropicToolResult(c pendingCall, a invoke.Answer) any {
	return toolResultBlock{Type: "tool_result", ToolUseID: c.id, Content: a.Text, IsError: a.IsError()}
}

// OpenAI Responses: a function_call output item, answered by a
// function_call_output input item (openai-node's ResponseFunctionToolCall
// and ResponseInputItem.FunctionCallOutput).

// responsesFunctionCall is a Responses API function_call item. Its own id
// (fc_...) is not the one results refer to: call_id is.
type responsesFunctionCall struct {
	Type      string          `json:"type"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// functionCallOutput is a Responses API function_call_output item.
type functionCallOutput struct {
	Type   string `json:"type"`
	CallID string `json:"call_id"`
	Output string `json:"output"`
}

func decodeResponsesFunctionCall(raw json.RawMessage, i int) (pendingCall, error) {
	var fc responsesFunctionCall
	if err := json.Unmarshal(raw, &fc); err != nil {
		return pendingCall{}, badCall("function_calls", i, "is not a Responses API function_call item: %v", err)
	}
	if fc.CallID == "" || fc.Name == "" || (fc.Type != "" && fc.Type != "function_call") {
		return pendingCall{}, badCall("function_calls", i, "needs type function_call, a call_id and a name")
	}
	var args string
	if len(fc.Arguments) > 0 && string(fc.Arguments) != "null" {
		if !isJSONString(fc.Arguments) || json.Unmarshal(fc.Arguments, &args) != nil {
			return pendingCall{}, badCall("function_calls", i, "arguments must be a string holding the JSON arguments, as the model produced it")
		}
	}
	return pendingCall{id: fc.CallID, name: fc.Name, args: json.RawMessage(args), token: confirmationToken(raw)}, nil
}

func encodeResponsesOutput(c pendingCall, a invoke.Answer) any {
	return functionCallOutput{Type: "function_call_output", CallID: c.id, Output: a.Text}
}

// Gemini: a functionCall part of the model's content, answered by a
// functionResponse part (@google/genai's FunctionCall and
// FunctionResponse). A response holds the result as "output" or the
// failure as "error", the keys Gemini reads.

// geminiPart is a Gemini content part; only functionCall is read (a part
// may also carry thoughtSignature and the like).
type geminiPart struct {
	FunctionCall *struct {
		ID   string          `json:"id"`
		Name string          `json:"name"`
		Args json.RawMessage `json:"args"`
	} `json:"functionCall"`
}

// geminiResponsePart is a Gemini functionResponse part.
type geminiResponsePart struct {
	FunctionResponse geminiFunctionResponse `json:"functionResponse"`
}

type geminiFunctionResponse struct {
	// ID echoes the call's id, when it had one.
	ID       string         `json:"id,omitempty"`
	Name     string         `json:"name"`
	Response map[string]any `json:"response"`
}

func decodeGeminiPart(raw json.RawMessage, i int) (pendingCall, error) {
	var p geminiPart
	if err := json.Unmarshal(raw, &p); err != nil {
		return pendingCall{}, badCall("parts", i, "is not a Gemini functionCall part: %v", err)
	}
	if p.FunctionCall == nil || p.FunctionCall.Name == "" {
		return pendingCall{}, badCall("parts", i, `needs a functionCall with a name: {"functionCall": {"name": ..., "args": {...}}}; send only the functionCall parts`)
	}
	args := bytes.TrimSpace(p.FunctionCall.Args)
	if len(args) > 0 && string(args) != "null" && args[0] != '{' {
		return pendingCall{}, badCall("parts", i, "functionCall.args must be a JSON object")
	}
	return pendingCall{id: p.FunctionCall.ID, name: p.FunctionCall.Name, args: args, token: confirmationToken(raw)}, nil
}

func encodeGeminiResponse(c pendingCall, a invoke.Answer) any {
	response := map[string]any{}
	switch {
	case a.IsError():
		response["error"] = a.Text
	case a.Kind == invoke.AnswerResult && json.Valid(a.Result):
		response["output"] = json.RawMessage(a.Result)
	default:
		response["output"] = a.Text
	}
	return geminiResponsePart{FunctionResponse: geminiFunctionResponse{ID: c.id, Name: c.name, Response: response}}
}
