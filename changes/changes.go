// Package changes tells the parts of a gateway that cache or serve a
// workspace's objects that those objects changed: the tool catalog, the
// listing cache, the API key cache and MCP sessions subscribe; the admin use
// cases publish. A Bus delivers in process; with several replicas on one
// PostgreSQL database, a Transport carries every change to the other
// replicas too.
package changes

import (
	"context"
	"log/slog"
	"sync"
)

// What names the kind of object that changed.
type What string

// Kinds of change.
const (
	Tools       What = "tools"
	Agents      What = "agents"
	Connections What = "connections"
	Keys        What = "keys"
	Flows       What = "flows"
)

// Change says that objects of a workspace changed. ID, when set, names the
// object (the key ID of a revoked key). A Change with no WorkspaceID says
// that anything may have changed (changes were missed while a replica was
// cut off from the others): every cache starts afresh.
type Change struct {
	WorkspaceID string `json:"workspace_id,omitempty"`
	What        What   `json:"what,omitempty"`
	ID          string `json:"id,omitempty"`
}

// Everything reports whether c says that anything may have changed.
func (c Change) Everything() bool { return c.WorkspaceID == "" }

// Affects reports whether c may concern objects of kind what.
func (c Change) Affects(what ...What) bool {
	if c.Everything() {
		return true
	}
	for _, w := range what {
		if c.What == w {
			return true
		}
	}
	return false
}

// Notifier publishes changes. The admin use cases take one.
type Notifier interface {
	Notify(ctx context.Context, c Change)
}

// Transport carries changes between replicas. Send publishes a change made
// through this replica; Listen delivers (until ctx ends) the changes made
// through other replicas.
type Transport interface {
	Send(ctx context.Context, c Change) error
	Listen(ctx context.Context, deliver func(Change)) error
}

// Bus delivers each change to every subscriber in this process and, with a
// Transport, to the other replicas. The zero Bus is not usable: call
// NewBus.
type Bus struct {
	transport Transport
	log       *slog.Logger

	mu   sync.RWMutex
	subs []func(Change)
}

// NewBus returns a bus; transport may be nil (one process).
func NewBus(transport Transport, log *slog.Logger) *Bus {
	if log == nil {
		log = slog.Default()
	}
	return &Bus{transport: transport, log: log}
}

// Subscribe registers fn to be called, synchronously, with every change.
// fn must be quick and must not publish.
func (b *Bus) Subscribe(fn func(Change)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, fn)
}

// Notify delivers c here at once, then sends it to the other replicas. A
// failed send is logged: the other replicas still see the change when their
// caches expire.
func (b *Bus) Notify(ctx context.Context, c Change) {
	b.deliver(c)
	if b.transport != nil {
		if err := b.transport.Send(ctx, c); err != nil {
			b.log.WarnContext(ctx, "sending a change to other replicas", "workspace_id", c.WorkspaceID, "what", c.What, "err", err)
		}
	}
}

func (b *Bus) deliver(c Change) {
	b.mu.RLock()
	subs := b.subs
	b.mu.RUnlock()
	for _, fn := range subs {
		fn(c)
	}
}

// Run delivers the changes other replicas send until ctx ends. Without a
// transport it returns at once.
func (b *Bus) Run(ctx context.Context) error {
	if b.transport == nil {
		return nil
	}
	return b.transport.Listen(ctx, b.deliver)
}
