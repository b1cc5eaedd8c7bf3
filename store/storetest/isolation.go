package storetest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

// testIsolation creates one object of every kind in workspace A and checks
// that every scoped method called with workspace B neither sees nor changes
// it.
func testIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustInsertWorkspace(t, s, "acme")
	b := mustInsertWorkspace(t, s, "globex")

	key := newAPIKey(a.ID, "admin")
	conn := newConnection(a.ID, "crm")
	tool := newTool(a.ID, "search")
	agent := newAgent(a.ID, "support")
	run := newRun(a.ID)
	if err := s.APIKeyInsert(ctx, key); err != nil {
		t.Fatalf("APIKeyInsert: %v", err)
	}
	if err := s.ConnectionInsert(ctx, conn); err != nil {
		t.Fatalf("ConnectionInsert: %v", err)
	}
	if err := s.ToolInsert(ctx, tool); err != nil {
		t.Fatalf("ToolInsert: %v", err)
	}
	version, err := s.ToolPublish(ctx, a.ID, tool.ID, baseTime)
	if err != nil {
		t.Fatalf("ToolPublish: %v", err)
	}
	if err := s.AgentInsert(ctx, agent); err != nil {
		t.Fatalf("AgentInsert: %v", err)
	}
	mustInsertRuns(t, s, run)
	token := newOAuthToken(a.ID, conn.ID)
	if err := s.OAuthTokenPut(ctx, token); err != nil {
		t.Fatalf("OAuthTokenPut: %v", err)
	}

	// Snapshot A's objects through A, to compare after B's attempts.
	snapshot := func() []any {
		t.Helper()
		gotKey, err1 := s.APIKeyGetByHash(ctx, key.Hash)
		gotConn, err2 := s.ConnectionGet(ctx, a.ID, conn.ID)
		gotTool, err3 := s.ToolGet(ctx, a.ID, tool.ID)
		gotVersions, err4 := s.ToolVersionList(ctx, a.ID, tool.ID)
		gotAgent, err5 := s.AgentGet(ctx, a.ID, agent.ID)
		gotRun, err6 := s.RunGet(ctx, a.ID, run.ID)
		gotToken, err7 := s.OAuthTokenGet(ctx, a.ID, conn.ID)
		for i, err := range []error{err1, err2, err3, err4, err5, err6, err7} {
			if err != nil {
				t.Fatalf("reading workspace A's objects (step %d): %v", i+1, err)
			}
		}
		return []any{gotKey, gotConn, gotTool, gotVersions, gotAgent, gotRun, gotToken}
	}
	before := snapshot()

	connB := *conn
	connB.WorkspaceID = b.ID
	connB.Name = "hijacked"
	toolB := *tool
	toolB.WorkspaceID = b.ID
	toolB.Definition = json.RawMessage(`{"hijacked":true}`)
	agentB := *agent
	agentB.WorkspaceID = b.ID
	agentB.Instructions = "hijacked"

	notFound := []struct {
		method string
		call   func() error
	}{
		{"APIKeyRevoke", func() error { return s.APIKeyRevoke(ctx, b.ID, key.ID, baseTime) }},
		{"ConnectionGet", func() error { _, err := s.ConnectionGet(ctx, b.ID, conn.ID); return err }},
		{"ConnectionGetByName", func() error { _, err := s.ConnectionGetByName(ctx, b.ID, conn.Name); return err }},
		{"ConnectionUpdate", func() error { return s.ConnectionUpdate(ctx, &connB) }},
		{"ConnectionDelete", func() error { return s.ConnectionDelete(ctx, b.ID, conn.ID) }},
		{"ToolGet", func() error { _, err := s.ToolGet(ctx, b.ID, tool.ID); return err }},
		{"ToolGetByName", func() error { _, err := s.ToolGetByName(ctx, b.ID, tool.Name); return err }},
		{"ToolUpdate", func() error { return s.ToolUpdate(ctx, &toolB) }},
		{"ToolPublish", func() error { _, err := s.ToolPublish(ctx, b.ID, tool.ID, baseTime); return err }},
		{"ToolVersionGet", func() error { _, err := s.ToolVersionGet(ctx, b.ID, tool.ID, version.Version); return err }},
		{"ToolDelete", func() error { return s.ToolDelete(ctx, b.ID, tool.ID) }},
		{"AgentGet", func() error { _, err := s.AgentGet(ctx, b.ID, agent.ID); return err }},
		{"AgentUpdate", func() error { return s.AgentUpdate(ctx, &agentB) }},
		{"AgentDelete", func() error { return s.AgentDelete(ctx, b.ID, agent.ID) }},
		{"RunGet", func() error { _, err := s.RunGet(ctx, b.ID, run.ID); return err }},
		{"OAuthTokenGet", func() error { _, err := s.OAuthTokenGet(ctx, b.ID, conn.ID); return err }},
		{"OAuthTokenPut", func() error { return s.OAuthTokenPut(ctx, newOAuthToken(b.ID, conn.ID)) }},
		{"OAuthTokenDelete", func() error { return s.OAuthTokenDelete(ctx, b.ID, conn.ID) }},
		{"OAuthTokenUpdate", func() error {
			_, err := s.OAuthTokenUpdate(ctx, b.ID, conn.ID, func(*store.OAuthToken) (*store.OAuthToken, error) {
				return newOAuthToken(b.ID, conn.ID), nil
			})
			return err
		}},
		{"OAuthStateInsert", func() error { return s.OAuthStateInsert(ctx, newOAuthState(b.ID, conn.ID)) }},
	}
	for _, tt := range notFound {
		t.Run(tt.method, func(t *testing.T) {
			wantErr(t, tt.method+" through workspace B", tt.call(), store.ErrNotFound)
		})
	}

	empty := []struct {
		method string
		count  func() (int, error)
	}{
		{"APIKeyList", func() (int, error) { l, err := s.APIKeyList(ctx, b.ID, store.ListParams{}); return len(l), err }},
		{"ConnectionList", func() (int, error) { l, err := s.ConnectionList(ctx, b.ID, store.ListParams{}); return len(l), err }},
		{"ToolList", func() (int, error) { l, err := s.ToolList(ctx, b.ID, store.ListParams{}); return len(l), err }},
		{"ToolVersionList", func() (int, error) { l, err := s.ToolVersionList(ctx, b.ID, tool.ID); return len(l), err }},
		{"AgentList", func() (int, error) { l, err := s.AgentList(ctx, b.ID, store.ListParams{}); return len(l), err }},
		{"RunList", func() (int, error) { l, err := s.RunList(ctx, b.ID, store.RunListParams{}); return len(l), err }},
	}
	for _, tt := range empty {
		t.Run(tt.method, func(t *testing.T) {
			n, err := tt.count()
			if err != nil || n != 0 {
				t.Errorf("%s through workspace B: got %d items, %v; want 0, nil", tt.method, n, err)
			}
		})
	}

	// A run of B may not take over A's run ID.
	runB := newRun(b.ID)
	runB.ID = run.ID
	wantErr(t, "RunInsertBatch(A's run ID in workspace B)", s.RunInsertBatch(ctx, []*store.Run{runB}), store.ErrConflict)

	if diff := cmp.Diff(before, snapshot()); diff != "" {
		t.Errorf("workspace A's objects changed through workspace B (-before +after):\n%s", diff)
	}
}
