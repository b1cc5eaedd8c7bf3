package gateway

import "github.com/gin-gonic/gin"

func (s *Server) chatCompletions(c *gin.Context) error { return errNotImplemented }
