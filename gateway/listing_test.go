package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/app"
	"github.com/toolgate/toolgate/listing"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
)

var update = flag.Bool("update", false, "rewrite testdata/**/*.golden with the current output")

// goldenJSON compares indented JSON with testdata/name.golden.
func goldenJSON(t *testing.T, name string, raw []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, raw)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test ./gateway -run %s -update to create it): %v", t.Name(), err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// realisticTools are tools as admins write them: nested objects, arrays,
// enums, optional fields and formats, and one open map that strict mode
// and Gemini cannot express.
func realisticTools() []map[string]any {
	return []map[string]any{
		{
			"name": "book_table", "description": "Book a table once the caller gave the date, time and party size. Confirm the details before calling.",
			"method": "POST", "url": "http://127.0.0.1:1/bookings",
			"input_schema": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"date":    map[string]any{"type": "string", "format": "date", "description": "Day of the booking."},
					"time":    map[string]any{"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "description": "Local time, HH:MM."},
					"guests":  map[string]any{"type": "integer", "minimum": 1, "maximum": 12},
					"seating": map[string]any{"type": "string", "enum": []string{"indoor", "terrace", "bar"}},
					"contact": map[string]any{
						"type": "object",
						"properties": map[string]any{
							"name":  map[string]any{"type": "string", "minLength": 1},
							"email": map[string]any{"type": "string", "format": "email"},
							"phone": map[string]any{"type": "string", "pattern": `^\+[1-9][0-9]{6,14}$`},
						},
						"required": []string{"name", "phone"},
					},
					"notes": map[string]any{"type": "string", "maxLength": 500},
				},
				"required": []string{"date", "time", "guests", "contact"},
			},
		},
		{
			"name": "create_order", "description": "Create an order for the items the caller listed, after they confirmed the total.",
			"method": "POST", "url": "http://127.0.0.1:1/orders",
			"input_schema": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"items": map[string]any{
						"type": "array", "minItems": 1, "maxItems": 20,
						"items": map[string]any{
							"type": "object",
							"properties": map[string]any{
								"sku":      map[string]any{"type": "string"},
								"quantity": map[string]any{"type": "integer", "minimum": 1},
								"gift":     map[string]any{"type": "boolean"},
							},
							"required": []string{"sku", "quantity"},
						},
					},
					"delivery": map[string]any{"$ref": "#/$defs/address"},
					"website":  map[string]any{"type": "string", "format": "uri"},
				},
				"required": []string{"items"},
				"$defs": map[string]any{"address": map[string]any{
					"type": "object",
					"properties": map[string]any{
						"street":  map[string]any{"type": "string"},
						"city":    map[string]any{"type": "string"},
						"country": map[string]any{"type": "string", "enum": []string{"DE", "FR", "TZ", "US"}},
					},
					"required": []string{"street", "city", "country"},
				}},
			},
		},
		{
			"name": "get_order", "description": "Look up an order's status and ETA once the caller gave the order id.",
			"url": "http://127.0.0.1:1/orders/{{args.order_id}}",
			"input_schema": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"order_id": map[string]any{"type": "string", "description": "The order id, e.g. A-17."},
					"verbose":  map[string]any{"type": "boolean"},
				},
				"required": []string{"order_id"},
			},
		},
		{
			"name": "tag_contact", "description": "Attach the caller's labels to their contact when they ask to be tagged.",
			"method": "POST", "url": "http://127.0.0.1:1/contacts/tags",
			"input_schema": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"contact_id": map[string]any{"type": "string", "format": "uuid"},
					"labels":     map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
				},
				"required": []string{"contact_id", "labels"},
			},
		},
	}
}

