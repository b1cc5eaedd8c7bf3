package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/adminapi"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tools"
)

const importPath = "/v1/admin/imports/openapi"

// shopDocument is a small OpenAPI 3.0 document: three operations, HTTP
// basic auth, and the summaries given.
func shopDocument(summaries map[string]string, extra ...string) map[string]any {
	op := func(id string, params ...map[string]any) map[string]any {
		o := map[string]any{"operationId": id, "summary": summaries[id],
			"responses": map[string]any{"200": map[string]any{"description": "ok"}}}
		if len(params) > 0 {
			o["parameters"] = params
		}
		return o
	}
	pathParam := func(name string) map[string]any {
		return map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}}
	}
	paths := map[string]any{
		"/orders":               map[string]any{"get": op("listOrders")},
		"/orders/{orderId}":     map[string]any{"get": op("getOrder", pathParam("orderId")), "delete": op("cancelOrder", pathParam("orderId"))},
		"/customers/{customer}": map[string]any{"get": op("getCustomer", pathParam("customer"))},
	}
	for _, id := range extra {
		paths["/extra/"+id] = map[string]any{"get": op(id)}
	}
	return map[string]any{
		"openapi":  "3.0.3",
		"info":     map[string]any{"title": "Shop API", "version": "1"},
		"servers":  []any{map[string]any{"url": "https://shop.example.com/api"}},
		"security": []any{map[string]any{"basicAuth": []any{}}},
		"components": map[string]any{"securitySchemes": map[string]any{
			"basicAuth": map[string]any{"type": "http", "scheme": "basic"}}},
		"paths": paths,
	}
}

var shopSummaries = map[string]string{
	"listOrders":  "List the shop's orders, newest first.",
	"getOrder":    "Get one order by its id, with its status and items.",
	"cancelOrder": "Cancel an order that has not shipped yet.",
	"getCustomer": "Get a customer by id, with contact details.",
}

// importReport sends an import and decodes its report, failing the test
// unless the status is 200.
func (e *env) importReport(body any) *admin.ImportReport {
	e.t.Helper()
	r := e.must(http.StatusOK, "POST", importPath, e.admin, body)
	var rep admin.ImportReport
	if err := json.Unmarshal(r.raw, &rep); err != nil {
		e.t.Fatalf("decoding the import report: %v\n%s", err, r.raw)
	}
	return &rep
}

// byOperation indexes a report's tools by operationId.
func byOperation(rep *admin.ImportReport) map[string]admin.ImportReportTool {
	out := map[string]admin.ImportReportTool{}
	for _, t := range rep.Tools {
		out[t.OperationID] = t
	}
	return out
}

