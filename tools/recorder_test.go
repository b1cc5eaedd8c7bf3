package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/toolgate/toolgate/redact"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// TestRecorderIsolatesBadRuns: a run the database refuses (here: of a
// workspace that does not exist) loses only itself, not its batch; runs
// recorded after Stop are still written.
func TestRecorderIsolatesBadRuns(t *testing.T) {
	ctx := context.Background()
	st := testdb.SQLite(t)
	box, _ := secrets.NewBox(bytes.Repeat([]byte{3}, secrets.KeySize))
	ws, err := tenant.Create(ctx, st, box, "w")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	metrics := tools.NewMetrics(reg)
	rec := tools.NewRecorder(tools.RecorderConfig{Store: st, Metrics: metrics, Flush: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rec.Start()
	now := time.Now().UTC()
	run := func(workspaceID string) *store.Run {
		return &store.Run{ID: store.NewIDAt(now), WorkspaceID: workspaceID, ToolName: "t", Status: store.RunStatusSucceeded, CreatedAt: now}
	}
	good := []*store.Run{run(ws.ID), run(ws.ID), run(ws.ID)}
	rec.Record(good[0])
	rec.Record(run("no-such-workspace"))
	rec.Record(good[1])
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rec.Stop()
	rec.Record(good[2]) // after Stop: written synchronously
	for _, r := range good {
		if _, err := st.RunGet(ctx, ws.ID, r.ID); err != nil {
			t.Errorf("run %s lost: %v", r.ID, err)
		}
	}
	if got := testutil.ToFloat64(metrics.Dropped()); got != 1 {
		t.Errorf("dropped runs = %v, want 1", got)
	}
}

// TestRedactJSONStaysValid: scrubbing a secret that spans JSON syntax keeps
// the stored document valid JSON.
func TestRedactJSONStaysValid(t *testing.T) {
	r := redact.New(`42,"b`)
	for _, doc := range []string{`{"a":42,"b":1}`, `{"k":"x 42,\"b y"}`, `null`} {
		out := tools.RedactJSONForTest(r, json.RawMessage(doc))
		if !json.Valid(out) {
			t.Errorf("redacting %s gave invalid JSON %s", doc, out)
		}
	}
}

// TestRecorderKeepsEveryRunThroughAnOutage: calls made while the store
// refuses writes are answered, their runs are kept (readable through Get)
// and, once the store takes writes again, every one is stored exactly once.
func TestRecorderKeepsEveryRunThroughAnOutage(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			ctx := context.Background()
			st := kind.open(t)
			h := newHarness(t, st, tools.RecorderConfig{Batch: 8, MaxPending: 1000})
			const before, during = 5, 40
			for range before {
				if res := h.call(t); res.Outcome != tools.OutcomeSuccess {
					t.Fatalf("outcome %s: %+v", res.Outcome, res.Error)
				}
			}
			if err := h.rec.Flush(ctx); err != nil {
				t.Fatal(err)
			}

			st.fail(t)
			for range during {
				if res := h.call(t); res.Outcome != tools.OutcomeSuccess {
					t.Fatalf("outcome during the outage %s: %+v", res.Outcome, res.Error)
				}
			}
			if err := h.rec.Flush(ctx); !errors.Is(err, tools.ErrRunHistoryUnavailable) {
				t.Fatalf("Flush during the outage = %v, want ErrRunHistoryUnavailable", err)
			}
			for _, res := range h.results[before:] {
				if run, ok := h.rec.Get(st.workspaceID, res.RunID); !ok || run.Outcome != tools.OutcomeSuccess {
					t.Errorf("Get(%s) during the outage = %v, %v; want the kept run", res.RunID, run, ok)
				}
			}
			if got := h.metric(t, "toolgate_run_recorder_queue_depth"); got != during {
				t.Errorf("pending runs = %v, want %d", got, during)
			}
			if err := h.engine.Admit(); err != nil {
				t.Errorf("Admit below the bound = %v, want nil", err)
			}

			st.heal(t)
			if err := h.rec.Flush(ctx); err != nil {
				t.Fatalf("Flush after the outage: %v", err)
			}
			if diff := cmp.Diff(h.resultIDs(), h.storedIDs(t)); diff != "" {
				t.Errorf("stored runs (-answered +stored):\n%s", diff)
			}
			if got, want := h.up.requests.Load(), int64(before+during); got != want {
				t.Errorf("upstream requests = %d, want %d", got, want)
			}
			for name, want := range map[string]float64{
				"toolgate_run_recorder_dropped_total": 0, "toolgate_run_recorder_queue_depth": 0,
				"toolgate_run_recorder_pending_bytes": 0, "toolgate_run_recorder_details_refused_total": 0,
			} {
				if got := h.metric(t, name); got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			if got := h.metric(t, "toolgate_run_recorder_write_errors_total"); got == 0 {
				t.Error("no failed write was counted")
			}
		})
	}
}

