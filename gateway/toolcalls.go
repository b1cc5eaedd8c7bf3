package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strconv"
	"sync"

	"github.com/gin-gonic/gin"
	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Bounds of POST /v1/tool-calls.
const (
	// MaxBatchToolCalls bounds the calls of one batch.
	MaxBatchToolCalls = 128
	// BatchConcurrency bounds how many calls of one batch run at once.
	BatchConcurrency = 8
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
	id   string
	name string
	args json.RawMessage
}

// callOutcome is what a pending call produced, as the model reads it.
type callOutcome struct {
	content string
	isError bool
}

// batchToolCalls runs a model's tool calls concurrently through invoke and
// answers, in the same order, the messages to append to the conversation:
// {"messages": [{"role": "tool", ...}]} for OpenAI tool_calls,
// {"tool_results": [{"type": "tool_result", ...}]} for Anthropic tool_uses.
// Anything wrong with one call (malformed arguments, an unknown tool, an
// upstream failure) is that call's model-readable content, not a failed batch.
func (s *Server) batchToolCalls(c *gin.Context) error {
	var req batchRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	switch {
	case len(req.ToolCalls) > 0 && len(req.ToolUses) > 0:
		return badRequest("send tool_calls (OpenAI) or tool_uses (Anthropic), not both", nil)
	case len(req.ToolCalls) == 0 && len(req.ToolUses) == 0:
		return badRequest("tool_calls or tool_uses is required and must not be empty", map[string]string{"field": "tool_calls"})
	case len(req.ToolCalls)+len(req.ToolUses) > MaxBatchToolCalls:
		return badRequest("a batch holds at most 128 calls", nil)
	}
	if len(req.ToolCalls) > 0 {
		calls := make([]pendingCall, len(req.ToolCalls))
		for i, raw := range req.ToolCalls {
			var tc openai.ToolCall
			if err := json.Unmarshal(raw, &tc); err != nil {
				return badRequest("tool_calls["+strconv.Itoa(i)+"] is not an OpenAI tool call object: "+err.Error(), map[string]string{"field": "tool_calls"})
			}
			if tc.ID == "" || tc.Function.Name == "" {
				return badRequest("tool_calls["+strconv.Itoa(i)+"] needs an id and a function name", map[string]string{"field": "tool_calls"})
			}
			if tc.Type != "" && tc.Type != openai.ToolTypeFunction {
				return badRequest("tool_calls["+strconv.Itoa(i)+"].type must be function", map[string]string{"field": "tool_calls"})
			}
			calls[i] = pendingCall{id: tc.ID, name: tc.Function.Name, args: json.RawMessage(tc.Function.Arguments)}
		}
		outcomes, err := s.runToolCalls(c.Request.Context(), who(c), calls, req.Context)
		if err != nil {
			return err
		}
		msgs := make([]toolMessage, len(calls))
		for i, o := range outcomes {
			msgs[i] = toolMessage{Role: openai.ChatMessageRoleTool, ToolCallID: calls[i].id, Content: o.content}
		}
		c.JSON(http.StatusOK, gin.H{"messages": msgs})
		return nil
	}
	calls := make([]pendingCall, len(req.ToolUses))
	for i, raw := range req.ToolUses {
		var tu anthropicToolUse
		if err := json.Unmarshal(raw, &tu); err != nil {
			return badRequest("tool_uses["+strconv.Itoa(i)+"] is not an Anthropic tool_use block: "+err.Error(), map[string]string{"field": "tool_uses"})
		}
		if tu.ID == "" || tu.Name == "" || (tu.Type != "" && tu.Type != "tool_use") {
			return badRequest("tool_uses["+strconv.Itoa(i)+"] needs type tool_use, an id and a name", map[string]string{"field": "tool_uses"})
		}
		calls[i] = pendingCall{id: tu.ID, name: tu.Name, args: tu.Input}
	}
	outcomes, err := s.runToolCalls(c.Request.Context(), who(c), calls, req.Context)
	if err != nil {
		return err
	}
	blocks := make([]toolResultBlock, len(calls))
	for i, o := range outcomes {
		blocks[i] = toolResultBlock{Type: "tool_result", ToolUseID: calls[i].id, Content: o.content, IsError: o.isError}
	}
	c.JSON(http.StatusOK, gin.H{"tool_results": blocks})
	return nil
}

// runToolCalls runs calls through invoke, at most BatchConcurrency at once,
// each with its own copy of the caller context, and returns their outcomes
// in order. The error is one the whole request must fail with (the store
// is down, say); a tool the agent does not have is that call's outcome.
func (s *Server) runToolCalls(ctx context.Context, p *principal, calls []pendingCall, callerCtx map[string]any) ([]callOutcome, error) {
	outcomes := make([]callOutcome, len(calls))
	errs := make([]error, len(calls))
	sem := make(chan struct{}, BatchConcurrency)
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := s.invoke(ctx, p, call.name, call.args, maps.Clone(callerCtx), invokeOptions{})
			var he *HTTPError
			switch {
			case errors.As(err, &he) && he.Status == http.StatusNotFound:
				outcomes[i] = callOutcome{content: prompts.UnknownTool(call.name), isError: true}
			case err != nil:
				errs[i] = err
			default:
				outcomes[i] = modelContent(res)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return outcomes, nil
}

// modelContent is a call's result as the model reads it: the shaped result
// of a success (a text result as its text), the acknowledgement of a queued
// background run, or the model-readable error with its hint.
func modelContent(res *tools.Result) callOutcome {
	switch {
	case res.Status == store.RunStatusQueued || res.Status == store.RunStatusRunning:
		return callOutcome{content: prompts.BackgroundAccepted(res.Tool)}
	case res.Error != nil:
		msg := res.Error.Message
		if res.Error.Hint != "" {
			msg += " " + res.Error.Hint
		}
		return callOutcome{content: msg, isError: true}
	}
	raw := bytes.TrimSpace(res.Result)
	if len(raw) > 0 && raw[0] == '"' {
		var text string
		if json.Unmarshal(raw, &text) == nil {
			return callOutcome{content: text}
		}
	}
	return callOutcome{content: string(raw)}
}
