package gateway

import "github.com/gin-gonic/gin"

func (s *Server) mcpHandler() gin.HandlerFunc {
	return s.handle(func(*gin.Context) error { return errNotImplemented })
}

// mcpToolsChanged notifies the workspace's MCP sessions that their tool
// lists changed.
func (s *Server) mcpToolsChanged(workspaceID string) {}
