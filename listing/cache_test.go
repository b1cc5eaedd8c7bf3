package listing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// fixtureTools are definitions that exercise every part of a rendering:
// nested objects, formats, a $ref, an open map (not convertible to strict
// modes or Gemini), a confirm (an extra argument), text JSON escapes
// (<, &, U+2028), and more strict tools than one Anthropic request may
// hold.
func fixtureTools() []tools.Definition {
	defs := []tools.Definition{
		{Name: "book_table", Description: "Book a table once the caller gave the date, time and party size.",
			Method: "POST", URL: "http://127.0.0.1:1/bookings",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"date":{"type":"string","format":"date"},` +
				`"guests":{"type":"integer","minimum":1,"maximum":12},"seating":{"type":"string","enum":["indoor","terrace"]},` +
				`"contact":{"type":"object","properties":{"name":{"type":"string","minLength":1},"email":{"type":"string","format":"email"}},"required":["name"]}},` +
				`"required":["date","guests","contact"]}`)},
		{Name: "create_order", Description: "Create an order <b>after</b> the caller confirmed the total & the address\u2028.",
			Method: "POST", URL: "http://127.0.0.1:1/orders",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"items":{"type":"array","items":{"type":"object",` +
				`"properties":{"sku":{"type":"string"},"qty":{"type":"integer","minimum":1}},"required":["sku","qty"]}},` +
				`"delivery":{"$ref":"#/$defs/address"}},"required":["items"],` +
				`"$defs":{"address":{"type":"object","properties":{"street":{"type":"string"},"country":{"type":"string","enum":["DE","TZ"]}},"required":["street"]}}}`)},
		{Name: "tag_contact", Description: "Attach the caller's labels to their contact.",
			Method: "POST", URL: "http://127.0.0.1:1/tags",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"contact_id":{"type":"string"},` +
				`"labels":{"type":"object","additionalProperties":{"type":"string"}}},"required":["contact_id","labels"]}`)},
		{Name: "cancel_order", Description: "Cancel an order.", Method: "DELETE", URL: "http://127.0.0.1:1/orders/{{args.id}}",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}`),
			Confirm:     &tools.ConfirmConfig{Message: "Cancel order {{args.id}}?"}},
	}
	for i := range schema.AnthropicStrictMaxTools {
		defs = append(defs, tools.Definition{Name: fmt.Sprintf("lookup_%02d", i), Description: "Look a thing up.",
			URL:         "http://127.0.0.1:1/things",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"},"limit":{"type":"integer"}},"required":["q"]}`)})
	}
	return defs
}

// wantListing is the listing as the conversion before stored renderings
// made it, kept here as the oracle: every tool converted and marshalled in
// order, strict Anthropic tools past the request's budget listed plain.
func wantListing(t *testing.T, list []*tools.Prepared, format string) []byte {
	t.Helper()
	var (
		out    []json.RawMessage
		unconv []unconvertedTool
		budget strictBudget
	)
	for _, p := range list {
		v, u := renderTool(p, format)
		if def, ok := v.(schema.AnthropicToolDef); ok && def.Strict {
			if usage := schema.MeasureAnthropicStrict(def.InputSchema); !budget.take(usage) {
				v, _ = renderTool(p, FormatAnthropic)
				u = &unconvertedTool{Name: p.Name, Target: schema.TargetAnthropicStrict, Path: schema.RootPath, Reason: budget.reason(usage)}
			}
		}
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
		if u != nil {
			unconv = append(unconv, *u)
		}
	}
	body := map[string]any{"tools": out}
	if out == nil {
		body["tools"] = []json.RawMessage{}
	}
	if unconv != nil {
		body["unconverted"] = unconv
	}
	data, err := json.Marshal(body) // keys sorted: tools before unconverted
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fixture is a workspace whose tools are published in the store, with a
// catalog over it.
type fixture struct {
	st       store.Store
	catalog  *tools.Catalog
	ws       string
	refs     []store.ToolVersionRef
	prepared []*tools.Prepared
}

// newFixture publishes defs in a new workspace of st, storing their
// renderings as a publish does unless legacy (versions published before
// renderings were stored).
func newFixture(t *testing.T, st store.Store, defs []tools.Definition, legacy bool) *fixture {
	t.Helper()
	ctx := context.Background()
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := tenant.Create(ctx, st, box, "w-"+store.NewID())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, ws: ws.ID, catalog: tools.NewCatalog(tools.CatalogConfig{Store: st, Box: box})}
	now := time.Now().UTC()
	for _, def := range defs {
		raw, err := json.Marshal(def)
		if err != nil {
			t.Fatal(err)
		}
		tl := &store.Tool{ID: store.NewID(), WorkspaceID: ws.ID, Name: def.Name, Definition: raw, CreatedAt: now, UpdatedAt: now}
		if err := st.ToolInsert(ctx, tl); err != nil {
			t.Fatal(err)
		}
		v, err := st.ToolPublish(ctx, ws.ID, tl.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		p, err := tools.PrepareJSON(tl.ID, v.Version, v.Definition)
		if err != nil {
			t.Fatal(err)
		}
		if !legacy {
			rows, err := Render(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.ToolVersionListingPut(ctx, ws.ID, rows); err != nil {
				t.Fatal(err)
			}
		}
		f.refs = append(f.refs, store.ToolVersionRef{ToolID: tl.ID, Version: v.Version})
		f.prepared = append(f.prepared, p)
	}
	return f
}

// cache is a new listing cache over the fixture's store and catalog: what
// a process has after a start.
func (f *fixture) cache(t *testing.T) *Cache {
	t.Helper()
	lc, err := NewCache(Config{Store: f.st, Versions: f.catalog})
	if err != nil {
		t.Fatal(err)
	}
	return lc
}

// stored returns the fixture's stored renderings in format, by tool ID.
func (f *fixture) stored(t *testing.T, format string) map[string]*store.ToolVersionListing {
	t.Helper()
	rows, err := f.st.ToolVersionListingGet(context.Background(), f.ws, format, f.refs)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*store.ToolVersionListing{}
	for _, r := range rows {
		out[r.ToolID] = r
	}
	return out
}

// TestGetListsAsConverted checks that a listing joined from stored
// renderings is byte for byte the listing converted from the tools, in
// every format: from renderings stored at publish, from versions published
// before renderings were stored (which it then stores), and after a
// restart.
func TestGetListsAsConverted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		ctx := context.Background()
		st := newStore(t)
		for _, tt := range []struct {
			name   string
			legacy bool
		}{{"rendered at publish", false}, {"published before renderings were stored", true}} {
			t.Run(tt.name, func(t *testing.T) {
				f := newFixture(t, st, fixtureTools(), tt.legacy)
				first, restarted := f.cache(t), f.cache(t)
				for _, format := range Formats {
					want := wantListing(t, f.prepared, format)
					got, err := first.Get(ctx, f.ws, "agent", format, f.refs)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(string(want), string(got)); diff != "" {
						t.Errorf("%s listing mismatch (-want +got):\n%s", format, diff)
					}
					stored := f.stored(t, format)
					if len(stored) != len(f.refs) {
						t.Errorf("%s: %d renderings stored after the listing, want %d", format, len(stored), len(f.refs))
					}
					for id, row := range stored {
						if row.Revision != Revision {
							t.Errorf("%s rendering of %s has revision %d, want %d", format, id, row.Revision, Revision)
						}
					}
				}
				// A restarted process lists from what is stored.
				for _, format := range Formats {
					got, err := restarted.Get(ctx, f.ws, "agent", format, f.refs)
					if err != nil {
						t.Fatal(err)
					}
					if want := wantListing(t, f.prepared, format); !bytes.Equal(want, got) {
						t.Errorf("%s listing after a restart = %s, want %s", format, got, want)
					}
				}
			})
		}
	})
}

