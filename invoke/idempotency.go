package invoke

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// leaseMargin is how long, beyond its tool's timeout, a claimed
// idempotency key waits for its call to be recorded before the call is
// taken to have died (its replica was killed) and the key is free again.
const leaseMargin = time.Minute

// claimKey makes call the holder of a client's idempotency key, unless an
// earlier call in the window holds it: then it returns that call's run
// (the caller answers it instead of running again). Across replicas the
// store's unique claim decides; a key whose call is still running on
// another replica is a Conflict to retry. The caller holds the key's lock.
func (iv *Invoker) claimKey(ctx context.Context, call *tools.Call, key string) (*store.Run, error) {
	now := iv.now().UTC()
	call.RunID = store.NewIDAt(now)
	timeout := time.Duration(call.Tool.Def.EffectiveTimeoutMS()) * time.Millisecond
	claim := &store.IdempotencyClaim{WorkspaceID: call.WorkspaceID, AgentID: call.AgentID, Key: key,
		ToolName: call.Tool.Name, RunID: call.RunID, CreatedAt: now, LeaseUntil: now.Add(timeout + leaseMargin)}
	held, won, err := iv.store.IdempotencyClaim(ctx, claim, now.Add(-IdempotencyWindow), now)
	if err != nil {
		return nil, err
	}
	if won {
		return nil, nil
	}
	if held.ToolName != call.Tool.Name {
		return nil, problem.Conflictf("this Idempotency-Key was used for another tool (%s) in the last 24 hours", held.ToolName)
	}
	// The holder may be a call of this process whose run is not yet written.
	if prev, ok := iv.engine.Recorder().Get(call.WorkspaceID, held.RunID); ok {
		return prev, nil
	}
	prev, err := iv.store.RunGet(ctx, call.WorkspaceID, held.RunID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &problem.Error{Kind: problem.Conflict, Type: "idempotency_in_progress",
			Message: "a call with this Idempotency-Key is still running; send it again shortly to get its result"}
	}
	if err != nil {
		return nil, err
	}
	return prev, nil
}

// sentAnything reports whether a call may have reached the upstream (or
// was queued to, or awaits approval): one that failed validation or
// configuration, waits for the caller's confirmation or was held back by
// a limit did not.
func sentAnything(res *tools.Result) bool {
	switch res.Outcome {
	case tools.OutcomeInvalidArguments, tools.OutcomeConfigError, tools.OutcomeNeedsConfirmation, tools.OutcomeRateLimited:
		return false
	}
	return true
}

// releaseKey frees a client's idempotency key after a call that sent
// nothing (invalid arguments, a configuration error, a failure before
// anything ran): a retry with the same key after a fix must run.
func (iv *Invoker) releaseKey(ctx context.Context, call *tools.Call, key string) {
	if err := iv.store.IdempotencyRelease(context.WithoutCancel(ctx), call.WorkspaceID, call.AgentID, key, call.RunID); err != nil {
		iv.log.WarnContext(ctx, "releasing an idempotency key", "run_id", call.RunID, "err", err)
	}
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
