package schema

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzExport checks that any schema text is either exported or refused with a
// *NotConvertibleError, never a panic, and that whatever OpenAIStrict returns
// keeps strict mode's rules.
func FuzzExport(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", "export", "*.json"))
	for _, input := range inputs {
		raw, err := os.ReadFile(input)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(raw))
	}
	f.Add(leadSchema)
	f.Add(`{"type":"object","properties":{"a":{"allOf":[{"$ref":"#/$defs/a"}]}},"$defs":{"a":{"allOf":[{"$ref":"#/$defs/a"}]}}}`)
	f.Add(`{"type":"object","properties":{"x":{"$ref":"#"}}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		out, _, err := OpenAIStrict(json.RawMessage(raw))
		var nce *NotConvertibleError
		if err != nil && !errors.As(err, &nce) {
			t.Fatalf("OpenAIStrict(%q) error %T %v, want *NotConvertibleError", raw, err, err)
		}
		if err == nil {
			if err := ValidateOpenAIStrict(out); err != nil {
				t.Fatalf("OpenAIStrict(%q) = %s, which ValidateOpenAIStrict refuses: %v", raw, out, err)
			}
		}
		if _, err := Gemini(json.RawMessage(raw)); err != nil && !errors.As(err, &nce) {
			t.Fatalf("Gemini(%q) error %T %v, want *NotConvertibleError", raw, err, err)
		}
		Anthropic(json.RawMessage(raw))
		MCP(json.RawMessage(raw))
	})
}
