package app

import (
	"context"
	"time"

	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/store"
)

// Defaults of the guardrails' upkeep.
const (
	// GuardrailSweepIntervalDefault is how often expired approvals end and
	// expired guardrail state (confirmations, cache entries, leases, idle
	// rate states) is deleted.
	GuardrailSweepIntervalDefault = 15 * time.Second
	// approvalRecordsKept is how long a decided approval whose run was
	// deleted is kept.
	approvalRecordsKept = 30 * 24 * time.Hour
)

// SweepGuardrails ends the approvals whose time ran out (their runs fail
// with approval_expired) and deletes expired guardrail state (cache
// entries, idempotency claims, replay records), trimming each workspace's
// response cache to its bound. Every replica sweeps; an
// approval expires once whichever does.
func (a *App) SweepGuardrails(ctx context.Context) error {
	if _, err := a.Invoker.ExpireApprovals(ctx); err != nil {
		return err
	}
	now := a.now().UTC()
	if _, err := a.Store.GuardrailsSweep(ctx, store.GuardrailSweep{Now: now, CacheMaxBytes: a.cacheMaxBytes,
		DecidedBefore: now.Add(-approvalRecordsKept)}); err != nil {
		return err
	}
	// Idempotency claims past their window and expired replay records
	// (signed webhooks) answer nothing any more.
	_, err := a.Store.GuardsDeleteExpired(ctx, now.Add(-invoke.IdempotencyWindow), now)
	return err
}

// sweepGuardrails runs SweepGuardrails every interval until ctx ends.
func (a *App) sweepGuardrails(ctx context.Context, interval time.Duration, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.SweepGuardrails(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("sweeping guardrails", "err", err)
			}
		}
	}
}
