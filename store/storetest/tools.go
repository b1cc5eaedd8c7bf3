package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

func testTools(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")

	tool := newTool(ws.ID, "search")
	if err := s.ToolInsert(ctx, tool); err != nil {
		t.Fatalf("ToolInsert: %v", err)
	}
	got, err := s.ToolGet(ctx, ws.ID, tool.ID)
	if err != nil {
		t.Fatalf("ToolGet: %v", err)
	}
	if diff := cmp.Diff(tool, got); diff != "" {
		t.Errorf("ToolGet mismatch (-want +got):\n%s", diff)
	}
	got, err = s.ToolGetByName(ctx, ws.ID, "search")
	if err != nil {
		t.Fatalf("ToolGetByName: %v", err)
	}
	if diff := cmp.Diff(tool, got); diff != "" {
		t.Errorf("ToolGetByName mismatch (-want +got):\n%s", diff)
	}

	// An empty status is stored as draft; a nil definition as nil.
	bare := newTool(ws.ID, "bare")
	bare.Status, bare.Definition = "", nil
	if err := s.ToolInsert(ctx, bare); err != nil {
		t.Fatalf("ToolInsert(bare): %v", err)
	}
	got, err = s.ToolGet(ctx, ws.ID, bare.ID)
	if err != nil {
		t.Fatalf("ToolGet(bare): %v", err)
	}
	wantBare := *bare
	wantBare.Status = store.ToolStatusDraft
	if diff := cmp.Diff(&wantBare, got); diff != "" {
		t.Errorf("ToolGet(bare) mismatch (-want +got):\n%s", diff)
	}

	wantErr(t, "ToolInsert(same name)", s.ToolInsert(ctx, newTool(ws.ID, "search")), store.ErrConflict)
	dupID := newTool(ws.ID, "search-2")
	dupID.ID = tool.ID
	wantErr(t, "ToolInsert(same ID)", s.ToolInsert(ctx, dupID), store.ErrConflict)
	if err := s.ToolInsert(ctx, newTool(other.ID, "search")); err != nil {
		t.Errorf("ToolInsert(same name, other workspace): %v", err)
	}

	// ToolUpdate replaces the draft and leaves the publication state alone.
	updated := *tool
	updated.Name = "web_search"
	updated.Definition = json.RawMessage(`{"name":"web_search","method":"POST"}`)
	updated.UpdatedAt = at(time.Minute)
	updated.Status = store.ToolStatusPublished // ignored
	updated.Version = 9                        // ignored
	if err := s.ToolUpdate(ctx, &updated); err != nil {
		t.Fatalf("ToolUpdate: %v", err)
	}
	got, err = s.ToolGet(ctx, ws.ID, tool.ID)
	if err != nil {
		t.Fatalf("ToolGet after update: %v", err)
	}
	want := updated
	want.Status, want.Version = store.ToolStatusDraft, 0
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("ToolGet after update mismatch (-want +got):\n%s", diff)
	}
	clash := updated
	clash.Name = "bare"
	wantErr(t, "ToolUpdate(name taken)", s.ToolUpdate(ctx, &clash), store.ErrConflict)
	wantErr(t, "ToolUpdate(missing)", s.ToolUpdate(ctx, newTool(ws.ID, "missing")), store.ErrNotFound)
	_, err = s.ToolGetByName(ctx, ws.ID, "missing")
	wantErr(t, "ToolGetByName(missing)", err, store.ErrNotFound)

	if err := s.ToolDelete(ctx, ws.ID, tool.ID); err != nil {
		t.Fatalf("ToolDelete: %v", err)
	}
	_, err = s.ToolGet(ctx, ws.ID, tool.ID)
	wantErr(t, "ToolGet(deleted)", err, store.ErrNotFound)
	wantErr(t, "ToolDelete(deleted)", s.ToolDelete(ctx, ws.ID, tool.ID), store.ErrNotFound)
}

