package openapi_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/openapi"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want openapi.DocumentError // Message is matched as a substring
	}{
		{
			name: "JSON syntax",
			doc:  "{\n  \"openapi\": \"3.0.0\",\n  \"info\": {\"title\": \"x\" \"version\": \"1\"}\n}",
			want: openapi.DocumentError{Line: 3, Column: 25, Message: "invalid JSON"},
		},
		{
			name: "JSON cut short",
			doc:  "{\n  \"openapi\": \"3.0.0\",\n",
			want: openapi.DocumentError{Line: 3, Column: 1, Message: "ends too early"},
		},
		{
			name: "JSON trailing data",
			doc:  `{"openapi": "3.0.0"} {}`,
			want: openapi.DocumentError{Line: 1, Column: 22, Message: "after the end"},
		},
		{
			name: "YAML syntax",
			doc:  "openapi: 3.0.0\ninfo:\n  title: [unclosed\n  version: 1\n",
			want: openapi.DocumentError{Line: 4, Message: "invalid YAML"},
		},
		{
			name: "YAML repeated key",
			doc:  "openapi: 3.0.0\ninfo: {}\ninfo: {}\n",
			want: openapi.DocumentError{Line: 3, Message: "info"},
		},
		{
			name: "not an object",
			doc:  "- 1\n- 2\n",
			want: openapi.DocumentError{Message: "must be an object"},
		},
		{
			name: "no version",
			doc:  `{"info": {"title": "x", "version": "1"}, "paths": {}}`,
			want: openapi.DocumentError{Message: "neither"},
		},
		{
			name: "OpenAPI 4",
			doc:  `{"openapi": "4.0.0", "info": {"title": "x", "version": "1"}, "paths": {}}`,
			want: openapi.DocumentError{Pointer: "/openapi", Message: "not supported"},
		},
		{
			name: "Swagger 1.2",
			doc:  `{"swagger": "1.2"}`,
			want: openapi.DocumentError{Pointer: "/swagger", Message: `must be "2.0"`},
		},
		{
			name: "paths not an object",
			doc:  `{"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": []}`,
			want: openapi.DocumentError{Pointer: "/paths", Message: "must be an object"},
		},
		{
			name: "parameters not a list",
			doc:  `{"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"parameters": {"a": 1}, "responses": {}}}}}`,
			want: openapi.DocumentError{Pointer: "/paths/~1a/get/parameters", Message: "openapi3.Parameters"},
		},
		{
			name: "schema keyword of the wrong type",
			doc: `{"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {"description": "ok",
				"content": {"application/json": {"schema": {"properties": {"a": {"minLength": "x"}}}}}}}}}}}`,
			want: openapi.DocumentError{Pointer: "/paths/~1a/get/responses/200/content/application~1json/schema/properties/a/minLength", Message: "uint64"},
		},
		{
			name: "Swagger structure",
			doc:  `{"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"parameters": {"a": 1}}}}}`,
			want: openapi.DocumentError{Message: "parameters"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := openapi.Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse = %v, want an error", doc)
			}
			var de *openapi.DocumentError
			if !errors.As(err, &de) {
				t.Fatalf("error %T (%v), want *DocumentError", err, err)
			}
			if !strings.Contains(de.Message, tt.want.Message) {
				t.Errorf("message %q, want it to contain %q", de.Message, tt.want.Message)
			}
			got := openapi.DocumentError{Line: de.Line, Column: de.Column, Pointer: de.Pointer, Message: tt.want.Message}
			if tt.want.Column == 0 {
				got.Column = 0
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("place (-want +got):\n%s\nerror: %v", diff, err)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	data := make([]byte, openapi.MaxDocumentBytes+1)
	_, err := openapi.Parse(data)
	var de *openapi.DocumentError
	if !errors.As(err, &de) || !strings.Contains(de.Message, "at most") {
		t.Fatalf("Parse(%d bytes) = %v, want a *DocumentError about the size", len(data), err)
	}
}

// TestParseYAMLShapes checks the YAML forms JSON has no word for: response
// codes written as numbers, anchors and merge keys.
func TestParseYAMLShapes(t *testing.T) {
	const doc = `
openapi: 3.0.3
info: {title: Shapes, version: "1"}
servers: [{url: "https://api.example.com"}]
x-common: &common
  type: string
  minLength: 2
paths:
  /things:
    get:
      operationId: listThings
      summary: List the things, optionally filtered by a name.
      parameters:
        - name: name
          in: query
          schema:
            <<: *common
            maxLength: 5
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {count: {type: integer}}}
`
	d, err := openapi.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Version(), "3.0.3"; got != want {
		t.Errorf("Version() = %q, want %q", got, want)
	}
	if got, want := d.Title(), "Shapes"; got != want {
		t.Errorf("Title() = %q, want %q", got, want)
	}
	res, err := openapi.Convert(d, openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tools) != 1 {
		t.Fatalf("tools = %+v, want one", res)
	}
	def := res.Tools[0].Definition
	wantSchema := `{"type":"object","properties":{"name":{"type":"string","minLength":2,"maxLength":5}}}`
	if got := string(def.InputSchema); got != wantSchema {
		t.Errorf("input_schema = %s\nwant %s", got, wantSchema)
	}
	wantOut := `{"type":"object","properties":{"count":{"type":"integer"}}}`
	if got := string(def.OutputSchema); got != wantOut {
		t.Errorf("output_schema (from response code 200 written as a number) = %s\nwant %s", got, wantOut)
	}
}
