package background_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

// TestSubmitGroupCommit submits runs at once, in a window long enough that
// they share a transaction, one of them with the ID of a run already
// stored: that one is refused as a conflict, every other is stored and
// run to its end, and each caller hears of its own run only.
func TestSubmitGroupCommit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		h := newHarness(t, newStore(t))
		upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"saved":true}`)
		}))
		t.Cleanup(upstream.Close)
		callbacks := make(chan string, 100)
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			callbacks <- string(body)
		}))
		t.Cleanup(receiver.Close)
		v := h.publish(t, map[string]any{"name": "save_note", "description": "Save a note, in the background.",
			"method": "POST", "url": upstream.URL + "/notes", "background": true})
		cfg := h.config()
		cfg.CommitWindow = 200 * time.Millisecond
		q := h.startQueueWith(t, cfg)
		taken := h.submit(t, q, v, "")

		const n = 12
		runs := make([]*store.Run, n)
		for i := range runs {
			id := store.NewID()
			if i == n/2 {
				id = taken
			}
			createdAt, _ := store.IDTime(id)
			runs[i] = &store.Run{ID: id, WorkspaceID: h.workspaceID, ToolID: v.ToolID, ToolName: v.Name, ToolVersion: v.Version,
				AgentID: "agent-1", Status: store.RunStatusQueued, Context: json.RawMessage(`{}`), Arguments: json.RawMessage(`{}`),
				Attempts: json.RawMessage(`[]`), CreatedAt: createdAt}
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, run := range runs {
			wg.Go(func() { errs[i] = q.Submit(t.Context(), run, 2*time.Second, receiver.URL) })
		}
		wg.Wait()
		for i, err := range errs {
			if i == n/2 {
				if !errors.Is(err, store.ErrConflict) {
					t.Errorf("submitting a taken run ID: got %v, want store.ErrConflict", err)
				}
				continue
			}
			if err != nil {
				t.Errorf("run %d: Submit: %v", i, err)
			}
		}
		// Every stored run is worked to its end: its callback, enqueued
		// with its final record, arrives.
		ended := map[string]bool{}
		for range n - 1 {
			var res struct {
				RunID string `json:"run_id"`
				OK    bool   `json:"ok"`
			}
			if err := json.Unmarshal([]byte(await(t, callbacks, "callback")), &res); err != nil || !res.OK {
				t.Errorf("callback %+v, %v; want a successful run", res, err)
			}
			ended[res.RunID] = true
		}
		for i, run := range runs {
			if i != n/2 && !ended[run.ID] {
				t.Errorf("run %d did not end", i)
			}
		}
	})
}
