package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

// newMCPSession returns an unsaved MCP session of the workspace.
func newMCPSession(workspaceID, keyID string) *store.MCPSession {
	return &store.MCPSession{
		ID:               store.NewID(),
		WorkspaceID:      workspaceID,
		AgentID:          store.NewID(),
		KeyID:            keyID,
		ProtocolVersion:  "2025-11-25",
		InitializeParams: json.RawMessage(`{"protocolVersion":"2025-11-25","capabilities":{"tasks":{}},"clientInfo":{"name":"c","version":"1"}}`),
		CreatedAt:        baseTime,
		LastUsedAt:       baseTime,
	}
}

// testMCPSessions: MCP sessions round-trip, update, end, are swept when
// idle and when their key is revoked, and stay within their workspace.
func testMCPSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "other")

	sess := newMCPSession(ws.ID, "key-a")
	if err := s.MCPSessionInsert(ctx, sess); err != nil {
		t.Fatalf("MCPSessionInsert: %v", err)
	}
	dup := newMCPSession(ws.ID, "key-a")
	dup.ID = sess.ID
	wantErr(t, "MCPSessionInsert(same id)", s.MCPSessionInsert(ctx, dup), store.ErrConflict)
	wantErr(t, "MCPSessionInsert(missing workspace)", s.MCPSessionInsert(ctx, newMCPSession(store.NewID(), "k")), store.ErrNotFound)

	got, err := s.MCPSessionGet(ctx, ws.ID, sess.ID)
	if err != nil {
		t.Fatalf("MCPSessionGet: %v", err)
	}
	if diff := cmp.Diff(sess, got); diff != "" {
		t.Errorf("MCPSessionGet mismatch (-want +got):\n%s", diff)
	}
	_, err = s.MCPSessionGet(ctx, other.ID, sess.ID)
	wantErr(t, "MCPSessionGet(other workspace)", err, store.ErrNotFound)

	sess.Initialized = true
	sess.LastUsedAt = at(time.Minute)
	if err := s.MCPSessionUpdate(ctx, sess); err != nil {
		t.Fatalf("MCPSessionUpdate: %v", err)
	}
	got, err = s.MCPSessionGet(ctx, ws.ID, sess.ID)
	if err != nil {
		t.Fatalf("MCPSessionGet(updated): %v", err)
	}
	if diff := cmp.Diff(sess, got); diff != "" {
		t.Errorf("MCPSessionGet after update (-want +got):\n%s", diff)
	}
	foreign := *sess
	foreign.WorkspaceID = other.ID
	wantErr(t, "MCPSessionUpdate(other workspace)", s.MCPSessionUpdate(ctx, &foreign), store.ErrNotFound)
	wantErr(t, "MCPSessionDelete(other workspace)", s.MCPSessionDelete(ctx, other.ID, sess.ID), store.ErrNotFound)

	if err := s.MCPSessionDelete(ctx, ws.ID, sess.ID); err != nil {
		t.Fatalf("MCPSessionDelete: %v", err)
	}
	_, err = s.MCPSessionGet(ctx, ws.ID, sess.ID)
	wantErr(t, "MCPSessionGet(deleted)", err, store.ErrNotFound)
	wantErr(t, "MCPSessionDelete(deleted)", s.MCPSessionDelete(ctx, ws.ID, sess.ID), store.ErrNotFound)
	wantErr(t, "MCPSessionUpdate(deleted)", s.MCPSessionUpdate(ctx, sess), store.ErrNotFound)

	// Idle sessions go, in every workspace; recently used ones stay.
	var idle []*store.MCPSession
	for i, wsID := range []string{ws.ID, other.ID, ws.ID} {
		sess := newMCPSession(wsID, "key-b")
		sess.LastUsedAt = at(time.Duration(i) * time.Hour)
		if err := s.MCPSessionInsert(ctx, sess); err != nil {
			t.Fatalf("MCPSessionInsert(%d): %v", i, err)
		}
		idle = append(idle, sess)
	}
	if n, err := s.MCPSessionDeleteIdle(ctx, at(2*time.Hour)); err != nil || n != 2 {
		t.Errorf("MCPSessionDeleteIdle: got %d, %v; want 2, nil", n, err)
	}
	for i, sess := range idle {
		_, err := s.MCPSessionGet(ctx, sess.WorkspaceID, sess.ID)
		if i < 2 {
			wantErr(t, "MCPSessionGet(idle, swept)", err, store.ErrNotFound)
		} else if err != nil {
			t.Errorf("MCPSessionGet(recent, after sweep): %v", err)
		}
	}

	// Revoking a key ends its sessions, only its own, only in its workspace.
	mine := newMCPSession(ws.ID, "key-c")
	theirs := newMCPSession(other.ID, "key-c")
	for _, sess := range []*store.MCPSession{mine, theirs} {
		if err := s.MCPSessionInsert(ctx, sess); err != nil {
			t.Fatalf("MCPSessionInsert: %v", err)
		}
	}
	if n, err := s.MCPSessionDeleteByKey(ctx, ws.ID, "key-c"); err != nil || n != 1 {
		t.Errorf("MCPSessionDeleteByKey: got %d, %v; want 1, nil", n, err)
	}
	_, err = s.MCPSessionGet(ctx, ws.ID, mine.ID)
	wantErr(t, "MCPSessionGet(revoked key)", err, store.ErrNotFound)
	if _, err := s.MCPSessionGet(ctx, other.ID, theirs.ID); err != nil {
		t.Errorf("MCPSessionGet(same key id, other workspace): %v", err)
	}
	if _, err := s.MCPSessionGet(ctx, ws.ID, idle[2].ID); err != nil {
		t.Errorf("MCPSessionGet(another key's session): %v", err)
	}
}
