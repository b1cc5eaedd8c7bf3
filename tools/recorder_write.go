package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/toolgate/toolgate/store"
)

// recorderWriteTimeout bounds one write to the store.
const recorderWriteTimeout = 10 * time.Second

// recorderWarnEvery is how often, at most, the writer repeats that the
// store still refuses runs.
const recorderWarnEvery = 30 * time.Second

// writer is the recorder's background goroutine and its state.
type writer struct {
	r *Recorder
	// batch delays a write until a batch fills; batchC is set while it
	// runs. retryC is set while the writer backs off after a failure.
	batch          *time.Timer
	batchC, retryC <-chan time.Time
	// logC wakes the writer to end a window of the per-run logs.
	logC <-chan time.Time
	// failures counts the failed tries since the store last took a write;
	// outageStart is the first of them.
	failures    int
	outageStart time.Time
	lastWarn    time.Time
}

// item is a pending run taken for writing, with the state written.
type item struct {
	p   *pendingRun
	run *store.Run
}

func (w *writer) loop() {
	r := w.r
	defer close(r.stopped)
	w.batch = time.NewTimer(r.cfg.Flush)
	w.batch.Stop()
	for {
		r.drops.tick()
		r.details.tick()
		if w.logC == nil && (r.drops.waiting() || r.details.waiting()) {
			w.logC = time.After(runLogInterval)
		}
		select {
		case <-w.logC:
			w.logC = nil
		case <-r.wake:
			if w.retryC != nil || w.batchC != nil {
				continue // a write is already due
			}
			if r.pendingLen() >= r.cfg.Batch {
				w.write()
			} else {
				w.armBatch()
			}
		case <-w.batchC:
			w.batchC = nil
			w.write()
		case <-w.retryC:
			w.retryC = nil
			w.write()
		case req := <-r.flushes:
			req.done <- w.flushTo(req.target)
		case <-r.done:
			w.batch.Stop()
			w.shutdown()
			return
		}
	}
}

func (w *writer) armBatch() {
	w.batch.Reset(w.r.cfg.Flush)
	w.batchC = w.batch.C
}

// write makes passes while full batches are pending, then waits for the
// next batch to fill; when the store refuses writes it backs off.
func (w *writer) write() {
	r := w.r
	for {
		if err := r.pass(); err != nil {
			w.retry(err)
			return
		}
		w.recovered()
		switch n := r.pendingLen(); {
		case n == 0:
			return
		case n < r.cfg.Batch:
			w.armBatch()
			return
		}
	}
}

// flushTo writes until no run recorded up to target is pending.
func (w *writer) flushTo(target uint64) error {
	r := w.r
	for r.pendingUpTo(target) > 0 {
		if err := r.pass(); err != nil {
			w.retry(err)
			return fmt.Errorf("%w: %d runs are not written yet: %w", ErrRunHistoryUnavailable, r.pendingUpTo(target), err)
		}
		w.recovered()
	}
	if w.batchC == nil && w.retryC == nil && r.pendingLen() > 0 {
		w.armBatch() // the runs recorded since were not given a write
	}
	return nil
}

// failed notes, and logs now and then, a try the store refused.
func (w *writer) failed(err error) {
	r := w.r
	now := r.cfg.Now()
	w.failures++
	if w.failures == 1 {
		w.outageStart = now
	}
	if w.failures == 1 || now.Sub(w.lastWarn) >= recorderWarnEvery {
		w.lastWarn = now
		r.cfg.Logger.Warn("the store refuses runs; keeping them in memory and retrying",
			"pending", r.pendingLen(), "bound", r.cfg.MaxPending, "mode", r.cfg.Mode,
			"failing_for", now.Sub(w.outageStart).Round(time.Millisecond).String(), "err", err)
	}
}

// retry notes a failed try and arms the retry, unless one is armed already.
func (w *writer) retry(err error) {
	w.failed(err)
	if w.retryC == nil {
		w.retryC = w.r.cfg.After(w.backoff())
	}
}

// backoff is the wait after the latest failure: RetryMin, doubled per
// further failure, at most RetryMax.
func (w *writer) backoff() time.Duration {
	d := w.r.cfg.RetryMin
	for i := 1; i < w.failures && d < w.r.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, w.r.cfg.RetryMax)
}

// recovered notes that the store took a write after failures.
func (w *writer) recovered() {
	if w.failures == 0 {
		return
	}
	r := w.r
	r.cfg.Logger.Info("the store takes runs again; writing the runs kept meanwhile",
		"pending", r.pendingLen(), "failed_tries", w.failures,
		"outage", r.cfg.Now().Sub(w.outageStart).Round(time.Millisecond).String())
	w.failures = 0
	w.retryC = nil
}

// shutdown writes what is pending, trying until StopTimeout has passed,
// then logs and counts the runs that could not be written.
func (w *writer) shutdown() {
	r := w.r
	deadline := r.cfg.Now().Add(r.cfg.StopTimeout)
	for r.pendingLen() > 0 {
		err := r.pass()
		if err == nil {
			w.recovered()
			continue
		}
		w.failed(err)
		left := deadline.Sub(r.cfg.Now())
		if left <= 0 {
			break
		}
		<-r.cfg.After(min(w.backoff(), left))
	}
	if lost := r.clearPending(); len(lost) > 0 {
		if m := r.cfg.Metrics; m != nil {
			m.recorderDrops.Add(float64(len(lost)))
		}
		ids := make([]string, 0, min(len(lost), runLogIDs))
		for _, run := range lost[:min(len(lost), runLogIDs)] {
			ids = append(ids, run.ID)
		}
		r.cfg.Logger.Error("runs could not be written before shutdown: they will never be stored",
			"runs", len(lost), "stop_timeout", r.cfg.StopTimeout.String(), "run_ids", ids)
	}
	r.drops.flush()
	r.details.flush()
}

