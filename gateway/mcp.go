package gateway

import "github.com/gin-gonic/gin"

func (s *Server) mcpHandler() gin.HandlerFunc {
	return s.handle(func(*gin.Context) error { return errNotImplemented })
}
