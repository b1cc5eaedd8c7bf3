package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

// toolListingTests are the subtests of ToolVersionListingStore.
var toolListingTests = []struct {
	name string
	run  func(t *testing.T, s store.Store)
}{
	{"ToolVersionListings", testToolVersionListings},
	{"ToolVersionListingsIsolation", testToolVersionListingsIsolation},
	{"ToolVersionListingsLarge", testToolVersionListingsLarge},
}

// getListings gets renderings and sorts them by tool, version and format.
func getListings(t *testing.T, s store.Store, workspaceID, format string, refs ...store.ToolVersionRef) []*store.ToolVersionListing {
	t.Helper()
	got, err := s.ToolVersionListingGet(t.Context(), workspaceID, format, refs)
	if err != nil {
		t.Fatalf("ToolVersionListingGet(%s): %v", format, err)
	}
	slices.SortFunc(got, func(a, b *store.ToolVersionListing) int {
		return cmpString(fmt.Sprintf("%s/%09d/%s", a.ToolID, a.Version, a.Format), fmt.Sprintf("%s/%09d/%s", b.ToolID, b.Version, b.Format))
	})
	return got
}

// mustPublish inserts a tool and publishes it versions times.
func mustPublish(t *testing.T, s store.Store, workspaceID, name string, versions int) *store.Tool {
	t.Helper()
	tool := newTool(workspaceID, name)
	if err := s.ToolInsert(t.Context(), tool); err != nil {
		t.Fatalf("ToolInsert(%s): %v", name, err)
	}
	for i := range versions {
		if _, err := s.ToolPublish(t.Context(), workspaceID, tool.ID, at(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("ToolPublish(%s): %v", name, err)
		}
	}
	return tool
}

func testToolVersionListings(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	search := mustPublish(t, s, ws.ID, "search", 2)
	weather := mustPublish(t, s, ws.ID, "weather", 1)

	// The tool's JSON comes back byte for byte: keys out of order,
	// spacing and escapes kept.
	odd := json.RawMessage(`{"type":"function","function":{"name":"search","description":"a \u003cb\u003e","parameters":{"z":1, "a":{}}}}`)
	put := []*store.ToolVersionListing{
		{ToolID: search.ID, Version: 1, Format: "openai", Revision: 1, Tool: odd},
		{ToolID: search.ID, Version: 2, Format: "openai", Revision: 1, Tool: json.RawMessage(`{"v":2}`),
			Notes: json.RawMessage(`{"unconverted":{"name":"search"}}`)},
		{ToolID: search.ID, Version: 2, Format: "mcp", Revision: 1, Tool: json.RawMessage(`{"mcp":2}`)},
		{ToolID: weather.ID, Version: 1, Format: "openai", Revision: 1, Tool: json.RawMessage(`{"weather":1}`)},
		// Versions that do not exist are skipped.
		{ToolID: weather.ID, Version: 2, Format: "openai", Revision: 1, Tool: json.RawMessage(`{"weather":2}`)},
		{ToolID: store.NewID(), Version: 1, Format: "openai", Revision: 1, Tool: json.RawMessage(`{}`)},
	}
	if err := s.ToolVersionListingPut(ctx, ws.ID, put); err != nil {
		t.Fatalf("ToolVersionListingPut: %v", err)
	}
	if err := s.ToolVersionListingPut(ctx, ws.ID, nil); err != nil {
		t.Errorf("ToolVersionListingPut(none): %v", err)
	}
	refs := []store.ToolVersionRef{{ToolID: search.ID, Version: 1}, {ToolID: search.ID, Version: 2},
		{ToolID: weather.ID, Version: 1}, {ToolID: weather.ID, Version: 2}, {ToolID: store.NewID(), Version: 1}}
	want := []*store.ToolVersionListing{put[0], put[1], put[3]}
	slices.SortFunc(want, func(a, b *store.ToolVersionListing) int {
		return cmpString(fmt.Sprintf("%s/%09d", a.ToolID, a.Version), fmt.Sprintf("%s/%09d", b.ToolID, b.Version))
	})
	if diff := cmp.Diff(want, getListings(t, s, ws.ID, "openai", refs...)); diff != "" {
		t.Errorf("ToolVersionListingGet(openai) mismatch (-want +got):\n%s", diff)
	}
	if got := getListings(t, s, ws.ID, "openai", refs[1:2]...); len(got) != 1 || string(got[0].Tool) != `{"v":2}` {
		t.Errorf("ToolVersionListingGet(openai, version 2 only) = %+v, want version 2", got)
	}
	if diff := cmp.Diff([]*store.ToolVersionListing{put[2]}, getListings(t, s, ws.ID, "mcp", refs...)); diff != "" {
		t.Errorf("ToolVersionListingGet(mcp) mismatch (-want +got):\n%s", diff)
	}
	if got := getListings(t, s, ws.ID, "gemini", refs...); len(got) != 0 {
		t.Errorf("ToolVersionListingGet(gemini) = %+v, want none", got)
	}
	if got := getListings(t, s, ws.ID, "openai"); len(got) != 0 {
		t.Errorf("ToolVersionListingGet(no versions) = %+v, want none", got)
	}

	// A second put replaces the rendering: revision, tool and notes.
	again := &store.ToolVersionListing{ToolID: search.ID, Version: 2, Format: "openai", Revision: 2, Tool: json.RawMessage(`{"v":"2b"}`)}
	if err := s.ToolVersionListingPut(ctx, ws.ID, []*store.ToolVersionListing{again}); err != nil {
		t.Fatalf("ToolVersionListingPut(again): %v", err)
	}
	if diff := cmp.Diff([]*store.ToolVersionListing{again}, getListings(t, s, ws.ID, "openai", refs[1])); diff != "" {
		t.Errorf("ToolVersionListingGet after a second put mismatch (-want +got):\n%s", diff)
	}

	// Deleting a tool deletes its versions' renderings.
	if err := s.ToolDelete(ctx, ws.ID, search.ID); err != nil {
		t.Fatalf("ToolDelete: %v", err)
	}
	if got := getListings(t, s, ws.ID, "openai", refs...); len(got) != 1 || got[0].ToolID != weather.ID {
		t.Errorf("ToolVersionListingGet after ToolDelete = %+v, want the weather tool's only", got)
	}
}

func testToolVersionListingsIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustInsertWorkspace(t, s, "acme")
	b := mustInsertWorkspace(t, s, "globex")
	tool := mustPublish(t, s, a.ID, "search", 1)
	ref := store.ToolVersionRef{ToolID: tool.ID, Version: 1}
	mine := &store.ToolVersionListing{ToolID: tool.ID, Version: 1, Format: "openai", Revision: 1, Tool: json.RawMessage(`{"mine":true}`)}
	if err := s.ToolVersionListingPut(ctx, a.ID, []*store.ToolVersionListing{mine}); err != nil {
		t.Fatalf("ToolVersionListingPut: %v", err)
	}
	// B can neither read A's rendering nor write one for A's version.
	if got := getListings(t, s, b.ID, "openai", ref); len(got) != 0 {
		t.Errorf("ToolVersionListingGet from another workspace = %+v, want none", got)
	}
	theirs := []*store.ToolVersionListing{
		{ToolID: tool.ID, Version: 1, Format: "openai", Revision: 9, Tool: json.RawMessage(`{"hijacked":true}`)},
		{ToolID: tool.ID, Version: 1, Format: "mcp", Revision: 9, Tool: json.RawMessage(`{"hijacked":true}`)},
	}
	if err := s.ToolVersionListingPut(ctx, b.ID, theirs); err != nil {
		t.Fatalf("ToolVersionListingPut from another workspace: %v", err)
	}
	if diff := cmp.Diff([]*store.ToolVersionListing{mine}, getListings(t, s, a.ID, "openai", ref)); diff != "" {
		t.Errorf("rendering after another workspace's put mismatch (-want +got):\n%s", diff)
	}
	for _, ws := range []string{a.ID, b.ID} {
		if got := getListings(t, s, ws, "mcp", ref); len(got) != 0 {
			t.Errorf("another workspace's put stored %+v", got)
		}
	}
}

