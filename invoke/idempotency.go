package invoke

import (
	"context"
	"errors"
	"sync"

	"github.com/toolgate/toolgate/store"
)

// previousRun returns the agent's run that already carries a client's
// idempotency key within IdempotencyWindow, or nil. The caller holds the
// key's lock.
func (iv *Invoker) previousRun(ctx context.Context, workspaceID, agentID, key string) (*store.Run, error) {
	// A run of this process may still be on its way to the store.
	if err := iv.engine.Recorder().Flush(ctx); err != nil {
		return nil, err
	}
	prev, err := iv.store.RunGetByIdempotencyKey(ctx, workspaceID, agentID, key, iv.now().Add(-IdempotencyWindow))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return prev, nil
}

// keyedLocks serialises work per key (in this process).
type keyedLocks struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	mu   sync.Mutex
	refs int
}

// lock locks key and returns its unlock.
func (k *keyedLocks) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
