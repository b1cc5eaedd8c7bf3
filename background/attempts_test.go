package background_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/background"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tools"
)

// TestInterruptedAttemptIsRecorded cuts a run's first attempt short after
// its request reached the upstream, then works the job again with a new
// queue (as a restarted or another replica does): the run's record lists
// both attempts, the first interrupted, and the interrupted one counts
// against the tool's attempts.
func TestInterruptedAttemptIsRecorded(t *testing.T) {
	interrupted := tools.Attempt{Attempt: 1, Outcome: background.OutcomeInterrupted,
		Error: "the worker stopped before this attempt ended; the upstream may have received it"}
	tests := []struct {
		name string
		// killed leaves the record as a worker that died mid-attempt
		// does (its attempt still running), instead of as a shutdown does.
		killed bool
		// second is the upstream's answer to the second attempt.
		second      int
		maxAttempts int
		wantStatus  string
		want        []tools.Attempt
	}{
		{
			name: "shut down, then succeeds", second: http.StatusOK, maxAttempts: 3,
			wantStatus: store.RunStatusSucceeded,
			want:       []tools.Attempt{interrupted, {Attempt: 2, Outcome: tools.OutcomeSuccess, StatusCode: 200}},
		},
		{
			name: "killed, then succeeds", killed: true, second: http.StatusOK, maxAttempts: 3,
			wantStatus: store.RunStatusSucceeded,
			want:       []tools.Attempt{interrupted, {Attempt: 2, Outcome: tools.OutcomeSuccess, StatusCode: 200}},
		},
		{
			name: "killed, then the last attempt fails", killed: true, second: http.StatusServiceUnavailable, maxAttempts: 2,
			wantStatus: store.RunStatusFailed,
			want:       []tools.Attempt{interrupted, {Attempt: 2, Outcome: tools.OutcomeServerError, StatusCode: 503}},
		},
	}
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newHarness(t, newStore(t))
				var hits atomic.Int32
				arrived := make(chan int, 4)
				upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					// Read the body first: only then does the server notice
					// the client going away.
					_, _ = io.Copy(io.Discard, r.Body)
					n := int(hits.Add(1))
					arrived <- n
					if n == 1 {
						<-r.Context().Done() // the first attempt never gets an answer
						return
					}
					w.WriteHeader(tt.second)
					_, _ = io.WriteString(w, `{"saved":true}`)
				}))
				t.Cleanup(upstream.Close)
				callbacks := make(chan string, 4)
				receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					body, _ := io.ReadAll(r.Body)
					callbacks <- string(body)
				}))
				t.Cleanup(receiver.Close)
				v := h.publish(t, map[string]any{"name": "save_note", "description": "Save a note, in the background.",
					"method": "POST", "url": upstream.URL + "/notes", "background": true, "timeout_ms": 2000,
					"retry": map[string]any{"max_attempts": tt.maxAttempts}})

				first := h.startQueue(t)
				runID := h.submit(t, first, v, receiver.URL)
				await(t, arrived, "first attempt at the upstream")
				// While the attempt runs, the record already holds it.
				status, got := h.attempts(t, runID)
				running := []tools.Attempt{{Attempt: 1, Outcome: background.OutcomeRunning}}
				if diff := cmp.Diff(running, got); status != store.RunStatusRunning || diff != "" {
					t.Errorf("during the first attempt: status %s, attempts mismatch (-want +got):\n%s", status, diff)
				}

				// Stop at once: the attempt is cancelled mid-request.
				stopped, cancel := context.WithCancel(t.Context())
				cancel()
				if err := first.Stop(stopped); !errors.Is(err, context.Canceled) {
					t.Fatalf("Stop with a cancelled context: got %v, want %v", err, context.Canceled)
				}
				status, got = h.attempts(t, runID)
				if diff := cmp.Diff([]tools.Attempt{interrupted}, got); status != store.RunStatusQueued || diff != "" {
					t.Errorf("after shutdown: status %s, attempts mismatch (-want +got):\n%s", status, diff)
				}
				if tt.killed {
					// A killed worker records nothing more: its attempt stays
					// running in the record.
					run, err := h.store.RunGet(t.Context(), h.workspaceID, runID)
					if err != nil {
						t.Fatal(err)
					}
					run.Status = store.RunStatusRunning
					run.Attempts = mustJSON(t, []tools.Attempt{{Attempt: 1, Outcome: background.OutcomeRunning, StartedAt: time.Now().UTC()}})
					if err := h.store.RunInsertBatch(t.Context(), []*store.Run{run}); err != nil {
						t.Fatal(err)
					}
				}

				h.startQueue(t)
				if n := await(t, arrived, "second attempt at the upstream"); n != 2 {
					t.Fatalf("upstream request %d, want 2", n)
				}
				body := await(t, callbacks, "callback")
				if !strings.Contains(body, runID) {
					t.Errorf("callback body %s does not name run %s", body, runID)
				}
				status, got = h.attempts(t, runID)
				if diff := cmp.Diff(tt.want, got); status != tt.wantStatus || diff != "" {
					t.Errorf("final record: status %s (want %s), attempts mismatch (-want +got):\n%s", status, tt.wantStatus, diff)
				}
				if n := hits.Load(); n != 2 {
					t.Errorf("upstream got %d requests, want 2", n)
				}
			})
		}
	})
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %T: %v", v, err)
	}
	return b
}
