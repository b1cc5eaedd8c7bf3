package store

import (
	"context"
	"time"
)

// IdempotencyClaim is a client's Idempotency-Key held by one run: the row
// that makes a key exact across replicas.
type IdempotencyClaim struct {
	WorkspaceID string
	AgentID     string
	Key         string
	// ToolName is the tool the key was used for.
	ToolName string
	// RunID is the run that holds the key.
	RunID     string
	CreatedAt time.Time
	// LeaseUntil bounds how long the claim holds the key without its run
	// being stored: past it, the call that claimed it is taken to have died
	// before it was recorded, and the key may be claimed again.
	LeaseUntil time.Time
}

// GuardStore persists what keeps requests from running twice across
// replicas: idempotency claims and the replay guard of signed webhooks.
// Every Store implements it.
type GuardStore interface {
	// IdempotencyClaim stores c unless its workspace, agent and key are
	// held by a live claim: one created at or after since whose run is
	// stored or whose lease has not ended at now. It returns the claim that
	// holds the key: c itself (won) or the live one.
	IdempotencyClaim(ctx context.Context, c *IdempotencyClaim, since, now time.Time) (held *IdempotencyClaim, won bool, err error)
	// IdempotencyRelease deletes the claim of a key if runID holds it (a
	// call that sent nothing does not keep its key).
	IdempotencyRelease(ctx context.Context, workspaceID, agentID, key, runID string) error
	// ReplayFirst records key until until and reports whether it was seen
	// for the first time (or its earlier record had expired at now).
	ReplayFirst(ctx context.Context, key string, now, until time.Time) (bool, error)
	// GuardsDeleteExpired deletes the idempotency claims created before
	// since and the replay records expired at now, returning how many went.
	GuardsDeleteExpired(ctx context.Context, since, now time.Time) (int, error)
}