func TestListing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		e := newEnv(t, newStore)
		names := []string{}
		var published []store.ToolVersionRef
		for _, def := range realisticTools() {
			published = append(published, store.ToolVersionRef{ToolID: e.publishTool(def), Version: 1})
			names = append(names, def["name"].(string))
		}
		_, key := e.agentWithKey("bot", names...)

		// Publishing stored each version's renderings, which the listings
		// below (golden files) are joined from.
		workspaces, err := e.store.WorkspaceList(t.Context())
		if err != nil || len(workspaces) != 1 {
			t.Fatalf("WorkspaceList: %v, %d", err, len(workspaces))
		}
		for _, format := range listing.Formats {
			rows, err := e.store.ToolVersionListingGet(t.Context(), workspaces[0].ID, format, published)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(published) {
				t.Errorf("%d %s renderings stored at publish, want %d", len(rows), format, len(published))
			}
			for _, row := range rows {
				if row.Revision != listing.Revision {
					t.Errorf("%s rendering of %s has revision %d, want %d", format, row.ToolID, row.Revision, listing.Revision)
				}
			}
		}

		for _, format := range []string{"openai", "openai_strict", "openai_responses", "anthropic", "anthropic_strict", "gemini", "mcp"} {
			t.Run(format, func(t *testing.T) {
				r := e.must(200, "GET", "/v1/tools?format="+format, key, nil)
				goldenJSON(t, "listing/"+format, r.raw)
				switch format {
				case "openai_strict":
					checkStrictListing(t, r.raw)
				case "openai_responses":
					checkFlatStrictListing(t, r.raw, "parameters", schema.ValidateOpenAIStrict)
				case "anthropic_strict":
					checkFlatStrictListing(t, r.raw, "input_schema", schema.ValidateAnthropicStrict)
				}
			})
		}
		t.Run("default is openai", func(t *testing.T) {
			def := e.must(200, "GET", "/v1/tools", key, nil)
			openai := e.must(200, "GET", "/v1/tools?format=openai", key, nil)
			if !bytes.Equal(def.raw, openai.raw) {
				t.Errorf("GET /v1/tools = %s, want the openai format %s", def.raw, openai.raw)
			}
		})
		t.Run("unknown format", func(t *testing.T) {
			r := e.must(400, "GET", "/v1/tools?format=cohere", key, nil)
			if r.str("error.type") != "bad_request" || !strings.Contains(r.str("error.message"), "openai_strict") {
				t.Errorf("unknown format: %s", r.raw)
			}
		})
		t.Run("publish invalidates the cache", func(t *testing.T) {
			for _, format := range []string{"openai", "mcp"} {
				e.must(200, "GET", "/v1/tools?format="+format, key, nil) // cached
			}
			list := e.must(200, "GET", "/v1/admin/tools?limit=100", e.admin, nil)
			var id string
			for _, item := range list.at("items").([]any) {
				if m := item.(map[string]any); m["name"] == "get_order" {
					id = m["id"].(string)
				}
			}
			e.must(200, "PATCH", "/v1/admin/tools/"+id, e.admin, map[string]any{"description": "Look up an order by its id; version two."})
			e.must(200, "POST", "/v1/admin/tools/"+id+"/publish", e.admin, nil)
			for _, format := range []string{"openai", "mcp"} {
				r := e.must(200, "GET", "/v1/tools?format="+format, key, nil)
				if !strings.Contains(string(r.raw), "version two") {
					t.Errorf("%s listing after publish still has the old description: %s", format, r.raw)
				}
			}
		})
	})
}

