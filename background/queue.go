package background

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Defaults of Config.
const (
	WorkersDefault = 10
	// RescueAfterDefault is a little over the largest tool timeout: a job
	// running longer than this is taken to have lost its worker and is run
	// again.
	RescueAfterDefault = time.Duration(tools.TimeoutMSMax)*time.Millisecond + 30*time.Second
	// CallbackTimeout bounds one callback delivery.
	CallbackTimeout = 10 * time.Second
	// CallbackMaxAttempts bounds deliveries of one callback.
	CallbackMaxAttempts = 8
)

// Config holds the pieces of a Queue.
type Config struct {
	// Store is the run store. Its database also holds the queue, so it
	// must also be a SQLiteStore or a PgxStore.
	Store store.Store
	// Client delivers callbacks through the egress guard.
	Client *egress.Client
	// Box opens workspaces' callback signing secrets.
	Box *secrets.Box
	// Workers is the number of jobs worked at once by this process.
	// Defaults to WorkersDefault.
	Workers int
	// RescueAfter defaults to RescueAfterDefault.
	RescueAfter time.Duration
	Logger      *slog.Logger
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Jitter returns a float in [0, 1) for backoff; nil means math/rand.
	Jitter func() float64
	// BackoffBase is the first retry's delay before jitter. Defaults to
	// BackoffBaseDefault.
	BackoffBase time.Duration
	// CommitWindow is how long the writes of background runs wait for
	// others to share their transaction (see commit.go); negative for no
	// wait. Defaults to CommitWindowDefault.
	CommitWindow time.Duration
}

// Validate reports a Config that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("background: Config.Store is required")
	case c.Client == nil:
		return errors.New("background: Config.Client is required")
	case c.Box == nil:
		return errors.New("background: Config.Box is required")
	case c.Workers < 0:
		return errors.New("background: Config.Workers must not be negative")
	case c.RescueAfter < 0:
		return errors.New("background: Config.RescueAfter must not be negative")
	}
	return nil
}

// Queue submits background runs and works them.
type Queue struct {
	impl queueImpl
}

// queueImpl is the driver-specific queue (SQLite or PostgreSQL).
type queueImpl interface {
	submit(ctx context.Context, run *store.Run, args RunArgs) error
	start(ctx context.Context, runner Runner) error
	stop(ctx context.Context) error
}

// Runner makes the attempts of queued runs (package invoke's Invoker).
type Runner interface {
	// RunAttempt makes attempt number attempt of a queued run (prior are
	// the earlier ones) and returns its result and unrecorded run record.
	// The error is one the attempt should be retried after.
	RunAttempt(ctx context.Context, run *store.Run, attempt int, prior []tools.Attempt) (*invoke.Attempt, error)
}

// New migrates River's tables in the store's database and returns a Queue
// ready to Start.
func New(ctx context.Context, cfg Config) (*Queue, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Workers = cmp.Or(cfg.Workers, WorkersDefault)
	cfg.RescueAfter = cmp.Or(cfg.RescueAfter, RescueAfterDefault)
	cfg.BackoffBase = cmp.Or(cfg.BackoffBase, BackoffBaseDefault)
	cfg.CommitWindow = cmp.Or(cfg.CommitWindow, CommitWindowDefault)
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var impl queueImpl
	var err error
	switch st := cfg.Store.(type) {
	case SQLiteStore:
		impl, err = newQueue(ctx, &cfg, sqliteOps(st))
	case PgxStore:
		impl, err = newQueue(ctx, &cfg, pgxOps(st))
	default:
		return nil, fmt.Errorf("background: the store %T cannot hold the queue: it is neither a background.SQLiteStore nor a background.PgxStore", cfg.Store)
	}
	if err != nil {
		return nil, err
	}
	return &Queue{impl: impl}, nil
}

// Submit stores a queued run and enqueues its job in one transaction.
// timeout is the tool's.
func (q *Queue) Submit(ctx context.Context, run *store.Run, timeout time.Duration, callbackURL string) error {
	return q.impl.submit(ctx, run, RunArgs{WorkspaceID: run.WorkspaceID, RunID: run.ID, CallbackURL: callbackURL,
		TimeoutMS: int(timeout.Milliseconds())})
}

