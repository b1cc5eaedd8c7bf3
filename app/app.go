// Package app builds a running gateway from its configuration: the store
// and secret box it is given, the run recorder, the guarded outbound
// client, OAuth, the engine and catalog, the change bus, the use cases
// (invoke, admin, voice, flows), the background queue and the HTTP surface. The
// toolgate binary and the tests build it the same way.
package app

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/background"
	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/gateway"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/listing"
	"github.com/toolgate/toolgate/oauth"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
	"github.com/toolgate/toolgate/voice"
)

// Config is what an App is built from.
type Config struct {
	// Store persists everything; the App does not close it. Required.
	Store store.Store
	// Box seals secrets at rest. Required.
	Box *secrets.Box
	// AllowNetworks are the CIDRs upstream calls may reach despite the
	// private-address guard.
	AllowNetworks []netip.Prefix
	// PublicURL is where people and platforms reach the gateway: the OAuth
	// callback and exported tool definitions use it. Without it, exports
	// use the request's host (X-Forwarded-Proto and -Host included).
	PublicURL string
	// OAuthPublicURL is the base of the OAuth callback URL. Defaults to
	// PublicURL.
	OAuthPublicURL string
	// OAuthRefreshSkew defaults to oauth.SkewDefault.
	OAuthRefreshSkew time.Duration
	// WithoutQueue runs background tools in the foreground, with no job
	// queue (tests that do not need one).
	WithoutQueue bool
	// Workers is the number of background jobs this process works at once.
	// Defaults to background.WorkersDefault.
	Workers int
	// JobRescueAfter defaults to background.RescueAfterDefault.
	JobRescueAfter time.Duration
	// BackoffBase is the first background retry's delay. Defaults to
	// background.BackoffBaseDefault.
	BackoffBase time.Duration
	// CORSOrigins are the origins of browser-based MCP clients allowed to
	// call /mcp ("*" for any); requests from other origins are refused.
	CORSOrigins []string
	// RunRetention is how long runs are kept; MCP tasks report it as their
	// ttl. Zero reports no limit.
	RunRetention time.Duration
	// MetricsPublic serves /metrics without a key.
	MetricsPublic bool
	// Recording configures the run recorder (mode and buffer bounds); its
	// Store, Logger and Metrics are the app's.
	Recording tools.RecorderConfig
	// RunBodyMax bounds the bytes of each request and response body a run
	// record keeps. Defaults to tools.RunBodyMaxDefault.
	RunBodyMax int
	// Registry gathers the metrics. Defaults to a new registry with the Go
	// and process collectors.
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// TracerProvider makes the spans of requests and tool calls. Optional:
	// nil makes none (package telemetry builds one from the environment).
	TracerProvider trace.TracerProvider
	// Now is the clock of OAuth token expiry, of the catalog's cache, of
	// the gateway (MCP session expiry) and of the guardrails (confirmation
	// and approval expiry, limits, cache).
	// Defaults to time.Now.
	Now func() time.Time
	// GuardrailSweepInterval is how often expired approvals end and
	// expired guardrail state goes. Defaults to
	// GuardrailSweepIntervalDefault; negative turns the sweep off (tests
	// call SweepGuardrails).
	GuardrailSweepInterval time.Duration
	// CacheMaxBytes bounds each workspace's response cache. Defaults to
	// invoke.CacheWorkspaceMaxBytesDefault.
	CacheMaxBytes int64
}

