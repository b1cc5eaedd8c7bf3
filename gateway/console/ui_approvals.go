package console

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/store"
)

// uiApprovalRow is one approval of the queue, ready to show.
type uiApprovalRow struct {
	admin.Approval
	AgentName      string
	ConversationID string
	Arguments      string
	// Expired is set for a pending approval whose time ran out (the sweep
	// ends it shortly).
	Expired bool
}

// uiApprovalsData is the approval queue page's content.
type uiApprovalsData struct {
	Status   string
	Statuses []string
	Rows     []uiApprovalRow
	// Done says which run was just decided, and how.
	Done, DoneRun string
}

// uiApprovals shows the approval queue: pending approvals, oldest first,
// with their arguments and a form to approve or reject each; or the
// decided ones of a status.
func (u *Console) uiApprovals(c *gin.Context) error {
	status := c.DefaultQuery("status", store.ApprovalPending)
	if !slices.Contains(admin.ApprovalStatuses, status) {
		status = store.ApprovalPending
	}
	ws := httpapi.Who(c).WorkspaceID
	page, err := u.Admin.Runs.Approvals(c.Request.Context(), ws, status, everything)
	if err != nil {
		return err
	}
	names, _, err := u.agentNames(c)
	if err != nil {
		return err
	}
	now := u.now()
	rows := make([]uiApprovalRow, 0, len(page.Items))
	for _, item := range page.Items {
		row := uiApprovalRow{Approval: item.Approval, AgentName: names[item.AgentID],
			Expired: item.Status == store.ApprovalPending && !now.Before(item.ExpiresAt)}
		if item.Run != nil {
			row.ConversationID, row.Arguments = item.Run.ConversationID, prettyJSON(item.Run.Arguments)
		}
		rows = append(rows, row)
	}
	data := uiApprovalsData{Status: status, Statuses: admin.ApprovalStatuses, Rows: rows,
		Done: c.Query("done"), DoneRun: c.Query("run")}
	u.uiRender(c, http.StatusOK, "approvals", uiPage{Title: "Approvals", Nav: "approvals", CSRF: uiSessionOf(c).CSRFToken,
		SignedIn: true, Data: data})
	return nil
}

// uiApprove approves a run as the signed-in admin.
func (u *Console) uiApprove(c *gin.Context) error { return u.uiDecide(c, true) }

// uiReject rejects a run as the signed-in admin, with the form's reason.
func (u *Console) uiReject(c *gin.Context) error { return u.uiDecide(c, false) }

func (u *Console) uiDecide(c *gin.Context, approve bool) error {
	p := httpapi.Who(c)
	id, reason := c.Param("id"), uiFormValue(c, "reason")
	decide, done := u.Admin.Runs.Reject, store.ApprovalRejected
	if approve {
		decide, done = u.Admin.Runs.Approve, store.ApprovalApproved
	}
	if _, err := decide(c.Request.Context(), p.WorkspaceID, id, p.KeyID, reason); err != nil {
		return err
	}
	q := url.Values{"done": {done}, "run": {id}}
	c.Redirect(http.StatusSeeOther, "/ui/approvals?"+q.Encode())
	return nil
}

// guardrailNote explains a run a guardrail decided, "" for any other.
func guardrailNote(r *store.Run) string {
	switch {
	case r.CacheHit:
		return "Answered from the response cache: nothing was sent upstream."
	case r.Status == store.RunStatusAwaitingApproval:
		return "Waits for an admin's approval (see Approvals): nothing has been sent yet."
	}
	switch r.Outcome {
	case "needs_confirmation":
		return "The caller had to confirm first: the model was given the message to read back and a token. Nothing was sent."
	case "rate_limited":
		return "Held back by a rate or concurrency limit: nothing was sent."
	case "rejected":
		return "An admin rejected the call: nothing was sent."
	case "approval_expired":
		return "Nobody approved the call in time: nothing was sent."
	}
	return ""
}
