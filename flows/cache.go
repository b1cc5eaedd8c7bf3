package flows

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// CacheSizeDefault is how many compiled flow versions Programs keeps.
const CacheSizeDefault = 256

// VersionStore is where published versions are read (store.Store has it).
type VersionStore interface {
	FlowVersionGet(ctx context.Context, workspaceID, flowID string, version int) (*store.FlowVersion, error)
}

// Programs compiles published flow versions once and keeps the most
// recently used.
type Programs struct {
	store VersionStore
	cache *programCache
}

// NewPrograms returns Programs reading versions from st, keeping size.
func NewPrograms(st VersionStore, size int) *Programs {
	if size <= 0 {
		size = CacheSizeDefault
	}
	return &Programs{store: st, cache: newProgramCache(size)}
}

// Get returns a compiled published version, compiling it on first use.
func (ps *Programs) Get(ctx context.Context, workspaceID, flowID string, version int) (*Program, error) {
	key := programKey(workspaceID, flowID, version)
	if p := ps.cache.get(key); p != nil {
		return p, nil
	}
	v, err := ps.store.FlowVersionGet(ctx, workspaceID, flowID, version)
	if err != nil {
		return nil, err
	}
	p, err := CompileJSON(VersionInfo{FlowID: flowID, FlowName: v.Name, Version: version}, v.Definition)
	if err != nil {
		return nil, fmt.Errorf("compiling version %d of flow %s: %w", version, v.Name, err)
	}
	ps.cache.put(key, p)
	return p, nil
}

// ErrNoAction means a run names an action its flow version does not have.
var ErrNoAction = errors.New("the flow version has no such API_CALL")

// ActionRequest returns the prepared request of the integration or url
// action a run of the flow was made by (what a background worker runs a
// fire-and-forget call from); ErrNoAction when the version has no such
// action, or it names a tool (whose run is the tool's own).
func (ps *Programs) ActionRequest(ctx context.Context, workspaceID string, info RunInfo) (*tools.Prepared, error) {
	p, err := ps.Get(ctx, workspaceID, info.FlowID, info.Version)
	if err != nil {
		return nil, err
	}
	st := p.states[info.State]
	if st == nil || info.Action < 0 || info.Action >= len(st.actions) || st.actions[info.Action].request == nil {
		return nil, ErrNoAction
	}
	return st.actions[info.Action].request, nil
}

// programCache keeps the most recently used compiled versions. Published
// versions are immutable, so an entry never goes stale; a deleted flow's
// entry is simply never asked for again and ages out.
type programCache struct {
	mu    sync.Mutex
	size  int
	order *list.List // front: most recently used; values are *cacheEntry
	items map[string]*list.Element
}

type cacheEntry struct {
	key  string
	prog *Program
}

func newProgramCache(size int) *programCache {
	return &programCache{size: size, order: list.New(), items: map[string]*list.Element{}}
}

func programKey(workspaceID, flowID string, version int) string {
	return workspaceID + "\x00" + flowID + "\x00" + itoa(version)
}

func (c *programCache) get(key string) *Program {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).prog
}

func (c *programCache) put(key string, p *Program) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key: key, prog: p})
	for c.order.Len() > c.size {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*cacheEntry).key)
	}
}

func (c *programCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
