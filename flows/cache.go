package flows

import (
	"container/list"
	"sync"
)

// CacheSizeDefault is how many compiled flow versions a Runner keeps.
const CacheSizeDefault = 256

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
