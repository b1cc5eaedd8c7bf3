package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// callRequest is the body of POST /v1/tools/{name}/call.
type callRequest struct {
	Arguments json.RawMessage `json:"arguments,omitempty"`
	Context   map[string]any  `json:"context,omitempty"`
}

// callTool runs one of the agent's tools: 200 with the result whenever the
// call got as far as sending (whatever the upstream said), 422 for invalid
// arguments, 404 for a tool the agent does not have.
func (s *Server) callTool(c *gin.Context) error {
	var req callRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if len(req.Arguments) > 0 && string(req.Arguments) != "null" && !isJSONObject(req.Arguments) {
		return badRequest("arguments must be a JSON object", map[string]string{"field": "arguments"})
	}
	p := who(c)
	prepared, err := s.catalog.AgentTool(c.Request.Context(), p.WorkspaceID, p.AgentID, c.Param("name"))
	if err != nil {
		if errors.Is(err, tools.ErrToolNotFound) || errors.Is(err, store.ErrNotFound) {
			return notFound("tool")
		}
		return err
	}
	call := &tools.Call{
		WorkspaceID: p.WorkspaceID,
		AgentID:     p.AgentID,
		Tool:        prepared,
		Arguments:   req.Arguments,
		Context:     callerContext(req.Context, p.AgentID),
	}
	if err := s.attachConnection(c.Request.Context(), call); err != nil {
		return err
	}
	writeResult(c, s.engine.Run(c.Request.Context(), call))
	return nil
}

// callerContext is the caller's context with the gateway's own facts set
// (a caller cannot claim to be another agent).
func callerContext(ctx map[string]any, agentID string) map[string]any {
	if ctx == nil {
		ctx = make(map[string]any, 1)
	}
	if agentID != "" {
		ctx["agent_id"] = agentID
	}
	return ctx
}

// attachConnection resolves the tool's connection into the call. A missing
// connection is the call's config_error, not the request's.
func (s *Server) attachConnection(ctx context.Context, call *tools.Call) error {
	name := call.Tool.Def.Connection
	if name == "" {
		return nil
	}
	conn, err := s.catalog.Connection(ctx, call.WorkspaceID, name)
	if errors.Is(err, store.ErrNotFound) {
		call.ConnectionErr = errors.New("connection " + name + " does not exist")
		return nil
	}
	if err != nil {
		return err
	}
	call.Conn = conn
	return nil
}

// writeResult answers with a call's result: 422 for invalid arguments, 200
// otherwise.
func writeResult(c *gin.Context, res *tools.Result) {
	status := http.StatusOK
	if res.Outcome == tools.OutcomeInvalidArguments {
		status = http.StatusUnprocessableEntity
	}
	c.JSON(status, res)
}

// listAgentTools lists the agent's published tools in OpenAI's function
// calling shape.
func (s *Server) listAgentTools(c *gin.Context) error {
	p := who(c)
	list, err := s.catalog.AgentTools(c.Request.Context(), p.WorkspaceID, p.AgentID)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("agent")
	}
	if err != nil {
		return err
	}
	out := make([]openai.Tool, 0, len(list))
	for _, t := range list {
		out = append(out, openai.Tool{
			Type: openai.ToolTypeFunction,
			Function: &openai.FunctionDefinition{
				Name:        t.Name,
				Description: t.Def.Description,
				Parameters:  t.InputSchema(),
			},
		})
	}
	c.JSON(http.StatusOK, gin.H{"tools": out})
	return nil
}
