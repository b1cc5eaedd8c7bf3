package adminapi

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/problem"
)

// decisionRequest is the optional body of an approve or a reject.
type decisionRequest struct {
	// Reason is recorded with the decision; a rejection's is told to the
	// caller.
	Reason string `json:"reason,omitempty"`
}

// approveRun lets a run awaiting approval execute as a background run.
// Only admin keys reach it (the group requires one); the decision records
// the key. 200 with the approval; 404 when the run does not await
// approval; 409 when it was already decided or expired.
func (a *API) approveRun(c *gin.Context) error {
	var req decisionRequest
	if err := decodeOptional(c, &req); err != nil {
		return err
	}
	p := httpapi.Who(c)
	v, err := a.Admin.Runs.Approve(c.Request.Context(), p.WorkspaceID, c.Param("id"), p.KeyID, req.Reason)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// rejectRun ends a run awaiting approval with outcome rejected
// ({"reason": ...}, told to the caller).
func (a *API) rejectRun(c *gin.Context) error {
	var req decisionRequest
	if err := decodeOptional(c, &req); err != nil {
		return err
	}
	p := httpapi.Who(c)
	v, err := a.Admin.Runs.Reject(c.Request.Context(), p.WorkspaceID, c.Param("id"), p.KeyID, req.Reason)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// listApprovals pages through the approval queue: ?status=pending (the
// default), approved, rejected, expired or all.
func (a *API) listApprovals(c *gin.Context) error {
	lp, err := httpapi.ListParams(c)
	if err != nil {
		return err
	}
	status := c.DefaultQuery("status", "pending")
	if status == "all" {
		status = ""
	}
	p, err := a.Admin.Runs.Approvals(c.Request.Context(), ws(c), status, lp)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpapi.ListOf(p))
	return nil
}

// patchWorkspace changes the workspace's settings
// ({"approvals": {"webhook_url": ...}}).
func (a *API) patchWorkspace(c *gin.Context) error {
	body, err := httpapi.ReadBody(c)
	if err != nil {
		return err
	}
	w, err := a.Admin.Workspaces.Patch(c.Request.Context(), ws(c), body)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, w)
	return nil
}

// decodeOptional decodes a JSON body when there is one.
func decodeOptional(c *gin.Context, v any) error {
	body, err := httpapi.ReadBody(c)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return err
	}
	return problem.DecodeJSON(body, v)
}
