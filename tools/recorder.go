package tools

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/toolgate/toolgate/store"
)

// ErrRunHistoryUnavailable is returned by Recorder.Admit (and Engine.Admit)
// in required mode while the runs the store has not taken yet fill the
// recorder's buffer, and by Recorder.Flush while the store refuses writes.
// A call refused with it was not started: nothing was sent upstream. The
// HTTP surface answers it with 503 and the error type
// run_history_unavailable.
var ErrRunHistoryUnavailable = errors.New("run history unavailable: the database is not taking run records; the call was not made, try again shortly")

// OutcomeRunHistoryUnavailable is the outcome of a call Engine.Run refused
// because the recorder did not admit it (see Engine.Admit). It is not a
// run's outcome: nothing was sent and no run was recorded.
const OutcomeRunHistoryUnavailable = "run_history_unavailable"

// Recorder writes runs in batches off the hot path, so a call never waits
// for the disk. A run the store does not take (the database is down, its
// disk is full) is kept in memory and written, with backoff, once the store
// takes writes again; while the kept runs fill the configured bound, Admit
// refuses new calls (required mode) or new runs are dropped, loudly
// (best-effort mode). Runs not yet written are visible through Get. Stop
// tries to write everything pending, for at most StopTimeout.
type Recorder struct {
	cfg     RecorderConfig
	wake    chan struct{}
	flushes chan flushRequest
	done    chan struct{}
	stopped chan struct{}
	once    sync.Once

	// closing guards the hand-over at Stop: Record holds it shared while it
	// keeps a run; Stop takes it exclusively to mark the recorder closed,
	// after which Record writes synchronously instead.
	closing sync.RWMutex
	closed  bool

	// full is set, in required mode, while the pending runs reach the
	// bound: Admit reads it without a lock.
	full atomic.Bool

	mu sync.Mutex
	// pending holds each unwritten run by ID, newest state only; head and
	// tail link the same entries, oldest first.
	pending    map[string]*pendingRun
	head, tail *pendingRun
	bytes      int64
	seq        uint64

	// drops and details log dropped runs and runs stored without their
	// details, rate-limited.
	drops   *runLog
	details *runLog
}

// pendingRun is a run not yet written.
type pendingRun struct {
	run  *store.Run
	size int64
	// added is when the entry was created, seq when run (its newest state)
	// was recorded, and since when the oldest state not yet written was:
	// Flush waits for every entry with since up to its own point.
	added, seq, since uint64
	prev, next        *pendingRun
}

// flushRequest asks the writer to write every run recorded up to target.
type flushRequest struct {
	target uint64
	done   chan error
}

// NewRecorder returns a recorder; call Start to begin writing. The
// configuration, with its defaults applied, must pass Validate: NewRecorder
// panics otherwise, as a configuration error is a programming error here
// (the binary validates its configuration when it parses it).
func NewRecorder(cfg RecorderConfig) *Recorder {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		panic("tools.NewRecorder: " + err.Error())
	}
	r := &Recorder{
		cfg:     cfg,
		wake:    make(chan struct{}, 1),
		flushes: make(chan flushRequest),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
		pending: map[string]*pendingRun{},
	}
	r.drops = &runLog{log: cfg.Logger, now: cfg.Now,
		each: "a run was dropped: it will never be stored", many: "runs were dropped: they will never be stored"}
	r.details = &runLog{log: cfg.Logger, now: cfg.Now,
		each: "the store refused a run's details; the run was stored without them", many: "runs were stored without their details"}
	return r
}

// Start begins the background writer.
func (r *Recorder) Start() {
	w := &writer{r: r}
	go w.loop()
}

// Stop writes the runs still pending, trying for at most StopTimeout, logs
// how many could not be written, and returns; a run recorded after Stop is
// written synchronously. Stop is idempotent.
func (r *Recorder) Stop() {
	r.once.Do(func() {
		r.closing.Lock()
		r.closed = true
		r.closing.Unlock()
		close(r.done)
	})
	<-r.stopped
}

// Admit reports whether a new call may start: in required mode it returns
// ErrRunHistoryUnavailable, and counts the refusal, while the runs not yet
// written reach the configured bound. It is cheap (one atomic load) and is
// checked before anything is sent upstream. Best-effort mode always admits.
func (r *Recorder) Admit() error {
	if !r.full.Load() {
		return nil
	}
	if m := r.cfg.Metrics; m != nil {
		m.recorderRefused.Inc()
	}
	return ErrRunHistoryUnavailable
}

