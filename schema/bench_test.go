package schema

import (
	"encoding/json"
	"testing"
)

// benchSchema is a typical four-field tool schema: a string with a format, an
// integer with a minimum, an enum and a boolean.
const benchSchema = `{
	"type": "object",
	"properties": {
		"email": {"type": "string", "format": "email"},
		"age": {"type": "integer", "minimum": 18},
		"plan": {"enum": ["free", "pro", "team"]},
		"newsletter": {"type": "boolean"}
	},
	"required": ["email", "age"]
}`

func BenchmarkValidate(b *testing.B) {
	s := MustCompile(json.RawMessage(benchSchema))
	cases := []struct {
		name string
		args string
	}{
		{"valid", `{"email": "ada@example.com", "age": 36, "plan": "pro", "newsletter": true}`},
		{"invalid", `{"email": "ada-at-example.com", "age": 12, "plan": "gold", "newsletter": "yes"}`},
		{"missing", `{"plan": "pro"}`},
	}
	for _, c := range cases {
		var args any
		if err := json.Unmarshal([]byte(c.args), &args); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Validate(args)
			}
		})
	}
}

func BenchmarkValidateJSON(b *testing.B) {
	s := MustCompile(json.RawMessage(benchSchema))
	data := []byte(`{"email": "ada@example.com", "age": 36, "plan": "pro", "newsletter": true}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.ValidateJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	raw := json.RawMessage(benchSchema)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(raw); err != nil {
			b.Fatal(err)
		}
	}
}
