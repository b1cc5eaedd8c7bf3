package tools

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
)

// ErrToolNotFound means the agent has no published, activated tool of that
// name.
var ErrToolNotFound = errors.New("tool not found")

// CatalogTTLDefault bounds how long a replica serves an agent's tools and a
// connection from memory before re-reading them, which bounds how stale a
// change made through another replica can be. Changes made through this
// replica invalidate at once.
const CatalogTTLDefault = 5 * time.Second

// maxPreparedVersions bounds the cache of prepared tool versions.
const maxPreparedVersions = 20000

// Catalog resolves an agent's tools and connections, caching prepared tool
// versions (immutable, so cached until evicted) and per-workspace views
// (invalidated on change, and re-read after a TTL).
type Catalog struct {
	store store.Store
	box   *secrets.Box
	now   func() time.Time
	ttl   time.Duration

	mu         sync.RWMutex
	versions   map[string]*Prepared
	workspaces map[string]*workspaceCache
}

// workspaceCache is replaced whole on invalidation, so a load that was in
// flight stores its result into the discarded cache, never the new one.
type workspaceCache struct {
	// index maps tool names to their rows (ID and latest version), for
	// agents with many tools.
	index  *toolIndex
	agents map[string]*agentTools
	conns  map[string]*connEntry
}

type toolIndex struct {
	loadedAt time.Time
	byName   map[string]toolRef
}

type toolRef struct {
	id      string
	version int
}

// bulkThreshold is the number of activated tools above which an agent's
// tools are resolved from one listing of the workspace's tools rather than
// one lookup each.
const bulkThreshold = 16

// agentTools are an agent's tools: the versions it has, resolved when
// loaded, and prepared on first use (a listing needs only the versions).
type agentTools struct {
	loadedAt time.Time
	// versions are the published versions of the agent's activated tools,
	// in activation order; a pinned version may not exist.
	versions []store.ToolVersionRef

	mu       sync.Mutex
	prepared bool
	list     []*Prepared
	byName   map[string]*Prepared
}

type connEntry struct {
	loadedAt time.Time
	conn     *Connection
}

// CatalogConfig configures a Catalog.
type CatalogConfig struct {
	Store store.Store
	Box   *secrets.Box
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// TTL defaults to CatalogTTLDefault.
	TTL time.Duration
}

// NewCatalog returns an empty catalog.
func NewCatalog(cfg CatalogConfig) *Catalog {
	c := &Catalog{
		store:      cfg.Store,
		box:        cfg.Box,
		now:        cfg.Now,
		ttl:        cmp.Or(cfg.TTL, CatalogTTLDefault),
		versions:   map[string]*Prepared{},
		workspaces: map[string]*workspaceCache{},
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Invalidate forgets everything cached for a workspace except immutable
// tool versions. Call it after any change to its tools, agents or
// connections.
func (c *Catalog) Invalidate(workspaceID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.workspaces, workspaceID)
}

// InvalidateAll forgets everything cached except immutable tool versions.
func (c *Catalog) InvalidateAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.workspaces)
}

