// Package admin holds the admin use cases of a workspace: tools (create,
// patch, validate, publish, versions, delete), connections (with their
// OAuth2 actions), agents and their conversation flows, API keys and
// console sessions, runs (list, get, replay, test) and the workspace
// itself. Each validates its input, writes
// through the store and announces the change (package changes), so caches
// and MCP sessions follow. The REST admin API and the console both call it.
//
// Inputs and results are Go values; a request that cannot be served is a
// *problem.Error. The package knows nothing of HTTP serving.
package admin

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/oauth"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Config holds the parts of a Service.
type Config struct {
	// Store persists everything. Required.
	Store store.Store
	// Box seals secrets at rest. Required.
	Box *secrets.Box
	// Invoker replays runs and tests drafts. Required.
	Invoker *invoke.Invoker
	// Recorder holds the runs not yet written. Required.
	Recorder *tools.Recorder
	// Catalog lists agents' published tools (exports). Required.
	Catalog *tools.Catalog
	// Notifier announces every change. Required.
	Notifier changes.Notifier
	// OAuth runs connections' OAuth2 flows. Optional: without it those
	// actions are NotImplemented.
	OAuth *oauth.Manager
	// Egress fetches the documents of imports by URL, through the guard
	// every upstream call passes. Optional: without it those imports are
	// NotImplemented.
	Egress *egress.Client
	Logger *slog.Logger
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

// Validate reports a Config that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("admin: Config.Store is required")
	case c.Box == nil:
		return errors.New("admin: Config.Box is required")
	case c.Invoker == nil:
		return errors.New("admin: Config.Invoker is required")
	case c.Recorder == nil:
		return errors.New("admin: Config.Recorder is required")
	case c.Catalog == nil:
		return errors.New("admin: Config.Catalog is required")
	case c.Notifier == nil:
		return errors.New("admin: Config.Notifier is required")
	}
	return nil
}

// Service is the admin use cases, one field per kind of object.
type Service struct {
	Tools       *Tools
	Connections *Connections
	Agents      *Agents
	Keys        *Keys
	Sessions    *Sessions
	Runs        *Runs
	Workspaces  *Workspaces
	Imports     *Imports
	Flows       *Flows
}

// deps is what every part of the service shares.
type deps struct {
	store    store.Store
	box      *secrets.Box
	invoker  *invoke.Invoker
	recorder *tools.Recorder
	catalog  *tools.Catalog
	notifier changes.Notifier
	oauth    *oauth.Manager
	egress   *egress.Client
	log      *slog.Logger
	now      func() time.Time
}

// notify announces a change of a workspace's objects.
func (d *deps) notify(ctx context.Context, workspaceID string, what changes.What, id string) {
	d.notifier.Notify(context.WithoutCancel(ctx), changes.Change{WorkspaceID: workspaceID, What: what, ID: id})
}

// New returns the admin service.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &deps{store: cfg.Store, box: cfg.Box, invoker: cfg.Invoker, recorder: cfg.Recorder, catalog: cfg.Catalog,
		notifier: cfg.Notifier, oauth: cfg.OAuth, egress: cfg.Egress, log: cfg.Logger, now: cfg.Now}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.now == nil {
		d.now = time.Now
	}
	keys := newKeys(d)
	return &Service{
		Tools:       &Tools{d},
		Connections: &Connections{d},
		Agents:      &Agents{d},
		Keys:        keys,
		Sessions:    &Sessions{d: d, keys: keys},
		Runs:        &Runs{d},
		Workspaces:  &Workspaces{d},
		Imports:     &Imports{d: d, running: make(chan struct{}, ImportsConcurrentMax)},
		Flows:       &Flows{d},
	}, nil
}
