package apidoc_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/gateway/apidoc"
	"github.com/toolgate/toolgate/gateway/chat"
	"github.com/toolgate/toolgate/openapi"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// compiled compiles an object's schema with the JSON Schema library tools
// use.
func compiled(t *testing.T, name string) *schema.Schema {
	t.Helper()
	raw, ok := apidoc.Schema(name)
	if !ok {
		t.Fatalf("no schema %s", name)
	}
	s, err := schema.Compile(raw)
	if err != nil {
		t.Fatalf("the %s schema does not compile: %v", name, err)
	}
	return s
}

// TestSchemasAcceptAndRefuse validates files against the object schemas:
// what the API accepts passes, what it refuses (out of bounds, unknown
// members, wrong enums) fails.
func TestSchemasAcceptAndRefuse(t *testing.T) {
	tests := []struct {
		object, doc string
		valid       bool
	}{
		{"tool", `{"$schema": "https://gw.example.com/v1/schemas/tool.json", "name": "get_order", "description": "Look up an order once the caller gave its id.",
			"method": "GET", "connection": "shop", "path": "/orders/{{args.id}}", "timeout_ms": 5000,
			"input_schema": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
			"response": {"select": ["status"], "max_bytes": 2048}, "retry": {"max_attempts": 5}, "background": true}`, true},
		{"tool", `{"kind": "tool", "name": "get_order", "description": "Look up an order once the caller gave its id."}`, true},
		{"tool", `{"kind": "agent", "name": "get_order", "description": "Look up an order once the caller gave its id."}`, false},
		{"tool", `{"name": "x", "description": "d", "timeout_ms": 50}`, false},
		{"tool", `{"name": "x", "description": "d", "timeout_ms": 120001}`, false},
		{"tool", `{"name": "x", "description": "d", "method": "TRACE"}`, false},
		{"tool", `{"name": "x y", "description": "d"}`, false},
		{"tool", `{"name": "x", "description": "d", "retry": {"max_attempts": 11}}`, false},
		{"tool", `{"name": "x", "description": "d", "response": {"max_bytes": 2000000}}`, false},
		{"tool", `{"name": "x", "description": "d", "timeout": 100}`, false},
		{"tool", `{"description": "d"}`, false},
		{"connection", `{"name": "crm", "base_url": "https://crm.example.com", "headers": {"X-Client": "toolgate"},
			"auth": {"type": "oauth2_client_credentials", "token_url": "https://auth.example.com/token", "client_id": "abc", "scopes": ["read"]},
			"secrets": {"client_secret": "${CRM_SECRET}", "old": null}}`, true},
		{"connection", `{"name": "crm", "base_url": "https://crm.example.com", "auth": {"type": "kerberos"}}`, false},
		{"connection", `{"name": "crm", "base_url": "https://crm.example.com", "secrets": {"bad name": "x"}}`, false},
		{"connection", `{"name": "crm", "base_url": "https://crm.example.com", "auth": {"type": "api_key", "in": "cookie", "name": "k"}}`, false},
		{"agent", `{"name": "support", "instructions": "Be brief.", "tools": [{"name": "get_order"}, {"name": "refund", "version": 2}], "model": {"name": "gpt-4o-mini"}}`, true},
		{"agent", `{"name": "support", "tools": [{"name": "get order"}]}`, false},
		{"agent", `{"name": "support", "tools": [{"name": "x", "version": -1}]}`, false},
		{"agent", `{"name": "` + strings.Repeat("a", admin.AgentNameMax+1) + `"}`, false},
		{"flow", `{"start": "ask", "states": {
			"ask": {"message": "Order number?", "input": {"save_to": "order_id", "schema": {"type": "string"}}, "transitions": [{"to": "fetch"}]},
			"fetch": {"actions": [{"type": "API_CALL", "integration": "shop", "path": "/orders/{{variables.order_id}}", "save_to": "order",
				"on": {"status:404": "ask", "timeout": "done"}, "success_transition": "done", "failure_transition": "done"}]},
			"done": {"message": "Done.", "end": true}}}`, true},
		{"flow", `{"start": "a", "states": {"a": {"actions": [{"type": "HTTP"}]}}}`, false},
		{"flow", `{"start": "a", "states": {"a": {"actions": [{"type": "API_CALL", "on": {"status:700": "a"}}]}}}`, false},
		{"flow", `{"start": "a", "states": {"a": {"actions": [{"type": "API_CALL", "timeout_ms": 10}]}}}`, false},
	}
	for i, tt := range tests {
		s := compiled(t, tt.object)
		res, _, err := s.ValidateJSON([]byte(tt.doc))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if res.OK() != tt.valid {
			t.Errorf("%s #%d: valid = %v, want %v (%s)\n%s", tt.object, i, res.OK(), tt.valid, res, tt.doc)
		}
	}
}

