package storetest

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

// flowTests are the flow subtests, run by Run.
var flowTests = []struct {
	name string
	run  func(t *testing.T, s store.Store)
}{
	{"Flows", testFlows},
	{"FlowPublish", testFlowPublish},
	{"FlowDelete", testFlowDelete},
	{"FlowIsolation", testFlowIsolation},
	{"FlowSessions", testFlowSessions},
	{"FlowSessionList", testFlowSessionList},
	{"FlowSessionAdvance", testFlowSessionAdvance},
	{"FlowSessionAdvanceConcurrent", testFlowSessionAdvanceConcurrent},
	{"FlowSessionDeleteBefore", testFlowSessionDeleteBefore},
}

// mustInsertAgent inserts an agent of the workspace.
func mustInsertAgent(t testing.TB, s store.Store, workspaceID, name string) *store.Agent {
	t.Helper()
	a := newAgent(workspaceID, name)
	if err := s.AgentInsert(t.Context(), a); err != nil {
		t.Fatalf("AgentInsert(%s): %v", name, err)
	}
	return a
}

// newFlow returns an unsaved draft flow of the agent.
func newFlow(workspaceID, agentID, name string) *store.Flow {
	return &store.Flow{
		ID:          store.NewID(),
		WorkspaceID: workspaceID,
		AgentID:     agentID,
		Name:        name,
		Type:        store.FlowTypeConversation,
		Definition:  json.RawMessage(`{"start":"hello","states":{"hello":{"message":"Hi","end":true}}}`),
		Status:      store.FlowStatusDraft,
		CreatedAt:   baseTime,
		UpdatedAt:   baseTime,
	}
}

// mustInsertFlow inserts a flow of the agent.
func mustInsertFlow(t testing.TB, s store.Store, workspaceID, agentID, name string) *store.Flow {
	t.Helper()
	f := newFlow(workspaceID, agentID, name)
	if err := s.FlowInsert(t.Context(), f); err != nil {
		t.Fatalf("FlowInsert(%s): %v", name, err)
	}
	return f
}

// newFlowSession returns an unsaved session of the flow, waiting for input,
// with every field set.
func newFlowSession(f *store.Flow, version int) *store.FlowSession {
	return &store.FlowSession{
		ID:          store.NewID(),
		WorkspaceID: f.WorkspaceID,
		AgentID:     f.AgentID,
		FlowID:      f.ID,
		FlowName:    f.Name,
		Version:     version,
		State:       "ask_order",
		Status:      store.FlowSessionWaitingInput,
		Variables:   json.RawMessage(`{"order_id":"AB1234"}`),
		Context:     json.RawMessage(`{"user_id":"u-1","channel":"web"}`),
		CreatedAt:   baseTime,
		UpdatedAt:   baseTime,
	}
}

// firstSteps are the steps a session fixture starts with.
var firstSteps = []json.RawMessage{
	json.RawMessage(`{"kind":"enter","state":"ask_order"}`),
	json.RawMessage(`{"kind":"message","state":"ask_order","text":"What is your order number?"}`),
}

// mustInsertFlowSession inserts a session of the flow with firstSteps.
func mustInsertFlowSession(t testing.TB, s store.Store, f *store.Flow, version int) *store.FlowSession {
	t.Helper()
	fs := newFlowSession(f, version)
	if err := s.FlowSessionInsert(t.Context(), fs, firstSteps); err != nil {
		t.Fatalf("FlowSessionInsert: %v", err)
	}
	return fs
}

