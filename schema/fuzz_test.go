package schema

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzCompile checks that any schema text either compiles or is refused with
// a *CompileError, never a panic or another error type.
func FuzzCompile(f *testing.F) {
	f.Add(benchSchema)
	f.Add(`{"type":"object","properties":{"a":{"$ref":"#/$defs/a"}},"$defs":{"a":{"type":"string","pattern":"^x"}}}`)
	f.Add(`{"type":"object","properties":{"x":{"$ref":"http://169.254.169.254/"}}}`)
	f.Add(`{"type":"object","anyOf":[{"type":3}]}`)
	f.Add(`[]`)
	f.Add(nestedSchema(MaxSchemaDepth + 1))
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := Compile(json.RawMessage(raw))
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile(%q) error %T %v, want *CompileError", raw, err, err)
			}
			return
		}
		if !json.Valid(s.Raw()) {
			t.Errorf("Compile(%q).Raw() = %q, not valid JSON", raw, s.Raw())
		}
	})
}

// FuzzValidateJSON checks that any argument text is either refused as
// malformed or validated, with every issue carrying a message.
func FuzzValidateJSON(f *testing.F) {
	s := MustCompile(json.RawMessage(leadSchema))
	f.Add(`{"phone_number": "5551234"}`)
	f.Add(`{"items": [{"id": "x"}, {}], "address": {"zip": 1}, "reach": {}}`)
	f.Add(`{"a.b": {"c d": 1}, "": null}`)
	f.Add(`[1, 2, {"x": 1e999}]`)
	f.Fuzz(func(t *testing.T, data string) {
		r, _, err := s.ValidateJSON([]byte(data))
		if err != nil {
			if !errors.Is(err, ErrInvalidJSON) {
				t.Fatalf("ValidateJSON(%q) error = %v, want ErrInvalidJSON", data, err)
			}
			return
		}
		if r.OK() {
			return
		}
		for _, is := range r.Issues {
			if is.Message == "" {
				t.Errorf("ValidateJSON(%q) issue at %q has no message", data, is.Path)
			}
		}
	})
}