func testToolPublish(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	tool := newTool(ws.ID, "search")
	if err := s.ToolInsert(ctx, tool); err != nil {
		t.Fatalf("ToolInsert: %v", err)
	}

	// Each publish copies the draft of that moment; later edits of the draft
	// leave published versions alone.
	drafts := []struct {
		name       string
		definition json.RawMessage
	}{
		{"search", tool.Definition},
		{"search", json.RawMessage(`{"name":"search","method":"POST"}`)},
		{"web_search", json.RawMessage(`{ "name": "web_search" }`)},
	}
	var versions []*store.ToolVersion
	for i, d := range drafts {
		draft := *tool
		draft.Name, draft.Definition = d.name, d.definition
		if err := s.ToolUpdate(ctx, &draft); err != nil {
			t.Fatalf("ToolUpdate(draft %d): %v", i+1, err)
		}
		publishedAt := at(time.Duration(i+1) * time.Hour)
		got, err := s.ToolPublish(ctx, ws.ID, tool.ID, publishedAt)
		if err != nil {
			t.Fatalf("ToolPublish(%d): %v", i+1, err)
		}
		want := &store.ToolVersion{
			ToolID:      tool.ID,
			WorkspaceID: ws.ID,
			Version:     i + 1,
			Name:        d.name,
			Definition:  d.definition,
			PublishedAt: publishedAt,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ToolPublish(%d) mismatch (-want +got):\n%s", i+1, diff)
		}
		versions = append(versions, want)

		gotTool, err := s.ToolGet(ctx, ws.ID, tool.ID)
		if err != nil {
			t.Fatalf("ToolGet after publish %d: %v", i+1, err)
		}
		if gotTool.Status != store.ToolStatusPublished || gotTool.Version != i+1 ||
			gotTool.PublishedAt == nil || !gotTool.PublishedAt.Equal(publishedAt) {
			t.Errorf("ToolGet after publish %d: got status %q, version %d, published at %v; want %q, %d, %v",
				i+1, gotTool.Status, gotTool.Version, gotTool.PublishedAt, store.ToolStatusPublished, i+1, publishedAt)
		}
	}

	// Editing the draft after publishing leaves every version as it was.
	edited := *tool
	edited.Definition = json.RawMessage(`{"name":"search","method":"DELETE"}`)
	if err := s.ToolUpdate(ctx, &edited); err != nil {
		t.Fatalf("ToolUpdate(after publish): %v", err)
	}
	for _, want := range versions {
		got, err := s.ToolVersionGet(ctx, ws.ID, tool.ID, want.Version)
		if err != nil {
			t.Fatalf("ToolVersionGet(%d): %v", want.Version, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ToolVersionGet(%d) mismatch (-want +got):\n%s", want.Version, diff)
		}
	}
	list, err := s.ToolVersionList(ctx, ws.ID, tool.ID)
	if err != nil {
		t.Fatalf("ToolVersionList: %v", err)
	}
	if diff := cmp.Diff(versions, list); diff != "" {
		t.Errorf("ToolVersionList mismatch (-want +got):\n%s", diff)
	}

	_, err = s.ToolVersionGet(ctx, ws.ID, tool.ID, len(versions)+1)
	wantErr(t, "ToolVersionGet(unpublished version)", err, store.ErrNotFound)
	_, err = s.ToolPublish(ctx, ws.ID, store.NewID(), baseTime)
	wantErr(t, "ToolPublish(missing)", err, store.ErrNotFound)

	// Deleting the tool deletes its versions; the name can be used again and
	// starts from version 1.
	if err := s.ToolDelete(ctx, ws.ID, tool.ID); err != nil {
		t.Fatalf("ToolDelete: %v", err)
	}
	_, err = s.ToolVersionGet(ctx, ws.ID, tool.ID, 1)
	wantErr(t, "ToolVersionGet(deleted tool)", err, store.ErrNotFound)
	list, err = s.ToolVersionList(ctx, ws.ID, tool.ID)
	if err != nil || len(list) != 0 {
		t.Errorf("ToolVersionList(deleted tool): got %d versions, %v; want 0, nil", len(list), err)
	}
	again := newTool(ws.ID, "search")
	if err := s.ToolInsert(ctx, again); err != nil {
		t.Fatalf("ToolInsert(reused name): %v", err)
	}
	v, err := s.ToolPublish(ctx, ws.ID, again.ID, baseTime)
	if err != nil {
		t.Fatalf("ToolPublish(reused name): %v", err)
	}
	if v.Version != 1 {
		t.Errorf("ToolPublish(reused name): got version %d, want 1", v.Version)
	}
}
