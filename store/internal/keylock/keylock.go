// Package keylock provides mutual exclusion per string key within one
// process, with waits that honour context cancellation. Entries exist only
// while a key is held or awaited, so the set of keys may be unbounded.
package keylock

import (
	"context"
	"sync"
)

// Map is a set of mutexes keyed by string. The zero value is ready to use; a
// Map must not be copied after first use.
type Map struct {
	mu    sync.Mutex
	locks map[string]*entry
}

// entry is one key's lock: a one-slot semaphore, and how many callers hold or
// await it.
type entry struct {
	sem  chan struct{}
	refs int
}

// Lock waits until key is free, or ctx is done, and takes it. The returned
// function releases the key; it must be called exactly once.
func (m *Map) Lock(ctx context.Context, key string) (unlock func(), err error) {
	m.mu.Lock()
	if m.locks == nil {
		m.locks = make(map[string]*entry)
	}
	e := m.locks[key]
	if e == nil {
		e = &entry{sem: make(chan struct{}, 1)}
		m.locks[key] = e
	}
	e.refs++
	m.mu.Unlock()

	select {
	case e.sem <- struct{}{}:
		return func() {
			<-e.sem
			m.release(key, e)
		}, nil
	case <-ctx.Done():
		m.release(key, e)
		return nil, ctx.Err()
	}
}

// release drops one reference to key's entry, forgetting it at zero.
func (m *Map) release(key string, e *entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(m.locks, key)
	}
}

// Len returns how many keys are held or awaited.
func (m *Map) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.locks)
}