// pass writes the oldest pending runs, at most a batch, in one
// transaction. When the store refuses the batch, the runs are written one
// by one so that a run the store refuses on its own (see refused) does not
// hold the others back. It returns an error when the store refuses writes;
// the runs not written stay pending.
func (r *Recorder) pass() error {
	items := r.take(r.cfg.Batch)
	if len(items) == 0 {
		return nil
	}
	runs := make([]*store.Run, len(items))
	for i, it := range items {
		runs[i] = it.run
	}
	err := r.insert(runs...)
	if err == nil {
		r.settle(items...)
		return nil
	}
	r.writeFailed()
	for _, it := range items {
		if len(items) > 1 {
			if err = r.insert(it.run); err != nil {
				r.writeFailed()
			}
		}
		if err != nil && !r.refused(it.run, err) {
			return err
		}
		r.settle(it)
	}
	return nil
}

// refused handles a run the store would not write on its own. It reports
// false when the store refuses writes in general (the run stays pending),
// and true when it refuses this run only: a run whose ID belongs to another
// workspace, or whose workspace no longer exists, is dropped; any other run
// the store refuses while it takes the run's summary (what strippedRun
// keeps) is stored as that summary. The content of a run is what a store
// refuses on its own (PostgreSQL refuses NUL in text, for one); a disk
// nearly full, that takes the summary but not a large response, also
// leaves the summary.
func (r *Recorder) refused(run *store.Run, err error) bool {
	if errors.Is(err, store.ErrConflict) {
		r.drop(run, "its ID belongs to a run of another workspace", err)
		return true
	}
	if r.insert(strippedRun(run, err)) == nil {
		// The store takes writes. Try the whole run once more, in case
		// it refused it for a moment only.
		if err = r.insert(run); err == nil {
			return true
		}
		r.writeFailed()
		if m := r.cfg.Metrics; m != nil {
			m.recorderDetails.Inc()
		}
		r.details.add(run, "the store refused them", err)
		return true
	}
	r.writeFailed()
	ctx, cancel := context.WithTimeout(context.Background(), recorderWriteTimeout)
	defer cancel()
	if _, werr := r.cfg.Store.WorkspaceGet(ctx, run.WorkspaceID); errors.Is(werr, store.ErrNotFound) {
		r.drop(run, "its workspace does not exist", err)
		return true
	}
	return false
}

func (r *Recorder) insert(runs ...*store.Run) error {
	ctx, cancel := context.WithTimeout(context.Background(), recorderWriteTimeout)
	defer cancel()
	return r.cfg.Store.RunInsertBatch(ctx, runs)
}

func (r *Recorder) writeFailed() {
	if m := r.cfg.Metrics; m != nil {
		m.recorderErrors.Inc()
	}
}

// take returns the oldest pending runs, at most n.
func (r *Recorder) take(n int) []item {
	r.mu.Lock()
	defer r.mu.Unlock()
	items := make([]item, 0, min(n, len(r.pending)))
	for p := r.head; p != nil && len(items) < n; p = p.next {
		items = append(items, item{p: p, run: p.run})
	}
	return items
}

// settle removes written (or dropped) runs from the pending runs, unless a
// newer state of the run was recorded meanwhile: that one stays, to be
// written next.
func (r *Recorder) settle(items ...item) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, it := range items {
		p := it.p
		if p.run != it.run {
			p.since = p.seq
			continue
		}
		r.unlinkLocked(p)
		delete(r.pending, p.run.ID)
		r.bytes -= p.size
	}
	r.changedLocked()
}

func (r *Recorder) pendingLen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// pendingUpTo counts the runs with a state recorded up to seq not written
// yet.
func (r *Recorder) pendingUpTo(seq uint64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for p := r.head; p != nil; p = p.next {
		if p.added > seq {
			break // entries are in the order they were added
		}
		if p.since <= seq {
			n++
		}
	}
	return n
}

// clearPending empties the pending runs and returns them.
func (r *Recorder) clearPending() []*store.Run {
	r.mu.Lock()
	defer r.mu.Unlock()
	runs := make([]*store.Run, 0, len(r.pending))
	for p := r.head; p != nil; p = p.next {
		runs = append(runs, p.run)
	}
	r.head, r.tail = nil, nil
	clear(r.pending)
	r.bytes = 0
	r.changedLocked()
	return runs
}

// strippedRun is what is kept of a run whose details the store refused:
// what ran, for whom, when and how it ended. Its error says why the rest is
// missing.
func strippedRun(run *store.Run, cause error) *store.Run {
	note := "toolgate could not store this run's details (arguments, request, response, result): the database refused them: " +
		storableText(cause.Error(), 500)
	errText := note
	if run.Error != "" {
		errText = storableText(run.Error, 2000) + " | " + note
	}
	return &store.Run{
		ID: run.ID, WorkspaceID: run.WorkspaceID, ToolID: storableText(run.ToolID, 256),
		ToolName: storableText(run.ToolName, 256), ToolVersion: run.ToolVersion,
		AgentID: storableText(run.AgentID, 256), ConversationID: storableText(run.ConversationID, 256),
		Status: storableText(run.Status, 64), Outcome: storableText(run.Outcome, 64), StatusCode: run.StatusCode,
		Error: errText, DurationMS: run.DurationMS, Truncated: run.Truncated,
		IdempotencyKey: storableText(run.IdempotencyKey, 256), ReplayOf: storableText(run.ReplayOf, 256),
		CreatedAt: run.CreatedAt, FinishedAt: run.FinishedAt,
	}
}

// storableText is s as every store takes it: valid UTF-8 without NUL
// (which PostgreSQL refuses), at most max bytes.
func storableText(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
