package schema

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompileRefusesInvalidSchemas(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   CompileError
	}{
		{
			name:   "malformed JSON",
			schema: `{"type":"object",`,
			want:   CompileError{Path: "input_schema", Message: "is not valid JSON: unexpected end of JSON input"},
		},
		{
			name:   "root is an array",
			schema: `[]`,
			want:   CompileError{Path: "input_schema", Message: `must be a JSON object such as {"type":"object","properties":{...}}`},
		},
		{
			name:   "root type missing",
			schema: `{"properties":{"a":{"type":"string"}}}`,
			want:   CompileError{Path: "input_schema.type", Message: `is missing: the root schema must declare "type": "object", because tool arguments are always a JSON object`},
		},
		{
			name:   "root type string",
			schema: `{"type":"string"}`,
			want:   CompileError{Path: "input_schema.type", Message: `must be "object", not "string": tool arguments are always a JSON object`},
		},
		{
			name:   "bad type keyword",
			schema: `{"type":"object","properties":{"age":{"type":"int"}}}`,
			want:   CompileError{Path: "input_schema.properties.age.type", Message: `must be one of "array", "boolean", "integer", "null", "number", "object" or "string"`},
		},
		{
			name:   "bad type inside an array of schemas",
			schema: `{"type":"object","anyOf":[{"required":["a"]},{"type":3}]}`,
			want:   CompileError{Path: "input_schema.anyOf[1].type", Message: `must be one of "array", "boolean", "integer", "null", "number", "object" or "string"`},
		},
		{
			name:   "bad regex pattern",
			schema: `{"type":"object","properties":{"code":{"type":"string","pattern":"[a-"}}}`,
			want:   CompileError{Path: "input_schema.properties.code.pattern", Message: "must be a valid regular expression: error parsing regexp: missing closing ]: `[a-`"},
		},
		{
			name:   "minimum is not a number",
			schema: `{"type":"object","properties":{"age":{"type":"integer","minimum":"18"}}}`,
			want:   CompileError{Path: "input_schema.properties.age.minimum", Message: "must be a number (got a string)"},
		},
		{
			name:   "required is not an array",
			schema: `{"type":"object","required":"name"}`,
			want:   CompileError{Path: "input_schema.required", Message: "must be an array (got a string)"},
		},
		{
			name:   "remote ref",
			schema: `{"type":"object","properties":{"x":{"$ref":"https://example.com/x.json"}}}`,
			want:   CompileError{Path: "input_schema.properties.x.$ref", Message: `refers to "https://example.com/x.json", outside this schema; remote references are not allowed: define it under $defs and refer to it as #/$defs/name`},
		},
		{
			name:   "relative file ref",
			schema: `{"type":"object","properties":{"x":{"$ref":"other.json#/a"}}}`,
			want:   CompileError{Path: "input_schema.properties.x.$ref", Message: `refers to "other.json", outside this schema; remote references are not allowed: define it under $defs and refer to it as #/$defs/name`},
		},
		{
			name:   "dangling local ref",
			schema: `{"type":"object","properties":{"x":{"$ref":"#/$defs/nope"}}}`,
			want:   CompileError{Path: "input_schema.properties.x.$ref", Message: `refers to "#/$defs/nope", which does not exist in this schema`},
		},
		{
			name:   "unknown metaschema",
			schema: `{"$schema":"https://example.com/meta","type":"object"}`,
			want:   CompileError{Path: "input_schema.$schema", Message: `names the unknown metaschema "https://example.com/meta"; use https://json-schema.org/draft/2020-12/schema or leave $schema out`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compile(json.RawMessage(tt.schema))
			if err == nil {
				t.Fatalf("Compile(%s) = %v, want error", tt.schema, s)
			}
			var got *CompileError
			if !errors.As(err, &got) {
				t.Fatalf("Compile(%s) error = %T %v, want *CompileError", tt.schema, err, err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("Compile(%s) error mismatch (-want +got):\n%s", tt.schema, diff)
			}
			if want := tt.want.Path + ": " + tt.want.Message; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestCompileNormalizesEmptySchemas(t *testing.T) {
	for _, raw := range []string{"", "  ", "null", "{}", "{ }"} {
		s, err := Compile(json.RawMessage(raw))
		if err != nil {
			t.Fatalf("Compile(%q): %v", raw, err)
		}
		if got, want := string(s.Raw()), `{"type":"object"}`; got != want {
			t.Errorf("Compile(%q).Raw() = %s, want %s", raw, got, want)
		}
		if r := s.Validate(map[string]any{"anything": 1}); !r.OK() {
			t.Errorf("Compile(%q).Validate(object) = %v, want valid", raw, r)
		}
		if r := s.Validate("text"); r.OK() {
			t.Errorf("Compile(%q).Validate(string) is valid, want an issue", raw)
		}
	}
}

func TestCompileAcceptsOtherDrafts(t *testing.T) {
	s, err := Compile(json.RawMessage(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"n":{"type":"integer"}}}`))
	if err != nil {
		t.Fatalf("Compile(draft-07): %v", err)
	}
	if r := s.Validate(map[string]any{"n": "x"}); r.OK() {
		t.Errorf("Validate({n: x}) is valid, want an issue")
	}
}

func TestSchemaAccessors(t *testing.T) {
	raw := `{
		"type": "object",
		"properties": {
			"phone_number": {"type": "string"},
			"name": {"type": "string"},
			"email": {"type": "string", "format": "email"}
		},
		"required": ["phone_number", "name"]
	}`
	s, err := Compile(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"phone_number", "name", "email"}, s.Properties()); diff != "" {
		t.Errorf("Properties() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"phone_number", "name"}, s.Required()); diff != "" {
		t.Errorf("Required() mismatch (-want +got):\n%s", diff)
	}
	for name, want := range map[string]bool{"email": true, "phone_number": false, "unknown": false} {
		if got := s.Optional(name); got != want {
			t.Errorf("Optional(%q) = %v, want %v", name, got, want)
		}
	}
	want := `{"type":"object","properties":{"phone_number":{"type":"string"},"name":{"type":"string"},"email":{"type":"string","format":"email"}},"required":["phone_number","name"]}`
	if got := string(s.Raw()); got != want {
		t.Errorf("Raw() = %s, want %s", got, want)
	}

	// The accessors hand out copies: changing them changes nothing.
	s.Properties()[0] = "changed"
	s.Required()[0] = "changed"
	s.Raw()[0] = '['
	if s.Properties()[0] != "phone_number" || s.Required()[0] != "phone_number" || s.Raw()[0] != '{' {
		t.Errorf("Schema was changed through an accessor's result")
	}
}

func TestMustCompilePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("MustCompile of an invalid schema did not panic")
		}
	}()
	MustCompile(json.RawMessage(`{"type":"array"}`))
}
