package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

func testAgents(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")

	roundTrips := []struct {
		name   string
		mutate func(a *store.Agent)
	}{
		{"full", func(a *store.Agent) {}},
		{"nil tools, model and adapters", func(a *store.Agent) { a.Tools, a.Model, a.Adapters = nil, nil, nil }},
		{"nil adapters", func(a *store.Agent) { a.Adapters = nil }},
		{"binary adapters", func(a *store.Agent) { a.Adapters = []byte{0, 1, 2, 0xff, 0xfe} }},
		{"empty tools", func(a *store.Agent) { a.Tools = []store.AgentTool{} }},
		{"empty instructions", func(a *store.Agent) { a.Instructions = "" }},
	}
	for _, tt := range roundTrips {
		t.Run(tt.name, func(t *testing.T) {
			want := newAgent(ws.ID, tt.name)
			tt.mutate(want)
			if err := s.AgentInsert(ctx, want); err != nil {
				t.Fatalf("AgentInsert: %v", err)
			}
			got, err := s.AgentGet(ctx, ws.ID, want.ID)
			if err != nil {
				t.Fatalf("AgentGet: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("AgentGet mismatch (-want +got):\n%s", diff)
			}
		})
	}

	agent := newAgent(ws.ID, "support")
	if err := s.AgentInsert(ctx, agent); err != nil {
		t.Fatalf("AgentInsert(support): %v", err)
	}
	wantErr(t, "AgentInsert(same name)", s.AgentInsert(ctx, newAgent(ws.ID, "support")), store.ErrConflict)
	dupID := newAgent(ws.ID, "support-2")
	dupID.ID = agent.ID
	wantErr(t, "AgentInsert(same ID)", s.AgentInsert(ctx, dupID), store.ErrConflict)
	if err := s.AgentInsert(ctx, newAgent(other.ID, "support")); err != nil {
		t.Errorf("AgentInsert(same name, other workspace): %v", err)
	}

	updated := *agent
	updated.Name = "support-bot"
	updated.Instructions = "Be kind."
	updated.Tools = []store.AgentTool{{Name: "crm_lookup", Version: 7}}
	updated.Model = json.RawMessage(`{"model":"other"}`)
	updated.Adapters = []byte("resealed-adapters")
	updated.UpdatedAt = at(time.Minute)
	if err := s.AgentUpdate(ctx, &updated); err != nil {
		t.Fatalf("AgentUpdate: %v", err)
	}
	got, err := s.AgentGet(ctx, ws.ID, agent.ID)
	if err != nil {
		t.Fatalf("AgentGet after update: %v", err)
	}
	if diff := cmp.Diff(&updated, got); diff != "" {
		t.Errorf("AgentGet after update mismatch (-want +got):\n%s", diff)
	}
	list, err := s.AgentList(ctx, ws.ID, store.ListParams{})
	if err != nil {
		t.Fatalf("AgentList: %v", err)
	}
	for _, a := range list {
		if a.ID == agent.ID {
			if diff := cmp.Diff(&updated, a); diff != "" {
				t.Errorf("AgentList item after update mismatch (-want +got):\n%s", diff)
			}
		}
	}
	// Updating to nil adapters clears them.
	cleared := updated
	cleared.Adapters = nil
	if err := s.AgentUpdate(ctx, &cleared); err != nil {
		t.Fatalf("AgentUpdate(nil adapters): %v", err)
	}
	if got, err := s.AgentGet(ctx, ws.ID, agent.ID); err != nil {
		t.Fatalf("AgentGet after clearing adapters: %v", err)
	} else if got.Adapters != nil {
		t.Errorf("AgentGet after clearing adapters: got Adapters %q, want nil", got.Adapters)
	}
	if err := s.AgentUpdate(ctx, &updated); err != nil {
		t.Fatalf("AgentUpdate(restore): %v", err)
	}

	clash := updated
	clash.Name = "full"
	wantErr(t, "AgentUpdate(name taken)", s.AgentUpdate(ctx, &clash), store.ErrConflict)
	wantErr(t, "AgentUpdate(missing)", s.AgentUpdate(ctx, newAgent(ws.ID, "missing")), store.ErrNotFound)

	// The unscoped lookup finds an agent of any workspace, and nothing else.
	if got, err := s.AgentGetUnscoped(ctx, agent.ID); err != nil {
		t.Fatalf("AgentGetUnscoped: %v", err)
	} else if diff := cmp.Diff(&updated, got); diff != "" {
		t.Errorf("AgentGetUnscoped mismatch (-want +got):\n%s", diff)
	}
	otherAgent := newAgent(other.ID, "unscoped")
	if err := s.AgentInsert(ctx, otherAgent); err != nil {
		t.Fatalf("AgentInsert(unscoped): %v", err)
	}
	if got, err := s.AgentGetUnscoped(ctx, otherAgent.ID); err != nil {
		t.Fatalf("AgentGetUnscoped(other workspace): %v", err)
	} else if got.WorkspaceID != other.ID {
		t.Errorf("AgentGetUnscoped(other workspace): WorkspaceID = %q, want %q", got.WorkspaceID, other.ID)
	}
	_, err = s.AgentGetUnscoped(ctx, store.NewID())
	wantErr(t, "AgentGetUnscoped(unknown)", err, store.ErrNotFound)
	_, err = s.AgentGetUnscoped(ctx, "")
	wantErr(t, "AgentGetUnscoped(empty)", err, store.ErrNotFound)

	if err := s.AgentDelete(ctx, ws.ID, agent.ID); err != nil {
		t.Fatalf("AgentDelete: %v", err)
	}
	_, err = s.AgentGet(ctx, ws.ID, agent.ID)
	wantErr(t, "AgentGet(deleted)", err, store.ErrNotFound)
	_, err = s.AgentGetUnscoped(ctx, agent.ID)
	wantErr(t, "AgentGetUnscoped(deleted)", err, store.ErrNotFound)
	wantErr(t, "AgentDelete(deleted)", s.AgentDelete(ctx, ws.ID, agent.ID), store.ErrNotFound)
}
