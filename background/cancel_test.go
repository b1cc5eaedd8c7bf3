package background_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/toolgate/toolgate/background"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

// TestCancelStopsTheAttemptUnderWay cancels a run while its attempt waits
// on the upstream: the attempt's request is cancelled at once, not when the
// tool's timeout ends it, and the run stays cancelled.
func TestCancelStopsTheAttemptUnderWay(t *testing.T) {
	const (
		toolTimeout = 60 * time.Second
		// stopWithin is well before the tool's timeout, and generous for
		// a loaded machine.
		stopWithin = 10 * time.Second
	)
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		h := newHarness(t, newStore(t))
		arrived := make(chan struct{}, 1)
		ended := make(chan struct{}, 1)
		upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Read the body first: only then does the server notice the
			// client going away.
			_, _ = io.Copy(io.Discard, r.Body)
			arrived <- struct{}{}
			<-r.Context().Done()
			ended <- struct{}{}
		}))
		t.Cleanup(upstream.Close)
		v := h.publish(t, map[string]any{"name": "slow_report", "description": "Build a report, in the background.",
			"method": "POST", "url": upstream.URL + "/reports", "background": true,
			"timeout_ms": toolTimeout.Milliseconds(), "retry": map[string]any{"max_attempts": 1}})

		q := h.startQueue(t)
		runID := h.submitTimeout(t, q, v, "", toolTimeout)
		await(t, arrived, "attempt at the upstream")

		run, err := q.Cancel(t.Context(), h.workspaceID, runID)
		if err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		if run.Outcome != invoke.OutcomeCancelled {
			t.Errorf("Cancel returned outcome %q, want %q", run.Outcome, invoke.OutcomeCancelled)
		}
		select {
		case <-ended:
		case <-time.After(stopWithin):
			t.Fatalf("the upstream request was still open %s after Cancel (tool timeout %s)", stopWithin, toolTimeout)
		}

		// Stop waits for the worker to end the attempt: what it records
		// then does not undo the cancel.
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		got, err := h.store.RunGet(t.Context(), h.workspaceID, runID)
		if err != nil {
			t.Fatalf("RunGet: %v", err)
		}
		if got.Status != store.RunStatusFailed || got.Outcome != invoke.OutcomeCancelled || got.Error != background.CancelledMessage {
			t.Errorf("final record: status %q, outcome %q, error %q; want %q, %q, %q", got.Status, got.Outcome, got.Error,
				store.RunStatusFailed, invoke.OutcomeCancelled, background.CancelledMessage)
		}
	})
}
