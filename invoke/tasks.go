package invoke

import (
	"context"
	"errors"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
)

// OutcomeCancelled is the outcome of a background run that was cancelled
// before it finished (its status is failed).
const OutcomeCancelled = "cancelled"

// ErrRunFinished is returned by Canceller.Cancel when the run reached a
// final state before it could be cancelled.
var ErrRunFinished = errors.New("the run already finished")

// Canceller is a Queue that can cancel a queued or running run (package
// background's Queue): its job is cancelled and the run recorded as failed
// with OutcomeCancelled, which it keeps whatever the attempt under way does.
type Canceller interface {
	// Cancel returns the run as recorded after cancelling, or an error
	// wrapping ErrRunFinished or store.ErrNotFound.
	Cancel(ctx context.Context, workspaceID, runID string) (*store.Run, error)
}

// Queues reports whether background calls are queued (and so can be
// polled and cancelled) rather than run in the foreground.
func (iv *Invoker) Queues() bool { return iv.queue != nil }

// AgentRunRecord returns an agent's own run record (for MCP tasks); another
// agent's run is NotFound.
func (iv *Invoker) AgentRunRecord(ctx context.Context, workspaceID, agentID, runID string) (*store.Run, error) {
	r, err := iv.LoadRun(ctx, workspaceID, runID)
	if err != nil {
		return nil, err
	}
	if r.AgentID != agentID {
		return nil, problem.NotFoundf("run")
	}
	return r, nil
}

// AgentRuns lists an agent's runs newest first, one page after p.Cursor.
// Runs not yet written are written first, so every call that returned is
// listed.
func (iv *Invoker) AgentRuns(ctx context.Context, workspaceID, agentID string, p store.ListParams) ([]*store.Run, error) {
	if err := iv.engine.Recorder().Flush(ctx); err != nil {
		return nil, err
	}
	return iv.store.RunList(ctx, workspaceID, store.RunListParams{ListParams: p, AgentID: agentID})
}

// CancelAgentRun cancels an agent's queued or running background run and
// returns its record. Another agent's run is NotFound; a run that already
// finished is a Conflict.
func (iv *Invoker) CancelAgentRun(ctx context.Context, workspaceID, agentID, runID string) (*store.Run, error) {
	r, err := iv.AgentRunRecord(ctx, workspaceID, agentID, runID)
	if err != nil {
		return nil, err
	}
	if r.Status == store.RunStatusAwaitingApproval {
		// The agent withdraws its request before an admin decided it.
		if _, err := iv.decide(ctx, &store.ApprovalDecision{WorkspaceID: workspaceID, RunID: runID,
			DecidedBy: "agent:" + agentID, Reason: "cancelled by the agent", At: iv.now().UTC(),
			Status: store.ApprovalRejected, RunStatus: store.RunStatusFailed, RunOutcome: OutcomeCancelled,
			RunError: "cancelled by the agent before it was approved"}); err != nil {
			return nil, err
		}
		return iv.AgentRunRecord(ctx, workspaceID, agentID, runID)
	}
	if r.Status != store.RunStatusQueued && r.Status != store.RunStatusRunning {
		return nil, problem.Conflictf("the run already finished with status %s", r.Status)
	}
	c, ok := iv.queue.(Canceller)
	if !ok {
		return nil, problem.Conflictf("runs cannot be cancelled here")
	}
	cancelled, err := c.Cancel(ctx, workspaceID, runID)
	switch {
	case errors.Is(err, ErrRunFinished):
		return nil, problem.Conflictf("the run already finished")
	case errors.Is(err, store.ErrNotFound):
		return nil, problem.NotFoundf("run")
	case err != nil:
		return nil, err
	}
	return cancelled, nil
}