// testToolVersionListingsLarge gets the renderings of more versions than
// one statement may have parameters in SQLite's default limits.
func testToolVersionListingsLarge(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	const n = 1200
	insert := make([]*store.Tool, n)
	for i := range insert {
		insert[i] = newTool(ws.ID, fmt.Sprintf("op_%04d", i))
	}
	if err := s.ToolWriteBatch(ctx, &store.ToolBatch{WorkspaceID: ws.ID, Insert: insert}); err != nil {
		t.Fatalf("ToolWriteBatch: %v", err)
	}
	var put []*store.ToolVersionListing
	var refs []store.ToolVersionRef
	for _, tl := range insert {
		if _, err := s.ToolPublish(ctx, ws.ID, tl.ID, baseTime); err != nil {
			t.Fatalf("ToolPublish: %v", err)
		}
		put = append(put, &store.ToolVersionListing{ToolID: tl.ID, Version: 1, Format: "openai", Revision: 1,
			Tool: json.RawMessage(fmt.Sprintf(`{"name":%q,"pad":%q}`, tl.Name, strings.Repeat("x", 200)))})
		refs = append(refs, store.ToolVersionRef{ToolID: tl.ID, Version: 1})
	}
	if err := s.ToolVersionListingPut(ctx, ws.ID, put); err != nil {
		t.Fatalf("ToolVersionListingPut(%d): %v", n, err)
	}
	slices.SortFunc(put, func(a, b *store.ToolVersionListing) int { return cmpString(a.ToolID, b.ToolID) })
	if diff := cmp.Diff(put, getListings(t, s, ws.ID, "openai", refs...)); diff != "" {
		t.Errorf("ToolVersionListingGet(%d) mismatch (-want +got):\n%s", n, diff)
	}
}
