package openapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/openapi"
	"github.com/toolgate/toolgate/tools"
)

// doc31 wraps the YAML of one path item into an OpenAPI 3.1 document.
func doc31(pathItem string) string {
	return `openapi: 3.1.0
info: {title: Cases, version: "1"}
servers: [{url: "https://api.example.com/v1"}]
components:
  schemas:
    Item: {type: object, properties: {id: {type: string}}}
paths:
  /items/{id}:
` + indent(pathItem, "    ")
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}

const idParam = `parameters: [{name: id, in: path, required: true, schema: {type: string}}]
`

// TestConvertSkips covers operations toolgate cannot call: each is skipped
// with a reason that says what to do.
func TestConvertSkips(t *testing.T) {
	tests := []struct {
		name     string
		pathItem string
		reason   string
	}{
		{"remote schema", idParam + `
get:
  responses: {'200': {description: ok}}
  parameters: [{name: q, in: query, schema: {$ref: 'https://example.com/schemas.json#/Q'}}]`,
			"remote $ref https://example.com/schemas.json#/Q is not fetched"},
		{"remote parameter", idParam + `
get:
  responses: {'200': {description: ok}}
  parameters: [{$ref: 'common.yaml#/parameters/page'}]`,
			"remote $ref common.yaml#/parameters/page is not fetched"},
		{"dangling ref", idParam + `
post:
  responses: {'200': {description: ok}}
  requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Missing'}}}}`,
			"$ref #/components/schemas/Missing points to nothing"},
		{"parameter that refers to itself", idParam + `
get:
  responses: {'200': {description: ok}}
  parameters: [{$ref: '#/paths/~1items~1{id}/get/parameters/0'}]`,
			"$ref #/paths/~1items~1{id}/get/parameters/0 cannot be resolved: it refers to itself"},
		{"schema that refers to itself", idParam + `
get:
  responses: {'200': {description: ok}}
  parameters: [{name: q, in: query, schema: {$ref: '#/paths/~1items~1{id}/get/parameters/0/schema'}}]`,
			"$ref #/paths/~1items~1{id}/get/parameters/0/schema cannot be resolved"},
		{"HEAD", idParam + `
head: {responses: {'200': {description: ok}}}`,
			"method HEAD is not supported"},
		{"required form", idParam + `
post:
  responses: {'200': {description: ok}}
  requestBody:
    required: true
    content: {application/x-www-form-urlencoded: {schema: {type: object, properties: {a: {type: string}}}}}`,
			"it is a form (application/x-www-form-urlencoded); toolgate sends JSON bodies only"},
		{"required binary body", idParam + `
put:
  responses: {'200': {description: ok}}
  requestBody: {required: true, content: {application/octet-stream: {schema: {type: string, format: binary}}}}`,
			"it is application/octet-stream; toolgate sends JSON bodies only"},
		{"DELETE with a required body", idParam + `
delete:
  responses: {'204': {description: ok}}
  requestBody: {required: true, content: {application/json: {schema: {type: object}}}}`,
			"toolgate sends no body with DELETE"},
		{"required cookie", idParam + `
get:
  responses: {'200': {description: ok}}
  parameters: [{name: session, in: cookie, required: true, schema: {type: string}}]`,
			"required cookie parameter session"},
		{"required object in the query", idParam + `
get:
  responses: {'200': {description: ok}}
  parameters: [{name: filter, in: query, required: true, style: deepObject, schema: {type: object, properties: {a: {type: string}}}}]`,
			"required query parameter filter: an object in the query string (style deepObject)"},
		{"required credential header", idParam + `
get:
  responses: {'200': {description: ok}}
  parameters: [{name: Cookie, in: header, required: true, schema: {type: string}}]`,
			"carries credentials"},
		{"required gateway header", idParam + `
post:
  responses: {'200': {description: ok}}
  parameters: [{name: Idempotency-Key, in: header, required: true, schema: {type: string}}]`,
			"is set by the gateway"},
		{"object in the path", `parameters: [{name: id, in: path, required: true, schema: {type: object}}]
get: {responses: {'200': {description: ok}}}`,
			"path parameter id is an object"},
		{"another server", idParam + `
get:
  servers: [{url: "https://uploads.example.com"}]
  responses: {'200': {description: ok}}`,
			"served from https://uploads.example.com, not under the document's server https://api.example.com/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := convert(t, doc31(tt.pathItem), openapi.Options{})
			if len(res.Tools) != 0 || len(res.Skipped) != 1 {
				t.Fatalf("tools = %+v, skipped = %+v; want one skipped operation", res.Tools, res.Skipped)
			}
			if got := res.Skipped[0].Reason; !strings.Contains(got, tt.reason) {
				t.Errorf("reason = %q, want it to contain %q", got, tt.reason)
			}
			if res.Skipped[0].Path != "/items/{id}" || res.Skipped[0].Method == "" {
				t.Errorf("skipped = %+v, want method and path", res.Skipped[0])
			}
			if diff := cmp.Diff(openapi.Summary{Operations: 1, Skipped: 1}, res.Summary); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConvertOptionalLeftOut covers optional parts toolgate cannot send:
// the tool is imported without them, with a warning.
func TestConvertOptionalLeftOut(t *testing.T) {
	tests := []struct {
		name     string
		pathItem string
		warning  openapi.FieldWarning // Message is matched as a substring
		body     string               // the body template; "" for none
	}{
		{"optional form", idParam + `
post:
  summary: Update an item from a form, which toolgate cannot send.
  responses: {'200': {description: ok}}
  requestBody: {content: {multipart/form-data: {schema: {type: object}}}}`,
			openapi.FieldWarning{Path: "body", Message: "optional request body is left out: it is a form (multipart/form-data)"}, `{}`},
		{"GET with a body", idParam + `
get:
  summary: Read an item; the document allows a body toolgate never sends.
  responses: {'200': {description: ok}}
  requestBody: {content: {application/json: {schema: {type: object}}}}`,
			openapi.FieldWarning{Path: "body", Message: "toolgate sends no body with GET"}, ``},
		{"optional cookie", idParam + `
get:
  summary: Read an item; an optional cookie is left out.
  responses: {'200': {description: ok}}
  parameters: [{name: pref, in: cookie, schema: {type: string}}]`,
			openapi.FieldWarning{Path: "input_schema", Message: "optional cookie parameter pref was left out"}, ``},
		{"optional deepObject", idParam + `
get:
  summary: Read an item; an optional object filter is left out.
  responses: {'200': {description: ok}}
  parameters: [{name: filter, in: query, style: deepObject, schema: {type: object}}]`,
			openapi.FieldWarning{Path: "query.filter", Message: "optional query parameter filter was left out"}, ``},
		{"repeated query parameter", idParam + `
get:
  summary: Read an item with the fields listed in a repeated parameter.
  responses: {'200': {description: ok}}
  parameters: [{name: fields, in: query, schema: {type: array, items: {type: string}}}]`,
			openapi.FieldWarning{Path: "query.fields", Message: "sent as one comma-separated parameter (fields=a,b)"}, ``},
		{"undeclared path parameter", `get:
  summary: Read an item whose path parameter the document forgot.
  responses: {'200': {description: ok}}`,
			openapi.FieldWarning{Path: "path", Message: "path parameter id is not declared"}, ``},
		{"pattern Go cannot run", idParam + `
post:
  summary: Create an item whose code has a pattern with a lookahead.
  responses: {'200': {description: ok}}
  requestBody: {content: {application/json: {schema: {type: object, properties: {code: {type: string, pattern: '^(?=a)'}}}}}}`,
			openapi.FieldWarning{Path: "input_schema.properties.code.pattern", Message: "was left out: Go's regular expressions cannot run it"}, `{"code":"{{args.code}}"}`},
		{"short description", idParam + `
get:
  summary: Get it
  responses: {'200': {description: ok}}`,
			openapi.FieldWarning{Path: "description", Message: "is too short"}, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := convert(t, doc31(tt.pathItem), openapi.Options{})
			if len(res.Tools) != 1 {
				t.Fatalf("tools = %+v, skipped = %+v; want one tool", res.Tools, res.Skipped)
			}
			tl := res.Tools[0]
			found := false
			for _, w := range tl.Warnings {
				found = found || (w.Path == tt.warning.Path && strings.Contains(w.Message, tt.warning.Message))
			}
			if !found {
				t.Errorf("warnings = %+v, want %+v", tl.Warnings, tt.warning)
			}
			if got := string(tl.Definition.Body); got != tt.body {
				t.Errorf("body = %s, want %s", got, tt.body)
			}
			if !tl.Valid {
				t.Errorf("tool is not valid: %+v", tl.Warnings)
			}
		})
	}
}

// TestConvertArguments covers how parameters and body properties become
// arguments without colliding.
func TestConvertArguments(t *testing.T) {
	tests := []struct {
		name     string
		pathItem string
		def      tools.Definition // Path, Query, Headers, Body compared
		schema   string
	}{
		{
			name: "parameters of the same name in several places",
			pathItem: `parameters: [{name: id, in: path, required: true, schema: {type: string}}]
patch:
  parameters:
    - {name: id, in: query, schema: {type: integer}}
    - {name: id, in: header, schema: {type: string}}
    - {name: "page[size]", in: query, schema: {type: integer}}
  requestBody:
    content:
      application/merge-patch+json:
        schema: {type: object, required: [id], properties: {id: {type: string}, note: {type: string}}}
  responses: {'204': {description: ok}}`,
			def: tools.Definition{
				Path:    "/items/{{args.id}}",
				Query:   map[string]string{"id": "{{args.query_id}}", "page[size]": "{{args.page_size}}"},
				Headers: map[string]string{"id": "{{args.header_id}}", "Content-Type": "application/merge-patch+json"},
				Body:    []byte(`{"id":"{{args.body_id}}","note":"{{args.note}}"}`),
			},
			schema: `{"type": "object", "required": ["id", "body_id"], "properties": {
				"id": {"type": "string"}, "query_id": {"type": "integer"}, "header_id": {"type": "string"},
				"page_size": {"type": "integer"}, "body_id": {"type": "string"}, "note": {"type": "string"}}}`,
		},
		{
			name: "a body that is not a plain object is one argument",
			pathItem: idParam + `
put:
  requestBody:
    description: The new tags.
    content: {application/json: {schema: {type: array, items: {type: string}}}}
  responses: {'200': {description: ok}}`,
			def: tools.Definition{Path: "/items/{{args.id}}", Body: []byte(`"{{args.body}}"`)},
			schema: `{"type": "object", "required": ["id", "body"], "properties": {
				"id": {"type": "string"},
				"body": {"type": "array", "items": {"type": "string"}, "description": "The new tags."}}}`,
		},
		{
			name: "allOf of objects is spread",
			pathItem: idParam + `
post:
  requestBody:
    content:
      application/json:
        schema:
          allOf:
            - $ref: '#/components/schemas/Item'
            - {type: object, required: [name], properties: {name: {type: string}}}
  responses: {'201': {description: ok}}`,
			def: tools.Definition{Path: "/items/{{args.id}}", Body: []byte(`{"id":"{{args.body_id}}","name":"{{args.name}}"}`)},
			schema: `{"type": "object", "required": ["id", "name"], "properties": {
				"id": {"type": "string"}, "body_id": {"type": "string"}, "name": {"type": "string"}}}`,
		},
		{
			name: "POST without a body sends an empty object",
			pathItem: idParam + `
post: {responses: {'202': {description: ok}}}`,
			def:    tools.Definition{Path: "/items/{{args.id}}", Body: []byte(`{}`)},
			schema: `{"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}`,
		},
		{
			name: "array header and path values are comma-separated",
			pathItem: `parameters: [{name: id, in: path, required: true, schema: {type: array, items: {type: integer}}}]
get:
  parameters: [{name: X-Fields, in: header, required: true, schema: {type: array, items: {type: string, enum: [a, b]}}}]
  responses: {'200': {description: ok}}`,
			def: tools.Definition{Path: "/items/{{args.id}}", Headers: map[string]string{"X-Fields": "{{args.X-Fields}}"}},
			schema: `{"type": "object", "required": ["id", "X-Fields"], "properties": {
				"id": {"type": "string", "description": "Several values: separate them with commas."},
				"X-Fields": {"type": "string", "description": "One or more of a, b, separated by commas."}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := convert(t, doc31(tt.pathItem), openapi.Options{})
			if len(res.Tools) != 1 {
				t.Fatalf("tools = %+v, skipped = %+v; want one tool", res.Tools, res.Skipped)
			}
			def := res.Tools[0].Definition
			got := tools.Definition{Path: def.Path, Query: def.Query, Headers: def.Headers, Body: def.Body}
			if diff := cmp.Diff(tt.def, got); diff != "" {
				t.Errorf("templates (-want +got):\n%s", diff)
			}
			jsonEqual(t, "input_schema", def.InputSchema, tt.schema)
			for _, w := range res.Tools[0].Warnings {
				if strings.HasPrefix(w.Message, "invalid") {
					t.Errorf("warning %+v", w)
				}
			}
		})
	}
}

// TestConvertSchemas covers the conversion of schema keywords to JSON Schema
// 2020-12, one request body property at a time.
func TestConvertSchemas(t *testing.T) {
	tests := []struct {
		name    string
		version string
		schema  string
		want    string
	}{
		{"3.0 nullable type", "3.0.3", `{type: integer, nullable: true}`, `{"type": ["integer", "null"]}`},
		{"3.0 nullable enum", "3.0.3", `{enum: [a, b], nullable: true}`, `{"enum": ["a", "b", null]}`},
		{"3.0 nullable ref", "3.0.3", `{allOf: [{$ref: '#/components/schemas/Item'}], nullable: true}`,
			`{"anyOf": [{"allOf": [{"type": "object", "properties": {"id": {"type": "string"}}}]}, {"type": "null"}]}`},
		{"3.1 nullable is not a keyword", "3.1.0", `{type: integer, nullable: true}`, `{"type": "integer"}`},
		{"3.0 exclusive bounds", "3.0.3", `{type: number, minimum: 0, exclusiveMinimum: true, maximum: 9, exclusiveMaximum: false}`,
			`{"type": "number", "exclusiveMinimum": 0, "maximum": 9}`},
		{"3.1 exclusive bounds", "3.1.0", `{type: number, exclusiveMinimum: 0}`, `{"type": "number", "exclusiveMinimum": 0}`},
		{"example becomes examples", "3.0.3", `{type: string, example: abc}`, `{"type": "string", "examples": ["abc"]}`},
		{"large example left out", "3.1.0", `{type: string, examples: ["` + strings.Repeat("x", 300) + `", "y"]}`, `{"type": "string", "examples": ["y"]}`},
		{"oneOf becomes anyOf", "3.1.0", `{oneOf: [{type: string}, {type: integer}], discriminator: {propertyName: kind}}`,
			`{"anyOf": [{"type": "string"}, {"type": "integer"}]}`},
		{"readOnly properties left out", "3.1.0", `{type: object, required: [id, name], properties: {id: {type: string, readOnly: true}, name: {type: string, writeOnly: true}}}`,
			`{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}`},
		{"3.1 keywords", "3.1.0", `{type: [string, "null"], const: x, minLength: 1, maxLength: 3, pattern: '^x$', format: date, deprecated: true, contentMediaType: text/plain}`,
			`{"type": ["string", "null"], "const": "x", "minLength": 1, "maxLength": 3, "pattern": "^x$", "format": "date", "deprecated": true, "contentMediaType": "text/plain"}`},
		{"maps and tuples", "3.1.0", `{type: object, additionalProperties: {type: integer}, propertyNames: {pattern: '^[a-z]+$'}, patternProperties: {'^x-': {type: string}},
			dependentRequired: {a: [b, b]}}`,
			`{"type": "object", "additionalProperties": {"type": "integer"}, "propertyNames": {"pattern": "^[a-z]+$"},
			  "patternProperties": {"^x-": {"type": "string"}}, "dependentRequired": {"a": ["b"]}}`},
		{"arrays", "3.1.0", `{type: array, prefixItems: [{type: string}], items: false, minItems: 1, maxItems: 2, uniqueItems: true, contains: {const: 1}, minContains: 1}`,
			`{"type": "array", "prefixItems": [{"type": "string"}], "items": false, "minItems": 1, "maxItems": 2, "uniqueItems": true, "contains": {"const": 1}, "minContains": 1}`},
		{"unknown type left out", "3.0.3", `{type: date}`, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(doc31(idParam+`
post:
  summary: Create an item from the value the case under test describes.
  requestBody:
    content:
      application/json:
        schema:
          type: object
          properties:
            value: `+tt.schema+`
  responses: {'201': {description: ok}}`), "openapi: 3.1.0", "openapi: "+tt.version, 1)
			res := convert(t, doc, openapi.Options{})
			if len(res.Tools) != 1 {
				t.Fatalf("tools = %+v, skipped = %+v; want one tool", res.Tools, res.Skipped)
			}
			tl := res.Tools[0]
			var got struct {
				Properties map[string]any `json:"properties"`
			}
			if err := jsonUnmarshal(tl.Definition.InputSchema, &got); err != nil {
				t.Fatal(err)
			}
			value, err := jsonMarshal(got.Properties["value"])
			if err != nil {
				t.Fatal(err)
			}
			jsonEqual(t, "properties.value", value, tt.want)
			if !tl.Valid {
				t.Errorf("tool is not valid: %+v", tl.Warnings)
			}
		})
	}
}

func TestConvertNames(t *testing.T) {
	long := strings.Repeat("a", 70)
	doc := `openapi: 3.0.3
info: {title: Names, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /users/{userId}/repos:
    parameters: [{name: userId, in: path, required: true, schema: {type: string}}]
    get: {summary: List the repositories of one user., responses: {'200': {description: ok}}}
    post: {operationId: "repos.create", summary: Create a repository for one user., responses: {'201': {description: ok}}}
  /a:
    get: {operationId: ` + long + `, summary: An operation whose operationId is too long., responses: {'200': {description: ok}}}
    put: {operationId: ` + long + `b, summary: Another operation whose operationId is too long., responses: {'200': {description: ok}}}
    delete: {operationId: taken, summary: An operation whose name is taken in the workspace., responses: {'204': {description: ok}}}
    patch: {operationId: "taken", summary: The same operationId again, made unique., responses: {'204': {description: ok}}}
`
	taken := map[string]bool{"x_taken": true}
	res := convert(t, doc, openapi.Options{NamePrefix: "x_", ExistingNames: func(n string) bool { return taken[n] }})
	var got []string
	for _, tl := range res.Tools {
		got = append(got, tl.OperationID+" "+tl.Method+" "+tl.Definition.Name)
		if !tools.ValidName(tl.Definition.Name) {
			t.Errorf("name %q is not valid", tl.Definition.Name)
		}
	}
	cut := "x_" + strings.Repeat("a", 55)
	want := []string{
		long + " GET " + cut + "_" + hashTag("x_"+long),
		long + "b PUT " + cut + "_" + hashTag("x_"+long+"b"),
		"taken DELETE x_taken_2",
		"taken PATCH x_taken_3",
		" GET x_get_users_userId_repos",
		"repos.create POST x_repos_create",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}

func TestConvertFilters(t *testing.T) {
	doc := `openapi: 3.0.3
info: {title: Filters, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /repos:
    get: {operationId: repos/list, tags: [repos], summary: List the repositories of the caller., responses: {'200': {description: ok}}}
    post: {operationId: repos/create, tags: [repos], summary: Create a repository for the caller., responses: {'201': {description: ok}}}
  /issues:
    get: {tags: [issues], summary: List the issues assigned to the caller., responses: {'200': {description: ok}}}
`
	tests := []struct {
		name     string
		include  openapi.Include
		want     []string
		warnings []string
	}{
		{"all", openapi.Include{}, []string{"get_issues", "repos_list", "repos_create"}, nil},
		{"tag", openapi.Include{Tags: []string{"repos"}}, []string{"repos_list", "repos_create"}, nil},
		{"tag and method", openapi.Include{Tags: []string{"repos"}, Methods: []string{"get"}}, []string{"repos_list"}, nil},
		{"operations", openapi.Include{Operations: []string{"repos/create", "GET /issues", "nope"}}, []string{"get_issues", "repos_create"},
			[]string{`include.operations[2]: no operation "nope" in the document (give an operationId, or METHOD /path)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := convert(t, doc, openapi.Options{Include: tt.include})
			var got []string
			for _, tl := range res.Tools {
				got = append(got, tl.Definition.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tools (-want +got):\n%s", diff)
			}
			var warnings []string
			for _, w := range res.Warnings {
				warnings = append(warnings, w.Path+": "+w.Message)
			}
			if diff := cmp.Diff(tt.warnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if res.Summary.Operations != len(tt.want) {
				t.Errorf("summary = %+v, want %d operations", res.Summary, len(tt.want))
			}
		})
	}
}

func TestConvertOptionErrors(t *testing.T) {
	d, err := openapi.Parse([]byte(petStore30))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		opts  openapi.Options
		field string
	}{
		{openapi.Options{NamePrefix: "gh/"}, "name_prefix"},
		{openapi.Options{NamePrefix: strings.Repeat("p", 33)}, "name_prefix"},
		{openapi.Options{ConnectionName: "git hub"}, "connection.name"},
		{openapi.Options{BaseURL: "ftp://example.com"}, "connection.base_url"},
		{openapi.Options{Include: openapi.Include{Methods: []string{"FETCH"}}}, "include.methods[0]"},
	}
	for _, tt := range tests {
		_, err := openapi.Convert(d, tt.opts)
		oe, ok := err.(*openapi.OptionError)
		if !ok || oe.Field != tt.field {
			t.Errorf("Convert(%+v) = %v, want an OptionError for %s", tt.opts, err, tt.field)
		}
	}
	res, err := openapi.Convert(d, openapi.Options{ConnectionName: "pets", BaseURL: "https://proxy.example.com/pets"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res.Connection.Name, " ", res.Connection.BaseURL, " ", res.Tools[0].Definition.Connection); got != "pets https://proxy.example.com/pets pets" {
		t.Errorf("connection = %q, want the names given", got)
	}
}
