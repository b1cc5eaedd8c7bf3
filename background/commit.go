package background

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"github.com/toolgate/toolgate/store"
)

// Group commit. Every write of a background run is a transaction: a
// submitted run with its job, the attempt recorded before its request is
// sent, the attempt's outcome (with the callback's job when the run ends).
// One transaction per write made the commit and River's insert most of the
// cost of a background call. The committer gathers the writes that arrive
// while it is busy, and those of a short window after the first, and makes
// them in one transaction: the runs in one round trip, every job in one
// multi-row insert. Each writer waits for the commit of its write: a 202
// is answered only once the run and its job are durable.

// Defaults of the committer.
const (
	// CommitWindowDefault is how long the committer waits for more writes
	// after the first of a transaction (writes that arrive while it
	// commits join the next transaction without waiting).
	CommitWindowDefault = time.Millisecond
	// commitBatchMax bounds the writes of one transaction.
	commitBatchMax = 256
	// commitTimeout bounds one transaction.
	commitTimeout = 30 * time.Second
)

// errQueueStopped is returned for writes made while the queue stops.
var errQueueStopped = errors.New("background: the queue is stopping")

// insertTopic and insertPayload are River's notification that jobs were
// inserted in a queue: its producers fetch them at once. River sends it
// too, but at most once per FetchCooldown; each transaction of jobs sends
// its own, so that none waits for the next poll.
const (
	insertTopic   = "river_insert"
	insertPayload = `{"queue":"` + river.QueueDefault + `"}`
)

// write is one write of a background run: a run to insert with its job,
// or a run to update unless it has finished (been cancelled), with, when it
// is written, a job to insert (a callback).
type write struct {
	insert, update *store.Run
	// job is the job of an inserted run, or the job that follows a
	// written update (nil for none); jobOpts its options.
	job     river.JobArgs
	jobOpts *river.InsertOpts
	done    chan writeResult
}

type writeResult struct {
	// written reports, for an update, whether the run was written: false
	// means it was finished, cancelled or gone.
	written bool
	err     error
}

// committer is a queue's group commit: writes reaches its goroutine, which
// runs between start and stop.
type committer struct {
	window  time.Duration
	writes  chan *write
	stop    chan struct{}
	stopped chan struct{}
}

// submitWrite makes w, through the committer when it runs, else in a
// transaction of its own, and waits for its commit. It returns early only
// when ctx ends before w is handed over.
func (q *queue[TDriver, TTx]) submitWrite(ctx context.Context, w *write) (writeResult, error) {
	w.done = make(chan writeResult, 1)
	c := q.commit.Load()
	if c == nil {
		return q.writeAlone(ctx, w), nil
	}
	select {
	case c.writes <- w:
	case <-c.stopped:
		return q.writeAlone(ctx, w), nil
	case <-ctx.Done():
		return writeResult{}, ctx.Err()
	}
	return <-w.done, nil
}

// write makes w and returns its result.
func (q *queue[TDriver, TTx]) write(ctx context.Context, w *write) (written bool, err error) {
	res, err := q.submitWrite(ctx, w)
	if err != nil {
		return false, err
	}
	return res.written, res.err
}

// writeAlone makes w in a transaction of its own.
func (q *queue[TDriver, TTx]) writeAlone(ctx context.Context, w *write) writeResult {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	results, err := q.writeBatch(ctx, []*write{w})
	if err != nil {
		return writeResult{err: err}
	}
	return results[0]
}

// startCommitter starts the group commit.
func (q *queue[TDriver, TTx]) startCommitter() {
	c := &committer{window: q.cfg.CommitWindow, writes: make(chan *write), stop: make(chan struct{}), stopped: make(chan struct{})}
	q.commit.Store(c)
	go q.commitLoop(c)
}

// stopCommitter stops the group commit once the writes it holds are made;
// later writes are made alone.
func (q *queue[TDriver, TTx]) stopCommitter() {
	if c := q.commit.Load(); c != nil {
		select {
		case <-c.stop:
		default:
			close(c.stop)
		}
		<-c.stopped
	}
}

func (q *queue[TDriver, TTx]) commitLoop(c *committer) {
	defer close(c.stopped)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var batch []*write
		select {
		case w := <-c.writes:
			batch = append(batch, w)
		case <-c.stop:
			return
		}
		// Gather what waits now and what comes within the window.
		if c.window > 0 {
			timer.Reset(c.window)
		}
	gather:
		for len(batch) < commitBatchMax {
			select {
			case w := <-c.writes:
				batch = append(batch, w)
				continue
			default:
			}
			if c.window <= 0 {
				break
			}
			select {
			case w := <-c.writes:
				batch = append(batch, w)
			case <-timer.C:
				break gather
			}
		}
		if c.window > 0 && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		q.commitBatch(batch)
	}
}

// commitBatch makes a batch of writes in one transaction and answers each.
// When the transaction fails, each write is made alone, so that one the
// store refuses does not fail the others.
func (q *queue[TDriver, TTx]) commitBatch(batch []*write) {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	results, err := q.writeBatch(ctx, batch)
	if err != nil {
		if len(batch) == 1 {
			batch[0].done <- writeResult{err: err}
			return
		}
		for _, w := range batch {
			w.done <- q.writeAlone(ctx, w)
		}
		return
	}
	for i, w := range batch {
		w.done <- results[i]
	}
}

// writeBatch makes writes in one transaction: the inserted runs in one
// round trip, the updated ones in another, then every job in one insert.
func (q *queue[TDriver, TTx]) writeBatch(ctx context.Context, writes []*write) ([]writeResult, error) {
	ops := q.ops
	tx, err := ops.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer ops.rollback(ctx, tx)
	var (
		inserts, updates []*store.Run
		updaters         []int // the index in writes of each update
		jobs             []river.InsertManyParams
	)
	for i, w := range writes {
		switch {
		case w.insert != nil:
			inserts = append(inserts, w.insert)
			jobs = append(jobs, river.InsertManyParams{Args: w.job, InsertOpts: w.jobOpts})
		case w.update != nil:
			updates = append(updates, w.update)
			updaters = append(updaters, i)
		}
	}
	results := make([]writeResult, len(writes))
	if len(inserts) > 0 {
		if err := ops.insertRuns(ctx, tx, inserts); err != nil {
			return nil, fmt.Errorf("storing queued runs: %w", err)
		}
	}
	if len(updates) > 0 {
		written, err := ops.updateRuns(ctx, tx, updates)
		if err != nil {
			return nil, fmt.Errorf("storing runs: %w", err)
		}
		for j, i := range updaters {
			results[i].written = written[j]
			if written[j] && writes[i].job != nil {
				jobs = append(jobs, river.InsertManyParams{Args: writes[i].job, InsertOpts: writes[i].jobOpts})
			}
		}
	}
	if len(jobs) > 0 {
		if _, err := q.client.InsertManyFastTx(ctx, tx, jobs); err != nil {
			return nil, fmt.Errorf("enqueueing jobs: %w", err)
		}
		if err := q.client.Driver().UnwrapExecutor(tx).NotifyMany(ctx, &riverdriver.NotifyManyParams{
			Payload: []string{insertPayload}, Topic: insertTopic,
		}); err != nil {
			return nil, fmt.Errorf("notifying workers: %w", err)
		}
	}
	if err := ops.commit(ctx, tx); err != nil {
		return nil, err
	}
	return results, nil
}