// TestRecorderRefusesCallsWhileFull: in required mode, once the runs the
// store refused fill the bound, calls are refused before anything is sent;
// when the store takes writes again the writer catches up by itself and
// calls flow again.
func TestRecorderRefusesCallsWhileFull(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			st := kind.open(t)
			h := newHarness(t, st, tools.RecorderConfig{MaxPending: 3})
			st.fail(t)
			for range 3 {
				if res := h.call(t); res.Outcome != tools.OutcomeSuccess {
					t.Fatalf("outcome %s: %+v", res.Outcome, res.Error)
				}
			}
			h.log.await(t, "the store refuses runs")

			if err := h.engine.Admit(); !errors.Is(err, tools.ErrRunHistoryUnavailable) {
				t.Errorf("Admit with the bound full = %v, want ErrRunHistoryUnavailable", err)
			}
			res := h.call(t)
			if res.Outcome != tools.OutcomeRunHistoryUnavailable || res.HTTPStatus() != http.StatusServiceUnavailable ||
				res.RunID != "" || res.Error == nil || res.Error.Type != tools.OutcomeRunHistoryUnavailable {
				t.Errorf("Run with the bound full = %+v (HTTP %d), want a refusal without a run", res, res.HTTPStatus())
			}
			if got := h.up.requests.Load(); got != 3 {
				t.Errorf("upstream requests = %d, want 3: a refused call must send nothing", got)
			}
			if got := h.metric(t, "toolgate_run_recorder_refused_calls_total"); got != 2 {
				t.Errorf("refused calls = %v, want 2 (Admit, then Run)", got)
			}

			st.heal(t)
			h.clock.elapse(h.clock.next(t)) // the writer's retry
			h.log.await(t, "the store takes runs again")
			if err := h.engine.Admit(); err != nil {
				t.Fatalf("Admit after the store recovered = %v", err)
			}
			if res := h.call(t); res.Outcome != tools.OutcomeSuccess {
				t.Fatalf("outcome after recovery %s: %+v", res.Outcome, res.Error)
			}
			if err := h.rec.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(h.resultIDs(), h.storedIDs(t)); diff != "" {
				t.Errorf("stored runs (-answered +stored):\n%s", diff)
			}
			if got := h.up.requests.Load(); got != 4 {
				t.Errorf("upstream requests = %d, want 4", got)
			}
		})
	}
}

// TestRecorderBacksOff: while the store refuses writes, the writer tries
// again after RetryMin, doubling up to RetryMax, and the first try after
// the store recovered writes the kept runs.
func TestRecorderBacksOff(t *testing.T) {
	st := fullDiskSQLite(t)
	h := newHarness(t, st, tools.RecorderConfig{RetryMin: 100 * time.Millisecond, RetryMax: time.Second})
	st.fail(t)
	h.call(t)
	// Each wait is asked for after a failed try.
	var got []time.Duration
	var w fakeWait
	for i := range 7 {
		if i > 0 {
			h.clock.elapse(w)
		}
		w = h.clock.next(t)
		got = append(got, w.d)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
		800 * time.Millisecond, time.Second, time.Second, time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("waits between tries (-want +got):\n%s", diff)
	}
	st.heal(t)
	h.clock.elapse(w)
	h.log.await(t, "the store takes runs again")
	if diff := cmp.Diff(h.resultIDs(), h.storedIDs(t)); diff != "" {
		t.Errorf("stored runs (-answered +stored):\n%s", diff)
	}
}

