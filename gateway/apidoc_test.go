package gateway_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/gateway/apidoc"
	"github.com/toolgate/toolgate/store/testdb"
)

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// TestOpenAPIDocument checks that GET /v1/openapi.json describes every
// route the server registers (and no other), and that it is a valid
// OpenAPI 3.1 document for kin-openapi.
func TestOpenAPIDocument(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	var registered []string
	for _, r := range e.app.Server.Routes() {
		registered = append(registered, ginParam.ReplaceAllString(r, "{$1}"))
	}
	slices.Sort(registered)
	if diff := cmp.Diff(registered, apidoc.Documented()); diff != "" {
		t.Errorf("the routes the server registers (-) and the document describes (+) differ:\n%s", diff)
	}

	r := e.must(200, "GET", apidoc.OpenAPIPath, "", nil)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.raw)
	if err != nil {
		t.Fatalf("kin-openapi cannot load the document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Errorf("the document is not valid OpenAPI: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	// Component schemas come from the same generation as the files'.
	for name, want := range map[string]string{"ToolDefinition": "timeout_ms", "ConnectionInput": "secrets", "AgentInput": "tools", "FlowDefinition": "states", "ImportReport": "summary"} {
		s := doc.Components.Schemas[name]
		if s == nil || s.Value == nil || s.Value.Properties[want] == nil {
			t.Errorf("components.schemas.%s has no property %s", name, want)
		}
	}
	if got := doc.Paths.Find("/v1/admin/imports/openapi"); got == nil || got.Post == nil || got.Post.RequestBody == nil {
		t.Errorf("POST /v1/admin/imports/openapi is not described with its body")
	}
}

// TestSchemasServed checks the schemas and the document are served without
// a key, cacheable, and revalidated by their ETag.
func TestSchemasServed(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	paths := []string{apidoc.OpenAPIPath}
	for _, name := range apidoc.Objects {
		paths = append(paths, apidoc.SchemaPath(name))
	}
	for _, path := range paths {
		r := e.must(200, "GET", path, "", nil)
		etag := r.header.Get("ETag")
		if etag == "" || !strings.Contains(r.header.Get("Cache-Control"), "max-age") {
			t.Errorf("%s: ETag %q, Cache-Control %q", path, etag, r.header.Get("Cache-Control"))
		}
		if strings.Contains(path, "/schemas/") && r.header.Get("Content-Type") != "application/schema+json" {
			t.Errorf("%s: Content-Type %q", path, r.header.Get("Content-Type"))
		}
		req, _ := http.NewRequest("GET", e.server.URL+path, nil)
		req.Header.Set("If-None-Match", etag)
		resp, err := e.server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: %d, want 304", path, resp.StatusCode)
		}
	}
	if r := e.do("GET", "/v1/schemas/secret.json", "", nil); r.status != 404 {
		t.Errorf("an unknown schema: %d, want 404", r.status)
	}
}
