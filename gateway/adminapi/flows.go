package adminapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
)

// flowRoutes registers an agent's conversation flows under
// /agents/{id}/flows.
func (a *API) flowRoutes(g *gin.RouterGroup) {
	h := a.Errors.Handle
	g.GET("/agents/:id/flows", h(a.listFlows))
	g.POST("/agents/:id/flows", h(a.createFlow))
	g.GET("/agents/:id/flows/:flow_id", h(a.getFlow))
	g.PATCH("/agents/:id/flows/:flow_id", h(a.patchFlow))
	g.DELETE("/agents/:id/flows/:flow_id", h(a.deleteFlow))
	g.POST("/agents/:id/flows/:flow_id/validate", h(a.validateFlow))
	g.POST("/agents/:id/flows/:flow_id/publish", h(a.publishFlow))
	g.GET("/agents/:id/flows/:flow_id/versions", h(a.listFlowVersions))
}

// flowList is the answer of GET /agents/{id}/flows: a page of flows and
// how many the agent has.
type flowList struct {
	Items      []admin.Flow `json:"items"`
	Total      int          `json:"total"`
	NextCursor string       `json:"next_cursor"`
}

func (a *API) listFlows(c *gin.Context) error {
	lp, err := httpapi.ListParams(c)
	if err != nil {
		return err
	}
	p, err := a.Admin.Flows.List(c.Request.Context(), ws(c), c.Param("id"), lp)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, flowList{Items: p.Items, Total: p.Total, NextCursor: httpapi.Cursor(p.Next)})
	return nil
}

func (a *API) createFlow(c *gin.Context) error {
	var in admin.FlowInput
	if err := httpapi.DecodeJSON(c, &in); err != nil {
		return err
	}
	f, err := a.Admin.Flows.Create(c.Request.Context(), ws(c), c.Param("id"), &in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, f)
	return nil
}

func (a *API) getFlow(c *gin.Context) error {
	f, err := a.Admin.Flows.Get(c.Request.Context(), ws(c), c.Param("id"), c.Param("flow_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, f)
	return nil
}

func (a *API) patchFlow(c *gin.Context) error {
	var in admin.FlowPatch
	if err := httpapi.DecodeJSON(c, &in); err != nil {
		return err
	}
	f, err := a.Admin.Flows.Patch(c.Request.Context(), ws(c), c.Param("id"), c.Param("flow_id"), &in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, f)
	return nil
}

func (a *API) deleteFlow(c *gin.Context) error {
	if err := a.Admin.Flows.Delete(c.Request.Context(), ws(c), c.Param("id"), c.Param("flow_id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (a *API) validateFlow(c *gin.Context) error {
	report, err := a.Admin.Flows.Validate(c.Request.Context(), ws(c), c.Param("id"), c.Param("flow_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, report)
	return nil
}

func (a *API) publishFlow(c *gin.Context) error {
	v, err := a.Admin.Flows.Publish(c.Request.Context(), ws(c), c.Param("id"), c.Param("flow_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func (a *API) listFlowVersions(c *gin.Context) error {
	versions, err := a.Admin.Flows.Versions(c.Request.Context(), ws(c), c.Param("id"), c.Param("flow_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpapi.List[admin.FlowVersion]{Items: versions})
	return nil
}
