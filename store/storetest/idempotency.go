package storetest

import (
	"testing"
	"time"

	"github.com/toolgate/toolgate/store"
)

func testRunGetByIdempotencyKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")

	run := func(workspaceID, agentID, key string, created time.Duration) *store.Run {
		r := newRun(workspaceID)
		r.AgentID, r.IdempotencyKey, r.CreatedAt = agentID, key, at(created)
		return r
	}
	older := run(ws.ID, "agent-1", "k", 0)
	newer := run(ws.ID, "agent-1", "k", time.Minute)
	// Same creation time as newer, later ID: the ID breaks the tie.
	tied := run(ws.ID, "agent-1", "k", time.Minute)
	otherAgent := run(ws.ID, "agent-2", "k", 2*time.Minute)
	otherKey := run(ws.ID, "agent-1", "k2", 3*time.Minute)
	noKey := run(ws.ID, "agent-1", "", 4*time.Minute)
	otherWorkspace := run(other.ID, "agent-1", "k", 5*time.Minute)
	mustInsertRuns(t, s, older, newer, tied, otherAgent, otherKey, noKey, otherWorkspace)

	tests := []struct {
		name                 string
		workspaceID, agentID string
		key                  string
		since                time.Time
		want                 *store.Run // nil: ErrNotFound
	}{
		{"newest wins", ws.ID, "agent-1", "k", time.Time{}, tied},
		{"since is inclusive", ws.ID, "agent-1", "k", at(time.Minute), tied},
		{"older than since", ws.ID, "agent-1", "k", at(90 * time.Second), nil},
		{"other agent", ws.ID, "agent-2", "k", time.Time{}, otherAgent},
		{"agent without the key", ws.ID, "agent-3", "k", time.Time{}, nil},
		{"other key", ws.ID, "agent-1", "k2", time.Time{}, otherKey},
		{"missing key", ws.ID, "agent-1", "k3", time.Time{}, nil},
		{"empty key never matches", ws.ID, "agent-1", "", time.Time{}, nil},
		{"other workspace", other.ID, "agent-1", "k", time.Time{}, otherWorkspace},
		{"other workspace, since after its run", other.ID, "agent-1", "k", at(6 * time.Minute), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.RunGetByIdempotencyKey(ctx, tt.workspaceID, tt.agentID, tt.key, tt.since)
			if tt.want == nil {
				wantErr(t, "RunGetByIdempotencyKey", err, store.ErrNotFound)
				return
			}
			if err != nil {
				t.Fatalf("RunGetByIdempotencyKey: %v", err)
			}
			if got.ID != tt.want.ID {
				t.Errorf("RunGetByIdempotencyKey: got run %s, want %s", got.ID, tt.want.ID)
			}
		})
	}
}