// TestGetRendersOtherRevisions checks that a stored rendering of another
// Revision is neither listed nor kept.
func TestGetRendersOtherRevisions(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testdb.SQLite(t), fixtureTools()[:2], false)
	stale := &store.ToolVersionListing{ToolID: f.refs[0].ToolID, Version: f.refs[0].Version, Format: FormatMCP,
		Revision: Revision + 1, Tool: json.RawMessage(`{"stale":true}`)}
	if err := f.st.ToolVersionListingPut(ctx, f.ws, []*store.ToolVersionListing{stale}); err != nil {
		t.Fatal(err)
	}
	got, err := f.cache(t).Get(ctx, f.ws, "agent", FormatMCP, f.refs)
	if err != nil {
		t.Fatal(err)
	}
	if want := wantListing(t, f.prepared, FormatMCP); !bytes.Equal(want, got) {
		t.Errorf("listing = %s, want %s", got, want)
	}
	if row := f.stored(t, FormatMCP)[stale.ToolID]; row == nil || row.Revision != Revision || bytes.Contains(row.Tool, []byte("stale")) {
		t.Errorf("stored rendering after the listing = %+v, want this revision's", row)
	}
}

// TestGetLeavesOutWhatIsNotTheWorkspaces checks that versions that do not
// exist, and another workspace's versions, are not listed, whether the
// other workspace's renderings are in the store or in memory.
func TestGetLeavesOutWhatIsNotTheWorkspaces(t *testing.T) {
	ctx := context.Background()
	st := testdb.SQLite(t)
	a := newFixture(t, st, fixtureTools()[:3], false)
	b := newFixture(t, st, nil, false)
	lc, err := NewCache(Config{Store: st, Versions: a.catalog})
	if err != nil {
		t.Fatal(err)
	}
	refs := append([]store.ToolVersionRef{{ToolID: a.refs[0].ToolID, Version: 9}}, a.refs...)
	got, err := lc.Get(ctx, a.ws, "agent", FormatOpenAI, refs)
	if err != nil {
		t.Fatal(err)
	}
	if want := wantListing(t, a.prepared, FormatOpenAI); !bytes.Equal(want, got) {
		t.Errorf("listing with a version that does not exist = %s, want %s", got, want)
	}
	// A's pieces are in lc's memory now; B asks for A's versions.
	for _, format := range []string{FormatOpenAI, FormatGemini} {
		got, err = lc.Get(ctx, b.ws, "agent", format, a.refs)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != `{"tools":[]}` {
			t.Errorf("another workspace's %s listing of these versions = %s, want none", format, got)
		}
	}
}