// TestSchemaBoundsFromConstants pins the generated bounds and defaults to
// the constants the code validates with.
func TestSchemaBoundsFromConstants(t *testing.T) {
	tests := []struct {
		object, pointer string
		want            any
	}{
		{"tool", "/properties/timeout_ms/default", tools.TimeoutMSDefault},
		{"tool", "/properties/timeout_ms/minimum", tools.TimeoutMSMin},
		{"tool", "/properties/timeout_ms/maximum", tools.TimeoutMSMax},
		{"tool", "/properties/method/default", tools.MethodDefault},
		{"tool", "/properties/method/enum", tools.Methods},
		{"tool", "/properties/name/pattern", tools.NamePattern},
		{"tool", "/$defs/ToolResponse/properties/max_bytes/default", tools.MaxBytesDefault},
		{"tool", "/$defs/ToolResponse/properties/max_bytes/maximum", tools.ResponseMaxBytesMax},
		{"tool", "/$defs/ToolRetry/properties/max_attempts/default", tools.MaxAttemptsDefault},
		{"tool", "/$defs/ToolRetry/properties/max_attempts/maximum", tools.MaxAttemptsMax},
		{"connection", "/$defs/ConnectionAuth/properties/type/enum", tools.AuthTypes},
		{"connection", "/$defs/ConnectionAuth/properties/type/default", tools.AuthNone},
		{"agent", "/properties/name/maxLength", admin.AgentNameMax},
		{"flow", "/$defs/FlowAction/properties/save_to/default", flows.SaveToDefault},
		{"flow", "/$defs/FlowAction/properties/timeout_ms/maximum", tools.TimeoutMSMax},
		{"flow", "/$defs/FlowAction/properties/on/propertyNames/pattern", flows.OnKeyPattern()},
	}
	for _, tt := range tests {
		raw, _ := apidoc.Schema(tt.object)
		got := at(t, raw, tt.pointer)
		want, _ := json.Marshal(tt.want)
		var wantV any
		_ = json.Unmarshal(want, &wantV)
		if diff := cmp.Diff(wantV, got); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tt.object, tt.pointer, diff)
		}
	}
	// The chat runner's bounds are documented in the reference.
	if chat.MaxStepsDefault < 1 || chat.MaxStepsMax < chat.MaxStepsDefault {
		t.Errorf("chat bounds %d, %d", chat.MaxStepsDefault, chat.MaxStepsMax)
	}
}

// at returns the value at a JSON pointer of a document.
func at(t *testing.T, raw []byte, pointer string) any {
	t.Helper()
	var cur any
	if err := json.Unmarshal(raw, &cur); err != nil {
		t.Fatal(err)
	}
	for _, key := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: %q is not in an object", pointer, key)
		}
		cur = m[key]
	}
	return cur
}

// TestImportedToolsMatchTheSchema validates the drafts the OpenAPI import
// makes of @readme/oas-examples' documents against the tool schema: what
// toolgate writes, its schema describes.
func TestImportedToolsMatchTheSchema(t *testing.T) {
	root := filepath.Join("..", "..", "e2e", "node_modules", "@readme", "oas-examples")
	files, _ := filepath.Glob(filepath.Join(root, "*", "json", "*.json"))
	if len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no documents in %s: run npm ci in e2e/", root)
		}
		t.Skipf("no documents in %s: run npm ci in e2e/ to check imported drafts against the schema", root)
	}
	s := compiled(t, "tool")
	n := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := openapi.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		res, err := openapi.Convert(doc, openapi.Options{})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, tl := range res.Tools {
			def := tl.Definition
			def.Origin = &tools.Origin{OperationID: tl.OperationID, Method: tl.Method, Path: tl.Path}
			raw, _ := json.Marshal(def)
			if r, _, err := s.ValidateJSON(raw); err != nil || !r.OK() {
				t.Errorf("%s: %s does not match the tool schema: %v %v", file, def.Name, err, r)
			}
			n++
		}
	}
	t.Logf("%d imported drafts of %d documents match the tool schema", n, len(files))
}
