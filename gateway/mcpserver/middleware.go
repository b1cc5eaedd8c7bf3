package mcpserver

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolgate/toolgate/store"
)

// maxInitializeParamsBytes bounds what a session keeps of a client's
// initialize params.
const maxInitializeParamsBytes = 64 << 10

// rawResult is a result toolgate encodes itself: the SDK's result types
// lack fields of newer protocol versions (the tasks capability, a tool's
// execution).
type rawResult struct {
	mcp.ResultBase
	raw json.RawMessage
}

// MarshalJSON implements json.Marshaler.
func (r *rawResult) MarshalJSON() ([]byte, error) { return r.raw, nil }

// initializeMiddleware opens the session of a successful initialize: the
// session is stored before the answer (and its Mcp-Session-Id) reaches the
// client, so the client's next request may go to any replica. The answer
// advertises the tasks capability when background runs are queued.
func (g *Server) initializeMiddleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if method != methodInitialize {
			return next(ctx, method, req)
		}
		res, err := next(ctx, method, req)
		if err != nil {
			return res, err
		}
		rc, _ := ctx.Value(requestKey{}).(*requestContext)
		ir, ok := res.(*mcp.InitializeResult)
		if !ok || rc == nil || rc.initialize == "" {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "initialize must be sent on its own, not in a batch"}
		}
		params, err := json.Marshal(req.GetParams())
		if err != nil || len(params) > maxInitializeParamsBytes {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "the initialize params are too large"}
		}
		now := g.now().UTC()
		p := rc.principal
		sess := &store.MCPSession{ID: rc.initialize, WorkspaceID: p.WorkspaceID, AgentID: p.AgentID, KeyID: p.KeyID,
			ProtocolVersion: ir.ProtocolVersion, InitializeParams: params, CreatedAt: now, LastUsedAt: now}
		if err := g.sessions.MCPSessionInsert(ctx, sess); err != nil {
			g.log.ErrorContext(ctx, "storing an MCP session", slog.Any("err", err))
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "internal error"}
		}
		if !g.invoker.Queues() {
			return ir, nil
		}
		return withFields(ir, func(m map[string]any) {
			caps, _ := m["capabilities"].(map[string]any)
			if caps == nil {
				caps = map[string]any{}
				m["capabilities"] = caps
			}
			caps["tasks"] = map[string]any{"list": map[string]any{}, "cancel": map[string]any{},
				"requests": map[string]any{"tools": map[string]any{"call": map[string]any{}}}}
		})
	}
}

// listToolsMiddleware adds execution.taskSupport to the agent's tools that
// run in the background (or may), when background runs are queued.
func (g *Server) listToolsMiddleware(a *mcpAgent) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			if method != methodToolsList || err != nil || !g.invoker.Queues() {
				return res, err
			}
			lr, ok := res.(*mcp.ListToolsResult)
			if !ok {
				return res, err
			}
			list := make([]json.RawMessage, 0, len(lr.Tools))
			for _, t := range lr.Tools {
				raw, err := json.Marshal(t)
				if err != nil {
					return nil, err
				}
				if o := a.offered(t.Name); o != nil && taskSupported(o) {
					var m map[string]any
					if err := json.Unmarshal(raw, &m); err != nil {
						return nil, err
					}
					m["execution"] = map[string]any{"taskSupport": "optional"}
					if raw, err = json.Marshal(m); err != nil {
						return nil, err
					}
				}
				list = append(list, raw)
			}
			return withFields(lr, func(m map[string]any) { m["tools"] = list })
		}
	}
}

// withFields is res as JSON with edit applied.
func withFields(res mcp.Result, edit func(map[string]any)) (mcp.Result, error) {
	raw, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	edit(m)
	if raw, err = json.Marshal(m); err != nil {
		return nil, err
	}
	return &rawResult{raw: raw}, nil
}
