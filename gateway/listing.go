package gateway

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/store"
)

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

// toolsChanged is called after any change to a workspace's tools, agents or
// connections: it drops the cached views and tells connected MCP clients.
func (s *Server) toolsChanged(workspaceID string) {
	s.catalog.Invalidate(workspaceID)
	s.mcpToolsChanged(workspaceID)
}
