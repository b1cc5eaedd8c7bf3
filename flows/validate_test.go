package flows

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/tools"
)

// nameLookup answers from fixed sets of names.
type nameLookup struct {
	connections map[string]bool
	tools       map[string]bool
	err         error
	calls       int
}

func (l *nameLookup) ConnectionExists(_ context.Context, name string) (bool, error) {
	l.calls++
	return l.connections[name], l.err
}

func (l *nameLookup) ToolPublished(_ context.Context, name string) (bool, error) {
	l.calls++
	return l.tools[name], l.err
}

func newLookup() *nameLookup {
	return &nameLookup{connections: map[string]bool{"my_backend": true, "analytics": true}, tools: map[string]bool{"get_order": true}}
}

func TestValidateIssueExampleIsClean(t *testing.T) {
	def, err := Decode([]byte(issueExample))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	got, err := Validate(t.Context(), def, newLookup())
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := &Report{Valid: true, Errors: []tools.FieldError{}, Warnings: []tools.FieldError{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report mismatch (-want +got):\n%s", diff)
	}
}

func TestValidate(t *testing.T) {
	type fe = tools.FieldError
	tests := []struct {
		name     string
		json     string
		errors   []fe
		warnings []fe
	}{
		{
			name:   "no start",
			json:   `{"states": {"a": {"end": true}}}`,
			errors: []fe{{Path: "start", Message: "is required: name the state a session begins in"}},
		},
		{
			name:   "unknown start",
			json:   `{"start": "nope", "states": {"a": {"end": true}}}`,
			errors: []fe{{Path: "start", Message: `names no state ("nope")`}},
		},
		{
			name: "targets naming no state",
			json: `{"start": "a", "states": {
				"a": {"transitions": [{"if": "true", "to": "b"}, {"to": "ghost"}],
				      "actions": [{"type": "API_CALL", "integration": "my_backend", "path": "/x",
				                   "success_transition": "gone", "failure_transition": "lost",
				                   "on": {"status:404": "missing", "timeout": "b"}}]},
				"b": {"end": true}}}`,
			errors: []fe{
				{Path: "states.a.actions[0].success_transition", Message: `names no state ("gone")`},
				{Path: "states.a.actions[0].failure_transition", Message: `names no state ("lost")`},
				{Path: "states.a.actions[0].on.status:404", Message: `names no state ("missing")`},
				{Path: "states.a.transitions[1].to", Message: `names no state ("ghost")`},
			},
		},
		{
			name: "unknown integration, connection synonym and tool",
			json: `{"start": "a", "states": {"a": {"end": true, "actions": [
				{"type": "API_CALL", "integration": "nope", "path": "/x"},
				{"type": "API_CALL", "connection": "also_nope", "path": "/x"},
				{"type": "API_CALL", "connection": "my_backend", "path": "/x"},
				{"type": "API_CALL", "tool": "ghost_tool"},
				{"type": "API_CALL", "tool": "get_order", "args": {"order_id": "{{variables.order_id}}"}}]}}}`,
			errors: []fe{
				{Path: "states.a.actions[0].integration", Message: `no integration (connection) named "nope" in this workspace`},
				{Path: "states.a.actions[1].connection", Message: `no integration (connection) named "also_nope" in this workspace`},
				{Path: "states.a.actions[3].tool", Message: `no published tool named "ghost_tool" that this agent may call`},
			},
			warnings: []fe{{Path: "states.a.actions[4].args.order_id", Message: "{{variables.order_id}} is set by no input or action; it has a value only if the session starts with it"}},
		},
		{
			name: "url with integration, path without integration",
			json: `{"start": "a", "states": {"a": {"end": true, "actions": [
				{"type": "API_CALL", "integration": "my_backend", "url": "https://api.example.com/x"},
				{"type": "API_CALL", "path": "/orders"}]}}}`,
			errors: []fe{
				{Path: "states.a.actions[0].url", Message: "give either url or integration + path, not both"},
				{Path: "states.a.actions[1].integration", Message: "is required: name a saved integration (or give url, or name a tool)"},
				{Path: "states.a.actions[1].path", Message: "applies only with an integration"},
			},
		},
		{
			name:   "action type other than API_CALL",
			json:   `{"start": "a", "states": {"a": {"end": true, "actions": [{"type": "SEND_EMAIL"}]}}}`,
			errors: []fe{{Path: "states.a.actions[0].type", Message: `must be "API_CALL"`}},
		},
		{
			name: "CEL that does not compile, or is not boolean",
			json: `{"start": "a", "states": {"a": {"transitions": [
				{"if": "variables.order.status ==", "to": "a"},
				{"if": "variables.count + 1", "to": "a"},
				{"if": "unknown_name == 1", "to": "a"},
				{"to": "a"}]}}}`,
			errors: []fe{
				{Path: "states.a.transitions[0].if", Message: "is not a valid CEL expression: ERROR: <input>:1:26: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER} | variables.order.status == | .........................^"},
				{Path: "states.a.transitions[1].if", Message: "must be a boolean condition, not int"},
				{Path: "states.a.transitions[2].if", Message: "is not a valid CEL expression: ERROR: <input>:1:1: undeclared reference to 'unknown_name' (in container '') | unknown_name == 1 | ^"},
			},
		},
		{
			name: "invalid input schema",
			json: `{"start": "a", "states": {"a": {"input": {"save_to": "n", "schema": {"type": "strin"}}, "transitions": [{"to": "a"}]},
				"b": {"input": {"schema": {"type": "string", "minLength": "3"}}, "end": true},
				"c": {"input": {"schema": "string"}, "end": true}}}`,
			errors: []fe{
				{Path: "states.a.input.schema.type", Message: `must be one of "array", "boolean", "integer", "null", "number", "object" or "string"`},
				{Path: "states.b.input.schema.minLength", Message: "must be an integer (got a string)"},
				{Path: "states.c.input.schema", Message: `must be a JSON Schema object, such as {"type": "string"}`},
			},
			warnings: []fe{
				{Path: "states.b", Message: `cannot be reached from the start state "a"`},
				{Path: "states.c", Message: `cannot be reached from the start state "a"`},
			},
		},
		{
			name: "fire_and_forget with save_to and routes",
			json: `{"start": "a", "states": {"a": {"actions": [{"type": "API_CALL", "integration": "analytics", "path": "/events",
				"method": "POST", "fire_and_forget": true, "save_to": "x", "success_transition": "b",
				"failure_transition": "b", "on": {"timeout": "b"}}], "transitions": [{"to": "b"}]},
				"b": {"end": true}}}`,
			errors: []fe{
				{Path: "states.a.actions[0].save_to", Message: "does not apply with fire_and_forget, which waits for no answer; remove it (the state's own transitions still apply)"},
				{Path: "states.a.actions[0].success_transition", Message: "does not apply with fire_and_forget, which waits for no answer; remove it (the state's own transitions still apply)"},
				{Path: "states.a.actions[0].failure_transition", Message: "does not apply with fire_and_forget, which waits for no answer; remove it (the state's own transitions still apply)"},
				{Path: "states.a.actions[0].on", Message: "does not apply with fire_and_forget, which waits for no answer; remove it (the state's own transitions still apply)"},
			},
		},
		{
			name: "unreachable state and no fallback",
			json: `{"start": "greeting", "states": {
				"greeting": {"message": "Hi! 1 for orders", "input": {}, "transitions": [{"if": "message == '1'", "to": "done"}]},
				"orphan": {"message": "never shown", "transitions": [{"to": "done"}]},
				"done": {"end": true}}}`,
			warnings: []fe{
				{Path: "states.orphan", Message: `cannot be reached from the start state "greeting"`},
				{Path: "states.greeting.transitions", Message: "No fallback transition defined - users may get stuck."},
			},
		},
		{
			name: "body on GET and DELETE, unset variables",
			json: `{"start": "a", "states": {"a": {"message": "Hello {{variables.contact_name}}", "actions": [
				{"type": "API_CALL", "integration": "my_backend", "path": "/x/{{variables.order_id}}", "body": {"a": 1}},
				{"type": "API_CALL", "integration": "my_backend", "path": "/x", "method": "DELETE", "body": {"a": 1}},
				{"type": "API_CALL", "integration": "my_backend", "path": "/x/{{variables.response.id}}/{{variables.api_status}}"}],
				"end": true}}}`,
			warnings: []fe{
				{Path: "states.a.actions[0].body", Message: "is ignored: GET requests send no body"},
				{Path: "states.a.actions[1].body", Message: "is ignored: DELETE requests send no body"},
				{Path: "states.a.message", Message: "{{variables.contact_name}} is set by no input or action; it has a value only if the session starts with it"},
				{Path: "states.a.actions[0].path", Message: "{{variables.order_id}} is set by no input or action; it has a value only if the session starts with it"},
			},
		},
		{
			name: "an action routing every outcome is a fallback",
			json: `{"start": "a", "states": {
				"a": {"actions": [{"type": "API_CALL", "integration": "my_backend", "path": "/x", "success_transition": "b", "failure_transition": "b"}]},
				"b": {"actions": [{"type": "API_CALL", "integration": "my_backend", "path": "/x", "success_transition": "a"}]}}}`,
			warnings: []fe{{Path: "states.b.transitions", Message: "No fallback transition defined - users may get stuck."}},
		},
		{
			name: "templates: roots, secrets and credential headers",
			json: `{"start": "a", "states": {"a": {"end": true,
				"message": "Your key is {{secret.api_key}} and {{conn.region}} {{args.x}}",
				"actions": [
					{"type": "API_CALL", "url": "https://api.example.com/{{conn.region}}", "headers": {"Authorization": "Bearer {{variables.token}}"}},
					{"type": "API_CALL", "integration": "my_backend", "path": "/{{variables.x", "headers": {"X-Toolgate-State": "x"}},
					{"type": "API_CALL", "integration": "my_backend", "path": "/x", "on": {"4xx": "a", "status:99": "a"}, "save_to": "a b"}]}}}`,
			errors: []fe{
				{Path: "states.a.message", Message: "{{secret.api_key}} cannot be used here; use {{variables.*}} or {{context.*}}"},
				{Path: "states.a.message", Message: "{{conn.region}} cannot be used here; use {{variables.*}} or {{context.*}}"},
				{Path: "states.a.message", Message: "{{args.x}} cannot be used here; use {{variables.*}} or {{context.*}}"},
				{Path: "states.a.actions[0].url", Message: "{{conn.region}} needs an integration"},
				{Path: "states.a.actions[0].headers.Authorization", Message: "a credential header cannot come from {{variables.token}}; use {{secret.*}}"},
				{Path: "states.a.actions[1].headers.X-Toolgate-State", Message: "is set by the gateway and cannot be configured"},
				{Path: "states.a.actions[1].path", Message: "template at offset 1: unclosed {{: every {{ needs a matching }}"},
				{Path: "states.a.actions[2].save_to", Message: "must match ^[a-zA-Z0-9_-]{1,64}$"},
				{Path: "states.a.actions[2].on.4xx", Message: "must be an outcome (success, client_error, server_error, timeout, network_error, blocked, auth_error, config_error, invalid_arguments) or status:NNN"},
				{Path: "states.a.actions[2].on.status:99", Message: "must be an outcome (success, client_error, server_error, timeout, network_error, blocked, auth_error, config_error, invalid_arguments) or status:NNN"},
			},
			warnings: []fe{{Path: "states.a.actions[0].headers.Authorization", Message: "{{variables.token}} is set by no input or action; it has a value only if the session starts with it"}},
		},
		{
			name: "optional context values as the whole value of a header or body field",
			json: `{"start": "a", "states": {"a": {"end": true, "actions": [
				{"type": "API_CALL", "integration": "my_backend", "path": "/x", "method": "POST",
				 "headers": {"X-Tenant": "{{context.tenant?}}"}, "body": {"tenant": "{{ context.tenant? }}", "n": {"deep": "{{context.n?}}"}}},
				{"type": "API_CALL", "url": "https://api.example.com/x", "headers": {"X-Tenant": "{{context.tenant?}}"}},
				{"type": "API_CALL", "tool": "get_order", "args": {"order_id": "{{variables.x}}", "tenant": "{{context.tenant?}}"}}]}}}`,
			warnings: []fe{{Path: "states.a.actions[2].args.order_id", Message: "{{variables.x}} is set by no input or action; it has a value only if the session starts with it"}},
		},
		{
			name: "optional context values anywhere else",
			json: `{"start": "a", "states": {"a": {"end": true, "message": "Hi {{context.tenant?}}", "actions": [
				{"type": "API_CALL", "integration": "my_backend", "path": "/x/{{context.tenant?}}"},
				{"type": "API_CALL", "url": "https://api.example.com/x", "headers": {"X-Tenant": "t-{{context.tenant?}}"}},
				{"type": "API_CALL", "integration": "my_backend", "path": "/x", "method": "POST", "body": {"tenant": "t-{{context.tenant?}}"}},
				{"type": "API_CALL", "integration": "my_backend", "path": "/x", "headers": {"X-Order": "{{variables.order?}}"}},
				{"type": "API_CALL", "tool": "get_order", "args": {"order": {"tenants": ["{{context.tenant?}}"]}}}]}}}`,
			errors: []fe{
				{Path: "states.a.message", Message: "template {{context.tenant?}} at offset 3: " + optionalNotWhole},
				{Path: "states.a.actions[0].path", Message: "template {{context.tenant?}}: " + optionalNotWhole},
				{Path: "states.a.actions[1].headers.X-Tenant", Message: "template {{context.tenant?}}: " + optionalNotWhole},
				{Path: "states.a.actions[2].body.tenant", Message: "template {{context.tenant?}}: " + optionalNotWhole},
				{Path: "states.a.actions[3].headers.X-Order", Message: "template {{variables.order?}} at offset 0: only a context placeholder can be optional ({{context.x?}}); an argument is optional when input_schema does not require it"},
				{Path: "states.a.actions[4].args.order.tenants[0]", Message: "template {{context.tenant?}}: " + optionalNotWhole},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateJSON(t.Context(), []byte(tt.json), newLookup())
			if err != nil {
				t.Fatalf("ValidateJSON: %v", err)
			}
			want := &Report{Valid: len(tt.errors) == 0, Errors: orEmpty(tt.errors), Warnings: orEmpty(tt.warnings)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("report mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// optionalNotWhole is why tools refuses {{context.x?}} where no field is
// left out without it.
const optionalNotWhole = "an optional placeholder ({{context.x?}}) must be the whole value of a header, a query parameter or a body object field, which is left out when the context has no such value; write it without ? here"

func TestValidateJSONReportsDecodeErrors(t *testing.T) {
	got, err := ValidateJSON(t.Context(), []byte(`{"start": "a", "states": {"a": {"messsage": "hi"}}}`), newLookup())
	if err != nil {
		t.Fatalf("ValidateJSON: %v", err)
	}
	if got.Valid || len(got.Errors) != 1 || got.Errors[0].Path != "states.a.messsage" {
		t.Errorf("got %+v, want one error at states.a.messsage", got)
	}
}

func TestValidateLookupErrorsAndCaching(t *testing.T) {
	def, err := Decode([]byte(`{"start": "a", "states": {"a": {"end": true, "actions": [
		{"type": "API_CALL", "integration": "my_backend", "path": "/1"},
		{"type": "API_CALL", "integration": "my_backend", "path": "/2"},
		{"type": "API_CALL", "connection": "my_backend", "path": "/3"}]}}}`))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	l := newLookup()
	if _, err := Validate(t.Context(), def, l); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if l.calls != 1 {
		t.Errorf("lookups: %d, want 1 (one per name)", l.calls)
	}
	boom := errors.New("store down")
	l = newLookup()
	l.err = boom
	if _, err := Validate(t.Context(), def, l); !errors.Is(err, boom) {
		t.Errorf("Validate with a failing lookup: got %v, want %v", err, boom)
	}
}
