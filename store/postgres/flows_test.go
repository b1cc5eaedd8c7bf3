package postgres_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

// TestFlowSessionAdvanceSmallPool runs more turns at once, on different
// sessions, than the pool has connections, each turn reading through the same
// store while its session is locked: every turn must finish, where holding a
// connection for each lock would leave none for the reads.
func TestFlowSessionAdvanceSmallPool(t *testing.T) {
	tests := []struct {
		name     string
		maxConns int
		sessions int
	}{
		{name: "two connections", maxConns: 2, sessions: 8},
		{name: "three connections", maxConns: 3, sessions: 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(testdb.PostgresURL(t))
			if err != nil {
				t.Fatalf("parsing the test URL: %v", err)
			}
			q := u.Query()
			q.Set("pool_max_conns", strconv.Itoa(tt.maxConns))
			u.RawQuery = q.Encode()
			s, err := postgres.Open(t.Context(), u.String())
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			if got := s.Pool().Config().MaxConns; got != int32(tt.maxConns) {
				t.Fatalf("pool size = %d, want %d", got, tt.maxConns)
			}

			ctx := t.Context()
			ws := &store.Workspace{ID: store.NewID(), Name: "acme"}
			if err := s.WorkspaceInsert(ctx, ws); err != nil {
				t.Fatalf("WorkspaceInsert: %v", err)
			}
			agent := &store.Agent{ID: store.NewID(), WorkspaceID: ws.ID, Name: "support"}
			if err := s.AgentInsert(ctx, agent); err != nil {
				t.Fatalf("AgentInsert: %v", err)
			}
			flow := &store.Flow{ID: store.NewID(), WorkspaceID: ws.ID, AgentID: agent.ID, Name: "orders",
				Definition: json.RawMessage(`{}`)}
			if err := s.FlowInsert(ctx, flow); err != nil {
				t.Fatalf("FlowInsert: %v", err)
			}
			var ids []string
			for range tt.sessions {
				fs := &store.FlowSession{ID: store.NewID(), WorkspaceID: ws.ID, AgentID: agent.ID, FlowID: flow.ID,
					FlowName: flow.Name, Version: 1, State: "start", Status: store.FlowSessionWaitingInput}
				if err := s.FlowSessionInsert(ctx, fs, nil); err != nil {
					t.Fatalf("FlowSessionInsert: %v", err)
				}
				ids = append(ids, fs.ID)
			}

			turnCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			start := make(chan struct{})
			errs := make(chan error, len(ids))
			for _, id := range ids {
				go func() {
					<-start
					_, err := s.FlowSessionAdvance(turnCtx, ws.ID, id,
						func(cur *store.FlowSession) (*store.FlowSession, []json.RawMessage, error) {
							// A turn's API calls read through the store.
							for range 5 {
								if _, err := s.WorkspaceGet(turnCtx, ws.ID); err != nil {
									return nil, nil, err
								}
							}
							next := *cur
							next.State = "done"
							return &next, []json.RawMessage{json.RawMessage(`{"turn":1}`)}, nil
						})
					errs <- err
				}()
			}
			close(start)
			for range ids {
				if err := <-errs; err != nil {
					t.Errorf("FlowSessionAdvance: %v", err)
				}
			}
			for _, id := range ids {
				got, err := s.FlowSessionGet(ctx, ws.ID, id)
				if err != nil {
					t.Fatalf("FlowSessionGet: %v", err)
				}
				if diff := cmp.Diff(struct {
					State string
					Steps int64
				}{"done", 1}, struct {
					State string
					Steps int64
				}{got.State, got.Steps}); diff != "" {
					t.Errorf("session %s after its turn (-want +got):\n%s", id, diff)
				}
			}
		})
	}
}
