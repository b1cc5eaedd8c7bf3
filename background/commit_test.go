package background_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toolgate/toolgate/background"
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

// TestSubmitGroupCommitFails: when the database refuses the jobs of a
// shared transaction (a trigger here), every submission of it is answered
// with the error, none is stored, and the queue commits again once the
// database accepts.
func TestSubmitGroupCommitFails(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		st := newStore(t)
		h := newHarness(t, st)
		v := h.publish(t, map[string]any{"name": "save_note", "description": "Save a note, in the background.",
			"method": "POST", "url": "http://127.0.0.1:1/notes", "background": true})
		cfg := h.config()
		cfg.CommitWindow = 200 * time.Millisecond
		q := h.startQueueWith(t, cfg)
		refuse, accept := refuseJobs(t, st)
		refuse()

		const n = 8
		runs := make([]*store.Run, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range runs {
			id := store.NewID()
			createdAt, _ := store.IDTime(id)
			runs[i] = &store.Run{ID: id, WorkspaceID: h.workspaceID, ToolID: v.ToolID, ToolName: v.Name, ToolVersion: v.Version,
				AgentID: "agent-1", Status: store.RunStatusQueued, Context: json.RawMessage(`{}`), Arguments: json.RawMessage(`{}`),
				Attempts: json.RawMessage(`[]`), CreatedAt: createdAt}
			wg.Go(func() { errs[i] = q.Submit(t.Context(), runs[i], 2*time.Second, "") })
		}
		wg.Wait()
		for i, err := range errs {
			if err == nil || !strings.Contains(err.Error(), "enqueueing jobs") || !strings.Contains(err.Error(), "refused by the test") {
				t.Errorf("run %d: Submit = %v, want the database's refusal of the jobs", i, err)
			}
			if _, err := st.RunGet(t.Context(), h.workspaceID, runs[i].ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("run %d: RunGet after a refused Submit = %v, want store.ErrNotFound", i, err)
			}
		}

		accept()
		id := h.submit(t, q, v, "")
		if _, err := st.RunGet(t.Context(), h.workspaceID, id); err != nil {
			t.Errorf("RunGet after the database accepts again: %v", err)
		}
	})
}

// refuseJobs returns functions that make the store's database refuse, and
// accept again, inserts of River jobs.
func refuseJobs(t *testing.T, st store.Store) (refuse, accept func()) {
	t.Helper()
	exec := func(stmts ...string) {
		t.Helper()
		for _, s := range stmts {
			var err error
			switch st := st.(type) {
			case background.SQLiteStore:
				_, err = st.DB().ExecContext(t.Context(), s)
			case background.PgxStore:
				_, err = st.Pool().Exec(t.Context(), s)
			default:
				t.Fatalf("store %T: no way to refuse jobs", st)
			}
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	if _, ok := st.(background.SQLiteStore); ok {
		return func() {
				exec(`CREATE TRIGGER refuse_jobs BEFORE INSERT ON river_job BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
			}, func() {
				exec(`DROP TRIGGER refuse_jobs`)
			}
	}
	return func() {
			exec(`CREATE FUNCTION refuse_jobs() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`,
				`CREATE TRIGGER refuse_jobs BEFORE INSERT ON river_job FOR EACH ROW EXECUTE FUNCTION refuse_jobs()`)
		}, func() {
			exec(`DROP TRIGGER refuse_jobs ON river_job`, `DROP FUNCTION refuse_jobs()`)
		}
}
