package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store"
)

// baseTime is the creation time of fixtures. It has whole microseconds, the
// precision every store keeps, so stored values compare equal.
var baseTime = time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC)

// at returns baseTime plus d.
func at(d time.Duration) time.Time { return baseTime.Add(d) }

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// mustInsertWorkspace inserts a workspace with the given name.
func mustInsertWorkspace(t testing.TB, s store.Store, name string) *store.Workspace {
	t.Helper()
	ws := &store.Workspace{
		ID:            store.NewID(),
		Name:          name,
		SigningSecret: []byte("sealed-" + name),
		CreatedAt:     baseTime,
	}
	if err := s.WorkspaceInsert(t.Context(), ws); err != nil {
		t.Fatalf("WorkspaceInsert(%s): %v", name, err)
	}
	return ws
}

// newAPIKey returns an unsaved admin key of the workspace.
func newAPIKey(workspaceID, name string) *store.APIKey {
	return &store.APIKey{
		ID:          store.NewID(),
		WorkspaceID: workspaceID,
		Name:        name,
		Role:        store.RoleAdmin,
		Prefix:      "tg_" + name,
		Hash:        []byte("hash-" + workspaceID + "-" + name),
		CreatedAt:   baseTime,
	}
}

// newConnection returns an unsaved connection of the workspace.
func newConnection(workspaceID, name string) *store.Connection {
	return &store.Connection{
		ID:          store.NewID(),
		WorkspaceID: workspaceID,
		Name:        name,
		BaseURL:     "https://api.example.com/" + name,
		Headers:     map[string]string{"X-Client": "toolgate"},
		Config:      json.RawMessage(`{"region":"eu"}`),
		Auth:        json.RawMessage(`{"type":"bearer"}`),
		Secrets:     []byte("sealed-secrets"),
		Limits:      json.RawMessage(`[{"key":"connection","concurrency":4}]`),
		CreatedAt:   baseTime,
		UpdatedAt:   baseTime,
	}
}

// newTool returns an unsaved draft tool of the workspace.
func newTool(workspaceID, name string) *store.Tool {
	return &store.Tool{
		ID:          store.NewID(),
		WorkspaceID: workspaceID,
		Name:        name,
		Definition:  json.RawMessage(fmt.Sprintf(`{"name":%q,"method":"GET"}`, name)),
		Status:      store.ToolStatusDraft,
		CreatedAt:   baseTime,
		UpdatedAt:   baseTime,
	}
}

// newAgent returns an unsaved agent of the workspace.
func newAgent(workspaceID, name string) *store.Agent {
	return &store.Agent{
		ID:           store.NewID(),
		WorkspaceID:  workspaceID,
		Name:         name,
		Instructions: "Be brief.",
		Tools:        []store.AgentTool{{Name: "search"}, {Name: "weather", Version: 2}},
		Model:        json.RawMessage(`{"model":"gpt-4o-mini","temperature":0.2}`),
		Adapters:     []byte("sealed-adapters-" + name),
		CreatedAt:    baseTime,
		UpdatedAt:    baseTime,
	}
}

// mustInsertConnection inserts a connection of the workspace.
func mustInsertConnection(t testing.TB, s store.Store, workspaceID, name string) *store.Connection {
	t.Helper()
	c := newConnection(workspaceID, name)
	if err := s.ConnectionInsert(t.Context(), c); err != nil {
		t.Fatalf("ConnectionInsert(%s): %v", name, err)
	}
	return c
}

// newOAuthToken returns an unsaved token state of the connection with every
// field set.
func newOAuthToken(workspaceID, connectionID string) *store.OAuthToken {
	return &store.OAuthToken{
		WorkspaceID:     workspaceID,
		ConnectionID:    connectionID,
		AccessToken:     []byte("sealed-access"),
		RefreshToken:    []byte("sealed-refresh"),
		TokenType:       "Bearer",
		Expiry:          ptr(at(time.Hour)),
		Scopes:          "read write",
		Status:          store.OAuthStatusConnected,
		LastRefreshedAt: ptr(baseTime),
		UpdatedAt:       baseTime,
	}
}

// newOAuthState returns an unsaved pending authorization of the connection,
// valid for ten minutes from baseTime.
func newOAuthState(workspaceID, connectionID string) *store.OAuthState {
	return &store.OAuthState{
		StateHash:    "state-" + store.NewID(),
		WorkspaceID:  workspaceID,
		ConnectionID: connectionID,
		CodeVerifier: []byte("sealed-verifier"),
		RedirectURL:  "https://toolgate.example.com/oauth/callback",
		CreatedAt:    baseTime,
		ExpiresAt:    at(10 * time.Minute),
	}
}

// newSession returns an unsaved session of the workspace, valid for an hour
// from baseTime.
func newSession(workspaceID string) *store.Session {
	return &store.Session{
		IDHash:      "session-" + store.NewID(),
		WorkspaceID: workspaceID,
		KeyID:       store.NewID(),
		CSRFToken:   "csrf-" + store.NewID(),
		CreatedAt:   baseTime,
		ExpiresAt:   at(time.Hour),
	}
}

// newRun returns an unsaved, finished run of the workspace with every field
// set.
func newRun(workspaceID string) *store.Run {
	return &store.Run{
		ID:             store.NewID(),
		WorkspaceID:    workspaceID,
		ToolID:         store.NewID(),
		ToolName:       "search",
		ToolVersion:    3,
		AgentID:        "agent-1",
		ConversationID: "conv-1",
		Status:         store.RunStatusSucceeded,
		Outcome:        "ok",
		StatusCode:     200,
		DurationMS:     12.5,
		Context:        json.RawMessage(`{"conversation_id":"conv-1"}`),
		Arguments:      json.RawMessage(`{"q":"toolgate"}`),
		Request:        json.RawMessage(`{"method":"GET","url":"https://api.example.com/search?q=toolgate"}`),
		Response:       json.RawMessage(`{"status":200,"body":"[REDACTED]"}`),
		Result:         json.RawMessage(`{"hits":[1,2,3]}`),
		Truncated:      true,
		Timings:        json.RawMessage(`{"dns_ms":1.5}`),
		Attempts:       json.RawMessage(`[{"status":200}]`),
		CacheHit:       true,
		IdempotencyKey: "idem-1",
		CreatedAt:      baseTime,
		FinishedAt:     ptr(at(12 * time.Millisecond)),
	}
}

// mustInsertRuns inserts runs in one batch.
func mustInsertRuns(t testing.TB, s store.Store, runs ...*store.Run) {
	t.Helper()
	if err := s.RunInsertBatch(t.Context(), runs); err != nil {
		t.Fatalf("RunInsertBatch(%d runs): %v", len(runs), err)
	}
}

// wantErr fails t unless err is (or wraps) want.
func wantErr(t *testing.T, call string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", call, err, want)
	}
}

// ids returns the IDs of items, in order.
func ids[T any](items []*T, id func(*T) string) []string {
	out := make([]string, 0, len(items))
	for _, item := range items {
		out = append(out, id(item))
	}
	return out
}
