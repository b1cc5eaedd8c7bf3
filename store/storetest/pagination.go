package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

// pageSize is the page size of the pagination test; pageItems is the number
// of items it walks (not a multiple of pageSize, to end on a partial page).
const (
	pageSize  = 3
	pageItems = 3*pageSize + 1
)

func testPagination(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustInsertWorkspace(t, s, "acme")
	b := mustInsertWorkspace(t, s, "globex")

	// Each kind inserts an item named name in a workspace and lists one page.
	kinds := []struct {
		name        string
		insert      func(workspaceID, id, name string) error
		list        func(workspaceID string, p store.ListParams) ([]string, error)
		newestFirst bool
	}{
		{
			name: "APIKeyList",
			insert: func(workspaceID, id, name string) error {
				key := newAPIKey(workspaceID, name)
				key.ID = id
				return s.APIKeyInsert(ctx, key)
			},
			list: func(workspaceID string, p store.ListParams) ([]string, error) {
				l, err := s.APIKeyList(ctx, workspaceID, p)
				return ids(l, func(k *store.APIKey) string { return k.ID }), err
			},
		},
		{
			name: "ConnectionList",
			insert: func(workspaceID, id, name string) error {
				c := newConnection(workspaceID, name)
				c.ID = id
				return s.ConnectionInsert(ctx, c)
			},
			list: func(workspaceID string, p store.ListParams) ([]string, error) {
				l, err := s.ConnectionList(ctx, workspaceID, p)
				return ids(l, func(c *store.Connection) string { return c.ID }), err
			},
		},
		{
			name: "ToolList",
			insert: func(workspaceID, id, name string) error {
				tool := newTool(workspaceID, name)
				tool.ID = id
				return s.ToolInsert(ctx, tool)
			},
			list: func(workspaceID string, p store.ListParams) ([]string, error) {
				l, err := s.ToolList(ctx, workspaceID, p)
				return ids(l, func(t *store.Tool) string { return t.ID }), err
			},
		},
		{
			name: "AgentList",
			insert: func(workspaceID, id, name string) error {
				agent := newAgent(workspaceID, name)
				agent.ID = id
				return s.AgentInsert(ctx, agent)
			},
			list: func(workspaceID string, p store.ListParams) ([]string, error) {
				l, err := s.AgentList(ctx, workspaceID, p)
				return ids(l, func(a *store.Agent) string { return a.ID }), err
			},
		},
		{
			name: "RunList",
			insert: func(workspaceID, id, name string) error {
				run := newRun(workspaceID)
				run.ID = id
				return s.RunInsertBatch(ctx, []*store.Run{run})
			},
			list: func(workspaceID string, p store.ListParams) ([]string, error) {
				l, err := s.RunList(ctx, workspaceID, store.RunListParams{ListParams: p})
				return ids(l, runID), err
			},
			newestFirst: true,
		},
	}
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			var want []string
			for range pageItems {
				want = append(want, store.NewID())
			}
			// Insert in reverse so that insertion order is not ID order,
			// with a few items of B in between.
			for i, id := range slices.Backward(want) {
				if err := kind.insert(a.ID, id, fmt.Sprintf("%s-a-%d", kind.name, i)); err != nil {
					t.Fatalf("inserting item %d: %v", i, err)
				}
				if i%4 == 0 {
					if err := kind.insert(b.ID, store.NewID(), fmt.Sprintf("%s-b-%d", kind.name, i)); err != nil {
						t.Fatalf("inserting item %d of B: %v", i, err)
					}
				}
			}
			slices.Sort(want)
			if kind.newestFirst {
				slices.Reverse(want)
			}

			var (
				got    []string
				cursor string
				pages  int
			)
			for {
				page, err := kind.list(a.ID, store.ListParams{Limit: pageSize, Cursor: cursor})
				if err != nil {
					t.Fatalf("listing page %d: %v", pages+1, err)
				}
				if len(page) > pageSize {
					t.Fatalf("page %d: got %d items, want at most %d", pages+1, len(page), pageSize)
				}
				if len(page) == 0 {
					break
				}
				pages++
				got = append(got, page...)
				cursor = page[len(page)-1]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("items walked page by page mismatch (-want +got):\n%s", diff)
			}
			if wantPages := (pageItems + pageSize - 1) / pageSize; pages != wantPages {
				t.Errorf("got %d non-empty pages, want %d", pages, wantPages)
			}

			all, err := kind.list(a.ID, store.ListParams{})
			if err != nil {
				t.Fatalf("listing with the default limit: %v", err)
			}
			if diff := cmp.Diff(want, all); diff != "" {
				t.Errorf("default limit mismatch (-want +got):\n%s", diff)
			}
			if !slices.IsSortedFunc(all, func(x, y string) int {
				if kind.newestFirst {
					return strings.Compare(y, x)
				}
				return strings.Compare(x, y)
			}) {
				t.Errorf("default-limit page out of order: %v", all)
			}
		})
	}
}
