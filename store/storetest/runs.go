package storetest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

func testRuns(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")

	full := newRun(ws.ID)
	minimal := &store.Run{
		ID:          store.NewID(),
		WorkspaceID: ws.ID,
		ToolName:    "weather",
		Status:      store.RunStatusQueued,
		CreatedAt:   at(time.Second),
	}
	mustInsertRuns(t, s, full, minimal)
	for _, want := range []*store.Run{full, minimal} {
		got, err := s.RunGet(ctx, ws.ID, want.ID)
		if err != nil {
			t.Fatalf("RunGet(%s): %v", want.ToolName, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("RunGet(%s) mismatch (-want +got):\n%s", want.ToolName, diff)
		}
	}
	_, err := s.RunGet(ctx, ws.ID, store.NewID())
	wantErr(t, "RunGet(missing)", err, store.ErrNotFound)
	if err := s.RunInsertBatch(ctx, nil); err != nil {
		t.Errorf("RunInsertBatch(nil): %v", err)
	}

	// Upsert: the batch replaces the finished run wholesale and adds one.
	replaced := *minimal
	replaced.Status = store.RunStatusFailed
	replaced.Outcome = "upstream_error"
	replaced.StatusCode = 502
	replaced.Error = "bad gateway"
	replaced.DurationMS = 31.25
	replaced.Result = json.RawMessage(`{"error":"bad gateway"}`)
	replaced.Attempts = json.RawMessage(`[{"status":502},{"status":502}]`)
	replaced.FinishedAt = ptr(at(2 * time.Second))
	added := newRun(ws.ID)
	added.ReplayOf = full.ID
	mustInsertRuns(t, s, &replaced, added)
	for _, want := range []*store.Run{full, &replaced, added} {
		got, err := s.RunGet(ctx, ws.ID, want.ID)
		if err != nil {
			t.Fatalf("RunGet after upsert: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("RunGet after upsert mismatch (-want +got):\n%s", diff)
		}
	}
	list, err := s.RunList(ctx, ws.ID, store.RunListParams{})
	if err != nil {
		t.Fatalf("RunList: %v", err)
	}
	wantIDs := []string{full.ID, minimal.ID, added.ID}
	slices.Sort(wantIDs)
	slices.Reverse(wantIDs)
	if diff := cmp.Diff(wantIDs, ids(list, runID)); diff != "" {
		t.Errorf("RunList IDs mismatch (-want +got):\n%s", diff)
	}
}

func runID(r *store.Run) string { return r.ID }

// runsNewestFirst returns the IDs of the runs that keep matches, highest
// first.
func runsNewestFirst(runs []*store.Run, keep func(*store.Run) bool) []string {
	out := []string{}
	for _, r := range runs {
		if keep(r) {
			out = append(out, r.ID)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(b, a) })
	return out
}

func testRunListFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")

	var runs []*store.Run
	for i := range 12 {
		r := newRun(ws.ID)
		r.ToolName = []string{"search", "weather", "crm"}[i%3]
		r.AgentID = []string{"agent-1", "agent-2"}[i%2]
		r.Outcome = []string{"ok", "ok", "upstream_error", "timeout"}[i%4]
		r.Status = []string{store.RunStatusSucceeded, store.RunStatusFailed}[i/6]
		switch i {
		case 3, 10:
			r.Status = store.RunStatusQueued
		case 7:
			r.Status = store.RunStatusRunning
		}
		r.ConversationID = []string{"conv-a", "conv-b", "conv-c"}[i/4]
		r.CreatedAt = at(time.Duration(i) * time.Minute)
		r.ID = store.NewIDAt(r.CreatedAt) // a run's ID carries its creation time
		runs = append(runs, r)
	}
	mustInsertRuns(t, s, runs...)
	// The other workspace's run matches every filter and must never show.
	foreign := newRun(other.ID)
	foreign.ToolName, foreign.AgentID, foreign.Outcome, foreign.ConversationID = "search", "agent-1", "ok", "conv-a"
	mustInsertRuns(t, s, foreign)

	tests := []struct {
		name   string
		params store.RunListParams
		keep   func(*store.Run) bool
	}{
		{"no filter", store.RunListParams{}, func(*store.Run) bool { return true }},
		{"tool", store.RunListParams{Tool: "weather"}, func(r *store.Run) bool { return r.ToolName == "weather" }},
		{"agent", store.RunListParams{AgentID: "agent-2"}, func(r *store.Run) bool { return r.AgentID == "agent-2" }},
		{"outcome", store.RunListParams{Outcome: "ok"}, func(r *store.Run) bool { return r.Outcome == "ok" }},
		{"status", store.RunListParams{Status: store.RunStatusFailed}, func(r *store.Run) bool {
			return r.Status == store.RunStatusFailed
		}},
		{"queued", store.RunListParams{Status: store.RunStatusQueued}, func(r *store.Run) bool {
			return r.Status == store.RunStatusQueued
		}},
		{"running and a tool", store.RunListParams{Status: store.RunStatusRunning, Tool: "crm"}, func(r *store.Run) bool {
			return r.Status == store.RunStatusRunning && r.ToolName == "crm"
		}},
		{"conversation", store.RunListParams{ConversationID: "conv-b"}, func(r *store.Run) bool {
			return r.ConversationID == "conv-b"
		}},
		{"since inclusive", store.RunListParams{Since: at(5 * time.Minute)}, func(r *store.Run) bool {
			return !r.CreatedAt.Before(at(5 * time.Minute))
		}},
		{"until exclusive", store.RunListParams{Until: at(5 * time.Minute)}, func(r *store.Run) bool {
			return r.CreatedAt.Before(at(5 * time.Minute))
		}},
		{"since and until", store.RunListParams{Since: at(2 * time.Minute), Until: at(9 * time.Minute)}, func(r *store.Run) bool {
			return !r.CreatedAt.Before(at(2*time.Minute)) && r.CreatedAt.Before(at(9*time.Minute))
		}},
		{"combined", store.RunListParams{Tool: "search", AgentID: "agent-1", Status: store.RunStatusSucceeded}, func(r *store.Run) bool {
			return r.ToolName == "search" && r.AgentID == "agent-1" && r.Status == store.RunStatusSucceeded
		}},
		{"no match", store.RunListParams{Tool: "nope"}, func(*store.Run) bool { return false }},
		{"limit", store.RunListParams{ListParams: store.ListParams{Limit: 4}}, func(r *store.Run) bool {
			return r.ID >= runsNewestFirst(runs, func(*store.Run) bool { return true })[3]
		}},
		{"cursor", store.RunListParams{ListParams: store.ListParams{Cursor: runs[6].ID}}, func(r *store.Run) bool {
			return r.ID < runs[6].ID
		}},
		{"cursor and filter", store.RunListParams{ListParams: store.ListParams{Cursor: runs[6].ID}, Outcome: "ok"}, func(r *store.Run) bool {
			return r.ID < runs[6].ID && r.Outcome == "ok"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.RunList(ctx, ws.ID, tt.params)
			if err != nil {
				t.Fatalf("RunList: %v", err)
			}
			want := runsNewestFirst(runs, tt.keep)
			if diff := cmp.Diff(want, ids(got, runID)); diff != "" {
				t.Errorf("RunList IDs mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func testRunDeleteBefore(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustInsertWorkspace(t, s, "acme")
	b := mustInsertWorkspace(t, s, "globex")
	var all []*store.Run
	for i := range 5 {
		for _, ws := range []*store.Workspace{a, b} {
			r := newRun(ws.ID)
			r.CreatedAt = at(time.Duration(i) * time.Hour)
			r.ID = store.NewIDAt(r.CreatedAt) // a run's ID carries its creation time
			all = append(all, r)
		}
	}
	mustInsertRuns(t, s, all...)

	cutoff := at(2 * time.Hour)
	n, err := s.RunDeleteBefore(ctx, cutoff)
	if err != nil {
		t.Fatalf("RunDeleteBefore: %v", err)
	}
	if n != 4 {
		t.Errorf("RunDeleteBefore: got %d deleted, want 4", n)
	}
	for _, ws := range []*store.Workspace{a, b} {
		got, err := s.RunList(ctx, ws.ID, store.RunListParams{})
		if err != nil {
			t.Fatalf("RunList: %v", err)
		}
		want := runsNewestFirst(all, func(r *store.Run) bool {
			return r.WorkspaceID == ws.ID && !r.CreatedAt.Before(cutoff)
		})
		if diff := cmp.Diff(want, ids(got, runID)); diff != "" {
			t.Errorf("RunList(%s) after RunDeleteBefore mismatch (-want +got):\n%s", ws.Name, diff)
		}
	}
	if n, err := s.RunDeleteBefore(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("RunDeleteBefore(again): got %d, %v; want 0, nil", n, err)
	}
}
