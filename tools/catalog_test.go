package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// TestCatalogResolvesAgentTools covers both resolution paths: one lookup per
// tool for small agents and one workspace listing for large ones.
func TestCatalogResolvesAgentTools(t *testing.T) {
	for _, n := range []int{3, 40} {
		t.Run(fmt.Sprintf("%d tools", n), func(t *testing.T) {
			ctx := context.Background()
			st := testdb.SQLite(t)
			box, _ := secrets.NewBox(bytes.Repeat([]byte{1}, secrets.KeySize))
			ws, err := tenant.Create(ctx, st, box, "w")
			if err != nil {
				t.Fatal(err)
			}
			now := time.Unix(1_800_000_000, 0)
			var activated []store.AgentTool
			var ids []string
			for i := range n {
				name := fmt.Sprintf("tool_%02d", i)
				def, _ := json.Marshal(tools.Definition{Name: name, Description: "d", URL: "https://x.example/" + name})
				tl := &store.Tool{ID: store.NewID(), WorkspaceID: ws.ID, Name: name, Definition: def, CreatedAt: now, UpdatedAt: now}
				if err := st.ToolInsert(ctx, tl); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, tl.ID)
				if i != 1 { // tool_01 stays a draft
					if _, err := st.ToolPublish(ctx, ws.ID, tl.ID, now); err != nil {
						t.Fatal(err)
					}
				}
				activated = append(activated, store.AgentTool{Name: name})
			}
			// tool_00 gets version 2; the agent pins tool_02... to version 1.
			if _, err := st.ToolPublish(ctx, ws.ID, ids[0], now); err != nil {
				t.Fatal(err)
			}
			if _, err := st.ToolPublish(ctx, ws.ID, ids[2], now); err != nil {
				t.Fatal(err)
			}
			activated[2].Version = 1
			activated = append(activated, store.AgentTool{Name: "missing"})
			agent := &store.Agent{ID: store.NewID(), WorkspaceID: ws.ID, Name: "a", Tools: activated, CreatedAt: now, UpdatedAt: now}
			if err := st.AgentInsert(ctx, agent); err != nil {
				t.Fatal(err)
			}
			cat := tools.NewCatalog(tools.CatalogConfig{Store: st, Box: box, Now: func() time.Time { return now }})
			list, err := cat.AgentTools(ctx, ws.ID, agent.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != n-1 {
				t.Fatalf("resolved %d tools, want %d (the draft and the missing one left out)", len(list), n-1)
			}
			if list[0].Name != "tool_00" || list[0].Version != 2 {
				t.Errorf("first tool %s v%d, want tool_00 v2 (latest)", list[0].Name, list[0].Version)
			}
			if list[1].Name != "tool_02" || list[1].Version != 1 {
				t.Errorf("second tool %s v%d, want tool_02 pinned at v1", list[1].Name, list[1].Version)
			}
			if _, err := cat.AgentTool(ctx, ws.ID, agent.ID, "tool_01"); err != tools.ErrToolNotFound {
				t.Errorf("draft tool: err %v, want ErrToolNotFound", err)
			}
			// A new version is seen after invalidation.
			if _, err := st.ToolPublish(ctx, ws.ID, ids[0], now); err != nil {
				t.Fatal(err)
			}
			cat.Invalidate(ws.ID)
			p, err := cat.AgentTool(ctx, ws.ID, agent.ID, "tool_00")
			if err != nil || p.Version != 3 {
				t.Errorf("after publish: %v v%d, want v3", err, p.Version)
			}
		})
	}
}

// TestCatalogAgentToolVersions checks the versions a listing reads: every
// activated, published tool's version in activation order, unprepared (a
// pinned version that does not exist is there, and AgentTools leaves it
// out), handed out as the same slice until the agent is reloaded.
func TestCatalogAgentToolVersions(t *testing.T) {
	for _, n := range []int{3, 40} {
		t.Run(fmt.Sprintf("%d tools", n), func(t *testing.T) {
			ctx := context.Background()
			st := testdb.SQLite(t)
			box, _ := secrets.NewBox(bytes.Repeat([]byte{1}, secrets.KeySize))
			ws, err := tenant.Create(ctx, st, box, "w")
			if err != nil {
				t.Fatal(err)
			}
			now := time.Unix(1_800_000_000, 0)
			var (
				activated []store.AgentTool
				want      []store.ToolVersionRef
			)
			for i := range n {
				name := fmt.Sprintf("tool_%02d", i)
				def, _ := json.Marshal(tools.Definition{Name: name, Description: "d", URL: "https://x.example/" + name})
				tl := &store.Tool{ID: store.NewID(), WorkspaceID: ws.ID, Name: name, Definition: def, CreatedAt: now, UpdatedAt: now}
				if err := st.ToolInsert(ctx, tl); err != nil {
					t.Fatal(err)
				}
				activated = append(activated, store.AgentTool{Name: name})
				switch i {
				case 0: // a draft: left out
				case 1: // pinned to a version that does not exist
					if _, err := st.ToolPublish(ctx, ws.ID, tl.ID, now); err != nil {
						t.Fatal(err)
					}
					activated[i].Version = 7
					want = append(want, store.ToolVersionRef{ToolID: tl.ID, Version: 7})
				default:
					if _, err := st.ToolPublish(ctx, ws.ID, tl.ID, now); err != nil {
						t.Fatal(err)
					}
					want = append(want, store.ToolVersionRef{ToolID: tl.ID, Version: 1})
				}
			}
			agent := &store.Agent{ID: store.NewID(), WorkspaceID: ws.ID, Name: "a", Tools: activated, CreatedAt: now, UpdatedAt: now}
			if err := st.AgentInsert(ctx, agent); err != nil {
				t.Fatal(err)
			}
			cat := tools.NewCatalog(tools.CatalogConfig{Store: st, Box: box, Now: func() time.Time { return now }})
			got, err := cat.AgentToolVersions(ctx, ws.ID, agent.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("AgentToolVersions mismatch (-want +got):\n%s", diff)
			}
			list, err := cat.AgentTools(ctx, ws.ID, agent.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != n-2 || list[0].Name != "tool_02" {
				t.Errorf("AgentTools has %d tools starting with %s, want %d from tool_02 (the draft and the missing version left out)",
					len(list), list[0].Name, n-2)
			}
			again, err := cat.AgentToolVersions(ctx, ws.ID, agent.ID)
			if err != nil {
				t.Fatal(err)
			}
			if &again[0] != &got[0] {
				t.Error("AgentToolVersions handed out a new slice without a reload")
			}
			cat.Invalidate(ws.ID)
			again, err = cat.AgentToolVersions(ctx, ws.ID, agent.ID)
			if err != nil {
				t.Fatal(err)
			}
			if &again[0] == &got[0] || !cmp.Equal(again, want) {
				t.Errorf("after a reload AgentToolVersions = %v (same slice: %t), want an equal new slice", again, &again[0] == &got[0])
			}
			if _, err := cat.AgentToolVersions(ctx, ws.ID, store.NewID()); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("AgentToolVersions(missing agent): err %v, want store.ErrNotFound", err)
			}
		})
	}
}