// App is a built gateway. Its fields are its parts, for the binary and for
// tests that look inside.
type App struct {
	Store    store.Store
	Box      *secrets.Box
	Registry *prometheus.Registry
	Recorder *tools.Recorder
	Client   *egress.Client
	OAuth    *oauth.Manager
	Engine   *tools.Engine
	Catalog  *tools.Catalog
	Bus      *changes.Bus
	Invoker  *invoke.Invoker
	Queue    *background.Queue // nil WithoutQueue
	Admin    *admin.Service
	Voice    *voice.Service
	// Flows runs conversation flows' sessions; their API calls go through
	// the invoker.
	Flows    *flows.Runner
	Listings *listing.Cache
	Server   *gateway.Server

	log     *slog.Logger
	now     func() time.Time
	started bool
	stopped bool
	// sweepEvery, cacheMaxBytes: the guardrails' upkeep.
	sweepEvery    time.Duration
	cacheMaxBytes int64
	// stopSweep ends the guardrail sweep; sweepDone closes when it has.
	stopSweep context.CancelFunc
	sweepDone chan struct{}
	// stopBus ends the change listener; busDone closes when it has.
	stopBus context.CancelFunc
	busDone chan struct{}
}

// New builds an App; Start runs its background parts.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Store == nil || cfg.Box == nil {
		return nil, errors.New("app: Config.Store and Config.Box are required")
	}
	a := &App{Store: cfg.Store, Box: cfg.Box, Registry: cfg.Registry, log: cmp.Or(cfg.Logger, slog.Default()), now: cfg.Now,
		sweepEvery:    cmp.Or(cfg.GuardrailSweepInterval, GuardrailSweepIntervalDefault),
		cacheMaxBytes: cmp.Or(cfg.CacheMaxBytes, invoke.CacheWorkspaceMaxBytesDefault)}
	if a.now == nil {
		a.now = time.Now
	}
	if a.Registry == nil {
		a.Registry = prometheus.NewRegistry()
		a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	metrics := tools.NewMetrics(a.Registry)
	rcfg := cfg.Recording
	rcfg.Store, rcfg.Logger, rcfg.Metrics = cfg.Store, a.log, metrics
	if err := rcfg.WithDefaults().Validate(); err != nil {
		return nil, err
	}
	a.Recorder = tools.NewRecorder(rcfg)
	a.Client = egress.New(egress.Config{AllowNetworks: cfg.AllowNetworks})
	var err error
	a.OAuth, err = oauth.New(oauth.Config{Store: cfg.Store, Box: cfg.Box, HTTPClient: a.Client.HTTPClient(),
		PublicURL: cmp.Or(cfg.OAuthPublicURL, cfg.PublicURL), Skew: cfg.OAuthRefreshSkew, Logger: a.log, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	a.Engine = tools.NewEngine(tools.EngineConfig{Client: a.Client, Recorder: a.Recorder, Tokens: a.OAuth, Metrics: metrics, Logger: a.log,
		RunBodyMax: cfg.RunBodyMax})
	a.Catalog = tools.NewCatalog(tools.CatalogConfig{Store: cfg.Store, Box: cfg.Box, Now: cfg.Now})
	// Replicas sharing a PostgreSQL database hear of each other's changes.
	var transport changes.Transport
	if t, ok := cfg.Store.(interface{ ChangeTransport() changes.Transport }); ok {
		transport = t.ChangeTransport()
	}
	a.Bus = changes.NewBus(transport, a.log)
	if a.Listings, err = listing.NewCache(listing.Config{Store: cfg.Store, Versions: a.Catalog, Logger: a.log}); err != nil {
		return nil, err
	}

	// Flows' compiled versions, shared by the runtime and the background
	// workers that run flows' fire-and-forget calls.
	programs := flows.NewPrograms(cfg.Store, flows.CacheSizeDefault)
	icfg := invoke.Config{Store: cfg.Store, Engine: a.Engine, Catalog: a.Catalog, FlowPrograms: programs, Logger: a.log,
		TracerProvider: cfg.TracerProvider, Now: cfg.Now, Registry: a.Registry}
	if !cfg.WithoutQueue {
		a.Queue, err = background.New(ctx, background.Config{
			Store: cfg.Store, Client: a.Client, Box: cfg.Box, Workers: cfg.Workers,
			RescueAfter: cfg.JobRescueAfter, BackoffBase: cfg.BackoffBase, Logger: a.log,
		})
		if err != nil {
			return nil, err
		}
		icfg.Queue = a.Queue
	}
	if a.Invoker, err = invoke.New(icfg); err != nil {
		return nil, err
	}
	a.Flows = flows.NewRunner(flows.RunnerConfig{Store: cfg.Store, Caller: a.Invoker.FlowCaller(), Programs: programs, Logger: a.log})
	a.Admin, err = admin.New(admin.Config{Store: cfg.Store, Box: cfg.Box, Invoker: a.Invoker, Recorder: a.Recorder,
		Catalog: a.Catalog, Notifier: a.Bus, OAuth: a.OAuth, Egress: a.Client, Logger: a.log})
	if err != nil {
		return nil, err
	}
	a.Voice, err = voice.NewService(voice.Config{Store: cfg.Store, Box: cfg.Box, Invoker: a.Invoker, Catalog: a.Catalog, Logger: a.log})
	if err != nil {
		return nil, err
	}
	a.Server, err = gateway.New(gateway.Config{Admin: a.Admin, Invoker: a.Invoker, Voice: a.Voice, Flows: a.Flows, Listings: a.Listings,
		Client: a.Client, Metrics: a.Registry, MetricsPublic: cfg.MetricsPublic, PublicURL: cfg.PublicURL, Logger: a.log,
		Ready: cfg.Store.Ping, TracerProvider: cfg.TracerProvider,
		MCPSessions: cfg.Store, Changes: a.Bus, CORSOrigins: cfg.CORSOrigins, RunRetention: cfg.RunRetention, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	// Everything that caches or serves a workspace's objects follows its
	// changes: the catalog first, so the others read fresh data.
	a.Bus.Subscribe(func(c changes.Change) {
		switch {
		case c.Everything():
			a.Catalog.InvalidateAll()
		case c.Affects(changes.Tools, changes.Agents, changes.Connections):
			a.Catalog.Invalidate(c.WorkspaceID)
		}
	})
	a.Bus.Subscribe(a.Listings.Observe)
	a.Bus.Subscribe(a.Admin.Keys.Observe)
	a.Bus.Subscribe(a.Server.MCP.Observe)
	return a, nil
}

// Handler is the gateway's HTTP handler.
func (a *App) Handler() http.Handler { return a.Server.Handler() }

// Start starts the run recorder, the background workers and the listener
// of other replicas' changes. They outlive ctx: Stop stops them, after HTTP
// has drained.
func (a *App) Start(ctx context.Context) error {
	if a.started {
		return errors.New("app: started twice")
	}
	a.started = true
	a.Recorder.Start()
	if a.Queue != nil {
		if err := a.Queue.Start(context.WithoutCancel(ctx), a.Invoker); err != nil {
			return err
		}
	}
	if a.sweepEvery > 0 {
		sweepCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		a.stopSweep, a.sweepDone = cancel, make(chan struct{})
		go a.sweepGuardrails(sweepCtx, a.sweepEvery, a.sweepDone)
	}
	busCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.stopBus, a.busDone = cancel, make(chan struct{})
	go func() {
		defer close(a.busDone)
		if err := a.Bus.Run(busCtx); err != nil && busCtx.Err() == nil {
			a.log.Error("listening for changes from other replicas", "err", err)
		}
	}()
	return nil
}

// Stop stops the background workers (waiting for running jobs until ctx is
// done), then writes every queued run and closes idle connections. It is
// idempotent.
func (a *App) Stop(ctx context.Context) error {
	if a.stopped {
		return nil
	}
	a.stopped = true
	var err error
	if a.Queue != nil && a.started {
		err = a.Queue.Stop(ctx)
	}
	a.Server.MCP.Close()
	if a.started {
		if a.stopSweep != nil {
			a.stopSweep()
			<-a.sweepDone
		}
		a.stopBus()
		<-a.busDone
		a.Recorder.Stop()
	}
	a.Client.CloseIdleConnections()
	return err
}
