package agentapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"
	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/tenant"
)

// batchRequest is the body of POST /v1/tool-calls: OpenAI tool_call objects
// or Anthropic tool_use blocks, as the model produced them. Their own fields
// are read leniently (providers add fields), the request's strictly.
type batchRequest struct {
	ToolCalls []json.RawMessage `json:"tool_calls,omitempty"`
	ToolUses  []json.RawMessage `json:"tool_uses,omitempty"`
	Context   map[string]any    `json:"context,omitempty"`
}

// anthropicToolUse is an Anthropic tool_use content block.
type anthropicToolUse struct {
	Type  string          `json:"type"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

// toolMessage is an OpenAI chat message with a tool's result.
type toolMessage struct {
	Role       string `json:"role"`
	ToolCallID string `json:"tool_call_id"`
	Content    string `json:"content"`
}

// toolResultBlock is an Anthropic tool_result content block.
type toolResultBlock struct {
	Type      string `json:"type"`
	ToolUseID string `json:"tool_use_id"`
	Content   string `json:"content"`
	IsError   bool   `json:"is_error,omitempty"`
}

// pendingCall is one call of a batch, in either protocol.
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

// batchToolCalls runs a model's tool calls concurrently through invoke and
// answers, in the same order, the messages to append to the conversation:
// {"messages": [{"role": "tool", ...}]} for OpenAI tool_calls,
// {"tool_results": [{"type": "tool_result", ...}]} for Anthropic tool_uses.
// Anything wrong with one call (malformed arguments, an unknown tool, an
// upstream failure) is that call's model-readable content, not a failed batch.
func (a *API) batchToolCalls(c *gin.Context) error {
	var req batchRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	switch {
	case len(req.ToolCalls) > 0 && len(req.ToolUses) > 0:
		return problem.BadRequestf("", "send tool_calls (OpenAI) or tool_uses (Anthropic), not both")
	case len(req.ToolCalls) == 0 && len(req.ToolUses) == 0:
		return problem.BadRequestf("tool_calls", "tool_calls or tool_uses is required and must not be empty")
	case len(req.ToolCalls)+len(req.ToolUses) > invoke.MaxBatchCalls:
		return problem.BadRequestf("", "a batch holds at most 128 calls")
	}
	if len(req.ToolCalls) > 0 {
		calls := make([]pendingCall, len(req.ToolCalls))
		for i, raw := range req.ToolCalls {
			var tc openai.ToolCall
			if err := json.Unmarshal(raw, &tc); err != nil {
				return problem.BadRequestf("tool_calls", "tool_calls[%d] is not an OpenAI tool call object: %v", i, err)
			}
			if tc.ID == "" || tc.Function.Name == "" {
				return problem.BadRequestf("tool_calls", "tool_calls[%d] needs an id and a function name", i)
			}
			if tc.Type != "" && tc.Type != openai.ToolTypeFunction {
				return problem.BadRequestf("tool_calls", "tool_calls[%d].type must be function", i)
			}
			calls[i] = pendingCall{id: tc.ID, name: tc.Function.Name, args: json.RawMessage(tc.Function.Arguments),
				token: confirmationToken(raw)}
		}
		outcomes, err := a.runToolCalls(c.Request.Context(), httpapi.Who(c), calls, req.Context)
		if err != nil {
			return err
		}
		msgs := make([]toolMessage, len(calls))
		for i, o := range outcomes {
			msgs[i] = toolMessage{Role: openai.ChatMessageRoleTool, ToolCallID: calls[i].id, Content: o.Text}
		}
		c.JSON(http.StatusOK, gin.H{"messages": msgs})
		return nil
	}
	calls := make([]pendingCall, len(req.ToolUses))
	for i, raw := range req.ToolUses {
		var tu anthropicToolUse
		if err := json.Unmarshal(raw, &tu); err != nil {
			return problem.BadRequestf("tool_uses", "tool_uses[%d] is not an Anthropic tool_use block: %v", i, err)
		}
		if tu.ID == "" || tu.Name == "" || (tu.Type != "" && tu.Type != "tool_use") {
			return problem.BadRequestf("tool_uses", "tool_uses[%d] needs type tool_use, an id and a name", i)
		}
		calls[i] = pendingCall{id: tu.ID, name: tu.Name, args: tu.Input, token: confirmationToken(raw)}
	}
	outcomes, err := a.runToolCalls(c.Request.Context(), httpapi.Who(c), calls, req.Context)
	if err != nil {
		return err
	}
	blocks := make([]toolResultBlock, len(calls))
	for i, o := range outcomes {
		blocks[i] = toolResultBlock{Type: "tool_result", ToolUseID: calls[i].id, Content: o.Text, IsError: o.IsError()}
	}
	c.JSON(http.StatusOK, gin.H{"tool_results": blocks})
	return nil
}

// runToolCalls runs a batch through the invoker.
func (a *API) runToolCalls(ctx context.Context, p *tenant.Principal, calls []pendingCall, callerCtx map[string]any) ([]invoke.Answer, error) {
	batch := make([]invoke.BatchCall, len(calls))
	for i, c := range calls {
		batch[i] = invoke.BatchCall{Tool: c.name, Arguments: c.args, ConfirmationToken: c.token}
	}
	return a.Invoker.CallBatch(ctx, p.WorkspaceID, p.AgentID, batch, callerCtx)
}
