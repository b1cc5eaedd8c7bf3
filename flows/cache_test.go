package flows

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

func TestProgramCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newProgramCache(2)
	a, b, d := &Program{}, &Program{}, &Program{}
	c.put("a", a)
	c.put("b", b)
	if c.get("a") != a { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.put("d", d)
	if c.get("b") != nil || c.get("a") != a || c.get("d") != d || c.len() != 2 {
		t.Errorf("after evicting: b %v, a %v, d %v, len %d; want b gone", c.get("b"), c.get("a"), c.get("d"), c.len())
	}
}

// TestRunnerCompilesAVersionOnce checks that a published version is read
// and compiled once, and that a deleted flow's version is not found.
func TestRunnerCompilesAVersionOnce(t *testing.T) {
	ctx := t.Context()
	st := testdb.SQLite(t)
	ws := &store.Workspace{ID: store.NewID(), Name: "acme"}
	if err := st.WorkspaceInsert(ctx, ws); err != nil {
		t.Fatal(err)
	}
	agent := &store.Agent{ID: store.NewID(), WorkspaceID: ws.ID, Name: "bot"}
	if err := st.AgentInsert(ctx, agent); err != nil {
		t.Fatal(err)
	}
	f := &store.Flow{ID: store.NewID(), WorkspaceID: ws.ID, AgentID: agent.ID, Name: "hello",
		Definition: json.RawMessage(`{"start": "a", "states": {"a": {"message": "hi", "end": true}}}`)}
	if err := st.FlowInsert(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FlowPublish(ctx, ws.ID, agent.ID, f.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	r := NewRunner(RunnerConfig{Store: st})
	p1, err := r.program(ctx, ws.ID, f.ID, 1)
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	p2, err := r.program(ctx, ws.ID, f.ID, 1)
	if err != nil || p1 != p2 {
		t.Errorf("second program: %p, %v; want the cached %p", p2, err, p1)
	}
	if info := p1.Info(); info.FlowName != "hello" || info.Version != 1 || info.FlowID != f.ID {
		t.Errorf("program info: %+v", info)
	}
	if _, err := r.program(ctx, ws.ID, f.ID, 2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("program of a missing version: got %v, want ErrNotFound", err)
	}
	if _, err := r.program(ctx, store.NewID(), f.ID, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("program in another workspace: got %v, want ErrNotFound", err)
	}
}
