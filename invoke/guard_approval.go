package invoke

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// ApprovalQueue keeps runs that wait for an admin's approval and carries
// out decisions (package background's Queue). An Invoker whose Queue is
// one supports tools that require approval.
type ApprovalQueue interface {
	// RequestApproval stores a run awaiting approval with its approval and,
	// when webhookURL is set, the job that announces it there, in one
	// transaction.
	RequestApproval(ctx context.Context, run *store.Run, a *store.Approval, webhookURL string) error
	// DecideApproval decides a pending approval in one transaction with
	// what follows: the job of an approved run, the callback of a rejected
	// or expired one. Errors are the store's (ErrNotFound, ErrConflict).
	DecideApproval(ctx context.Context, d *store.ApprovalDecision) (*store.Approval, error)
}

// MaxApprovalReasonBytes bounds an admin's reason for a decision.
const MaxApprovalReasonBytes = 500

// expireBatch bounds the approvals one sweep step expires.
const expireBatch = 100

// requestApproval turns an inspected call into a run awaiting approval
// (nothing is sent) and answers at once with what to tell the caller.
func (iv *Invoker) requestApproval(ctx context.Context, call *tools.Call, in *tools.Inspection, callbackURL string) (*tools.Result, error) {
	cfg := call.Tool.Def.Approval
	if iv.approvals == nil {
		res, record := iv.engine.Stop(in, tools.OutcomeConfigError, prompts.UpstreamFailure(prompts.FailureData{
			Tool: call.Tool.Name, Outcome: tools.OutcomeConfigError}),
			"the tool requires approval, which needs the background job queue this gateway runs without")
		iv.engine.Recorder().Record(record)
		return res, nil
	}
	settings, err := iv.store.WorkspaceSettingsGet(ctx, call.WorkspaceID)
	if err != nil {
		return nil, err
	}
	res, run := iv.engine.Queued(in)
	run.Status, res.Status = store.RunStatusAwaitingApproval, store.RunStatusAwaitingApproval
	now := iv.now().UTC()
	a := &store.Approval{WorkspaceID: call.WorkspaceID, RunID: run.ID, AgentID: call.AgentID, ToolName: call.Tool.Name,
		Status: store.ApprovalPending, CallbackURL: callbackURL, TimeoutMS: call.Tool.Def.EffectiveTimeoutMS(),
		RequestedAt: now, ExpiresAt: now.Add(cfg.Timeout())}
	if err := iv.approvals.RequestApproval(ctx, run, a, settings.ApprovalWebhookURL); err != nil {
		return nil, err
	}
	res.Message = prompts.AwaitingApproval(call.Tool.Name, cfg.Message)
	iv.metrics.approvals.WithLabelValues(call.Tool.Name, "requested").Inc()
	return res, nil
}

// Decision is an admin's answer to a run awaiting approval.
type Decision struct {
	WorkspaceID string
	RunID       string
	Approve     bool
	// DecidedBy names the admin (their key's ID).
	DecidedBy string
	// Reason is optional; a rejection's reason is told to the caller.
	Reason string
}

// Decide approves or rejects a run awaiting approval. An approved run is
// queued as a background run (its callback, polling and attempts as for
// any); a rejected one ends failed with outcome rejected. A run that does
// not await approval is NotFound, one already decided a Conflict.
func (iv *Invoker) Decide(ctx context.Context, d *Decision) (*store.Approval, error) {
	if len(d.Reason) > MaxApprovalReasonBytes {
		return nil, problem.BadRequestf("reason", "reason must be at most %d bytes", MaxApprovalReasonBytes)
	}
	dec := &store.ApprovalDecision{WorkspaceID: d.WorkspaceID, RunID: d.RunID, DecidedBy: d.DecidedBy,
		Reason: d.Reason, At: iv.now().UTC()}
	if d.Approve {
		dec.Status, dec.RunStatus = store.ApprovalApproved, store.RunStatusQueued
	} else {
		dec.Status, dec.RunStatus, dec.RunOutcome, dec.RunError = store.ApprovalRejected, store.RunStatusFailed,
			tools.OutcomeRejected, d.Reason
	}
	return iv.decide(ctx, dec)
}

// decide carries out a decision through the queue.
func (iv *Invoker) decide(ctx context.Context, d *store.ApprovalDecision) (*store.Approval, error) {
	if iv.approvals == nil {
		return nil, problem.NotFoundf("run awaiting approval")
	}
	a, err := iv.approvals.DecideApproval(ctx, d)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, problem.NotFoundf("run awaiting approval")
	case errors.Is(err, store.ErrConflict):
		return nil, problem.Conflictf("the run no longer awaits approval: it was already decided or expired")
	case err != nil:
		return nil, err
	}
	iv.metrics.approvals.WithLabelValues(a.ToolName, d.Status).Inc()
	return a, nil
}

// ExpireApprovals ends every pending approval of every workspace whose
// time ran out: its run fails with outcome approval_expired (and its
// callback is delivered). Any replica may run it: each approval expires
// once. It returns how many expired.
func (iv *Invoker) ExpireApprovals(ctx context.Context) (int, error) {
	if iv.approvals == nil {
		return 0, nil
	}
	n := 0
	for {
		now := iv.now().UTC()
		list, err := iv.store.ApprovalListExpired(ctx, now, expireBatch)
		if err != nil {
			return n, err
		}
		for _, a := range list {
			timeout := a.ExpiresAt.Sub(a.RequestedAt).Round(time.Second)
			_, err := iv.decide(ctx, &store.ApprovalDecision{WorkspaceID: a.WorkspaceID, RunID: a.RunID,
				Status: store.ApprovalExpired, At: now, RunStatus: store.RunStatusFailed,
				RunOutcome: tools.OutcomeApprovalExpired, RunError: fmt.Sprintf("nobody approved the run within %s", timeout)})
			if problem.Is(err, problem.Conflict) {
				continue // decided meanwhile, here or on another replica
			}
			if err != nil {
				return n, err
			}
			n++
		}
		if len(list) < expireBatch {
			return n, nil
		}
	}
}
