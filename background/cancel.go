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
	// Only a run not yet finished is cancelled: a worker's final record
	// committed meanwhile (its job completes after it) wins.
	written, err := q.ops.updateRuns(ctx, tx, []*store.Run{&cancelled})
	if err != nil {
		return nil, fmt.Errorf("recording cancelled run: %w", err)
	}
	if !written[0] {
		return nil, invoke.ErrRunFinished
	}
	if err := q.ops.commit(ctx, tx); err != nil {
		return nil, err
	}
	return &cancelled, nil
}

// errRunCancelled ends the job of a run cancelled during its attempt.
var errRunCancelled = errors.New("the run was cancelled")

// writeUnlessFinished writes a worker's record of a run through the group
// commit, with the job that follows it (a callback), unless the run has
// finished: cancelled, or gone. Cancel writes the same row only while the
// run has not finished either, so whichever commits second sees the other.
func (q *queue[TDriver, TTx]) writeUnlessFinished(ctx context.Context, record *store.Run, job river.JobArgs, opts *river.InsertOpts) (cancelled bool, err error) {
	written, err := q.write(ctx, &write{update: record, job: job, jobOpts: opts})
	if err != nil {
		return false, fmt.Errorf("storing run: %w", err)
	}
	return !written, nil
}

// cancelledOr is what Work returns when a write was refused because the
// run was cancelled, or failed.
func cancelledOr(cancelled bool, err error) error {
	if cancelled {
		return river.JobCancel(errRunCancelled)
	}
	return err
}
