package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/toolgate/toolgate/store"
)

// retainFlowSessions deletes the conversation flow sessions (with their
// history) not updated since before, as retainRuns does runs: a session's
// history points at its runs, which go at the same age.
func retainFlowSessions(ctx context.Context, st store.Store, before time.Time, log *slog.Logger) {
	n, err := st.FlowSessionDeleteBefore(ctx, before)
	switch {
	case err != nil && ctx.Err() == nil:
		log.Error("deleting old flow sessions", "err", err)
	case n > 0:
		log.Info("deleted old flow sessions", "count", n)
	}
}