// Record keeps a run for writing. The run must not be modified afterwards.
// A run with the ID of a run still pending replaces it: the newest state
// wins. In required mode a run is always kept; in best-effort mode a new run
// that does not fit the bound is dropped, logged and counted.
func (r *Recorder) Record(run *store.Run) {
	r.closing.RLock()
	defer r.closing.RUnlock()
	if r.closed {
		r.recordAfterStop(run)
		return
	}
	if !r.keep(run, r.cfg.Mode == RecordingBestEffort) {
		r.drop(run, "the buffer of runs waiting for the store is full (best-effort recording)", nil)
		return
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// keep adds run to the pending runs, or replaces the pending state of its
// ID. With bounded, a new run that does not fit is refused.
func (r *Recorder) keep(run *store.Run, bounded bool) bool {
	size := runSize(run)
	r.mu.Lock()
	r.seq++
	if p, ok := r.pending[run.ID]; ok {
		r.bytes += size - p.size
		p.run, p.size, p.seq = run, size, r.seq
	} else {
		if bounded && (len(r.pending) >= r.cfg.MaxPending || (len(r.pending) > 0 && r.bytes+size > r.cfg.MaxPendingBytes)) {
			r.mu.Unlock()
			return false
		}
		p := &pendingRun{run: run, size: size, added: r.seq, seq: r.seq, since: r.seq}
		r.pushLocked(p)
		r.pending[run.ID] = p
		r.bytes += size
	}
	r.changedLocked()
	r.mu.Unlock()
	return true
}

// recordAfterStop writes a run recorded after Stop synchronously. A state
// of the same run still pending is replaced first, so that an older state
// is not written over it.
func (r *Recorder) recordAfterStop(run *store.Run) {
	r.mu.Lock()
	if p, ok := r.pending[run.ID]; ok {
		size := runSize(run)
		r.bytes += size - p.size
		p.run, p.size = run, size
	}
	r.mu.Unlock()
	if err := r.insert(run); err != nil {
		r.writeFailed()
		if !r.refused(run, err) {
			r.drop(run, "it was recorded after shutdown began and the store refuses writes", err)
		}
	}
}

// Flush returns once every run recorded before the call is written (a run
// the store refuses on its own, while it takes others, is written as its
// summary or dropped: see refused). While the store refuses writes it
// returns an error wrapping ErrRunHistoryUnavailable, and the runs stay
// pending, readable through Get.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	n, target := len(r.pending), r.seq
	r.mu.Unlock()
	if n == 0 {
		return nil
	}
	req := flushRequest{target: target, done: make(chan error, 1)}
	select {
	case r.flushes <- req:
	case <-r.stopped:
		return nil // Stop wrote, or logged, everything pending
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Get returns the newest state of a run not yet written, if any.
func (r *Recorder) Get(workspaceID, id string) (*store.Run, bool) {
	r.mu.Lock()
	p, ok := r.pending[id]
	var run *store.Run
	if ok {
		run = p.run
	}
	r.mu.Unlock()
	if !ok || run.WorkspaceID != workspaceID {
		return nil, false
	}
	return run, true
}

// PendingByIdempotencyKey returns the agent's newest run not yet written
// (by creation time, then ID) that carries key and was created at or after
// since: store.RunGetByIdempotencyKey's answer among the pending runs. A
// recorded run is at every moment either pending or stored, so asking
// this first and the store second finds it without a Flush, which fails
// while the store refuses writes.
func (r *Recorder) PendingByIdempotencyKey(workspaceID, agentID, key string, since time.Time) (*store.Run, bool) {
	if key == "" {
		return nil, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var found *store.Run
	for p := r.head; p != nil; p = p.next {
		run := p.run
		if run.WorkspaceID != workspaceID || run.AgentID != agentID || run.IdempotencyKey != key || run.CreatedAt.Before(since) {
			continue
		}
		if found == nil || run.CreatedAt.After(found.CreatedAt) || (run.CreatedAt.Equal(found.CreatedAt) && run.ID > found.ID) {
			found = run
		}
	}
	return found, found != nil
}

// changedLocked updates the admission flag and the gauges after the
// pending runs changed. r.mu is held.
func (r *Recorder) changedLocked() {
	n, b := len(r.pending), r.bytes
	r.full.Store(r.cfg.Mode == RecordingRequired && (n >= r.cfg.MaxPending || b >= r.cfg.MaxPendingBytes))
	if m := r.cfg.Metrics; m != nil {
		m.recorderQueue.Set(float64(n))
		m.recorderBytes.Set(float64(b))
	}
}

// pushLocked links p after the newest entry. r.mu is held.
func (r *Recorder) pushLocked(p *pendingRun) {
	p.prev = r.tail
	if r.tail != nil {
		r.tail.next = p
	} else {
		r.head = p
	}
	r.tail = p
}

// unlinkLocked removes p from the entries. r.mu is held.
func (r *Recorder) unlinkLocked(p *pendingRun) {
	if p.prev != nil {
		p.prev.next = p.next
	} else {
		r.head = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	} else {
		r.tail = p.prev
	}
	p.prev, p.next = nil, nil
}

// drop counts and logs a run that will never be stored.
func (r *Recorder) drop(run *store.Run, reason string, err error) {
	if m := r.cfg.Metrics; m != nil {
		m.recorderDrops.Inc()
	}
	r.drops.add(run, reason, err)
}

// runSize estimates the memory a run holds.
func runSize(r *store.Run) int64 {
	const overhead = 512 // the struct, its entry in the pending runs
	n := len(r.ID) + len(r.WorkspaceID) + len(r.ToolID) + len(r.ToolName) + len(r.AgentID) +
		len(r.ConversationID) + len(r.Status) + len(r.Outcome) + len(r.Error) + len(r.IdempotencyKey) +
		len(r.ReplayOf) + len(r.Context) + len(r.Arguments) + len(r.Request) + len(r.Response) +
		len(r.Result) + len(r.Timings) + len(r.Attempts)
	return int64(overhead + n)
}

// unavailableResult is the result of a call Engine.Run refused because the
// recorder did not admit it.
func unavailableResult(c *Call) *Result {
	return &Result{
		Tool: c.Tool.Name, Version: c.Tool.Version, Status: store.RunStatusFailed,
		Outcome: OutcomeRunHistoryUnavailable, Result: json.RawMessage("null"),
		Error: &CallError{Type: OutcomeRunHistoryUnavailable, Message: "The tool was not called: toolgate cannot " +
			"record tool calls right now because its database is not accepting writes. Nothing was sent. " +
			"Try again in a minute."},
	}
}
