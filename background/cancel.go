package background

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/store"
)

var _ invoke.Canceller = (*Queue)(nil)

// CancelledMessage is the error recorded on a cancelled run.
const CancelledMessage = "cancelled by the caller before it finished"

// canceller is a driver-specific queue that can cancel runs.
type canceller interface {
	cancel(ctx context.Context, workspaceID, runID string) (*store.Run, error)
	cancelled(ctx context.Context, workspaceID, runID string) bool
}

// Cancel cancels a queued or running background run: its job is cancelled
// (a running attempt's context is cancelled as soon as the worker hears of
// it) and the run is recorded as failed with outcome invoke.OutcomeCancelled,
// in one transaction. The run keeps that record whatever the attempt under
// way does. A run that already finished is invoke.ErrRunFinished.
func (q *Queue) Cancel(ctx context.Context, workspaceID, runID string) (*store.Run, error) {
	c, ok := q.impl.(canceller)
	if !ok {
		return nil, errors.New("background: this queue cannot cancel runs")
	}
	return c.cancel(ctx, workspaceID, runID)
}

// runFinished reports whether a run is in a final state.
func runFinished(r *store.Run) bool {
	return r.Status == store.RunStatusSucceeded || r.Status == store.RunStatusFailed
}

func (q *queue[TDriver, TTx]) cancel(ctx context.Context, workspaceID, runID string) (*store.Run, error) {
	run, err := q.cfg.Store.RunGet(ctx, workspaceID, runID)
	if err != nil {
		return nil, err
	}
	if runFinished(run) {
		return nil, invoke.ErrRunFinished
	}
	// The run's job: its arguments name the run (at most one job exists; the
	// filter also bounds what a corrupt queue could return).
	jobs, err := q.client.JobList(ctx, river.NewJobListParams().Kinds(RunArgs{}.Kind()).
		Where("args ->> 'run_id' = @run_id", river.NamedArgs{"run_id": runID}).First(10))
	if err != nil {
		return nil, fmt.Errorf("finding the job of run %s: %w", runID, err)
	}
	tx, err := q.ops.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer q.ops.rollback(ctx, tx)
	for _, job := range jobs.Jobs {
		row, err := q.client.JobCancelTx(ctx, tx, job.ID)
		if errors.Is(err, river.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cancelling the job of run %s: %w", runID, err)
		}
		if row.State == rivertype.JobStateCompleted {
			// The worker finished first: the run has its final record.
			return nil, invoke.ErrRunFinished
		}
	}
	now := q.cfg.Now().UTC()
	cancelled := *run
	cancelled.Status = store.RunStatusFailed
	cancelled.Outcome = invoke.OutcomeCancelled
	cancelled.Error = CancelledMessage
	cancelled.FinishedAt = &now
	if err := q.ops.updateRun(ctx, tx, &cancelled); err != nil {
		return nil, fmt.Errorf("recording cancelled run: %w", err)
	}
	if err := q.ops.commit(ctx, tx); err != nil {
		return nil, err
	}
	return &cancelled, nil
}

// cancelled reports whether the run was cancelled (as committed).
func (q *queue[TDriver, TTx]) cancelled(ctx context.Context, workspaceID, runID string) bool {
	run, err := q.cfg.Store.RunGet(ctx, workspaceID, runID)
	return err == nil && run.Status == store.RunStatusFailed && run.Outcome == invoke.OutcomeCancelled
}

// errRunCancelled ends the job of a run cancelled during its attempt.
var errRunCancelled = errors.New("the run was cancelled")

// writeUnlessCancelled writes a worker's record of a run, unless the run was
// cancelled (then it writes nothing and reports so). The update takes the
// run row's write lock before the run is read back, and Cancel writes the
// same row in its transaction: whichever commits second sees the other,
// so a cancelled run stays cancelled (finish checks the same way inside
// its own transaction).
func (q *queue[TDriver, TTx]) writeUnlessCancelled(ctx context.Context, record *store.Run) (cancelled bool, err error) {
	tx, err := q.ops.begin(ctx)
	if err != nil {
		return false, err
	}
	defer q.ops.rollback(ctx, tx)
	if err := q.ops.updateRun(ctx, tx, record); err != nil {
		return false, fmt.Errorf("storing run: %w", err)
	}
	if q.cancelled(ctx, record.WorkspaceID, record.ID) {
		return true, nil
	}
	return false, q.ops.commit(ctx, tx)
}

// cancelledOr is what Work returns when a write was refused because the
// run was cancelled, or failed.
func cancelledOr(cancelled bool, err error) error {
	if cancelled {
		return river.JobCancel(errRunCancelled)
	}
	return err
}
