package gateway

import "github.com/gin-gonic/gin"

func (s *Server) batchToolCalls(c *gin.Context) error { return errNotImplemented }
