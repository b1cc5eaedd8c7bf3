package tools

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/toolgate/toolgate/store"
)

// Recorder defaults.
const (
	RecorderQueueDefault = 16384
	RecorderBatchDefault = 256
	// RecorderFlushDefault is the longest a run waits before it is written.
	RecorderFlushDefault = 20 * time.Millisecond
)

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	Store  store.Store
	Logger *slog.Logger
	// Queue is the number of runs that may wait to be written. When it is
	// full, Record blocks: runs are never dropped. Defaults to
	// RecorderQueueDefault.
	Queue int
	// Batch is the largest number of runs written in one transaction.
	// Defaults to RecorderBatchDefault.
	Batch int
	// Flush is how long a run may wait for its batch to fill. Defaults to
	// RecorderFlushDefault.
	Flush time.Duration
	// Metrics, if set, observes the queue.
	Metrics *Metrics
}

// Recorder writes runs in batches off the hot path, so a call never waits
// for the disk. Runs not yet written are still visible through Get. Stop
// writes everything queued before it returns.
type Recorder struct {
	cfg     RecorderConfig
	queue   chan *store.Run
	flushes chan chan struct{}
	done    chan struct{}
	stopped chan struct{}
	once    sync.Once

	// closing guards the hand-over at Stop: Record holds it shared while it
	// queues; Stop takes it exclusively to mark the recorder closed, after
	// which Record writes synchronously instead of queueing.
	closing sync.RWMutex
	closed  bool

	mu      sync.Mutex
	pending map[string]*store.Run
}

// NewRecorder returns a recorder; call Start to begin writing.
func NewRecorder(cfg RecorderConfig) *Recorder {
	cfg.Queue = cmp.Or(cfg.Queue, RecorderQueueDefault)
	cfg.Batch = cmp.Or(cfg.Batch, RecorderBatchDefault)
	cfg.Flush = cmp.Or(cfg.Flush, RecorderFlushDefault)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Recorder{
		cfg:     cfg,
		queue:   make(chan *store.Run, cfg.Queue),
		flushes: make(chan chan struct{}),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
		pending: map[string]*store.Run{},
	}
}

// Start begins the background writer.
func (r *Recorder) Start() {
	go r.loop()
}

// Stop writes every queued run and returns when done; a run recorded after
// Stop is written synchronously. Stop is idempotent.
func (r *Recorder) Stop() {
	r.once.Do(func() {
		r.closing.Lock()
		r.closed = true
		r.closing.Unlock()
		close(r.done)
	})
	<-r.stopped
}

// Record queues a run for writing. The run must not be modified afterwards.
func (r *Recorder) Record(run *store.Run) {
	r.closing.RLock()
	defer r.closing.RUnlock()
	if r.closed {
		r.write([]*store.Run{run})
		return
	}
	r.mu.Lock()
	r.pending[run.ID] = run
	r.mu.Unlock()
	r.queue <- run
	if m := r.cfg.Metrics; m != nil {
		m.recorderQueue.Set(float64(len(r.queue)))
	}
}

// Flush returns once every run recorded before the call is written.
func (r *Recorder) Flush(ctx context.Context) error {
	ch := make(chan struct{})
	select {
	case r.flushes <- ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Get returns a run queued but not yet written, if any.
func (r *Recorder) Get(workspaceID, id string) (*store.Run, bool) {
	r.mu.Lock()
	run, ok := r.pending[id]
	r.mu.Unlock()
	if !ok || run.WorkspaceID != workspaceID {
		return nil, false
	}
	return run, true
}

func (r *Recorder) loop() {
	defer close(r.stopped)
	batch := make([]*store.Run, 0, r.cfg.Batch)
	timer := time.NewTimer(r.cfg.Flush)
	timer.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		r.write(batch)
		batch = batch[:0]
	}
	for {
		select {
		case run := <-r.queue:
			if len(batch) == 0 {
				timer.Reset(r.cfg.Flush)
			}
			batch = append(batch, run)
			if len(batch) >= r.cfg.Batch {
				timer.Stop()
				flush()
			}
		case <-timer.C:
			flush()
		case ch := <-r.flushes:
			r.drain(&batch, flush)
			timer.Stop()
			close(ch)
		case <-r.done:
			timer.Stop()
			r.drain(&batch, flush)
			return
		}
	}
}

// drain writes the batch and everything queued.
func (r *Recorder) drain(batch *[]*store.Run, flush func()) {
	for {
		select {
		case run := <-r.queue:
			*batch = append(*batch, run)
			if len(*batch) >= r.cfg.Batch {
				flush()
			}
		default:
			flush()
			return
		}
	}
}

// write stores a batch, retrying a few times with a short backoff (the
// database may be briefly unavailable). A batch that still fails is written
// run by run, so a run the database refuses loses only itself, loudly.
func (r *Recorder) write(batch []*store.Run) {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
		}
		if err = r.insert(batch); err == nil {
			break
		}
	}
	if err != nil {
		r.cfg.Logger.Warn("writing a batch of runs failed; writing them one by one", "runs", len(batch), "err", err)
		for _, run := range batch {
			if err := r.insert([]*store.Run{run}); err != nil {
				r.cfg.Logger.Error("a run could not be stored", "run_id", run.ID, "tool", run.ToolName, "err", err)
				if m := r.cfg.Metrics; m != nil {
					m.recorderDrops.Inc()
				}
			}
		}
	}
	if m := r.cfg.Metrics; m != nil {
		m.recorderQueue.Set(float64(len(r.queue)))
	}
	r.mu.Lock()
	for _, run := range batch {
		if r.pending[run.ID] == run {
			delete(r.pending, run.ID)
		}
	}
	r.mu.Unlock()
}

func (r *Recorder) insert(runs []*store.Run) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return r.cfg.Store.RunInsertBatch(ctx, runs)
}
