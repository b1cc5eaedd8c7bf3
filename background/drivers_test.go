package background_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/background"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/sqlite"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tools"
)

// The store drivers share their transactions with the queue.
var (
	_ background.SQLiteStore = (*sqlite.Store)(nil)
	_ background.PgxStore    = (*postgres.Store)(nil)
)

func TestNewRefusesAStoreWithoutTransactions(t *testing.T) {
	h := newHarness(t, testdb.SQLite(t))
	cfg := h.config()
	cfg.Store = struct{ store.Store }{h.store} // only the store.Store methods
	_, err := background.New(t.Context(), cfg)
	if err == nil || !strings.Contains(err.Error(), "neither a background.SQLiteStore nor a background.PgxStore") {
		t.Errorf("New with a store that shares no transactions: got %v, want an error naming the interfaces", err)
	}
}

// TestQueueSharesEachStoresTransactions runs a background run to its end on
// each store driver, through the queue's interfaces: the run and its job
// are written together, the final record with the callback's job, and the
// callback after it.
func TestQueueSharesEachStoresTransactions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		h := newHarness(t, newStore(t))
		upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"saved":true}`)
		}))
		t.Cleanup(upstream.Close)
		callbacks := make(chan string, 1)
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			callbacks <- string(body)
		}))
		t.Cleanup(receiver.Close)
		v := h.publish(t, map[string]any{"name": "save_note", "description": "Save a note, in the background.",
			"method": "POST", "url": upstream.URL + "/notes", "background": true})

		runID := h.submit(t, h.startQueue(t), v, receiver.URL)
		if body := await(t, callbacks, "callback"); !strings.Contains(body, runID) {
			t.Errorf("callback body %s does not name run %s", body, runID)
		}
		status, got := h.attempts(t, runID)
		want := []tools.Attempt{{Attempt: 1, Outcome: tools.OutcomeSuccess, StatusCode: 200}}
		if diff := cmp.Diff(want, got); status != store.RunStatusSucceeded || diff != "" {
			t.Errorf("final record: status %s, attempts mismatch (-want +got):\n%s", status, diff)
		}
	})
}
