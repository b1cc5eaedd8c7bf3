package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// mcpRunIDMeta is the _meta key of a tool result that names its run.
const mcpRunIDMeta = "io.toolgate/run_id"

// mcpToolOf is a tool version as an MCP tool. The SDK does not validate
// arguments against the schema of a tool added this way: the engine does,
// so the model reads toolgate's invalid-argument messages.
func mcpToolOf(p *tools.Prepared) *mcp.Tool {
	return &mcp.Tool{Name: p.Name, Description: p.Def.Description, InputSchema: mcpInputSchema(p.InputSchema())}
}

// mcpInputSchema is schema.MCP's inputSchema, with a root type other than
// "object" (which MCP does not allow, and the SDK refuses) replaced by
// "object": arguments are always an object, and the engine still
// validates them against the declared schema.
func mcpInputSchema(raw json.RawMessage) json.RawMessage {
	out := schema.MCP(raw)
	var root struct {
		Type any `json:"type"`
	}
	if err := json.Unmarshal(out, &root); err == nil && root.Type == "object" {
		return out
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil || m == nil {
		return json.RawMessage(`{"type":"object"}`)
	}
	m["type"] = "object"
	fixed, err := json.Marshal(m)
	if err != nil {
		return json.RawMessage(`{"type":"object"}`)
	}
	return fixed
}

// callTool runs tools/call through invoke, as the agent whose key opened
// the session, with the session as the conversation.
func (g *Server) callTool(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var p *tenant.Principal
	if ti := req.Extra.TokenInfo; ti != nil {
		p, _ = ti.Extra[mcpPrincipalExtra].(*tenant.Principal)
	}
	if p == nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "unauthenticated"}
	}
	name := req.Params.Name
	args := req.Params.Arguments
	if !httpapi.IsObjectOrEmpty(args) {
		return mcpErrorResult("The arguments of "+name+" must be a JSON object.", nil), nil
	}
	callerCtx := map[string]any{"channel": "mcp"}
	if req.Session != nil && req.Session.ID() != "" {
		callerCtx["conversation_id"] = req.Session.ID()
	}
	res, err := g.invoker.Call(ctx, &invoke.Request{WorkspaceID: p.WorkspaceID, AgentID: p.AgentID,
		Tool: name, Arguments: args, Context: callerCtx})
	if err != nil {
		return g.requestError(ctx, name, err)
	}
	return mcpResult(res), nil
}

// requestError answers a call invoke refused as a whole: what the model can
// act on as a tool error, anything else as a JSON-RPC error (logged,
// without details).
func (g *Server) requestError(ctx context.Context, name string, err error) (*mcp.CallToolResult, error) {
	pub := httpapi.PublicOf(err)
	switch {
	case pub.Status == http.StatusNotFound:
		return mcpErrorResult("The tool "+name+" is not available. List the tools again and use one of those.", nil), nil
	case pub.Status < http.StatusInternalServerError:
		return mcpErrorResult(pub.Message, nil), nil
	}
	g.log.ErrorContext(ctx, "MCP tool call failed", slog.String("tool", name), slog.Any("err", err))
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil, ctx.Err()
	}
	return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "internal error"}
}

// mcpResult maps a call's result to MCP: a queued background run is an
// acknowledgement with its run id; a failure outcome is a tool error whose
// text is the model-readable message; success is the shaped result as
// structured content (wrapped as {"result": ...} unless it is an object)
// and as JSON text.
func mcpResult(res *tools.Result) *mcp.CallToolResult {
	meta := mcp.Meta{mcpRunIDMeta: res.RunID}
	a := invoke.AnswerOf(res)
	switch a.Kind {
	case invoke.AnswerQueued:
		return &mcp.CallToolResult{
			Meta:              meta,
			Content:           []mcp.Content{&mcp.TextContent{Text: a.Text}},
			StructuredContent: map[string]any{"run_id": res.RunID, "status": res.Status, "tool": res.Tool},
		}
	case invoke.AnswerInvalid, invoke.AnswerFailed:
		out := mcpErrorResult(a.Text, res)
		out.Meta = meta
		return out
	case invoke.AnswerConfirm:
		// Not an error: the model reads the message back to the caller
		// and calls again with _confirmation_token.
		return &mcp.CallToolResult{
			Meta:    meta,
			Content: []mcp.Content{&mcp.TextContent{Text: a.Text}},
			StructuredContent: map[string]any{"run_id": res.RunID, "tool": res.Tool, "outcome": res.Outcome,
				"confirmation": res.Confirmation},
		}
	}
	structured := res.Result
	if !isObjectText(structured) {
		structured = mustMarshal(map[string]json.RawMessage{"result": structured})
	}
	return &mcp.CallToolResult{
		Meta:              meta,
		Content:           []mcp.Content{&mcp.TextContent{Text: string(structured)}},
		StructuredContent: structured,
	}
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// mcpErrorResult is a tool error with a model-readable text; res, when
// known, is the structured detail (outcome, run id, issues).
func mcpErrorResult(text string, res *tools.Result) *mcp.CallToolResult {
	out := &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: text}}}
	if res != nil {
		out.StructuredContent = mcpErrorDetail{RunID: res.RunID, Tool: res.Tool, Outcome: res.Outcome,
			StatusCode: res.StatusCode, Error: res.Error}
	}
	return out
}

// mcpErrorDetail is the structured content of a failed call.
type mcpErrorDetail struct {
	RunID      string           `json:"run_id"`
	Tool       string           `json:"tool"`
	Outcome    string           `json:"outcome"`
	StatusCode int              `json:"status_code,omitempty"`
	Error      *tools.CallError `json:"error"`
}

// isObjectText reports whether raw, known to be valid JSON, is an object.
func isObjectText(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}
