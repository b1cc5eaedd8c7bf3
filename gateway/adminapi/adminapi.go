// Package adminapi is the admin REST API under /v1/admin: a thin adapter
// that decodes requests, calls package admin and encodes the answers.
package adminapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
)

// API is the admin REST API.
type API struct {
	Admin  *admin.Service
	Errors httpapi.Errors
}

// Routes registers the admin routes on a group that already requires an
// admin key.
func (a *API) Routes(g *gin.RouterGroup) {
	h := a.Errors.Handle
	g.GET("/workspace", h(a.getWorkspace))
	g.PATCH("/workspace", h(a.patchWorkspace))
	g.POST("/keys", h(a.createKey))
	g.GET("/keys", h(a.listKeys))
	g.DELETE("/keys/:id", h(a.revokeKey))

	g.POST("/connections/:id/oauth/authorize", h(a.oauthAuthorize))
	g.POST("/connections/:id/oauth/refresh", h(a.oauthRefresh))
	g.DELETE("/connections/:id/oauth", h(a.oauthForget))
	g.POST("/connections", h(a.createConnection))
	g.GET("/connections", h(a.listConnections))
	g.GET("/connections/:id", h(a.getConnection))
	g.PATCH("/connections/:id", h(a.patchConnection))
	g.DELETE("/connections/:id", h(a.deleteConnection))

	g.POST("/tools", h(a.createTool))
	g.GET("/tools", h(a.listTools))
	g.GET("/tools/:id", h(a.getTool))
	g.PATCH("/tools/:id", h(a.patchTool))
	g.DELETE("/tools/:id", h(a.deleteTool))
	g.POST("/tools/:id/validate", h(a.validateTool))
	g.POST("/tools/:id/publish", h(a.publishTool))
	g.GET("/tools/:id/versions", h(a.listToolVersions))
	g.POST("/tools/:id/test", h(a.testTool))

	g.POST("/agents", h(a.createAgent))
	g.GET("/agents", h(a.listAgents))
	g.GET("/agents/:id", h(a.getAgent))
	g.PATCH("/agents/:id", h(a.patchAgent))
	g.DELETE("/agents/:id", h(a.deleteAgent))
	a.flowRoutes(g)

	g.GET("/runs", h(a.listRuns))
	g.GET("/runs/:id", h(a.getRun))
	g.POST("/runs/:id/replay", h(a.replayRun))
	g.POST("/runs/:id/approve", h(a.approveRun))
	g.POST("/runs/:id/reject", h(a.rejectRun))
	g.GET("/approvals", h(a.listApprovals))

	a.importRoutes(g)
}

func ws(c *gin.Context) string { return httpapi.Who(c).WorkspaceID }

func (a *API) getWorkspace(c *gin.Context) error {
	w, err := a.Admin.Workspaces.Get(c.Request.Context(), ws(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, w)
	return nil
}

func (a *API) createKey(c *gin.Context) error {
	var in admin.KeyInput
	if err := httpapi.DecodeJSON(c, &in); err != nil {
		return err
	}
	k, err := a.Admin.Keys.Create(c.Request.Context(), ws(c), &in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, k)
	return nil
}

func (a *API) listKeys(c *gin.Context) error {
	lp, err := httpapi.ListParams(c)
	if err != nil {
		return err
	}
	p, err := a.Admin.Keys.List(c.Request.Context(), ws(c), lp)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpapi.ListOf(p))
	return nil
}

