package postgres_test

import (
	"encoding/json"
	"testing"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/storetest"
	"github.com/toolgate/toolgate/store/testdb"
)

// TestFlowSessionAdvanceAcrossReplicas advances one session from three
// stores on one schema at once, as three replicas would.
func TestFlowSessionAdvanceAcrossReplicas(t *testing.T) {
	url := testdb.PostgresURL(t)
	var stores []store.Store
	for range 3 {
		s, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	ctx := t.Context()
	ws := &store.Workspace{ID: store.NewID(), Name: "acme"}
	if err := stores[0].WorkspaceInsert(ctx, ws); err != nil {
		t.Fatalf("WorkspaceInsert: %v", err)
	}
	agent := &store.Agent{ID: store.NewID(), WorkspaceID: ws.ID, Name: "support"}
	if err := stores[0].AgentInsert(ctx, agent); err != nil {
		t.Fatalf("AgentInsert: %v", err)
	}
	flow := &store.Flow{ID: store.NewID(), WorkspaceID: ws.ID, AgentID: agent.ID, Name: "orders",
		Definition: json.RawMessage(`{}`)}
	if err := stores[0].FlowInsert(ctx, flow); err != nil {
		t.Fatalf("FlowInsert: %v", err)
	}
	fs := &store.FlowSession{ID: store.NewID(), WorkspaceID: ws.ID, AgentID: agent.ID, FlowID: flow.ID,
		FlowName: flow.Name, Version: 1, State: "start", Status: store.FlowSessionWaitingInput}
	if err := stores[0].FlowSessionInsert(ctx, fs, nil); err != nil {
		t.Fatalf("FlowSessionInsert: %v", err)
	}
	storetest.FlowSessionAdvanceAcrossStores(t, stores, ws.ID, fs.ID, 8)
}
