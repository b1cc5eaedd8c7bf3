package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

// testFlowSessionDeleteBefore: sessions of every workspace last updated
// before the cutoff go, whatever their status, with their steps; the
// others stay with theirs.
func testFlowSessionDeleteBefore(t *testing.T, s store.Store) {
	ctx := t.Context()
	type session struct {
		ws      string
		id      string
		updated time.Time
	}
	var all []session
	for _, name := range []string{"acme", "globex"} {
		ws := mustInsertWorkspace(t, s, name)
		agent := mustInsertAgent(t, s, ws.ID, "support")
		flow := mustInsertFlow(t, s, ws.ID, agent.ID, "orders")
		for i, status := range []string{store.FlowSessionEnded, store.FlowSessionWaitingInput, store.FlowSessionFailed, store.FlowSessionWaitingInput} {
			fs := newFlowSession(flow, 1)
			fs.Status = status
			// Created long ago; updated an hour apart.
			fs.UpdatedAt = at(time.Duration(i) * time.Hour)
			if err := s.FlowSessionInsert(ctx, fs, firstSteps); err != nil {
				t.Fatalf("FlowSessionInsert: %v", err)
			}
			all = append(all, session{ws: ws.ID, id: fs.ID, updated: fs.UpdatedAt})
		}
	}

	cutoff := at(2 * time.Hour)
	n, err := s.FlowSessionDeleteBefore(ctx, cutoff)
	if err != nil {
		t.Fatalf("FlowSessionDeleteBefore: %v", err)
	}
	if n != 4 {
		t.Errorf("FlowSessionDeleteBefore: %d deleted, want 4", n)
	}
	for _, fs := range all {
		kept := !fs.updated.Before(cutoff)
		_, err := s.FlowSessionGet(ctx, fs.ws, fs.id)
		if kept && err != nil {
			t.Errorf("session updated at %s: %v, want kept", fs.updated, err)
		}
		if !kept {
			wantErr(t, "FlowSessionGet(deleted)", err, store.ErrNotFound)
		}
		steps, err := s.FlowStepList(ctx, fs.ws, fs.id, 0, 0)
		if err != nil {
			t.Fatalf("FlowStepList: %v", err)
		}
		want := 0
		if kept {
			want = len(firstSteps)
		}
		if diff := cmp.Diff(want, len(steps)); diff != "" {
			t.Errorf("steps of the session updated at %s (-want +got):\n%s", fs.updated, diff)
		}
	}
	if n, err := s.FlowSessionDeleteBefore(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("FlowSessionDeleteBefore again: %d, %v; want 0", n, err)
	}
}