// TestGetCachesPerSlice checks that a listing is served as built for as
// long as the catalog hands out the same slice of versions, and built again
// for a new slice or after a change.
func TestGetCachesPerSlice(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testdb.SQLite(t), fixtureTools()[:3], false)
	lc := f.cache(t)
	get := func(refs []store.ToolVersionRef) []byte {
		t.Helper()
		body, err := lc.Get(ctx, f.ws, "agent", FormatOpenAI, refs)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	first := get(f.refs)
	same := func(a, b []byte) bool { return &a[0] == &b[0] }
	if again := get(f.refs); !same(first, again) {
		t.Error("the same slice was listed again rather than served from the cache")
	}
	reloaded := get(append([]store.ToolVersionRef(nil), f.refs...))
	if same(first, reloaded) || !bytes.Equal(first, reloaded) {
		t.Error("a new slice with the same versions must be listed again, and the same")
	}
	fewer := get(f.refs[:1])
	if want := wantListing(t, f.prepared[:1], FormatOpenAI); !bytes.Equal(want, fewer) {
		t.Errorf("listing of one version = %s, want %s", fewer, want)
	}
	cached := get(f.refs[:1])
	lc.Observe(changes.Change{WorkspaceID: f.ws, What: changes.Tools})
	if after := get(f.refs[:1]); same(cached, after) {
		t.Error("a change of the workspace's tools must drop its listings")
	}
	cached = get(f.refs[:1])
	lc.Observe(changes.Change{WorkspaceID: store.NewID(), What: changes.Tools})
	if after := get(f.refs[:1]); !same(cached, after) {
		t.Error("a change of another workspace dropped this one's listings")
	}
}

// TestGetConcurrent lists versions never listed before from many
// goroutines at once (run it with -race): every answer is the listing.
func TestGetConcurrent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testdb.SQLite(t), fixtureTools(), true)
	lc := f.cache(t)
	const n = 8
	got := make([][]byte, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			var err error
			got[i], err = lc.Get(ctx, f.ws, fmt.Sprintf("agent-%d", i%2), Formats[i%len(Formats)], f.refs)
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if want := wantListing(t, f.prepared, Formats[i%len(Formats)]); !bytes.Equal(want, got[i]) {
			t.Errorf("listing %d = %s, want %s", i, got[i], want)
		}
	}
}