func testFlows(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")
	agent := mustInsertAgent(t, s, ws.ID, "support")
	sales := mustInsertAgent(t, s, ws.ID, "sales")
	otherAgent := mustInsertAgent(t, s, other.ID, "support")

	flow := newFlow(ws.ID, agent.ID, "orders")
	if err := s.FlowInsert(ctx, flow); err != nil {
		t.Fatalf("FlowInsert: %v", err)
	}
	got, err := s.FlowGet(ctx, ws.ID, agent.ID, flow.ID)
	if err != nil {
		t.Fatalf("FlowGet: %v", err)
	}
	if diff := cmp.Diff(flow, got); diff != "" {
		t.Errorf("FlowGet mismatch (-want +got):\n%s", diff)
	}
	got, err = s.FlowGetByName(ctx, ws.ID, agent.ID, "orders")
	if err != nil {
		t.Fatalf("FlowGetByName: %v", err)
	}
	if diff := cmp.Diff(flow, got); diff != "" {
		t.Errorf("FlowGetByName mismatch (-want +got):\n%s", diff)
	}

	// Empty status and type take their defaults; a nil definition stays nil.
	bare := newFlow(ws.ID, agent.ID, "bare")
	bare.Status, bare.Type, bare.Definition = "", "", nil
	if err := s.FlowInsert(ctx, bare); err != nil {
		t.Fatalf("FlowInsert(bare): %v", err)
	}
	got, err = s.FlowGet(ctx, ws.ID, agent.ID, bare.ID)
	if err != nil {
		t.Fatalf("FlowGet(bare): %v", err)
	}
	wantBare := *bare
	wantBare.Status, wantBare.Type = store.FlowStatusDraft, store.FlowTypeConversation
	if diff := cmp.Diff(&wantBare, got); diff != "" {
		t.Errorf("FlowGet(bare) mismatch (-want +got):\n%s", diff)
	}

	// Names are unique per agent, not per workspace.
	wantErr(t, "FlowInsert(same name, same agent)", s.FlowInsert(ctx, newFlow(ws.ID, agent.ID, "orders")), store.ErrConflict)
	dupID := newFlow(ws.ID, agent.ID, "orders-2")
	dupID.ID = flow.ID
	wantErr(t, "FlowInsert(same ID)", s.FlowInsert(ctx, dupID), store.ErrConflict)
	if err := s.FlowInsert(ctx, newFlow(ws.ID, sales.ID, "orders")); err != nil {
		t.Errorf("FlowInsert(same name, other agent): %v", err)
	}
	// The agent must exist in the flow's workspace.
	wantErr(t, "FlowInsert(missing agent)", s.FlowInsert(ctx, newFlow(ws.ID, store.NewID(), "x")), store.ErrNotFound)
	wantErr(t, "FlowInsert(other workspace's agent)", s.FlowInsert(ctx, newFlow(ws.ID, otherAgent.ID, "x")), store.ErrNotFound)

	n, err := s.FlowCount(ctx, ws.ID, agent.ID)
	if err != nil || n != 2 {
		t.Errorf("FlowCount: got %d, %v; want 2, nil", n, err)
	}
	list, err := s.FlowList(ctx, ws.ID, agent.ID, store.ListParams{})
	if err != nil {
		t.Fatalf("FlowList: %v", err)
	}
	if diff := cmp.Diff([]string{flow.ID, bare.ID}, ids(list, func(f *store.Flow) string { return f.ID })); diff != "" {
		t.Errorf("FlowList IDs mismatch (-want +got):\n%s", diff)
	}
	page, err := s.FlowList(ctx, ws.ID, agent.ID, store.ListParams{Limit: 1, Cursor: flow.ID})
	if err != nil {
		t.Fatalf("FlowList(page 2): %v", err)
	}
	if diff := cmp.Diff([]string{bare.ID}, ids(page, func(f *store.Flow) string { return f.ID })); diff != "" {
		t.Errorf("FlowList(page 2) IDs mismatch (-want +got):\n%s", diff)
	}

	// FlowUpdate replaces the draft and leaves the publication state alone.
	updated := *flow
	updated.Name = "order_status"
	updated.Definition = json.RawMessage(`{"start":"a","states":{"a":{"end":true}}}`)
	updated.UpdatedAt = at(time.Minute)
	updated.Status = store.FlowStatusPublished // ignored
	updated.Version = 9                        // ignored
	updated.Type = "meta"                      // ignored
	if err := s.FlowUpdate(ctx, &updated); err != nil {
		t.Fatalf("FlowUpdate: %v", err)
	}
	got, err = s.FlowGet(ctx, ws.ID, agent.ID, flow.ID)
	if err != nil {
		t.Fatalf("FlowGet after update: %v", err)
	}
	want := updated
	want.Status, want.Version, want.Type = store.FlowStatusDraft, 0, store.FlowTypeConversation
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("FlowGet after update mismatch (-want +got):\n%s", diff)
	}
	clash := updated
	clash.Name = "bare"
	wantErr(t, "FlowUpdate(name clash)", s.FlowUpdate(ctx, &clash), store.ErrConflict)
	missing := updated
	missing.ID = store.NewID()
	wantErr(t, "FlowUpdate(missing)", s.FlowUpdate(ctx, &missing), store.ErrNotFound)

	// Deleting the agent deletes its flows.
	if err := s.AgentDelete(ctx, ws.ID, sales.ID); err != nil {
		t.Fatalf("AgentDelete: %v", err)
	}
	if n, err := s.FlowCount(ctx, ws.ID, sales.ID); err != nil || n != 0 {
		t.Errorf("FlowCount after AgentDelete: got %d, %v; want 0, nil", n, err)
	}
}

