package flows

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInputAccept(t *testing.T) {
	tests := []struct {
		name    string
		schema  string
		text    string
		want    any
		ok      bool
		problem string
	}{
		{name: "no schema takes any text", schema: ``, text: "anything", want: "anything", ok: true},
		{name: "pattern matches", schema: `{"type": "string", "pattern": "^[A-Z0-9]{4,12}$"}`, text: "AB1234", want: "AB1234", ok: true},
		{name: "pattern fails", schema: `{"type": "string", "pattern": "^[A-Z0-9]{4,12}$"}`, text: "ab",
			problem: "must match the pattern ^[A-Z0-9]{4,12}$"},
		{name: "integer from text", schema: `{"type": "integer", "minimum": 1, "maximum": 5}`, text: " 3 ", want: int64(3), ok: true},
		{name: "integer out of range", schema: `{"type": "integer", "minimum": 1, "maximum": 5}`, text: "9",
			problem: "must be at most 5"},
		{name: "a string that spells a number stays a string", schema: `{"type": "string"}`, text: "42", want: "42", ok: true},
		{name: "boolean", schema: `{"type": "boolean"}`, text: "true", want: true, ok: true},
		{name: "enum", schema: `{"enum": ["yes", "no"]}`, text: "maybe", problem: `must be one of "yes" or "no"`},
		{name: "object from JSON", schema: `{"type": "object", "required": ["qty"], "properties": {"qty": {"type": "integer"}}}`,
			text: `{"qty": 2}`, want: map[string]any{"qty": int64(2)}, ok: true},
		{name: "$defs keep working", schema: `{"$defs": {"code": {"type": "string", "minLength": 2}}, "$ref": "#/$defs/code"}`,
			text: "AB", want: "AB", ok: true},
		{name: "$defs failing", schema: `{"$defs": {"code": {"type": "string", "minLength": 2}}, "$ref": "#/$defs/code"}`,
			text: "A", problem: "must be at least 2 characters long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := compileInputSchema(json.RawMessage(tt.schema))
			if err != nil {
				t.Fatalf("compileInputSchema: %v", err)
			}
			in := &compiledInput{schema: s}
			got, ok, problem := in.accept(tt.text)
			if ok != tt.ok || problem != tt.problem {
				t.Fatalf("accept(%q): ok %v problem %q; want ok %v problem %q", tt.text, ok, problem, tt.ok, tt.problem)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("value mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
