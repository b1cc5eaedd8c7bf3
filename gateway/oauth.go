package gateway

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

var errNotImplemented = &HTTPError{Status: http.StatusNotImplemented, Type: "not_implemented", Message: "not implemented yet"}

func (s *Server) oauthAuthorize(c *gin.Context) error { return errNotImplemented }
func (s *Server) oauthRefresh(c *gin.Context) error   { return errNotImplemented }
func (s *Server) oauthForget(c *gin.Context) error    { return errNotImplemented }
func (s *Server) oauthCallback(c *gin.Context)        { s.writeError(c, errNotImplemented) }
