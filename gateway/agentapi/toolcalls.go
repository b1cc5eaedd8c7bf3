package agentapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/tenant"
)

// batchRequest is the body of POST /v1/tool-calls: the calls a model asked
// for, as it produced them, in one of the protocols (see batchProtocols).
// Their own fields are read leniently (providers add fields), the request's
// strictly.
type batchRequest struct {
	ToolCalls     []json.RawMessage `json:"tool_calls,omitempty"`
	ToolUses      []json.RawMessage `json:"tool_uses,omitempty"`
	FunctionCalls []json.RawMessage `json:"function_calls,omitempty"`
	Parts         []json.RawMessage `json:"parts,omitempty"`
	Context       map[string]any    `json:"context,omitempty"`
}

// pendingCall is one call of a batch, in any protocol.
type pendingCall struct {
	id    string
	name  string
	args  json.RawMessage
	token string
}

// confirmation is the optional confirmation_token a client may add to a
// tool call object (the _confirmation_token argument works too).
type confirmation struct {
	ConfirmationToken string `json:"confirmation_token"`
}

// confirmationToken reads a call object's confirmation_token, if any.
func confirmationToken(raw json.RawMessage) string {
	var c confirmation
	_ = json.Unmarshal(raw, &c)
	return c.ConfirmationToken
}

// batchProtocol is one provider's way of asking for tool calls and taking
// their results.
type batchProtocol struct {
	// field is the request's field holding the calls; answer the
	// answer's field holding the results.
	field, answer string
	// decode reads the call at index i.
	decode func(raw json.RawMessage, i int) (pendingCall, error)
	// encode is the result of one call, in the same order.
	encode func(c pendingCall, a invoke.Answer) any
}

// batchProtocols are the accepted protocols, in the order errors name them.
var batchProtocols = []batchProtocol{
	{field: "tool_calls", answer: "messages", decode: decodeOpenAIToolCall, encode: encodeOpenAIToolMessage},
	{field: "tool_uses", answer: "tool_results", decode: decodeAnthropicToolUse, encode: encodeAnthropicToolResult},
	{field: "function_calls", answer: "function_call_outputs", decode: decodeResponsesFunctionCall, encode: encodeResponsesOutput},
	{field: "parts", answer: "parts", decode: decodeGeminiPart, encode: encodeGeminiResponse},
}

// calls returns the request's calls in protocol p.
func (r *batchRequest) calls(p batchProtocol) []json.RawMessage {
	switch p.field {
	case "tool_calls":
		return r.ToolCalls
	case "tool_uses":
		return r.ToolUses
	case "function_calls":
		return r.FunctionCalls
	}
	return r.Parts
}

// batchToolCalls runs a model's tool calls concurrently through invoke and
// answers, in the same order, what to append to the conversation:
//
//   - OpenAI chat tool_calls → {"messages": [{"role": "tool", ...}]};
//   - Anthropic tool_uses → {"tool_results": [{"type": "tool_result", ...}]};
//   - OpenAI Responses function_calls (function_call items) →
//     {"function_call_outputs": [{"type": "function_call_output", ...}]};
//   - Gemini parts (functionCall parts) → {"parts": [{"functionResponse": ...}]}.
//
// Anything wrong with one call (malformed arguments, an unknown tool, an
// upstream failure) is that call's model-readable content, not a failed batch.
func (a *API) batchToolCalls(c *gin.Context) error {
	var req batchRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	var (
		proto *batchProtocol
		given []string
		total int
	)
	for i := range batchProtocols {
		if n := len(req.calls(batchProtocols[i])); n > 0 {
			proto = &batchProtocols[i]
			given = append(given, batchProtocols[i].field)
			total += n
		}
	}
	switch {
	case len(given) > 1:
		return problem.BadRequestf("", "send the calls of one protocol per request, not %s", strings.Join(given, " and "))
	case proto == nil:
		return problem.BadRequestf("tool_calls", "one of %s is required and must not be empty", protocolFields())
	case total > invoke.MaxBatchCalls:
		return problem.BadRequestf("", "a batch holds at most %d calls", invoke.MaxBatchCalls)
	}
	raws := req.calls(*proto)
	calls := make([]pendingCall, len(raws))
	for i, raw := range raws {
		call, err := proto.decode(raw, i)
		if err != nil {
			return err
		}
		calls[i] = call
	}
	answers, err := a.runToolCalls(c.Request.Context(), httpapi.Who(c), calls, req.Context)
	if err != nil {
		return err
	}
	out := make([]any, len(calls))
	for i, ans := range answers {
		out[i] = proto.encode(calls[i], ans)
	}
	c.JSON(http.StatusOK, gin.H{proto.answer: out})
	return nil
}

// protocolFields names the request fields of the protocols: "tool_calls,
// tool_uses, function_calls or parts".
func protocolFields() string {
	names := make([]string, len(batchProtocols))
	for i, p := range batchProtocols {
		names[i] = p.field
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// runToolCalls runs a batch through the invoker.
func (a *API) runToolCalls(ctx context.Context, p *tenant.Principal, calls []pendingCall, callerCtx map[string]any) ([]invoke.Answer, error) {
	batch := make([]invoke.BatchCall, len(calls))
	for i, c := range calls {
		batch[i] = invoke.BatchCall{Tool: c.name, Arguments: c.args, ID: c.id, ConfirmationToken: c.token}
	}
	return a.Invoker.CallBatch(ctx, p.WorkspaceID, p.AgentID, batch, callerCtx)
}

// badCall is the 400 of a call that is not of its protocol's shape.
func badCall(field string, i int, format string, args ...any) error {
	return problem.BadRequestf(field, "%s[%d] %s", field, i, fmt.Sprintf(format, args...))
}

// isJSONString reports whether raw is a JSON string.
func isJSONString(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '"'
}