func testFlowPublish(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	agent := mustInsertAgent(t, s, ws.ID, "support")
	flow := mustInsertFlow(t, s, ws.ID, agent.ID, "orders")

	versions, err := s.FlowVersionList(ctx, ws.ID, flow.ID)
	if err != nil || len(versions) != 0 {
		t.Errorf("FlowVersionList(never published): got %d versions, %v; want none", len(versions), err)
	}
	v1, err := s.FlowPublish(ctx, ws.ID, agent.ID, flow.ID, at(time.Minute))
	if err != nil {
		t.Fatalf("FlowPublish: %v", err)
	}
	want1 := &store.FlowVersion{FlowID: flow.ID, WorkspaceID: ws.ID, AgentID: agent.ID, Version: 1, Name: "orders",
		Definition: flow.Definition, PublishedAt: at(time.Minute)}
	if diff := cmp.Diff(want1, v1); diff != "" {
		t.Errorf("FlowPublish mismatch (-want +got):\n%s", diff)
	}

	// Editing the draft after a publish leaves the version as it was.
	edited := *flow
	edited.Definition = json.RawMessage(`{"start":"b","states":{"b":{"end":true}}}`)
	edited.UpdatedAt = at(2 * time.Minute)
	if err := s.FlowUpdate(ctx, &edited); err != nil {
		t.Fatalf("FlowUpdate: %v", err)
	}
	got, err := s.FlowVersionGet(ctx, ws.ID, flow.ID, 1)
	if err != nil {
		t.Fatalf("FlowVersionGet(1): %v", err)
	}
	if diff := cmp.Diff(want1, got); diff != "" {
		t.Errorf("FlowVersionGet(1) after edit mismatch (-want +got):\n%s", diff)
	}
	draft, err := s.FlowGet(ctx, ws.ID, agent.ID, flow.ID)
	if err != nil {
		t.Fatalf("FlowGet: %v", err)
	}
	if draft.Status != store.FlowStatusPublished || draft.Version != 1 || !draft.PublishedAt.Equal(at(time.Minute)) {
		t.Errorf("FlowGet after publish: status %q, version %d, published_at %v; want published, 1, %v",
			draft.Status, draft.Version, draft.PublishedAt, at(time.Minute))
	}

	v2, err := s.FlowPublish(ctx, ws.ID, agent.ID, flow.ID, at(3*time.Minute))
	if err != nil {
		t.Fatalf("FlowPublish(2): %v", err)
	}
	if v2.Version != 2 || string(v2.Definition) != string(edited.Definition) {
		t.Errorf("FlowPublish(2): version %d definition %s; want 2 and the edited draft", v2.Version, v2.Definition)
	}
	versions, err = s.FlowVersionList(ctx, ws.ID, flow.ID)
	if err != nil {
		t.Fatalf("FlowVersionList: %v", err)
	}
	if diff := cmp.Diff([]*store.FlowVersion{want1, v2}, versions); diff != "" {
		t.Errorf("FlowVersionList mismatch (-want +got):\n%s", diff)
	}
	_, err = s.FlowVersionGet(ctx, ws.ID, flow.ID, 3)
	wantErr(t, "FlowVersionGet(3)", err, store.ErrNotFound)
	_, err = s.FlowPublish(ctx, ws.ID, agent.ID, store.NewID(), baseTime)
	wantErr(t, "FlowPublish(missing)", err, store.ErrNotFound)
}

func testFlowDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	agent := mustInsertAgent(t, s, ws.ID, "support")
	flow := mustInsertFlow(t, s, ws.ID, agent.ID, "orders")
	keep := mustInsertFlow(t, s, ws.ID, agent.ID, "returns")
	if _, err := s.FlowPublish(ctx, ws.ID, agent.ID, flow.ID, baseTime); err != nil {
		t.Fatalf("FlowPublish: %v", err)
	}

	open := mustInsertFlowSession(t, s, flow, 1)
	done := newFlowSession(flow, 1)
	done.Status, done.State = store.FlowSessionEnded, "done"
	if err := s.FlowSessionInsert(ctx, done, nil); err != nil {
		t.Fatalf("FlowSessionInsert(ended): %v", err)
	}
	other := mustInsertFlowSession(t, s, keep, 1)

	_, err := s.FlowDelete(ctx, ws.ID, store.NewID(), flow.ID, at(time.Hour))
	wantErr(t, "FlowDelete(another agent)", err, store.ErrNotFound)
	n, err := s.FlowDelete(ctx, ws.ID, agent.ID, flow.ID, at(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("FlowDelete: got %d, %v; want 1 session ended", n, err)
	}
	_, err = s.FlowGet(ctx, ws.ID, agent.ID, flow.ID)
	wantErr(t, "FlowGet(deleted)", err, store.ErrNotFound)
	_, err = s.FlowVersionGet(ctx, ws.ID, flow.ID, 1)
	wantErr(t, "FlowVersionGet(deleted flow)", err, store.ErrNotFound)
	_, err = s.FlowDelete(ctx, ws.ID, agent.ID, flow.ID, at(time.Hour))
	wantErr(t, "FlowDelete(deleted)", err, store.ErrNotFound)

	// The open session ended, saying why; its history stays.
	got, err := s.FlowSessionGet(ctx, ws.ID, open.ID)
	if err != nil {
		t.Fatalf("FlowSessionGet(open): %v", err)
	}
	wantOpen := *open
	wantOpen.Status, wantOpen.Reason, wantOpen.UpdatedAt, wantOpen.RowVersion =
		store.FlowSessionEnded, store.FlowDeletedReason, at(time.Hour), 2
	if diff := cmp.Diff(&wantOpen, got); diff != "" {
		t.Errorf("session of the deleted flow mismatch (-want +got):\n%s", diff)
	}
	for _, fs := range []*store.FlowSession{done, other} {
		got, err := s.FlowSessionGet(ctx, ws.ID, fs.ID)
		if err != nil {
			t.Fatalf("FlowSessionGet: %v", err)
		}
		if diff := cmp.Diff(fs, got); diff != "" {
			t.Errorf("untouched session mismatch (-want +got):\n%s", diff)
		}
	}
}

func testFlowIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustInsertWorkspace(t, s, "acme")
	b := mustInsertWorkspace(t, s, "globex")
	agent := mustInsertAgent(t, s, a.ID, "support")
	otherAgent := mustInsertAgent(t, s, a.ID, "sales")
	bAgent := mustInsertAgent(t, s, b.ID, "support")
	flow := mustInsertFlow(t, s, a.ID, agent.ID, "orders")
	if _, err := s.FlowPublish(ctx, a.ID, agent.ID, flow.ID, baseTime); err != nil {
		t.Fatalf("FlowPublish: %v", err)
	}
	fs := mustInsertFlowSession(t, s, flow, 1)

	// Another workspace, or another agent of the same workspace, sees nothing.
	for _, scope := range []struct{ name, ws, agent string }{
		{"other workspace", b.ID, bAgent.ID},
		{"other workspace, same agent ID", b.ID, agent.ID},
		{"other agent", a.ID, otherAgent.ID},
	} {
		_, err := s.FlowGet(ctx, scope.ws, scope.agent, flow.ID)
		wantErr(t, scope.name+": FlowGet", err, store.ErrNotFound)
		_, err = s.FlowGetByName(ctx, scope.ws, scope.agent, flow.Name)
		wantErr(t, scope.name+": FlowGetByName", err, store.ErrNotFound)
		list, err := s.FlowList(ctx, scope.ws, scope.agent, store.ListParams{})
		if err != nil || len(list) != 0 {
			t.Errorf("%s: FlowList: got %d flows, %v; want none", scope.name, len(list), err)
		}
		n, err := s.FlowCount(ctx, scope.ws, scope.agent)
		if err != nil || n != 0 {
			t.Errorf("%s: FlowCount: got %d, %v; want 0", scope.name, n, err)
		}
		upd := *flow
		upd.WorkspaceID, upd.AgentID, upd.Name = scope.ws, scope.agent, "stolen"
		wantErr(t, scope.name+": FlowUpdate", s.FlowUpdate(ctx, &upd), store.ErrNotFound)
		_, err = s.FlowPublish(ctx, scope.ws, scope.agent, flow.ID, baseTime)
		wantErr(t, scope.name+": FlowPublish", err, store.ErrNotFound)
		_, err = s.FlowDelete(ctx, scope.ws, scope.agent, flow.ID, baseTime)
		wantErr(t, scope.name+": FlowDelete", err, store.ErrNotFound)
	}
	_, err := s.FlowVersionGet(ctx, b.ID, flow.ID, 1)
	wantErr(t, "other workspace: FlowVersionGet", err, store.ErrNotFound)
	versions, err := s.FlowVersionList(ctx, b.ID, flow.ID)
	if err != nil || len(versions) != 0 {
		t.Errorf("other workspace: FlowVersionList: got %d, %v; want none", len(versions), err)
	}
	_, err = s.FlowSessionGet(ctx, b.ID, fs.ID)
	wantErr(t, "other workspace: FlowSessionGet", err, store.ErrNotFound)
	sessions, err := s.FlowSessionList(ctx, b.ID, store.FlowSessionListParams{})
	if err != nil || len(sessions) != 0 {
		t.Errorf("other workspace: FlowSessionList: got %d, %v; want none", len(sessions), err)
	}
	steal := *fs
	steal.WorkspaceID, steal.Status = b.ID, store.FlowSessionEnded
	wantErr(t, "other workspace: FlowSessionUpdate", s.FlowSessionUpdate(ctx, &steal, firstSteps), store.ErrNotFound)
	_, err = s.FlowSessionAdvance(ctx, b.ID, fs.ID, func(*store.FlowSession) (*store.FlowSession, []json.RawMessage, error) {
		t.Error("other workspace: FlowSessionAdvance called fn")
		return nil, nil, nil
	})
	wantErr(t, "other workspace: FlowSessionAdvance", err, store.ErrNotFound)
	steps, err := s.FlowStepList(ctx, b.ID, fs.ID, 0, 0)
	if err != nil || len(steps) != 0 {
		t.Errorf("other workspace: FlowStepList: got %d steps, %v; want none", len(steps), err)
	}

	// Nothing of a changed.
	got, err := s.FlowGet(ctx, a.ID, agent.ID, flow.ID)
	if err != nil || got.Name != "orders" || got.Version != 1 {
		t.Errorf("FlowGet after the attempts: %+v, %v; want orders at version 1", got, err)
	}
	gotSession, err := s.FlowSessionGet(ctx, a.ID, fs.ID)
	if err != nil {
		t.Fatalf("FlowSessionGet: %v", err)
	}
	if diff := cmp.Diff(fs, gotSession); diff != "" {
		t.Errorf("session after the attempts mismatch (-want +got):\n%s", diff)
	}
}

func testFlowSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	agent := mustInsertAgent(t, s, ws.ID, "support")
	flow := mustInsertFlow(t, s, ws.ID, agent.ID, "orders")

	fs := newFlowSession(flow, 1)
	fs.RowVersion, fs.Steps = 7, 9 // ignored: a new session is at row version 1 with its steps
	if err := s.FlowSessionInsert(ctx, fs, firstSteps); err != nil {
		t.Fatalf("FlowSessionInsert: %v", err)
	}
	if fs.RowVersion != 1 || fs.Steps != 2 {
		t.Errorf("FlowSessionInsert set RowVersion %d, Steps %d; want 1, 2", fs.RowVersion, fs.Steps)
	}
	got, err := s.FlowSessionGet(ctx, ws.ID, fs.ID)
	if err != nil {
		t.Fatalf("FlowSessionGet: %v", err)
	}
	if diff := cmp.Diff(fs, got); diff != "" {
		t.Errorf("FlowSessionGet mismatch (-want +got):\n%s", diff)
	}
	dup := newFlowSession(flow, 1)
	dup.ID = fs.ID
	wantErr(t, "FlowSessionInsert(same ID)", s.FlowSessionInsert(ctx, dup, nil), store.ErrConflict)
	wantErr(t, "FlowSessionInsert(missing workspace)", s.FlowSessionInsert(ctx, &store.FlowSession{
		ID: store.NewID(), WorkspaceID: store.NewID(), Status: store.FlowSessionWaitingInput}, firstSteps), store.ErrNotFound)
	_, err = s.FlowSessionGet(ctx, ws.ID, store.NewID())
	wantErr(t, "FlowSessionGet(missing)", err, store.ErrNotFound)

	// FlowSessionUpdate writes the mutable fields at the next row version
	// and appends its steps.
	next := *got
	next.State, next.Status, next.Reason = "loop", store.FlowSessionFailed, "more than 50 states in one turn"
	next.Variables = json.RawMessage(`{"order_id":"AB1234","order":{"status":"delayed"}}`)
	next.Context = json.RawMessage(`{"user_id":"u-1"}`)
	next.UpdatedAt = at(time.Minute)
	next.FlowName, next.Version, next.CreatedAt, next.Steps = "ignored", 9, at(time.Hour), 40 // not written
	more := []json.RawMessage{json.RawMessage(`{"kind":"input","text":"AB1234"}`), json.RawMessage(`{"kind":"fail"}`)}
	if err := s.FlowSessionUpdate(ctx, &next, more); err != nil {
		t.Fatalf("FlowSessionUpdate: %v", err)
	}
	if next.RowVersion != 2 || next.Steps != 4 {
		t.Errorf("FlowSessionUpdate set RowVersion %d, Steps %d; want 2, 4", next.RowVersion, next.Steps)
	}
	got, err = s.FlowSessionGet(ctx, ws.ID, fs.ID)
	if err != nil {
		t.Fatalf("FlowSessionGet after update: %v", err)
	}
	want := next
	want.FlowName, want.Version, want.CreatedAt = fs.FlowName, fs.Version, fs.CreatedAt
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("FlowSessionGet after update mismatch (-want +got):\n%s", diff)
	}
	steps, err := s.FlowStepList(ctx, ws.ID, fs.ID, 0, 0)
	if err != nil {
		t.Fatalf("FlowStepList: %v", err)
	}
	wantSteps := []*store.FlowStep{
		{WorkspaceID: ws.ID, SessionID: fs.ID, Seq: 1, Data: firstSteps[0]},
		{WorkspaceID: ws.ID, SessionID: fs.ID, Seq: 2, Data: firstSteps[1]},
		{WorkspaceID: ws.ID, SessionID: fs.ID, Seq: 3, Data: more[0]},
		{WorkspaceID: ws.ID, SessionID: fs.ID, Seq: 4, Data: more[1]},
	}
	if diff := cmp.Diff(wantSteps, steps); diff != "" {
		t.Errorf("FlowStepList mismatch (-want +got):\n%s", diff)
	}
	page, err := s.FlowStepList(ctx, ws.ID, fs.ID, 2, 1)
	if err != nil {
		t.Fatalf("FlowStepList(page): %v", err)
	}
	if diff := cmp.Diff(wantSteps[2:3], page); diff != "" {
		t.Errorf("FlowStepList(after 2, limit 1) mismatch (-want +got):\n%s", diff)
	}

	// A write based on an older row version is refused and changes nothing.
	stale := *fs // still at row version 1
	stale.State = "stale"
	wantErr(t, "FlowSessionUpdate(stale)", s.FlowSessionUpdate(ctx, &stale, more), store.ErrConflict)
	if stale.RowVersion != 1 {
		t.Errorf("a refused FlowSessionUpdate changed RowVersion to %d", stale.RowVersion)
	}
	if got, err := s.FlowSessionGet(ctx, ws.ID, fs.ID); err != nil || got.State != "loop" || got.Steps != 4 {
		t.Errorf("after a stale update: state %q, %d steps, %v; want loop and 4 steps", got.State, got.Steps, err)
	}
	if steps, err := s.FlowStepList(ctx, ws.ID, fs.ID, 0, 0); err != nil || len(steps) != 4 {
		t.Errorf("steps after a stale update: %d, %v; want 4", len(steps), err)
	}
	missing := newFlowSession(flow, 1)
	missing.RowVersion = 1
	wantErr(t, "FlowSessionUpdate(missing)", s.FlowSessionUpdate(ctx, missing, nil), store.ErrNotFound)

	// Many steps at once are all kept, in order.
	many := make([]json.RawMessage, 450)
	for i := range many {
		many[i] = json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))
	}
	if err := s.FlowSessionUpdate(ctx, got, many); err != nil {
		t.Fatalf("FlowSessionUpdate(450 steps): %v", err)
	}
	steps, err = s.FlowStepList(ctx, ws.ID, fs.ID, 4, store.ListLimitMax)
	if err != nil || len(steps) != len(many) || got.Steps != 454 {
		t.Fatalf("FlowStepList after 450 steps: %d, %v (session at %d steps)", len(steps), err, got.Steps)
	}
	for i, st := range steps {
		if st.Seq != int64(5+i) || string(st.Data) != string(many[i]) {
			t.Fatalf("step %d: seq %d data %s; want seq %d data %s", i, st.Seq, st.Data, 5+i, many[i])
		}
	}
}

