package admin

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
)

// Approval is a run's request for approval and its decision, as the admin
// API shows it.
type Approval struct {
	RunID       string    `json:"run_id"`
	Tool        string    `json:"tool"`
	AgentID     string    `json:"agent_id"`
	Status      string    `json:"status"`
	RequestedAt time.Time `json:"requested_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	// DecidedBy is the ID of the admin key that decided (empty for an
	// expiry).
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	// HasCallback says whether the run's result is delivered to a
	// callback URL (the URL itself may carry a receiver's token).
	HasCallback bool `json:"has_callback"`
}

// ViewApproval is a stored approval as the admin API shows it.
func ViewApproval(a *store.Approval) Approval {
	return Approval{RunID: a.RunID, Tool: a.ToolName, AgentID: a.AgentID, Status: a.Status, RequestedAt: a.RequestedAt,
		ExpiresAt: a.ExpiresAt, DecidedBy: a.DecidedBy, DecidedAt: a.DecidedAt, Reason: a.Reason, HasCallback: a.CallbackURL != ""}
}

// ApprovalItem is one entry of the approval queue: the approval and the
// run it would execute (nil once the run was deleted).
type ApprovalItem struct {
	Approval
	Run *Run `json:"run"`
}

// Approve lets a run awaiting approval execute, as a background run, and
// records who approved it (the admin key keyID) and when. An agent's key
// never reaches this: the admin API and the console require an admin.
func (s *Runs) Approve(ctx context.Context, workspaceID, runID, keyID, reason string) (*Approval, error) {
	return s.decide(ctx, &invoke.Decision{WorkspaceID: workspaceID, RunID: runID, Approve: true, DecidedBy: keyID, Reason: reason})
}

// Reject ends a run awaiting approval with outcome rejected; the reason is
// what the caller hears.
func (s *Runs) Reject(ctx context.Context, workspaceID, runID, keyID, reason string) (*Approval, error) {
	return s.decide(ctx, &invoke.Decision{WorkspaceID: workspaceID, RunID: runID, DecidedBy: keyID, Reason: reason})
}

func (s *Runs) decide(ctx context.Context, d *invoke.Decision) (*Approval, error) {
	if d.DecidedBy == "" {
		return nil, &problem.Error{Kind: problem.Forbidden, Message: "only an admin can decide an approval"}
	}
	a, err := s.d.invoker.Decide(ctx, d)
	if err != nil {
		return nil, err
	}
	v := ViewApproval(a)
	return &v, nil
}

// Approval returns a run's approval, nil when the run never needed one.
func (s *Runs) Approval(ctx context.Context, workspaceID, runID string) (*Approval, error) {
	a, err := s.d.store.ApprovalGet(ctx, workspaceID, runID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := ViewApproval(a)
	return &v, nil
}

// ApprovalStatuses are the statuses the approval queue filters by.
var ApprovalStatuses = []string{store.ApprovalPending, store.ApprovalApproved, store.ApprovalRejected, store.ApprovalExpired}

// Approvals pages through the workspace's approvals with a status (all
// when empty), oldest request first, each with its run.
func (s *Runs) Approvals(ctx context.Context, workspaceID, status string, p store.ListParams) (*Page[ApprovalItem], error) {
	if status != "" && !slices.Contains(ApprovalStatuses, status) {
		return nil, problem.BadRequestf("status", "status must be pending, approved, rejected or expired")
	}
	list, err := s.d.store.ApprovalList(ctx, workspaceID, status, p)
	if err != nil {
		return nil, err
	}
	return pageOf(list, p, func(a *store.Approval) string { return a.RunID }, func(a *store.Approval) (ApprovalItem, error) {
		item := ApprovalItem{Approval: ViewApproval(a)}
		r, err := s.d.invoker.LoadRun(ctx, workspaceID, a.RunID)
		switch {
		case problem.Is(err, problem.NotFound):
		case err != nil:
			return item, err
		default:
			v := ViewRun(r)
			item.Run = &v
		}
		return item, nil
	})
}
