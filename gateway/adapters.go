package gateway

import "github.com/gin-gonic/gin"

func (s *Server) vapiAdapter(c *gin.Context) error       { return errNotImplemented }
func (s *Server) retellAdapter(c *gin.Context) error     { return errNotImplemented }
func (s *Server) elevenLabsAdapter(c *gin.Context) error { return errNotImplemented }
func (s *Server) exportAgent(c *gin.Context) error       { return errNotImplemented }
