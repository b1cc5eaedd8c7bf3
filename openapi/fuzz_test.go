package openapi_test

import (
	"errors"
	"testing"

	"github.com/toolgate/toolgate/openapi"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// FuzzImport checks that any document is either refused with a
// *DocumentError or converted into tools with valid names and input
// schemas that compile, never a panic.
func FuzzImport(f *testing.F) {
	f.Add(petStore30)
	f.Add(doc31(idParam + `
post:
  requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
  responses: {'200': {description: ok, content: {application/json: {schema: {$ref: 'other.json#/X'}}}}}`))
	f.Add(`{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "host": "api.example.com",
		"paths": {"/a/{b}": {"post": {"parameters": [{"name": "b", "in": "path", "required": true, "type": "string"},
		{"name": "f", "in": "formData", "type": "file"}], "responses": {"200": {"description": "ok"}}}}},
		"definitions": {"N": {"type": "object", "properties": {"next": {"$ref": "#/definitions/N"}}}}}`)
	f.Add("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get: &op {responses: {200: {description: ok}}}\n    put: *op\n")
	f.Add(`{"openapi": "3.0.0", "paths": {"/a": {"$ref": "#/paths/~1a"}}}`)
	f.Fuzz(func(t *testing.T, data string) {
		doc, err := openapi.Parse([]byte(data))
		if err != nil {
			var de *openapi.DocumentError
			if !errors.As(err, &de) {
				t.Fatalf("Parse error %T %v, want *DocumentError", err, err)
			}
			return
		}
		res, err := openapi.Convert(doc, openapi.Options{})
		if err != nil {
			t.Fatalf("Convert: %v", err)
		}
		for _, tl := range res.Tools {
			if !tools.ValidName(tl.Definition.Name) {
				t.Errorf("tool name %q is not valid", tl.Definition.Name)
			}
			if _, err := schema.Compile(tl.Definition.InputSchema); err != nil {
				t.Errorf("%s: input_schema does not compile: %v\n%s", tl.Definition.Name, err, tl.Definition.InputSchema)
			}
		}
	})
}
