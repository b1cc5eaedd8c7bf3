package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

func testWorkspaces(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustInsertWorkspace(t, s, "acme")
	b := &store.Workspace{ID: store.NewID(), Name: "globex", CreatedAt: baseTime} // nil SigningSecret
	if err := s.WorkspaceInsert(ctx, b); err != nil {
		t.Fatalf("WorkspaceInsert(globex): %v", err)
	}

	for _, want := range []*store.Workspace{a, b} {
		got, err := s.WorkspaceGet(ctx, want.ID)
		if err != nil {
			t.Fatalf("WorkspaceGet(%s): %v", want.Name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("WorkspaceGet(%s) mismatch (-want +got):\n%s", want.Name, diff)
		}
		got, err = s.WorkspaceGetByName(ctx, want.Name)
		if err != nil {
			t.Fatalf("WorkspaceGetByName(%s): %v", want.Name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("WorkspaceGetByName(%s) mismatch (-want +got):\n%s", want.Name, diff)
		}
	}

	list, err := s.WorkspaceList(ctx)
	if err != nil {
		t.Fatalf("WorkspaceList: %v", err)
	}
	want := []*store.Workspace{a, b}
	slices.SortFunc(want, func(x, y *store.Workspace) int { return strings.Compare(x.ID, y.ID) })
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("WorkspaceList mismatch (-want +got):\n%s", diff)
	}

	_, err = s.WorkspaceGet(ctx, store.NewID())
	wantErr(t, "WorkspaceGet(missing)", err, store.ErrNotFound)
	_, err = s.WorkspaceGetByName(ctx, "missing")
	wantErr(t, "WorkspaceGetByName(missing)", err, store.ErrNotFound)

	conflicts := []struct {
		name string
		ws   *store.Workspace
	}{
		{"same ID", &store.Workspace{ID: a.ID, Name: "other", CreatedAt: baseTime}},
		{"same name", &store.Workspace{ID: store.NewID(), Name: a.Name, CreatedAt: baseTime}},
	}
	for _, tt := range conflicts {
		err := s.WorkspaceInsert(ctx, tt.ws)
		wantErr(t, "WorkspaceInsert("+tt.name+")", err, store.ErrConflict)
	}
}

// testTimePrecision checks that times keep at least microsecond precision,
// come back in UTC whatever zone they went in with, and compare correctly.
func testTimePrecision(t *testing.T, s store.Store) {
	ctx := t.Context()
	zone := time.FixedZone("UTC+5", 5*60*60)
	created := time.Date(2025, 6, 1, 17, 0, 0, 123456789, zone)
	ws := &store.Workspace{ID: store.NewID(), Name: "precise", CreatedAt: created}
	if err := s.WorkspaceInsert(ctx, ws); err != nil {
		t.Fatalf("WorkspaceInsert: %v", err)
	}
	got, err := s.WorkspaceGet(ctx, ws.ID)
	if err != nil {
		t.Fatalf("WorkspaceGet: %v", err)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt location: got %v, want UTC", got.CreatedAt.Location())
	}
	if diff := created.Sub(got.CreatedAt); diff < 0 || diff >= time.Microsecond {
		t.Errorf("CreatedAt: got %v, want %v within a microsecond below", got.CreatedAt, created)
	}
}