// workspace returns the cache of a workspace, creating it.
func (c *Catalog) workspace(workspaceID string) *workspaceCache {
	c.mu.RLock()
	ws := c.workspaces[workspaceID]
	c.mu.RUnlock()
	if ws != nil {
		return ws
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ws = c.workspaces[workspaceID]; ws == nil {
		ws = &workspaceCache{agents: map[string]*agentTools{}, conns: map[string]*connEntry{}}
		c.workspaces[workspaceID] = ws
	}
	return ws
}

// AgentTools returns the agent's activated, published tools in activation
// order.
func (c *Catalog) AgentTools(ctx context.Context, workspaceID, agentID string) ([]*Prepared, error) {
	at, err := c.preparedAgentTools(ctx, workspaceID, agentID)
	if err != nil {
		return nil, err
	}
	return at.list, nil
}

// AgentTool returns one of the agent's tools by name, or ErrToolNotFound.
func (c *Catalog) AgentTool(ctx context.Context, workspaceID, agentID, name string) (*Prepared, error) {
	at, err := c.preparedAgentTools(ctx, workspaceID, agentID)
	if err != nil {
		return nil, err
	}
	p := at.byName[name]
	if p == nil {
		return nil, ErrToolNotFound
	}
	return p, nil
}

// AgentToolVersions returns the published versions of the agent's
// activated tools in activation order, without preparing them: a pinned
// version may not exist (AgentTools leaves it out). The slice is the
// catalog's and must not be changed; the catalog hands out a new one
// whenever it reloads the agent, so a caller may cache what it derives from
// one slice for as long as it is handed out.
func (c *Catalog) AgentToolVersions(ctx context.Context, workspaceID, agentID string) ([]store.ToolVersionRef, error) {
	at, err := c.agentTools(ctx, workspaceID, agentID)
	if err != nil {
		return nil, err
	}
	return at.versions, nil
}

// preparedAgentTools returns the agent's tools with their versions
// prepared.
func (c *Catalog) preparedAgentTools(ctx context.Context, workspaceID, agentID string) (*agentTools, error) {
	at, err := c.agentTools(ctx, workspaceID, agentID)
	if err != nil {
		return nil, err
	}
	at.mu.Lock()
	defer at.mu.Unlock()
	if at.prepared {
		return at, nil
	}
	var list []*Prepared
	byName := map[string]*Prepared{}
	for _, v := range at.versions {
		p, err := c.Version(ctx, workspaceID, v.ToolID, v.Version)
		if errors.Is(err, ErrToolNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		list = append(list, p)
		byName[p.Name] = p
	}
	at.list, at.byName, at.prepared = list, byName, true
	return at, nil
}

func (c *Catalog) agentTools(ctx context.Context, workspaceID, agentID string) (*agentTools, error) {
	ws := c.workspace(workspaceID)
	now := c.now()
	c.mu.RLock()
	at := ws.agents[agentID]
	c.mu.RUnlock()
	if at != nil && now.Sub(at.loadedAt) < c.ttl {
		return at, nil
	}
	agent, err := c.store.AgentGet(ctx, workspaceID, agentID)
	if err != nil {
		return nil, fmt.Errorf("loading agent %s: %w", agentID, err)
	}
	at = &agentTools{loadedAt: now}
	var index *toolIndex
	if len(agent.Tools) > bulkThreshold {
		if index, err = c.toolIndex(ctx, ws, workspaceID, now); err != nil {
			return nil, err
		}
	}
	for _, activated := range agent.Tools {
		v, err := c.resolve(ctx, workspaceID, activated, index)
		if errors.Is(err, ErrToolNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		at.versions = append(at.versions, v)
	}
	c.mu.Lock()
	ws.agents[agentID] = at
	c.mu.Unlock()
	return at, nil
}

// resolve finds the pinned or latest published version of an activated tool.
// With an index, the tool's row comes from it instead of the store.
func (c *Catalog) resolve(ctx context.Context, workspaceID string, activated store.AgentTool, index *toolIndex) (store.ToolVersionRef, error) {
	var t toolRef
	if index != nil {
		var ok bool
		if t, ok = index.byName[activated.Name]; !ok {
			return store.ToolVersionRef{}, ErrToolNotFound
		}
	} else {
		row, err := c.store.ToolGetByName(ctx, workspaceID, activated.Name)
		if errors.Is(err, store.ErrNotFound) {
			return store.ToolVersionRef{}, ErrToolNotFound
		}
		if err != nil {
			return store.ToolVersionRef{}, fmt.Errorf("loading tool %s: %w", activated.Name, err)
		}
		t = toolRef{id: row.ID, version: row.Version}
	}
	version := t.version
	if activated.Version > 0 {
		version = activated.Version
	}
	if version == 0 {
		return store.ToolVersionRef{}, ErrToolNotFound
	}
	return store.ToolVersionRef{ToolID: t.id, Version: version}, nil
}

// toolIndex returns the workspace's tool names and latest versions, listing
// them from the store at most once per TTL.
func (c *Catalog) toolIndex(ctx context.Context, ws *workspaceCache, workspaceID string, now time.Time) (*toolIndex, error) {
	c.mu.RLock()
	idx := ws.index
	c.mu.RUnlock()
	if idx != nil && now.Sub(idx.loadedAt) < c.ttl {
		return idx, nil
	}
	idx = &toolIndex{loadedAt: now, byName: map[string]toolRef{}}
	p := store.ListParams{Limit: store.ListLimitMax}
	for {
		rows, err := c.store.ToolList(ctx, workspaceID, p)
		if err != nil {
			return nil, fmt.Errorf("listing tools: %w", err)
		}
		for _, t := range rows {
			idx.byName[t.Name] = toolRef{id: t.ID, version: t.Version}
		}
		if len(rows) < p.EffectiveLimit() {
			break
		}
		p.Cursor = rows[len(rows)-1].ID
	}
	c.mu.Lock()
	ws.index = idx
	c.mu.Unlock()
	return idx, nil
}

// Version returns a prepared published tool version.
func (c *Catalog) Version(ctx context.Context, workspaceID, toolID string, version int) (*Prepared, error) {
	key := workspaceID + "/" + toolID + "/" + strconv.Itoa(version)
	c.mu.RLock()
	p := c.versions[key]
	c.mu.RUnlock()
	if p != nil {
		return p, nil
	}
	v, err := c.store.ToolVersionGet(ctx, workspaceID, toolID, version)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrToolNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("loading tool %s version %d: %w", toolID, version, err)
	}
	p, err = PrepareJSON(toolID, version, v.Definition)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.versions) >= maxPreparedVersions {
		clear(c.versions)
	}
	c.versions[key] = p
	c.mu.Unlock()
	return p, nil
}

// Connection returns a workspace's connection by name, opened for calls.
func (c *Catalog) Connection(ctx context.Context, workspaceID, name string) (*Connection, error) {
	ws := c.workspace(workspaceID)
	now := c.now()
	c.mu.RLock()
	e := ws.conns[name]
	c.mu.RUnlock()
	if e != nil && now.Sub(e.loadedAt) < c.ttl {
		return e.conn, nil
	}
	sc, err := c.store.ConnectionGetByName(ctx, workspaceID, name)
	if err != nil {
		return nil, fmt.Errorf("loading connection %s: %w", name, err)
	}
	conn, err := OpenConnection(c.box, sc)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	ws.conns[name] = &connEntry{loadedAt: now, conn: conn}
	c.mu.Unlock()
	return conn, nil
}
