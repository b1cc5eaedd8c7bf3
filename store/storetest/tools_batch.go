package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

// toolBatchTests are the subtests of ToolWriteBatch.
var toolBatchTests = []struct {
	name string
	run  func(t *testing.T, s store.Store)
}{
	{"ToolWriteBatch", testToolWriteBatch},
	{"ToolWriteBatchAllOrNothing", testToolWriteBatchAllOrNothing},
	{"ToolWriteBatchLarge", testToolWriteBatchLarge},
}

// allTools lists every tool of a workspace, by ID.
func allTools(t *testing.T, s store.Store, workspaceID string) []*store.Tool {
	t.Helper()
	var out []*store.Tool
	p := store.ListParams{Limit: store.ListLimitMax}
	for {
		page, err := s.ToolList(t.Context(), workspaceID, p)
		if err != nil {
			t.Fatalf("ToolList: %v", err)
		}
		out = append(out, page...)
		if len(page) < p.Limit {
			return out
		}
		p.Cursor = page[len(page)-1].ID
	}
}

func testToolWriteBatch(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	published := newTool(ws.ID, "search")
	draft := newTool(ws.ID, "weather")
	for _, tl := range []*store.Tool{published, draft} {
		if err := s.ToolInsert(ctx, tl); err != nil {
			t.Fatalf("ToolInsert(%s): %v", tl.Name, err)
		}
	}
	v1, err := s.ToolPublish(ctx, ws.ID, published.ID, at(time.Minute))
	if err != nil {
		t.Fatalf("ToolPublish: %v", err)
	}

	// Updates replace the drafts (a name included) and leave the
	// publication state alone; inserts add tools.
	upd1 := *published
	upd1.Definition = json.RawMessage(`{"name":"search","method":"POST"}`)
	upd1.UpdatedAt = at(time.Hour)
	upd1.Status, upd1.Version = store.ToolStatusDraft, 7 // ignored
	upd2 := *draft
	upd2.Name = "forecast"
	upd2.Definition = json.RawMessage(`{"name":"forecast"}`)
	upd2.UpdatedAt = at(time.Hour)
	// The new "weather" takes the name the update gives up: updates come
	// first.
	ins1, ins2 := newTool(ws.ID, "weather"), newTool(ws.ID, "news")
	ins2.Definition = nil
	ins2.Status = ""
	err = s.ToolWriteBatch(ctx, &store.ToolBatch{WorkspaceID: ws.ID,
		Update: []*store.Tool{&upd1, &upd2}, Insert: []*store.Tool{ins1, ins2}})
	if err != nil {
		t.Fatalf("ToolWriteBatch: %v", err)
	}
	wantPublished := upd1
	wantPublished.Status, wantPublished.Version, wantPublished.PublishedAt = store.ToolStatusPublished, 1, ptr(at(time.Minute))
	wantIns2 := *ins2
	wantIns2.Status = store.ToolStatusDraft
	want := []*store.Tool{&wantPublished, &upd2, ins1, &wantIns2}
	slices.SortFunc(want, func(a, b *store.Tool) int { return cmpString(a.ID, b.ID) })
	if diff := cmp.Diff(want, allTools(t, s, ws.ID)); diff != "" {
		t.Errorf("tools after the batch mismatch (-want +got):\n%s", diff)
	}
	got, err := s.ToolVersionGet(ctx, ws.ID, published.ID, 1)
	if err != nil {
		t.Fatalf("ToolVersionGet: %v", err)
	}
	if diff := cmp.Diff(v1, got); diff != "" {
		t.Errorf("published version changed by the batch (-want +got):\n%s", diff)
	}

	if err := s.ToolWriteBatch(ctx, &store.ToolBatch{WorkspaceID: ws.ID}); err != nil {
		t.Errorf("ToolWriteBatch(empty): %v", err)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testToolWriteBatchAllOrNothing(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")
	existing := newTool(ws.ID, "search")
	theirs := newTool(other.ID, "theirs")
	for _, tl := range []*store.Tool{existing, theirs} {
		if err := s.ToolInsert(ctx, tl); err != nil {
			t.Fatalf("ToolInsert(%s): %v", tl.Name, err)
		}
	}
	before, otherBefore := allTools(t, s, ws.ID), allTools(t, s, other.ID)

	changed := *existing
	changed.Definition = json.RawMessage(`{"name":"search","changed":true}`)
	changed.UpdatedAt = at(time.Hour)
	// Their tool, addressed from this workspace's batch.
	stolen := *theirs
	stolen.WorkspaceID = ws.ID
	stolen.Definition = json.RawMessage(`{"stolen":true}`)
	dupID := newTool(ws.ID, "dup_id")
	dupID.ID = existing.ID

	tests := []struct {
		name string
		b    store.ToolBatch
		want error
	}{
		{"name taken", store.ToolBatch{Update: []*store.Tool{&changed}, Insert: []*store.Tool{newTool(ws.ID, "fresh"), newTool(ws.ID, "search")}}, store.ErrConflict},
		{"names taken twice in the batch", store.ToolBatch{Insert: []*store.Tool{newTool(ws.ID, "twice"), newTool(ws.ID, "twice")}}, store.ErrConflict},
		{"ID taken", store.ToolBatch{Insert: []*store.Tool{newTool(ws.ID, "fresh"), dupID}}, store.ErrConflict},
		{"update of a missing tool", store.ToolBatch{Update: []*store.Tool{&changed, newTool(ws.ID, "missing")}, Insert: []*store.Tool{newTool(ws.ID, "fresh")}}, store.ErrNotFound},
		{"update of another workspace's tool", store.ToolBatch{Update: []*store.Tool{&changed, &stolen}}, store.ErrNotFound},
	}
	for _, tt := range tests {
		tt.b.WorkspaceID = ws.ID
		wantErr(t, tt.name, s.ToolWriteBatch(ctx, &tt.b), tt.want)
	}
	// A tool of another workspace is refused before anything is written.
	foreign := newTool(other.ID, "foreign")
	if err := s.ToolWriteBatch(ctx, &store.ToolBatch{WorkspaceID: ws.ID, Update: []*store.Tool{&changed}, Insert: []*store.Tool{foreign}}); err == nil {
		t.Errorf("ToolWriteBatch(tool of another workspace): got no error")
	}

	if diff := cmp.Diff(before, allTools(t, s, ws.ID)); diff != "" {
		t.Errorf("failed batches changed the workspace's tools (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(otherBefore, allTools(t, s, other.ID)); diff != "" {
		t.Errorf("failed batches changed another workspace's tools (-want +got):\n%s", diff)
	}
}

// testToolWriteBatchLarge writes as many drafts as GitHub's description
// makes, then updates them all.
func testToolWriteBatchLarge(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	const n = 1200
	insert := make([]*store.Tool, n)
	for i := range insert {
		insert[i] = newTool(ws.ID, fmt.Sprintf("op_%04d", i))
	}
	if err := s.ToolWriteBatch(ctx, &store.ToolBatch{WorkspaceID: ws.ID, Insert: insert}); err != nil {
		t.Fatalf("ToolWriteBatch(insert %d): %v", n, err)
	}
	update := make([]*store.Tool, n)
	for i, tl := range insert {
		u := *tl
		u.Definition = json.RawMessage(fmt.Sprintf(`{"name":%q,"method":"POST"}`, tl.Name))
		u.UpdatedAt = at(time.Hour)
		update[i] = &u
	}
	if err := s.ToolWriteBatch(ctx, &store.ToolBatch{WorkspaceID: ws.ID, Update: update}); err != nil {
		t.Fatalf("ToolWriteBatch(update %d): %v", n, err)
	}
	if diff := cmp.Diff(update, allTools(t, s, ws.ID)); diff != "" {
		t.Errorf("tools after the batches mismatch (-want +got):\n%s", diff)
	}
}