func testFlowSessionList(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	agent := mustInsertAgent(t, s, ws.ID, "support")
	sales := mustInsertAgent(t, s, ws.ID, "sales")
	orders := mustInsertFlow(t, s, ws.ID, agent.ID, "orders")
	leads := mustInsertFlow(t, s, ws.ID, sales.ID, "leads")

	s1 := mustInsertFlowSession(t, s, orders, 1)
	s2 := newFlowSession(orders, 1)
	s2.Status = store.FlowSessionEnded
	if err := s.FlowSessionInsert(ctx, s2, nil); err != nil {
		t.Fatalf("FlowSessionInsert: %v", err)
	}
	s3 := mustInsertFlowSession(t, s, leads, 1)

	sessionID := func(fs *store.FlowSession) string { return fs.ID }
	for _, tt := range []struct {
		name string
		p    store.FlowSessionListParams
		want []string
	}{
		{"all, newest first", store.FlowSessionListParams{}, []string{s3.ID, s2.ID, s1.ID}},
		{"by agent", store.FlowSessionListParams{AgentID: agent.ID}, []string{s2.ID, s1.ID}},
		{"by flow", store.FlowSessionListParams{FlowID: leads.ID}, []string{s3.ID}},
		{"by status", store.FlowSessionListParams{Status: store.FlowSessionWaitingInput}, []string{s3.ID, s1.ID}},
		{"page", store.FlowSessionListParams{ListParams: store.ListParams{Limit: 1, Cursor: s3.ID}}, []string{s2.ID}},
	} {
		list, err := s.FlowSessionList(ctx, ws.ID, tt.p)
		if err != nil {
			t.Fatalf("FlowSessionList(%s): %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, ids(list, sessionID)); diff != "" {
			t.Errorf("FlowSessionList(%s) mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func testFlowSessionAdvance(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	agent := mustInsertAgent(t, s, ws.ID, "support")
	flow := mustInsertFlow(t, s, ws.ID, agent.ID, "orders")
	fs := mustInsertFlowSession(t, s, flow, 1)

	// fn sees the stored row; its result is written at the next version.
	stored, err := s.FlowSessionAdvance(ctx, ws.ID, fs.ID, func(current *store.FlowSession) (*store.FlowSession, []json.RawMessage, error) {
		if diff := cmp.Diff(fs, current); diff != "" {
			t.Errorf("fn got (-want +got):\n%s", diff)
		}
		next := *current
		next.State, next.UpdatedAt = "fetch_order", at(time.Minute)
		next.RowVersion = 42 // ignored
		return &next, []json.RawMessage{json.RawMessage(`{"kind":"input"}`)}, nil
	})
	if err != nil {
		t.Fatalf("FlowSessionAdvance: %v", err)
	}
	want := *fs
	want.State, want.UpdatedAt, want.RowVersion, want.Steps = "fetch_order", at(time.Minute), 2, 3
	if diff := cmp.Diff(&want, stored); diff != "" {
		t.Errorf("FlowSessionAdvance result mismatch (-want +got):\n%s", diff)
	}
	if got, err := s.FlowSessionGet(ctx, ws.ID, fs.ID); err != nil || !cmp.Equal(&want, got) {
		t.Errorf("FlowSessionGet after advance: %+v, %v; want %+v", got, err, &want)
	}

	// A nil result writes nothing; an error writes nothing and is returned.
	stored, err = s.FlowSessionAdvance(ctx, ws.ID, fs.ID, func(*store.FlowSession) (*store.FlowSession, []json.RawMessage, error) {
		return nil, nil, nil
	})
	if err != nil || stored.RowVersion != 2 {
		t.Errorf("FlowSessionAdvance(nil): row version %d, %v; want 2, nil", stored.RowVersion, err)
	}
	boom := fmt.Errorf("boom")
	_, err = s.FlowSessionAdvance(ctx, ws.ID, fs.ID, func(current *store.FlowSession) (*store.FlowSession, []json.RawMessage, error) {
		next := *current
		next.State = "never"
		return &next, firstSteps, boom
	})
	wantErr(t, "FlowSessionAdvance(fn fails)", err, boom)
	if got, err := s.FlowSessionGet(ctx, ws.ID, fs.ID); err != nil || got.State != "fetch_order" || got.RowVersion != 2 || got.Steps != 3 {
		t.Errorf("after a failing fn: %+v, %v; want state fetch_order at row version 2 with 3 steps", got, err)
	}
	_, err = s.FlowSessionAdvance(ctx, ws.ID, store.NewID(), func(*store.FlowSession) (*store.FlowSession, []json.RawMessage, error) {
		t.Error("FlowSessionAdvance(missing) called fn")
		return nil, nil, nil
	})
	wantErr(t, "FlowSessionAdvance(missing)", err, store.ErrNotFound)

	// Deleting the flow while a turn runs ends the session; the turn's
	// write is refused rather than reopening it.
	_, err = s.FlowSessionAdvance(ctx, ws.ID, fs.ID, func(current *store.FlowSession) (*store.FlowSession, []json.RawMessage, error) {
		if _, err := s.FlowDelete(ctx, ws.ID, agent.ID, flow.ID, at(time.Hour)); err != nil {
			t.Errorf("FlowDelete during the turn: %v", err)
		}
		next := *current
		next.State = "show_status"
		return &next, firstSteps, nil
	})
	wantErr(t, "FlowSessionAdvance(flow deleted meanwhile)", err, store.ErrConflict)
	got, err := s.FlowSessionGet(ctx, ws.ID, fs.ID)
	if err != nil || got.Status != store.FlowSessionEnded || got.Reason != store.FlowDeletedReason || got.State != "fetch_order" || got.Steps != 3 {
		t.Errorf("after the flow was deleted: %+v, %v; want ended at fetch_order with 3 steps, reason %q", got, err, store.FlowDeletedReason)
	}
}

func testFlowSessionAdvanceConcurrent(t *testing.T, s store.Store) {
	ws := mustInsertWorkspace(t, s, "acme")
	agent := mustInsertAgent(t, s, ws.ID, "support")
	flow := mustInsertFlow(t, s, ws.ID, agent.ID, "orders")
	fs := newFlowSession(flow, 1)
	if err := s.FlowSessionInsert(t.Context(), fs, nil); err != nil {
		t.Fatalf("FlowSessionInsert: %v", err)
	}
	FlowSessionAdvanceAcrossStores(t, []store.Store{s}, ws.ID, fs.ID, 20)
}

// FlowSessionAdvanceAcrossStores checks that FlowSessionAdvance excludes
// across stores sharing one database, as replicas do: callers per store
// advance the workspace's session at once, no two fns run at the same time,
// each fn sees the row the previous one wrote, and no turn or step is lost.
// The session must be at row version 1 with no steps.
func FlowSessionAdvanceAcrossStores(t *testing.T, stores []store.Store, workspaceID, sessionID string, callers int) {
	t.Helper()
	var (
		inside   atomic.Int32
		overlaps atomic.Int32
		mu       sync.Mutex
		seen     []int64
		start    = make(chan struct{})
		wg       sync.WaitGroup
	)
	for si, s := range stores {
		for ci := range callers {
			wg.Go(func() {
				<-start
				_, err := s.FlowSessionAdvance(t.Context(), workspaceID, sessionID, func(current *store.FlowSession) (*store.FlowSession, []json.RawMessage, error) {
					if inside.Add(1) != 1 {
						overlaps.Add(1)
					}
					defer inside.Add(-1)
					mu.Lock()
					seen = append(seen, current.RowVersion)
					mu.Unlock()
					// Give a caller that wrongly got in the chance to run
					// while this fn is inside.
					for range 10 {
						runtime.Gosched()
					}
					next := *current
					next.State = fmt.Sprintf("after store %d caller %d", si, ci)
					step, _ := json.Marshal(map[string]any{"turn": current.RowVersion})
					return &next, []json.RawMessage{step}, nil
				})
				if err != nil {
					t.Errorf("FlowSessionAdvance(store %d, caller %d): %v", si, ci, err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d fns ran while another was running, want 0", n)
	}
	n := len(stores) * callers
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("row versions seen by successive fns mismatch (-want +got):\n%s", diff)
	}
	final, err := stores[0].FlowSessionGet(t.Context(), workspaceID, sessionID)
	if err != nil {
		t.Fatalf("FlowSessionGet: %v", err)
	}
	steps, err := stores[0].FlowStepList(t.Context(), workspaceID, sessionID, 0, store.ListLimitMax)
	if err != nil {
		t.Fatalf("FlowStepList: %v", err)
	}
	if len(steps) != n || final.Steps != int64(n) || final.RowVersion != int64(n+1) {
		t.Fatalf("final session: %d steps listed, %d counted, row version %d; want %d, %d, %d",
			len(steps), final.Steps, final.RowVersion, n, n, n+1)
	}
	for i, st := range steps {
		if want := fmt.Sprintf(`{"turn":%d}`, i+1); st.Seq != int64(i+1) || string(st.Data) != want {
			t.Errorf("step %d: seq %d data %s; want seq %d data %s", i, st.Seq, st.Data, i+1, want)
		}
	}
}
