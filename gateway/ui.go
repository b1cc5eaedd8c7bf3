package gateway

import "github.com/gin-gonic/gin"

// uiRoutes mounts the admin console at /ui.
func (s *Server) uiRoutes(r *gin.Engine) {}
