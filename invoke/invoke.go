// Package invoke runs tools for every surface of the gateway. The REST call
// endpoint, batch tool calls, MCP, the voice adapters, the chat runner, the
// background workers, replay and the console's Try it all go through one
// Invoker: it resolves the agent's tool (pinned or latest published),
// decides foreground or background, applies the client's idempotency key,
// looks up the connection, and runs or queues the call, recording it.
//
// The package knows nothing of HTTP serving: requests and results are Go
// values, and a request that cannot be served is a *problem.Error.
package invoke

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Queue stores background runs durably for workers to execute (package
// background's Queue).
type Queue interface {
	// Submit stores a queued run and its job in one transaction; timeout
	// is the tool's.
	Submit(ctx context.Context, run *store.Run, timeout time.Duration, callbackURL string) error
}

// Config holds the parts of an Invoker.
type Config struct {
	// Store answers idempotency lookups and run reads. Required.
	Store store.Store
	// Engine runs calls. Required.
	Engine *tools.Engine
	// Catalog resolves agents' tools and connections. Required.
	Catalog *tools.Catalog
	// Queue runs background calls. Optional: without it, background tools
	// run in the foreground. A Queue that is also an ApprovalQueue runs
	// tools that require approval; without one, their calls end with
	// config_error.
	Queue Queue
	// FlowPrograms are the compiled conversation flows, from which
	// background workers run flows' fire-and-forget calls. Optional.
	FlowPrograms *flows.Programs
	Logger       *slog.Logger
	// TracerProvider makes a span per tool call. Optional: nil makes none.
	TracerProvider trace.TracerProvider
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Registry, if set, exports the guardrails' counters.
	Registry prometheus.Registerer
}

// Validate reports a Config that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("invoke: Config.Store is required")
	case c.Engine == nil:
		return errors.New("invoke: Config.Engine is required")
	case c.Catalog == nil:
		return errors.New("invoke: Config.Catalog is required")
	}
	return nil
}

// Invoker runs tool calls for every surface. It is safe for concurrent use.
type Invoker struct {
	store        store.Store
	engine       *tools.Engine
	catalog      *tools.Catalog
	queue        Queue
	flowPrograms *flows.Programs
	log          *slog.Logger
	now          func() time.Time
	idempotency  keyedLocks
	tracer       trace.Tracer
	approvals    ApprovalQueue
	metrics      *guardMetrics
}

// New returns an Invoker.
func New(cfg Config) (*Invoker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	iv := &Invoker{store: cfg.Store, engine: cfg.Engine, catalog: cfg.Catalog, queue: cfg.Queue,
		flowPrograms: cfg.FlowPrograms, log: cmp.Or(cfg.Logger, slog.Default()), now: cfg.Now, tracer: newTracer(cfg.TracerProvider),
		metrics: newGuardMetrics(cfg.Registry)}
	if iv.now == nil {
		iv.now = time.Now
	}
	if aq, ok := cfg.Queue.(ApprovalQueue); ok {
		iv.approvals = aq
	}
	return iv, nil
}
