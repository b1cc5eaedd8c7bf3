package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"unicode"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// mcpRunIDMeta is the _meta key of a tool result that names its run.
const mcpRunIDMeta = "io.toolgate/run_id"

// offeredTool is a tool version as the agent's MCP server offers it.
type offeredTool struct {
	prepared *tools.Prepared
	tool     *mcp.Tool
	// output validates structured content when the tool publishes an
	// outputSchema; wrap says the result is published as {"result": ...}.
	output *schema.Schema
	wrap   bool
}

// offer builds what the MCP server offers of a tool version. The SDK does
// not validate arguments against the schema of a tool added this way: the
// engine does, so the model reads toolgate's invalid-argument messages.
func offer(p *tools.Prepared) *offeredTool {
	def := p.Def
	method := def.EffectiveMethod()
	open := true
	ann := &mcp.ToolAnnotations{
		Title:          titleOf(p.Name),
		ReadOnlyHint:   method == http.MethodGet,
		IdempotentHint: method == http.MethodGet || method == http.MethodPut || method == http.MethodDelete,
		OpenWorldHint:  &open,
	}
	if method == http.MethodDelete {
		destructive := true
		ann.DestructiveHint = &destructive
	}
	o := &offeredTool{prepared: p, tool: &mcp.Tool{Name: p.Name, Title: ann.Title, Description: def.Description,
		InputSchema: mcpInputSchema(p.InputSchema()), Annotations: ann}}
	if out, wrap, ok := outputSchemaOf(def); ok {
		if compiled, err := schema.Compile(out); err == nil {
			o.tool.OutputSchema, o.output, o.wrap = out, compiled, wrap
		}
	}
	return o
}

// titleOf is a tool name as a person reads it: "get_order" is "Get order".
func titleOf(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	if len(words) == 0 {
		return name
	}
	t := strings.Join(words, " ")
	r := []rune(t)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// outputSchemaOf is the outputSchema a tool publishes: its declared output
// schema, when the shaped result is the upstream's answer as it is (no
// response.select), with a root that is not an object wrapped as
// {"result": ...} like the result itself.
func outputSchemaOf(def *tools.Definition) (out json.RawMessage, wrap, ok bool) {
	if len(bytes.TrimSpace(def.OutputSchema)) == 0 || (def.Response != nil && len(def.Response.Select) > 0) {
		return nil, false, false
	}
	var root map[string]any
	if err := json.Unmarshal(def.OutputSchema, &root); err != nil {
		return nil, false, false
	}
	if root["type"] == "object" {
		return schema.MCP(def.OutputSchema), false, true
	}
	delete(root, "$schema")
	wrapped, err := json.Marshal(map[string]any{"type": "object", "properties": map[string]any{"result": root}, "required": []string{"result"}})
	if err != nil {
		return nil, false, false
	}
	return wrapped, true, true
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
	rc, ok := ctx.Value(requestKey{}).(*requestContext)
	if !ok {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "unauthenticated"}
	}
	name := req.Params.Name
	args := req.Params.Arguments
	if !httpapi.IsObjectOrEmpty(args) {
		return mcpErrorResult("The arguments of "+name+" must be a JSON object.", nil), nil
	}
	// The SDK may run the call on another request's context: trace it in
	// the trace of the request that carries it, and end it when that
	// request is cancelled.
	ctx = httpapi.TraceFromHeader(ctx, req.Extra.Header)
	if rc.cancelled != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(rc.cancelled, cancel)()
	}
	res, err := g.invoker.Call(ctx, &invoke.Request{WorkspaceID: rc.principal.WorkspaceID, AgentID: rc.principal.AgentID,
		Tool: name, Arguments: args, Context: callerContext(rc.session.ID)})
	if err != nil {
		return g.requestError(ctx, name, err)
	}
	return rc.agent.result(res), nil
}

// callerContext is the caller context of a call made over MCP.
func callerContext(sessionID string) map[string]any {
	return map[string]any{"channel": "mcp", "conversation_id": sessionID}
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

// result maps a call's result to MCP with the agent's offer of the tool:
// a queued background run is an acknowledgement with its run id; a failure
// outcome is a tool error whose text is the model-readable message;
// success is the shaped result as structured content (wrapped as
// {"result": ...} unless it is an object) and as JSON text. A tool with an
// outputSchema answers structured content that conforms to it, or a tool
// error saying the answer did not.
func (a *mcpAgent) result(res *tools.Result) *mcp.CallToolResult {
	return mcpResult(res, a.offered(res.Tool))
}

func mcpResult(res *tools.Result, o *offeredTool) *mcp.CallToolResult {
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
	wrap := !isObjectText(structured)
	if o != nil && o.output != nil {
		wrap = o.wrap
	}
	if wrap {
		structured = mustMarshal(map[string]json.RawMessage{"result": structured})
	}
	if o != nil && o.output != nil {
		if v, _, err := o.output.ValidateJSON(structured); err != nil || !v.OK() {
			detail := "it is not JSON"
			if v != nil {
				detail = v.String()
			}
			out := mcpErrorResult("The answer of "+res.Tool+" does not match its declared output schema ("+detail+
				"), so it cannot be used. Tell the caller the service answered unexpectedly. The answer was: "+invoke.ResultText(res.Result), res)
			out.Meta = meta
			return out
		}
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