// checkStrictListing checks that every strict tool's parameters keep the
// strict-mode rules (schema's own validator of them) and that the tool
// strict mode cannot express is listed without strict, with its reason.
func checkStrictListing(t *testing.T, raw []byte) {
	t.Helper()
	var body struct {
		Tools []struct {
			Function struct {
				Name       string          `json:"name"`
				Strict     bool            `json:"strict"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
		Unconverted []struct{ Name, Target, Path, Reason string } `json:"unconverted"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	for _, tool := range body.Tools {
		fn := tool.Function
		if fn.Name == "tag_contact" {
			if fn.Strict {
				t.Errorf("tag_contact has an open map and is listed strict")
			}
			continue
		}
		if !fn.Strict {
			t.Errorf("%s is not strict", fn.Name)
		}
		if err := schema.ValidateOpenAIStrict(fn.Parameters); err != nil {
			t.Errorf("%s parameters break strict mode: %v", fn.Name, err)
		}
	}
	if len(body.Unconverted) != 1 || body.Unconverted[0].Name != "tag_contact" || body.Unconverted[0].Reason == "" {
		t.Errorf("unconverted = %+v, want tag_contact with a reason", body.Unconverted)
	}
}

// checkFlatStrictListing checks a listing of flat tools (Responses API,
// Anthropic): every tool but the one with an open map is strict and keeps
// the strict rules (schema's own validator of them) in its schema field;
// that one is listed with strict false or absent, and its reason.
func checkFlatStrictListing(t *testing.T, raw []byte, field string, validate func(json.RawMessage) error) {
	t.Helper()
	var body struct {
		Tools       []map[string]json.RawMessage                  `json:"tools"`
		Unconverted []struct{ Name, Target, Path, Reason string } `json:"unconverted"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	for _, tool := range body.Tools {
		var name string
		_ = json.Unmarshal(tool["name"], &name)
		strict := string(tool["strict"]) == "true"
		if name == "tag_contact" {
			if strict {
				t.Errorf("tag_contact has an open map and is listed strict")
			}
			continue
		}
		if !strict {
			t.Errorf("%s is not strict", name)
		}
		if err := validate(tool[field]); err != nil {
			t.Errorf("%s %s breaks strict mode: %v", name, field, err)
		}
	}
	if len(body.Unconverted) != 1 || body.Unconverted[0].Name != "tag_contact" || body.Unconverted[0].Reason == "" {
		t.Errorf("unconverted = %+v, want tag_contact with a reason", body.Unconverted)
	}
}

// BenchmarkListTools measures GET /v1/tools per format for an agent with
// 100 and 10,000 tools, served from the per-agent cache (the catalog's
// clock is frozen so its TTL never reloads the agent mid-benchmark). See
// BenchmarkBuildListing for the cost of a cache miss.
func BenchmarkListTools(b *testing.B) {
	for _, n := range []int{100, 10000} {
		e := newListingBench(b, n)
		for _, format := range []string{"openai", "openai_strict", "openai_responses", "anthropic", "anthropic_strict", "gemini", "mcp"} {
			b.Run(fmt.Sprintf("tools=%d/format=%s", n, format), func(b *testing.B) {
				path := "/v1/tools?format=" + format
				if status, _, err := e.get(path); err != nil || status != 200 { // load the agent into the catalog
					b.Fatalf("GET %s: %d %v", path, status, err)
				}
				var size int
				for b.Loop() {
					status, raw, err := e.get(path)
					if err != nil || status != 200 {
						b.Fatalf("GET %s: %d %v", path, status, err)
					}
					size = len(raw)
				}
				b.ReportMetric(float64(size), "bytes/listing")
			})
		}
	}
}

type listingBench struct {
	server *httptest.Server
	client *http.Client
	key    string
}

func (e *listingBench) get(path string) (int, []byte, error) {
	req, _ := http.NewRequest("GET", e.server.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.key)
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// newListingBench is a gateway whose agent has n published tools, written
// straight to the store (publishing 10,000 through the API takes long).
func newListingBench(b *testing.B, n int) *listingBench {
	b.Helper()
	st := testdb.SQLite(b)
	box, err := secrets.NewBox(bytes.Repeat([]byte{42}, secrets.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ws, err := tenant.Create(ctx, st, box, "default")
	if err != nil {
		b.Fatal(err)
	}
	admin, err := tenant.AddAdminKey(ctx, st, ws.ID, "bench", "")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	defs := realisticTools()
	agent := &store.Agent{ID: store.NewID(), WorkspaceID: ws.ID, Name: "bench", CreatedAt: now, UpdatedAt: now}
	for i := range n {
		def := maps.Clone(defs[i%len(defs)])
		def["name"] = fmt.Sprintf("%s_%d", def["name"], i)
		raw, _ := json.Marshal(def)
		tool := &store.Tool{ID: store.NewID(), WorkspaceID: ws.ID, Name: def["name"].(string), Definition: raw,
			Status: store.ToolStatusDraft, CreatedAt: now, UpdatedAt: now}
		if err := st.ToolInsert(ctx, tool); err != nil {
			b.Fatal(err)
		}
		if _, err := st.ToolPublish(ctx, ws.ID, tool.ID, now); err != nil {
			b.Fatal(err)
		}
		agent.Tools = append(agent.Tools, store.AgentTool{Name: tool.Name})
	}
	if err := st.AgentInsert(ctx, agent); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	frozen := func() time.Time { return now }
	a, err := app.New(ctx, app.Config{Store: st, Box: box, WithoutQueue: true, Now: frozen, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(a.Handler())
	transport := &http.Transport{MaxIdleConnsPerHost: 4}
	b.Cleanup(func() {
		transport.CloseIdleConnections()
		hs.Close()
		_ = a.Stop(ctx)
	})
	e := &listingBench{server: hs, client: &http.Client{Transport: transport}}
	body, _ := json.Marshal(map[string]any{"name": "bench-key", "role": "agent", "agent_id": agent.ID})
	req, _ := http.NewRequest("POST", hs.URL+"/v1/admin/keys", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := e.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var k struct{ Key string }
	if err := json.NewDecoder(resp.Body).Decode(&k); err != nil || k.Key == "" {
		b.Fatalf("creating the agent key: %v", err)
	}
	e.key = k.Key
	return e
}