func (a *API) revokeKey(c *gin.Context) error {
	if err := a.Admin.Keys.Revoke(c.Request.Context(), ws(c), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (a *API) createConnection(c *gin.Context) error {
	var in admin.ConnectionInput
	if err := httpapi.DecodeJSON(c, &in); err != nil {
		return err
	}
	v, err := a.Admin.Connections.Create(c.Request.Context(), ws(c), &in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, v)
	return nil
}

func (a *API) getConnection(c *gin.Context) error {
	v, err := a.Admin.Connections.Get(c.Request.Context(), ws(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func (a *API) listConnections(c *gin.Context) error {
	lp, err := httpapi.ListParams(c)
	if err != nil {
		return err
	}
	p, err := a.Admin.Connections.List(c.Request.Context(), ws(c), lp)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpapi.ListOf(p))
	return nil
}

func (a *API) patchConnection(c *gin.Context) error {
	body, err := httpapi.ReadBody(c)
	if err != nil {
		return err
	}
	v, err := a.Admin.Connections.Patch(c.Request.Context(), ws(c), c.Param("id"), body)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func (a *API) deleteConnection(c *gin.Context) error {
	if err := a.Admin.Connections.Delete(c.Request.Context(), ws(c), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// oauthAuthorize starts the authorization-code flow: POST
// /v1/admin/connections/{id}/oauth/authorize → {authorize_url}.
func (a *API) oauthAuthorize(c *gin.Context) error {
	u, err := a.Admin.Connections.OAuthAuthorize(c.Request.Context(), ws(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"authorize_url": u})
	return nil
}

// oauthRefresh forces a refresh and answers the connection with its oauth
// status.
func (a *API) oauthRefresh(c *gin.Context) error {
	v, err := a.Admin.Connections.OAuthRefresh(c.Request.Context(), ws(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// oauthForget deletes a connection's tokens.
func (a *API) oauthForget(c *gin.Context) error {
	if err := a.Admin.Connections.OAuthForget(c.Request.Context(), ws(c), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (a *API) createTool(c *gin.Context) error {
	body, err := httpapi.ReadBody(c)
	if err != nil {
		return err
	}
	t, err := a.Admin.Tools.Create(c.Request.Context(), ws(c), body)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, t)
	return nil
}

func (a *API) getTool(c *gin.Context) error {
	t, err := a.Admin.Tools.Get(c.Request.Context(), ws(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

func (a *API) listTools(c *gin.Context) error {
	lp, err := httpapi.ListParams(c)
	if err != nil {
		return err
	}
	p, err := a.Admin.Tools.List(c.Request.Context(), ws(c), lp)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpapi.ListOf(p))
	return nil
}

func (a *API) patchTool(c *gin.Context) error {
	body, err := httpapi.ReadBody(c)
	if err != nil {
		return err
	}
	t, err := a.Admin.Tools.Patch(c.Request.Context(), ws(c), c.Param("id"), body)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

func (a *API) deleteTool(c *gin.Context) error {
	if err := a.Admin.Tools.Delete(c.Request.Context(), ws(c), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (a *API) validateTool(c *gin.Context) error {
	report, err := a.Admin.Tools.Validate(c.Request.Context(), ws(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, report)
	return nil
}

func (a *API) publishTool(c *gin.Context) error {
	v, err := a.Admin.Tools.Publish(c.Request.Context(), ws(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func (a *API) listToolVersions(c *gin.Context) error {
	versions, err := a.Admin.Tools.Versions(c.Request.Context(), ws(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpapi.List[admin.ToolVersion]{Items: versions})
	return nil
}

// testTool runs a tool's draft; a dry run returns the rendered, redacted
// request without sending it.
func (a *API) testTool(c *gin.Context) error {
	var req struct {
		Arguments json.RawMessage `json:"arguments,omitempty"`
		Context   map[string]any  `json:"context,omitempty"`
		DryRun    bool            `json:"dry_run,omitempty"`
	}
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	res, err := a.Admin.Runs.Test(c.Request.Context(), &invoke.TestRequest{WorkspaceID: ws(c), ToolID: c.Param("id"),
		Arguments: req.Arguments, Context: req.Context, DryRun: req.DryRun})
	if err != nil {
		return err
	}
	c.JSON(res.HTTPStatus(), res)
	return nil
}

func (a *API) createAgent(c *gin.Context) error {
	var in admin.AgentInput
	if err := httpapi.DecodeJSON(c, &in); err != nil {
		return err
	}
	v, err := a.Admin.Agents.Create(c.Request.Context(), ws(c), &in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, v)
	return nil
}

func (a *API) getAgent(c *gin.Context) error {
	v, err := a.Admin.Agents.Get(c.Request.Context(), ws(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func (a *API) listAgents(c *gin.Context) error {
	lp, err := httpapi.ListParams(c)
	if err != nil {
		return err
	}
	p, err := a.Admin.Agents.List(c.Request.Context(), ws(c), lp)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpapi.ListOf(p))
	return nil
}

func (a *API) patchAgent(c *gin.Context) error {
	body, err := httpapi.ReadBody(c)
	if err != nil {
		return err
	}
	v, err := a.Admin.Agents.Patch(c.Request.Context(), ws(c), c.Param("id"), body)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func (a *API) deleteAgent(c *gin.Context) error {
	if err := a.Admin.Agents.Delete(c.Request.Context(), ws(c), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (a *API) getRun(c *gin.Context) error {
	r, err := a.Admin.Runs.Get(c.Request.Context(), ws(c), c.Param("id"))
	if err != nil {
		return err
	}
	v := admin.ViewRun(r)
	if v.Approval, err = a.Admin.Runs.Approval(c.Request.Context(), ws(c), r.ID); err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// RunListParams reads the run filters of GET /v1/admin/runs.
func RunListParams(c *gin.Context) (store.RunListParams, error) {
	lp, err := httpapi.ListParams(c)
	if err != nil {
		return store.RunListParams{}, err
	}
	rp := store.RunListParams{ListParams: lp, Tool: c.Query("tool"), AgentID: c.Query("agent"),
		Outcome: c.Query("outcome"), Status: c.Query("status"), ConversationID: c.Query("conversation")}
	for name, dst := range map[string]*time.Time{"since": &rp.Since, "until": &rp.Until} {
		if v := c.Query(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return rp, problem.BadRequestf(name, "%s must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z", name)
			}
			*dst = t
		}
	}
	return rp, nil
}

func (a *API) listRuns(c *gin.Context) error {
	rp, err := RunListParams(c)
	if err != nil {
		return err
	}
	runs, err := a.Admin.Runs.List(c.Request.Context(), ws(c), rp)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpapi.ListRows(runs, rp.ListParams, func(r *store.Run) string { return r.ID }, admin.ViewRun))
	return nil
}

// replayRun runs a run's tool version again with its arguments and context
// (or edited arguments), as a new run linked to the old.
func (a *API) replayRun(c *gin.Context) error {
	var req struct {
		Arguments json.RawMessage `json:"arguments,omitempty"`
	}
	if c.Request.ContentLength != 0 {
		if err := httpapi.DecodeJSON(c, &req); err != nil {
			return err
		}
	}
	res, err := a.Admin.Runs.Replay(c.Request.Context(), ws(c), c.Param("id"), req.Arguments)
	if err != nil {
		return err
	}
	c.JSON(res.HTTPStatus(), res)
	return nil
}