// TestRecorderBestEffortDrops: in best-effort mode calls are never
// refused; runs beyond the bound are dropped, each counted and logged with
// its ID, and the kept ones are stored after the outage.
func TestRecorderBestEffortDrops(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			st := kind.open(t)
			h := newHarness(t, st, tools.RecorderConfig{Mode: tools.RecordingBestEffort, MaxPending: 2})
			st.fail(t)
			const calls = 15 // more drops than individual log lines
			for range calls {
				if err := h.engine.Admit(); err != nil {
					t.Fatalf("Admit in best-effort mode = %v", err)
				}
				if res := h.call(t); res.Outcome != tools.OutcomeSuccess {
					t.Fatalf("outcome %s: %+v", res.Outcome, res.Error)
				}
			}
			if got := h.up.requests.Load(); got != calls {
				t.Errorf("upstream requests = %d, want %d", got, calls)
			}
			if got := h.metric(t, "toolgate_run_recorder_dropped_total"); got != calls-2 {
				t.Errorf("dropped runs = %v, want %d", got, calls-2)
			}
			st.heal(t)
			if err := h.rec.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			h.rec.Stop() // writes the log's last aggregate line
			kept := []string{h.results[0].RunID, h.results[1].RunID}
			if diff := cmp.Diff(kept, h.storedIDs(t)); diff != "" {
				t.Errorf("stored runs (-kept +stored):\n%s", diff)
			}
			log := h.log.String()
			for _, res := range h.results[2:] {
				if !strings.Contains(log, res.RunID) {
					t.Errorf("dropped run %s is not in the log", res.RunID)
				}
			}
			if got := h.metric(t, "toolgate_run_recorder_refused_calls_total"); got != 0 {
				t.Errorf("refused calls = %v, want 0", got)
			}
		})
	}
}

// TestRecorderNewestStateWins: a run recorded again (a background run's
// states) is stored in its newest state, whether the older one was written
// or still pending when the store failed.
func TestRecorderNewestStateWins(t *testing.T) {
	for _, tc := range []struct {
		name        string
		flushFirst  bool
		statesAfter []string
	}{
		{"older state pending", false, []string{store.RunStatusRunning, store.RunStatusSucceeded}},
		{"older state written", true, []string{store.RunStatusRunning, store.RunStatusFailed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := fullDiskSQLite(t)
			h := newHarness(t, st, tools.RecorderConfig{})
			now := time.Now().UTC()
			id := store.NewIDAt(now)
			state := func(status string) *store.Run {
				return &store.Run{ID: id, WorkspaceID: st.workspaceID, ToolName: "note", Status: status, CreatedAt: now,
					Error: "state " + status}
			}
			h.rec.Record(state(store.RunStatusQueued))
			if tc.flushFirst {
				if err := h.rec.Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}
			st.fail(t)
			for _, s := range tc.statesAfter {
				h.rec.Record(state(s))
			}
			newest := tc.statesAfter[len(tc.statesAfter)-1]
			if run, ok := h.rec.Get(st.workspaceID, id); !ok || run.Status != newest {
				t.Errorf("Get during the outage = %+v, %v; want status %s", run, ok, newest)
			}
			if err := h.rec.Flush(ctx); !errors.Is(err, tools.ErrRunHistoryUnavailable) {
				t.Fatalf("Flush during the outage = %v", err)
			}
			st.heal(t)
			if err := h.rec.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			run, err := st.RunGet(ctx, st.workspaceID, id)
			if err != nil {
				t.Fatal(err)
			}
			if run.Status != newest || run.Error != "state "+newest {
				t.Errorf("stored state %s (%q), want %s", run.Status, run.Error, newest)
			}
		})
	}
}