// listAll lists every item of an admin list.
func (e *env) listAll(path string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	cursor := ""
	for {
		r := e.must(200, "GET", path+"?limit=500&cursor="+cursor, e.admin, nil)
		var page struct {
			Items      []map[string]any `json:"items"`
			NextCursor string           `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.raw, &page); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

func TestImportOpenAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("dry run", func(t *testing.T) { testImportDryRun(t, newEnv(t, newStore)) })
		t.Run("reimport", func(t *testing.T) { testImportAgain(t, newEnv(t, newStore)) })
		t.Run("incomplete auth", func(t *testing.T) { testImportIncompleteAuth(t, newEnv(t, newStore)) })
		t.Run("url", func(t *testing.T) { testImportURL(t, newEnv(t, newStore)) })
		t.Run("url refused", func(t *testing.T) {
			testImportURLRefused(t, newEnv(t, newStore, envOptions{allow: []netip.Prefix{}}))
		})
		t.Run("errors", func(t *testing.T) { testImportErrors(t, newEnv(t, newStore)) })
	})
}

func testImportDryRun(t *testing.T, e *env) {
	doc := shopDocument(shopSummaries)
	dry := e.importReport(map[string]any{"spec": doc, "connection": map[string]any{"name": "shop"}, "dry_run": true})
	if tl := e.listAll("/v1/admin/tools"); len(tl) != 0 {
		t.Errorf("a dry run wrote %d tools", len(tl))
	}
	if cs := e.listAll("/v1/admin/connections"); len(cs) != 0 {
		t.Errorf("a dry run wrote %d connections", len(cs))
	}
	for _, tl := range dry.Tools {
		if tl.ID != "" || tl.Action != admin.ImportCreated || tl.Status != store.ToolStatusDraft {
			t.Errorf("dry-run tool %+v: want no id, action created, status draft", tl)
		}
	}
	if dry.Connection.ID != "" || dry.Connection.Action != admin.ImportCreated {
		t.Errorf("dry-run connection %+v: want no id, action created", dry.Connection)
	}

	real := e.importReport(map[string]any{"spec": doc, "connection": map[string]any{"name": "shop"}})
	if real.DryRun || !dry.DryRun {
		t.Errorf("dry_run = %v then %v, want true then false", dry.DryRun, real.DryRun)
	}
	// The same report, but for the IDs.
	ignoreIDs := cmp.Options{
		cmpopts.IgnoreFields(admin.ImportReport{}, "DryRun"),
		cmpopts.IgnoreFields(admin.ImportReportTool{}, "ID"),
		cmpopts.IgnoreFields(admin.ImportReportConnection{}, "ID"),
	}
	if diff := cmp.Diff(dry, real, ignoreIDs); diff != "" {
		t.Errorf("the dry run's report differs from the import's (-dry +real):\n%s", diff)
	}
	want := admin.ImportSummary{Operations: 4, Imported: 4, Created: 4}
	if diff := cmp.Diff(want, real.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	for _, tl := range real.Tools {
		got := e.must(200, "GET", "/v1/admin/tools/"+tl.ID, e.admin, nil)
		if got.str("name") != tl.Name || got.str("status") != store.ToolStatusDraft || got.str("connection") != "shop" {
			t.Errorf("stored tool %s: %s", tl.ID, got.raw)
		}
	}
	if real.Connection.ID == "" {
		t.Errorf("connection %+v: want an id", real.Connection)
	}
	// A dry run of the same document now reports what an import would
	// update: nothing.
	again := e.importReport(map[string]any{"spec": doc, "connection": map[string]any{"name": "shop"}, "dry_run": true})
	if want := (admin.ImportSummary{Operations: 4, Imported: 4, Unchanged: 4}); again.Summary != want {
		t.Errorf("dry run after the import: summary %+v, want %+v", again.Summary, want)
	}
	if again.Connection.Action != admin.ImportReused || again.Connection.ID != real.Connection.ID {
		t.Errorf("dry run after the import: connection %+v, want %s reused", again.Connection, real.Connection.ID)
	}
}

// testImportAgain imports a document, lets the admin work on the drafts,
// and imports a changed version of the document.
func testImportAgain(t *testing.T, e *env) {
	// A tool of the admin's holds a name the import would take.
	e.must(201, "POST", "/v1/admin/tools", e.admin, map[string]any{"name": "shop_getCustomer", "description": "The admin's own tool, not imported.", "url": "https://crm.example.com/x"})
	first := e.importReport(map[string]any{"spec": shopDocument(shopSummaries), "connection": map[string]any{"name": "shop"}, "name_prefix": "shop_"})
	ops := byOperation(first)
	if got := ops["getCustomer"].Name; got != "shop_getCustomer_2" {
		t.Errorf("getCustomer's tool is named %s, want shop_getCustomer_2 (shop_getCustomer is taken)", got)
	}
	getOrder, cancelOrder, listOrders := ops["getOrder"], ops["cancelOrder"], ops["listOrders"]

	// The admin publishes getOrder, then edits its draft's shaping and
	// timeout; renames listOrders.
	e.must(200, "POST", "/v1/admin/tools/"+getOrder.ID+"/publish", e.admin, nil)
	published := e.must(200, "GET", "/v1/admin/tools/"+getOrder.ID+"/versions", e.admin, nil)
	e.must(200, "PATCH", "/v1/admin/tools/"+getOrder.ID, e.admin, map[string]any{"timeout_ms": 3000, "response": map[string]any{"select": []string{"status"}}})
	e.must(200, "PATCH", "/v1/admin/tools/"+listOrders.ID, e.admin, map[string]any{"name": "orders"})

	// The document changes: a new summary, an operation removed, one added.
	summaries := map[string]string{}
	for k, v := range shopSummaries {
		summaries[k] = v
	}
	summaries["getOrder"] = "Get one order by its id: its status, items and delivery date."
	summaries["newThing"] = "A new operation of the second version of the document."
	doc := shopDocument(summaries, "newThing")
	delete(doc["paths"].(map[string]any)["/orders/{orderId}"].(map[string]any), "delete")
	second := e.importReport(map[string]any{"spec": doc, "connection": map[string]any{"name": "shop"}, "name_prefix": "shop_"})
	ops2 := byOperation(second)

	want := map[string]struct{ id, name, action string }{
		"getOrder":    {getOrder.ID, getOrder.Name, admin.ImportUpdated},
		"listOrders":  {listOrders.ID, "orders", admin.ImportUnchanged},
		"getCustomer": {ops["getCustomer"].ID, "shop_getCustomer_2", admin.ImportUnchanged},
		"newThing":    {"", "shop_newThing", admin.ImportCreated},
	}
	for op, w := range want {
		got := ops2[op]
		if (w.id != "" && got.ID != w.id) || got.Name != w.name || got.Action != w.action {
			t.Errorf("%s: got id %s, name %s, action %s; want %s, %s, %s", op, got.ID, got.Name, got.Action, w.id, w.name, w.action)
		}
	}
	if ops2["getOrder"].PublishedVersion != 1 {
		t.Errorf("getOrder: published_version %d, want 1", ops2["getOrder"].PublishedVersion)
	}
	if _, ok := ops2["cancelOrder"]; ok {
		t.Errorf("cancelOrder was removed from the document but is in the report")
	}
	if want := (admin.ImportSummary{Operations: 4, Imported: 4, Created: 1, Updated: 1, Unchanged: 2}); second.Summary != want {
		t.Errorf("summary %+v, want %+v", second.Summary, want)
	}

	// The draft follows the document and keeps the admin's settings; the
	// published version is as it was.
	draft := e.must(200, "GET", "/v1/admin/tools/"+getOrder.ID, e.admin, nil)
	if !strings.Contains(draft.str("description"), "delivery date") || draft.at("timeout_ms") != float64(3000) ||
		draft.at("response") == nil || draft.str("status") != store.ToolStatusPublished || draft.at("version") != float64(1) {
		t.Errorf("getOrder after the import: %s", draft.raw)
	}
	if origin, _ := draft.at("origin").(map[string]any); origin["operation_id"] != "getOrder" || origin["method"] != "GET" || origin["path"] != "/orders/{orderId}" {
		t.Errorf("getOrder's origin = %v", draft.at("origin"))
	}
	if after := e.must(200, "GET", "/v1/admin/tools/"+getOrder.ID+"/versions", e.admin, nil); string(after.raw) != string(published.raw) {
		t.Errorf("the published versions changed:\nbefore %s\nafter  %s", published.raw, after.raw)
	}
	// The tool of the removed operation is left alone.
	e.must(200, "GET", "/v1/admin/tools/"+cancelOrder.ID, e.admin, nil)

	// Importing the same document again changes nothing.
	third := e.importReport(map[string]any{"spec": doc, "connection": map[string]any{"name": "shop"}, "name_prefix": "shop_"})
	if want := (admin.ImportSummary{Operations: 4, Imported: 4, Unchanged: 4}); third.Summary != want {
		t.Errorf("third import: summary %+v, want %+v", third.Summary, want)
	}
	if n := len(e.listAll("/v1/admin/tools")); n != 6 {
		t.Errorf("%d tools, want 6 (the admin's, four imported, one added)", n)
	}
}

// testImportIncompleteAuth imports a document whose security scheme needs
// settings no document holds (a basic-auth username): the connection is
// stored without them, the tools are importable, and the connection
// cannot be used (or patched) until they are set.
func testImportIncompleteAuth(t *testing.T, e *env) {
	rep := e.importReport(map[string]any{"spec": shopDocument(shopSummaries)})
	c := rep.Connection
	if c.Name != "shop-api" || c.Auth.Type != tools.AuthBasic || c.BaseURL != "https://shop.example.com/api" || c.Action != admin.ImportCreated {
		t.Errorf("connection %+v: want shop-api, basic auth, created", c)
	}
	paths := []string{}
	for _, w := range c.Warnings {
		paths = append(paths, w.Path)
	}
	if !slices.Contains(paths, "auth.username") || !slices.Contains(paths, "secrets.password") {
		t.Errorf("connection warnings %+v: want auth.username and secrets.password", c.Warnings)
	}
	for _, tl := range rep.Tools {
		if !tl.Valid {
			t.Errorf("tool %s is not valid: %+v", tl.Name, tl.Warnings)
		}
		if v := e.must(200, "POST", "/v1/admin/tools/"+tl.ID+"/validate", e.admin, nil); v.at("valid") != true {
			t.Errorf("validate %s: %s", tl.Name, v.raw)
		}
	}
	stored := e.must(200, "GET", "/v1/admin/connections/"+c.ID, e.admin, nil)
	if stored.str("auth.type") != tools.AuthBasic || stored.at("secrets.password.set") != false {
		t.Errorf("stored connection: %s", stored.raw)
	}
	// A password alone does not complete it.
	r := e.do("PATCH", "/v1/admin/connections/"+c.ID, e.admin, map[string]any{"secrets": map[string]any{"password": "pw"}})
	if r.status != 422 || !strings.Contains(string(r.raw), "auth.username") {
		t.Errorf("PATCH without a username: %d %s, want 422 naming auth.username", r.status, r.raw)
	}
	e.must(200, "PATCH", "/v1/admin/connections/"+c.ID, e.admin, map[string]any{
		"auth": map[string]any{"username": "shop"}, "secrets": map[string]any{"password": "pw"}})
	again := e.importReport(map[string]any{"spec": shopDocument(shopSummaries)})
	if again.Connection.Action != admin.ImportReused || len(again.Connection.Warnings) != 0 {
		t.Errorf("the completed connection, imported again: %+v, want reused without warnings", again.Connection)
	}
}

// petstoreYAML is a Swagger-style document with a relative server URL.
const petstoreYAML = `openapi: 3.1.0
info:
  title: Pets
  version: "1"
servers:
  - url: /api/v3
paths:
  /pets/{petId}:
    get:
      operationId: getPet
      summary: Get one pet by its id, with its name and tag.
      parameters:
        - name: petId
          in: path
          required: true
          schema: {type: integer}
      responses:
        "200":
          description: the pet
          content:
            application/json:
              schema:
                type: object
                properties:
                  id: {type: integer}
                  name: {type: string}
`

func testImportURL(t *testing.T, e *env) {
	docs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/specs/pets.yaml" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/yaml")
		fmt.Fprint(w, petstoreYAML)
	}))
	defer docs.Close()
	rep := e.importReport(map[string]any{"url": docs.URL + "/specs/pets.yaml"})
	// The relative server is resolved against the document's URL.
	if want := docs.URL + "/api/v3"; rep.Connection.BaseURL != want || rep.Connection.Name != "pets" {
		t.Errorf("connection %+v: want pets at %s", rep.Connection, want)
	}
	if len(rep.Tools) != 1 || rep.Tools[0].Name != "getPet" || !rep.Tools[0].Valid {
		t.Errorf("tools %+v: want getPet, valid", rep.Tools)
	}
	if rep.Document != (admin.ImportDocument{Title: "Pets", Version: "3.1.0"}) {
		t.Errorf("document %+v", rep.Document)
	}
	r := e.do("POST", importPath, e.admin, map[string]any{"url": docs.URL + "/missing.yaml"})
	if r.status != 422 || !strings.Contains(r.str("error.message"), "invalid") || !strings.Contains(string(r.raw), "HTTP 404") {
		t.Errorf("a URL answering 404: %d %s, want 422 saying so", r.status, r.raw)
	}
}

func testImportURLRefused(t *testing.T, e *env) {
	docs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the guard let a request through to %s", r.URL)
	}))
	defer docs.Close()
	for _, u := range []string{docs.URL + "/pets.yaml", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/openapi.json"} {
		r := e.do("POST", importPath, e.admin, map[string]any{"url": u})
		if r.status != 422 || !strings.Contains(string(r.raw), "not allowed") || !strings.Contains(string(r.raw), `"path":"url"`) {
			t.Errorf("%s: %d %s, want 422 saying the address is not allowed", u, r.status, r.raw)
		}
	}
	if n := len(e.listAll("/v1/admin/connections")); n != 0 {
		t.Errorf("a refused import wrote %d connections", n)
	}
}

func testImportErrors(t *testing.T, e *env) {
	tests := []struct {
		name   string
		body   string
		status int
		typ    string
		want   []string // in the body
	}{
		{"JSON syntax", `{"spec": "{\n  \"openapi\": \"3.0.0\",\n  \"info\": {,\n}"}`, 422, "invalid_document", []string{`"line":3`, `"column":12`}},
		{"YAML syntax", `{"spec": "openapi: 3.0.0\ninfo:\n  title: [unclosed\n"}`, 422, "invalid_document", []string{`"line":`}},
		{"structure", `{"spec": {"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"parameters": "nope", "responses": {}}}}}}`, 422, "invalid_document", []string{`"pointer":"/paths/~1a/get/parameters"`}},
		{"not OpenAPI", `{"spec": {"hello": "world"}}`, 422, "invalid_document", []string{"neither"}},
		{"spec and url", `{"spec": {"openapi": "3.0.0"}, "url": "https://example.com/x.json"}`, 422, "validation_failed", []string{`"path":"spec"`}},
		{"no document", `{"name_prefix": "x_"}`, 422, "validation_failed", []string{`"path":"spec"`}},
		{"spec of the wrong type", `{"spec": 42}`, 422, "validation_failed", []string{`"path":"spec"`}},
		{"bad prefix", `{"spec": {"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": {}}, "name_prefix": "a b"}`, 422, "validation_failed", []string{`"path":"name_prefix"`}},
		{"bad method filter", `{"spec": {"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": {}}, "include": {"methods": ["FETCH"]}}`, 422, "validation_failed", []string{`"path":"include.methods[0]"`}},
		{"bad connection name", `{"spec": {"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": {}}, "connection": {"name": "a/b"}}`, 422, "validation_failed", []string{`"path":"connection.name"`}},
		{"no server", `{"spec": {"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": {}}}`, 422, "validation_failed", []string{`"path":"connection.base_url"`}},
		{"url not http", `{"url": "file:///etc/passwd"}`, 422, "validation_failed", []string{`"path":"url"`}},
		{"too many filters", `{"spec": {}, "include": {"tags": [` + strings.Repeat(`"t",`, admin.ImportIncludeMax) + `"t"]}}`, 422, "validation_failed", []string{`"path":"include.tags"`}},
		{"unknown field", `{"spec": {}, "specs": {}}`, 400, "bad_request", []string{"specs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", importPath, e.admin, tt.body)
			if r.status != tt.status || r.str("error.type") != tt.typ {
				t.Fatalf("%d %s, want %d %s", r.status, r.raw, tt.status, tt.typ)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(r.raw), w) {
					t.Errorf("%s: want %s in the body", r.raw, w)
				}
			}
		})
	}
	// The route takes bodies larger than the other routes' 1 MiB, up to its
	// own limit.
	big := `{"spec": {"openapi": "3.0.0", "info": {"title": "x", "version": "1", "description": "` + strings.Repeat("a", 2<<20) + `"}, "servers": [{"url": "https://x.example.com"}], "paths": {}}}`
	e.must(200, "POST", importPath, e.admin, big)
	tooBig := `{"spec": "` + strings.Repeat("a", adminapi.ImportRequestBytesMax) + `"}`
	if r := e.do("POST", importPath, e.admin, tooBig); r.status != 413 {
		t.Errorf("a body over %d bytes: %d %.200s, want 413", adminapi.ImportRequestBytesMax, r.status, r.raw)
	}
	if r := e.do("POST", importPath, "", `{}`); r.status != 401 {
		t.Errorf("no key: %d, want 401", r.status)
	}
}