// Start starts the workers, which make each attempt through runner. Runs
// can be submitted before Start.
func (q *Queue) Start(ctx context.Context, runner Runner) error {
	if runner == nil {
		return errors.New("background: Start needs a Runner")
	}
	return q.impl.start(ctx, runner)
}

// Stop stops fetching jobs and waits for running ones until ctx is done,
// then cancels them; a cancelled job is handed back to be run again.
func (q *Queue) Stop(ctx context.Context) error { return q.impl.stop(ctx) }

// txOps are the transactional operations of one kind of store.
type txOps[TDriver riverdriver.Driver[TTx], TTx any] struct {
	driver     TDriver
	begin      func(ctx context.Context) (TTx, error)
	commit     func(ctx context.Context, tx TTx) error
	rollback   func(ctx context.Context, tx TTx)
	insertRuns func(ctx context.Context, tx TTx, runs []*store.Run) error
	updateRuns func(ctx context.Context, tx TTx, runs []*store.Run) ([]bool, error)
}

// queue is a Queue over one River driver.
type queue[TDriver riverdriver.Driver[TTx], TTx any] struct {
	cfg    *Config
	ops    txOps[TDriver, TTx]
	client *river.Client[TTx]
	// runner is set by start, before any job is worked.
	runner Runner
	// commit is the group commit, from start to stop; before start,
	// writes are made one by one.
	commit atomic.Pointer[committer]
}

func newQueue[TDriver riverdriver.Driver[TTx], TTx any](ctx context.Context, cfg *Config, ops txOps[TDriver, TTx]) (*queue[TDriver, TTx], error) {
	migrator, err := rivermigrate.New(ops.driver, &rivermigrate.Config{Logger: quiet(cfg.Logger)})
	if err != nil {
		return nil, fmt.Errorf("background: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("background: migrating the job queue: %w", err)
	}
	q := &queue[TDriver, TTx]{cfg: cfg, ops: ops}
	workers := river.NewWorkers()
	river.AddWorker(workers, &runWorker[TDriver, TTx]{q: q})
	river.AddWorker(workers, &callbackWorker[TDriver, TTx]{q: q})
	river.AddWorker(workers, &approvalWebhookWorker[TDriver, TTx]{q: q})
	q.client, err = river.NewClient(ops.driver, &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		RescueStuckJobsAfter: cfg.RescueAfter,
		JobTimeout:           -1, // each worker sets its own
		Logger:               quiet(cfg.Logger),
		// Producers are woken when jobs are committed (see commit.go),
		// so they poll only as a backstop.
		FetchCooldown:     fetchCooldown,
		FetchPollInterval: fetchPollInterval,
	})
	if err != nil {
		return nil, fmt.Errorf("background: %w", err)
	}
	return q, nil
}

// quiet keeps River's own logging to warnings and errors.
func quiet(log *slog.Logger) *slog.Logger {
	return slog.New(levelHandler{min: slog.LevelWarn, Handler: log.Handler()})
}

type levelHandler struct {
	min slog.Level
	slog.Handler
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

// River's fetching: a producer fetches at most once per fetchCooldown,
// and polls every fetchPollInterval when nothing woke it.
const (
	fetchCooldown     = 2 * time.Millisecond
	fetchPollInterval = 2 * time.Second
)

// submit stores a queued run with its job, in the group commit.
func (q *queue[TDriver, TTx]) submit(ctx context.Context, run *store.Run, args RunArgs) error {
	_, err := q.write(ctx, &write{insert: run, job: args})
	return err
}

func (q *queue[TDriver, TTx]) start(ctx context.Context, runner Runner) error {
	q.runner = runner
	q.startCommitter()
	return q.client.Start(ctx)
}

// stop stops the workers, then the group commit, which makes their last
// writes.
func (q *queue[TDriver, TTx]) stop(ctx context.Context) error {
	defer q.stopCommitter()
	if err := q.client.Stop(ctx); err != nil {
		// Out of time: cancel what still runs; River hands it back.
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return errors.Join(err, q.client.StopAndCancel(cctx))
	}
	return nil
}