// TestRecorderStopDuringOutage: Stop writes what is pending if the store
// takes it within StopTimeout; otherwise it gives up then, and logs and
// counts every run not written.
func TestRecorderStopDuringOutage(t *testing.T) {
	for _, tc := range []struct {
		name       string
		heal       bool
		wantStored int
	}{
		{"store recovered", true, 3},
		{"store still failing", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := fullDiskSQLite(t)
			h := newHarness(t, st, tools.RecorderConfig{StopTimeout: time.Second})
			st.fail(t)
			for range 3 {
				h.call(t)
			}
			if tc.heal {
				st.heal(t)
			}
			stopped := make(chan struct{})
			go func() {
				h.rec.Stop()
				close(stopped)
			}()
			for done := false; !done; {
				select {
				case w := <-h.clock.waits:
					h.clock.elapse(w)
				case <-stopped:
					done = true
				}
			}
			if !tc.heal {
				st.heal(t)
			}
			if got := len(h.storedIDs(t)); got != tc.wantStored {
				t.Errorf("stored runs = %d, want %d", got, tc.wantStored)
			}
			lost := 3 - tc.wantStored
			if got := h.metric(t, "toolgate_run_recorder_dropped_total"); got != float64(lost) {
				t.Errorf("dropped runs = %v, want %d", got, lost)
			}
			log := h.log.String()
			if lost > 0 && !strings.Contains(log, "runs could not be written before shutdown") {
				t.Errorf("the log does not say runs were lost at shutdown:\n%s", log)
			}
			for _, res := range h.results[:lost] {
				if !strings.Contains(log, res.RunID) {
					t.Errorf("lost run %s is not in the log", res.RunID)
				}
			}
		})
	}
}

// TestRecorderStoresRefusedDetailsAsSummary: a run PostgreSQL refuses for
// its content (a NUL byte) is stored without its details rather than lost,
// and the runs around it are stored whole.
func TestRecorderStoresRefusedDetailsAsSummary(t *testing.T) {
	ctx := context.Background()
	st := &failingStore{Store: testdb.Postgres(t)}
	withWorkspace(t, st)
	h := newHarness(t, st, tools.RecorderConfig{})
	now := time.Now().UTC()
	run := func(response string) *store.Run {
		return &store.Run{ID: store.NewIDAt(now), WorkspaceID: st.workspaceID, ToolName: "note", Status: store.RunStatusSucceeded,
			Outcome: tools.OutcomeSuccess, StatusCode: 200, CreatedAt: now, Response: json.RawMessage(response)}
	}
	good, bad, good2 := run(`{"body":"fine"}`), run("{\"body\":\"a\x00b\"}"), run(`{"body":"fine too"}`)
	bad.ConversationID = "c\x00" // the summary keeps it, cleaned
	for _, r := range []*store.Run{good, bad, good2} {
		h.rec.Record(r)
	}
	if err := h.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*store.Run{good, good2} {
		got, err := st.RunGet(ctx, st.workspaceID, r.ID)
		if err != nil || string(got.Response) != string(r.Response) {
			t.Errorf("run %s stored as %v, %v; want it whole", r.ID, got, err)
		}
	}
	got, err := st.RunGet(ctx, st.workspaceID, bad.ID)
	if err != nil {
		t.Fatalf("the refused run was not stored: %v", err)
	}
	if got.Response != nil || got.Outcome != tools.OutcomeSuccess || got.StatusCode != 200 ||
		got.ConversationID != "c\uFFFD" || !strings.Contains(got.Error, "could not store this run's details") {
		t.Errorf("refused run stored as %+v; want its summary and a note", got)
	}
	if got := h.metric(t, "toolgate_run_recorder_details_refused_total"); got != 1 {
		t.Errorf("runs stored without details = %v, want 1", got)
	}
	if got := h.metric(t, "toolgate_run_recorder_dropped_total"); got != 0 {
		t.Errorf("dropped runs = %v, want 0", got)
	}
}

// TestRunWithNULIsStored: a NUL in the caller's conversation ID (which
// PostgreSQL refuses in text) does not cost the run.
func TestRunWithNULIsStored(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		ctx := context.Background()
		st := &failingStore{Store: newStore(t)}
		withWorkspace(t, st)
		h := newHarness(t, st, tools.RecorderConfig{})
		res := h.engine.Run(ctx, &tools.Call{WorkspaceID: st.workspaceID, AgentID: "agent_1", Tool: h.tool,
			Arguments: json.RawMessage(`{"text": "x"}`), Context: map[string]any{"conversation_id": "a\x00b"}})
		if err := h.rec.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		run, err := st.RunGet(ctx, st.workspaceID, res.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if run.ConversationID != "a\uFFFDb" || run.Request == nil {
			t.Errorf("stored conversation %q, request %s; want a\uFFFDb and the whole run", run.ConversationID, run.Request)
		}
	})
}
